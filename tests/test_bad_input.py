"""Bad input given from Python: a clear exception naming the record and the field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dunning import Creditor, Debtor, Invoice, Money, OpenItem, Payment, Portfolio
from dunning.errors import DataError
from dunning.money import MAX_DIGITS, is_currency
from dunning.testing.strategies import CREDITOR


@pytest.mark.parametrize(
    "iban", ["IT00", "IT60X0542811101000000123457", "IT60-X054", "60IT0542811101000000123456"]
)
def test_a_creditor_iban_must_pass_the_mod_97_check(iban: str) -> None:
    with pytest.raises(DataError) as caught:
        Creditor("Tipografia Emiliana S.r.l.", iban=iban)
    assert (caught.value.record, caught.value.field) == ("creditor", "iban")
    assert "not a valid IBAN" in caught.value.message


@pytest.mark.parametrize(
    "iban",
    ["IT60X0542811101000000123456", "IT60 X054 2811 1010 0000 0123 456", "DE89370400440532013000"],
)
def test_a_valid_iban_is_kept_as_given(iban: str) -> None:
    assert Creditor("Tipografia Emiliana S.r.l.", iban=iban).iban == iban


def test_an_iban_keeps_refusing_separators_other_than_spaces() -> None:
    # stdnum.iban would strip "-" and "."; the record accepted only spaces before and still does
    with pytest.raises(DataError) as caught:
        Creditor("Tipografia Emiliana S.r.l.", iban="IT60-X054-2811-1010-0000-0123-456")
    assert "only letters, digits and spaces" in caught.value.message
    assert Creditor("T", iban="it60 x054 2811 1010 0000 0123 456").iban is not None


def test_an_iban_must_have_its_country_s_format() -> None:
    # The mod-97 check passes (check digits computed for it) but an Italian BBAN is a letter
    # (the CIN), 10 digits and 12 characters: a digit where the CIN letter goes is refused.
    with pytest.raises(DataError) as caught:
        Creditor("T", iban="IT2910542811101000000123456")
    assert (caught.value.record, caught.value.field) == ("creditor", "iban")
    assert "invalid format" in caught.value.message


# Examples from python-stdnum's documentation of stdnum.it.iva, stdnum.it.codicefiscale and
# stdnum.eu.vat (published valid numbers, and the same with a wrong check digit).
@pytest.mark.parametrize(
    ("vat", "country"),
    [
        ("IT00743110157", "IT"),
        ("IT 00743110157", "IT"),
        ("00743110157", "IT"),  # an Italian number without its prefix, for an Italian record
        ("it00743110157", "IT"),
        ("BE697449992", "IT"),  # a foreign EU number, prefixed
        ("FR 61 954 506 077", "FR"),
        ("61954506077", "FR"),  # without prefix, checked as a number of the record's country
        ("GB123", "GB"),  # outside the EU: kept unchecked
    ],
)
def test_valid_vat_numbers_are_kept_as_given(vat: str, country: str) -> None:
    assert Creditor("T", vat_number=vat, country=country).vat_number == vat
    assert Debtor("D1", "Osteria", vat_number=vat, country=country).vat_number == vat


@pytest.mark.parametrize(
    ("vat", "country", "why"),
    [
        ("IT00743110158", "IT", "check digit is invalid"),
        ("00743110158", "IT", "check digit is invalid"),
        ("IT01234567890", "IT", "invalid or unknown"),  # the check digit fits, office 789 does not
        ("IT0074311015", "IT", "invalid length"),
        ("BE697449993", "IT", "check digit is invalid"),
        ("00743110157", "FR", ""),  # an Italian number is no French one
        ("", "IT", "non-empty"),
    ],
)
def test_invalid_vat_numbers_are_refused(vat: str, country: str, why: str) -> None:
    with pytest.raises(DataError) as caught:
        Creditor("T", vat_number=vat, country=country)
    assert (caught.value.record, caught.value.field) == ("creditor", "vat_number")
    assert "is not a valid VAT number" in caught.value.message
    assert why in caught.value.message
    with pytest.raises(DataError) as caught:
        Debtor("D1", "Osteria", vat_number=vat, country=country)
    assert (caught.value.record, caught.value.field) == ("debtor D1", "vat_number")


@pytest.mark.parametrize(
    "code", ["RCCMNL83S18D969H", "rccmnl83s18d969h", "00743110157", "RSSMRA80A01H501U"]
)
def test_an_italian_tax_code_of_a_person_or_a_company_is_accepted(code: str) -> None:
    assert Debtor("D1", "Manuel Ricci", kind="consumer", tax_code=code).tax_code == code


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("RCCMNL83S18D969", "invalid length"),
        ("RCCMNL83S18D969A", "check digit is invalid"),
        ("00743110158", "check digit is invalid"),  # a company's: its partita IVA rules
    ],
)
def test_an_italian_tax_code_is_checked(code: str, why: str) -> None:
    with pytest.raises(DataError) as caught:
        Debtor("D1", "Manuel Ricci", kind="consumer", tax_code=code)
    assert (caught.value.record, caught.value.field) == ("debtor D1", "tax_code")
    assert "is not a valid tax code" in caught.value.message
    assert why in caught.value.message


def test_a_foreign_tax_code_is_kept_unchecked() -> None:
    assert Debtor("D1", "Jean Dupont", country="FR", tax_code="1 85 05 78 006 084 36").tax_code


def test_money_refuses_a_code_that_is_not_a_currency() -> None:
    with pytest.raises(ValueError, match="'XYZ' is not an ISO 4217 currency code"):
        Money("1", "XYZ")
    assert is_currency("EUR")
    assert is_currency("JPY")
    assert not is_currency("XYZ")
    assert not is_currency("eur")
    assert not is_currency(None)


def test_money_refuses_an_amount_too_large_to_stay_exact() -> None:
    with pytest.raises(ValueError, match="too large"):
        Money("1" * 32, "EUR")
    biggest = Money("9" * MAX_DIGITS + ".99", "EUR")
    assert (biggest - Money("0.01", "EUR") + Money("0.01", "EUR")).rounded() == biggest
    with pytest.raises(ValueError, match="too large"):
        biggest + Money("0.01", "EUR")  # refused rather than rounded away
    assert Money(Decimal("-1E+17"), "EUR").rounded().amount == Decimal("-1E+17")


def test_an_invoice_due_before_it_was_issued_is_refused() -> None:
    with pytest.raises(DataError) as caught:
        Invoice.single("F1", "D1", date(2026, 3, 2), date(2026, 3, 1), Money("10", "EUR"))
    assert (caught.value.record, caught.value.field) == ("invoice F1", "due_date")
    assert "2026-03-01, before the issue date 2026-03-02" in caught.value.message
    items = (
        OpenItem(date(2026, 3, 2), Money("5", "EUR")),
        OpenItem(date(2026, 2, 1), Money("5", "EUR")),
    )
    with pytest.raises(DataError, match="instalment 2 is due 2026-02-01"):
        Invoice("F2", "D1", date(2026, 3, 2), items)
    # due on the day of issue is fine (cash on delivery)
    assert Invoice.single("F3", "D1", date(2026, 3, 2), date(2026, 3, 2), Money("1", "EUR"))


def test_performed_on_is_a_date_not_after_the_issue_date() -> None:
    def fee(performed_on: object) -> Invoice:
        return Invoice.single(
            "P7",
            "D1",
            date(2026, 3, 31),
            date(2026, 4, 30),
            Money("900", "EUR"),
            performed_on=performed_on,
        )

    with pytest.raises(DataError) as caught:
        fee(date(2026, 4, 1))  # the work is done before it is invoiced
    assert (caught.value.record, caught.value.field) == ("invoice P7", "performed_on")
    assert "2026-04-01 is after the issue date 2026-03-31" in caught.value.message
    assert "advance invoice leave it empty" in caught.value.message
    with pytest.raises(DataError) as caught:
        fee("2026-01-15")
    assert (caught.value.record, caught.value.field) == ("invoice P7", "performed_on")
    assert "must be a datetime.date" in caught.value.message
    # on the day of issue (a shop sale) or before it (work completed, then invoiced) is fine
    assert fee(date(2026, 3, 31)).performed_on == date(2026, 3, 31)
    assert fee(date(2026, 1, 15)).performed_on == date(2026, 1, 15)
    assert fee(None).performed_on is None


def test_the_strategies_creditor_is_valid() -> None:
    assert CREDITOR.iban is not None


def test_a_payment_no_invoice_of_its_debtor_can_take_is_listed() -> None:
    when = date(2026, 4, 2)
    portfolio = Portfolio(
        CREDITOR,
        [Debtor("C001", "Osteria del Portico S.n.c."), Debtor("C002", "Marco Rinaldi")],
        [Invoice.single("F1", "C001", date(2026, 3, 2), date(2026, 3, 31), Money("100", "EUR"))],
        [
            Payment("P1", "C001", when, Money("100", "EUR")),
            Payment("P2", "C001", when, Money("110", "USD")),
            Payment("P3", "C002", when, Money("5", "EUR")),  # no invoice at all
        ],
    )
    assert [p.id for p in portfolio.unallocatable_payments()] == ["P2", "P3"]
