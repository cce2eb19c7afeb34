"""Proposals: what the engine suggests for a day, ready to review, edit, store and act on."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

from .events import ActionPlanned, Event
from .money import Money
from .reasons import Reason, render_all
from .serialize import from_data, to_data

__all__ = ["Action", "Alert", "Proposal", "Timeline", "Waiting"]


@attrs.frozen
class Action:
    """One thing to do for one debtor on ``date`` (the ``as_of`` of its plan).

    ``items`` lists the items the action **claims** (each already due and past its grace);
    ``amount`` is what they leave open; ``upcoming`` the other open items, which a message
    may mention as coming due; ``level`` the ladder position of ``step`` (the case's, not an
    item's: the debtor escalates as a whole); ``levels`` pairs each claimed item with that
    level; ``deadline`` the new payment deadline (if the step sets one); ``why`` the
    explanation; ``key`` the idempotency key.
    """

    date: dt.date
    debtor_id: str
    step: str
    level: int
    kind: str
    channel: str
    items: tuple[str, ...]
    amount: Money
    deadline: dt.date | None
    why: str
    service: str | None = None
    template: str = ""
    policy: str = ""
    key: str = ""
    levels: tuple[tuple[str, int], ...] = ()
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    """The window of the day the action may be carried out in (in the debtor's time zone; when
    the debtor may be in several, allowed in every one, shown in the first), when the
    policy sets `contact_hours`."""
    upcoming: tuple[str, ...] = ()
    """Open items the message may mention without claiming them (not yet due, still in their
    payment-in-transit grace, or, for a formal notice, not reminded yet): not in ``amount``."""
    instalment: tuple[dt.date, Money] | None = None
    """For a courtesy notice under a payment plan: the instalment (date, amount) it announces
    (``deadline`` is that date)."""
    reasons: tuple[Reason, ...] = attrs.field(default=(), eq=False)
    """``why`` as data: one `dunning.reasons.Reason` (code, values, English text) per clause,
    to render in another language with `Reason.render`. Not part of equality."""

    def why_in(self, locale: str) -> str:
        """``why`` in ``locale``'s language (English where the catalog has no sentence)."""
        return render_all(self.reasons, locale) if self.reasons else self.why

    @property
    def currency(self) -> str:
        return self.amount.currency

    @property
    def leading_items(self) -> tuple[str, ...]:
        """The items this action claims at its level (all of ``items``)."""
        return tuple(key for key, level in self.levels if level == self.level)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``amount`` is a decimal string beside ``currency``."""
        data: dict[str, Any] = to_data(self)
        data["amount"] = str(self.amount.amount)
        data["currency"] = self.amount.currency
        data["levels"] = [list(pair) for pair in self.levels]
        data["reasons"] = [
            {"code": r.code, "text": r.text, "values": {k: to_data(v) for k, v in r.values}}
            for r in self.reasons
        ]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        """Rebuild an action written by `to_dict`."""
        data = dict(data)
        if not isinstance(data.get("amount"), dict):
            data["amount"] = {"amount": data["amount"], "currency": data.pop("currency")}
        data.pop("currency", None)
        reasons = data.pop("reasons", None) or []
        data["reasons"] = []
        result: Action = from_data(data, cls)
        result = attrs.evolve(
            result,
            reasons=tuple(Reason(r["code"], r["text"], r.get("values", {})) for r in reasons),
        )
        return result

    def event(self) -> ActionPlanned:
        """The event that records this action as planned."""
        return ActionPlanned(
            date=self.date,
            debtor_id=self.debtor_id,
            key=self.key,
            step=self.step,
            level=self.level,
            kind=self.kind,
            channel=self.channel,
            items=self.items,
            levels=self.levels,
            amount=self.amount,
            deadline=self.deadline,
            service=self.service,
            upcoming=self.upcoming,
        )


@attrs.frozen
class Alert:
    """Something a person should know about a case, e.g. an item close to its limitation date
    (``kind="limitation"``, ``date`` = the day it runs out)."""

    debtor_id: str
    currency: str
    item: str
    kind: str
    date: dt.date
    why: str
    topic: str = ""
    """What alerts of different debtors have in common when one piece of advice settles them
    all (a missing reference rate: ``"no it-231 rate for 2026-H2"``); empty when none."""
    advice: str = ""
    """What to do about it, on its own (``why`` says it too, for this debtor)."""


@attrs.frozen
class Waiting:
    """A debtor that gets nothing today: why not, and when something is next due."""

    debtor_id: str
    currency: str
    why: str
    next_date: dt.date | None = None
    reasons: tuple[Reason, ...] = attrs.field(default=(), eq=False)
    """``why`` as data (see `Action.reasons`)."""

    def why_in(self, locale: str) -> str:
        """``why`` in ``locale``'s language (English where the catalog has no sentence)."""
        return render_all(self.reasons, locale) if self.reasons else self.why


def _table(actions: tuple[Action, ...], locale: str | None) -> str:
    headers = ["date", "debtor", "lvl", "step", "kind", "channel", "items", "amount", "deadline"]
    rows = [
        [
            a.date.isoformat(),
            a.debtor_id,
            str(a.level),
            a.step,
            a.kind,
            a.channel + (f" ({a.service})" if a.service else ""),
            ", ".join(a.items)
            if len(a.items) <= 3
            else f"{', '.join(a.items[:2])} +{len(a.items) - 2}",
            a.amount.format(locale) if locale else str(a.amount),
            a.deadline.isoformat() if a.deadline else "",
        ]
        for a in actions
    ]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    right = {2, 7}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


@attrs.frozen
class Proposal:
    """The actions planned for ``as_of``, and the debtors waiting (with why and until when).

    A proposal is a value: `filter`, `drop` and `hold` return edited copies. Record what you
    carry out with `events` so the next run knows.
    """

    as_of: dt.date
    actions: tuple[Action, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    alerts: tuple[Alert, ...] = ()

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    def __getitem__(self, index: int) -> Action:
        return self.actions[index]

    def filter(self, keep: Callable[[Action], bool]) -> Proposal:
        """Only the actions for which ``keep`` is true (the rest are dropped)."""
        return attrs.evolve(self, actions=tuple(a for a in self.actions if keep(a)))

    def drop(self, action: Action | str) -> Proposal:
        """Without one action (given itself or by its key)."""
        key = action if isinstance(action, str) else action.key
        if not any(a.key == key for a in self.actions):
            raise KeyError(f"no action with key {key!r} in this proposal")
        return self.filter(lambda a: a.key != key)

    def hold(self, debtor_id: str, reason: str = "held by reviewer") -> Proposal:
        """Without the actions for ``debtor_id``; they are listed as waiting instead."""
        held = [a for a in self.actions if a.debtor_id == debtor_id]
        if not held:
            raise KeyError(f"no action for debtor {debtor_id!r} in this proposal")
        waits = tuple(Waiting(a.debtor_id, a.currency, f"{reason} ({a.step})") for a in held)
        return attrs.evolve(
            self,
            actions=tuple(a for a in self.actions if a.debtor_id != debtor_id),
            waiting=self.waiting + waits,
        )

    def for_debtor(self, debtor_id: str) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.debtor_id == debtor_id)

    def events(self) -> tuple[ActionPlanned, ...]:
        """`ActionPlanned` events recording these actions, to pass as history next time."""
        return tuple(a.event() for a in self.actions)

    def to_json(self, indent: int | None = 2) -> str:
        """The actions as a JSON list (see `Action.to_dict`)."""
        return json.dumps([a.to_dict() for a in self.actions], indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, as_of: dt.date | None = None) -> Proposal:
        actions = tuple(Action.from_dict(d) for d in json.loads(text))
        day = as_of or (actions[0].date if actions else None)
        if day is None:
            raise ValueError("an empty proposal needs as_of")
        return cls(day, actions)

    def table(self, locale: str | None = None) -> str:
        """The actions as a plain-text table."""
        return _table(self.actions, locale)


def _story_line(event: Event, locale: str | None) -> str:
    def money(m: Money) -> str:
        return m.format(locale) if locale else str(m)

    if isinstance(event, ActionPlanned):
        via = event.channel + (f" {event.service}" if event.service else "")
        text = (
            f"{event.step} ({event.kind}, {via}): {money(event.amount)} on {', '.join(event.items)}"
        )
        if event.upcoming:
            text += f"; also open, not claimed: {', '.join(event.upcoming)}"
        if event.deadline:
            text += f"; pay by {event.deadline}"
        return text
    name = type(event).__name__
    if name == "PaymentReceived":
        pay = event.payment  # type: ignore[attr-defined]
        return f"paid {money(pay.amount)}" + (f" ({pay.reference})" if pay.reference else "")
    if name == "DeliveryFailed":
        return f"delivery failed ({event.channel}: {event.reason})"  # type: ignore[attr-defined]
    if name in ("PlanAgreed", "DebtorReplied", "DisputeOpened", "DisputeResolved", "PromiseToPay"):
        return name
    return ""


@attrs.frozen
class Timeline:
    """What `dunning.simulate` planned day by day."""

    start: dt.date
    end: dt.date
    actions: tuple[Action, ...]
    events: tuple[Event, ...] = ()

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    def for_debtor(self, debtor_id: str) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.debtor_id == debtor_id)

    def table(self, locale: str | None = None) -> str:
        return _table(self.actions, locale)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps([a.to_dict() for a in self.actions], indent=indent, ensure_ascii=False)

    def story(self, debtor_id: str, facts: Iterable[Event] = (), locale: str | None = None) -> str:
        """What ``debtor_id`` received, one line per contact, as the debtor would read it:
        the step, the channel, what it claims, what it mentions as coming due, and the new
        deadline; with the payments, replies, plans and disputes of the debtor in between
        (give the portfolio's as ``facts``, e.g. ``portfolio.events_of(debtor_id)``)."""
        lines = []
        mine = [e for e in (*facts, *self.events) if e.debtor_id == debtor_id]
        for event in sorted(mine, key=lambda e: (e.date, e.priority)):
            line = _story_line(event, locale)
            if line:
                lines.append(f"{event.date}  {line}")
        return "\n".join(lines)
