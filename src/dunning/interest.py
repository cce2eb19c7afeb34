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

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib.metadata import entry_points
from typing import ClassVar, TypeAlias

import attrs

from .errors import DunningError
from .money import Money

__all__ = [
    "REGIMES",
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


def _semester_name(semester: Semester) -> str:
    return f"{semester[0]} H{semester[1]}"


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
# ECB main refinancing rate fixed for each semester (Jan–Jun: rate in force on 1 January;
# Jul–Dec: rate in force on 1 July), as published by the Italian Ministry of Economy in the
# Gazzetta Ufficiale for D.Lgs. 231/2002 art. 5. Spain (Ley 3/2004 art. 7) and France (L441-10
# C. com.) take the same ECB rate for the same semester.
_ECB_SEMESTER: dict[Semester, Decimal] = {
    (2013, 1): D("0.75"),  # GU n. 14 of 17/01/2013
    (2013, 2): D("0.50"),  # verify: implied by a secondary source, GU notice not itemised
    (2014, 1): D("0.25"),  # GU n. 51 of 03/03/2014
    (2014, 2): D("0.15"),  # GU n. 167 of 21/07/2014
    (2015, 1): D("0.05"),  # GU n. 12 of 16/01/2015
    (2015, 2): D("0.05"),  # GU n. 168 of 22/07/2015
    (2016, 1): D("0.05"),  # GU n. 19 of 25/01/2016
    # 2016 H2 … 2022 H2: 0.00 (ECB rate 0.00 from 16/03/2016), one GU notice per semester; our
    # sources do not itemise those notices (verify: GU numbers to be added).
    (2016, 2): D("0.00"),  # verify: GU notice of July 2016 not itemised
    (2017, 1): D("0.00"),  # verify: GU notice of January 2017 not itemised
    (2017, 2): D("0.00"),  # verify: GU notice of July 2017 not itemised
    (2018, 1): D("0.00"),  # verify: GU notice of January 2018 not itemised
    (2018, 2): D("0.00"),  # verify: GU notice of July 2018 not itemised
    (2019, 1): D("0.00"),  # verify: GU notice of January 2019 not itemised
    (2019, 2): D("0.00"),  # verify: GU notice of July 2019 not itemised
    (2020, 1): D("0.00"),  # verify: GU notice of January 2020 not itemised
    (2020, 2): D("0.00"),  # verify: GU notice of July 2020 not itemised
    (2021, 1): D("0.00"),  # verify: GU notice of January 2021 not itemised
    (2021, 2): D("0.00"),  # verify: GU notice of July 2021 not itemised
    (2022, 1): D("0.00"),  # verify: GU notice of January 2022 not itemised
    # 2022 H2 is 0.00, NOT 0.50: the ECB hike of 27/07/2022 came after the 1 July fixing date
    # (some public tables wrongly show 0.50 / 8.50 %).
    (2022, 2): D("0.00"),  # verify: GU notice of July 2022 not itemised
    (2023, 1): D("2.50"),  # GU n. 14 of 18/01/2023
    (2023, 2): D("4.00"),  # GU n. 165 of 17/07/2023
    (2024, 1): D("4.50"),  # GU n. 12 of 16/01/2024
    (2024, 2): D("4.25"),  # GU n. 176 of 29/07/2024
    (2025, 1): D("3.15"),  # GU n. 63 of 17/03/2025
    (2025, 2): D("2.15"),  # GU n. 161 of 14/07/2025
    (2026, 1): D("2.15"),  # GU n. 15 of 20/01/2026
}

# Italian legal interest rate (art. 1284 c.c.), % per year, set by decree of the Ministry of
# Economy each December for the following year.
_IT_LEGAL: dict[int, Decimal] = {
    2015: D("0.5"),  # DM 11/12/2014
    2016: D("0.2"),  # DM 11/12/2015
    2017: D("0.1"),  # DM 07/12/2016
    2018: D("0.3"),  # DM 13/12/2017
    2019: D("0.8"),  # DM 12/12/2018
    2020: D("0.05"),  # DM 12/12/2019
    2021: D("0.01"),  # DM 11/12/2020
    2022: D("1.25"),  # DM 13/12/2021
    2023: D("5.0"),  # DM 13/12/2022
    2024: D("2.5"),  # DM 29/11/2023
    2025: D("2.0"),  # DM 10/12/2024
    2026: D("1.6"),  # DM of December 2025 (verify: decree date not itemised in our sources)
}

# German Basiszinssatz (§ 247 BGB), published by the Deutsche Bundesbank, changes on 1 January
# and 1 July.
_DE_BASE: dict[Semester, Decimal] = {
    (2013, 1): D("-0.13"),  # Bundesbank, Basiszinssatz from 01/01/2013
    (2013, 2): D("-0.38"),  # Bundesbank, from 01/07/2013
    (2014, 1): D("-0.63"),  # verify: Bundesbank, from 01/01/2014
    (2014, 2): D("-0.73"),  # verify: Bundesbank, from 01/07/2014
    (2015, 1): D("-0.83"),  # verify: Bundesbank, from 01/01/2015
    (2015, 2): D("-0.83"),  # verify: Bundesbank, from 01/07/2015
    (2016, 1): D("-0.83"),  # Bundesbank, from 01/01/2016
    **{(y, h): D("-0.88") for y in range(2016, 2023) for h in (1, 2) if (y, h) != (2016, 1)},
    # ^ Bundesbank: -0.88 from 01/07/2016 unchanged to 31/12/2022
    (2023, 1): D("1.62"),  # Bundesbank, from 01/01/2023
    (2023, 2): D("3.12"),  # Bundesbank, from 01/07/2023
    (2024, 1): D("3.62"),  # Bundesbank, from 01/01/2024
    (2024, 2): D("3.37"),  # Bundesbank, from 01/07/2024
    (2025, 1): D("2.27"),  # Bundesbank, from 01/01/2025
    (2025, 2): D("1.27"),  # Bundesbank, from 01/07/2025
    (2026, 1): D("1.27"),  # Bundesbank, from 01/01/2026
}

# Bank of England base rate ("official dealing rate") on 31 December (for Jan–Jun) and on
# 30 June (for Jul–Dec): the reference rate of the Late Payment of Commercial Debts (Rate of
# Interest) (No. 3) Order 2002 (SI 2002/1675).
# Source for 2011 H1 … 2024 H1: payontime.co.uk reference rate table (the government-backed
# Late Payment information site), https://payontime.co.uk/how-to-calculate-late-payment-interest-and-compensation
_UK_REFERENCE: dict[Semester, Decimal] = {
    **{(y, h): D("0.50") for y in range(2011, 2016) for h in (1, 2)},  # payontime.co.uk
    (2016, 1): D("0.50"),  # payontime.co.uk
    (2016, 2): D("0.50"),  # payontime.co.uk (cut to 0.25 only on 04/08/2016)
    (2017, 1): D("0.25"),  # payontime.co.uk
    (2017, 2): D("0.25"),  # payontime.co.uk
    (2018, 1): D("0.50"),  # payontime.co.uk
    (2018, 2): D("0.50"),  # payontime.co.uk
    (2019, 1): D("0.75"),  # payontime.co.uk
    (2019, 2): D("0.75"),  # payontime.co.uk
    (2020, 1): D("0.75"),  # payontime.co.uk
    (2020, 2): D("0.10"),  # payontime.co.uk
    (2021, 1): D("0.10"),  # payontime.co.uk
    (2021, 2): D("0.10"),  # payontime.co.uk
    (2022, 1): D("0.25"),  # payontime.co.uk
    (2022, 2): D("1.25"),  # payontime.co.uk
    (2023, 1): D("3.50"),  # payontime.co.uk
    (2023, 2): D("5.00"),  # payontime.co.uk
    (2024, 1): D("5.25"),  # payontime.co.uk
    # verify: 5.25 on 30/06/2024, first cut (to 5.00) on 01/08/2024 — BoE MPC decision of
    # August 2024 as reported by secondary news sources; not in the payontime excerpt we saw.
    (2024, 2): D("5.25"),
    (2025, 1): D("4.75"),  # Bank Rate at end-2024: 4.75 (focus-economics.com, Macrobond data)
    # 4.25 from 08/05/2025 (BoE MPC, reported by pennmanagement.co.uk 09/05/2025), next cut
    # in August 2025 (focus-economics.com), so 4.25 on 30/06/2025.
    (2025, 2): D("4.25"),
    (2026, 1): D("3.75"),  # Bank Rate at end-2025: 3.75 (focus-economics.com)
}


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
    """

    key: ClassVar[str] = ""
    rate_fixed_at_start: ClassVar[bool] = False

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


def _semester_rate(
    regime: str,
    day: date,
    table: Mapping[Semester, Decimal],
    supplied: tuple[tuple[Semester, Decimal], ...],
    fallback: Decimal | None,
    what: str,
    fallback_name: str = "fallback_rate",
) -> Decimal:
    semester = semester_of(day)
    for key, rate in supplied:
        if key == semester:
            return rate
    if semester in table:
        return table[semester]
    if fallback is not None:
        return fallback
    raise UnknownRate(
        regime,
        _semester_name(semester),
        f"pass the {what} of that semester as reference_rates={{{semester!r}: Decimal(...)}} "
        f"or {fallback_name}=Decimal(...)",
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

    A semester missing from the table raises `UnknownRate` unless the caller supplies the ECB
    reference rate (``reference_rates={(2026, 2): Decimal("2.15")}``) or ``fallback_rate`` (a
    reference rate used for every semester the table does not know).
    """

    key: ClassVar[str] = "it-231"

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
        ecb = _semester_rate(
            self.key, day, _ECB_SEMESTER, self.reference_rates, self.fallback_rate, "ECB rate"
        )
        return ecb + self.margin


@attrs.frozen
class ItalyLegal(Regime):
    """Italy, art. 1284 c.c.: the legal interest rate, set each year by ministerial decree.

    The rate for consumers' (B2C) debts and for civil obligations. The rate changes on
    1 January. Day count: actual days over a fixed 365-day year, also in leap years (as for
    231/2002). From the filing of a lawsuit the 231/2002 rate applies instead (art. 1284
    co. 4): out of scope for reminders. Unknown years raise `UnknownRate` unless given in
    ``rates={2027: Decimal("1.5")}`` or ``fallback_rate``.
    """

    key: ClassVar[str] = "it-legal"

    rates: tuple[tuple[int, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_years, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )

    def rate_on(self, day: date) -> Decimal:
        for year, rate in self.rates:
            if year == day.year:
                return rate
        if day.year in _IT_LEGAL:
            return _IT_LEGAL[day.year]
        if self.fallback_rate is not None:
            return self.fallback_rate
        raise UnknownRate(
            self.key,
            str(day.year),
            f"pass rates={{{day.year}: Decimal(...)}} or fallback_rate=Decimal(...)",
        )

    def change_dates(self, start: date, end: date) -> Iterator[date]:
        for year in range(start.year + 1, end.year + 1):
            yield date(year, 1, 1)


@attrs.frozen
class EUDirective2011_7(Regime):  # noqa: N801  (the directive's number reads better)
    """EU Directive 2011/7/EU art. 2(6): the reference rate + at least 8 points.

    For a member state without its own table here: the caller supplies the ``reference_rate``
    (the central bank's rate for the semester, art. 2(7)) and the ``margin`` (at least 8).
    Per-semester rates may be given in ``reference_rates``; ``reference_rate`` applies to every
    other semester. Day count: actual/365 fixed, or actual/actual (366 in leap years) with
    ``actual_actual=True``, to follow the member state's practice.
    """

    key: ClassVar[str] = "eu-2011-7"

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
        reference = _semester_rate(
            self.key,
            day,
            {},
            self.reference_rates,
            self.reference_rate,
            "reference rate",
            fallback_name="reference_rate",
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
    - With a consumer (§ 288 Abs. 1, ``consumer=True``): base rate + 5 points.

    The base rate is fixed by the Bundesbank on 1 January and 1 July and the interest follows
    it (a variable rate). Day count: actual/actual, i.e. 366 in leap years, the "taggenau"
    practice of German courts' and the Bundesbank-linked calculators (§§ 187, 188 BGB count
    calendar days). Unknown half-years raise `UnknownRate` unless given in
    ``reference_rates`` or ``fallback_rate``.
    """

    key: ClassVar[str] = "de-288"

    consumer: bool = False
    contract_before_2014_07_29: bool = False
    reference_rates: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )

    @property
    def margin(self) -> Decimal:
        if self.consumer:
            return D(5)
        return D(8) if self.contract_before_2014_07_29 else D(9)

    def rate_on(self, day: date) -> Decimal:
        base = _semester_rate(
            self.key, day, _DE_BASE, self.reference_rates, self.fallback_rate, "Basiszinssatz"
        )
        return base + self.margin

    def day_count(self, day: date) -> int:
        return _actual_year(day)


@attrs.frozen
class FranceL441_10(Regime):  # noqa: N801
    """France, art. L441-10 II Code de commerce: ECB rate + 10 points.

    The ECB rate is the one of its most recent refinancing operation, in force on 1 January
    for the first half-year and on 1 July for the second (same column as Italy). Due without
    any reminder. Day count: actual/365 fixed.

    The law also sets a floor: "at least three times the taux d'intérêt légal". We could not
    cite the semi-annual taux légal values (arrêtés published in the Journal officiel) for
    every semester, so the floor is **not applied** by default; pass
    ``taux_legal={(2024, 1): Decimal("5.07")}`` (the rate for professional creditors of each
    semester) to apply it: the rate is then ``max(ECB + 10, 3 × taux légal)``.
    """

    key: ClassVar[str] = "fr-l441-10"

    reference_rates: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )
    taux_legal: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )

    def rate_on(self, day: date) -> Decimal:
        ecb = _semester_rate(
            self.key, day, _ECB_SEMESTER, self.reference_rates, self.fallback_rate, "ECB rate"
        )
        rate = ecb + 10
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

    reference_rates: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )

    def rate_on(self, day: date) -> Decimal:
        ecb = _semester_rate(
            self.key, day, _ECB_SEMESTER, self.reference_rates, self.fallback_rate, "ECB rate"
        )
        return ecb + 8


@attrs.frozen
class UKLatePayment1998(Regime):
    """UK, Late Payment of Commercial Debts (Interest) Act 1998, with SI 2002/1675.

    Rate: 8 % over the Bank of England base rate in force on 31 December (for interest that
    **starts to run** between 1 January and 30 June) or on 30 June (for 1 July–31 December).
    The rate is fixed when interest starts to run and stays the same for the whole claim
    (``rate_fixed_at_start``): a later base-rate change does not affect a running debt.
    Simple interest. Day count: actual/365 (the daily-interest method of the government's
    payontime.co.uk guidance: debt × rate / 365 per day).
    """

    key: ClassVar[str] = "uk-1998"
    rate_fixed_at_start: ClassVar[bool] = True

    reference_rates: tuple[tuple[Semester, Decimal], ...] = attrs.field(
        default=(), converter=_freeze_rates, repr=_repr_mapping, kw_only=True
    )
    fallback_rate: Decimal | None = attrs.field(
        default=None, converter=_optional_rate, kw_only=True
    )

    def rate_on(self, day: date) -> Decimal:
        base = _semester_rate(
            self.key, day, _UK_REFERENCE, self.reference_rates, self.fallback_rate, "base rate"
        )
        return base + 8


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
