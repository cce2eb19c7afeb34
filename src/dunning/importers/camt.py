"""Read the payments of ISO 20022 bank statements: camt.053 and camt.054, versions 02 to 08.

A bank tells its customer what was booked on the account in one of two messages:

- **camt.053** (``BkToCstmrStmt``), the end-of-day *statement*: one or more ``Stmt``, each
  with the account, its balances and its entries (``Ntry``);
- **camt.054** (``BkToCstmrDbtCdtNtfctn``), the debit/credit *notification*: one or more
  ``Ntfctn``, each with entries, usually sent during the day.

`read_statements` returns one frozen `Statement` per ``Stmt`` or ``Ntfctn``, with its
metadata (account IBAN, id, creation date, period, closing balance) and its `payments`:
every **booked credit** (``CdtDbtInd`` ``CRDT`` with status ``BOOK``: the text of ``Sts`` up
to version 06, ``Sts/Cd`` from 07) that is not a reversal (``RvslInd`` true) nor a returned
transfer (``RtrInf``). A batched entry (several ``TxDtls`` in one ``Ntry``) gives one payment
per transaction. Everything else (debits, reversals, returns, pending entries) is not a
payment and is listed in `Statement.other`, with the reason, for a person to look at.

Each `dunning.Payment` carries:

- ``date``: the value date (``ValDt``), or the booking date (``BookgDt``) when the entry has
  none;
- ``amount``: the transaction's amount (``TxDtls/Amt`` or ``TxDtls/AmtDtls/TxAmt/Amt``) in a
  batch, the entry's amount otherwise;
- ``reference``: the remittance information on one line: the structured creditor references
  (``RmtInf/Strd/CdtrRefInf/Ref``, e.g. an ISO 11649 ``RF18...``) first, then the free text
  (``RmtInf/Ustrd``), separated by spaces; None when there is neither;
- ``payer_iban`` and ``payer_name``: the debtor's account (``RltdPties/DbtrAcct/Id/IBAN``)
  and name (``RltdPties/Dbtr/Nm``, or ``Dbtr/Pty/Nm`` from version 08), when given;
- ``bank_reference`` (also the payment's ``id``): the bank's reference of the entry
  (``Ntry/AcctSvcrRef``, else ``Ntry/NtryRef``); in a batch the transaction's own
  ``Refs/AcctSvcrRef``, else the entry's followed by ``/`` and the transaction's position
  (``/1``, ``/2``...); when the bank gives no reference at all, the statement id, the entry's
  position and, in a batch, the transaction's (``"<Stmt/Id>/3/1"``), which is the same each
  time the same file is read;
- ``debtor_id`` empty: `dunning.reconcile` finds the debtor.

The reader matches elements by their local name, so any namespace is accepted: the standard
``urn:iso:std:iso:20022:tech:xsd:camt.053.001.08``, national variants (the Austrian
``ISO:camt.053.001.02:APC:STUZZA:payments:003``) and any prefix. The version is read from the
namespace when it names one (versions 02 to 08 are accepted, others refused).

The XML is parsed with `defusedxml` (no DTD, no entities, no external references), and a
file larger than `MAX_CAMT_BYTES` is refused before it is parsed. Every error is a
`DataError` naming the file (``source``), the element path (``record``, e.g.
``BkToCstmrStmt/Stmt[1]/Ntry[3]``) and the child (``field``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, TypeAlias
from xml.etree.ElementTree import Element, ParseError

import attrs
import defusedxml
import defusedxml.ElementTree

from ..errors import DataError
from ..model import Payment
from ..money import Money, is_currency

__all__ = [
    "MAX_CAMT_BYTES",
    "SUPPORTED_VERSIONS",
    "OtherEntry",
    "OtherKind",
    "Statement",
    "newest_data_date",
    "read",
    "read_statement",
    "read_statements",
]

#: The largest file the reader parses (32 MiB: a statement of several hundred thousand
#: entries); a larger one is refused before it is read.
MAX_CAMT_BYTES = 32 * 1024 * 1024
#: The message versions understood (``camt.053.001.02`` to ``camt.053.001.08``, same for 054).
SUPPORTED_VERSIONS = (2, 3, 4, 5, 6, 7, 8)

OtherKind: TypeAlias = Literal["debit", "reversal", "return", "not_booked"]

_MESSAGES = {"BkToCstmrStmt": ("053", "Stmt"), "BkToCstmrDbtCdtNtfctn": ("054", "Ntfctn")}
_NAMESPACE = re.compile(r"camt\.(05\d)\.001\.(\d{2})")
_AMOUNT = re.compile(r"^\d{1,18}(\.\d{1,5})?$")
_SPACES = re.compile(r"\s+")


@attrs.frozen
class OtherEntry:
    """A booked or pending entry (or one transaction of a batch) that is not a payment.

    ``kind``: ``"debit"`` (money out), ``"reversal"`` (``RvslInd`` true: a debit reversing an
    earlier credit, e.g. a direct-debit refund, or the other way round), ``"return"`` (a
    transfer returned, ``RtrInf``) or ``"not_booked"`` (status ``PDNG`` or ``INFO``). ``why``
    says it in words; ``path`` is the element's path in the file.
    """

    kind: OtherKind
    date: date | None
    amount: Money
    credit: bool
    bank_reference: str
    reference: str | None
    party: str | None
    path: str
    why: str


@attrs.frozen
class Statement:
    """One ``Stmt`` of a camt.053 or ``Ntfctn`` of a camt.054, as `read_statements` found it.

    ``message`` is the message and version (``"camt.053.001.02"``; ``"camt.053"`` when the
    namespace names no version); ``closing_balance`` is the closing booked balance (``CLBD``,
    negative when the account is overdrawn) on ``closing_date``, None when the message has
    none (a camt.054 never has one).
    """

    source: str
    message: str
    id: str
    account_iban: str | None
    currency: str | None
    created: datetime | None
    from_date: date | None
    to_date: date | None
    closing_balance: Money | None
    closing_date: date | None
    payments: tuple[Payment, ...] = ()
    other: tuple[OtherEntry, ...] = ()
    booking_dates: tuple[date, ...] = ()
    """The booking date of every booked entry, payment or not, in file order."""

    @property
    def newest_booking(self) -> date | None:
        """The latest booking date of the statement's booked entries (None without any)."""
        return max(self.booking_dates, default=None)

    @property
    def data_date(self) -> date | None:
        """The day up to which the statement reports the account: the later of the end of
        its period (``FrToDt/ToDtTm``) and its newest booking date; the creation date when it
        has neither. This is what `dunning.reconciliation.freshness` takes as "the newest
        bank data"."""
        known = [d for d in (self.to_date, self.newest_booking) if d is not None]
        if known:
            return max(known)
        return self.created.date() if self.created is not None else None


def newest_data_date(statements: tuple[Statement, ...] | list[Statement]) -> date | None:
    """The latest `Statement.data_date` of ``statements`` (None when there is none)."""
    return max((d for s in statements if (d := s.data_date) is not None), default=None)


# -- reading ---------------------------------------------------------------------------------


def _local(element: Element) -> str:
    return element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""


def _children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if _local(child) == name)


def _find(element: Element | None, path: str) -> Element | None:
    """The first element at ``path`` (local names separated by ``/``) below ``element``."""
    for name in path.split("/"):
        if element is None:
            return None
        element = next(_children(element, name), None)
    return element


def _findall(element: Element, path: str) -> list[Element]:
    head, _, last = path.rpartition("/")
    parent = _find(element, head) if head else element
    return [] if parent is None else list(_children(parent, last))


def _text(element: Element | None, path: str = "") -> str | None:
    found = _find(element, path) if path else element
    if found is None or found.text is None:
        return None
    text = _SPACES.sub(" ", found.text).strip()
    return text or None


class _Reader:
    """The state of reading one file: its name, for the errors."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, field: str | None, message: str) -> DataError:
        return DataError(message, record=path, field=field, source=self.source)

    def money(self, element: Element, path: str, field: str, *, signed: bool = False) -> Money:
        amt = _find(element, field)
        text = _text(amt)
        if amt is None or text is None:
            raise self.fail(path, field, "is missing: every entry and balance has an amount")
        currency = amt.get("Ccy")
        if currency is None or not is_currency(currency):
            raise self.fail(
                path, field, f"has currency {currency!r}, not an ISO 4217 code such as 'EUR'"
            )
        if not _AMOUNT.match(text):
            raise self.fail(path, field, f"{text!r} is not an amount such as 1234.56")
        try:
            amount = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise self.fail(path, field, f"{text!r} is not an amount") from None
        return Money(amount, currency)

    def day(self, element: Element | None, path: str, field: str) -> date | None:
        """A ``Dt`` or ``DtTm`` choice below ``element/field`` as a date (None when absent)."""
        holder = _find(element, field) if element is not None else None
        if holder is None:
            return None
        text = _text(holder, "Dt")
        if text is not None:
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise self.fail(path, f"{field}/Dt", f"{text!r} is not a date") from None
        text = _text(holder, "DtTm")
        if text is not None:
            return self.moment(text, path, f"{field}/DtTm").date()
        raise self.fail(path, field, "has neither Dt nor DtTm")

    def moment(self, text: str, path: str, field: str) -> datetime:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self.fail(path, field, f"{text!r} is not a date and time") from None

    def optional_moment(self, element: Element, path: str, field: str) -> datetime | None:
        text = _text(element, field)
        return None if text is None else self.moment(text, path, field)


def _load(source: str | os.PathLike[str] | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        label = name or "camt message"
        if len(data) > MAX_CAMT_BYTES:
            raise _too_large(len(data), label)
        return data, label
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"read a path or the file's bytes, not {type(source).__name__}")
    path = Path(source)
    label = name or path.name
    size = path.stat().st_size
    if size > MAX_CAMT_BYTES:
        raise _too_large(size, label)
    return path.read_bytes(), label


def _too_large(size: int, label: str) -> DataError:
    return DataError(
        f"is {size:,} bytes, more than the {MAX_CAMT_BYTES:,} a bank statement may have "
        "(MAX_CAMT_BYTES): is it the right file? Ask the bank for shorter periods",
        source=label,
    )


def read_statements(
    source: str | os.PathLike[str] | bytes, *, name: str | None = None
) -> tuple[Statement, ...]:
    """Every statement (``Stmt``) or notification (``Ntfctn``) of a camt.053 or camt.054
    file, in file order. ``source`` is a path or the file's bytes; ``name`` names it in
    errors (default: the file's name, or ``"camt message"`` for bytes).

    >>> data = b'''<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
    ... <BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-07-15T18:00:00</CreDtTm></GrpHdr>
    ... <Stmt><Id>S1</Id><Acct><Id><IBAN>IT60X0542811101000000123456</IBAN></Id></Acct>
    ... <Ntry><Amt Ccy="EUR">120.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
    ... <BookgDt><Dt>2026-07-15</Dt></BookgDt><AcctSvcrRef>B-1</AcctSvcrRef>
    ... <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Bar Centrale</Nm></Dbtr></RltdPties>
    ... <RmtInf><Ustrd>Saldo fatt. 2026/0001</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
    ... </Stmt></BkToCstmrStmt></Document>'''
    >>> (statement,) = read_statements(data, name="statement.xml")
    >>> statement.message, statement.id, statement.account_iban, statement.data_date
    ('camt.053.001.02', 'S1', 'IT60X0542811101000000123456', datetime.date(2026, 7, 15))
    >>> pay = statement.payments[0]
    >>> pay.id, pay.date, str(pay.amount), pay.reference, pay.payer_name, pay.debtor_id
    ('B-1', datetime.date(2026, 7, 15), '120.00 EUR', 'Saldo fatt. 2026/0001', 'Bar Centrale', '')
    """
    data, label = _load(source, name)
    reader = _Reader(label)
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise DataError(
            f"refused: {type(exc).__name__} ({exc}); a bank statement has no DTD, entities or "
            "external references",
            source=label,
        ) from exc
    except ParseError as exc:
        raise DataError(f"is not well-formed XML: {exc}", source=label) from exc
    if _local(root) != "Document":
        raise reader.fail(
            _local(root),
            None,
            f"has root element <{_local(root)}>, expected <Document> (an ISO 20022 camt.053 "
            "statement or camt.054 notification)",
        )
    body = next(iter(root), None)
    kind = _local(body) if body is not None else ""
    if body is None or kind not in _MESSAGES:
        hint = (
            " (camt.052, an intraday account report, is not read: use the day's camt.053 "
            "statement or the camt.054 notifications)"
            if kind == "BkToCstmrAcctRpt"
            else ""
        )
        raise reader.fail(
            "Document",
            kind or None,
            f"holds <{kind or 'nothing'}>, expected <BkToCstmrStmt> (camt.053) or "
            f"<BkToCstmrDbtCdtNtfctn> (camt.054){hint}",
        )
    number, part = _MESSAGES[kind]
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    message = f"camt.{number}"
    found = _NAMESPACE.search(namespace)
    if found is not None:
        if found.group(1) != number:
            raise reader.fail(
                "Document",
                kind,
                f"the namespace {namespace!r} says camt.{found.group(1)} but the message is "
                f"<{kind}> (camt.{number})",
            )
        version = int(found.group(2))
        if version not in SUPPORTED_VERSIONS:
            raise reader.fail(
                "Document",
                None,
                f"is camt.{number}.001.{found.group(2)} (namespace {namespace!r}): versions "
                f"{SUPPORTED_VERSIONS[0]:02d} to {SUPPORTED_VERSIONS[-1]:02d} are read",
            )
        message = f"camt.{number}.001.{version:02d}"
    header_created = reader.optional_moment(body, f"{kind}/GrpHdr", "GrpHdr/CreDtTm")
    statements = [
        _statement(reader, element, f"{kind}/{part}[{n}]", message, header_created)
        for n, element in enumerate(_children(body, part), start=1)
    ]
    if not statements:
        raise reader.fail(kind, part, f"the message holds no <{part}>")
    return tuple(statements)


def read_statement(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> Statement:
    """The one statement of a camt.053 or notification of a camt.054 file (see
    `read_statements`); a file holding several is an error that says to use
    `read_statements`."""
    statements = read_statements(source, name=name)
    if len(statements) > 1:
        raise DataError(
            f"holds {len(statements)} statements ({', '.join(s.id for s in statements)}): "
            "read them with read_statements",
            source=statements[0].source,
        )
    return statements[0]


def read(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> tuple[Payment, ...]:
    """The payments (booked credits) of every statement of a camt.053 or camt.054 file, in
    file order, each with an empty ``debtor_id`` (see `read_statements`)."""
    return tuple(p for s in read_statements(source, name=name) for p in s.payments)


def _statement(
    reader: _Reader, element: Element, path: str, message: str, header_created: datetime | None
) -> Statement:
    statement_id = _text(element, "Id")
    if statement_id is None:
        raise reader.fail(path, "Id", "is missing: every statement has an id")
    iban = _text(element, "Acct/Id/IBAN")
    created = reader.optional_moment(element, path, "CreDtTm") or header_created
    period = _find(element, "FrToDt")
    start = reader.optional_moment(period, path, "FrDtTm") if period is not None else None
    end = reader.optional_moment(period, path, "ToDtTm") if period is not None else None
    closing: Money | None = None
    closing_date: date | None = None
    for n, balance in enumerate(_children(element, "Bal"), start=1):
        code = _text(balance, "Tp/CdOrPrtry/Cd") or _text(balance, "Tp/CdOrPrtry/Prtry")
        if code != "CLBD":
            continue
        where = f"{path}/Bal[{n}]"
        amount = reader.money(balance, where, "Amt")
        sign = _text(balance, "CdtDbtInd")
        if sign not in ("CRDT", "DBIT"):
            raise reader.fail(where, "CdtDbtInd", f"is {sign!r}, expected CRDT or DBIT")
        closing = -amount if sign == "DBIT" else amount
        closing_date = reader.day(balance, where, "Dt")
    payments: list[Payment] = []
    other: list[OtherEntry] = []
    booked: list[date] = []
    for n, entry in enumerate(_children(element, "Ntry"), start=1):
        _entry(reader, entry, f"{path}/Ntry[{n}]", f"{statement_id}/{n}", payments, other, booked)
    return Statement(
        source=reader.source,
        message=message,
        id=statement_id,
        account_iban=iban.replace(" ", "").upper() if iban else None,
        currency=_text(element, "Acct/Ccy"),
        created=created,
        from_date=start.date() if start else None,
        to_date=end.date() if end else None,
        closing_balance=closing,
        closing_date=closing_date,
        payments=tuple(payments),
        other=tuple(other),
        booking_dates=tuple(booked),
    )


def _status(entry: Element) -> str | None:
    holder = _find(entry, "Sts")
    if holder is None:
        return None
    return _text(holder, "Cd") or _text(holder, "Prtry") or _text(holder)


def _remittance(tx: Element | None) -> str | None:
    if tx is None:
        return None
    info = _find(tx, "RmtInf")
    if info is None:
        return None
    parts = [r for s in _children(info, "Strd") if (r := _text(s, "CdtrRefInf/Ref"))]
    parts += [t for u in _children(info, "Ustrd") if (t := _text(u))]
    return " ".join(parts) or None


def _party(tx: Element | None, role: str) -> str | None:
    if tx is None:
        return None
    return _text(tx, f"RltdPties/{role}/Nm") or _text(tx, f"RltdPties/{role}/Pty/Nm")


def _entry(
    reader: _Reader,
    entry: Element,
    path: str,
    fallback: str,
    payments: list[Payment],
    other: list[OtherEntry],
    booked: list[date],
) -> None:
    amount = reader.money(entry, path, "Amt")
    if not amount.is_positive:
        raise reader.fail(path, "Amt", f"must be positive, not {amount.amount}")
    sign = _text(entry, "CdtDbtInd")
    if sign not in ("CRDT", "DBIT"):
        raise reader.fail(path, "CdtDbtInd", f"is {sign!r}, expected CRDT or DBIT")
    credit = sign == "CRDT"
    status = _status(entry)
    if status is None:
        raise reader.fail(path, "Sts", "is missing: an entry says whether it is booked (BOOK)")
    booking = reader.day(entry, path, "BookgDt")
    value = reader.day(entry, path, "ValDt") or booking
    reference = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef") or fallback
    txs = [tx for details in _children(entry, "NtryDtls") for tx in _children(details, "TxDtls")]
    reversal = (_text(entry, "RvslInd") or "").lower() in ("true", "1")

    def report(kind: OtherKind, why: str, tx: Element | None = None, **given: object) -> None:
        texts = [r for t in (txs if tx is None else [tx]) if (r := _remittance(t))]
        first = txs[0] if txs and tx is None else tx
        party = _party(first, "Dbtr" if credit else "Cdtr") or _party(
            first, "Cdtr" if credit else "Dbtr"
        )
        fields: dict[str, object] = {
            "kind": kind,
            "date": value,
            "amount": amount,
            "credit": credit,
            "bank_reference": reference,
            "reference": " ".join(texts) or None,
            "party": party,
            "path": path,
            "why": why,
        }
        fields.update(given)
        other.append(OtherEntry(**fields))  # type: ignore[arg-type]

    if status != "BOOK":
        report("not_booked", f"status {status}: not booked (yet)")
        return
    if booking is None:
        raise reader.fail(path, "BookgDt", "is missing: a booked entry has a booking date")
    booked.append(booking)
    if value is None:  # pragma: no cover - the booking date stands in
        raise reader.fail(path, "ValDt", "is missing")
    if reversal:
        what = "a debit reversing an earlier credit" if not credit else "a credit reversing a debit"
        report("reversal", f"{what} (RvslInd true)")
        return
    if not credit:
        report("debit", "a debit (CdtDbtInd DBIT): money out of the account")
        return
    if len(txs) <= 1:
        tx = txs[0] if txs else None
        if tx is not None and _find(tx, "RtrInf") is not None:
            report("return", "a transfer returned to the account (RtrInf)", tx)
            return
        payments.append(_payment(tx, reference, value, amount))
        return
    # a batch: one payment per credit transaction; the transactions must add up to the entry
    total = Money.zero(amount.currency)
    parts: list[tuple[Element, Money, bool, str]] = []
    for k, tx in enumerate(txs, start=1):
        where = f"{path}/NtryDtls/TxDtls[{k}]"
        field = "Amt" if _find(tx, "Amt") is not None else "AmtDtls/TxAmt/Amt"
        if _find(tx, field) is None:
            raise reader.fail(
                where, "Amt", "is missing: each transaction of a batched entry needs its amount"
            )
        part = reader.money(tx, where, field)
        if part.currency != amount.currency:
            raise reader.fail(
                where,
                field,
                f"is in {part.currency} but the entry is booked in {amount.currency}",
            )
        tx_credit = (_text(tx, "CdtDbtInd") or "CRDT") == "CRDT"
        total = total + part if tx_credit else total - part
        own = _text(tx, "Refs/AcctSvcrRef") or f"{reference}/{k}"
        parts.append((tx, part, tx_credit, own))
    if total != amount:
        raise reader.fail(
            path,
            "NtryDtls",
            f"the {len(txs)} transactions of the batch add up to {total}, but the entry books "
            f"{amount}",
        )
    for k, (tx, part, tx_credit, own) in enumerate(parts, start=1):
        where = f"{path}/NtryDtls/TxDtls[{k}]"
        if not tx_credit:
            report(
                "debit",
                "a debit transaction in a batch of credits",
                tx,
                amount=part,
                bank_reference=own,
                path=where,
            )
        elif _find(tx, "RtrInf") is not None:
            report(
                "return",
                "a transfer returned to the account (RtrInf)",
                tx,
                amount=part,
                bank_reference=own,
                path=where,
            )
        elif part.is_positive:
            payments.append(_payment(tx, own, value, part))


def _payment(tx: Element | None, reference: str, value: date, amount: Money) -> Payment:
    iban = _text(tx, "RltdPties/DbtrAcct/Id/IBAN") if tx is not None else None
    return Payment(
        reference,
        "",
        value,
        amount,
        _remittance(tx),
        payer_iban=iban,
        payer_name=_party(tx, "Dbtr"),
        bank_reference=reference,
    )
