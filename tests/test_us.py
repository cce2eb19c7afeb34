"""The US preset: Regulation F's contact hours and call limits on a consumer collection."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from hypothesis import settings

from dunning import (
    Debtor,
    DebtorReplied,
    Invoice,
    Money,
    PolicyError,
    PostalAddress,
    plan,
    simulate,
)
from dunning.policies import load, us
from dunning.steps import PROVEN_POSTAL_SERVICES
from dunning.testing import run_case_machine
from dunning.testing.stateful import DEBTORS
from helpers import portfolio

JANE = Debtor(
    "U1",
    "Jane Doe",
    kind="consumer",
    country="US",
    locale="en_US",
    timezone="America/Chicago",
    email="jane@example.com",
    phone="+13125550100",
    address=PostalAddress(["1 Main St"], "60601", "Chicago", "IL", "US"),
)
BILL = Invoice.single("INV-1", "U1", date(2026, 3, 1), date(2026, 3, 31), Money("800.00", "USD"))


def test_sequence_and_windows() -> None:
    timeline = simulate(
        portfolio([JANE], [BILL]), us.regulation_f(), date(2026, 3, 1), date(2026, 8, 31)
    )
    assert [a.step for a in timeline] == [
        "courtesy_notice",
        "reminder_1",
        "reminder_2",
        "call",
        "final_demand",
        "placement",
    ]
    final = next(a for a in timeline if a.kind == "formal_notice")
    assert (final.channel, final.service) == ("postal", "certified_rr")
    assert final.service in PROVEN_POSTAL_SERVICES
    assert final.not_before is None  # a letter has no time of day
    call = next(a for a in timeline if a.kind == "call")
    assert call.not_before is not None
    assert call.not_before.isoformat().endswith("T08:00:00-05:00")


def test_only_for_consumers() -> None:
    business = attrs.evolve(JANE, kind="business")
    proposal = plan(portfolio([business], [BILL]), us.regulation_f(), date(2026, 5, 1))
    assert len(proposal) == 0
    assert "debtor is business, not consumer" in proposal.waiting[0].why


def test_no_call_within_a_week_of_a_conversation() -> None:
    quiet = simulate(
        portfolio([JANE], [BILL]), us.regulation_f(), date(2026, 3, 1), date(2026, 7, 31)
    )
    planned = next(a for a in quiet if a.kind == "call").date
    talk = DebtorReplied(planned, "U1", "will call back", channel="phone")
    pf = portfolio([JANE], [BILL], events=[talk])
    timeline = simulate(pf, us.regulation_f(), date(2026, 3, 1), date(2026, 7, 31))
    call = next(a for a in timeline if a.kind == "call")
    assert (call.date - planned).days >= 8
    assert "telephone conversation" not in call.why  # the hold is over when the call happens


def test_parameters_are_checked_and_loadable_by_name() -> None:
    with pytest.raises(PolicyError, match="regulation_f: cadence_days must be between 7 and 30"):
        us.regulation_f(cadence_days=3)
    assert load("us.regulation_f") == us.regulation_f()


def test_case_machine_on_the_us_preset() -> None:
    assert any(d.kind == "consumer" for d in DEBTORS)
    run_case_machine(us.regulation_f(), settings(stateful_step_count=30, max_examples=100))
