"""The outbox: the day's messages as files, for a person to review before anything is sent.

`write_outbox(proposal, portfolio, policy, folder, history=...)` renders every action of a
proposal (`dunning.render.render`) and writes:

- an ``.eml`` file (RFC 5322, a text part and an HTML part, ``Content-Language`` set and a
  ``Message-ID`` derived from the action's idempotency key) for each e-mail and PEC message;
- a ``.pdf`` file for each letter (`dunning.letters`: A4, for the window of ``envelope``,
  by default the usual one of the creditor's country), and, when there are letters, the
  batch ``letters.pdf`` with its manifest ``letters.csv`` and ``letters.json`` for the
  mailing service; without the ``pdf`` extra a letter is written as ``.txt`` instead and
  its index entry says why;
- the day's calls in one call list, ``<date>_calls.csv`` and ``<date>_calls.ics``
  (`dunning.calls`): the index entry of each call names the CSV as its ``file`` and the
  calendar as its ``calendar``;
- a ``.zip`` dossier for each hand-over to an agency (`dunning.dossier`), with the
  supporting documents found in ``documents``;
- a ``.json`` file for each SMS (`dunning.sms_text.render_sms`): key, number, sender id, text,
  encoding, segments and language, as a gateway takes them;
- ``outbox.json``, the index: per action its key, debtor, step, kind, channel, recipient and
  file (and for an SMS its segments).

Files are written atomically (a temporary name, then a rename) and readable by their owner
only. Nothing here sends anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime, time
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import attrs

from .calls import call_tasks, calls_csv, calls_ics
from .dossier import build_dossier
from .events import Event
from .letters import ENVELOPES, Envelope, Letter, MissingExtra, envelope_for, letter_for
from .policy import PolicyLike
from .portfolio import Portfolio
from .proposal import Proposal
from .render import Attachment, Message, render
from .sms_text import render_sms
from .timezones import zones_for

__all__ = ["INDEX", "message_id", "to_email", "write_outbox"]

INDEX = "outbox.json"

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def message_id(key: str, domain: str = "dunning.invalid") -> str:
    """The ``Message-ID`` of the message of the action with idempotency ``key``: the same key
    always gives the same id, so a resent message is recognisable (and a PEC receipt names
    it)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def to_email(
    message: Message,
    sender: str,
    day: datetime,
    *,
    sender_name: str = "",
    recipient_name: str = "",
) -> EmailMessage:
    """``message`` as an RFC 5322 e-mail from ``sender`` (shown as ``sender_name``) to
    ``message.to`` (shown as ``recipient_name``), dated ``day`` (give it a time zone: a naive
    one is written as ``-0000``, "zone unknown"), with the message's attachments."""
    mail = EmailMessage()
    mail["From"] = Address(sender_name, addr_spec=sender) if sender_name and sender else sender
    if message.to:
        mail["To"] = Address(recipient_name, addr_spec=message.to) if recipient_name else message.to
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(day)
    mail["Message-ID"] = message_id(message.key, sender.rpartition("@")[2] or "dunning.invalid")
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        mail.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    mail["Content-Language"] = message.language  # after set_content, which drops Content-*
    # a boundary from the key, not a random one: the same message gives the same bytes
    mail.set_boundary("dunning-" + hashlib.sha256(message.key.encode("utf-8")).hexdigest()[:24])
    return mail


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by the owner only."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


def _name(*parts: str) -> str:
    return "_".join(_SAFE.sub("-", p).strip("-") for p in parts if p)


def _envelope(envelope: Envelope | str | None, country: str) -> Envelope:
    if isinstance(envelope, Envelope):
        return envelope
    if envelope is None:
        return envelope_for(country or "IT")
    if envelope not in ENVELOPES:
        raise ValueError(
            f"no envelope layout {envelope!r}: choose one of {', '.join(sorted(ENVELOPES))} "
            "or give an Envelope (Envelope.custom(...))"
        )
    return ENVELOPES[envelope]


def write_outbox(
    proposal: Proposal,
    portfolio: Portfolio,
    policy: PolicyLike,
    folder: str | os.PathLike[str],
    history: Iterable[Event] = (),
    *,
    documents: str | os.PathLike[str] | None = None,
    envelope: Envelope | str | None = None,
    attach_pdf: Literal["formal_notice", "all", "none"] = "formal_notice",
) -> list[dict[str, Any]]:
    """Render the actions of ``proposal`` into ``folder`` (created owner-only); returns the
    index written to ``outbox.json``. ``documents``: the folder where the agency dossiers
    look for the supporting documents' files. Letters are laid out for ``envelope`` (an
    `Envelope` or the name of one of `dunning.letters.ENVELOPES`; default: `envelope_for`
    the creditor's country). ``attach_pdf``: which e-mail and PEC messages carry their
    letter as a PDF attachment (by default a formal notice, which a debtor may print or
    forward to a lawyer; ``"all"`` for every step, ``"none"``)."""
    if attach_pdf not in ("formal_notice", "all", "none"):
        raise ValueError(f"attach_pdf must be 'formal_notice', 'all' or 'none', not {attach_pdf!r}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    past = list(history)
    creditor = portfolio.creditor
    # dated 9:00 in the creditor's zone (UTC when its country has several)
    zones = zones_for(creditor.country).zones
    zone = ZoneInfo(zones[0]) if len(zones) == 1 else UTC
    window = _envelope(envelope, creditor.address.country if creditor.address else "")
    letters: list[tuple[Letter, dict[str, Any]]] = []
    index: list[dict[str, Any]] = []
    calls = call_tasks(proposal, portfolio, policy, past)
    if calls:
        day = proposal.as_of.isoformat()
        domain = (creditor.email or "").rpartition("@")[2] or "dunning.invalid"
        call_list, calendar = f"{day}_calls.csv", f"{day}_calls.ics"
        _write(out / call_list, calls_csv(calls))
        _write(out / calendar, calls_ics(calls, domain=domain))
    for action in proposal:
        entry: dict[str, Any] = {
            "key": action.key,
            "debtor_id": action.debtor_id,
            "step": action.step,
            "kind": action.kind,
            "channel": action.channel,
            "items": list(action.items),
            "amount": str(action.amount.amount),
            "currency": action.amount.currency,
        }
        if action.not_before is not None:
            entry["not_before"] = action.not_before.isoformat()
        if action.not_after is not None:
            entry["not_after"] = action.not_after.isoformat()
        base = _name(action.date.isoformat(), action.debtor_id, action.step, action.channel)
        if action.channel in ("email", "pec"):
            message = render(action, portfolio, policy, past)
            if attach_pdf == "all" or (attach_pdf == action.kind):
                try:
                    from .letters import letter_pdf

                    pdf = letter_pdf(letter_for(action, portfolio, policy, past), window)
                    title = _name(message.subject.split(" – ")[0], action.date.isoformat())
                    attachment = Attachment(f"{title}.pdf", "application/pdf", pdf)
                    message = attrs.evolve(message, attachments=(attachment,))
                    entry.update(attachment=attachment.filename)
                except MissingExtra as missing:
                    entry.update(note=f"sent without its PDF: {missing}")
            sender = (creditor.pec if action.channel == "pec" else creditor.email) or ""
            debtor = portfolio.debtor(action.debtor_id)
            mail = to_email(
                message,
                sender,
                datetime.combine(action.date, time(9, 0), tzinfo=zone),
                sender_name=creditor.name,
                recipient_name=debtor.name,
            )
            name = f"{base}.eml"
            _write(out / name, bytes(mail))
            entry.update(file=name, recipient=message.to, subject=message.subject)
        elif action.channel == "postal":
            message = render(action, portfolio, policy, past)
            entry.update(recipient=portfolio.debtor(action.debtor_id).name)
            entry.update(subject=message.subject, service=action.service)
            try:
                from .letters import letter_pdf

                letter = letter_for(action, portfolio, policy, past)
                name = f"{base}.pdf"
                _write(out / name, letter_pdf(letter, window))
                letters.append((letter, entry))
            except MissingExtra as missing:
                name = f"{base}.txt"
                _write(out / name, message.text.encode("utf-8"))
                entry.update(note=f"the letter's text only: {missing}")
            entry.update(file=name)
        elif action.channel == "phone":
            debtor = portfolio.debtor(action.debtor_id)
            entry.update(file=call_list, calendar=calendar, recipient=debtor.phone)
        elif action.channel == "agency":
            name = f"{base}.zip"
            dossier = build_dossier(action, portfolio, policy, past, documents=documents)
            _write(out / name, dossier.to_zip())
            entry.update(file=name, recipient=portfolio.debtor(action.debtor_id).name)
        elif action.channel == "sms":
            text = render_sms(action, portfolio, policy, past)
            name = f"{base}.json"
            sms_file = {
                "key": text.key,
                "to": text.to,
                "sender": text.sender,
                "text": text.text,
                "encoding": text.encoding,
                "segments": text.segments,
                "language": text.language,
            }
            data = json.dumps(sms_file, indent=2, ensure_ascii=False) + "\n"
            _write(out / name, data.encode("utf-8"))
            entry.update(file=name, recipient=text.to, segments=text.segments)
        else:
            entry.update(file=None, note="not a message")
        index.append(entry)
    if letters:
        from .letters import write_batch

        files = {letter.key: entry["file"] for letter, entry in letters}
        rows = write_batch([letter for letter, _ in letters], out, window, files=files)
        for (_, entry), row in zip(letters, rows, strict=True):
            entry.update(batch="letters.pdf", pages=row["pages"], first_page=row["first_page"])
    _write(out / INDEX, json.dumps(index, indent=2, ensure_ascii=False).encode("utf-8"))
    return index
