"""Writes the files of docs/tutorial.md: the e-invoices a small Italian print shop issued in
May and June 2026 (FatturaPA 1.2, as the SdI delivers them) and its bank's statement of
14 July 2026 (camt.053.001.02), under examples/tutorial/.

    python examples/make_tutorial.py

The files are made up (the VAT numbers carry valid check digits, the names are invented);
tests/test_tutorial.py checks that this script still writes them byte for byte.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

SELLER = ("Tipografia Emiliana S.r.l.", "03287650372", "Via del Lavoro 14", "40127")
IBAN = "IT60X0542811101000000123456"

# id (VAT), name, street, postcode, city, PEC
BUYERS = {
    "01111110373": (
        "Osteria del Portico S.n.c.",
        "Via Zamboni 7",
        "40126",
        "osteriaportico@pec.example",
    ),
    "02222220374": ("Bar Centrale di Neri Luca", "Piazza Maggiore 2", "40124", None),
    "03333330375": (
        "Studio Bianchi Associati",
        "Via Indipendenza 40",
        "40121",
        "studiobianchi@pec.example",
    ),
    "04444440376": (
        "Ferramenta Rossi S.r.l.",
        "Via Emilia 210",
        "40068",
        "ferramentarossi@pec.example",
    ),
}

# number, buyer, date, kind, total, [(due, amount)], linked invoice
DOCUMENTS = [
    (
        "2026/0101",
        "01111110373",
        "2026-05-15",
        "TD01",
        "1220.00",
        [("2026-06-15", "1220.00")],
        None,
    ),
    ("2026/0102", "02222220374", "2026-05-29", "TD01", "610.00", [("2026-06-30", "610.00")], None),
    (
        "2026/0103",
        "03333330375",
        "2026-05-11",
        "TD01",
        "1000.00",
        [("2026-06-10", "500.00"), ("2026-07-10", "500.00")],
        None,
    ),
    ("2026/0104", "04444440376", "2026-06-30", "TD01", "366.00", [("2026-07-31", "366.00")], None),
    ("2026/0105", "03333330375", "2026-06-05", "TD04", "122.00", [], "2026/0103"),
]


def _e(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fattura(
    number: str,
    buyer: str,
    day: str,
    kind: str,
    total: str,
    dues: list[tuple[str, str]],
    linked: str | None,
) -> bytes:
    name, street, postcode, pec = BUYERS[buyer]
    lines = "".join(
        f"<DettaglioPagamento><ModalitaPagamento>MP05</ModalitaPagamento>"
        f"<DataScadenzaPagamento>{due}</DataScadenzaPagamento>"
        f"<ImportoPagamento>{amount}</ImportoPagamento><IBAN>{IBAN}</IBAN></DettaglioPagamento>"
        for due, amount in dues
    )
    condition = "TP01" if len(dues) > 1 else "TP02"
    payment = (
        f"<DatiPagamento><CondizioniPagamento>{condition}</CondizioniPagamento>{lines}"
        "</DatiPagamento>"
        if dues
        else ""
    )
    taxable = (Decimal(total) / Decimal("1.22")).quantize(Decimal("0.01"))
    tax = Decimal(total) - taxable
    link = (
        f"<DatiFattureCollegate><IdDocumento>{linked}</IdDocumento></DatiFattureCollegate>"
        if linked
        else ""
    )
    pec_el = f"<PECDestinatario>{pec}</PECDestinatario>" if pec else ""
    code = "0000000"
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/'
        'fatture/v1.2" versione="FPR12">\n'
        "<FatturaElettronicaHeader><DatiTrasmissione><IdTrasmittente><IdPaese>IT</IdPaese>"
        f"<IdCodice>{SELLER[1]}</IdCodice></IdTrasmittente><ProgressivoInvio>"
        f"{number[-4:]}</ProgressivoInvio><FormatoTrasmissione>FPR12</FormatoTrasmissione>"
        f"<CodiceDestinatario>{code}</CodiceDestinatario>{pec_el}</DatiTrasmissione>\n"
        "<CedentePrestatore><DatiAnagrafici><IdFiscaleIVA><IdPaese>IT</IdPaese>"
        f"<IdCodice>{SELLER[1]}</IdCodice></IdFiscaleIVA><Anagrafica><Denominazione>"
        f"{_e(SELLER[0])}</Denominazione></Anagrafica><RegimeFiscale>RF01</RegimeFiscale>"
        f"</DatiAnagrafici><Sede><Indirizzo>{SELLER[2]}</Indirizzo><CAP>{SELLER[3]}</CAP>"
        "<Comune>Bologna</Comune><Provincia>BO</Provincia><Nazione>IT</Nazione></Sede>"
        "</CedentePrestatore>\n"
        "<CessionarioCommittente><DatiAnagrafici><IdFiscaleIVA><IdPaese>IT</IdPaese>"
        f"<IdCodice>{buyer}</IdCodice></IdFiscaleIVA><Anagrafica><Denominazione>{_e(name)}"
        f"</Denominazione></Anagrafica></DatiAnagrafici><Sede><Indirizzo>{street}</Indirizzo>"
        f"<CAP>{postcode}</CAP><Comune>Bologna</Comune><Provincia>BO</Provincia>"
        "<Nazione>IT</Nazione></Sede></CessionarioCommittente></FatturaElettronicaHeader>\n"
        "<FatturaElettronicaBody><DatiGenerali><DatiGeneraliDocumento>"
        f"<TipoDocumento>{kind}</TipoDocumento><Divisa>EUR</Divisa><Data>{day}</Data>"
        f"<Numero>{number}</Numero><ImportoTotaleDocumento>{total}</ImportoTotaleDocumento>"
        f"</DatiGeneraliDocumento>{link}</DatiGenerali>\n"
        "<DatiBeniServizi><DettaglioLinee><NumeroLinea>1</NumeroLinea><Descrizione>Stampa "
        f"materiale pubblicitario</Descrizione><PrezzoUnitario>{taxable}</PrezzoUnitario>"
        f"<PrezzoTotale>{taxable}</PrezzoTotale><AliquotaIVA>22.00</AliquotaIVA>"
        "</DettaglioLinee><DatiRiepilogo><AliquotaIVA>22.00</AliquotaIVA>"
        f"<ImponibileImporto>{taxable}</ImponibileImporto><Imposta>{tax}</Imposta>"
        f"</DatiRiepilogo></DatiBeniServizi>\n{payment}</FatturaElettronicaBody>\n"
        "</p:FatturaElettronica>\n"
    )
    return text.encode("utf-8")


def entry(amount: str, ref: str, day: str, name: str, iban: str | None, text: str) -> str:
    account = f"<DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>" if iban else ""
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
        f"<AcctSvcrRef>{ref}</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls>"
        f"<Refs><AcctSvcrRef>{ref}</AcctSvcrRef></Refs>"
        f"<RltdPties><Dbtr><Nm>{_e(name)}</Nm></Dbtr>{account}</RltdPties>"
        f"<RmtInf><Ustrd>{_e(text)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n"
    )


def statement() -> bytes:
    ns = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
    entries = entry(
        "610.00",
        "2026071400001",
        "2026-07-13",
        "BAR CENTRALE DI NERI LUCA",
        "IT02L1234512345123456789012",
        "SALDO FT 2026/0102 DEL 29.05.2026",
    ) + entry(
        "80.00",
        "2026071400002",
        "2026-07-14",
        "MARIO VERDI",
        None,
        "RIMBORSO SPESE",
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{ns}"><BkToCstmrStmt>\n'
        "<GrpHdr><MsgId>EC-2026-07-14</MsgId><CreDtTm>2026-07-14T20:00:00+02:00</CreDtTm>"
        "</GrpHdr>\n<Stmt><Id>EC-2026-07-14</Id><CreDtTm>2026-07-14T20:00:00+02:00</CreDtTm>"
        "<FrToDt><FrDtTm>2026-07-13T00:00:00+02:00</FrDtTm>"
        "<ToDtTm>2026-07-14T23:59:59+02:00</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
        '<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">18240.55</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-07-14</Dt></Dt></Bal>\n"
        f"{entries}</Stmt></BkToCstmrStmt></Document>\n"
    )
    return text.encode("utf-8")


def files() -> dict[str, bytes]:
    """Every file of examples/tutorial/, by its path there."""
    out = {}
    for number, buyer, day, kind, total, dues, linked in DOCUMENTS:
        name = f"fatture/IT{SELLER[1]}_{number.replace('/', '-')}.xml"
        out[name] = fattura(number, buyer, day, kind, total, dues, linked)
    out["estratto-conto-2026-07-14.xml"] = statement()
    return out


def main() -> int:
    root = Path(__file__).resolve().parent / "tutorial"
    for name, data in files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
