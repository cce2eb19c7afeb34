"""Statutory late-payment interest: regimes as strategy objects, and `compute`.

`compute(principal, due_date, until, regime)` returns the interest on one open item with a
breakdown per rate period. Interest accrues from the day **after** ``due_date`` up to and
**including** ``until`` (zero when ``until <= due_date``); it is simple interest, never
compounded:

    period amount = principal × rate / 100 × days / day_count

A new period starts at every rate change (semester or year of the regime's table), at every
change of the day-count denominator (a leap year under an actual/actual regime) and the day after
every partial payment's value date (from that day the principal is lower).

**Rounding.** Each period's amount is rounded to the currency's minor units with ``ROUND_HALF_UP``
(the amount a person checks line by line on a statement), and the total is the sum of the rounded
period amounts, so the lines always add up to the total shown. The unrounded figures are kept in
``exact`` on the result and on every period.

>>> from dunning.money import Money
>>> r = compute(Money("1000.00", "EUR"), date(2025, 3, 31), date(2025, 9, 30), "it-231")
>>> r.amount
Money('53.38', 'EUR')
>>> [(str(p.start), str(p.end), p.days, p.rate, p.amount) for p in r.periods]
[('2025-04-01', '2025-06-30', 91, Decimal('11.15'), Money('27.80', 'EUR')), \
('2025-07-01', '2025-09-30', 92, Decimal('10.15'), Money('25.58', 'EUR'))]

Regimes are found by key (``"it-231"``, ``"it-legal"``, ``"eu-2011-7"``, ``"de-288"``,
``"fr-l441-10"``, ``"es-3-2004"``, ``"uk-1998"``) or by entry point in the group
``dunning.interest`` for third-party ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib.metadata import entry_points
from typing import ClassVar, TypeAlias

import attrs

from .errors import DunningError
from .money import Money
from .rates import (
    PeriodKind,
    RatesError,
    RateSet,
    installed_rates,
    iter_rows,
    lookup,
    period_kind,
    period_of,
    period_start,
    periods_between,
)

__all__ = [
    "REGIMES",
    "Coverage",
    "EUDirective2011_7",
    "FranceL441_10",
    "GermanyBGB288",
    "InterestPeriod",
    "InterestResult",
    "ItalyCommercial",
    "ItalyLegal",
    "Regime",
    "SpainLey3_2004",
    "UKLatePayment1998",
    "UnknownRate",
    "compute",
    "coverage",
    "get_regime",
    "known_keys",
    "semester_of",
]

Semester: TypeAlias = tuple[int, int]
"""``(year, half)`` with ``half`` 1 (January–June) or 2 (July–December)."""

D = Decimal


def semester_of(day: date) -> Semester:
    """The semester ``(year, 1 | 2)`` that contains ``day``."""
    return (day.year, 1 if day.month <= 6 else 2)


class UnknownRate(DunningError, LookupError):  # noqa: N818  (names the situation, like KeyError)
    """The regime's table has no rate for a date and the caller supplied none."""

    def __init__(self, regime: str, period: str, hint: str = "") -> None:
        self.regime = regime
        self.period = period
        message = f"{regime}: no published rate for {period}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)


# -- rate tables ----------------------------------------------------------------------------
#
# The reference rates are data with their sources: `dunning.rates` reads them from the file
# dunning ships (dunning/data/interest_rates.toml), from installed data packages and from what
# the user supplies. Each regime names its series there and adds its own margin here.


# -- frozen mappings for attrs fields -----------------------------------------------------


def _freeze_rates(
    value: Mapping[Semester, Decimal | int | str] | Sequence[tuple[Semester, Decimal]] | None,
) -> tuple[tuple[Semester, Decimal], ...]:
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    frozen = []
    for key, rate in items:
        year, half = key
        if half not in (1, 2):
            raise ValueError(f"semester {key!r}: half must be 1 (Jan–Jun) or 2 (Jul–Dec)")
        frozen.append(((int(year), int(half)), _to_rate(rate)))
    return tuple(sorted(frozen))


def _freeze_years(
    value: Mapping[int, Decimal | int | str] | Sequence[tuple[int, Decimal]] | None,
) -> tuple[tuple[int, Decimal], ...]:
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((int(year), _to_rate(rate)) for year, rate in items))


def _to_rate(value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise TypeError(f"rates must be Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"rate {value!r} is not a decimal number") from None
    raise TypeError(f"rates must be Decimal, int or str, not {type(value).__name__}")


def _optional_rate(value: object) -> Decimal | None:
    return None if value is None else _to_rate(value)


def _repr_mapping(value: tuple[tuple[object, Decimal], ...]) -> str:
    return repr(dict(value))


# -- regimes --------------------------------------------------------------------------------


@attrs.frozen
class Regime:
    """Base class of interest regimes: a rate per day and a day-count denominator.

    Subclasses set ``key`` (the registry name) and implement `rate_on`; they may override
    `day_count` (default 365) and `change_dates` (default: every 1 January and 1 July, where
    the published tables change). A regime with ``rate_fixed_at_start = True`` applies the
    rate of the day interest starts to run for the whole claim (the UK Act).

    Regimes built on a published reference rate name its ``series`` in `dunning.rates`
    (``"ecb"``, ``"de-basiszinssatz"``...) and its ``period`` (``"semester"`` or ``"year"``);
    `with_rates` gives a copy that also knows rates the user supplied.
    ``interest_limitation_years``: after how many years accrued interest prescribes (art.
    2948 n. 4 c.c.: 5 in Italy), None where the statement does not check it.
    """

    key: ClassVar[str] = ""
    series: ClassVar[str] = ""
    period: ClassVar[PeriodKind] = "semester"
    reference_name: ClassVar[str] = "reference rate"
    rate_fixed_at_start: ClassVar[bool] = False
    interest_limitation_years: ClassVar[int | None] = None
    #: the attrs field holding rates supplied in Python (semesters or years)
    supplied_field: ClassVar[str] = "reference_rates"
    #: what to look up for a period: formatted with ``start`` (its first day) and ``eve``
    fixing: ClassVar[str] = "the reference rate for the period from {start:%d/%m/%Y}"

    def rate_on(self, day: date) -> Decimal:
        """Statutory rate in percent per year on ``day``; `UnknownRate` if unpublished."""
        raise NotImplementedError

    def day_count(self, day: date) -> int:
        """Days in the year used as the denominator for ``day``'s interest."""
        return 365

    def change_dates(self, start: date, end: date) -> Iterator[date]:
        """Days in ``(start, end]`` on which the rate or the day count may change."""
        for year in range(start.year, end.year + 1):
            for month in (1, 7):
                day = date(year, month, 1)
                if start < day <= end:
                    yield day

    @property
    def needs_default(self) -> bool:
        """Whether interest runs only once the debtor is put in default (see
        `GermanyBGB288`), rather than from the day after the due date."""
        return False

    @property
    def default_after_days(self) -> int | None:
        """Where `needs_default`: after how many days from the due date the debtor is in
        default without a reminder, if ever."""
        return None

    def supply_lines(self, periods: Iterable[str]) -> str:
        """The ``dunning.toml`` lines that supply ``periods``, each with what to look up (the
        rate itself is left for a person to fill in from the publication).

        >>> print(ItalyCommercial().supply_lines(["2026-H2"]))
        [interest.reference_rates."it-231"]
        "2026-H2" = "<rate>"  # the ECB main refinancing rate in force on 01/07/2026
        """
        rows = [f'"{p}" = "<rate>"  # {self.wanted(p)}' for p in periods]
        return "\n".join([f'[interest.reference_rates."{self.key}"]', *rows])

    def wanted(self, period: str) -> str:
        """What to look up to supply ``period``'s rate, e.g. "the ECB main refinancing rate in
        force on 01/07/2026"."""
        start = period_start(period)
        return self.fixing.format(start=start, eve=start - timedelta(days=1))

    @property
    def rate_keys(self) -> tuple[str, ...]:
        """The `dunning.rates` tables this regime reads: its own key, then its series."""
        return tuple(k for k in (self.key, self.series) if k)

    def with_rates(self, rates: RateSet) -> Regime:
        """A copy that also knows the rows of ``rates`` under this regime's key or series
        (rates already given on this object win)."""
        if not self.series or not hasattr(self, self.supplied_field):
            return self
        have = dict(getattr(self, self.supplied_field))
        for row in iter_rows([rates], self.rate_keys):
            if period_kind(row.period) != self.period:
                raise RatesError(
                    row.origin,
                    f'[interest.reference_rates."{self.key}"] "{row.period}"',
                    f"{self.key} has a rate per {self.period}: write "
                    + ('"2026-H2"' if self.period == "semester" else '"2026"'),
                )
            start = period_start(row.period)
            slot: object = semester_of(start) if self.period == "semester" else start.year
            have.setdefault(slot, row.value)
        return attrs.evolve(self, **{self.supplied_field: have})

    def _published(
        self,
        day: date,
        supplied: tuple[tuple[object, Decimal], ...],
        fallback: Decimal | None,
        fallback_name: str = "fallback_rate",
    ) -> Decimal:
        """The reference rate of ``day``: supplied on this object, else installed or built-in
        (`dunning.rates.installed_rates`), else ``fallback``, else `UnknownRate`."""
        slot: object = semester_of(day) if self.period == "semester" else day.year
        for key, rate in supplied:
            if key == slot:
                return rate
        period = period_of(day, self.period)
        row = lookup([installed_rates()], self.rate_keys, period) if self.series else None
        if row is not None:
            return row.value
        if fallback is not None:
            return fallback
        example = "(2026, 2)" if self.period == "semester" else "2027"
        raise UnknownRate(
            self.key,
            period,
            f"add the {self.reference_name} published for it to dunning.toml as "
            f'[interest.reference_rates."{self.key}"] "{period}" = "<rate>" '
            f"({self.wanted(period)}), or pass "
            f"{self.supplied_field}={{{example}: Decimal(...)}} "
            f"(or {fallback_name}=Decimal(...))",
        )


@attrs.frozen
class ItalyCommercial(Regime):
    """Italy, D.Lgs. 231/2002 art. 5 (as amended by D.Lgs. 192/2012): commercial transactions.

    Rate: the ECB main refinancing rate **of the semester** (in force on 1 January for
    January–June, on 1 July for July–December, published by the Ministry of Economy in the
    Gazzetta Ufficiale) + 8 points; + 7 points for contracts concluded before 1 January 2013
    (``pre_2013=True``, the original art. 5 text). Simple interest "su base giornaliera"
    (art. 2 lett. e), running from the day after the due date without any formal notice.

    Day count: actual days over a fixed 365-day year, also in leap years (Italian practice,
    ``capitale × tasso × giorni / 36500``): 29 February accrues one more day at rate/365.

    A semester no rates table knows raises `UnknownRate` unless the ECB reference rate is
    supplied (``reference_rates={(2026, 2): Decimal("2.15")}``, `with_rates`, or
    ``dunning.toml``) or ``fallback_rate`` (a reference rate for every semester nobody
    published).
    """

    key: ClassVar[str] = "it-231"
    series: ClassVar[str] = "ecb"
    reference_name: ClassVar[str] = "ECB rate"
    fixing: ClassVar[str] = "the ECB main refinancing rate in force on {start:%d/%m/%Y}"
    interest_limitation_years: ClassVar[int | None] = 5

    pre_2013: bool = False
    reference_rates: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )

    @property
    def margin(self) -> Decimal:
        return D(7) if self.pre_2013 else D(8)

    def rate_on(self, day: date) -> Decimal:
        return self._published(day, self.reference_rates, self.fallback_rate) + self.margin


@attrs.frozen
class ItalyLegal(Regime):
    """Italy, art. 1284 c.c.: the legal interest rate, set each year by ministerial decree.

    The rate for consumers' (B2C) debts and for civil obligations. The rate changes on
    1 January. Day count: actual days over a fixed 365-day year, also in leap years (as for
    231/2002). From the filing of a lawsuit the 231/2002 rate applies instead (art. 1284
    co. 4): out of scope for reminders. A year no rates table knows raises `UnknownRate`
    unless given in ``rates={2027: Decimal("1.5")}`` (or ``dunning.toml``) or
    ``fallback_rate``.
    """

    key: ClassVar[str] = "it-legal"
    series: ClassVar[str] = "it-legal"
    period: ClassVar[PeriodKind] = "year"
    reference_name: ClassVar[str] = "legal interest rate"
    fixing: ClassVar[str] = (
        "the legal interest rate for {start:%Y} (art. 1284 c.c., decree of the Ministry of Economy)"
    )
    interest_limitation_years: ClassVar[int | None] = 5
    supplied_field: ClassVar[str] = "rates"

    rates: tuple[tuple[int, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_years, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )

    def rate_on(self, day: date) -> Decimal:
        return self._published(day, self.rates, self.fallback_rate)

    def change_dates(self, start: date, end: date) -> Iterator[date]:
        for year in range(start.year + 1, end.year + 1):
            yield date(year, 1, 1)


@attrs.frozen
class EUDirective2011_7(Regime):  # noqa: N801  (the directive's number reads better)
    """EU Directive 2011/7/EU art. 2(6): the reference rate + at least 8 points.

    For a member state without its own table here: the caller supplies the ``reference_rate``
    (the central bank's rate for the semester, art. 2(7)) and the ``margin`` (at least 8).
    Per-semester rates may be given in ``reference_rates`` (or in ``dunning.toml`` under
    ``[interest.reference_rates."eu-2011-7"]``); ``reference_rate`` applies to every other
    semester. Day count: actual/365 fixed, or actual/actual (366 in leap years) with
    ``actual_actual=True``, to follow the member state's practice.
    """

    key: ClassVar[str] = "eu-2011-7"
    series: ClassVar[str] = "eu-2011-7"
    fixing: ClassVar[str] = (
        "the member state's reference rate (art. 2(7)) for the semester from {start:%d/%m/%Y}"
    )

    reference_rate: Decimal | None = attrs.field(default=None, converter=_optional_rate)
    margin: Decimal = attrs.field(default=D(8), converter=_to_rate)
    reference_rates: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )
    actual_actual: bool = attrs.field(default=False, kw_only=True)

    @margin.validator
    def _check_margin(self, _attribute: object, value: Decimal) -> None:
        if value < 8:
            raise ValueError(
                f"margin {value} is below the directive's minimum of 8 points (art. 2(6))"
            )

    def rate_on(self, day: date) -> Decimal:
        reference = self._published(
            day, self.reference_rates, self.reference_rate, fallback_name="reference_rate"
        )
        return reference + self.margin

    def day_count(self, day: date) -> int:
        return _actual_year(day) if self.actual_actual else 365


def _actual_year(day: date) -> int:
    return (date(day.year + 1, 1, 1) - date(day.year, 1, 1)).days


@attrs.frozen
class GermanyBGB288(Regime):
    """Germany, § 288 BGB: Verzugszinsen over the Basiszinssatz (§ 247 BGB).

    - Between businesses (§ 288 Abs. 2): base rate + 9 points for contracts concluded after
      28/07/2014; + 8 points for earlier ones (``contract_before_2014_07_29=True``,
      Art. 229 § 34 EGBGB).
    - With a consumer (§ 288 Abs. 1, ``consumer=True``): base rate + 5 points, and only from
      *Verzug* (``needs_default``): the receipt of a Mahnung after the due date (§ 286
      Abs. 1), or 30 days after the due date and receipt of the invoice when the invoice
      pointed this out (§ 286 Abs. 3; ``invoices_warn_of_default=True`` when the creditor's
      invoices carry that sentence); a due date the creditor printed on the invoice is not a
      date "nach dem Kalender" agreed with the consumer. `dunning.statement` works out the
      date.

    The base rate is fixed by the Bundesbank on 1 January and 1 July and the interest follows
    it (a variable rate). Day count: actual/actual, i.e. 366 in leap years, the "taggenau"
    practice of German courts' and the Bundesbank-linked calculators (§§ 187, 188 BGB count
    calendar days). Unknown half-years raise `UnknownRate` unless given in
    ``reference_rates`` (or ``dunning.toml``) or ``fallback_rate``.
    """

    key: ClassVar[str] = "de-288"
    series: ClassVar[str] = "de-basiszinssatz"
    reference_name: ClassVar[str] = "Basiszinssatz"
    fixing: ClassVar[str] = "the Basiszinssatz from {start:%d/%m/%Y} (Deutsche Bundesbank)"

    consumer: bool = False
    contract_before_2014_07_29: bool = False
    reference_rates: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )
    invoices_warn_of_default: bool = attrs.field(default=False, kw_only=True)
    """The creditor's invoices to consumers point out that the consumer is in default 30 days
    after the due date and receipt (§ 286 Abs. 3 S. 1 Hs. 2 BGB): they then are, Mahnung or
    not."""

    @property
    def margin(self) -> Decimal:
        if self.consumer:
            return D(5)
        return D(8) if self.contract_before_2014_07_29 else D(9)

    @property
    def needs_default(self) -> bool:
        """Whether interest runs only from Verzug (consumers, § 286 BGB)."""
        return self.consumer

    @property
    def default_after_days(self) -> int | None:
        """30 days after the due date for a consumer whose invoice said so (§ 286 Abs. 3)."""
        return 30 if self.consumer and self.invoices_warn_of_default else None

    def rate_on(self, day: date) -> Decimal:
        return self._published(day, self.reference_rates, self.fallback_rate) + self.margin

    def day_count(self, day: date) -> int:
        return _actual_year(day)


@attrs.frozen
class FranceL441_10(Regime):  # noqa: N801
    """France, art. L441-10 II Code de commerce: ECB rate + 10 points, unless agreed.

    The statutory rate (no clause in the terms) is the ECB rate of its most recent
    refinancing operation, in force on 1 January for the first half-year and on 1 July for
    the second (same column as Italy), + 10 points. Due without any reminder. Day count:
    actual/365 fixed.

    The terms of sale may set another rate (``contractual_rate``), but "ce taux ne peut être
    inférieur à trois fois le taux d'intérêt légal": the floor of three times the taux légal
    binds the **contractual** rate only, never the statutory default. Where the taux légal of
    a semester is given (``taux_legal={(2024, 1): Decimal("5.07")}``, the rate for
    professional creditors) a contractual rate below the floor is raised to it; where it is
    not given the contractual rate is used as agreed (it can only be too low, never too high).
    """

    key: ClassVar[str] = "fr-l441-10"
    series: ClassVar[str] = "ecb"
    reference_name: ClassVar[str] = "ECB rate"
    fixing: ClassVar[str] = "the ECB main refinancing rate in force on {start:%d/%m/%Y}"

    reference_rates: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )
    contractual_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )
    taux_legal: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )

    def rate_on(self, day: date) -> Decimal:
        if self.contractual_rate is None:
            return self._published(day, self.reference_rates, self.fallback_rate) + 10
        rate = self.contractual_rate
        semester = semester_of(day)
        for key, legal in self.taux_legal:
            if key == semester:
                rate = max(rate, 3 * legal)
        return rate


@attrs.frozen
class SpainLey3_2004(Regime):  # noqa: N801
    """Spain, Ley 3/2004 art. 7: ECB rate + 8 points, published per semester in the BOE.

    The ECB rate of its most recent main refinancing operation before the first day of the
    semester (same column as Italy; 2022 H2 is 0.00, i.e. 8.00 %). Day count: actual/365.
    """

    key: ClassVar[str] = "es-3-2004"
    series: ClassVar[str] = "ecb"
    reference_name: ClassVar[str] = "ECB rate"
    fixing: ClassVar[str] = "the ECB main refinancing rate in force on {start:%d/%m/%Y}"

    reference_rates: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )

    def rate_on(self, day: date) -> Decimal:
        return self._published(day, self.reference_rates, self.fallback_rate) + 8


@attrs.frozen
class UKLatePayment1998(Regime):
    """UK, Late Payment of Commercial Debts (Interest) Act 1998, with SI 2002/1675.

    Rate: 8 % over the Bank of England base rate in force on 31 December (for interest that
    **starts to run** between 1 January and 30 June) or on 30 June (for 1 July–31 December).
    The rate is fixed when interest starts to run and stays the same for the whole claim
    (``rate_fixed_at_start``): a later base-rate change does not affect a running debt.
    Simple interest. Day count: actual/365 (the daily-interest method of the government's
    payontime.co.uk guidance: debt × rate / 365 per day). The rates table's ``"2026-H2"`` row
    is the Bank Rate on 30 June 2026.
    """

    key: ClassVar[str] = "uk-1998"
    series: ClassVar[str] = "boe-bank-rate"
    reference_name: ClassVar[str] = "Bank of England Bank Rate"
    fixing: ClassVar[str] = "the Bank of England Bank Rate on {eve:%d/%m/%Y}"
    rate_fixed_at_start: ClassVar[bool] = True

    reference_rates: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )

    def rate_on(self, day: date) -> Decimal:
        return self._published(day, self.reference_rates, self.fallback_rate) + 8


# -- registry -------------------------------------------------------------------------------

REGIMES: Mapping[str, type[Regime]] = {
    cls.key: cls
    for cls in (
        ItalyCommercial,
        ItalyLegal,
        EUDirective2011_7,
        GermanyBGB288,
        FranceL441_10,
        SpainLey3_2004,
        UKLatePayment1998,
    )
}
"""Built-in regimes by key."""


def known_keys() -> list[str]:
    """Built-in keys and those of installed third-party regimes (entry points)."""
    names = {ep.name for ep in entry_points(group="dunning.interest")}
    return sorted(set(REGIMES) | names)


def get_regime(key: str | Regime) -> Regime:
    """The regime object for ``key`` (with default parameters), or ``key`` itself.

    Built-in keys come first; other keys are looked up lazily among the entry points of the
    group ``dunning.interest`` (an entry point may name a `Regime` subclass or instance).
    """
    if isinstance(key, Regime):
        return key
    if key in REGIMES:
        return REGIMES[key]()
    for ep in entry_points(group="dunning.interest", name=key):
        loaded = ep.load()
        if isinstance(loaded, Regime):
            return loaded
        if isinstance(loaded, type) and issubclass(loaded, Regime):
            return loaded()
        raise TypeError(
            f"entry point {key!r} in group 'dunning.interest' ({ep.value}) is not a Regime"
        )
    raise KeyError(f"unknown interest regime {key!r}; known: {', '.join(known_keys())}")


# -- computation ----------------------------------------------------------------------------


@attrs.frozen
class InterestPeriod:
    """One stretch of days with the same rate, day count and principal.

    ``start`` and ``end`` are inclusive; ``days = (end - start).days + 1``; ``rate`` is percent
    per year; ``amount`` is rounded (ROUND_HALF_UP) and ``exact`` is not.
    """

    start: date
    end: date
    days: int
    rate: Decimal
    principal: Money
    amount: Money
    exact: Money
    day_count: int = 365


@attrs.frozen
class InterestResult:
    """Interest on one item: the total (sum of the rounded periods) and the breakdown."""

    amount: Money
    periods: tuple[InterestPeriod, ...]
    exact: Money
    regime: Regime


def compute(
    principal: Money,
    due_date: date,
    until: date,
    regime: Regime | str,
    *,
    payments: Sequence[tuple[date, Money]] = (),
) -> InterestResult:
    """Interest on ``principal`` from the day after ``due_date`` to ``until`` inclusive.

    ``payments`` are ``(value_date, amount)`` partial payments of the principal: the
    principal drops by ``amount`` from the day **after** the value date (the value date itself
    still accrues on the old principal). Payments on or before the due date reduce the
    principal from the start; a payment larger than what is left brings it to zero. How a
    payment is split between costs, interest and principal (art. 1194 c.c., § 367 BGB) is the
    allocation's job: pass here only what went to principal.
    """
    strategy = get_regime(regime)
    currency = principal.currency
    zero = Money.zero(currency)
    if principal.amount < 0:
        raise ValueError(f"principal must not be negative, not {principal!r}")
    start = due_date + timedelta(days=1)
    if until < start:
        return InterestResult(zero, (), zero, strategy)

    # Principal in force on each day: a payment changes it from the day after its value date.
    reductions: dict[date, Money] = {}
    for value_date, amount in payments:
        if amount.currency != currency:
            raise ValueError(f"payment {amount!r} on {value_date} is not in {currency}")
        if amount.amount < 0:
            raise ValueError(f"payment on {value_date} must not be negative: {amount!r}")
        effective = max(value_date + timedelta(days=1), start)
        reductions[effective] = reductions.get(effective, zero) + amount

    breaks = set(strategy.change_dates(start, until)) | {d for d in reductions if d > start}
    fixed_rate = strategy.rate_on(start) if strategy.rate_fixed_at_start else None

    periods: list[InterestPeriod] = []
    current = principal
    bounds = sorted(d for d in breaks if start < d <= until)
    for chunk_start, next_start in zip(
        [start, *bounds], [*bounds, until + timedelta(days=1)], strict=True
    ):
        if chunk_start in reductions:
            current = max(current - reductions[chunk_start], zero)
        if current.is_zero:
            continue
        chunk_end = next_start - timedelta(days=1)
        rate = fixed_rate if fixed_rate is not None else strategy.rate_on(chunk_start)
        basis = strategy.day_count(chunk_start)
        last = periods[-1] if periods else None
        if (
            last is not None
            and last.end + timedelta(days=1) == chunk_start
            and (last.rate, last.day_count, last.principal) == (rate, basis, current)
        ):
            periods[-1] = _period(last.start, chunk_end, rate, current, basis)
        else:
            periods.append(_period(chunk_start, chunk_end, rate, current, basis))

    amount = sum((p.amount for p in periods), zero)
    exact = sum((p.exact for p in periods), zero)
    return InterestResult(amount, tuple(periods), exact, strategy)


def _period(start: date, end: date, rate: Decimal, principal: Money, basis: int) -> InterestPeriod:
    days = (end - start).days + 1
    exact = Money(principal.amount * rate * days / (100 * basis), principal.currency)
    return InterestPeriod(
        start=start,
        end=end,
        days=days,
        rate=rate,
        principal=principal,
        amount=exact.rounded(ROUND_HALF_UP),
        exact=exact,
        day_count=basis,
    )


@attrs.frozen
class Coverage:
    """How far a regime's known rates reach over an item's interest: interest from the day
    after the due date can be computed up to ``known_until`` inclusive; ``missing`` are the
    periods (``"2026-H2"``) after it that no rates table knows."""

    known_until: date
    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing


def coverage(regime: Regime | str, due_date: date, until: date) -> Coverage:
    """Up to which day interest on an item due ``due_date`` can be computed by ``until``
    without a guess, and which periods' rates are missing after that day.

    >>> cover = coverage("it-231", date(2026, 3, 31), date(2026, 11, 27))
    >>> cover.known_until, cover.missing
    (datetime.date(2026, 6, 30), ('2026-H2',))
    """
    strategy = get_regime(regime)
    start = due_date + timedelta(days=1)
    if until < start:
        return Coverage(until)
    days = (
        [start] if strategy.rate_fixed_at_start else [start, *strategy.change_dates(start, until)]
    )
    for day in days:
        try:
            strategy.rate_on(day)
        except UnknownRate:
            missing = []
            for period in periods_between(day, until, strategy.period):
                try:
                    strategy.rate_on(max(period_start(period), day))
                except UnknownRate:
                    missing.append(period)
            return Coverage(day - timedelta(days=1), tuple(missing))
    return Coverage(until)
