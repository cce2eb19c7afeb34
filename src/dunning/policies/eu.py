"""European Union: the generic preset of the Late Payment Directive 2011/7/EU.

For creditors dunning in a member state that has no preset of its own. The Directive
(transposed in every member state) governs **commercial transactions**: between businesses and
between businesses and public authorities (art. 1(2)); consumers are outside it.

What the Directive gives the creditor, and how the preset encodes it:

- **Interest without a reminder** (art. 3(1), 4(1)): late-payment interest is due from the
  day after the due date stipulated in the contract (or, failing one, 30 days after receipt of
  the invoice, art. 3(3)(b)), "without the necessity of a reminder". The rate is the reference
  rate + at least 8 points (art. 2(6)): ``interest="eu-2011-7"`` (supply the member state's
  reference rate to `dunning.interest.EUDirective2011_7`, art. 2(7)).
- **Fixed compensation** (art. 6): a minimum of EUR 40 per late invoice, "without the
  necessity of a reminder", on top of reasonable recovery costs: ``fixed_compensation=True``
  for business and public-administration debtors.
- **Public authorities** (art. 4): the same interest and compensation, with payment terms of
  at most 30 days (60 for some health-care and public entities); the preset treats them like
  businesses, but writes to them by e-mail or post only.

The sequence (reminders are good practice, not a legal condition, since interest runs
anyway): ``reminders`` reminders ``cadence_days`` apart after a payment-in-transit grace; a
**formal notice** over a channel that proves delivery (registered post with advice of
receipt, ``postal("registered_ar")``): in most member states a written demand received by the
debtor is what interrupts limitation, so proof matters; then **hand-over** to a collection
agency for balances of at least ``handover_min``.

**Consumers** get the same sequence with a longer grace, no statutory interest key (the
Directive does not apply; the national legal rate is for the caller to add) and never the
fixed compensation.

Business days follow ``Calendar(country)``: ``country`` (an ISO 3166 code) is required.
Limitation periods are national: pass ``limitation`` (a `dunning.LimitationRules` with the
member state's periods) to be warned ``limitation_horizon_days`` before they run out.

Source: Directive 2011/7/EU of 16 February 2011 on combating late payment in commercial
transactions, art. 2-6. See ``../shared/LEGAL.md``.
"""

from __future__ import annotations

from ..calendars import Calendar
from ..delays import after_previous
from ..errors import PolicyError
from ..guards import debtor_kind
from ..limitation import LimitationRules
from ..money import Money
from ..policy import (
    Policy,
    PolicyLike,
)
from ..rates import RateSet, RatesLike
from ..steps import Ladder, Routes, email, postal
from ._common import (
    amount,
    check_ranges,
    formal_notice_then_hand_over,
    reminder_ladder,
    usual_rules,
)

__all__ = ["directive_2011_7"]


def directive_2011_7(
    *,
    country: str,
    reminders: int = 2,
    cadence_days: int = 14,
    grace_days: int = 5,
    consumer_grace_days: int = 7,
    deadline_days: int = 10,
    formal_notice_deadline_days: int = 15,
    good_payer_extra_days: int = 7,
    min_balance: Money | str = "10.00",
    handover_min: Money | str = "250.00",
    calendar: Calendar | None = None,
    limitation: LimitationRules | None = None,
    limitation_horizon_days: int = 180,
    interest_rates: RatesLike = None,
) -> PolicyLike:
    """The Late Payment Directive's generic sequence (see the module docstring).

    ``country`` is the ISO 3166 code whose business days count (``"AT"``, ``"NL"``...);
    amounts may be given as `Money` or as a decimal string in euro.
    ``interest_rates``: reference rates to use on top of the published tables, by regime key
    or series and period (``{"it-231": {"2026-H2": "2.15"}}``; see `dunning.rates`).
    """
    if not isinstance(country, str):
        raise PolicyError(f"directive_2011_7: country must be an ISO 3166 code, not {country!r}")
    ranges = {
        "reminders": (reminders, 1, 4),
        "cadence_days": (cadence_days, 7, 30),
        "grace_days": (grace_days, 0, 30),
        "consumer_grace_days": (consumer_grace_days, 0, 30),
        "deadline_days": (deadline_days, 1, 60),
        "formal_notice_deadline_days": (formal_notice_deadline_days, 1, 60),
        "good_payer_extra_days": (good_payer_extra_days, 0, 30),
        "limitation_horizon_days": (limitation_horizon_days, 0, 3650),
    }
    check_ranges("directive_2011_7", ranges)
    try:
        cal = calendar or Calendar(country)
    except PolicyError as exc:
        raise PolicyError(f"directive_2011_7: country {country!r}: {exc}") from None
    floor = amount(min_balance, "EUR")
    handover = amount(handover_min, "EUR")

    def ladder(via: Routes) -> Ladder:
        steps = list(
            reminder_ladder(
                reminders,
                name="reminder",
                template="eu/reminder",
                via=via,
                cadence_days=cadence_days,
                deadline_days=deadline_days,
                calendar=cal,
            )
        )
        steps += [
            *formal_notice_then_hand_over(
                formal="formal_notice",
                hand_over="hand_over",
                templates="eu",
                via=postal("registered_ar"),
                delay=after_previous(cadence_days).adjusted(cal),
                deadline_days=formal_notice_deadline_days,
                handover_min=handover,
                calendar=cal,
            ),
        ]
        return Ladder(tuple(steps))

    rates = RateSet.of(interest_rates)

    def variant(name: str, kinds: tuple[str, ...], grace: int) -> Policy:
        consumer = kinds == ("consumer",)
        rules = usual_rules(
            grace_days=grace,
            cadence_days=cadence_days,
            max_reminders=reminders,
            good_payer_extra_days=good_payer_extra_days,
            limitation_horizon_days=limitation_horizon_days,
        )
        return Policy(
            ladder(email | postal()),
            rules,
            name=f"eu.{name}",
            min_balance=floor,
            calendar=cal,
            limitation=limitation,
            limitation_horizon_days=limitation_horizon_days,
            # art. 1(2): commercial transactions only; consumers keep the national legal rate
            interest=None if consumer else "eu-2011-7",
            interest_rates=rates,
            fixed_compensation=not consumer,  # art. 6: EUR 40, never from consumers
        ).when(debtor_kind(*kinds))

    return variant("business", ("business", "public_admin"), grace_days) | variant(
        "consumer", ("consumer",), consumer_grace_days
    )
