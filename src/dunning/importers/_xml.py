"""What the e-invoice importers share: reading a bounded file, opening a signed ``.p7m``
envelope, parsing with `defusedxml`, and walking elements by local name while keeping the path
every error names (``FatturaElettronicaBody[2]/DatiPagamento[1]/DettaglioPagamento[1]``)."""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar
from xml.etree.ElementTree import Element, ParseError

import attrs
import defusedxml
import defusedxml.ElementTree

from ..errors import DataError
from ..letters import MissingExtra
from ..model import CreditNote, Creditor, Debtor, Invoice
from ..money import MAX_DIGITS, Money, is_currency, minor_units
from ..portfolio import Portfolio

T = TypeVar("T")

#: The largest e-invoice file the importers read (16 MiB, signed envelope included); a larger
#: one is refused before it is parsed. The SdI accepts FatturaPA files of at most 5 MB.
MAX_XML_BYTES = 16 * 1024 * 1024

_AMOUNT = re.compile(r"^-?\d+(\.\d+)?\Z")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
_BASE64 = re.compile(rb"^[A-Za-z0-9+/=\s]+\Z")
_PEM = re.compile(rb"-----(BEGIN|END) [A-Z0-9 ]+-----")


def local(tag: object) -> str:
    """An element's name without its namespace: ``{urn:x}ID`` and ``ID`` are both ``ID``."""
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def load(source: str | os.PathLike[str] | bytes, name: str | None) -> tuple[bytes, str]:
    """The bytes of ``source`` (a path or the bytes themselves) and the name errors use."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        label = name or "<bytes>"
    else:
        path = Path(source)
        label = name or path.name
        try:
            size = path.stat().st_size
        except OSError as error:
            raise DataError(f"cannot be read: {error.strerror}", source=label) from None
        if size > MAX_XML_BYTES:
            raise DataError(_too_big(size), source=label)
        data = path.read_bytes()
    if len(data) > MAX_XML_BYTES:
        raise DataError(_too_big(len(data)), source=label)
    return data, label


def _too_big(size: int) -> str:
    return (
        f"is {size:,} bytes, more than the {MAX_XML_BYTES:,} an e-invoice file may have "
        "(MAX_XML_BYTES): is it the right file?"
    )


def unwrap(data: bytes, label: str) -> tuple[bytes, bool]:
    """The XML inside ``data``: ``data`` itself when it is XML, else the content of a CAdES
    (``.p7m``) envelope, in DER or base64 (nested envelopes too). The second value says whether
    an envelope was opened. The signature is *not* verified."""
    opened = False
    for _ in range(4):
        body = data.lstrip(b"\xef\xbb\xbf \t\r\n")
        if body.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):  # XML (UTF-8, or UTF-16 with a BOM)
            return data, opened
        if body[:1] == b"\x30":
            der = body
        elif body[:2] == b"MI" or body.startswith(b"-----BEGIN"):  # base64 of a DER SEQUENCE
            text = _PEM.sub(b"", body)
            if not _BASE64.match(text):
                raise DataError(
                    "is neither XML nor a signed envelope (.p7m) in DER or base64", source=label
                )
            try:
                der = base64.b64decode(b"".join(text.split()), validate=True)
            except (binascii.Error, ValueError) as error:
                raise DataError(f"is not valid base64 ({error})", source=label) from None
        else:
            raise DataError(
                "is neither XML nor a signed envelope (.p7m) in DER or base64", source=label
            )
        data = _signed_content(der, label)
        opened = True
    raise DataError("holds signed envelopes nested more than 4 deep", source=label)


def _signed_content(der: bytes, label: str) -> bytes:
    try:
        from asn1crypto import cms
    except ImportError:
        raise MissingExtra(
            f"{label} is a signed envelope (.p7m): opening it needs asn1crypto: "
            "pip install 'dunning[p7m]'"
        ) from None
    try:
        info = cms.ContentInfo.load(der)
        if info["content_type"].native != "signed_data":
            raise DataError(
                f"is a CMS envelope of type {info['content_type'].native!r}, not signed data "
                "(CAdES .p7m)",
                source=label,
            )
        content = info["content"]["encap_content_info"]["content"].native
    except DataError:
        raise
    except (ValueError, TypeError, KeyError) as error:
        raise DataError(
            f"is not a readable signed envelope (.p7m): {error}", source=label
        ) from None
    if not isinstance(content, bytes):
        raise DataError(
            "is a signed envelope (.p7m) without the signed document in it (a detached "
            "signature): import the document itself",
            source=label,
        )
    if len(content) > MAX_XML_BYTES:
        raise DataError(_too_big(len(content)), source=label)
    return content


def parse(data: bytes, label: str) -> Element:
    """The root element, parsed with `defusedxml` (no DTD entities, no external references)."""
    try:
        root: Element = defusedxml.ElementTree.fromstring(data)
    except defusedxml.DefusedXmlException as error:
        raise DataError(
            f"refused: {type(error).__name__} ({error}); XML entities and external references "
            "are not accepted in an e-invoice",
            source=label,
        ) from None
    except ParseError as error:
        raise DataError(f"is not well-formed XML: {error}", source=label) from None
    return root


class Problems:
    """The problems found in one file, each naming the record and the element path."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.errors: list[DataError] = []

    def add(self, record: str | None, path: str, message: str) -> None:
        self.errors.append(DataError(message, record=record, field=path, source=self.label))

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise DataError(
                f"{len(self.errors)} problem(s)", source=self.label, errors=tuple(self.errors)
            )


class Node:
    """An element with its path from the root, read by local names."""

    def __init__(self, element: Element, path: str, problems: Problems, record: str | None):
        self.element = element
        self.path = path
        self.problems = problems
        self.record = record

    def _join(self, name: str) -> str:
        return f"{self.path}/{name}" if self.path else name

    def all(self, name: str) -> list[Node]:
        """The children named ``name``, each with its index in the path (``X[1]``, ``X[2]``)."""
        found = [e for e in self.element if local(e.tag) == name]
        return [
            Node(e, self._join(f"{name}[{i}]"), self.problems, self.record)
            for i, e in enumerate(found, start=1)
        ]

    def one(self, name: str) -> Node | None:
        """The first child named ``name`` (path without an index), or None."""
        for e in self.element:
            if local(e.tag) == name:
                return Node(e, self._join(name), self.problems, self.record)
        return None

    def at(self, *names: str) -> Node | None:
        node: Node | None = self
        for name in names:
            node = node.one(name) if node is not None else None
        return node

    def fail(self, message: str, name: str | None = None) -> None:
        self.problems.add(self.record, self._join(name) if name else self.path, message)

    def text(self, *names: str, required: bool = False) -> str | None:
        """The stripped text of the descendant at ``names`` (None when absent or empty)."""
        node = self.at(*names)
        value = (node.element.text or "").strip() if node is not None else ""
        if not value:
            if required:
                self.fail("is missing: the element is mandatory", "/".join(names))
            return None
        return value

    def date(self, *names: str, required: bool = False) -> date | None:
        value = self.text(*names, required=required)
        if value is None:
            return None
        try:
            if not _DATE.match(value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD", "/".join(names))
            return None

    def integer(self, *names: str) -> int | None:
        value = self.text(*names)
        if value is None:
            return None
        if not value.isdigit() or len(value) > 4:
            self.fail(f"{value!r} is not a number of days (0 to 9999)", "/".join(names))
            return None
        return int(value)

    def money(
        self, *names: str, currency: str | None, required: bool = False, positive: bool = False
    ) -> Money | None:
        """The amount at ``names`` in ``currency``; a bad one is a problem naming its path."""
        value = self.text(*names, required=required)
        if value is None or currency is None:
            return None
        where = "/".join(names)
        problem = amount_problem(value, currency)
        if problem:
            self.fail(problem, where)
            return None
        amount = Decimal(value)
        if amount == amount.quantize(Decimal(1).scaleb(-minor_units(currency))):
            amount = amount.quantize(Decimal(1).scaleb(-minor_units(currency)))
        money = Money(amount, currency)
        if positive and not money.is_positive:
            self.fail(f"must be positive, not {value!r}", where)
            return None
        return money


def amount_problem(text: str, currency: str) -> str | None:
    """Why ``text`` is not an amount of ``currency`` as e-invoices write them, or None."""
    if "," in text and _AMOUNT.match(text.replace(",", ".")):
        return f"{text!r} uses a comma as decimal separator: XML amounts take a dot"
    if not _AMOUNT.match(text):
        return f"{text!r} is not a decimal amount such as 1234.56"
    try:
        amount = Decimal(text)
    except InvalidOperation:  # pragma: no cover  (the pattern admits only decimals)
        return f"{text!r} is not a decimal amount"
    if amount and amount.adjusted() >= MAX_DIGITS:
        return f"{text!r} is too large: at most {MAX_DIGITS} digits before the decimal point"
    exponent = amount.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if decimals > minor_units(currency) and amount != amount.quantize(
        Decimal(1).scaleb(-minor_units(currency))
    ):
        return f"{text!r} has {decimals} decimals but {currency} has {minor_units(currency)}"
    return None


def currency_problem(code: str) -> str | None:
    if not is_currency(code):
        return f"{code!r} is not an ISO 4217 currency code such as 'EUR'"
    return None


def document_id(number: str, issued: date) -> str:
    """The id of a document numbered ``number`` and dated ``issued``: the number as written
    when it holds the year (``2026/0001``, ``FT-2026-12``), else followed by ``/`` and the year
    (``12/2017``), since numbering restarts every year. It depends on the document alone, so it
    stays the same however many files are read together."""
    return number if str(issued.year) in number else f"{number}/{issued.year}"


def link(reference: str | None, invoices: Iterable[Invoice]) -> str | None:
    """The id of the invoice ``reference`` names: an invoice with that id, else the only one
    with that number, else None."""
    if reference is None:
        return None
    invoices = list(invoices)
    if any(invoice.id == reference for invoice in invoices):
        return reference
    numbered = [invoice.id for invoice in invoices if invoice.number == reference]
    return numbered[0] if len(numbered) == 1 else None


def plus_days(start: date, days: int) -> date:
    return start + timedelta(days=days)


Source = str | os.PathLike[str] | bytes


def read_all(sources: Iterable[Source], read: Callable[[Source], Portfolio]) -> Portfolio:
    """The files ``sources`` of one creditor, each read by ``read``, as one `Portfolio`.

    Debtors met in several files are the same debtor (by id: the first file's data is kept);
    an invoice or credit-note id met twice is an error naming both files; a credit note is
    linked to the invoice it names in any of the files. Every problem of every file is
    collected and raised together."""
    errors: list[DataError] = []
    read_files: list[tuple[str, Portfolio]] = []
    for index, source in enumerate(sources, start=1):
        label = f"<bytes #{index}>" if isinstance(source, bytes | bytearray) else Path(source).name
        try:
            read_files.append((label, read(source)))
        except DataError as error:
            errors.extend(error.errors or (error,))
    if not read_files and not errors:
        raise DataError("no files to read")
    creditor: Creditor | None = None
    creditor_from = ""
    debtors: dict[str, Debtor] = {}
    invoices: dict[str, tuple[str, Invoice]] = {}
    notes: dict[str, tuple[str, CreditNote]] = {}
    for label, portfolio in read_files:
        if creditor is None:
            creditor, creditor_from = portfolio.creditor, label
        elif _party_key(portfolio.creditor) != _party_key(creditor):
            errors.append(
                DataError(
                    f"is issued by {portfolio.creditor.name!r}, not by {creditor.name!r} "
                    f"({creditor_from}): the files read together must be one creditor's",
                    source=label,
                    record="creditor",
                )
            )
            continue
        for debtor in portfolio.debtors:
            debtors.setdefault(debtor.id, debtor)
        groups: list[tuple[str, dict[str, Any], tuple[Invoice | CreditNote, ...]]] = [
            ("invoice", invoices, portfolio.invoices),
            ("credit note", notes, portfolio.credit_notes),
        ]
        for what, seen, records in groups:
            for record in records:
                if record.id in seen:
                    errors.append(
                        DataError(
                            f"{what} {record.id!r} is also in {seen[record.id][0]}",
                            source=label,
                            record=f"{what} {record.id}",
                            field="id",
                        )
                    )
                else:
                    seen[record.id] = (label, record)
    if errors:
        raise DataError(f"{len(errors)} problem(s)", errors=tuple(errors))
    assert creditor is not None
    all_invoices = [invoice for _, invoice in invoices.values()]
    credit_notes = [
        note
        if note.invoice_id is not None
        else attrs.evolve(note, invoice_id=link(note.reference, all_invoices))
        for _, note in notes.values()
    ]
    return Portfolio(creditor, debtors.values(), all_invoices, credit_notes=credit_notes)


def _party_key(creditor: Creditor) -> str:
    return creditor.vat_number or creditor.name.casefold()


def build(
    node: Node,
    factory: Callable[..., T],
    *args: object,
    where: dict[str, str] | None = None,
    **kw: object,
) -> T | None:
    """A record made from a file's values; its own checks become problems at ``node`` (at the
    element ``where`` maps the record's field to, when it does)."""
    try:
        return factory(*args, **kw)
    except DataError as error:
        element = (where or {}).get(error.field or "")
        if element is not None:
            node.fail(error.message, element)
        else:
            node.fail(f"{error.message} ({error.field})" if error.field else error.message)
        return None
