"""SMS through a gateway: a generic HTTP JSON adapter (standard library only), an optional
adapter over `apprise`, and the delivery reports that come back.

The outbox writes each SMS as a ``.json`` file (``key``, ``to``, ``sender``, ``text``,
``encoding``, ``segments``, ``language``); `sms_outgoing` turns those bytes into the
`Outgoing` a channel sends, whose ``content`` is the same JSON:

>>> message = sms_outgoing(b'{"key": "C001/reminder-1/sms", "to": "+393331234567", '
...                        b'"sender": "Tipografia", "text": "Saldo scaduto.", "segments": 1}')
>>> message.key, message.recipients, message.sender, message.channel
('C001/reminder-1/sms', ('+393331234567',), 'Tipografia', 'sms')

>>> from dunning.channels import open_channel
>>> channel = open_channel("sms+https://api.example.com/v1/send?timeout=10", token="t0ken")
>>> print(channel)
sms+https://api.example.com/v1/send?token=***&timeout=10.0

The HTTP channel POSTs one JSON object per message to the gateway: the number, the sender id,
the text and the message's idempotency key as the client reference (so a gateway that dedupes
by reference never sends the same SMS twice), each under a configurable field name. Before
anything leaves, the SMS is checked: one recipient in E.164 form (``+`` and 8 to 15 digits),
an alphanumeric sender id the networks take (`dunning.gsm.sender_error`), a text that still
fits the segments the reviewed JSON announced.

A ``2xx`` reply is a `Sent` (its ``transport_id`` read from the reply's ``id_field``); a
``429``, ``408`` or ``5xx`` reply, a timeout or a refused connection before the request was
sent are temporary failures, retried with backoff (a ``Retry-After`` is respected); any other
``4xx`` is a `PermanentFailure` carrying the gateway's message; a connection lost (or a reply
that never came) after the request was sent is `InDoubt`, unless ``dedupe=true`` says the
gateway drops a second request with the same reference, when it is retried.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import hashlib
import http.client
import importlib
import json
import logging
import random
import re
import ssl
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from ..erase import redact_text
from ..events import DeliveryConfirmed, DeliveryFailed, Event
from ..gsm import segments as count_segments
from ..gsm import sender_error
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
from .registry import APPRISE_SCHEMES, ChannelInfo, ChannelURL, Option

__all__ = [
    "APPRISE_SCHEMES",
    "DELIVERED",
    "FAILED",
    "AppriseSMSChannel",
    "HTTPSMSChannel",
    "check_sms",
    "read_delivery_report",
    "sms_outgoing",
]

logger = logging.getLogger("dunning.channels.sms")

#: a ``Retry-After`` longer than this (seconds) is not waited for: the send fails for now
MAX_RETRY_AFTER = 300.0
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")

#: delivery report statuses that prove delivery (compared case-insensitively)
DELIVERED = frozenset({"delivered", "delivrd", "delivered_to_handset", "success"})
#: delivery report statuses that prove the SMS will not arrive
FAILED = frozenset(
    {"failed", "undelivered", "undeliv", "rejected", "rejectd", "expired", "deleted", "error"}
)


def _now() -> datetime:
    return datetime.now(UTC)


# -- the message ----------------------------------------------------------------------------


def sms_outgoing(data: bytes | str | Mapping[str, Any], key: str | None = None) -> Outgoing:
    """The `Outgoing` for an SMS ``.json`` file of the outbox (its bytes, text or parsed
    object): ``key`` (else the file's), recipient ``to``, sender ``sender``, and as content
    the JSON itself (re-encoded as UTF-8 when given parsed)."""
    if isinstance(data, Mapping):
        fields = dict(data)
        content = json.dumps(fields, ensure_ascii=False).encode("utf-8")
    else:
        content = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        fields = _fields(content, key or "?")
    key = key or str(fields.get("key") or "")
    if not key:
        raise ValueError("an SMS without a key: give key= or a 'key' field")
    return Outgoing(key, "sms", str(fields.get("to", "")), str(fields.get("sender", "")), content)


def _fields(content: bytes, key: str) -> dict[str, Any]:
    try:
        fields = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"SMS {key!r}: the content is not JSON ({exc})") from None
    if not isinstance(fields, dict):
        raise ValueError(f"SMS {key!r}: the content is not a JSON object")
    return fields


def check_sms(message: Outgoing) -> dict[str, Any]:
    """The SMS in ``message`` (its JSON content) after checking that it can go: a key that
    matches, one E.164 recipient, an alphanumeric sender id (or a number), a text that is not
    empty and fits the segments the JSON says. Raises `PermanentFailure` saying what is wrong.

    >>> check_sms(sms_outgoing({"key": "K", "to": "3331234567", "sender": "Tipografia",
    ...                         "text": "x"}))
    Traceback (most recent call last):
    ...
    dunning.channels.base.PermanentFailure: sms 'K': the number '3331234567' is not in E.164 form (+ country code and number, e.g. +393331234567)
    """  # noqa: E501

    def bad(why: str) -> PermanentFailure:
        return PermanentFailure(why, key=message.key, channel=message.channel)

    try:
        fields = _fields(message.content, message.key)
    except ValueError as exc:
        raise bad(str(exc).split(": ", 1)[-1]) from None
    if fields.get("key") not in (None, message.key):
        raise bad(f"the JSON is for key {fields['key']!r}")
    if len(message.recipients) != 1:
        raise bad(f"an SMS goes to one number, not {len(message.recipients)}")
    to = message.recipients[0]
    if not _E164.fullmatch(to):
        raise bad(
            f"the number {to!r} is not in E.164 form (+ country code and number, "
            "e.g. +393331234567)"
        )
    if fields.get("to") not in (None, to):
        raise bad(f"the JSON is for number {fields['to']!r}, not {to!r}")
    sender = str(fields.get("sender") or message.sender)
    if sender and not _E164.fullmatch(sender):
        why = sender_error(sender)
        if why is not None:
            raise bad(f"sender id {sender!r}: {why}")
    text = fields.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad("the SMS has no text")
    announced = fields.get("segments")
    counted = count_segments(text)
    if isinstance(announced, int) and counted.count > announced:
        raise bad(
            f"the text takes {counted.count} segments ({counted.encoding}), "
            f"more than the {announced} reviewed"
        )
    return {"key": message.key, "to": to, "sender": sender, "text": text}


# -- delivery reports -----------------------------------------------------------------------


def _reports(data: bytes | str | Mapping[str, Any] | Iterable[Any]) -> list[Mapping[str, Any]]:
    parsed: Any = data
    if isinstance(data, bytes | str):
        try:
            parsed = json.loads(data)
        except ValueError as exc:
            raise ValueError(f"the delivery report is not JSON: {exc}") from None
    if isinstance(parsed, Mapping):
        for name in ("reports", "results", "data"):
            if isinstance(parsed.get(name), list):
                parsed = parsed[name]
                break
        else:
            parsed = [parsed]
    items = list(parsed)
    if not all(isinstance(item, Mapping) for item in items):
        raise ValueError("a delivery report is a JSON object, or a list of them")
    return items


def _day(value: Any, default: date | None) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).date()
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    if default is None:
        raise ValueError(f"the delivery report has no readable timestamp ({value!r})")
    return default


def read_delivery_report(
    data: bytes | str | Mapping[str, Any] | Iterable[Any],
    keys: Mapping[str, str],
    *,
    reference_field: str = "reference",
    status_field: str = "status",
    timestamp_field: str = "timestamp",
    error_field: str = "error",
    today: date | None = None,
) -> list[Event]:
    """The events that a gateway's delivery report records, given ``keys``: the idempotency
    key of each SMS sent (the client reference the channel gave the gateway) → the debtor's
    id.

    A report is a JSON object ``{"reference": key, "status": ..., "timestamp": ISO 8601,
    "error": ...}``, a list of them, or an object holding the list under ``reports``,
    ``results`` or ``data`` (the field names are arguments). A status in `DELIVERED` gives a
    `dunning.DeliveryConfirmed`, one in `FAILED` a `dunning.DeliveryFailed` with the error as
    reason; both dated on the report's day, with ``channel="sms"``. Other statuses
    (``queued``, ``sent``, ``accepted``…) prove nothing yet and give no event; nor does a
    report for a reference not in ``keys``. A report without a timestamp is dated ``today``
    (else it is an error).

    >>> events = read_delivery_report(
    ...     b'[{"reference": "D1/reminder-1/sms", "status": "DELIVRD",'
    ...     b'  "timestamp": "2026-04-10T09:15:02Z"},'
    ...     b' {"reference": "D2/reminder-1/sms", "status": "failed",'
    ...     b'  "timestamp": "2026-04-10T09:16:00Z", "error": "absent subscriber"}]',
    ...     {"D1/reminder-1/sms": "D1", "D2/reminder-1/sms": "D2"})
    >>> [(type(e).__name__, e.debtor_id, e.date.isoformat()) for e in events]
    [('DeliveryConfirmed', 'D1', '2026-04-10'), ('DeliveryFailed', 'D2', '2026-04-10')]
    >>> events[1].reason
    'SMS failed: absent subscriber'
    """
    events: list[Event] = []
    for report in _reports(data):
        key = str(report.get(reference_field) or "")
        if key not in keys:
            continue
        status = str(report.get(status_field) or "").strip()
        kind = status.lower()
        if kind not in DELIVERED and kind not in FAILED:
            continue
        day = _day(report.get(timestamp_field), today)
        stamp = report.get(timestamp_field) or day.isoformat()
        digest = hashlib.sha256(
            json.dumps(report, sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()
        if kind in DELIVERED:
            events.append(
                DeliveryConfirmed(
                    date=day,
                    debtor_id=keys[key],
                    key=key,
                    channel="sms",
                    evidence=f"SMS delivery report {status} at {stamp} sha256:{digest}",
                )
            )
        else:
            why = str(report.get(error_field) or "no reason given")
            events.append(
                DeliveryFailed(
                    date=day,
                    debtor_id=keys[key],
                    key=key,
                    channel="sms",
                    reason=f"SMS {kind}: {why}",
                )
            )
    return events


# -- the HTTP JSON gateway ------------------------------------------------------------------


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _dig(data: Any, path: str) -> str:
    for part in path.split("."):
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return ""
    return "" if data is None or isinstance(data, dict | list) else str(data)


def _gateway_message(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:300]
    if isinstance(data, Mapping):
        for name in ("message", "error_description", "error", "detail", "description"):
            value = data.get(name)
            if isinstance(value, Mapping):
                value = value.get("message") or value.get("description")
            if value:
                return " ".join(str(value).split())[:300]
    return " ".join(text.split())[:300]


class HTTPSMSChannel(BaseChannel):
    """Send SMS through a gateway's HTTP JSON API: see the module's documentation and
    ``docs/channels.md`` for the settings. Not thread-safe: one channel per thread."""

    name = "sms"
    info: ClassVar[ChannelInfo] = ChannelInfo(
        name="sms",
        kinds=("sms",),
        schemes={"sms+https": {"tls": True}, "sms+http": {"tls": False}},
        options=(
            Option("host", required=True, doc="the gateway's name or address"),
            Option("port", "int", doc="its port (443 for https, 80 for http)"),
            Option("path", doc="the path of the send endpoint, e.g. `v1/send`"),
            Option("tls", "bool", True, doc="https (`sms+https://`); http only to loopback"),
            Option("token", "secret", doc="bearer token (`Authorization: Bearer`)"),
            Option("user", doc="login for HTTP basic authentication"),
            Option("password", "secret", doc="its password (basic authentication)"),
            Option("verify", "bool", True, doc="verify the gateway's TLS certificate"),
            Option("cafile", "path", doc="CA certificates to verify with instead of the system's"),
            Option("timeout", "float", 30.0, doc="seconds to wait to connect and for the reply"),
            Option("retries", "int", 3, doc="further attempts after a temporary failure"),
            Option("backoff", "float", 1.0, doc="seconds before the first retry, then doubled"),
            Option("to_field", default="to", doc="the body's field for the number"),
            Option("from_field", default="from", doc="the body's field for the sender id"),
            Option("text_field", default="text", doc="the body's field for the text"),
            Option(
                "reference_field",
                default="reference",
                doc="the body's field for the idempotency key (empty: not sent)",
            ),
            Option("id_field", default="id", doc="the reply's field (dotted path) for its id"),
            Option("sender", doc="the sender id when the SMS names none"),
            Option(
                "dedupe",
                "bool",
                False,
                doc="the gateway drops a repeated reference: retry a lost reply",
            ),
        ),
        doc="SMS through an HTTP JSON gateway (standard library).",
    )

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        path: str | None = None,
        tls: bool = True,
        token: str | Secret | None = None,
        user: str | None = None,
        password: str | Secret | None = None,
        verify: bool = True,
        cafile: str | Path | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 1.0,
        to_field: str = "to",
        from_field: str = "from",
        text_field: str = "text",
        reference_field: str = "reference",
        id_field: str = "id",
        sender: str | None = None,
        dedupe: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _now,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        where = f"sms channel to {host!r}"
        if not host:
            raise ChannelConfigError("sms channel: option 'host' is required")
        if not tls and not is_loopback(host):
            raise ChannelConfigError(
                f"{where}: plain sms+http:// is only for a gateway on loopback; use sms+https://"
            )
        if token is not None and not isinstance(token, Secret):
            token = Secret(token)
        if password is not None and not isinstance(password, Secret):
            password = Secret(password)
        if token and user:
            raise ChannelConfigError(f"{where}: give a token or a user and password, not both")
        if user and not password:
            raise ChannelConfigError(f"{where}: user {user!r} has no password")
        if password and not user:
            raise ChannelConfigError(f"{where}: a password was given without a user")
        if timeout <= 0 or retries < 0 or backoff < 0:
            raise ChannelConfigError(f"{where}: timeout must be > 0, retries and backoff >= 0")
        if not (to_field and text_field):
            raise ChannelConfigError(f"{where}: to_field and text_field cannot be empty")
        self.host = host
        self.port = port or (443 if tls else 80)
        self.path = (path or "").lstrip("/")
        self.tls = tls
        self.token = token
        self.user = user or None
        self.password = password
        self.verify = verify
        self.cafile = Path(cafile) if cafile is not None else None
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.to_field = to_field
        self.from_field = from_field
        self.text_field = text_field
        self.reference_field = reference_field
        self.id_field = id_field
        self.sender = sender
        self.dedupe = dedupe
        self._context = ssl_context
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        #: how many HTTP requests this channel made (retries included)
        self.requests = 0

    # -- showing it ------------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "path": self.path,
            "tls": self.tls,
            "token": self.token,
            "user": self.user,
            "password": self.password,
            "verify": self.verify,
            "cafile": self.cafile,
            "timeout": self.timeout,
            "retries": self.retries,
            "backoff": self.backoff,
            "to_field": self.to_field,
            "from_field": self.from_field,
            "text_field": self.text_field,
            "reference_field": self.reference_field,
            "id_field": self.id_field,
            "sender": self.sender,
            "dedupe": self.dedupe,
        }

    def __str__(self) -> str:
        scheme = "sms+https" if self.tls else "sms+http"
        options = self._options()
        url = self.info.url(scheme, options)
        port = None if self.port == (443 if self.tls else 80) else self.port
        params = tuple((k, v) for k, v in url.params if k != "tls")
        return str(ChannelURL(scheme, url.user, url.password, url.host, port, url.path, params))

    def __repr__(self) -> str:
        loud = (
            " INSECURE: the gateway's certificate is not verified"
            if self.tls and not self.verify
            else ""
        )
        return f"<HTTPSMSChannel {self}{loud}>"

    @property
    def url(self) -> str:
        """The endpoint the channel posts to."""
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/{quote(self.path, safe='/')}"

    # -- sending ---------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        for secret in (self.token, self.password):
            if secret and secret.reveal() in text:
                text = text.replace(secret.reveal(), "***")
        return text

    def _error(
        self,
        kind: type[ChannelError],
        message: str,
        outgoing: Outgoing,
        code: int | None = None,
        reply: str | None = None,
    ) -> ChannelError:
        return kind(
            self._scrub(message),
            key=outgoing.key,
            channel=outgoing.channel,
            code=code,
            reply=self._scrub(reply) if reply else None,
        )

    def body(self, message: Outgoing) -> dict[str, Any]:
        """The JSON object the channel posts for ``message`` (after `check_sms`)."""
        sms = check_sms(message)
        body: dict[str, Any] = {self.to_field: sms["to"], self.text_field: sms["text"]}
        sender = sms["sender"] or self.sender
        if self.from_field and sender:
            body[self.from_field] = sender
        if self.reference_field:
            body[self.reference_field] = message.key
        return body

    def _headers(self, data: bytes) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Content-Length": str(len(data)),
            "User-Agent": "dunning",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token.reveal()}"
        elif self.user and self.password:
            pair = f"{self.user}:{self.password.reveal()}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers

    def _ssl_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = tls_context(self.cafile, self.verify)
        return self._context

    def _delay(self, attempt: int) -> float:
        return backoff(self.backoff, attempt, self._rng)

    def deliver(self, message: Outgoing) -> Sent:
        """Post ``message`` to the gateway, retrying temporary failures."""
        data = json.dumps(self.body(message), ensure_ascii=False).encode("utf-8")
        attempt = 0
        while True:
            wait: float | None = None
            try:
                return self._attempt(message, data)
            except _RetryAfterError as exc:
                failure, wait = exc.failure, exc.seconds
            except TemporaryFailure as exc:
                failure = exc
            if attempt >= self.retries:
                raise failure
            if wait is not None and wait > MAX_RETRY_AFTER:
                raise failure
            delay = self._delay(attempt) if wait is None else max(wait, 0.0)
            attempt += 1
            logger.warning(
                "%s; retry %d of %d in %.1f s",
                redact_text(str(failure)),
                attempt,
                self.retries,
                delay,
            )
            self._sleep(delay)

    def _attempt(self, message: Outgoing, data: bytes) -> Sent:
        where = f"{self.host}:{self.port}"
        if self.tls and not self.verify:
            logger.warning(
                "NOT verifying the TLS certificate of %s: anyone on the way can read the SMS "
                "and the token (verify=false)",
                where,
            )
        conn: http.client.HTTPConnection
        if self.tls:
            conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=self._ssl_context()
            )
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self.requests += 1
        try:
            try:
                conn.request("POST", "/" + quote(self.path, safe="/"), data, self._headers(data))
            except ssl.SSLCertVerificationError as exc:
                raise self._error(
                    TLSFailure,
                    f"the TLS certificate of {where} did not verify: {exc.verify_message} "
                    "(give the CA with cafile=, or fix the gateway's certificate)",
                    message,
                ) from None
            except ssl.SSLError as exc:
                raise self._error(
                    TLSFailure, f"no TLS connection to {where}: {exc.reason or exc}", message
                ) from None
            except OSError as exc:
                what = "timed out" if isinstance(exc, TimeoutError) else "failed"
                raise self._error(
                    TemporaryFailure,
                    f"connection to {where} {what} before the SMS was sent: {exc}",
                    message,
                ) from None
            # from here on the gateway may have the request
            try:
                response = conn.getresponse()
                status, reason = response.status, response.reason
                body = response.read()
                retry_after = response.getheader("Retry-After")
            except (http.client.HTTPException, OSError) as exc:
                what = "timed out" if isinstance(exc, TimeoutError) else "was lost"
                if self.dedupe:
                    raise self._error(
                        TemporaryFailure,
                        f"the reply from {where} {what} after the SMS was sent ({exc}); the "
                        "gateway drops a repeated reference, so it is sent again",
                        message,
                    ) from None
                logger.error("SMS %r in doubt: the reply from %s %s", message.key, where, what)
                raise self._error(
                    InDoubt,
                    f"the reply from {where} {what} after the SMS was sent ({exc}): it may or "
                    "may not have gone, and it is not sent again; check the gateway's log for "
                    f"reference {message.key!r}",
                    message,
                ) from None
        finally:
            conn.close()
        text = _gateway_message(body)
        if 200 <= status < 300:
            try:
                reply: Any = json.loads(body.decode("utf-8")) if body.strip() else {}
            except ValueError:
                reply = {}
            transport_id = _dig(reply, self.id_field) if self.id_field else ""
            logger.info("SMS %r accepted by %s: %s %s", message.key, where, status, transport_id)
            return Sent(
                key=message.key,
                channel=message.channel,
                accepted_at=self._clock(),
                transport_id=transport_id,
                detail=self._scrub(f"{status} {reason}"),
            )
        if status in (408, 429) or status >= 500:
            failure = self._error(
                TemporaryFailure, f"{where} cannot take the SMS now", message, status, text
            )
            wait = _retry_after(retry_after, self._clock())
            if wait is not None:
                raise _RetryAfterError(failure, wait)
            raise failure
        if 300 <= status < 400:
            raise self._error(
                PermanentFailure,
                f"{where} redirects the request; set the gateway's real address",
                message,
                status,
                text,
            )
        raise self._error(PermanentFailure, f"{where} refused the SMS", message, status, text)


class _RetryAfterError(Exception):
    def __init__(self, failure: ChannelError, seconds: float) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.seconds = seconds


# -- apprise --------------------------------------------------------------------------------

_PAYLOAD_SCHEMES = {"json", "jsons", "form", "forms"}
APPRISE_EXTRA = "sms-apprise"


def _quiet() -> contextlib.AbstractContextManager[None]:
    """Apprise's plugins import modules the standard library deprecates (``imghdr``): not
    ours to fix, and not to be turned into errors where warnings are."""
    quiet = warnings.catch_warnings()

    @contextlib.contextmanager
    def scope() -> Iterator[None]:
        with quiet:
            warnings.simplefilter("ignore", DeprecationWarning)
            yield

    return scope()


def _apprise() -> Any:
    try:
        with _quiet():
            return importlib.import_module("apprise")
    except ImportError as exc:
        raise ChannelConfigError(
            f"the apprise SMS channel needs an extra: pip install 'dunning[{APPRISE_EXTRA}]' "
            f"({exc})"
        ) from None


class _AppriseInfo(ChannelInfo):
    """The apprise channel's metadata: its settings string is apprise's own URL behind
    ``apprise+``, so every query parameter but the channel's own goes to apprise."""

    def configure(
        self, scheme: str, url: ChannelURL | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if url is None or scheme == "apprise":
            return super().configure(scheme, url, **kwargs)
        ours = {o.name for o in self.options} - {"apprise_url"}
        service = scheme.partition("+")[2]
        auth = quote(url.user, safe="")
        if url.password is not None:
            auth += ":" + quote(url.password.reveal(), safe="")
        host = f"[{url.host}]" if ":" in url.host else url.host
        netloc = (auth + "@" if auth else "") + host
        if url.port is not None:
            netloc += f":{url.port}"
        passed: list[tuple[str, str]] = []
        own: dict[str, Any] = {}
        for name, value in url.params:
            text = value.reveal() if isinstance(value, Secret) else value
            if name in ours or (name.endswith("_env") and name[:-4] in ours):
                own[name] = text
            else:
                passed.append((name, text))
        target = f"{service}://{netloc}"
        if url.path:
            target += "/" + quote(url.path, safe="/+")
        if passed:
            target += "?" + urlencode(passed, safe=":+")
        return super().configure(scheme, None, **(own | {"apprise_url": Secret(target)} | kwargs))


class AppriseSMSChannel(BaseChannel):
    """Send SMS through one of apprise's services (``apprise+twilio://…``,
    ``apprise+json://…``); needs ``pip install 'dunning[sms-apprise]'``. The recipient is
    added to apprise's URL for each message as ``?to=NUMBER`` (for ``json://`` and
    ``form://``, as the payload field ``to``; ``to_param`` changes that)."""

    name = "apprise"
    info: ClassVar[ChannelInfo] = _AppriseInfo(
        name="apprise",
        kinds=("sms",),
        schemes={"apprise": {}} | {f"apprise+{s}": {} for s in APPRISE_SCHEMES},
        options=(
            Option(
                "apprise_url",
                "secret",
                required=True,
                doc="apprise's URL (what follows `apprise+`), or `apprise_url_env=VARIABLE`",
            ),
            Option(
                "to_param",
                doc="the query parameter for the number (default `to`; `:to` for json/form)",
            ),
            Option("retries", "int", 1, doc="further attempts after a failure apprise reports"),
            Option("backoff", "float", 1.0, doc="seconds before the first retry, then doubled"),
        ),
        doc="SMS through apprise's services (needs dunning[sms-apprise]).",
        extra=APPRISE_EXTRA,
    )

    def __init__(
        self,
        apprise_url: str | Secret,
        *,
        to_param: str | None = None,
        retries: int = 1,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        super().__init__()
        self._apprise = _apprise()
        url = apprise_url
        self.url = url if isinstance(url, Secret) else Secret(url)
        service = self.url.reveal().partition("://")[0].lower()
        if not service or "://" not in self.url.reveal():
            raise ChannelConfigError(
                "apprise channel: apprise_url must be an apprise URL, scheme://..."
            )
        if retries < 0 or backoff < 0:
            raise ChannelConfigError("apprise channel: retries and backoff must be >= 0")
        self.service = service
        self.to_param = to_param or (":to" if service in _PAYLOAD_SCHEMES else "to")
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._clock = clock

    def __str__(self) -> str:
        return f"apprise+{self.service}://***"

    def __repr__(self) -> str:
        return f"<AppriseSMSChannel {self}>"

    def _scrub(self, text: str) -> str:
        secret = self.url.reveal()
        text = text.replace(secret, f"{self.service}://***")
        rest = secret.partition("://")[2]
        for part in re.split(r"[:@/?&=]", rest):
            if len(part) >= 6 and part in text:
                text = text.replace(part, "***")
        return text

    def _target(self, number: str) -> str:
        base = self.url.reveal()
        joiner = "&" if "?" in base else "?"
        return base + joiner + urlencode([(self.to_param, number)], safe=":")

    def deliver(self, message: Outgoing) -> Sent:
        """Hand ``message`` to apprise, retrying when it reports a failure."""
        sms = check_sms(message)
        attempt = 0
        while True:
            try:
                return self._attempt(message, sms)
            except TemporaryFailure as failure:
                if attempt >= self.retries:
                    raise
                delay = backoff(self.backoff, attempt)
                attempt += 1
                logger.warning(
                    "%s; retry %d of %d in %.1f s",
                    redact_text(str(failure)),
                    attempt,
                    self.retries,
                    delay,
                )
                self._sleep(delay)

    def _attempt(self, message: Outgoing, sms: Mapping[str, Any]) -> Sent:
        with _quiet():
            notifier = self._apprise.Apprise()
            added = notifier.add(self._target(sms["to"]))
        if not added:
            raise PermanentFailure(
                f"apprise does not accept the {self.service}:// URL (check its form)",
                key=message.key,
                channel=message.channel,
            )
        lines: list[str] = []
        handler = _Collect(lines)
        source = logging.getLogger("apprise")
        source.addHandler(handler)
        try:
            with _quiet():
                ok = notifier.notify(body=sms["text"], title="")
        finally:
            source.removeHandler(handler)
        if not ok:
            why = self._scrub("; ".join(lines[-3:]) or "no reason given")
            raise TemporaryFailure(
                f"apprise could not send the SMS through {self.service}:// ({why})",
                key=message.key,
                channel=message.channel,
            )
        logger.info("SMS %r handed to apprise (%s://)", message.key, self.service)
        return Sent(
            key=message.key,
            channel=message.channel,
            accepted_at=self._clock(),
            detail=f"sent through apprise {self.service}://",
        )


class _Collect(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
