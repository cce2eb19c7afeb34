"""The agency's dossier: everything a collection agency or a lawyer needs to take a case on.

`build_dossier(action, portfolio, policy, history)` gathers, for a hand-over action, the
case as the creditor knows it and `Dossier.to_zip` packs it in one ZIP:

- ``dossier.json``: the creditor; the debtor with its contacts; the items claimed; the
  statement of account's figures (principal, interest with its periods and rates, the fixed
  compensation, the total, from `dunning.statement.statement_for`); the payments; the
  contact history (every action with its date and channel, messages sent, deliveries,
  replies and call outcomes, promises, disputes); the proofs of delivery (the
  `DeliveryConfirmed` events, with their evidence); the supporting documents with their
  SHA-256 hashes; and the limitation status of each claimed item (`dunning.limitation`,
  when the policy tracks it). Its JSON Schema (draft 2020-12) ships with the package:
  `dossier_schema` (the file ``dunning/schemas/dossier.schema.json``);
- ``statement.txt``: the statement of account with the interest line by line
  (`statement_members` writes it: the one place where ``statement.pdf`` will join it);
- ``history.txt``: the case's story (`dunning.Timeline.story`) and the contact log;
- ``documents/...``: the supporting documents themselves, when ``documents`` names a folder
  that holds a file named as the document's reference (``DDT 2026-0036.pdf`` or
  ``DDT 2026-0036``); its hash is computed from the file and compared with the recorded one.

The ZIP is deterministic: members sorted by name, each dated on the action's day, with
fixed permissions, so the same case gives the same bytes. Member names are made safe (no
directories from an invoice number or a document's reference, no ``..``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from .calls import contact_log
from .errors import PolicyError
from .events import (
    ActionPlanned,
    DebtorReplied,
    DeliveryConfirmed,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    DocumentAdded,
    Event,
    HandedOver,
    MessageSent,
    PlanAgreed,
    PromiseToPay,
)
from .limitation import limitation_status
from .model import Creditor, Debtor, Document, PostalAddress
from .money import Money
from .policy import PolicyLike
from .portfolio import Portfolio
from .proposal import Action, Timeline
from .render import _format
from .statement import Statement, statement_for

__all__ = [
    "DOSSIER_VERSION",
    "Dossier",
    "build_dossier",
    "dossier_schema",
    "safe_member_name",
    "statement_members",
]

#: The version of the layout of ``dossier.json`` (its ``version`` field).
DOSSIER_VERSION = 1

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def dossier_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``dossier.json``, shipped with the package."""
    text = resources.files("dunning").joinpath("schemas/dossier.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def safe_member_name(name: str, taken: Iterable[str] = ()) -> str:
    """``name`` as one safe file name inside a ZIP: no directory separators, no ``..``, no
    leading dot, only letters, digits, ``._ -``; a number added when ``taken`` holds it.

    >>> safe_member_name("DDT 2026/0036.pdf")
    'DDT 2026-0036.pdf'
    >>> safe_member_name("../../etc/passwd")
    'etc-passwd'
    >>> safe_member_name("a.pdf", taken=["a.pdf"])
    'a-2.pdf'
    """
    cleaned = _UNSAFE.sub("-", name.replace("\\", "/").replace("/", "-"))
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip(" .-") or "file"
    used = set(taken)
    if cleaned not in used:
        return cleaned
    stem, dot, ext = cleaned.rpartition(".")
    if not dot or not stem:
        stem, ext = cleaned, ""
    n = 2
    while True:
        candidate = f"{stem}-{n}" + (f".{ext}" if ext else "")
        if candidate not in used:
            return candidate
        n += 1


def statement_members(account: Statement, locale: str) -> dict[str, bytes]:
    """The statement of account's files in the dossier: ``statement.txt`` (the figures with
    the interest period by period) and, with the ``pdf`` extra, the same as ``statement.pdf``
    to print or file with a court.
    """
    del locale  # the statement's text is in English, like the figures of dossier.json
    text = account.text(periods=True)
    members = {"statement.txt": (text + "\n").encode("utf-8")}
    from .letters import MissingExtra, text_pdf

    # without the pdf extra the text statement stands alone
    with contextlib.suppress(MissingExtra):
        day = account.as_of.isoformat()
        members["statement.pdf"] = text_pdf("Statement of account", text, day)
    return members


def _money(value: Money) -> dict[str, str]:
    return {"amount": str(value.amount), "currency": value.currency}


def _address(address: PostalAddress | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "lines": list(address.lines),
        "postcode": address.postcode,
        "city": address.city,
        "province": address.province,
        "country": address.country,
    }


def _creditor(creditor: Creditor) -> dict[str, Any]:
    return {
        "name": creditor.name,
        "vat_number": creditor.vat_number,
        "address": _address(creditor.address),
        "iban": creditor.iban,
        "email": creditor.email,
        "pec": creditor.pec,
        "phone": creditor.phone,
        "signatory": creditor.signatory,
    }


def _debtor(debtor: Debtor) -> dict[str, Any]:
    return {
        "id": debtor.id,
        "name": debtor.name,
        "kind": debtor.kind,
        "vat_number": debtor.vat_number,
        "tax_code": debtor.tax_code,
        "address": _address(debtor.address),
        "email": debtor.email,
        "pec": debtor.pec,
        "phone": debtor.phone,
        "contact_person": debtor.contact_person,
        "locale": debtor.locale,
        "timezone": debtor.timezone,
    }


def _contact(event: Event) -> dict[str, Any] | None:
    """One line of the contact history, or None for an event that is not one."""
    base: dict[str, Any] = {"date": event.date.isoformat()}
    if isinstance(event, ActionPlanned):
        base.update(
            type="action",
            key=event.key,
            step=event.step,
            kind=event.kind,
            channel=event.channel + (f":{event.service}" if event.service else ""),
            items=list(event.items),
            amount=_money(event.amount),
            deadline=event.deadline.isoformat() if event.deadline else None,
        )
    elif isinstance(event, MessageSent):
        outcome = "no_answer" if event.channel == "phone" and event.note else "sent"
        base.update(type="message_sent", key=event.key, channel=event.channel, outcome=outcome)
        base.update(note=event.note)
    elif isinstance(event, DeliveryConfirmed):
        base.update(type="delivered", key=event.key, channel=event.channel)
        base.update(evidence=event.evidence)
    elif isinstance(event, DeliveryFailed):
        base.update(type="delivery_failed", key=event.key, channel=event.channel)
        base.update(note=event.reason)
    elif isinstance(event, DebtorReplied):
        base.update(type="reply", channel=event.channel, outcome=event.kind, note=event.note)
        if event.until:
            base["until"] = event.until.isoformat()
        if event.invoice_id:
            base["invoice_id"] = event.invoice_id
        if event.reference:
            base["reference"] = event.reference
    elif isinstance(event, PromiseToPay):
        base.update(type="promise", until=event.until.isoformat(), note=event.note)
        base["amount"] = _money(event.amount) if event.amount else None
    elif isinstance(event, DisputeOpened):
        base.update(type="dispute_opened", invoice_id=event.invoice_id, note=event.reason)
    elif isinstance(event, DisputeResolved):
        base.update(type="dispute_resolved", invoice_id=event.invoice_id, note=event.note)
    elif isinstance(event, PlanAgreed):
        base.update(
            type="plan_agreed",
            note=event.note,
            instalments=[
                {"date": d.isoformat(), "amount": _money(m)} for d, m in event.instalments
            ],
        )
    elif isinstance(event, HandedOver):
        base.update(type="handed_over", note=event.agency)
    else:
        return None
    return base


def _find_file(folder: Path, reference: str) -> Path | None:
    """The file of the document ``reference`` inside ``folder`` (exactly named so, or with
    ``/`` replaced as `safe_member_name` does, with or without ``.pdf``), never outside it."""
    root = folder.resolve()
    for name in (reference, safe_member_name(reference)):
        for candidate in (name, f"{name}.pdf"):
            path = (root / candidate).resolve()
            if path.is_file() and path.is_relative_to(root):
                return path
    return None


@attrs.frozen
class Dossier:
    """A hand-over dossier: ``data`` (the content of ``dossier.json``) and the other
    ``members`` of the ZIP as ``(name, bytes)`` pairs, for the action ``key`` of ``date``."""

    key: str
    date: date
    data: Mapping[str, Any] = attrs.field(eq=False)
    members: tuple[tuple[str, bytes], ...]

    def json(self) -> bytes:
        """``dossier.json`` as bytes (UTF-8, keys in a fixed order)."""
        text = json.dumps(self.data, indent=2, ensure_ascii=False, sort_keys=True)
        return (text + "\n").encode("utf-8")

    def to_zip(self) -> bytes:
        """The ZIP: every member dated on the action's day, sorted by name; the same dossier
        always gives the same bytes."""
        files = dict(self.members)
        files["dossier.json"] = self.json()
        buffer = io.BytesIO()
        stamp = (max(self.date.year, 1980), self.date.month, self.date.day, 0, 0, 0)
        with zipfile.ZipFile(buffer, "w") as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so the permissions below are read
                info.external_attr = 0o600 << 16
                archive.writestr(info, files[name])
        return buffer.getvalue()


def build_dossier(
    action: Action,
    portfolio: Portfolio,
    policy: PolicyLike,
    history: Iterable[Event] = (),
    *,
    documents: str | os.PathLike[str] | None = None,
) -> Dossier:
    """The dossier of ``action`` (a hand-over, though any action works), planned with
    ``policy`` on ``portfolio`` and ``history`` (the history *before* the action).
    ``documents``: a folder where supporting documents are looked up by reference."""
    past = [e for e in history if e.debtor_id == action.debtor_id]
    creditor = portfolio.creditor
    debtor = portfolio.debtor(action.debtor_id)
    case = portfolio.case(action.debtor_id, action.date, past)
    chosen = policy.policy_for(case, action.date)
    if chosen is None:
        raise PolicyError(f"no policy applies to debtor {action.debtor_id}")
    account = statement_for(portfolio, policy, action.debtor_id, action.date, past)
    claimed = set(action.items)
    invoices = {i.id: i for i in portfolio.invoices if i.debtor_id == debtor.id}
    items = {i.key: i for i in case.items}

    lines = [line for line in account.lines if line.key in claimed]
    zero = action.amount * 0
    principal = sum((line.principal_open for line in lines), zero)
    interest = sum((line.interest_due for line in lines), zero)
    compensation = sum((line.compensation_due for line in lines), zero)
    statement_data = {
        "as_of": account.as_of.isoformat(),
        "currency": account.currency,
        "regime": account.regime,
        "principal": _money(principal),
        "interest": _money(interest),
        "compensation": _money(compensation),
        "total": _money(principal + interest + compensation),
        "account_total": _money(account.total_due),
        "on_account": _money(account.on_account),
        "interest_until": account.interest_until.isoformat() if account.interest_until else None,
        "missing_rates": list(account.missing_rates),
        "lines": [
            {
                "key": line.key,
                "invoice": line.label,
                "due_date": line.due_date.isoformat(),
                "amount": _money(line.amount),
                "principal_open": _money(line.principal_open),
                "interest_due": _money(line.interest_due),
                "interest_paid": _money(line.interest_paid),
                "compensation_due": _money(line.compensation_due),
                "disputed": line.disputed,
                "interest_periods": [
                    {
                        "start": p.start.isoformat(),
                        "end": p.end.isoformat(),
                        "days": p.days,
                        "rate": str(p.rate),
                        "principal": _money(p.principal),
                        "amount": _money(p.amount),
                    }
                    for p in (line.interest.periods if line.interest else ())
                ],
            }
            for line in lines
        ],
    }

    claimed_items = []
    for key in action.items:
        item = items.get(key)
        if item is None:
            continue
        claimed_items.append(
            {
                "key": key,
                "invoice_id": item.invoice_id,
                "number": item.label,
                "issue_date": item.issue_date.isoformat(),
                "due_date": item.due_date.isoformat(),
                "amount": _money(item.amount),
                "open": _money(item.open),
                "disputed": item.disputed,
            }
        )
    claimed_invoices = list(dict.fromkeys(items[k].invoice_id for k in action.items if k in items))

    # supporting documents: on the invoices and recorded since, each once
    found: dict[tuple[str, str, str], tuple[Document, str | None]] = {}
    for invoice_id in claimed_invoices:
        invoice = invoices.get(invoice_id)
        for document in invoice.documents if invoice else ():
            found.setdefault((invoice_id, document.kind, document.reference), (document, None))
    for event in sorted((*portfolio.events_of(debtor.id), *past), key=lambda e: e.date):
        if isinstance(event, DocumentAdded) and event.invoice_id in claimed_invoices:
            doc = event.document
            mark = (event.invoice_id, doc.kind, doc.reference)
            if mark not in found or (doc.sha256 and not found[mark][0].sha256):
                found[mark] = (doc, event.date.isoformat())
    members: dict[str, bytes] = {}
    folder = Path(documents) if documents is not None else None
    document_rows = []
    for (invoice_id, kind, reference), (doc, recorded) in sorted(found.items()):
        row: dict[str, Any] = {
            "invoice_id": invoice_id,
            "kind": kind,
            "reference": reference,
            "recorded": recorded,
            "sha256": doc.sha256,
            "file": None,
            "hash_matches": None,
        }
        path = _find_file(folder, reference) if folder is not None else None
        if path is not None:
            content = path.read_bytes()
            digest = hashlib.sha256(content).hexdigest()
            name = "documents/" + safe_member_name(path.name, (n[10:] for n in members))
            members[name] = content
            row.update(file=name, hash_matches=None if doc.sha256 is None else doc.sha256 == digest)
            row["sha256"] = digest
            if doc.sha256 is not None:
                row["recorded_sha256"] = doc.sha256
        document_rows.append(row)

    events = sorted((*portfolio.events_of(debtor.id), *past), key=lambda e: (e.date, e.priority))
    contacts = [c for e in events if e.date <= action.date and (c := _contact(e)) is not None]
    planned = {e.key: e for e in events if isinstance(e, ActionPlanned)}
    proofs = []
    for event in events:
        if isinstance(event, DeliveryConfirmed) and event.date <= action.date:
            sent = planned.get(event.key)
            proofs.append(
                {
                    "key": event.key,
                    "step": sent.step if sent else None,
                    "kind": sent.kind if sent else None,
                    "sent": sent.date.isoformat() if sent else None,
                    "delivered": event.date.isoformat(),
                    "channel": event.channel,
                    "evidence": event.evidence,
                }
            )
    payments = [
        {"date": p.date.isoformat(), "amount": _money(p.amount), "reference": p.reference}
        for p in sorted(portfolio.payments, key=lambda p: (p.date, p.id))
        if p.debtor_id == debtor.id and p.date <= action.date
    ]

    limitation: list[dict[str, Any]] | None = None
    if chosen.limitation is not None:
        limitation = [
            {
                "key": s.key,
                "period": s.period.name,
                "years": s.period.years,
                "law": s.period.law,
                "starts": s.starts.isoformat(),
                "counted_from": s.counted_from,
                "interruptions": [d.isoformat() for d in s.interruptions],
                "runs_out": s.runs_out.isoformat(),
                "days_left": s.days_left,
                "expired": s.expired,
                "note": s.describe(),
            }
            for s in limitation_status(case, action.date, chosen.limitation)
            if s.key in claimed
        ]

    statement_files = statement_members(account, creditor.locale)
    members.update(statement_files)
    fmt = _format(creditor.locale)
    language = "it" if creditor.locale.lower().startswith("it") else "en"
    story = Timeline(action.date, action.date, (), tuple(past)).story(
        debtor.id, portfolio.events_of(debtor.id), creditor.locale
    )
    log = contact_log(case, fmt, language, invoices)
    history_text = (
        f"{debtor.name} ({debtor.id}): {action.step} {action.date}\n\n"
        f"Contacts\n--------\n{story}\n\n"
        f"Contact log (with deliveries, replies and payments)\n"
        f"---------------------------------------------------\n" + "\n".join(log) + "\n"
    )
    members["history.txt"] = history_text.encode("utf-8")

    data: dict[str, Any] = {
        "version": DOSSIER_VERSION,
        "created": action.date.isoformat(),
        "action": {
            "key": action.key,
            "step": action.step,
            "kind": action.kind,
            "date": action.date.isoformat(),
            "items": list(action.items),
            "amount": _money(action.amount),
            "policy": action.policy,
        },
        "creditor": _creditor(creditor),
        "debtor": _debtor(debtor),
        "claimed_items": claimed_items,
        "statement": statement_data,
        "payments": payments,
        "contacts": contacts,
        "proofs_of_delivery": proofs,
        "documents": document_rows,
        "limitation": limitation,
        "files": sorted([*members, "dossier.json"]),
    }
    return Dossier(action.key, action.date, data, tuple(sorted(members.items())))
