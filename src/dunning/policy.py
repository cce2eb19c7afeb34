"""Policies: given a case on a date, what now?

A `Policy` is a `Ladder` of steps plus cross-cutting `Rule`s (payment-in-transit grace,
tolerance for good payers, pauses for disputes and promises, payment plans, contact caps,
business days; see `dunning.rules`), a scope (`Policy.when`) and a minimum balance. Policies
combine with ``|``: the first policy whose scope accepts a case decides for it.

The debtor escalates, not the invoice. `Policy.decide` looks at the case's current
**episode** (its arrears since they began; see `dunning.case.Episode`) and returns one
`Decision`: the case's next step on the ladder (one step per contact, never a softer one),
the date it becomes due, what holds it back, and which items it may claim. Nothing comes
after the formal notice but the hand-over, and that only once the notice's deadline has
passed and its delivery is proven. With nothing overdue, the only step is a pre-due notice.
Every reason is a sentence a person can read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TypeVar

import attrs

from .allocation import Allocation, by_reference_then_oldest
from .calendars import Calendar, ContactHours
from .case import Case, Episode, ItemState
from .decision import Decision, Hold, ItemPlan, Rule
from .errors import PolicyError
from .guards import Guard, Verdict, always
from .interest import REGIMES, Regime, get_regime, known_keys
from .limitation import LimitationRules
from .model import Debtor
from .money import Money
from .rates import SERIES, RateSet, to_rates
from .reasons import KIND_IT
from .rules import (
    before_limitation,
    call_limits,
    contact_caps,
    good_payer_tolerance,
    on_business_days,
    pause_on_dispute,
    plan_tracking,
    promise_pause,
    supporting_documents,
    transit_grace,
)
from .steps import SEVERITY, Ladder, Step

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
    "plan_tracking",
    "promise_pause",
    "supporting_documents",
    "transit_grace",
]


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

#: Payment plans take effect under every policy: this one when a policy lists none.
_DEFAULT_PLAN_TRACKING = plan_tracking()


def _ladder(value: Ladder | Step) -> Ladder:
    return value if isinstance(value, Ladder) else Ladder((value,))


def _rules(value: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(value)


@attrs.frozen
class Policy(PolicyLike):
    """A ladder with its rules.

    ``min_balance``: below it (undisputed open balance) nothing is done. ``calendar``: the
    business days used by deadlines and by rules that do not name their own. ``scope``: the
    cases this policy is for (see `when`). ``contact_hours``: when set, every action to be
    carried out at a time of day (all channels but post and agency) gets the allowed window in
    the debtor's time zone, or when the debtor may be in several (`Debtor.timezones`) the part
    of the day allowed in all of them (`Action.not_before`, `Action.not_after`); when there is
    none, those channels wait and the proposal alerts. ``limitation``: the
    limitation periods that apply; when set, the proposal warns (`Proposal.alerts`) about
    items whose limitation runs out within ``limitation_horizon_days``. ``interest``: the
    statutory interest regime that applies, as a key (``"it-231"``) or a regime object (see
    `dunning.interest`); ``interest_rates``: reference rates the user supplies on top of the
    published tables, by regime key or series and period (``{"it-231": {"2026-H2":
    "2.15"}}``, see `dunning.rates`); the regime in force is `Policy.regime`.
    ``fixed_compensation``: whether the fixed compensation per late invoice is claimed (EUR 40
    under D.Lgs. 231/2002 and its EU siblings, GBP 40-100 in the UK; never from consumers).
    ``allocation``: how the statement of account imputes payments (`dunning.allocation`).
    ``restart_within_days``: a new episode normally starts at the bottom of the ladder; when
    set, a debtor whose previous episode closed at most that many days before starts again
    at the step it had reached (never past the last step before the formal notice).
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
    interest: str | Regime | None = None
    interest_rates: RateSet = attrs.field(default=RateSet(), converter=to_rates)
    fixed_compensation: bool = False
    allocation: Allocation = by_reference_then_oldest()
    restart_within_days: int | None = None

    def __attrs_post_init__(self) -> None:
        if not len(self.ladder):
            raise PolicyError(f"policy {self.name!r} has an empty ladder")
        if isinstance(self.interest, str) and self.interest not in REGIMES:
            try:
                get_regime(self.interest)
            except LookupError:
                raise PolicyError(
                    f"policy {self.name!r}, field 'interest': unknown regime {self.interest!r}; "
                    f"known: {', '.join(known_keys())}"
                ) from None
        if self.interest_rates:
            known = set(known_keys()) | set(SERIES)
            for key in self.interest_rates.names():
                if key not in known:
                    raise PolicyError(
                        f"policy {self.name!r}, field 'interest_rates': unknown regime or "
                        f"series {key!r}; known: {', '.join(sorted(known))}"
                    )
            self.regime  # noqa: B018  (a rate for the wrong kind of period fails here)

    @property
    def regime(self) -> Regime | None:
        """The interest regime with the rates supplied in ``interest_rates``, or None."""
        if self.interest is None:
            return None
        regime = get_regime(self.interest)
        return regime.with_rates(self.interest_rates) if self.interest_rates else regime

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

    @property
    def max_reminders(self) -> int | None:
        """The cap on reminders per episode (from the policy's `contact_caps`)."""
        caps = self.rule(contact_caps)
        return caps.max_reminders if caps is not None else None

    def decide(self, case: Case, on: date) -> Decision:
        """The case's next step on ``on``, with every reason; rules adjust it in order."""
        floor = self.min_balance
        if floor is not None and floor.currency == case.currency and case.balance < floor:
            return Decision(self.name, stop=f"open {case.balance} below the minimum {floor}")
        plans = tuple(ItemPlan(item) for item in case.actionable_items)
        overdue = [i for i in case.actionable_items if i.due_date < on]
        if overdue or case.episode.contacts:
            decision = self._episode(case, on, Decision(self.name, items=plans), overdue)
        else:
            decision = self._notice(case, on, Decision(self.name, items=plans, mode="notice"))
        rules = self.rules
        if case.plan is not None and self.rule(plan_tracking) is None:
            rules = (_DEFAULT_PLAN_TRACKING, *rules)  # a plan always takes effect
        for rule in rules:
            decision = rule.adjust(case, on, decision, self)
        return self._replies(case, on, decision)

    # -- the episode: one ladder for the whole case ---------------------------------------------

    def start_level(self, case: Case, on: date) -> tuple[int, str]:
        """Where the current episode starts: its level, or for a new episode 0 (or the level
        the previous one reached, under ``restart_within_days``)."""
        episode = case.episode
        if episode.contacts or episode.level:
            return episode.level, ""
        previous = case.previous_episode
        days = self.restart_within_days
        if days is None or previous is None or previous.closed is None:
            return 0, ""
        if (on - previous.closed).days > days:
            return 0, ""
        firm = [n for n, s in enumerate(self.ladder, 1) if SEVERITY[s.kind] >= 3]
        cap = (firm[0] - 1) if firm else len(self.ladder)
        level = min(previous.level, cap)
        if level <= 0:
            return 0, ""
        return level, (
            f"previous episode closed on {previous.closed} at level {previous.level}: "
            f"restarting at level {level} (within {days} days)"
        )

    def _candidates(self, episode: Episode, level: int) -> list[int]:
        formal = episode.formal_notice
        if formal is not None:
            # The formal notice is the last written act: only the hand-over follows.
            return [
                n
                for n in range(formal.level + 1, len(self.ladder) + 1)
                if self.ladder[n].kind == "hand_over"
            ]
        return list(range(level + 1, len(self.ladder) + 1))

    def _episode(
        self, case: Case, on: date, decision: Decision, overdue: list[ItemState]
    ) -> Decision:
        episode = case.episode
        level, why = self.start_level(case, on)
        if why:
            decision = decision.note(why, "restart", level=level)
        cap = self.max_reminders
        for n in self._candidates(episode, level):
            step = self.ladder[n]
            if step.kind == "notice":
                continue
            if cap is not None and step.kind == "reminder" and episode.reminders >= cap:
                decision = decision.note(
                    f"level {n} {step.name} passed over: {episode.reminders} reminder(s) in "
                    f"this episode, the cap is {cap}",
                    "cap_reached",
                    level=n,
                    step=step.name,
                    count=episode.reminders,
                    cap=cap,
                )
                continue
            if step.guard is not None:
                verdict = step.guard.check(case, on)
                if not verdict.ok:
                    decision = decision.note(
                        f"level {n} {step.name} not applicable: {verdict.reason}",
                        "not_applicable",
                        level=n,
                        step=step.name,
                        why=verdict.reason,
                    )
                    continue
            route, skipped = step.via.resolve(case.debtor, self.unusable_channels(case, step.name))
            if route is None and step.optional:
                decision = decision.note(
                    f"level {n} {step.name} passed over: no usable channel ({'; '.join(skipped)})",
                    "optional_skipped",
                    level=n,
                    step=step.name,
                )
                continue
            return self._timed(case, on, decision, step, n, overdue)
        reached = self.ladder[episode.level].name if episode.level else "the start"
        decision = decision.note(
            f"ladder complete at {reached}", "ladder_complete", step=reached
        ).with_step(None, level, None)
        if overdue and not case.handed_over:
            decision = decision.alert(
                case,
                "ladder_complete",
                f"no step left after {reached} and {case.overdue_balance(on)} is overdue: "
                "decide on legal action, a payment plan or a write-off",
                on,
            )
        return decision

    def _timed(
        self,
        case: Case,
        on: date,
        decision: Decision,
        step: Step,
        level: int,
        overdue: list[ItemState],
    ) -> Decision:
        episode = case.episode
        pool = overdue or list(case.actionable_items)
        oldest = min(pool, key=lambda i: (i.due_date, i.key)) if pool else None
        last = episode.last
        if oldest is None:
            return decision.with_step(step, level, None)
        due_on = step.delay.from_dates(
            due=oldest.due_date, previous=last.date if last else None, issue=oldest.issue_date
        )
        due_on = max(due_on, oldest.due_date + timedelta(days=1))
        since = f"the {last.step} of {last.date}" if last else f"{oldest.key} due {oldest.due_date}"
        anchor = f"{step.delay.describe()} ({since})"
        decision = decision.with_step(step, level, due_on).note(
            f"level {level} {step.name} ({step.kind}) due {due_on}: {anchor}",
            "step_due",
            level=level,
            step=step.name,
            kind=step.kind,
            kind_it=KIND_IT.get(step.kind, step.kind),
            due=due_on,
        )
        if step.kind == "hand_over":
            decision = self._hand_over_gate(case, on, decision)
        if step.kind == "formal_notice":
            decision = self._reminded_first(case, on, decision)
        return decision

    def _reminded_first(self, case: Case, on: date, decision: Decision) -> Decision:
        """A formal notice claims the items the episode already reminded the debtor of; an
        item that joined since is mentioned, not formally claimed (when any reminded one is
        still open)."""
        reminded = {key for c in case.episode.contacts for key in c.items}
        if not any(p.item.key in reminded and p.item.due_date < on for p in decision.items):
            return decision

        def one(plan: ItemPlan) -> ItemPlan:
            if plan.item.key in reminded:
                return plan
            return plan.hold(
                None, "not yet reminded: mentioned, not claimed by the formal notice", "unreminded"
            )

        return decision.map(one)

    def _hand_over_gate(self, case: Case, on: date, decision: Decision) -> Decision:
        formal = case.episode.formal_notice
        if formal is None:
            if any(s.kind == "formal_notice" for s in self.ladder):
                decision = decision.hold(
                    None, "no formal notice in this episode", "no_formal_notice"
                )
            return decision
        if formal.deadline is not None and on <= formal.deadline:
            decision = decision.hold(
                formal.deadline + timedelta(days=1),
                f"the formal notice's deadline {formal.deadline} has not passed",
                "formal_deadline",
                deadline=formal.deadline,
            )
        elif formal.delivered is None:
            decision = decision.hold(
                None,
                f"delivery of the formal notice of {formal.date} is not proven",
                "delivery_unproven",
                day=formal.date,
            ).alert(
                case,
                "delivery_unproven",
                f"the formal notice of {formal.date} ({formal.channel}) has no proof of delivery: "
                "record the PEC delivery receipt, the A/R return card or the compiuta giacenza",
                on,
            )
        paid_after = [(d, m) for d, m in case.receipts if d > formal.date]
        approved = case.hand_over_approved
        if paid_after and (approved is None or approved < paid_after[-1][0]):
            day, amount = paid_after[-1]
            decision = decision.hold(
                None,
                f"{amount} paid on {day}, after the formal notice",
                "paid_after_formal_notice",
                amount=amount,
                day=day,
            ).alert(
                case,
                "paid_after_formal_notice",
                f"{amount} paid on {day} after the formal notice of {formal.date}: hand over "
                "what is still open (record HandOverApproved; events.csv: hand_over_approved) "
                "or agree a plan",
                on,
            )
        return decision

    @staticmethod
    def unusable_channels(case: Case, step: str) -> dict[str, str]:
        """The channels ``step`` may not use for ``case``, and why: those whose delivery
        failed for that step, and those the debtor said are wrong."""
        bad = dict.fromkeys(sorted(case.wrong_channels), "address reported wrong")
        for failed_step, channel in sorted(case.failed_routes):
            if failed_step == step:
                bad[channel] = "delivery failed before"
        return bad

    # -- nothing overdue: the pre-due notice ------------------------------------------------------

    def _notice(self, case: Case, on: date, decision: Decision) -> Decision:
        noticed = {key for c in case.contacts if c.kind == "notice" for key in c.items}
        upcoming = [p for p in decision.items if p.item.due_date > on]
        for n, step in enumerate(self.ladder, 1):
            if step.kind != "notice":
                continue
            if step.guard is not None and not step.guard.check(case, on).ok:
                decision = decision.note(f"level {n} {step.name} not applicable")
                continue
            plans = []
            for p in decision.items:
                if p.item.due_date <= on or p.item.key in noticed:
                    continue
                day = step.delay.due_for(p.item)
                if day > on:
                    p = p.hold(day, f"notice {step.delay.describe()}", "notice_day", day=day)
                plans.append(p)
            if not plans:
                break
            due = min(next((h.until for h in p.holds if h.until), on) for p in plans)
            return attrs.evolve(decision, items=tuple(plans)).with_step(step, n, due)
        nxt = min((p.item.due_date for p in upcoming), default=None)
        decision = decision.with_step(None, 0, None)
        if nxt is not None:
            decision = decision.note(
                f"nothing overdue; next due date {nxt}", "nothing_overdue", due=nxt
            ).check_again(nxt + timedelta(days=1))
        return decision

    # -- what the debtor said --------------------------------------------------------------------

    def _replies(self, case: Case, on: date, decision: Decision) -> Decision:
        if decision.mode != "episode" or decision.step is None:
            return decision
        if case.documents_requested is not None:
            decision = decision.hold(
                None,
                f"the debtor asked for documents on {case.documents_requested}",
                "documents_requested",
                day=case.documents_requested,
            ).alert(
                case,
                "documents_requested",
                f"send the copies asked for on {case.documents_requested}, then record "
                "DocumentsSent (events.csv: documents_sent)",
                on,
            )
        if case.open_dispute_reply is not None:
            decision = decision.hold(
                None,
                f"the debtor disputed on {case.open_dispute_reply} without naming an invoice",
                "dispute_unspecified",
                day=case.open_dispute_reply,
            ).alert(
                case,
                "dispute",
                f"the debtor disputes (reply of {case.open_dispute_reply}): record DisputeOpened "
                "for the invoices concerned, or DisputeResolved",
                on,
            )
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
