"""One debtor, one escalation: episodes, payment plans, replies, disputes, documents, alerts,
reruns, and the year of the Italian preset on the bundled example read as the debtors would."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest

import dunning
from dunning import (
    DebtorReplied,
    DeliveryConfirmed,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    Document,
    DocumentAdded,
    DocumentsSent,
    HandOverApproved,
    Money,
    Payment,
    PaymentReceived,
    PlanAgreed,
    Policy,
    PolicyError,
    RunError,
    Step,
    after_due,
    after_previous,
    email,
    pec,
    phone,
    plan,
    postal,
    simulate,
)
from dunning.policies import italy
from dunning.testing import check_run, check_simulation
from dunning.testing.stateful import DEBTORS, CaseMachine
from helpers import TINY, business, consumer, eur, invoice, portfolio

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"
ITALY = italy.stragiudiziale()
DUE = date(2026, 3, 31)  # a Tuesday
START, END = date(2026, 3, 1), date(2026, 9, 30)


def steps(timeline: dunning.Timeline) -> list[tuple[str, str]]:
    return [(a.date.isoformat(), a.step) for a in timeline]


def facts(pf: dunning.Portfolio, timeline: dunning.Timeline, day: date) -> list[dunning.Event]:
    return [e for e in timeline.events if e.date < day]


# -- the year on the example -------------------------------------------------------------------


@cache
def year() -> tuple[dunning.Portfolio, dunning.Timeline]:
    pf = dunning.Portfolio.from_csv(EXAMPLE)
    return pf, simulate(pf, ITALY, date(2026, 1, 1), date(2026, 12, 31))


@pytest.mark.slow
def test_a_year_of_the_italian_preset_breaks_no_invariant() -> None:
    pf = dunning.Portfolio.from_csv(EXAMPLE)
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    history = check_simulation(pf, ITALY, days)  # invariants 1-17 on every run
    assert sum(1 for e in history if isinstance(e, dunning.ActionPlanned)) > 150


def test_every_debtors_year_reads_as_one_coherent_sequence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Print every debtor's year (run with ``-s`` or read the captured output) and check
    what a debtor would notice: no softer step after a firmer one in an episode, one formal
    notice, nothing after it but the hand-over, step numbers counting up."""
    pf, timeline = year()
    order = dunning.steps.SEVERITY
    for debtor in pf.debtors:
        print(f"\n{debtor.id} {debtor.name} ({debtor.kind})")
        print(timeline.story(debtor.id, pf.events_of(debtor.id)) or "(nothing sent)")
        for a in timeline.for_debtor(debtor.id):
            case = pf.case(debtor.id, a.date, facts(pf, timeline, a.date))
            episode = case.episode
            last = episode.last
            if a.kind == "notice":
                assert not case.overdue_items(a.date), a
                continue
            if last is not None:
                assert order[a.kind] >= order[last.kind], (a, last)
                assert a.level > last.level, (a, last)
                assert last.kind != "formal_notice" or a.kind == "hand_over", (a, last)
            if a.kind == "reminder":
                assert a.step == f"sollecito_{episode.reminders + 1}", (a, episode)
            if a.kind == "hand_over":
                formal = episode.formal_notice
                assert formal is not None
                assert formal.deadline is not None
                assert a.date > formal.deadline
                assert formal.delivered is not None
            for key in a.items:
                assert case.item(key).due_date < a.date, (a, key)
    out = capsys.readouterr().out
    assert "C005 Enoteca Il Calice" in out
    assert "diffida (formal_notice, pec)" in out


def test_the_year_still_has_every_kind_of_action() -> None:
    _, timeline = year()
    assert {a.kind for a in timeline} == {
        "notice",
        "reminder",
        "call",
        "formal_notice",
        "hand_over",
    }


# -- episodes ----------------------------------------------------------------------------------


def test_an_item_coming_due_is_never_claimed_but_mentioned() -> None:
    pf = portfolio(
        [business()],
        [invoice("F1", "B1", DUE), invoice("F2", "B1", DUE + timedelta(days=10), "2447.32")],
    )
    first = next(a for a in simulate(pf, ITALY, START, END) if a.kind == "reminder")
    assert first.items == ("F1",)
    assert first.upcoming == ("F2",)
    assert str(first.amount) == "1,000.00 EUR"


def test_a_new_episode_starts_at_the_bottom_after_payment() -> None:
    paid = Payment("P1", "B1", date(2026, 4, 28), eur("1000.00"), "F1")
    pf = portfolio(
        [business()], [invoice("F1", "B1", DUE), invoice("F2", "B1", date(2026, 6, 30))], [paid]
    )
    timeline = simulate(pf, ITALY, START, END)
    reminders = [a.step for a in timeline if a.kind == "reminder"]
    assert reminders[:3] == ["sollecito_1", "sollecito_2", "sollecito_1"]
    case = pf.case("B1", date(2026, 7, 31), timeline.events)
    assert [e.number for e in case.episodes] == [1, 2]
    assert case.episodes[0].closed == date(2026, 4, 28)


def test_restart_within_days_resumes_where_the_last_episode_stood() -> None:
    paid = Payment("P1", "B1", date(2026, 4, 28), eur("1000.00"), "F1")
    pf = portfolio(
        [business()], [invoice("F1", "B1", DUE), invoice("F2", "B1", date(2026, 5, 29))], [paid]
    )
    strict = italy.stragiudiziale(restart_within_days=60)
    reminders = [a.step for a in simulate(pf, strict, START, END) if a.kind == "reminder"]
    assert reminders[:3] == ["sollecito_1", "sollecito_2", "sollecito_3"]


def test_a_business_without_a_phone_skips_the_call() -> None:
    pf = portfolio([business(phone=None)], [invoice("F1", "B1", DUE)])
    kinds = [a.kind for a in simulate(pf, ITALY, START, END)]
    assert kinds == ["notice", "reminder", "reminder", "reminder", "formal_notice", "hand_over"]


def test_a_debtor_no_channel_reaches_gets_a_trace_alert() -> None:
    lost = business(email=None, pec=None, phone=None, address=None)
    pf = portfolio([lost], [invoice("F1", "B1", DUE)])
    proposal = plan(pf, ITALY, date(2026, 4, 10))
    assert not proposal.actions
    assert [a.kind for a in proposal.alerts] == ["trace"]
    assert "rintraccio" in proposal.alerts[0].why


def until_formal_notice(pf: dunning.Portfolio) -> tuple[dunning.Action, dunning.Timeline]:
    """The first formal notice of a simulation, and the simulation up to its day."""
    formal = next(a for a in simulate(pf, ITALY, START, END) if a.kind == "formal_notice")
    return formal, simulate(pf, ITALY, START, formal.date)


def test_the_hand_over_waits_for_proof_of_delivery() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    formal, before = until_formal_notice(pf)
    unproven = [e for e in before.events if not isinstance(e, DeliveryConfirmed)]
    later = simulate(pf, ITALY, formal.date + timedelta(days=1), date(2026, 7, 31), unproven)
    assert not later.actions
    proposal = plan(pf, ITALY, date(2026, 7, 31), later.events)
    assert "delivery_unproven" in [a.kind for a in proposal.alerts]
    proof = DeliveryConfirmed(date(2026, 8, 3), "B1", formal.key, "pec", "ricevuta di consegna")
    done = simulate(pf, ITALY, date(2026, 8, 1), date(2026, 8, 31), [*later.events, proof])
    assert [a.kind for a in done] == ["hand_over"]


def test_a_payment_after_the_formal_notice_holds_the_hand_over_for_a_person() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    formal, before = until_formal_notice(pf)
    part = Payment("P1", "B1", formal.date + timedelta(days=3), eur("300.00"), "F1")
    history = [*before.events, PaymentReceived(part.date, "B1", part)]
    held = simulate(pf, ITALY, formal.date + timedelta(days=1), date(2026, 7, 31), history)
    assert not held.actions
    alerts = plan(pf, ITALY, date(2026, 7, 31), held.events).alerts
    assert "paid_after_formal_notice" in [a.kind for a in alerts]
    go = HandOverApproved(date(2026, 8, 3), "B1", "what is left goes to the agency")
    handed = simulate(pf, ITALY, date(2026, 8, 3), date(2026, 8, 10), [*held.events, go])
    assert [(a.kind, str(a.amount)) for a in handed] == [("hand_over", "700.00 EUR")]


def test_a_bounce_replanned_the_same_day_never_yields_a_second_formal_notice() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    formal, before = until_formal_notice(pf)
    history = [
        e for e in before.events if not (isinstance(e, DeliveryConfirmed) and e.key == formal.key)
    ]
    bounce = DeliveryFailed(formal.date, "B1", formal.key, "pec", "casella piena")
    again = plan(pf, ITALY, formal.date, [*history, bounce])
    (retry,) = again.actions
    assert (retry.step, retry.channel, retry.service) == ("diffida", "postal", "raccomandata_ar")
    card = DeliveryConfirmed(
        retry.date + timedelta(days=6), "B1", retry.key, "postal", "cartolina A/R firmata"
    )
    recorded = [*history, bounce, *again.events(), card]
    rest = simulate(pf, ITALY, formal.date + timedelta(days=1), END, recorded)
    assert [a.kind for a in rest] == ["hand_over"]  # and never a second diffida


def test_a_back_dated_run_is_refused() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    history = simulate(pf, ITALY, START, date(2026, 4, 30)).events
    with pytest.raises(RunError, match="cannot plan 2026-04-10: the history already records"):
        plan(pf, ITALY, date(2026, 4, 10), history)


def test_plan_arguments_get_helpful_errors() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    with pytest.raises(TypeError, match=r"as_of must be a datetime.date.*fromisoformat"):
        plan(pf, ITALY, "2026-04-09")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not the string 'italy\.stragiudiziale'"):
        plan(pf, "italy.stragiudiziale", date(2026, 4, 9))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"did you mean stragiudiziale\(\)\?"):
        plan(pf, italy.stragiudiziale, date(2026, 4, 9))  # type: ignore[arg-type]
    first = plan(pf, ITALY, date(2026, 4, 9))
    with pytest.raises(TypeError, match=r"pass proposal\.events\(\)"):
        plan(pf, ITALY, date(2026, 4, 10), first)  # type: ignore[arg-type]
    with pytest.raises(dunning.DataError, match=r"instalment 1 must be \(datetime\.date, Money\)"):
        PlanAgreed(date(2026, 4, 1), "B1", instalments=[("2026-04-30", eur("1.00"))])  # type: ignore[list-item]


def test_already_planned_today_says_when_the_next_step_is_due() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    first = plan(pf, ITALY, date(2026, 4, 9))
    (wait,) = plan(pf, ITALY, date(2026, 4, 9), first.events()).waiting
    assert wait.why == "already planned today: sollecito_1"
    assert wait.next_date == date(2026, 4, 24)  # sollecito_2, 15 days on


def test_severity_never_goes_down_in_a_ladder() -> None:
    with pytest.raises(PolicyError, match="softer than"):
        Step("call", "call", via=phone) >> Step("again", "reminder", via=email)


# -- payment plans -----------------------------------------------------------------------------


def plan_portfolio(paid: list[tuple[date, str]]) -> dunning.Portfolio:
    agreed = PlanAgreed(
        date(2026, 4, 20),
        "B1",
        instalments=[
            (date(2026, 5, 29), eur("400.00")),
            (date(2026, 6, 30), eur("400.00")),
            (date(2026, 7, 31), eur("200.00")),
        ],
    )
    payments = [Payment(f"P{n}", "B1", d, eur(a), "rata") for n, (d, a) in enumerate(paid)]
    return portfolio([business()], [invoice("F1", "B1", DUE)], payments, [agreed])


def test_a_plan_kept_means_no_dunning_contact_only_a_notice_before_each_instalment() -> None:
    paid = [(date(2026, 5, 29), "400.00"), (date(2026, 6, 30), "400.00")]
    pf = plan_portfolio([*paid, (date(2026, 7, 31), "200.00")])
    after = [a for a in simulate(pf, ITALY, START, END) if a.date > date(2026, 4, 20)]
    assert [(a.date.isoformat(), a.kind, a.deadline) for a in after] == [
        ("2026-05-22", "notice", date(2026, 5, 29)),  # 5 days before, rolled back to Friday
        ("2026-06-25", "notice", date(2026, 6, 30)),
        ("2026-07-24", "notice", date(2026, 7, 31)),
    ]
    assert [str(a.instalment[1]) for a in after if a.instalment] == [
        "400.00 EUR",
        "400.00 EUR",
        "200.00 EUR",
    ]


def test_a_missed_instalment_brings_the_breach_reminder_then_the_escalation() -> None:
    pf = plan_portfolio([(date(2026, 5, 29), "400.00")])
    timeline = simulate(pf, ITALY, START, END)
    after = [
        (a.date.isoformat(), a.step, a.deadline)
        for a in timeline
        if a.date > date(2026, 4, 20) and a.kind != "notice"
    ]
    # 30 June unpaid; grace of 5 days; 6 July is the first business day after it
    assert after[0][:2] == ("2026-07-06", "sollecito_rata")
    assert after[0][2] == date(2026, 7, 13)
    # the escalation resumes where it stood; the breach reminder counts towards the cap of 3
    assert [s for _, s, _ in after[1:4]] == ["sollecito_2", "telefonata", "diffida"]
    status = dunning.plan_status(pf.case("B1", date(2026, 7, 6)), date(2026, 7, 6))
    assert status is not None
    assert status.missed == ((date(2026, 6, 30), eur("400.00")),)


def test_catching_up_puts_the_plan_back_on_track() -> None:
    pf = plan_portfolio(
        [(date(2026, 5, 29), "400.00"), (date(2026, 7, 8), "400.00"), (date(2026, 7, 31), "200.00")]
    )
    after = [a.step for a in simulate(pf, ITALY, START, END) if a.date > date(2026, 4, 20)]
    assert [s for s in after if s != "preavviso"] == ["sollecito_rata"]


def test_propose_plan_stays_within_limits() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE, "1000.00")])
    case = pf.case("B1", date(2026, 5, 4))
    proposal = dunning.propose_plan(case, date(2026, 5, 4), min_instalment=eur("300.00"))
    assert [str(m) for _, m in proposal.instalments] == ["333.34 EUR", "333.33 EUR", "333.33 EUR"]
    with pytest.raises(PolicyError, match="below the minimum instalment"):
        dunning.propose_plan(case, date(2026, 5, 4), instalments=5, min_instalment=eur("300.00"))
    with pytest.raises(dunning.DataError, match="before the agreement"):
        PlanAgreed(date(2026, 5, 4), "B1", instalments=[(date(2026, 5, 1), eur("10.00"))])


# -- replies -----------------------------------------------------------------------------------


def first_reminder(pf: dunning.Portfolio) -> dunning.Action:
    return next(a for a in simulate(pf, ITALY, START, END) if a.kind == "reminder")


def test_i_have_paid_holds_the_case_for_the_transit_grace_then_resumes() -> None:
    plain = portfolio([business()], [invoice("F1", "B1", DUE)])
    first = first_reminder(plain)
    said = DebtorReplied(
        first.date + timedelta(days=12),
        "B1",
        "pagato ieri",
        kind="payment_sent",
        reference="CRO 0306912345",
    )
    pf = portfolio([business()], [invoice("F1", "B1", DUE)], events=[said])
    second = [a for a in simulate(pf, ITALY, START, END) if a.kind == "reminder"][1]
    usual = [a for a in simulate(plain, ITALY, START, END) if a.kind == "reminder"][1]
    assert second.date > usual.date
    assert second.date >= ITALY.all_policies[0].calendar.add_business_days(said.date, 6)
    quiet = plan(
        pf,
        ITALY,
        said.date + timedelta(days=3),
        facts(pf, simulate(pf, ITALY, START, said.date + timedelta(days=2)), END),
    )
    assert "CRO 0306912345" in quiet.waiting[0].why


def test_a_request_for_documents_holds_until_they_are_sent() -> None:
    asked = DebtorReplied(date(2026, 4, 20), "B1", "mandateci la bolla", kind="documents_requested")
    pf = portfolio([business()], [invoice("F1", "B1", DUE)], events=[asked])
    held = simulate(pf, ITALY, START, date(2026, 6, 30))
    assert [a.date for a in held if a.kind != "notice"][-1] < asked.date
    alerts = plan(pf, ITALY, date(2026, 6, 30), held.events).alerts
    assert [a.kind for a in alerts] == ["documents_requested"]
    sent = DocumentsSent(date(2026, 7, 1), "B1", "bolla inviata")
    resumed = simulate(pf, ITALY, date(2026, 7, 1), date(2026, 7, 31), [*held.events, sent])
    assert [a.step for a in resumed][:1] == ["sollecito_2"]


def test_a_wrong_address_stops_that_channel_and_asks_to_trace() -> None:
    only_mail = business(pec=None, phone=None, address=None)
    wrong = DebtorReplied(
        date(2026, 4, 14), "B1", "non siamo noi", kind="wrong_address", channel="email"
    )
    pf = portfolio([only_mail], [invoice("F1", "B1", DUE)], events=[wrong])
    timeline = simulate(pf, ITALY, START, date(2026, 5, 31))
    assert [a.date < wrong.date for a in timeline] == [True] * len(timeline)
    alerts = plan(pf, ITALY, date(2026, 5, 4), timeline.events).alerts
    assert [a.kind for a in alerts] == ["trace"]
    fixed = dunning.AddressUpdated(date(2026, 5, 5), "B1", "email")
    again = simulate(pf, ITALY, date(2026, 5, 5), date(2026, 5, 10), [*timeline.events, fixed])
    assert [a.step for a in again] == ["sollecito_2"]


def test_a_dispute_reply_without_an_invoice_holds_and_alerts() -> None:
    said = DebtorReplied(date(2026, 4, 14), "B1", "contestiamo", kind="dispute")
    pf = portfolio([business()], [invoice("F1", "B1", DUE)], events=[said])
    proposal = plan(
        pf, ITALY, date(2026, 4, 28), simulate(pf, ITALY, START, date(2026, 4, 27)).events
    )
    assert not proposal.actions
    assert [a.kind for a in proposal.alerts] == ["dispute"]


def test_reply_kinds_are_checked() -> None:
    with pytest.raises(dunning.DataError, match="must be one of payment_sent"):
        DebtorReplied(date(2026, 4, 14), "B1", kind="maybe")  # type: ignore[arg-type]


# -- disputes, good payers, documents ----------------------------------------------------------


def test_a_dispute_pauses_only_what_is_disputed_and_alerts_after_30_days() -> None:
    opened = DisputeOpened(date(2026, 4, 2), "B1", "F1", reason="merce difettosa")
    pf = portfolio(
        [business()],
        [invoice("F1", "B1", DUE, "50.00"), invoice("F2", "B1", DUE, "5000.00")],
        events=[opened],
    )
    timeline = simulate(pf, ITALY, START, date(2026, 5, 15))
    reminders = [a for a in timeline if a.kind == "reminder"]
    assert reminders
    assert all(a.items == ("F2",) for a in reminders)
    assert plan(pf, ITALY, date(2026, 4, 30), facts(pf, timeline, date(2026, 4, 30))).alerts == ()
    late = plan(pf, ITALY, date(2026, 5, 4), facts(pf, timeline, date(2026, 5, 4)))
    assert "dispute" in [a.kind for a in late.alerts]


def test_a_resolved_dispute_brings_the_item_back_with_a_fresh_deadline() -> None:
    events = [
        DisputeOpened(date(2026, 4, 2), "B1", "F1"),
        DisputeResolved(date(2026, 6, 1), "B1", "F1", note="merce conforme"),
    ]
    pf = portfolio([business()], [invoice("F1", "B1", DUE)], events=events)
    after = [a for a in simulate(pf, ITALY, START, END) if a.date >= date(2026, 6, 1)]
    assert after[0].date >= date(2026, 6, 12)  # 10 days of fresh deadline first
    assert after[0].step == "sollecito_1"


def test_the_good_payer_tolerance_really_moves_the_first_reminder() -> None:
    history = [invoice(f"H{n}", "B1", date(2025, n, 28), "100.00") for n in (1, 2, 3)]
    paid = [Payment(f"P{n}", "B1", date(2025, n, 28), eur("100.00"), f"H{n}") for n in (1, 2, 3)]
    good = portfolio([business()], [*history, invoice("F1", "B1", DUE)], paid)
    plain = portfolio([business()], [invoice("F1", "B1", DUE)])
    usual = first_reminder(plain)
    later = first_reminder(good)
    assert (later.date - usual.date).days >= 7
    assert "good payer" in later.why


def test_missing_documents_alert_before_the_formal_notice_or_wait_when_required() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    timeline = simulate(pf, ITALY, START, END)
    formal = next(a for a in timeline if a.kind == "formal_notice")
    alerts = plan(pf, ITALY, formal.date, facts(pf, timeline, formal.date)).alerts
    assert any(a.kind == "documents" and "delivery_note" in a.why for a in alerts)
    strict = italy.stragiudiziale(require_documents=True)
    waiting = simulate(pf, strict, START, END)
    assert "formal_notice" not in [a.kind for a in waiting]
    papers = [
        DocumentAdded(date(2026, 4, 1), "B1", "F1", Document("order", "ODA 77")),
        DocumentAdded(date(2026, 4, 1), "B1", "F1", Document("delivery_note", "DDT 12")),
    ]
    documented = portfolio([business()], [invoice("F1", "B1", DUE)], events=papers)
    assert "formal_notice" in [a.kind for a in simulate(documented, strict, START, END)]


def test_per_invoice_keeps_one_episode_per_invoice() -> None:
    pf = portfolio(
        [business()], [invoice("F1", "B1", DUE), invoice("F2", "B1", DUE + timedelta(days=20))]
    )
    timeline = simulate(pf, ITALY, START, date(2026, 5, 31), per_invoice=True)
    firsts = [(a.items, a.date.isoformat()) for a in timeline if a.step == "sollecito_1"]
    assert [items for items, _ in firsts] == [("F1",), ("F2",)]


def test_consumers_are_reminded_without_a_call() -> None:
    pf = portfolio([consumer()], [invoice("F1", "C1", DUE)])
    assert "call" not in [a.kind for a in simulate(pf, ITALY, START, END)]


def test_a_custom_policy_also_honours_plans() -> None:
    mine = Policy(
        Step("r1", "reminder", via=email).at(after_due(1))
        >> Step("r2", "reminder", via=email).at(after_previous(10))
        >> Step("final", "formal_notice", via=pec | postal("raccomandata_ar")).at(
            after_previous(10)
        ),
        name="mine",
    )
    agreed = PlanAgreed(date(2026, 4, 2), "B1", instalments=[(date(2026, 5, 4), eur("1000.00"))])
    pf = portfolio([business()], [invoice("F1", "B1", DUE)], events=[agreed])
    assert [a.step for a in simulate(pf, mine, START, date(2026, 5, 8))] == ["r1"]


def test_a_dispute_opened_and_resolved_the_same_day_does_not_end_the_episode() -> None:
    # Found by the CaseMachine: a reminder, a dispute of the whole invoice (the episode closes),
    # the dispute resolved later the same day and a run after that. Events of one day are
    # folded in a fixed order, not the order they happened in, so the run used to plan the
    # first step of a new episode which the fold then put back into the closed one: the case
    # showed the first reminder twice in episode 1. An episode that closes and is overdue
    # again within one day never closed: the debtor gets the next step.
    pf = portfolio([business()], [invoice("F1", "B1", date(2026, 1, 5), "1.01")])
    first = plan(pf, TINY, date(2026, 1, 8))
    history = list(first.events())
    day = date(2026, 1, 18)
    history.append(DisputeOpened(day, "B1", "F1", frozenset(), "not delivered"))
    assert plan(pf, TINY, day, history).actions == ()
    history.append(DisputeResolved(day, "B1", "F1"))
    again = plan(pf, TINY, day, history)
    assert [a.step for a in again] == ["second"]
    check_run(pf, TINY, day, history, again)  # invariants 4, 9... hold
    after = pf.case("B1", day, [*history, *again.events()])
    assert [(e.number, [c.step for c in e.contacts]) for e in after.episodes] == [
        (1, ["first", "second"])
    ]


def test_a_dispute_resolved_the_day_the_rest_is_paid_continues_the_episode() -> None:
    # Found by the CaseMachine on TINY: the rest paid under a plan (nothing undisputed overdue:
    # the episode closes) and, the same day, the dispute on the other instalment resolved. The
    # engine used to plan "first" again, which the fold put into the same episode.
    machine = CaseMachine(TINY)
    machine.setup(people=DEBTORS, opening=[])
    machine.issue_invoice(
        amounts=[Money("1.00", "EUR"), Money("1.00", "EUR")], debtor=0, gap=1, term=0
    )
    machine.advance_clock(days=4)  # runs the engine: reminder "first" on both instalments
    machine.open_dispute(instalments=frozenset([1]), pick=0)
    machine.promise_to_pay(days=15, everything=False, pick=0)
    machine.break_promise(pick=0)  # runs the engine: "second" on instalment 2
    machine.agree_plan(first=0, instalments=1, pick=0)
    machine.pay_instalment(pick=0)  # instalment 2 paid: nothing undisputed is overdue
    machine.resolve_dispute(pick=0)  # the same day instalment 1 is due again
    machine.run_engine()  # checks every invariant of the run
    (case,) = [c for c in machine._cases() if c.debtor_id == "B1"]
    steps = [c.step for c in case.episode.contacts]
    assert len(steps) == len(set(steps)), steps
