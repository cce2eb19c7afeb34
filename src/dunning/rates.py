"""Interest reference rates as data: rows with their sources, from files a user can update.

Statutory interest is a reference rate published every six months (or every year) plus a
margin the law fixes. The margins are code (`dunning.interest`); the reference rates are data,
kept here in `RateSet` values with the source of every row, and layered:

1. rates given in Python on a regime object (``ItalyCommercial(reference_rates=...)``);
2. rates the user supplies: ``dunning.toml`` ``[interest.reference_rates."it-231"]``,
   ``Policy(interest_rates=...)``, every preset's ``interest_rates=``;
3. rates files of installed data packages (entry point group ``dunning.interest_rates``),
   so rates can be updated between releases the way ``tzdata`` updates time zones;
4. the rates dunning ships with (``dunning/data/interest_rates.toml``).

The first layer that has a row for the period wins; within a layer the regime's own key
(``"it-231"``) comes before its series (``"ecb"``). A period nobody published stays unknown:
nothing here guesses.

**The rates file format** (format 1) is TOML::

    format = 1

    [reference_rates.ecb]                    # a series or a regime key
    "2026-H1" = { rate = "2.15", source = "GU n. 15 of 20/01/2026" }
    "2026-H2" = "2.15"                       # a bare rate: the source is the file

    [reference_rates.it-legal]
    "2027" = { rate = "1.6", source = "DM 10/12/2026", verify = true }

Periods are ``"YYYY-H1"`` / ``"YYYY-H2"`` for the semester series and ``"YYYY"`` for the
yearly ones; rates are percent per year written as strings (TOML floats are refused: rates
are decimals). ``dunning.toml`` takes the same rows under ``[interest.reference_rates]``.

>>> rates = RateSet.parse({"it-231": {"2026-H2": "2.15"}}, origin="dunning.toml")
>>> rates.get("it-231", "2026-H2").value
Decimal('2.15')
>>> builtin_rates().get("ecb", "2026-H1").source
'GU n. 15 of 20/01/2026'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from importlib.metadata import entry_points
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal, TypeAlias

import attrs

from .errors import DunningError

__all__ = [
    "SERIES",
    "PeriodKind",
    "Rate",
    "RateSet",
    "RatesError",
    "RatesLike",
    "builtin_rates",
    "installed_rates",
    "iter_rows",
    "load_rates",
    "lookup",
    "period_kind",
    "period_of",
    "period_start",
    "periods_between",
    "to_rates",
]

FORMAT = 1

#: The reference-rate series and what each one is; regimes name the one they add a margin to.
SERIES: Mapping[str, str] = {
    "ecb": "ECB main refinancing rate fixed per semester (it-231, fr-l441-10, es-3-2004)",
    "it-legal": "Italian legal interest rate per year, art. 1284 c.c. (it-legal)",
    "de-basiszinssatz": "German Basiszinssatz per half-year, § 247 BGB (de-288)",
    "boe-bank-rate": "Bank of England Bank Rate on 31 Dec / 30 Jun (uk-1998)",
}

PeriodKind: TypeAlias = Literal["semester", "year"]

RatesLike: TypeAlias = "RateSet | Mapping[str, Mapping[str, object]] | None"
"""What ``interest_rates=`` takes: a `RateSet`, or ``{key: {period: rate}}``."""

_SEMESTER = re.compile(r"^(\d{4})-H([12])$")
_YEAR = re.compile(r"^(\d{4})$")


class RatesError(DunningError, ValueError):
    """A rates file or a ``[interest.reference_rates]`` table that cannot be used.

    ``where`` names the file (or ``dunning.toml``) and ``key`` the table and row.
    """

    def __init__(self, where: str, key: str, problem: str) -> None:
        self.where = where
        self.key = key
        self.problem = problem
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


def period_kind(period: str) -> PeriodKind | None:
    """``"semester"`` for ``"2026-H2"``, ``"year"`` for ``"2026"``, else None."""
    if _SEMESTER.match(period):
        return "semester"
    if _YEAR.match(period):
        return "year"
    return None


def period_of(day: date, kind: PeriodKind) -> str:
    """The period of ``kind`` that contains ``day``: ``"2026-H2"`` or ``"2026"``."""
    if kind == "year":
        return f"{day.year}"
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def period_start(period: str) -> date:
    """The first day of ``period``."""
    found = _SEMESTER.match(period)
    if found:
        return date(int(found.group(1)), 1 if found.group(2) == "1" else 7, 1)
    found = _YEAR.match(period)
    if found:
        return date(int(found.group(1)), 1, 1)
    raise ValueError(f"{period!r} is not a period like '2026-H2' or '2026'")


def periods_between(start: date, end: date, kind: PeriodKind) -> list[str]:
    """Every period of ``kind`` that has a day in ``[start, end]``, in order."""
    out: list[str] = []
    day = start
    while day <= end:
        period = period_of(day, kind)
        out.append(period)
        first = period_start(period)
        day = (
            date(first.year + 1, 1, 1)
            if kind == "year" or first.month == 7
            else date(first.year, 7, 1)
        )
    return out


@attrs.frozen
class Rate:
    """One row: the reference rate (percent per year) of a period, and where it comes from.

    ``source`` is the publication (``"GU n. 15 of 20/01/2026"``); ``origin`` the layer that
    supplied it (``"built-in"``, ``"dunning.toml"``, ``"package dunning-rates-it"``...);
    ``verify`` marks a figure taken from a secondary source only.
    """

    period: str
    value: Decimal
    source: str
    origin: str
    verify: bool = False


def _check_rate(value: object, where: str, key: str) -> Decimal:
    if isinstance(value, bool | float):
        raise RatesError(
            where,
            key,
            f'write the rate as a string ("{value}"), not a TOML {type(value).__name__}: '
            "rates are decimals",
        )
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):
        raise RatesError(where, key, f'expected a rate like "2.15", not {value!r}')
    text = value.strip()
    if text in ("", "?", "…", "...") or (text.startswith("<") and text.endswith(">")):
        raise RatesError(
            where, key, "no rate given: write the reference rate published for this period"
        )
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise RatesError(where, key, f'{value!r} is not a decimal number like "2.15"') from None
    if not rate.is_finite() or not Decimal(-10) <= rate <= Decimal(50):
        raise RatesError(where, key, f"{value!r} is not a plausible rate in percent per year")
    return rate


@attrs.frozen(repr=False)
class RateSet:
    """Reference rates by series (or regime key) and period; later layers lose.

    ``tables`` holds ``(key, rows)`` pairs sorted by key, rows sorted by period. Build one with
    `RateSet.parse` (the shape of a rates file's ``[reference_rates]``), `load_rates` (a
    file) or `RateSet.of` (a mapping of plain values, for Python users).
    """

    tables: tuple[tuple[str, tuple[Rate, ...]], ...] = ()

    @classmethod
    def parse(
        cls,
        data: Mapping[str, object],
        *,
        origin: str,
        where: str | None = None,
        prefix: str = "reference_rates",
    ) -> RateSet:
        """Rates from ``{key: {period: rate | {rate, source, verify}}}``; ``origin`` names the
        layer (and the default source); ``where`` the file and ``prefix`` the table for error
        messages."""
        place = where or origin
        if not isinstance(data, Mapping):
            raise RatesError(place, f"[{prefix}]", "must be a table of series")
        tables: dict[str, tuple[Rate, ...]] = {}
        for key, rows in data.items():
            table = f"[{prefix}.{_quote(key)}]"
            if not isinstance(rows, Mapping):
                raise RatesError(place, table, f"must be a table of periods, not {rows!r}")
            kinds = set()
            parsed = []
            for period, value in rows.items():
                row = f"{table} {_quote(period)}"
                kind = period_kind(str(period))
                if kind is None:
                    raise RatesError(
                        place,
                        row,
                        'a period is "YYYY-H1", "YYYY-H2" (semesters) or "YYYY" (years)',
                    )
                kinds.add(kind)
                source, verify = origin, False
                if isinstance(value, Mapping):
                    unknown = set(value) - {"rate", "source", "verify"}
                    if unknown:
                        raise RatesError(
                            place,
                            row,
                            f"unknown field(s) {sorted(unknown)}; expected rate, source, verify",
                        )
                    if "rate" not in value:
                        raise RatesError(place, row, "the field 'rate' is missing")
                    src = value.get("source", origin)
                    if not isinstance(src, str) or not src.strip():
                        raise RatesError(place, row, "'source' must be a non-empty string")
                    flag = value.get("verify", False)
                    if not isinstance(flag, bool):
                        raise RatesError(place, row, "'verify' must be true or false")
                    source, verify, value = src.strip(), flag, value["rate"]
                rate = _check_rate(value, place, row)
                parsed.append(Rate(str(period), rate, source, origin, verify))
            if len(kinds) > 1:
                raise RatesError(place, table, "mixes semesters and years; use one kind")
            tables[str(key)] = tuple(sorted(parsed, key=lambda r: r.period))
        return cls(tuple(sorted(tables.items())))

    @classmethod
    def of(cls, value: RateSet | Mapping[str, Mapping[str, object]] | None) -> RateSet:
        """``value`` as a `RateSet` (a mapping is parsed with origin ``"supplied"``)."""
        if value is None:
            return cls()
        if isinstance(value, RateSet):
            return value
        return cls.parse(value, origin="supplied")

    def __repr__(self) -> str:
        return f"RateSet({self.tables!r})" if self.tables else "RateSet()"

    def names(self) -> list[str]:
        """The series and regime keys that have rows."""
        return [key for key, _ in self.tables]

    def rows(self, key: str) -> tuple[Rate, ...]:
        for name, rows in self.tables:
            if name == key:
                return rows
        return ()

    def get(self, key: str, period: str) -> Rate | None:
        for row in self.rows(key):
            if row.period == period:
                return row
        return None

    def __bool__(self) -> bool:
        return bool(self.tables)

    def __or__(self, other: RateSet) -> RateSet:
        """The rows of both; where both have a row, ``self``'s wins."""
        merged: dict[str, dict[str, Rate]] = {}
        for layer in (other, self):
            for key, rows in layer.tables:
                merged.setdefault(key, {}).update({row.period: row for row in rows})
        return RateSet(
            tuple(
                (key, tuple(sorted(rows.values(), key=lambda r: r.period)))
                for key, rows in sorted(merged.items())
            )
        )


def to_rates(value: RatesLike) -> RateSet:
    """``value`` as a `RateSet` (an attrs converter): see `RateSet.of`."""
    return RateSet.of(value)


def _quote(key: object) -> str:
    text = str(key)
    return text if re.fullmatch(r"[A-Za-z0-9_]+", text) else f'"{text}"'


def load_rates(source: str | Path | Traversable | bytes, *, origin: str | None = None) -> RateSet:
    """Read a rates file (see the module docstring) from a path, a package resource or bytes."""
    if isinstance(source, bytes):
        where, raw = "<rates file>", source
    else:
        path = Path(source) if isinstance(source, str) else source
        where, raw = str(path), path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RatesError(where, "", f"is not a UTF-8 TOML rates file: {exc}") from None
    version = data.get("format")
    if version != FORMAT:
        raise RatesError(
            where, "format", f"this dunning reads rates files of format {FORMAT}, not {version!r}"
        )
    unknown = set(data) - {"format", "reference_rates"}
    if unknown:
        raise RatesError(where, "", f"unknown key(s) {sorted(unknown)}")
    return RateSet.parse(data.get("reference_rates", {}), origin=origin or where, where=where)


@cache
def builtin_rates() -> RateSet:
    """The rates dunning ships with (``dunning/data/interest_rates.toml``)."""
    return load_rates(
        resources.files("dunning") / "data" / "interest_rates.toml", origin="built-in"
    )


def _from_entry_point(name: str, loaded: object) -> RateSet:
    origin = f"package {name}"
    value = loaded() if callable(loaded) and not isinstance(loaded, type) else loaded
    if isinstance(value, RateSet):
        return value
    if isinstance(value, Mapping):
        return RateSet.parse(value, origin=origin)
    if isinstance(value, str | bytes | Path | Traversable):
        return load_rates(value, origin=origin)
    raise RatesError(
        f"entry point {name!r} in group 'dunning.interest_rates'",
        "",
        f"gave {type(value).__name__}; expected a path to a rates file, its bytes, "
        "a mapping in its shape or a RateSet",
    )


@cache
def _packaged() -> RateSet:
    found = RateSet()
    for ep in sorted(entry_points(group="dunning.interest_rates"), key=lambda e: e.name):
        # an earlier entry point (by name) wins over a later one
        found = found | _from_entry_point(ep.name, ep.load())
    return found


@cache
def installed_rates() -> RateSet:
    """The rates of installed data packages (entry points) over the built-in ones (merged once:
    every rate lookup reads them)."""
    return _packaged() | builtin_rates()


def _reset() -> None:
    """Forget the cached rates (for tests that install entry points)."""
    installed_rates.cache_clear()
    _packaged.cache_clear()
    builtin_rates.cache_clear()


def lookup(layers: Iterable[RateSet], keys: Iterable[str], period: str) -> Rate | None:
    """The first row for ``period`` among ``layers`` (in order), each layer trying ``keys`` in
    order."""
    names = list(keys)
    for layer in layers:
        for key in names:
            row = layer.get(key, period)
            if row is not None:
                return row
    return None


def iter_rows(layers: Iterable[RateSet], keys: Iterable[str]) -> Iterator[Rate]:
    """Every period's winning row, in period order."""
    layers, names = list(layers), list(keys)
    periods = {row.period for layer in layers for key in names for row in layer.rows(key)}
    for period in sorted(periods, key=period_start):
        row = lookup(layers, names, period)
        if row is not None:
            yield row
