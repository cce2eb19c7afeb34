"""Building blocks the country presets share: parameter checks, the reminder ladder and the
usual set of rules. Private: presets are the public face."""

from __future__ import annotations

from collections.abc import Mapping

from ..calendars import Calendar
from ..decision import Rule
from ..delays import Delay, after_due, after_previous
from ..errors import PolicyError
from ..guards import balance_at_least
from ..money import Money
from ..rules import (
    before_limitation,
    contact_caps,
    good_payer_tolerance,
    on_business_days,
    pause_on_dispute,
    plan_tracking,
    promise_pause,
    supporting_documents,
    transit_grace,
)
from ..steps import Ladder, Route, Routes, Step, agency

#: Written contacts that count for spacing (a call task and a pre-due notice do not).
WRITTEN = ("reminder", "formal_notice", "hand_over")


def check_ranges(preset: str, ranges: Mapping[str, tuple[object, int, int]]) -> None:
    """Raise a `PolicyError` naming the preset and the parameter outside its range."""
    for name, (value, low, high) in ranges.items():
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise PolicyError(f"{preset}: {name} must be between {low} and {high}, not {value!r}")


def amount(value: Money | str, currency: str) -> Money:
    """A `Money` parameter given as `Money` or as a decimal string in ``currency``."""
    return value if isinstance(value, Money) else Money(value, currency)


def reminder_ladder(
    count: int,
    *,
    name: str,
    template: str,
    via: Routes,
    cadence_days: int,
    deadline_days: int,
    calendar: Calendar,
    ordinals: tuple[str, ...] | None = None,
) -> Ladder:
    """``count`` reminders: the first on the due date (the transit grace holds it back), the
    next ones ``cadence_days`` after the previous step, rolled onto a business day.
    Steps are named ``{name}_{n}``; templates ``{template}_{n}`` or ``{template}_{ordinal}``."""
    steps = []
    for n in range(1, count + 1):
        suffix = ordinals[n - 1] if ordinals else str(n)
        delay = after_due(0) if n == 1 else after_previous(cadence_days).adjusted(calendar)
        steps.append(
            Step(
                f"{name}_{n}",
                "reminder",
                via=via,
                delay=delay,
                template=f"{template}_{suffix}",
                deadline_days=deadline_days,
            )
        )
    return Ladder(tuple(steps))


def usual_rules(
    *,
    grace_days: int,
    cadence_days: int,
    max_reminders: int | None,
    good_payer_extra_days: int | None = None,
    limitation_horizon_days: int | None = None,
    per_channel: tuple[tuple[str, int, int], ...] = (),
    breach: Step | None = None,
    require_documents: bool = False,
) -> tuple[Rule, ...]:
    """Payment plans (with ``breach`` as the breach step); business days only; hurry before
    limitation (when tracked); payment-in-transit grace; good-payer tolerance (when given);
    disputes (only what is disputed pauses; alerts after 30 days) and promises; contact caps;
    supporting documents before the formal notice (an alert, or a wait with
    ``require_documents``)."""
    rules: list[Rule] = [plan_tracking(grace_days=grace_days, breach=breach), on_business_days()]
    if limitation_horizon_days is not None:
        rules.append(before_limitation(limitation_horizon_days))
    rules.append(transit_grace(grace_days))
    if good_payer_extra_days is not None:
        rules.append(good_payer_tolerance(good_payer_extra_days))
    rules += [
        pause_on_dispute(),
        promise_pause(),
        contact_caps(
            min_days=cadence_days,
            max_reminders=max_reminders,
            per_channel=per_channel,
            kinds=WRITTEN,
        ),
        supporting_documents(require_documents=require_documents),
    ]
    return tuple(rules)


def formal_notice_then_hand_over(
    *,
    formal: str,
    hand_over: str,
    templates: str,
    via: Route | Routes,
    delay: Delay,
    deadline_days: int,
    handover_min: Money,
    calendar: Calendar,
) -> tuple[Step, Step]:
    """The end of a ladder: the formal notice (``delay`` after the last step, with a new
    deadline of ``deadline_days``), then the hand-over 5 days after that deadline for balances
    of at least ``handover_min``. Templates are ``{templates}/{step name}``."""
    return (
        Step(
            formal,
            "formal_notice",
            via=via,
            delay=delay,
            template=f"{templates}/{formal}",
            deadline_days=deadline_days,
        ),
        Step(
            hand_over,
            "hand_over",
            via=agency,
            delay=after_previous(deadline_days + 5).adjusted(calendar),
            guard=balance_at_least(handover_min),
            template=f"{templates}/{hand_over}",
        ),
    )
