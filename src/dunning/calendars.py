"""Business-day calendars: weekends, national (and regional) holidays, company closures.

Holidays come from the ``holidays`` package. Calendars combine with ``+``:

>>> from datetime import date
>>> cal = Calendar("IT") + Closure(date(2026, 8, 10), date(2026, 8, 21), "ferie")
>>> cal.is_business_day(date(2026, 8, 12)), cal.is_business_day(date(2026, 12, 8))
(False, False)
>>> cal.roll_forward(date(2026, 12, 25))  # Christmas, then Santo Stefano, then Sunday
datetime.date(2026, 12, 28)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import attrs
import holidays

from .errors import PolicyError

__all__ = ["Calendar", "Closure", "ContactHours"]


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    try:
        found = holidays.country_holidays(country, subdiv=subdiv, years=year)
    except NotImplementedError:
        raise PolicyError(f"the holidays package has no calendar for country {country!r}") from None
    return frozenset(found.keys())


@lru_cache(maxsize=1)
def _supported() -> dict[str, list[str]]:
    found: dict[str, list[str]] = holidays.list_supported_countries()
    return found


@attrs.frozen
class ContactHours:
    """When a debtor may be contacted, in the debtor's own time zone: from ``start`` to
    ``end`` (default 08:00–21:00, the window of US Regulation F, 12 CFR 1006.6(b)(1)(i)).
    For a debtor who may be in several time zones, `common_window` gives the part of a day
    allowed in all of them."""

    start: time = time(8, 0)
    end: time = time(21, 0)

    def __attrs_post_init__(self) -> None:
        if not self.start < self.end:
            raise PolicyError(f"contact hours must start before they end: {self.start}-{self.end}")

    def window(self, day: date, timezone: str) -> tuple[datetime, datetime]:
        """The allowed window on ``day`` as aware datetimes in ``timezone``."""
        zone = ZoneInfo(timezone)
        return (
            datetime.combine(day, self.start, tzinfo=zone),
            datetime.combine(day, self.end, tzinfo=zone),
        )

    def common_window(self, day: date, zones: Iterable[str]) -> tuple[datetime, datetime] | None:
        """The part of ``day`` that lies within the hours in every one of ``zones`` (the
        debtor may be in any of them: 12 CFR § 1006.6(b)(1)(i) wants a time convenient in
        all), as aware datetimes in the first zone; None when no such time exists.

        >>> from datetime import date
        >>> start, end = ContactHours().common_window(
        ...     date(2026, 7, 1), ["America/Chicago", "America/Denver"])
        >>> f"{start:%H:%M}-{end:%H:%M} {start.tzinfo}"
        '09:00-21:00 America/Chicago'
        >>> ContactHours().common_window(date(2026, 7, 1), ["Pacific/Honolulu", "Asia/Tokyo"])
        """
        names = tuple(zones)
        if not names:
            raise ValueError("common_window needs at least one time zone")
        windows = [self.window(day, name) for name in names]
        start = max(w[0].astimezone(UTC) for w in windows)
        end = min(w[1].astimezone(UTC) for w in windows)
        if start >= end:
            return None
        first = ZoneInfo(names[0])
        return start.astimezone(first), end.astimezone(first)

    def allows(self, moment: datetime, timezone: str) -> bool:
        """Whether an aware ``moment`` falls inside the window in ``timezone``."""
        if moment.tzinfo is None:
            raise ValueError("contact hours need an aware datetime (with a time zone)")
        local = moment.astimezone(ZoneInfo(timezone))
        return self.start <= local.time() < self.end

    def next_allowed(self, moment: datetime, timezone: str) -> datetime:
        """``moment`` if it is allowed, else the start of the next window (in ``timezone``)."""
        if self.allows(moment, timezone):
            return moment
        local = moment.astimezone(ZoneInfo(timezone))
        day = local.date() if local.time() < self.start else local.date() + timedelta(days=1)
        return self.window(day, timezone)[0]


@attrs.frozen
class Closure:
    """Days the creditor is closed, from ``start`` to ``end`` inclusive."""

    start: date
    end: date
    name: str = ""

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise PolicyError(f"closure {self.name!r} ends ({self.end}) before it starts")

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def _closures(value: Iterable[Closure]) -> tuple[Closure, ...]:
    return tuple(value)


def _days(value: Iterable[int]) -> frozenset[int]:
    return frozenset(value)


@attrs.frozen(repr=False)
class Calendar:
    """Working days of a country (ISO 3166 code), with an optional region (``subdiv``,
    e.g. ``"BZ"`` for South Tyrol) and extra closures.

    ``Calendar(None)`` knows weekends only.
    """

    country: str | None = "IT"
    subdiv: str | None = None
    closures: tuple[Closure, ...] = attrs.field(default=(), converter=_closures)
    weekend: frozenset[int] = attrs.field(default=frozenset({5, 6}), converter=_days)

    def __attrs_post_init__(self) -> None:
        if self.country is None:
            if self.subdiv is not None:
                raise PolicyError("a calendar with a region (subdiv) needs a country")
            return
        known = _supported()
        if self.country not in known:
            raise PolicyError(
                f"no holiday calendar for country {self.country!r} "
                "(use an ISO 3166 code such as 'IT', 'DE', 'FR')"
            )
        if self.subdiv is not None and self.subdiv not in known[self.country]:
            regions = ", ".join(known[self.country]) or "none"
            raise PolicyError(f"{self.country} has no region {self.subdiv!r}; known: {regions}")

    def __repr__(self) -> str:
        args = [repr(self.country)]
        if self.subdiv is not None:
            args.append(f"subdiv={self.subdiv!r}")
        if self.closures:
            args.append(f"closures={self.closures!r}")
        if self.weekend != frozenset({5, 6}):
            args.append(f"weekend=frozenset({sorted(self.weekend)!r})")
        return f"Calendar({', '.join(args)})"

    def __add__(self, other: object) -> Calendar:
        if isinstance(other, Closure):
            return attrs.evolve(self, closures=(*self.closures, other))
        if isinstance(other, Calendar):
            if other.country not in (None, self.country) or other.subdiv not in (
                None,
                self.subdiv,
            ):
                raise PolicyError(
                    f"cannot add the {other.country} calendar to the {self.country} one"
                )
            return attrs.evolve(
                self,
                closures=(*self.closures, *other.closures),
                weekend=self.weekend | other.weekend,
            )
        return NotImplemented

    @classmethod
    def for_debtor(cls, country: str | None, region: str | None = None) -> Calendar | None:
        """The calendar of a debtor's country (and region, e.g. an Italian province, when the
        holidays package knows it), or None when the country is unknown."""
        known = _supported()
        if not country or country not in known:
            return None
        subdiv = region if region and region in known[country] else None
        return cls(country, subdiv=subdiv)

    def is_holiday(self, day: date) -> bool:
        if self.country is not None and day in _public_holidays(
            self.country, self.subdiv, day.year
        ):
            return True
        return any(day in c for c in self.closures)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and not self.is_holiday(day)

    def roll_forward(self, day: date) -> date:
        """``day`` if it is a business day, else the next one."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def roll_back(self, day: date) -> date:
        """``day`` if it is a business day, else the previous one."""
        while not self.is_business_day(day):
            day -= timedelta(days=1)
        return day

    def add_business_days(self, day: date, count: int) -> date:
        """Move ``count`` business days from ``day`` (backwards when negative)."""
        step = timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
        return day
