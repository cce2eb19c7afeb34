"""The curated public API: ``__all__`` lists exactly the public names, and the names the
project promises exist."""

from __future__ import annotations

import importlib
import types

import attrs
import pytest

import dunning

MODULES = [
    "dunning",
    "dunning.money",
    "dunning.model",
    "dunning.events",
    "dunning.case",
    "dunning.guards",
    "dunning.delays",
    "dunning.steps",
    "dunning.policy",
    "dunning.decision",
    "dunning.rules",
    "dunning.plans",
    "dunning.reasons",
    "dunning.engine",
    "dunning.proposal",
    "dunning.calendars",
    "dunning.timezones",
    "dunning.policies",
    "dunning.policies.italy",
    "dunning.importers",
    "dunning.importers.fatturapa",
    "dunning.importers.ubl",
    "dunning.terms",
    "dunning.importers.camt",
    "dunning.importers.folder",
    "dunning.reconciliation",
    "dunning.history",
    "dunning.serialize",
    "dunning.allocation",
    "dunning.statement",
    "dunning.interest",
    "dunning.compensation",
    "dunning.limitation",
    "dunning.gsm",
    "dunning.rates",
    "dunning.render",
    "dunning.outbox",
    "dunning.letters",
    "dunning.payment",
    "dunning.policies.us",
    "dunning.policies.eu",
    "dunning.policies.de",
    "dunning.policies.fr",
    "dunning.policies.es",
    "dunning.policies.uk",
    "dunning.testing",
    "dunning.testing.strategies",
    "dunning.testing.invariants",
    "dunning.testing.stateful",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_every_public_name(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert len(exported) == len(module.__all__), "duplicates in __all__"
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names missing {item}"
    public = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", name) == name
        and (callable(value) or isinstance(value, type))
    }
    assert public <= exported, f"public but not in __all__: {sorted(public - exported)}"


def test_promised_names() -> None:
    from dunning.policies.italy import stragiudiziale
    from dunning.testing.stateful import CaseMachine

    for name in [
        "Money",
        "Creditor",
        "Debtor",
        "Invoice",
        "Payment",
        "Portfolio",
        "plan",
        "simulate",
    ]:
        assert name in dunning.__all__
    assert callable(stragiudiziale)
    assert callable(CaseMachine)
    assert callable(dunning.Portfolio.from_csv)
    assert dunning.Money("10.00", "EUR").amount == dunning.Money(10, "EUR").amount
    with pytest.raises(TypeError):
        dunning.Money(10.0, "EUR")  # type: ignore[arg-type]


def test_action_fields() -> None:
    names = {f.name for f in attrs.fields(dunning.Action)}
    assert names >= {
        "date",
        "debtor_id",
        "step",
        "level",
        "kind",
        "channel",
        "items",
        "amount",
        "deadline",
        "why",
    }


def test_kinds_and_channels() -> None:
    from dunning.model import ACTION_KINDS, CHANNELS

    assert set(ACTION_KINDS) >= {"notice", "reminder", "call", "formal_notice", "hand_over"}
    assert set(CHANNELS) >= {"email", "pec", "sms", "postal", "phone"}


def test_records_are_frozen() -> None:
    debtor = dunning.Debtor("D1", "Rossi")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        debtor.name = "Bianchi"  # type: ignore[misc]
    assert attrs.evolve(debtor, name="Bianchi").name == "Bianchi"


def test_every_preset_loads_by_name_and_is_a_module_attribute() -> None:
    import dunning.policies as presets

    for name in ["italy", "us", "eu", "de", "fr", "es", "uk"]:
        assert isinstance(getattr(presets, name), types.ModuleType)
    for key in presets.PRESETS:
        kwargs = {"country": "IT"} if key.startswith("eu.") else {}
        assert presets.load(key, **kwargs).all_policies


def test_no_submodule_shadows_a_public_name() -> None:
    """Importing ``dunning.x`` sets ``dunning.x`` to the module: a submodule named like a
    public function (``postal``, ``pec``) would replace it for everyone once imported."""
    import pkgutil

    before = {name: getattr(dunning, name) for name in dunning.__all__}
    for info in pkgutil.walk_packages(dunning.__path__, "dunning."):
        importlib.import_module(info.name)
    changed = [name for name in dunning.__all__ if getattr(dunning, name) is not before[name]]
    assert changed == []
