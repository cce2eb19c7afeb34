"""Delays: when a step becomes due for an item.

A delay starts from an anchor (the item's due date, its issue date, or the date of the item's
previous step) and applies its operations **in the order they were chained**: move by calendar
days, move by business days, go to the end of the month, roll onto a business day. Chain with
methods, not ``+``: date arithmetic does not commute ("end of month, then 10 days" is not
"10 days, then end of month").

>>> from datetime import date
>>> from dunning.calendars import Calendar
>>> d = after_due(30).end_of_month().adjusted(Calendar("IT"))
>>> d
after_due(30).end_of_month().adjusted(Calendar('IT'))
>>> d.from_dates(due=date(2026, 4, 15), previous=None, issue=date(2026, 4, 1))
datetime.date(2026, 6, 1)

The Italian "30 giorni fine mese + 10" (30 days, end of month, then 10 more days):

>>> after_issue(30).end_of_month().plus(10).from_dates(
...     due=date(2026, 5, 10), previous=None, issue=date(2026, 4, 10))
datetime.date(2026, 6, 10)
"""

from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, TypeAlias

import attrs

from .calendars import Calendar
from .errors import PolicyError

if TYPE_CHECKING:
    from .case import ItemState

__all__ = [
    "Delay",
    "MonthEnd",
    "Roll",
    "Shift",
    "after_due",
    "after_issue",
    "after_previous",
    "before_due",
]

Anchor = Literal["due", "previous", "issue"]
_ANCHORS = ("due", "previous", "issue")


def _int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise PolicyError(f"{what} must be an int, not {value!r}")
    return value


@attrs.frozen
class Shift:
    """Move by ``days`` calendar days, or business days of ``calendar`` when given."""

    days: int
    calendar: Calendar | None = None

    def __attrs_post_init__(self) -> None:
        _int(self.days, "delay days")

    def apply(self, day: date) -> date:
        if self.calendar is not None:
            return self.calendar.add_business_days(day, self.days)
        return day + timedelta(days=self.days)


@attrs.frozen
class MonthEnd:
    """Move to the last day of the month."""

    def apply(self, day: date) -> date:
        return day.replace(day=_cal.monthrange(day.year, day.month)[1])


@attrs.frozen
class Roll:
    """Roll onto a business day of ``calendar``, ``forward`` or ``back``."""

    calendar: Calendar
    direction: Literal["forward", "back"] = "forward"

    def __attrs_post_init__(self) -> None:
        if self.direction not in ("forward", "back"):
            raise PolicyError(f"roll must be 'forward' or 'back', not {self.direction!r}")

    def apply(self, day: date) -> date:
        if self.direction == "forward":
            return self.calendar.roll_forward(day)
        return self.calendar.roll_back(day)


Op: TypeAlias = Shift | MonthEnd | Roll


def _ops(value: tuple[Op, ...] | list[Op]) -> tuple[Op, ...]:
    return tuple(value)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


@attrs.frozen(repr=False)
class Delay:
    """An anchor and the operations applied to it, in order.

    Build one with the factories `after_due`, `before_due`, `after_previous` and `after_issue`
    and chain `in_business_days`, `plus`, `plus_business_days`, `end_of_month`, `adjusted`.
    """

    anchor: Anchor
    ops: tuple[Op, ...] = attrs.field(converter=_ops)

    def __attrs_post_init__(self) -> None:
        if self.anchor not in _ANCHORS:
            raise PolicyError(f"unknown delay anchor {self.anchor!r}; use one of {_ANCHORS}")

    @property
    def days(self) -> int:
        """The first move, in days (negative before the anchor)."""
        first = self.ops[0] if self.ops else None
        return first.days if isinstance(first, Shift) else 0

    def _then(self, op: Op) -> Delay:
        return attrs.evolve(self, ops=(*self.ops, op))

    def in_business_days(self, calendar: Calendar | None = None) -> Delay:
        """Count the first move in business days of ``calendar`` (Italy by default)."""
        if not self.ops or not isinstance(self.ops[0], Shift):
            raise PolicyError("in_business_days() applies to the first move of a delay")
        first = attrs.evolve(self.ops[0], calendar=calendar or Calendar("IT"))
        return attrs.evolve(self, ops=(first, *self.ops[1:]))

    def plus(self, days: int) -> Delay:
        """Then move ``days`` calendar days."""
        return self._then(Shift(days))

    def plus_business_days(self, days: int, calendar: Calendar | None = None) -> Delay:
        """Then move ``days`` business days of ``calendar`` (Italy by default)."""
        return self._then(Shift(days, calendar or Calendar("IT")))

    def end_of_month(self) -> Delay:
        """Then move to the last day of that month."""
        return self._then(MonthEnd())

    def adjusted(self, calendar: Calendar, roll: Literal["forward", "back"] = "forward") -> Delay:
        """Then roll onto a business day of ``calendar`` (forward or back)."""
        return self._then(Roll(calendar, roll))

    def from_dates(self, *, due: date, previous: date | None, issue: date) -> date:
        """The date this delay gives for an item with these dates. Without a previous step,
        a delay after the previous step counts from the due date."""
        day = {"due": due, "issue": issue, "previous": previous or due}[self.anchor]
        for op in self.ops:
            day = op.apply(day)
        return day

    def due_for(self, item: ItemState) -> date:
        return self.from_dates(due=item.due_date, previous=item.level_date, issue=item.issue_date)

    def describe(self) -> str:
        """The delay in words, e.g. ``'15 days after the previous step, on a business day'``."""
        anchor = {"due": "the due date", "previous": "the previous step", "issue": "issue"}
        parts: list[str] = []
        for i, op in enumerate(self.ops):
            if isinstance(op, Shift):
                unit = "business day" if op.calendar is not None else "day"
                if i == 0:
                    where = "before" if op.days < 0 else "after"
                    parts.append(f"{_plural(abs(op.days), unit)} {where} {anchor[self.anchor]}")
                else:
                    parts.append(
                        f"then {'+' if op.days >= 0 else '-'}{_plural(abs(op.days), unit)}"
                    )
            elif isinstance(op, MonthEnd):
                parts.append("end of month")
            else:
                parts.append(
                    "on a business day"
                    if op.direction == "forward"
                    else "on the business day before"
                )
        if not parts or not isinstance(self.ops[0], Shift):
            parts.insert(0, f"from {anchor[self.anchor]}")
        return ", ".join(parts)

    def __repr__(self) -> str:
        names = {"due": "after_due", "previous": "after_previous", "issue": "after_issue"}
        ops = list(self.ops)
        first = Shift(0)
        if ops and isinstance(ops[0], Shift):
            first, ops = ops[0], ops[1:]
        if self.anchor == "due" and first.days < 0:
            text = f"before_due({-first.days})"
        else:
            text = f"{names[self.anchor]}({first.days})"
        if first.calendar is not None:
            text += f".in_business_days({first.calendar!r})"
        for op in ops:
            if isinstance(op, Shift):
                if op.calendar is None:
                    text += f".plus({op.days})"
                else:
                    text += f".plus_business_days({op.days}, {op.calendar!r})"
            elif isinstance(op, MonthEnd):
                text += ".end_of_month()"
            else:
                roll = "" if op.direction == "forward" else f", roll={op.direction!r}"
                text += f".adjusted({op.calendar!r}{roll})"
        return text


def after_due(days: int = 0) -> Delay:
    """``days`` after the item's due date."""
    return Delay("due", (Shift(_int(days, "after_due days")),))


def before_due(days: int) -> Delay:
    """``days`` before the item's due date."""
    return Delay("due", (Shift(-_int(days, "before_due days")),))


def after_previous(days: int) -> Delay:
    """``days`` after the item's previous step (after its due date when there was none)."""
    return Delay("previous", (Shift(_int(days, "after_previous days")),))


def after_issue(days: int) -> Delay:
    """``days`` after the invoice's issue date."""
    return Delay("issue", (Shift(_int(days, "after_issue days")),))
