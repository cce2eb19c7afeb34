"""The camt.053/camt.054 reader: real bank files, and built files for every branch."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from dunning.errors import DataError
from dunning.importers import camt
from dunning.importers.camt import (
    MAX_CAMT_BYTES,
    Statement,
    newest_data_date,
    read,
    read_statement,
    read_statements,
)
from dunning.money import Money

# -- building files --------------------------------------------------------------------------

NS = "urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.{version:02d}"


def tx(
    amount: str | None = None,
    *,
    name: str | None = "Bar Centrale S.n.c.",
    iban: str | None = "IT60X0542811101000000123456",
    ustrd: str | None = None,
    strd: str | None = None,
    ref: str | None = None,
    sign: str | None = None,
    returned: bool = False,
    version: int = 2,
    amount_in: str = "Amt",
) -> str:
    parts = []
    if ref:
        parts.append(f"<Refs><AcctSvcrRef>{ref}</AcctSvcrRef><EndToEndId>E2E</EndToEndId></Refs>")
    if amount is not None:
        if amount_in == "Amt":
            parts.append(f'<Amt Ccy="EUR">{amount}</Amt>')
        else:
            parts.append(f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>')
    if sign:
        parts.append(f"<CdtDbtInd>{sign}</CdtDbtInd>")
    party = ""
    if name:
        party += (
            f"<Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr>"
            if version >= 8
            else f"<Dbtr><Nm>{name}</Nm></Dbtr>"
        )
    if iban:
        party += f"<DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>"
    party += "<Cdtr><Nm>Tipografia Emiliana S.r.l.</Nm></Cdtr>"
    parts.append(f"<RltdPties>{party}</RltdPties>")
    remittance = ""
    if ustrd:
        remittance += f"<Ustrd>{ustrd}</Ustrd>"
    if strd:
        remittance += (
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{strd}</Ref></CdtrRefInf></Strd>"
        )
    if remittance:
        parts.append(f"<RmtInf>{remittance}</RmtInf>")
    if returned:
        parts.append("<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>")
    return "<TxDtls>" + "".join(parts) + "</TxDtls>"


def ntry(
    amount: str = "120.00",
    *,
    sign: str = "CRDT",
    status: str | None = "BOOK",
    booking: str | None = "2026-07-15",
    value: str | None = "2026-07-16",
    ref: str | None = "B-1",
    reversal: bool = False,
    txs: list[str] | None = None,
    version: int = 2,
    currency: str = "EUR",
    datetimes: bool = False,
) -> str:
    tag = "DtTm" if datetimes else "Dt"
    suffix = "T10:30:00+02:00" if datetimes else ""
    parts = [f'<Amt Ccy="{currency}">{amount}</Amt>', f"<CdtDbtInd>{sign}</CdtDbtInd>"]
    if reversal:
        parts.append("<RvslInd>true</RvslInd>")
    if status is not None:
        parts.append(f"<Sts><Cd>{status}</Cd></Sts>" if version >= 7 else f"<Sts>{status}</Sts>")
    if booking:
        parts.append(f"<BookgDt><{tag}>{booking}{suffix}</{tag}></BookgDt>")
    if value:
        parts.append(f"<ValDt><{tag}>{value}{suffix}</{tag}></ValDt>")
    if ref:
        parts.append(f"<AcctSvcrRef>{ref}</AcctSvcrRef>")
    parts.append("<BkTxCd/>")
    details = txs if txs is not None else [tx(ustrd="Saldo fatt. 2026/0001", version=version)]
    if details:
        parts.append("<NtryDtls>" + "".join(details) + "</NtryDtls>")
    return "<Ntry>" + "".join(parts) + "</Ntry>"


def message(
    *entries: str,
    kind: str = "053",
    version: int = 2,
    namespace: str | None = None,
    prefix: str = "",
    statements: int = 1,
    closing: str | None = "1234.56",
    closing_sign: str = "CRDT",
) -> bytes:
    ns = NS.format(kind=kind, version=version) if namespace is None else namespace
    body, part = ("BkToCstmrStmt", "Stmt") if kind == "053" else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    p = f"{prefix}:" if prefix else ""
    balance = ""
    if closing is not None:
        balance = (
            "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy='EUR'>1.00</Amt>"
            "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-07-14</Dt></Dt></Bal>"
            f"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy='EUR'>{closing}</Amt>"
            f"<CdtDbtInd>{closing_sign}</CdtDbtInd><Dt><Dt>2026-07-15</Dt></Dt></Bal>"
        )
    stmts = "".join(
        f"<{part}><Id>S{n}</Id><CreDtTm>2026-07-15T22:00:00+02:00</CreDtTm>"
        "<FrToDt><FrDtTm>2026-07-15T00:00:00+02:00</FrDtTm>"
        "<ToDtTm>2026-07-15T23:59:59+02:00</ToDtTm></FrToDt>"
        "<Acct><Id><IBAN>IT60 X054 2811 1010 0000 0123 456</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        f"{balance if kind == '053' else ''}{''.join(entries)}</{part}>"
        for n in range(1, statements + 1)
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{ns}">'
        f"<{body}><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-07-15T22:00:00</CreDtTm></GrpHdr>"
        f"{stmts}</{body}></Document>"
    )
    if prefix:  # every element in the prefixed namespace
        xml = xml.replace(f'<Document xmlns="{ns}">', f'<{p}Document xmlns:{prefix}="{ns}">')
        xml = xml.replace("</", "\0").replace("<", f"<{p}").replace(f"<{p}?", "<?")
        xml = xml.replace("\0", f"</{p}").replace(f"<{p}{p}", f"<{p}")
    return xml.encode()


def one(data: bytes) -> Statement:
    return read_statement(data, name="test.xml")


# -- real files ------------------------------------------------------------------------------

EUR, CHF = "EUR", "CHF"
PIA, MARIA = "CH4409000000495962779", "CH3709000000250094580"


@pytest.mark.real_samples
def test_real_vrbank_camt053_v02(shared_fixtures: Path) -> None:
    path = shared_fixtures / "camt" / "viafintech_camt053.001.02_vrbank.xml"
    s = read_statement(path)
    assert (s.message, s.id, s.account_iban, s.currency) == (
        "camt.053.001.02",
        "0352C5320131227220503",
        "DE14740618130000033626",
        "EUR",
    )
    assert s.created == datetime(2013, 12, 27, 22, 4, 52, tzinfo=timezone(timedelta(hours=1)))
    assert (s.from_date, s.to_date) == (None, None)
    assert (s.closing_balance, s.closing_date) == (Money("23.06", EUR), date(2013, 12, 27))
    assert s.newest_booking == s.data_date == date(2013, 12, 27)
    # one credit of four entries; the batched debit is reported as a whole entry
    (pay,) = s.payments
    assert (pay.id, pay.bank_reference, pay.date, pay.amount) == (
        "2013122711085260000",
        "2013122711085260000",
        date(2013, 12, 27),
        Money("1.00", EUR),
    )
    # the payer's account is a BBAN (Othr), not an IBAN: no payer IBAN
    assert (pay.reference, pay.payer_name, pay.payer_iban, pay.debtor_id) == (
        "R CKBUCHUNG",
        "Testkonto Nummer 2",
        None,
        "",
    )
    assert [(o.kind, o.amount, o.bank_reference) for o in s.other] == [
        ("debit", Money("2.00", EUR), "2013122710583450000"),
        ("debit", Money("3.00", EUR), "2013122710583600000"),
        ("debit", Money("6.00", EUR), "2013122711513230000"),
    ]
    assert read(path) == s.payments


@pytest.mark.real_samples
def test_real_camt053_v08(shared_fixtures: Path) -> None:
    s = read_statement(shared_fixtures / "camt" / "viafintech_camt053.001.08.xml")
    assert (s.message, s.id, s.account_iban, s.currency) == (
        "camt.053.001.08",
        "R30B4SA880HMZ9XA",
        "CH1111111111111111111",
        "CHF",
    )
    assert (s.from_date, s.to_date, s.closing_balance) == (
        date(2023, 6, 20),
        date(2023, 6, 20),
        Money("84515.25", CHF),
    )
    assert [
        (p.id, p.date, p.amount, p.reference, p.payer_name, p.payer_iban) for p in s.payments
    ] == [
        (
            "9999171ZC0173078",
            date(2023, 6, 20),
            Money("474.40", CHF),
            "INVOICE R77561",
            "Jon Doe",
            None,
        ),
        (
            "2022172PH0003127",
            date(2023, 6, 20),
            Money("88.85", CHF),
            "RF38000000000000000000552",
            "Finanz AG",
            None,
        ),
    ]
    # the EUR debit with its Swiss QR reference (Prtry QRR) is not a payment
    (debit,) = s.other
    assert (debit.kind, debit.amount, debit.reference, debit.party) == (
        "debit",
        Money("20.97", EUR),
        "000000270148751802165444888",
        "DHL Express (Schweiz) AG",
    )


@pytest.mark.real_samples
def test_real_austrian_stuzza_namespace(shared_fixtures: Path) -> None:
    s = read_statement(shared_fixtures / "camt" / "viafintech_camt053_stuzza_AT.xml")
    assert (s.message, s.account_iban, s.closing_balance, s.data_date) == (
        "camt.053.001.02",
        "AT021200000703447144",
        Money("550.00", EUR),
        date(2019, 3, 1),
    )
    assert [(p.id, p.amount, p.reference, p.payer_iban, p.payer_name) for p in s.payments] == [
        (
            "2013122710583450000",
            Money("50.00", EUR),
            "201912341234",
            "AT022050303300646365",
            "Musterfrau Muster",
        ),
        (
            "190602382152396",
            Money("100.00", EUR),
            "201912341234",
            "AT022040400040102634",
            "Musterfrau Muster",
        ),
        (
            "190602382098886",
            Money("250.00", EUR),
            "2019456456",
            "AT021200000703447144",
            "Testzahlung Zwei",
        ),
    ]
    assert s.other == ()
    # the statement's own total of credits (TxsSummry): 400.00
    assert sum((p.amount for p in s.payments), Money.zero(EUR)) == Money("400.00", EUR)


@pytest.mark.real_samples
def test_real_multi_statement_file(shared_fixtures: Path) -> None:
    path = shared_fixtures / "camt" / "genkgo_camt053.v2.multi.statement.xml"
    first, second = read_statements(path)
    assert [s.id for s in (first, second)] == [
        "253EURNL26VAYB8060476890",
        "254EURNL26VAYB8060476890",
    ]
    assert (first.closing_balance, second.closing_balance) == (
        Money("27.00", EUR),
        Money("20.00", EUR),
    )
    # no AcctSvcrRef: the reference is the statement id and the entry's position
    (pay,) = first.payments
    assert (pay.id, pay.date, pay.amount, pay.reference, pay.payer_name) == (
        "253EURNL26VAYB8060476890/1",
        date(2015, 1, 2),  # the value date, not the booking date 2014-12-31
        Money("8.85", EUR),
        "Transaction Description 1",
        None,  # the file names only the creditor of this credit
    )
    assert second.payments == ()
    assert [(o.kind, o.amount) for o in second.other] == [("debit", Money("7.00", EUR))]
    # its FrToDt says 2007, its entries are booked on 2014-12-31
    assert first.to_date == date(2007, 10, 18)
    assert newest_data_date([first, second]) == date(2014, 12, 31)
    with pytest.raises(DataError, match="holds 2 statements"):
        read_statement(path)


@pytest.mark.real_samples
def test_real_camt054_notification_with_batches_and_reversals(shared_fixtures: Path) -> None:
    # the file is named 001.02 but its namespace is camt.054.001.04
    s = read_statement(shared_fixtures / "camt" / "viafintech_camt054.001.02.xml")
    assert (s.message, s.id, s.account_iban, s.closing_balance) == (
        "camt.054.001.04",
        "20160410375204000131032",
        "CH0309000000250090342",
        None,
    )
    assert [(p.id, p.amount, p.reference, p.payer_iban, p.payer_name) for p in s.payments] == [
        ("TST_201-2091644-9", Money("15.00", CHF), "Mitteilung 132", PIA, "Rutschmann Pia"),
        ("TST_201-2091644-8", Money("9.00", CHF), "Mitteilung 131", MARIA, "Bernasconi Maria"),
        ("20160410375244000000000000000071", Money("56.56", CHF), None, MARIA, "Bernasconi Maria"),
    ]
    assert {p.date for p in s.payments} == {date(2016, 4, 10)}
    assert [(o.kind, o.amount, o.party, o.reference) for o in s.other] == [
        ("reversal", Money("6.00", CHF), "Bernasconi Maria", "Mitteilung 128"),
        ("reversal", Money("15.53", CHF), "Rutschmann Pia", "Mitteilung 134-"),
    ]


@pytest.mark.real_samples
def test_real_camt054_v08_debit_batch(shared_fixtures: Path) -> None:
    s = read_statement(shared_fixtures / "camt" / "genkgo_camt054.v8.xml")
    assert (s.message, s.id, s.account_iban) == (
        "camt.054.001.08",
        "AAAASESS-FP-ACCR001",
        "CH2801234000123456789",
    )
    # the entry is a debit of SEK 200000 (its transactions say CRDT in CHF): not a payment
    assert s.payments == ()
    (debit,) = s.other
    assert (debit.kind, debit.amount, debit.bank_reference) == (
        "debit",
        Money("200000", "SEK"),
        "ACSR160617103200001",
    )
    assert debit.reference is not None
    assert debit.reference.startswith("ISR ref number V1 Unstructured Remittance Information V1")


@pytest.mark.real_samples
def test_every_real_sample_parses(shared_fixtures: Path) -> None:
    files = sorted((shared_fixtures / "camt").glob("*.xml"))
    assert len(files) == 6
    for path in files:
        for statement in read_statements(path):
            assert statement.data_date is not None
            for pay in statement.payments:
                assert pay.amount.is_positive
                assert pay.debtor_id == ""


# -- built files: versions, namespaces -------------------------------------------------------


@pytest.mark.parametrize("kind", ["053", "054"])
@pytest.mark.parametrize("version", range(2, 9))
def test_every_version(kind: str, version: int) -> None:
    data = message(
        ntry(version=version, txs=[tx(ustrd="fatt 1", version=version)]), kind=kind, version=version
    )
    s = one(data)
    assert s.message == f"camt.{kind}.001.{version:02d}"
    (pay,) = s.payments
    assert (pay.id, pay.date, pay.amount, pay.reference, pay.payer_name, pay.payer_iban) == (
        "B-1",
        date(2026, 7, 16),
        Money("120.00", EUR),
        "fatt 1",
        "Bar Centrale S.n.c.",
        "IT60X0542811101000000123456",
    )
    assert s.account_iban == "IT60X0542811101000000123456"
    if kind == "053":
        assert (s.closing_balance, s.closing_date) == (Money("1234.56", EUR), date(2026, 7, 15))
    assert (s.from_date, s.to_date, s.data_date) == (date(2026, 7, 15),) * 3


@pytest.mark.parametrize("version", [1, 9, 12])
def test_unsupported_versions_are_refused(version: int) -> None:
    with pytest.raises(DataError, match=f"camt.053.001.{version:02d}.*versions 02 to 08"):
        one(message(ntry(), version=version))


@pytest.mark.parametrize(
    "namespace",
    [
        "ISO:camt.053.001.02:APC:STUZZA:payments:003",
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02:custom-bank",
        "http://example.com/no-version",
        "",
    ],
)
def test_namespace_variants(namespace: str) -> None:
    s = one(message(ntry(), namespace=namespace))
    assert s.message in ("camt.053.001.02", "camt.053")
    assert [p.amount for p in s.payments] == [Money("120.00", EUR)]


def test_a_namespace_prefix() -> None:
    data = message(ntry(), prefix="ns2", version=8)
    assert b"<ns2:Ntry>" in data
    assert [p.id for p in one(data).payments] == ["B-1"]


def test_the_namespace_must_agree_with_the_message() -> None:
    data = message(ntry(), namespace=NS.format(kind="054", version=2))
    with pytest.raises(DataError, match=r"says camt.054 but the message is <BkToCstmrStmt>"):
        one(data)


def test_several_statements() -> None:
    data = message(ntry(), statements=3)
    assert [s.id for s in read_statements(data)] == ["S1", "S2", "S3"]
    assert len(read(data)) == 3


# -- built files: entries ----------------------------------------------------------------------


def test_a_batch_gives_one_payment_per_transaction() -> None:
    batch = ntry(
        "300.00",
        ref="B-9",
        txs=[
            tx("100.00", ref="T-1", name="Bar Centrale", ustrd="fatt. 1"),
            tx("150.00", name="Osteria", iban="DE89370400440532013000", strd="RF18539007547034"),
            tx("50.00", name="Pizzeria", iban=None, amount_in="AmtDtls"),
        ],
    )
    s = one(message(batch))
    assert [(p.id, p.amount, p.payer_name, p.payer_iban, p.reference) for p in s.payments] == [
        ("T-1", Money("100.00", EUR), "Bar Centrale", "IT60X0542811101000000123456", "fatt. 1"),
        ("B-9/2", Money("150.00", EUR), "Osteria", "DE89370400440532013000", "RF18539007547034"),
        ("B-9/3", Money("50.00", EUR), "Pizzeria", None, None),
    ]


def test_a_batch_must_add_up() -> None:
    batch = ntry("300.00", txs=[tx("100.00"), tx("150.00")])
    with pytest.raises(DataError) as caught:
        one(message(batch))
    error = caught.value
    assert (error.source, error.record, error.field) == (
        "test.xml",
        "BkToCstmrStmt/Stmt[1]/Ntry[1]",
        "NtryDtls",
    )
    assert "add up to 250.00 EUR, but the entry books 300.00 EUR" in error.message


def test_a_batch_transaction_without_amount() -> None:
    with pytest.raises(DataError) as caught:
        one(message(ntry("300.00", txs=[tx("100.00"), tx(None)])))
    assert caught.value.record == "BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls/TxDtls[2]"


def test_a_debit_and_a_return_inside_a_batch_of_credits() -> None:
    batch = ntry(
        "80.00",
        txs=[tx("100.00"), tx("20.00", sign="DBIT"), tx("0.00"), tx("5.00", returned=True)],
    )
    with pytest.raises(DataError, match=r"add up to 85.00 EUR"):
        one(message(batch))
    batch = ntry(
        "85.00",
        txs=[tx("100.00"), tx("20.00", sign="DBIT"), tx("5.00", returned=True)],
    )
    s = one(message(batch))
    assert [p.amount for p in s.payments] == [Money("100.00", EUR)]
    assert [(o.kind, o.amount, o.bank_reference) for o in s.other] == [
        ("debit", Money("20.00", EUR), "B-1/2"),
        ("return", Money("5.00", EUR), "B-1/3"),
    ]


def test_debits_reversals_returns_and_pending_entries_are_reported_not_paid() -> None:
    s = one(
        message(
            ntry("10.00", sign="DBIT", ref="D-1"),
            ntry("20.00", sign="DBIT", reversal=True, ref="R-1"),
            ntry("30.00", sign="CRDT", reversal=True, ref="R-2"),
            ntry("40.00", status="PDNG", booking=None, ref="P-1"),
            ntry("50.00", ref="X-1", txs=[tx(returned=True)]),
            ntry("60.00", status="INFO", ref="P-2", version=8),
            ntry("70.00", ref="OK"),
        )
    )
    assert [p.id for p in s.payments] == ["OK"]
    assert [(o.kind, o.bank_reference, o.credit) for o in s.other] == [
        ("debit", "D-1", False),
        ("reversal", "R-1", False),
        ("reversal", "R-2", True),
        ("not_booked", "P-1", True),
        ("return", "X-1", True),
        ("not_booked", "P-2", True),
    ]
    assert "RvslInd" in s.other[1].why
    assert "PDNG" in s.other[3].why
    assert s.other[1].path == "BkToCstmrStmt/Stmt[1]/Ntry[2]"
    # pending entries have no booking date and do not count for freshness
    assert s.booking_dates == (date(2026, 7, 15),) * 5


def test_missing_value_date_takes_the_booking_date() -> None:
    (pay,) = one(message(ntry(value=None))).payments
    assert pay.date == date(2026, 7, 15)


def test_date_times_instead_of_dates() -> None:
    (pay,) = one(message(ntry(datetimes=True, booking="2026-07-15", value="2026-07-17"))).payments
    assert pay.date == date(2026, 7, 17)


def test_an_entry_without_details_or_references() -> None:
    s = one(message(ntry(ref=None, txs=[]), ntry(ref=None, txs=[])))
    assert [(p.id, p.reference, p.payer_name, p.payer_iban) for p in s.payments] == [
        ("S1/1", None, None, None),
        ("S1/2", None, None, None),
    ]


def test_remittance_structured_first_then_free_text_on_one_line() -> None:
    details = tx(ustrd="Saldo\n   fattura  2026/0001", strd="RF11C001EUR001")
    (pay,) = one(message(ntry(txs=[details]))).payments
    assert pay.reference == "RF11C001EUR001 Saldo fattura 2026/0001"


def test_entry_reference_falls_back_to_ntryref() -> None:
    entry = ntry(ref=None).replace("<Amt ", "<NtryRef>N-7</NtryRef><Amt ", 1)
    assert [p.id for p in one(message(entry)).payments] == ["N-7"]


def test_an_overdrawn_closing_balance_is_negative() -> None:
    s = one(message(ntry(), closing="50.00", closing_sign="DBIT"))
    assert s.closing_balance == Money("-50.00", EUR)


def test_a_statement_without_entries_dates_from_its_period() -> None:
    s = one(message())
    assert (s.payments, s.newest_booking, s.data_date) == ((), None, date(2026, 7, 15))


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "field", "sees"),
    [
        (ntry("12,50"), "Amt", "'12,50' is not an amount"),
        (ntry("0.00"), "Amt", "must be positive"),
        (ntry(currency="EURO"), "Amt", "not an ISO 4217 code"),
        (ntry(sign="CREDIT"), "CdtDbtInd", "expected CRDT or DBIT"),
        (ntry(status=None), "Sts", "is missing"),
        (ntry(booking=None, value=None), "BookgDt", "a booked entry has a booking date"),
        (ntry(booking="2026-02-30"), "BookgDt/Dt", "'2026-02-30' is not a date"),
        (ntry(value="15/07/2026"), "ValDt/Dt", "is not a date"),
    ],
)
def test_bad_entries_name_the_file_and_the_element(entry: str, field: str, sees: str) -> None:
    with pytest.raises(DataError) as caught:
        one(message(ntry(ref="fine"), entry))
    error = caught.value
    assert (error.source, error.record, error.field) == (
        "test.xml",
        "BkToCstmrStmt/Stmt[1]/Ntry[2]",
        field,
    )
    assert sees in error.message
    assert str(error).startswith("test.xml: BkToCstmrStmt/Stmt[1]/Ntry[2], field")


def test_not_xml_and_wrong_messages() -> None:
    with pytest.raises(DataError, match=r"test.xml: is not well-formed XML"):
        one(b"<Document><BkToCstmrStmt>")
    with pytest.raises(DataError, match="has root element <FatturaElettronica>"):
        one(b"<FatturaElettronica/>")
    with pytest.raises(DataError, match=r"camt.052, an intraday account report, is not read"):
        one(b"<Document><BkToCstmrAcctRpt/></Document>")
    with pytest.raises(DataError, match="holds no <Stmt>"):
        one(b"<Document><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>")
    with pytest.raises(DataError, match=r"Id.*is missing"):
        one(b"<Document><BkToCstmrStmt><Stmt/></BkToCstmrStmt></Document>")


def test_dtd_and_entities_are_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Document>&b;</Document>'
    )
    xxe = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>'
    for data in (laughs, xxe):
        with pytest.raises(DataError, match="refused: DTDForbidden"):
            one(data)


def test_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(camt, "MAX_CAMT_BYTES", 100)
    with pytest.raises(DataError, match="more than the 100 a bank statement may have"):
        one(message(ntry()))
    path = tmp_path / "big.xml"
    path.write_bytes(message(ntry()))
    with pytest.raises(DataError, match=r"big.xml: is .* bytes"):
        read(path)
    assert MAX_CAMT_BYTES == 32 * 1024 * 1024


def test_reads_a_path_given_as_text(tmp_path: Path) -> None:
    path = tmp_path / "estratto.xml"
    path.write_bytes(message(ntry()))
    assert [p.amount.amount for p in read(str(path))] == [Decimal("120.00")]
    with pytest.raises(TypeError):
        read(12)  # type: ignore[arg-type]
