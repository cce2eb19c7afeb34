"""FatturaPA 1.2.x into a Portfolio: the real files in ../shared/fixtures/fatturapa, and files
built here for every branch (batch, instalments, TD04, no DatiPagamento, p7m, namespaces) and
every error (each naming the file, the element path and the value)."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning import Money, plan
from dunning.errors import DataError
from dunning.importers import fatturapa
from dunning.letters import MissingExtra
from dunning.policies import italy
from einvoice_files import (
    IBAN,
    NS12,
    body,
    fattura,
    header,
    line,
    p7m,
    p7m_base64,
    p7m_ber,
    payment,
)

EUR = "EUR"


def eur(amount: str) -> Money:
    return Money(amount, EUR)


def items(invoice: object) -> list[tuple[date, Money]]:
    return [(i.due_date, i.amount) for i in invoice.items]  # type: ignore[attr-defined]


def refused(data: bytes, path: str, sees: str, *, name: str = "f.xml") -> DataError:
    """``read`` raises, and one of its problems names ``path`` with ``sees`` in the message."""
    with pytest.raises(DataError) as caught:
        fatturapa.read(data, name=name)
    errors = caught.value.errors or (caught.value,)
    found = {e.field: e for e in errors}
    assert path in found, list(found)
    assert sees in found[path].message, found[path].message
    assert found[path].source == name
    return found[path]


# -- the real files --------------------------------------------------------------------------


@pytest.fixture
def samples(shared_fixtures: Path) -> Path:
    return shared_fixtures / "fatturapa"


@pytest.mark.real_samples
def test_real_hotel_advance_and_two_bank_transfer_instalments(samples: Path) -> None:
    portfolio = fatturapa.read(samples / "invopop_invoice-hotel-private.xml")
    assert portfolio.creditor.name == "Hotel California"
    assert portfolio.creditor.iban == "IT60X0542811101000000123456"
    assert portfolio.creditor.address is not None
    assert portfolio.creditor.address.city == "Palermo"
    (debtor,) = portfolio.debtors
    assert (debtor.id, debtor.name, debtor.country) == ("GB0000000", "John Doe", "GB")
    (invoice,) = portfolio.invoices
    assert (invoice.id, invoice.number) == ("SAMPLE-003/2023", "SAMPLE-003")
    assert invoice.issue_date == date(2023, 5, 21)
    # As the file states: a TP03 advance (MP08, only a reference date) and two TP01 bank
    # transfers, both due before the document date.
    assert items(invoice) == [
        (date(2023, 5, 1), eur("29.00")),
        (date(2023, 3, 2), eur("200.00")),
        (date(2023, 4, 2), eur("200.00")),
    ]
    terms = invoice.terms
    assert terms is not None
    assert terms.document_type == "TD01"
    assert terms.document_total == eur("876.00")
    assert [(t.condition, t.method) for t in terms.instalments] == [
        ("TP03", "MP08"),
        ("TP01", "MP05"),
        ("TP01", "MP05"),
    ]
    assert terms.instalments[0].reference_date == date(2023, 5, 1)
    assert not terms.instalments[0].stated
    assert terms.instalments[1].bic == "BCITITMM"
    assert terms.instalments[1].bank == "BANCA POPOLARE DI MILANO"
    assert terms.due_before_issue
    assert any("429.00" in n and "876.00" in n for n in terms.notes)


@pytest.mark.real_samples
def test_real_irpef_parcella_two_instalments(samples: Path) -> None:
    portfolio = fatturapa.read(samples / "invopop_invoice-irpef.xml")
    assert portfolio.creditor.name == "Rossi Digital Services"
    assert portfolio.creditor.email == "billing@example.com"
    (debtor,) = portfolio.debtors
    assert (debtor.id, debtor.name, debtor.kind) == ("MRALNE80E05H501C", "MARIO LEONI", "consumer")
    assert debtor.tax_code == "MRALNE80E05H501C"
    assert debtor.address is not None
    assert debtor.address.format() == "VIALE DELI LAVORATORI 32\n50100 FIRENZE (FI)\nIT"
    (invoice,) = portfolio.invoices
    assert (invoice.id, invoice.issue_date) == ("SAMPLE-001/2023", date(2023, 3, 2))
    assert items(invoice) == [(date(2023, 3, 2), eur("500.00")), (date(2023, 4, 2), eur("544.40"))]
    assert invoice.terms is not None
    assert invoice.terms.document_type == "TD06"
    assert invoice.terms.iban == "IT60X0542811101000000123456"
    assert invoice.terms.document_total == eur("1026.74")
    assert not invoice.terms.due_before_issue


@pytest.mark.real_samples
def test_real_public_administration_batch(samples: Path) -> None:
    portfolio = fatturapa.read(samples / "invopop_public-multiple-invoices_FPA12.xml")
    assert portfolio.creditor.name == "ALPHA SRL"
    (debtor,) = portfolio.debtors
    assert (debtor.id, debtor.name, debtor.kind) == (
        "09876543210",
        "AMMINISTRAZIONE BETA",
        "public_admin",
    )
    first, second = portfolio.invoices
    assert (first.id, first.number, first.issue_date) == ("12/2017", "12", date(2017, 1, 18))
    assert items(first) == [(date(2017, 2, 18), eur("30.50"))]
    assert (second.id, second.issue_date) == ("456/2017", date(2017, 1, 20))
    assert items(second) == [(date(2017, 2, 20), eur("2440.00"))]
    assert first.terms is not None
    assert second.terms is not None
    assert (first.terms.method, second.terms.method) == ("MP01", "MP19")
    # The file has no ImportoTotaleDocumento: nothing to compare the instalments with.
    assert first.terms.document_total is None


@pytest.mark.real_samples
def test_real_files_carry_placeholder_vat_numbers(samples: Path) -> None:
    """The samples' VAT numbers fail their check digit: kept as ids, left out of vat_number,
    an error with ``strict_numbers``."""
    portfolio = fatturapa.read(samples / "invopop_public-multiple-invoices_FPA12.xml")
    assert portfolio.creditor.vat_number is None
    assert portfolio.debtors[0].tax_code is None
    with pytest.raises(DataError) as caught:
        fatturapa.read(samples / "invopop_invoice-irpef.xml", strict_numbers=True)
    assert (
        caught.value.field
        == "FatturaElettronicaHeader/CedentePrestatore/DatiAnagrafici/IdFiscaleIVA/IdCodice"
    )
    assert "IT12345678903" in caught.value.message


@pytest.mark.real_samples
def test_real_files_plan(samples: Path) -> None:
    portfolio = fatturapa.read(samples / "invopop_invoice-irpef.xml")
    proposal = plan(portfolio, italy.stragiudiziale(), date(2023, 5, 15))
    assert [a.debtor_id for a in proposal] == ["MRALNE80E05H501C"]


# -- documents built here --------------------------------------------------------------------


def test_single_invoice_parties_and_terms() -> None:
    extra = (
        "<IstitutoFinanziario>BPER</IstitutoFinanziario><BIC>BPMOIT22</BIC>"
        "<PenalitaPagamentiRitardati>25.00</PenalitaPagamentiRitardati>"
        "<DataDecorrenzaPenale>2026-05-01</DataDecorrenzaPenale>"
        "<CodicePagamento>RF18539007547034</CodicePagamento>"
    )
    data = fattura(
        body(payments=payment(line("122.00", "2026-04-30", extra=extra), condition="TP02")),
        head=header(pec="osteria@pec.example.it"),
    )
    portfolio = fatturapa.read(data)
    creditor = portfolio.creditor
    assert (creditor.name, creditor.vat_number, creditor.iban) == (
        "Tipografia Emiliana S.r.l.",
        "IT03287650372",
        IBAN,
    )
    assert creditor.email == "amministrazione@tipografia.example"
    (debtor,) = portfolio.debtors
    assert (debtor.id, debtor.kind, debtor.vat_number) == (
        "IT02880351206",
        "business",
        "IT02880351206",
    )
    assert debtor.pec == "osteria@pec.example.it"
    assert debtor.address is not None
    assert debtor.address.lines == ("Via Zamboni 7",)
    (invoice,) = portfolio.invoices
    assert items(invoice) == [(date(2026, 4, 30), eur("122.00"))]
    assert invoice.terms is not None
    (terms,) = invoice.terms.instalments
    assert (terms.condition, terms.method, terms.method_name) == (
        "TP02",
        "MP05",
        "bank transfer (bonifico)",
    )
    assert (terms.penalty, terms.penalty_from) == (eur("25.00"), date(2026, 5, 1))
    assert terms.payment_code == "RF18539007547034"
    assert (terms.bic, terms.bank) == ("BPMOIT22", "BPER")
    assert invoice.terms.notes == ()


def test_batch_instalments_and_a_credit_note_linked_to_its_invoice() -> None:
    instalments = payment(
        line("400.00", "2026-04-30"),
        line("400.00", "2026-05-31"),
        line(
            "420.00",
            "2026-06-30",
            extra="<ScontoPagamentoAnticipato>10.00</ScontoPagamentoAnticipato><DataLimitePagamentoAnticipato>2026-04-15</DataLimitePagamentoAnticipato>",
        ),
    )
    data = fattura(
        body("1", total="1220.00", payments=instalments),
        body("2", issued="2026-03-05", kind="TD24"),
        body("3", issued="2026-03-10", kind="TD04", total="50.00", linked="1"),
    )
    portfolio = fatturapa.read(data, name="lotto.xml")
    first, second = portfolio.invoices
    assert [i.number for i in first.items] == [1, 2, 3]
    assert items(first) == [
        (date(2026, 4, 30), eur("400.00")),
        (date(2026, 5, 31), eur("400.00")),
        (date(2026, 6, 30), eur("420.00")),
    ]
    assert first.total == eur("1220.00")
    assert first.terms is not None
    assert first.terms.instalments[2].early_discount == eur("10.00")
    assert first.terms.instalments[2].early_discount_until == date(2026, 4, 15)
    assert first.terms.notes == ()  # the instalments add up to the total
    assert second.terms is not None
    assert second.terms.document_type == "TD24"
    (note,) = portfolio.credit_notes
    assert (note.id, note.date, note.amount, note.invoice_id, note.reference) == (
        "3/2026",
        date(2026, 3, 10),
        eur("50.00"),
        "1/2026",
        "1",
    )


def test_a_credit_note_for_an_invoice_not_in_the_file_keeps_the_reference() -> None:
    data = fattura(body("NC-7", kind="TD04", total="30.00", linked="2025/0099"))
    portfolio = fatturapa.read(data)
    assert portfolio.invoices == ()
    (note,) = portfolio.credit_notes
    assert (note.invoice_id, note.reference, note.amount) == (None, "2025/0099", eur("30.00"))


def test_no_payment_data_due_thirty_days_after_the_document_date_and_says_so() -> None:
    data = fattura(body(payments=""))
    (invoice,) = fatturapa.read(data).invoices
    assert items(invoice) == [(date(2026, 4, 1), eur("122.00"))]
    assert invoice.terms is not None
    (terms,) = invoice.terms.instalments
    assert not terms.stated
    assert "D.Lgs. 231/2002 art. 4(2)(a)" in terms.due_rule
    assert any("no DatiPagamento" in n for n in invoice.terms.notes)
    (later,) = fatturapa.read(data, default_days=60).invoices
    assert later.items[0].due_date == date(2026, 5, 1)


def test_no_payment_data_withholding_and_split_payment_are_not_owed_to_the_creditor() -> None:
    withholding = (
        "<DatiRitenuta><TipoRitenuta>RT01</TipoRitenuta><ImportoRitenuta>20.00</ImportoRitenuta>"
        "<AliquotaRitenuta>20.00</AliquotaRitenuta><CausalePagamento>A</CausalePagamento>"
        "</DatiRitenuta>"
    )
    data = fattura(body(payments="", general=withholding))
    (invoice,) = fatturapa.read(data).invoices
    assert invoice.total == eur("102.00")
    split = (
        "<DatiRiepilogo><AliquotaIVA>22.00</AliquotaIVA><ImponibileImporto>100.00"
        "</ImponibileImporto><Imposta>22.00</Imposta><EsigibilitaIVA>S</EsigibilitaIVA>"
        "</DatiRiepilogo>"
    )
    data = fattura(body(payments="", total=None, summary=split), version="FPA12")
    (invoice,) = fatturapa.read(data).invoices
    assert invoice.total == eur("100.00")
    assert invoice.terms is not None
    assert any("DatiRiepilogo" in n for n in invoice.terms.notes)
    assert any("split-payment" in n for n in invoice.terms.notes)


def test_due_date_from_reference_date_and_days() -> None:
    extra = (
        "<DataRiferimentoTerminiPagamento>2026-03-31</DataRiferimentoTerminiPagamento>"
        "<GiorniTerminiPagamento>60</GiorniTerminiPagamento>"
    )
    data = fattura(body(payments=payment(line("122.00", None, extra=extra), condition="TP02")))
    (invoice,) = fatturapa.read(data).invoices
    assert items(invoice) == [(date(2026, 5, 30), eur("122.00"))]
    assert invoice.terms is not None
    assert "GiorniTerminiPagamento" in invoice.terms.instalments[0].due_rule


def test_public_administration_and_a_person_without_vat_number() -> None:
    person = (
        "<DatiAnagrafici><CodiceFiscale>RSSMRA85T10A562S</CodiceFiscale><Anagrafica><Nome>Mario"
        "</Nome><Cognome>Rossi</Cognome></Anagrafica></DatiAnagrafici><Sede><Indirizzo>Via Po 1"
        "</Indirizzo><CAP>10123</CAP><Comune>Torino</Comune><Nazione>IT</Nazione></Sede>"
    )
    debtor = fatturapa.read(fattura(body(), head=header(buyer=person))).debtors[0]
    assert (debtor.id, debtor.name, debtor.kind, debtor.tax_code) == (
        "RSSMRA85T10A562S",
        "Mario Rossi",
        "consumer",
        "RSSMRA85T10A562S",
    )
    pa = fatturapa.read(fattura(body(), version="FPA12")).debtors[0]
    assert pa.kind == "public_admin"


@pytest.mark.parametrize(
    ("prefix", "uri"),
    [
        ("p", NS12),
        ("ns2", NS12),
        ("a", "http://www.fatturapa.gov.it/sdi/fatturapa/v1.2.1"),
        ("b", "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2.2"),
        (None, NS12),
    ],
)
def test_any_namespace_prefix_and_version(prefix: str | None, uri: str) -> None:
    portfolio = fatturapa.read(fattura(body(), prefix=prefix, uri=uri))
    assert items(portfolio.invoices[0]) == [(date(2026, 4, 30), eur("122.00"))]


def test_a_default_namespace_and_a_byte_order_mark() -> None:
    data = fattura(body()).replace(b"p:FatturaElettronica xmlns:p=", b"FatturaElettronica xmlns=")
    data = data.replace(b"</p:FatturaElettronica>", b"</FatturaElettronica>")
    assert fatturapa.read(b"\xef\xbb\xbf" + data).invoices[0].id == "2026/0001"


@pytest.mark.parametrize("wrap", [p7m, p7m_base64], ids=["der", "base64"])
def test_signed_p7m_envelope(wrap: object, tmp_path: Path) -> None:
    path = tmp_path / "IT03287650372_00001.xml.p7m"
    path.write_bytes(wrap(fattura(body())))  # type: ignore[operator]
    (invoice,) = fatturapa.read(path).invoices
    assert items(invoice) == [(date(2026, 4, 30), eur("122.00"))]
    assert invoice.terms is not None
    assert "signature not verified" in invoice.terms.source


def test_ber_envelope_with_indefinite_lengths_and_chunks_plain_and_base64() -> None:
    import base64

    data = fattura(body())
    assert fatturapa.read(p7m_ber(data)).invoices[0].id == "2026/0001"
    encoded = base64.b64encode(p7m_ber(data))
    assert encoded.startswith(b"MIA")  # not "MII": the length is indefinite
    assert fatturapa.read(encoded).invoices[0].id == "2026/0001"


def test_utf16_with_a_byte_order_mark() -> None:
    text = fattura(body()).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert fatturapa.read(text.encode("utf-16")).invoices[0].id == "2026/0001"


def test_p7m_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asn1crypto", None)
    with pytest.raises(MissingExtra, match=r"pip install 'dunning\[p7m\]'"):
        fatturapa.read(p7m(fattura(body())), name="x.xml.p7m")


def test_p7m_that_is_not_a_signature() -> None:
    with pytest.raises(DataError, match="not a readable signed envelope"):
        fatturapa.read(b"\x30\x03\x02\x01\x01", name="x.xml.p7m")
    with pytest.raises(DataError, match="neither XML nor a signed envelope"):
        fatturapa.read(b"%PDF-1.7", name="x.pdf")


# -- errors ----------------------------------------------------------------------------------


def test_a_bad_amount_names_its_element_path_and_value() -> None:
    data = fattura(
        body("1"),
        body("2", payments=payment(line("100.00"), line("12,50"))),
    )
    error = refused(
        data,
        "FatturaElettronicaBody[2]/DatiPagamento[1]/DettaglioPagamento[2]/ImportoPagamento",
        "'12,50' uses a comma",
    )
    assert error.record == "document 2"
    assert str(error).startswith("f.xml: document 2, field 'FatturaElettronicaBody[2]/")


def test_every_problem_of_the_file_is_reported_together() -> None:
    data = fattura(
        body("1", payments=payment(line("-5.00"))),
        body("2", issued="2026-02-30"),
        body("3", currency="EURO"),
    )
    with pytest.raises(DataError) as caught:
        fatturapa.read(data, name="f.xml")
    fields = [e.field for e in caught.value.errors]
    assert fields == [
        "FatturaElettronicaBody[1]/DatiPagamento[1]/DettaglioPagamento[1]/ImportoPagamento",
        "FatturaElettronicaBody[2]/DatiGenerali/DatiGeneraliDocumento/Data",
        "FatturaElettronicaBody[3]/DatiGenerali/DatiGeneraliDocumento/Divisa",
    ]
    assert "3 problem(s)" in str(caught.value)


@pytest.mark.parametrize(
    ("data", "path", "sees"),
    [
        (
            fattura(body().replace("<Numero>2026/0001</Numero>", "")),
            "FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/Numero",
            "is missing: the element is mandatory",
        ),
        (
            fattura(body(kind="TD17")),
            "FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/TipoDocumento",
            "self-invoice",
        ),
        (
            fattura(body(kind="TD99")),
            "FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/TipoDocumento",
            "'TD99' is not a FatturaPA document type",
        ),
        (
            fattura(body("7"), body("7")),
            "FatturaElettronicaBody[2]/DatiGenerali/DatiGeneraliDocumento/Numero",
            "number '7' of 2026 is already the document in FatturaElettronicaBody[1]",
        ),
        (
            fattura(body(payments=payment(line("122.00", iban="IT00X0542811101000000123456")))),
            "FatturaElettronicaBody[1]/DatiPagamento[1]/DettaglioPagamento[1]/IBAN",
            "is not a valid IBAN",
        ),
        (
            fattura(body(payments=payment(line("122.00", method="MP99")))),
            "FatturaElettronicaBody[1]/DatiPagamento[1]/DettaglioPagamento[1]/ModalitaPagamento",
            "'MP99' is not a payment method",
        ),
        (
            fattura(body(payments=payment(line("122.00"), condition="TP09"))),
            "FatturaElettronicaBody[1]/DatiPagamento[1]/CondizioniPagamento",
            "'TP09' is not a payment condition",
        ),
        (
            fattura(body(payments=payment(line("122.00", "30/04/2026")))),
            "FatturaElettronicaBody[1]/DatiPagamento[1]/DettaglioPagamento[1]/DataScadenzaPagamento",
            "'30/04/2026' is not a date in the form YYYY-MM-DD",
        ),
        (
            fattura(body(kind="TD04", total="-30.00")),
            "FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/ImportoTotaleDocumento",
            "a credit note states a positive amount",
        ),
        (
            fattura(body(payments="", total=None, summary="")),
            "FatturaElettronicaBody[1]/DatiGenerali/DatiGeneraliDocumento/ImportoTotaleDocumento",
            "nothing says what is owed",
        ),
        (
            fattura(
                body(),
                head=header(
                    buyer="<DatiAnagrafici><Anagrafica><Denominazione>X</Denominazione></Anagrafica></DatiAnagrafici>"
                ),
            ),
            "FatturaElettronicaHeader/CessionarioCommittente/DatiAnagrafici",
            "has neither IdFiscaleIVA nor CodiceFiscale",
        ),
        (
            fattura(body(), head=header(pec="not an address")),
            "FatturaElettronicaHeader/DatiTrasmissione/PECDestinatario",
            "'not an address' is not an e-mail address",
        ),
        (
            fattura(body(payments=payment(line("122.001")))),
            "FatturaElettronicaBody[1]/DatiPagamento[1]/DettaglioPagamento[1]/ImportoPagamento",
            "has 3 decimals but EUR has 2",
        ),
    ],
    ids=[
        "missing-numero",
        "self-invoice",
        "unknown-type",
        "duplicate-number",
        "bad-iban",
        "bad-method",
        "bad-condition",
        "bad-date",
        "negative-credit-note",
        "nothing-owed",
        "debtor-without-id",
        "bad-pec",
        "too-many-decimals",
    ],
)
def test_errors_name_the_element(data: bytes, path: str, sees: str) -> None:
    refused(data, path, sees)


def test_file_level_refusals(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match="has root element <Invoice>, expected <FatturaElettronica>"
    ):
        fatturapa.read(b"<Invoice/>", name="f.xml")
    with pytest.raises(DataError, match="versione='FSM10'") as caught:
        fatturapa.read(fattura(body(), version="FSM10"), name="f.xml")
    assert caught.value.source == "f.xml"
    with pytest.raises(DataError, match="is not well-formed XML"):
        fatturapa.read(fattura(body())[:-30], name="f.xml")
    with pytest.raises(DataError, match="cannot be read"):
        fatturapa.read(tmp_path / "missing.xml")


def test_xml_bomb_and_external_entity_are_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<FatturaElettronica>&lol2;</FatturaElettronica>"
    )
    with pytest.raises(DataError, match="refused: EntitiesForbidden"):
        fatturapa.read(bomb, name="bomb.xml")
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b"<FatturaElettronica>&secret;</FatturaElettronica>"
    )
    with pytest.raises(DataError, match="refused: EntitiesForbidden"):
        fatturapa.read(xxe, name="xxe.xml")


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as out:
        out.truncate(fatturapa.MAX_XML_BYTES + 1)
    with pytest.raises(DataError, match="more than the 16,777,216 an e-invoice file may have"):
        fatturapa.read(path)
    with pytest.raises(DataError, match="MAX_XML_BYTES"):
        fatturapa.read(b" " * (fatturapa.MAX_XML_BYTES + 1))


# -- properties ------------------------------------------------------------------------------

amounts = st.lists(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
    min_size=1,
    max_size=8,
)


@given(amounts)
def test_instalments_add_up_to_the_document_total_when_the_file_says_so(
    parts: list[Decimal],
) -> None:
    total = sum(parts, Decimal(0))
    lines = [line(f"{p:.2f}", f"2026-{4 + i % 8:02d}-28") for i, p in enumerate(parts)]
    data = fattura(body(total=f"{total:.2f}", payments=payment(*lines)))
    (invoice,) = fatturapa.read(data).invoices
    assert invoice.total == eur(f"{total:.2f}")
    assert [i.amount for i in invoice.items] == [eur(f"{p:.2f}") for p in parts]
    assert invoice.terms is not None
    assert invoice.terms.notes == ()


@given(amounts, st.data())
def test_a_bad_amount_anywhere_names_its_element(parts: list[Decimal], data: st.DataObject) -> None:
    where = data.draw(st.integers(0, len(parts) - 1))
    bad = data.draw(st.sampled_from(["1.234,56", "abc", "-1.00", "0.00", "NaN", "1e3", ""]))
    lines = [line(bad if i == where else f"{p:.2f}", "2026-04-30") for i, p in enumerate(parts)]
    xml = fattura(body("9"), body(payments=payment(*lines)))
    path = (
        f"FatturaElettronicaBody[2]/DatiPagamento[1]/DettaglioPagamento[{where + 1}]"
        "/ImportoPagamento"
    )
    error = refused(xml, path, repr(bad) if bad else "is missing")
    assert error.record == "document 2026/0001"


def test_a_line_break_in_a_name_is_refused_at_its_element() -> None:
    buyer = (
        "<DatiAnagrafici><IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>02880351206</IdCodice>"
        "</IdFiscaleIVA><Anagrafica><Denominazione>Osteria&#13;&#10;Bcc: x@evil.example"
        "</Denominazione></Anagrafica></DatiAnagrafici>"
    )
    error = refused(
        fattura(body(), head=header(buyer=buyer)),
        "FatturaElettronicaHeader/CessionarioCommittente/DatiAnagrafici/Anagrafica/Denominazione",
        "contains the control character '\\r'",
    )
    assert error.record == "debtor"


def test_an_imported_invoice_round_trips_through_plain_data() -> None:
    import json

    from dunning.model import CreditNote, Invoice
    from dunning.serialize import from_data, to_data

    extra = "<PenalitaPagamentiRitardati>25.00</PenalitaPagamentiRitardati>"
    portfolio = fatturapa.read(
        fattura(
            body("1", payments=payment(line("122.00", "2026-02-01", extra=extra))),
            body("2", kind="TD04", total="10.00", linked="1"),
        )
    )
    (invoice,) = portfolio.invoices
    assert from_data(json.loads(json.dumps(to_data(invoice))), Invoice) == invoice
    (note,) = portfolio.credit_notes
    assert from_data(json.loads(json.dumps(to_data(note))), CreditNote) == note


# -- several files ---------------------------------------------------------------------------


def test_ids_carry_the_year_unless_the_number_does() -> None:
    portfolio = fatturapa.read(
        fattura(body("2026/0001"), body("FT-2026-7"), body("12", issued="2026-03-05"))
    )
    assert [i.id for i in portfolio.invoices] == ["2026/0001", "FT-2026-7", "12/2026"]
    assert [i.label for i in portfolio.invoices] == ["2026/0001", "FT-2026-7", "12"]


def test_read_all_one_creditors_files(tmp_path: Path) -> None:
    person = (
        "<DatiAnagrafici><CodiceFiscale>RSSMRA85T10A562S</CodiceFiscale><Anagrafica><Nome>Mario"
        "</Nome><Cognome>Rossi</Cognome></Anagrafica></DatiAnagrafici>"
    )
    first = tmp_path / "IT03287650372_00001.xml"
    first.write_bytes(fattura(body("1", issued="2025-12-10"), body("1", issued="2026-01-10")))
    second = tmp_path / "IT03287650372_00002.xml"
    second.write_bytes(fattura(body("2"), head=header(buyer=person)))
    linked = (
        "<DatiFattureCollegate><IdDocumento>1</IdDocumento><Data>2025-12-10</Data>"
        "</DatiFattureCollegate>"
    )
    note = fattura(
        body("3", kind="TD04", total="20.00").replace("</DatiGenerali>", linked + "</DatiGenerali>")
    )
    portfolio = fatturapa.read_all([first, second, note])
    assert [i.id for i in portfolio.invoices] == ["1/2025", "1/2026", "2/2026"]
    assert [d.id for d in portfolio.debtors] == ["IT02880351206", "RSSMRA85T10A562S"]
    (credit,) = portfolio.credit_notes
    assert (credit.id, credit.invoice_id, credit.reference) == ("3/2026", "1/2025", "1/2025")


def test_read_all_refuses_an_id_twice_and_another_creditor(tmp_path: Path) -> None:
    one = tmp_path / "a.xml"
    one.write_bytes(fattura(body("1")))
    again = tmp_path / "b.xml"
    again.write_bytes(fattura(body("1")))
    with pytest.raises(DataError) as caught:
        fatturapa.read_all([one, again])
    (error,) = caught.value.errors
    assert (error.source, error.record, error.field) == ("b.xml", "invoice 1/2026", "id")
    assert "is also in a.xml" in error.message


@pytest.mark.real_samples
def test_read_all_real_files_of_different_creditors(samples: Path) -> None:
    files = sorted(samples.glob("*.xml"))
    with pytest.raises(DataError) as caught:
        fatturapa.read_all(files)
    sources = [e.source for e in caught.value.errors]
    assert sources == ["invopop_invoice-irpef.xml", "invopop_public-multiple-invoices_FPA12.xml"]
    assert "is issued by 'Rossi Digital Services', not by 'Hotel California'" in str(caught.value)
    assert len(fatturapa.read_all(files[:1]).invoices) == 1
