"""Policies: given a case on a date, what now?

A `Policy` is a `Ladder` of steps plus cross-cutting `Rule`s (payment-in-transit grace,
tolerance for good payers, pauses for disputes and promises, contact caps, business days),
a scope (`Policy.when`) and a minimum balance. Policies combine with ``|``: the first policy
whose scope accepts a case decides for it.

`Policy.decide` returns a `Decision`: for each undisputed open item, an `ItemPlan` naming the
next step, the date it becomes due and the holds that keep it from moving yet, each with a
sentence saying why. The engine (`dunning.plan`) turns the plans that are ready into actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

import attrs

from .allocation import Allocation, by_reference_then_oldest
from .calendars import Calendar, ContactHours
from .case import Case, ItemState
from .errors import PolicyError
from .events import DebtorReplied
from .guards import Guard, Verdict, always
from .interest import REGIMES, get_regime, known_keys
from .limitation import LimitationRules, items_near_limitation
from .model import Debtor
from .money import Money
from .steps import Ladder, Step

__all__ = [
    "Decision",
    "Hold",
    "ItemPlan",
    "Policy",
    "PolicyLike",
    "Rule",
    "before_limitation",
    "call_limits",
    "contact_caps",
    "first_of",
    "good_payer_tolerance",
    "on_business_days",
    "pause_on_dispute",
    "promise_pause",
    "transit_grace",
]

#: Kinds of action that count as a dunning contact for spacing and caps.
DUNNING_KINDS = ("reminder", "call", "formal_notice", "hand_over")


@attrs.frozen
class Hold:
    """Something that keeps an item from moving until ``until`` (forever when None)."""

    until: date | None
    reason: str


@attrs.frozen
class ItemPlan:
    """What the policy wants next for one item."""

    item: ItemState
    step: Step | None
    level: int
    due_on: date | None
    holds: tuple[Hold, ...] = ()
    notes: tuple[str, ...] = ()
    excluded: frozenset[str] = frozenset()

    def ready(self, on: date) -> bool:
        """Whether the step is due on ``on`` and nothing holds it."""
        if self.step is None or self.due_on is None or self.due_on > on:
            return False
        return all(h.until is not None and h.until <= on for h in self.holds)

    def active_holds(self, on: date) -> tuple[Hold, ...]:
        return tuple(h for h in self.holds if h.until is None or h.until > on)

    def next_date(self, on: date) -> date | None:
        """The earliest date the item could move, or None if nothing is scheduled."""
        if self.step is None or self.due_on is None:
            return None
        dates = [self.due_on]
        for hold in self.active_holds(on):
            if hold.until is None:
                return None
            dates.append(hold.until)
        return max(dates)

    def hold(self, until: date | None, reason: str) -> ItemPlan:
        return attrs.evolve(self, holds=(*self.holds, Hold(until, reason)))

    def note(self, text: str) -> ItemPlan:
        return attrs.evolve(self, notes=(*self.notes, text))


@attrs.frozen
class Decision:
    """A policy's answer for one case: item plans, or a stop with its reason."""

    policy: str
    items: tuple[ItemPlan, ...] = ()
    stop: str | None = None
    notes: tuple[str, ...] = ()

    def map(self, func: Callable[[ItemPlan], ItemPlan]) -> Decision:
        return attrs.evolve(self, items=tuple(func(p) for p in self.items))


class Rule:
    """A cross-cutting rule: adjusts the decision of a policy for one case."""

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        raise NotImplementedError

    def channels_used_up(self, case: Case, on: date, planned: Iterable[str]) -> frozenset[str]:
        """Channels this rule forbids once ``planned`` (channels of actions already planned
        for the case in this run, e.g. per invoice) are added. None by default."""
        return frozenset()


class PolicyLike:
    """Anything that decides: a `Policy` or a `first_of` combination."""

    def decide(self, case: Case, on: date) -> Decision:
        raise NotImplementedError

    def accepts(self, case: Case, on: date) -> Verdict:
        return Verdict(True, "no scope")

    def __or__(self, other: PolicyLike) -> first_of:
        mine = self.policies if isinstance(self, first_of) else (self,)
        theirs = other.policies if isinstance(other, first_of) else (other,)
        return first_of(*mine, *theirs)

    def policy_for(self, case: Case, on: date) -> Policy | None:
        raise NotImplementedError

    @property
    def all_policies(self) -> tuple[Policy, ...]:
        raise NotImplementedError


RuleT = TypeVar("RuleT", bound=Rule)


def _ladder(value: Ladder | Step) -> Ladder:
    return value if isinstance(value, Ladder) else Ladder((value,))


def _rules(value: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(value)


def _caps(value: Iterable[tuple[str, int, int]]) -> tuple[tuple[str, int, int], ...]:
    return tuple((str(c), int(n), int(d)) for c, n, d in value)


def _kinds(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class Policy(PolicyLike):
    """A ladder with its rules.

    ``min_balance``: below it (undisputed open balance) nothing is done. ``calendar``: the
    business days used by deadlines and by rules that do not name their own. ``scope``: the
    cases this policy is for (see `when`). ``contact_hours``: when set, every action to be
    carried out at a time of day (all channels but post and agency) gets the allowed window in
    the debtor's time zone (`Action.not_before`, `Action.not_after`). ``limitation``: the
    limitation periods that apply; when set, the proposal warns (`Proposal.alerts`) about
    items whose limitation runs out within ``limitation_horizon_days``. ``interest``: the key of
    the statutory interest regime that applies (see `dunning.interest`, e.g. ``"it-231"``);
    ``fixed_compensation``: whether the fixed compensation per late invoice is claimed (EUR 40
    under D.Lgs. 231/2002 and its EU siblings, GBP 40-100 in the UK; never from consumers).
    ``allocation``: how the statement of account imputes payments (`dunning.allocation`).
    """

    ladder: Ladder = attrs.field(converter=_ladder)
    rules: tuple[Rule, ...] = attrs.field(default=(), converter=_rules)
    name: str = "policy"
    scope: Guard = always()
    min_balance: Money | None = None
    calendar: Calendar = Calendar("IT")
    contact_hours: ContactHours | None = None
    limitation: LimitationRules | None = None
    limitation_horizon_days: int = 180
    interest: str | None = None
    fixed_compensation: bool = False
    allocation: Allocation = by_reference_then_oldest()

    def __attrs_post_init__(self) -> None:
        if not len(self.ladder):
            raise PolicyError(f"policy {self.name!r} has an empty ladder")
        if self.interest is not None and self.interest not in REGIMES:
            try:
                get_regime(self.interest)
            except LookupError:
                raise PolicyError(
                    f"policy {self.name!r}, field 'interest': unknown regime {self.interest!r}; "
                    f"known: {', '.join(known_keys())}"
                ) from None

    def deadline_calendar(self, debtor: Debtor) -> Calendar:
        """The business days that count for a deadline given to ``debtor``: the debtor's own
        country and region (an Italian debtor in Milan keeps Sant'Ambrogio), falling back to
        the policy's calendar. Company closures only move send dates, not the debtor's days."""
        region = debtor.address.province if debtor.address else None
        if debtor.country == self.calendar.country and not region:
            return self.calendar
        return Calendar.for_debtor(debtor.country, region) or self.calendar

    def when(self, guard: Guard) -> Policy:
        """This policy, only for cases where ``guard`` holds."""
        scope = guard if isinstance(self.scope, always) else self.scope & guard
        return attrs.evolve(self, scope=scope)

    def with_rules(self, *rules: Rule) -> Policy:
        return attrs.evolve(self, rules=(*self.rules, *rules))

    def accepts(self, case: Case, on: date) -> Verdict:
        return self.scope.check(case, on)

    def policy_for(self, case: Case, on: date) -> Policy | None:
        return self if self.accepts(case, on).ok else None

    @property
    def all_policies(self) -> tuple[Policy, ...]:
        return (self,)

    def rule(self, kind: type[RuleT]) -> RuleT | None:
        """The first rule of type ``kind``, if the policy has one."""
        for rule in self.rules:
            if isinstance(rule, kind):
                return rule
        return None

    def plan_item(self, case: Case, item: ItemState, on: date, after_level: int) -> ItemPlan:
        """Plan the first applicable step above ``after_level`` for ``item``."""
        notes: list[str] = []
        for level in range(after_level + 1, len(self.ladder) + 1):
            step = self.ladder[level]
            if step.guard is not None:
                verdict = step.guard.check(case, on)
                if not verdict.ok:
                    notes.append(f"level {level} {step.name} not applicable: {verdict.reason}")
                    continue
            if step.kind == "notice" and on >= item.due_date:
                notes.append(
                    f"level {level} {step.name} not applicable: due date {item.due_date} reached"
                )
                continue
            due_on = step.delay.due_for(item)
            if step.kind != "notice":
                due_on = max(due_on, item.due_date + timedelta(days=1))
            anchor = step.delay.describe()
            notes.append(f"level {level} {step.name} due {due_on} ({anchor})")
            return ItemPlan(item, step, level, due_on, notes=tuple(notes))
        notes.append(f"ladder complete at level {item.level}")
        return ItemPlan(item, None, item.level, None, notes=tuple(notes))

    def decide(self, case: Case, on: date) -> Decision:
        floor = self.min_balance
        if floor is not None and floor.currency == case.currency and case.balance < floor:
            return Decision(self.name, stop=f"open {case.balance} below the minimum {floor}")
        plans = tuple(self.plan_item(case, item, on, item.level) for item in case.actionable_items)
        decision = Decision(self.name, plans)
        for rule in self.rules:
            decision = rule.adjust(case, on, decision, self)
        return decision


@attrs.frozen(repr=False, init=False)
class first_of(PolicyLike):  # noqa: N801
    """The first policy whose scope accepts the case decides (``p | q``)."""

    policies: tuple[PolicyLike, ...]

    def __init__(self, *policies: PolicyLike) -> None:
        flat: list[PolicyLike] = []
        for p in policies:
            flat.extend(p.policies if isinstance(p, first_of) else (p,))
        self.__attrs_init__(tuple(flat))

    def policy_for(self, case: Case, on: date) -> Policy | None:
        for policy in self.policies:
            found = policy.policy_for(case, on)
            if found is not None:
                return found
        return None

    def accepts(self, case: Case, on: date) -> Verdict:
        reasons = []
        for policy in self.policies:
            verdict = policy.accepts(case, on)
            if verdict.ok:
                return verdict
            reasons.append(verdict.reason)
        return Verdict(False, "; ".join(reasons))

    def decide(self, case: Case, on: date) -> Decision:
        policy = self.policy_for(case, on)
        if policy is None:
            return Decision("none", stop=f"no policy applies: {self.accepts(case, on).reason}")
        return policy.decide(case, on)

    @property
    def all_policies(self) -> tuple[Policy, ...]:
        return tuple(p for policy in self.policies for p in policy.all_policies)

    def __repr__(self) -> str:
        return " | ".join(repr(p) for p in self.policies)


# -- rules -------------------------------------------------------------------------------------


def _calendar(rule_cal: Calendar | None, policy: Policy) -> Calendar:
    return rule_cal if rule_cal is not None else policy.calendar


@attrs.frozen
class transit_grace(Rule):  # noqa: N801
    """No reminder until ``days`` business days after the due date: a payment made on the due
    date takes a few days to show on the creditor's statement."""

    days: int = 5
    calendar: Calendar | None = None

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.days <= 30:
            raise PolicyError(f"transit_grace days must be between 0 and 30, not {self.days}")

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        cal = _calendar(self.calendar, policy)

        def one(plan: ItemPlan) -> ItemPlan:
            if plan.step is None or plan.step.kind == "notice":
                return plan
            # The first day allowed is the business day after the grace.
            until = cal.add_business_days(plan.item.due_date, self.days + 1)
            if until > on:
                return plan.hold(
                    until,
                    f"payment in transit: {self.days} business days after {plan.item.due_date}",
                )
            return plan.note(f"payment-in-transit grace of {self.days} business days over")

        return decision.map(one)


@attrs.frozen
class good_payer_tolerance(Rule):  # noqa: N801
    """Give debtors with a good record ``extra_days`` more before their first reminder.

    A good record: at least ``min_paid_items`` items paid, on average at most
    ``max_average_days_late`` days late. ``extra_days`` is bounded to 30.
    """

    extra_days: int = 7
    min_paid_items: int = 3
    max_average_days_late: Decimal = attrs.field(default=Decimal(3), converter=Decimal)

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.extra_days <= 30:
            raise PolicyError(
                f"good_payer_tolerance extra_days must be between 0 and 30, not {self.extra_days}"
            )

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        record = case.payment_record
        if (
            record.paid_items < self.min_paid_items
            or record.average_days_late > self.max_average_days_late
        ):
            return decision
        first = next((i for i, s in enumerate(policy.ladder, 1) if s.kind == "reminder"), None)

        def one(plan: ItemPlan) -> ItemPlan:
            if plan.step is None or plan.due_on is None or plan.level != first:
                return plan
            until = plan.due_on + timedelta(days=self.extra_days)
            if until <= on:
                return plan
            return plan.hold(
                until,
                f"good payer ({record.paid_items} items paid, on average "
                f"{record.average_days_late:.1f} days late): {self.extra_days} extra days",
            )

        return decision.map(one)


@attrs.frozen
class pause_on_dispute(Rule):  # noqa: N801
    """While any item is disputed, pause the whole case (disputed items themselves are never
    dunned, with or without this rule)."""

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        disputed = [i.key for i in case.open_items if i.disputed]
        if not disputed:
            return decision
        reason = f"case paused while {', '.join(disputed)} is disputed"
        return decision.map(lambda p: p.hold(None, reason))


@attrs.frozen
class promise_pause(Rule):  # noqa: N801
    """Pause until a promised payment date (plus ``grace_days``); if the promise is broken,
    the next step becomes due at once."""

    grace_days: int = 2

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        active = case.active_promise(on)
        if active is not None:
            until = active.until + timedelta(days=self.grace_days + 1)
            reason = f"promise to pay by {active.until} (made {active.made})"
            return decision.map(lambda p: p.hold(until, reason))
        broken = case.broken_promise(on)
        if broken is None:
            return decision
        broke_on = broken.until + timedelta(days=self.grace_days + 1)
        if on < broke_on:
            return decision.map(
                lambda p: p.hold(broke_on, f"grace after the promise of {broken.until}")
            )

        def one(plan: ItemPlan) -> ItemPlan:
            if plan.step is None or plan.due_on is None:
                return plan
            last = plan.item.level_date
            if plan.step.kind == "notice" or (last is not None and last >= broke_on):
                return plan
            # earlier than planned, but never before the item is overdue
            sooner = max(min(plan.due_on, broke_on), plan.item.due_date + timedelta(days=1))
            return attrs.evolve(plan, due_on=sooner).note(
                f"promise to pay by {broken.until} broken: escalating"
            )

        return decision.map(one)


@attrs.frozen
class contact_caps(Rule):  # noqa: N801
    """Caps on contacts.

    - ``min_days``: at least this many days between two dunning contacts (of ``kinds``);
    - ``max_reminders``: once an item had that many reminders, its remaining reminder steps
      are passed over (its next step is the call or the formal notice);
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
        last = case.last_contact(self.kinds)
        reminder_levels = {n for n, s in enumerate(policy.ladder, 1) if s.kind == "reminder"}
        full = self.channels_used_up(case, on, ())

        def one(plan: ItemPlan) -> ItemPlan:
            sent = sum(1 for _, level in plan.item.climbs if level in reminder_levels)
            if (
                self.max_reminders is not None
                and sent >= self.max_reminders
                and plan.step is not None
                and plan.step.kind == "reminder"
            ):
                while plan.step is not None and plan.step.kind == "reminder":
                    nxt = policy.plan_item(case, plan.item, on, plan.level)
                    plan = attrs.evolve(
                        nxt,
                        holds=plan.holds,
                        notes=(
                            *plan.notes,
                            f"cap of {self.max_reminders} reminders reached",
                            *nxt.notes,
                        ),
                        excluded=plan.excluded,
                    )
            step = plan.step
            if step is None:
                return plan
            if full:
                plan = attrs.evolve(plan, excluded=plan.excluded | full).note(
                    "channel cap reached: " + ", ".join(sorted(full))
                )
            if last is not None and step.kind in self.kinds:
                until = last.date + timedelta(days=self.min_days)
                if until > on:
                    plan = plan.hold(
                        until, f"last contact {last.date} ({last.step}): {self.min_days} days apart"
                    )
            return plan

        return decision.map(one)


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
        calls = sorted(c.date for c in case.contacts if c.channel == "phone")
        recent = [d for d in calls if (on - d).days < self.days]
        holds: list[Hold] = []
        if len(recent) >= self.max_calls:
            free = recent[len(recent) - self.max_calls] + timedelta(days=self.days)
            holds.append(Hold(free, f"{len(recent)} calls in {self.days} days"))
        talks = [
            e.date for e in case.events if isinstance(e, DebtorReplied) and e.channel == "phone"
        ]
        if talks:
            free = max(talks) + timedelta(days=self.after_conversation_days + 1)
            if free > on:
                holds.append(Hold(free, f"telephone conversation on {max(talks)}"))
        if not holds:
            return decision

        def one(plan: ItemPlan) -> ItemPlan:
            if plan.step is None or all(r.channel != "phone" for r in plan.step.via):
                return plan
            return attrs.evolve(plan, holds=(*plan.holds, *holds))

        return decision.map(one)


@attrs.frozen
class before_limitation(Rule):  # noqa: N801
    """Hurry when limitation is near: an item whose limitation (the policy's ``limitation``
    rules) runs out within ``days`` has its next step due at once. Spacing, pauses and the
    one-level-per-run rule still hold, so the item reaches the formal notice — whose proven
    delivery interrupts limitation (art. 2943 c.c.) — as fast as the policy allows."""

    days: int = 180

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        if policy.limitation is None:
            return decision
        near = {s.key: s for s in items_near_limitation(case, on, self.days, policy.limitation)}
        if not near:
            return decision

        def one(plan: ItemPlan) -> ItemPlan:
            status = near.get(plan.item.key)
            if status is None or plan.step is None or plan.due_on is None:
                return plan
            floor = plan.item.due_date + timedelta(days=1)
            sooner = plan.due_on if plan.step.kind == "notice" else max(min(plan.due_on, on), floor)
            return attrs.evolve(plan, due_on=sooner).note(f"limitation: {status.describe()}")

        return decision.map(one)


@attrs.frozen
class on_business_days(Rule):  # noqa: N801
    """Act only on business days of ``calendar`` (the policy's when None)."""

    calendar: Calendar | None = None

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        cal = _calendar(self.calendar, policy)
        if cal.is_business_day(on):
            return decision
        nxt = cal.roll_forward(on)
        return decision.map(lambda p: p.hold(nxt, f"{on} is not a business day"))
