"""FatturaPA and UBL files built for the importer tests: small, valid, one knob per branch."""

from __future__ import annotations

import base64
import datetime as dt

NS12 = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"

#: A valid creditor VAT number (Italian partita IVA with its check digit) and IBAN.
SELLER_VAT = "03287650372"
IBAN = "IT60X0542811101000000123456"
BUYER_VAT = "02880351206"


def header(
    *,
    version: str = "FPR12",
    buyer: str | None = None,
    pec: str | None = None,
) -> str:
    buyer = buyer or (
        f"<DatiAnagrafici><IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>{BUYER_VAT}</IdCodice>"
        "</IdFiscaleIVA><Anagrafica><Denominazione>Osteria del Portico S.n.c.</Denominazione>"
        "</Anagrafica></DatiAnagrafici>"
        "<Sede><Indirizzo>Via Zamboni</Indirizzo><NumeroCivico>7</NumeroCivico><CAP>40126</CAP>"
        "<Comune>Bologna</Comune><Provincia>BO</Provincia><Nazione>IT</Nazione></Sede>"
    )
    pec_el = f"<PECDestinatario>{pec}</PECDestinatario>" if pec else ""
    return (
        "<FatturaElettronicaHeader><DatiTrasmissione><IdTrasmittente><IdPaese>IT</IdPaese>"
        f"<IdCodice>{SELLER_VAT}</IdCodice></IdTrasmittente><ProgressivoInvio>00001"
        f"</ProgressivoInvio><FormatoTrasmissione>{version}</FormatoTrasmissione>"
        f"<CodiceDestinatario>0000000</CodiceDestinatario>{pec_el}</DatiTrasmissione>"
        "<CedentePrestatore><DatiAnagrafici><IdFiscaleIVA><IdPaese>IT</IdPaese>"
        f"<IdCodice>{SELLER_VAT}</IdCodice></IdFiscaleIVA><Anagrafica><Denominazione>"
        "Tipografia Emiliana S.r.l.</Denominazione></Anagrafica><RegimeFiscale>RF01"
        "</RegimeFiscale></DatiAnagrafici><Sede><Indirizzo>Via del Lavoro 14</Indirizzo>"
        "<CAP>40127</CAP><Comune>Bologna</Comune><Provincia>BO</Provincia><Nazione>IT"
        "</Nazione></Sede><Contatti><Email>amministrazione@tipografia.example</Email>"
        "</Contatti></CedentePrestatore>"
        f"<CessionarioCommittente>{buyer}</CessionarioCommittente></FatturaElettronicaHeader>"
    )


def line(
    amount: str,
    due: str | None = "2026-04-30",
    *,
    method: str = "MP05",
    iban: str | None = IBAN,
    extra: str = "",
) -> str:
    due_el = f"<DataScadenzaPagamento>{due}</DataScadenzaPagamento>" if due else ""
    iban_el = f"<IBAN>{iban}</IBAN>" if iban else ""
    return (
        f"<DettaglioPagamento><ModalitaPagamento>{method}</ModalitaPagamento>{due_el}"
        f"<ImportoPagamento>{amount}</ImportoPagamento>{iban_el}{extra}</DettaglioPagamento>"
    )


def payment(*lines: str, condition: str = "TP01") -> str:
    return (
        f"<DatiPagamento><CondizioniPagamento>{condition}</CondizioniPagamento>"
        f"{''.join(lines)}</DatiPagamento>"
    )


def body(
    number: str = "2026/0001",
    *,
    issued: str = "2026-03-02",
    kind: str = "TD01",
    total: str | None = "122.00",
    currency: str = "EUR",
    payments: str | None = None,
    general: str = "",
    linked: str | None = None,
    summary: str = (
        "<DatiRiepilogo><AliquotaIVA>22.00</AliquotaIVA><ImponibileImporto>100.00"
        "</ImponibileImporto><Imposta>22.00</Imposta></DatiRiepilogo>"
    ),
) -> str:
    if payments is None:
        payments = payment(line(total or "122.00"), condition="TP02")
    total_el = f"<ImportoTotaleDocumento>{total}</ImportoTotaleDocumento>" if total else ""
    linked_el = (
        f"<DatiFattureCollegate><IdDocumento>{linked}</IdDocumento></DatiFattureCollegate>"
        if linked
        else ""
    )
    return (
        "<FatturaElettronicaBody><DatiGenerali><DatiGeneraliDocumento>"
        f"<TipoDocumento>{kind}</TipoDocumento><Divisa>{currency}</Divisa><Data>{issued}</Data>"
        f"<Numero>{number}</Numero>{general}{total_el}</DatiGeneraliDocumento>{linked_el}"
        "</DatiGenerali><DatiBeniServizi><DettaglioLinee><NumeroLinea>1</NumeroLinea>"
        "<Descrizione>Stampa</Descrizione><PrezzoUnitario>100.00</PrezzoUnitario>"
        "<PrezzoTotale>100.00</PrezzoTotale><AliquotaIVA>22.00</AliquotaIVA></DettaglioLinee>"
        f"{summary}</DatiBeniServizi>{payments}</FatturaElettronicaBody>"
    )


def fattura(
    *bodies: str,
    version: str = "FPR12",
    prefix: str | None = "p",
    uri: str = NS12,
    head: str | None = None,
    prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n',
) -> bytes:
    """A whole FatturaPA file: ``prefix`` None puts the root in no namespace at all."""
    if prefix is None:
        root_open, root_close = (
            f'<FatturaElettronica versione="{version}">',
            "</FatturaElettronica>",
        )
    else:
        root_open = f'<{prefix}:FatturaElettronica xmlns:{prefix}="{uri}" versione="{version}">'
        root_close = f"</{prefix}:FatturaElettronica>"
    text = prolog + root_open + (head or header(version=version)) + "".join(bodies) + root_close
    return text.encode("utf-8")


# -- signed envelopes -------------------------------------------------------------------------


def p7m(content: bytes) -> bytes:
    """A CAdES-BES-like attached signature (DER) over ``content``, with a throw-away key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Firmatario di prova")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )


def p7m_base64(content: bytes) -> bytes:
    encoded = base64.encodebytes(p7m(content))
    return encoded


# -- UBL --------------------------------------------------------------------------------------

UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def party(
    name: str,
    vat: str,
    *,
    endpoint: str = "",
    scheme: str = "0211",
    email: str = "",
    country: str = "IT",
) -> str:
    mail = f"<cac:Contact><cbc:ElectronicMail>{email}</cbc:ElectronicMail></cac:Contact>"
    return (
        f'<cac:Party><cbc:EndpointID schemeID="{scheme}">{endpoint or vat}</cbc:EndpointID>'
        "<cac:PostalAddress><cbc:StreetName>Via Roma 1</cbc:StreetName><cbc:CityName>Milano"
        "</cbc:CityName><cbc:PostalZone>20121</cbc:PostalZone><cbc:CountrySubentity>MI"
        f"</cbc:CountrySubentity><cac:Country><cbc:IdentificationCode>{country}"
        "</cbc:IdentificationCode></cac:Country></cac:PostalAddress>"
        f"<cac:PartyTaxScheme><cbc:CompanyID>{vat}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT"
        "</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme><cac:PartyLegalEntity>"
        f"<cbc:RegistrationName>{name}</cbc:RegistrationName></cac:PartyLegalEntity>"
        f"{mail if email else ''}</cac:Party>"
    )


def ubl(
    *,
    kind: str = "Invoice",
    number: str = "INV-2026-017",
    issued: str = "2026-03-02",
    due: str | None = "2026-04-01",
    payable: str = "1220.00",
    prepaid: str | None = None,
    currency: str = "EUR",
    payable_currency: str | None = None,
    means: str | None = None,
    terms: str = "<cac:PaymentTerms><cbc:Note>30 giorni data fattura</cbc:Note></cac:PaymentTerms>",
    billing_reference: str | None = None,
    customer: str | None = None,
    extra: str = "",
) -> bytes:
    ns = UBL_INVOICE_NS if kind == "Invoice" else UBL_CREDIT_NS
    due_el = f"<cbc:DueDate>{due}</cbc:DueDate>" if due and kind == "Invoice" else ""
    type_el = (
        "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>"
        if kind == "Invoice"
        else "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"
    )
    if means is None:
        means = (
            "<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>"
            "<cbc:PaymentID>RF18539007547034</cbc:PaymentID><cac:PayeeFinancialAccount>"
            f"<cbc:ID>{IBAN}</cbc:ID><cbc:Name>Tipografia Emiliana</cbc:Name>"
            "<cac:FinancialInstitutionBranch><cbc:ID>BPMOIT22</cbc:ID>"
            "</cac:FinancialInstitutionBranch></cac:PayeeFinancialAccount></cac:PaymentMeans>"
        )
    ref = (
        "<cac:BillingReference><cac:InvoiceDocumentReference>"
        f"<cbc:ID>{billing_reference}</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>"
        if billing_reference
        else ""
    )
    prepaid_el = (
        f'<cbc:PrepaidAmount currencyID="{currency}">{prepaid}</cbc:PrepaidAmount>'
        if prepaid
        else ""
    )
    customer = customer or party(
        "Osteria del Portico S.n.c.", f"IT{BUYER_VAT}", email="osteria@example.com"
    )
    text = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{kind} xmlns="{ns}" xmlns:cac="{CAC}" '
        f'xmlns:cbc="{CBC}"><cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#'
        "urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>"
        f"<cbc:ID>{number}</cbc:ID><cbc:IssueDate>{issued}</cbc:IssueDate>{due_el}{type_el}"
        f"<cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>{ref}"
        "<cac:AccountingSupplierParty>"
        + party("Tipografia Emiliana S.r.l.", f"IT{SELLER_VAT}", email="info@tipografia.example")
        + "</cac:AccountingSupplierParty><cac:AccountingCustomerParty>"
        + customer
        + f"</cac:AccountingCustomerParty>{means}{terms}{extra}<cac:LegalMonetaryTotal>"
        f'<cbc:TaxInclusiveAmount currencyID="{currency}">1220.00</cbc:TaxInclusiveAmount>'
        f"{prepaid_el}"
        f'<cbc:PayableAmount currencyID="{payable_currency or currency}">{payable}'
        f"</cbc:PayableAmount></cac:LegalMonetaryTotal></{kind}>"
    )
    return text.encode("utf-8")


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        digits = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(digits)]) + digits
    return bytes([tag]) + length + content


def _indefinite(tag: int, *parts: bytes) -> bytes:
    return bytes([tag, 0x80]) + b"".join(parts) + b"\x00\x00"


def p7m_ber(content: bytes, chunk: int = 1000) -> bytes:
    """A signed-data envelope in BER as some signing tools write it: indefinite lengths and the
    document as a constructed OCTET STRING in chunks (no signer: only the shape matters)."""
    signed_data = _tlv(0x06, bytes.fromhex("2a864886f70d010702"))
    data = _tlv(0x06, bytes.fromhex("2a864886f70d010701"))
    pieces = [_tlv(0x04, content[i : i + chunk]) for i in range(0, len(content), chunk)]
    encapsulated = _indefinite(0x30, data, _indefinite(0xA0, _indefinite(0x24, *pieces)))
    body = _indefinite(0x30, _tlv(0x02, b"\x01"), _tlv(0x31, b""), encapsulated, _tlv(0x31, b""))
    return _indefinite(0x30, signed_data, _indefinite(0xA0, body))
