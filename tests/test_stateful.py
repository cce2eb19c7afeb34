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
    Policy,
    Rule,
    first_of,
)
from dunning.policies import italy
from dunning.policy import Decision
from dunning.testing import CaseMachine, case_machine_test, run_case_machine
from helpers import SMALL, TINY

#: Steps per example: each step may run the engine for up to 20 days.
STEPS = 50


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

        # the step's holds (spacing, pauses, business days) and the items' (transit grace)
        return attrs.evolve(decision.map(one), holds=())


def test_the_machine_catches_a_policy_that_ignores_its_holds() -> None:
    careless = first_of(*(p.with_rules(drop_holds()) for p in italy.stragiudiziale().all_policies))
    # forgetting the holds shows as too close contacts (5), claims in grace (6), contacts on
    # holidays (10), or a reminder while a payment plan is kept (17: the plan's hold is gone too)
    with pytest.raises(AssertionError, match=r"^invariant (5|6|10|17):"):
        run_case_machine(
            careless,
            settings(
                max_examples=300,
                derandomize=True,  # the same examples every run: a catch that cannot flake
                stateful_step_count=10,
                phases=[Phase.explicit, Phase.generate],  # found is enough: no need to shrink
                database=None,
                deadline=None,
                report_multiple_bugs=False,
                suppress_health_check=list(HealthCheck),
            ),
        )
