"""Fixed compensation for recovery costs, per late invoice.

The EU late-payment directive (2011/7/EU art. 6) gives a creditor a fixed sum of at least
EUR 40 for every late payment between businesses or from a public authority, due without any
reminder; the UK's Late Payment Act grades it by the size of the debt. Consumers never owe it.

>>> from dunning.money import Money
>>> fixed_compensation(Money("1200.00", "EUR"), debtor_kind="business", regime="it-231")
Money('40', 'EUR')
>>> fixed_compensation(Money("1200.00", "EUR"), debtor_kind="consumer", regime="it-231")
Money('0', 'EUR')
>>> fixed_compensation(Money("1000.00", "GBP"), debtor_kind="business", regime="uk-1998")
Money('70', 'GBP')

Whether a policy claims it is the policy's choice; higher proven recovery costs may be
claimed on top in every regime here.
"""

from __future__ import annotations

from decimal import Decimal

from .interest import Regime, get_regime
from .money import Money

__all__ = ["DEBTOR_KINDS", "EU_FIXED_COMPENSATION", "UK_BANDS", "fixed_compensation"]

DEBTOR_KINDS = ("business", "public_admin", "consumer")
"""The debtor kinds the rules distinguish."""

EU_FIXED_COMPENSATION = Money("40", "EUR")
"""EUR 40 per late payment: directive 2011/7/EU art. 6(1) and its transpositions."""

# Late Payment of Commercial Debts (Interest) Act 1998 s. 5A(2): (upper bound exclusive, sum).
UK_BANDS: tuple[tuple[Decimal | None, Money], ...] = (
    (Decimal("1000.00"), Money("40", "GBP")),  # debt less than GBP 1,000
    (Decimal("10000.00"), Money("70", "GBP")),  # GBP 1,000 to less than GBP 10,000
    (None, Money("100", "GBP")),  # GBP 10,000 or more
)

# Regimes transposing 2011/7/EU art. 6 with EUR 40 for non-consumer debtors:
# - it-231: D.Lgs. 231/2002 art. 6 co. 2 (EUR 40 per late payment, CJEU C-78/22);
# - eu-2011-7: directive 2011/7/EU art. 6(1);
# - de-288: § 288 Abs. 5 BGB (Pauschale, only if the debtor is not a consumer; it is set off
#   against damages for legal costs, § 288 Abs. 5 Satz 3);
# - fr-l441-10: art. L441-10 II and D441-5 Code de commerce (indemnité forfaitaire);
# - es-3-2004: Ley 3/2004 art. 8.1.
_EU_KEYS = frozenset({"it-231", "eu-2011-7", "de-288", "fr-l441-10", "es-3-2004"})


def fixed_compensation(amount_due: Money, *, debtor_kind: str, regime: str | Regime) -> Money:
    """The fixed compensation for one late invoice of ``amount_due``.

    - Consumers: zero under every regime (the directive and the UK Act cover only
      commercial transactions; § 288 Abs. 5 BGB excludes consumers expressly).
    - Businesses and public administrations under ``it-231``, ``eu-2011-7``, ``de-288``,
      ``fr-l441-10`` and ``es-3-2004``: EUR 40, whatever the amount (for a non-euro debt
      under ``eu-2011-7`` the national equivalent is the caller's conversion).
    - ``uk-1998``, Late Payment of Commercial Debts (Interest) Act 1998 s. 5A (inserted by
      SI 2002/1674): GBP 40 for a debt under GBP 1,000, GBP 70 under GBP 10,000 and GBP 100
      from GBP 10,000; ``amount_due`` must be in GBP. Public authorities are covered by the
      Act like businesses.
    - ``it-legal`` (art. 1284 c.c., civil debts): zero, there is no fixed compensation.

    Other regimes raise `ValueError`: no silent guess.
    """
    if debtor_kind not in DEBTOR_KINDS:
        raise ValueError(
            f"debtor_kind must be one of {', '.join(DEBTOR_KINDS)}, not {debtor_kind!r}"
        )
    key = get_regime(regime).key
    if key in _EU_KEYS:
        if debtor_kind == "consumer":
            return Money.zero("EUR")
        return EU_FIXED_COMPENSATION
    if key == "uk-1998":
        if amount_due.currency != "GBP":
            raise ValueError(f"uk-1998 compensation needs a GBP debt, not {amount_due!r}")
        if debtor_kind == "consumer":
            return Money.zero("GBP")
        for bound, sum_due in UK_BANDS:
            if bound is None or amount_due.amount < bound:
                return sum_due
    if key == "it-legal":
        return Money.zero(amount_due.currency)
    raise ValueError(f"no fixed-compensation rule for interest regime {key!r}")
