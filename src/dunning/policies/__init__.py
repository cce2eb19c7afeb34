"""Ready-made policies per country, each citing the law it encodes.

>>> from dunning.policies import load
>>> policy = load("italy.stragiudiziale", reminders=2)
>>> [p.name for p in policy.all_policies]
['italy.business', 'italy.consumer', 'italy.public_admin']
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import PolicyError
from ..policy import PolicyLike
from . import de, es, eu, fr, italy, uk, us

__all__ = ["PRESETS", "de", "es", "eu", "fr", "italy", "load", "uk", "us"]

#: Preset names accepted by `load` (and by ``dunning.toml``'s ``[policy] preset``).
PRESETS: dict[str, str] = {
    "italy.stragiudiziale": "dunning.policies.italy:stragiudiziale",
    "us.regulation_f": "dunning.policies.us:regulation_f",
    "eu.directive_2011_7": "dunning.policies.eu:directive_2011_7",
    "de.mahnwesen": "dunning.policies.de:mahnwesen",
    "fr.recouvrement_amiable": "dunning.policies.fr:recouvrement_amiable",
    "es.reclamacion_extrajudicial": "dunning.policies.es:reclamacion_extrajudicial",
    "uk.late_payment": "dunning.policies.uk:late_payment",
}


def load(preset: str, **params: Any) -> PolicyLike:
    """Build the preset called ``preset`` with keyword ``params``."""
    try:
        target = PRESETS[preset]
    except KeyError:
        raise PolicyError(
            f"unknown policy preset {preset!r}; known presets: {', '.join(sorted(PRESETS))}"
        ) from None
    module, _, name = target.partition(":")
    factory = getattr(importlib.import_module(module), name)
    try:
        policy: PolicyLike = factory(**params)
    except TypeError as exc:
        raise PolicyError(f"policy preset {preset!r}: {exc}") from None
    return policy
