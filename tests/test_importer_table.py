# ruff: noqa: E501  (error messages are asserted whole)
"""The table importer: one ERP export (CSV, .xlsx, Parquet) with its own column names."""

from __future__ import annotations

import io
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunning import Creditor
from dunning.errors import DataError
from dunning.importers import Columns, Dialect, read_folder, read_table
from dunning.importers import table as table_module
from dunning.letters import MissingExtra
from dunning.money import Money

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tipografia"

#: The columns of an Italian ERP's export of open items (scadenzario clienti).
IT_COLUMNS = Columns(
    debtor_id="Cod. cliente",
    debtor_name="Ragione sociale",
    debtor_vat_number="Partita IVA",
    debtor_pec="PEC",
    number="Numero documento",
    issue_date="Data documento",
    due_date="Data scadenza",
    amount="Importo rata",
    currency="Valuta",
)
IT_HEADER = (
    "Cod. cliente;Ragione sociale;Partita IVA;PEC;Numero documento;Data documento;"
    "Data scadenza;Importo rata;Valuta;Agente"
)
IT_ROWS = [
    "C001;Caffè Centrale S.n.c.;IT03287650372;caffecentrale@pec.it;2026/0001;10/01/2026;"
    "09/02/2026;1.234,56;EUR;Rossi",
    "C001;Caffè Centrale S.n.c.;IT03287650372;caffecentrale@pec.it;2026/0001;10/01/2026;"
    "11/03/2026;1.234,56;EUR;Rossi",
    "C002;Società Agricola Po;;;2026/0002;15/01/2026;15/02/2026;89,90;EUR;",
]


def italian_csv(rows: list[str] = IT_ROWS, encoding: str = "cp1252") -> bytes:
    return ("\r\n".join([IT_HEADER, *rows]) + "\r\n").encode(encoding)


def problems(
    caught: pytest.ExceptionInfo[DataError],
) -> list[tuple[str | None, int | None, str | None]]:
    return [(e.source, e.line, e.field) for e in caught.value.errors]


# -- CSV -------------------------------------------------------------------------------------


def test_an_italian_export_imports_with_one_option(tmp_path: Path) -> None:
    path = tmp_path / "scadenzario.csv"
    path.write_bytes(italian_csv())
    table = read_table(path, IT_COLUMNS, dialect="it")
    assert [(d.id, d.name, d.pec) for d in table.debtors] == [
        ("C001", "Caffè Centrale S.n.c.", "caffecentrale@pec.it"),
        ("C002", "Società Agricola Po", None),
    ]
    first, second = table.invoices
    assert first.id == first.number == "2026/0001"
    assert first.issue_date == date(2026, 1, 10)
    assert [(i.number, i.due_date, i.amount) for i in first.items] == [
        (1, date(2026, 2, 9), Money("1234.56", "EUR")),
        (2, date(2026, 3, 11), Money("1234.56", "EUR")),
    ]
    assert second.total == Money("89.90", "EUR")
    assert table.rejected == ()
    creditor = Creditor("Tipografia Emiliana S.r.l.")
    assert len(table.portfolio(creditor).invoices) == 2


def test_utf8_with_bom_is_detected_in_either_dialect(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + italian_csv(encoding="utf-8")
    table = read_table(data, IT_COLUMNS, dialect="it", format="csv")
    assert table.debtors[0].name == "Caffè Centrale S.n.c."
    # the default dialect sniffs the ';' but reads amounts with a dot: the comma is refused
    with pytest.raises(DataError) as caught:
        read_table(data, IT_COLUMNS, format="csv", name="export.csv")
    assert "uses a decimal comma: read the file with dialect='it'" in str(caught.value)


def test_windows_1252_needs_the_italian_dialect_or_the_encoding() -> None:
    data = italian_csv()
    with pytest.raises(DataError) as caught:
        read_table(data, IT_COLUMNS, format="csv", name="x.csv")
    (error,) = caught.value.errors
    assert error.source == "x.csv"
    assert "cannot be decoded: not utf-8" in error.message
    assert "dialect='it'" in error.message
    cp1252 = Dialect(";", encodings=("cp1252",), decimal=",", thousands=".",
                     date_formats=("%d/%m/%Y",))  # fmt: skip
    assert len(read_table(data, IT_COLUMNS, dialect=cp1252, format="csv").invoices) == 2


def test_the_folder_files_read_the_same_with_the_default_mapping() -> None:
    folder = read_folder(EXAMPLE).portfolio
    invoices = read_table(EXAMPLE / "invoices.csv")
    assert invoices.invoices == folder.invoices
    assert invoices.credit_notes == folder.credit_notes
    assert read_table(EXAMPLE / "debtors.csv", kind="debtors").debtors == folder.debtors
    assert read_table(EXAMPLE / "payments.csv", kind="payments").payments == folder.payments


def test_every_bad_row_is_listed_with_line_and_source_column_and_nothing_is_kept() -> None:
    rows = [
        IT_ROWS[0],
        IT_ROWS[1].replace("11/03/2026", "31/02/2026"),
        IT_ROWS[2].replace("89,90", "€ 89,90"),
        "C003;Bar Sport;;;2026/0003;20/01/2026;20/02/2026;1.234;EUR;",
        "C004;Bar Roma;;;2026/0004;20/01/2026;20/02/2026;10,505;EUR;",
    ]
    with pytest.raises(DataError) as caught:
        read_table(italian_csv(rows), IT_COLUMNS, dialect="it", format="csv", name="s.csv")
    assert problems(caught) == [
        ("s.csv", 3, "Data scadenza"),
        ("s.csv", 4, "Importo rata"),
        ("s.csv", 5, "Importo rata"),
        ("s.csv", 6, "Importo rata"),
    ]
    text = str(caught.value)
    assert (
        "s.csv line 3: invoice 2026/0001, field 'Data scadenza': '31/02/2026' is not a valid date in the form dd/mm/yyyy"
        in text
    )
    assert "'€ 89,90' is not an amount such as 1234,56 or 1.234,56" in text
    assert "'1.234' is ambiguous" in text
    assert "'10,505' reads as '10.505': '10.505' has 3 decimals but EUR has 2" in text


def test_collect_returns_the_good_rows_and_exactly_the_refused_ones() -> None:
    rows = [IT_ROWS[0], IT_ROWS[1].replace("1.234,56", "-5,00"), IT_ROWS[2]]
    table = read_table(italian_csv(rows), IT_COLUMNS, dialect="it", format="csv",
                       errors="collect", name="s.csv")  # fmt: skip
    assert [i.id for i in table.invoices] == ["2026/0002"]
    assert table.refused == (2, 3)  # the bad instalment and the other one of its invoice
    assert [(e.line, e.field) for e in table.rejected] == [(2, None), (3, "Importo rata")]
    assert "left out with invoice '2026/0001' (see line 3)" in table.rejected[0].message
    assert [d.id for d in table.debtors] == ["C001", "C002"]


def test_mixed_currencies_in_one_invoice_are_refused() -> None:
    rows = [IT_ROWS[0], IT_ROWS[1].replace(";EUR;", ";USD;")]
    with pytest.raises(DataError) as caught:
        read_table(italian_csv(rows), IT_COLUMNS, dialect="it", format="csv", name="s.csv")
    assert problems(caught) == [("s.csv", 3, "Valuta")]
    assert "instalment rows of invoice '2026/0001' disagree: USD here, EUR on line 2" in str(
        caught.value
    )


def test_rows_of_one_debtor_must_agree_on_the_debtor() -> None:
    rows = [IT_ROWS[0], IT_ROWS[1].replace("Caffè Centrale", "Caffe Centrale")]
    with pytest.raises(DataError) as caught:
        read_table(italian_csv(rows), IT_COLUMNS, dialect="it", format="csv", name="s.csv")
    assert problems(caught) == [("s.csv", 3, "Ragione sociale")]


def test_constants_fill_missing_columns_and_instalment_numbers_order_the_rows() -> None:
    data = (
        b"doc,cliente,emessa,scade,rata,importo\n"
        b"F1,D1,2026-01-10,2026-03-10,2,50.00\n"
        b"F1,D1,2026-01-10,2026-02-10,1,50.00\n"
        b"F2,D1,2026-01-11,2026-04-10,3,20.00\n"
    )
    columns = Columns(
        invoice_id="doc", debtor_id="cliente", issue_date="emessa", due_date="scade",
        instalment="rata", amount="importo", constants={"currency": "CHF"},
    )  # fmt: skip
    f1, f2 = read_table(data, columns, format="csv").invoices
    assert [(i.number, i.due_date) for i in f1.items] == [
        (1, date(2026, 2, 10)),
        (2, date(2026, 3, 10)),
    ]
    assert f1.currency == "CHF"
    assert [i.number for i in f2.items] == [3]  # instalments 1 and 2 were paid
    assert f2.item_key(f2.items[0]) == "F2"


def test_header_problems_always_raise_and_name_the_column() -> None:
    data = b"invoice_id,debtor_id,issue_date,due_date,Importo\nF1,D1,2026-01-01,2026-02-01,5\n"
    with pytest.raises(DataError) as caught:
        read_table(data, Columns(amount="importo totale"), format="csv", name="e.csv",
                   errors="collect")  # fmt: skip
    (error,) = caught.value.errors
    assert (error.source, error.line, error.field) == ("e.csv", 1, "importo totale")
    assert "no such column (Columns.amount)" in error.message
    with pytest.raises(DataError, match=r"missing required column \(Columns.amount\)"):
        read_table(data.replace(b"Importo", b"Totale"), format="csv")
    # a header matches ignoring case and repeated spaces
    assert read_table(data, Columns(amount="IMPORTO"), format="csv").invoices[0].total == Money(
        "5", "EUR"
    )
    with pytest.raises(ValueError, match="did you mean 'currency'"):
        Columns(constants={"curency": "EUR"})


def test_size_and_row_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    data = italian_csv()
    monkeypatch.setattr(table_module, "MAX_TABLE_BYTES", len(data) - 1)
    with pytest.raises(DataError, match=r"bytes, more than the .* \(MAX_TABLE_BYTES\)"):
        read_table(data, IT_COLUMNS, dialect="it", format="csv")
    monkeypatch.setattr(table_module, "MAX_TABLE_BYTES", len(data))
    monkeypatch.setattr(table_module, "MAX_TABLE_ROWS", 2)
    with pytest.raises(DataError, match=r"more than 2 lines \(MAX_TABLE_ROWS\)"):
        read_table(data, IT_COLUMNS, dialect="it", format="csv")


def test_excel_serial_dates_in_text() -> None:
    data = b"invoice_id,debtor_id,issue_date,due_date,amount\nF1,D1,46031,46062,10.00\n"
    (invoice,) = read_table(data, format="csv").invoices
    assert (invoice.issue_date, invoice.items[0].due_date) == (date(2026, 1, 9), date(2026, 2, 9))
    with pytest.raises(DataError, match="not a valid date in the form yyyy-mm-dd"):
        read_table(data, format="csv", dialect=Dialect(date_formats=("%Y-%m-%d",)))


# -- xlsx ------------------------------------------------------------------------------------

XLSX_HEADER = ["Cliente", "Ragione sociale", "Documento", "Data doc.", "Scadenza", "Importo"]
XLSX_COLUMNS = Columns(
    debtor_id="Cliente", debtor_name="Ragione sociale", number="Documento",
    issue_date="Data doc.", due_date="Scadenza", amount="Importo",
)  # fmt: skip


def workbook(rows: list[list[object]], title: str = "Scadenze") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(XLSX_HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_typed_dates_serial_dates_floats_decimals_and_text_amounts(
    tmp_path: Path,
) -> None:
    rows: list[list[object]] = [
        ["C001", "Caffè Centrale", "2026/1", datetime(2026, 1, 10), date(2026, 2, 9), 1234.56],
        ["C001", "Caffè Centrale", "2026/1", datetime(2026, 1, 10), 46092, Decimal("1234.56")],
        ["C002", "Bar Sport", 17, "10/01/2026", "09/02/2026", "1.234,50"],
        ["C003", "Bar Roma", "2026/3", date(2026, 1, 10), date(2026, 2, 9), 0.1 + 0.2],
    ]
    path = tmp_path / "scadenze.xlsx"
    path.write_bytes(workbook(rows))
    table = read_table(path, XLSX_COLUMNS, dialect="it")
    first, second, third = table.invoices
    assert [(i.due_date, i.amount) for i in first.items] == [
        (date(2026, 2, 9), Money("1234.56", "EUR")),
        (date(2026, 3, 11), Money("1234.56", "EUR")),  # serial 46092
    ]
    assert second.id == "17"
    assert second.total == Money("1234.50", "EUR")
    assert third.total == Money("0.30", "EUR")  # 0.30000000000000004 as Excel shows it


def test_xlsx_problems_name_the_sheet_row_and_column_and_formulas_are_refused() -> None:
    rows: list[list[object]] = [
        ["C001", "Caffè Centrale", "2026/1", date(2026, 1, 10), date(2026, 2, 9), "=1+1"],
        [],
        ["C002", "Bar Sport", "2026/2", date(2026, 1, 10), date(2026, 2, 9), 10.005],
        ["C003", "Bar Roma", "2026/3", date(2026, 1, 10), date(2026, 2, 9), 12345678901234.56],
        ["C004", '=HYPERLINK("x")', "2026/4", date(2026, 1, 10), date(2026, 2, 9), 5],
    ]
    with pytest.raises(DataError) as caught:
        read_table(workbook(rows), XLSX_COLUMNS, name="s.xlsx")
    assert problems(caught) == [
        ("s.xlsx sheet 'Scadenze'", 2, "Importo"),
        ("s.xlsx sheet 'Scadenze'", 4, "Importo"),
        ("s.xlsx sheet 'Scadenze'", 5, "Importo"),
        ("s.xlsx sheet 'Scadenze'", 6, "Ragione sociale"),
    ]
    text = str(caught.value)
    assert (
        "s.xlsx sheet 'Scadenze' row 2: invoice 2026/1, field 'Importo': is a formula (=1+1)"
        in text
    )
    assert "'10.005' has 3 decimals but EUR has 2" in text
    assert "12345678901234.56 is a floating-point number of 15 significant digits" in text
    assert "is a formula (=HYPERLINK" in text
    with pytest.raises(DataError, match="has no sheet 'Fatture'; its sheets are Scadenze"):
        read_table(workbook(rows), XLSX_COLUMNS, sheet="Fatture")


def test_a_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(MissingExtra, match=r"pip install 'dunning\[xlsx\]'"):
        read_table(b"PK\x03\x04", XLSX_COLUMNS)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtra, match=r"pip install 'dunning\[parquet\]'"):
        read_table(b"PAR1", XLSX_COLUMNS)


# -- Parquet ---------------------------------------------------------------------------------


def parquet(columns: dict[str, pa.Array]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def test_parquet_decimal_double_float_and_date_columns() -> None:
    data = parquet(
        {
            "invoice_id": pa.array(["F1", "F1", "F2", "F3"]),
            "debtor_id": pa.array(["D1", "D1", "D2", "D2"]),
            "issue_date": pa.array([date(2026, 1, 10)] * 4, pa.date32()),
            "due_date": pa.array(["2026-02-09", "2026-03-11", "2026-02-09", "2026-02-09"]),
            "amount": pa.array(
                [Decimal("1234.5600"), Decimal("0.1000"), Decimal("7"), Decimal("99999999.99")],
                pa.decimal128(14, 4),
            ),
            "fee": pa.array([0.1 + 0.2, 1.5, 2.0, 3.0]),
            "small": pa.array([0.1, 1.25, 2.0, 3.0], pa.float32()),
        }
    )
    table = read_table(data)
    assert [i.total for i in table.invoices] == [
        Money("1234.66", "EUR"),
        Money("7", "EUR"),
        Money("99999999.99", "EUR"),
    ]
    fees = read_table(data, Columns(amount="fee"))
    assert fees.invoices[0].items[0].amount == Money("0.30", "EUR")
    small = read_table(data, Columns(amount="small"))
    assert small.invoices[0].items[0].amount == Money("0.1", "EUR")  # 0.100000001490116 as float32


def test_parquet_problems_name_the_row_index() -> None:
    data = parquet(
        {
            "invoice_id": pa.array(["F1", "F2", "F3"]),
            "debtor_id": pa.array(["D1", None, "D2"]),
            "issue_date": pa.array([date(2026, 1, 10)] * 3, pa.date32()),
            "due_date": pa.array([date(2026, 2, 9)] * 3, pa.date32()),
            "amount": pa.array([Decimal("1.001"), Decimal("2"), Decimal("3")], pa.decimal128(9, 3)),
        }
    )
    with pytest.raises(DataError) as caught:
        read_table(data, name="open.parquet")
    assert problems(caught) == [("open.parquet", 0, "amount"), ("open.parquet", 1, "debtor_id")]
    assert "open.parquet row 0: invoice F1, field 'amount': '1.001' has 3 decimals" in str(
        caught.value
    )
    collected = read_table(data, errors="collect")
    assert [i.id for i in collected.invoices] == ["F3"]
    assert collected.refused == (0, 1)


# -- every amount reads back equal -------------------------------------------------------------

amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("9999999999999.99"), places=2
) | st.integers(min_value=1, max_value=10**12).map(Decimal)


def italian(amount: Decimal) -> str:
    whole, _, cents = f"{amount:.2f}".partition(".")
    return f"{int(whole):,}".replace(",", ".") + "," + cents


def one_invoice(amount_cell: str) -> bytes:
    return f"invoice_id;debtor_id;issue_date;due_date;amount\nF1;D1;01/02/2026;01/03/2026;{amount_cell}\n".encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amount=amounts)
def test_any_amount_reads_back_equal_in_every_format_and_dialect(amount: Decimal) -> None:
    def read(data: bytes, **kwargs: object) -> Decimal:
        (invoice,) = read_table(data, **kwargs).invoices  # type: ignore[arg-type]
        return invoice.total.amount

    plain = (
        f"invoice_id,debtor_id,issue_date,due_date,amount\nF1,D1,2026-02-01,2026-03-01,{amount}\n"
    )
    assert read(plain.encode(), format="csv") == amount
    assert read(one_invoice(italian(amount)), format="csv", dialect="it") == amount
    assert read(one_invoice(f"{amount}".replace(".", ",")), format="csv", dialect="it") == amount
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["invoice_id", "debtor_id", "issue_date", "due_date", "amount", "text"])
    sheet.append(["F1", "D1", date(2026, 2, 1), date(2026, 3, 1), amount, italian(amount)])
    buffer = io.BytesIO()
    book.save(buffer)
    assert read(buffer.getvalue()) == amount  # a number cell (a double in the file)
    assert read(buffer.getvalue(), columns=Columns(amount="text"), dialect="it") == amount
    common = {
        "invoice_id": pa.array(["F1"]),
        "debtor_id": pa.array(["D1"]),
        "issue_date": pa.array([date(2026, 2, 1)]),
        "due_date": pa.array([date(2026, 3, 1)]),
    }
    exact = parquet({**common, "amount": pa.array([amount], pa.decimal128(18, 2))})
    assert read(exact) == amount
    double = parquet({**common, "amount": pa.array([float(amount)], pa.float64())})
    assert read(double) == amount


def test_utf16_with_bom_and_a_tab_delimiter() -> None:
    data = "invoice_id\tdebtor_id\tissue_date\tdue_date\tamount\nF1\tD1\t2026-01-01\t2026-02-01\t5.00\n"
    (invoice,) = read_table(data.encode("utf-16"), format="csv").invoices
    assert invoice.total == Money("5.00", "EUR")


def test_one_columns_value_serves_debtor_invoice_and_payment_tables() -> None:
    columns = Columns(
        debtor_id="Cliente", debtor_name="Nome", amount="Importo", payment_id="Bonifico",
        payment_date="Data valuta", issue_date="Data", due_date="Scadenza", number="Fattura",
    )  # fmt: skip
    debtors = read_table(b"Cliente;Nome\nC1;Bar Roma\n", columns, kind="debtors", dialect="it",
                         format="csv").debtors  # fmt: skip
    invoices = read_table(
        b"Fattura;Cliente;Data;Scadenza;Importo\n7;C1;10/01/2026;09/02/2026;100,00\n",
        columns, dialect="it", format="csv",
    )  # fmt: skip
    assert invoices.debtors == ()  # the invoice table carries no debtor names
    payments = read_table(
        b"Bonifico;Cliente;Data valuta;Importo\nB1;C1;12/02/2026;40,00\n",
        columns, kind="payments", dialect="it", format="csv",
    )  # fmt: skip
    creditor = Creditor("Tipografia Emiliana S.r.l.")
    portfolio = invoices.portfolio(creditor, debtors=debtors, payments=payments.payments)
    assert [d.name for d in portfolio.debtors] == ["Bar Roma"]
    assert portfolio.payments[0].amount == Money("40.00", "EUR")
    assert portfolio.invoices[0].label == "7"


def test_rows_are_counted_as_they_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_module, "MAX_TABLE_ROWS", 1)
    rows: list[list[object]] = [["C1", "A", "1", date(2026, 1, 1), date(2026, 2, 1), 1]] * 3
    with pytest.raises(DataError, match=r"has more than 1 rows \(MAX_TABLE_ROWS\)"):
        read_table(workbook(rows), XLSX_COLUMNS)
    data = parquet({"invoice_id": pa.array(["F1", "F2"])})
    with pytest.raises(DataError, match=r"has more than 1 rows"):
        read_table(data)


def test_debtor_columns_of_an_invoice_table_are_all_or_nothing() -> None:
    data = b"invoice_id,debtor_id,debtor_pec,issue_date,due_date,amount\nF1,D1,a@pec.it,2026-01-01,2026-02-01,5\n"
    with pytest.raises(
        DataError, match=r"debtor columns \('debtor_pec'\) but not the debtor's name"
    ):
        read_table(data, format="csv")
    with pytest.raises(DataError, match=r"no such column \(Columns.debtor_email\)"):
        read_table(data, Columns(debtor_name="debtor_pec", debtor_email="Email"), format="csv")


def test_a_debtor_table_with_the_ibans_the_debtor_pays_from() -> None:
    data = (
        b"Codice,Ragione sociale,IBAN\n"
        b"C1,Bar Centrale,IT60 X054 2811 1010 0000 0123 456; DE89370400440532013000\n"
        b"C2,Osteria,IT61X0542811101000000123456\n"
    )
    columns = Columns(debtor_id="Codice", debtor_name="Ragione sociale", debtor_iban="IBAN")
    table = read_table(data, columns, kind="debtors", errors="collect", name="clienti.csv")
    assert [(d.id, d.ibans) for d in table.debtors] == [
        ("C1", {"IT60X0542811101000000123456", "DE89370400440532013000"})
    ]
    assert [(e.line, e.field) for e in table.rejected] == [(3, "IBAN")]
