"""Read a folder of CSV files and a ``dunning.toml`` into a `Portfolio`.

The layout (all files UTF-8; CSV files comma-separated, or ``;``-separated as Excel writes them
in Italy, with a header row; an empty cell means "not given")::

    dunning.toml    [creditor], [policy] (+ [policy.params]), [run]
    debtors.csv     id,name,kind,vat_number,tax_code,email,pec,phone,address,postcode,city,
                    province,country,locale,timezone,contact_person,opt_out,tags,block,policy,
                    iban
    invoices.csv    invoice_id,debtor_id,number,issue_date,due_date,amount,currency,kind,
                    applies_to,documents,performed_on
    payments.csv    payment_id,debtor_id,date,amount,currency,reference
    events.csv      date,debtor_id,event,kind,invoice_id,until,due_date,amount,currency,
                    channel,reference,sha256,note                              (optional)
    call_outcomes.csv   the outcomes of phone calls: the call list of `dunning.calls` with
                    its outcome columns filled in (optional; see `read_call_outcomes`)

Dates are ISO (``2026-07-15``); amounts are plain decimals with a dot (``1234.56``), read
straight into `Decimal`; in a ``;``-separated file with a decimal comma (``1.234,56``). Lists
(``opt_out``, ``tags``, ``documents``) are ``;``-separated; several street lines in ``address``
are ``|``-separated. The ``iban`` cell of ``debtors.csv`` holds the IBANs the debtor pays
from, separated by ``;`` or spaces (an IBAN may itself be written in groups of four: see
`split_ibans`). In ``invoices.csv`` each row is one open item: rows sharing an
``invoice_id`` are the instalments of one invoice (an exact repeat of a row is an error), and
``kind=credit_note`` rows are credit notes (``applies_to`` names the invoice they reduce).
In ``events.csv`` the ``event`` cell says which event a row records and which other cells it
uses (the rest must be empty); a payment plan takes one ``plan`` row per instalment, and the
rows of one debtor and date are one plan.

Every file is read and every problem collected before anything is raised: one `DataError`
lists them all, each naming the file, the line (the header is line 1), the record and the
column. With ``on_error="skip"`` the bad rows are left out instead (with the invoices and the
rows that depend on them) and reported in `Folder.rejected`. Problems with the folder's shape
(a missing file, an unknown or missing column, a bad ``dunning.toml``) always raise.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import attrs

from ..errors import DataError
from ..events import (
    REPLY_KINDS,
    AddressUpdated,
    BlockLifted,
    BlockSet,
    DebtorReplied,
    DisputeOpened,
    DisputeResolved,
    DocumentAdded,
    DocumentsSent,
    Event,
    HandOverApproved,
    PlanAgreed,
    PromiseToPay,
    ReplyKind,
    WrittenOff,
)
from ..model import (
    _E164,
    _EMAIL,
    CHANNELS,
    CreditNote,
    Creditor,
    Debtor,
    DebtorKind,
    Document,
    Invoice,
    OpenItem,
    Payment,
    PostalAddress,
    _iban_error,
)
from ..money import MAX_DIGITS, Money, is_currency, minor_units
from ..portfolio import Portfolio
from ..rates import RatesError, RateSet

__all__ = [
    "COLUMNS",
    "MAX_CSV_BYTES",
    "REQUIRED_COLUMNS",
    "Folder",
    "Incoming",
    "PolicyConfig",
    "read_folder",
    "split_ibans",
]

T = TypeVar("T")

CONFIG = "dunning.toml"
DEBTORS = "debtors.csv"
INVOICES = "invoices.csv"
PAYMENTS = "payments.csv"
EVENTS = "events.csv"
CALL_OUTCOMES = "call_outcomes.csv"
_FILES = (CONFIG, DEBTORS, INVOICES, PAYMENTS, EVENTS)
#: The largest CSV file `read_folder` reads (64 MiB, about half a million invoice rows); a
#: larger one is refused before it is read. One cell holds at most 128 KiB (the limit of
#: Python's `csv` module): a longer one is reported as not valid CSV at its line.
MAX_CSV_BYTES = 64 * 1024 * 1024
_OPTIONAL_FILES = frozenset({EVENTS})


def _header(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


#: The columns each CSV file may have, in their documented order.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    DEBTORS: _header(
        "id,name,kind,vat_number,tax_code,email,pec,phone,address,postcode,city,province,"
        "country,locale,timezone,contact_person,opt_out,tags,block,policy,iban"
    ),
    INVOICES: _header(
        "invoice_id,debtor_id,number,issue_date,due_date,amount,currency,kind,applies_to,documents,"
        "performed_on"
    ),
    PAYMENTS: _header("payment_id,debtor_id,date,amount,currency,reference"),
    EVENTS: _header(
        "date,debtor_id,event,kind,invoice_id,until,due_date,amount,currency,channel,reference,"
        "sha256,note"
    ),
}
#: The columns each CSV file must have.
REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    DEBTORS: ("id", "name"),
    INVOICES: ("invoice_id", "debtor_id", "issue_date", "due_date", "amount"),
    PAYMENTS: ("payment_id", "debtor_id", "date", "amount"),
    EVENTS: ("date", "debtor_id", "event"),
}

_CREDITOR_KEYS = _header(
    "name,vat_number,iban,email,pec,phone,signatory,locale,country,address,postcode,city,province"
)
_CONFIG_KEYS: Mapping[str, frozenset[str]] = {
    "creditor": frozenset(_CREDITOR_KEYS),
    "policy": frozenset({"preset", "params"}),
    "run": frozenset({"per_invoice"}),
    "interest": frozenset({"reference_rates"}),
    "channels": frozenset({"email", "pec", "sms", "postal"}),
    "store": frozenset({"url"}),
    "bank": frozenset({"statements", "max_age_business_days"}),
    "import": frozenset({"invoices"}),
}

# -- configuration ---------------------------------------------------------------------------


def _freeze(value: object) -> object:
    if isinstance(value, dict):
        return tuple(sorted(((str(k), _freeze(v)) for k, v in value.items()), key=_first))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _first(pair: tuple[str, object]) -> str:
    return pair[0]


def _freeze_params(
    value: Mapping[str, object] | Iterable[tuple[str, object]],
) -> tuple[tuple[str, object], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted(((str(k), _freeze(v)) for k, v in pairs), key=_first))


@attrs.frozen
class PolicyConfig:
    """The policy a folder asks for: a preset under `dunning.policies` and its arguments.

    ``params`` is kept as sorted ``(name, value)`` pairs (TOML arrays become tuples, nested
    tables sorted pairs) so the configuration is hashable.

    >>> PolicyConfig("italy.stragiudiziale", {"reminders": 3}).kwargs()
    {'reminders': 3}
    """

    preset: str = "italy.stragiudiziale"
    params: tuple[tuple[str, object], ...] = attrs.field(default=(), converter=_freeze_params)
    interest_rates: RateSet = RateSet()
    """The reference rates of ``[interest.reference_rates]`` (source ``dunning.toml``)."""

    def kwargs(self) -> dict[str, object]:
        """The parameters as keyword arguments for the preset (with ``interest_rates`` when
        ``dunning.toml`` supplies any)."""
        out = dict(self.params)
        if self.interest_rates:
            out["interest_rates"] = self.interest_rates
        return out


@attrs.frozen
class Incoming:
    """Where a working folder's inputs arrive (``[import]`` and ``[bank]`` of dunning.toml,
    written by ``dunning init``): the e-invoices to import, the bank statements to reconcile
    (both relative to the folder), and how old the newest bank data may be, in business days,
    before a run refuses to plan reminders (None: no such check, the folder's payments come
    from elsewhere)."""

    invoices: str = "incoming/invoices"
    statements: str = "incoming/statements"
    max_age_business_days: int | None = None


@attrs.frozen
class Folder:
    """What `read_folder` found: the portfolio, the policy to apply and the run options."""

    path: Path
    portfolio: Portfolio
    policy: PolicyConfig
    per_invoice: bool = False
    rejected: tuple[DataError, ...] = ()
    """The problems of the rows left out with ``on_error="skip"`` (empty otherwise)."""
    channels: Mapping[str, str] = attrs.field(
        factory=dict, repr=lambda table: f"<settings for {', '.join(table) or 'no channel'}>"
    )
    """The ``[channels]`` table: a settings string per channel (``email``, ``pec``, ``sms``,
    ``postal``), for ``dunning send``; secrets come from environment variables it names."""
    incoming: Incoming = Incoming()
    """Where invoices and statements arrive, and the bank data's freshness rule."""


_PRESET = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_TOML_LINE = re.compile(r"at line (\d+)")


class _Config:
    """Reads ``dunning.toml``; problems go to ``errors``."""

    def __init__(self, path: Path, errors: list[DataError]) -> None:
        self.errors = errors
        self.creditor: Creditor | None = None
        self.policy = PolicyConfig()
        self.per_invoice = False
        self.channels: dict[str, str] = {}
        self.incoming = Incoming()
        try:
            data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            self._fail(None, None, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
            return
        except tomllib.TOMLDecodeError as exc:
            found = _TOML_LINE.search(str(exc))
            line = int(found.group(1)) if found else None
            self._fail(None, None, f"is not valid TOML: {exc}", line=line)
            return
        for table, value in data.items():
            if table not in _CONFIG_KEYS:
                known = ", ".join(f"[{t}]" for t in _CONFIG_KEYS)
                self._fail(table, None, f"unknown table [{table}]; expected {known}")
            elif not isinstance(value, dict):
                self._fail(table, None, f"must be a table [{table}], not {value!r}")
            else:
                for key in sorted(set(value) - _CONFIG_KEYS[table]):
                    known = ", ".join(sorted(_CONFIG_KEYS[table]))
                    self._fail(table, key, f"unknown key; expected one of {known}")
        self._creditor(data.get("creditor"))
        self._policy(data.get("policy"))
        self._interest(data.get("interest"))
        channels = data.get("channels")
        if isinstance(channels, dict):
            for name, value in channels.items():
                if isinstance(value, str) and value.strip():
                    self.channels[name] = value.strip()
                else:
                    self._fail("channels", name, f"must be a settings string, not {value!r}")
        self._incoming(data.get("import"), data.get("bank"))
        run = data.get("run")
        if isinstance(run, dict):
            per_invoice = run.get("per_invoice", False)
            if isinstance(per_invoice, bool):
                self.per_invoice = per_invoice
            else:
                self._fail("run", "per_invoice", f"must be true or false, not {per_invoice!r}")

    def _fail(
        self, record: str | None, field: str | None, message: str, line: int | None = None
    ) -> None:
        self.errors.append(DataError(message, record=record, field=field, source=CONFIG, line=line))

    def _creditor(self, table: object) -> None:
        if not isinstance(table, dict):
            if table is None:
                self._fail("creditor", None, "the [creditor] table is missing")
            return
        values: dict[str, str] = {}
        for key in _CREDITOR_KEYS:
            value = table.get(key)
            if key == "address" and isinstance(value, list):
                if not all(isinstance(v, str) for v in value):
                    self._fail("creditor", key, "must be a string or a list of strings")
                    continue
                value = "|".join(value)
            if value is None:
                continue
            if not isinstance(value, str):
                self._fail("creditor", key, f"must be a string, not {value!r}")
            elif value.strip():
                values[key] = value.strip()
        if "name" not in values:
            self._fail("creditor", "name", "the creditor's name is required")
            return
        checks = (
            ("email", _EMAIL, "is not an e-mail address"),
            ("pec", _EMAIL, "is not an e-mail address"),
            ("phone", _E164, "is not in E.164 form (e.g. +390512345678)"),
        )
        for key, pattern, problem in checks:
            if key in values and not pattern.match(values[key]):
                self._fail("creditor", key, f"{values[key]!r} {problem}")
        lines = tuple(p.strip() for p in values.pop("address", "").split("|") if p.strip())
        place = {k: values.pop(k) for k in ("postcode", "city", "province") if k in values}
        address = None
        if lines:
            country = values.get("country", "IT")
            address = PostalAddress(lines, country=country, **place)
        elif place:
            self._fail("creditor", "address", f"{', '.join(place)} given without an address")
        try:
            self.creditor = Creditor(
                values["name"],
                vat_number=values.get("vat_number"),
                address=address,
                iban=values.get("iban"),
                email=values.get("email"),
                pec=values.get("pec"),
                phone=values.get("phone"),
                signatory=values.get("signatory"),
                country=values.get("country", "IT"),
                locale=values.get("locale", "it_IT"),
            )
        except DataError as exc:
            self._fail(exc.record, exc.field, exc.message)

    def _policy(self, table: object) -> None:
        if not isinstance(table, dict):
            return
        preset = table.get("preset", PolicyConfig().preset)
        params = table.get("params", {})
        if not isinstance(preset, str) or not _PRESET.match(preset):
            self._fail(
                "policy",
                "preset",
                f"must be a dotted name such as 'italy.stragiudiziale', not {preset!r}",
            )
        elif not isinstance(params, dict):
            self._fail("policy", "params", f"must be a table [policy.params], not {params!r}")
        else:
            self.policy = PolicyConfig(preset, params)

    def _incoming(self, imports: object, bank: object) -> None:
        values: dict[str, Any] = {}
        for table, key, name in (
            (imports, "invoices", "import"),
            (bank, "statements", "bank"),
        ):
            if isinstance(table, dict) and key in table:
                value = table[key]
                if not isinstance(value, str) or not value.strip() or ".." in Path(value).parts:
                    self._fail(
                        name, key, f"must be a folder inside the working folder, not {value!r}"
                    )
                else:
                    values[key] = value.strip()
        if isinstance(bank, dict) and "max_age_business_days" in bank:
            age = bank["max_age_business_days"]
            if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 60:
                self._fail(
                    "bank",
                    "max_age_business_days",
                    f"must be a whole number of business days from 0 to 60, not {age!r}",
                )
            else:
                values["max_age_business_days"] = age
        self.incoming = Incoming(**values)

    def _interest(self, table: object) -> None:
        if not isinstance(table, dict):
            return
        rows = table.get("reference_rates", {})
        try:
            rates = RateSet.parse(rows, origin=CONFIG, prefix="interest.reference_rates")
        except RatesError as exc:
            self._fail("interest", exc.key or "reference_rates", exc.problem)
            return
        self.policy = attrs.evolve(self.policy, interest_rates=rates)


# -- cells -----------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+),\d+$")
_THOUSANDS_COMMA = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
# in a ';'-separated file: "1.234.567" groups thousands, "1.234" could be either
_GROUPED_DOT = re.compile(r"^-?\d{1,3}(\.\d{3}){2,}$")
_AMBIGUOUS_DOT = re.compile(r"^-?\d{1,3}\.\d{3}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class _Row:
    """One data row of a CSV file and the problems found in it.

    ``errors`` are the row's own problems; ``knock_on`` says why a row that is fine in itself
    is left out (its debtor or invoice was rejected). Only ``errors`` are raised; both are
    reported with ``on_error="skip"``.
    """

    def __init__(
        self, source: str, line: int, cells: dict[str, str], *, decimal_comma: bool = False
    ) -> None:
        self.source = source
        self.line = line
        self.cells = cells
        self.decimal_comma = decimal_comma
        """Amounts use a decimal comma (``1.234,56``): the file is ``;``-separated."""
        self.record: str | None = None
        self.errors: list[DataError] = []
        self.knock_on: list[DataError] = []
        self.failed: set[str] = set()

    @property
    def ok(self) -> bool:
        return not self.errors and not self.knock_on

    def error(self, field: str | None, message: str, record: str | None = None) -> DataError:
        return DataError(
            message, record=record or self.record, field=field, source=self.source, line=self.line
        )

    def fail(self, field: str | None, message: str) -> None:
        self.errors.append(self.error(field, message))
        if field is not None:
            self.failed.add(field)

    def drop(self, field: str | None, message: str) -> None:
        self.knock_on.append(self.error(field, message))

    def get(self, column: str) -> str | None:
        value = self.cells.get(column, "").strip()
        return value or None

    def need(self, column: str) -> str | None:
        value = self.get(column)
        if value is None:
            self.fail(column, "must not be empty")
        return value

    def unused(self, columns: Iterable[str], why: str) -> None:
        for column in columns:
            if self.get(column) is not None:
                self.fail(column, f"is not used {why}; leave the cell empty")

    def split(self, column: str, sep: str = ";") -> tuple[str, ...]:
        return tuple(p.strip() for p in (self.get(column) or "").split(sep) if p.strip())

    def date(self, column: str, *, required: bool = True) -> date | None:
        text = self.need(column) if required else self.get(column)
        if text is None:
            return None
        if _ISO_DATE.match(text):
            try:
                return date.fromisoformat(text)
            except ValueError as exc:
                self.fail(column, f"{text!r} is not a valid date: {exc}")
                return None
        hint = ""
        dmy = _DMY_DATE.match(text)
        if dmy:
            day, month, year = dmy.groups()
            hint = f" (if day/month/year, write {year}-{int(month):02d}-{int(day):02d})"
        self.fail(column, f"{text!r} is not a date in the form YYYY-MM-DD{hint}")
        return None

    def currency(self, column: str = "currency") -> str:
        text = self.get(column) or "EUR"
        if not _CURRENCY.match(text):
            self.fail(column, f"{text!r} is not an ISO 4217 currency code such as 'EUR'")
            return "EUR"
        if not is_currency(text):
            self.fail(column, f"{text!r} is not an ISO 4217 currency code (unknown to CLDR)")
            return "EUR"
        return text

    def money(self, column: str, currency: str, *, required: bool = True) -> Money | None:
        text = self.need(column) if required else self.get(column)
        if text is None:
            return None
        original = text
        if self.decimal_comma:
            if _AMBIGUOUS_DOT.match(text):
                whole, fraction = text.replace(".", ""), text.replace(".", ",")
                self.fail(
                    column,
                    f"{text!r} is ambiguous in a ';'-separated file: write {whole!r} if the dot "
                    f"groups thousands, {fraction!r} if it separates the decimals",
                )
                return None
            if _DECIMAL_COMMA.match(text) or _GROUPED_DOT.match(text):
                text = text.replace(".", "").replace(",", ".")
        problem = _amount_problem(text, currency, self.decimal_comma)
        if problem:
            read = f"{original!r} reads as {text!r}: " if text != original else ""
            self.fail(column, read + problem)
            return None
        try:
            amount = Money(Decimal(text), currency)
        except ValueError:  # the only problem left: too many digits
            self.fail(
                column,
                f"{original!r} is too large: at most {MAX_DIGITS} digits before the decimal point",
            )
            return None
        if not amount.is_positive:
            self.fail(column, f"must be positive, not {text}")
            return None
        return amount

    def build(self, factory: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        """Call a model constructor; its `DataError` becomes a problem of this row."""
        try:
            return factory(*args, **kwargs)
        except DataError as exc:
            self.errors.append(self.error(exc.field, exc.message, record=exc.record))
            return None


def _amount_problem(text: str, currency: str, decimal_comma: bool = False) -> str | None:
    if _DECIMAL.match(text):
        decimals = len(text.partition(".")[2])
        places = minor_units(currency)
        if decimals > places:
            return f"{text!r} has {decimals} decimals but {currency} has {places}"
        return None
    if decimal_comma:
        return f"{text!r} is not a decimal amount such as 1234,56 or 1.234,56"
    if _DECIMAL_COMMA.match(text):
        fixed = text.replace(".", "").replace(",", ".")
        return f"{text!r} uses a comma as decimal separator: write {fixed!r} (dot, no grouping)"
    if _THOUSANDS_COMMA.match(text):
        fixed = text.replace(",", "")
        return f"{text!r} groups thousands with commas: write {fixed!r} (no grouping)"
    return f"{text!r} is not a plain decimal amount such as 1234.56"


# -- files -----------------------------------------------------------------------------------


def _read_csv(path: Path, errors: list[DataError]) -> list[_Row] | None:
    """The rows of a CSV file, or None (with ``errors``) when its shape is wrong."""
    name = path.name
    columns, required = COLUMNS[name], REQUIRED_COLUMNS[name]
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        errors.append(
            DataError(
                f"is {size:,} bytes, more than the {MAX_CSV_BYTES:,} a CSV file may have "
                "(MAX_CSV_BYTES): is it the right file? Split it, or import it in parts",
                source=name,
            )
        )
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        errors.append(
            DataError(f"is not UTF-8 text ({exc.reason} at byte {exc.start})", source=name)
        )
        return None
    delimiter = _delimiter(text, columns)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[_Row] = []
    header: list[str] | None = None
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if header is None:
                header = [c.strip() for c in cells]
                if not _header_ok(header, name, line, columns, required, errors):
                    return None
                continue
            if not any(c.strip() for c in cells):
                continue
            cells_by_column = dict(zip(header, cells, strict=False))
            row = _Row(name, line, cells_by_column, decimal_comma=delimiter == ";")
            if len(cells) > len(header):
                row.fail(None, f"has {len(cells)} cells but the header has {len(header)}")
            rows.append(row)
    except csv.Error as exc:
        opened = _unclosed_quote(text, start)
        if opened is not None:
            message = (
                "a quoted cell opens on this line and is never closed: add the closing '\"' "
                "(or remove the stray one); nothing after it could be read"
            )
            errors.append(DataError(message, source=name, line=opened))
        else:
            errors.append(DataError(f"is not valid CSV: {exc}", source=name, line=start))
        return None
    if header is None:
        errors.append(
            DataError(f"is empty: expected a header row such as {','.join(columns)}", source=name)
        )
        return None
    return rows


def _delimiter(text: str, columns: tuple[str, ...]) -> str:
    """``,`` unless the header line names more known columns when split on ``;`` (what
    Excel writes where the decimal separator is a comma) or on a tab."""
    header = text.split("\n", 1)[0]
    best, most = ",", -1
    for candidate in (",", ";", "\t"):
        known = sum(c.strip().strip('"') in columns for c in header.split(candidate))
        if known > most:
            best, most = candidate, known
    return best


def _unclosed_quote(text: str, start: int) -> int | None:
    """The line of the quote that opens a cell and is never closed, in the record starting on
    line ``start``, or None when the quotes from there on pair up. Quotes inside a quoted cell
    come in pairs (``""``), so it is the last line where their count turns odd."""
    count, opened = 0, None
    lines = io.StringIO(text, newline="").readlines()  # split as the csv reader counts
    for number, line in enumerate(lines[start - 1 :], start):
        before = count % 2
        count += line.count('"')
        if before == 0 and count % 2 == 1:
            opened = number
    return opened if count % 2 == 1 else None


def _header_ok(
    header: list[str],
    name: str,
    line: int,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    errors: list[DataError],
) -> bool:
    before = len(errors)

    def fail(field: str | None, message: str) -> None:
        errors.append(DataError(message, field=field, source=name, line=line))

    seen: set[str] = set()
    for column in header:
        if not column:
            fail(None, "a column has no name (a trailing comma?)")
        elif column in seen:
            fail(column, "the column appears twice")
        elif column not in columns:
            close = difflib.get_close_matches(column, columns, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            fail(column, f"unknown column; {hint}the columns are {','.join(columns)}")
        seen.add(column)
    for column in required:
        if column not in seen:
            fail(column, f"missing required column in {name}")
    return len(errors) == before


# -- records ---------------------------------------------------------------------------------


class _Known:
    """Accepted records by id, and the ids of rejected ones (with their line)."""

    def __init__(self) -> None:
        self.debtors: dict[str, Debtor] = {}
        self.bad_debtors: dict[str, int] = {}
        self.invoices: dict[str, Invoice] = {}
        self.bad_invoices: dict[str, int] = {}

    def debtor(self, row: _Row, column: str = "debtor_id") -> str | None:
        debtor_id = row.need(column)
        if debtor_id is None or debtor_id in self.debtors:
            return debtor_id
        if debtor_id in self.bad_debtors:
            where = f"{DEBTORS} line {self.bad_debtors[debtor_id]}"
            row.drop(column, f"debtor {debtor_id!r} was rejected ({where})")
        else:
            row.fail(column, f"unknown debtor {debtor_id!r}: not in {DEBTORS}")
        return debtor_id

    def invoice(self, row: _Row, column: str, debtor_id: str | None) -> Invoice | None:
        invoice_id = row.get(column)
        if invoice_id is None:
            return None
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            if invoice_id in self.bad_invoices:
                where = f"{INVOICES} line {self.bad_invoices[invoice_id]}"
                row.drop(column, f"invoice {invoice_id!r} was rejected ({where})")
            else:
                row.fail(column, f"unknown invoice {invoice_id!r}: not in {INVOICES}")
            return None
        if debtor_id is not None and invoice.debtor_id != debtor_id:
            row.fail(column, f"invoice {invoice_id!r} belongs to debtor {invoice.debtor_id!r}")
            return None
        return invoice


_IBAN_START = re.compile(r"^[A-Za-z]{2}[0-9]{2}")


def split_ibans(text: str) -> tuple[str, ...]:
    """The IBANs of a ``debtors.csv`` ``iban`` cell, compact and upper case: several are
    separated by ``;`` or by spaces, and each may be written in groups of four. A word that
    starts like an IBAN (two letters, two digits) begins a new one once the words before it
    make a valid IBAN.

    >>> split_ibans("IT60 X054 2811 1010 0000 0123 456 DE89370400440532013000")
    ('IT60X0542811101000000123456', 'DE89370400440532013000')
    >>> split_ibans("IT60X0542811101000000123456; it60 x054 2811 1010 0000 0123 456")
    ('IT60X0542811101000000123456', 'IT60X0542811101000000123456')
    """
    found: list[str] = []
    for part in text.split(";"):
        current = ""
        for word in part.split():
            if current and _IBAN_START.match(word) and _iban_error(current) is None:
                found.append(current)
                current = ""
            current += word.upper()
        if current:
            found.append(current)
    return tuple(found)


def _debtors(rows: list[_Row], known: _Known) -> None:
    for row in rows:
        debtor_id = row.need("id")
        row.record = f"debtor {debtor_id}" if debtor_id else "debtor"
        if debtor_id in known.debtors:
            row.fail("id", f"debtor {debtor_id!r} appears twice")
            continue
        lines = row.split("address", sep="|")
        place = {k: v for k in ("postcode", "city", "province") if (v := row.get(k))}
        country = row.get("country") or "IT"
        address = None
        if lines:
            address = PostalAddress(lines, country=country, **place)
        elif place:
            row.fail("address", f"{', '.join(place)} given without a street line in 'address'")
        name = row.need("name")
        ibans = split_ibans(row.get("iban") or "")
        for iban in ibans:
            if why := _iban_error(iban):
                row.fail("iban", f"{iban!r} is not a valid IBAN: {why}")
        debtor = None
        if debtor_id is not None and name is not None:
            debtor = row.build(
                Debtor,
                debtor_id,
                name,
                kind=cast(DebtorKind, row.get("kind") or "business"),
                vat_number=row.get("vat_number"),
                tax_code=row.get("tax_code"),
                country=country,
                locale=row.get("locale") or "it_IT",
                timezone=row.get("timezone"),
                email=row.get("email"),
                pec=row.get("pec"),
                phone=row.get("phone"),
                address=address,
                contact_person=row.get("contact_person"),
                opt_out=row.split("opt_out"),
                tags=row.split("tags"),
                block=row.get("block"),
                policy=row.get("policy"),
                ibans=() if "iban" in row.failed else ibans,
            )
        if debtor is not None and row.ok:
            known.debtors[debtor.id] = debtor
        elif debtor_id is not None:
            known.bad_debtors.setdefault(debtor_id, row.line)


@attrs.define
class _Line:
    """One parsed row of ``invoices.csv``."""

    row: _Row
    debtor_id: str | None
    number: str | None
    issue_date: date | None
    due_date: date | None
    amount: Money | None
    currency: str
    documents: tuple[Document, ...]
    performed_on: date | None


#: The columns the instalment rows of one invoice must agree on.
_AGREE = ("debtor_id", "issue_date", "number", "currency", "performed_on")


def _documents(row: _Row) -> tuple[Document, ...]:
    documents = []
    for pair in row.split("documents"):
        kind, _, reference = pair.partition(":")
        if not kind.strip() or not reference.strip():
            row.fail("documents", f"{pair!r} is not a kind:reference pair (e.g. order:ORD-12)")
        else:
            documents.append(Document(kind.strip(), reference.strip()))
    return tuple(documents)


def _invoices(rows: list[_Row], known: _Known) -> list[CreditNote]:
    """Group invoice rows into `Invoice` records (kept in ``known``); return the credit
    notes, which are checked once every invoice is known."""
    groups: dict[str, list[_Line]] = {}
    notes: list[_Row] = []
    for row in rows:
        invoice_id = row.need("invoice_id")
        kind = row.get("kind") or "invoice"
        if kind == "credit_note":
            row.record = f"credit note {invoice_id}" if invoice_id else "credit note"
            notes.append(row)
            continue
        row.record = f"invoice {invoice_id}" if invoice_id else "invoice"
        if kind != "invoice":
            row.fail("kind", f"{kind!r} is neither 'invoice' nor 'credit_note'")
        row.unused(["applies_to"], "on an invoice (only on a credit note)")
        currency = row.currency()
        line = _Line(
            row,
            debtor_id=known.debtor(row),
            number=row.get("number"),
            issue_date=row.date("issue_date"),
            due_date=row.date("due_date"),
            amount=row.money("amount", currency),
            currency=currency,
            documents=_documents(row),
            performed_on=row.date("performed_on", required=False),
        )
        if invoice_id is not None:
            groups.setdefault(invoice_id, []).append(line)
    numbers: dict[tuple[str, int], tuple[str, int]] = {}
    for invoice_id, lines in groups.items():
        first = lines[0]
        if first.number is not None and first.issue_date is not None:
            year = first.issue_date.year
            earlier, at = numbers.setdefault((first.number, year), (invoice_id, first.row.line))
            if earlier != invoice_id:
                first.row.fail(
                    "number",
                    f"number {first.number!r} of {year} is already invoice {earlier!r} (line "
                    f"{at}): each invoice of a year has its own number",
                )
        _invoice(invoice_id, lines, known)
    return _credit_notes(notes, known)


def _show(value: object) -> str:
    return "(empty)" if value is None else str(value)


def _invoice(invoice_id: str, lines: list[_Line], known: _Known) -> None:
    first = lines[0]
    seen: dict[tuple[date, Money], int] = {}
    for line in lines:
        if line.due_date is None or line.amount is None:
            continue
        if line.issue_date is not None and line.due_date < line.issue_date:
            line.row.fail("due_date", f"{line.due_date} is before the issue date {line.issue_date}")
        earlier = seen.setdefault((line.due_date, line.amount), line.row.line)
        if earlier != line.row.line:
            line.row.fail(
                "invoice_id",
                f"repeats line {earlier} exactly (same invoice, due date and amount): delete "
                "the duplicated row, or give the instalment its own due date",
            )
    for line in lines[1:]:
        for column in _AGREE:
            mine, theirs = getattr(line, column), getattr(first, column)
            if mine != theirs and column not in line.row.failed | first.row.failed:
                line.row.fail(
                    column,
                    f"instalment rows of invoice {invoice_id!r} disagree: {_show(mine)} here, "
                    f"{_show(theirs)} on line {first.row.line}",
                )
    invoice = None
    if all(line.row.ok for line in lines):
        assert first.debtor_id is not None  # the rows are ok
        assert first.issue_date is not None
        documents = tuple(dict.fromkeys(d for line in lines for d in line.documents))
        items = [first.row.build(OpenItem, line.due_date, line.amount) for line in lines]
        invoice = first.row.build(
            Invoice,
            invoice_id,
            first.debtor_id,
            first.issue_date,
            items,
            number=first.number,
            documents=documents,
            performed_on=first.performed_on,
        )
    if invoice is not None and first.row.ok:
        known.invoices[invoice_id] = invoice
        return
    bad = next(line.row for line in lines if line.row.errors or line.row.knock_on)
    known.bad_invoices[invoice_id] = bad.line
    for line in lines:
        if line.row.ok:
            line.row.drop(None, f"left out with invoice {invoice_id!r} (see line {bad.line})")


def _credit_notes(rows: list[_Row], known: _Known) -> list[CreditNote]:
    notes: list[CreditNote] = []
    seen: set[str] = set()
    for row in rows:
        note_id = row.get("invoice_id")
        if note_id in known.invoices or note_id in known.bad_invoices or note_id in seen:
            row.fail("invoice_id", f"the id {note_id!r} is already used in {INVOICES}")
        row.unused(["number", "due_date", "documents", "performed_on"], "on a credit note")
        debtor_id = known.debtor(row)
        when = row.date("issue_date")
        currency = row.currency()
        amount = row.money("amount", currency)
        invoice = known.invoice(row, "applies_to", debtor_id)
        if note_id and debtor_id and when and amount and row.ok:
            note = row.build(
                CreditNote, note_id, debtor_id, when, amount, invoice.id if invoice else None
            )
            if note is not None:
                notes.append(note)
        if note_id:
            seen.add(note_id)
    return notes


def _payments(rows: list[_Row], known: _Known) -> list[Payment]:
    payments: list[Payment] = []
    seen: dict[str, int] = {}
    for row in rows:
        payment_id = row.need("payment_id")
        row.record = f"payment {payment_id}" if payment_id else "payment"
        if payment_id in seen:
            row.fail(
                "payment_id", f"payment {payment_id!r} appears twice (line {seen[payment_id]})"
            )
        debtor_id = known.debtor(row)
        when = row.date("date")
        amount = row.money("amount", row.currency())
        if payment_id and debtor_id and when and amount and row.ok:
            payment = row.build(Payment, payment_id, debtor_id, when, amount, row.get("reference"))
            if payment is not None:
                payments.append(payment)
        if payment_id:
            seen.setdefault(payment_id, row.line)
    return payments


#: The event names of ``events.csv``: for each, the cells it needs and the optional ones it
#: may use (any other cell of the row must be empty).
_EVENT_CELLS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "promise": (("until",), ("amount", "currency", "note")),
    "dispute": (("invoice_id",), ("note",)),
    "dispute_resolved": (("invoice_id",), ("note",)),
    "block": ((), ("note",)),
    "unblock": ((), ("note",)),
    "reply": ((), ("kind", "reference", "channel", "until", "invoice_id", "note")),
    "plan": (("due_date", "amount"), ("currency", "note")),
    "document": (("invoice_id", "kind", "reference"), ("sha256",)),
    "documents_sent": ((), ("note",)),
    "hand_over_approved": ((), ("note",)),
    "address_updated": (("channel",), ()),
    "write_off": ((), ("invoice_id", "note")),
}
#: The cells every event row has.
_EVENT_COMMON = ("date", "debtor_id", "event")
#: The channels whose address a debtor can give (the agency is not one).
_ADDRESS_CHANNELS = tuple(c for c in CHANNELS if c != "agency")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def _one_of(row: _Row, column: str, value: str, valid: Iterable[str], what: str) -> bool:
    """Whether ``value`` is one of ``valid``; if not, a problem that lists them (with the
    closest one first when it looks like a typo)."""
    valid = tuple(valid)
    if value in valid:
        return True
    close = difflib.get_close_matches(value, valid, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    row.fail(column, f"{value!r} is not {what}; {hint}use one of {', '.join(valid)}")
    return False


@attrs.define
class _PlanRow:
    """One instalment row of a payment plan in ``events.csv``."""

    row: _Row
    due_date: date | None
    amount: Money | None


def _events(rows: list[_Row], known: _Known) -> list[Event]:
    # a plan's rows are gathered under (debtor, date) and built at the place of its first row
    slots: list[Event | tuple[str, date]] = []
    plans: dict[tuple[str, date], list[_PlanRow]] = {}
    for row in rows:
        name = row.need("event")
        row.record = f"{name or 'event'} of {row.get('debtor_id') or '?'}"
        debtor_id = known.debtor(row)
        when = row.date("date")
        if name is None or not _one_of(row, "event", name, _EVENT_CELLS, "an event"):
            continue
        needed, optional = _EVENT_CELLS[name]
        for column in needed:
            row.need(column)
        row.unused(
            (c for c in COLUMNS[EVENTS] if c not in _EVENT_COMMON + needed + optional),
            f"by a {name!r} event",
        )
        if name == "plan":
            # presence is checked above
            due_date = row.date("due_date", required=False)
            line = _PlanRow(row, due_date, row.money("amount", row.currency(), required=False))
            if debtor_id is not None and when is not None:
                key = (debtor_id, when)
                if key not in plans:
                    slots.append(key)
                plans.setdefault(key, []).append(line)
            continue
        event = _event(row, name, when, debtor_id, known)
        if event is not None and row.ok:
            slots.append(event)
    built = {key: _plan(key, lines, known) for key, lines in plans.items()}
    events: list[Event] = []
    for slot in slots:
        event = built[slot] if isinstance(slot, tuple) else slot
        if event is not None:
            events.append(event)
    return events


def _first_date(pair: tuple[date, Money]) -> date:
    return pair[0]


def _plan(key: tuple[str, date], lines: list[_PlanRow], known: _Known) -> PlanAgreed | None:
    """The `PlanAgreed` of the rows of one debtor and date (one row per instalment)."""
    debtor_id, when = key
    first = lines[0]
    seen: dict[date, int] = {}
    currencies = {i.currency for i in known.invoices.values() if i.debtor_id == debtor_id}
    for line in lines:
        row = line.row
        if line.due_date is not None:
            if line.due_date < when:
                row.fail("due_date", f"{line.due_date} is before the plan was agreed ({when})")
            earlier = seen.setdefault(line.due_date, row.line)
            if earlier != row.line:
                row.fail(
                    "due_date",
                    f"line {earlier} of the same plan is due on {line.due_date} too: each "
                    "instalment has its own due date (add the amounts up on one row)",
                )
        if line.amount is None:
            continue
        currency = line.amount.currency
        if first.amount is not None and currency != first.amount.currency:
            row.fail(
                "currency",
                f"the rows of one plan disagree: {currency} here, {first.amount.currency} on "
                f"line {first.row.line}",
            )
        elif currencies and currency not in currencies:
            row.fail(
                "currency",
                f"debtor {debtor_id!r} is invoiced only in {', '.join(sorted(currencies))}: "
                f"a plan in {currency} would pay nothing",
            )
    plan = None
    pairs = [(ln.due_date, ln.amount) for ln in lines]
    instalments = sorted(
        ((day, amount) for day, amount in pairs if day is not None and amount is not None),
        key=_first_date,
    )
    if all(line.row.ok for line in lines) and len(instalments) == len(lines):
        notes = dict.fromkeys(n for ln in lines if (n := ln.row.get("note")))
        plan = first.row.build(
            PlanAgreed, when, debtor_id, instalments=instalments, note="; ".join(notes)
        )
    if plan is not None:
        return plan
    bad = next((ln.row for ln in lines if not ln.row.ok), first.row)
    for line in lines:
        if line.row.ok:
            line.row.drop(None, f"left out with the payment plan of line {bad.line}")
    return None


def _event(
    row: _Row, name: str, when: date | None, debtor_id: str | None, known: _Known
) -> Event | None:
    note = row.get("note") or ""
    needed, optional = _EVENT_CELLS[name]
    uses_invoice = "invoice_id" in needed + optional
    invoice = known.invoice(row, "invoice_id", debtor_id) if uses_invoice else None
    channel = row.get("channel")
    if channel is not None:
        valid = _ADDRESS_CHANNELS if name == "address_updated" else CHANNELS
        if not _one_of(row, "channel", channel, valid, "a channel"):
            channel = None
    if when is None or debtor_id is None:
        return None
    if name == "promise":
        until = row.date("until", required=False)  # its presence is checked above
        amount = row.money("amount", row.currency(), required=False)
        if row.get("currency") and amount is None and "amount" not in row.failed:
            row.fail("currency", "is given without an amount")
        if until is not None and until < when:
            row.fail("until", f"{until} is before the promise was made ({when})")
        return None if until is None else PromiseToPay(when, debtor_id, until, amount, note)
    if name == "reply":
        return _reply(row, when, debtor_id, invoice, channel or "", note)
    if name == "document":
        return _document_added(row, when, debtor_id, invoice)
    if name == "block":
        return BlockSet(when, debtor_id, reason=note)
    if name == "unblock":
        return BlockLifted(when, debtor_id, note=note)
    if name == "documents_sent":
        return DocumentsSent(when, debtor_id, note=note)
    if name == "hand_over_approved":
        return HandOverApproved(when, debtor_id, note=note)
    if name == "address_updated":
        return None if channel is None else AddressUpdated(when, debtor_id, channel)
    if name == "write_off":
        keys = tuple(invoice.item_key(item) for item in invoice.items) if invoice else ()
        return WrittenOff(when, debtor_id, items=keys, reason=note)
    if invoice is None:
        return None
    if name == "dispute":
        return DisputeOpened(when, debtor_id, invoice.id, reason=note)
    return DisputeResolved(when, debtor_id, invoice.id, note=note)


def _reply(
    row: _Row, when: date, debtor_id: str, invoice: Invoice | None, channel: str, note: str
) -> DebtorReplied | None:
    kind = row.get("kind") or "other"
    if not _one_of(row, "kind", kind, REPLY_KINDS, "a kind of reply"):
        return None
    until = row.date("until", required=False)
    if until is not None:
        if kind != "promise":
            row.fail(
                "until",
                f"is used only by a reply of kind 'promise' (the day it promises to pay by), "
                f"not {kind!r}; leave the cell empty",
            )
        elif until < when:
            row.fail("until", f"{until} is before the reply ({when})")
    return row.build(
        DebtorReplied,
        when,
        debtor_id,
        note=note,
        channel=channel,
        kind=cast(ReplyKind, kind),
        reference=row.get("reference") or "",
        until=until,
        invoice_id=invoice.id if invoice else None,
    )


def _document_added(
    row: _Row, when: date, debtor_id: str, invoice: Invoice | None
) -> DocumentAdded | None:
    kind, reference, sha256 = row.get("kind"), row.get("reference"), row.get("sha256")
    if sha256 is not None and not _SHA256.match(sha256):
        row.fail("sha256", f"{sha256!r} is not a SHA-256 hash (64 hexadecimal digits)")
    if invoice is None or kind is None or reference is None:
        return None
    document = Document(kind, reference, sha256.lower() if sha256 else None)
    return DocumentAdded(when, debtor_id, invoice.id, document)


# -- the folder ------------------------------------------------------------------------------


def _order(error: DataError) -> tuple[int, int]:
    source = error.source if error.source in _FILES else CONFIG
    return _FILES.index(source), error.line or 0


def read_folder(
    folder: str | os.PathLike[str], *, on_error: Literal["raise", "skip"] = "raise"
) -> Folder:
    """Read ``dunning.toml``, ``debtors.csv``, ``invoices.csv``, ``payments.csv`` and, when
    present, ``events.csv`` and ``call_outcomes.csv`` (`dunning.calls.read_call_outcomes`)
    from ``folder``.

    Every problem in every file is collected. With ``on_error="raise"`` one `DataError` lists
    them all in ``errors``; with ``"skip"`` bad rows are left out (with every row that depends
    on them) and reported in `Folder.rejected`. A missing file raises `FileNotFoundError`.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"no folder {str(folder)!r}")
    missing = [n for n in _FILES if n not in _OPTIONAL_FILES and not (path / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{' and '.join(missing)} not found in folder {str(folder)!r}")

    fatal: list[DataError] = []
    config = _Config(path / CONFIG, fatal)
    tables = {
        name: _read_csv(path / name, fatal) if (path / name).is_file() else []
        for name in (DEBTORS, INVOICES, PAYMENTS, EVENTS)
    }
    if any(rows is None for rows in tables.values()):
        raise DataError(f"{len(fatal)} problem(s) in {folder}", errors=tuple(fatal))
    rows = {name: table or [] for name, table in tables.items()}

    known = _Known()
    _debtors(rows[DEBTORS], known)
    notes = _invoices(rows[INVOICES], known)
    payments = _payments(rows[PAYMENTS], known)
    events = _events(rows[EVENTS], known)

    every = [row for table in rows.values() for row in table]
    errors = fatal + [e for row in every for e in row.errors]
    if errors and (on_error == "raise" or fatal or config.creditor is None):
        errors.sort(key=_order)
        raise DataError(f"{len(errors)} problem(s) in {folder}", errors=tuple(errors))
    assert config.creditor is not None
    rejected = sorted(errors + [e for row in every for e in row.knock_on], key=_order)
    portfolio = Portfolio(
        config.creditor,
        tuple(known.debtors.values()),
        tuple(known.invoices.values()),
        tuple(payments),
        tuple(notes),
        tuple(events),
    )
    if (path / CALL_OUTCOMES).is_file():
        from ..calls import read_call_outcomes

        # its problems raise at once (one DataError naming the lines and columns)
        calls = read_call_outcomes(path / CALL_OUTCOMES, portfolio)
        portfolio = attrs.evolve(portfolio, events=portfolio.events + calls)
    return Folder(
        path,
        portfolio,
        config.policy,
        config.per_invoice,
        tuple(rejected),
        config.channels,
        config.incoming,
    )
