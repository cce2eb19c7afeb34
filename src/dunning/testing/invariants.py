"""Checkers for the invariants of ``DESIGN.md``: one function per invariant, and `check_run`
that runs every one of them on one engine run.

A run is ``proposal = dunning.plan(portfolio, policy, as_of, history)``: ``history`` holds the
events recorded before the run. Each checker raises `AssertionError` with a message that
starts with ``"invariant N:"`` (N the number in ``DESIGN.md``) and names the debtor, the item
and the action at fault, so a failing property test reads as a bug report:

>>> from datetime import date
>>> import dunning
>>> from dunning.policies import italy
>>> portfolio = dunning.Portfolio(
...     dunning.Creditor("Tipografia Emiliana S.r.l."),
...     [dunning.Debtor("C001", "Bar Centrale", email="info@barcentrale.it")],
...     [dunning.Invoice.single("2026/0001", "C001", date(2026, 3, 1), date(2026, 3, 31),
...                             dunning.Money("120.00", "EUR"))],
... )
>>> policy = italy.stragiudiziale()
>>> proposal = dunning.plan(portfolio, policy, date(2026, 4, 9))
>>> check_run(portfolio, policy, date(2026, 4, 9), (), proposal)

`check_simulation` drives the engine over a list of days, checking every run.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cached_property
from zoneinfo import ZoneInfo

from ..calendars import ContactHours
from ..case import Case, ItemState, sort_events
from ..engine import TIMED_CHANNELS, assumed_deliveries, plan
from ..events import ActionPlanned, CreditNoteRegistered, Event, LevelReset, PaymentReceived
from ..money import Money
from ..plans import plan_status
from ..policy import Policy, PolicyLike
from ..portfolio import Portfolio
from ..proposal import Action, Proposal
from ..rules import contact_caps, on_business_days, plan_tracking, transit_grace
from ..steps import PROVEN_POSTAL_SERVICES, SEVERITY, Step
from ..timezones import debtor_zones

__all__ = [
    "check_business_days",
    "check_contact_caps",
    "check_determinism",
    "check_disputes_blocks_opt_outs",
    "check_due_dates",
    "check_episode_limits",
    "check_formal_notice",
    "check_hand_over",
    "check_levels_never_drop",
    "check_money_conserved",
    "check_no_burst",
    "check_no_dead_end",
    "check_nothing_due",
    "check_one_level_per_run",
    "check_only_due_claimed",
    "check_plan_kept",
    "check_run",
    "check_severity_never_drops",
    "check_simulation",
    "level_sequences",
    "not_applicable",
    "reminders_of",
]

_CaseKey = tuple[str, str, str]


def _fail(number: int, text: str) -> AssertionError:
    return AssertionError(f"invariant {number}: {text}")


def _who(action: Action) -> str:
    return f"debtor {action.debtor_id}, action {action.key or action.step} ({action.kind})"


class _Run:
    """One engine run and what the checkers need to know about it, folded once."""

    def __init__(
        self,
        portfolio: Portfolio,
        policy: PolicyLike,
        as_of: date,
        history: Iterable[Event],
        proposal: Proposal,
        *,
        per_invoice: bool = False,
        policies: Mapping[str, PolicyLike] | None = None,
    ) -> None:
        self.portfolio = portfolio
        self.policy = policy
        self.as_of = as_of
        self.history = tuple(history)
        self.proposal = proposal
        self.per_invoice = per_invoice
        self.policies = dict(policies or {})

    def _cases(self, history: Sequence[Event]) -> dict[_CaseKey, Case]:
        out = {}
        for c in self.portfolio.cases(self.as_of, history, per_invoice=self.per_invoice):
            group = c.items[0].invoice_id if self.per_invoice and c.items else ""
            out[(c.debtor_id, c.currency, group)] = c
        return out

    @cached_property
    def before(self) -> dict[_CaseKey, Case]:
        """The cases as the engine saw them."""
        return self._cases(self.history)

    @cached_property
    def after(self) -> dict[_CaseKey, Case]:
        """The cases once the proposal's events are recorded."""
        return self._cases(self.history + self.proposal.events())

    def key(self, action: Action) -> _CaseKey:
        group = ""
        if self.per_invoice and action.items:
            group = action.items[0].split("#")[0]
            for case in self.before.values():
                for item in case.items:
                    if item.key == action.items[0]:
                        group = item.invoice_id
        return (action.debtor_id, action.currency, group)

    def case(self, number: int, action: Action) -> Case:
        try:
            return self.before[self.key(action)]
        except KeyError:
            raise _fail(
                number, f"{_who(action)}: no case for the debtor in {action.currency}"
            ) from None

    def case_after(self, action: Action) -> Case:
        return self.after[self.key(action)]

    def chosen(self, case: Case) -> Policy | None:
        """The policy that decided for ``case`` (as the engine picks it)."""
        policy = self.policy
        if case.debtor.policy is not None and case.debtor.policy in self.policies:
            policy = self.policies[case.debtor.policy]
        return policy.policy_for(case, self.as_of)

    def policy_of(self, number: int, action: Action) -> tuple[Case, Policy]:
        case = self.case(number, action)
        chosen = self.chosen(case)
        if chosen is None:
            raise _fail(number, f"{_who(action)}: no policy accepts the case, yet it was acted on")
        return case, chosen

    def item(self, number: int, action: Action, case: Case, key: str) -> ItemState:
        try:
            return case.item(key)
        except KeyError:
            raise _fail(number, f"{_who(action)}, item {key}: not an item of the case") from None


def reminders_of(policy: Policy, case: Case) -> int:
    """How many reminders of ``policy``'s ladder the debtor got in the case's current
    episode."""
    names = {s.name for s in policy.ladder if s.kind == "reminder"}
    return sum(1 for c in case.episode.contacts if c.step in names)


def _cap(policy: Policy) -> int | None:
    return policy.max_reminders


def not_applicable(policy: Policy, case: Case, level: int, on: date) -> str | None:
    """Why the step at ``level`` of ``policy``'s ladder is passed over for ``case`` on ``on``
    within its episode (a notice; its guard is false; a reminder once the episode had the
    `contact_caps` rule's ``max_reminders``; an optional step no channel reaches; anything but
    the hand-over after the formal notice), or None when it applies."""
    step = policy.ladder[level]
    if step.kind == "notice":
        return "a pre-due notice, not part of an episode"
    if case.episode.formal_notice is not None and step.kind != "hand_over":
        return "only the hand-over follows the formal notice"
    if step.guard is not None:
        verdict = step.guard.check(case, on)
        if not verdict.ok:
            return f"guard false: {verdict.reason}"
    cap = _cap(policy)
    if step.kind == "reminder" and cap is not None and case.episode.reminders >= cap:
        return f"{case.episode.reminders} reminders in the episode, the cap is {cap}"
    if step.optional:
        route, _ = step.via.resolve(case.debtor, policy.unusable_channels(case, step.name))
        if route is None:
            return "optional and no channel reaches the debtor"
    return None


def _breach_step(policy: Policy, name: str) -> Step | None:
    for rule in policy.rules:
        if isinstance(rule, plan_tracking) and rule.breach is not None and rule.breach.name == name:
            return rule.breach
    return None


# -- the invariants, on one run ---------------------------------------------------------------


def _nothing_due(run: _Run) -> None:
    for action in run.proposal:
        case = run.case(1, action)
        who = _who(action)
        if not case.balance.is_positive:
            raise _fail(1, f"{who}: the case's open undisputed balance is {case.balance}")
        chosen = run.chosen(case)
        floor = chosen.min_balance if chosen is not None else None
        if floor is not None and floor.currency == case.currency and case.balance < floor:
            raise _fail(1, f"{who}: open balance {case.balance} is below the minimum {floor}")
        if not action.items:
            raise _fail(1, f"{who}: the action claims no item")
        for key in action.items:
            item = run.item(1, action, case, key)
            if not item.open.is_positive:
                raise _fail(1, f"{who}, item {key}: nothing open ({item.open})")
            if item.written_off:
                raise _fail(1, f"{who}, item {key}: written off")
            if item.disputed:
                raise _fail(1, f"{who}, item {key}: disputed")
        for key, _level in action.levels:
            if key not in action.items:
                raise _fail(1, f"{who}, item {key}: climbs a level but is not claimed")
        claimed = sum((case.item(k).open for k in action.items), Money.zero(case.currency))
        if action.amount != claimed:
            raise _fail(1, f"{who}: claims {action.amount}, its items have {claimed} open")


def _disputes_blocks_opt_outs(run: _Run) -> None:
    for action in run.proposal:
        case = run.case(2, action)
        who = _who(action)
        if case.blocked:
            raise _fail(2, f"{who}: the debtor is blocked ({case.block or case.debtor.block})")
        for key in (*action.items, *action.upcoming):
            if run.item(2, action, case, key).disputed:
                raise _fail(2, f"{who}, item {key}: disputed")
        if action.channel in case.debtor.opt_out:
            raise _fail(2, f"{who}: the debtor opted out of {action.channel}")
        if case.debtor.contact(action.channel) is None:
            raise _fail(2, f"{who}: the debtor has no {action.channel} address")


def _resets(run: _Run, debtor: str) -> list[date]:
    events = run.history + run.proposal.events()
    return [e.date for e in events if isinstance(e, LevelReset) and e.debtor_id == debtor]


def _levels_never_drop(run: _Run) -> None:
    for key, before in run.before.items():
        after = run.after.get(key)
        if after is None:
            raise _fail(3, f"debtor {key[0]}: the {key[1]} case vanished once the run was recorded")
        if (
            after.episode.number == before.episode.number
            and after.episode.level < before.episode.level
        ):
            raise _fail(
                3,
                f"debtor {key[0]}: episode {before.episode.number} went down from level "
                f"{before.episode.level} to {after.episode.level} without a LevelReset",
            )


def _one_step_per_run(run: _Run, number: int = 4) -> None:
    seen: dict[_CaseKey, Action] = {}
    for action in run.proposal:
        who = _who(action)
        case, chosen = run.policy_of(number, action)
        slot = run.key(action)
        if slot in seen:
            raise _fail(
                number, f"{who}: a second action for the case this run (also {seen[slot].key})"
            )
        seen[slot] = action
        if any(level != action.level for _, level in action.levels):
            raise _fail(
                number, f"{who}: levels {action.levels} differ from the action's {action.level}"
            )
        breach = _breach_step(chosen, action.step)
        if breach is not None:
            if action.level != case.episode.level:
                raise _fail(
                    number,
                    f"{who}: the breach step {action.step} at level {action.level}, the episode "
                    f"is at {case.episode.level}",
                )
            continue
        if not 1 <= action.level <= len(chosen.ladder):
            raise _fail(number, f"{who}: level {action.level} outside the ladder of {chosen.name}")
        step = chosen.ladder[action.level]
        if (step.name, step.kind) != (action.step, action.kind):
            raise _fail(
                number, f"{who}: level {action.level} of {chosen.name} is {step.name} ({step.kind})"
            )
        if action.kind == "notice":
            continue
        start, _ = chosen.start_level(case, run.as_of)
        if action.level <= start:
            raise _fail(
                number, f"{who}: level {action.level} is not above the episode's level {start}"
            )
        for level in range(start + 1, action.level):
            why = not_applicable(chosen, case, level, run.as_of)
            if why is None:
                raise _fail(
                    number,
                    f"{who}: skipped level {level} {chosen.ladder[level].name}, which applies "
                    f"(from level {start} to {action.level} in one run)",
                )
    if number == 4:
        for key, case in run.after.items():
            names = [c.step for c in case.episode.contacts]
            twice = sorted({n for n in names if names.count(n) > 1})
            found = run.chosen(case)
            ladder = {s.name for s in found.ladder} if found is not None else set()
            twice = [n for n in twice if n in ladder]
            if twice and not _resets(run, key[0]):
                raise _fail(
                    4, f"debtor {key[0]}: step {twice[0]} twice in episode {case.episode.number}"
                )


def _contact_caps(run: _Run) -> None:
    siblings: dict[tuple[str, str, str], int] = {}
    for action in run.proposal:
        case, chosen = run.policy_of(5, action)
        who = _who(action)
        slot = (action.debtor_id, action.currency, action.channel)
        for rule in chosen.rules:
            if not isinstance(rule, contact_caps):
                continue
            if action.kind in rule.kinds:
                last = case.last_contact(rule.kinds)
                if last is not None and (run.as_of - last.date).days < rule.min_days:
                    raise _fail(
                        5,
                        f"{who}: {(run.as_of - last.date).days} days after {last.key} "
                        f"({last.date}), the minimum is {rule.min_days}",
                    )
            for channel, count, days in rule.per_channel:
                if action.channel != channel:
                    continue
                used = siblings.get(slot, 0) + sum(
                    1
                    for c in case.contacts
                    if c.channel == channel and (run.as_of - c.date).days < days
                )
                if used + 1 > count:
                    raise _fail(
                        5,
                        f"{who}: contact {used + 1} on {channel} within {days} days, the cap "
                        f"is {count}",
                    )
        siblings[slot] = siblings.get(slot, 0) + 1


def _due_dates(run: _Run, number: int = 6) -> None:
    on = run.as_of
    for action in run.proposal:
        case, chosen = run.policy_of(number, action)
        who = _who(action)
        overlap = set(action.items) & set(action.upcoming)
        if overlap:
            raise _fail(number, f"{who}: {sorted(overlap)} both claimed and coming due")
        if action.instalment is not None:
            if action.kind != "notice" or on >= action.instalment[0]:
                raise _fail(
                    number,
                    f"{who}: a {action.kind} on {on} about the instalment of "
                    f"{action.instalment[0]}",
                )
            continue  # a courtesy notice of a plan's instalment names the plan's items
        for key in action.items:
            item = run.item(number, action, case, key)
            if action.kind == "notice":
                if on >= item.due_date:
                    raise _fail(
                        number,
                        f"{who}, item {key}: a pre-due notice on {on} for an item due "
                        f"{item.due_date}",
                    )
                continue
            if on <= item.due_date:
                raise _fail(
                    number,
                    f"{who}, item {key}: claimed by {action.step} ({action.kind}) on {on}, not "
                    f"after its due date {item.due_date}",
                )
            for rule in chosen.rules:
                if isinstance(rule, transit_grace):
                    cal = rule.calendar if rule.calendar is not None else chosen.calendar
                    over = cal.add_business_days(item.due_date, rule.days + 1)
                    if on < over:
                        raise _fail(
                            number,
                            f"{who}, item {key}: claimed by {action.step} on {on}, within the "
                            f"payment-in-transit grace of {rule.days} business days after "
                            f"{item.due_date} (over on {over})",
                        )


def _formal_notice(run: _Run) -> None:
    for action in run.proposal:
        if action.kind != "formal_notice":
            continue
        who = _who(action)
        proven = action.channel == "pec" or (
            action.channel == "postal" and action.service in PROVEN_POSTAL_SERVICES
        )
        if not proven:
            via = action.channel + (f" ({action.service})" if action.service else "")
            raise _fail(7, f"{who}: a formal notice via {via}, which gives no legal proof")
        case, chosen = run.policy_of(7, action)
        if not 1 <= action.level <= len(chosen.ladder):
            continue  # invariant 4 reports it
        needed = sum(
            1
            for step in chosen.ladder.steps[: action.level - 1]
            if step.kind == "reminder" and step.guard is None
        )
        cap = _cap(chosen)
        if cap is not None:
            needed = min(needed, cap)
        start, _ = chosen.start_level(case, run.as_of)
        if not case.episode.contacts and start:
            continue  # a restarted episode carries the previous one's reminders
        if case.episode.reminders < needed:
            raise _fail(
                7,
                f"{who}: a formal notice after {case.episode.reminders} reminder(s) in the "
                f"episode, the policy {chosen.name} needs {needed}",
            )


def _severity_never_drops(run: _Run) -> None:
    for key, case in run.after.items():
        resets = _resets(run, key[0])
        contacts = [c for c in case.episode.contacts if not resets or c.date >= max(resets)]
        for before, after in itertools.pairwise(contacts):
            if SEVERITY[after.kind] < SEVERITY[before.kind] or after.level < before.level:
                raise _fail(
                    12,
                    f"debtor {key[0]}, episode {case.episode.number}: {after.step} ({after.kind}, "
                    f"level {after.level}) on {after.date} after {before.step} ({before.kind}, "
                    f"level {before.level}) on {before.date}",
                )


def _episode_limits(run: _Run) -> None:
    for key, case in run.after.items():
        chosen = run.chosen(case)
        if chosen is None:
            continue
        episode = case.episode
        who = f"debtor {key[0]}, episode {episode.number}"
        cap = _cap(chosen)
        if cap is not None and reminders_of(chosen, case) > cap:
            raise _fail(14, f"{who}: {reminders_of(chosen, case)} reminders, the cap is {cap}")
        notices = [c for c in episode.contacts if c.kind == "formal_notice"]
        if len(notices) > 1:
            raise _fail(
                14,
                f"{who}: {len(notices)} formal notices ({', '.join(str(c.date) for c in notices)})"
                " and none of them failed",
            )
        if notices:
            after = [
                c for c in episode.contacts if c.date >= notices[0].date and c is not notices[0]
            ]
            for c in after:
                if c.kind != "hand_over":
                    raise _fail(
                        14,
                        f"{who}: {c.step} ({c.kind}) on {c.date} after the formal notice of "
                        f"{notices[0].date}",
                    )


def _hand_over(run: _Run) -> None:
    for action in run.proposal:
        if action.kind != "hand_over":
            continue
        case, chosen = run.policy_of(15, action)
        who = _who(action)
        formal = case.episode.formal_notice
        if formal is None:
            if any(s.kind == "formal_notice" for s in chosen.ladder):
                raise _fail(15, f"{who}: a hand-over without a formal notice in the episode")
            continue
        if formal.deadline is not None and run.as_of <= formal.deadline:
            raise _fail(
                15, f"{who}: on {run.as_of}, the formal notice's deadline is {formal.deadline}"
            )
        if formal.delivered is None or formal.delivered > run.as_of:
            raise _fail(15, f"{who}: the formal notice of {formal.date} has no proof of delivery")


def _no_dead_end(run: _Run) -> None:
    acted = {run.key(a) for a in run.proposal}
    alerted = {(a.debtor_id, a.currency) for a in run.proposal.alerts}
    dated = {(w.debtor_id, w.currency) for w in run.proposal.waiting if w.next_date is not None}
    for key, case in run.before.items():
        if key in acted or key[:2] in alerted or key[:2] in dated:
            continue
        if case.blocked or case.closed is not None or case.handed_over:
            continue
        if not case.overdue_items(run.as_of):
            continue
        chosen = run.chosen(case)
        if chosen is None:
            continue
        floor = chosen.min_balance
        if floor is not None and floor.currency == case.currency and case.balance < floor:
            continue
        waits = [w.why for w in run.proposal.waiting if (w.debtor_id, w.currency) == key[:2]]
        raise _fail(
            16,
            f"debtor {key[0]}: {case.overdue_balance(run.as_of)} overdue on {run.as_of}, "
            "no action, "
            f"no dated wait, no alert ({'; '.join(waits) or 'nothing said'})",
        )


def _plan_kept(run: _Run) -> None:
    for action in run.proposal:
        if action.kind not in ("reminder", "call", "formal_notice", "hand_over"):
            continue
        case, chosen = run.policy_of(17, action)
        tracking = chosen.rule(plan_tracking)
        grace = tracking.grace_days if tracking is not None else 5
        status = plan_status(case, run.as_of, grace_days=grace)
        if status is not None and status.kept and not status.complete:
            raise _fail(
                17,
                f"{_who(action)}: the payment plan of {status.plan.date} is kept "
                f"({status.paid} paid), yet {action.step} was planned",
            )


def _determinism(run: _Run) -> None:
    again = plan(
        run.portfolio,
        run.policy,
        run.as_of,
        run.history,
        per_invoice=run.per_invoice,
        policies=run.policies or None,
    )
    if again != run.proposal:
        mine = {a.key for a in run.proposal}
        theirs = {a.key for a in again}
        raise _fail(
            8,
            f"planning {run.as_of} twice differs: only first {sorted(mine - theirs)}, only "
            f"second {sorted(theirs - mine)}",
        )
    if again.to_json() != run.proposal.to_json():
        raise _fail(8, f"planning {run.as_of} twice gives different JSON")
    second = plan(
        run.portfolio,
        run.policy,
        run.as_of,
        run.history + run.proposal.events(),
        per_invoice=run.per_invoice,
        policies=run.policies or None,
    )
    if second.actions:
        first = second.actions[0]
        raise _fail(
            8,
            f"{_who(first)}: planned again on {run.as_of} once the day's actions were recorded",
        )


def _business_days(run: _Run) -> None:
    for action in run.proposal:
        case, chosen = run.policy_of(10, action)
        if chosen.contact_hours is not None and action.channel in TIMED_CHANNELS:
            _in_contact_hours(action, chosen.contact_hours, debtor_zones(case.debtor).zones)
        for rule in chosen.rules:
            if isinstance(rule, on_business_days):
                cal = rule.calendar if rule.calendar is not None else chosen.calendar
                if not cal.is_business_day(action.date):
                    raise _fail(
                        10, f"{_who(action)}: dated {action.date}, not a business day of {cal!r}"
                    )


def _in_contact_hours(action: Action, hours: ContactHours, zones: tuple[str, ...]) -> None:
    start, end = action.not_before, action.not_after
    if start is None or end is None or not start < end:
        raise _fail(10, f"{_who(action)}: on {action.channel} without a contact window")
    for zone in zones:
        first, last = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
        inside = first.date() == last.date() == action.date
        if not (inside and hours.start <= first.time() and last.time() <= hours.end):
            raise _fail(
                10,
                f"{_who(action)}: window {first:%Y-%m-%d %H:%M}-{last:%H:%M} in {zone} is "
                f"outside {hours.start:%H:%M}-{hours.end:%H:%M} on {action.date}",
            )


def _money_conserved(portfolio: Portfolio, as_of: date, history: Sequence[Event]) -> None:
    received: dict[tuple[str, str], Money] = {}
    for pay in (
        *portfolio.payments,
        *(e.payment for e in history if isinstance(e, PaymentReceived)),
    ):
        if pay.date <= as_of:
            slot = (pay.debtor_id, pay.amount.currency)
            received[slot] = received.get(slot, Money.zero(pay.amount.currency)) + pay.amount
    notes: dict[tuple[str, str], Money] = {}
    for note in (
        *portfolio.credit_notes,
        *(e.credit_note for e in history if isinstance(e, CreditNoteRegistered)),
    ):
        if note.date <= as_of:
            slot = (note.debtor_id, note.amount.currency)
            notes[slot] = notes.get(slot, Money.zero(note.amount.currency)) + note.amount
    for case in portfolio.cases(as_of, history):
        zero = Money.zero(case.currency)
        who = f"debtor {case.debtor_id} ({case.currency})"
        invoiced = case.invoiced or zero
        paid = case.paid or zero
        credited = case.credited or zero
        written_off = case.written_off or zero
        on_account = case.on_account or zero
        for item in case.items:
            if item.open.amount < 0 or item.open > item.amount:
                raise _fail(11, f"{who}, item {item.key}: open {item.open} of {item.amount}")
        still_open = sum((i.open for i in case.items if not i.written_off), zero)
        if invoiced != paid + credited + written_off + still_open:
            raise _fail(
                11,
                f"{who}: invoiced {invoiced} != paid {paid} + credited {credited} + written off "
                f"{written_off} + open {still_open}",
            )
        if on_account.amount < 0:
            raise _fail(11, f"{who}: negative amount on account {on_account}")
        slot = (case.debtor_id, case.currency)
        came_in = received.get(slot, zero) + notes.get(slot, zero)
        if came_in != paid + credited + on_account:
            raise _fail(
                11,
                f"{who}: payments and credit notes {came_in} != paid {paid} + credited "
                f"{credited} + on account {on_account}",
            )


# -- public checkers --------------------------------------------------------------------------


def check_nothing_due(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 1: no action for a case with nothing due.

    Every action's case has an open undisputed balance above zero and at least the chosen
    policy's ``min_balance``; every item it lists is open, undisputed and not written off;
    it claims exactly what is open on those items.
    """
    _nothing_due(_Run(portfolio, policy, as_of, history, proposal))


def check_disputes_blocks_opt_outs(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 2: no action on disputed or blocked items; no contact on an opted-out channel
    (nor on one the debtor has no address for)."""
    _disputes_blocks_opt_outs(_Run(portfolio, policy, as_of, history, proposal))


def check_levels_never_drop(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 3: once ``proposal.events()`` are recorded, no case's level in its episode is
    lower than before (levels only go down through `LevelReset`)."""
    _levels_never_drop(_Run(portfolio, policy, as_of, history, proposal))


def check_one_level_per_run(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
    *,
    per_invoice: bool = False,
) -> None:
    """Invariant 4: no level is skipped; at most one step per case per run; no step is sent
    twice.

    At most one action per case (per invoice with ``per_invoice``); it climbs from the
    episode's level to a higher one (a payment plan's breach step stays at the episode's
    level), every step passed over is `not_applicable` that day; no ladder step appears twice
    among an episode's contacts (unless a `LevelReset` took the case back).
    """
    run = _Run(portfolio, policy, as_of, history, proposal, per_invoice=per_invoice)
    _one_step_per_run(run)


def check_contact_caps(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 5: for each `contact_caps` rule of the chosen policy, an action of one of its
    ``kinds`` comes at least ``min_days`` after the last such contact and each
    ``per_channel`` rolling window stays within its count (``max_reminders`` per episode is
    invariant 14)."""
    _contact_caps(_Run(portfolio, policy, as_of, history, proposal))


def check_due_dates(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 6: a pre-due notice only before the due date; reminders only after the due
    date and the payment-in-transit grace.

    A ``notice`` action claims only items not yet due; any other action claims only items past
    due and, under a `transit_grace` rule, on or after ``calendar.add_business_days(due,
    days + 1)``, the first business day after the grace. (Invariant 13 is the same check.)
    """
    _due_dates(_Run(portfolio, policy, as_of, history, proposal))


def check_formal_notice(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 7: a formal notice goes only over a channel with legal proof (PEC, or postal
    mail of a service in `dunning.steps.PROVEN_POSTAL_SERVICES`) and only after as many
    reminders in the episode as the ladder has unguarded reminder steps before it (capped by
    ``contact_caps.max_reminders``)."""
    _formal_notice(_Run(portfolio, policy, as_of, history, proposal))


def check_determinism(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
    *,
    per_invoice: bool = False,
) -> None:
    """Invariant 8: planning the same input again gives an equal proposal with the same JSON,
    and planning again the same day once ``proposal.events()`` are recorded plans nothing."""
    _determinism(_Run(portfolio, policy, as_of, history, proposal, per_invoice=per_invoice))


def check_no_burst(
    portfolio: Portfolio, policy: PolicyLike, as_of: date, history: Iterable[Event] = ()
) -> Proposal:
    """Invariant 9: skipping runs delays steps but never merges them.

    Plans ``as_of`` (typically long after the previous run) and checks that each case climbs
    at most one applicable step (invariant 4 on that run). Returns the proposal.
    """
    events = tuple(history)
    proposal = plan(portfolio, policy, as_of, events)
    try:
        _one_step_per_run(_Run(portfolio, policy, as_of, events, proposal))
    except AssertionError as exc:
        text = str(exc).removeprefix("invariant 4: ")
        raise _fail(9, f"run on {as_of} after a gap: {text}") from None
    return proposal


def check_business_days(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 10: under an `on_business_days` rule, every action is dated on a business day
    of the rule's calendar (the policy's when the rule names none); under `contact_hours`,
    every action carried out at a time of day has a window that lies within the hours on its
    date in every time zone the debtor may be in."""
    _business_days(_Run(portfolio, policy, as_of, history, proposal))


def check_money_conserved(portfolio: Portfolio, as_of: date, history: Iterable[Event] = ()) -> None:
    """Invariant 11: money is conserved in every case, to the cent.

    ``invoiced == paid + credited + written_off + open`` (open of the items not written off),
    and what came in (payments and credit notes of the debtor in the case's currency up to
    ``as_of``) ``== paid + credited + on_account``; no item has a negative open amount or more
    open than its amount.
    """
    _money_conserved(portfolio, as_of, tuple(history))


def check_severity_never_drops(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 12: within an episode, the severity (notice < reminder < call < formal
    notice < hand-over) and the step number of successive contacts never go down (unless a
    `LevelReset` says so)."""
    _severity_never_drops(_Run(portfolio, policy, as_of, history, proposal))


def check_only_due_claimed(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 13: nothing not yet due, or still in its payment-in-transit grace, is
    claimed (a pre-due notice announces only what is not yet due); nothing is both claimed
    and listed as coming due."""
    _due_dates(_Run(portfolio, policy, as_of, history, proposal), 13)


def check_episode_limits(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 14: at most ``max_reminders`` reminders per episode; at most one formal
    notice per episode unless a delivery failed; nothing but the hand-over after it."""
    _episode_limits(_Run(portfolio, policy, as_of, history, proposal))


def check_hand_over(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 15: the hand-over only after the episode's formal notice (when the ladder
    has one), once its deadline has passed and its delivery is proven."""
    _hand_over(_Run(portfolio, policy, as_of, history, proposal))


def check_no_dead_end(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 16: every case with something overdue (not blocked, closed, handed over or
    below the minimum balance) gets an action, a dated wait or an alert."""
    _no_dead_end(_Run(portfolio, policy, as_of, history, proposal))


def check_plan_kept(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 17 (first half): while a payment plan is kept, no dunning contact (a
    pre-due notice is not one). The second half — a broken plan resumes within the grace —
    needs days, not a run: `CaseMachine` and the tests check it."""
    _plan_kept(_Run(portfolio, policy, as_of, history, proposal))


def check_run(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
    *,
    per_invoice: bool = False,
    policies: Mapping[str, PolicyLike] | None = None,
) -> None:
    """Run every invariant checker (1–8, 10–17; 9 is 4 on a run after a gap) on one engine
    run: ``proposal == dunning.plan(portfolio, policy, as_of, history, per_invoice=...,
    policies=...)``, ``history`` being the events recorded before the run."""
    run = _Run(
        portfolio, policy, as_of, history, proposal, per_invoice=per_invoice, policies=policies
    )
    _nothing_due(run)
    _disputes_blocks_opt_outs(run)
    _levels_never_drop(run)
    _one_step_per_run(run)
    _contact_caps(run)
    _due_dates(run)
    _formal_notice(run)
    _determinism(run)
    _business_days(run)
    _money_conserved(portfolio, as_of, run.history)
    _severity_never_drops(run)
    _episode_limits(run)
    _hand_over(run)
    _no_dead_end(run)
    _plan_kept(run)


def check_simulation(
    portfolio: Portfolio,
    policy: PolicyLike,
    days: Iterable[date],
    history: Iterable[Event] = (),
    *,
    per_invoice: bool = False,
    policies: Mapping[str, PolicyLike] | None = None,
    assume_delivered: bool = True,
) -> list[Event]:
    """Plan each of ``days`` in order (gaps between them are skipped runs), check every run
    with `check_run`, record its actions (and, with ``assume_delivered``, their delivery as
    `dunning.simulate` assumes it), and return the whole history."""
    events = list(history)
    for day in sorted(set(days)):
        proposal = plan(portfolio, policy, day, events, per_invoice=per_invoice, policies=policies)
        check_run(
            portfolio, policy, day, events, proposal, per_invoice=per_invoice, policies=policies
        )
        events.extend(proposal.events())
        if assume_delivered:
            events.extend(assumed_deliveries(proposal.actions))
    return events


def level_sequences(events: Iterable[Event]) -> dict[tuple[str, str], list[tuple[date, int]]]:
    """For each ``(debtor_id, item key)``, the ``(date, level)`` climbs recorded in the
    `ActionPlanned` events, in order."""
    found: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for event in sort_events(events):
        if isinstance(event, ActionPlanned):
            for key, level in event.levels:
                found.setdefault((event.debtor_id, key), []).append((event.date, level))
    return found
