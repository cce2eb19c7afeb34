"""Delays: when a step becomes due for an item.

A delay starts from an anchor (the item's due date, its issue date, or the date of the item's
previous step), moves by calendar or business days, optionally to the end of that month, and
is optionally rolled onto a business day. Chain with methods, not ``+``: date arithmetic does
not commute ("end of month, then 10 days" is not "10 days, then end of month").

>>> from datetime import date
>>> from dunning.calendars import Calendar
>>> d = after_due(30).end_of_month().adjusted(Calendar("IT"))
>>> d
after_due(30).end_of_month().adjusted(Calendar('IT'))
>>> d.from_dates(due=date(2026, 4, 15), previous=None, issue=date(2026, 4, 1))
datetime.date(2026, 6, 1)
"""

from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import attrs

from .calendars import Calendar
from .errors import PolicyError

if TYPE_CHECKING:
    from .case import ItemState

__all__ = ["Delay", "after_due", "after_issue", "after_previous", "before_due"]

Anchor = Literal["due", "previous", "issue"]


@attrs.frozen(repr=False)
class Delay:
    """Use the factories `after_due`, `before_due`, `after_previous`, `after_issue`."""

    anchor: Anchor
    days: int
    business_days: Calendar | None = None
    month_end: bool = False
    calendar: Calendar | None = None
    roll: Literal["forward", "back"] = "forward"

    def __attrs_post_init__(self) -> None:
        if self.anchor not in ("due", "previous", "issue"):
            raise PolicyError(f"unknown delay anchor {self.anchor!r}")
        if not isinstance(self.days, int) or isinstance(self.days, bool):
            raise PolicyError(f"delay days must be an int, not {self.days!r}")

    def in_business_days(self, calendar: Calendar | None = None) -> Delay:
        """Count the days as business days of ``calendar`` (Italy by default)."""
        return attrs.evolve(self, business_days=calendar or Calendar("IT"))

    def end_of_month(self) -> Delay:
        """Then move to the last day of that month."""
        return attrs.evolve(self, month_end=True)

    def adjusted(self, calendar: Calendar, roll: Literal["forward", "back"] = "forward") -> Delay:
        """Finally roll onto a business day of ``calendar`` (forward or back)."""
        return attrs.evolve(self, calendar=calendar, roll=roll)

    def from_dates(self, *, due: date, previous: date | None, issue: date) -> date:
        """The date this delay gives for an item with these dates. Without a previous step,
        a delay after the previous step counts from the due date."""
        base = {"due": due, "issue": issue, "previous": previous or due}[self.anchor]
        if self.business_days is not None:
            base = self.business_days.add_business_days(base, self.days)
        else:
            base = base + timedelta(days=self.days)
        if self.month_end:
            base = base.replace(day=_cal.monthrange(base.year, base.month)[1])
        if self.calendar is not None:
            base = (
                self.calendar.roll_forward(base)
                if self.roll == "forward"
                else self.calendar.roll_back(base)
            )
        return base

    def due_for(self, item: ItemState) -> date:
        return self.from_dates(due=item.due_date, previous=item.level_date, issue=item.issue_date)

    def describe(self) -> str:
        anchor = {"due": "the due date", "previous": "the previous step", "issue": "issue"}
        unit = "business days" if self.business_days is not None else "days"
        if self.anchor == "due" and self.days < 0:
            text = f"{-self.days} {unit} before the due date"
        else:
            text = f"{self.days} {unit} after {anchor[self.anchor]}"
        if self.month_end:
            text += ", end of month"
        return text

    def __repr__(self) -> str:
        if self.anchor == "due" and self.days < 0:
            text = f"before_due({-self.days})"
        else:
            name = {"due": "after_due", "previous": "after_previous", "issue": "after_issue"}
            text = f"{name[self.anchor]}({self.days})"
        if self.business_days is not None:
            text += f".in_business_days({self.business_days!r})"
        if self.month_end:
            text += ".end_of_month()"
        if self.calendar is not None:
            roll = "" if self.roll == "forward" else f", roll={self.roll!r}"
            text += f".adjusted({self.calendar!r}{roll})"
        return text


def after_due(days: int = 0) -> Delay:
    """``days`` after the item's due date."""
    return Delay("due", days)


def before_due(days: int) -> Delay:
    """``days`` before the item's due date."""
    return Delay("due", -days)


def after_previous(days: int) -> Delay:
    """``days`` after the item's previous step (after its due date when there was none)."""
    return Delay("previous", days)


def after_issue(days: int) -> Delay:
    """``days`` after the invoice's issue date."""
    return Delay("issue", days)
