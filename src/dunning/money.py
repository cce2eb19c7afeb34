"""Money: a `Decimal` amount in one currency.

Floats are refused outright (``Money(10.0, "EUR")`` raises `TypeError`): a float cannot hold
``0.10`` exactly and an amount on a reminder must be exact. Arithmetic works only within one
currency; rounding to the currency's minor units is explicit (`Money.rounded`) and uses the
CLDR precision shipped with babel (2 for EUR, 0 for JPY, 3 for KWD).

>>> Money("10.00", "EUR") + Money("2.5", "EUR")
Money('12.50', 'EUR')
>>> sum([Money("1.10", "EUR"), Money("2.20", "EUR")])
Money('3.30', 'EUR')
>>> Money("100.00", "EUR").allocate([1, 1, 1])
(Money('33.34', 'EUR'), Money('33.33', 'EUR'), Money('33.33', 'EUR'))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import attrs
from babel.numbers import format_currency, get_currency_precision, list_currencies

__all__ = [
    "MAX_DIGITS",
    "ROUND_HALF_EVEN",
    "ROUND_HALF_UP",
    "CurrencyMismatch",
    "Money",
    "is_currency",
    "minor_units",
    "total",
]

_CURRENCY = re.compile(r"^[A-Z]{3}$")

#: The most digits an amount may have before the decimal point: with the minor units it stays
#: inside `decimal`'s default 28-digit precision, so sums and rounding stay exact.
MAX_DIGITS = 18


class CurrencyMismatch(ValueError):  # noqa: N818  (reads better than ...Error)
    """Raised when an operation mixes two currencies."""


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise TypeError(
            f"Money amount must be a Decimal, int or str, not {type(value).__name__} "
            f"({value!r}): floats cannot represent cents exactly; pass a string such as "
            f"{str(value)!r} instead"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"Money amount {value!r} is not a decimal number") from None
    else:
        raise TypeError(f"Money amount must be a Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"Money amount must be finite, not {value!r}")
    if result and result.adjusted() >= MAX_DIGITS:
        raise ValueError(
            f"Money amount {str(value).strip()!r} is too large: at most {MAX_DIGITS} digits "
            "before the decimal point"
        )
    return result


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: object) -> bool:
    """Whether ``code`` is an ISO 4217 currency code known to CLDR (babel's data):
    ``is_currency("EUR")`` is true, ``is_currency("XYZ")`` and ``is_currency("eur")`` false."""
    return isinstance(code, str) and bool(_CURRENCY.match(code)) and code in _known_currencies()


def _to_currency(value: object) -> str:
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise ValueError(f"currency must be an ISO 4217 code such as 'EUR', not {value!r}")
    if not is_currency(value):
        raise ValueError(f"currency {value!r} is not an ISO 4217 currency code")
    return value


@lru_cache(maxsize=64)
def minor_units(currency: str) -> int:
    """Number of decimal places of ``currency`` according to CLDR (EUR: 2, JPY: 0)."""
    return int(get_currency_precision(currency))


@attrs.frozen(repr=False, order=False)
class Money:
    """An exact amount of one currency.

    ``amount`` accepts `Decimal`, `int` or a decimal string; ``currency`` is an ISO 4217 code.
    """

    amount: Decimal = attrs.field(converter=_to_decimal)
    currency: str = attrs.field(validator=lambda _i, _a, v: _to_currency(v))

    @classmethod
    def zero(cls, currency: str) -> Money:
        """A zero amount of ``currency``."""
        return cls(Decimal(0), currency)

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        places = minor_units(self.currency)
        amount = self.rounded().amount
        return f"{amount:,.{places}f} {self.currency}"

    def format(self, locale: str = "en_GB") -> str:
        """Format for people, with babel: ``Money("1234.5", "EUR").format("it_IT")`` gives
        ``'1.234,50\xa0€'``."""
        return str(format_currency(self.rounded().amount, self.currency, locale=locale))

    # -- arithmetic -------------------------------------------------------------------------
    def _same(self, other: Money, op: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(
                f"cannot {op} {self.currency} and {other.currency}: convert explicitly first"
            )

    def __add__(self, other: object) -> Money:
        if isinstance(other, Money):
            self._same(other, "add")
            return Money(self.amount + other.amount, self.currency)
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        # Makes sum() work: sum() starts from the integer 0.
        return self.__add__(other)

    def __sub__(self, other: object) -> Money:
        if isinstance(other, Money):
            self._same(other, "subtract")
            return Money(self.amount - other.amount, self.currency)
        return NotImplemented

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, bool | float) or not isinstance(factor, Decimal | int):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def _cmp(self, other: object, op: str) -> Any:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return getattr(self.amount, op)(other.amount)

    def __lt__(self, other: object) -> bool:
        return bool(self._cmp(other, "__lt__"))

    def __le__(self, other: object) -> bool:
        return bool(self._cmp(other, "__le__"))

    def __gt__(self, other: object) -> bool:
        return bool(self._cmp(other, "__gt__"))

    def __ge__(self, other: object) -> bool:
        return bool(self._cmp(other, "__ge__"))

    def __bool__(self) -> bool:
        return bool(self.amount)

    # -- helpers ----------------------------------------------------------------------------
    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def rounded(self, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Round to the currency's minor units with an explicit ``decimal`` rounding mode."""
        quantum = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(quantum, rounding=rounding), self.currency)

    def min(self, other: Money) -> Money:
        """The smaller of two amounts of the same currency."""
        return self if self <= other else other

    def allocate(self, ratios: Sequence[int | Decimal]) -> tuple[Money, ...]:
        """Split into parts proportional to ``ratios`` without losing or creating a cent.

        The amount is first rounded to minor units; the remainder cents go to the parts with
        the largest remainders (earlier parts first on ties), so the parts always add up
        exactly to the rounded amount.
        """
        if not ratios:
            raise ValueError("allocate needs at least one ratio")
        weights = [_to_decimal(r) for r in ratios]
        if any(w < 0 for w in weights):
            raise ValueError("allocate ratios must not be negative")
        total = sum(weights, Decimal(0))
        if total == 0:
            raise ValueError("allocate ratios must not all be zero")
        places = minor_units(self.currency)
        cents = int(self.rounded().amount.scaleb(places))
        sign = -1 if cents < 0 else 1
        cents = abs(cents)
        exact = [Decimal(cents) * w / total for w in weights]
        shares = [int(x.to_integral_value(rounding="ROUND_FLOOR")) for x in exact]
        # Largest remainder first (earlier parts win ties): each part is within a cent of its
        # exact share and a zero ratio always gets zero.
        order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - shares[i]), i))
        for i in order[: cents - sum(shares)]:
            shares[i] += 1
        return tuple(Money(Decimal(sign * s).scaleb(-places), self.currency) for s in shares)


def total(amounts: Iterable[Money], currency: str) -> Money:
    """Sum of ``amounts`` (all in ``currency``); zero when there are none."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
