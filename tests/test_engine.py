"""The engine: what plan() does for typical cases, and the hard rules it always keeps."""

from __future__ import annotations

import json
from datetime import date, timedelta

import attrs
import pytest

import dunning
from dunning import (
    BlockSet,
    DisputeOpened,
    DisputeResolved,
    LevelReset,
    Payment,
    Policy,
    PromiseToPay,
    Proposal,
    Step,
    after_due,
    after_previous,
    before_due,
    contact_caps,
    email,
    explain,
    pause_on_dispute,
    pec,
    plan,
    postal,
    promise_pause,
    simulate,
    sms,
)
from dunning.policies import italy
from helpers import business, consumer, eur, invoice, portfolio

DUE = date(2026, 3, 10)

SIMPLE = Policy(
    Step("courtesy", "notice", via=email).at(before_due(3))
    >> Step("first", "reminder", via=email | sms, deadline_days=10).at(after_due(1))
    >> Step("second", "reminder", via=email, deadline_days=10).at(after_previous(10))
    >> Step("final", "formal_notice", via=pec | postal("raccomandata_ar")).at(after_previous(10)),
    name="simple",
)


def run_days(
    pf: dunning.Portfolio, policy: dunning.policy.PolicyLike, start: date, end: date
) -> dunning.Timeline:
    return simulate(pf, policy, start, end)


def test_nothing_for_a_paid_invoice() -> None:
    pf = portfolio(
        [business()], [invoice("F1", "B1", DUE)], [Payment("P1", "B1", DUE, eur("1000.00"), "F1")]
    )
    proposal = plan(pf, SIMPLE, DUE + timedelta(days=5))
    assert len(proposal) == 0
    assert proposal.waiting[0].why == "nothing open"


def test_the_debtor_climbs_one_ladder_and_new_items_join_the_episode() -> None:
    pf = portfolio(
        [business()],
        [invoice("F1", "B1", DUE), invoice("F2", "B1", DUE + timedelta(days=5), "200.00")],
    )
    timeline = run_days(pf, SIMPLE, date(2026, 3, 1), date(2026, 4, 30))
    steps = [(a.date.isoformat(), a.step, a.items, a.upcoming) for a in timeline]
    # One ladder for the debtor: F2 falls due during the episode, gets no courtesy notice of
    # its own, is mentioned as coming due, then claimed by the episode's next step.
    assert steps == [
        ("2026-03-07", "courtesy", ("F1",), ("F2",)),
        ("2026-03-11", "first", ("F1",), ("F2",)),
        ("2026-03-21", "second", ("F1", "F2"), ()),
        ("2026-03-31", "final", ("F1", "F2"), ()),
    ]
    assert [a.level for a in timeline] == [1, 2, 3, 4]
    assert str(timeline.actions[1].amount) == "1,000.00 EUR"  # F2 not yet due: not claimed
    assert str(timeline.actions[2].amount) == "1,200.00 EUR"


def test_nothing_follows_the_formal_notice_but_the_hand_over() -> None:
    pf = portfolio(
        [business()],
        [invoice("F1", "B1", DUE), invoice("F3", "B1", DUE + timedelta(days=40), "300.00")],
    )
    timeline = run_days(pf, SIMPLE, date(2026, 3, 1), date(2026, 6, 30))
    # F3 falls due after the formal notice: no reminder for it in this episode.
    assert [a.step for a in timeline] == ["courtesy", "first", "second", "final"]
    later = plan(pf, SIMPLE, date(2026, 6, 30), timeline.events)
    assert "ladder complete" in later.waiting[0].why
    assert [a.kind for a in later.alerts] == ["ladder_complete"]


def test_per_invoice_mode_makes_one_action_per_invoice() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE), invoice("F2", "B1", DUE, "200.00")])
    proposal = plan(pf, SIMPLE, DUE + timedelta(days=1), per_invoice=True)
    assert [(a.items, a.step) for a in proposal] == [(("F1",), "first"), (("F2",), "first")]
    assert len({a.key for a in proposal}) == 2
    together = plan(pf, SIMPLE, DUE + timedelta(days=1))
    assert [(a.items, str(a.amount)) for a in together] == [(("F1", "F2"), "1,200.00 EUR")]


def test_a_late_run_climbs_one_level_only() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    proposal = plan(pf, SIMPLE, DUE + timedelta(days=200))
    (action,) = proposal
    assert action.step == "first"
    assert action.levels == (("F1", 2),)
    assert "reminder 1 of episode 1" in action.why


def test_second_run_on_the_same_day_plans_nothing_new() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    day = DUE + timedelta(days=1)
    first = plan(pf, SIMPLE, day)
    assert len(first) == 1
    again = plan(pf, SIMPLE, day, first.events())
    assert len(again) == 0
    assert again.waiting[0].why.startswith("already planned today")
    assert plan(pf, SIMPLE, day) == first  # deterministic


def test_next_step_waits_for_its_delay() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    history = list(plan(pf, SIMPLE, DUE + timedelta(days=1)).events())
    later = plan(pf, SIMPLE, DUE + timedelta(days=5), history)
    assert len(later) == 0
    (wait,) = later.waiting
    assert wait.next_date == DUE + timedelta(days=11)
    assert "second" in wait.why


def test_disputed_items_are_never_dunned() -> None:
    pf = portfolio(
        [business()],
        [invoice("F1", "B1", DUE), invoice("F2", "B1", DUE, "300.00")],
        events=[DisputeOpened(DUE, "B1", "F1", reason="merce difettosa")],
    )
    (action,) = plan(pf, SIMPLE, DUE + timedelta(days=1))
    assert action.items == ("F2",)
    assert action.amount == eur("300.00")
    paused = plan(pf, SIMPLE.with_rules(pause_on_dispute(whole_case=True)), DUE + timedelta(days=1))
    assert len(paused) == 0
    assert "F1 is disputed" in paused.waiting[0].why


def test_resolved_dispute_resumes() -> None:
    pf = portfolio(
        [business()],
        [invoice("F1", "B1", DUE)],
        events=[
            DisputeOpened(DUE, "B1", "F1"),
            DisputeResolved(DUE + timedelta(days=20), "B1", "F1"),
        ],
    )
    assert plan(pf, SIMPLE, DUE + timedelta(days=2)).waiting[0].why == "every open item is disputed"
    assert len(plan(pf, SIMPLE, DUE + timedelta(days=21))) == 1


def test_blocked_debtors_are_left_alone() -> None:
    pf = portfolio([business(block="procedura concorsuale")], [invoice("F1", "B1", DUE)])
    proposal = plan(pf, SIMPLE, DUE + timedelta(days=1))
    assert len(proposal) == 0
    assert proposal.waiting[0].why == "blocked: procedura concorsuale"
    pf2 = portfolio(
        [business()], [invoice("F1", "B1", DUE)], events=[BlockSet(DUE, "B1", "in trattativa")]
    )
    assert plan(pf2, SIMPLE, DUE + timedelta(days=1)).waiting[0].why == "blocked: in trattativa"


def test_opt_out_falls_back_to_the_next_channel() -> None:
    pf = portfolio(
        [consumer(email=None, phone="+393331234567", opt_out={"sms"})], [invoice("F1", "C1", DUE)]
    )
    proposal = plan(pf, SIMPLE, DUE + timedelta(days=1))
    assert len(proposal) == 0
    assert "email: no address" in proposal.waiting[0].why
    assert "sms: debtor opted out" in proposal.waiting[0].why
    pf = portfolio([consumer(opt_out={"email"}, phone="+393331234567")], [invoice("F1", "C1", DUE)])
    (action,) = plan(pf, SIMPLE, DUE + timedelta(days=1))
    assert action.channel == "sms"
    assert "email: debtor opted out" in action.why


def test_promise_pauses_then_escalates_when_broken() -> None:
    policy = SIMPLE.with_rules(promise_pause(grace_days=2))
    promise = PromiseToPay(DUE + timedelta(days=2), "B1", until=DUE + timedelta(days=30))
    pf = portfolio([business()], [invoice("F1", "B1", DUE)], events=[promise])
    timeline = simulate(pf, policy, DUE, DUE + timedelta(days=40))
    dates = [(a.date, a.step) for a in timeline]
    assert dates[0] == (DUE + timedelta(days=1), "first")
    # paused until the promise date + 2 days grace, then the next step comes at once
    assert dates[1] == (DUE + timedelta(days=33), "second")
    assert "promise to pay by 2026-04-09 broken" in timeline.actions[1].why


def test_kept_promise_means_no_more_reminders() -> None:
    policy = SIMPLE.with_rules(promise_pause())
    promise = PromiseToPay(DUE + timedelta(days=2), "B1", until=DUE + timedelta(days=30))
    pay = Payment("P1", "B1", DUE + timedelta(days=25), eur("1000.00"), "saldo F1")
    pf = portfolio([business()], [invoice("F1", "B1", DUE)], [pay], events=[promise])
    assert [a.step for a in simulate(pf, policy, DUE, DUE + timedelta(days=60))] == ["first"]


def test_contact_caps_space_contacts_and_cap_reminders() -> None:
    policy = SIMPLE.with_rules(contact_caps(min_days=20, max_reminders=1))
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    timeline = simulate(pf, policy, DUE, DUE + timedelta(days=60))
    assert [(a.date - DUE).days for a in timeline] == [1, 21]
    assert [a.step for a in timeline] == ["first", "final"]
    assert (
        "second passed over: 1 reminder(s) in this episode, the cap is 1" in timeline.actions[1].why
    )


def test_level_reset_is_the_only_way_down() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    t = simulate(pf, SIMPLE, DUE, DUE + timedelta(days=12))
    assert [a.step for a in t] == ["first", "second"]
    reset = LevelReset(DUE + timedelta(days=13), "B1", reason="new agreement")
    again = simulate(
        pf, SIMPLE, DUE + timedelta(days=13), DUE + timedelta(days=14), [*t.events, reset]
    )
    assert [a.step for a in again] == ["first"]


def test_minimum_balance_stops() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE, "5.00")])
    proposal = plan(pf, italy.stragiudiziale(), DUE + timedelta(days=30))
    assert len(proposal) == 0
    assert proposal.waiting[0].why == "open 5.00 EUR below the minimum 10.00 EUR"


def test_policy_override_by_name() -> None:
    pf = portfolio(
        [business(policy="gentle"), business("B2")],
        [invoice("F1", "B1", DUE), invoice("F2", "B2", DUE)],
    )
    gentle = Policy(Step("only", "reminder", via=email).at(after_due(30)), name="gentle")
    proposal = plan(pf, SIMPLE, DUE + timedelta(days=1), policies={"gentle": gentle})
    assert [a.debtor_id for a in proposal] == ["B2"]
    with pytest.raises(dunning.PolicyError, match="debtor B1, field 'policy': no policy named"):
        plan(pf, SIMPLE, DUE + timedelta(days=1))


def test_first_of_picks_the_first_policy_in_scope() -> None:
    pf = portfolio([business(), consumer()], [invoice("F1", "B1", DUE), invoice("F2", "C1", DUE)])
    policy = italy.stragiudiziale()
    day = DUE + timedelta(days=30)
    assert {a.debtor_id: a.policy for a in plan(pf, policy, day)} == {
        "B1": "italy.business",
        "C1": "italy.consumer",
    }
    only_business = Policy(Step("x", "reminder", via=email), name="b").when(
        dunning.debtor_kind("business")
    )
    proposal = plan(pf, only_business, day)
    assert [a.debtor_id for a in proposal] == ["B1"]
    assert "no policy applies: debtor is consumer, not business" in proposal.waiting[0].why


def test_proposal_editing_and_json() -> None:
    pf = portfolio(
        [business(), business("B2")], [invoice("F1", "B1", DUE), invoice("F2", "B2", DUE)]
    )
    proposal = plan(pf, SIMPLE, DUE + timedelta(days=1))
    assert len(proposal) == 2
    held = proposal.hold("B1", "customer called")
    assert [a.debtor_id for a in held] == ["B2"]
    assert held.waiting[-1].why == "customer called (first)"
    assert len(proposal.drop(proposal[0])) == 1
    assert len(proposal.filter(lambda a: a.amount > eur("5000"))) == 0
    with pytest.raises(KeyError, match="no action for debtor 'B9'"):
        proposal.hold("B9")
    data = json.loads(proposal.to_json())
    assert data[0]["debtor_id"] == "B1"
    assert data[0]["amount"] == "1000.00"
    assert data[0]["currency"] == "EUR"
    assert set(data[0]) >= {"date", "step", "level", "kind", "channel", "items", "deadline", "why"}
    assert Proposal.from_json(proposal.to_json()).actions == proposal.actions


def test_explain_tells_the_story() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    t = simulate(pf, SIMPLE, DUE, DUE + timedelta(days=12))
    text = explain(pf, SIMPLE, "B1", DUE + timedelta(days=15), t.events).text()
    assert "InvoiceRegistered F1" in text
    assert "ActionPlanned second (level 3, reminder) via email for F1" in text
    assert "WAIT next: final (next 2026-03-31)" in text
    assert "episode 1 since 2026-03-11: first 2026-03-11, second 2026-03-21" in text


def test_payments_go_by_reference_then_oldest_first() -> None:
    pf = portfolio(
        [business()],
        [
            invoice("F1", "B1", DUE, "100.00"),
            invoice("F2", "B1", DUE + timedelta(days=1), "100.00"),
            invoice("F3", "B1", DUE + timedelta(days=2), "100.00"),
        ],
        [Payment("P1", "B1", DUE, eur("150.00"), "Saldo fattura F3")],
    )
    case = pf.case("B1", DUE)
    assert [str(i.open) for i in case.items] == ["50.00 EUR", "100.00 EUR", "0.00 EUR"]
    over = portfolio(
        [business()],
        [
            invoice("F1", "B1", DUE, "100.00"),
            invoice(
                "F2", "B1", DUE + timedelta(days=40), "100.00", issued=DUE + timedelta(days=10)
            ),
        ],
        [Payment("P1", "B1", DUE, eur("130.00"))],
    )
    assert over.case("B1", DUE).on_account == eur("30.00")
    later = over.case("B1", DUE + timedelta(days=10))
    assert [str(i.open) for i in later.items] == ["0.00 EUR", "70.00 EUR"]
    assert later.on_account == eur("0.00")


def test_a_failed_delivery_is_planned_again_on_the_next_channel() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    t = simulate(pf, SIMPLE, DUE, DUE + timedelta(days=21))
    final = t.actions[-1]
    assert (final.step, final.channel) == ("final", "pec")
    bounced = dunning.DeliveryFailed(
        final.date + timedelta(days=1), "B1", final.key, "pec", "no-dest"
    )
    history = [*t.events, bounced]
    case = pf.case("B1", final.date + timedelta(days=1), history)
    assert case.episode.level == 3  # the formal notice did not happen
    assert [c.step for c in case.episode.contacts] == ["first", "second"]
    assert case.failed_routes == {("final", "pec")}
    (again,) = plan(pf, SIMPLE, final.date + timedelta(days=1), history)
    assert (again.step, again.channel, again.service) == ("final", "postal", "raccomandata_ar")
    assert "pec: delivery failed before" in again.why
    assert again.key != final.key


def test_idempotency_keys_name_case_step_channel_and_day() -> None:
    pf = portfolio([business()], [invoice("2026/0001", "B1", DUE)])
    (action,) = plan(pf, SIMPLE, DUE + timedelta(days=1), per_invoice=True)
    assert action.key == "B1|EUR|first|email|2026-03-11|2026/0001"


@pytest.mark.parametrize(
    "reference",
    ["2026/0002", "Saldo fatt. 2026/0002.", "fattura n.2026/0002", "FT 2026/0002 del 10/02"],
)
def test_payment_references_in_remittance_text(reference: str) -> None:
    pf = portfolio(
        [business()],
        [invoice("2026/0001", "B1", DUE, "100.00"), invoice("2026/0002", "B1", DUE, "100.00")],
        [Payment("P1", "B1", DUE, eur("100.00"), reference)],
    )
    assert [str(i.open) for i in pf.case("B1", DUE).items] == ["100.00 EUR", "0.00 EUR"]


def test_a_longer_number_is_not_a_reference() -> None:
    pf = portfolio(
        [business()],
        [invoice("2026/0001", "B1", DUE, "100.00"), invoice("2026/0002", "B1", DUE, "100.00")],
        [Payment("P1", "B1", DUE, eur("100.00"), "fattura 2026/00021")],
    )
    assert [str(i.open) for i in pf.case("B1", DUE).items] == ["0.00 EUR", "100.00 EUR"]


def test_deadlines_follow_the_debtors_own_holidays() -> None:
    from dunning import Calendar, PostalAddress

    milan = PostalAddress(["Via Dante 1"], "20121", "Milano", "MI")
    pf = portfolio(
        [business("MI1", address=milan), business("BO1")],
        [invoice("F1", "MI1", date(2026, 11, 20)), invoice("F2", "BO1", date(2026, 11, 20))],
    )
    deadline_on_7_december = Policy(
        Step("first", "reminder", via=email, deadline_days=10).at(after_due(7)), name="p"
    )
    proposal = plan(pf, deadline_on_7_december, date(2026, 11, 27))
    # 27 November + 10 = Monday 7 December: Sant'Ambrogio in Milan, then the Immaculate
    # Conception on the 8th; an ordinary working day in Bologna.
    assert {a.debtor_id: a.deadline for a in proposal} == {
        "MI1": date(2026, 12, 9),
        "BO1": date(2026, 12, 7),
    }
    assert Calendar.for_debtor("XX") is None
    assert Calendar.for_debtor("IT", "ZZ") == Calendar("IT")
    assert Calendar.for_debtor("DE", "BY") == Calendar("DE", subdiv="BY")


def test_limitation_alerts_and_the_hurry_before_it() -> None:
    from dunning import LimitationRules, before_limitation

    # a retail sale to a consumer: 1 year (art. 2955 n. 5 c.c.) from the delivery (art. 2957)
    rules = LimitationRules(by_tag={"negozio": "retail_consumer"})
    policy = Policy(
        Step("first", "reminder", via=email).at(after_due(1))
        >> Step("second", "reminder", via=email).at(after_previous(60))
        >> Step("final", "formal_notice", via=pec | postal("raccomandata_ar")).at(
            after_previous(60)
        ),
        rules=[before_limitation(90)],
        name="shop",
        limitation=rules,
        limitation_horizon_days=90,
    )
    sold = date(2026, 1, 15)  # delivered, invoiced and due on the same day
    sale = invoice("F1", "C1", sold, issued=sold, performed_on=sold)
    pf = portfolio([consumer(tags={"negozio"})], [sale])
    t = simulate(pf, policy, date(2026, 1, 1), date(2026, 12, 31))
    assert [(a.step, a.date.isoformat()) for a in t] == [
        ("first", "2026-01-16"),
        ("second", "2026-03-17"),  # 60 days later
        ("final", "2026-05-16"),
    ]
    quiet = Policy(policy.ladder, name="no-hurry", limitation=rules, limitation_horizon_days=90)
    late = plan(pf, quiet, date(2026, 11, 1), t.events[:1])
    assert [(a.item, a.kind, a.date) for a in late.alerts] == [
        ("F1", "limitation", date(2027, 1, 15))
    ]
    assert "F1 runs out on 2027-01-15, in 75 days" in late.alerts[0].why
    # with the rule, the next step comes at once when the horizon is reached
    second = attrs.evolve(t.events[1], date=date(2026, 10, 25))
    history = [t.events[0], second]
    assert len(plan(pf, quiet, date(2026, 11, 2), history)) == 0  # final due 24 December
    hurried = plan(pf, policy, date(2026, 11, 2), history)
    assert [a.step for a in hurried] == ["final"]
    assert "limitation: F1 runs out on 2027-01-15" in hurried[0].why
