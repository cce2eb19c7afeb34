"""Build PEC receipts and envelopes for tests: the bytes a PEC provider would send back.

`pec_receipt` makes a receipt of any of the seven kinds, shaped like the real ones (an S/MIME
``multipart/signed`` wrapping a ``multipart/mixed`` with the human-readable text and the
``daticert.xml`` certification data; headers ``X-Ricevuta``, ``X-Riferimento-Message-ID``,
``X-TipoRicevuta``; subjects prefixed as in RFC 6109 §3). `pec_envelope` makes a transport
envelope (``X-Trasporto: posta-certificata``) or an anomaly envelope (``X-Trasporto: errore``).

The signature part is a **placeholder**, not a signature: these messages are for testing code
that reads receipts, never evidence. The same arguments always give the same bytes.

>>> from dunning.channels.pec import read_receipt
>>> receipt = read_receipt(pec_receipt("accettazione", "<m1@example.it>"))
>>> receipt.kind, receipt.outcome
('accettazione', 'sent')
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

__all__ = ["bounce", "pec_envelope", "pec_receipt"]

_DEFAULT_TIME = datetime(2026, 3, 2, 10, 15, 30, tzinfo=timezone(timedelta(hours=1)))

_SUBJECTS = {
    "accettazione": "ACCETTAZIONE",
    "non-accettazione": "AVVISO DI NON ACCETTAZIONE",
    "presa-in-carico": "PRESA IN CARICO",
    "avvenuta-consegna": "CONSEGNA",
    "errore-consegna": "AVVISO DI MANCATA CONSEGNA",
    "preavviso-errore-consegna": "AVVISO DI MANCATA CONSEGNA PER SUP. TEMPO MASSIMO",
    "rilevazione-virus": "PROBLEMA DI SICUREZZA",
}

_ERROR_CODES = {
    "non-accettazione": "altro",
    "errore-consegna": "no-dest",
    "preavviso-errore-consegna": "altro",
    "rilevazione-virus": "virus",
}

_PER_RECIPIENT = {"avvenuta-consegna", "errore-consegna", "preavviso-errore-consegna"}
_PER_RECIPIENT_VIRUS = "rilevazione-virus"


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "pec.example.it"


def _boundary(*parts: object) -> str:
    digest = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:24]
    return f"----=_pec_{digest}"


def _daticert(
    tipo: str,
    *,
    error_code: str,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    provider: str,
    timestamp: datetime,
    identificativo: str,
    message_id: str,
    receipt_type: str | None,
    delivered_to: str | None,
    taken_by: Sequence[str],
    error: str | None,
) -> bytes:
    offset = timestamp.utcoffset() or timedelta()
    sign = "-" if offset < timedelta() else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    zone = f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<postacert tipo={quoteattr(tipo)} errore={quoteattr(error_code)}>",
        "    <intestazione>",
        f"        <mittente>{escape(sender)}</mittente>",
        *(f'        <destinatari tipo="certificato">{escape(r)}</destinatari>' for r in recipients),
        f"        <risposte>{escape(sender)}</risposte>",
        f"        <oggetto>{escape(subject)}</oggetto>",
        "    </intestazione>",
        "    <dati>",
        f"        <gestore-emittente>{escape(provider)}</gestore-emittente>",
        f"        <data zona={quoteattr(zone)}>",
        f"            <giorno>{timestamp:%d/%m/%Y}</giorno>",
        f"            <ora>{timestamp:%H:%M:%S}</ora>",
        "        </data>",
        f"        <identificativo>{escape(identificativo)}</identificativo>",
        f"        <msgid>{escape(message_id)}</msgid>",
    ]
    if receipt_type:
        lines.append(f"        <ricevuta tipo={quoteattr(receipt_type)} />")
    if delivered_to:
        lines.append(f"        <consegna>{escape(delivered_to)}</consegna>")
    lines.extend(f"        <ricezione>{escape(r)}</ricezione>" for r in taken_by)
    if error:
        lines.append(f"        <errore-esteso>{escape(error)}</errore-esteso>")
    lines += ["    </dati>", "</postacert>", ""]
    return "\n".join(lines).encode("utf-8")


def _signed(content: MIMEMultipart, signed: bool, seed: tuple[object, ...]) -> Message:
    if not signed:
        return content
    outer = MIMEMultipart("signed", protocol="application/x-pkcs7-signature", micalg="sha-256")
    outer.preamble = "This is an S/MIME signed message"
    outer.attach(content)
    signature = MIMEApplication(
        b"placeholder made by dunning.testing: not a signature", "x-pkcs7-signature"
    )
    signature.add_header("Content-Disposition", "attachment", filename="smime.p7s")
    outer.attach(signature)
    outer.set_boundary(_boundary("signed", *seed))
    return outer


def pec_receipt(
    kind: str,
    message_id: str,
    *,
    timestamp: datetime = _DEFAULT_TIME,
    recipients: Sequence[str] = ("amministrazione@pec.debitore.example.it",),
    sender: str = "crediti@pec.creditore.example.it",
    subject: str = "Sollecito di pagamento",
    provider: str = "Example PEC S.p.A.",
    identificativo: str = "opec.20260302101530.00001.01@pec.creditore.example.it",
    error: str | None = None,
    error_code: str | None = None,
    receipt_type: str = "completa",
    delivered_to: str | None = None,
    daticert: bool = True,
    signed: bool = True,
    header_kind: str | None = None,
    header_message_id: str | None = None,
    daticert_xml: bytes | None = None,
    original: bytes | None = None,
) -> bytes:
    """The bytes of a PEC receipt of ``kind`` (an ``X-Ricevuta`` value) for the message whose
    Message-ID is ``message_id``, issued at ``timestamp`` (an aware datetime) by ``provider``.

    ``recipients`` are the original message's addressees; a delivery receipt or notice
    concerns one of them, ``delivered_to`` (the first by default). ``error`` is the
    ``errore-esteso`` text and ``error_code`` the ``errore`` attribute (by default ``nessuno``,
    or ``no-dest``/``virus``/``altro`` for the failure kinds). ``receipt_type`` goes in
    ``X-TipoRicevuta`` and ``daticert.xml`` of an ``avvenuta-consegna``.

    To test edge cases: ``daticert=False`` leaves ``daticert.xml`` out (headers only),
    ``signed=False`` leaves out the S/MIME wrapper, ``header_kind`` / ``header_message_id``
    write headers that disagree with ``daticert.xml``, ``daticert_xml`` replaces its bytes.
    ``original`` (the bytes of the message sent) is attached as ``postacert.eml``, as in a
    complete delivery receipt.
    """
    if timestamp.tzinfo is None:
        raise ValueError("timestamp must be an aware datetime")
    per_recipient = kind in _PER_RECIPIENT or kind == _PER_RECIPIENT_VIRUS
    consegna = (delivered_to or (recipients[0] if recipients else None)) if per_recipient else None
    code = error_code or _ERROR_CODES.get(kind, "nessuno")
    domain = _domain(sender)
    seed: tuple[object, ...] = (kind, message_id, timestamp.isoformat(), tuple(recipients))
    who = consegna or ", ".join(recipients)
    when = f"{timestamp:%d/%m/%Y} alle ore {timestamp:%H:%M:%S}"
    text = (
        f"Ricevuta di {kind}\n\n"
        f'Il giorno {when} il messaggio con Oggetto "{subject}" inviato da "{sender}" '
        f"e indirizzato a {who}: {kind}.\n"
        + (f"Errore: {error}\n" if error else "")
        + f"Identificativo del messaggio: {identificativo}\n"
        "L'allegato daticert.xml contiene informazioni di servizio sulla trasmissione\n"
    )
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(text, "plain", "utf-8"))
    body.attach(MIMEText(f"<html><body><pre>{escape(text)}</pre></body></html>", "html", "utf-8"))
    body.set_boundary(_boundary("alternative", *seed))
    content = MIMEMultipart("mixed")
    content.attach(body)
    if original is not None:
        attached = MIMEMessage(message_from_bytes(original))
        attached.add_header("Content-Disposition", "attachment", filename="postacert.eml")
        content.attach(attached)
    if daticert:
        xml = daticert_xml
        if xml is None:
            xml = _daticert(
                kind,
                error_code=code,
                sender=sender,
                recipients=recipients,
                subject=subject,
                provider=provider,
                timestamp=timestamp,
                identificativo=identificativo,
                message_id=message_id,
                receipt_type=receipt_type if kind == "avvenuta-consegna" else None,
                delivered_to=consegna,
                taken_by=recipients if kind == "presa-in-carico" else (),
                error=error,
            )
        part = MIMEApplication(xml, "xml", name="daticert.xml")
        part.add_header("Content-Disposition", "inline", filename="daticert.xml")
        content.attach(part)
    content.set_boundary(_boundary("mixed", *seed))
    mail = _signed(content, signed, seed)
    prefix = _SUBJECTS.get(header_kind or kind, "RICEVUTA")
    mail["Return-Path"] = f"<posta-certificata@{domain}>"
    mail["Subject"] = f"{prefix}: {subject}"
    mail["X-Riferimento-Message-ID"] = header_message_id or message_id
    mail["Date"] = format_datetime(timestamp)
    mail["To"] = sender
    mail["From"] = f"posta-certificata@{domain}"
    mail["X-Ricevuta"] = header_kind or kind
    if kind == "avvenuta-consegna":
        mail["X-TipoRicevuta"] = receipt_type
    mail["X-VerificaSicurezza"] = "errore" if kind == "rilevazione-virus" else "ok"
    digest = hashlib.sha256(repr(seed).encode("utf-8")).hexdigest()[:20]
    mail["Message-ID"] = f"<opec.{kind}.{digest}@{domain}>"
    return mail.as_bytes()


def pec_envelope(
    message_id: str,
    *,
    anomaly: bool = False,
    timestamp: datetime = _DEFAULT_TIME,
    sender: str = "amministrazione@pec.debitore.example.it",
    recipient: str = "crediti@pec.creditore.example.it",
    subject: str = "Contestazione fattura",
    provider: str = "Example PEC S.p.A.",
    identificativo: str = "opec.20260302101530.00002.01@pec.debitore.example.it",
) -> bytes:
    """The bytes of a transport envelope (*busta di trasporto*, ``X-Trasporto:
    posta-certificata``): a certified message ``sender`` sent to ``recipient``, the original
    attached as ``postacert.eml``; or, with ``anomaly=True``, an anomaly envelope (*busta di
    anomalia*, ``X-Trasporto: errore``). Neither is a receipt."""
    seed: tuple[object, ...] = ("envelope", anomaly, message_id, timestamp.isoformat())
    original = MIMEText("Contestiamo la fattura 12/2026.\n", "plain", "utf-8")
    original["From"] = sender
    original["To"] = recipient
    original["Subject"] = subject
    original["Message-ID"] = message_id
    original["Date"] = format_datetime(timestamp)
    content = MIMEMultipart("mixed")
    intro = "Anomalia nel messaggio" if anomaly else "Messaggio di posta certificata"
    content.attach(MIMEText(f"{intro} da {sender} per {recipient}.\n", "plain", "utf-8"))
    attached = MIMEMessage(original)
    attached.add_header("Content-Disposition", "attachment", filename="postacert.eml")
    content.attach(attached)
    if not anomaly:
        xml = _daticert(
            "posta-certificata",
            error_code="nessuno",
            sender=sender,
            recipients=(recipient,),
            subject=subject,
            provider=provider,
            timestamp=timestamp,
            identificativo=identificativo,
            message_id=message_id,
            receipt_type=None,
            delivered_to=None,
            taken_by=(),
            error=None,
        )
        part = MIMEApplication(xml, "xml", name="daticert.xml")
        part.add_header("Content-Disposition", "inline", filename="daticert.xml")
        content.attach(part)
    content.set_boundary(_boundary("mixed", *seed))
    mail = _signed(content, not anomaly, seed)
    domain = _domain(sender)
    mail["Subject"] = f"{'ANOMALIA MESSAGGIO' if anomaly else 'POSTA CERTIFICATA'}: {subject}"
    mail["Date"] = format_datetime(timestamp)
    mail["From"] = f'"Per conto di: {sender}" <posta-certificata@{domain}>'
    mail["To"] = recipient
    mail["Reply-To"] = sender
    mail["X-Trasporto"] = "errore" if anomaly else "posta-certificata"
    mail["X-Riferimento-Message-ID"] = message_id
    digest = hashlib.sha256(repr(seed).encode("utf-8")).hexdigest()[:20]
    mail["Message-ID"] = f"<opec.envelope.{digest}@{domain}>"
    return mail.as_bytes()


_BOUNCE_TIME = datetime(2026, 3, 2, 10, 16, 2, tzinfo=timezone(timedelta(hours=1)))


def bounce(
    message_id: str,
    status: str = "5.1.1",
    *,
    recipient: str = "amministrazione@debitore.example.it",
    sender: str = "crediti@creditore.example.it",
    diagnostic: str | None = None,
    timestamp: datetime = _BOUNCE_TIME,
    reporting_mta: str = "mx1.creditore.example.it",
    returned: Literal["message", "headers", "none"] = "message",
    original_message_id_field: bool = False,
) -> bytes:
    """The bytes of a delivery status notification (RFC 3464) for the e-mail whose Message-ID
    is ``message_id`` sent by ``sender`` to ``recipient``, shaped like Postfix's: a
    ``multipart/report; report-type=delivery-status`` with a text for people, the
    ``message/delivery-status`` part (``Status: 5.1.1``, ``Action: failed`` or, for a
    ``4.x.x`` status, ``delayed``) and the returned message (``returned="message"``), its
    headers only (``"headers"``, ``text/rfc822-headers``) or nothing (``"none"``; then set
    ``original_message_id_field`` to name the message in an ``Original-Message-ID`` field).

    >>> from dunning.channels.bounce import read_bounce
    >>> read_bounce(bounce("<m1@example.it>", "4.4.1")).outcome
    'delayed'
    """
    if timestamp.tzinfo is None:
        raise ValueError("timestamp must be an aware datetime")
    permanent = status.startswith("5")
    action = "failed" if permanent else ("delayed" if status.startswith("4") else "delivered")
    code = {"5": "550", "4": "451", "2": "250"}.get(status[:1], "550")
    why = diagnostic or (
        f"{code} {status} <{recipient}>: Recipient address rejected: User unknown in virtual "
        "mailbox table"
        if permanent
        else f"{code} {status} <{recipient}>: Temporary failure, try again later"
    )
    seed = ("bounce", message_id, status, recipient, timestamp.isoformat())
    text = (
        f"This is the mail system at host {reporting_mta}.\n\n"
        + (
            "I'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients. It's attached below.\n\n"
            if permanent
            else "Your message could not be delivered yet; the mail system will keep trying.\n\n"
        )
        + f"<{recipient}>: host mx.{_domain(recipient)} said: {why}\n"
    )
    report = MIMEMultipart("report", report_type="delivery-status")
    human = MIMEText(text, "plain", "us-ascii")
    human.add_header("Content-Description", "Notification")
    report.attach(human)
    per_message = (
        f"Reporting-MTA: dns; {reporting_mta}\n"
        f"X-Postfix-Queue-ID: 4F{hashlib.sha256(repr(seed).encode()).hexdigest()[:8].upper()}\n"
        f"X-Postfix-Sender: rfc822; {sender}\n"
        f"Arrival-Date: {format_datetime(timestamp)}\n"
        + (f"Original-Message-ID: {message_id}\n" if original_message_id_field else "")
    )
    per_recipient = (
        f"Final-Recipient: rfc822; {recipient}\n"
        f"Original-Recipient: rfc822;{recipient}\n"
        f"Action: {action}\n"
        f"Status: {status}\n"
        f"Remote-MTA: dns; mx.{_domain(recipient)}\n"
        f"Diagnostic-Code: smtp; {why}\n"
        f"Last-Attempt-Date: {format_datetime(timestamp)}\n"
    )
    dsn = Message()
    dsn.set_type("message/delivery-status")
    blocks: list[Message | str] = []
    for fields in (per_message, per_recipient):
        block = Message()
        for line in fields.splitlines():
            name, _, value = line.partition(": ")
            block[name] = value
        blocks.append(block)
    dsn.set_payload(blocks)
    dsn.add_header("Content-Description", "Delivery report")
    report.attach(dsn)
    original = MIMEText("Gentile cliente, risulta scoperta la fattura 12/2026.\n", "plain", "utf-8")
    original["From"] = sender
    original["To"] = recipient
    original["Subject"] = "Sollecito di pagamento"
    original["Date"] = format_datetime(timestamp - timedelta(seconds=30))
    original["Message-ID"] = message_id
    if returned == "message":
        attached = MIMEMessage(original)
        attached.add_header("Content-Description", "Undelivered Message")
        report.attach(attached)
    elif returned == "headers":
        head = "".join(
            f"{k}: {v}\n" for k, v in original.items() if k.lower() != "content-transfer-encoding"
        )
        part = MIMEText(head, "rfc822-headers", "us-ascii")
        part.add_header("Content-Description", "Undelivered Message Headers")
        report.attach(part)
    report.set_boundary(_boundary("report", *seed))
    report["Return-Path"] = "<>"
    report["Subject"] = (
        "Undelivered Mail Returned to Sender" if permanent else "Delayed Mail (still being retried)"
    )
    report["From"] = f"MAILER-DAEMON@{reporting_mta} (Mail Delivery System)"
    report["To"] = sender
    report["Date"] = format_datetime(timestamp)
    digest = hashlib.sha256(repr(seed).encode("utf-8")).hexdigest()[:20]
    report["Message-ID"] = f"<{digest}@{reporting_mta}>"
    report["Auto-Submitted"] = "auto-replied"
    return report.as_bytes()
