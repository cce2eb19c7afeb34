"""Channels for tests: `MemoryChannel`, and the conformance suite every channel should pass.

`MemoryChannel` keeps what it is sent, fails when told to, and records a second send of the
same key as a duplicate, so a test can assert that each message went exactly once:

>>> from dunning.testing import MemoryChannel, sample_message
>>> channel = MemoryChannel()
>>> channel.send(sample_message("C001/reminder-1/email")).key
'C001/reminder-1/email'
>>> _ = channel.send(sample_message("C001/reminder-1/email"))
>>> len(channel.sent), len(channel.duplicates)
(1, 1)

A third-party channel runs the conformance suite in one line (`check_channel`), or subclasses
`ChannelContract` in a pytest module.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import ClassVar

from ..channels.base import (
    BaseChannel,
    Channel,
    ChannelError,
    Outgoing,
    PermanentFailure,
    Secret,
    Sent,
    TemporaryFailure,
)
from ..channels.registry import ChannelInfo, Option

__all__ = [
    "ChannelContract",
    "MemoryChannel",
    "check_channel",
    "check_close",
    "check_idempotent",
    "check_no_secret",
    "check_permanent_failure",
    "check_send",
    "check_temporary_failure",
    "sample_message",
]


def sample_message(
    key: str = "dunning-conformance/1",
    channel: str = "email",
    *,
    sender: str = "crediti@example.com",
    to: str = "conti@example.net",
) -> Outgoing:
    """A small, valid RFC 5322 message with idempotency key ``key``, to send in tests."""
    content = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Reminder\r\n"
        f"Message-ID: <{hashlib.sha256(key.encode()).hexdigest()[:24]}@example.com>\r\n\r\n"
        "Invoice 2026/0001 is overdue.\r\n"
    ).encode()
    return Outgoing.from_eml(key, channel, content)


class MemoryChannel(BaseChannel):
    """A channel that keeps messages in memory: ``sent`` (delivered, in order), ``attempts``
    (every call to `send`), ``duplicates`` (sends of a key already sent or in doubt, which
    deliver nothing) and ``receipts`` (by key). Tell it to fail with `fail`; `closes` counts
    calls to `close`. ``password`` only serves to test that it never shows."""

    name = "memory"
    info: ClassVar[ChannelInfo] = ChannelInfo(
        name="memory",
        kinds=("email", "pec", "sms", "postal"),
        schemes={"memory": {}},
        options=(
            Option("user", doc="ignored (to test settings)"),
            Option("password", "secret", doc="ignored; never shown (to test redaction)"),
        ),
        doc="Keeps messages in memory, for tests; can be told to fail (dunning.testing).",
        extra="testing",
    )

    def __init__(
        self,
        *,
        user: str | None = None,
        password: str | Secret | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.user = user
        self.password = Secret(password) if password is not None else None
        self._clock = clock or (lambda: datetime.now(UTC))
        self.sent: list[Outgoing] = []
        self.attempts: list[Outgoing] = []
        self.duplicates: list[Outgoing] = []
        self.receipts: dict[str, Sent] = {}
        self.closes = 0
        self._failures: dict[str, list[tuple[type[ChannelError], bool]]] = {}

    def fail(
        self,
        key: str,
        kind: type[ChannelError] = TemporaryFailure,
        *,
        times: int = 1,
        delivered: bool = False,
    ) -> None:
        """Make the next ``times`` sends of ``key`` raise ``kind`` (`TemporaryFailure`,
        `PermanentFailure` or `InDoubt`); with ``delivered`` the message is kept in ``sent``
        all the same (an `InDoubt` whose message did go)."""
        self._failures.setdefault(key, []).extend([(kind, delivered)] * times)

    @property
    def keys(self) -> list[str]:
        """The keys of the messages delivered, in order."""
        return [m.key for m in self.sent]

    def send(self, message: Outgoing) -> Sent:
        """Deliver ``message`` to memory, or fail as told; a repeated key is a duplicate."""
        self.attempts.append(message)
        if message.key in self.receipts or message.key in self._in_doubt:
            self.duplicates.append(message)
        return super().send(message)

    def deliver(self, message: Outgoing) -> Sent:
        """Keep ``message`` (or raise the failure `fail` planned for its key)."""
        planned = self._failures.get(message.key)
        if planned:
            kind, delivered = planned.pop(0)
            if delivered:
                self.sent.append(message)
            code = {TemporaryFailure: 451, PermanentFailure: 550}.get(kind)
            raise kind(
                "failure planned by the test",
                key=message.key,
                channel=message.channel,
                code=code,
                reply="memory channel" if code else None,
            )
        receipt = Sent(
            key=message.key,
            channel=message.channel,
            accepted_at=self._clock(),
            transport_id=f"memory-{len(self.sent) + 1}",
            detail="kept in memory",
        )
        self.sent.append(message)
        self.receipts[message.key] = receipt
        return receipt

    def close(self) -> None:
        """Count the call; the channel stays usable."""
        self.closes += 1

    def __repr__(self) -> str:
        user = f"{self.user}:***@" if self.user and self.password else ""
        return f"<MemoryChannel memory://{user} sent={len(self.sent)}>"


# -- the conformance suite ---------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def _captured_logs() -> Iterator[list[str]]:
    root = logging.getLogger()
    handler = _Capture()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def check_send(make_channel: Callable[[], Channel], message: Outgoing | None = None) -> Sent:
    """A channel sends ``message`` and returns a `Sent` naming its key and kind, dated with
    a time zone; it is a context manager."""
    message = message or sample_message()
    with make_channel() as channel:
        assert isinstance(channel, Channel), f"{type(channel).__name__} is not a Channel"
        receipt = channel.send(message)
    assert isinstance(receipt, Sent), f"send returned {receipt!r}, not a Sent"
    assert receipt.key == message.key, f"receipt key {receipt.key!r} != {message.key!r}"
    assert receipt.channel == message.channel, f"receipt channel {receipt.channel!r}"
    assert receipt.accepted_at.utcoffset() is not None, "accepted_at has no time zone"
    return receipt


def check_idempotent(make_channel: Callable[[], Channel], message: Outgoing | None = None) -> None:
    """Sending the same key twice through one channel returns the first receipt (and does not
    deliver it again)."""
    message = message or sample_message("dunning-conformance/idempotent")
    with make_channel() as channel:
        first = channel.send(message)
        second = channel.send(message)
    assert second == first, f"a second send of {message.key!r} gave {second!r}, not {first!r}"


def check_close(make_channel: Callable[[], Channel], message: Outgoing | None = None) -> None:
    """`close` can be called twice, before and after sending."""
    channel = make_channel()
    channel.close()
    channel = make_channel()
    channel.send(message or sample_message("dunning-conformance/close"))
    channel.close()
    channel.close()


def _failure(
    make_channel: Callable[[], Channel], message: Outgoing, kind: type[ChannelError]
) -> ChannelError:
    error: ChannelError | None = None
    with make_channel() as channel:
        try:
            channel.send(message)
        except ChannelError as exc:
            error = exc
    if error is None:
        raise AssertionError(f"sending {message.key!r} did not raise {kind.__name__}")
    assert isinstance(error, kind), f"{message.key!r} raised {error!r}, not {kind.__name__}"
    assert error.key == message.key, f"the error names key {error.key!r}, not the message's"
    assert message.key in str(error), f"the error's text does not name the key: {error}"
    return error


def check_permanent_failure(make_channel: Callable[[], Channel], message: Outgoing) -> None:
    """``message`` (one the channel under test refuses for good) raises `PermanentFailure`
    naming its key."""
    _failure(make_channel, message, PermanentFailure)


def check_temporary_failure(make_channel: Callable[[], Channel], message: Outgoing) -> None:
    """``message`` (one the channel under test cannot send for now) raises `TemporaryFailure`
    naming its key, once the channel's own retries are spent."""
    _failure(make_channel, message, TemporaryFailure)


def check_no_secret(
    make_channel: Callable[[], Channel],
    secret: str,
    *,
    message: Outgoing | None = None,
    failing: tuple[Outgoing, ...] = (),
) -> None:
    """``secret`` (a sentinel password the factory configured) appears in no ``repr`` or
    ``str`` of the channel, its receipts and its errors, and in no log record."""
    texts: list[str] = []
    with _captured_logs() as logs, make_channel() as channel:
        texts += [repr(channel), str(channel)]
        receipt = channel.send(message or sample_message("dunning-conformance/secret"))
        texts += [repr(receipt), str(receipt)]
        for bad in failing:
            try:
                channel.send(bad)
            except ChannelError as exc:
                texts += [repr(exc), str(exc), repr(exc.args)]
    texts += logs
    leaks = [t for t in texts if secret in t]
    assert not leaks, f"the secret shows in: {leaks[0]!r}"


def check_channel(
    make_channel: Callable[[], Channel],
    *,
    message: Callable[[str], Outgoing] = sample_message,
    permanent: Outgoing | None = None,
    temporary: Outgoing | None = None,
    secret: str | None = None,
) -> None:
    """Run the whole conformance suite on the channels ``make_channel()`` makes: send,
    idempotency, close, redaction of ``secret`` (when given), and the failure classes for a
    ``permanent`` and a ``temporary`` message (when given). Raises `AssertionError`.

    >>> from dunning.testing import MemoryChannel, check_channel, sample_message
    >>> def make():
    ...     channel = MemoryChannel(user="crediti", password="sentinel-pw")
    ...     channel.fail("refused", PermanentFailure, times=99)
    ...     channel.fail("later", TemporaryFailure, times=99)
    ...     return channel
    >>> check_channel(make, permanent=sample_message("refused"),
    ...               temporary=sample_message("later"), secret="sentinel-pw")
    """
    check_send(make_channel, message("dunning-conformance/send"))
    check_idempotent(make_channel, message("dunning-conformance/idempotent"))
    check_close(make_channel, message("dunning-conformance/close"))
    if permanent is not None:
        check_permanent_failure(make_channel, permanent)
    if temporary is not None:
        check_temporary_failure(make_channel, temporary)
    if secret is not None:
        failing = tuple(m for m in (permanent, temporary) if m is not None)
        check_no_secret(
            make_channel, secret, message=message("dunning-conformance/secret"), failing=failing
        )


class ChannelContract:
    """The conformance suite as a test class: subclass it in a pytest module (as
    ``TestMyChannel``), override `make_channel`, and the failure messages and ``secret`` your
    channel can produce; a check whose input is not given passes without running.

    .. code-block:: python

        class TestAcmeSMS(ChannelContract):
            secret = "sentinel-token"

            def make_channel(self):
                return AcmeSMS(token=self.secret, url=self.server_url)
    """

    #: a sentinel password the channel of `make_channel` is configured with
    secret: ClassVar[str | None] = None

    def make_channel(self) -> Channel:
        """A new channel to test."""
        raise NotImplementedError("override make_channel in your subclass")

    def make_message(self, key: str) -> Outgoing:
        """A message the channel can deliver, with idempotency key ``key``."""
        return sample_message(key)

    def permanent_failure(self) -> Outgoing | None:
        """A message the channel refuses for good (None: not tested)."""
        return None

    def temporary_failure(self) -> Outgoing | None:
        """A message the channel cannot send for now (None: not tested)."""
        return None

    def test_send(self) -> None:
        check_send(self.make_channel, self.make_message("dunning-conformance/send"))

    def test_idempotent(self) -> None:
        check_idempotent(self.make_channel, self.make_message("dunning-conformance/idempotent"))

    def test_close(self) -> None:
        check_close(self.make_channel, self.make_message("dunning-conformance/close"))

    def test_permanent_failure(self) -> None:
        message = self.permanent_failure()
        if message is not None:
            check_permanent_failure(self.make_channel, message)

    def test_temporary_failure(self) -> None:
        message = self.temporary_failure()
        if message is not None:
            check_temporary_failure(self.make_channel, message)

    def test_no_secret(self) -> None:
        if self.secret is not None:
            failing = tuple(
                m for m in (self.permanent_failure(), self.temporary_failure()) if m is not None
            )
            check_no_secret(
                self.make_channel,
                self.secret,
                message=self.make_message("dunning-conformance/secret"),
                failing=failing,
            )
