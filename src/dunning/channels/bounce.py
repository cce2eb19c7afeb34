"""Bounces: the delivery status notifications (RFC 3464) a mail server sends back.

When an e-mail cannot be delivered the sender's or the recipient's server answers with a
``multipart/report; report-type=delivery-status`` message: a text for people, a
``message/delivery-status`` part for machines (per recipient: ``Action``, ``Status`` as in RFC
3463, ``Diagnostic-Code``...), and the message returned, whole (``message/rfc822``) or its
headers only (``text/rfc822-headers``). `read_bounce` reads one into a `Bounce`:

- a ``5.x.x`` status (``Action: failed``) is permanent: the message will not arrive;
- a ``4.x.x`` status (``Action: delayed``) is temporary: the server is still trying;
- ``delivered``, ``relayed`` and ``expanded`` are reports of success the sender asked for.

The bounce names the message it answers by the ``Message-ID`` of the returned message (or its
headers), else by an ``Original-Message-ID`` field, else by the bounce's ``In-Reply-To``.
`bounce_events` turns a permanent failure of a message dunning sent into a
`dunning.DeliveryFailed`.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.parser import HeaderParser
from email.utils import parsedate_to_datetime
from typing import Literal, TypeAlias

import attrs

from ..errors import DunningError
from ..events import DeliveryFailed, Event
from .pec import normalise_message_id

__all__ = ["Bounce", "BounceOutcome", "NotABounce", "bounce_events", "read_bounce"]

BounceOutcome: TypeAlias = Literal["failed", "delayed", "delivered"]


class NotABounce(DunningError, ValueError):  # noqa: N818 - as pec.NotAReceipt
    """The message is not a delivery status notification (RFC 3464), or one that names no
    message or no status."""


def _raw_repr(value: bytes) -> str:
    return f"<{len(value)} bytes>"


@attrs.frozen
class Bounce:
    """One delivery status notification, read by `read_bounce`.

    ``outcome``: ``failed`` (a ``5.x.x`` status or ``Action: failed``: permanent),
    ``delayed`` (``4.x.x``: the server keeps trying) or ``delivered`` (a report of success);
    with several recipients the worst one counts. ``status`` (``5.1.1``), ``recipients`` (the
    ``Final-Recipient`` addresses), ``diagnostic`` (``Diagnostic-Code``, without its type),
    ``reporting_mta``; ``message_id``: the Message-ID of the message it answers, with angle
    brackets; ``timestamp``: the ``Last-Attempt-Date`` when given, else the bounce's ``Date``;
    ``raw``/``sha256``: the bounce's bytes and their hash, the evidence.
    """

    outcome: BounceOutcome
    status: str
    message_id: str
    timestamp: datetime
    recipients: tuple[str, ...]
    diagnostic: str
    reporting_mta: str
    sha256: str
    raw: bytes = attrs.field(repr=_raw_repr, eq=False)
    source: str = attrs.field(default="", eq=False)

    @property
    def permanent(self) -> bool:
        """Whether the message will not arrive (``failed``)."""
        return self.outcome == "failed"

    @property
    def reason(self) -> str:
        """Why, in one line: ``bounced 5.1.1 for a@example.it: 550 5.1.1 User unknown``."""
        who = ", ".join(self.recipients) or "the recipient"
        why = self.diagnostic or _STATUS_CLASS.get(self.status[:1], "")
        return f"bounced {self.status} for {who}" + (f": {why}" if why else "")


_STATUS_CLASS = {"4": "temporary failure", "5": "permanent failure", "2": "success"}


def _one_line(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _blocks(part: email.message.Message) -> list[email.message.Message]:
    """The field blocks of a ``message/delivery-status`` part: the per-message one, then one
    per recipient."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, email.message.Message)]
    text = payload if isinstance(payload, str) else ""
    if part.get("Content-Transfer-Encoding", "").lower() in ("base64", "quoted-printable"):
        raw = part.get_payload(decode=True)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else text
    text = text.replace("\r\n", "\n")
    return [HeaderParser().parsestr(b.strip() + "\n") for b in text.split("\n\n") if b.strip()]


def _address(value: str) -> str:
    """``rfc822; a@example.it`` -> ``a@example.it``."""
    _, _, address = value.partition(";")
    return (address or value).strip().strip("<>")


def _diagnostic(value: str) -> str:
    kind, sep, text = value.partition(";")
    return _one_line(
        text if sep and kind.strip().lower() in ("smtp", "x-unix", "x-postfix") else value
    )


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def read_bounce(data: bytes, *, source: str = "") -> Bounce:
    """Read one delivery status notification; raises `NotABounce` for anything else (and for
    one that names no status or no message it answers).

    >>> from dunning.testing import bounce
    >>> b = read_bounce(bounce("<k1@example.com>", "5.1.1", recipient="x@example.it"))
    >>> b.outcome, b.status, b.message_id, b.recipients
    ('failed', '5.1.1', '<k1@example.com>', ('x@example.it',))
    """
    where = f"{source}: " if source else ""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    if msg.get_content_type() != "multipart/report" or (
        str(msg.get_param("report-type") or "").lower()
        not in ("delivery-status", "global-delivery-status")
    ):
        raise NotABounce(where + "not a delivery status notification (multipart/report)")
    status_part: email.message.Message | None = None
    returned: email.message.Message | None = None
    for part in msg.walk():
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "message/global-delivery-status"):
            status_part = status_part or part
        elif kind in ("message/rfc822", "message/global") and returned is None:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], email.message.Message):
                returned = inner[0]
        elif kind in ("text/rfc822-headers", "message/global-headers") and returned is None:
            text = part.get_payload(decode=True)
            if isinstance(text, bytes):
                returned = HeaderParser().parsestr(text.decode("utf-8", "replace"))
    if status_part is None:
        raise NotABounce(where + "a report without a message/delivery-status part")
    blocks = _blocks(status_part)
    per_message = blocks[0] if blocks else email.message.Message()
    recipients = [b for b in blocks[1:] if b.get("Final-Recipient") or b.get("Status")]
    if not recipients:
        raise NotABounce(where + "a delivery status notification without a recipient's status")
    worst: tuple[int, email.message.Message] | None = None
    for block in recipients:
        status = _one_line(block.get("Status")).split(" ")[0]
        action = _one_line(block.get("Action")).lower()
        rank = (
            3
            if status.startswith("5") or action == "failed"
            else (2 if status.startswith("4") or action == "delayed" else 1)
        )
        if worst is None or rank > worst[0]:
            worst = (rank, block)
    assert worst is not None
    rank, block = worst
    outcomes: dict[int, BounceOutcome] = {3: "failed", 2: "delayed", 1: "delivered"}
    outcome = outcomes[rank]
    status = _one_line(block.get("Status")).split(" ")[0]
    status = status or {3: "5.0.0", 2: "4.0.0"}.get(rank, "2.0.0")
    failing = [
        _address(_one_line(b.get("Final-Recipient") or b.get("Original-Recipient") or ""))
        for b in recipients
        if b is block or _one_line(b.get("Status"))[:1] == status[:1]
    ]
    mid = ""
    if returned is not None:
        mid = _one_line(returned.get("Message-ID"))
    if not mid:
        mid = _one_line(per_message.get("Original-Message-ID") or msg.get("In-Reply-To"))
    if not mid:
        raise NotABounce(
            where + f"a bounce ({status}) that names no message: no returned message or "
            "headers, no Original-Message-ID"
        )
    when = _date(_one_line(block.get("Last-Attempt-Date"))) or _date(_one_line(msg.get("Date")))
    if when is None:
        raise NotABounce(where + f"a bounce ({status}) without a date")
    return Bounce(
        outcome=outcome,
        status=status,
        message_id=normalise_message_id(mid),
        timestamp=when,
        recipients=tuple(a for a in failing if a),
        diagnostic=_diagnostic(_one_line(block.get("Diagnostic-Code"))),
        reporting_mta=_address(_one_line(per_message.get("Reporting-MTA"))),
        sha256=hashlib.sha256(data).hexdigest(),
        raw=data,
        source=source,
    )


def bounce_events(
    bounce: Bounce, keys: Mapping[str, tuple[str, str]], *, channel: str = "email"
) -> list[Event]:
    """A `dunning.DeliveryFailed` for a permanent bounce of a message in ``keys`` (Message-ID
    → (action key, debtor id), as for `dunning.channels.pec.receipt_events`), dated on the
    bounce's day with `Bounce.reason` and its hash; nothing for a delay, a report of success
    or a message dunning did not send."""
    table = {normalise_message_id(mid): value for mid, value in keys.items()}
    linked = table.get(bounce.message_id)
    if linked is None or not bounce.permanent:
        return []
    key, debtor_id = linked
    return [
        DeliveryFailed(
            date=bounce.timestamp.date(),
            debtor_id=debtor_id,
            key=key,
            channel=channel,
            reason=f"{bounce.reason}; sha256:{bounce.sha256}",
        )
    ]
