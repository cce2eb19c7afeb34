"""Steps and ladders: the escalation levels of a policy.

A `Step` is one level: what kind of action (notice, reminder, call, formal notice, hand-over),
over which channels in order of preference (``pec | email``), with which template, when
(`.at(delay)`), for whom (`.when(guard)`) and with which new payment deadline. A `Ladder` is a
sequence of steps built with ``>>``; an item's level is its position in the ladder.

>>> from dunning.delays import after_due, after_previous
>>> first = Step("first_reminder", "reminder", via=email | pec).at(after_due(7))
>>> second = Step("second_reminder", "reminder", via=pec | email, deadline_days=10).at(
...     after_previous(15))
>>> notice = Step("formal_notice", "formal_notice", via=pec | postal("raccomandata_ar"))
>>> ladder = first >> second >> notice.at(after_previous(15))
>>> [s.name for s in ladder]
['first_reminder', 'second_reminder', 'formal_notice']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from .delays import Delay, after_due
from .errors import PolicyError
from .guards import Guard
from .model import ACTION_KINDS, CHANNELS, ActionKind

if TYPE_CHECKING:
    from .model import Debtor

__all__ = [
    "ASSUMED_DELIVERY_DAYS",
    "SEVERITY",
    "Ladder",
    "Route",
    "Routes",
    "Step",
    "agency",
    "email",
    "pec",
    "phone",
    "postal",
    "sms",
]

#: Postal services whose return receipt proves delivery: Italian raccomandata A/R, registered
#: mail with advice of delivery, German Einschreiben Rückschein, French lettre recommandée avec
#: avis de réception, Spanish burofax / certificado con acuse, US certified mail with return
#: receipt.
PROVEN_POSTAL_SERVICES = frozenset(
    {
        "raccomandata_ar",
        "registered_ar",
        "einschreiben_rueckschein",
        "lrar",
        "burofax",
        "certified_rr",
    }
)

#: How many days a message is assumed to take to reach the debtor where no receipt says when
#: it did: a PEC the same day, a letter four days later (`dunning.engine.simulate` assumes
#: proven deliveries with it, `dunning.statement` the start of a German consumer's default).
#: Channels not listed (e-mail, SMS) arrive the day they are sent.
ASSUMED_DELIVERY_DAYS: Mapping[str, int] = MappingProxyType({"pec": 0, "postal": 4})


#: How firm each kind of step is: within an episode a case never goes to a softer one.
SEVERITY: dict[str, int] = {
    "notice": 0,
    "reminder": 1,
    "call": 2,
    "formal_notice": 3,
    "hand_over": 4,
}


@attrs.frozen(repr=False)
class Route:
    """One channel, with a service level for postal mail (``postal("raccomandata_ar")``)."""

    channel: str
    service: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise PolicyError(f"unknown channel {self.channel!r}; known: {', '.join(CHANNELS)}")

    @property
    def legal_proof(self) -> bool:
        """Whether delivery over this route can be proven (PEC receipts, A/R return card)."""
        return self.channel == "pec" or (
            self.channel == "postal" and self.service in PROVEN_POSTAL_SERVICES
        )

    def __or__(self, other: Route | Routes) -> Routes:
        return Routes((self,)) | other

    def __repr__(self) -> str:
        if self.channel == "postal":
            return f"postal({self.service!r})" if self.service else "postal()"
        return self.channel

    def describe(self) -> str:
        return f"{self.channel} ({self.service})" if self.service else self.channel


@attrs.frozen(repr=False)
class Routes:
    """Channels in order of preference: the first one the debtor can be reached on is used."""

    routes: tuple[Route, ...]

    def __or__(self, other: Route | Routes) -> Routes:
        extra = (other,) if isinstance(other, Route) else other.routes
        return Routes(self.routes + extra)

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes)

    def __repr__(self) -> str:
        if len(self.routes) == 1:
            return f"Routes(({self.routes[0]!r},))"
        return " | ".join(repr(r) for r in self.routes)

    @property
    def legal_proof(self) -> bool:
        return all(r.legal_proof for r in self.routes)

    def resolve(
        self, debtor: Debtor, excluded: Mapping[str, str] | Iterable[str] = ()
    ) -> tuple[Route | None, tuple[str, ...]]:
        """The first route the debtor can be reached on, and why the ones before it were not
        used (opted out, no address, or ``excluded``: a channel mapped to the reason)."""
        skipped: list[str] = []
        blocked = (
            dict(excluded) if isinstance(excluded, Mapping) else dict.fromkeys(excluded, "excluded")
        )
        for route in self.routes:
            if route.channel in debtor.opt_out:
                skipped.append(f"{route.channel}: debtor opted out")
            elif route.channel in blocked:
                skipped.append(f"{route.channel}: {blocked[route.channel]}")
            elif debtor.contact(route.channel) is None:
                skipped.append(f"{route.channel}: no address")
            else:
                return route, tuple(skipped)
        return None, tuple(skipped)


email = Route("email")
pec = Route("pec")
sms = Route("sms")
phone = Route("phone")
agency = Route("agency")


def postal(service: str | None = None) -> Route:
    """Postal mail; ``service`` e.g. ``"prioritaria"`` or ``"raccomandata_ar"``."""
    return Route("postal", service)


def _routes(value: Route | Routes | Iterable[Route]) -> Routes:
    if isinstance(value, Routes):
        return value
    if isinstance(value, Route):
        return Routes((value,))
    return Routes(tuple(value))


@attrs.frozen
class Step:
    """One escalation level.

    ``deadline_days`` is the new payment deadline given to the debtor, counted from the
    action's date (and rolled onto a business day by the engine). A step of kind
    ``formal_notice`` must use only channels with legal proof of delivery. An ``optional``
    step is passed over for a debtor none of its channels can reach (a call for a debtor
    without a phone); any other step without a usable channel stops the case with an alert
    to trace the debtor.
    """

    name: str
    kind: ActionKind
    via: Routes = attrs.field(converter=_routes)
    delay: Delay = after_due(0)
    guard: Guard | None = None
    template: str | None = None
    deadline_days: int | None = None
    optional: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum():
            raise PolicyError(
                f"step name must be an identifier like 'first_reminder', not {self.name!r}"
            )
        if self.kind not in ACTION_KINDS:
            kinds = ", ".join(ACTION_KINDS)
            raise PolicyError(f"step {self.name!r}: kind must be one of {kinds}, not {self.kind!r}")
        if not self.via.routes:
            raise PolicyError(f"step {self.name!r} needs at least one channel")
        if self.kind == "formal_notice" and any(r.channel == "sms" for r in self.via):
            raise PolicyError(
                f"step {self.name!r}: no SMS for a formal notice: a text proves no delivery "
                "and has no room for the legal wording; use pec or postal('raccomandata_ar')"
            )
        if self.kind == "formal_notice" and not self.via.legal_proof:
            weak = [r.describe() for r in self.via if not r.legal_proof]
            raise PolicyError(
                f"step {self.name!r}: a formal notice needs proof of delivery, but "
                f"{', '.join(weak)} gives none; use pec or postal('raccomandata_ar')"
            )
        if self.deadline_days is not None and self.deadline_days < 0:
            raise PolicyError(f"step {self.name!r}: deadline_days must not be negative")

    @property
    def template_name(self) -> str:
        return self.template or self.name

    def at(self, delay: Delay) -> Step:
        """When the step becomes due."""
        return attrs.evolve(self, delay=delay)

    def when(self, guard: Guard) -> Step:
        """Only for cases where ``guard`` holds; otherwise the step is passed over."""
        return attrs.evolve(self, guard=guard if self.guard is None else self.guard & guard)

    def via_(self, routes: Route | Routes) -> Step:
        return attrs.evolve(self, via=_routes(routes))

    def __rshift__(self, other: Step | Ladder) -> Ladder:
        return Ladder((self,)) >> other


def _steps(value: Iterable[Step]) -> tuple[Step, ...]:
    return tuple(value)


@attrs.frozen(repr=False)
class Ladder:
    """Steps in escalation order; level ``n`` is the ``n``-th step (counting from 1)."""

    steps: tuple[Step, ...] = attrs.field(converter=_steps)

    def __attrs_post_init__(self) -> None:
        names = [s.name for s in self.steps]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise PolicyError(f"step names must be unique in a ladder; repeated: {dupes}")
        for before, after in zip(self.steps, self.steps[1:], strict=False):
            if SEVERITY[after.kind] < SEVERITY[before.kind]:
                raise PolicyError(
                    f"step {after.name!r} ({after.kind}) is softer than {before.name!r} "
                    f"({before.kind}) before it: a case never steps down within an episode "
                    f"(order: {' < '.join(SEVERITY)})"
                )
        for step in self.steps:
            if step.kind == "notice" and step.delay.anchor == "due" and step.delay.days >= 0:
                raise PolicyError(
                    f"step {step.name!r}: a pre-due notice must come before the due date, "
                    f"e.g. .at(before_due(5)), not {step.delay!r}"
                )

    def __rshift__(self, other: Step | Ladder) -> Ladder:
        extra = (other,) if isinstance(other, Step) else other.steps
        return Ladder(self.steps + extra)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, level: int) -> Step:
        """The step at ``level`` (1-based)."""
        if not 1 <= level <= len(self.steps):
            raise IndexError(f"level {level} is outside this ladder (1..{len(self.steps)})")
        return self.steps[level - 1]

    def level_of(self, name: str) -> int:
        for i, step in enumerate(self.steps, start=1):
            if step.name == name:
                return i
        raise KeyError(f"no step named {name!r}")

    def __repr__(self) -> str:
        if len(self.steps) == 1:
            return f"Ladder(({self.steps[0]!r},))"
        return " >> ".join(repr(s) for s in self.steps)
