"""What a policy answers for one case on one date: a `Decision`.

A decision names the case's **next step** (one per case: the debtor escalates, not the
invoice), the date it becomes due, the `Hold`s that keep it back, and for every undisputed
open item an `ItemPlan` saying whether that step may claim it (an item not yet due, or still
in its payment-in-transit grace, is never claimed). Rules (`dunning.rules`) adjust a decision:
hold the step, hold items, move the due date, exclude channels, raise alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import attrs

from .case import Case, ItemState
from .money import Money
from .proposal import Alert
from .reasons import Reason, _values
from .steps import Step

if TYPE_CHECKING:
    from .policy import Policy

__all__ = ["Decision", "Hold", "ItemPlan", "Rule"]

Mode = Literal["episode", "notice", "instalment"]


@attrs.frozen
class Hold:
    """Something that keeps a step or an item back until ``until`` (forever when None):
    ``reason`` in English, ``code`` and ``values`` for other languages and screens."""

    until: date | None
    reason: str
    code: str = ""
    values: tuple[tuple[str, object], ...] = attrs.field(default=(), converter=_values)

    def active(self, on: date) -> bool:
        return self.until is None or self.until > on

    @property
    def as_reason(self) -> Reason:
        return Reason(self.code or "hold", self.reason, self.values)


@attrs.frozen
class ItemPlan:
    """One undisputed open item as the policy sees it: what holds it back from being claimed.

    In an episode an item may be claimed once it is past its due date and nothing holds it;
    a pre-due notice may announce it once nothing holds it and it is not yet due.
    """

    item: ItemState
    holds: tuple[Hold, ...] = ()
    notes: tuple[str, ...] = ()

    def claimable(self, on: date, mode: Mode = "episode") -> bool:
        if mode == "instalment":  # a notice before a payment plan's instalment: the plan's items
            return not self.active_holds(on)
        if mode == "episode" and self.item.due_date >= on:
            return False
        if mode == "notice" and self.item.due_date <= on:
            return False
        return not self.active_holds(on)

    def claimable_from(self, on: date) -> date | None:
        """The first day (from ``on``) the item may be claimed in an episode, or None."""
        days = [self.item.due_date + timedelta(days=1), on]
        for hold in self.active_holds(on):
            if hold.until is None:
                return None
            days.append(hold.until)
        return max(days)

    def active_holds(self, on: date) -> tuple[Hold, ...]:
        return tuple(h for h in self.holds if h.active(on))

    def hold(self, until: date | None, reason: str, code: str = "", **values: object) -> ItemPlan:
        return attrs.evolve(self, holds=(*self.holds, Hold(until, reason, code, values)))

    def note(self, text: str) -> ItemPlan:
        return attrs.evolve(self, notes=(*self.notes, text))


@attrs.frozen
class Decision:
    """A policy's answer for one case on one date.

    ``step`` is the case's next step (None when there is none: ladder complete, nothing
    to announce), at ladder position ``level``, due on ``due_on``; ``holds`` keep it back;
    ``items`` are the undisputed open items with what holds each back; ``mode`` is
    ``"episode"`` (something is overdue: the case escalates) or ``"notice"`` (nothing is
    overdue: at most a pre-due notice) or ``"instalment"`` (a payment plan is kept: at most a
    courtesy notice before its next instalment, ``instalment``). ``excluded`` are channels the
    step may not use;
    ``alerts`` what a person must know or do; ``recheck`` a day to look again when nothing
    else is dated; ``stop`` ends the decision with a reason (e.g. below the minimum balance).
    """

    policy: str
    step: Step | None = None
    level: int = 0
    due_on: date | None = None
    items: tuple[ItemPlan, ...] = ()
    holds: tuple[Hold, ...] = ()
    excluded: frozenset[str] = frozenset()
    alerts: tuple[Alert, ...] = ()
    mode: Mode = "episode"
    reasons: tuple[Reason, ...] = ()
    """What the policy noted, as data (`dunning.reasons.Reason`); `notes` is their text."""
    instalment: tuple[date, Money] | None = None
    recheck: date | None = None
    stop: str | None = None

    # -- editing (rules use these) ------------------------------------------------------------

    def map(self, func: Callable[[ItemPlan], ItemPlan]) -> Decision:
        """Apply ``func`` to every item plan."""
        return attrs.evolve(self, items=tuple(func(p) for p in self.items))

    def hold(self, until: date | None, reason: str, code: str = "", **values: object) -> Decision:
        """Keep the step back until ``until`` (forever when None), for ``reason`` (with its
        ``code`` and ``values`` for other languages, see `dunning.reasons`)."""
        return attrs.evolve(self, holds=(*self.holds, Hold(until, reason, code, values)))

    @property
    def notes(self) -> tuple[str, ...]:
        """The policy's notes, as sentences."""
        return tuple(r.text for r in self.reasons)

    def note(self, text: str, code: str = "", **values: object) -> Decision:
        """Explain something (``code`` and ``values`` for other languages)."""
        return attrs.evolve(self, reasons=(*self.reasons, Reason(code or "note", text, values)))

    def without_notes(self, keep: Callable[[str], bool]) -> Decision:
        """Only the notes for which ``keep`` is true."""
        return attrs.evolve(self, reasons=tuple(r for r in self.reasons if keep(r.text)))

    def exclude(self, channels: Iterable[str], why: str) -> Decision:
        extra = frozenset(channels) - self.excluded
        if not extra:
            return self
        listed = ", ".join(sorted(extra))
        return attrs.evolve(self, excluded=self.excluded | extra).note(
            f"{why}: {listed}", "channel_capped", channels=listed
        )

    def alert(self, case: Case, kind: str, why: str, on: date, item: str = "") -> Decision:
        """Add an alert for a person about ``case``."""
        new = Alert(case.debtor_id, case.currency, item, kind, on, why)
        if new in self.alerts:
            return self
        return attrs.evolve(self, alerts=(*self.alerts, new))

    def check_again(self, day: date) -> Decision:
        """Look at the case again on ``day`` when nothing earlier is dated."""
        day = day if self.recheck is None else min(day, self.recheck)
        return attrs.evolve(self, recheck=day)

    def with_step(self, step: Step | None, level: int, due_on: date | None) -> Decision:
        return attrs.evolve(self, step=step, level=level, due_on=due_on)

    # -- reading (the engine uses these) ------------------------------------------------------

    def active_holds(self, on: date) -> tuple[Hold, ...]:
        return tuple(h for h in self.holds if h.active(on))

    def claimed(self, on: date) -> tuple[ItemState, ...]:
        """The items the step would claim on ``on``."""
        return tuple(p.item for p in self.items if p.claimable(on, self.mode))

    def ready(self, on: date) -> bool:
        """Whether the step is due on ``on``, nothing holds it and it has items to claim."""
        if self.step is None or self.due_on is None or self.due_on > on:
            return False
        return not self.active_holds(on) and bool(self.claimed(on))

    def next_date(self, on: date) -> date | None:
        """The earliest day the step could go out (None if nothing is dated)."""
        dated: list[date] = [] if self.recheck is None else [self.recheck]
        if self.step is None or self.due_on is None:
            return min(dated, default=None)
        days = [self.due_on, on + timedelta(days=1)]
        for hold in self.active_holds(on):
            if hold.until is None:
                return min(dated, default=None)
            days.append(hold.until)
        firsts = [d for p in self.items if (d := self._first(p, on)) is not None]
        if not firsts:
            return min(dated, default=None)
        days.append(min(firsts))
        return min([max(days), *dated])

    def _first(self, plan: ItemPlan, on: date) -> date | None:
        if self.mode == "instalment":
            return on if not plan.active_holds(on) else plan.claimable_from(on)
        if self.mode == "notice":
            if plan.item.due_date <= on:
                return None
            untils = [h.until for h in plan.active_holds(on)]
            if any(u is None for u in untils):
                return None
            day = max([on, *(u for u in untils if u is not None)])
            return day if day < plan.item.due_date else None
        return plan.claimable_from(on)


class Rule:
    """A cross-cutting rule: adjusts the decision of a policy for one case."""

    def adjust(self, case: Case, on: date, decision: Decision, policy: Policy) -> Decision:
        raise NotImplementedError

    def channels_used_up(self, case: Case, on: date, planned: Iterable[str]) -> frozenset[str]:
        """Channels this rule forbids once ``planned`` (channels of actions already planned
        for the case in this run, e.g. per invoice) are added. None by default."""
        return frozenset()
