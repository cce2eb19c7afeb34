"""Contact rules: hours of the day in the debtor's time zone, and Regulation F call limits."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest

from dunning import (
    ContactHours,
    Debtor,
    DebtorReplied,
    Policy,
    PolicyError,
    Proposal,
    Step,
    after_due,
    after_previous,
    call_limits,
    email,
    phone,
    plan,
    simulate,
)
from helpers import eur, invoice, portfolio

HOURS = ContactHours()  # 08:00-21:00


def test_window_is_in_the_debtors_time_zone_across_dst() -> None:
    before, _ = HOURS.window(date(2026, 3, 7), "America/New_York")
    start, end = HOURS.window(date(2026, 3, 8), "America/New_York")  # DST began at 02:00
    assert before.utcoffset() == timedelta(hours=-5)
    assert start.utcoffset() == end.utcoffset() == timedelta(hours=-4)
    assert (start.hour, end.hour) == (8, 21)


@pytest.mark.parametrize(
    ("utc", "zone", "allowed"),
    [
        (datetime(2026, 7, 1, 12, 0), "Europe/Rome", True),  # 14:00 in Rome
        (datetime(2026, 7, 1, 19, 30), "Europe/Rome", False),  # 21:30 in Rome
        (datetime(2026, 7, 1, 6, 0), "Europe/Rome", True),  # 08:00 exactly
        (datetime(2026, 7, 2, 2, 0), "America/Los_Angeles", True),  # 19:00 the day before
        (datetime(2026, 7, 1, 11, 59), "America/New_York", False),  # 07:59
    ],
)
def test_allows(utc: datetime, zone: str, allowed: bool) -> None:
    assert HOURS.allows(utc.replace(tzinfo=UTC), zone) is allowed


def test_next_allowed() -> None:
    late = datetime(2026, 7, 1, 20, 0, tzinfo=UTC)  # 22:00 in Rome
    assert HOURS.next_allowed(late, "Europe/Rome").isoformat() == "2026-07-02T08:00:00+02:00"
    early = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)  # 06:00 in Rome
    assert HOURS.next_allowed(early, "Europe/Rome").isoformat() == "2026-07-01T08:00:00+02:00"
    with pytest.raises(ValueError, match="aware"):
        HOURS.allows(datetime(2026, 7, 1, 12, 0), "Europe/Rome")
    with pytest.raises(PolicyError, match="start before they end"):
        ContactHours(time(21), time(8))


def test_actions_carry_the_window_and_keep_it_in_json() -> None:
    debtor = Debtor(
        "U1",
        "Jane Doe",
        kind="consumer",
        country="US",
        locale="en_US",
        timezone="America/Chicago",
        email="jane@example.com",
        phone="+13125550100",
    )
    pf = portfolio([debtor], [invoice("F1", "U1", date(2026, 3, 10))])
    policy = Policy(
        Step("first", "reminder", via=email).at(after_due(1)), name="us", contact_hours=HOURS
    )
    (action,) = plan(pf, policy, date(2026, 3, 11))
    assert action.not_before is not None
    assert action.not_after is not None
    assert action.not_before.isoformat() == "2026-03-11T08:00:00-05:00"
    assert action.not_after.isoformat() == "2026-03-11T21:00:00-05:00"
    assert "between 08:00 and 21:00 America/Chicago" in action.why
    data = json.loads(Proposal((date(2026, 3, 11)), (action,)).to_json())
    assert data[0]["not_before"] == "2026-03-11T08:00:00-05:00"
    assert Proposal.from_json(json.dumps(data)).actions == (action,)


CALLS = Policy(
    Step("call_1", "call", via=phone).at(after_due(1))
    >> Step("call_2", "call", via=phone).at(after_previous(1))
    >> Step("call_3", "call", via=phone).at(after_previous(1))
    >> Step("call_4", "call", via=phone).at(after_previous(1)),
    rules=[call_limits(max_calls=2, days=7, after_conversation_days=7)],
    name="calls",
)


def test_call_limits_cap_calls_in_a_rolling_window() -> None:
    debtor = Debtor("U1", "Jane Doe", kind="consumer", phone="+13125550100")
    pf = portfolio([debtor], [invoice("F1", "U1", date(2026, 3, 10))])
    days = [a.date.day for a in simulate(pf, CALLS, date(2026, 3, 10), date(2026, 3, 31))]
    assert days == [11, 12, 18, 19]  # two calls, then the 7-day window must roll past them


def test_no_call_within_seven_days_after_a_conversation() -> None:
    debtor = Debtor("U1", "Jane Doe", kind="consumer", phone="+13125550100")
    talk = DebtorReplied(date(2026, 3, 11), "U1", "will pay next week", channel="phone")
    pf = portfolio([debtor], [invoice("F1", "U1", date(2026, 3, 10))], events=[talk])
    timeline = simulate(pf, CALLS, date(2026, 3, 10), date(2026, 3, 31))
    assert timeline.actions[0].date == date(2026, 3, 19)  # 8 days after the conversation
    assert eur("1000.00") == timeline.actions[0].amount
