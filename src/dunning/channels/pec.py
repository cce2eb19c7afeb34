"""PEC receipts (*ricevute*): what the providers send back, read into delivery evidence.

A PEC (*posta elettronica certificata*) message is answered by the providers with receipts and
notices, each an S/MIME-signed e-mail whose header ``X-Ricevuta`` says what it is and whose
attachment ``daticert.xml`` carries the certification data (who, to whom, when, which message).
The rules: DPR 11 febbraio 2005 n. 68 (art. 4 c. 6: the acceptance and delivery receipts attest
sending and delivery; art. 6: the receipts), the technical rules of DM 2 novembre 2005 and its
annex (the message formats, the headers and the ``daticert.xml`` DTD), summarised in English in
RFC 6109 "La Posta Elettronica Certificata" (§3 message processing, §4 formats; the notices'
headers: ``X-Ricevuta``, ``X-Riferimento-Message-ID``, ``X-TipoRicevuta``, ``X-Trasporto``).
Art. 45 c. 2 CAD (D.Lgs. 82/2005): a message is deemed delivered when the recipient's provider
makes it available in the recipient's mailbox, which is what ``avvenuta-consegna`` attests.

What is read here:

- `read_receipt` turns the bytes of one receipt into a `Receipt` (raises `NotAReceipt` for a
  transport envelope, an anomaly envelope, an ordinary e-mail or bytes that are no e-mail, and
  `ReceiptError` for a receipt that cannot be trusted as written: an unknown kind, a
  ``daticert.xml`` that is not well-formed or holds entities).
- `classify` sorts any message of a PEC mailbox (receipt, transport, anomaly, ordinary).
- `OUTCOMES` and `Receipt.outcome` say what each kind proves; `receipt_events` turns a receipt
  into `dunning.DeliveryConfirmed` / `dunning.DeliveryFailed` for the action it answers.
- `read_receipts` reads a folder of ``.eml`` files or a Maildir, and reports (as `Skipped`)
  what is not a receipt instead of stopping.

**Header or daticert?** The headers are written by the provider's mail transport and are not
covered by the S/MIME signature; ``daticert.xml`` is inside the signed content. When both are
present and disagree (kind, referenced Message-ID, time), the value of ``daticert.xml`` wins and
the disagreement is recorded in `Receipt.discrepancies`, for whoever later relies on the
receipt. The S/MIME signature itself is **not verified** here (no pure-Python CMS verifier is a
dependency): keep `Receipt.raw`, whose `Receipt.sha256` fixes it, and verify with the provider's
tools or ``openssl smime -verify`` when it matters.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import hashlib
import mailbox
import os
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Literal, TypeAlias, get_args
from xml.etree.ElementTree import Element, ParseError

import attrs
import defusedxml
import defusedxml.ElementTree

from ..errors import DataError, DunningError
from ..events import DeliveryConfirmed, DeliveryFailed, Event

__all__ = [
    "KINDS",
    "OUTCOMES",
    "Classification",
    "Kind",
    "NotAReceipt",
    "Outcome",
    "Receipt",
    "ReceiptError",
    "Skipped",
    "classify",
    "normalise_message_id",
    "read_receipt",
    "read_receipts",
    "receipt_events",
]

Kind: TypeAlias = Literal[
    "accettazione",
    "non-accettazione",
    "presa-in-carico",
    "avvenuta-consegna",
    "errore-consegna",
    "preavviso-errore-consegna",
    "rilevazione-virus",
]
#: The seven values of ``X-Ricevuta`` (DM 2/11/2005 annex; RFC 6109 §3). ``mancata-consegna``,
#: which some code uses, is not one of them: a non-delivery notice is ``errore-consegna``.
KINDS: tuple[str, ...] = get_args(Kind)

Outcome: TypeAlias = Literal["sent", "in-transit", "delivered", "warning", "failed"]

#: What each kind proves about the message it answers:
#:
#: - ``sent``: ``accettazione``, the sender's provider accepted the message (art. 6 c. 1 DPR
#:   68/2005): proof of sending, not of delivery.
#: - ``in-transit``: ``presa-in-carico``, the recipient's provider took the message over from
#:   the sender's: still not delivered.
#: - ``delivered``: ``avvenuta-consegna``, the message was put in the recipient's mailbox
#:   (art. 6 DPR 68/2005): legally received at the receipt's time (art. 45 c. 2 CAD),
#:   read or not.
#: - ``warning``: ``preavviso-errore-consegna``, no delivery within 12 hours; the final notice
#:   comes within 24 hours (technical rules, DM 2 novembre 2005 annex). Not final.
#: - ``failed``: ``non-accettazione`` (refused at sending: formal errors or a virus, so nothing
#:   was sent), ``errore-consegna`` (not delivered: unknown or full mailbox, timeout, virus...),
#:   ``rilevazione-virus`` (a virus found on the way, the message is not delivered).
OUTCOMES: Mapping[str, Outcome] = {
    "accettazione": "sent",
    "non-accettazione": "failed",
    "presa-in-carico": "in-transit",
    "avvenuta-consegna": "delivered",
    "errore-consegna": "failed",
    "preavviso-errore-consegna": "warning",
    "rilevazione-virus": "failed",
}

Classification: TypeAlias = Literal["receipt", "transport", "anomaly", "ordinary"]

#: The delivery kinds, whose ``daticert.xml`` names the one mailbox concerned in ``consegna``
#: (a delivery receipt is issued per recipient: DM 2 novembre 2005, art. 6 c. 7).
_PER_RECIPIENT = frozenset(
    {"avvenuta-consegna", "errore-consegna", "preavviso-errore-consegna", "rilevazione-virus"}
)

#: The prefixes the providers put before the original subject (RFC 6109 §3).
_SUBJECT_PREFIXES = (
    "AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO:",
    "AVVISO DI MANCATA CONSEGNA PER VIRUS:",
    "AVVISO DI MANCATA CONSEGNA:",
    "AVVISO DI NON ACCETTAZIONE PER VIRUS:",
    "AVVISO DI NON ACCETTAZIONE:",
    "PROBLEMA DI SICUREZZA:",
    "ACCETTAZIONE:",
    "PRESA IN CARICO:",
    "CONSEGNA:",
)


class NotAReceipt(DunningError, ValueError):  # noqa: N818 - the name the issue promises
    """The message is not a PEC receipt. ``classification`` says what it is instead:
    ``"transport"`` (a *busta di trasporto*, ``X-Trasporto: posta-certificata``: a certified
    message someone sent to this mailbox), ``"anomaly"`` (a *busta di anomalia*,
    ``X-Trasporto: errore``), ``"ordinary"`` (an e-mail without ``X-Ricevuta``) or
    ``"garbage"`` (bytes that are not an e-mail)."""

    def __init__(self, message: str, classification: str) -> None:
        self.classification = classification
        super().__init__(message)


class ReceiptError(DataError):
    """A message that says it is a PEC receipt but cannot be read as one: an unknown
    ``X-Ricevuta``, a ``daticert.xml`` that is not well-formed or is refused (entities, external
    references: an XML bomb), no time at all. Names the receipt and the part."""


def _raw_repr(value: bytes) -> str:
    return f"<{len(value)} bytes>"


@attrs.frozen
class Receipt:
    """One PEC receipt, read from its bytes by `read_receipt`.

    - ``kind``: the ``X-Ricevuta`` value, one of `KINDS` (``daticert.xml``'s ``tipo`` when the
      two disagree).
    - ``message_id``: the Message-ID of the message the receipt answers, from
      ``X-Riferimento-Message-ID`` (``daticert.xml``'s ``msgid`` when the two disagree),
      stripped of spaces and written with angle brackets as in the header
      (``<id@domain>``), case kept. Compare ids with `normalise_message_id`.
    - ``timestamp``: when the event happened, an aware datetime: ``daticert.xml``'s ``data``
      (``giorno``, ``ora``, ``zona``) when present, else the ``Date`` header.
    - ``recipients``: the mailbox concerned: for a delivery receipt or notice the ``consegna``
      address; for ``presa-in-carico`` the ``ricezione`` addresses; otherwise all
      ``destinatari``. Empty when the receipt has no ``daticert.xml``.
    - ``addressees``: every ``destinatari`` with its ``tipo`` (``certificato``: a PEC mailbox,
      ``esterno``: an ordinary one, which gets no delivery receipt).
    - ``error``: None, or what went wrong: ``errore-esteso`` when given, else the ``errore``
      attribute (``no-dest``, ``no-dominio``, ``virus``, ``altro``). ``error_code`` is the
      ``errore`` attribute itself (``nessuno`` when all went well; ``""`` without daticert).
    - ``identificativo``: the provider's identifier of the original message (the same in every
      receipt of that message); ``sender`` (``mittente``), ``subject`` (``oggetto``),
      ``provider`` (``gestore-emittente``), ``receipt_type`` (``completa``, ``breve``,
      ``sintetica`` from ``X-TipoRicevuta``, or ``ricevuta tipo`` in daticert; None if neither).
    - ``daticert``: whether the receipt carried a ``daticert.xml``; without it the values come
      from the headers only. ``signed``: whether an S/MIME signature part is present (it is
      not verified). ``discrepancies``: where the headers and ``daticert.xml`` disagree.
    - ``raw``: the receipt's bytes, kept as evidence (not shown by ``repr``); ``sha256``: their
      hash, in hex. ``source``: where it was read from (a file name), when known.
    """

    kind: str
    message_id: str
    timestamp: datetime
    recipients: tuple[str, ...]
    error: str | None
    identificativo: str
    sender: str
    subject: str
    provider: str
    receipt_type: str | None
    sha256: str
    raw: bytes = attrs.field(repr=_raw_repr, eq=False)
    error_code: str = ""
    addressees: tuple[tuple[str, str], ...] = ()
    daticert: bool = True
    signed: bool = False
    discrepancies: tuple[str, ...] = ()
    source: str = attrs.field(default="", eq=False)

    @property
    def outcome(self) -> Outcome:
        """What the receipt proves (see `OUTCOMES`)."""
        return OUTCOMES[self.kind]

    @property
    def delivered(self) -> bool:
        """Whether the receipt proves delivery (``avvenuta-consegna``)."""
        return self.outcome == "delivered"

    @property
    def failed(self) -> bool:
        """Whether the receipt proves, finally, that the message did not arrive."""
        return self.outcome == "failed"

    @property
    def final(self) -> bool:
        """Whether the receipt settles the message's fate for its recipient (delivered or
        failed); acceptance, taking over and the 12-hour warning do not."""
        return self.outcome in ("delivered", "failed")

    @property
    def evidence(self) -> str:
        """A one-line reference to this receipt for an event's ``evidence``: kind, provider's
        identifier, time, recipients and the hash of the bytes."""
        who = ", ".join(self.recipients) or "-"
        return (
            f"PEC {self.kind} {self.identificativo or self.message_id} "
            f"at {self.timestamp.isoformat()} for {who}; sha256:{self.sha256}"
        )


@attrs.frozen
class Skipped:
    """A message `read_receipts` did not read as a receipt: where it is (``source``), what it
    is (``classification``: ``transport``, ``anomaly``, ``ordinary``, ``garbage``,
    ``invalid`` for a receipt that could not be read, ``unreadable`` for a file that could not
    be opened) and why (``reason``)."""

    source: str
    classification: str
    reason: str


def normalise_message_id(value: str) -> str:
    """``value`` as a Message-ID to compare: spaces removed, angle brackets around, the domain
    in lower case (domains are case-insensitive; the local part is kept as written).

    >>> normalise_message_id(" abc.1@Mail.Example.COM ")
    '<abc.1@mail.example.com>'
    """
    text = "".join(value.split())
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    local, at, domain = text.rpartition("@")
    if at:
        text = f"{local}@{domain.lower()}"
    return f"<{text}>"


def _bracketed(value: str) -> str:
    text = "".join(value.split())
    if not text:
        return ""
    if text.startswith("<") and text.endswith(">"):
        return text
    return f"<{text.strip('<>')}>"


def _parse(data: bytes) -> email.message.Message:
    return email.message_from_bytes(data, policy=email.policy.compat32)


def _header(msg: email.message.Message, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    return " ".join(str(value).split())


def _is_email(msg: email.message.Message, data: bytes) -> bool:
    if not data.strip():
        return False
    known = ("From", "To", "Date", "Subject", "Message-ID", "X-Ricevuta", "X-Trasporto")
    return any(msg.get(name) is not None for name in known)


def _classify(msg: email.message.Message, data: bytes) -> Classification | Literal["garbage"]:
    if not _is_email(msg, data):
        return "garbage"
    transport = _header(msg, "X-Trasporto").lower()
    if transport:
        return "anomaly" if transport == "errore" else "transport"
    if _header(msg, "X-Ricevuta"):
        return "receipt"
    return "ordinary"


def classify(data: bytes) -> Classification:
    """What a message of a PEC mailbox is: ``"receipt"`` (``X-Ricevuta``), ``"transport"`` (a
    *busta di trasporto*, ``X-Trasporto: posta-certificata``: a certified message received),
    ``"anomaly"`` (a *busta di anomalia*, ``X-Trasporto: errore``: a message the provider could
    not certify) or ``"ordinary"`` (anything else, bytes that are not an e-mail included).

    >>> classify(b"From: a@example.com\\nSubject: hello\\n\\nhi\\n")
    'ordinary'
    """
    kind = _classify(_parse(data), data)
    return "ordinary" if kind == "garbage" else kind


def _parts(msg: email.message.Message) -> Iterator[email.message.Message]:
    """The MIME parts of ``msg``, not looking inside attached messages (a complete delivery
    receipt attaches the original message, which may carry files of any name)."""
    yield msg
    if msg.is_multipart() and msg.get_content_maintype() != "message":
        payload = msg.get_payload()
        if isinstance(payload, list):
            for part in payload:
                if isinstance(part, email.message.Message):
                    yield from _parts(part)


def _daticert(msg: email.message.Message) -> tuple[bytes, str] | None:
    """The bytes of the ``daticert.xml`` part, and a description of the part."""
    for index, part in enumerate(_parts(msg)):
        if part.is_multipart():
            continue
        name = part.get_filename() or part.get_param("name") or ""
        if isinstance(name, tuple):  # an RFC 2231 (charset, language, value) triple
            name = str(name[2])
        if name.strip().lower() == "daticert.xml":
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            return data, f"daticert.xml (MIME part {index}, {part.get_content_type()})"
    return None


def _signed(msg: email.message.Message) -> bool:
    return any(
        part.get_content_type() in ("application/pkcs7-signature", "application/x-pkcs7-signature")
        for part in _parts(msg)
    )


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


_ZONE = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@attrs.frozen
class _Cert:
    tipo: str
    errore: str
    mittente: str
    destinatari: tuple[tuple[str, str], ...]
    oggetto: str
    gestore: str
    when: datetime | None
    identificativo: str
    msgid: str
    ricevuta: str
    consegna: str
    ricezione: tuple[str, ...]
    errore_esteso: str


def _read_cert(data: bytes, part: str, record: str) -> _Cert:
    try:
        root = defusedxml.ElementTree.fromstring(data)
    except defusedxml.DefusedXmlException as exc:
        raise ReceiptError(
            f"refused: {type(exc).__name__} ({exc}); XML entities and external references are "
            "not accepted in certification data",
            record=record,
            field=part,
        ) from exc
    except ParseError as exc:
        raise ReceiptError(f"is not well-formed XML: {exc}", record=record, field=part) from exc
    if root.tag != "postacert":
        raise ReceiptError(
            f"has root element <{root.tag}>, expected <postacert>", record=record, field=part
        )
    head = root.find("intestazione")
    dati = root.find("dati")
    when: datetime | None = None
    data_el = dati.find("data") if dati is not None else None
    if data_el is not None:
        giorno, ora = _text(data_el.find("giorno")), _text(data_el.find("ora"))
        zona = (data_el.get("zona") or "").strip()
        match = _ZONE.match(zona)
        try:
            if match is None:
                raise ValueError(f"zona {zona!r} is not an offset like +0100")
            sign, hours, minutes = match.groups()
            offset = timedelta(hours=int(hours), minutes=int(minutes))
            fmt = "%d/%m/%Y %H:%M:%S" if ora.count(":") == 2 else "%d/%m/%Y %H:%M"
            naive = datetime.strptime(f"{giorno} {ora}", fmt)
            when = naive.replace(tzinfo=timezone(-offset if sign == "-" else offset))
        except ValueError as exc:
            raise ReceiptError(
                f"has a bad <data>: giorno {giorno!r}, ora {ora!r}, zona {zona!r} ({exc})",
                record=record,
                field=part,
            ) from exc
    ricevuta = dati.find("ricevuta") if dati is not None else None
    return _Cert(
        tipo=(root.get("tipo") or "").strip(),
        errore=(root.get("errore") or "nessuno").strip(),
        mittente=_text(head.find("mittente")) if head is not None else "",
        destinatari=tuple(
            (_text(d), (d.get("tipo") or "certificato").strip())
            for d in (head.findall("destinatari") if head is not None else [])
        ),
        oggetto=_text(head.find("oggetto")) if head is not None else "",
        gestore=_text(dati.find("gestore-emittente")) if dati is not None else "",
        when=when,
        identificativo=_text(dati.find("identificativo")) if dati is not None else "",
        msgid=_text(dati.find("msgid")) if dati is not None else "",
        ricevuta=(ricevuta.get("tipo") or "").strip() if ricevuta is not None else "",
        consegna=_text(dati.find("consegna")) if dati is not None else "",
        ricezione=tuple(_text(r) for r in (dati.findall("ricezione") if dati is not None else [])),
        errore_esteso=_text(dati.find("errore-esteso")) if dati is not None else "",
    )


def _strip_prefix(subject: str) -> str:
    for prefix in _SUBJECT_PREFIXES:
        if subject.upper().startswith(prefix):
            return subject[len(prefix) :].strip()
    return subject


def _not_a_receipt(kind: str, source: str) -> NotAReceipt:
    where = f"{source}: " if source else ""
    reasons = {
        "transport": "a transport envelope (busta di trasporto, X-Trasporto: posta-certificata): "
        "a certified message received, not a receipt",
        "anomaly": "an anomaly envelope (busta di anomalia, X-Trasporto: errore): a message the "
        "provider could not certify, not a receipt",
        "ordinary": "an ordinary e-mail (no X-Ricevuta header), not a PEC receipt",
        "garbage": "not an e-mail (no message headers), not a PEC receipt",
    }
    return NotAReceipt(where + reasons[kind], kind)


def read_receipt(data: bytes, *, source: str = "") -> Receipt:
    """Read one PEC receipt from its bytes (an ``.eml`` file, a Maildir message, an IMAP
    ``RFC822`` fetch). ``source`` names where it came from, for messages and
    `Receipt.source`.

    Raises `NotAReceipt` for a transport or anomaly envelope, an ordinary e-mail or bytes that
    are not an e-mail; `ReceiptError` for a receipt that cannot be read (unknown kind,
    malformed or dangerous ``daticert.xml``, no time).

    >>> from dunning.testing import pec_receipt
    >>> receipt = read_receipt(pec_receipt("avvenuta-consegna", "<k1@example.com>"))
    >>> receipt.kind, receipt.message_id, receipt.delivered
    ('avvenuta-consegna', '<k1@example.com>', True)
    """
    if not isinstance(data, bytes):
        raise TypeError(f"read_receipt needs the message's bytes, not {type(data).__name__}")
    msg = _parse(data)
    kind_of = _classify(msg, data)
    if kind_of != "receipt":
        raise _not_a_receipt(kind_of, source)
    header_kind = _header(msg, "X-Ricevuta").lower()
    header_mid = _bracketed(_header(msg, "X-Riferimento-Message-ID"))
    own_id = _header(msg, "Message-ID")
    record = "PEC receipt " + (own_id or header_mid or "(no Message-ID)")
    if source:
        record = f"{source}: {record}"
    found = _daticert(msg)
    cert = _read_cert(found[0], found[1], record) if found is not None else None
    discrepancies: list[str] = []

    kind = header_kind
    if cert is not None and cert.tipo and cert.tipo != header_kind:
        kept = "daticert.xml" if cert.tipo in KINDS or header_kind not in KINDS else "X-Ricevuta"
        discrepancies.append(
            f"X-Ricevuta says {header_kind!r}, daticert.xml tipo says {cert.tipo!r}: {kept} kept"
        )
        kind = cert.tipo if kept == "daticert.xml" else header_kind
    if kind not in KINDS:
        hint = (
            " ('mancata-consegna' is not a PEC receipt kind: a non-delivery notice is "
            "'errore-consegna')"
            if kind == "mancata-consegna"
            else ""
        )
        raise ReceiptError(
            f"unknown receipt kind {kind!r}, expected one of {', '.join(KINDS)}{hint}",
            record=record,
            field="X-Ricevuta",
        )

    message_id = header_mid
    if cert is not None and cert.msgid:
        cert_mid = _bracketed(cert.msgid)
        if not header_mid:
            message_id = cert_mid
        elif normalise_message_id(cert_mid) != normalise_message_id(header_mid):
            discrepancies.append(
                f"X-Riferimento-Message-ID {header_mid} differs from daticert.xml msgid "
                f"{cert_mid}: daticert.xml kept"
            )
            message_id = cert_mid
    if not message_id:
        raise ReceiptError(
            "names no message (no X-Riferimento-Message-ID, no msgid in daticert.xml)",
            record=record,
            field="X-Riferimento-Message-ID",
        )

    date_header = _header(msg, "Date")
    header_when: datetime | None = None
    if date_header:
        try:
            header_when = parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            discrepancies.append(f"Date header {date_header!r} is not a date")
        else:
            if header_when.tzinfo is None:
                discrepancies.append(f"Date header {date_header!r} has no zone: read as UTC")
                header_when = header_when.replace(tzinfo=UTC)
    timestamp = cert.when if cert is not None and cert.when is not None else header_when
    if timestamp is None:
        raise ReceiptError(
            "has no time (no <data> in daticert.xml, no usable Date header)",
            record=record,
            field="Date",
        )
    if header_when is not None and timestamp != header_when:
        discrepancies.append(
            f"Date header {header_when.isoformat()} differs from daticert.xml "
            f"{timestamp.isoformat()}: daticert.xml kept"
        )

    header_type = _header(msg, "X-TipoRicevuta").lower() or None
    if cert is not None:
        if kind in _PER_RECIPIENT and cert.consegna:
            recipients: tuple[str, ...] = (cert.consegna,)
            listed = {address.lower() for address, _ in cert.destinatari}
            if listed and cert.consegna.lower() not in listed:
                discrepancies.append(
                    f"daticert.xml consegna {cert.consegna} is not among its destinatari "
                    f"({', '.join(a for a, _ in cert.destinatari)})"
                )
        elif kind == "presa-in-carico" and cert.ricezione:
            recipients = cert.ricezione
        else:
            recipients = tuple(address for address, _ in cert.destinatari)
        error_code = cert.errore
        error = cert.errore_esteso or (None if cert.errore == "nessuno" else cert.errore)
        receipt_type = header_type or cert.ricevuta or None
        sender, subject, provider = cert.mittente, cert.oggetto, cert.gestore
        identificativo = cert.identificativo
    else:
        recipients, error_code, error = (), "", None
        receipt_type = header_type
        sender = parseaddr(_header(msg, "To"))[1]
        subject = _strip_prefix(_header(msg, "Subject"))
        provider = ""
        identificativo = ""
    return Receipt(
        kind=kind,
        message_id=message_id,
        timestamp=timestamp,
        recipients=recipients,
        error=error,
        identificativo=identificativo,
        sender=sender,
        subject=subject,
        provider=provider,
        receipt_type=receipt_type,
        sha256=hashlib.sha256(data).hexdigest(),
        raw=data,
        error_code=error_code,
        addressees=cert.destinatari if cert is not None else (),
        daticert=cert is not None,
        signed=_signed(msg),
        discrepancies=tuple(discrepancies),
        source=source,
    )


def receipt_events(receipt: Receipt, keys: Mapping[str, tuple[str, str]]) -> list[Event]:
    """The events a receipt records, given ``keys``: the Message-ID of each message sent (as
    `dunning.outbox.message_id` makes it) → (the action's idempotency key, the debtor's id).

    ``avvenuta-consegna`` gives a `dunning.DeliveryConfirmed`; a final failure
    (``non-accettazione``, ``errore-consegna``, ``rilevazione-virus``) a
    `dunning.DeliveryFailed`, with the error as ``reason``; both dated on the receipt's own
    day (in the zone it is written in) with ``channel="pec"`` and `Receipt.evidence`. The
    other kinds prove no delivery and give no event; nor does a receipt of a message not in
    ``keys`` (sent by hand, or by another program). Message-IDs are compared with
    `normalise_message_id`.

    >>> from dunning.outbox import message_id
    >>> from dunning.testing import pec_receipt
    >>> mid = message_id("D1/reminder-1/pec", "studio.example.it")
    >>> receipt = read_receipt(pec_receipt("errore-consegna", mid, error="casella piena"))
    >>> [event] = receipt_events(receipt, {mid: ("D1/reminder-1/pec", "D1")})
    >>> type(event).__name__, event.debtor_id, event.reason
    ('DeliveryFailed', 'D1', 'PEC errore-consegna: casella piena')
    """
    table = {normalise_message_id(mid): value for mid, value in keys.items()}
    linked = table.get(normalise_message_id(receipt.message_id))
    if linked is None or not receipt.final:
        return []
    key, debtor_id = linked
    day = receipt.timestamp.date()
    if receipt.delivered:
        return [
            DeliveryConfirmed(
                date=day, debtor_id=debtor_id, key=key, channel="pec", evidence=receipt.evidence
            )
        ]
    why = receipt.error or receipt.error_code or "no reason given"
    return [
        DeliveryFailed(
            date=day,
            debtor_id=debtor_id,
            key=key,
            channel="pec",
            reason=f"PEC {receipt.kind}: {why}",
        )
    ]


def _read_one(data: bytes, source: str) -> Receipt | Skipped:
    try:
        return read_receipt(data, source=source)
    except NotAReceipt as exc:
        return Skipped(source, exc.classification, str(exc))
    except ReceiptError as exc:
        return Skipped(source, "invalid", str(exc))


def read_receipts(
    source: str | os.PathLike[str] | mailbox.Maildir,
) -> Iterator[Receipt | Skipped]:
    """Read every message of ``source``: a Maildir (a `mailbox.Maildir`, or a folder with
    ``cur``, ``new`` and ``tmp``), a folder of ``.eml`` files (sorted by name, not
    recursive) or one ``.eml`` file. Yields a `Receipt` for each receipt and a `Skipped` for
    each other message (transport envelopes, ordinary e-mail, unreadable receipts or files),
    with its file name and why: one bad message never stops the rest.
    """
    if isinstance(source, mailbox.Maildir):
        yield from _read_maildir(source, "Maildir")
        return
    path = Path(source)
    if path.is_file():
        yield _read_file(path)
        return
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
        yield from _read_maildir(mailbox.Maildir(path, factory=None, create=False), str(path))
        return
    for file in sorted(p for p in path.iterdir() if p.suffix.lower() == ".eml" and p.is_file()):
        yield _read_file(file)


def _read_file(path: Path) -> Receipt | Skipped:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(str(path), "unreadable", f"{path}: cannot be read ({exc.strerror or exc})")
    return _read_one(data, str(path))


def _read_maildir(box: mailbox.Maildir, name: str) -> Iterator[Receipt | Skipped]:
    for key in sorted(box.iterkeys()):
        where = f"{name} message {key}"
        try:
            data = box.get_bytes(key)
        except (KeyError, OSError) as exc:  # removed by another client meanwhile, unreadable
            yield Skipped(where, "unreadable", f"{where}: cannot be read ({exc})")
            continue
        yield _read_one(data, where)
