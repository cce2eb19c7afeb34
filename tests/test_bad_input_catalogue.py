# ruff: noqa: E501  (the catalogue's texts are the rows of a table: one line each)
"""The catalogue of bad input: one case per row of ``docs/bad-input.md``.

Each case has an id, the input (``given``), what the user sees (``sees``: the error text or a
stable part of it, naming the file, line, record and field where there is one) and what is
kept (``kept``). A case either runs here (its ``check``) or names the existing test that
covers it (``covered_by``), which must exist. The table in ``docs/bad-input.md`` is generated
from this list and checked against it: run ``python tests/test_bad_input_catalogue.py`` to
rewrite it after changing a case.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import einvoice_files as einv
from dunning import Debtor, Invoice, Money, Payment, Portfolio, plan
from dunning._spreadsheet import safe_cell as call_cell  # what the call list writes
from dunning.calls import read_call_outcomes
from dunning.dossier import safe_member_name
from dunning.errors import DataError
from dunning.importers import fatturapa, read_folder, read_table, ubl
from dunning.importers import folder as folder_module
from dunning.letters import manifest_csv
from dunning.outbox import to_email, write_outbox
from dunning.policies import italy
from dunning.render import Message, render
from dunning.returns import read_returns
from dunning.testing.strategies import CREDITOR

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "bad-input.md"

# -- the catalogue ---------------------------------------------------------------------------


@attrs.frozen
class Case:
    id: str
    given: str
    sees: str
    kept: str
    check: Callable[[Path], None] | None = None
    covered_by: str = ""
    """``tests/test_x.py::test_name`` when an existing test covers the case."""


CASES: list[Case] = []


def case(
    id: str, given: str, sees: str, kept: str
) -> Callable[[Callable[[Path], None]], Callable[[Path], None]]:
    def register(check: Callable[[Path], None]) -> Callable[[Path], None]:
        CASES.append(Case(id, given, sees, kept, check))
        return check

    return register


def covered(id: str, given: str, sees: str, kept: str, by: str) -> None:
    CASES.append(Case(id, given, sees, kept, covered_by=by))


# -- a folder to spoil -----------------------------------------------------------------------

TOML = """\
[creditor]
name = "Tipografia Emiliana S.r.l."
vat_number = "IT03287650372"
iban = "IT60X0542811101000000123456"
"""
DEBTORS = "id,name,kind,email\nD1,Osteria del Portico,business,osteria@example.com\nD2,Marco Rinaldi,consumer,\n"
INVOICES = (
    "invoice_id,debtor_id,number,issue_date,due_date,amount,currency\n"
    "F1,D1,2026/0001,2026-01-10,2026-02-09,100.00,EUR\n"
    "F2,D2,2026/0002,2026-01-12,2026-01-12,80.50,EUR\n"
)
PAYMENTS = "payment_id,debtor_id,date,amount,reference\nP1,D1,2026-02-10,40.00,2026/0001\n"


def write(tmp_path: Path, **files: str | bytes) -> Path:
    """A valid folder in ``tmp_path`` with ``debtors_csv=...`` (text or bytes) replacing a
    file."""
    contents: dict[str, str | bytes] = {
        "dunning.toml": TOML,
        "debtors.csv": DEBTORS,
        "invoices.csv": INVOICES,
        "payments.csv": PAYMENTS,
    }
    contents.update({name.replace("_", ".", 1): data for name, data in files.items()})
    for name, data in contents.items():
        path = tmp_path / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8", newline="")
    return tmp_path


def refused(path: Path, where: tuple[str, int | None, str | None, str | None], sees: str) -> None:
    """``read_folder`` raises one problem at ``(file, line, record, field)`` with ``sees`` in
    its message; with ``on_error="skip"`` the same problem is reported in ``rejected``."""
    with pytest.raises(DataError) as caught:
        read_folder(path)
    found = [(e.source, e.line, e.record, e.field) for e in caught.value.errors]
    assert where in found, found
    error = caught.value.errors[found.index(where)]
    assert sees in error.message, error.message
    skipped = read_folder(path, on_error="skip")
    assert where in [(e.source, e.line, e.record, e.field) for e in skipped.rejected]


def fatal(path: Path, source: str, sees: str, line: int | None = None) -> None:
    """A problem with a whole file: raised even with ``on_error="skip"``."""
    for on_error in ("raise", "skip"):
        with pytest.raises(DataError) as caught:
            read_folder(path, on_error=on_error)  # type: ignore[arg-type]
        assert [(e.source, e.line) for e in caught.value.errors] == [(source, line)]
        assert sees in caught.value.errors[0].message, caught.value.errors[0].message


def ids(result: object, kind: str) -> list[str]:
    portfolio = result.portfolio  # type: ignore[attr-defined]
    return [r.id for r in getattr(portfolio, kind)]


# -- CSV files: shape, encoding, size ------------------------------------------------------

covered(
    "csv-more-cells-than-header",
    "a debtors.csv row with a cell more than the header",
    "debtors.csv line 4: has 4 cells but the header has 3",
    "the other rows, with on_error='skip'",
    "tests/test_importer_folder.py::test_more_cells_than_columns",
)


@case(
    "csv-fewer-cells-than-header",
    "a debtors.csv row `D3` with no name cell",
    "debtors.csv line 4: debtor D3, field 'name': must not be empty",
    "the other debtors, with on_error='skip'",
)
def _fewer_cells(tmp_path: Path) -> None:
    path = write(tmp_path, debtors_csv=DEBTORS + "D3\n")
    refused(path, ("debtors.csv", 4, "debtor D3", "name"), "must not be empty")
    assert ids(read_folder(path, on_error="skip"), "debtors") == ["D1", "D2"]


covered(
    "csv-unclosed-quote",
    'a cell opening a quote `"` that is never closed',
    "a quoted cell opens on this line and is never closed ... (with the line)",
    "nothing: the file's shape is wrong, the import raises even with on_error='skip'",
    "tests/test_importer_folder.py::test_an_unclosed_quote_is_located_in_a_short_message",
)
covered(
    "csv-unknown-column",
    "a header naming a column the file does not have (`nome`)",
    "unknown column; did you mean 'name'? (line 1, the column)",
    "nothing: the import raises even with on_error='skip'",
    "tests/test_importer_folder.py::test_skip_still_raises_on_a_broken_header",
)
covered(
    "csv-missing-required-column",
    "invoices.csv without the `amount` column",
    "missing required column in invoices.csv",
    "nothing: the import raises even with on_error='skip'",
    "tests/test_importer_folder.py::test_missing_required_column",
)


@case(
    "csv-empty-file",
    "an empty payments.csv (not even a header)",
    "payments.csv: is empty: expected a header row such as payment_id,debtor_id,...",
    "nothing: the import raises even with on_error='skip'",
)
def _empty_file(tmp_path: Path) -> None:
    fatal(write(tmp_path, payments_csv=""), "payments.csv", "is empty: expected a header row")


covered(
    "encoding-latin-1",
    "debtors.csv saved in Latin-1 (`Caffè` as byte 0xE8)",
    "debtors.csv: is not UTF-8 text (invalid continuation byte at byte N)",
    "nothing: the import raises even with on_error='skip'",
    "tests/test_importer_folder.py::test_not_utf8",
)


@case(
    "encoding-utf-16",
    "invoices.csv saved as UTF-16 (with its BOM), as some spreadsheets export",
    "invoices.csv: is not UTF-8 text (invalid start byte at byte 0)",
    "nothing: the import raises even with on_error='skip'",
)
def _utf16(tmp_path: Path) -> None:
    path = write(tmp_path, invoices_csv=INVOICES.encode("utf-16"))
    fatal(path, "invoices.csv", "is not UTF-8 text (invalid start byte at byte 0)")


covered(
    "encoding-utf-8-bom",
    "a UTF-8 file starting with a byte-order mark (as Excel saves CSV UTF-8)",
    "nothing: the BOM is dropped",
    "every row",
    "tests/test_importer_folder.py::test_utf8_with_bom_quotes_and_blank_lines",
)


@case(
    "encoding-call-outcomes-latin-1",
    "call_outcomes.csv saved in Latin-1",
    "call_outcomes.csv: is not UTF-8 text (... at byte N)",
    "nothing: the outcomes are not read (the rest of the folder is not imported either)",
)
def _outcomes_latin1(tmp_path: Path) -> None:
    source = tmp_path / "call_outcomes.csv"
    source.write_bytes(
        "date,debtor_id,outcome,note\n2026-03-02,D1,promise,però\n".encode("latin-1")
    )
    portfolio = Portfolio(CREDITOR, [Debtor("D1", "Osteria")], [], [])
    with pytest.raises(DataError) as caught:
        read_call_outcomes(source, portfolio)
    assert caught.value.source == "call_outcomes.csv"
    assert "is not UTF-8 text" in caught.value.message


@case(
    "encoding-returns-latin-1",
    "a returns file (letters delivered or returned) saved in Latin-1",
    "returns.csv: not UTF-8 text (byte N)",
    "nothing: no event is recorded from the file",
)
def _returns_latin1(tmp_path: Path) -> None:
    source = tmp_path / "returns.csv"
    source.write_bytes(
        "key,event,date,reason\nk,returned,2026-03-02,sconosciuto più\n".encode("latin-1")
    )
    with pytest.raises(DataError) as caught:
        read_returns(source, [])
    assert caught.value.source == "returns.csv"
    assert "not UTF-8 text" in caught.value.message


@case(
    "size-oversized-file",
    f"a CSV file larger than MAX_CSV_BYTES ({folder_module.MAX_CSV_BYTES // 2**20} MiB)",
    "invoices.csv: is N bytes, more than the 67,108,864 a CSV file may have (MAX_CSV_BYTES)",
    "nothing: the file is refused before it is read",
)
def _oversized_file(tmp_path: Path) -> None:
    path = write(tmp_path)
    limit = len(INVOICES.encode()) - 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(folder_module, "MAX_CSV_BYTES", limit)
        fatal(path, "invoices.csv", f"more than the {limit:,} a CSV file may have")


@case(
    "size-oversized-cell",
    "a cell longer than 128 KiB (131,072 characters) in debtors.csv",
    "debtors.csv line 3: is not valid CSV: field larger than field limit (131072)",
    "nothing: the import raises even with on_error='skip'",
)
def _oversized_cell(tmp_path: Path) -> None:
    path = write(tmp_path, debtors_csv=DEBTORS + "D3," + "x" * 140_000 + ",business,\n")
    with pytest.raises(DataError) as caught:
        read_folder(path, on_error="skip")
    (error,) = caught.value.errors
    assert error.source == "debtors.csv"
    assert "field larger than field limit" in error.message


# -- dates -----------------------------------------------------------------------------------

covered(
    "date-impossible",
    "a payment dated 2026-02-30",
    "payments.csv line 2: payment P1, field 'date': '2026-02-30' is not a valid date: day is out of range for month",
    "the other payments, with on_error='skip'",
    "tests/test_importer_folder.py::test_impossible_date",
)
covered(
    "date-day-month-year",
    "a due date written 09/02/2026",
    "invoices.csv line 2: invoice F1, field 'due_date': '09/02/2026' is not a date in the form YYYY-MM-DD (if day/month/year, write 2026-02-09)",
    "the other invoices, with on_error='skip'",
    "tests/test_importer_folder.py::test_bad_date",
)


@case(
    "date-due-before-issue",
    "an invoice due 2026-01-05, issued 2026-01-10",
    "invoices.csv line 2: invoice F1, field 'due_date': 2026-01-05 is before the issue date 2026-01-10",
    "the other invoices and every payment, with on_error='skip'",
)
def _due_before_issue(tmp_path: Path) -> None:
    path = write(tmp_path, invoices_csv=INVOICES.replace("2026-02-09", "2026-01-05"))
    refused(path, ("invoices.csv", 2, "invoice F1", "due_date"), "before the issue date")
    assert ids(read_folder(path, on_error="skip"), "invoices") == ["F2"]
    assert ids(read_folder(path, on_error="skip"), "payments") == ["P1"]


# -- amounts ---------------------------------------------------------------------------------


def _bad_amount(tmp_path: Path, cell: str, sees: str) -> None:
    path = write(tmp_path, payments_csv=PAYMENTS + f"P2,D2,2026-02-11,{cell},\n")
    refused(path, ("payments.csv", 3, "payment P2", "amount"), sees)
    assert ids(read_folder(path, on_error="skip"), "payments") == ["P1"]


for _id, _cell_text, _sees in [
    ("amount-negative", "-5.00", "must be positive, not -5.00"),
    ("amount-zero", "0.00", "must be positive, not 0.00"),
    ("amount-non-numeric", "cento", "'cento' is not a plain decimal amount such as 1234.56"),
    ("amount-currency-sign", "€100", "'€100' is not a plain decimal amount such as 1234.56"),
    ("amount-nan", "NaN", "'NaN' is not a plain decimal amount such as 1234.56"),
    ("amount-infinite", "inf", "'inf' is not a plain decimal amount such as 1234.56"),
    ("amount-infinity-word", "Infinity", "'Infinity' is not a plain decimal amount"),
    ("amount-exponent-overflow", "1e999", "'1e999' is not a plain decimal amount such as 1234.56"),
    (
        "amount-absurd",
        "1" * 20,
        f"is too large: at most {folder_module.MAX_DIGITS} digits before the decimal point",
    ),
    ("amount-too-many-decimals", "10.001", "'10.001' has 3 decimals but EUR has 2"),
    ("amount-decimal-comma", '"10,50"', "uses a comma as decimal separator: write '10.50'"),
]:

    def _check(tmp_path: Path, cell: str = _cell_text, sees: str = _sees) -> None:
        _bad_amount(tmp_path, cell, sees)

    CASES.append(
        Case(
            _id,
            f"a payment of `{_cell_text if len(_cell_text) < 12 else _cell_text[:6] + '...'}`",
            f"payments.csv line 3: payment P2, field 'amount': {_sees}",
            "the other payments, with on_error='skip'",
            _check,
        )
    )


# -- currencies ------------------------------------------------------------------------------

covered(
    "currency-unknown",
    "an invoice in `XYZ`",
    "field 'currency': 'XYZ' is not an ISO 4217 currency code (unknown to CLDR)",
    "the other invoices, with on_error='skip'",
    "tests/test_importer_folder.py::test_a_currency_must_be_a_real_iso_4217_code",
)


@case(
    "currency-lower-case",
    "an invoice in `eur`",
    "invoices.csv line 3: invoice F2, field 'currency': 'eur' is not an ISO 4217 currency code such as 'EUR'",
    "the other invoices, with on_error='skip'",
)
def _currency_lower(tmp_path: Path) -> None:
    path = write(tmp_path, invoices_csv=INVOICES.replace("80.50,EUR", "80.50,eur"))
    refused(path, ("invoices.csv", 3, "invoice F2", "currency"), "'eur' is not an ISO 4217")
    assert ids(read_folder(path, on_error="skip"), "invoices") == ["F1"]


@case(
    "currency-mixed-in-one-invoice",
    "two instalment rows of invoice F1, one in EUR and one in USD",
    "invoices.csv line 4: invoice F1, field 'currency': instalment rows of invoice 'F1' disagree: USD here, EUR on line 2",
    "the other invoices (both rows of F1 are left out), with on_error='skip'",
)
def _mixed_instalments(tmp_path: Path) -> None:
    path = write(tmp_path, invoices_csv=INVOICES + "F1,D1,2026/0001,2026-01-10,2026-03-09,50,USD\n")
    refused(path, ("invoices.csv", 4, "invoice F1", "currency"), "USD here, EUR on line 2")
    assert ids(read_folder(path, on_error="skip"), "invoices") == ["F2"]


@case(
    "currency-mixed-payment",
    "a payment in USD from a debtor invoiced only in EUR",
    "no error: the payment is read; Portfolio.unallocatable_payments() lists it",
    "the payment (a case per currency: it pays nothing in EUR)",
)
def _mixed_payment(tmp_path: Path) -> None:
    payments = "payment_id,debtor_id,date,amount,currency\nP1,D1,2026-02-10,40.00,USD\n"
    portfolio = read_folder(write(tmp_path, payments_csv=payments)).portfolio
    assert [p.id for p in portfolio.unallocatable_payments()] == ["P1"]


# -- duplicates, unknown references, overpayments --------------------------------------------

covered(
    "duplicate-invoice-row",
    "the same row of invoices.csv twice",
    "invoices.csv line 4: invoice F2, field 'invoice_id': repeats line 3 exactly (same invoice, due date and amount)",
    "the other invoices, with on_error='skip'",
    "tests/test_importer_folder.py::test_an_exact_duplicate_invoice_row_is_an_error",
)


@case(
    "duplicate-invoice-id-other-debtor",
    "invoice id F1 used again for debtor D2",
    "invoices.csv line 4: invoice F1, field 'debtor_id': instalment rows of invoice 'F1' disagree: D2 here, D1 on line 2",
    "the other invoices, with on_error='skip'",
)
def _duplicate_id(tmp_path: Path) -> None:
    path = write(tmp_path, invoices_csv=INVOICES + "F1,D2,2026/0001,2026-01-10,2026-03-09,5,EUR\n")
    refused(path, ("invoices.csv", 4, "invoice F1", "debtor_id"), "D2 here, D1 on line 2")


@case(
    "duplicate-invoice-number",
    "invoices F1 and F3 both numbered 2026/0001 in 2026",
    "invoices.csv line 4: invoice F3, field 'number': number '2026/0001' of 2026 is already invoice 'F1' (line 2)",
    "the other invoices (F1 stays), with on_error='skip'",
)
def _duplicate_number(tmp_path: Path) -> None:
    path = write(tmp_path, invoices_csv=INVOICES + "F3,D2,2026/0001,2026-02-10,2026-03-09,5,EUR\n")
    refused(path, ("invoices.csv", 4, "invoice F3", "number"), "is already invoice 'F1' (line 2)")
    assert ids(read_folder(path, on_error="skip"), "invoices") == ["F1", "F2"]
    # the same number in another year is another invoice
    other_year = INVOICES + "F3,D2,2026/0001,2027-01-10,2027-03-09,5,EUR\n"
    assert len(read_folder(write(tmp_path, invoices_csv=other_year)).portfolio.invoices) == 3


covered(
    "duplicate-debtor-or-payment-id",
    "debtor D1 or payment P1 twice",
    "debtors.csv line 4: field 'id': debtor 'D1' appears twice; payments.csv line 3: field 'payment_id': payment 'P1' appears twice (line 2)",
    "the first of the two, with on_error='skip'",
    "tests/test_importer_folder.py::test_duplicate_ids",
)


@case(
    "payment-unknown-debtor",
    "a payment from debtor D9, not in debtors.csv",
    "payments.csv line 3: payment P2, field 'debtor_id': unknown debtor 'D9': not in debtors.csv",
    "the other payments, with on_error='skip'",
)
def _payment_unknown_debtor(tmp_path: Path) -> None:
    path = write(tmp_path, payments_csv=PAYMENTS + "P2,D9,2026-02-11,5.00,\n")
    refused(path, ("payments.csv", 3, "payment P2", "debtor_id"), "unknown debtor 'D9'")
    assert ids(read_folder(path, on_error="skip"), "payments") == ["P1"]


covered(
    "invoice-unknown-debtor",
    "an invoice of debtor D9, not in debtors.csv",
    "invoices.csv line 3: field 'debtor_id': unknown debtor 'D9': not in debtors.csv",
    "the other invoices, with on_error='skip'",
    "tests/test_importer_folder.py::test_unknown_debtor_in_invoices",
)


@case(
    "payment-overpayment",
    "a payment of 150.00 on an invoice of 100.00",
    "no error: an overpayment is not bad input",
    "the whole payment: the invoice is paid and 50.00 stays on account (Case.on_account) for the next invoices",
)
def _overpayment(tmp_path: Path) -> None:
    path = write(tmp_path, payments_csv=PAYMENTS.replace("40.00", "150.00"))
    portfolio = read_folder(path).portfolio
    case = portfolio.case("D1", date(2026, 3, 1))
    assert case.on_account == Money("50.00", "EUR")
    assert case.paid == Money("100.00", "EUR")


covered(
    "skip-reports-every-refused-record",
    "a folder with bad rows and rows that depend on them (an invoice of a refused debtor)",
    "with on_error='raise': one DataError listing every problem; with 'skip': Folder.rejected lists the refused rows and the rows left out with them (`debtor 'D3' was rejected (debtors.csv line 4)`)",
    "with 'raise' nothing; with 'skip' every good row",
    "tests/test_importer_folder.py::test_skip_keeps_the_good_rows_and_reports_the_bad",
)
covered(
    "config-invalid-toml",
    "a dunning.toml that is not valid TOML",
    "dunning.toml line N: is not valid TOML: ...",
    "nothing: the import raises",
    "tests/test_importer_folder.py::test_bad_toml",
)

# -- e-mail headers --------------------------------------------------------------------------


@case(
    "header-crlf-in-debtor-name",
    'a debtor named `"Osteria\\r\\nBcc: x@evil.example"` (a quoted cell with a line break)',
    "debtors.csv line 2: debtor D1, field 'name': '...' contains the control character '\\r' (at position 8): it must be one line of plain text",
    "the other debtors, with on_error='skip'; no .eml is ever written for it",
)
def _crlf_name(tmp_path: Path) -> None:
    debtors = DEBTORS.replace("Osteria del Portico", '"Osteria\r\nBcc: x@evil.example"')
    path = write(tmp_path, debtors_csv=debtors)
    refused(path, ("debtors.csv", 2, "debtor D1", "name"), "contains the control character '\\r'")
    assert ids(read_folder(path, on_error="skip"), "debtors") == ["D2"]
    with pytest.raises(DataError, match="control character"):
        Debtor("D1", "Osteria\nBcc: x@evil.example")


@case(
    "header-lf-in-contact-person",
    "a contact person `Anna\\nBcc: x@evil.example` given from Python",
    "debtor D1, field 'contact_person': ... contains the control character '\\n'",
    "nothing of that debtor (it is not created)",
)
def _lf_contact(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        Debtor("D1", "Osteria", contact_person="Anna\nBcc: x@evil.example")
    assert (caught.value.record, caught.value.field) == ("debtor D1", "contact_person")


@case(
    "header-newline-after-address",
    "an e-mail address `a@example.com\\nBcc: x@evil.example` or `a@example.com\\n`",
    "debtor D1, field 'email': '...' is not an e-mail address",
    "nothing of that debtor (it is not created)",
)
def _email_newline(tmp_path: Path) -> None:
    for address in ("a@example.com\nBcc: x@evil.example", "a@example.com\n"):
        with pytest.raises(DataError) as caught:
            Debtor("D1", "Osteria", email=address)
        assert (caught.value.record, caught.value.field) == ("debtor D1", "email")


@case(
    "header-crlf-in-invoice-id",
    "an invoice id or number with a line break (it goes into the Subject)",
    "invoice, field 'id' (or invoice F1, field 'number'): ... contains the control character",
    "nothing of that invoice (it is not created)",
)
def _crlf_invoice(tmp_path: Path) -> None:
    day, amount = date(2026, 1, 1), Money("1", "EUR")
    with pytest.raises(DataError) as caught:
        Invoice.single("F1\r\nBcc: x@evil.example", "D1", day, day, amount)
    assert (caught.value.record, caught.value.field) == ("invoice", "id")
    with pytest.raises(DataError) as caught:
        Invoice.single("F1", "D1", day, day, amount, number="1\nBcc: x@evil.example")
    assert (caught.value.record, caught.value.field) == ("invoice F1", "number")


@case(
    "header-crlf-in-to-email",
    "to_email() called directly with a Subject or display name holding CR/LF",
    "ValueError from the e-mail library (`Header values may not contain linefeed or carriage return characters`)",
    "nothing: no message is built, so none is written or sent",
)
def _to_email(tmp_path: Path) -> None:
    message = Message(
        "k", "email", "it", "Sollecito\r\nBcc: x@evil.example", "t", "<p>t</p>", "a@b.it"
    )
    day = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        to_email(message, "c@d.it", day)
    ok = attrs.evolve(message, subject="Sollecito")
    with pytest.raises(ValueError, match="CR or LF"):
        to_email(ok, "c@d.it", day, recipient_name="Osteria\r\nBcc: x@evil.example")
    assert "Bcc" not in to_email(ok, "c@d.it", day).as_string()


# -- templates -------------------------------------------------------------------------------


def _one_reminder(debtor: Debtor, tmp_path: Path) -> tuple[Path, list[dict[str, object]]]:
    invoice = Invoice.single(
        "F1", debtor.id, date(2026, 1, 1), date(2026, 1, 31), Money("100", "EUR")
    )
    portfolio = Portfolio(CREDITOR, [debtor], [invoice], [])
    policy = italy.stragiudiziale()
    proposal = plan(portfolio, policy, date(2026, 2, 10), [])
    out = tmp_path / "out"
    return out, write_outbox(proposal, portfolio, policy, out, [])


@case(
    "template-injection-in-name",
    "a debtor named `{{ 7*7 }} {% raw %}`",
    "the name as written, in the text, the HTML and the To header: data is never evaluated as a template",
    "everything",
)
def _template_injection(tmp_path: Path) -> None:
    name = "{{ 7*7 }} {% raw %}"
    debtor = Debtor("D1", name, email="osteria@example.com")
    invoice = Invoice.single("F1", "D1", date(2026, 1, 1), date(2026, 1, 31), Money("100", "EUR"))
    portfolio = Portfolio(CREDITOR, [debtor], [invoice], [])
    policy = italy.stragiudiziale()
    (action,) = plan(portfolio, policy, date(2026, 2, 10), []).actions
    message = render(action, portfolio, policy, [])
    assert name in message.text
    assert "{{ 7*7 }}" in message.html
    out, _ = _one_reminder(debtor, tmp_path)
    (eml,) = out.glob("*.eml")
    parsed = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert name in str(parsed["To"])


covered(
    "template-user-sandbox",
    "a user template reaching for `{{ creditor.__class__.__mro__ }}`",
    "jinja2.exceptions.SecurityError (access to attribute '__class__' ... is unsafe)",
    "nothing is rendered from that template",
    "tests/test_render.py::test_html_escapes_what_it_is_given_and_user_templates_are_sandboxed",
)
covered(
    "template-html-in-name",
    "a debtor named `<script>alert(1)</script>`",
    "the name as text in the plain part, escaped (`&lt;script&gt;`) in the HTML part",
    "everything",
    "tests/test_render.py::test_html_escapes_what_it_is_given_and_user_templates_are_sandboxed",
)

# -- file names ------------------------------------------------------------------------------


def _inside(out: Path, index: list[dict[str, object]]) -> list[str]:
    names = [str(entry["file"]) for entry in index]
    for name in names:
        assert not set(name) & {"/", "\\", "\0"}
        assert (out / name).resolve().parent == out.resolve()
    return names


@case(
    "path-traversal-debtor-id",
    "a debtor id `../../etc/x` used in outbox file names",
    "no error: the file is `2026-02-10_..-..-etc-x_sollecito_1_email.eml`, inside the outbox",
    "everything; nothing is written outside the outbox folder",
)
def _traversal_id(tmp_path: Path) -> None:
    out, index = _one_reminder(Debtor("../../etc/x", "Osteria", email="o@example.com"), tmp_path)
    assert _inside(out, index) == ["2026-02-10_..-..-etc-x_sollecito_1_email.eml"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [*_inside(out, index), "outbox.json"]
    )


@case(
    "path-absolute-debtor-id",
    "a debtor id `/etc/x` (an absolute path)",
    "no error: the file is `2026-02-10_etc-x_sollecito_1_email.eml`, inside the outbox",
    "everything; nothing is written outside the outbox folder",
)
def _absolute_id(tmp_path: Path) -> None:
    out, index = _one_reminder(Debtor("/etc/x", "Osteria", email="o@example.com"), tmp_path)
    assert _inside(out, index) == ["2026-02-10_etc-x_sollecito_1_email.eml"]


@case(
    "path-nul-in-id",
    "a debtor id, invoice id or payment id holding NUL (`a\\x00b`)",
    "debtor, field 'id': 'a\\x00b' contains the control character '\\x00' (at position 2)",
    "nothing of that record (it is not created); in a folder, the other rows with on_error='skip'",
)
def _nul(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        Debtor("a\0b", "Osteria")
    assert (caught.value.record, caught.value.field) == ("debtor", "id")
    with pytest.raises(DataError, match="control character"):
        Payment("P\0", "D1", date(2026, 1, 1), Money("1", "EUR"))
    path = write(tmp_path, debtors_csv=DEBTORS + "D\0,Bar,business,\n")
    refused(path, ("debtors.csv", 4, "debtor", "id"), "control character '\\x00'")


@case(
    "path-traversal-dossier-member",
    "a document reference `../../etc/passwd`, `..\\..\\boot.ini`, `/etc/passwd` or with NUL, as a dossier ZIP member",
    "no error: the member is `documents/etc-passwd`, `documents/boot.ini`, ... (safe_member_name)",
    "the document, under a safe name inside the ZIP",
)
def _dossier_member(tmp_path: Path) -> None:
    assert safe_member_name("../../etc/passwd") == "etc-passwd"
    assert safe_member_name("..\\..\\boot.ini") == "boot.ini"
    assert safe_member_name("/etc/passwd") == "etc-passwd"
    assert "\0" not in safe_member_name("fattura\0.pdf")
    assert "/" not in safe_member_name("a/../../b")


# -- formula injection in the CSV files the library writes ---------------------------------

_FORMULAS = ("=", "+", "-", "@", "\t", "\r")

for _prefix, _label in [
    ("=", "equals"),
    ("+", "plus"),
    ("-", "minus"),
    ("@", "at"),
    ("\t", "tab"),
    ("\r", "carriage-return"),
]:

    def _formula(tmp_path: Path, prefix: str = _prefix) -> None:
        value = prefix + 'HYPERLINK("http://evil.example")'
        assert call_cell(value) == "'" + value
        text = manifest_csv([{"key": "k", "recipient": value, "address": [value]}])
        row = dict(zip(*csv.reader(io.StringIO(text, newline="")), strict=True))
        assert row["recipient"] == row["address_1"] == "'" + value
        assert not any(cell.startswith(_FORMULAS) for cell in row.values())

    CASES.append(
        Case(
            f"formula-{_label}",
            f"a name or address starting with `{_prefix!r}` (e.g. `{_prefix!r}HYPERLINK(...)`), written to "
            "the call list (calls.csv) and the letters manifest",
            "the cell starts with `'`, so a spreadsheet shows it as text",
            "the value, after the `'` (read back by read_call_outcomes without it)",
            _formula,
        )
    )

covered(
    "formula-call-list-end-to-end",
    'a debtor `=HYPERLINK("http://x")` with contact `@SUM(A1)` in the day\'s call list',
    "`'=HYPERLINK(...)`, `'@SUM(A1)`, `'+39...` in the cells",
    "every row",
    "tests/test_calls.py::test_calls_csv_is_for_excel_in_italy_and_safe_from_formulas",
)

# -- tables exported by an ERP (dunning.importers.table) ---------------------------------------

TABLE_HEADER = ["invoice_id", "debtor_id", "issue_date", "due_date", "amount"]


def _workbook(*amounts: object) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Fatture"
    sheet.append(TABLE_HEADER)
    for n, amount in enumerate(amounts, start=1):
        sheet.append([f"F{n}", "D1", date(2026, 1, 10), date(2026, 2, 9), amount])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _table_refused(data: bytes, row: int, sees: str, **kwargs: object) -> None:
    """``read_table`` raises one problem at ``row`` of the sheet, and with
    ``errors="collect"`` keeps the other rows."""
    with pytest.raises(DataError) as caught:
        read_table(data, name="open.xlsx", **kwargs)  # type: ignore[arg-type]
    found = [(e.source, e.line, e.field) for e in caught.value.errors]
    assert found == [("open.xlsx sheet 'Fatture'", row, "amount")], found
    assert sees in caught.value.errors[0].message, caught.value.errors[0].message
    kept = read_table(data, errors="collect", **kwargs)  # type: ignore[arg-type]
    assert kept.refused == (row,)
    assert len(kept.invoices) == 1


@case(
    "table-formula-cell",
    "an .xlsx cell holding a formula (`=1+1`) where an amount is read",
    "open.xlsx sheet 'Fatture' row 3: invoice F2, field 'amount': is a formula (=1+1): only values are read; copy the column and paste it as values",
    "the other rows, with errors='collect'; a formula is never evaluated, nor its cached result trusted",
)
def _table_formula(tmp_path: Path) -> None:
    _table_refused(_workbook(Decimal("10.00"), "=1+1"), 3, "is a formula (=1+1)")


@case(
    "table-error-cell",
    "an .xlsx cell holding a spreadsheet error (`#N/A`) where an amount is read",
    "open.xlsx sheet 'Fatture' row 3: invoice F2, field 'amount': holds the spreadsheet error #N/A",
    "the other rows, with errors='collect'",
)
def _table_error_cell(tmp_path: Path) -> None:
    _table_refused(_workbook(Decimal("10.00"), "#N/A"), 3, "holds the spreadsheet error #N/A")


@case(
    "table-float-cell",
    "an .xlsx number cell (a binary double) holding 10.005, or 12345678901234.56",
    "'10.005' has 3 decimals but EUR has 2 / 12345678901234.56 is a floating-point number of 15 significant digits: it cannot hold EUR amounts of 10,000,000,000,000 or more",
    "the other rows, with errors='collect'; a double is read as the 15 significant digits Excel shows (0.1+0.2 is 0.30), never through its binary expansion",
)
def _table_float(tmp_path: Path) -> None:
    _table_refused(_workbook(0.1 + 0.2, 10.005), 3, "'10.005' has 3 decimals but EUR has 2")
    _table_refused(_workbook(0.1 + 0.2, 12345678901234.56), 3, "15 significant digits")
    kept = read_table(_workbook(0.1 + 0.2))
    assert kept.invoices[0].total == Money("0.30", "EUR")


@case(
    "table-windows-1252-without-dialect",
    "a CSV export in Windows-1252 (`Caffè` as byte 0xE8) read without dialect='it'",
    "export.csv: cannot be decoded: not utf-8 (invalid continuation byte after line 1) (a Windows-1252 file: dialect='it' or Dialect(encodings=('utf-8', 'cp1252')))",
    "nothing: the file's encoding is wrong, the import raises even with errors='collect'",
)
def _table_cp1252(tmp_path: Path) -> None:
    data = "id;name\nD1;Caffè Centrale\n".encode("cp1252")
    for errors in ("raise", "collect"):
        with pytest.raises(DataError) as caught:
            read_table(data, kind="debtors", format="csv", name="export.csv", errors=errors)  # type: ignore[arg-type]
        (error,) = caught.value.errors
        assert error.source == "export.csv"
        assert "cannot be decoded: not utf-8" in error.message
        assert "dialect='it'" in error.message
    table = read_table(data, kind="debtors", format="csv", dialect="it")
    assert table.debtors[0].name == "Caffè Centrale"


@case(
    "table-ambiguous-thousands",
    "an amount `1.234` in an Italian export (dialect='it'): a thousands dot or a decimal point?",
    "export.csv line 2: invoice F1, field 'amount': '1.234' is ambiguous: write '1234' if the dot groups thousands, '1,234' if it separates the decimals",
    "the other rows, with errors='collect'",
)
def _table_ambiguous(tmp_path: Path) -> None:
    data = b"invoice_id;debtor_id;issue_date;due_date;amount\nF1;D1;10/01/2026;09/02/2026;1.234\nF2;D1;10/01/2026;09/02/2026;1.234,00\n"
    with pytest.raises(DataError) as caught:
        read_table(data, dialect="it", format="csv", name="export.csv")
    assert [(e.line, e.field) for e in caught.value.errors] == [(2, "amount")]
    assert "'1.234' is ambiguous" in caught.value.errors[0].message
    kept = read_table(data, dialect="it", format="csv", errors="collect")
    assert kept.invoices[0].total == Money("1234.00", "EUR")


@case(
    "table-formula-text-in-csv",
    'a CSV cell `=1+1` as an amount, and a debtor name `=HYPERLINK("x")`',
    "export.csv line 2: invoice F1, field 'amount': '=1+1' is not an amount such as 1234.56; the name is kept as text",
    "the name as written (a CSV cell is text, never evaluated); the other rows, with errors='collect'",
)
def _table_csv_formula(tmp_path: Path) -> None:
    data = b'invoice_id,debtor_id,debtor_name,issue_date,due_date,amount\nF1,D1,x,2026-01-10,2026-02-09,=1+1\nF2,D2,"=HYPERLINK(""x"")",2026-01-10,2026-02-09,5.00\n'
    kept = read_table(data, format="csv", name="export.csv", errors="collect")
    assert [(e.line, e.field) for e in kept.rejected] == [(2, "amount")]
    assert "'=1+1' is not an amount such as 1234.56" in kept.rejected[0].message
    assert [d.name for d in kept.debtors] == ["x", '=HYPERLINK("x")']


@case(
    "table-not-a-workbook",
    "a file named .xlsx that is not a workbook (a damaged ZIP)",
    "open.xlsx: is not an .xlsx workbook: File is not a zip file",
    "nothing: the import raises even with errors='collect'",
)
def _table_not_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "open.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match=r"open\.xlsx: is not an \.xlsx workbook"):
        read_table(path, errors="collect")


covered(
    "table-mixed-currencies",
    "two instalment rows of one invoice in a table, one in EUR and one in USD",
    "s.csv line 3: invoice 2026/0001, field 'Valuta': instalment rows of invoice '2026/0001' disagree: USD here, EUR on line 2",
    "the other invoices (every row of that invoice is left out), with errors='collect'",
    "tests/test_importer_table.py::test_mixed_currencies_in_one_invoice_are_refused",
)
covered(
    "table-oversized",
    "a table file larger than MAX_TABLE_BYTES (64 MiB), or with more rows than MAX_TABLE_ROWS (500,000)",
    "is N bytes, more than the 67,108,864 a table may have (MAX_TABLE_BYTES) / has more than 500,000 rows (MAX_TABLE_ROWS)",
    "nothing: the file is refused before (bytes) or while (rows) it is read",
    "tests/test_importer_table.py::test_size_and_row_limits",
)
covered(
    "table-unknown-mapped-column",
    "a mapping naming a column the file does not have (`Columns(amount='importo totale')`)",
    "e.csv line 1: field 'importo totale': no such column (Columns.amount); did you mean 'Importo'? the file's columns are ...",
    "nothing: the import raises even with errors='collect'",
    "tests/test_importer_table.py::test_header_problems_always_raise_and_name_the_column",
)

# -- XML in PEC receipts ------------------------------------------------------------------------

covered(
    "xml-billion-laughs",
    "a PEC receipt whose daticert.xml declares nested entities (billion laughs)",
    "ReceiptError: PEC receipt ..., field 'daticert.xml (MIME part N)': refused: EntitiesForbidden (...)",
    "the other receipts of the folder or mailbox",
    "tests/test_pec_receipts.py::test_dangerous_daticert_is_refused_naming_the_part",
)
covered(
    "xml-external-entity",
    'a daticert.xml with `<!ENTITY secret SYSTEM "file:///etc/passwd">` (XXE)',
    "ReceiptError: ... refused: EntitiesForbidden (...); XML entities and external references are not accepted",
    "the other receipts; no file is read",
    "tests/test_pec_receipts.py::test_dangerous_daticert_is_refused_naming_the_part",
)
covered(
    "xml-malformed",
    "a daticert.xml that is cut short or has another root element",
    "ReceiptError: ... is not well-formed XML / has root element <fattura>, expected <postacert>",
    "the other receipts",
    "tests/test_pec_receipts.py::test_malformed_daticert",
)


# -- XML in bank statements (camt.053 / camt.054) and bank data --------------------------------

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def camt_xml(entry: str = "", namespace: str = CAMT_NS) -> bytes:
    """A camt.053 statement with one entry (a booked credit of 120.00 EUR unless given)."""
    entry = entry or (
        '<Ntry><Amt Ccy="EUR">120.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        "<BookgDt><Dt>2026-02-10</Dt></BookgDt><AcctSvcrRef>B-1</AcctSvcrRef>"
        "<NtryDtls><TxDtls><RmtInf><Ustrd>Saldo 2026/0001</Ustrd></RmtInf></TxDtls></NtryDtls>"
        "</Ntry>"
    )
    return (
        f'<Document xmlns="{namespace}"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>'
        f"<Stmt><Id>S1</Id>{entry}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def camt_refused(
    data: bytes, sees: str, record: str | None = None, field: str | None = None
) -> None:
    from dunning.importers import camt

    with pytest.raises(DataError) as caught:
        camt.read(data, name="estratto.xml")
    error = caught.value
    assert (error.source, error.record, error.field) == ("estratto.xml", record, field), error
    assert sees in error.message, error.message


@case(
    "camt-billion-laughs",
    "a bank statement (camt.053) declaring nested entities (billion laughs)",
    "estratto.xml: refused: DTDForbidden (...); a bank statement has no DTD, entities or external references",
    "nothing of that file; the other files and the portfolio are untouched",
)
def _camt_laughs(tmp_path: Path) -> None:
    data = b'<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><Document>&b;</Document>'
    camt_refused(data, "refused: DTDForbidden")


@case(
    "camt-external-entity",
    'a camt.053 with `<!ENTITY x SYSTEM "file:///etc/passwd">` (XXE)',
    "estratto.xml: refused: DTDForbidden (...)",
    "nothing of that file; no file is read",
)
def _camt_xxe(tmp_path: Path) -> None:
    data = b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>'
    camt_refused(data, "refused: DTDForbidden")


@case(
    "camt-malformed",
    "a bank statement cut short, or an XML file that is not a camt.053/054 (an invoice, a camt.052)",
    "estratto.xml: is not well-formed XML: ... / has root element <FatturaElettronica>, expected <Document> / camt.052 ... is not read",
    "nothing of that file",
)
def _camt_malformed(tmp_path: Path) -> None:
    camt_refused(camt_xml()[:-20], "is not well-formed XML")
    camt_refused(b"<FatturaElettronica/>", "expected <Document>", record="FatturaElettronica")
    camt_refused(
        b"<Document><BkToCstmrAcctRpt/></Document>",
        "camt.052, an intraday account report, is not read",
        record="Document",
        field="BkToCstmrAcctRpt",
    )


@case(
    "camt-unsupported-version",
    "a camt.053.001.01 or .001.12 file (the namespace says so)",
    "estratto.xml: Document: is camt.053.001.12 (namespace ...): versions 02 to 08 are read",
    "nothing of that file",
)
def _camt_version(tmp_path: Path) -> None:
    namespace = CAMT_NS.replace("001.02", "001.12")
    camt_refused(camt_xml(namespace=namespace), "versions 02 to 08 are read", record="Document")


@case(
    "camt-bad-entry",
    "an entry with amount `12,50`, an unknown currency, no `CdtDbtInd`, no status or an impossible date",
    "estratto.xml: BkToCstmrStmt/Stmt[1]/Ntry[1], field 'Amt': '12,50' is not an amount such as 1234.56",
    "nothing of that file: a statement is read whole or not at all",
)
def _camt_bad_entry(tmp_path: Path) -> None:
    entry = camt_xml().decode().split("<Stmt><Id>S1</Id>")[1].split("</Stmt>")[0]
    bad = entry.replace(">120.00<", ">12,50<")
    camt_refused(camt_xml(bad), "'12,50' is not an amount", "BkToCstmrStmt/Stmt[1]/Ntry[1]", "Amt")
    bad = entry.replace("2026-02-10", "2026-02-30")
    camt_refused(camt_xml(bad), "is not a date", "BkToCstmrStmt/Stmt[1]/Ntry[1]", "BookgDt/Dt")


@case(
    "camt-batch-does-not-add-up",
    "a batched entry (several TxDtls) whose transactions do not add up to the entry",
    "estratto.xml: BkToCstmrStmt/Stmt[1]/Ntry[1], field 'NtryDtls': the 2 transactions of the batch add up to 100.00 EUR, but the entry books 120.00 EUR",
    "nothing of that file",
)
def _camt_batch(tmp_path: Path) -> None:
    txs = "".join(f'<TxDtls><Amt Ccy="EUR">{a}</Amt></TxDtls>' for a in ("60.00", "40.00"))
    entry = (
        '<Ntry><Amt Ccy="EUR">120.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>2026-02-10</Dt></BookgDt><NtryDtls>{txs}</NtryDtls></Ntry>"
    )
    camt_refused(
        camt_xml(entry), "add up to 100.00 EUR", "BkToCstmrStmt/Stmt[1]/Ntry[1]", "NtryDtls"
    )


@case(
    "camt-too-large",
    "a bank statement larger than MAX_CAMT_BYTES (32 MiB)",
    "estratto.xml: is N bytes, more than the 33,554,432 a bank statement may have (MAX_CAMT_BYTES)",
    "nothing: the file is not parsed",
)
def _camt_large(tmp_path: Path) -> None:
    from dunning.importers import camt

    path = tmp_path / "estratto.xml"
    with path.open("wb") as out:
        out.truncate(camt.MAX_CAMT_BYTES + 1)
    with pytest.raises(DataError, match="more than the 33,554,432 a bank statement may have"):
        camt.read(path)


@case(
    "camt-debit-or-reversal",
    "a statement with a debit, a reversed credit (RvslInd true, e.g. a direct-debit refund) and a pending entry",
    "no error: they are not payments; Statement.other lists each with its kind and why",
    "the booked credits, as payments",
)
def _camt_other(tmp_path: Path) -> None:
    from dunning.importers import camt

    entry = camt_xml().decode().split("<Stmt><Id>S1</Id>")[1].split("</Stmt>")[0]
    debit = entry.replace("CRDT", "DBIT").replace("B-1", "B-2")
    reversed_ = debit.replace("<Sts>", "<RvslInd>true</RvslInd><Sts>").replace("B-2", "B-3")
    pending = entry.replace("BOOK", "PDNG").replace("B-1", "B-4")
    statement = camt.read_statement(camt_xml(entry + debit + reversed_ + pending))
    assert [p.id for p in statement.payments] == ["B-1"]
    assert [o.kind for o in statement.other] == ["debit", "reversal", "not_booked"]


@case(
    "statement-payment-without-debtor",
    "a payment read from a bank statement (debtor_id empty) put into a Portfolio before reconcile",
    "payment B-1, field 'debtor_id': has no debtor: a payment read from a bank statement joins the portfolio once dunning.reconcile has matched it to a debtor",
    "nothing: the portfolio is not built",
)
def _no_debtor(tmp_path: Path) -> None:
    from dunning.importers import camt

    (pay,) = camt.read(camt_xml())
    with pytest.raises(DataError) as caught:
        Portfolio(CREDITOR, [Debtor("D1", "Osteria")], payments=[pay])
    assert (caught.value.record, caught.value.field) == ("payment B-1", "debtor_id")


@case(
    "statement-reconciled-twice",
    "the same bank statement reconciled twice (or a camt.054 and the camt.053 with the same entries)",
    "no error: the second time every payment is unmatched as `already recorded as payment B-1`",
    "the payments of the first time, once",
)
def _twice(tmp_path: Path) -> None:
    from dunning import reconcile
    from dunning.importers import camt

    folder = read_folder(write(tmp_path)).portfolio
    pays = camt.read(camt_xml())
    first = reconcile(folder, pays, date(2026, 2, 11))
    assert [m.debtor_id for m in first.matched] == ["D1"]
    again = reconcile(first.apply(folder), pays, date(2026, 2, 11))
    assert again.matched == ()
    assert again.unmatched[0].reason == "already recorded as payment B-1"


@case(
    "debtors-bad-iban",
    "debtors.csv `iban` cell `IT61X0542811101000000123456` (a wrong check digit) or `IT60-X054...`",
    "debtors.csv line 2: debtor D1, field 'iban': 'IT61X0542811101000000123456' is not a valid IBAN: the number's checksum or check digit is invalid",
    "the other debtors, with on_error='skip'",
)
def _bad_iban(tmp_path: Path) -> None:
    debtors = DEBTORS.replace("id,name,kind,email", "id,name,kind,email,iban").replace(
        "osteria@example.com", "osteria@example.com,IT61X0542811101000000123456"
    )
    path = write(tmp_path, debtors_csv=debtors)
    refused(
        path, ("debtors.csv", 2, "debtor D1", "iban"), "is not a valid IBAN: the number's checksum"
    )


# -- XML e-invoices (FatturaPA, UBL) -------------------------------------------------------


def _einvoice_refused(
    read: Callable[..., object], data: bytes, field: str | None, sees: str
) -> None:
    """``read`` raises one `DataError` naming the file (and the element, when ``field``)."""
    with pytest.raises(DataError) as caught:
        read(data, name="fattura.xml")
    errors = caught.value.errors or (caught.value,)
    found = {e.field: e for e in errors}
    assert field in found, list(found)
    assert found[field].source == "fattura.xml"
    assert sees in found[field].message, found[field].message


@case(
    "einvoice-xml-bomb",
    "a FatturaPA or UBL file declaring nested entities (billion laughs)",
    "fattura.xml: refused: EntitiesForbidden (...); XML entities and external references are not accepted in an e-invoice",
    "nothing of that file; no entity is expanded",
)
def _einvoice_bomb(tmp_path: Path) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<FatturaElettronica>&lol2;</FatturaElettronica>"
    )
    _einvoice_refused(fatturapa.read, bomb, None, "refused: EntitiesForbidden")
    _einvoice_refused(
        ubl.read, bomb.replace(b"FatturaElettronica", b"Invoice"), None, "EntitiesForbidden"
    )


@case(
    "einvoice-external-entity",
    'an e-invoice with `<!ENTITY secret SYSTEM "file:///etc/passwd">` (XXE)',
    "fattura.xml: refused: EntitiesForbidden (...)",
    "nothing of that file; no other file is read",
)
def _einvoice_xxe(tmp_path: Path) -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b"<FatturaElettronica>&secret;</FatturaElettronica>"
    )
    _einvoice_refused(fatturapa.read, xxe, None, "refused: EntitiesForbidden")


@case(
    "einvoice-oversized-file",
    "an e-invoice file (or signed envelope, or the document inside it) larger than MAX_XML_BYTES (16 MiB)",
    "huge.xml: is N bytes, more than the 16,777,216 an e-invoice file may have (MAX_XML_BYTES)",
    "nothing: the file is refused before it is parsed",
)
def _einvoice_oversized(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as out:
        out.truncate(fatturapa.MAX_XML_BYTES + 1)
    with pytest.raises(DataError, match="more than the 16,777,216") as caught:
        fatturapa.read(path)
    assert caught.value.source == "huge.xml"


@case(
    "einvoice-wrong-root",
    "a file whose root is not `<FatturaElettronica>` (FatturaPA) or `<Invoice>`/`<CreditNote>` (UBL), or a FatturaPA `versione` other than FPR12/FPA12",
    "fattura.xml: has root element <Invoice>, expected <FatturaElettronica> (FatturaPA 1.2.x)",
    "nothing of that file",
)
def _einvoice_root(tmp_path: Path) -> None:
    _einvoice_refused(fatturapa.read, b"<Invoice/>", None, "expected <FatturaElettronica>")
    _einvoice_refused(
        ubl.read, b"<FatturaElettronica/>", None, "expected <Invoice> or <CreditNote>"
    )
    _einvoice_refused(
        fatturapa.read,
        einv.fattura(einv.body(), version="FSM10"),
        "FatturaElettronica/@versione",
        "FSM10",
    )


@case(
    "einvoice-missing-element",
    "a FatturaPA document without its mandatory `Numero` (or `Data`, `Divisa`, `TipoDocumento`, `ImportoPagamento`...)",
    "fattura.xml: field 'FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/Numero': is missing: the element is mandatory",
    "nothing of that file: every problem of the file is listed in one DataError",
)
def _einvoice_missing(tmp_path: Path) -> None:
    data = einv.fattura(einv.body().replace("<Numero>2026/0001</Numero>", ""))
    _einvoice_refused(
        fatturapa.read,
        data,
        "FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/Numero",
        "is missing",
    )


@case(
    "einvoice-bad-amount",
    "an instalment of `12,50` (or `abc`, `-5.00`, `122.001`) in the second document of a batch",
    "fattura.xml: document 2, field 'FatturaElettronicaBody[2]/DatiPagamento[1]/DettaglioPagamento[2]/ImportoPagamento': '12,50' uses a comma as decimal separator",
    "nothing of that file: every problem of the file is listed in one DataError",
)
def _einvoice_amount(tmp_path: Path) -> None:
    data = einv.fattura(
        einv.body("1"),
        einv.body("2", payments=einv.payment(einv.line("100.00"), einv.line("12,50"))),
    )
    _einvoice_refused(
        fatturapa.read,
        data,
        "FatturaElettronicaBody[2]/DatiPagamento[1]/DettaglioPagamento[2]/ImportoPagamento",
        "'12,50' uses a comma",
    )


@case(
    "einvoice-self-invoice",
    "a FatturaPA self-invoice or integration (TipoDocumento TD16 ... TD23, TD27, TD28)",
    "fattura.xml: field '.../TipoDocumento': 'TD17' (...) is a self-invoice or an integration: nobody owes anything on it",
    "nothing of that file",
)
def _einvoice_self(tmp_path: Path) -> None:
    _einvoice_refused(
        fatturapa.read,
        einv.fattura(einv.body(kind="TD17")),
        "FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/TipoDocumento",
        "self-invoice",
    )


@case(
    "einvoice-duplicate-number",
    "two documents of a batch both numbered 7 in 2026",
    "fattura.xml: field 'FatturaElettronicaBody[2]/.../Numero': number '7' of 2026 is already the document in FatturaElettronicaBody[1]",
    "nothing of that file",
)
def _einvoice_duplicate(tmp_path: Path) -> None:
    _einvoice_refused(
        fatturapa.read,
        einv.fattura(einv.body("7"), einv.body("7")),
        "FatturaElettronicaBody[2]/DatiGenerali/DatiGeneraliDocumento/Numero",
        "already the document",
    )


@case(
    "einvoice-due-before-issue",
    "a FatturaPA instalment due 2026-02-01 on a document dated 2026-03-02 (real files do this)",
    "no error: the item is kept as the file states it; Invoice.terms.due_before_issue is set and terms.notes says so",
    "everything",
)
def _einvoice_early(tmp_path: Path) -> None:
    data = einv.fattura(einv.body(payments=einv.payment(einv.line("122.00", "2026-02-01"))))
    (invoice,) = fatturapa.read(data).invoices
    assert invoice.items[0].due_date == date(2026, 2, 1)
    assert invoice.terms is not None
    assert invoice.terms.due_before_issue
    assert "before the document date" in invoice.terms.notes[0]


@case(
    "einvoice-invalid-vat-number",
    "a VAT number or codice fiscale failing its check digit (the shared real samples carry such placeholders)",
    "no error by default: the number is the debtor's id but not its vat_number/tax_code; with strict_numbers=True: field '.../IdFiscaleIVA/IdCodice': 'IT01234567890' is not a valid VAT number",
    "everything (by default)",
)
def _einvoice_vat(tmp_path: Path) -> None:
    buyer = (
        "<DatiAnagrafici><IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>01234567890</IdCodice>"
        "</IdFiscaleIVA><Anagrafica><Denominazione>X S.r.l.</Denominazione></Anagrafica>"
        "</DatiAnagrafici>"
    )
    data = einv.fattura(einv.body(), head=einv.header(buyer=buyer))
    (debtor,) = fatturapa.read(data).debtors
    assert (debtor.id, debtor.vat_number) == ("IT01234567890", None)
    with pytest.raises(DataError, match="is not a valid VAT number"):
        fatturapa.read(data, strict_numbers=True)


covered(
    "einvoice-crlf-in-name",
    "a FatturaPA buyer named `Osteria&#13;&#10;Bcc: x@evil.example` (a line break written as character references)",
    "f.xml: debtor, field 'FatturaElettronicaHeader/CessionarioCommittente/DatiAnagrafici/Anagrafica/Denominazione': ... contains the control character '\\r'",
    "nothing of that file",
    "tests/test_importer_fatturapa.py::test_a_line_break_in_a_name_is_refused_at_its_element",
)
covered(
    "einvoice-p7m-without-extra",
    "a signed `.xml.p7m` read without asn1crypto installed",
    "MissingExtra: x.xml.p7m is a signed envelope (.p7m): opening it needs asn1crypto: pip install 'dunning[p7m]'",
    "nothing of that file",
    "tests/test_importer_fatturapa.py::test_p7m_without_the_extra",
)


@case(
    "einvoice-ubl-nothing-payable",
    "a UBL invoice whose PayableAmount is 0.00 (fully prepaid) or negative",
    "fattura.xml: invoice INV-2026-017, field 'LegalMonetaryTotal/PayableAmount': is 0.00 EUR (PrepaidAmount 1220.00): nothing is payable",
    "nothing of that file",
)
def _einvoice_ubl_nothing(tmp_path: Path) -> None:
    _einvoice_refused(
        ubl.read,
        einv.ubl(payable="0.00", prepaid="1220.00"),
        "LegalMonetaryTotal/PayableAmount",
        "nothing is payable",
    )


@case(
    "einvoice-ubl-currency-mismatch",
    "a UBL PayableAmount with currencyID USD in a document in EUR",
    "fattura.xml: field 'LegalMonetaryTotal/PayableAmount': is in 'USD' but the document's currency (DocumentCurrencyCode) is 'EUR'",
    "nothing of that file",
)
def _einvoice_ubl_currency(tmp_path: Path) -> None:
    _einvoice_refused(
        ubl.read,
        einv.ubl(payable_currency="USD"),
        "LegalMonetaryTotal/PayableAmount",
        "is in 'USD'",
    )


# -- the tests -------------------------------------------------------------------------------


def test_the_catalogue_has_at_least_40_cases_with_unique_ids() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    for c in CASES:
        assert re.fullmatch(r"[a-z0-9-]+", c.id), c.id
        assert (c.check is None) != (c.covered_by == ""), c.id


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input(bad: Case, tmp_path: Path) -> None:
    if bad.check is not None:
        bad.check(tmp_path)
        return
    module, _, name = bad.covered_by.partition("::")
    source = (ROOT / module).read_text(encoding="utf-8")
    assert f"def {name}(" in source, f"{bad.id}: {bad.covered_by} does not exist"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    """The table of ``docs/bad-input.md``, one row per case."""
    rows = [
        "| Case | Input | What the user sees | What is kept | Test |",
        "|---|---|---|---|---|",
    ]
    for c in CASES:
        test = c.covered_by or f"tests/test_bad_input_catalogue.py::test_bad_input[{c.id}]"
        cells = [f"`{c.id}`", c.given, c.sees, c.kept, f"`{test}`"]
        rows.append("| " + " | ".join(_escape(x) for x in cells) + " |")
    return "\n".join(rows) + "\n"


BEGIN, END = "<!-- catalogue: begin -->\n", "<!-- catalogue: end -->\n"


def test_the_docs_table_is_the_catalogue() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = text.split(BEGIN, 1)[1].split(END, 1)[0]
    found = re.findall(r"^\| `([a-z0-9-]+)` \|", documented, flags=re.MULTILINE)
    assert found == [c.id for c in CASES]
    assert documented == table(), "run: python tests/test_bad_input_catalogue.py"


def test_the_docs_index_links_the_page() -> None:
    assert "(bad-input.md)" in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")


if __name__ == "__main__":  # rewrite the table of docs/bad-input.md
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(head + BEGIN + table() + END + tail, encoding="utf-8")
    sys.exit(0)
