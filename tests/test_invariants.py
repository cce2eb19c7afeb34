"""The invariants of DESIGN.md as hypothesis properties, run on the Italian preset and on small
hand-built policies; and proof that each checker can fail (forged proposals and broken
policies are caught with the right "invariant N:" message)."""

from __future__ import annotations

import importlib
import itertools
import sys
import types
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, NamedTuple

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dunning
from dunning import (
    ActionPlanned,
    BlockSet,
    Calendar,
    Case,
    Debtor,
    DeliveryFailed,
    DisputeOpened,
    Event,
    Invoice,
    Money,
    Payment,
    Policy,
    Portfolio,
    Proposal,
    Rule,
    Step,
    after_due,
    after_previous,
    before_due,
    contact_caps,
    debtor_kind,
    email,
    on_business_days,
    pec,
    plan,
    postal,
    promise_pause,
    transit_grace,
)
from dunning.engine import assumed_deliveries
from dunning.guards import predicate
from dunning.policies import italy
from dunning.policy import Decision, PolicyLike
from dunning.testing import (
    CREDITOR,
    HISTORY_KINDS,
    check_business_days,
    check_contact_caps,
    check_determinism,
    check_disputes_blocks_opt_outs,
    check_due_dates,
    check_episode_limits,
    check_formal_notice,
    check_hand_over,
    check_levels_never_drop,
    check_money_conserved,
    check_no_burst,
    check_no_dead_end,
    check_nothing_due,
    check_one_level_per_run,
    check_only_due_claimed,
    check_plan_kept,
    check_run,
    check_severity_never_drops,
    check_simulation,
    debtors,
    histories,
    invoices,
    money,
    payments,
    portfolios,
)
from helpers import SMALL, TINY

START = date(2026, 1, 5)
WINDOW = 60  # days simulated per example
# Invoices are issued from 90 days before the first run (so some are well overdue and climb
# the whole ladder inside the window) to 30 days after it (so some get a pre-due notice).
ISSUED_FROM = START - timedelta(days=90)
ISSUED_UNTIL = START + timedelta(days=30)

ITALY = italy.stragiudiziale()


#: Policies combined with ``|``: SMALL for businesses and public bodies, TINY for the others.
COMBINED = SMALL.when(debtor_kind("business", "public_admin")) | TINY

POLICIES: tuple[PolicyLike, ...] = (ITALY, TINY, SMALL, COMBINED)


class Scenario(NamedTuple):
    """A policy, a portfolio, facts about its debtors, and the days the engine runs on."""

    policy: PolicyLike
    portfolio: Portfolio
    history: list[Event]
    days: list[date]


@st.composite
def scenarios(draw: st.DrawFn, window: int = WINDOW, resets: bool = True) -> Scenario:
    end = START + timedelta(days=window)
    portfolio = draw(
        portfolios(
            ISSUED_FROM,
            min(ISSUED_UNTIL, end),
            min_invoices=1,
            max_payments=1,
            max_credit_notes=1,
            currencies=("EUR", "EUR", "EUR", "CHF"),
            terms=st.integers(0, 30),
        )
    )
    kinds = HISTORY_KINDS if resets else tuple(k for k in HISTORY_KINDS if k != "reset")
    history = draw(histories(portfolio, START, end, max_events=3, kinds=kinds))
    # Runs every `every` days, plus a few odd days: both daily-ish and sparse runs.
    every = draw(st.integers(1, 7))
    first = START + timedelta(days=draw(st.integers(0, every - 1)))
    days = [first + timedelta(days=n) for n in range(0, window + 1, every)]
    days += draw(st.lists(st.dates(START, end), max_size=3))
    return Scenario(draw(st.sampled_from(POLICIES)), portfolio, history, sorted(set(days)))


def runs(s: Scenario) -> Iterator[tuple[date, list[Event], Proposal]]:
    """Each engine run of the scenario: its day, the history before it, and its proposal
    (whose events are recorded once the caller has looked at them)."""
    events = list(s.history)
    for day in s.days:
        proposal = plan(s.portfolio, s.policy, day, events)
        yield day, list(events), proposal
        events.extend(proposal.events())


# -- the properties ---------------------------------------------------------------------------


@given(scenarios())
def test_invariant_1_no_action_when_nothing_is_due(s: Scenario) -> None:
    """Invariant 1: no action for a case with nothing due (paid, credited, below threshold)."""
    for day, history, proposal in runs(s):
        check_nothing_due(s.portfolio, s.policy, day, history, proposal)


@given(scenarios())
def test_invariant_2_no_action_on_disputed_or_blocked_items_or_opted_out_channels(
    s: Scenario,
) -> None:
    """Invariant 2: no action on disputed or blocked items; no contact on an opted-out
    channel."""
    for day, history, proposal in runs(s):
        check_disputes_blocks_opt_outs(s.portfolio, s.policy, day, history, proposal)


@given(scenarios())
def test_invariant_3_levels_never_go_down(s: Scenario) -> None:
    """Invariant 3: levels of one case never go down except through an event that says so
    (plan, reset)."""
    for day, history, proposal in runs(s):
        check_levels_never_drop(s.portfolio, s.policy, day, history, proposal)


@given(scenarios(), st.booleans())
def test_invariant_4_one_level_per_item_per_run_no_step_twice(
    s: Scenario, per_invoice: bool
) -> None:
    """Invariant 4: no level is skipped; at most one level per item per run; no step is sent
    twice (also with one action per invoice)."""
    events = list(s.history)
    for day in s.days:
        proposal = plan(s.portfolio, s.policy, day, events, per_invoice=per_invoice)
        check_one_level_per_run(
            s.portfolio, s.policy, day, events, proposal, per_invoice=per_invoice
        )
        events.extend(proposal.events())


@given(scenarios())
def test_invariant_5_contacts_respect_spacing_and_caps(s: Scenario) -> None:
    """Invariant 5: spacing between contacts ≥ the policy's minimum; counts ≤ the policy's
    caps."""
    for day, history, proposal in runs(s):
        check_contact_caps(s.portfolio, s.policy, day, history, proposal)


@given(scenarios())
def test_invariant_6_notices_before_due_reminders_after_grace(s: Scenario) -> None:
    """Invariant 6: a pre-due notice only before the due date; reminders only after due date
    + grace."""
    for day, history, proposal in runs(s):
        check_due_dates(s.portfolio, s.policy, day, history, proposal)


@given(scenarios())
def test_invariant_7_formal_notice_after_reminders_with_legal_proof(s: Scenario) -> None:
    """Invariant 7: a formal notice only after the policy's minimum reminders, only on a
    channel with legal proof."""
    for day, history, proposal in runs(s):
        check_formal_notice(s.portfolio, s.policy, day, history, proposal)


@given(scenarios())
def test_invariant_8_same_input_same_output_and_no_second_run(s: Scenario) -> None:
    """Invariant 8: same input, same output (determinism); a second run on the same day plans
    nothing new."""
    for day, history, proposal in runs(s):
        check_determinism(s.portfolio, s.policy, day, history, proposal)


@given(scenarios(window=42, resets=False))
def test_invariant_9_skipping_runs_never_merges_or_reorders(s: Scenario) -> None:
    """Invariant 9: skipping runs delays steps but never reorders or merges them.

    The same scenario (without level resets) is run every day and every 7th day: in both,
    the ladder levels of each episode rise strictly, one applicable step per run and per day
    (`check_no_burst` on every run).
    """
    end = START + timedelta(days=42)
    daily: list[Event] = list(s.history)
    weekly: list[Event] = list(s.history)
    for n in range((end - START).days + 1):
        day = START + timedelta(days=n)
        daily.extend(check_no_burst(s.portfolio, s.policy, day, daily).events())
        if n % 7 == 0:
            weekly.extend(check_no_burst(s.portfolio, s.policy, day, weekly).events())
    # a payment plan's breach step is not on the ladder: it stays at the case's level
    ladder = {step.name for p in s.policy.all_policies for step in p.ladder}
    for events in (daily, weekly):
        for case in s.portfolio.cases(end, events):
            for episode in case.episodes:
                contacts = [c for c in episode.contacts if c.step in ladder]
                levels = [c.level for c in contacts]
                assert levels == sorted(set(levels)), (
                    f"invariant 9: debtor {case.debtor_id}, episode {episode.number}: "
                    f"levels {levels}"
                )
                days = [c.date for c in contacts]
                assert len(days) == len(set(days)), (
                    f"invariant 9: debtor {case.debtor_id}, episode {episode.number}: two "
                    f"steps on one day {days}"
                )


@given(scenarios())
def test_invariant_10_actions_only_on_business_days(s: Scenario) -> None:
    """Invariant 10: no action dated on a non-business day (or in quiet hours) when the policy
    says so."""
    for day, history, proposal in runs(s):
        check_business_days(s.portfolio, s.policy, day, history, proposal)
        assert all(action.date == day for action in proposal)


@given(scenarios())
def test_invariant_11_money_is_conserved(s: Scenario) -> None:
    """Invariant 11: money is conserved: invoiced = paid + credited + open, to the cent (the
    interest half of the invariant waits for the interest module)."""
    for day, history, proposal in runs(s):
        check_money_conserved(s.portfolio, day, history)
        check_money_conserved(s.portfolio, day, [*history, *proposal.events()])


@given(scenarios())
def test_check_run_holds_on_every_run(s: Scenario) -> None:
    """`check_run` (every invariant at once) and `check_simulation` agree with the engine."""
    events = check_simulation(s.portfolio, s.policy, s.days, s.history)
    planned = [e for e in events if isinstance(e, ActionPlanned)]
    assert all(e.date in s.days for e in planned)


def delivered_runs(s: Scenario, fates: list[bool]) -> Iterator[tuple[date, list[Event], Proposal]]:
    """Like `runs`, recording each action's delivery as `simulate` assumes it, except that
    each PEC or registered letter whose fate (in order) is False bounces the same day and the
    engine runs again that day."""
    events = list(s.history)
    fate = iter(fates)
    for day in s.days:
        proposal = plan(s.portfolio, s.policy, day, events)
        yield day, list(events), proposal
        events.extend(proposal.events())
        delivered = assumed_deliveries(proposal.actions)
        bounced = [d for d in delivered if not next(fate, True)]
        events.extend(d for d in delivered if d not in bounced)
        if bounced:
            events.extend(DeliveryFailed(d.date, d.debtor_id, d.key, d.channel) for d in bounced)
            again = plan(s.portfolio, s.policy, day, events)
            yield day, list(events), again
            events.extend(again.events())
            events.extend(assumed_deliveries(again.actions))


FATES = st.lists(st.booleans(), max_size=12)


@given(scenarios(), FATES)
def test_invariants_12_to_17_with_deliveries_and_bounces(s: Scenario, fates: list[bool]) -> None:
    """Invariants 12-17 on every run, deliveries recorded and some PEC or registered letters
    bounced (then re-planned the same day): severity and step number never go down in an
    episode (12); nothing not yet due or in grace is claimed (13); the reminder and formal
    notice limits per episode (14); the hand-over only after a proven, expired formal notice
    (15); no silent dead end (16); a kept payment plan means no dunning contact (17).
    (`test_check_run_holds_on_every_run` runs them too, with every delivery proven.)"""
    for day, history, proposal in delivered_runs(s, fates):
        for check in (
            check_severity_never_drops,
            check_only_due_claimed,
            check_episode_limits,
            check_hand_over,
            check_no_dead_end,
            check_plan_kept,
            check_determinism,
        ):
            check(s.portfolio, s.policy, day, history, proposal)


def test_invariant_17_a_broken_plan_resumes_within_the_grace() -> None:
    """Invariant 17, second half: once an instalment is missed, the escalation resumes the
    first business day after the plan's grace."""
    pf = Portfolio(
        CREDITOR,
        [Debtor("B1", "Bar Centrale", email="info@bar.example.it", pec="bar@pec.example.it")],
        [Invoice.single("F1", "B1", date(2026, 1, 2), date(2026, 2, 2), Money("900.00", "EUR"))],
        events=[
            dunning.PlanAgreed(
                date(2026, 2, 20),
                "B1",
                instalments=[
                    (date(2026, 3, 2), Money("300.00", "EUR")),
                    (date(2026, 4, 1), Money("600.00", "EUR")),
                ],
            )
        ],
    )
    timeline = dunning.simulate(pf, ITALY, date(2026, 2, 21), date(2026, 3, 31))
    # 2 March unpaid; 5 days of grace: the breach step goes out on Monday 9 March
    contacts = [(a.date, a.step) for a in timeline if a.kind != "notice"]
    assert contacts[0] == (date(2026, 3, 9), "sollecito_rata")


# -- the strategies draw what they promise ----------------------------------------------------


@given(money("EUR", "0.01", "100.00"), money("JPY", 1, 1000))
def test_money_is_exact_and_in_range(eur: Money, jpy: Money) -> None:
    assert Money("0.01", "EUR") <= eur <= Money("100.00", "EUR")
    assert eur.rounded() == eur
    assert eur.amount.as_tuple().exponent == -2
    assert jpy.rounded() == jpy
    assert jpy.amount == int(jpy.amount)


@given(debtors(st.sampled_from(["A1", "B2"])))
def test_debtors_are_valid_and_varied(debtor: Debtor) -> None:
    assert debtor.id in ("A1", "B2")
    assert debtor.opt_out <= set(dunning.model.CHANNELS)
    assert debtor.kind in ("business", "consumer", "public_admin")


@given(invoices("D1", START, START + timedelta(days=10), id="INV-9"))
def test_invoices_have_one_to_three_instalments(invoice: Invoice) -> None:
    assert (invoice.id, invoice.debtor_id) == ("INV-9", "D1")
    assert 1 <= len(invoice.items) <= 3
    assert START <= invoice.issue_date <= START + timedelta(days=10)
    assert all(item.due_date >= invoice.issue_date for item in invoice.items)


@given(payments("D1", START, START + timedelta(days=5), references=["INV-1"]))
def test_payments_are_positive_and_dated(payment: Payment) -> None:
    assert payment.amount.is_positive
    assert payment.reference in (None, "INV-1")


@given(st.data())
def test_histories_name_known_debtors_and_invoices(data: st.DataObject) -> None:
    portfolio = data.draw(portfolios(START, START + timedelta(days=20), min_invoices=1))
    events = data.draw(histories(portfolio, START, START + timedelta(days=20), max_events=4))
    ids = {d.id for d in portfolio.debtors}
    invoice_ids = {i.id for i in portfolio.invoices}
    assert all(e.debtor_id in ids for e in events)
    assert [e.date for e in events] == sorted(e.date for e in events)
    assert all(getattr(e, "invoice_id", None) in (None, *invoice_ids) for e in events)


def test_strategies_refuse_bad_arguments() -> None:
    with pytest.raises(ValueError, match="min_value"):
        money("EUR", "10", "1")
    with pytest.raises(ValueError, match="before start"):
        invoices("D1", START, START - timedelta(days=1))
    with pytest.raises(ValueError, match="kinds"):
        histories(Portfolio(CREDITOR, [Debtor("D1", "D")]), START, START, kinds=["nope"])


# -- each checker can fail ---------------------------------------------------------------------

DUE = date(2026, 3, 10)  # a Tuesday
BIZ = Debtor("B1", "Bar Centrale", email="info@bar.example.it", phone="+390511234567")
ONE = Portfolio(
    CREDITOR, [BIZ], [Invoice.single("F1", "B1", date(2026, 2, 1), DUE, Money("500.00", "EUR"))]
)
SIMPLE = Policy(
    Step("first", "reminder", via=email).at(after_due(1))
    >> Step("second", "reminder", via=email).at(after_previous(10))
    >> Step("last", "formal_notice", via=pec | postal("raccomandata_ar")).at(after_previous(10)),
    rules=(contact_caps(min_days=10), transit_grace(3), on_business_days()),
    name="simple",
)


def first_action(
    portfolio: Portfolio = ONE,
    policy: PolicyLike = SIMPLE,
    history: list[Event] | None = None,
    start: date = DUE,
) -> tuple[date, list[Event], Proposal]:
    """The first day after ``start`` on which the policy acts, the history and the proposal."""
    events = list(history or [])
    for n in range(120):
        day = start + timedelta(days=n)
        proposal = plan(portfolio, policy, day, events)
        if proposal.actions:
            return day, events, proposal
    raise AssertionError("the policy never acted")


def forged(proposal: Proposal, **changes: Any) -> Proposal:
    """The proposal with its first action changed."""
    action = attrs.evolve(proposal.actions[0], **changes)
    return attrs.evolve(proposal, actions=(action, *proposal.actions[1:]))


def test_invariant_1_checker_catches_an_action_on_a_paid_case() -> None:
    day, history, proposal = first_action()
    paid = [
        dunning.PaymentReceived(DUE, "B1", Payment("P1", "B1", DUE, Money("500.00", "EUR"), "F1"))
    ]
    with pytest.raises(AssertionError, match=r"^invariant 1: debtor B1, action .*balance"):
        check_nothing_due(ONE, SIMPLE, day, paid, proposal)
    with pytest.raises(AssertionError, match=r"^invariant 1: .*claims 1.00 EUR"):
        check_nothing_due(ONE, SIMPLE, day, history, forged(proposal, amount=Money("1", "EUR")))


def test_invariant_2_checker_catches_a_disputed_item_a_block_and_an_opt_out() -> None:
    day, history, proposal = first_action()
    disputed = [*history, DisputeOpened(day, "B1", "F1")]
    with pytest.raises(
        AssertionError, match=r"^invariant 2: debtor B1, action .*item F1: disputed"
    ):
        check_disputes_blocks_opt_outs(ONE, SIMPLE, day, disputed, proposal)
    blocked = [*history, BlockSet(day, "B1", "lawyer")]
    with pytest.raises(AssertionError, match=r"^invariant 2: debtor B1, .*blocked \(lawyer\)"):
        check_disputes_blocks_opt_outs(ONE, SIMPLE, day, blocked, proposal)
    refusing = Portfolio(CREDITOR, [attrs.evolve(BIZ, opt_out={"email"})], ONE.invoices)
    with pytest.raises(AssertionError, match=r"^invariant 2: .*opted out of email"):
        check_disputes_blocks_opt_outs(refusing, SIMPLE, day, history, proposal)
    with pytest.raises(AssertionError, match=r"^invariant 2: .*has no pec address"):
        check_disputes_blocks_opt_outs(ONE, SIMPLE, day, history, forged(proposal, channel="pec"))


def test_invariant_3_checker_catches_a_level_going_down() -> None:
    class Forgetful(Portfolio):
        """Forgets every level once something was planned today."""

        def cases(self, as_of: date, history: Any = (), **kw: Any) -> Iterator[Case]:
            history = list(history)
            for case in super().cases(as_of, history, **kw):
                if any(isinstance(e, ActionPlanned) and e.date == as_of for e in history):
                    episodes = tuple(attrs.evolve(e, level=0) for e in case.episodes)
                    case = attrs.evolve(case, episodes=episodes)
                yield case

    day, history, proposal = first_action()
    later, history, proposal = first_action(
        start=day + timedelta(days=1), history=[*history, *proposal.events()]
    )
    tricky = Forgetful(CREDITOR, ONE.debtors, ONE.invoices)
    with pytest.raises(AssertionError, match=r"^invariant 3: debtor B1: episode 1 went down"):
        check_levels_never_drop(tricky, SIMPLE, later, history, proposal)


def test_invariant_4_checker_catches_a_skipped_level_and_a_repeated_step() -> None:
    day, history, proposal = first_action()
    with pytest.raises(AssertionError, match=r"^invariant 4: .*skipped level 1 first"):
        check_one_level_per_run(
            ONE, SIMPLE, day, history, forged(proposal, level=2, step="second", levels=[("F1", 2)])
        )
    twice = attrs.evolve(proposal, actions=proposal.actions * 2)
    with pytest.raises(AssertionError, match=r"^invariant 4: .*a second action for the case"):
        check_one_level_per_run(ONE, SIMPLE, day, history, twice)
    next_day = day + timedelta(days=1)
    reset = [*history, *proposal.events(), dunning.LevelReset(next_day, "B1", level=0)]
    # After a reset the case may climb to level 1 again; without it, that is a repeat.
    check_one_level_per_run(ONE, SIMPLE, next_day, reset, forged(proposal, date=next_day))
    with pytest.raises(AssertionError, match=r"^invariant 4: .*level 1 is not above"):
        check_one_level_per_run(
            ONE, SIMPLE, next_day, [*history, *proposal.events()], forged(proposal, date=next_day)
        )


def test_invariant_5_checker_catches_contacts_too_close() -> None:
    day, history, proposal = first_action()
    history = [*history, *proposal.events()]
    soon = day + timedelta(days=3)
    step_two = forged(proposal, date=soon, level=2, step="second", levels=[("F1", 2)])
    with pytest.raises(AssertionError, match=r"^invariant 5: debtor B1, .*3 days after .*is 10"):
        check_contact_caps(ONE, SIMPLE, soon, history, step_two)
    capped = attrs.evolve(SIMPLE, rules=[contact_caps(min_days=0, max_reminders=1)])
    with pytest.raises(AssertionError, match=r"^invariant 14: .*2 reminders, the cap is 1"):
        check_episode_limits(ONE, capped, soon, history, step_two)
    windowed = attrs.evolve(
        SIMPLE, rules=[contact_caps(min_days=0, per_channel=[("email", 1, 30)])]
    )
    with pytest.raises(AssertionError, match=r"^invariant 5: .*contact 2 on email within 30 days"):
        check_contact_caps(ONE, windowed, soon, history, step_two)


def test_invariant_6_checker_catches_a_reminder_within_the_grace() -> None:
    day, history, proposal = first_action()
    # Three business days of grace after Tuesday 10 March: the first day allowed is Monday 16.
    assert day == date(2026, 3, 16)
    early = day - timedelta(days=3)
    with pytest.raises(AssertionError, match=r"^invariant 6: debtor B1, .*item F1: .*grace"):
        check_due_dates(ONE, SIMPLE, early, history, forged(proposal, date=early))
    with pytest.raises(AssertionError, match=r"^invariant 6: .*not after its due date"):
        check_due_dates(ONE, SIMPLE, DUE, history, forged(proposal, date=DUE))
    noticed = Policy(
        Step("soon", "notice", via=email).at(before_due(3)) >> SIMPLE.ladder, rules=SIMPLE.rules
    )
    with pytest.raises(AssertionError, match=r"^invariant 6: .*a pre-due notice on 2026-03-16"):
        check_due_dates(ONE, noticed, day, history, forged(proposal, kind="notice", step="soon"))


def test_invariant_7_checker_catches_a_formal_notice_by_email_or_too_early() -> None:
    day, history, proposal = first_action()
    notice = forged(proposal, kind="formal_notice", step="last", level=3, levels=[("F1", 3)])
    with pytest.raises(AssertionError, match=r"^invariant 7: debtor B1, .*via email"):
        check_formal_notice(ONE, SIMPLE, day, history, notice)
    by_pec = forged(notice, channel="pec")
    with pytest.raises(AssertionError, match=r"^invariant 7: .*after 0 reminder\(s\).*needs 2"):
        check_formal_notice(ONE, SIMPLE, day, history, by_pec)
    ordinary_mail = forged(notice, channel="postal", service="prioritaria")
    with pytest.raises(AssertionError, match=r"^invariant 7: .*via postal \(prioritaria\)"):
        check_formal_notice(ONE, SIMPLE, day, history, ordinary_mail)


def test_invariant_8_checker_catches_a_policy_that_is_not_a_function() -> None:
    flips = itertools.count()

    def coin(case: Case, on: date) -> bool:
        return next(flips) % 2 == 0

    moody = Policy(Step("first", "reminder", via=email).at(after_due(1)).when(predicate(coin)))
    day = DUE + timedelta(days=1)
    first = plan(ONE, moody, day)  # the coin says yes: the second planning will say no
    with pytest.raises(AssertionError, match=r"^invariant 8: planning 2026-03-11 twice differs"):
        check_determinism(ONE, moody, day, [], first)
    forgetful = attrs.evolve(plan(ONE, SIMPLE, date(2026, 3, 16)), actions=())
    with pytest.raises(AssertionError, match=r"^invariant 8: planning 2026-03-16 twice differs"):
        check_determinism(ONE, SIMPLE, date(2026, 3, 16), [], forgetful)


@attrs.frozen
class leap(Rule):  # noqa: N801
    """A broken rule: plans the step after the next one (a missed run fires two levels)."""

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        if decision.step is None or decision.level >= len(policy.ladder):
            return decision
        level = decision.level + 1
        return decision.with_step(policy.ladder[level], level, decision.due_on)


def test_invariant_9_checker_catches_a_burst_after_a_gap() -> None:
    leaping = SIMPLE.with_rules(leap())
    with pytest.raises(AssertionError, match=r"^invariant 9: run on 2026-04-30 after a gap: "):
        check_no_burst(ONE, leaping, date(2026, 4, 30))
    assert len(check_no_burst(ONE, SIMPLE, date(2026, 4, 30))) == 1


def test_invariant_10_checker_catches_an_action_on_a_sunday() -> None:
    day, history, proposal = first_action()
    sunday = date(2026, 3, 22)
    with pytest.raises(AssertionError, match=r"^invariant 10: debtor B1, .*dated 2026-03-22"):
        check_business_days(ONE, SIMPLE, sunday, history, forged(proposal, date=sunday))
    closed = SIMPLE.with_rules(on_business_days(Calendar("IT") + dunning.Closure(day, day)))
    with pytest.raises(AssertionError, match=r"^invariant 10: .*not a business day"):
        check_business_days(ONE, closed, day, history, proposal)


def test_invariant_11_checker_catches_a_lost_cent() -> None:
    class Leaky(Portfolio):
        """Loses a cent of every payment."""

        def cases(self, as_of: date, history: Any = ()) -> Iterator[Case]:
            for case in super().cases(as_of, history):
                assert case.paid is not None
                yield attrs.evolve(case, paid=case.paid - Money("0.01", case.currency))

    payment = Payment("P1", "B1", DUE, Money("200.00", "EUR"), "F1")
    leaky = Leaky(CREDITOR, ONE.debtors, ONE.invoices, [payment])
    check_money_conserved(attrs.evolve(ONE, payments=(payment,)), DUE)
    with pytest.raises(AssertionError, match=r"^invariant 11: debtor B1 \(EUR\): invoiced 500"):
        check_money_conserved(leaky, DUE)


def test_check_run_reports_the_first_broken_invariant() -> None:
    day, history, proposal = first_action()
    check_run(ONE, SIMPLE, day, history, proposal)
    with pytest.raises(AssertionError, match=r"^invariant 2: "):
        check_run(ONE, SIMPLE, day, history, forged(proposal, channel="pec"))


# -- the package ------------------------------------------------------------------------------


def test_importing_without_hypothesis_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "dunning.testing" or name.startswith("dunning.testing."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    with pytest.raises(ImportError, match=r"^dunning.testing needs hypothesis: pip install "):
        importlib.import_module("dunning.testing")


@pytest.mark.parametrize(
    "name",
    [
        "dunning.testing",
        "dunning.testing.strategies",
        "dunning.testing.invariants",
        "dunning.testing.stateful",
    ],
)
def test_all_lists_every_public_name(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert len(exported) == len(module.__all__)
    assert all(hasattr(module, item) for item in exported)
    public = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", name) == name
        and (callable(value) or isinstance(value, type))
    }
    assert public <= exported
    for item in exported:
        value = getattr(module, item)
        if callable(value):
            assert value.__doc__, f"{name}.{item} has no docstring"


# -- regressions found by these checks ---------------------------------------------------------


def test_per_invoice_actions_respect_per_channel_caps() -> None:
    """Invariant 5 with one action per invoice: a consumer reachable only by SMS, three
    overdue invoices, the Italian preset (at most 2 SMS in 30 days): the actions of one run
    count towards the cap, so the third invoice waits."""
    mario = Debtor("C1", "Mario Rossi", kind="consumer", phone="+393331234567")
    bills = [
        Invoice.single(f"F{n}", "C1", date(2026, 1, 2), date(2026, 2, 2), Money("100.00", "EUR"))
        for n in (1, 2, 3)
    ]
    pf = Portfolio(CREDITOR, [mario], bills)
    day = date(2026, 2, 16)
    proposal = plan(pf, ITALY, day, per_invoice=True)
    check_run(pf, ITALY, day, [], proposal, per_invoice=True)
    assert [a.channel for a in proposal] == ["sms", "sms"]
    assert "sms: over its cap" in proposal.waiting[0].why


def test_a_broken_promise_never_brings_a_reminder_before_the_due_date() -> None:
    """Invariant 6 for a policy with `promise_pause` and no `transit_grace`: a promise made
    before the due date and broken (unpaid by 5 March) must not bring the reminder before the
    invoice is due (31 March)."""
    policy = Policy(
        Step("first", "reminder", via=email).at(after_due(1)), rules=(promise_pause(),), name="p"
    )
    pf = Portfolio(
        CREDITOR,
        [Debtor("B1", "Bar Centrale", email="info@bar.example.it")],
        [Invoice.single("F1", "B1", date(2026, 3, 1), date(2026, 3, 31), Money("100.00", "EUR"))],
    )
    history: list[Event] = [dunning.PromiseToPay(date(2026, 3, 2), "B1", date(2026, 3, 5))]
    day = date(2026, 3, 9)
    proposal = plan(pf, policy, day, history)
    check_run(pf, policy, day, history, proposal)
    assert len(proposal) == 0
    assert [a.date for a in dunning.simulate(pf, policy, day, date(2026, 4, 10), history)] == [
        date(2026, 4, 1)
    ]
