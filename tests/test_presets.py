"""The EU, German, French, Spanish and UK presets: sequences, proof, law keys, validation."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import settings

import dunning
from dunning import Creditor, Debtor, Invoice, Money, PolicyError, Portfolio, PostalAddress
from dunning.policies import de, es, eu, fr, uk
from dunning.policy import PolicyLike
from dunning.steps import PROVEN_POSTAL_SERVICES
from dunning.testing import run_case_machine

NAMESPACE: dict[str, Any] = {
    **{name: getattr(dunning, name) for name in dunning.__all__},
    "datetime": datetime,
    "Decimal": Decimal,
}

#: preset name -> (factory, country, locale, time zone, currency)
PRESETS: dict[str, tuple[Callable[..., PolicyLike], str, str, str, str]] = {
    "eu": (
        lambda **kw: eu.directive_2011_7(country="AT", **kw),
        "AT",
        "de_AT",
        "Europe/Vienna",
        "EUR",
    ),
    "de": (de.mahnwesen, "DE", "de_DE", "Europe/Berlin", "EUR"),
    "fr": (fr.recouvrement_amiable, "FR", "fr_FR", "Europe/Paris", "EUR"),
    "es": (es.reclamacion_extrajudicial, "ES", "es_ES", "Europe/Madrid", "EUR"),
    "uk": (uk.late_payment, "GB", "en_GB", "Europe/London", "GBP"),
}


def simulate(preset: str, kind: str, amount: str = "1500.00", **tags: Any) -> dunning.Timeline:
    factory, country, locale, tz, currency = PRESETS[preset]
    debtor = Debtor(
        "D1",
        f"{kind} debtor",
        kind=kind,
        country=country,
        locale=locale,
        timezone=tz,
        email="accounts@example.com",
        address=PostalAddress(["1 Example Street"], "10115", "City", None, country),
        **tags,
    )
    bill = Invoice.single(
        "INV-1", "D1", date(2026, 3, 2), date(2026, 3, 31), Money(amount, currency)
    )
    pf = Portfolio(Creditor("Example Ltd", country=country), [debtor], [bill])
    return dunning.simulate(pf, factory(), date(2026, 3, 1), date(2026, 9, 30))


SEQUENCES = {
    ("eu", "business"): [
        ("2026-04-09", "reminder_1"),
        ("2026-04-23", "reminder_2"),
        ("2026-05-07", "formal_notice"),
        ("2026-05-27", "hand_over"),
    ],
    ("eu", "consumer"): [
        ("2026-04-13", "reminder_1"),
        ("2026-04-27", "reminder_2"),
        ("2026-05-11", "formal_notice"),
        ("2026-06-01", "hand_over"),
    ],
    ("de", "business"): [
        ("2026-04-10", "zahlungserinnerung"),  # 5 business days: Good Friday, Easter Monday
        ("2026-04-24", "mahnung_1"),
        ("2026-05-08", "letzte_mahnung"),
        ("2026-05-26", "inkasso"),  # 23 May is a Saturday, 25 May Whit Monday
    ],
    ("de", "consumer"): [
        ("2026-04-14", "zahlungserinnerung"),
        ("2026-04-28", "mahnung_1"),
        ("2026-05-12", "letzte_mahnung"),
        ("2026-05-27", "inkasso"),
    ],
    ("fr", "business"): [
        ("2026-04-09", "relance_1"),
        ("2026-04-24", "relance_2"),
        ("2026-05-11", "mise_en_demeure"),  # 9 May is a Saturday
        ("2026-05-26", "recouvrement"),  # 25 May is Whit Monday
    ],
    ("fr", "consumer"): [
        ("2026-04-13", "relance_1"),
        ("2026-04-28", "relance_2"),
        ("2026-05-13", "mise_en_demeure"),
        ("2026-05-28", "recouvrement"),
    ],
    ("fr", "public_admin"): [
        ("2026-04-16", "relance_1"),
        ("2026-05-04", "relance_2"),
        ("2026-05-19", "mise_en_demeure"),
        ("2026-06-03", "contentieux"),
    ],
    ("es", "business"): [
        ("2026-04-09", "recordatorio_1"),
        ("2026-04-24", "recordatorio_2"),
        ("2026-05-11", "requerimiento"),
        ("2026-05-26", "agencia"),
    ],
    ("es", "consumer"): [
        ("2026-04-13", "recordatorio_1"),
        ("2026-04-28", "recordatorio_2"),
        ("2026-05-13", "requerimiento"),
        ("2026-05-28", "agencia"),
    ],
    ("uk", "business"): [
        ("2026-04-09", "reminder_1"),
        ("2026-04-23", "reminder_2"),
        ("2026-05-07", "letter_before_action"),
        ("2026-05-26", "debt_recovery"),  # 25 May is the spring bank holiday
    ],
    ("uk", "consumer"): [
        ("2026-04-13", "reminder_1"),
        ("2026-04-27", "reminder_2"),
        ("2026-05-11", "letter_before_action"),
        ("2026-06-15", "debt_recovery"),  # after the protocol's 30 days + 5
    ],
}

FORMAL = {
    "eu": "registered_ar",
    "de": "einschreiben_rueckschein",
    "fr": "lrar",
    "es": "burofax",
    "uk": "registered_ar",
}


@pytest.mark.parametrize(("preset", "kind"), list(SEQUENCES), ids="-".join)
def test_sequence_and_proven_formal_notice(preset: str, kind: str) -> None:
    timeline = simulate(preset, kind)
    assert [(a.date.isoformat(), a.step) for a in timeline] == SEQUENCES[preset, kind]
    (formal,) = [a for a in timeline if a.kind == "formal_notice"]
    assert (formal.channel, formal.service) == ("postal", FORMAL[preset])
    assert formal.service in PROVEN_POSTAL_SERVICES
    expected_policy = f"{preset}.{kind}"
    assert {a.policy for a in timeline} == {expected_policy}


@pytest.mark.parametrize("preset", ["eu", "de", "es", "uk"])
def test_public_admin_follows_the_business_policy(preset: str) -> None:
    timeline = simulate(preset, "public_admin")
    assert [(a.date.isoformat(), a.step) for a in timeline] == SEQUENCES[preset, "business"]
    assert {a.policy for a in timeline} == {f"{preset}.business"}


def test_uk_protocol_gives_individuals_30_days() -> None:
    consumer = simulate("uk", "consumer")
    lba = next(a for a in consumer if a.step == "letter_before_action")
    assert lba.deadline is not None
    assert (lba.deadline - lba.date).days >= 30
    business = simulate("uk", "business")
    lba = next(a for a in business if a.step == "letter_before_action")
    assert lba.deadline is not None
    assert (lba.deadline - lba.date).days == 14
    sole = simulate("uk", "business", tags=("sole_trader",))
    lba = next(a for a in sole if a.step == "letter_before_action")
    assert lba.policy == "uk.sole_trader"
    assert lba.deadline is not None
    assert (lba.deadline - lba.date).days >= 30


@pytest.mark.parametrize("preset", list(PRESETS))
def test_small_balances_are_not_handed_over(preset: str) -> None:
    timeline = simulate(preset, "business", amount="60.00")
    assert timeline.actions[-1].kind == "formal_notice"


LAW = {
    "eu": {"eu.business": "eu-2011-7", "eu.consumer": None},
    "de": {"de.business": "de-288", "de.consumer": "de-288"},  # + 9 and + 5, see test_interest
    "fr": {"fr.business": "fr-l441-10", "fr.consumer": None, "fr.public_admin": "eu-2011-7"},
    "es": {"es.business": "es-3-2004", "es.consumer": None},
    "uk": {"uk.sole_trader": "uk-1998", "uk.business": "uk-1998", "uk.consumer": None},
}


@pytest.mark.parametrize("preset", list(PRESETS))
def test_interest_and_compensation(preset: str) -> None:
    factory, country, *_, currency = PRESETS[preset]
    policies = factory().all_policies
    assert {p.name: p.regime.key if p.regime else None for p in policies} == LAW[preset]
    for p in policies:
        assert p.fixed_compensation == (p.name != f"{preset}.consumer"), p.name
        assert p.calendar == dunning.Calendar(country)
        assert p.min_balance is not None
        assert p.min_balance.currency == currency


@pytest.mark.parametrize("preset", list(PRESETS))
def test_repr_round_trip(preset: str) -> None:
    policy = PRESETS[preset][0]()
    assert eval(repr(policy), dict(NAMESPACE)) == policy


@pytest.mark.parametrize(
    ("factory", "param", "value"),
    [
        (eu.directive_2011_7, "reminders", 0),
        (eu.directive_2011_7, "cadence_days", 3),
        (de.mahnwesen, "mahnungen", 4),
        (de.mahnwesen, "final_deadline_days", 0),
        (fr.recouvrement_amiable, "relances", 5),
        (fr.recouvrement_amiable, "mise_en_demeure_days", 0),
        (es.reclamacion_extrajudicial, "recordatorios", 0),
        (es.reclamacion_extrajudicial, "requerimiento_days", 61),
        (uk.late_payment, "consumer_response_days", 14),
        (uk.late_payment, "grace_days", 31),
    ],
)
def test_parameters_are_checked_by_name(
    factory: Callable[..., PolicyLike], param: str, value: int
) -> None:
    kw: dict[str, Any] = {"country": "AT"} if factory is eu.directive_2011_7 else {}
    with pytest.raises(PolicyError, match=rf"{factory.__name__}: {param} must be between"):
        factory(**kw, **{param: value})


def test_eu_needs_a_known_country() -> None:
    with pytest.raises(TypeError):
        eu.directive_2011_7()  # type: ignore[call-arg]
    with pytest.raises(PolicyError, match="directive_2011_7: country 'XX'"):
        eu.directive_2011_7(country="XX")
    assert eu.directive_2011_7(country="NL").all_policies[0].calendar == dunning.Calendar("NL")


def test_amounts_as_money() -> None:
    policy = uk.late_payment(min_balance=Money("5.00", "GBP"), handover_min="500.00")
    assert {p.min_balance for p in policy.all_policies} == {Money("5.00", "GBP")}


@pytest.mark.parametrize("preset", list(PRESETS))
def test_case_machine(preset: str) -> None:
    run_case_machine(PRESETS[preset][0](), settings(stateful_step_count=30, max_examples=60))
