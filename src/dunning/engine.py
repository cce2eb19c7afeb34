"""The engine: ``plan`` a day's actions, ``simulate`` a stretch of days.

`plan` is a pure function of the portfolio, the policy, the history and a date: no clock, no
I/O, the same answer every time. For each case it asks the policy for a `Decision`, takes the
item plans that are ready and turns them into `Action`s: by default one per debtor, at the
highest level due, listing every overdue item; each item climbs at most one level per run.
Hard rules hold whatever the policy says: blocked debtors and disputed items are never dunned,
opted-out channels never used, and a case acted on today is not acted on again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

import attrs

from .case import Case
from .errors import PolicyError
from .events import ActionPlanned, Event
from .limitation import items_near_limitation
from .model import Debtor
from .money import Money
from .policy import ItemPlan, Policy, PolicyLike
from .portfolio import Portfolio
from .proposal import Action, Alert, Proposal, Timeline, Waiting
from .steps import Route, Routes

__all__ = ["Explanation", "explain", "plan", "plan_case", "resolve_route", "simulate"]


def resolve_route(
    routes: Routes, debtor: Debtor, excluded: Mapping[str, str] | Iterable[str] = ()
) -> tuple[Route | None, tuple[str, ...]]:
    """The first route of ``routes`` the debtor can be reached on, and why others were not
    used (opted out, no address, excluded: ``excluded`` maps a channel to the reason)."""
    skipped: list[str] = []
    blocked = (
        dict(excluded) if isinstance(excluded, Mapping) else dict.fromkeys(excluded, "excluded")
    )
    for route in routes:
        if route.channel in debtor.opt_out:
            skipped.append(f"{route.channel}: debtor opted out")
        elif route.channel in blocked:
            skipped.append(f"{route.channel}: {blocked[route.channel]}")
        elif debtor.contact(route.channel) is None:
            skipped.append(f"{route.channel}: no address")
        else:
            return route, tuple(skipped)
    return None, tuple(skipped)


def _wait(case: Case, why: str, next_date: date | None = None) -> Waiting:
    return Waiting(case.debtor_id, case.currency, why, next_date)


def _policy_for(
    case: Case, policy: PolicyLike, policies: Mapping[str, PolicyLike], on: date
) -> tuple[Policy | None, str]:
    chosen = policy
    if case.debtor.policy is not None:
        if case.debtor.policy not in policies:
            known = ", ".join(sorted(policies)) or "none given"
            raise PolicyError(
                f"debtor {case.debtor_id}, field 'policy': no policy named "
                f"{case.debtor.policy!r} (known: {known})"
            )
        chosen = policies[case.debtor.policy]
    found = chosen.policy_for(case, on)
    if found is None:
        return None, f"no policy applies: {chosen.accepts(case, on).reason}"
    return found, ""


def plan_case(
    case: Case,
    policy: PolicyLike,
    on: date,
    *,
    per_invoice: bool = False,
    policies: Mapping[str, PolicyLike] | None = None,
) -> tuple[list[Action], list[Waiting]]:
    """Plan one case: the actions due on ``on`` and, when there are none, why not."""
    if case.blocked:
        return [], [_wait(case, f"blocked: {case.block or case.debtor.block}")]
    if case.closed is not None:
        return [], [_wait(case, f"case closed: {case.closed}")]
    if not case.open_items:
        return [], [_wait(case, "nothing open")]
    if not case.actionable_items:
        return [], [_wait(case, "every open item is disputed")]
    if case.handed_over:
        last = case.last_contact(("hand_over",))
        when = f" on {last.date}" if last else ""
        return [], [_wait(case, f"handed over{when}: the agency has the case")]
    today = [c for c in case.contacts if c.date == on]
    if today:
        return [], [_wait(case, f"already planned today: {today[-1].step}", on + timedelta(days=1))]
    chosen, why_not = _policy_for(case, policy, policies or {}, on)
    if chosen is None:
        return [], [_wait(case, why_not)]
    decision = chosen.decide(case, on)
    if decision.stop is not None:
        return [], [_wait(case, decision.stop)]
    ready = [p for p in decision.items if p.ready(on)]
    if not ready:
        return [], [_waiting(case, decision.items, on)]
    groups: dict[str, list[ItemPlan]] = {}
    for p in ready:
        groups.setdefault(p.item.invoice_id if per_invoice else "", []).append(p)
    actions: list[Action] = []
    waits: list[Waiting] = []
    for group, plans in sorted(groups.items()):
        # per invoice, the actions already planned in this run count towards channel caps
        used_up = frozenset().union(
            *(r.channels_used_up(case, on, [a.channel for a in actions]) for r in chosen.rules)
        )
        action = _action(case, chosen, plans, on, group, used_up)
        if isinstance(action, Waiting):
            waits.append(action)
        else:
            actions.append(action)
    return actions, waits


def _waiting(case: Case, plans: Iterable[ItemPlan], on: date) -> Waiting:
    scheduled = [(p.next_date(on), p) for p in plans]
    dated = [(d, p) for d, p in scheduled if d is not None]
    if dated:
        when, first = min(dated, key=lambda t: (t[0], t[1].item.key))
        holds = [h.reason for h in first.active_holds(on)]
        step = first.step.name if first.step else "?"
        why = f"next: {step} for {first.item.key}"
        if first.due_on is not None and on < first.due_on < when:
            why += f" (due {first.due_on})"
        if holds:
            why += "; held: " + "; ".join(holds)
        return _wait(case, why, when)
    reasons: dict[str, list[str]] = {}
    for _, p in scheduled:
        if p.step is None:
            reason = p.notes[-1] if p.notes else "ladder complete"
        else:
            reason = "; ".join(h.reason for h in p.active_holds(on))
        reasons.setdefault(reason, []).append(p.item.key)
    text = "; ".join(f"{reason} ({', '.join(keys)})" for reason, keys in sorted(reasons.items()))
    return _wait(case, text or "nothing to do")


def _action(
    case: Case,
    policy: Policy,
    plans: list[ItemPlan],
    on: date,
    group: str,
    used_up: frozenset[str] = frozenset(),
) -> Action | Waiting:
    top = max(plans, key=lambda p: (p.level, p.item.key))
    step = top.step
    assert step is not None  # ready plans have a step
    excluded = dict.fromkeys(used_up.union(*(p.excluded for p in plans)), "over its cap")
    for failed_step, channel in sorted(case.failed_routes):
        if failed_step == step.name:
            excluded[channel] = "delivery failed before"
    route, skipped = resolve_route(step.via, case.debtor, excluded)
    if route is None:
        return _wait(case, f"{step.name}: no usable channel ({'; '.join(skipped)})")
    climbing = {p.item.key for p in plans}
    # A reminder lists every overdue item; a pre-due notice only the items it announces.
    listed = [
        i
        for i in case.actionable_items
        if (not group or i.invoice_id == group)
        and (i.key in climbing or (i.due_date < on and step.kind != "notice"))
    ]
    amount = sum((i.open for i in listed), Money.zero(case.currency))
    deadline = None
    if step.deadline_days is not None:
        calendar = policy.deadline_calendar(case.debtor)
        deadline = calendar.roll_forward(on + timedelta(days=step.deadline_days))
    item = top.item
    why = [f"level {top.level} {step.name} ({step.kind}) due {top.due_on}: {step.delay.describe()}"]
    if item.due_date < on:
        why.append(f"{item.key} {(on - item.due_date).days} days overdue")
    why += [f"{h.reason}: over on {h.until}" for h in top.holds]
    why += [n for n in top.notes if not n.startswith(f"level {top.level} ")]
    if policy.min_balance is not None and policy.min_balance.currency == case.currency:
        why.append(f"open {case.balance} ≥ minimum {policy.min_balance}")
    others = sorted(f"{p.item.key} → {p.level}" for p in plans if p is not top)
    if others:
        why.append("also climbing: " + ", ".join(others))
    why.append(f"claiming {amount} on {len(listed)} item(s)")
    if not case.disputed:
        why.append("no dispute")
    why.append(f"via {route.describe()}" + (f" ({'; '.join(skipped)})" if skipped else ""))
    window: tuple[datetime | None, datetime | None] = (None, None)
    if policy.contact_hours is not None and route.channel not in ("postal", "agency"):
        window = policy.contact_hours.window(on, case.debtor.timezone)
        why.append(f"between {window[0]:%H:%M} and {window[1]:%H:%M} {case.debtor.timezone}")
    parts = [case.debtor_id, case.currency, step.name, route.channel, on.isoformat()]
    key = "|".join([*parts, group] if group else parts)
    return Action(
        date=on,
        debtor_id=case.debtor_id,
        step=step.name,
        level=top.level,
        kind=step.kind,
        channel=route.channel,
        items=tuple(i.key for i in listed),
        amount=amount,
        deadline=deadline,
        why="; ".join(why),
        service=route.service,
        template=step.template_name,
        policy=policy.name,
        key=key,
        levels=tuple(sorted((p.item.key, p.level) for p in plans)),
        not_before=window[0],
        not_after=window[1],
    )


def plan(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: Iterable[Event] = (),
    *,
    per_invoice: bool = False,
    policies: Mapping[str, PolicyLike] | None = None,
) -> Proposal:
    """What to do on ``as_of`` for every debtor of ``portfolio``.

    ``history`` holds the events recorded so far (`Proposal.events` of earlier runs, messages,
    promises...). ``policies`` maps names to policies for debtors whose ``policy`` field
    overrides the default. With ``per_invoice`` each invoice gets its own action.
    """
    actions: list[Action] = []
    waiting: list[Waiting] = []
    alerts: list[Alert] = []
    for case in portfolio.cases(as_of, history):
        a, w = plan_case(case, policy, as_of, per_invoice=per_invoice, policies=policies)
        actions.extend(a)
        waiting.extend(w)
        alerts.extend(_alerts(case, policy, policies or {}, as_of))
    return Proposal(as_of, tuple(actions), tuple(waiting), tuple(alerts))


def _alerts(
    case: Case, policy: PolicyLike, policies: Mapping[str, PolicyLike], on: date
) -> list[Alert]:
    """Items close to their limitation date, under the chosen policy's limitation rules."""
    if not case.open_items or case.closed is not None:
        return []
    chosen, _ = _policy_for(case, policy, policies, on)
    if chosen is None or chosen.limitation is None:
        return []
    near = items_near_limitation(case, on, chosen.limitation_horizon_days, chosen.limitation)
    return [
        Alert(case.debtor_id, case.currency, s.key, "limitation", s.runs_out, s.describe())
        for s in near
    ]


def simulate(
    portfolio: Portfolio,
    policy: PolicyLike,
    start: date,
    end: date,
    history: Iterable[Event] = (),
    *,
    per_invoice: bool = False,
    policies: Mapping[str, PolicyLike] | None = None,
) -> Timeline:
    """Replay every day from ``start`` to ``end`` (inclusive), assuming each planned action is
    carried out and nothing is paid unless the portfolio says so."""
    if end < start:
        raise ValueError(f"simulate: end {end} is before start {start}")
    events: list[Event] = list(history)
    actions: list[Action] = []
    day = start
    while day <= end:
        proposal = plan(portfolio, policy, day, events, per_invoice=per_invoice, policies=policies)
        actions.extend(proposal.actions)
        events.extend(proposal.events())
        day += timedelta(days=1)
    return Timeline(start, end, tuple(actions), tuple(events))


@attrs.frozen
class Explanation:
    """A case, what the policy decided for it on a date, and the resulting plan."""

    case: Case
    policy: str
    actions: tuple[Action, ...]
    waiting: tuple[Waiting, ...]
    notes: tuple[str, ...]

    def text(self) -> str:
        c = self.case
        who = f"{c.debtor.name} ({c.debtor_id}, {c.debtor.kind})"
        lines = [f"{who} as of {c.as_of}, policy {self.policy}"]
        lines.append(f"  open {c.balance} undisputed; invoiced {c.invoiced}, paid {c.paid}")
        lines.append(f"  credited {c.credited}, on account {c.on_account}")
        lines.append("history:")
        for event in c.events:
            lines.append(f"  {event.date}  {_describe(event)}")
        lines.append("items:")
        for item in c.items:
            flag = " disputed" if item.disputed else ""
            lines.append(
                f"  {item.key:<16} due {item.due_date}  {item.amount!s:>14}  open {item.open!s:>14}"
                f"  level {item.level}{flag}"
            )
        lines.append("reasoning:")
        lines.extend(f"  {n}" for n in self.notes)
        lines.append("decision:")
        for action in self.actions:
            lines.append(f"  ACT {action.step} via {action.channel}: {action.why}")
        for wait in self.waiting:
            nxt = f" (next {wait.next_date})" if wait.next_date else ""
            lines.append(f"  WAIT {wait.why}{nxt}")
        return "\n".join(lines)


def _describe(event: Event) -> str:
    fields = {
        f.name: getattr(event, f.name)
        for f in attrs.fields(type(event))
        if f.name not in ("date", "debtor_id")
    }
    name = type(event).__name__
    if "invoice" in fields:
        inv = fields["invoice"]
        return f"{name} {inv.label}: {inv.total} in {len(inv.items)} item(s)"
    if "payment" in fields:
        pay = fields["payment"]
        return f"{name} {pay.id}: {pay.amount} ref {pay.reference!r}"
    if "credit_note" in fields:
        note = fields["credit_note"]
        return f"{name} {note.id}: {note.amount} on {note.invoice_id}"
    if isinstance(event, ActionPlanned):
        what = f"{event.step} (level {event.level}, {event.kind}) via {event.channel}"
        return f"{name} {what} for {', '.join(event.items)}"
    return f"{name} " + ", ".join(
        f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
        for k, v in fields.items()
        if v not in ((), "", None, frozenset())
    )


def explain(
    portfolio: Portfolio,
    policy: PolicyLike,
    debtor_id: str,
    as_of: date,
    history: Iterable[Event] = (),
    *,
    policies: Mapping[str, PolicyLike] | None = None,
) -> Explanation:
    """The case of ``debtor_id`` on ``as_of`` with the policy's reasoning for every item."""
    case = portfolio.case(debtor_id, as_of, history)
    actions, waiting = plan_case(case, policy, as_of, policies=policies)
    chosen, why_not = _policy_for(case, policy, policies or {}, as_of)
    notes: list[str] = []
    name = "none"
    if chosen is None:
        notes.append(why_not)
    else:
        name = chosen.name
        decision = chosen.decide(case, as_of)
        if decision.stop:
            notes.append(decision.stop)
        for p in decision.items:
            for n in p.notes:
                notes.append(f"{p.item.key}: {n}")
            for h in p.active_holds(as_of):
                until = f" until {h.until}" if h.until else ""
                notes.append(f"{p.item.key}: held{until}: {h.reason}")
    return Explanation(case, name, tuple(actions), tuple(waiting), tuple(notes))
