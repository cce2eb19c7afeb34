"""United States: collecting consumer debts within Regulation F (12 CFR part 1006).

Regulation F implements the Fair Debt Collection Practices Act for debt collectors; first-party
creditors often follow it as good practice. The preset encodes:

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

The sequence: a courtesy notice 5 days before the due date; reminders every ``cadence_days``
after a payment-in-transit grace; a phone call; a final demand by certified mail with return
receipt; placement with a collection agency for balances worth it. Business days follow the
US federal calendar. Statutory interest is not part of this preset (US late-payment interest
is contractual or set by each state).
"""

from __future__ import annotations

from ..calendars import Calendar, ContactHours
from ..delays import after_due, after_previous, before_due
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
from ..steps import Ladder, Step, email, phone, postal, sms
from ._common import amount, check_ranges, formal_notice_then_hand_over

__all__ = ["regulation_f"]


def regulation_f(
    *,
    reminders: int = 2,
    cadence_days: int = 14,
    grace_days: int = 5,
    deadline_days: int = 14,
    final_notice_deadline_days: int = 30,
    min_balance: Money | str = "10.00",
    handover_min: Money | str = "100.00",
    calendar: Calendar | None = None,
) -> Policy:
    """Consumer collection in the US within Regulation F (see the module docstring).

    Amounts may be given as `Money` or as a decimal string in US dollars.
    """
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

    steps = [
        Step(
            "courtesy_notice",
            "notice",
            via=email | sms,
            delay=before_due(5).adjusted(cal, roll="back"),
            template="us/courtesy_notice",
        )
    ]
    for n in range(1, reminders + 1):
        steps.append(
            Step(
                f"reminder_{n}",
                "reminder",
                via=email | postal() | sms,
                delay=after_due(0) if n == 1 else after_previous(cadence_days).adjusted(cal),
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
        name="us.regulation_f",
        min_balance=floor,
        calendar=cal,
        contact_hours=ContactHours(),
    ).when(debtor_kind("consumer"))
