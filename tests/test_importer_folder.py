"""The folder importer: dunning.toml + debtors/invoices/payments/events CSV files."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dunning.errors import DataError
from dunning.events import (
    BlockLifted,
    BlockSet,
    DebtorReplied,
    DisputeOpened,
    DisputeResolved,
    PromiseToPay,
    WrittenOff,
)
from dunning.importers import Folder, PolicyConfig, read_folder
from dunning.model import CreditNote, Document, OpenItem, Payment, PostalAddress
from dunning.money import Money
from dunning.portfolio import Portfolio

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tipografia"
GENERATOR = ROOT / "examples" / "make_tipografia.py"

TOML = """\
[creditor]
name = "Tipografia Emiliana S.r.l."
vat_number = "IT03287650372"
address = ["Via del Lavoro 14", "Capannone B"]
postcode = "40127"
city = "Bologna"
province = "BO"
iban = "IT60X0542811101000000123456"
email = "amministrazione@tipografiaemiliana.it"
pec = "tipografiaemiliana@pec.it"
phone = "+390516345128"
signatory = "Giulia Marchetti"
locale = "it_IT"
country = "IT"
"""

DEBTORS = """\
id,name,kind
D1,Osteria del Portico S.n.c.,business
D2,Marco Rinaldi,consumer
"""

INVOICES = """\
invoice_id,debtor_id,number,issue_date,due_date,amount
F1,D1,2026/0001,2026-01-10,2026-02-09,100.00
F2,D2,2026/0002,2026-01-12,2026-01-12,80.50
"""

PAYMENTS = """\
payment_id,debtor_id,date,amount,reference
P1,D1,2026-02-10,100.00,FT 2026/0001
"""


def folder(tmp_path: Path, **files: str | None) -> Path:
    """Write a valid folder into ``tmp_path``; ``name_ext=text`` replaces a file, ``None``
    leaves it out."""
    contents: dict[str, str | None] = {
        "dunning.toml": TOML,
        "debtors.csv": DEBTORS,
        "invoices.csv": INVOICES,
        "payments.csv": PAYMENTS,
    }
    contents.update({name.replace("_", ".", 1): text for name, text in files.items()})
    for name, text in contents.items():
        if text is not None:
            (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def problems(path: Path, **kwargs: object) -> list[DataError]:
    with pytest.raises(DataError) as caught:
        read_folder(path, **kwargs)  # type: ignore[arg-type]
    assert caught.value.errors, "expected the problems to be listed in .errors"
    return list(caught.value.errors)


def only(path: Path) -> DataError:
    found = problems(path)
    assert len(found) == 1, [str(e) for e in found]
    return found[0]


# -- the happy path --------------------------------------------------------------------------


def test_minimal_folder(tmp_path: Path) -> None:
    result = read_folder(folder(tmp_path))
    assert isinstance(result, Folder)
    assert result.path == tmp_path
    assert result.policy == PolicyConfig("italy.stragiudiziale")
    assert result.per_invoice is False
    assert result.rejected == ()
    portfolio = result.portfolio
    assert [d.id for d in portfolio.debtors] == ["D1", "D2"]
    assert portfolio.debtors[1].kind == "consumer"
    assert portfolio.invoices[1].items == (OpenItem(date(2026, 1, 12), Money("80.50", "EUR"), 1),)
    assert portfolio.payments == (
        Payment("P1", "D1", date(2026, 2, 10), Money("100.00", "EUR"), "FT 2026/0001"),
    )
    assert portfolio.events == ()


def test_creditor_and_policy_from_toml(tmp_path: Path) -> None:
    toml = TOML + '[policy]\npreset = "italy.gentle"\n[policy.params]\nreminders = 3\n'
    toml += 'channels = ["pec", "email"]\n[run]\nper_invoice = true\n'
    result = read_folder(folder(tmp_path, dunning_toml=toml))
    creditor = result.portfolio.creditor
    assert creditor.name == "Tipografia Emiliana S.r.l."
    assert creditor.vat_number == "IT03287650372"
    assert creditor.address == PostalAddress(
        ("Via del Lavoro 14", "Capannone B"), "40127", "Bologna", "BO", "IT"
    )
    assert creditor.iban == "IT60X0542811101000000123456"
    assert (creditor.email, creditor.pec) == (
        "amministrazione@tipografiaemiliana.it",
        "tipografiaemiliana@pec.it",
    )
    assert (creditor.phone, creditor.signatory) == ("+390516345128", "Giulia Marchetti")
    assert (creditor.locale, creditor.country) == ("it_IT", "IT")
    assert result.policy.preset == "italy.gentle"
    assert result.policy.kwargs() == {"channels": ("pec", "email"), "reminders": 3}
    assert hash(result.policy) == hash(PolicyConfig("italy.gentle", result.policy.kwargs()))
    assert result.per_invoice is True


def test_every_debtor_column(tmp_path: Path) -> None:
    debtors = (
        "id,name,kind,vat_number,tax_code,email,pec,phone,address,postcode,city,province,"
        "country,locale,timezone,contact_person,opt_out,tags,block,policy\n"
        "D1,Osteria del Portico S.n.c.,,IT12345670371,,info@osteria.it,osteria@pec.it,"
        "+390516668755,Via Saragozza 12|Scala B,40123,Bologna,BO,,,,Anna Neri,sms;phone,"
        "ristorazione;centro,procedura concorsuale,italy.gentle\n"
        "D2,Marco Rinaldi,consumer,,RSSMRA80A01H501U,marco@example.org,,+393471234567,,,,,"
        "DE,de_DE,Europe/Berlin,,,,,\n"
    )
    d1, d2 = read_folder(folder(tmp_path, debtors_csv=debtors)).portfolio.debtors
    assert d1.kind == "business"
    assert (d1.vat_number, d1.tax_code) == ("IT12345670371", None)
    assert (d1.email, d1.pec, d1.phone) == ("info@osteria.it", "osteria@pec.it", "+390516668755")
    assert d1.address == PostalAddress(("Via Saragozza 12", "Scala B"), "40123", "Bologna", "BO")
    assert (d1.country, d1.locale, d1.timezone) == ("IT", "it_IT", None)
    assert d1.timezones == ("Europe/Rome",)  # no timezone given: the country's
    assert d1.contact_person == "Anna Neri"
    assert d1.opt_out == {"sms", "phone"}
    assert d1.tags == {"ristorazione", "centro"}
    assert d1.block == "procedura concorsuale"
    assert d1.blocked
    assert d1.policy == "italy.gentle"
    assert d2.kind == "consumer"
    assert (d2.tax_code, d2.pec, d2.address) == ("RSSMRA80A01H501U", None, None)
    assert (d2.country, d2.locale, d2.timezone) == ("DE", "de_DE", "Europe/Berlin")
    assert (d2.opt_out, d2.tags, d2.block, d2.policy) == (frozenset(), frozenset(), None, None)


def test_the_iban_column(tmp_path: Path) -> None:
    debtors = (
        "id,name,iban\n"
        'D1,Osteria del Portico,"IT60 X054 2811 1010 0000 0123 456 de89370400440532013000"\n'
        "D2,Marco Rinaldi,IT60X0542811101000000123456; DE89 3704 0044 0532 0130 00\n"
        "D3,Pizzeria,\n"
    )
    d1, d2, d3 = read_folder(folder(tmp_path, debtors_csv=debtors)).portfolio.debtors
    both = {"IT60X0542811101000000123456", "DE89370400440532013000"}
    assert (d1.ibans, d2.ibans, d3.ibans) == (both, both, frozenset())


def test_a_bad_iban_is_reported_at_its_line(tmp_path: Path) -> None:
    debtors = "id,name,iban\nD1,Osteria,IT61X0542811101000000123456\nD2,Marco Rinaldi,\n"
    error = only(folder(tmp_path, debtors_csv=debtors))
    assert (error.source, error.line, error.record, error.field) == (
        "debtors.csv",
        2,
        "debtor D1",
        "iban",
    )
    assert "'IT61X0542811101000000123456' is not a valid IBAN: " in error.message


def test_instalments_are_grouped_in_row_order(tmp_path: Path) -> None:
    invoices = (
        "invoice_id,debtor_id,number,issue_date,due_date,amount,currency,kind,applies_to,"
        "documents\n"
        "F1,D1,2026/0001,2026-01-10,2026-02-09,400.00,EUR,invoice,,order:ODA-7;quote:PREV 3\n"
        "F2,D2,2026/0002,2026-01-12,2026-01-12,80.50,,,,\n"
        "F1,D1,2026/0001,2026-01-10,2026-03-11,300.00,EUR,,,delivery_note:DDT 2026/0004\n"
        "F1,D1,2026/0001,2026-01-10,2026-04-10,300.01,EUR,,,order:ODA-7\n"
    )
    f1, f2 = read_folder(folder(tmp_path, invoices_csv=invoices)).portfolio.invoices
    assert (f1.id, f1.debtor_id, f1.number, f1.issue_date) == (
        "F1",
        "D1",
        "2026/0001",
        date(2026, 1, 10),
    )
    assert f1.items == (
        OpenItem(date(2026, 2, 9), Money("400.00", "EUR"), 1),
        OpenItem(date(2026, 3, 11), Money("300.00", "EUR"), 2),
        OpenItem(date(2026, 4, 10), Money("300.01", "EUR"), 3),
    )
    assert f1.total == Money("1000.01", "EUR")
    assert f1.documents == (
        Document("order", "ODA-7"),
        Document("quote", "PREV 3"),
        Document("delivery_note", "DDT 2026/0004"),
    )
    assert f2.currency == "EUR"
    assert f2.documents == ()


def test_performed_on_is_read_and_carried_to_the_case(tmp_path: Path) -> None:
    invoices = (
        "invoice_id,debtor_id,issue_date,due_date,amount,performed_on\n"
        "F1,D1,2026-03-31,2026-04-30,600.00,2026-01-15\n"
        "F1,D1,2026-03-31,2026-05-31,400.00,2026-01-15\n"
        "F2,D2,2026-01-12,2026-01-12,80.50,\n"
    )
    portfolio = read_folder(folder(tmp_path, invoices_csv=invoices)).portfolio
    f1, f2 = portfolio.invoices
    assert (f1.performed_on, f2.performed_on) == (date(2026, 1, 15), None)
    items = portfolio.case("D1", date(2026, 6, 1)).open_items
    assert [(i.key, i.performed_on) for i in items] == [
        ("F1#1", date(2026, 1, 15)),
        ("F1#2", date(2026, 1, 15)),
    ]


@pytest.mark.parametrize(
    ("cell", "field", "hint"),
    [
        ("15/01/2026", "performed_on", "write 2026-01-15"),
        ("2026-02-30", "performed_on", "'2026-02-30' is not a valid date"),
        ("2026-04-01", "performed_on", "2026-04-01 is after the issue date 2026-03-31"),
    ],
)
def test_a_bad_performed_on(tmp_path: Path, cell: str, field: str, hint: str) -> None:
    invoices = (
        "invoice_id,debtor_id,issue_date,due_date,amount,performed_on\n"
        f"F1,D1,2026-03-31,2026-04-30,600.00,{cell}\n"
    )
    error = only(folder(tmp_path, invoices_csv=invoices))
    assert (error.source, error.line, error.record, error.field) == (
        "invoices.csv",
        2,
        "invoice F1",
        field,
    )
    assert hint in error.message


def test_instalment_rows_must_agree_on_performed_on(tmp_path: Path) -> None:
    invoices = (
        "invoice_id,debtor_id,issue_date,due_date,amount,performed_on\n"
        "F1,D1,2026-03-31,2026-04-30,600.00,2026-01-15\n"
        "F1,D1,2026-03-31,2026-05-31,400.00,\n"
    )
    error = only(folder(tmp_path, invoices_csv=invoices))
    assert (error.line, error.field) == (3, "performed_on")
    assert "(empty) here, 2026-01-15 on line 2" in error.message


def test_a_credit_note_has_no_performed_on(tmp_path: Path) -> None:
    invoices = (
        "invoice_id,debtor_id,issue_date,due_date,amount,kind,applies_to,performed_on\n"
        "F1,D1,2026-03-31,2026-04-30,600.00,,,\n"
        "NC1,D1,2026-04-10,,100.00,credit_note,F1,2026-04-01\n"
    )
    error = only(folder(tmp_path, invoices_csv=invoices))
    assert (error.line, error.record, error.field) == (3, "credit note NC1", "performed_on")


def test_amounts_are_exact_decimals(tmp_path: Path) -> None:
    invoices = INVOICES.replace("100.00", "0.10").replace("80.50", "1234567.89")
    portfolio = read_folder(folder(tmp_path, invoices_csv=invoices)).portfolio
    amounts = [i.total.amount for i in portfolio.invoices]
    assert amounts == [Decimal("0.10"), Decimal("1234567.89")]
    assert all(type(a) is Decimal for a in amounts)


def test_credit_note(tmp_path: Path) -> None:
    invoices = (
        "invoice_id,debtor_id,issue_date,due_date,amount,currency,kind,applies_to\n"
        "F1,D1,2026-01-10,2026-02-09,100.00,,,\n"
        "NC1,D1,2026-01-20,,20.00,EUR,credit_note,F1\n"
        "NC2,D1,2026-01-21,,5.00,,credit_note,\n"
    )
    portfolio = read_folder(folder(tmp_path, invoices_csv=invoices)).portfolio
    assert [i.id for i in portfolio.invoices] == ["F1"]
    assert portfolio.credit_notes == (
        CreditNote("NC1", "D1", date(2026, 1, 20), Money("20.00", "EUR"), "F1"),
        CreditNote("NC2", "D1", date(2026, 1, 21), Money("5.00", "EUR"), None),
    )
    case = portfolio.case("D1", date(2026, 2, 1))
    assert case.balance == Money("75.00", "EUR")


def test_payments_with_every_column(tmp_path: Path) -> None:
    payments = (
        "payment_id,debtor_id,date,amount,currency,reference\n"
        "P1,D1,2026-02-10,60.00,EUR,Saldo fattura 2026/0001\n"
        "P2,D2,2026-02-11,10.00,,\n"
    )
    p1, p2 = read_folder(folder(tmp_path, payments_csv=payments)).portfolio.payments
    assert p1 == Payment(
        "P1", "D1", date(2026, 2, 10), Money("60.00", "EUR"), "Saldo fattura 2026/0001"
    )
    assert (p2.amount, p2.reference) == (Money("10.00", "EUR"), None)


def test_every_kind_of_event(tmp_path: Path) -> None:
    invoices = INVOICES + "F3,D1,2026/0003,2026-02-01,2026-03-01,50.00\n"
    invoices += "F3,D1,2026/0003,2026-02-01,2026-04-01,50.00\n"
    events = (
        "date,debtor_id,event,invoice_id,until,amount,currency,note\n"
        "2026-03-01,D1,promise,,2026-03-15,100.00,EUR,by phone\n"
        "2026-03-02,D2,promise,,2026-03-20,,,\n"
        "2026-03-03,D1,dispute,F1,,,,wrong colours\n"
        "2026-03-04,D1,dispute_resolved,F1,,,,reprinted\n"
        "2026-03-05,D1,block,,,,,insolvency\n"
        "2026-03-06,D1,unblock,,,,,settled\n"
        "2026-03-07,D2,reply,,,,,asked for a copy\n"
        "2026-03-08,D2,write_off,F2,,,,too small\n"
        "2026-03-09,D1,write_off,F3,,,,instalments\n"
        "2026-03-10,D1,write_off,,,,,everything\n"
    )
    portfolio = read_folder(folder(tmp_path, invoices_csv=invoices, events_csv=events)).portfolio
    assert portfolio.events == (
        PromiseToPay(date(2026, 3, 1), "D1", date(2026, 3, 15), Money("100.00", "EUR"), "by phone"),
        PromiseToPay(date(2026, 3, 2), "D2", date(2026, 3, 20), None, ""),
        DisputeOpened(date(2026, 3, 3), "D1", "F1", reason="wrong colours"),
        DisputeResolved(date(2026, 3, 4), "D1", "F1", note="reprinted"),
        BlockSet(date(2026, 3, 5), "D1", reason="insolvency"),
        BlockLifted(date(2026, 3, 6), "D1", note="settled"),
        DebtorReplied(date(2026, 3, 7), "D2", note="asked for a copy"),
        WrittenOff(date(2026, 3, 8), "D2", items=("F2",), reason="too small"),
        WrittenOff(date(2026, 3, 9), "D1", items=("F3#1", "F3#2"), reason="instalments"),
        WrittenOff(date(2026, 3, 10), "D1", items=(), reason="everything"),
    )
    case = portfolio.case("D2", date(2026, 3, 31))
    assert case.written_off == Money("80.50", "EUR")


def test_portfolio_from_csv(tmp_path: Path) -> None:
    path = folder(tmp_path)
    assert Portfolio.from_csv(path) == read_folder(path).portfolio
    assert Portfolio.from_csv(str(path)) == read_folder(path).portfolio


def test_utf8_with_bom_quotes_and_blank_lines(tmp_path: Path) -> None:
    debtors = '\ufeffid,name\nD1,"Caffè Zanarini, Bologna"\n\nD2,"Ditta ""Il Ponte"""\n'
    path = folder(tmp_path, debtors_csv=debtors)
    d1, d2 = read_folder(path).portfolio.debtors
    assert (d1.name, d2.name) == ("Caffè Zanarini, Bologna", 'Ditta "Il Ponte"')


# -- one problem at a time -------------------------------------------------------------------


def test_bad_date(tmp_path: Path) -> None:
    invoices = INVOICES.replace("2026-02-09", "09/02/2026")
    error = only(folder(tmp_path, invoices_csv=invoices))
    assert (error.source, error.line, error.field) == ("invoices.csv", 2, "due_date")
    assert error.record == "invoice F1"
    assert "YYYY-MM-DD" in error.message
    assert "2026-02-09" in error.message  # the suggested fix
    assert str(error).startswith("invoices.csv line 2: invoice F1, field 'due_date': ")


def test_impossible_date(tmp_path: Path) -> None:
    payments = PAYMENTS.replace("2026-02-10", "2026-02-30")
    error = only(folder(tmp_path, payments_csv=payments))
    assert (error.source, error.line, error.field) == ("payments.csv", 2, "date")
    assert "2026-02-30" in error.message


def test_comma_decimal_amount_suggests_a_dot(tmp_path: Path) -> None:
    invoices = INVOICES.replace("80.50", '"80,50"')
    error = only(folder(tmp_path, invoices_csv=invoices))
    assert (error.source, error.line, error.field) == ("invoices.csv", 3, "amount")
    assert "'80.50'" in error.message
    assert "comma" in error.message


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ('"1.234,56"', "'1234.56'"),
        ('"1,234.56"', "'1234.56'"),
        ("€100", "such as 1234.56"),
        ("100.001", "3 decimals"),
        ("0.00", "positive"),
        ("-5.00", "positive"),
    ],
)
def test_bad_amounts(tmp_path: Path, cell: str, hint: str) -> None:
    error = only(folder(tmp_path, payments_csv=PAYMENTS.replace("100.00", cell)))
    assert (error.source, error.line, error.field) == ("payments.csv", 2, "amount")
    assert hint in error.message


def test_unknown_debtor_in_invoices(tmp_path: Path) -> None:
    error = only(folder(tmp_path, invoices_csv=INVOICES.replace("F2,D2", "F2,D9")))
    assert (error.source, error.line, error.field) == ("invoices.csv", 3, "debtor_id")
    assert "'D9'" in error.message
    assert "debtors.csv" in error.message


def test_instalment_rows_that_disagree(tmp_path: Path) -> None:
    invoices = INVOICES + "F1,D1,2026/0001,2026-01-11,2026-03-09,50.00\n"
    error = only(folder(tmp_path, invoices_csv=invoices))
    assert (error.source, error.line, error.field) == ("invoices.csv", 4, "issue_date")
    assert "line 2" in error.message
    assert "2026-01-11" in error.message


def test_unknown_column(tmp_path: Path) -> None:
    error = only(folder(tmp_path, debtors_csv=DEBTORS.replace("kind", "emial")))
    assert (error.source, error.line, error.field) == ("debtors.csv", 1, "emial")
    assert "unknown column" in error.message
    assert "did you mean 'email'?" in error.message


def test_missing_required_column(tmp_path: Path) -> None:
    payments = "payment_id,debtor_id,amount\nP1,D1,100.00\n"
    error = only(folder(tmp_path, payments_csv=payments))
    assert (error.source, error.line, error.field) == ("payments.csv", 1, "date")
    assert "payments.csv" in error.message
    assert "missing required column" in error.message


def test_missing_file(tmp_path: Path) -> None:
    path = folder(tmp_path, payments_csv=None)
    with pytest.raises(FileNotFoundError, match=r"payments\.csv") as caught:
        read_folder(path)
    assert str(tmp_path) in str(caught.value)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read_folder(tmp_path / "nowhere")


def test_events_file_is_optional_but_checked(tmp_path: Path) -> None:
    events = "date,debtor_id,event,invoice_id\n2026-03-01,D1,dispute,F2\n2026-03-02,D1,party,\n"
    found = problems(folder(tmp_path, events_csv=events))
    assert [(e.source, e.line, e.field) for e in found] == [
        ("events.csv", 2, "invoice_id"),
        ("events.csv", 3, "event"),
    ]
    assert "belongs to debtor 'D2'" in found[0].message
    assert "'party'" in found[1].message


def test_event_cells_are_checked_by_kind(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,invoice_id,until,amount,currency,note\n"
        "2026-03-01,D1,promise,F1,,,,\n"
        "2026-03-01,D1,dispute,,2026-03-02,,,\n"
        "2026-03-05,D1,promise,,2026-03-01,,,\n"
    )
    found = problems(folder(tmp_path, events_csv=events))
    assert [(e.line, e.field) for e in found] == [
        (2, "until"),
        (2, "invoice_id"),
        (3, "invoice_id"),
        (3, "until"),
        (4, "until"),
    ]


def test_domain_errors_get_file_and_line(tmp_path: Path) -> None:
    debtors = DEBTORS + "D3,Mario Bianchi,person\nD4,Rossi Srl,,\n"
    debtors = debtors.replace("id,name,kind", "id,name,kind,phone")
    debtors = debtors.replace("D4,Rossi Srl,,", "D4,Rossi Srl,,051 123456")
    found = problems(folder(tmp_path, debtors_csv=debtors))
    assert [(e.source, e.line, e.field, e.record) for e in found] == [
        ("debtors.csv", 4, "kind", "debtor D3"),
        ("debtors.csv", 5, "phone", "debtor D4"),
    ]
    assert "E.164" in found[1].message


def test_vat_numbers_and_tax_codes_are_checked_with_file_and_line(tmp_path: Path) -> None:
    debtors = (
        "id,name,kind,vat_number,tax_code\n"
        "D1,Osteria del Portico S.n.c.,business,IT12345670371,12345670371\n"
        "D2,Marco Rinaldi,consumer,,RSSMRA80A01H501U\n"
        "D3,Rossi Srl,business,IT12345670372,\n"  # wrong check digit
        "D4,Anna Neri,consumer,,NRENNA80A41H501X\n"  # wrong check letter
    )
    found = problems(folder(tmp_path, debtors_csv=debtors))
    assert [(e.source, e.line, e.field, e.record) for e in found] == [
        ("debtors.csv", 4, "vat_number", "debtor D3"),
        ("debtors.csv", 5, "tax_code", "debtor D4"),
    ]
    toml = TOML.replace('vat_number = "IT03287650372"', 'vat_number = "IT03287650373"')
    error = only(folder(tmp_path, dunning_toml=toml))
    assert (error.source, error.record, error.field) == ("dunning.toml", "creditor", "vat_number")


def test_credit_note_problems(tmp_path: Path) -> None:
    invoices = INVOICES + (
        "NC1,D1,,2026-01-20,,20.00,,credit_note,F2,\n"
        "NC2,D1,,2026-01-20,,20.00,,credit_note,F9,\n"
        "F1,D1,,2026-01-20,2026-02-01,20.00,,credit_note,,\n"
        "F4,D1,,2026-01-20,,20.00,,invoice,F1,\n"
    )
    invoices = invoices.replace("amount\n", "amount,currency,kind,applies_to,documents\n", 1)
    found = problems(folder(tmp_path, invoices_csv=invoices))
    assert [(e.line, e.field) for e in found] == [
        (4, "applies_to"),
        (5, "applies_to"),
        (6, "invoice_id"),
        (6, "due_date"),
        (7, "applies_to"),
        (7, "due_date"),
    ]
    assert "belongs to debtor 'D2'" in found[0].message
    assert "unknown invoice 'F9'" in found[1].message


def test_duplicate_ids(tmp_path: Path) -> None:
    debtors = DEBTORS + "D1,Again,business\n"
    payments = PAYMENTS + "P1,D1,2026-02-11,5.00,\n"
    found = problems(folder(tmp_path, debtors_csv=debtors, payments_csv=payments))
    assert [(e.source, e.line, e.field) for e in found] == [
        ("debtors.csv", 4, "id"),
        ("payments.csv", 3, "payment_id"),
    ]


def test_bad_toml(tmp_path: Path) -> None:
    error = only(folder(tmp_path, dunning_toml='[creditor]\nname = "x\n'))
    assert error.source == "dunning.toml"
    assert error.line == 2
    toml = TOML.replace("IT60X0542811101000000123456", "IT60X0542811101000000123457")
    toml += "colour = 1\n[policy]\npreset = 12\n[plans]\n"
    found = problems(folder(tmp_path, dunning_toml=toml))
    assert [(e.source, e.record, e.field) for e in found] == [
        ("dunning.toml", "creditor", "colour"),
        ("dunning.toml", "plans", None),
        ("dunning.toml", "creditor", "iban"),
        ("dunning.toml", "policy", "preset"),
    ]
    error = only(folder(tmp_path, dunning_toml='[creditor]\ncity = "Bologna"\n'))
    assert (error.record, error.field) == ("creditor", "name")


def test_more_cells_than_columns(tmp_path: Path) -> None:
    error = only(folder(tmp_path, debtors_csv=DEBTORS + "D3,Extra,business,surprise\n"))
    assert (error.source, error.line) == ("debtors.csv", 4)
    assert "4 cells" in error.message


def test_not_utf8(tmp_path: Path) -> None:
    path = folder(tmp_path)
    (path / "debtors.csv").write_bytes("id,name\nD1,Caffè\n".encode("latin-1"))
    error = only(path)
    assert error.source == "debtors.csv"
    assert "UTF-8" in error.message


def test_an_exact_duplicate_invoice_row_is_an_error(tmp_path: Path) -> None:
    invoices = INVOICES + "F2,D2,2026/0002,2026-01-12,2026-01-12,80.50\n"
    error = only(folder(tmp_path, invoices_csv=invoices))
    assert (error.source, error.line, error.record, error.field) == (
        "invoices.csv",
        4,
        "invoice F2",
        "invoice_id",
    )
    assert "repeats line 3" in error.message
    # same id, another due date: a second instalment, as before
    invoices = INVOICES + "F2,D2,2026/0002,2026-01-12,2026-02-12,80.50\n"
    f2 = read_folder(folder(tmp_path, invoices_csv=invoices)).portfolio.invoices[1]
    assert [i.due_date for i in f2.items] == [date(2026, 1, 12), date(2026, 2, 12)]


def test_a_currency_must_be_a_real_iso_4217_code(tmp_path: Path) -> None:
    invoices = INVOICES.replace("amount\n", "amount,currency\n").replace("80.50", "80.50,XYZ")
    payments = PAYMENTS.replace("reference", "reference,currency") + "P2,D1,2026-02-11,5.00,,ABC\n"
    payments = payments.replace("FT 2026/0001", "FT 2026/0001,EUR")
    found = problems(folder(tmp_path, invoices_csv=invoices, payments_csv=payments))
    assert [(e.source, e.line, e.field) for e in found] == [
        ("invoices.csv", 3, "currency"),
        ("payments.csv", 3, "currency"),
    ]
    assert "'XYZ' is not an ISO 4217 currency code" in found[0].message


def test_a_due_date_before_the_issue_date_is_an_error(tmp_path: Path) -> None:
    invoices = INVOICES + "F1,D1,2026/0001,2026-01-10,2026-01-09,50.00\n"
    error = only(folder(tmp_path, invoices_csv=invoices))
    assert (error.source, error.line, error.record, error.field) == (
        "invoices.csv",
        4,
        "invoice F1",
        "due_date",
    )
    assert "2026-01-09 is before the issue date 2026-01-10" in error.message


def test_a_payment_in_another_currency_is_read(tmp_path: Path) -> None:
    # not an error of the file: `Portfolio.unallocatable_payments` and `dunning run` say it
    payments = PAYMENTS.replace("reference", "reference,currency") + "P2,D1,2026-02-11,5.00,,USD\n"
    payments = payments.replace("FT 2026/0001", "FT 2026/0001,EUR")
    portfolio = read_folder(folder(tmp_path, payments_csv=payments)).portfolio
    assert portfolio.payments[1].amount == Money("5.00", "USD")


def test_an_amount_with_too_many_digits_is_an_error(tmp_path: Path) -> None:
    error = only(folder(tmp_path, invoices_csv=INVOICES.replace("80.50", "1" * 32)))
    assert (error.source, error.line, error.field) == ("invoices.csv", 3, "amount")
    assert "too large" in error.message


def test_an_unclosed_quote_is_located_in_a_short_message(tmp_path: Path) -> None:
    rows = "".join(f"F{n},D1,2026/{n:04},2026-01-10,2026-02-09,{n}.00\n" for n in range(3, 500))
    invoices = INVOICES.replace("F2,D2,2026/0002", 'F2,D2,"2026/0002') + rows
    error = only(folder(tmp_path, invoices_csv=invoices))
    assert (error.source, error.line) == ("invoices.csv", 3)
    assert "never closed" in error.message
    assert len(str(error)) < 300
    # a quoted cell spanning lines is fine, and the line of the stray quote is found
    events = 'date,debtor_id,event,note\n2026-03-01,D1,reply,"two\nlines"\n2026-03-02,D1,reply,"x\n'
    error = only(folder(tmp_path, invoices_csv=INVOICES, events_csv=events))
    assert (error.source, error.line) == ("events.csv", 4)


def test_a_semicolon_separated_file_with_decimal_commas(tmp_path: Path) -> None:
    # what Excel writes with Italian settings: ';' between cells, ',' before the decimals
    invoices = (
        "\ufeffinvoice_id;debtor_id;number;issue_date;due_date;amount\r\n"
        "F1;D1;2026/0001;2026-01-10;2026-02-09;1.234,56\r\n"
        "F2;D2;2026/0002;2026-01-12;2026-01-12;80,5\r\n"
        "F3;D2;2026/0003;2026-01-12;2026-01-12;1.234.567\r\n"
        "F4;D2;2026/0004;2026-01-12;2026-01-12;12.50\r\n"
    )
    payments = "payment_id;debtor_id;date;amount;reference\nP1;D1;2026-02-10;100;FT 2026/0001\n"
    debtors = DEBTORS.replace(",", ";")
    portfolio = read_folder(
        folder(tmp_path, invoices_csv=invoices, payments_csv=payments, debtors_csv=debtors)
    ).portfolio
    assert [i.total.amount for i in portfolio.invoices] == [
        Decimal("1234.56"),
        Decimal("80.5"),
        Decimal("1234567"),
        Decimal("12.50"),
    ]
    assert portfolio.payments[0].amount == Money("100", "EUR")


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ("1.234", "ambiguous"),
        ("1,234.56", "such as 1234,56"),
        ("1,234", "reads as '1.234'"),
        ("1.2.3", "such as 1234,56"),
    ],
)
def test_amounts_in_a_semicolon_separated_file(tmp_path: Path, cell: str, hint: str) -> None:
    payments = f"payment_id;debtor_id;date;amount\nP1;D1;2026-02-10;{cell}\n"
    error = only(folder(tmp_path, payments_csv=payments))
    assert (error.source, error.line, error.field) == ("payments.csv", 2, "amount")
    assert hint in error.message


def test_a_comma_separated_file_keeps_the_dot(tmp_path: Path) -> None:
    # a quoted "1,234.56" in a ','-separated file is not read as a decimal comma
    error = only(folder(tmp_path, payments_csv=PAYMENTS.replace("100.00", '"1,234.56"')))
    assert "groups thousands with commas" in error.message


# -- all problems at once, and skipping them -------------------------------------------------

MESSY_DEBTORS = DEBTORS + "D3,,business\nD4,Cartoleria Nanni,business\n"
MESSY_INVOICES = INVOICES + (
    "F3,D4,2026/0003,2026-02-01,2026-03-01,10.00\n"
    "F3,D4,2026/0003,2026-02-01,2026-04-01,10\n"
    "F4,D3,2026/0004,2026-02-02,2026-03-02,30.00\n"
    'F5,D1,2026/0005,2026-02-03,2026-03-03,"1.000,00"\n'
    "F5,D1,2026/0005,2026-02-03,2026-04-03,5.00\n"
    "F6,D9,2026/0006,2026-02-04,2026-03-04,7.00\n"
)
MESSY_PAYMENTS = PAYMENTS + "P2,D3,2026-03-01,5.00,\nP3,D4,2026-3-1,5.00,\nP4,D4,2026-03-02,5,\n"
MESSY_EVENTS = "date,debtor_id,event,invoice_id,note\n2026-03-01,D1,dispute,F5,\n"
MESSY_EVENTS += "2026-03-02,D4,dispute,F3,colori\n"


def messy(tmp_path: Path) -> Path:
    return folder(
        tmp_path,
        debtors_csv=MESSY_DEBTORS,
        invoices_csv=MESSY_INVOICES,
        payments_csv=MESSY_PAYMENTS,
        events_csv=MESSY_EVENTS,
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        read_folder(messy(tmp_path))
    error = caught.value
    assert error.message == f"4 problem(s) in {tmp_path}"
    assert [(e.source, e.line, e.field) for e in error.errors] == [
        ("debtors.csv", 4, "name"),
        ("invoices.csv", 7, "amount"),
        ("invoices.csv", 9, "debtor_id"),
        ("payments.csv", 4, "date"),
    ]
    text = str(error)
    assert "invoices.csv line 7: invoice F5, field 'amount'" in text
    assert text.count("\n  - ") == 4


def test_skip_keeps_the_good_rows_and_reports_the_bad(tmp_path: Path) -> None:
    result = read_folder(messy(tmp_path), on_error="skip")
    portfolio = result.portfolio
    assert [d.id for d in portfolio.debtors] == ["D1", "D2", "D4"]
    assert [i.id for i in portfolio.invoices] == ["F1", "F2", "F3"]
    assert [p.id for p in portfolio.payments] == ["P1", "P4"]
    assert portfolio.events == (DisputeOpened(date(2026, 3, 2), "D4", "F3", reason="colori"),)
    assert [(e.source, e.line, e.field) for e in result.rejected] == [
        ("debtors.csv", 4, "name"),
        ("invoices.csv", 6, "debtor_id"),  # its debtor D3 was rejected
        ("invoices.csv", 7, "amount"),
        ("invoices.csv", 8, None),  # the other instalment of F5
        ("invoices.csv", 9, "debtor_id"),
        ("payments.csv", 3, "debtor_id"),
        ("payments.csv", 4, "date"),
        ("events.csv", 2, "invoice_id"),  # F5 was rejected
    ]
    assert "debtors.csv line 4" in result.rejected[1].message
    assert "line 7" in result.rejected[3].message


def test_skip_still_raises_on_a_broken_header(tmp_path: Path) -> None:
    path = folder(tmp_path, debtors_csv="id,nome\nD1,Osteria\n")
    found = problems(path, on_error="skip")
    assert [(e.source, e.field) for e in found] == [
        ("debtors.csv", "nome"),
        ("debtors.csv", "name"),
    ]


def test_on_error_must_be_known(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="on_error"):
        read_folder(folder(tmp_path), on_error="ignore")  # type: ignore[arg-type]


# -- the shipped example ---------------------------------------------------------------------


def test_the_example_loads() -> None:
    result = read_folder(EXAMPLE)
    portfolio = result.portfolio
    assert result.rejected == ()
    assert result.policy == PolicyConfig("italy.stragiudiziale")
    assert len(portfolio.debtors) >= 38
    assert len(portfolio.invoices) >= 140
    assert {d.kind for d in portfolio.debtors} == {"business", "consumer", "public_admin"}
    assert any(len(i.items) > 1 for i in portfolio.invoices)
    assert len(portfolio.credit_notes) == 1
    assert {type(e) for e in portfolio.events} >= {PromiseToPay, DisputeOpened, DisputeResolved}
    assert any(d.blocked for d in portfolio.debtors)
    assert any("sms" in d.opt_out for d in portfolio.debtors)
    assert any(p.reference is None for p in portfolio.payments)
    cases = list(portfolio.cases(date(2026, 7, 15)))
    assert sum(c.balance.amount for c in cases) > 0
    assert any(c.disputed for c in cases)


def test_the_generator_reproduces_the_example(tmp_path: Path) -> None:
    # Only the files the generator writes are compared: `dunning run examples/tipografia`
    # (the README's first command) leaves its history in examples/tipografia/.dunning/.
    subprocess.run([sys.executable, str(GENERATOR), str(tmp_path)], check=True, capture_output=True)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["debtors.csv", "dunning.toml", "events.csv", "invoices.csv", "payments.csv"]
    assert sorted(p.name for p in EXAMPLE.iterdir() if p.name != ".dunning") == names
    for name in names:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name


def test_the_history_of_a_run_on_the_example_is_ignored_by_git() -> None:
    ignore = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".dunning/" in ignore  # matches examples/tipografia/.dunning/ and any folder's
