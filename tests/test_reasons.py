"""Reasons as data: every clause of an action's or a waiting case's explanation has a code and
values, renders in Italian from the catalog, and falls back to English for unknown codes."""

from __future__ import annotations

from datetime import date

from dunning import Proposal, plan
from dunning.policies import italy
from dunning.reasons import CATALOG, Reason
from helpers import business, invoice, portfolio

DUE = date(2026, 3, 31)


def test_an_action_explains_itself_in_codes_and_in_italian() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    (action,) = plan(pf, italy.stragiudiziale(), date(2026, 4, 9))
    codes = [r.code for r in action.reasons]
    assert codes[:3] == ["step_due", "episode_count", "overdue"]
    assert "claiming" in codes
    assert action.why == "; ".join(r.text for r in action.reasons)
    italian = action.why_in("it_IT")
    assert "sollecito n. 1 dell'episodio 1" in italian
    assert "importo richiesto 1.000,00\xa0€ (partite: 1)" in italian


def test_a_waiting_case_explains_itself_in_italian() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    (wait,) = plan(pf, italy.stragiudiziale(), date(2026, 4, 5)).waiting  # Easter Sunday
    assert [r.code for r in wait.reasons][:2] == ["next_step", "not_business_day"]
    assert "il 5 apr 2026 non è un giorno lavorativo" in wait.why_in("it_IT")


def test_every_code_the_engine_uses_in_italy_has_an_italian_sentence() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    proposal = plan(pf, italy.stragiudiziale(), date(2026, 4, 9))
    for reason in proposal.actions[0].reasons:
        assert reason.code == "note" or "it" in CATALOG[reason.code], reason.code


def test_unknown_codes_and_bad_templates_fall_back_to_english() -> None:
    assert Reason.of("no_such_code", "as written").render("it_IT") == "as written"
    assert Reason.of("spacing", "as written").render("it_IT") == "as written"  # values missing
    assert Reason.of("overdue", "F1 3 days overdue", item="F1", days=3).render("en_GB") == (
        "F1 3 days overdue"
    )


def test_reasons_survive_json() -> None:
    pf = portfolio([business()], [invoice("F1", "B1", DUE)])
    proposal = plan(pf, italy.stragiudiziale(), date(2026, 4, 9))
    again = Proposal.from_json(proposal.to_json())
    assert again.actions == proposal.actions
    assert [r.code for r in again.actions[0].reasons] == [
        r.code for r in proposal.actions[0].reasons
    ]


def test_every_code_of_a_year_on_the_example_speaks_italian() -> None:
    from pathlib import Path

    from dunning import Portfolio, simulate

    pf = Portfolio.from_csv(Path(__file__).resolve().parent.parent / "examples" / "tipografia")
    policy = italy.stragiudiziale()
    timeline = simulate(pf, policy, date(2026, 1, 1), date(2026, 12, 31))
    codes = {r.code for a in timeline for r in a.reasons}
    for month in range(1, 13):
        day = date(2026, month, 15)
        history = [e for e in timeline.events if e.date < day]
        codes |= {r.code for w in plan(pf, policy, day, history).waiting for r in w.reasons}
    missing = sorted(c for c in codes if "it" not in CATALOG.get(c, {}))
    assert missing == []
