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

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cached_property

from ..case import Case, ItemState, sort_events
from ..engine import plan
from ..events import ActionPlanned, CreditNoteRegistered, Event, LevelReset, PaymentReceived
from ..money import Money
from ..policy import Policy, PolicyLike, contact_caps, on_business_days, transit_grace
from ..portfolio import Portfolio
from ..proposal import Action, Proposal
from ..steps import PROVEN_POSTAL_SERVICES, Step

__all__ = [
    "check_business_days",
    "check_contact_caps",
    "check_determinism",
    "check_disputes_blocks_opt_outs",
    "check_due_dates",
    "check_formal_notice",
    "check_levels_never_drop",
    "check_money_conserved",
    "check_no_burst",
    "check_nothing_due",
    "check_one_level_per_run",
    "check_run",
    "check_simulation",
    "level_sequences",
    "not_applicable",
    "reminders_of",
]

_CaseKey = tuple[str, str]


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

    @cached_property
    def before(self) -> dict[_CaseKey, Case]:
        """The cases as the engine saw them."""
        return {
            (c.debtor_id, c.currency): c for c in self.portfolio.cases(self.as_of, self.history)
        }

    @cached_property
    def after(self) -> dict[_CaseKey, Case]:
        """The cases once the proposal's events are recorded."""
        history = self.history + self.proposal.events()
        return {(c.debtor_id, c.currency): c for c in self.portfolio.cases(self.as_of, history)}

    def case(self, number: int, action: Action) -> Case:
        try:
            return self.before[(action.debtor_id, action.currency)]
        except KeyError:
            raise _fail(
                number, f"{_who(action)}: no case for the debtor in {action.currency}"
            ) from None

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


def reminders_of(policy: Policy, item: ItemState) -> int:
    """How many times ``item`` climbed to a reminder step of ``policy``'s ladder."""
    steps = policy.ladder.steps
    return sum(
        1 for _, level in item.climbs if 1 <= level <= len(steps) and _is_reminder(steps, level)
    )


def _is_reminder(steps: Sequence[Step], level: int) -> bool:
    return steps[level - 1].kind == "reminder"


def not_applicable(policy: Policy, case: Case, item: ItemState, level: int, on: date) -> str | None:
    """Why the step at ``level`` of ``policy``'s ladder is passed over for ``item`` on ``on``
    (its guard is false, it is a notice and the due date has come, or it is a reminder and
    the item already had a `contact_caps` rule's ``max_reminders``), or None when it
    applies."""
    step = policy.ladder[level]
    if step.guard is not None:
        verdict = step.guard.check(case, on)
        if not verdict.ok:
            return f"guard false: {verdict.reason}"
    if step.kind == "notice" and on >= item.due_date:
        return f"a notice and the due date {item.due_date} has come"
    if step.kind == "reminder":
        had = reminders_of(policy, item)
        for rule in policy.rules:
            if (
                isinstance(rule, contact_caps)
                and rule.max_reminders is not None
                and had >= rule.max_reminders
            ):
                return f"{item.key} had {had} reminders, the cap is {rule.max_reminders}"
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
            raise _fail(1, f"{who}: the action lists no item")
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
                raise _fail(1, f"{who}, item {key}: climbs a level but is not listed")
        claimed = sum((case.item(k).open for k in action.items), Money.zero(case.currency))
        if action.amount != claimed:
            raise _fail(1, f"{who}: claims {action.amount}, its items have {claimed} open")


def _disputes_blocks_opt_outs(run: _Run) -> None:
    for action in run.proposal:
        case = run.case(2, action)
        who = _who(action)
        if case.blocked:
            raise _fail(2, f"{who}: the debtor is blocked ({case.block or case.debtor.block})")
        for key in (*action.items, *(k for k, _ in action.levels)):
            if run.item(2, action, case, key).disputed:
                raise _fail(2, f"{who}, item {key}: disputed")
        if action.channel in case.debtor.opt_out:
            raise _fail(2, f"{who}: the debtor opted out of {action.channel}")
        if case.debtor.contact(action.channel) is None:
            raise _fail(2, f"{who}: the debtor has no {action.channel} address")


def _levels_never_drop(run: _Run) -> None:
    for key, before in run.before.items():
        after = run.after.get(key)
        if after is None:
            raise _fail(3, f"debtor {key[0]}: the {key[1]} case vanished once the run was recorded")
        levels = {i.key: i.level for i in after.items}
        for item in before.items:
            if levels.get(item.key, -1) < item.level:
                raise _fail(
                    3,
                    f"debtor {key[0]}, item {item.key}: level went down from {item.level} to "
                    f"{levels.get(item.key)} without a LevelReset",
                )


def _one_level_per_run(run: _Run) -> None:
    seen_cases: dict[tuple[str, str, frozenset[str]], Action] = {}
    climbed: dict[tuple[str, str], Action] = {}
    for action in run.proposal:
        who = _who(action)
        case, chosen = run.policy_of(4, action)
        group: frozenset[str] = frozenset()
        if run.per_invoice:
            group = frozenset(run.item(4, action, case, k).invoice_id for k in action.items)
        slot = (action.debtor_id, action.currency, group)
        if slot in seen_cases:
            other = seen_cases[slot]
            what = "case" if not run.per_invoice else f"invoice(s) {', '.join(sorted(group))}"
            raise _fail(4, f"{who}: a second action for the {what} this run (also {other.key})")
        seen_cases[slot] = action
        if not action.levels:
            raise _fail(4, f"{who}: no item climbs a level")
        top = max(level for _, level in action.levels)
        if top != action.level:
            raise _fail(4, f"{who}: action level {action.level}, highest item level {top}")
        if not 1 <= action.level <= len(chosen.ladder):
            raise _fail(4, f"{who}: level {action.level} outside the ladder of {chosen.name}")
        step = chosen.ladder[action.level]
        if (step.name, step.kind) != (action.step, action.kind):
            raise _fail(
                4, f"{who}: level {action.level} of {chosen.name} is {step.name} ({step.kind})"
            )
        for key, new in action.levels:
            where = (action.debtor_id, key)
            if where in climbed:
                raise _fail(4, f"{who}, item {key}: also climbs in {climbed[where].key}")
            climbed[where] = action
            item = run.item(4, action, case, key)
            if not item.level < new <= len(chosen.ladder):
                raise _fail(4, f"{who}, item {key}: from level {item.level} to {new}")
            for level in range(item.level + 1, new):
                if not_applicable(chosen, case, item, level, run.as_of) is None:
                    skipped = chosen.ladder[level].name
                    raise _fail(
                        4,
                        f"{who}, item {key}: skipped level {level} {skipped}, which applies "
                        f"(from level {item.level} to {new} in one run)",
                    )
    _no_step_twice(run.history + run.proposal.events())


def _no_step_twice(events: Iterable[Event]) -> None:
    seen: dict[tuple[str, str, int], ActionPlanned] = {}
    for event in sort_events(events):
        if isinstance(event, LevelReset):
            for debtor, key, level in list(seen):
                mine = debtor == event.debtor_id and (not event.items or key in event.items)
                if mine and level > event.level:
                    del seen[(debtor, key, level)]
        if not isinstance(event, ActionPlanned):
            continue
        for key, level in event.levels:
            slot = (event.debtor_id, key, level)
            if slot in seen:
                raise _fail(
                    4,
                    f"debtor {event.debtor_id}, item {key}: level {level} recorded twice "
                    f"({seen[slot].key} and {event.key})",
                )
            seen[slot] = event


def _contact_caps(run: _Run) -> None:
    # Contacts planned earlier in this same run (several per case only with per_invoice).
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
            if rule.max_reminders is not None:
                for key, new in action.levels:
                    if not 1 <= new <= len(chosen.ladder) or chosen.ladder[new].kind != "reminder":
                        continue
                    had = reminders_of(chosen, run.item(5, action, case, key))
                    if had + 1 > rule.max_reminders:
                        raise _fail(
                            5,
                            f"{who}, item {key}: reminder number {had + 1} for the item, the "
                            f"cap is {rule.max_reminders}",
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


def _due_dates(run: _Run) -> None:
    on = run.as_of
    for action in run.proposal:
        case, chosen = run.policy_of(6, action)
        who = _who(action)
        if action.kind == "notice":
            for key in action.items:
                item = run.item(6, action, case, key)
                if on >= item.due_date:
                    raise _fail(
                        6,
                        f"{who}, item {key}: a pre-due notice on {on} mentions an item due "
                        f"{item.due_date}",
                    )
        for key, new in action.levels:
            item = run.item(6, action, case, key)
            if not 1 <= new <= len(chosen.ladder):
                continue  # invariant 4 reports it
            step = chosen.ladder[new]
            if step.kind == "notice":
                if on >= item.due_date:
                    raise _fail(
                        6,
                        f"{who}, item {key}: climbs to notice {step.name} on {on}, due "
                        f"{item.due_date}",
                    )
                continue
            if on <= item.due_date:
                raise _fail(
                    6,
                    f"{who}, item {key}: climbs to {step.name} ({step.kind}) on {on}, not after "
                    f"its due date {item.due_date}",
                )
            for rule in chosen.rules:
                if isinstance(rule, transit_grace):
                    cal = rule.calendar if rule.calendar is not None else chosen.calendar
                    over = cal.add_business_days(item.due_date, rule.days + 1)
                    if on < over:
                        raise _fail(
                            6,
                            f"{who}, item {key}: climbs to {step.name} on {on}, within the "
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
        for rule in chosen.rules:
            if isinstance(rule, contact_caps) and rule.max_reminders is not None:
                needed = min(needed, rule.max_reminders)
        if case.reminders_sent < needed:
            raise _fail(
                7,
                f"{who}: a formal notice after {case.reminders_sent} reminder(s), the policy "
                f"{chosen.name} needs {needed}",
            )
        for key in action.leading_items:
            had = reminders_of(chosen, run.item(7, action, case, key))
            if had < needed:
                raise _fail(
                    7,
                    f"{who}, item {key}: formally claimed after {had} reminder(s) of the item, "
                    f"the policy {chosen.name} needs {needed}",
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
        _, chosen = run.policy_of(10, action)
        for rule in chosen.rules:
            if isinstance(rule, on_business_days):
                cal = rule.calendar if rule.calendar is not None else chosen.calendar
                if not cal.is_business_day(action.date):
                    raise _fail(
                        10, f"{_who(action)}: dated {action.date}, not a business day of {cal!r}"
                    )


def _money_conserved(portfolio: Portfolio, as_of: date, history: Sequence[Event]) -> None:
    received: dict[_CaseKey, Money] = {}
    for pay in (
        *portfolio.payments,
        *(e.payment for e in history if isinstance(e, PaymentReceived)),
    ):
        if pay.date <= as_of:
            slot = (pay.debtor_id, pay.amount.currency)
            received[slot] = received.get(slot, Money.zero(pay.amount.currency)) + pay.amount
    notes: dict[_CaseKey, Money] = {}
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
    """Invariant 3: once ``proposal.events()`` are recorded, no item's level is lower than
    before (levels only go down through `LevelReset`)."""
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
    """Invariant 4: no level is skipped; at most one level per item per run; no step is sent
    twice.

    At most one action per case (per invoice with ``per_invoice``); an item climbs in at most
    one action; each climb goes from the item's level to a higher one, and every step passed
    over is `not_applicable` that day; no ``(item, level)`` pair is recorded twice in the
    history (unless a `LevelReset` took the item back below it).
    """
    run = _Run(portfolio, policy, as_of, history, proposal, per_invoice=per_invoice)
    _one_level_per_run(run)


def check_contact_caps(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event],
    proposal: Proposal,
) -> None:
    """Invariant 5: for each `contact_caps` rule of the chosen policy, an action of one of its
    ``kinds`` comes at least ``min_days`` after the last such contact, reminders stay within
    ``max_reminders`` and each ``per_channel`` rolling window within its count."""
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

    A ``notice`` action lists only items not yet due; an item climbing to a notice step is not
    yet due; an item climbing to any other step is past due and, under a `transit_grace` rule,
    on or after ``calendar.add_business_days(due, days + 1)``, the first business day after
    the grace (so at least ``add_business_days(due, days)`` plus one day).
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
    reminders as the ladder has unguarded reminder steps before it (capped by
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

    Plans ``as_of`` (typically long after the previous run) and checks that each item climbs at
    most one applicable level (invariant 4 on that run). Returns the proposal.
    """
    events = tuple(history)
    proposal = plan(portfolio, policy, as_of, events)
    try:
        _one_level_per_run(_Run(portfolio, policy, as_of, events, proposal))
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
    of the rule's calendar (the policy's when the rule names none)."""
    _business_days(_Run(portfolio, policy, as_of, history, proposal))


def check_money_conserved(portfolio: Portfolio, as_of: date, history: Iterable[Event] = ()) -> None:
    """Invariant 11: money is conserved in every case, to the cent.

    ``invoiced == paid + credited + written_off + open`` (open of the items not written off),
    and what came in (payments and credit notes of the debtor in the case's currency up to
    ``as_of``) ``== paid + credited + on_account``; no item has a negative open amount or more
    open than its amount.
    """
    _money_conserved(portfolio, as_of, tuple(history))


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
    """Run every invariant checker (1–8, 10, 11; 9 is 4 on a run after a gap) on one engine
    run: ``proposal == dunning.plan(portfolio, policy, as_of, history, per_invoice=...,
    policies=...)``, ``history`` being the events recorded before the run."""
    run = _Run(
        portfolio, policy, as_of, history, proposal, per_invoice=per_invoice, policies=policies
    )
    _nothing_due(run)
    _disputes_blocks_opt_outs(run)
    _levels_never_drop(run)
    _one_level_per_run(run)
    _contact_caps(run)
    _due_dates(run)
    _formal_notice(run)
    _determinism(run)
    _business_days(run)
    _money_conserved(portfolio, as_of, run.history)


def check_simulation(
    portfolio: Portfolio,
    policy: PolicyLike,
    days: Iterable[date],
    history: Iterable[Event] = (),
    *,
    per_invoice: bool = False,
    policies: Mapping[str, PolicyLike] | None = None,
) -> list[Event]:
    """Plan each of ``days`` in order (gaps between them are skipped runs), check every run
    with `check_run`, record its actions, and return the whole history."""
    events = list(history)
    for day in sorted(set(days)):
        proposal = plan(portfolio, policy, day, events, per_invoice=per_invoice, policies=policies)
        check_run(
            portfolio, policy, day, events, proposal, per_invoice=per_invoice, policies=policies
        )
        events.extend(proposal.events())
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
