"""United States: collecting consumer debts within Regulation F (12 CFR part 1006).

**For whom.** Regulation F implements the Fair Debt Collection Practices Act and binds *debt
collectors*: whoever regularly collects, directly or indirectly, debts owed or due another, or
whose principal business is collecting debts (15 U.S.C. § 1692a(6)); a creditor collecting its
own debts under its own name is not one. Hence two variants:

- ``regulation_f()`` — for a **creditor** dunning its own customers, which follows the rule as
  good practice: a courtesy notice 5 days before the due date; reminders every
  ``cadence_days`` after a payment-in-transit grace; a phone call; a final demand by certified
  mail with return receipt; placement with a collection agency for balances worth it.
- ``regulation_f(collector=True)`` — for a **debt collector** (an agency, a debt buyer). Its
  first communication with the consumer is the **validation notice** (§ 1006.34(a)(1): the
  validation information goes in the initial communication or within five days after it;
  here it *is* the initial communication, so nothing precedes it): the ``validation_notice``
  step, first on the ladder, by post (or e-mail, delivered as § 1006.42 requires). No
  courtesy notice: a collector gets debts already overdue. The first reminder waits until the
  **validation period** is over (§ 1006.34(b)(5): 30 days after the consumer receives the
  notice, which the collector may assume happens 5 days, not counting Saturdays, Sundays and
  federal holidays, after sending it; see `validation_period_end`), so no demand overshadows
  the consumer's right to dispute (15 U.S.C. § 1692g(b)); then the same sequence as the
  creditor's. The validation notice names no payment deadline; its template should print the
  end of the validation period.

The validation notice has kind ``"reminder"`` (a written demand for an overdue debt): in this
library a ``"notice"`` is the pre-due notice, sent only before the due date. Being level 1,
unguarded and not optional, it is the case's first contact in every episode (a step that no
channel reaches stops the case with an alert, it is never passed over). A debt placed while
an episode is under way joins that episode and is claimed by its next step: to give each
debt its own validation notice, plan per invoice (``plan(..., per_invoice=True)``), as
Regulation F also counts calls per debt. Give the engine only the collector's own contacts
as history.

Both variants encode:

- **Inconvenient times** (§ 1006.6(b)(1)(i)): no communication before 08:00 or after 21:00 at
  the consumer's location — every action but a letter carries that window
  (`Action.not_before` / `Action.not_after`). The consumer's location is ``Debtor.timezone``
  when set, else the state of the debtor's US address, else any US time zone; when the
  consumer may be in several zones the window is the part of the day convenient in all of
  them (`dunning.timezones`, `ContactHours.common_window`): 14:00-21:00 Eastern in summer for
  a debtor whose state is unknown. When no time suits every zone, e-mails, texts and calls
  wait and the proposal alerts.
- **Call frequency** (§ 1006.14(b)(2)): a collector is presumed to harass when it calls more
  than 7 times within 7 consecutive days about a debt, or within 7 days after a telephone
  conversation about it (`call_limits`; record conversations as `DebtorReplied(...,
  channel="phone")`).
- **Opt-out** (§ 1006.6(e)): every e-mail and text must offer a clear, free way to opt out;
  debtors' opt-outs (``Debtor.opt_out``) are never contacted on that channel.
- **Disputes** (15 U.S.C. § 1692g(b)): collection stops on a disputed debt until it is verified
  (`pause_on_dispute`).

Business days follow the US federal calendar. Statutory interest is not part of this preset
(US late-payment interest is contractual or set by each state).
"""

from __future__ import annotations

from datetime import date, timedelta

from ..calendars import Calendar, ContactHours
from ..delays import after_due, after_previous, before_due
from ..errors import PolicyError
from ..guards import debtor_kind
from ..money import Money
from ..policy import (
    Policy,
    call_limits,
    contact_caps,
    on_business_days,
    pause_on_dispute,
    promise_pause,
    transit_grace,
)
from ..rates import RateSet, RatesLike
from ..steps import Ladder, Step, email, phone, postal, sms
from ._common import amount, check_ranges, formal_notice_then_hand_over

__all__ = ["regulation_f", "validation_period_end"]

#: Days the consumer has to dispute after receiving the validation notice (§ 1006.34(b)(5)).
VALIDATION_DAYS = 30
#: Business days after which a collector may assume the notice was received (§ 1006.34(b)(5)).
ASSUMED_RECEIPT_DAYS = 5


def validation_period_end(sent: date, calendar: Calendar | None = None) -> date:
    """The last day of the validation period of a validation notice sent on ``sent``: 30
    days after its assumed receipt, 5 days after sending not counting Saturdays, Sundays and
    federal holidays (12 CFR § 1006.34(b)(5); ``calendar`` defaults to the US federal one).

    >>> validation_period_end(date(2026, 5, 1))  # a Friday: received Friday 8 May
    datetime.date(2026, 6, 7)
    >>> validation_period_end(date(2026, 5, 22))  # without Memorial Day: received 1 June
    datetime.date(2026, 7, 1)
    """
    cal = calendar or Calendar("US")
    return cal.add_business_days(sent, ASSUMED_RECEIPT_DAYS) + timedelta(days=VALIDATION_DAYS)


def regulation_f(
    *,
    collector: bool = False,
    reminders: int = 2,
    cadence_days: int = 14,
    grace_days: int = 5,
    deadline_days: int = 14,
    final_notice_deadline_days: int = 30,
    min_balance: Money | str = "10.00",
    handover_min: Money | str = "100.00",
    calendar: Calendar | None = None,
    interest_rates: RatesLike = None,
) -> Policy:
    """Consumer collection in the US within Regulation F (see the module docstring): a
    creditor's sequence, or with ``collector`` a debt collector's, which opens with the
    validation notice.

    Amounts may be given as `Money` or as a decimal string in US dollars.
    ``interest_rates`` is taken for uniformity with the other presets: US late-payment
    interest is contractual or set by each state, so the preset names no regime, and the
    rates only count for a regime you add (``attrs.evolve(policy, interest=...)``).
    """
    if not isinstance(collector, bool):
        raise PolicyError(f"regulation_f: collector must be True or False, not {collector!r}")
    ranges = {
        "reminders": (reminders, 1, 4),
        "cadence_days": (cadence_days, 7, 30),
        "grace_days": (grace_days, 0, 30),
        "deadline_days": (deadline_days, 1, 60),
        "final_notice_deadline_days": (final_notice_deadline_days, 1, 90),
    }
    check_ranges("regulation_f", ranges)
    cal = calendar or Calendar("US")
    floor = amount(min_balance, "USD")
    handover = amount(handover_min, "USD")

    if collector:
        steps = [
            Step(
                "validation_notice",
                "reminder",
                via=postal() | email,
                delay=after_due(0),
                template="us/validation_notice",
            )
        ]
        # the day after the validation period (§ 1006.34(b)(5)), on a business day
        first = (
            after_previous(ASSUMED_RECEIPT_DAYS)
            .in_business_days(cal)
            .plus(VALIDATION_DAYS + 1)
            .adjusted(cal)
        )
    else:
        steps = [
            Step(
                "courtesy_notice",
                "notice",
                via=email | sms,
                delay=before_due(5).adjusted(cal, roll="back"),
                template="us/courtesy_notice",
            )
        ]
        first = after_due(0)
    for n in range(1, reminders + 1):
        steps.append(
            Step(
                f"reminder_{n}",
                "reminder",
                via=email | postal() | sms,
                delay=first if n == 1 else after_previous(cadence_days).adjusted(cal),
                template=f"us/reminder_{n}",
                deadline_days=deadline_days,
            )
        )
    steps += [
        Step(
            "call",
            "call",
            via=phone,
            delay=after_previous(deadline_days).adjusted(cal).plus_business_days(1, cal),
            template="us/call",
        ),
        *formal_notice_then_hand_over(
            formal="final_demand",
            hand_over="placement",
            templates="us",
            via=postal("certified_rr"),
            delay=after_previous(7).adjusted(cal),
            deadline_days=final_notice_deadline_days,
            handover_min=handover,
            calendar=cal,
        ),
    ]
    return Policy(
        Ladder(tuple(steps)),
        rules=(
            on_business_days(),
            transit_grace(grace_days),
            pause_on_dispute(),
            promise_pause(),
            contact_caps(
                min_days=cadence_days,
                per_channel=(("sms", 2, 7),),
                kinds=("reminder", "formal_notice", "hand_over"),
            ),
            call_limits(max_calls=7, days=7, after_conversation_days=7),
        ),
        name="us.regulation_f_collector" if collector else "us.regulation_f",
        min_balance=floor,
        calendar=cal,
        contact_hours=ContactHours(),
        interest_rates=RateSet.of(interest_rates),
    ).when(debtor_kind("consumer"))
