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
from .decision import Decision, Hold
from .errors import PolicyError, RunError
from .events import ActionPlanned, DeliveryConfirmed, DeliveryFailed, Event
from .interest import coverage
from .limitation import items_near_limitation
from .model import Debtor
from .money import Money
from .policy import Policy, PolicyLike
from .portfolio import Portfolio
from .proposal import Action, Alert, Proposal, Timeline, Waiting
from .reasons import KIND_IT, Reason, episode_count
from .steps import ASSUMED_DELIVERY_DAYS, PROVEN_POSTAL_SERVICES, Route, Routes
from .timezones import debtor_zones

__all__ = [
    "CasePlan",
    "Explanation",
    "assumed_deliveries",
    "explain",
    "plan",
    "plan_case",
    "resolve_route",
    "simulate",
]


def resolve_route(
    routes: Routes, debtor: Debtor, excluded: Mapping[str, str] | Iterable[str] = ()
) -> tuple[Route | None, tuple[str, ...]]:
    """The first route of ``routes`` the debtor can be reached on, and why others were not
    used (see `Routes.resolve`)."""
    return routes.resolve(debtor, excluded)


def _wait(
    case: Case,
    why: str | Reason,
    next_date: date | None = None,
    reasons: Iterable[Reason] = (),
) -> Waiting:
    first = why if isinstance(why, Reason) else Reason("note", why)
    return Waiting(case.debtor_id, case.currency, first.text, next_date, reasons=(first, *reasons))


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


@attrs.frozen
class CasePlan:
    """What `plan_case` found for one case: actions, or why not; and alerts."""

    actions: tuple[Action, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    alerts: tuple[Alert, ...] = ()
    decision: Decision | None = None


def plan_case(
    case: Case,
    policy: PolicyLike,
    on: date,
    *,
    per_invoice: bool = False,
    policies: Mapping[str, PolicyLike] | None = None,
) -> tuple[list[Action], list[Waiting]]:
    """Plan one case: the actions due on ``on`` and, when there are none, why not.

    With ``per_invoice`` the ``case`` should be one invoice's (see `Portfolio.cases`)."""
    found = _plan_case(case, policy, on, policies or {})
    return list(found.actions), list(found.waiting)


def _plan_case(
    case: Case,
    policy: PolicyLike,
    on: date,
    policies: Mapping[str, PolicyLike],
    group: str = "",
    whole: Case | None = None,
    planned: Iterable[str] = (),
) -> CasePlan:
    """Plan one case; with ``group`` (per-invoice mode) ``whole`` is the debtor's whole case
    and ``planned`` the channels of the debtor's actions already planned in this run, which
    count towards channel caps."""
    if case.blocked:
        why = case.block or case.debtor.block
        reason = Reason.of("blocked", f"blocked: {why}", why=why)
        return CasePlan(waiting=(_wait(case, reason),))
    if case.closed is not None:
        reason = Reason.of("case_closed", f"case closed: {case.closed}", why=case.closed)
        return CasePlan(waiting=(_wait(case, reason),))
    if not case.open_items:
        return CasePlan(waiting=(_wait(case, Reason("nothing_open", "nothing open")),))
    if case.handed_over:
        day = case.episode.handed_over
        when = f" on {day}" if day else ""
        text = f"handed over{when}: the agency has the case"
        return CasePlan(waiting=(_wait(case, Reason.of("handed_over", text, day=day)),))
    today = [c for c in case.contacts if c.date == on]
    tomorrow = on + timedelta(days=1)
    if today:
        done = today[-1].step
        reason = Reason.of("already_planned", f"already planned today: {done}", step=done)
        chosen, _ = _policy_for(case, policy, policies, on)
        after = chosen.decide(case, tomorrow) if chosen is not None else None
        later = after.next_date(tomorrow) if after is not None and after.stop is None else None
        return CasePlan(waiting=(_wait(case, reason, later or tomorrow),))
    if case.failures_today >= 2:
        count = case.failures_today
        why = f"{count} deliveries failed today: next try tomorrow"
        reason = Reason.of("failures_today", why, count=count)
        return CasePlan(waiting=(_wait(case, reason, tomorrow),))
    chosen, why_not = _policy_for(case, policy, policies, on)
    if chosen is None:
        return CasePlan(waiting=(_wait(case, why_not),))
    decision = chosen.decide(case, on)
    alerts = decision.alerts
    if decision.stop is not None:
        return CasePlan(waiting=(_wait(case, decision.stop),), alerts=alerts, decision=decision)
    if not case.actionable_items:
        reason = Reason("all_disputed", "every open item is disputed")
        waiting = _wait(case, reason, decision.recheck)
        return CasePlan(waiting=(waiting,), alerts=alerts, decision=decision)
    if not decision.ready(on):
        return CasePlan(waiting=(_waiting(case, decision, on),), alerts=alerts, decision=decision)
    caps_case = whole if whole is not None else case
    used_up = frozenset().union(
        *(r.channels_used_up(caps_case, on, tuple(planned)) for r in chosen.rules)
    )
    made = _action(case, chosen, decision, on, group, used_up)
    if isinstance(made, Waiting):
        step = decision.step
        assert step is not None
        bad = chosen.unusable_channels(case, step.name)
        if step.via.resolve(case.debtor, bad)[0] is not None:
            # only the channel caps (they free up with time) or the contact hours stand in
            # the way; a debtor with no convenient time of day needs a person's attention
            capped = attrs.evolve(made, next_date=on + timedelta(days=1))
            window, hours = _contact_window(case, chosen, on)
            if window is None and hours is not None:
                text = f"{step.name}: {hours.text}"
                alerts = (
                    *alerts,
                    Alert(case.debtor_id, case.currency, "", "contact_hours", on, text),
                )
            return CasePlan(waiting=(capped,), alerts=alerts, decision=decision)
        trace = Alert(
            case.debtor_id,
            case.currency,
            "",
            "trace",
            on,
            f"{step.name}: {made.why}; find a current address (rintraccio) and update the debtor",
        )
        return CasePlan(waiting=(made,), alerts=(*alerts, trace), decision=decision)
    stale = _stale_rates(case, chosen, made, on)
    return CasePlan(actions=(made,), alerts=(*alerts, *stale), decision=decision)


def _stale_rates(case: Case, policy: Policy, action: Action, on: date) -> tuple[Alert, ...]:
    """An ``interest_rate`` alert when the items ``action`` claims accrue interest over a
    period whose reference rate nobody has published or supplied: the statement of account
    stops before it, and the person running dunning should add the rate."""
    regime = policy.regime
    if regime is None:
        return ()
    due = {item.key: item.due_date for item in case.open_items}
    missing: dict[str, list[str]] = {}
    known_until = on
    for key in action.items:
        if key not in due:
            continue
        cover = coverage(regime, due[key], on)
        if cover.missing:
            known_until = min(known_until, cover.known_until)
            for period in cover.missing:
                missing.setdefault(period, []).append(key)
    if not missing:
        return ()
    periods = ", ".join(missing)
    lines = " ".join(f'"{p}" = "<rate>"' for p in missing)
    topic = f"no {regime.key} rate for {periods}"
    advice = (
        f"add the published {regime.reference_name} to dunning.toml: "
        f'[interest.reference_rates."{regime.key}"] {lines}'
    )
    keys = ", ".join(dict.fromkeys(k for keys in missing.values() for k in keys))
    why = f"{topic}: the interest on {keys} is shown up to {known_until} only; {advice}"
    first = known_until + timedelta(days=1)
    alert = Alert(case.debtor_id, case.currency, "", "interest_rate", first, why, topic, advice)
    return (alert,)


def _waiting(case: Case, decision: Decision, on: date) -> Waiting:
    when = decision.next_date(on)
    step = decision.step
    if step is None:
        last = (
            decision.reasons[-1] if decision.reasons else Reason("nothing_to_do", "nothing to do")
        )
        return _wait(case, last, when)
    why = f"next: {step.name}"
    due = decision.due_on if decision.due_on is not None and on < decision.due_on else None
    if due is not None and due != when:
        why += f" (due {due})"
    reasons: list[Reason] = []
    holds = decision.active_holds(on)
    if holds:
        why += "; held: " + "; ".join(h.reason for h in holds)
        reasons.extend(h.as_reason for h in holds)
    if not decision.claimed(on):
        item_holds: dict[str, Hold] = {}
        for p in decision.items:
            for h in p.active_holds(on):
                known = item_holds.get(h.reason)
                if known is None or (h.until or date.max) < (known.until or date.max):
                    item_holds[h.reason] = h  # the earliest of alike holds says when
        texts = sorted(item_holds)
        if decision.mode == "episode" and not any(p.item.due_date < on for p in decision.items):
            texts.insert(0, "nothing overdue")
            reasons.append(Reason("nothing_overdue_yet", "nothing overdue"))
        if texts:
            why += "; nothing to claim yet: " + "; ".join(texts)
            reasons.extend(item_holds[t].as_reason for t in sorted(item_holds))
    first = Reason.of("next_step", why, step=step.name, due=due)
    return _wait(case, first, when, reasons)


def _action(
    case: Case,
    policy: Policy,
    decision: Decision,
    on: date,
    group: str,
    used_up: frozenset[str] = frozenset(),
) -> Action | Waiting:
    step = decision.step
    assert step is not None  # a ready decision has a step
    excluded = dict.fromkeys(used_up | decision.excluded, "over its cap")
    excluded.update(policy.unusable_channels(case, step.name))
    window, hours = _contact_window(case, policy, on)
    if window is None and hours is not None:
        # no time of day is convenient: only a letter (which has none) can go
        excluded.update({c: hours.text for c in TIMED_CHANNELS if c not in excluded})
    route, skipped = step.via.resolve(case.debtor, excluded)
    if route is None:
        text = f"{step.name}: no usable channel ({'; '.join(skipped)})"
        return _wait(case, Reason.of("no_channel", text, step=step.name, skipped=skipped))
    claimed = decision.claimed(on)
    claimed_keys = {i.key for i in claimed}
    upcoming = tuple(i.key for i in case.actionable_items if i.key not in claimed_keys)
    amount = sum((i.open for i in claimed), Money.zero(case.currency))
    deadline = None
    if decision.instalment is not None:
        deadline = decision.instalment[0]  # the notice reminds of the instalment's date
    elif step.deadline_days is not None:
        calendar = policy.deadline_calendar(case.debtor)
        deadline = calendar.roll_forward(on + timedelta(days=step.deadline_days))
    episode = case.episode
    level, name = decision.level, step.name
    # the policy's note of the step (a breach step of a payment plan has none: said here)
    head = next((r for r in decision.reasons if r.code == "step_due"), None) or Reason.of(
        "step_due",
        f"level {level} {name} ({step.kind}) due {decision.due_on}",
        level=level,
        step=name,
        kind=step.kind,
        kind_it=KIND_IT.get(step.kind, step.kind),
        due=decision.due_on,
    )
    why = [head]
    if decision.mode == "episode":
        n = episode.count(step.kind) + 1
        why.append(episode_count(step.kind, n, episode.number, case.debtor_id))
        oldest = min(claimed, key=lambda i: i.due_date)
        days = (on - oldest.due_date).days
        why.append(
            Reason.of("overdue", f"{oldest.key} {days} days overdue", item=oldest.key, days=days)
        )
    for h in decision.holds:
        if h.until is not None:
            text = f"{h.reason}: over on {h.until}"
            why.append(Reason.of("hold_over", text, reason=h.as_reason.text, until=h.until))
    why += [r for r in decision.reasons if r is not head]
    floor = policy.min_balance
    if floor is not None and floor.currency == case.currency:
        text = f"open {case.balance} ≥ minimum {floor}"
        why.append(Reason.of("minimum", text, balance=case.balance, minimum=floor))
    text = f"claiming {amount} on {len(claimed)} item(s)"
    why.append(Reason.of("claiming", text, amount=amount, count=len(claimed)))
    if upcoming:
        text = f"not claimed (not yet due or in grace): {', '.join(upcoming)}"
        why.append(Reason.of("not_claimed", text, items=upcoming))
    if not case.disputed:
        why.append(Reason("no_dispute", "no dispute"))
    text = f"via {route.describe()}" + (f" ({'; '.join(skipped)})" if skipped else "")
    why.append(Reason.of("via", text, channel=route.describe(), skipped=skipped))
    not_before = not_after = None
    if window is not None and route.channel in TIMED_CHANNELS:
        not_before, not_after = window
        assert hours is not None
        why.append(hours)
    parts = [case.debtor_id, case.currency, step.name, route.channel, on.isoformat()]
    key = "|".join([*parts, group] if group else parts)
    return Action(
        date=on,
        debtor_id=case.debtor_id,
        step=step.name,
        level=decision.level,
        kind=step.kind,
        channel=route.channel,
        items=tuple(i.key for i in claimed),
        amount=amount,
        deadline=deadline,
        why="; ".join(r.text for r in why),
        service=route.service,
        template=step.template_name,
        policy=policy.name,
        key=key,
        levels=tuple((i.key, decision.level) for i in claimed),
        not_before=not_before,
        not_after=not_after,
        upcoming=upcoming,
        reasons=tuple(why),
        instalment=decision.instalment,
    )


#: Channels carried out at a time of day, within the policy's contact hours (a letter and a
#: hand-over to an agency have none).
TIMED_CHANNELS = ("email", "pec", "sms", "phone")


def _contact_window(
    case: Case, policy: Policy, on: date
) -> tuple[tuple[datetime, datetime] | None, Reason | None]:
    """The policy's contact window on ``on``, convenient in every zone the debtor may be in,
    and the reason that says so; ``(None, reason)`` when there is no such time (the zone is
    unknown, or the zones are too far apart); ``(None, None)`` without contact hours."""
    hours = policy.contact_hours
    if hours is None:
        return None, None
    zones = debtor_zones(case.debtor)
    window = hours.common_window(on, zones.zones) if zones.zones else None
    if window is None:
        if not zones.zones:
            text = f"no contact window: {zones.note}"
        else:
            text = f"no time between {hours.start:%H:%M} and {hours.end:%H:%M} on {on} is "
            text += f"{zones.note}: set the debtor's timezone"
        return None, Reason.of("no_contact_window", text, zones=zones.zones, day=on)
    start, end = window
    text = f"between {start:%H:%M} and {end:%H:%M} {zones.zones[0]}"
    if zones.note:
        text += f" ({zones.note})"
    reason = Reason.of(
        "contact_hours",
        text,
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
        zone=zones.zones[0],
        zones=zones.zones,
    )
    return window, reason


def _check_arguments(portfolio: object, policy: object, as_of: object, what: str) -> None:
    if not isinstance(portfolio, Portfolio):
        raise TypeError(f"{what}: portfolio must be a dunning.Portfolio, not {portfolio!r:.60}")
    if isinstance(policy, str):
        raise TypeError(
            f"{what}: policy must be a policy object, not the string {policy!r}; build one, "
            "e.g. dunning.policies.italy.stragiudiziale(), or look a preset up with "
            "dunning.policies.load(name)"
        )
    if not isinstance(policy, PolicyLike):
        hint = ""
        if callable(policy) and getattr(policy, "__module__", "").startswith("dunning.policies"):
            hint = f"; did you mean {getattr(policy, '__name__', 'it')}()?"  # a preset, uncalled
        raise TypeError(f"{what}: policy must be a dunning.Policy, not {policy!r:.60}{hint}")
    if not isinstance(as_of, date) or isinstance(as_of, datetime):
        hint = ""
        if isinstance(as_of, str):
            hint = f"; use datetime.date.fromisoformat({as_of!r})"
        raise TypeError(f"{what}: as_of must be a datetime.date, not {as_of!r}{hint}")


def _check_history(history: Iterable[Event], what: str) -> tuple[Event, ...]:
    if isinstance(history, Proposal):
        raise TypeError(
            f"{what}: history must be events; pass proposal.events() to record a proposal"
        )
    events = tuple(history)
    for n, event in enumerate(events):
        if not isinstance(event, Event):  # a typo a type checker would catch, at run time
            raise TypeError(
                f"{what}: history item {n} is a {type(event).__name__}, not an event "
                "(record a proposal with proposal.events())"
            )
    return events


def _check_not_backdated(history: Iterable[Event], as_of: date) -> None:
    later = [e for e in history if isinstance(e, ActionPlanned) and e.date > as_of]
    if later:
        last = max(later, key=lambda e: e.date)
        raise RunError(
            f"cannot plan {as_of}: the history already records a run on {last.date} "
            f"({last.step} for {last.debtor_id}); plan on {last.date} or later, or look at "
            "an earlier day with explain"
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
    overrides the default. With ``per_invoice`` each invoice runs its own episode.

    Raises `RunError` when ``history`` records an action after ``as_of`` (a back-dated run).
    """
    _check_arguments(portfolio, policy, as_of, "plan")
    events = _check_history(history, "plan")
    _check_not_backdated(events, as_of)
    return _plan(portfolio, policy, as_of, events, per_invoice, policies or {})


def _plan(
    portfolio: Portfolio,
    policy: PolicyLike,
    as_of: date,
    history: tuple[Event, ...],
    per_invoice: bool,
    named: Mapping[str, PolicyLike],
) -> Proposal:
    """`plan` on arguments already checked."""
    actions: list[Action] = []
    waiting: list[Waiting] = []
    alerts: list[Alert] = []
    wholes: dict[tuple[str, str], Case] = {}
    if per_invoice:
        wholes = {(c.debtor_id, c.currency): c for c in portfolio.cases(as_of, history)}
    for case in portfolio.cases(as_of, history, per_invoice=per_invoice):
        group = case.items[0].invoice_id if per_invoice and case.items else ""
        whole = wholes.get((case.debtor_id, case.currency))
        planned = [
            a.channel
            for a in actions
            if (a.debtor_id, a.currency) == (case.debtor_id, case.currency)
        ]
        found = _plan_case(case, policy, as_of, named, group, whole, planned)
        actions.extend(found.actions)
        waiting.extend(found.waiting)
        alerts.extend(a for a in found.alerts if a not in alerts)
        alerts.extend(a for a in _alerts(case, policy, named, as_of) if a not in alerts)
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


def assumed_deliveries(
    actions: Iterable[Action], known: Iterable[str] = ()
) -> list[DeliveryConfirmed]:
    """The deliveries `simulate` assumes for ``actions`` over channels that prove delivery
    (a PEC the same day, a raccomandata A/R 4 days later), except for the keys in ``known``."""
    known = set(known)
    out = []
    for action in actions:
        days = ASSUMED_DELIVERY_DAYS.get(action.channel)
        if days is None or action.key in known:
            continue
        if action.channel == "postal" and action.service not in PROVEN_POSTAL_SERVICES:
            continue
        out.append(
            DeliveryConfirmed(
                action.date + timedelta(days=days),
                action.debtor_id,
                action.key,
                action.channel,
                evidence="assumed by simulate",
            )
        )
    return out


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
    carried out, and delivered (a PEC the same day, a raccomandata A/R 4 days later) unless
    the portfolio's events or ``history`` record its delivery or failure (by the action's
    key); nothing is paid unless the portfolio says so."""
    _check_arguments(portfolio, policy, start, "simulate")
    if not isinstance(end, date):
        raise TypeError(f"simulate: end must be a datetime.date, not {end!r}")
    if end < start:
        raise ValueError(f"simulate: end {end} is before start {start}")
    events: list[Event] = list(_check_history(history, "simulate"))
    _check_not_backdated(events, start)  # what simulate adds is never later than the day
    known = {
        e.key
        for e in (*portfolio.events, *events)
        if isinstance(e, DeliveryConfirmed | DeliveryFailed)
    }
    actions: list[Action] = []
    day = start
    while day <= end:
        proposal = _plan(portfolio, policy, day, tuple(events), per_invoice, policies or {})
        actions.extend(proposal.actions)
        events.extend(proposal.events())
        events.extend(assumed_deliveries(proposal.actions, known))
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

    def text(self, locale: str | None = None) -> str:
        """The explanation as text; with ``locale``, the decision's reasons in its language
        (`dunning.reasons`)."""
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
            why = action.why_in(locale) if locale else action.why
            lines.append(f"  ACT {action.step} via {action.channel}: {why}")
        for wait in self.waiting:
            nxt = f" (next {wait.next_date})" if wait.next_date else ""
            lines.append(f"  WAIT {wait.why_in(locale) if locale else wait.why}{nxt}")
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
    """The case of ``debtor_id`` on ``as_of`` with the policy's reasoning: its episode, its
    next step and what holds it back, and what holds each item back."""
    _check_arguments(portfolio, policy, as_of, "explain")
    case = portfolio.case(debtor_id, as_of, history)
    found = _plan_case(case, policy, as_of, policies or {})
    chosen, why_not = _policy_for(case, policy, policies or {}, as_of)
    notes: list[str] = []
    name = "none"
    if chosen is None:
        notes.append(why_not)
    else:
        name = chosen.name
        episode = case.episode
        if episode.contacts:
            steps = ", ".join(f"{c.step} {c.date}" for c in episode.contacts)
            notes.append(f"episode {episode.number} since {episode.opened}: {steps}")
        elif case.previous_episode is not None:
            notes.append(
                f"episode {case.previous_episode.number} closed on {case.previous_episode.closed}"
            )
        decision = found.decision or chosen.decide(case, as_of)
        if decision.stop:
            notes.append(decision.stop)
        notes.extend(decision.notes)
        for h in decision.active_holds(as_of):
            until = f" until {h.until}" if h.until else ""
            notes.append(f"held{until}: {h.reason}")
        for p in decision.items:
            for n in p.notes:
                notes.append(f"{p.item.key}: {n}")
            for h in p.active_holds(as_of):
                until = f" until {h.until}" if h.until else ""
                notes.append(f"{p.item.key}: held{until}: {h.reason}")
        notes.extend(f"ALERT {a.kind}: {a.why}" for a in found.alerts)
    return Explanation(case, name, found.actions, found.waiting, tuple(notes))
