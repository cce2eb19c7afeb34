"""What comes back to the creditor's mailbox, read into events: PEC receipts and bounces.

`dunning receipts FOLDER SOURCE` is built on this module; it is usable from Python as well:

- `sent_message_ids` lists the Message-ID of every e-mail and PEC message dunning sent or
  planned (the outbox derives them from the actions' keys with `dunning.outbox.message_id`
  and the creditor's addresses), so an answer can be linked to its action;
- `prove` reads one message (its bytes): a PEC receipt (`dunning.channels.pec`), a bounce
  (`dunning.channels.bounce`) or anything else, and says in a `Proof` what it proved and
  which events it records;
- `local_messages` reads a folder of ``.eml`` files, one ``.eml`` file or a Maildir
  (`dunning.channels.imap.IMAPMailbox` reads an IMAP folder);
- `new_events` leaves out what a history already holds, so reading the same mailbox twice
  records nothing new; `keep_evidence` stores a message's bytes under their SHA-256.

>>> from datetime import date
>>> from dunning import ActionPlanned, Creditor, Money
>>> from dunning.testing import pec_receipt
>>> creditor = Creditor("Studio Rossi", pec="crediti@pec.rossi.example.it")
>>> planned = ActionPlanned(
...     date(2026, 3, 2), "D42", key="D42/diffida/pec", step="diffida", level=3,
...     kind="formal_notice", channel="pec", items=("F1:0",), levels=(("F1:0", 3),),
...     amount=Money("100.00", "EUR"))
>>> sent = sent_message_ids([planned], creditor)
>>> [mid] = sent
>>> proof = prove(pec_receipt("avvenuta-consegna", mid), "1.eml", sent)
>>> proof.outcome, proof.key, type(proof.events[0]).__name__
('delivered', 'D42/diffida/pec', 'DeliveryConfirmed')
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path

import attrs

from ..events import ActionPlanned, DeliveryConfirmed, DeliveryFailed, Event, MessageSent
from ..model import Creditor
from ..outbox import message_id
from .bounce import Bounce, NotABounce, bounce_events, read_bounce
from .imap import Fetched
from .pec import NotAReceipt, Receipt, ReceiptError, Skipped, normalise_message_id, read_receipt
from .pec import receipt_events as _receipt_events

__all__ = [
    "Linked",
    "Proof",
    "keep_evidence",
    "local_messages",
    "new_events",
    "prove",
    "sent_message_ids",
]

#: What one message sent by dunning is: (action key, debtor id, channel).
Linked = tuple[str, str, str]

_MAIL_CHANNELS = ("email", "pec")


def _raw_repr(value: bytes) -> str:
    return f"<{len(value)} bytes>"


@attrs.frozen
class Proof:
    """What one message of the mailbox proved.

    ``source``: where it was read (a file, ``Maildir message KEY``, an IMAP URL with its UID);
    ``what``: ``receipt``, ``bounce`` or ``skipped``; ``outcome``: for a receipt its
    `dunning.channels.pec.Receipt.outcome` (``sent``, ``in-transit``, ``delivered``,
    ``warning``, ``failed``), for a bounce ``failed``, ``delayed`` or ``delivered``, for
    anything else its classification (``ordinary``, ``transport``, ``invalid``...);
    ``text``: one line for a person; ``events``: what it records (empty when it proves
    nothing final or answers a message dunning did not send); ``key``/``debtor_id``: the
    action it answers, when linked; ``when``: the time it reports; ``sha256`` and ``raw``:
    the message's bytes and their hash, the evidence (empty for skipped messages); ``uid``:
    its IMAP UID, when read over IMAP.
    """

    source: str
    what: str
    outcome: str
    text: str
    events: tuple[Event, ...] = ()
    key: str | None = None
    debtor_id: str | None = None
    when: datetime | None = None
    sha256: str = ""
    raw: bytes = attrs.field(default=b"", repr=_raw_repr, eq=False)
    uid: int | None = None

    @property
    def linked(self) -> bool:
        """Whether it answers a message dunning sent."""
        return self.key is not None

    @property
    def evidence(self) -> bool:
        """Whether its bytes are worth keeping: a receipt or a bounce of a message dunning
        sent."""
        return self.what != "skipped" and self.linked


def sent_message_ids(history: Iterable[Event], creditor: Creditor) -> dict[str, Linked]:
    """The Message-ID of each e-mail and PEC message of ``history`` → (key, debtor id,
    channel): the ids the outbox gives the planned actions (from the creditor's PEC address
    for a PEC message, its e-mail address for an e-mail), and the ``message_id`` a
    `dunning.MessageSent` records. Keys are normalised with
    `dunning.channels.pec.normalise_message_id`."""
    domains = {
        "pec": (creditor.pec or "").rpartition("@")[2] or "dunning.invalid",
        "email": (creditor.email or "").rpartition("@")[2] or "dunning.invalid",
    }
    table: dict[str, Linked] = {}
    for event in history:
        if isinstance(event, ActionPlanned) and event.channel in _MAIL_CHANNELS:
            mid = message_id(event.key, domains[event.channel])
            table[normalise_message_id(mid)] = (event.key, event.debtor_id, event.channel)
        elif (
            isinstance(event, MessageSent)
            and event.channel in _MAIL_CHANNELS
            and event.message_id.strip()
        ):
            sent: Linked = (event.key, event.debtor_id, event.channel)
            table[normalise_message_id(event.message_id)] = sent
    return table


def _when(value: datetime) -> str:
    return value.isoformat(sep=" ")


_RECEIPT_TEXT = {
    "sent": "accepted for sending by the PEC provider on {when} (proof of sending, not of "
    "delivery): nothing recorded",
    "in-transit": "taken over by the recipient's PEC provider on {when}: not delivered yet, "
    "nothing recorded",
    "warning": "not delivered within 12 hours ({when}): the final receipt follows within 24 "
    "hours; nothing recorded",
}


def _linked(
    mid: str, sent: Mapping[str, Linked]
) -> tuple[Linked | None, dict[str, tuple[str, str]]]:
    table = {normalise_message_id(k): v for k, v in sent.items()}
    found = table.get(normalise_message_id(mid))
    keys = {mid: (found[0], found[1])} if found is not None else {}
    return found, keys


def _from_receipt(receipt: Receipt, sent: Mapping[str, Linked], uid: int | None) -> Proof:
    found, keys = _linked(receipt.message_id, sent)
    base = {
        "source": receipt.source,
        "what": "receipt",
        "outcome": receipt.outcome,
        "when": receipt.timestamp,
        "sha256": receipt.sha256,
        "raw": receipt.raw,
        "uid": uid,
    }
    label = f"PEC {receipt.kind}"
    if found is None:
        return Proof(
            text=f"{label} of {receipt.message_id}, not a message dunning sent (no planned "
            "e-mail or PEC action has this Message-ID): nothing recorded",
            **base,  # type: ignore[arg-type]
        )
    key, debtor_id, _ = found
    events: list[Event] = []
    for event in _receipt_events(receipt, keys):
        if isinstance(event, DeliveryFailed):
            event = attrs.evolve(event, reason=f"{event.reason}; sha256:{receipt.sha256}")
        events.append(event)
    who = ", ".join(receipt.recipients) or "the recipient"
    if receipt.delivered:
        text = f"delivered on {_when(receipt.timestamp)} to {who} ({label})"
    elif receipt.failed:
        why = receipt.error or receipt.error_code or "no reason given"
        text = f"failed on {_when(receipt.timestamp)} for {who}: {label}: {why}"
    else:
        text = f"{label}: " + _RECEIPT_TEXT[receipt.outcome].format(when=_when(receipt.timestamp))
    if receipt.discrepancies:
        text += " (to check: " + "; ".join(receipt.discrepancies) + ")"
    return Proof(
        text=text,
        events=tuple(events),
        key=key,
        debtor_id=debtor_id,
        **base,  # type: ignore[arg-type]
    )


def _from_bounce(bounce: Bounce, sent: Mapping[str, Linked], uid: int | None) -> Proof:
    found, keys = _linked(bounce.message_id, sent)
    base = {
        "source": bounce.source,
        "what": "bounce",
        "outcome": bounce.outcome,
        "when": bounce.timestamp,
        "sha256": bounce.sha256,
        "raw": bounce.raw,
        "uid": uid,
    }
    if found is None:
        return Proof(
            text=f"bounce ({bounce.status}) of {bounce.message_id}, not a message dunning sent: "
            "nothing recorded",
            **base,  # type: ignore[arg-type]
        )
    key, debtor_id, channel = found
    when = _when(bounce.timestamp)
    if bounce.permanent:
        text = f"failed on {when}: {bounce.reason}"
    elif bounce.outcome == "delayed":
        text = f"delayed ({when}): {bounce.reason}; the mail server keeps trying: nothing recorded"
    else:
        text = (
            f"reported {bounce.status} by the mail server on {when} (a delivery status "
            "notification is no proof of delivery): nothing recorded"
        )
    return Proof(
        text=text,
        events=tuple(bounce_events(bounce, keys, channel=channel)),
        key=key,
        debtor_id=debtor_id,
        **base,  # type: ignore[arg-type]
    )


def _looks_like_bounce(data: bytes) -> bool:
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    sender = str(msg.get("From", "")).lower()
    subject = str(msg.get("Subject", "")).lower()
    return (
        "mailer-daemon" in sender
        or "postmaster@" in sender
        or any(w in subject for w in ("undeliver", "delivery status", "returned mail"))
    )


def prove(data: bytes, source: str, sent: Mapping[str, Linked], *, uid: int | None = None) -> Proof:
    """What the message ``data`` (read from ``source``) proves about the messages ``sent``
    (`sent_message_ids`): a PEC receipt, a bounce, or a `Proof` with ``what="skipped"`` and
    why. Never raises for a bad message."""
    try:
        return _from_receipt(read_receipt(data, source=source), sent, uid)
    except ReceiptError as exc:
        return Proof(source, "skipped", "invalid", f"skipped: an unreadable PEC receipt: {exc}")
    except NotAReceipt as exc:
        receipt_error = exc
    try:
        return _from_bounce(read_bounce(data, source=source), sent, uid)
    except NotABounce as exc:
        bounce_error = exc
    where = f"{source}: "
    if receipt_error.classification != "ordinary":
        why = str(receipt_error).removeprefix(where)
    elif "multipart/report" in str(bounce_error) and _looks_like_bounce(data):
        why = (
            "looks like a bounce but is not a delivery status notification (RFC 3464): "
            "read it yourself"
        )
    elif "multipart/report" not in str(bounce_error):
        why = str(bounce_error).removeprefix(where)
    else:
        why = "an ordinary e-mail: neither a PEC receipt nor a bounce"
    return Proof(source, "skipped", receipt_error.classification, f"skipped: {why}", uid=uid)


def local_messages(source: str | os.PathLike[str]) -> Iterator[Fetched | Skipped]:
    """The messages of a folder of ``.eml`` files (sorted by name, not recursive), of one
    ``.eml`` file or of a Maildir (a folder with ``cur``, ``new`` and ``tmp``), as `Fetched`
    (``uid`` 0); a file that cannot be read is a `dunning.channels.pec.Skipped`."""
    path = Path(source)
    if path.is_file():
        yield _read_file(path)
        return
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
        box = mailbox.Maildir(path, factory=None, create=False)
        for key in sorted(box.iterkeys()):
            where = f"{path} message {key}"
            try:
                yield Fetched(0, box.get_bytes(key), where)
            except (KeyError, OSError) as exc:
                yield Skipped(where, "unreadable", f"cannot be read ({exc})")
        return
    for file in sorted(p for p in path.iterdir() if p.suffix.lower() == ".eml" and p.is_file()):
        yield _read_file(file)


def _read_file(path: Path) -> Fetched | Skipped:
    try:
        return Fetched(0, path.read_bytes(), str(path))
    except OSError as exc:
        return Skipped(str(path), "unreadable", f"cannot be read ({exc.strerror or exc})")


def _identity(event: Event) -> tuple[object, ...]:
    channel = getattr(event, "channel", "")
    return (type(event), event.debtor_id, getattr(event, "key", ""), channel, event.date)


def new_events(events: Iterable[Event], history: Iterable[Event]) -> list[Event]:
    """``events`` less those ``history`` already holds (or that come twice): the same
    delivery or failure of the same action on the same day, even from another copy of the
    receipt (whose hash differs), is recorded once."""
    seen = {_identity(e) for e in history if isinstance(e, DeliveryConfirmed | DeliveryFailed)}
    fresh: list[Event] = []
    for event in events:
        identity = _identity(event)
        if identity not in seen:
            seen.add(identity)
            fresh.append(event)
    return fresh


def keep_evidence(folder: str | os.PathLike[str], data: bytes, sha256: str) -> Path:
    """Store ``data`` as ``FOLDER/<sha256>.eml`` (the folder created owner-only, the file
    readable by its owner only, written atomically: a reader never sees half a file); a file
    already there is left as it is. Returns its path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = out / f"{sha256}.eml"
    if path.exists():
        return path
    handle, temporary = tempfile.mkstemp(prefix=f".{sha256[:12]}.", suffix=".tmp", dir=out)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        _sync_folder(out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _sync_folder(folder: Path) -> None:
    """Make the new name durable (where the system allows opening a folder)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
