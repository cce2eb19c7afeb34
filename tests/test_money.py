"""Money: exact amounts, one currency per operation, lossless allocation."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning import CurrencyMismatch, Money

cents = st.integers(min_value=-(10**9), max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))


def test_accepts_str_int_decimal() -> None:
    assert Money("10.00", "EUR") == Money(10, "EUR") == Money(Decimal("10"), "EUR")


@pytest.mark.parametrize("bad", [10.0, 0.1, True])
def test_refuses_float_and_bool(bad: object) -> None:
    with pytest.raises(TypeError, match=r"float|bool"):
        Money(bad, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [("12,50", "EUR", "not a decimal"), ("NaN", "EUR", "finite"), ("1", "eur", "ISO 4217")],
)
def test_bad_values_say_what_is_wrong(amount: str, currency: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Money(amount, currency)


def test_currencies_do_not_mix() -> None:
    with pytest.raises(CurrencyMismatch, match="EUR and GBP"):
        Money("1", "EUR") + Money("1", "GBP")
    with pytest.raises(CurrencyMismatch):
        _ = Money("1", "EUR") < Money("1", "GBP")


def test_sum_and_repr() -> None:
    total = sum([Money("0.10", "EUR")] * 3)
    assert total == Money("0.30", "EUR")
    assert repr(total) == "Money('0.30', 'EUR')"
    assert eval(repr(total)) == total


def test_rounding_is_explicit_and_per_currency() -> None:
    assert Money("2.675", "EUR").rounded() == Money("2.68", "EUR")  # half even: 2.675 -> 2.68
    assert Money("2.665", "EUR").rounded() == Money("2.66", "EUR")
    assert Money("2.665", "EUR").rounded(ROUND_HALF_UP) == Money("2.67", "EUR")
    assert Money("1234.5", "JPY").rounded().amount == Decimal("1234")
    assert Money("1.2345", "KWD").rounded().amount == Decimal("1.234")


def test_format_uses_babel() -> None:
    assert Money("1234.5", "EUR").format("it_IT") == "1.234,50\xa0€"
    assert str(Money("1234.5", "EUR")) == "1,234.50 EUR"


@given(cents, st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12))
def test_allocate_loses_nothing(amount: Decimal, ratios: list[int]) -> None:
    """Invariant 11 (money is conserved): allocate never loses or creates a cent."""
    if sum(ratios) == 0:
        ratios[0] = 1
    parts = Money(amount, "EUR").allocate(ratios)
    assert sum(parts, Money.zero("EUR")) == Money(amount, "EUR")
    assert len(parts) == len(ratios)
    total = sum(ratios)
    for part, ratio in zip(parts, ratios, strict=True):
        if ratio == 0:
            assert part.is_zero
        assert abs(part.amount - amount * ratio / total) < Decimal("0.01")


def test_allocate_even_split_gives_remainder_to_first() -> None:
    parts = Money("100.00", "EUR").allocate([1, 1, 1])
    assert parts == (Money("33.34", "EUR"), Money("33.33", "EUR"), Money("33.33", "EUR"))


def test_allocate_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Money("1", "EUR").allocate([])
    with pytest.raises(ValueError, match="all be zero"):
        Money("1", "EUR").allocate([0, 0])
    with pytest.raises(TypeError):
        Money("1", "EUR").allocate([0.5, 0.5])  # type: ignore[list-item]


@given(cents, cents)
def test_addition_is_exact_and_commutative(a: Decimal, b: Decimal) -> None:
    assert Money(a, "EUR") + Money(b, "EUR") == Money(b, "EUR") + Money(a, "EUR")
    assert (Money(a, "EUR") + Money(b, "EUR")).amount == a + b
    assert Money(a, "EUR") - Money(a, "EUR") == Money.zero("EUR")
