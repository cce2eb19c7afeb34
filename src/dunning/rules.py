"""Rules: the cross-cutting parts of a policy, each a small frozen value.

A rule adjusts the `Decision` a policy takes for one case on one date: it holds the case's
next step (``decision.hold``), holds items so the step does not claim them yet
(``decision.map(lambda p: p.hold(...))``), moves the step's due date, excludes channels or
raises alerts for a person. Rules run in the order the policy lists them.

- `transit_grace`: no item is claimed until a few business days after its due date, and an
  "I have paid" reply holds the case as long;
- `good_payer_tolerance`: more time before a good payer's first reminder of an episode;
- `pause_on_dispute`: disputed items are never claimed; optionally the whole case pauses;
  long disputes raise alerts; a resolved item comes back with a fresh deadline;
- `promise_pause`: a promise to pay holds the case; a broken one brings the next step forward;
- `plan_tracking`: a payment plan kept means no dunning; a breach brings the breach step, then
  the escalation resumes;
- `contact_caps`: spacing between contacts, a cap on reminders per episode, per-channel caps;
- `call_limits`: Regulation F's call limits;
- `supporting_documents`: documents before the formal notice and the hand-over;
- `before_limitation`: hurry when limitation is near;
- `on_business_days`: act on business days only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .calendars import Calendar
from .case import Case
from .decision import Decision, Hold, ItemPlan, Rule
from .errors import PolicyError
from .events import DebtorReplied
from .limitation import items_near_limitation
from .money import Money
from .plans import plan_status
from .steps import SEVERITY, Step

if TYPE_CHECKING:
    from .policy import Policy

__all__ = [
    "DUNNING_KINDS",
    "before_limitation",
    "call_limits",
    "contact_caps",
    "good_payer_tolerance",
    "on_business_days",
    "pause_on_dispute",
    "plan_tracking",
    "promise_pause",
    "supporting_documents",
    "transit_grace",
]

#: Kinds of action that count as a dunning contact for spacing and caps.
DUNNING_KINDS = ("reminder", "call", "formal_notice", "hand_over")


def _calendar(rule_cal: Calendar | None, policy: Policy) -> Calendar:
    return rule_cal if rule_cal is not None else policy.calendar


def _caps(value: Iterable[tuple[str, int, int]]) -> tuple[tuple[str, int, int], ...]:
    return tuple((str(c), int(n), int(d)) for c, n, d in value)


def _kinds(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise PolicyError(f"{name} must be between {low} and {high}, not {value!r}")


@attrs.frozen
class transit_grace(Rule):  # noqa: N801
    """No item is claimed until ``days`` business days after its due date: a payment made on
    the due date takes a few days to show on the creditor's statement. A debtor who replies
    "I have paid" (`DebtorReplied` of kind ``"payment_sent"``) holds the whole case as long,
    counted from the reply; if no payment came by then, the case resumes."""

    days: int = 5
    calendar: Calendar | None = None

    def __attrs_post_init__(self) -> None:
        _range("transit_grace days", self.days, 0, 30)

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        if decision.mode != "episode":
            return decision
        cal = _calendar(self.calendar, policy)

        def one(plan: ItemPlan) -> ItemPlan:
            # The first day allowed is the business day after the grace.
            until = cal.add_business_days(plan.item.due_date, self.days + 1)
            if until > on:
                return plan.hold(
                    until,
                    f"payment in transit: {self.days} business days after {plan.item.due_date}",
                    "payment_in_transit",
                    days=self.days,
                    due=plan.item.due_date,
                )
            return plan

        decision = decision.map(one)
        for day, reference in case.payment_claims:
            until = cal.add_business_days(day, self.days + 1)
            ref = f" (ref. {reference})" if reference else ""
            if until > on:
                decision = decision.hold(
                    until,
                    f"the debtor said on {day} it has paid{ref}",
                    "payment_sent",
                    day=day,
                    reference=ref,
                )
            else:
                decision = decision.note(
                    f"no payment arrived within {self.days} business days of the reply of "
                    f"{day}{ref}",
                    "no_payment_arrived",
                    days=self.days,
                    day=day,
                    reference=ref,
                )
        return decision


@attrs.frozen
class good_payer_tolerance(Rule):  # noqa: N801
    """Give debtors with a good record ``extra_days`` more before the first reminder of an
    episode, counted from the day the first item could be claimed (after the transit grace;
    put this rule after `transit_grace`).

    A good record: at least ``min_paid_items`` items paid, on average at most
    ``max_average_days_late`` days late. ``extra_days`` is bounded to 30.
    """

    extra_days: int = 7
    min_paid_items: int = 3
    max_average_days_late: Decimal = attrs.field(default=Decimal(3), converter=Decimal)

    def __attrs_post_init__(self) -> None:
        _range("good_payer_tolerance extra_days", self.extra_days, 0, 30)

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        step = decision.step
        if (
            decision.mode != "episode"
            or step is None
            or step.kind != "reminder"
            or case.episode.contacts
            or not self.extra_days
        ):
            return decision
        record = case.payment_record
        if (
            record.paid_items < self.min_paid_items
            or record.average_days_late > self.max_average_days_late
        ):
            return decision
        grace = policy.rule(transit_grace)

        def claimable_from(due: date) -> date:
            # the first day the item could be claimed: after its due date and the transit grace
            if grace is None:
                return due + timedelta(days=1)
            return _calendar(grace.calendar, policy).add_business_days(due, grace.days + 1)

        overdue = [p.item.due_date for p in decision.items if p.item.due_date < on]
        if not overdue:
            return decision
        start = claimable_from(min(overdue))
        until = start + timedelta(days=self.extra_days)
        if until <= on:
            return decision.note(
                f"good payer: first reminder {self.extra_days} days after {start}, on {until}",
                "good_payer_moved",
                days=self.extra_days,
                start=start,
                until=until,
            )
        return decision.hold(
            until,
            f"good payer ({record.paid_items} items paid, on average "
            f"{record.average_days_late:.1f} days late): first reminder {self.extra_days} "
            f"days later",
            "good_payer",
            days=self.extra_days,
        )


@attrs.frozen
class pause_on_dispute(Rule):  # noqa: N801
    """Disputes.

    Disputed items are never claimed (with or without this rule). With ``whole_case=True``
    the whole case pauses while any item is disputed. A dispute open more than ``max_days``
    raises an alert (kind ``"dispute"``); an item whose dispute was resolved comes back with
    a fresh deadline of ``fresh_deadline_days`` before any step claims it again.
    """

    whole_case: bool = False
    max_days: int = 30
    fresh_deadline_days: int = 10

    def __attrs_post_init__(self) -> None:
        _range("pause_on_dispute max_days", self.max_days, 1, 365)
        _range("pause_on_dispute fresh_deadline_days", self.fresh_deadline_days, 0, 60)

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        disputed = [i for i in case.open_items if i.disputed]
        if disputed and self.whole_case:
            keys = ", ".join(i.key for i in disputed)
            decision = decision.hold(
                None, f"case paused while {keys} is disputed", "dispute_whole_case", items=keys
            )
        for item in disputed:
            if item.dispute_opened is None:
                continue
            limit = item.dispute_opened + timedelta(days=self.max_days)
            if on >= limit:
                decision = decision.alert(
                    case,
                    "dispute",
                    f"{item.key} disputed since {item.dispute_opened} "
                    f"({(on - item.dispute_opened).days} days, more than {self.max_days}): "
                    "resolve it or issue a credit note",
                    on,
                    item.key,
                )
            else:
                decision = decision.check_again(limit)

        def fresh(plan: ItemPlan) -> ItemPlan:
            resolved = plan.item.dispute_resolved
            if resolved is None:
                return plan
            until = resolved + timedelta(days=self.fresh_deadline_days + 1)
            if until <= on:
                return plan
            return plan.hold(
                until,
                f"dispute resolved on {resolved}: fresh deadline "
                f"{resolved + timedelta(days=self.fresh_deadline_days)}",
                "dispute_fresh_deadline",
                resolved=resolved,
                deadline=resolved + timedelta(days=self.fresh_deadline_days),
            )

        return decision.map(fresh)


@attrs.frozen
class promise_pause(Rule):  # noqa: N801
    """Pause until a promised payment date (plus ``grace_days``); if the promise is broken,
    the next step becomes due at once (never before something is claimable)."""

    grace_days: int = 2

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        if decision.mode != "episode" or decision.step is None:
            return decision
        active = case.active_promise(on)
        if active is not None:
            until = active.until + timedelta(days=self.grace_days + 1)
            return decision.hold(
                until,
                f"promise to pay by {active.until} (made {active.made})",
                "promise",
                by=active.until,
                made=active.made,
            )
        broken = case.broken_promise(on)
        if broken is None or decision.due_on is None:
            return decision
        broke_on = broken.until + timedelta(days=self.grace_days + 1)
        if on < broke_on:
            return decision.hold(
                broke_on,
                f"grace after the promise of {broken.until}",
                "promise_grace",
                by=broken.until,
            )
        last = case.episode.last
        if last is not None and last.date >= broke_on:
            return decision
        sooner = min(decision.due_on, broke_on)
        return attrs.evolve(decision, due_on=sooner).note(
            f"promise to pay by {broken.until} broken: escalating",
            "promise_broken",
            by=broken.until,
        )


#: Alerts about the step a kept payment plan holds back (not worth a person's time then).
_STEP_ALERTS = ("paid_after_formal_notice", "delivery_unproven", "ladder_complete")


@attrs.frozen
class plan_tracking(Rule):  # noqa: N801
    """Payment plans (`dunning.events.PlanAgreed`).

    While every instalment is paid by its date plus ``grace_days`` (calendar days), the case
    is not dunned;
    where the policy has a pre-due notice step, it sends that notice before each instalment
    (``Action.instalment``, the deadline being the instalment's date). A breach (an
    instalment unpaid after the grace, derived from the payments) brings ``breach`` — a step
    of the policy's choosing, e.g. a reminder naming the missed instalment with a short
    deadline — unless the case has
    already reached a firmer step; after it, or without one, the escalation resumes where it
    stood, for the whole remaining balance (art. 1186 c.c.). A debtor who catches up puts the
    plan back on track. When ``max_instalments`` or ``min_instalment`` are set they are the
    limits `dunning.plans.propose_plan` is called with by the CLI and documented for users.
    """

    grace_days: int = 5
    breach: Step | None = None
    max_instalments: int = 12

    def __attrs_post_init__(self) -> None:
        _range("plan_tracking grace_days", self.grace_days, 0, 30)
        _range("plan_tracking max_instalments", self.max_instalments, 1, 120)
        if self.breach is not None and self.breach.kind not in ("reminder", "call"):
            raise PolicyError(
                f"plan_tracking: the breach step must be a reminder or a call, not "
                f"{self.breach.kind!r}"
            )

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        status = plan_status(case, on, grace_days=self.grace_days)
        if status is None or status.complete or decision.mode != "episode":
            return decision
        agreed = status.plan.date
        if status.kept:
            nxt = status.upcoming
            what = f"; next instalment {nxt[1]} on {nxt[0]}" if nxt else ""
            quiet = tuple(a for a in decision.alerts if a.kind not in _STEP_ALERTS)
            decision = attrs.evolve(decision, alerts=quiet)
            notice = _plan_notice(case, on, decision, policy, nxt)
            if notice is not None:
                return notice
            decision = decision.hold(
                None, f"payment plan of {agreed} kept{what}", "plan_kept", agreed=agreed
            )
            if nxt is not None:
                decision = decision.check_again(nxt[0] + timedelta(days=self.grace_days + 1))
            return decision
        day, amount = status.missed[0]
        broken_on = status.broken_on
        assert broken_on is not None
        why = f"payment plan of {agreed} broken: instalment {amount} of {day} unpaid"
        last = case.episode.last
        if last is not None and last.date >= broken_on:
            return decision.note(
                f"{why}; escalation resumed after {last.step} of {last.date}",
                "plan_broken",
                agreed=agreed,
                amount=amount,
                day=day,
            )
        breach = self.breach
        current = case.episode.level
        severity = SEVERITY[policy.ladder[current].kind] if current else 0
        cap = policy.max_reminders
        capped = breach is not None and breach.kind == "reminder" and cap is not None
        if capped and case.episode.reminders >= (cap or 0):
            breach = None
        if breach is None or SEVERITY[breach.kind] < severity:
            return attrs.evolve(decision, due_on=min(decision.due_on or on, on)).note(
                f"{why}: the escalation resumes",
                "plan_broken",
                agreed=agreed,
                amount=amount,
                day=day,
            )
        resumed = attrs.evolve(decision, step=breach, level=current, due_on=broken_on, holds=())
        return resumed.without_notes(lambda n: not n.startswith("level ")).note(
            f"{why}: {breach.name} first", "plan_broken", agreed=agreed, amount=amount, day=day
        )


def _plan_notice(
    case: Case, on: date, decision: Decision, policy: Policy, nxt: tuple[date, Money] | None
) -> Decision | None:
    """The courtesy notice before a kept plan's next instalment, with the policy's pre-due
    notice step (None when the policy has none, or it was sent for that instalment)."""
    if nxt is None or case.plan is None:
        return None
    found = [(n, s) for n, s in enumerate(policy.ladder, 1) if s.kind == "notice"]
    if not found:
        return None
    level, step = found[0]
    day, amount = nxt
    agreed = case.plan.date
    sent = [c for c in case.contacts if c.kind == "notice" and c.date >= agreed]
    if any(c.deadline == day for c in sent) or day <= on:
        return None
    notice_day = max(step.delay.from_dates(due=day, previous=None, issue=agreed), agreed)
    notice = attrs.evolve(
        decision,
        step=step,
        level=level,
        due_on=notice_day,
        items=tuple(ItemPlan(p.item) for p in decision.items),
        holds=(),
        mode="instalment",
        instalment=nxt,
    )
    return notice.without_notes(lambda _: False).note(
        f"payment plan of {agreed} kept: courtesy notice of the instalment of {amount} "
        f"due {day} ({step.delay.describe()})",
        "plan_notice",
        agreed=agreed,
        amount=amount,
        day=day,
    )


@attrs.frozen
class contact_caps(Rule):  # noqa: N801
    """Caps on contacts.

    - ``min_days``: at least this many days between two dunning contacts (of ``kinds``);
    - ``max_reminders``: at most this many reminders per episode; once reached, the case's
      remaining reminder steps are passed over (its next step is the call or the formal
      notice);
    - ``per_channel``: ``(channel, count, days)`` triples: at most ``count`` contacts on
      ``channel`` in any ``days`` days; a channel over its cap is not used.
    """

    min_days: int = 15
    max_reminders: int | None = None
    per_channel: tuple[tuple[str, int, int], ...] = attrs.field(default=(), converter=_caps)
    kinds: tuple[str, ...] = attrs.field(default=DUNNING_KINDS, converter=_kinds)

    def channels_used_up(self, case: Case, on: date, planned: Iterable[str]) -> frozenset[str]:
        today = list(planned)
        full = set()
        for channel, count, days in self.per_channel:
            used = sum(
                1 for c in case.contacts if c.channel == channel and (on - c.date).days < days
            )
            if used + today.count(channel) >= count:
                full.add(channel)
        return frozenset(full)

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        step = decision.step
        if step is None:
            return decision
        full = self.channels_used_up(case, on, ())
        if full:
            decision = decision.exclude(full, "channel cap reached")
        last = case.last_contact(self.kinds)
        if last is not None and step.kind in self.kinds:
            until = last.date + timedelta(days=self.min_days)
            if until > on:
                decision = decision.hold(
                    until,
                    f"last contact {last.date} ({last.step}): {self.min_days} days apart",
                    "spacing",
                    last=last.date,
                    step=last.step,
                    days=self.min_days,
                )
        return decision


@attrs.frozen
class call_limits(Rule):  # noqa: N801
    """Limits on telephone calls, as in US Regulation F (12 CFR 1006.14(b)(2)): at most
    ``max_calls`` calls in ``days`` consecutive days, and none within
    ``after_conversation_days`` days after a telephone conversation (a `DebtorReplied` event
    with ``channel="phone"``)."""

    max_calls: int = 7
    days: int = 7
    after_conversation_days: int = 7

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        step = decision.step
        if step is None or all(r.channel != "phone" for r in step.via):
            return decision
        calls = sorted(c.date for c in case.contacts if c.channel == "phone")
        recent = [d for d in calls if (on - d).days < self.days]
        holds: list[Hold] = []
        if len(recent) >= self.max_calls:
            free = recent[len(recent) - self.max_calls] + timedelta(days=self.days)
            holds.append(Hold(free, f"{len(recent)} calls in {self.days} days", "calls"))
        talks = [
            e.date for e in case.events if isinstance(e, DebtorReplied) and e.channel == "phone"
        ]
        if talks:
            free = max(talks) + timedelta(days=self.after_conversation_days + 1)
            if free > on:
                holds.append(
                    Hold(
                        free,
                        f"telephone conversation on {max(talks)}",
                        "conversation",
                        (("day", max(talks)),),
                    )
                )
        return attrs.evolve(decision, holds=(*decision.holds, *holds))


@attrs.frozen
class supporting_documents(Rule):  # noqa: N801
    """Supporting documents before the formal notice and the hand-over (the seeds' first
    rule: no escalation without the papers that prove the debt).

    ``kinds`` lists what each claimed invoice needs, an entry ``"signed_quote|order|contract"``
    being satisfied by any of its alternatives (documents on the `Invoice` or recorded with
    `DocumentAdded`). A missing document raises an alert (kind ``"documents"``) naming it and
    the case goes on; with ``require_documents=True`` the step waits until it is recorded.
    """

    kinds: tuple[str, ...] = attrs.field(
        default=("signed_quote|order|contract", "delivery_note"), converter=_kinds
    )
    require_documents: bool = False
    steps: tuple[str, ...] = attrs.field(default=("formal_notice", "hand_over"), converter=_kinds)

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        step = decision.step
        if step is None or step.kind not in self.steps or decision.mode != "episode":
            return decision
        missing: dict[str, list[str]] = {}
        for item in decision.claimed(on) or tuple(p.item for p in decision.items):
            for need in self.kinds:
                if not set(need.split("|")) & item.documents:
                    missing.setdefault(item.invoice_id, []).append(need.replace("|", " or "))
        if not missing:
            return decision
        text = "; ".join(f"{inv}: {', '.join(needs)}" for inv, needs in sorted(missing.items()))
        decision = decision.alert(
            case, "documents", f"before the {step.name}, documents missing ({text})", on
        )
        if self.require_documents:
            decision = decision.hold(
                None, f"waiting for documents ({text})", "documents_missing", missing=text
            )
        return decision


@attrs.frozen
class before_limitation(Rule):  # noqa: N801
    """Hurry when limitation is near: when a claimable item's limitation (the policy's
    ``limitation`` rules) runs out within ``days``, the case's next step is due at once.
    Spacing, pauses and one step per contact still hold, so the case reaches the formal
    notice — whose proven delivery interrupts limitation (art. 2943 c.c.) — as fast as the
    policy allows."""

    days: int = 180

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        if policy.limitation is None or decision.step is None or decision.due_on is None:
            return decision
        if decision.mode != "episode":
            return decision
        near = items_near_limitation(case, on, self.days, policy.limitation)
        claimable = {i.key for i in decision.claimed(on)}
        hurry = [s for s in near if s.key in claimable]
        if not hurry:
            return decision
        return attrs.evolve(decision, due_on=min(decision.due_on, on)).note(
            f"limitation: {hurry[0].describe()}",
            "limitation",
            item=hurry[0].key,
            runs_out=hurry[0].runs_out,
        )


@attrs.frozen
class on_business_days(Rule):  # noqa: N801
    """Act only on business days of ``calendar`` (the policy's when None)."""

    calendar: Calendar | None = None

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        cal = _calendar(self.calendar, policy)
        if cal.is_business_day(on) or decision.step is None:
            return decision
        return decision.hold(
            cal.roll_forward(on), f"{on} is not a business day", "not_business_day", day=on
        )
