"""Statutory interest: golden figures worked out by hand, and the properties of `compute`.

Every golden figure is written out as principal × rate × days / (100 × day count), rounded
half-up to the cent per period; the total is the sum of the rounded periods.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning.errors import DunningError
from dunning.interest import (
    REGIMES,
    EUDirective2011_7,
    FranceL441_10,
    GermanyBGB288,
    ItalyCommercial,
    ItalyLegal,
    Regime,
    SpainLey3_2004,
    UKLatePayment1998,
    UnknownRate,
    compute,
    get_regime,
    known_keys,
)
from dunning.money import Money

D = Decimal


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def breakdown(result: Any) -> list[tuple[date, date, int, Decimal, Money]]:
    return [(p.start, p.end, p.days, p.rate, p.amount) for p in result.periods]


# -- golden cases ---------------------------------------------------------------------------


def test_it231_two_semesters_2025() -> None:
    r = compute(eur("1000.00"), date(2025, 3, 31), date(2025, 9, 30), "it-231")
    # 2025 H1: 1000 × 11.15 × 91 / 36500 = 27.7986… → 27.80
    # 2025 H2: 1000 × 10.15 × 92 / 36500 = 25.5836… → 25.58
    assert breakdown(r) == [
        (date(2025, 4, 1), date(2025, 6, 30), 91, D("11.15"), eur("27.80")),
        (date(2025, 7, 1), date(2025, 9, 30), 92, D("10.15"), eur("25.58")),
    ]
    assert r.amount == eur("53.38")


def test_it231_within_one_semester_february_of_leap_year() -> None:
    r = compute(eur("10000.00"), date(2024, 1, 31), date(2024, 3, 1), "it-231")
    # 1 Feb – 1 Mar 2024 = 29 + 1 = 30 days; 10000 × 12.50 × 30 / 36500 = 102.7397… → 102.74
    assert breakdown(r) == [(date(2024, 2, 1), date(2024, 3, 1), 30, D("12.50"), eur("102.74"))]


def test_it231_whole_leap_year_counts_366_days_over_365() -> None:
    r = compute(eur("1000.00"), date(2023, 12, 31), date(2024, 12, 31), "it-231")
    # Italian practice divides by 365 also in 2024, so a leap year yields 366/365 of the rate.
    # H1: 182 days: 1000 × 12.50 × 182 / 36500 = 62.3288… → 62.33
    # H2: 184 days: 1000 × 12.25 × 184 / 36500 = 61.7534… → 61.75
    assert [p.days for p in r.periods] == [182, 184]
    assert [p.day_count for p in r.periods] == [365, 365]
    assert r.amount == eur("124.08")


def test_it231_2022_h2_trap_is_eight_not_eight_and_a_half() -> None:
    r = compute(eur("1000.00"), date(2022, 6, 30), date(2022, 12, 31), "it-231")
    # ECB rate fixed on 1 July 2022 was 0.00 (hike of 27 July came later): 8.00 %.
    # 184 days: 1000 × 8.00 × 184 / 36500 = 40.3288… → 40.33
    assert breakdown(r) == [(date(2022, 7, 1), date(2022, 12, 31), 184, D("8.00"), eur("40.33"))]


def test_it231_spanning_several_semesters_merges_equal_rates() -> None:
    r = compute(eur("5000.00"), date(2022, 5, 31), date(2023, 8, 31), "it-231")
    # 1 Jun – 31 Dec 2022 (2022 H1 and H2 both 8.00, one period): 30 + 184 = 214 days
    #   5000 × 8.00 × 214 / 36500 = 234.5205… → 234.52
    # 2023 H1, 181 days: 5000 × 10.50 × 181 / 36500 = 260.3424… → 260.34
    # 1 Jul – 31 Aug 2023, 62 days: 5000 × 12.00 × 62 / 36500 = 101.9178… → 101.92
    assert breakdown(r) == [
        (date(2022, 6, 1), date(2022, 12, 31), 214, D("8.00"), eur("234.52")),
        (date(2023, 1, 1), date(2023, 6, 30), 181, D("10.50"), eur("260.34")),
        (date(2023, 7, 1), date(2023, 8, 31), 62, D("12.00"), eur("101.92")),
    ]
    assert r.amount == eur("596.78")


def test_it231_partial_payment_lowers_principal_from_the_next_day() -> None:
    r = compute(
        eur("1000.00"),
        date(2025, 1, 31),
        date(2025, 4, 30),
        "it-231",
        payments=[(date(2025, 3, 15), eur("400.00"))],
    )
    # 1 Feb – 15 Mar (value date included): 28 + 15 = 43 days on 1000:
    #   1000 × 11.15 × 43 / 36500 = 13.1356… → 13.14
    # 16 Mar – 30 Apr: 16 + 30 = 46 days on 600: 600 × 11.15 × 46 / 36500 = 8.4312… → 8.43
    assert breakdown(r) == [
        (date(2025, 2, 1), date(2025, 3, 15), 43, D("11.15"), eur("13.14")),
        (date(2025, 3, 16), date(2025, 4, 30), 46, D("11.15"), eur("8.43")),
    ]
    assert [p.principal for p in r.periods] == [eur("1000.00"), eur("600.00")]
    assert r.amount == eur("21.57")


def test_it231_pre_2013_contract_plus_seven() -> None:
    r = compute(eur("1000.00"), date(2023, 1, 31), date(2023, 3, 31), ItalyCommercial(True))
    # 2.50 + 7 = 9.50; 28 + 31 = 59 days: 1000 × 9.50 × 59 / 36500 = 15.3561… → 15.36
    assert breakdown(r) == [(date(2023, 2, 1), date(2023, 3, 31), 59, D("9.50"), eur("15.36"))]


def test_it_legal_consumer_rate_2024() -> None:
    r = compute(eur("2000.00"), date(2024, 3, 31), date(2024, 6, 30), "it-legal")
    # 30 + 31 + 30 = 91 days at 2.5: 2000 × 2.5 × 91 / 36500 = 12.4657… → 12.47
    assert breakdown(r) == [(date(2024, 4, 1), date(2024, 6, 30), 91, D("2.5"), eur("12.47"))]


def test_it_legal_changes_on_1_january_only() -> None:
    r = compute(eur("1000.00"), date(2023, 11, 30), date(2024, 1, 31), ItalyLegal())
    # Dec 2023, 31 days at 5.0: 1000 × 5.0 × 31 / 36500 = 4.2465… → 4.25
    # Jan 2024, 31 days at 2.5: 1000 × 2.5 × 31 / 36500 = 2.1232… → 2.12
    assert breakdown(r) == [
        (date(2023, 12, 1), date(2023, 12, 31), 31, D("5.0"), eur("4.25")),
        (date(2024, 1, 1), date(2024, 1, 31), 31, D("2.5"), eur("2.12")),
    ]
    assert r.amount == eur("6.37")


def test_de288_b2b() -> None:
    r = compute(eur("10000.00"), date(2025, 2, 28), date(2025, 4, 30), "de-288")
    # 2.27 + 9 = 11.27; 31 + 30 = 61 days: 10000 × 11.27 × 61 / 36500 = 188.3479… → 188.35
    assert breakdown(r) == [(date(2025, 3, 1), date(2025, 4, 30), 61, D("11.27"), eur("188.35"))]


def test_de288_consumer_in_a_leap_year_divides_by_366() -> None:
    r = compute(eur("1000.00"), date(2024, 6, 30), date(2024, 7, 31), GermanyBGB288(consumer=True))
    # 3.37 + 5 = 8.37; 31 days, actual/actual: 1000 × 8.37 × 31 / 36600 = 7.0893… → 7.09
    assert breakdown(r) == [(date(2024, 7, 1), date(2024, 7, 31), 31, D("8.37"), eur("7.09"))]
    assert r.periods[0].day_count == 366


def test_de288_across_a_leap_year_end() -> None:
    r = compute(eur("1000.00"), date(2024, 12, 15), date(2025, 1, 15), "de-288")
    # 16–31 Dec 2024: 16 days, 3.37 + 9 = 12.37 / 366: 1000 × 12.37 × 16 / 36600 = 5.4076… → 5.41
    # 1–15 Jan 2025: 15 days, 2.27 + 9 = 11.27 / 365: 1000 × 11.27 × 15 / 36500 = 4.6315… → 4.63
    assert [(p.days, p.rate, p.day_count, p.amount) for p in r.periods] == [
        (16, D("12.37"), 366, eur("5.41")),
        (15, D("11.27"), 365, eur("4.63")),
    ]
    assert r.amount == eur("10.04")


def test_de288_contract_before_29_july_2014_plus_eight() -> None:
    regime = GermanyBGB288(contract_before_2014_07_29=True)
    r = compute(eur("1000.00"), date(2023, 6, 30), date(2023, 7, 30), regime)
    # 3.12 + 8 = 11.12; 30 days: 1000 × 11.12 × 30 / 36500 = 9.1397… → 9.14
    assert breakdown(r) == [(date(2023, 7, 1), date(2023, 7, 30), 30, D("11.12"), eur("9.14"))]


def test_de288_negative_base_rate() -> None:
    r = compute(eur("1000.00"), date(2020, 12, 31), date(2021, 3, 31), "de-288")
    # -0.88 + 9 = 8.12; 31 + 28 + 31 = 90 days: 1000 × 8.12 × 90 / 36500 = 20.0219… → 20.02
    assert breakdown(r) == [(date(2021, 1, 1), date(2021, 3, 31), 90, D("8.12"), eur("20.02"))]


def test_fr_l441_10_ecb_plus_ten() -> None:
    r = compute(eur("1000.00"), date(2024, 1, 31), date(2024, 2, 29), "fr-l441-10")
    # 4.50 + 10 = 14.50; 29 days: 1000 × 14.50 × 29 / 36500 = 11.5205… → 11.52
    assert breakdown(r) == [(date(2024, 2, 1), date(2024, 2, 29), 29, D("14.50"), eur("11.52"))]


def test_fr_l441_10_taux_legal_floor_does_not_touch_the_statutory_default() -> None:
    # Art. L441-10 II C. com.: "Sauf disposition contraire qui ne peut toutefois fixer un taux
    # inférieur à trois fois le taux d'intérêt légal, ce taux est égal au taux ... de la BCE
    # ... majoré de 10 points". The floor binds a contractual rate; the default stays ECB + 10
    # even when 3 × taux légal (3 × 5.07 = 15.21) is higher.
    regime = FranceL441_10(taux_legal={(2024, 1): D("5.07")})
    r = compute(eur("1000.00"), date(2024, 1, 31), date(2024, 2, 29), regime)
    # 1000 × 14.50 × 29 / 36500 = 11.5205… → 11.52
    assert breakdown(r) == [(date(2024, 2, 1), date(2024, 2, 29), 29, D("14.50"), eur("11.52"))]


def test_fr_l441_10_contractual_rate_below_three_times_taux_legal_is_raised_to_it() -> None:
    # Art. L441-10 II C. com.: a contractual rate may not be lower than three times the taux
    # légal. Terms of sale saying 12 % in 2024 H1 (taux légal for professional creditors 5.07,
    # as supplied by the caller) yield 15.21 %: 1000 × 15.21 × 29 / 36500 = 12.0846… → 12.08
    regime = FranceL441_10(contractual_rate="12", taux_legal={(2024, 1): D("5.07")})
    r = compute(eur("1000.00"), date(2024, 1, 31), date(2024, 2, 29), regime)
    assert breakdown(r) == [(date(2024, 2, 1), date(2024, 2, 29), 29, D("15.21"), eur("12.08"))]
    # a contractual rate above the floor applies as agreed: 1000 × 18 × 29 / 36500 = 14.30
    high = FranceL441_10(contractual_rate="18", taux_legal={(2024, 1): D("5.07")})
    assert compute(eur("1000.00"), date(2024, 1, 31), date(2024, 2, 29), high).amount == eur(
        "14.30"
    )
    # without the taux légal of the semester the agreed rate applies (never a guessed floor)
    assert FranceL441_10(contractual_rate="12").rate_on(date(2024, 2, 1)) == D("12")


def test_es_3_2004_across_2022_h2_and_2023_h1() -> None:
    r = compute(eur("1000.00"), date(2022, 9, 30), date(2023, 1, 31), "es-3-2004")
    # Oct–Dec 2022: 92 days at 8.00: 1000 × 8.00 × 92 / 36500 = 20.1643… → 20.16
    # Jan 2023: 31 days at 10.50: 1000 × 10.50 × 31 / 36500 = 8.9178… → 8.92
    assert breakdown(r) == [
        (date(2022, 10, 1), date(2022, 12, 31), 92, D("8.00"), eur("20.16")),
        (date(2023, 1, 1), date(2023, 1, 31), 31, D("10.50"), eur("8.92")),
    ]
    assert r.amount == eur("29.08")


def test_uk_rate_is_fixed_when_interest_starts_to_run() -> None:
    r = compute(gbp("1000.00"), date(2023, 6, 15), date(2023, 7, 15), "uk-1998")
    # Starts 16 Jun 2023 (2023 H1: 3.50 + 8 = 11.50) and keeps that rate in July (not 13.00).
    # 15 + 15 = 30 days: 1000 × 11.50 × 30 / 36500 = 9.4520… → 9.45
    assert breakdown(r) == [(date(2023, 6, 16), date(2023, 7, 15), 30, D("11.50"), gbp("9.45"))]


def test_uk_2024_h1() -> None:
    r = compute(gbp("5000.00"), date(2024, 1, 31), date(2024, 3, 1), UKLatePayment1998())
    # 5.25 + 8 = 13.25; 30 days: 5000 × 13.25 × 30 / 36500 = 54.4520… → 54.45
    assert r.amount == gbp("54.45")
    assert r.periods[0].rate == D("13.25")


def test_eu_generic_reference_and_margin_supplied() -> None:
    r = compute(eur("1000.00"), date(2025, 1, 31), date(2025, 3, 2), EUDirective2011_7(D("3")))
    # 3 + 8 = 11; 28 + 2 = 30 days: 1000 × 11 × 30 / 36500 = 9.0410… → 9.04
    assert breakdown(r) == [(date(2025, 2, 1), date(2025, 3, 2), 30, D("11"), eur("9.04"))]


def test_eu_generic_actual_actual_in_2024() -> None:
    regime = EUDirective2011_7(D("3"), D("9"), actual_actual=True)
    r = compute(eur("1000.00"), date(2024, 1, 31), date(2024, 3, 1), regime)
    # 3 + 9 = 12; 30 days / 366: 1000 × 12 × 30 / 36600 = 9.8360… → 9.84
    assert r.amount == eur("9.84")


def test_rounding_is_half_up_per_period() -> None:
    r = compute(eur("730.00"), date(2024, 7, 1), date(2024, 7, 2), "it-231")
    # 730 × 12.25 × 1 / 36500 = 0.245 exactly → 0.25 (half-even would give 0.24)
    assert r.periods[0].exact == eur("0.245")
    assert r.amount == eur("0.25")


@pytest.mark.parametrize("until", [date(2025, 3, 31), date(2025, 3, 1)])
def test_nothing_accrues_up_to_the_due_date(until: date) -> None:
    r = compute(eur("1000.00"), date(2025, 3, 31), until, "it-231")
    assert r.amount == eur("0")
    assert r.periods == ()


def test_first_day_of_interest_is_the_day_after_due() -> None:
    r = compute(eur("36500.00"), date(2025, 3, 31), date(2025, 4, 1), "it-231")
    # one day: 36500 × 11.15 × 1 / 36500 = 11.15
    assert breakdown(r) == [(date(2025, 4, 1), date(2025, 4, 1), 1, D("11.15"), eur("11.15"))]


def test_unknown_semester_is_an_error_naming_regime_and_semester() -> None:
    with pytest.raises(UnknownRate, match=r"it-231.*2026-H2") as info:
        compute(eur("1000.00"), date(2026, 6, 30), date(2026, 7, 30), "it-231")
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, DunningError)
    assert "reference_rates" in str(info.value)


def test_unknown_semester_with_a_caller_supplied_rate() -> None:
    regime = ItalyCommercial(reference_rates={(2026, 2): D("2.00")})
    r = compute(eur("1000.00"), date(2026, 6, 30), date(2026, 7, 30), regime)
    # 2.00 + 8 = 10.00; 30 days: 1000 × 10.00 × 30 / 36500 = 8.2191… → 8.22
    assert breakdown(r) == [(date(2026, 7, 1), date(2026, 7, 30), 30, D("10.00"), eur("8.22"))]
    fallback = ItalyCommercial(fallback_rate="2.00")
    assert compute(eur("1000.00"), date(2026, 6, 30), date(2026, 7, 30), fallback) == attrs_evolve(
        r, regime=fallback
    )


def attrs_evolve(result: Any, **changes: Any) -> Any:
    import attrs

    return attrs.evolve(result, **changes)


@pytest.mark.parametrize(
    ("regime", "day", "period"),
    [
        ("it-legal", date(2014, 6, 1), "2014"),
        ("de-288", date(2012, 6, 1), "2012-H1"),
        ("uk-1998", date(2010, 6, 1), "2010-H1"),
        ("eu-2011-7", date(2025, 6, 1), "2025-H1"),
    ],
)
def test_other_unknown_periods(regime: str, day: date, period: str) -> None:
    with pytest.raises(UnknownRate, match=f"{regime}: no published rate for {period}"):
        compute(eur("1"), day - timedelta(days=1), day, regime)


def test_payment_before_due_date_and_overpayment() -> None:
    r = compute(
        eur("1000.00"),
        date(2025, 1, 31),
        date(2025, 3, 31),
        "it-231",
        payments=[(date(2025, 1, 10), eur("500.00")), (date(2025, 2, 28), eur("900.00"))],
    )
    # 500 left from the start; paid off after 28 Feb: 500 × 11.15 × 28 / 36500 = 4.2767… → 4.28
    assert breakdown(r) == [(date(2025, 2, 1), date(2025, 2, 28), 28, D("11.15"), eur("4.28"))]


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="not in EUR"):
        compute(
            eur("1"),
            date(2025, 1, 1),
            date(2025, 2, 1),
            "it-231",
            payments=[(date(2025, 1, 5), gbp("1"))],
        )
    with pytest.raises(ValueError, match="negative"):
        compute(eur("-1"), date(2025, 1, 1), date(2025, 2, 1), "it-231")
    with pytest.raises(ValueError, match="minimum of 8"):
        EUDirective2011_7(D("2"), D("7"))
    with pytest.raises(TypeError, match="float"):
        ItalyCommercial(fallback_rate=2.0)
    with pytest.raises(ValueError, match="not a decimal"):
        ItalyLegal(rates={2027: "1,5"})


# -- regimes as values ----------------------------------------------------------------------

ALL_REGIMES: list[Regime] = [
    ItalyCommercial(),
    ItalyCommercial(pre_2013=True, reference_rates={(2026, 2): D("2.00")}),
    ItalyLegal(rates={2027: "1.5"}),
    EUDirective2011_7(D("2.5"), D("9"), reference_rates={(2025, 1): D("3")}, actual_actual=True),
    GermanyBGB288(consumer=True),
    GermanyBGB288(contract_before_2014_07_29=True, fallback_rate=D("1")),
    FranceL441_10(taux_legal={(2024, 1): D("5.07")}),
    FranceL441_10(contractual_rate=D("12"), taux_legal={(2024, 1): D("5.07")}),
    SpainLey3_2004(),
    UKLatePayment1998(),
]


@pytest.mark.parametrize("regime", ALL_REGIMES, ids=repr)
def test_repr_is_valid_python_and_values_compare(regime: Regime) -> None:
    again = eval(repr(regime), {**vars(__import__("dunning.interest").interest), "Decimal": D})
    assert again == regime
    assert hash(again) == hash(regime)


def test_registry_and_keys() -> None:
    assert set(REGIMES) == {
        "it-231",
        "it-legal",
        "eu-2011-7",
        "de-288",
        "fr-l441-10",
        "es-3-2004",
        "uk-1998",
    }
    for key, cls in REGIMES.items():
        assert cls.key == key
        assert isinstance(get_regime(key), cls)
    regime = GermanyBGB288(consumer=True)
    assert get_regime(regime) is regime
    assert get_regime("es-3-2004") == SpainLey3_2004() != get_regime("it-231")


def test_unknown_key_lists_the_known_ones() -> None:
    with pytest.raises(LookupError, match=r"unknown interest regime 'xx-1'.*it-231.*uk-1998"):
        get_regime("xx-1")


class _EntryPoint:
    def __init__(self, name: str, obj: object) -> None:
        self.name = name
        self.value = f"thirdparty:{name}"
        self._obj = obj

    def load(self) -> object:
        return self._obj


def test_third_party_regime_through_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    import dunning.interest as module

    class Flat(Regime):
        key = "xx-flat"

        def rate_on(self, day: date) -> Decimal:
            return D("36.5")

    eps = [_EntryPoint("xx-flat", Flat), _EntryPoint("xx-bad", object())]

    def fake(*, group: str, name: str | None = None) -> list[_EntryPoint]:
        assert group == "dunning.interest"
        return [ep for ep in eps if name is None or ep.name == name]

    monkeypatch.setattr(module, "entry_points", fake)
    assert "xx-flat" in known_keys()
    r = compute(eur("1000.00"), date(2025, 1, 1), date(2025, 1, 11), "xx-flat")
    # 1000 × 36.5 × 10 / 36500 = 10.00
    assert r.amount == eur("10.00")
    with pytest.raises(TypeError, match="not a Regime"):
        get_regime("xx-bad")


# -- properties -----------------------------------------------------------------------------

FIRST = date(2016, 1, 1)
LAST = date(2026, 6, 30)  # every built-in table knows every day in between
SPAN = (LAST - FIRST).days

VARIABLE = [r for r in ALL_REGIMES if not r.rate_fixed_at_start] + [EUDirective2011_7(D("2"))]
principals = st.integers(min_value=0, max_value=10**10).map(lambda c: eur(str(D(c).scaleb(-2))))
days = st.integers(min_value=0, max_value=SPAN).map(lambda n: FIRST + timedelta(days=n))


def _as(money: Money, regime: Regime) -> Money:
    return Money(money.amount, "GBP") if isinstance(regime, UKLatePayment1998) else money


@given(st.sampled_from(ALL_REGIMES), principals, days, days)
def test_zero_up_to_the_due_date(regime: Regime, principal: Money, a: date, b: date) -> None:
    due, until = max(a, b), min(a, b)
    r = compute(_as(principal, regime), due, until, regime)
    assert r.amount.is_zero
    assert r.periods == ()


@given(st.sampled_from(ALL_REGIMES), principals, days, days, days)
def test_never_decreases_with_time(
    regime: Regime, principal: Money, due: date, a: date, b: date
) -> None:
    principal = _as(principal, regime)
    early, late = min(a, b), max(a, b)
    assert (
        compute(principal, due, early, regime).amount
        <= compute(principal, due, late, regime).amount
    )


@given(st.sampled_from(VARIABLE), principals, days, days, days)
def test_additive_over_split_periods(
    regime: Regime, principal: Money, a: date, b: date, c: date
) -> None:
    # interest(due, t1) + interest(t1, t2) == interest(due, t2): exactly on the unrounded
    # figures (up to Decimal's 28 significant digits), and within one cent on the rounded ones
    # (the split cuts one period in two; each half is rounded on its own).
    due, t1, t2 = sorted((a, b, c))
    whole = compute(principal, due, t2, regime)
    first = compute(principal, due, t1, regime)
    second = compute(principal, t1, t2, regime)
    assert abs((first.exact + second.exact - whole.exact).amount) < D("1e-15")
    assert abs((first.amount + second.amount - whole.amount).amount) <= D("0.01")


@given(st.sampled_from(ALL_REGIMES), principals, days, days, st.integers(1, 1000))
def test_scales_linearly_with_the_principal(
    regime: Regime, principal: Money, a: date, b: date, k: int
) -> None:
    due, until = min(a, b), max(a, b)
    principal = _as(principal, regime)
    one = compute(principal, due, until, regime)
    many = compute(principal * k, due, until, regime)
    assert abs((many.exact - one.exact * k).amount) < D("1e-12") * k * (1 + principal.amount)
    # Rounded: each period of `many` is within half a cent of k × exact, and k × each rounded
    # period of `one` within k half-cents of it.
    tolerance = D("0.005") * (k + 1) * max(len(one.periods), 1)
    assert abs((many.amount - one.amount * k).amount) <= tolerance


@given(st.sampled_from(ALL_REGIMES), principals, days, days)
def test_periods_tile_the_interval_and_add_up(
    regime: Regime, principal: Money, a: date, b: date
) -> None:
    due, until = min(a, b), max(a, b)
    r = compute(_as(principal, regime), due, until, regime)
    assert r.amount == sum((p.amount for p in r.periods), Money.zero(r.amount.currency))
    if principal.is_zero or due == until:
        assert r.periods == ()
        return
    assert r.periods[0].start == due + timedelta(days=1)
    assert r.periods[-1].end == until
    for before, after in zip(r.periods, r.periods[1:], strict=False):
        assert before.end + timedelta(days=1) == after.start
    assert sum(p.days for p in r.periods) == (until - due).days


def test_eu_generic_without_reference_rate_says_which_parameter() -> None:
    with pytest.raises(UnknownRate, match="reference_rate=Decimal"):
        compute(eur("1"), date(2025, 1, 1), date(2025, 1, 2), "eu-2011-7")


def test_uk_is_additive_only_from_the_same_start() -> None:
    # Due 15 Jun 2023: 11.50 % fixed for the whole claim. Restarting the count on 30 Jun would
    # pick up the 2023 H2 rate (5.00 + 8 = 13.00): the split is NOT additive, by design.
    whole = compute(gbp("36500.00"), date(2023, 6, 15), date(2023, 7, 15), "uk-1998")
    first = compute(gbp("36500.00"), date(2023, 6, 15), date(2023, 6, 30), "uk-1998")
    second = compute(gbp("36500.00"), date(2023, 6, 30), date(2023, 7, 15), "uk-1998")
    # 36500 × 11.50 × 30 / 36500 = 345.00; 15 days at 11.50 = 172.50; 15 days at 13.00 = 195.00
    assert (whole.amount, first.amount, second.amount) == (
        gbp("345.00"),
        gbp("172.50"),
        gbp("195.00"),
    )
