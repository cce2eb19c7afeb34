"""Adding what an importer read (e-invoices, an ERP's table) to a working folder's tables.

`merge_into_folder` is what ``dunning import`` does after reading: new debtors become rows of
``debtors.csv``, new invoices rows of ``invoices.csv`` (one per open item), new credit notes
``credit_note`` rows; what the folder already holds, unchanged, is left alone (importing the
same files twice adds nothing); what the folder holds *differently* is a conflict, and then
nothing is written. The folder's own rows always win: a debtor already in ``debtors.csv`` keeps
the e-mail address and the notes a person gave it. The tables are rewritten in one replace
each and read back (`read_folder`); if they would not read, the old files are put back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date
from os import PathLike
from pathlib import Path

import attrs

from .._spreadsheet import csv_text
from ..errors import DataError
from ..model import CreditNote, Debtor, Invoice
from ..money import Money
from ..outbox import _write as write_atomically
from ..portfolio import Portfolio
from .folder import COLUMNS, DEBTORS, INVOICES, read_folder

__all__ = ["ImportReport", "append_rows", "merge_into_folder"]


@attrs.frozen
class ImportReport:
    """What `merge_into_folder` added (or would add, with ``dry_run``) and what it found
    already there; ``notes`` are what the importer noticed (a due date set by rule, instalments
    that do not add up...), one line each, for a person to read."""

    debtors: tuple[str, ...] = ()
    invoices: tuple[str, ...] = ()
    credit_notes: tuple[str, ...] = ()
    already: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        """One paragraph for a person."""
        parts = [
            f"{len(self.invoices)} invoice(s)",
            f"{len(self.credit_notes)} credit note(s)",
            f"{len(self.debtors)} new debtor(s)",
        ]
        line = ", ".join(parts) + " added"
        if self.already:
            line += f"; {len(self.already)} already in the folder, unchanged"
        return line


def _debtor_row(debtor: Debtor) -> dict[str, str]:
    address = debtor.address
    return {
        "id": debtor.id,
        "name": debtor.name,
        "kind": debtor.kind,
        "vat_number": debtor.vat_number or "",
        "tax_code": debtor.tax_code or "",
        "email": debtor.email or "",
        "pec": debtor.pec or "",
        "phone": debtor.phone or "",
        "address": "|".join(address.lines) if address else "",
        "postcode": address.postcode if address else "",
        "city": address.city if address else "",
        "province": address.province if address else "",
        "country": debtor.country,
        "iban": ";".join(sorted(debtor.ibans)),
    }


def _items(invoice: Invoice) -> list[tuple[date, Money]]:
    """The open items as the folder holds them: a due date stated before the document's own
    date (an advance, instalments agreed before invoicing) is held as the document's date —
    nothing can be overdue before the invoice exists, and the later date is the safe side for
    the debtor — and items then due on the same day are one."""
    items: dict[date, Money] = {}
    for item in invoice.items:
        due = max(item.due_date, invoice.issue_date)
        items[due] = items[due] + item.amount if due in items else item.amount
    return list(items.items())


def _invoice_rows(invoice: Invoice, document: str | None) -> list[dict[str, str]]:
    documents = ";".join(
        [f"{d.kind}:{d.reference}" for d in invoice.documents]
        + ([f"einvoice:{document}"] if document else [])
    )
    return [
        {
            "invoice_id": invoice.id,
            "debtor_id": invoice.debtor_id,
            "number": invoice.number or "",
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": due.isoformat(),
            "amount": str(amount.amount),
            "currency": amount.currency,
            "documents": documents,
            "performed_on": invoice.performed_on.isoformat() if invoice.performed_on else "",
        }
        for due, amount in _items(invoice)
    ]


def _note_row(note: CreditNote) -> dict[str, str]:
    return {
        "invoice_id": note.id,
        "debtor_id": note.debtor_id,
        "issue_date": note.date.isoformat(),
        "amount": str(note.amount.amount),
        "currency": note.amount.currency,
        "kind": "credit_note",
        "applies_to": note.invoice_id or "",
    }


def _same_invoice(a: Invoice, b: Invoice) -> bool:
    return (a.debtor_id, a.issue_date, _items(a)) == (b.debtor_id, b.issue_date, _items(b))


def append_rows(
    path: Path, rows: Sequence[Mapping[str, str]], *, every_value_in_a_column: bool = False
) -> bytes:
    """The bytes of the folder's CSV file ``path`` with ``rows`` added under its own header
    (the folder's columns when the file is empty), each cell guarded against formula injection
    (`dunning._spreadsheet.safe_cell`). A value for a column the file does not have is left
    out, or, with ``every_value_in_a_column``, a `DataError` naming the columns to add."""
    text = path.read_bytes().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)), [])
    if not header:
        header = list(COLUMNS[path.name])
        text = ",".join(header) + "\n"
    missing = sorted({k for row in rows for k, v in row.items() if v} - set(header))
    if missing and every_value_in_a_column:
        raise DataError(
            f"has no column {', '.join(missing)} for what is imported: add the column",
            source=str(path),
        )
    if text and not text.endswith("\n"):
        text += "\n"
    return (text + csv_text([row.get(column, "") for column in header] for row in rows)).encode(
        "utf-8"
    )


def merge_into_folder(
    folder: str | PathLike[str],
    imported: Portfolio,
    *,
    documents: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Add the debtors, invoices and credit notes of ``imported`` to the working folder
    ``folder`` (see the module's docstring); ``documents`` names the file each invoice came
    from (kept in its ``documents`` cell as ``einvoice:NAME``). With ``dry_run`` nothing is
    written. A conflict — an invoice or credit note the folder holds with other amounts,
    dates or debtor, a creditor other than the folder's — is a `DataError` listing them all,
    and nothing is written."""
    root = Path(folder)
    data = read_folder(root)
    have = data.portfolio
    problems: list[DataError] = []
    mine, theirs = have.creditor.vat_number, imported.creditor.vat_number
    if mine and theirs and mine.replace(" ", "").upper() != theirs.replace(" ", "").upper():
        problems.append(
            DataError(
                f"issued by {imported.creditor.name} ({theirs}), not by this folder's creditor "
                f"{have.creditor.name} ({mine}): an invoice received, not one to collect?",
                field="creditor",
            )
        )
    known_debtors = {d.id for d in have.debtors}
    known_invoices = {i.id: i for i in have.invoices}
    known_notes = {n.id: n for n in have.credit_notes}
    new_debtors = [d for d in imported.debtors if d.id not in known_debtors]
    invoices: list[Invoice] = []
    notes: list[CreditNote] = []
    already: list[str] = []
    remarks: list[str] = []
    for invoice in imported.invoices:
        held = known_invoices.get(invoice.id)
        if held is None:
            invoices.append(invoice)
            early = [i for i in invoice.items if i.due_date < invoice.issue_date]
            remarks += [
                f"{invoice.id}: {n}"
                for n in (invoice.terms.notes if invoice.terms else ())
                if not (early and "before the document date" in n)  # said below, as held
            ]
            if early:
                remarks.append(
                    f"{invoice.id}: {len(early)} instalment(s) due before the invoice's date "
                    f"{invoice.issue_date} ({', '.join(str(i.due_date) for i in early)}): "
                    "taken as due on that date (one item)"
                )
        elif _same_invoice(held, invoice):
            already.append(invoice.id)
        else:
            problems.append(
                DataError(
                    "the folder holds this invoice with another debtor, date or amounts: "
                    "correct invoices.csv or the file, then import again",
                    record=f"invoice {invoice.id}",
                )
            )
    for note in imported.credit_notes:
        held_note = known_notes.get(note.id)
        if held_note is not None:
            if (held_note.debtor_id, held_note.amount) == (note.debtor_id, note.amount):
                already.append(note.id)
            else:
                problems.append(
                    DataError(
                        "the folder holds this credit note with another debtor or amount",
                        record=f"credit note {note.id}",
                    )
                )
        elif note.invoice_id is None:
            remarks.append(
                f"credit note {note.id} of {note.debtor_id} names no invoice of this folder "
                f"({note.reference or 'none'}): not imported; record it by hand"
            )
        else:
            notes.append(note)
    if problems:
        raise DataError(
            f"{len(problems)} conflict(s): nothing was imported", errors=tuple(problems)
        )
    report = ImportReport(
        tuple(d.id for d in new_debtors),
        tuple(i.id for i in invoices),
        tuple(n.id for n in notes),
        tuple(already),
        tuple(remarks),
    )
    if dry_run or not (new_debtors or invoices or notes):
        return report
    debtors_path, invoices_path = root / DEBTORS, root / INVOICES
    before = {debtors_path: debtors_path.read_bytes(), invoices_path: invoices_path.read_bytes()}
    rows = [r for i in invoices for r in _invoice_rows(i, (documents or {}).get(i.id))]
    rows += [_note_row(n) for n in notes]
    new = {
        debtors_path: append_rows(
            debtors_path, [_debtor_row(d) for d in new_debtors], every_value_in_a_column=True
        ),
        invoices_path: append_rows(invoices_path, rows, every_value_in_a_column=True),
    }
    try:
        for path, content in new.items():
            write_atomically(path, content)
        read_folder(root)
    except BaseException:
        for path, content in before.items():
            write_atomically(path, content)
        raise
    return report
