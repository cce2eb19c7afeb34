"""The Italian preset over a year of the bundled example: the seed rules of the practice.

Seed rules: reminders every 15-20 days; 2-4 reminders before the formal notice; the formal
notice only by PEC or raccomandata A/R; nothing after full payment; nothing while disputed.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest

from dunning import Debtor, Event, PolicyError, Portfolio, Timeline, plan, simulate
from dunning.policies import italy
from dunning.steps import PROVEN_POSTAL_SERVICES
from helpers import business, consumer, eur, invoice, portfolio

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"
START, END = date(2026, 1, 1), date(2026, 12, 31)


@cache
def year() -> tuple[Portfolio, Timeline]:
    pf = Portfolio.from_csv(EXAMPLE)
    return pf, simulate(pf, italy.stragiudiziale(), START, END)


def before(timeline: Timeline, day: date) -> list[Event]:
    return [e for e in timeline.events if e.date < day]


def test_the_year_has_every_kind_of_action() -> None:
    _, timeline = year()
    kinds = {a.kind for a in timeline}
    assert kinds == {"notice", "reminder", "call", "formal_notice", "hand_over"}
    assert {a.channel for a in timeline} >= {"email", "pec", "phone", "agency"}


def test_cadence_is_15_to_20_days_unless_paused() -> None:
    pf, timeline = year()
    reminder_levels = {
        p.name: {lvl for lvl, s in enumerate(p.ladder, 1) if s.kind == "reminder"}
        for p in italy.stragiudiziale().all_policies
    }
    climbs: dict[str, list[date]] = {}
    for action in timeline:
        for key, level in action.levels:
            if level in reminder_levels[action.policy]:
                climbs.setdefault(key, []).append(action.date)
    checked = 0
    for key, days in climbs.items():
        for d1, d2 in pairwise(days):
            gap = (d2 - d1).days
            assert gap >= 15, (key, d1, d2)
            if gap > 20:
                debtor = next(a.debtor_id for a in timeline if key in a.items)
                paused = any(
                    pf.case(debtor, d, before(timeline, d)).disputed
                    or pf.case(debtor, d, before(timeline, d)).active_promise(d) is not None
                    for d in (d1 + timedelta(days=n) for n in range(1, gap))
                )
                assert paused, f"{key}: {gap} days between reminders on {d1} and {d2}"
            checked += 1
    assert checked > 50


def test_two_to_four_reminders_before_the_formal_notice() -> None:
    pf, timeline = year()
    formal = [a for a in timeline if a.kind == "formal_notice"]
    assert formal
    for action in formal:
        case = pf.case(action.debtor_id, action.date, before(timeline, action.date))
        # the debtor got 2-4 reminders in this episode, each one step of the same ladder
        assert 2 <= case.episode.reminders <= 4, (action, case.episode.contacts)
        steps = [c.step for c in case.episode.contacts if c.kind == "reminder"]
        assert steps == [f"sollecito_{n}" for n in range(1, len(steps) + 1)], steps
        assert action.items


def test_formal_notice_only_with_legal_proof() -> None:
    _, timeline = year()
    for action in timeline:
        if action.kind == "formal_notice":
            assert action.channel == "pec" or (
                action.channel == "postal" and action.service in PROVEN_POSTAL_SERVICES
            ), action


def test_nothing_after_full_payment_nothing_while_disputed() -> None:
    pf, timeline = year()
    for action in timeline:
        case = pf.case(action.debtor_id, action.date, before(timeline, action.date))
        for key in action.items:
            item = case.item(key)
            assert item.is_open, (action, item)
            assert not item.disputed, (action, item)
        assert not set(action.upcoming) & {i.key for i in case.items if i.disputed}, action
        assert not case.blocked, action


def test_a_second_run_on_the_same_day_plans_nothing() -> None:
    pf, timeline = year()
    day = date(2026, 7, 15)
    history = [e for e in timeline.events if e.date <= day]
    assert len(plan(pf, italy.stragiudiziale(), day, history)) == 0


@pytest.mark.parametrize(
    ("debtor", "expected"),
    [
        (
            business("B1"),
            [
                "preavviso",
                "sollecito_1",
                "sollecito_2",
                "sollecito_3",
                "telefonata",
                "diffida",
                "affido",
            ],
        ),
        (
            consumer("C1"),
            ["preavviso", "sollecito_1", "sollecito_2", "sollecito_3", "diffida", "affido"],
        ),
        (
            Debtor("P1", "Comune di Casalecchio di Reno", kind="public_admin", pec="x@pec.it"),
            ["preavviso", "sollecito_1", "sollecito_2", "sollecito_3", "diffida", "affido_legale"],
        ),
    ],
    ids=["business", "consumer", "public_admin"],
)
def test_each_kind_of_debtor_gets_its_sequence(debtor: Debtor, expected: list[str]) -> None:
    pf = portfolio([debtor], [invoice("F1", debtor.id, date(2026, 3, 31), "1500.00")])
    timeline = simulate(pf, italy.stragiudiziale(), date(2026, 3, 1), date(2026, 9, 30))
    assert [a.step for a in timeline] == expected


def test_business_sequence_dates() -> None:
    pf = portfolio([business("B1")], [invoice("F1", "B1", date(2026, 3, 31), "1500.00")])
    timeline = simulate(pf, italy.stragiudiziale(), date(2026, 3, 1), date(2026, 9, 30))
    assert [(a.date.isoformat(), a.step, a.channel, a.service) for a in timeline] == [
        ("2026-03-26", "preavviso", "email", None),  # 5 days before the due date (31 March)
        ("2026-04-09", "sollecito_1", "email", None),  # after 5 business days (Easter Monday)
        ("2026-04-24", "sollecito_2", "email", None),  # + 15 days
        ("2026-05-11", "sollecito_3", "email", None),  # + 15 = Saturday 9 May -> Monday
        ("2026-05-22", "telefonata", "phone", None),  # the day after the 10-day deadline
        ("2026-05-29", "diffida", "pec", None),  # a week after the call
        ("2026-06-18", "affido", "agency", None),  # formal deadline (15) + 5 days
    ]
    # 9 April + 10 = Sunday 19 April, rolled to Monday 20
    assert [str(a.deadline) for a in timeline if a.deadline][:2] == ["2026-04-20", "2026-05-04"]


def test_consumer_without_pec_gets_a_raccomandata() -> None:
    pf = portfolio([consumer("C1")], [invoice("F1", "C1", date(2026, 3, 31), "800.00")])
    timeline = simulate(pf, italy.stragiudiziale(), date(2026, 3, 1), date(2026, 9, 30))
    (formal,) = [a for a in timeline if a.kind == "formal_notice"]
    assert (formal.channel, formal.service) == ("postal", "raccomandata_ar")


def test_small_balances_are_not_handed_over() -> None:
    pf = portfolio([business("B1")], [invoice("F1", "B1", date(2026, 3, 31), "120.00")])
    timeline = simulate(pf, italy.stragiudiziale(), date(2026, 3, 1), date(2026, 9, 30))
    assert timeline.actions[-1].step == "diffida"
    assert eur("120.00") == timeline.actions[-1].amount


def test_the_call_comes_after_the_reminders_deadline() -> None:
    policy = italy.stragiudiziale(reminders=2, cadence_days=20)
    pf = portfolio([business("B1")], [invoice("F1", "B1", date(2026, 3, 31), "1500.00")])
    timeline = simulate(pf, policy, date(2026, 3, 1), date(2026, 9, 30))
    last = [a for a in timeline if a.kind == "reminder"][-1]
    call = next(a for a in timeline if a.kind == "call")
    assert last.deadline is not None
    assert call.date > last.deadline


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("grace_days", 40),
        ("deadline_days", 0),
        ("formal_notice_deadline_days", 0),
        ("good_payer_extra_days", 31),
        ("notice_days_before", 0),
    ],
)
def test_every_parameter_is_checked_by_name(param: str, value: int) -> None:
    with pytest.raises(PolicyError, match=rf"stragiudiziale: {param} must be between"):
        italy.stragiudiziale(**{param: value})
