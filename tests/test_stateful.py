"""`CaseMachine`: the stateful check of every invariant, on the Italian preset and a small
hand-built policy; a policy that breaks the rules is caught."""

from __future__ import annotations

import unittest
from datetime import date

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from dunning import (
    Case,
    ItemPlan,
    Money,
    Policy,
    Rule,
    Step,
    after_due,
    after_previous,
    balance_at_least,
    before_due,
    contact_caps,
    email,
    first_of,
    on_business_days,
    pause_on_dispute,
    pec,
    phone,
    postal,
    promise_pause,
    sms,
    transit_grace,
)
from dunning.policies import italy
from dunning.policy import Decision
from dunning.testing import CaseMachine, case_machine_test, run_case_machine

#: Steps per example: each step may run the engine for up to 20 days.
STEPS = 50

#: Two reminders ten days apart: the smallest useful policy.
TINY = Policy(
    Step("first", "reminder", via=email | postal()).at(after_due(3))
    >> Step("second", "reminder", via=email | postal()).at(after_previous(7)),
    rules=(contact_caps(min_days=10),),
    name="tiny",
)

#: A notice, a guarded call, capped reminders, grace, pauses and business days.
SMALL = Policy(
    Step("heads_up", "notice", via=email | sms).at(before_due(3))
    >> Step("first", "reminder", via=email | postal()).at(after_due(2))
    >> Step("call", "call", via=phone)
    .at(after_previous(5))
    .when(balance_at_least(Money("500.00", "EUR")))
    >> Step("second", "reminder", via=email | pec | postal()).at(after_previous(7))
    >> Step("formal", "formal_notice", via=pec | postal("raccomandata_ar")).at(after_previous(7)),
    rules=(
        on_business_days(),
        transit_grace(2),
        promise_pause(),
        pause_on_dispute(),
        contact_caps(min_days=10, max_reminders=1, per_channel=(("email", 1, 20),)),
    ),
    name="small",
    min_balance=Money("20.00", "EUR"),
)


def test_case_machine_on_the_italian_preset() -> None:
    run_case_machine(italy.stragiudiziale(), settings(stateful_step_count=STEPS))


def test_case_machine_on_a_small_hand_built_policy() -> None:
    run_case_machine(SMALL, settings(stateful_step_count=STEPS))


def test_case_machine_on_the_tiny_policy_with_its_default_policy_too() -> None:
    run_case_machine(TINY, settings(stateful_step_count=STEPS, max_examples=100))
    # Without a policy, the machine checks the Italian preset.
    run_state_machine_as_test(CaseMachine, settings=settings(max_examples=10))


#: One line for a policy author: a unittest.TestCase that pytest collects.
TestTinyPolicy = case_machine_test(
    TINY,
    settings(stateful_step_count=STEPS, max_examples=50, deadline=None),
    name="TinyPolicyMachine",
)


def test_case_machine_test_gives_a_named_test_case() -> None:
    assert issubclass(TestTinyPolicy, unittest.TestCase)
    assert TestTinyPolicy.__name__ == "TinyPolicyMachine.TestCase"


@attrs.frozen
class drop_holds(Rule):  # noqa: N801
    """A broken rule: forgets every hold (transit grace, spacing, pauses, business days)."""

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        def one(plan: ItemPlan) -> ItemPlan:
            return attrs.evolve(plan, holds=())

        return decision.map(one)


def test_the_machine_catches_a_policy_that_ignores_its_holds() -> None:
    careless = first_of(*(p.with_rules(drop_holds()) for p in italy.stragiudiziale().all_policies))
    with pytest.raises(AssertionError, match=r"^invariant (5|6|10):"):
        run_case_machine(
            careless,
            settings(
                max_examples=300,
                stateful_step_count=10,
                phases=[Phase.explicit, Phase.generate],  # found is enough: no need to shrink
                database=None,
                deadline=None,
                report_multiple_bugs=False,
                suppress_health_check=list(HealthCheck),
            ),
        )
