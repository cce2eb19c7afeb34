"""Erasing a debtor's personal data while keeping the amounts and the evidence the law requires.

GDPR art. 17 gives a person the right to have their personal data erased, but not where the
processing is necessary "for compliance with a legal obligation" (art. 17(3)(b): in Italy the
accounting records are kept for 10 years, art. 2220 c.c.) or "for the establishment, exercise
or defence of legal claims" (art. 17(3)(e): the credit itself, until it is paid or time-barred).
So `erase_debtor` replaces what identifies the debtor (name, addresses, e-mail, PEC, phone,
contact person, tax code, VAT number, the free-text notes of the history) with a pseudonym and
keeps the amounts, the dates, the invoice numbers, the fact and date of each contact, and the
evidence files (PEC receipts, return cards, the messages sent), which it lists: they contain
the debtor's address, and the operator deletes them once the limitation period and the
retention duty have both passed. See ``docs/privacy.md``.

Nothing is written unless ``apply=True``; the report says what was (or would be) erased and
what is kept and why.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from .errors import DataError
from .events import DocumentAdded, Event
from .history import read_events
from .serialize import event_to_data

if TYPE_CHECKING:
    from .store import EventStore

__all__ = [
    "ErasureItem",
    "ErasureReport",
    "erase_debtor",
    "erase_events",
    "pseudonym",
    "redact_address",
    "redact_addresses",
    "redact_text",
]

#: The columns of ``debtors.csv`` that identify a debtor: emptied, except ``name`` (required),
#: which becomes the pseudonym.
PERSONAL_COLUMNS: tuple[str, ...] = (
    "name",
    "vat_number",
    "tax_code",
    "email",
    "pec",
    "phone",
    "address",
    "postcode",
    "city",
    "province",
    "contact_person",
    "iban",
)

#: Free-text fields of events (notes and reasons typed by people or copied from replies,
#: bounces and receipts, which name addresses and signatories): replaced by the pseudonym,
#: followed by the ``sha256:`` references to evidence files they held.
TEXT_FIELDS: tuple[str, ...] = ("note", "reason", "evidence")

_EMAIL = re.compile(r"([A-Za-z0-9._%+'-])[A-Za-z0-9._%+'-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"\+\d[\d ]{5,17}(\d\d)\b")
_SHA256 = re.compile(r"\b[0-9a-f]{64}\b")

_RETENTION = (
    "kept: legal obligation (GDPR art. 17(3)(b); accounting records, 10 years, art. 2220 c.c.) "
    "and legal claims (art. 17(3)(e))"
)

_CLAIMS = "kept: legal claims (GDPR art. 17(3)(e)): the proof of what was sent, when and to whom"

#: The states of a message in the store's outbox (`dunning.store.dispatcher`) that are the
#: record of a send (done, refused, or in doubt: begun and never known to have ended): kept.
#: A message in any other state (``queued``, ``temporary``) has not left yet and would still
#: be sent: the erasure is refused while there is one.
SENT_STATES: tuple[str, ...] = ("sent", "failed", "in_doubt", "sending")


def pseudonym(debtor_id: str, key: str | bytes) -> str:
    """``erased:`` and the first 16 hex digits of the HMAC-SHA256 of ``debtor_id`` under
    ``key``: the same debtor always gets the same pseudonym, and without the key nobody can
    tell which debtor it was.

    >>> pseudonym("C001", "a secret kept apart from the data")
    'erased:3bf27726b56f36f5'
    """
    secret = key.encode() if isinstance(key, str) else key
    digest = hmac.new(secret, debtor_id.encode(), hashlib.sha256).hexdigest()
    return f"erased:{digest[:16]}"


def redact_address(address: str) -> str:
    """An e-mail address with its local part hidden but its first character, for logs.

    >>> redact_address("conti@osteria.example")
    'c***@osteria.example'
    """
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def redact_addresses(text: str) -> str:
    """``text`` with every e-mail address in it redacted (`redact_address`).

    >>> redact_addresses("550 5.1.1 <conti@osteria.example>: no such user")
    '550 5.1.1 <c***@osteria.example>: no such user'
    """
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


def redact_text(text: str) -> str:
    """``text`` with its e-mail addresses (`redact_address`) and its international phone
    numbers (all but the last two digits) redacted: what the channels log.

    >>> redact_text("SMS to +390512928925 refused; copy to conti@osteria.example")
    'SMS to +***25 refused; copy to c***@osteria.example'
    """
    return _PHONE.sub(lambda m: f"+***{m.group(1)}", redact_addresses(text))


@frozen
class ErasureItem:
    """One thing the erasure touched or kept: where, what, and why."""

    where: str
    what: str
    why: str = ""


@frozen
class ErasureReport:
    """What `erase_debtor` erased (or would erase, when not ``applied``) and what it kept."""

    debtor_id: str
    pseudonym: str
    applied: bool
    erased: tuple[ErasureItem, ...] = ()
    kept: tuple[ErasureItem, ...] = ()
    backups: tuple[str, ...] = ()

    def text(self) -> str:
        """The report as lines a person can read (and file with the erasure request)."""
        head = "erased" if self.applied else "would erase (dry run; apply=True to write)"
        rows = [f"debtor {self.debtor_id} -> {self.pseudonym}: {head}"]
        rows += [f"  - {i.where}: {i.what}" for i in self.erased] or ["  (nothing)"]
        rows.append("kept:")
        rows += [f"  - {i.where}: {i.what} ({i.why})" for i in self.kept] or ["  (nothing)"]
        rows += [f"backup: {b}" for b in self.backups]
        return "\n".join(rows)


def erase_events(
    events: Iterable[Event], debtor_id: str, replacement: str
) -> tuple[list[Event], list[str]]:
    """``events`` with the free text of ``debtor_id``'s events (`TEXT_FIELDS`, the reference of
    a `DocumentAdded`'s document) replaced by ``replacement`` (and the ``sha256:`` references
    to evidence files it held); and a line per change. Dates, amounts, invoices, keys,
    channels and message ids are kept; other debtors' events are returned as they were.

    >>> from datetime import date
    >>> from dunning import DeliveryConfirmed
    >>> receipt = DeliveryConfirmed(date(2026, 6, 5), "C001", "C001|k", "pec",
    ...     evidence="PEC avvenuta-consegna at 10:00 for conti@pec.example; sha256:" + "ab" * 32)
    >>> erase_events([receipt], "C001", "erased:x")[0][0].evidence[:25]
    'erased:x; sha256:abababab'
    """
    result: list[Event] = []
    changes: list[str] = []
    for event in events:
        if event.debtor_id != debtor_id:
            result.append(event)
            continue
        updates: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            value = getattr(event, name, None)
            if isinstance(value, str) and value:
                refs = "".join(f"; sha256:{h}" for h in _SHA256.findall(value))
                if value != replacement + refs:
                    updates[name] = replacement + refs
        if isinstance(event, DocumentAdded) and event.document.reference != replacement:
            updates["document"] = attrs.evolve(event.document, reference=replacement)
        if updates:
            event = attrs.evolve(event, **updates)
            kind = type(event).__name__
            changes.append(f"{kind} of {event.date}: {', '.join(sorted(updates))}")
        result.append(event)
    return result, changes


def _write(path: Path, data: bytes, backup: bool, backups: list[str]) -> None:
    """Replace ``path`` atomically by ``data``, owner-only (0600); keep a copy when asked."""
    if backup and path.exists():
        copy = path.with_name(path.name + ".bak")
        shutil.copy2(path, copy)
        os.chmod(copy, 0o600)
        backups.append(str(copy))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_csv(path: Path) -> tuple[str, list[list[str]]]:
    text = path.read_bytes().decode("utf-8-sig")
    header = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return delimiter, rows


def _csv_bytes(rows: Sequence[Sequence[str]], delimiter: str) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _scrub(text: str, secrets: Sequence[str], replacement: str) -> str:
    for value in secrets:
        text = text.replace(value, replacement)
    return redact_addresses(text)


def erase_debtor(
    folder: str | PathLike[str],
    debtor_id: str,
    *,
    key: str | bytes,
    apply: bool = False,
    backup: bool = False,
    outboxes: Iterable[str | PathLike[str]] = (),
    store: EventStore | None = None,
) -> ErasureReport:
    """Erase ``debtor_id``'s personal data from the data folder ``folder`` of ``dunning run``.

    - ``debtors.csv``: the debtor's name becomes `pseudonym` (under ``key``, a secret kept
      apart from the data); the other `PERSONAL_COLUMNS` are emptied. Kind, country, locale,
      opt-outs, tags, block and policy are kept: they do not identify the debtor and they
      still decide how (and whether) the case is dunned.
    - ``events.csv`` and ``.dunning/history.jsonl``: the notes and reasons of the debtor's
      events become the pseudonym (`erase_events`). Amounts, dates, invoices, payments (their
      remittance reference too: an accounting record), keys, channels and message ids stay,
      so the statement of account and the contact log are unchanged.
    - ``.dunning/journal.jsonl``: the details of the debtor's sends lose the debtor's name,
      addresses and phone number.
    - evidence (``.dunning/evidence/``) and the messages in ``outboxes``: kept and listed.
    - ``store`` (an `dunning.store.EventStore`, when the history is kept there): the debtor's
      events are redacted in place as in the history file (`EventStore.redact_debtor`); the
      debtor's messages in its outbox (table ``messages``) that were sent, refused or are in
      doubt (`SENT_STATES`) are kept as they are, as evidence, and listed, and the server
      replies kept with them (their ``detail`` and their log's) lose the debtor's name,
      addresses and phone number. While the debtor has a message that has not left yet
      (``queued``, ``temporary``) the erasure is refused with a `DataError` naming its
      keys, and nothing is written: it would still be sent, with the data being erased.

    Nothing is written unless ``apply`` is true; then each file is replaced atomically with
    owner-only permissions, after a ``.bak`` copy when ``backup`` is true. The debtor id is
    kept: it links the amounts to the accounting records, and must be a customer code, not a
    personal identifier. The ERP that exports ``debtors.csv`` must erase the debtor too, or
    the next export brings the data back.
    """
    root = Path(folder)
    alias = pseudonym(debtor_id, key)
    held = _held_messages(store, debtor_id) if store is not None else []
    _refuse_unsent(held, debtor_id)
    erased: list[ErasureItem] = []
    kept: list[ErasureItem] = []
    backups: list[str] = []
    writes: list[tuple[Path, bytes]] = []
    secrets: list[str] = []

    debtors = root / "debtors.csv"
    if debtors.exists():
        delimiter, rows = _read_csv(debtors)
        header = [c.strip() for c in rows[0]] if rows else []
        found = False
        for row in rows[1:]:
            if not row or row[0].strip() != debtor_id:
                continue
            found = True
            for column in PERSONAL_COLUMNS:
                if column not in header:
                    continue
                index = header.index(column)
                value = row[index] if index < len(row) else ""
                if not value.strip() or value == alias:
                    continue
                secrets.append(value.strip())
                row[index] = alias if column == "name" else ""
                erased.append(ErasureItem(str(debtors), f"column {column}"))
        if found and erased:
            writes.append((debtors, _csv_bytes(rows, delimiter)))
    # the longest first, so that "Via Roma 1" goes before "Roma"
    secrets.sort(key=len, reverse=True)

    known = root / "events.csv"
    if known.exists():
        delimiter, rows = _read_csv(known)
        header = [c.strip() for c in rows[0]] if rows else []
        changed = False
        if "debtor_id" in header:
            who = header.index("debtor_id")
            for number, row in enumerate(rows[1:], start=2):
                if who >= len(row) or row[who].strip() != debtor_id:
                    continue
                note = header.index("note") if "note" in header else len(row)
                if note < len(row) and row[note].strip() and row[note] != alias:
                    row[note] = alias
                    changed = True
                    erased.append(ErasureItem(str(known), f"record {number}: note"))
        if changed:
            writes.append((known, _csv_bytes(rows, delimiter)))

    history_path = root / ".dunning" / "history.jsonl"
    history = read_events(history_path)
    mine = [e for e in history if e.debtor_id == debtor_id]
    if history:
        new_history, changes = erase_events(history, debtor_id, alias)
        erased += [ErasureItem(str(history_path), change) for change in changes]
        if changes:
            lines = [
                json.dumps(event_to_data(e), ensure_ascii=False, sort_keys=True)
                for e in new_history
            ]
            writes.append((history_path, ("\n".join(lines) + "\n").encode("utf-8")))
        if mine:
            kept.append(
                ErasureItem(
                    str(history_path),
                    f"{len(mine)} events: amounts, dates, invoices, payments and each contact",
                    _RETENTION,
                )
            )

    details: list[tuple[str, int | None, str]] = []
    if store is not None:
        stored = store.events(debtor_id)
        mine += stored
        events_at = f"{store.url} (table events)"
        _, changes = erase_events(stored, debtor_id, alias)
        erased += [ErasureItem(events_at, change) for change in changes]
        if stored:
            kept.append(
                ErasureItem(
                    events_at,
                    f"{len(stored)} events: amounts, dates, invoices, payments and each contact",
                    _RETENTION,
                )
            )
        details = _message_details(store, held, secrets, alias)
        for message in held:
            kept.append(
                ErasureItem(
                    f"{store.url} (table messages)",
                    f"message {message.key} ({message.channel}, {message.state}): what was sent "
                    "and to whom; holds the debtor's address: delete it when the limitation "
                    "period and the 10-year retention have both passed",
                    _CLAIMS,
                )
            )
        for message_key, log_id, _ in details:
            table = "messages" if log_id is None else "message_log"
            line = "" if log_id is None else f" (log line {log_id})"
            erased.append(
                ErasureItem(f"{store.url} (table {table})", f"detail of {message_key}{line}")
            )

    keys = {k for e in mine if isinstance(k := getattr(e, "key", None), str)}
    journal = root / ".dunning" / "journal.jsonl"
    if journal.exists():
        out: list[str] = []
        changed = False
        for line in journal.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                out.append(line)
                continue
            entry_key = str(entry.get("key", "")) if isinstance(entry, dict) else ""
            if entry_key in keys or entry_key.startswith(f"{debtor_id}/"):
                detail = str(entry.get("detail", ""))
                scrubbed = _scrub(detail, secrets, alias)
                if scrubbed != detail:
                    entry["detail"] = scrubbed
                    changed = True
                    erased.append(ErasureItem(str(journal), f"detail of {entry_key}"))
                line = json.dumps(entry, ensure_ascii=False, sort_keys=True)
            out.append(line)
        if changed:
            writes.append((journal, ("\n".join(out) + "\n").encode("utf-8")))

    evidence = root / ".dunning" / "evidence"
    hashes: set[str] = set()
    for event in mine:
        hashes.update(_SHA256.findall(json.dumps(event_to_data(event))))
    needles = [s.encode() for s in secrets if len(s) >= 4]
    places = [evidence, *(Path(p) for p in outboxes)]
    for place in places:
        if not place.is_dir():
            continue
        for file in sorted(p for p in place.rglob("*") if p.is_file()):
            if file.stem in hashes or (needles and any(n in file.read_bytes() for n in needles)):
                what = "evidence of delivery" if place == evidence else "a message sent"
                kept.append(
                    ErasureItem(
                        str(file),
                        f"{what}; holds the debtor's address: delete it when the limitation "
                        "period and the 10-year retention have both passed",
                        _RETENTION,
                    )
                )

    if apply:
        if store is not None:
            _write_store(store, debtor_id, alias, details)
        for path, data in writes:
            _write(path, data, backup, backups)
    return ErasureReport(
        debtor_id=debtor_id,
        pseudonym=alias,
        applied=apply,
        erased=tuple(erased),
        kept=tuple(kept),
        backups=tuple(backups),
    )


@frozen
class _Held:
    """A message of the debtor in the store's outbox (the columns the erasure reads)."""

    key: str
    channel: str
    state: str
    detail: str


def _held_messages(store: EventStore, debtor_id: str) -> list[_Held]:
    """The debtor's messages in the store's outbox, oldest first."""
    import sqlalchemy as sa

    from .store import schema

    t = schema.messages
    query = (
        sa.select(t.c.key, t.c.channel, t.c.state, t.c.detail)
        .where(t.c.debtor_id == debtor_id)
        .order_by(t.c.queued_at, t.c.key)
    )
    with store._read() as conn:
        return [_Held(*row) for row in conn.execute(query)]


def _refuse_unsent(held: Sequence[_Held], debtor_id: str) -> None:
    """A `DataError` when a message of the debtor has not left yet."""
    waiting = [m for m in held if m.state not in SENT_STATES]
    if waiting:
        keys = ", ".join(f"{m.key} ({m.state})" for m in waiting)
        raise DataError(
            f"{len(waiting)} message(s) of the debtor not sent yet: {keys}; they would still "
            "be sent, with the data being erased: send them or let them expire first, then "
            "erase; nothing was changed",
            record=f"debtor {debtor_id}",
            field="messages",
        )


def _message_details(
    store: EventStore, held: Sequence[_Held], secrets: Sequence[str], alias: str
) -> list[tuple[str, int | None, str]]:
    """The server replies kept with the debtor's messages (``messages.detail``: log id None;
    ``message_log.detail``: its id) that name the debtor, each with its scrubbed text."""
    import sqlalchemy as sa

    from .store import schema

    found: list[tuple[str, int | None, str]] = []
    for message in held:
        scrubbed = _scrub(message.detail, secrets, alias)
        if scrubbed != message.detail:
            found.append((message.key, None, scrubbed))
    log = schema.message_log
    keys = [m.key for m in held]
    with store._read() as conn:
        for start in range(0, len(keys), 500):
            query = (
                sa.select(log.c.id, log.c.key, log.c.detail)
                .where(log.c.key.in_(keys[start : start + 500]))
                .order_by(log.c.id)
            )
            for log_id, message_key, detail in conn.execute(query):
                scrubbed = _scrub(detail, secrets, alias)
                if scrubbed != detail:
                    found.append((message_key, int(log_id), scrubbed))
    return found


def _write_store(
    store: EventStore, debtor_id: str, alias: str, details: Sequence[tuple[str, int | None, str]]
) -> None:
    """Scrub the messages' details and redact the debtor's events, after checking again,
    holding the write lock, that no message of the debtor was queued meanwhile."""
    import sqlalchemy as sa

    from .store import schema

    t, log = schema.messages, schema.message_log
    with store._write() as conn:
        if store.backend == "sqlite":
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        query = sa.select(t.c.key, t.c.channel, t.c.state, t.c.detail).where(
            t.c.debtor_id == debtor_id
        )
        _refuse_unsent([_Held(*row) for row in conn.execute(query)], debtor_id)
        for message_key, log_id, text in details:
            if log_id is None:
                conn.execute(sa.update(t).where(t.c.key == message_key).values(detail=text))
            else:
                conn.execute(sa.update(log).where(log.c.id == log_id).values(detail=text))
    store.redact_debtor(debtor_id, alias, apply=True)
