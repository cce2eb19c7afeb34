"""Reading a mailbox over IMAP: the messages' bytes, with their UIDs, and nothing deleted.

The PEC receipts and the bounces come back to a mailbox. `IMAPMailbox` reads one folder of it
over `imaplib`, with a timeout on every network operation, TLS with certificate verification by
default and the password kept in a `Secret`:

>>> box = IMAPMailbox.from_url(
...     "imaps://crediti@imap.example.it/Ricevute%20PEC?password_env=PEC_PASSWORD",
...     password="s3cret")
>>> print(box)
imaps://crediti@imap.example.it:993/Ricevute%20PEC
>>> box.password
'***'

The settings string is ``imaps://USER@HOST[:PORT]/MAILBOX?name=value&...`` (``imaps``: TLS
from the first byte, port 993 by default), or ``imap://`` (no TLS, port 143 by default), which
is accepted only for a server on this machine (``localhost``, ``127.0.0.1``, ``::1``). The
query takes:

- ``password_env=VARIABLE``: read the password from that environment variable (a password
  written in the string itself is accepted but discouraged, and logged as such);
- ``verify=false``: do not verify the server's certificate (a test server): explicit, and
  logged as a warning each time the mailbox is opened;
- ``cafile=PATH``: trust the certificate authorities in ``PATH`` (a company's own CA);
- ``timeout=SECONDS``: for connecting and for each answer (default 30).

`IMAPMailbox.messages` fetches every message of the folder (or only the unseen ones) as
`Fetched` (UID and bytes) with ``BODY.PEEK[]``, which leaves the ``\\Seen`` flag alone; the
folder is opened read-only. `IMAPMailbox.mark_seen` marks chosen messages as seen, which is all
this module ever writes: nothing is deleted, moved or expunged.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import os
import re
import ssl
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

import attrs

from ..errors import DunningError
from ._net import tls_context
from .base import ChannelConfigError, Secret
from .registry import ChannelURL, redact

__all__ = ["SCHEMES", "Fetched", "IMAPError", "IMAPMailbox"]

logger = logging.getLogger("dunning.channels.imap")

#: The schemes a mailbox is opened with, and their default ports.
SCHEMES = {"imaps": 993, "imap": 143}
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_OPTIONS = ("password", "password_env", "verify", "cafile", "timeout")


class IMAPError(DunningError):
    """The mailbox cannot be read: the server cannot be reached, refuses the login or the
    folder, answers with an error, or its certificate cannot be verified. The message names the
    mailbox (without its password) and what to do."""


def _data_repr(value: bytes) -> str:
    return f"<{len(value)} bytes>"


@attrs.frozen
class Fetched:
    """One message of the mailbox: its ``uid`` (unique within the folder while its
    ``uidvalidity`` stays the same), its bytes (``data``, not shown by ``repr``) and
    ``source``, an IMAP URL naming it (RFC 5092, without the password)."""

    uid: int
    data: bytes = attrs.field(repr=_data_repr)
    source: str = ""
    uidvalidity: int = 0


def _bool(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise ChannelConfigError(f"IMAP mailbox: option {name!r} must be true or false, got {text!r}")


def _utf7(name: str) -> str:
    """``name`` in IMAP's modified UTF-7 (RFC 3501 §5.1.3), as a mailbox name is sent."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ","))
            out.append("-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quoted(name: str) -> str:
    text = _utf7(name)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check_plain(host: str, tls: bool) -> None:
    if not tls and host.lower().strip("[]") not in _LOOPBACK:
        raise ChannelConfigError(
            f"IMAP mailbox on {host}: imap:// (no TLS) is accepted only for a server on "
            "this machine (localhost); use imaps://"
        )


class IMAPMailbox:
    """One folder of an IMAP mailbox, read with `messages` and, optionally, marked with
    `mark_seen`. Use it as a context manager (or call `close`): the connection is opened on
    first use and logged out at the end.

    ``tls``: TLS from the first byte (``imaps``); without it only a loopback host is accepted.
    ``verify``: verify the server's certificate and name (the default); ``cafile``: extra
    certificate authorities; ``ssl_context``: a ready `ssl.SSLContext` instead of both.
    ``timeout``: seconds, for connecting and for each answer.
    """

    def __init__(
        self,
        host: str,
        user: str,
        password: Secret | str,
        *,
        mailbox: str = "INBOX",
        port: int | None = None,
        tls: bool = True,
        verify: bool = True,
        cafile: str | os.PathLike[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not host:
            raise ChannelConfigError("IMAP mailbox: no host")
        if not user:
            raise ChannelConfigError(f"IMAP mailbox on {host}: no user")
        _check_plain(host, tls)
        if timeout <= 0:
            raise ChannelConfigError(f"IMAP mailbox on {host}: timeout must be positive")
        self.host = host
        self.user = user
        self.password = password if isinstance(password, Secret) else Secret(password)
        if not self.password:
            raise ChannelConfigError(
                f"IMAP mailbox {user}@{host}: no password (give password_env=VARIABLE)"
            )
        self.mailbox = mailbox or "INBOX"
        self.tls = tls
        self.port = port or SCHEMES["imaps" if tls else "imap"]
        self.verify = verify
        self.cafile = None if cafile is None else Path(cafile)
        self.ssl_context = ssl_context
        self.timeout = float(timeout)
        self._conn: imaplib.IMAP4 | None = None
        self._writable = False
        self.uidvalidity = 0

    @classmethod
    def from_url(
        cls, url: str, *, password: Secret | str | None = None, **kwargs: object
    ) -> IMAPMailbox:
        """The mailbox a settings string names (see the module's documentation);
        ``password`` and ``kwargs`` (``ssl_context``, ``timeout``...) override it. Raises
        `ChannelConfigError` (without the password) for a bad string."""
        parsed = ChannelURL.parse(url)
        if parsed.scheme not in SCHEMES:
            raise ChannelConfigError(
                f"{redact(url)!r}: an IMAP mailbox is imaps://user@host/MAILBOX "
                "(or imap:// on this machine)"
            )
        _check_plain(parsed.host, parsed.scheme == "imaps")
        params: dict[str, str] = {}
        for name, value in parsed.params:
            if name not in _OPTIONS:
                raise ChannelConfigError(
                    f"IMAP mailbox: unknown option {name!r}; known: {', '.join(_OPTIONS)}"
                )
            params[name] = value.reveal() if isinstance(value, Secret) else value
        secret: Secret | None = None
        if password is not None:
            secret = Secret(password)
        elif "password_env" in params:
            variable = params["password_env"]
            if variable not in os.environ:
                raise ChannelConfigError(
                    f"IMAP mailbox: the password is to be read from the environment variable "
                    f"{variable!r}, which is not set"
                )
            secret = Secret(os.environ[variable])
        elif parsed.password is not None or "password" in params:
            logger.warning(
                "IMAP mailbox: a password in the settings string is discouraged; "
                "use password_env=VARIABLE"
            )
            secret = parsed.password or Secret(params["password"])
        if secret is None:
            raise ChannelConfigError(
                f"IMAP mailbox {parsed.user}@{parsed.host}: no password; add "
                "?password_env=VARIABLE naming the environment variable that holds it"
            )
        options: dict[str, object] = {}
        if "verify" in params:
            options["verify"] = _bool("verify", params["verify"])
        if "cafile" in params:
            options["cafile"] = params["cafile"]
        if "timeout" in params:
            try:
                options["timeout"] = float(params["timeout"])
            except ValueError:
                raise ChannelConfigError(
                    f"IMAP mailbox: timeout must be a number of seconds, got {params['timeout']!r}"
                ) from None
        options.update(kwargs)
        return cls(
            parsed.host,
            parsed.user,
            secret,
            mailbox=parsed.path or "INBOX",
            port=parsed.port,
            tls=parsed.scheme == "imaps",
            **options,  # type: ignore[arg-type]
        )

    @property
    def url(self) -> str:
        """The mailbox as a settings string, without the password."""
        scheme = "imaps" if self.tls else "imap"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{quote(self.user, safe='')}@{host}:{self.port}/{quote(self.mailbox)}"

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"IMAPMailbox({self.url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _context(self) -> ssl.SSLContext:
        if self.ssl_context is not None:
            return self.ssl_context
        context = tls_context(self.cafile, self.verify)
        if not self.verify:
            logger.warning(
                "IMAP mailbox %s: the server's certificate is NOT verified (verify=false): "
                "anyone on the way can read the mailbox and its password",
                self.url,
            )
        return context

    def _fail(self, what: str, exc: BaseException | str) -> IMAPError:
        text = exc if isinstance(exc, str) else (str(exc) or type(exc).__name__)
        return IMAPError(f"{self.url}: {what}: {redact(text)}")

    def _connect(self, writable: bool) -> imaplib.IMAP4:
        if self._conn is not None and (self._writable or not writable):
            return self._conn
        if self._conn is not None:  # re-open the folder read-write
            self._select(self._conn, writable)
            return self._conn
        try:
            if self.tls:
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=self._context(), timeout=self.timeout
                )
            else:
                conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        except ssl.SSLCertVerificationError as exc:
            raise self._fail(
                "the server's certificate cannot be verified "
                "(trust its authority with cafile=PATH, or, for a test server only, verify=false)",
                exc.verify_message or exc,
            ) from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise self._fail("cannot connect", exc) from None
        try:
            try:
                conn.login(self.user, self.password.reveal())
            except imaplib.IMAP4.error as exc:
                raise self._fail(f"the server refuses the login of {self.user!r}", exc) from None
            self._select(conn, writable)
        except BaseException:
            _logout(conn)
            raise
        self._conn = conn
        return conn

    def _select(self, conn: imaplib.IMAP4, writable: bool) -> None:
        try:
            status, data = conn.select(_quoted(self.mailbox), readonly=not writable)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise self._fail(f"cannot open the folder {self.mailbox!r}", exc) from None
        if status != "OK":
            raise self._fail(f"cannot open the folder {self.mailbox!r}", _text(data))
        self._writable = writable
        try:
            _, values = conn.response("UIDVALIDITY")
            self.uidvalidity = int(values[0]) if values and values[0] else 0
        except (ValueError, TypeError):
            self.uidvalidity = 0

    def _command(self, conn: imaplib.IMAP4, *args: str) -> list[object]:
        try:
            status, data = conn.uid(*args)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise self._fail(f"UID {args[0]} failed", exc) from None
        if status != "OK":
            raise self._fail(f"UID {args[0]} failed", _text(data))
        return list(data)

    def uids(self, *, unseen: bool = False) -> list[int]:
        """The UIDs of the folder's messages (only the unseen ones with ``unseen``), in order."""
        conn = self._connect(writable=False)
        data = self._command(conn, "SEARCH", "UNSEEN" if unseen else "ALL")
        found: list[int] = []
        for chunk in data:
            if isinstance(chunk, bytes):
                found.extend(int(n) for n in chunk.split())
        return sorted(found)

    def messages(self, *, unseen: bool = False) -> Iterator[Fetched]:
        """Every message of the folder (only the unseen ones with ``unseen``), oldest UID
        first, fetched one at a time without changing its flags."""
        for uid in self.uids(unseen=unseen):
            data = self.fetch(uid)
            if data is not None:
                yield data

    def fetch(self, uid: int) -> Fetched | None:
        """The message with ``uid`` (None if it is gone), without changing its flags."""
        conn = self._connect(writable=False)
        data = self._command(conn, "FETCH", str(int(uid)), "(BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return Fetched(uid, item[1], self._source(uid), self.uidvalidity)
        return None

    def _source(self, uid: int) -> str:
        validity = f";UIDVALIDITY={self.uidvalidity}" if self.uidvalidity else ""
        return f"{self.url}{validity}/;UID={uid}"

    def mark_seen(self, uids: Iterable[int]) -> int:
        """Set ``\\Seen`` on the messages with these UIDs; returns how many. Nothing else is
        ever changed."""
        wanted = sorted({int(u) for u in uids})
        if not wanted:
            return 0
        conn = self._connect(writable=True)
        self._command(conn, "STORE", ",".join(map(str, wanted)), "+FLAGS.SILENT", "(\\Seen)")
        return len(wanted)

    def close(self) -> None:
        """Log out (the folder is closed without expunging anything)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            _logout(conn)


def _logout(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (OSError, imaplib.IMAP4.error):
        with contextlib.suppress(OSError):
            conn.shutdown()


_CONTROL = re.compile(r"[\x00-\x1f]")


def _text(data: object) -> str:
    parts = data if isinstance(data, list) else [data]
    text = " ".join(p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p) for p in parts)
    return _CONTROL.sub(" ", text).strip() or "no reason given"
