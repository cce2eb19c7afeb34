"""Bugs found by the `CaseMachine` and not fixed yet: each test reproduces one and is a strict
xfail, so that the fix makes it fail until its marker is removed."""

from __future__ import annotations

import pytest

from dunning import Money
from dunning.testing.stateful import DEBTORS, CaseMachine
from helpers import TINY


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="a dispute resolved on the day the rest is paid under a plan: the engine plans the "
    "first step again (a new episode for the engine, the same one for invariant 4)",
)
def test_a_dispute_resolved_the_day_the_rest_is_paid() -> None:
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
    try:
        machine.run_engine()
    except AssertionError as exc:
        if not str(exc).startswith("invariant 4: debtor B1: step first twice"):
            raise RuntimeError(f"another failure than the known one: {exc}") from exc
        raise
