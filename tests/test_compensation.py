"""Fixed compensation per late invoice: EUR 40 in the EU regimes, GBP 40/70/100 in the UK."""

from __future__ import annotations

import pytest

from dunning.compensation import fixed_compensation
from dunning.interest import EUDirective2011_7, GermanyBGB288, ItalyCommercial
from dunning.money import Money

EU_KEYS = ["it-231", "eu-2011-7", "de-288", "fr-l441-10", "es-3-2004"]


@pytest.mark.parametrize("regime", EU_KEYS)
@pytest.mark.parametrize("kind", ["business", "public_admin"])
@pytest.mark.parametrize("amount", ["0.01", "999.99", "1000000.00"])
def test_eu_regimes_give_forty_euros_to_businesses(regime: str, kind: str, amount: str) -> None:
    assert fixed_compensation(Money(amount, "EUR"), debtor_kind=kind, regime=regime) == Money(
        "40", "EUR"
    )


@pytest.mark.parametrize("regime", [*EU_KEYS, "uk-1998", "it-legal"])
def test_consumers_owe_no_fixed_compensation(regime: str) -> None:
    currency = "GBP" if regime == "uk-1998" else "EUR"
    result = fixed_compensation(Money("5000", currency), debtor_kind="consumer", regime=regime)
    assert result.is_zero
    assert result.currency == currency


def test_regime_objects_are_accepted() -> None:
    for regime in (ItalyCommercial(pre_2013=True), GermanyBGB288(), EUDirective2011_7()):
        assert fixed_compensation(
            Money("10", "EUR"), debtor_kind="business", regime=regime
        ) == Money("40", "EUR")
    # § 288 Abs. 5 BGB: no Pauschale against a consumer, whatever the regime object says.
    assert fixed_compensation(
        Money("10", "EUR"), debtor_kind="consumer", regime=GermanyBGB288(consumer=True)
    ).is_zero


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.01", "40"),
        ("999.99", "40"),
        ("1000.00", "70"),
        ("9999.99", "70"),
        ("10000.00", "100"),
        ("250000.00", "100"),
    ],
)
@pytest.mark.parametrize("kind", ["business", "public_admin"])
def test_uk_bands_by_debt_size(amount: str, expected: str, kind: str) -> None:
    assert fixed_compensation(Money(amount, "GBP"), debtor_kind=kind, regime="uk-1998") == Money(
        expected, "GBP"
    )


def test_it_legal_has_no_fixed_compensation() -> None:
    assert fixed_compensation(
        Money("100", "EUR"), debtor_kind="business", regime="it-legal"
    ).is_zero


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="debtor_kind must be one of"):
        fixed_compensation(Money("1", "EUR"), debtor_kind="company", regime="it-231")
    with pytest.raises(ValueError, match="needs a GBP debt"):
        fixed_compensation(Money("1", "EUR"), debtor_kind="business", regime="uk-1998")
    with pytest.raises(LookupError, match="unknown interest regime"):
        fixed_compensation(Money("1", "EUR"), debtor_kind="business", regime="xx")


def test_regime_without_a_rule_is_an_error() -> None:
    from datetime import date
    from decimal import Decimal

    from dunning.interest import Regime

    class Flat(Regime):
        key = "xx-flat"

        def rate_on(self, day: date) -> Decimal:
            return Decimal(10)

    with pytest.raises(
        ValueError, match="no fixed-compensation rule for interest regime 'xx-flat'"
    ):
        fixed_compensation(Money("1", "EUR"), debtor_kind="business", regime=Flat())
