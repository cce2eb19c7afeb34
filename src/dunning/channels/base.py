"""The channel contract: what a channel is given (`Outgoing`), what it gives back (`Sent`), the
three ways a send can fail, and the `Secret` that keeps passwords out of every text.

A channel is one method over data, ``send(message) -> Sent``, plus ``close()``. Everything
else (connections, retries, credentials) is the channel's own business.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from email import policy as email_policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

from attrs import field, frozen

from ..errors import DunningError

__all__ = [
    "BaseChannel",
    "Channel",
    "ChannelConfigError",
    "ChannelError",
    "InDoubt",
    "Outgoing",
    "PermanentFailure",
    "Secret",
    "Sent",
    "TLSFailure",
    "TemporaryFailure",
]

_LINE_BREAK = re.compile(r"[\r\n]")


class Secret:
    """A password or token: ``str()`` and ``repr()`` show ``***``, never the value.

    >>> password = Secret("hunter2")
    >>> password, str(password), f"{password}"
    ('***', '***', '***')
    >>> password.reveal()
    'hunter2'

    Only the code that hands the value to a server calls `reveal`. Two secrets are equal when
    their values are (compared in constant time).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        self._value = value.reveal() if isinstance(value, Secret) else str(value)

    def reveal(self) -> str:
        """The value itself."""
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled: pass the setting, not the value")


def _recipients(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _check_key(instance: Any, attribute: Any, value: str) -> None:
    if not value or _LINE_BREAK.search(value):
        raise ValueError(f"{attribute.name}: an idempotency key must be one non-empty line")


def _check_addresses(instance: Any, attribute: Any, value: tuple[str, ...]) -> None:
    if not value:
        raise ValueError(f"message {instance.key!r}: no recipient")
    for address in value:
        if not address.strip() or _LINE_BREAK.search(address) or "<" in address:
            raise ValueError(f"message {instance.key!r}: bad recipient address {address!r}")


def _check_sender(instance: Any, attribute: Any, value: str) -> None:
    if _LINE_BREAK.search(value) or "<" in value:
        raise ValueError(f"message {instance.key!r}: bad sender address {value!r}")


@frozen
class Outgoing:
    """One message to send, as a channel receives it.

    ``key`` is the action's idempotency key (the same key is never delivered twice);
    ``channel`` the kind of channel (``"email"``, ``"pec"``, ``"sms"``, ``"postal"``);
    ``recipients`` and ``sender`` the envelope addresses; ``content`` the bytes to deliver —
    for e-mail and PEC the RFC 5322 message exactly as the outbox wrote it in its ``.eml``
    file; ``message_id`` its ``Message-ID`` (a PEC receipt names it).

    >>> Outgoing("C001/reminder-1/email", "email", "conti@osteria.example",
    ...          "crediti@tipografia.example", b"Subject: hi\\r\\n\\r\\nhello\\r\\n").recipients
    ('conti@osteria.example',)
    """

    key: str = field(validator=_check_key)
    channel: str
    recipients: tuple[str, ...] = field(converter=_recipients, validator=_check_addresses)
    sender: str = field(validator=_check_sender)
    content: bytes = field(repr=lambda data: f"<{len(data)} bytes>")
    message_id: str = ""

    @classmethod
    def from_eml(cls, key: str, channel: str, data: bytes) -> Outgoing:
        """The message in an ``.eml`` file: sender from ``Sender`` or ``From``, recipients
        from ``To``, ``Cc`` and ``Bcc`` (a ``Bcc`` header is removed from the bytes sent),
        ``Message-ID`` from its header; the bytes are otherwise sent unchanged.

        >>> eml = (b"From: Tipografia <crediti@tipografia.example>\\r\\n"
        ...        b"To: Osteria <conti@osteria.example>\\r\\nCc: soci@osteria.example\\r\\n"
        ...        b"Message-ID: <abc@tipografia.example>\\r\\nSubject: Sollecito\\r\\n\\r\\n"
        ...        b"Gentile cliente\\r\\n")
        >>> message = Outgoing.from_eml("C001/reminder-1/email", "email", eml)
        >>> message.sender, message.recipients, message.message_id
        ('crediti@tipografia.example', ('conti@osteria.example', 'soci@osteria.example'), '<abc@tipografia.example>')
        """  # noqa: E501
        headers = BytesHeaderParser(policy=email_policy.compat32).parsebytes(data)
        sender = parseaddr(str(headers.get("Sender") or headers.get("From") or ""))[1]
        found = getaddresses(
            [str(v) for name in ("To", "Cc", "Bcc") for v in headers.get_all(name, [])]
        )
        recipients = tuple(dict.fromkeys(address for _, address in found if address))
        if not recipients:
            raise ValueError(f"message {key!r}: no recipient in To, Cc or Bcc")
        if not sender:
            raise ValueError(f"message {key!r}: no sender in From")
        if headers.get("Bcc") is not None:
            data = _drop_header(data, b"bcc")
        return cls(key, channel, recipients, sender, data, str(headers.get("Message-ID", "")))


def _drop_header(data: bytes, name: bytes) -> bytes:
    """``data`` without the header ``name`` (and its continuation lines)."""
    end = re.search(rb"\r?\n(?=\r?\n)", data)
    cut = end.end() if end else len(data)
    kept: list[bytes] = []
    dropping = False
    for line in data[:cut].splitlines(keepends=True):
        if line[:1] not in (b" ", b"\t"):
            dropping = line.split(b":", 1)[0].strip().lower() == name
        if not dropping:
            kept.append(line)
    return b"".join(kept) + data[cut:]


def _aware(instance: Any, attribute: Any, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must carry a time zone, got {value!r}")


@frozen
class Sent:
    """The receipt of a send: the channel accepted the message ``key`` at ``accepted_at``.

    ``transport_id`` is what the other side called it (for SMTP the server's queue id from its
    ``250`` reply, when it gives one), ``detail`` the server's reply as text, ``refused`` the
    recipients the server refused while accepting the others (each with its reply).
    """

    key: str
    channel: str
    accepted_at: datetime = field(validator=_aware)
    transport_id: str = ""
    detail: str = ""
    refused: tuple[tuple[str, str], ...] = ()


class ChannelError(DunningError):
    """A message could not be sent. Names the message's key, the channel and the server's
    reply (``code`` and ``reply``), never a password."""

    #: whether the same message may be sent again later
    retry: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        channel: str | None = None,
        code: int | None = None,
        reply: str | None = None,
    ) -> None:
        self.message = message
        self.key = key
        self.channel = channel
        self.code = code
        self.reply = reply
        super().__init__(str(self))

    def __str__(self) -> str:
        where = " ".join(filter(None, [self.channel, repr(self.key) if self.key else None]))
        text = f"{where}: {self.message}" if where else self.message
        if self.code is not None or self.reply:
            server = " ".join(filter(None, [str(self.code or ""), self.reply or ""]))
            text += f" (server replied: {server})"
        return text

    def __reduce__(self) -> Any:
        return (
            _rebuild,
            (type(self), self.message, self.key, self.channel, self.code, self.reply),
        )


def _rebuild(
    kind: type[ChannelError],
    message: str,
    key: str | None,
    channel: str | None,
    code: int | None,
    reply: str | None,
) -> ChannelError:
    return kind(message, key=key, channel=channel, code=code, reply=reply)


class TemporaryFailure(ChannelError):  # noqa: N818 - the contract's names
    """The message was not sent, and may be sent again later: a ``4xx`` reply, a timeout, a
    refused or lost connection before the server had the message's data."""

    retry = True


class PermanentFailure(ChannelError):  # noqa: N818 - the contract's names
    """The message was not sent, and sending it again the same way will not help: a ``5xx``
    reply, a refused address, failed authentication, a certificate that does not verify."""


class TLSFailure(PermanentFailure):
    """The secure connection could not be made: the server's certificate did not verify, or it
    does not offer the encryption asked for. Never downgraded to plain text."""


class InDoubt(ChannelError):  # noqa: N818 - the contract's names
    """The connection broke after the message's data was sent and before the server said
    whether it took it: the message may or may not have gone.

    It is never retried automatically: sending again could deliver the reminder twice (a
    second formal notice is a legal act), and not sending could lose it. A person checks (the
    server's log, the PEC receipts that come back, the debtor's mailbox) and decides.
    """


class ChannelConfigError(DunningError, ValueError):
    """A channel that cannot be opened as configured: an unknown scheme, a missing or bad
    setting, an extra not installed. Names the setting, never its secret value."""


@runtime_checkable
class Channel(Protocol):
    """What every channel does. ``send`` delivers one message or raises a `ChannelError`;
    ``close`` releases connections (calling it twice is harmless); a channel is a context
    manager that closes on exit."""

    def send(self, message: Outgoing) -> Sent: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class BaseChannel:
    """A convenient base for channels: the context manager, and idempotency by key within the
    channel's life — a second `send` of a key already sent returns the first receipt without
    delivering again, and a key whose send was `InDoubt` raises `InDoubt` again. Subclasses
    implement `deliver` (and `close` when they hold connections)."""

    name: ClassVar[str] = "channel"

    def __init__(self) -> None:
        self._receipts: dict[str, Sent] = {}
        self._in_doubt: dict[str, InDoubt] = {}

    def deliver(self, message: Outgoing) -> Sent:
        """Send ``message`` once (with the channel's own retries); raise a `ChannelError`."""
        raise NotImplementedError

    def send(self, message: Outgoing) -> Sent:
        """Deliver ``message`` unless its key was already sent (or is in doubt) through this
        channel."""
        if message.key in self._receipts:
            return self._receipts[message.key]
        if message.key in self._in_doubt:
            raise InDoubt(
                "an earlier send of this message is in doubt; not sent again",
                key=message.key,
                channel=message.channel,
            )
        try:
            receipt = self.deliver(message)
        except InDoubt as exc:
            self._in_doubt[message.key] = exc
            raise
        self._receipts[message.key] = receipt
        return receipt

    def close(self) -> None:
        """Release what the channel holds; harmless to call twice."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
