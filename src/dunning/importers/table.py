"""Read one table of open items (or debtors, or payments) exported by an ERP: CSV, Excel
(``.xlsx``) or Parquet, with the ERP's own column names.

Where `read_folder` reads the folder layout of ``dunning run`` with its fixed column names,
`read_table` reads the one file an accounting system exports, described by two small values:

- `Columns`: which column of the file holds each field (``amount="Importo"``), with the
  folder's own column names as defaults, and constants for fields the file does not have
  (``constants={"currency": "EUR"}``);
- `Dialect`: how the file writes values: the CSV delimiter and encodings, the decimal and
  thousands separators, the date formats. ``dialect="it"`` is the common Italian export
  (``;``, ``1.234,56``, ``31/01/2026``, Windows-1252 or UTF-8 with a BOM).

>>> import io
>>> export = (
...     "Cliente;Ragione sociale;Documento;Data doc.;Scadenza;Importo\\n"
...     "C001;Osteria del Portico;2026/0001;10/01/2026;09/02/2026;1.234,56\\n"
...     "C001;Osteria del Portico;2026/0001;10/01/2026;11/03/2026;1.234,56\\n"
... ).encode("cp1252")
>>> columns = Columns(debtor_id="Cliente", debtor_name="Ragione sociale",
...                   number="Documento", issue_date="Data doc.", due_date="Scadenza",
...                   amount="Importo")
>>> table = read_table(export, columns, dialect="it", format="csv")
>>> [(d.id, d.name) for d in table.debtors]
[('C001', 'Osteria del Portico')]
>>> invoice, = table.invoices
>>> [(str(item.due_date), item.amount) for item in invoice.items]
[('2026-02-09', Money('1234.56', 'EUR')), ('2026-03-11', Money('1234.56', 'EUR'))]

Rows sharing an invoice id (the number, when the file has no id column) are the instalments of
one invoice. Every row is read and every problem collected: with ``errors="raise"`` (the
default) one `DataError` lists them all and nothing is imported; with ``errors="collect"``
the good rows are returned and `Table.rejected` lists the refused ones. Each problem names the
file, the line (a sheet and row for ``.xlsx``; the row index, from 0, for Parquet) and the
column as the file names it. See ``docs/tables.md``.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import math
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal, TypeAlias

import attrs

from ..errors import DataError
from ..letters import MissingExtra
from ..model import CreditNote, Creditor, Debtor, Invoice, Payment
from ..money import Money, minor_units
from ..portfolio import Portfolio
from .folder import (
    COLUMNS,
    DEBTORS,
    _debtors,
    _invoices,
    _Known,
    _payments,
    _Row,
)

__all__ = [
    "DIALECTS",
    "MAX_TABLE_BYTES",
    "MAX_TABLE_ROWS",
    "Columns",
    "Dialect",
    "Table",
    "read_table",
]

Kind: TypeAlias = Literal["invoices", "debtors", "payments"]
Format: TypeAlias = Literal["csv", "xlsx", "parquet"]

#: The largest file `read_table` reads (64 MiB, as `read_folder`'s CSV files); a larger one is
#: refused before it is opened.
MAX_TABLE_BYTES = 64 * 1024 * 1024
#: The most data rows `read_table` reads (500,000): a compressed ``.xlsx`` or Parquet file can
#: hold far more rows than its size suggests, so rows are counted as they stream in and the
#: file is refused at the first row past the limit.
MAX_TABLE_ROWS = 500_000
#: Rows are read from a Parquet file in batches of this many.
_BATCH = 8192

# -- what the file holds: the columns ----------------------------------------------------------

_DEBTOR_FIELDS = tuple(c for c in COLUMNS[DEBTORS] if c != "id")
#: Each attribute of `Columns` and the field it stands for in each kind of table (the folder's
#: column name; debtor fields carried in an invoice table are prefixed ``debtor_``).
_FIELDS: Mapping[str, Mapping[str, str]] = {
    "invoice_id": {"invoices": "invoice_id"},
    "debtor_id": {"invoices": "debtor_id", "debtors": "id", "payments": "debtor_id"},
    "number": {"invoices": "number"},
    "issue_date": {"invoices": "issue_date"},
    "due_date": {"invoices": "due_date"},
    "amount": {"invoices": "amount", "payments": "amount"},
    "currency": {"invoices": "currency", "payments": "currency"},
    "instalment": {"invoices": "instalment"},
    "invoice_kind": {"invoices": "kind"},
    "applies_to": {"invoices": "applies_to"},
    "documents": {"invoices": "documents"},
    "performed_on": {"invoices": "performed_on"},
    "payment_id": {"payments": "payment_id"},
    "payment_date": {"payments": "date"},
    "reference": {"payments": "reference"},
    **{f"debtor_{f}": {"invoices": f"debtor_{f}", "debtors": f} for f in _DEBTOR_FIELDS},
}
#: The fields of the debtor an invoice table may carry.
_CARRIED = frozenset(f"debtor_{f}" for f in _DEBTOR_FIELDS)
_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "invoices": ("invoice_id", "debtor_id", "issue_date", "due_date", "amount"),
    "debtors": ("id", "name"),
    "payments": ("payment_id", "debtor_id", "date", "amount"),
}


def _constants(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), str(v)) for k, v in pairs))


def _constants_valid(
    _instance: object, _attribute: object, value: tuple[tuple[str, str], ...]
) -> None:
    for key, _ in value:
        if key not in _FIELDS:
            close = difflib.get_close_matches(key, _FIELDS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(f"constants: {key!r} is not a field of Columns; {hint}")


_Name = attrs.field(default=None, kw_only=True)


@attrs.frozen
class Columns:
    """Which column of the file holds each field: ``Columns(amount="Importo")``.

    Every attribute is the name of a column of the file as its header row writes it, or None
    (the default): the folder's own name for the field (`dunning.importers.folder.COLUMNS`),
    which depends on the ``kind`` of table read. In an invoice table the fields of the debtor
    (``debtor_name``, ``debtor_email``...) default to ``debtor_name``, ``debtor_email``...;
    in a debtor table to ``name``, ``email``..., as in ``debtors.csv``. ``debtor_id`` is
    ``id`` in a debtor table. ``invoice_kind`` is the folder's ``kind`` column of
    ``invoices.csv`` (``invoice`` or ``credit_note``) and ``payment_date`` the ``date`` of
    ``payments.csv``.

    A column named explicitly must be in the file (a typo is an error); a column left to its
    default is used when present. Headers match exactly or, failing that, ignoring case and
    repeated spaces. Columns the file has and the mapping does not name are ignored.

    ``instalment`` (an invoice table only) numbers the instalments of an invoice: rows of one
    invoice are taken in that order and keep their numbers (without it: in file order,
    numbered from 1).

    ``constants`` gives a value for a field the file lacks, by attribute name:
    ``constants={"currency": "EUR"}``; it also fills an empty cell of that field.

    >>> Columns(amount="Importo").source("amount", "invoices")
    'Importo'
    >>> Columns().source("debtor_name", "debtors")
    'name'
    """

    invoice_id: str | None = _Name
    debtor_id: str | None = _Name
    number: str | None = _Name
    issue_date: str | None = _Name
    due_date: str | None = _Name
    amount: str | None = _Name
    currency: str | None = _Name
    instalment: str | None = _Name
    invoice_kind: str | None = _Name
    applies_to: str | None = _Name
    documents: str | None = _Name
    performed_on: str | None = _Name
    payment_id: str | None = _Name
    payment_date: str | None = _Name
    reference: str | None = _Name
    debtor_name: str | None = _Name
    debtor_kind: str | None = _Name
    debtor_vat_number: str | None = _Name
    debtor_tax_code: str | None = _Name
    debtor_email: str | None = _Name
    debtor_pec: str | None = _Name
    debtor_phone: str | None = _Name
    debtor_address: str | None = _Name
    debtor_postcode: str | None = _Name
    debtor_city: str | None = _Name
    debtor_province: str | None = _Name
    debtor_country: str | None = _Name
    debtor_locale: str | None = _Name
    debtor_timezone: str | None = _Name
    debtor_contact_person: str | None = _Name
    debtor_opt_out: str | None = _Name
    debtor_tags: str | None = _Name
    debtor_block: str | None = _Name
    debtor_policy: str | None = _Name
    debtor_iban: str | None = _Name
    constants: tuple[tuple[str, str], ...] = attrs.field(
        default=(), converter=_constants, validator=_constants_valid, kw_only=True
    )

    def source(self, attribute: str, kind: Kind = "invoices") -> str:
        """The file's name for ``attribute`` in a table of ``kind``."""
        explicit = getattr(self, attribute)
        return explicit if explicit is not None else _FIELDS[attribute][kind]

    def explicit(self, attribute: str) -> bool:
        return getattr(self, attribute) is not None


assert set(_FIELDS) == {a.name for a in attrs.fields(Columns)} - {"constants"}

# -- how the file writes values: the dialect ---------------------------------------------------

_EXCEL = "excel"
_THOUSANDS = (".", ",", " ", "'", "\u00a0", "\u202f")


def _encodings(value: Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen
class Dialect:
    """How a file writes its values.

    - ``delimiter``: the CSV separator; None: read from the header line (``,``, ``;``, tab
      or ``|``, whichever splits it into the most expected column names);
    - ``encodings``: tried in order for a CSV file without a byte-order mark (a UTF-8 or
      UTF-16 BOM decides by itself);
    - ``decimal`` and ``thousands``: the separators of amounts written as text (``thousands``
      None: no grouping). With a decimal comma, ``12.50`` (a dot followed by other than three
      digits) still reads as twelve fifty, as in ``read_folder``, and ``1.234`` is refused as
      ambiguous;
    - ``date_formats``: `datetime.strptime` formats tried in order for dates written as text;
      ``"excel"`` accepts a serial day number (``46031`` is 2026-01-09, 1900 date system).

    Cells typed by the file (numbers and dates in ``.xlsx``, typed Parquet columns) do not
    depend on the dialect.
    """

    delimiter: str | None = None
    encodings: tuple[str, ...] = attrs.field(default=("utf-8",), converter=_encodings)
    decimal: str = "."
    thousands: str | None = None
    date_formats: tuple[str, ...] = attrs.field(default=("%Y-%m-%d", _EXCEL), converter=_encodings)

    def __attrs_post_init__(self) -> None:
        if self.delimiter is not None and (len(self.delimiter) != 1 or self.delimiter in '"\r\n'):
            raise ValueError(f"delimiter must be one character, not {self.delimiter!r}")
        if self.decimal not in (".", ","):
            raise ValueError(f"decimal must be '.' or ',', not {self.decimal!r}")
        if self.thousands is not None and (
            self.thousands not in _THOUSANDS or self.thousands == self.decimal
        ):
            raise ValueError(
                f"thousands must be None or one of {_THOUSANDS} other than the decimal "
                f"separator, not {self.thousands!r}"
            )
        if not self.encodings or not self.date_formats:
            raise ValueError("encodings and date_formats must not be empty")
        for encoding in self.encodings:
            codecs.lookup(encoding)  # LookupError for an unknown one


#: The named dialects of `read_table`'s ``dialect`` argument.
DIALECTS: Mapping[str, Dialect] = {
    "default": Dialect(),
    "it": Dialect(
        delimiter=";",
        encodings=("utf-8", "cp1252"),
        decimal=",",
        thousands=".",
        date_formats=("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d", _EXCEL),
    ),
}

# -- what comes out ------------------------------------------------------------------------------


@attrs.frozen
class Table:
    """What `read_table` read: the records of the rows it accepted and, with
    ``errors="collect"``, the problems of the rows it refused."""

    source: str
    kind: Kind
    debtors: tuple[Debtor, ...] = ()
    """The debtors of a debtor table, or those an invoice table carries (``debtor_name``)."""
    invoices: tuple[Invoice, ...] = ()
    credit_notes: tuple[CreditNote, ...] = ()
    payments: tuple[Payment, ...] = ()
    rejected: tuple[DataError, ...] = ()
    """Every problem of the refused rows, and the rows left out with them (the other
    instalments of a refused invoice, the invoices of a refused debtor)."""

    @property
    def refused(self) -> tuple[int, ...]:
        """The lines (rows) left out, in order."""
        return tuple(sorted({e.line for e in self.rejected if e.line is not None}))

    def portfolio(
        self,
        creditor: Creditor,
        *,
        debtors: Iterable[Debtor] = (),
        payments: Iterable[Payment] = (),
    ) -> Portfolio:
        """A `Portfolio` of this table's records and ``debtors`` and ``payments`` read
        elsewhere (a debtor given both ways is taken from ``debtors``)."""
        given = tuple(debtors)
        ids = {d.id for d in given}
        every = given + tuple(d for d in self.debtors if d.id not in ids)
        return Portfolio(
            creditor, every, self.invoices, self.payments + tuple(payments), self.credit_notes
        )


# -- cells ------------------------------------------------------------------------------------


@attrs.frozen
class _Float:
    """A binary floating-point cell and the significant digits its type holds exactly."""

    value: float
    digits: int = 15


@attrs.frozen
class _Formula:
    text: str


@attrs.frozen
class _CellError:
    text: str


def _text(raw: object) -> str | None:
    """A cell as text, or None when empty."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw.strip() or None
    if isinstance(raw, _Float):
        value = raw.value
        if math.isfinite(value) and value == int(value) and abs(value) < 10**raw.digits:
            return str(int(value))
        return repr(value)
    if isinstance(raw, Decimal):
        return format(raw, "f")
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, _Formula | _CellError):
        return raw.text
    return str(raw)


_DIGITS = re.compile(r"^\d+(\.0+)?$")
_EPOCH_1900 = date(1899, 12, 30)  # serial 61 is 1900-03-01 (Excel counts a 29 February 1900)
_LAST_SERIAL = 2958465  # 9999-12-31


def _serial_date(number: float, epoch: date) -> date | None:
    """The date of an Excel serial day number, or None when it is not one (before
    1900-03-01 in the 1900 system, where Excel's days are off by one, or after 9999)."""
    days = math.floor(number)
    if (epoch == _EPOCH_1900 and days < 61) or days < 0 or days > _LAST_SERIAL:
        return None
    return epoch + timedelta(days=days)


def _form(fmt: str) -> str:
    if fmt == _EXCEL:
        return "an Excel serial number"
    return fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy").replace("%y", "yy")


def _plain(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


def _text_amount(text: str, dialect: Dialect) -> tuple[str | None, str | None]:
    """The amount written ``text`` as a plain decimal (``-1234.56``), or a problem."""
    d, g = dialect.decimal, dialect.thousands
    body = text.strip()
    sign = ""
    if body[:1] in "-+":
        sign, body = ("-" if body[0] == "-" else ""), body[1:].strip()
    ed = re.escape(d)
    if _plain(rf"\d+({ed}\d+)?", body):
        return sign + body.replace(d, "."), None
    if d == "," and g == "." and _plain(r"\d{1,3}\.\d{3}", body):
        whole, fraction = body.replace(".", ""), body.replace(".", ",")
        return None, (
            f"{text!r} is ambiguous: write {whole!r} if the dot groups thousands, "
            f"{fraction!r} if it separates the decimals"
        )
    if g is not None and _plain(rf"\d{{1,3}}({re.escape(g)}\d{{3}})+({ed}\d+)?", body):
        return sign + body.replace(g, "").replace(d, "."), None
    if d != "." and _plain(r"\d+\.\d+", body):
        return sign + body, None  # a dot followed by other than three digits: a decimal point
    example = "1234.56" if d == "." else f"1234{d}56"
    if g is not None:
        example += f" or 1{g}234{d}56"
    hint = ""
    if d == "." and _plain(r"\d{1,3}(\.\d{3})*,\d+", body):
        hint = " (it uses a decimal comma: read the file with dialect='it')"
    return None, f"{text!r} is not an amount such as {example}{hint}"


class _TableRow(_Row):
    """One data row of a table: the cells as the file typed them, read through the mapping.

    ``fields`` maps each field (the folder's column name) to the file's column; the methods
    of `_Row` (``get``, ``need``, ``date``, ``money``...) read the field through it, so the
    folder's record builders work unchanged; problems name the file's column.
    """

    def __init__(
        self,
        source: str,
        line: int,
        values: Mapping[str, object],
        fields: Mapping[str, str],
        constants: Mapping[str, str],
        dialect: Dialect,
        *,
        unit: str = "line",
        epoch: date = _EPOCH_1900,
        typed: bool = False,
    ) -> None:
        super().__init__(source, line, {})
        self.values = values
        self.fields = fields
        self.constants = constants
        self.dialect = dialect
        self.unit = unit
        self.epoch = epoch
        self.typed = typed
        """Numbers in a date column are serial days even without ``"excel"`` (``.xlsx``)."""
        self._plain: dict[str, str] = {}

    def view(self, fields: Mapping[str, str], constants: Mapping[str, str]) -> _TableRow:
        """The same cells read through other fields (a debtor's, in an invoice table)."""
        return _TableRow(
            self.source,
            self.line,
            self.values,
            fields,
            constants,
            self.dialect,
            unit=self.unit,
            epoch=self.epoch,
            typed=self.typed,
        )

    def error(self, field: str | None, message: str, record: str | None = None) -> DataError:
        if self.unit != "line":
            message = re.sub(r"\bline (\d+)", rf"{self.unit} \1", message)
        column = self.fields.get(field, field) if field is not None else None
        return DataError(
            message,
            record=record or self.record,
            field=column,
            source=self.source,
            line=self.line,
            unit=self.unit,
        )

    def raw(self, field: str) -> object:
        column = self.fields.get(field)
        value = self.values.get(column) if column is not None else None
        if _text(value) is None and field in self.constants:
            return self.constants[field]
        return value

    def get(self, column: str) -> str | None:
        if column in self._plain:
            return self._plain[column]
        raw = self.raw(column)
        if isinstance(raw, _Formula | _CellError):
            self._refuse_cell(column, raw)
            return None
        return _text(raw)

    def need(self, column: str) -> str | None:
        value = self.get(column)
        if value is None and column not in self.failed:
            self.fail(column, "must not be empty")
        return value

    def _refuse_cell(self, field: str, raw: _Formula | _CellError) -> None:
        if field in self.failed:
            return
        if isinstance(raw, _Formula):
            self.fail(
                field,
                f"is a formula ({raw.text}): only values are read; copy the column and paste "
                "it as values, or export the sheet again",
            )
        else:
            self.fail(field, f"holds the spreadsheet error {raw.text}")

    def date(self, column: str, *, required: bool = True) -> date | None:
        raw = self.raw(column)
        if isinstance(raw, _Formula | _CellError):
            self._refuse_cell(column, raw)
            return None
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        text = _text(raw)
        if text is None:
            if required:
                self.fail(column, "must not be empty")
            return None
        formats = self.dialect.date_formats
        number = raw.value if isinstance(raw, _Float) else raw
        if isinstance(number, int | float | Decimal) and not isinstance(number, bool):
            if self.typed or _EXCEL in formats:
                found = _serial_date(float(number), self.epoch)
                if found is not None:
                    return found
                self.fail(column, f"{text} is not an Excel serial date after 1900-03-01")
                return None
        elif _EXCEL in formats and _DIGITS.match(text):
            found = _serial_date(float(text), self.epoch)
            if found is not None:
                return found
        for fmt in formats:
            if fmt == _EXCEL:
                continue
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        forms = " or ".join(_form(f) for f in formats)
        self.fail(column, f"{text!r} is not a valid date in the form {forms}")
        return None

    def money(self, column: str, currency: str, *, required: bool = True) -> Money | None:
        raw = self.raw(column)
        if isinstance(raw, _Formula | _CellError):
            self._refuse_cell(column, raw)
            return None
        shown: str | None = None
        places = minor_units(currency)
        if isinstance(raw, bool):
            self.fail(column, f"{raw} is not an amount")
            return None
        if isinstance(raw, _Float):
            plain, problem = _float_amount(raw, currency)
            shown = repr(raw.value)
        elif isinstance(raw, int):
            plain, problem = str(raw), None
        elif isinstance(raw, Decimal):
            plain, problem = _decimal_amount(raw, places)
        else:
            text = _text(raw)
            if text is None:
                return super().money(column, currency, required=required)
            plain, problem = _text_amount(text, self.dialect)
            shown = text
        if problem is not None or plain is None:
            self.fail(column, problem or "is not an amount")
            return None
        before = len(self.errors)
        self._plain[column] = plain
        try:
            amount = super().money(column, currency, required=required)
        finally:
            del self._plain[column]
        if shown is not None and shown != plain:
            for i in range(before, len(self.errors)):
                message = f"{shown!r} reads as {plain!r}: {self.errors[i].message}"
                self.errors[i] = self.error(column, message)
        return amount


def _decimal_amount(value: Decimal, places: int) -> tuple[str | None, str | None]:
    """A decimal cell (a Parquet ``decimal128``) as a plain decimal, exactly: trailing zeros
    past the currency's decimals (a scale of 4: ``10.5000``) are dropped, nothing else."""
    if not value.is_finite():
        return None, f"{value} is not an amount"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        exact = value.quantize(Decimal(1).scaleb(-places))
        value = exact if exact == value else value
    return format(value, "f"), None


def _float_amount(cell: _Float, currency: str) -> tuple[str | None, str | None]:
    """A float cell as a plain decimal: the ``digits`` significant digits its type holds
    (15 for a double, as Excel shows them; 6 for a Parquet ``float``), never its binary
    expansion. ``0.1 + 0.2`` (``0.30000000000000004``) reads as ``0.3``; an amount with
    more decimals than the currency has is refused as in a CSV file; one too large for the
    type to hold to the cent is refused."""
    value, digits = cell.value, cell.digits
    if not math.isfinite(value):
        return None, f"{value!r} is not an amount"
    places = minor_units(currency)
    limit = 10 ** (digits - places)
    if abs(value) >= limit:
        return None, (
            f"{value!r} is a floating-point number of {digits} significant digits: it "
            f"cannot hold {currency} amounts of {limit:,} or more to the {places}th decimal; "
            "store amounts as text or as a decimal column"
        )
    return format(Decimal(format(value, f".{digits}g")), "f"), None


# -- reading files ---------------------------------------------------------------------------


@attrs.define
class _Header:
    names: list[str]
    line: int | None


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


class _Plan:
    """The fields of a kind of table resolved against the file's header."""

    def __init__(self, columns: Columns, kind: Kind, header: _Header, name: str, unit: str) -> None:
        self.errors: list[DataError] = []
        self.fields: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        names = [n.strip() for n in header.names]
        exact = {n: n for n in names if n}
        loose: dict[str, list[str]] = {}
        for n in names:
            if n:
                loose.setdefault(_normal(n), []).append(n)
        counts = {n: names.count(n) for n in exact}
        given = dict(columns.constants)
        missing: set[str] = set()
        absent: list[tuple[str, str, str]] = []

        def fail(column: str | None, message: str) -> None:
            self.errors.append(
                DataError(message, field=column, source=name, line=header.line, unit=unit)
            )

        for attribute, per_kind in _FIELDS.items():
            field = per_kind.get(kind)
            if field is None:  # not a field of this kind of table: one Columns serves all kinds
                continue
            wanted = columns.source(attribute, kind)
            found = exact.get(wanted)
            if found is None and len(loose.get(_normal(wanted), [])) == 1:
                found = loose[_normal(wanted)][0]
            if found is not None and counts.get(found, 0) > 1:
                fail(found, "the column appears twice in the header")
            elif found is not None:
                self.fields[field] = found
            elif columns.explicit(attribute):
                absent.append((attribute, field, wanted))
            if attribute in given:
                self.constants[field] = given[attribute]
        # an invoice table carries its debtors or not: the debtor columns named explicitly are
        # all required once one of them is in the file, none otherwise
        carried = kind == "invoices" and any(f in _CARRIED for f in self.fields)
        for attribute, field, wanted in absent:
            if kind == "invoices" and field in _CARRIED and not carried:
                continue
            missing.add(field)
            close = difflib.get_close_matches(wanted, [n for n in names if n], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            fail(
                wanted,
                f"no such column (Columns.{attribute}); {hint}the file's columns are "
                f"{', '.join(repr(n) for n in names if n)}",
            )
        if carried and "debtor_name" not in self.fields and "debtor_name" not in missing:
            given_columns = ", ".join(
                repr(self.fields[f]) for f in sorted(_CARRIED & set(self.fields))
            )
            fail(
                columns.source("debtor_name", kind),
                f"the file has debtor columns ({given_columns}) but not the debtor's name "
                "(Columns.debtor_name): an invoice table carries its debtors whole, or not at all",
            )
        fallback = "invoice_id" not in self.fields and "invoice_id" not in self.constants
        if kind == "invoices" and fallback and "number" in self.fields:
            self.fields["invoice_id"] = self.fields["number"]
        for field in _REQUIRED[kind]:
            if field not in self.fields | self.constants | dict.fromkeys(missing):
                attribute = next(a for a, k in _FIELDS.items() if k.get(kind) == field)
                fail(
                    columns.source(attribute, kind),
                    f"missing required column (Columns.{attribute}); the file's columns are "
                    f"{', '.join(repr(n) for n in names if n)}",
                )
        if kind == "invoices":
            self.debtor_fields = {
                f: self.fields[f"debtor_{f}"]
                for f in _DEBTOR_FIELDS
                if f"debtor_{f}" in self.fields
            }
            self.debtor_constants = {
                f: self.constants[f"debtor_{f}"]
                for f in _DEBTOR_FIELDS
                if f"debtor_{f}" in self.constants
            }
            if "debtor_id" in self.fields:
                self.debtor_fields["id"] = self.fields["debtor_id"]

    @property
    def used(self) -> list[str]:
        return list(dict.fromkeys(self.fields.values()))


def _too_many(name: str, unit: str) -> DataError:
    return DataError(
        f"has more than {MAX_TABLE_ROWS:,} {unit}s (MAX_TABLE_ROWS): is it the right file? "
        "Split it, or import it in parts",
        source=name,
    )


def _open_binary(data: Path | bytes) -> IO[bytes]:
    return io.BytesIO(data) if isinstance(data, bytes) else open(data, "rb")


def _decoder(data: Path | bytes) -> tuple[str | None, int]:
    """The encoding a byte-order mark names, and the BOM's length."""
    with _open_binary(data) as stream:
        start = stream.read(4)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 0
    return None, 0


def _sniff(first: str, expected: set[str]) -> str:
    best, most = ",", (-1, -1)
    for candidate in (",", ";", "\t", "|"):
        cells = next(csv.reader([first], delimiter=candidate), [])
        known = sum(_normal(c) in expected for c in cells)
        score = (known, len(cells))
        if score > most:
            best, most = candidate, score
    return best


def _csv_read(
    data: Path | bytes,
    name: str,
    dialect: Dialect,
    expected: set[str],
    fatal: list[DataError],
) -> tuple[str, list[tuple[int, list[object]]]] | None:
    """The rows of a CSV file as ``(line, cells)`` (the header first), each encoding of the
    dialect tried in turn; None (with ``fatal``) when no encoding or the CSV is wrong."""
    bom, skip = _decoder(data)
    encodings = (bom,) if bom else dialect.encodings
    problems: list[str] = []
    for encoding in encodings:
        rows: list[tuple[int, list[object]]] = []
        start = 1
        with _open_binary(data) as binary:
            binary.read(skip)
            text = io.TextIOWrapper(binary, encoding=encoding, newline="")
            try:
                first = text.readline()
                delimiter = dialect.delimiter or _sniff(first.rstrip("\r\n"), expected)
                reader = csv.reader(_chain(first, text), delimiter=delimiter, strict=True)
                count = 0
                for cells in reader:
                    line, start = start, reader.line_num + 1
                    if not any(c.strip() for c in cells):
                        continue
                    count += 1
                    if count > MAX_TABLE_ROWS + 1:
                        fatal.append(_too_many(name, "line"))
                        return None
                    rows.append((line, list(cells)))
            except UnicodeDecodeError as exc:
                problems.append(f"not {encoding} ({exc.reason} after line {start - 1})")
                continue
            except csv.Error as exc:
                fatal.append(DataError(f"is not valid CSV: {exc}", source=name, line=start))
                return None
        return encoding, rows
    hint = (
        ""
        if len(encodings) > 1
        else " (a Windows-1252 file: dialect='it' or Dialect(encodings=('utf-8', 'cp1252')))"
    )
    fatal.append(DataError(f"cannot be decoded: {'; '.join(problems)}{hint}", source=name))
    return None


def _chain(first: str, rest: IO[str]) -> Iterator[str]:
    yield first
    yield from rest


def _xlsx_read(
    data: Path | bytes, name: str, sheet: str | None, fatal: list[DataError]
) -> tuple[str, date, list[tuple[int, list[object]]]] | None:
    try:
        import openpyxl
    except ImportError:
        raise MissingExtra(
            "reading .xlsx workbooks needs openpyxl: pip install 'dunning[xlsx]'"
        ) from None
    from zipfile import BadZipFile

    rows: list[tuple[int, list[object]]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl's notes on unsupported parts
        try:
            book = openpyxl.load_workbook(
                io.BytesIO(data) if isinstance(data, bytes) else data,
                read_only=True,
                data_only=False,
            )
        except (BadZipFile, KeyError, OSError, ValueError) as exc:
            fatal.append(DataError(f"is not an .xlsx workbook: {exc}", source=name))
            return None
        try:
            if sheet is None:
                worksheet = book.worksheets[0]
            elif sheet in book.sheetnames:
                worksheet = book[sheet]
            else:
                fatal.append(
                    DataError(
                        f"has no sheet {sheet!r}; its sheets are {', '.join(book.sheetnames)}",
                        source=name,
                    )
                )
                return None
            title = str(worksheet.title)
            epoch = book.epoch.date() if isinstance(book.epoch, datetime) else _EPOCH_1900
            count = 0
            for number, cells in enumerate(worksheet.iter_rows(min_row=1), start=1):
                values = [_xlsx_value(cell) for cell in cells]
                if all(_text(v) is None for v in values):
                    continue
                count += 1
                if count > MAX_TABLE_ROWS + 1:
                    fatal.append(_too_many(f"{name} sheet {title!r}", "row"))
                    return None
                rows.append((number, values))
        finally:
            book.close()
    return f"{name} sheet {title!r}", epoch, rows


def _xlsx_value(cell: Any) -> object:
    value = cell.value
    kind = getattr(cell, "data_type", None)
    if kind == "f":
        return _Formula(str(value))
    if kind == "e":
        return _CellError(str(value))
    if isinstance(value, float):
        return _Float(value, 15)
    return value


def _parquet_read(
    data: Path | bytes, name: str, wanted: set[str], fatal: list[DataError]
) -> Iterator[tuple[int, list[object]]] | None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtra(
            "reading Parquet files needs pyarrow: pip install 'dunning[parquet]'"
        ) from None
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data) if isinstance(data, bytes) else data)
    except (pa.ArrowException, OSError) as exc:
        fatal.append(DataError(f"is not a Parquet file: {exc}", source=name))
        return None
    schema = parquet.schema_arrow
    if parquet.metadata.num_rows > MAX_TABLE_ROWS:
        fatal.append(_too_many(name, "row"))
        return None
    header = list(schema.names)
    columns = [n for n in header if _normal(n) in wanted or n in wanted]
    digits = {}
    for column in columns:
        kind = schema.field(column).type
        if pa.types.is_float32(kind) or pa.types.is_float16(kind):
            digits[column] = 6
        elif pa.types.is_floating(kind):
            digits[column] = 15

    def rows() -> Iterator[tuple[int, list[object]]]:
        yield -1, list(header)
        index = 0
        for batch in parquet.iter_batches(batch_size=_BATCH, columns=columns):
            for record in batch.to_pylist():
                values: list[object] = []
                for column in header:
                    value = record.get(column)
                    if isinstance(value, float):
                        value = _Float(value, digits.get(column, 15))
                    values.append(value)
                yield index, values
                index += 1

    return rows()


# -- the table -------------------------------------------------------------------------------


class _TableKnown(_Known):
    """Accepted records by id; a debtor id is accepted as is when the table carries no debtors
    (the portfolio checks it against the debtors read elsewhere)."""

    def __init__(self, carries_debtors: bool, unit: str) -> None:
        super().__init__()
        self.carries_debtors = carries_debtors
        self.unit = unit

    def debtor(self, row: _Row, column: str = "debtor_id") -> str | None:
        debtor_id = row.need(column)
        if debtor_id is None or not self.carries_debtors or debtor_id in self.debtors:
            return debtor_id
        if debtor_id in self.bad_debtors:
            row.drop(
                column, f"debtor {debtor_id!r} was rejected (line {self.bad_debtors[debtor_id]})"
            )
        return debtor_id

    def invoice(self, row: _Row, column: str, debtor_id: str | None) -> Invoice | None:
        invoice_id = row.get(column)
        if invoice_id is None:
            return None
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            if invoice_id in self.bad_invoices:
                row.drop(
                    column,
                    f"invoice {invoice_id!r} was rejected (line {self.bad_invoices[invoice_id]})",
                )
            else:
                row.fail(column, f"unknown invoice {invoice_id!r}: not in this table")
            return None
        if debtor_id is not None and invoice.debtor_id != debtor_id:
            row.fail(column, f"invoice {invoice_id!r} belongs to debtor {invoice.debtor_id!r}")
            return None
        return invoice


def _detect(data: Path | bytes, name: str) -> Format:
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    with _open_binary(data) as stream:
        start = stream.read(4)
    if start == b"PAR1":
        return "parquet"
    if start == b"PK\x03\x04":
        return "xlsx"
    return "csv"


def read_table(
    source: str | os.PathLike[str] | bytes,
    columns: Columns | None = None,
    *,
    kind: Kind = "invoices",
    dialect: Dialect | str = "default",
    format: Format | None = None,
    sheet: str | None = None,
    errors: Literal["raise", "collect"] = "raise",
    name: str | None = None,
) -> Table:
    """Read a table of ``kind`` (``"invoices"``, ``"debtors"`` or ``"payments"``) from a
    ``.csv``, ``.xlsx`` or ``.parquet`` file, or from its bytes.

    ``columns`` says which column holds each field (default: the folder's column names),
    ``dialect`` how values are written (`DIALECTS`: ``"default"`` or ``"it"``; or a
    `Dialect`). ``format`` is taken from the file name's suffix, else from the first bytes
    (a ZIP is ``.xlsx``, ``PAR1`` Parquet, anything else CSV). ``sheet`` names the sheet of
    a workbook (default: the first). ``name`` is the file name errors use for bytes.

    With ``errors="raise"`` any problem raises one `DataError` listing them all, and nothing
    is returned; with ``"collect"`` the good rows are returned and the bad ones, with the rows
    that depend on them, are listed in `Table.rejected`. A problem with the file itself (its
    size, encoding, header or format) always raises. A missing extra raises `MissingExtra`.
    """
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', not {errors!r}")
    if kind not in _REQUIRED:
        raise ValueError(f"kind must be one of {', '.join(_REQUIRED)}, not {kind!r}")
    columns = columns or Columns()
    if isinstance(dialect, str):
        if dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
        dialect = DIALECTS[dialect]
    if isinstance(source, bytes | bytearray):
        content = bytes(source)
        data: Path | bytes = content
        label = name or f"<{kind} table>"
        size = len(content)
    else:
        data = Path(source)
        label = name or data.name
        if not data.is_file():
            raise FileNotFoundError(f"no file {str(source)!r}")
        size = data.stat().st_size
    if size > MAX_TABLE_BYTES:
        raise DataError(
            f"is {size:,} bytes, more than the {MAX_TABLE_BYTES:,} a table may have "
            "(MAX_TABLE_BYTES): is it the right file? Split it, or import it in parts",
            source=label,
        )
    fmt = format or _detect(data, label)
    expected = {
        _normal(columns.source(a, kind)) for a, per_kind in _FIELDS.items() if kind in per_kind
    }
    fatal: list[DataError] = []
    unit, epoch, typed = "line", _EPOCH_1900, False
    where = label
    stream: Iterable[tuple[int, list[object]]]
    if fmt == "csv":
        found = _csv_read(data, label, dialect, expected, fatal)
        stream = found[1] if found else []
    elif fmt == "xlsx":
        book = _xlsx_read(data, label, sheet, fatal)
        unit, typed = "row", True
        if book:
            where, epoch, stream = book
        else:
            stream = []
    elif fmt == "parquet":
        unit, typed = "row", True
        stream = _parquet_read(data, label, expected, fatal) or []
    else:
        raise ValueError(f"format must be 'csv', 'xlsx' or 'parquet', not {format!r}")
    if fatal:
        raise DataError(f"{len(fatal)} problem(s) in {label}", errors=tuple(fatal))

    rows: list[_TableRow] = []
    plan: _Plan | None = None
    header: list[str] = []
    for line, cells in stream:
        if plan is None:
            header = [_text(c) or "" for c in cells]
            # Parquet's header is its schema (line -1), not a row
            plan = _Plan(columns, kind, _Header(header, line if line >= 0 else None), where, unit)
            if plan.errors:
                raise DataError(
                    f"{len(plan.errors)} problem(s) in {label}", errors=tuple(plan.errors)
                )
            continue
        values = dict(zip(header, cells, strict=False))
        row = _TableRow(
            where,
            line,
            values,
            plan.fields,
            plan.constants,
            dialect,
            unit=unit,
            epoch=epoch,
            typed=typed,
        )
        if fmt == "csv" and len(cells) > len(header):
            row.fail(None, f"has {len(cells)} cells but the header has {len(header)}")
        rows.append(row)
    if plan is None:
        raise DataError("is empty: expected a header row", source=label)
    return _build(rows, plan, kind, where, label, unit, errors)


def _build(
    rows: list[_TableRow],
    plan: _Plan,
    kind: Kind,
    where: str,
    label: str,
    unit: str,
    errors: Literal["raise", "collect"],
) -> Table:
    carries = kind == "invoices" and "name" in plan.debtor_fields
    known = _TableKnown(carries or kind == "debtors", unit)
    extra: list[_TableRow] = []
    invoices: tuple[Invoice, ...] = ()
    notes: list[CreditNote] = []
    payments: list[Payment] = []
    if kind == "debtors":
        _debtors(list(rows), known)
    elif kind == "payments":
        payments = _payments(list(rows), known)
    else:
        if carries:
            extra = _carried_debtors(rows, plan, known)
        ordered, numbers = _instalments(rows, plan)
        notes = _invoices(ordered, known)
        invoices = tuple(_renumber(known, numbers))
    every = [*rows, *extra]
    problems = [e for row in every for e in row.errors]
    order = _order_key
    if problems and errors == "raise":
        problems.sort(key=order)
        raise DataError(f"{len(problems)} problem(s) in {label}", errors=tuple(problems))
    rejected = sorted(problems + [e for row in every for e in row.knock_on], key=order)
    return Table(
        where,
        kind,
        debtors=tuple(known.debtors.values()),
        invoices=invoices,
        credit_notes=tuple(notes),
        payments=tuple(payments),
        rejected=tuple(rejected),
    )


def _order_key(error: DataError) -> int:
    return error.line if error.line is not None else -1


def _carried_debtors(rows: list[_TableRow], plan: _Plan, known: _Known) -> list[_TableRow]:
    """The debtors an invoice table carries: one from the first row of each, the later rows
    agreeing with it."""
    first: dict[str, _TableRow] = {}
    views: list[_TableRow] = []
    for row in rows:
        debtor_id = row.get("debtor_id")
        if debtor_id is None:
            continue
        if debtor_id not in first:
            first[debtor_id] = row
            views.append(row.view(plan.debtor_fields, plan.debtor_constants))
            continue
        earlier = first[debtor_id]
        for field in _DEBTOR_FIELDS:
            name = f"debtor_{field}"
            mine, theirs = row.get(name), earlier.get(name)
            if mine != theirs:
                row.fail(
                    name,
                    f"the rows of debtor {debtor_id!r} disagree: {mine or '(empty)'} here, "
                    f"{theirs or '(empty)'} on line {earlier.line}",
                )
    _debtors(list[_Row](views), known)
    return views


def _instalments(rows: list[_TableRow], plan: _Plan) -> tuple[list[_Row], dict[str, list[int]]]:
    """The rows with each invoice's rows in instalment order, and the numbers by invoice."""
    if "instalment" not in plan.fields:
        return list(rows), {}
    groups: dict[str | None, list[tuple[int, _TableRow]]] = {}
    for row in rows:
        text = row.get("instalment")
        number = 0
        if text is None:
            row.fail("instalment", "must not be empty")
        elif not re.fullmatch(r"\d+", text) or int(text) < 1:
            row.fail("instalment", f"{text!r} is not an instalment number (1, 2, 3...)")
        else:
            number = int(text)
        groups.setdefault(row.get("invoice_id"), []).append((number, row))
    ordered: list[_Row] = []
    numbers: dict[str, list[int]] = {}
    for invoice_id, members in groups.items():
        seen: dict[int, int] = {}
        for number, row in members:
            if number and seen.setdefault(number, row.line) != row.line:
                row.fail(
                    "instalment",
                    f"instalment {number} of invoice {invoice_id!r} is on line {seen[number]} too",
                )
        members.sort(key=_first_int)
        ordered.extend(row for _, row in members)
        if invoice_id is not None:
            numbers[invoice_id] = [n for n, _ in members]
    return ordered, numbers


def _first_int(pair: tuple[int, _TableRow]) -> int:
    return pair[0]


def _renumber(known: _Known, numbers: Mapping[str, list[int]]) -> Iterator[Invoice]:
    for invoice_id, invoice in known.invoices.items():
        given = numbers.get(invoice_id)
        if given and len(given) == len(invoice.items):
            items = tuple(
                attrs.evolve(item, number=n) for item, n in zip(invoice.items, given, strict=True)
            )
            yield attrs.evolve(invoice, items=items)
        else:
            yield invoice
