"""Calendars and delays: business days with Italian holidays, closures, chained delays."""

from __future__ import annotations

from datetime import date

import pytest

from dunning import (
    Calendar,
    Closure,
    PolicyError,
    after_due,
    after_issue,
    after_previous,
    before_due,
)

IT = Calendar("IT")


def test_italian_holidays_are_not_business_days() -> None:
    for holiday in [
        date(2026, 1, 1),
        date(2026, 1, 6),
        date(2026, 4, 6),
        date(2026, 4, 25),
        date(2026, 6, 2),
        date(2026, 8, 15),
        date(2026, 12, 8),
        date(2026, 12, 26),
    ]:
        assert not IT.is_business_day(holiday), holiday
    assert IT.is_business_day(date(2026, 4, 7))
    assert not IT.is_business_day(date(2026, 11, 22))  # a Sunday


def test_regional_holiday() -> None:
    # Whit Monday is a holiday in South Tyrol only.
    assert not Calendar("IT", subdiv="BZ").is_business_day(date(2026, 5, 25))
    assert IT.is_business_day(date(2026, 5, 25))


def test_closures_add_with_plus() -> None:
    cal = IT + Closure(date(2026, 8, 10), date(2026, 8, 21), "ferie")
    assert not cal.is_business_day(date(2026, 8, 12))
    assert cal.roll_forward(date(2026, 8, 10)) == date(2026, 8, 24)
    with pytest.raises(PolicyError, match="ends"):
        Closure(date(2026, 8, 21), date(2026, 8, 10))
    with pytest.raises(PolicyError, match="cannot add the DE calendar"):
        IT + Calendar("DE")


def test_business_day_arithmetic() -> None:
    # Tue 31 Mar 2026 + 5 business days skips Easter Monday (6 April).
    assert IT.add_business_days(date(2026, 3, 31), 5) == date(2026, 4, 8)
    assert IT.add_business_days(date(2026, 4, 8), -5) == date(2026, 3, 31)
    assert IT.roll_back(date(2026, 12, 27)) == date(2026, 12, 24)


DUE, ISSUE = date(2026, 4, 15), date(2026, 3, 16)


@pytest.mark.parametrize(
    ("delay", "previous", "expected"),
    [
        (after_due(0), None, DUE),
        (after_due(10), None, date(2026, 4, 25)),
        (after_due(10).adjusted(IT), None, date(2026, 4, 27)),  # Liberation Day, Sunday
        (before_due(5), None, date(2026, 4, 10)),
        (before_due(10).adjusted(IT, roll="back"), None, date(2026, 4, 3)),  # Sat 5 -> Fri 3
        (after_due(30).end_of_month(), None, date(2026, 5, 31)),
        (after_due(30).end_of_month().adjusted(IT), None, date(2026, 6, 1)),
        (after_previous(15), date(2026, 5, 1), date(2026, 5, 16)),
        (after_previous(15), None, date(2026, 4, 30)),  # no previous step: from the due date
        (after_previous(5).in_business_days(IT), date(2026, 4, 30), date(2026, 5, 8)),
        (after_issue(60).end_of_month(), None, date(2026, 5, 31)),
    ],
)
def test_delays(delay: object, previous: date | None, expected: date) -> None:
    assert delay.from_dates(due=DUE, previous=previous, issue=ISSUE) == expected  # type: ignore[attr-defined]


def test_delay_order_matters() -> None:
    a = after_due(10).end_of_month()
    assert a.from_dates(due=date(2026, 1, 25), previous=None, issue=ISSUE) == date(2026, 2, 28)
    assert after_due(0).end_of_month().from_dates(
        due=date(2026, 1, 25), previous=None, issue=ISSUE
    ) == date(2026, 1, 31)


def test_describe() -> None:
    assert before_due(5).describe() == "5 days before the due date"
    assert after_previous(15).describe() == "15 days after the previous step"
    assert after_due(3).in_business_days().describe() == "3 business days after the due date"


def test_operations_apply_in_the_order_chained() -> None:
    # "30 giorni fine mese + 10": 30 days, end of month, then 10 days
    d = after_issue(30).end_of_month().plus(10)
    assert d.from_dates(due=DUE, previous=None, issue=date(2026, 1, 15)) == date(2026, 3, 10)
    other = after_issue(30).plus(10).end_of_month()
    assert other.from_dates(due=DUE, previous=None, issue=date(2026, 1, 15)) == date(2026, 2, 28)
    assert repr(d) == "after_issue(30).end_of_month().plus(10)"
    assert d.describe() == "30 days after issue, end of month, then +10 days"
    after = after_previous(10).adjusted(IT).plus_business_days(1, IT)
    # Thu 30 April + 10 = Sunday 10 May -> Monday 11 May -> one business day later
    assert after.from_dates(due=DUE, previous=date(2026, 4, 30), issue=ISSUE) == date(2026, 5, 12)


def test_calendars_check_country_and_region() -> None:
    with pytest.raises(PolicyError, match="no holiday calendar for country 'XX'"):
        Calendar("XX")
    with pytest.raises(PolicyError, match="IT has no region 'ZZ'"):
        Calendar("IT", subdiv="ZZ")


def test_describe_singular() -> None:
    assert after_due(1).describe() == "1 day after the due date"
