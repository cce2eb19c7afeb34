"""Strategy objects: operators flatten, reprs are valid Python, equality and hashing work."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

import dunning
from dunning import (
    Calendar,
    Closure,
    Money,
    Policy,
    PolicyError,
    Step,
    after_due,
    after_previous,
    balance_at_least,
    before_due,
    contact_caps,
    debtor_kind,
    disputed,
    email,
    has_tag,
    pec,
    postal,
    sms,
    transit_grace,
)
from dunning.guards import all_of, any_of, not_
from dunning.policies import italy

NAMESPACE: dict[str, Any] = {
    **{name: getattr(dunning, name) for name in dunning.__all__},
    "datetime": datetime,
    "Decimal": Decimal,
}


def roundtrip(value: object) -> object:
    return eval(repr(value), dict(NAMESPACE))


def test_guard_operators_flatten() -> None:
    a, b, c = balance_at_least(Money("50", "EUR")), ~disputed(), debtor_kind("business")
    both = (a & b) & c
    assert isinstance(both, all_of)
    assert both.guards == (a, b, c)
    assert a & (b & c) == both
    either = a | b | c
    assert isinstance(either, any_of)
    assert len(either.guards) == 3
    assert ~~a == a
    assert isinstance(~a, not_)


@pytest.mark.parametrize(
    "value",
    [
        balance_at_least(Money("50", "EUR")) & ~disputed() & debtor_kind("business"),
        (has_tag("vip") | debtor_kind("consumer", "public_admin")) & ~disputed(),
        ~(has_tag("a") & has_tag("b")),
        after_due(30).end_of_month().adjusted(Calendar("IT")),
        before_due(5).adjusted(Calendar("IT", subdiv="BZ"), roll="back"),
        after_previous(3).in_business_days(Calendar("DE")),
        Calendar("IT") + Closure(datetime.date(2026, 8, 10), datetime.date(2026, 8, 21), "ferie"),
        pec | postal("raccomandata_ar"),
        Step("first", "reminder", via=email | sms, deadline_days=10).at(after_due(7)),
        Step("a", "reminder", via=email) >> Step("b", "formal_notice", via=pec),
        Policy(
            Step("a", "reminder", via=email) >> Step("b", "reminder", via=email),
            rules=(transit_grace(3), contact_caps(min_days=10, per_channel=[("sms", 2, 30)])),
            name="mine",
            min_balance=Money("20", "EUR"),
        ).when(debtor_kind("business")),
        italy.stragiudiziale(),
        italy.stragiudiziale(reminders=4, cadence_days=20),
        Policy(
            Step("call", "call", via=dunning.phone),
            rules=(dunning.call_limits(max_calls=7, days=7),),
            contact_hours=dunning.ContactHours(datetime.time(9, 0), datetime.time(20, 0)),
        ),
    ],
    ids=lambda v: type(v).__name__,
)
def test_repr_is_valid_python_and_equal(value: object) -> None:
    again = roundtrip(value)
    assert again == value
    assert hash(again) == hash(value)
    assert repr(again) == repr(value)


def test_presets_compare_by_value() -> None:
    assert italy.stragiudiziale() == italy.stragiudiziale()
    assert italy.stragiudiziale(reminders=2) != italy.stragiudiziale(reminders=3)
    assert len({italy.stragiudiziale(), italy.stragiudiziale()}) == 1


def test_formal_notice_needs_legal_proof() -> None:
    with pytest.raises(PolicyError, match=r"proof of delivery.*email"):
        Step("diffida", "formal_notice", via=pec | email)
    Step("diffida", "formal_notice", via=pec | postal("raccomandata_ar"))


def test_step_validation_names_the_step() -> None:
    with pytest.raises(PolicyError, match="'x': kind must be one of"):
        Step("x", "letter", via=email)  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match="before the due date"):
        dunning.Ladder((Step("courtesy", "notice", via=email),))
    with pytest.raises(PolicyError, match="unique"):
        Step("a", "reminder", via=email) >> Step("a", "reminder", via=email)
    with pytest.raises(PolicyError, match="unknown channel"):
        dunning.Route("fax")


def test_ladder_levels() -> None:
    ladder = Step("a", "reminder", via=email) >> Step("b", "reminder", via=email)
    assert ladder[1].name == "a"
    assert ladder.level_of("b") == 2
    with pytest.raises(IndexError, match=r"outside"):
        ladder[3]


def test_preset_parameters_are_validated() -> None:
    with pytest.raises(PolicyError, match="reminders must be between 2 and 4"):
        italy.stragiudiziale(reminders=5)
    with pytest.raises(PolicyError, match="cadence_days must be between 15 and 20"):
        italy.stragiudiziale(cadence_days=10)
    with pytest.raises(PolicyError, match=r"unknown policy preset 'italy\.x'"):
        dunning.policies.load("italy.x")
    with pytest.raises(PolicyError, match="unexpected keyword"):
        dunning.policies.load("italy.stragiudiziale", remindrs=3)


def test_plain_callables_combine_on_either_side() -> None:
    def big(case: object, on: object) -> bool:
        return True

    assert isinstance(big & disputed(), all_of)
    assert isinstance(disputed() | big, any_of)
