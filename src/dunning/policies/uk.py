"""United Kingdom: chasing late payment before a county court claim.

The law:

- **Late Payment of Commercial Debts (Interest) Act 1998** (as amended by SI 2002/1674 and
  SI 2013/395): for contracts for the supply of goods or services where both parties act in
  the course of a business — public bodies included — statutory interest at 8 % over the Bank
  of England base rate runs from the day after the due date (or 30 days after the invoice
  when none was agreed), with no reminder needed (ss. 1-4; SI 2002/1675 for the rate):
  ``interest="uk-1998"``. On top, a **fixed sum** per late invoice (s. 5A): GBP 40 for debts
  under GBP 1,000, GBP 70 under GBP 10,000, GBP 100 above (``fixed_compensation=True``;
  `dunning.compensation` picks the band), plus reasonable recovery costs beyond it.
- **Consumers** are outside the Act (``interest=None``, never a fixed sum); interest is only
  what the contract provides or what a court awards (s. 69 County Courts Act 1984).
- **Pre-Action Protocol for Debt Claims** (Civil Procedure Rules, in force since 1 October
  2017): before suing an **individual, including a sole trader**, the creditor sends a Letter
  of Claim with the prescribed information sheet and reply form, and the debtor has **30 days**
  to reply. The preset's consumer policy gives its letter before action a 30-day deadline
  (``consumer_response_days``, never less), and so does the policy for business debtors
  tagged ``"sole_trader"`` (which otherwise keep the 1998 Act's interest and fixed sums). The
  protocol does not apply between companies; a 14-day letter before action there is common
  practice (``business_response_days``), and the Practice Direction on Pre-Action Conduct
  expects a reasonable time to respond.

The sequence: ``reminders`` reminders ``cadence_days`` apart after a payment-in-transit
grace; the **letter before action** (the formal notice) by a channel that proves delivery
(``postal("registered_ar")``: domestically Royal Mail Signed For or Special Delivery) — the
date of receipt starts the response period; then hand-over to a debt recovery agency or
solicitor (``debt_recovery``) for balances of at least ``handover_min``. Amounts are in
pounds sterling.

Business days follow ``Calendar("GB")`` (pass ``subdiv`` for Scotland or Northern Ireland).
Limitation (6 years for contract debts, Limitation Act 1980 s. 5; a written acknowledgement
or part payment restarts it, s. 29-30 — a letter before action does not) is not the Italian
table: pass ``limitation`` with these periods to be warned before they run out.

Sources: Late Payment of Commercial Debts (Interest) Act 1998 ss. 1-5A; SI 2002/1675;
Pre-Action Protocol for Debt Claims; Limitation Act 1980 ss. 5, 29, 30. See
``../shared/LEGAL.md``.
"""

from __future__ import annotations

from ..calendars import Calendar
from ..delays import after_previous
from ..guards import Guard, debtor_kind, has_tag
from ..limitation import LimitationRules
from ..money import Money
from ..policy import (
    Policy,
    PolicyLike,
)
from ..rates import RateSet, RatesLike
from ..steps import Ladder, email, postal
from ._common import (
    amount,
    check_ranges,
    formal_notice_then_hand_over,
    reminder_ladder,
    usual_rules,
)

__all__ = ["late_payment"]


def late_payment(
    *,
    reminders: int = 2,
    cadence_days: int = 14,
    grace_days: int = 5,
    consumer_grace_days: int = 7,
    deadline_days: int = 7,
    business_response_days: int = 14,
    consumer_response_days: int = 30,
    good_payer_extra_days: int = 7,
    min_balance: Money | str = "10.00",
    handover_min: Money | str = "100.00",
    calendar: Calendar | None = None,
    limitation: LimitationRules | None = None,
    limitation_horizon_days: int = 180,
    interest_rates: RatesLike = None,
) -> PolicyLike:
    """The UK late-payment sequence (see the module docstring).

    ``consumer_response_days`` must be at least 30 (Pre-Action Protocol for Debt Claims);
    amounts may be given as `Money` or as a decimal string in pounds sterling.
    ``interest_rates``: reference rates to use on top of the published tables, by regime key
    or series and period (``{"it-231": {"2026-H2": "2.15"}}``; see `dunning.rates`).
    """
    ranges = {
        "reminders": (reminders, 1, 4),
        "cadence_days": (cadence_days, 7, 30),
        "grace_days": (grace_days, 0, 30),
        "consumer_grace_days": (consumer_grace_days, 0, 30),
        "deadline_days": (deadline_days, 1, 60),
        "business_response_days": (business_response_days, 7, 60),
        "consumer_response_days": (consumer_response_days, 30, 90),
        "good_payer_extra_days": (good_payer_extra_days, 0, 30),
        "limitation_horizon_days": (limitation_horizon_days, 0, 3650),
    }
    check_ranges("late_payment", ranges)
    cal = calendar or Calendar("GB")
    floor = amount(min_balance, "GBP")
    handover = amount(handover_min, "GBP")

    def ladder(response_days: int) -> Ladder:
        steps = list(
            reminder_ladder(
                reminders,
                name="reminder",
                template="uk/reminder",
                via=email | postal(),
                cadence_days=cadence_days,
                deadline_days=deadline_days,
                calendar=cal,
            )
        )
        steps += [
            *formal_notice_then_hand_over(
                formal="letter_before_action",
                hand_over="debt_recovery",
                templates="uk",
                via=postal("registered_ar"),
                delay=after_previous(cadence_days).adjusted(cal),
                deadline_days=response_days,
                handover_min=handover,
                calendar=cal,
            ),
        ]
        return Ladder(tuple(steps))

    rates = RateSet.of(interest_rates)

    def variant(name: str, scope: Guard, grace: int, response_days: int) -> Policy:
        consumer = name == "consumer"
        rules = usual_rules(
            grace_days=grace,
            cadence_days=cadence_days,
            max_reminders=reminders,
            good_payer_extra_days=good_payer_extra_days,
            limitation_horizon_days=limitation_horizon_days,
        )
        return Policy(
            ladder(response_days),
            rules,
            name=f"uk.{name}",
            min_balance=floor,
            calendar=cal,
            limitation=limitation,
            limitation_horizon_days=limitation_horizon_days,
            interest=None if consumer else "uk-1998",  # the 1998 Act: business-to-business
            interest_rates=rates,
            fixed_compensation=not consumer,  # s. 5A: GBP 40 / 70 / 100
        ).when(scope)

    return (
        variant(
            "sole_trader",
            debtor_kind("business") & has_tag("sole_trader"),
            grace_days,
            consumer_response_days,
        )
        | variant(
            "business", debtor_kind("business", "public_admin"), grace_days, business_response_days
        )
        | variant("consumer", debtor_kind("consumer"), consumer_grace_days, consumer_response_days)
    )
