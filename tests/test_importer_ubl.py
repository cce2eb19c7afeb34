"""UBL 2.1 / Peppol BIS Billing 3.0 invoices and credit notes into a Portfolio."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning import Money
from dunning.errors import DataError
from dunning.importers import ubl as ubl_importer
from einvoice_files import BUYER_VAT, IBAN, p7m, party, ubl

EUR = "EUR"


def eur(amount: str) -> Money:
    return Money(amount, EUR)


def refused(data: bytes, path: str, sees: str) -> DataError:
    with pytest.raises(DataError) as caught:
        ubl_importer.read(data, name="inv.xml")
    errors = caught.value.errors or (caught.value,)
    found = {e.field: e for e in errors}
    assert path in found, list(found)
    assert sees in found[path].message, found[path].message
    assert found[path].source == "inv.xml"
    return found[path]


def test_invoice_parties_due_date_and_payment_means() -> None:
    portfolio = ubl_importer.read(ubl())
    creditor = portfolio.creditor
    assert (creditor.name, creditor.vat_number, creditor.iban, creditor.email) == (
        "Tipografia Emiliana S.r.l.",
        "IT03287650372",
        IBAN,
        "info@tipografia.example",
    )
    (debtor,) = portfolio.debtors
    assert (debtor.id, debtor.name, debtor.kind, debtor.vat_number, debtor.email) == (
        f"IT{BUYER_VAT}",
        "Osteria del Portico S.n.c.",
        "business",
        f"IT{BUYER_VAT}",
        "osteria@example.com",
    )
    assert debtor.address is not None
    assert debtor.address.format() == "Via Roma 1\n20121 Milano (MI)\nIT"
    (invoice,) = portfolio.invoices
    assert (invoice.id, invoice.number, invoice.issue_date) == (
        "INV-2026-017",
        "INV-2026-017",
        date(2026, 3, 2),
    )
    assert [(i.due_date, i.amount) for i in invoice.items] == [(date(2026, 4, 1), eur("1220.00"))]
    terms = invoice.terms
    assert terms is not None
    assert (terms.source, terms.document_type, terms.note) == (
        "UBL Invoice",
        "380",
        "30 giorni data fattura",
    )
    (means,) = terms.instalments
    assert (means.method, means.method_name, means.iban, means.bic, means.payment_code) == (
        "58",
        "SEPA credit transfer",
        IBAN,
        "BPMOIT22",
        "RF18539007547034",
    )
    assert means.stated


def test_payable_amount_is_already_net_of_the_prepaid_amount() -> None:
    (invoice,) = ubl_importer.read(ubl(payable="1020.00", prepaid="200.00")).invoices
    assert invoice.total == eur("1020.00")
    assert invoice.terms is not None
    assert any("PrepaidAmount 200.00 EUR" in n for n in invoice.terms.notes)


def test_due_date_from_payment_means_then_payment_terms_then_the_default() -> None:
    means = (
        "<cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>"
        "<cbc:PaymentDueDate>2026-04-15</cbc:PaymentDueDate></cac:PaymentMeans>"
    )
    (invoice,) = ubl_importer.read(ubl(due=None, means=means)).invoices
    assert invoice.items[0].due_date == date(2026, 4, 15)
    terms = (
        "<cac:PaymentTerms><cbc:PaymentDueDate>2026-04-20</cbc:PaymentDueDate></cac:PaymentTerms>"
    )
    (invoice,) = ubl_importer.read(ubl(due=None, means="", terms=terms)).invoices
    assert invoice.items[0].due_date == date(2026, 4, 20)
    (invoice,) = ubl_importer.read(ubl(due=None, means="", terms="")).invoices
    assert invoice.items[0].due_date == date(2026, 4, 1)
    assert invoice.terms is not None
    assert "Directive 2011/7/EU" in invoice.terms.instalments[0].due_rule
    assert not invoice.terms.instalments[0].stated


def test_instalments_from_payment_terms() -> None:
    terms = "".join(
        f"<cac:PaymentTerms><cbc:Amount currencyID='EUR'>{a}</cbc:Amount>"
        f"<cbc:InstallmentDueDate>{d}</cbc:InstallmentDueDate></cac:PaymentTerms>"
        for a, d in [("610.00", "2026-04-01"), ("610.00", "2026-05-01")]
    )
    (invoice,) = ubl_importer.read(ubl(terms=terms)).invoices
    assert [(i.due_date, i.amount) for i in invoice.items] == [
        (date(2026, 4, 1), eur("610.00")),
        (date(2026, 5, 1), eur("610.00")),
    ]
    assert invoice.terms is not None
    assert [t.iban for t in invoice.terms.instalments] == [IBAN, IBAN]
    assert invoice.terms.notes == ()


def test_credit_note_with_its_billing_reference() -> None:
    portfolio = ubl_importer.read(
        ubl(kind="CreditNote", number="CN-5", payable="122.00", billing_reference="INV-2026-017")
    )
    assert portfolio.invoices == ()
    (note,) = portfolio.credit_notes
    assert (note.id, note.date, note.amount, note.invoice_id, note.reference) == (
        "CN-5/2026",
        date(2026, 3, 2),
        eur("122.00"),
        None,
        "INV-2026-017",
    )


def test_an_italian_public_administration_by_its_ipa_endpoint() -> None:
    customer = party("Comune di Bologna", "IT01232710374", endpoint="UFXYZ1", scheme="0201")
    (debtor,) = ubl_importer.read(ubl(customer=customer)).debtors
    assert debtor.kind == "public_admin"


def test_a_customer_known_only_by_its_endpoint() -> None:
    customer = (
        '<cac:Party><cbc:EndpointID schemeID="0088">7300010000001</cbc:EndpointID>'
        "<cac:PartyName><cbc:Name>Nordic Buyer AB</cbc:Name></cac:PartyName></cac:Party>"
    )
    (debtor,) = ubl_importer.read(ubl(customer=customer)).debtors
    assert (debtor.id, debtor.name, debtor.address) == (
        "0088:7300010000001",
        "Nordic Buyer AB",
        None,
    )


def test_prefixed_namespaces_and_a_signed_envelope() -> None:
    data = ubl().replace(b'<Invoice xmlns="', b'<ubl:Invoice xmlns:ubl="')
    data = data.replace(b"</Invoice>", b"</ubl:Invoice>")
    assert ubl_importer.read(data).invoices[0].id == "INV-2026-017"
    assert ubl_importer.read(p7m(ubl())).invoices[0].id == "INV-2026-017"


@pytest.mark.parametrize(
    ("data", "path", "sees"),
    [
        (ubl(payable="12,50"), "LegalMonetaryTotal/PayableAmount", "'12,50' uses a comma"),
        (
            ubl(payable="0.00", prepaid="1220.00"),
            "LegalMonetaryTotal/PayableAmount",
            "nothing is payable",
        ),
        (ubl(payable_currency="USD"), "LegalMonetaryTotal/PayableAmount", "is in 'USD'"),
        (ubl(currency="EURO"), "DocumentCurrencyCode", "'EURO' is not an ISO 4217"),
        (ubl(issued="02/03/2026"), "IssueDate", "'02/03/2026' is not a date"),
        (ubl(due="2026-13-01"), "DueDate", "'2026-13-01' is not a date"),
        (ubl(number=""), "ID", "is missing"),
        (
            ubl(
                means="<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>"
                "<cac:PayeeFinancialAccount><cbc:ID>IT00X0542811101000000123456</cbc:ID>"
                "</cac:PayeeFinancialAccount></cac:PaymentMeans>"
            ),
            "PaymentMeans[1]/PayeeFinancialAccount/ID",
            "is not a valid IBAN",
        ),
        (
            ubl(
                customer="<cac:Party><cac:PartyName><cbc:Name>X</cbc:Name></cac:PartyName></cac:Party>"
            ),
            "AccountingCustomerParty/Party",
            "one is needed to identify the debtor",
        ),
        (
            ubl(
                terms="<cac:PaymentTerms><cbc:Amount currencyID='EUR'>-1.00</cbc:Amount>"
                "<cbc:InstallmentDueDate>2026-04-01</cbc:InstallmentDueDate></cac:PaymentTerms>"
            ),
            "PaymentTerms[1]/Amount",
            "must be positive",
        ),
    ],
    ids=[
        "comma",
        "nothing-payable",
        "currency-mismatch",
        "bad-currency",
        "bad-issue-date",
        "bad-due-date",
        "missing-id",
        "bad-iban",
        "customer-without-id",
        "negative-instalment",
    ],
)
def test_errors_name_the_element(data: bytes, path: str, sees: str) -> None:
    refused(data, path, sees)


def test_file_level_refusals() -> None:
    with pytest.raises(DataError, match="expected <Invoice> or <CreditNote>"):
        ubl_importer.read(b"<Order xmlns='urn:x'/>", name="o.xml")
    with pytest.raises(DataError, match="refused: EntitiesForbidden"):
        ubl_importer.read(
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Invoice>&e;</Invoice>'
        )


def test_read_all_links_a_credit_note_to_its_invoice_in_another_file() -> None:
    note = ubl(kind="CreditNote", number="CN-5", payable="122.00", billing_reference="INV-2026-017")
    portfolio = ubl_importer.read_all([ubl(), note])
    (credit,) = portfolio.credit_notes
    assert credit.invoice_id == "INV-2026-017"
    assert portfolio.invoices[0].id == "INV-2026-017"


amounts = st.lists(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2),
    min_size=1,
    max_size=6,
)


@given(amounts)
def test_instalments_are_claimed_exactly_as_stated(parts: list[Decimal]) -> None:
    total = sum(parts, Decimal(0))
    terms = "".join(
        f"<cac:PaymentTerms><cbc:Amount currencyID='EUR'>{p:.2f}</cbc:Amount>"
        f"<cbc:InstallmentDueDate>2026-{4 + i:02d}-01</cbc:InstallmentDueDate></cac:PaymentTerms>"
        for i, p in enumerate(parts)
    )
    (invoice,) = ubl_importer.read(ubl(payable=f"{total:.2f}", terms=terms)).invoices
    assert [i.amount for i in invoice.items] == [eur(f"{p:.2f}") for p in parts]
    assert invoice.total == eur(f"{total:.2f}")
    assert invoice.terms is not None
    assert invoice.terms.notes == ()


@given(amounts, st.data())
def test_a_bad_instalment_amount_anywhere_names_its_element(
    parts: list[Decimal], data: st.DataObject
) -> None:
    where = data.draw(st.integers(0, len(parts) - 1))
    bad = data.draw(st.sampled_from(["1.234,56", "x", "-1.00", "0", "Infinity", "1E+2"]))
    terms = "".join(
        f"<cac:PaymentTerms><cbc:Amount currencyID='EUR'>{bad if i == where else f'{p:.2f}'}"
        f"</cbc:Amount><cbc:InstallmentDueDate>2026-04-01</cbc:InstallmentDueDate>"
        "</cac:PaymentTerms>"
        for i, p in enumerate(parts)
    )
    refused(ubl(terms=terms), f"PaymentTerms[{where + 1}]/Amount", repr(bad))
