"""E-mail (and PEC submission) over SMTP, with the standard library only (`smtplib`, `ssl`).

>>> from dunning.channels import open_channel
>>> channel = open_channel("smtps://crediti@mail.example.com", password="s3cret", timeout=20)
>>> print(channel)
smtps://crediti:***@mail.example.com?timeout=20.0

Security by default: the connection is encrypted (``smtp+starttls://`` upgrades a plain
connection and refuses to go on if the server does not offer STARTTLS; ``smtps://`` is TLS
from the first byte) and the server's certificate is verified against the system's CAs (or
``cafile``). ``verify=false`` turns verification off: it is logged as a warning every time a
connection is opened, and shown in the channel's ``repr``. Plain ``smtp://`` is for a relay
on the same machine (loopback) unless ``allow_plain=true``, and never carries a password to
another machine.

One connection serves a whole batch; a connection the server closed while idle is opened
again. A temporary failure (a ``4xx`` reply, a timeout, a connection refused or lost before
the server had the message) is retried ``retries`` times, waiting ``backoff`` seconds, then
twice as long each time (at most 60 s), less a random part of up to a half (jitter) so that
many senders do not retry in step. A ``5xx`` reply is a `PermanentFailure` with the code and
the server's text. A connection lost after the message's data was sent raises `InDoubt` and
is never retried.

When a server refuses some recipients and accepts others, the message goes to those accepted
and the receipt lists the refused ones in `Sent.refused` (a warning is logged); when it
refuses them all, nothing is sent: a `PermanentFailure`, or a `TemporaryFailure` when one of
the refusals was temporary.
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from ..erase import redact_text
from ._net import backoff, is_loopback, tls_context
from .base import (
    BaseChannel,
    ChannelConfigError,
    ChannelError,
    InDoubt,
    Outgoing,
    PermanentFailure,
    Secret,
    Sent,
    TemporaryFailure,
    TLSFailure,
)
from .registry import ChannelInfo, Option

__all__ = ["SMTPChannel"]

logger = logging.getLogger("dunning.channels.smtp")

_SCHEME = {"none": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}
_PORT = {"none": 25, "starttls": 587, "tls": 465}
_QUEUED = re.compile(r"queued as\s+<?([A-Za-z0-9._@-]+)>?", re.IGNORECASE)
_EOL = re.compile(rb"\r\n|\n|\r(?!\n)")


def _now() -> datetime:
    return datetime.now(UTC)


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def _payload(content: bytes) -> bytes:
    """``content`` as the DATA of an SMTP transaction: CRLF line ends, leading dots doubled,
    ended by ``CRLF.CRLF``."""
    data = _EOL.sub(b"\r\n", content)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class _ConnectionLost(TemporaryFailure):
    """The connection broke before the server had the message (safe to send again)."""


class SMTPChannel(BaseChannel):
    """Send e-mail through an SMTP server: see the module's documentation and
    ``docs/channels.md`` for the settings. Not thread-safe: one channel per thread."""

    name = "smtp"
    info: ClassVar[ChannelInfo] = ChannelInfo(
        name="smtp",
        kinds=("email", "pec"),
        schemes={
            "smtp+starttls": {"security": "starttls", "port": 587},
            "smtps": {"security": "tls", "port": 465},
            "smtp": {"security": "none", "port": 25},
        },
        options=(
            Option("host", required=True, doc="the SMTP server's name or address"),
            Option("port", "int", doc="its port: 587 for STARTTLS, 465 for TLS, 25 plain"),
            Option("security", default="starttls", doc="`starttls`, `tls` or `none` (the scheme)"),
            Option("user", doc="the login; when given, the channel authenticates (AUTH)"),
            Option("password", "secret", doc="the login's password (or `password_env=VARIABLE`)"),
            Option("verify", "bool", True, doc="verify the server's TLS certificate"),
            Option("cafile", "path", doc="CA certificates to verify with instead of the system's"),
            Option("timeout", "float", 30.0, doc="seconds to wait to connect and for each reply"),
            Option(
                "mail_from",
                aliases=("from",),
                doc="envelope sender (MAIL FROM), e.g. a bounce mailbox; else the message's",
            ),
            Option("retries", "int", 3, doc="further attempts after a temporary failure"),
            Option("backoff", "float", 1.0, doc="seconds before the first retry, then doubled"),
            Option("allow_plain", "bool", False, doc="allow `smtp://` to a host off loopback"),
            Option("local_hostname", doc="the name to give in EHLO (default: this machine's)"),
        ),
        doc="E-mail and PEC submission over SMTP, STARTTLS or implicit TLS (standard library).",
    )

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        security: str = "starttls",
        user: str | None = None,
        password: str | Secret | None = None,
        verify: bool = True,
        cafile: str | Path | None = None,
        timeout: float = 30.0,
        mail_from: str | None = None,
        retries: int = 3,
        backoff: float = 1.0,
        allow_plain: bool = False,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _now,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        where = f"smtp channel to {host!r}"
        if security not in _SCHEME:
            raise ChannelConfigError(f"{where}: security must be starttls, tls or none")
        if not host:
            raise ChannelConfigError("smtp channel: option 'host' is required")
        if password is not None and not isinstance(password, Secret):
            password = Secret(password)
        if user and not password:
            raise ChannelConfigError(
                f"{where}: user {user!r} has no password (password= or password_env=VARIABLE)"
            )
        if password and not user:
            raise ChannelConfigError(f"{where}: a password was given without a user")
        loopback = is_loopback(host)
        if security == "none" and user and not loopback:
            raise ChannelConfigError(
                f"{where}: refusing to send a password over an unencrypted connection; "
                "use smtp+starttls:// or smtps://"
            )
        if security == "none" and not loopback and not allow_plain:
            raise ChannelConfigError(
                f"{where}: plain smtp:// is only for a relay on loopback; use smtp+starttls:// "
                "or smtps://, or set allow_plain=true for a trusted network"
            )
        if timeout <= 0 or retries < 0 or backoff < 0:
            raise ChannelConfigError(f"{where}: timeout must be > 0, retries and backoff >= 0")
        self.host = host
        self.port = port or _PORT[security]
        self.security = security
        self.user = user or None
        self.password = password
        self.verify = verify
        self.cafile = Path(cafile) if cafile is not None else None
        self.timeout = timeout
        self.mail_from = mail_from
        self.retries = retries
        self.backoff = backoff
        self.allow_plain = allow_plain
        self.local_hostname = local_hostname
        self._context = ssl_context
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._conn: smtplib.SMTP | None = None
        #: how many connections this channel opened (one per batch, unless the server closes)
        self.connections = 0

    # -- showing it ------------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "user": self.user,
            "password": self.password,
            "verify": self.verify,
            "cafile": self.cafile,
            "timeout": self.timeout,
            "mail_from": self.mail_from,
            "retries": self.retries,
            "backoff": self.backoff,
            "allow_plain": self.allow_plain,
            "local_hostname": self.local_hostname,
        }

    def __str__(self) -> str:
        return str(self.info.url(_SCHEME[self.security], self._options()))

    def __repr__(self) -> str:
        loud = "" if self.verify else " INSECURE: the server's certificate is not verified"
        return f"<SMTPChannel {self}{loud}>"

    # -- the connection --------------------------------------------------------------------

    def _ssl_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = tls_context(self.cafile, self.verify)
        return self._context

    def _scrub(self, text: str) -> str:
        if self.password and self.password.reveal() in text:
            text = text.replace(self.password.reveal(), "***")
        return text

    def _error(
        self,
        kind: type[ChannelError],
        message: str,
        outgoing: Outgoing | None,
        code: int | None = None,
        reply: bytes | str | None = None,
    ) -> ChannelError:
        return kind(
            self._scrub(message),
            key=outgoing.key if outgoing else None,
            channel=outgoing.channel if outgoing else "smtp",
            code=code,
            reply=self._scrub(_text(reply)) if reply is not None else None,
        )

    def _by_code(
        self, code: int, reply: bytes | str, message: str, outgoing: Outgoing | None
    ) -> ChannelError:
        kind = TemporaryFailure if 400 <= code < 500 else PermanentFailure
        return self._error(kind, message, outgoing, code, reply)

    def _open(self, outgoing: Outgoing | None = None) -> smtplib.SMTP:
        """Connect, encrypt, log in; raises a `ChannelError`."""
        where = f"{self.host}:{self.port}"
        if self.security != "none" and not self.verify:
            logger.warning(
                "NOT verifying the TLS certificate of %s: anyone on the way can read and change "
                "the messages and the password (verify=false)",
                where,
            )
        conn: smtplib.SMTP | None = None
        try:
            if self.security == "tls":
                conn = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self._ssl_context(),
                )
            else:
                conn = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
            code, reply = conn.ehlo()
            if code != 250:
                raise self._by_code(code, reply, f"{where} refused EHLO", outgoing)
            if self.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise self._error(
                        TLSFailure,
                        f"{where} does not offer STARTTLS; not going on in plain text",
                        outgoing,
                    )
                code, reply = conn.starttls(context=self._ssl_context())
                conn.ehlo()
            if self.user and self.password:
                conn.login(self.user, self.password.reveal())
        except ChannelError:
            _abandon(conn)
            raise
        except ssl.SSLCertVerificationError as exc:
            _abandon(conn)
            raise self._error(
                TLSFailure,
                f"the TLS certificate of {where} did not verify: {exc.verify_message} "
                "(give the CA with cafile=, or fix the server's certificate)",
                outgoing,
            ) from None
        except ssl.SSLError as exc:
            _abandon(conn)
            raise self._error(
                TLSFailure, f"no TLS connection to {where}: {exc.reason or exc}", outgoing
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            _abandon(conn)
            raise self._by_code(
                exc.smtp_code,
                exc.smtp_error,
                f"{where} refused the login of user {self.user!r}",
                outgoing,
            ) from None
        except smtplib.SMTPResponseException as exc:
            _abandon(conn)
            raise self._by_code(
                exc.smtp_code, exc.smtp_error, f"{where} refused the connection", outgoing
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            _abandon(conn)
            what = "timed out" if _timed_out(exc) else "failed"
            raise self._error(
                _ConnectionLost, f"connection to {where} {what}: {exc}", outgoing
            ) from None
        except smtplib.SMTPException as exc:  # before OSError, its base class
            _abandon(conn)
            raise self._error(PermanentFailure, f"{where}: {exc}", outgoing) from None
        except OSError as exc:
            _abandon(conn)
            what = "timed out" if _timed_out(exc) else "failed"
            raise self._error(
                _ConnectionLost, f"connection to {where} {what}: {exc}", outgoing
            ) from None
        self.connections += 1
        logger.info(
            "connected to %s (%s%s)",
            where,
            {"none": "plain", "starttls": "STARTTLS", "tls": "TLS"}[self.security],
            f", as {self.user}" if self.user else "",
        )
        return conn

    def _drop(self) -> None:
        _abandon(self._conn)
        self._conn = None

    def close(self) -> None:
        """Say QUIT and close the connection; harmless when there is none."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                conn.quit()
            _abandon(conn)

    # -- sending ---------------------------------------------------------------------------

    def _delay(self, attempt: int) -> float:
        return backoff(self.backoff, attempt, self._rng)

    def deliver(self, message: Outgoing) -> Sent:
        """Send ``message``, retrying temporary failures; see the module's documentation."""
        attempt = 0
        while True:
            try:
                return self._attempt(message)
            except TemporaryFailure as exc:
                if attempt >= self.retries:
                    raise
                delay = self._delay(attempt)
                attempt += 1
                logger.warning(
                    "%s; retry %d of %d in %.1f s",
                    redact_text(str(exc)),
                    attempt,
                    self.retries,
                    delay,
                )
                self._sleep(delay)

    def _attempt(self, message: Outgoing) -> Sent:
        reused = self._conn is not None
        try:
            if self._conn is None:
                self._conn = self._open(message)
            return self._transaction(self._conn, message)
        except _ConnectionLost as lost:
            self._drop()
            if not reused:
                raise TemporaryFailure(lost.message, key=lost.key, channel=lost.channel) from None
        # the server closed the connection while it was idle: open a new one at once
        logger.info("the connection to %s:%s was closed; opening a new one", self.host, self.port)
        try:
            self._conn = self._open(message)
            return self._transaction(self._conn, message)
        except _ConnectionLost as lost:
            self._drop()
            raise TemporaryFailure(lost.message, key=lost.key, channel=lost.channel) from None

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _transaction(self, conn: smtplib.SMTP, message: Outgoing) -> Sent:
        where = f"{self.host}:{self.port}"
        sender = self.mail_from or message.sender
        options: list[str] = []
        if not message.content.isascii() and conn.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if not all(a.isascii() for a in (sender, *message.recipients)):
            if not conn.has_extn("smtputf8"):
                raise self._error(
                    PermanentFailure,
                    f"{where} does not accept non-ASCII addresses (no SMTPUTF8)",
                    message,
                )
            options.append("SMTPUTF8")
        try:
            code, reply = conn.mail(sender, options)
            if code != 250:
                self._reset(conn)
                raise self._by_code(code, reply, f"sender {sender!r} refused", message)
            accepted: list[str] = []
            refused: list[tuple[str, int, str]] = []
            for recipient in message.recipients:
                code, reply = conn.rcpt(recipient)
                if code in (250, 251):
                    accepted.append(recipient)
                else:
                    refused.append((recipient, code, _text(reply)))
            if not accepted:
                self._reset(conn)
                temporary = any(400 <= code < 500 for _, code, _ in refused)
                first = refused[0]
                raise self._error(
                    TemporaryFailure if temporary else PermanentFailure,
                    "every recipient refused: "
                    + "; ".join(f"{r} ({c} {t})" for r, c, t in refused),
                    message,
                    first[1],
                    first[2],
                )
            code, reply = conn.docmd("DATA")
            if code != 354:
                self._reset(conn)
                raise self._by_code(code, reply, "DATA refused", message)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            what = "timed out" if _timed_out(exc) else "lost"
            raise self._error(
                _ConnectionLost, f"connection to {where} {what} before the message: {exc}", message
            ) from None
        # from here on the server may have the message: a broken connection is in doubt
        try:
            conn.send(_payload(message.content))
            code, reply = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            logger.error("message %r in doubt: connection to %s lost", message.key, where)
            raise self._error(
                InDoubt,
                f"connection to {where} {'timed out' if _timed_out(exc) else 'lost'} after the "
                "message was sent and before the "
                f"server's reply ({exc}): it may or may not have been delivered, and it is not "
                f"sent again; check the server's log for Message-ID {message.message_id or '?'}",
                message,
            ) from None
        if code != 250:
            self._reset(conn)
            raise self._by_code(code, reply, "message refused", message)
        text = _text(reply)
        found = _QUEUED.search(text)
        if refused:
            logger.warning(
                "message %r sent, but %s refused %s",
                message.key,
                where,
                redact_text(", ".join(f"{r} ({c} {t})" for r, c, t in refused)),
            )
        logger.info("message %r accepted by %s: %s", message.key, where, redact_text(text))
        return Sent(
            key=message.key,
            channel=message.channel,
            accepted_at=self._clock(),
            transport_id=found.group(1) if found else "",
            detail=f"{code} {text}",
            refused=tuple((r, f"{c} {t}") for r, c, t in refused),
        )


def _timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is a timeout (smtplib wraps one in `SMTPServerDisconnected`)."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _abandon(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        with contextlib.suppress(OSError):
            conn.close()
