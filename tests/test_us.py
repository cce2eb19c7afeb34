"""The US preset: Regulation F's contact hours and call limits on a consumer collection, the
consumer's time zone(s), and the collector's variant that opens with the validation notice."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning import (
    Calendar,
    ContactHours,
    Debtor,
    DebtorReplied,
    Invoice,
    Money,
    Policy,
    PolicyError,
    PostalAddress,
    Step,
    after_due,
    phone,
    plan,
    simulate,
)
from dunning.policies import load, us
from dunning.steps import PROVEN_POSTAL_SERVICES
from dunning.testing import run_case_machine
from dunning.testing.stateful import DEBTORS
from dunning.timezones import US_STATE_ZONES, US_ZONES
from helpers import portfolio

JANE = Debtor(
    "U1",
    "Jane Doe",
    kind="consumer",
    country="US",
    locale="en_US",
    timezone="America/Chicago",
    email="jane@example.com",
    phone="+13125550100",
    address=PostalAddress(["1 Main St"], "60601", "Chicago", "IL", "US"),
)
BILL = Invoice.single("INV-1", "U1", date(2026, 3, 1), date(2026, 3, 31), Money("800.00", "USD"))


def test_sequence_and_windows() -> None:
    timeline = simulate(
        portfolio([JANE], [BILL]), us.regulation_f(), date(2026, 3, 1), date(2026, 8, 31)
    )
    assert [a.step for a in timeline] == [
        "courtesy_notice",
        "reminder_1",
        "reminder_2",
        "call",
        "final_demand",
        "placement",
    ]
    final = next(a for a in timeline if a.kind == "formal_notice")
    assert (final.channel, final.service) == ("postal", "certified_rr")
    assert final.service in PROVEN_POSTAL_SERVICES
    assert final.not_before is None  # a letter has no time of day
    call = next(a for a in timeline if a.kind == "call")
    assert call.not_before is not None
    assert call.not_before.isoformat().endswith("T08:00:00-05:00")


def test_only_for_consumers() -> None:
    business = attrs.evolve(JANE, kind="business")
    proposal = plan(portfolio([business], [BILL]), us.regulation_f(), date(2026, 5, 1))
    assert len(proposal) == 0
    assert "debtor is business, not consumer" in proposal.waiting[0].why


def test_no_call_within_a_week_of_a_conversation() -> None:
    quiet = simulate(
        portfolio([JANE], [BILL]), us.regulation_f(), date(2026, 3, 1), date(2026, 7, 31)
    )
    planned = next(a for a in quiet if a.kind == "call").date
    talk = DebtorReplied(planned, "U1", "will call back", channel="phone")
    pf = portfolio([JANE], [BILL], events=[talk])
    timeline = simulate(pf, us.regulation_f(), date(2026, 3, 1), date(2026, 7, 31))
    call = next(a for a in timeline if a.kind == "call")
    assert (call.date - planned).days >= 8
    assert "telephone conversation" not in call.why  # the hold is over when the call happens


def test_parameters_are_checked_and_loadable_by_name() -> None:
    with pytest.raises(PolicyError, match="regulation_f: cadence_days must be between 7 and 30"):
        us.regulation_f(cadence_days=3)
    assert load("us.regulation_f") == us.regulation_f()


def test_case_machine_on_the_us_preset() -> None:
    assert any(d.kind == "consumer" for d in DEBTORS)
    run_case_machine(us.regulation_f(), settings(stateful_step_count=30, max_examples=100))


# -- the consumer's time zone(s): 12 CFR § 1006.6(b)(1)(i) ----------------------------------
#
# "Absent knowledge of circumstances to the contrary, a debt collector must assume that a
# convenient time for communicating with a consumer is after 8:00 a.m. and before 9:00 p.m.
# local time at the consumer's location"; when the consumer may be in more than one time
# zone, the time must be convenient in every one of them.


def _us(state: str | None = None, **kw: object) -> Debtor:
    """JANE without her time zone, living in ``state`` (no postal address when None)."""
    address = None
    if state is not None:
        address = PostalAddress(["1 Main St"], "00000", "Springfield", state, "US")
    fields: dict[str, object] = {"timezone": None, "address": address, **kw}
    return attrs.evolve(JANE, **fields)


def test_a_debtor_without_a_time_zone_gets_her_states() -> None:
    timeline = simulate(
        portfolio([_us("IL")], [BILL]), us.regulation_f(), date(2026, 3, 1), date(2026, 5, 31)
    )
    call = next(a for a in timeline if a.kind == "call")
    assert call.not_before is not None
    assert call.not_before.isoformat() == "2026-05-07T08:00:00-05:00"  # Chicago, CDT
    assert "between 08:00 and 21:00 America/Chicago (time zone of IL)" in call.why
    assert not any("Europe/Rome" in a.why for a in timeline)


def test_unknown_state_golden() -> None:
    # § 1006.6(b)(1)(i): any US zone may be the consumer's, so 08:00 in Honolulu (UTC-10) to
    # 21:00 in New York (UTC-4 in summer): 14:00-21:00 Eastern Daylight Time
    timeline = simulate(
        portfolio([_us(None)], [BILL]), us.regulation_f(), date(2026, 3, 1), date(2026, 5, 31)
    )
    call = next(a for a in timeline if a.kind == "call")
    assert (call.not_before, call.not_after) == (
        datetime_at(call.date, 14, "America/New_York"),
        datetime_at(call.date, 21, "America/New_York"),
    )
    assert (
        "between 14:00 and 21:00 America/New_York "
        "(convenient in every US time zone: state unknown)" in call.why
    )
    # in winter (EST, UTC-5) it opens an hour earlier: 08:00 in Honolulu is 13:00 in New York
    courtesy = timeline.actions[0]
    assert courtesy.date == date(2026, 3, 26)  # after DST began on 8 March
    assert courtesy.not_before == datetime_at(courtesy.date, 14, "America/New_York")
    winter = Invoice.single(
        "INV-2", "U1", date(2025, 12, 1), date(2026, 1, 30), BILL.items[0].amount
    )
    (notice,) = plan(portfolio([_us(None)], [winter]), us.regulation_f(), date(2026, 1, 23))
    assert notice.not_before == datetime_at(notice.date, 13, "America/New_York")


def datetime_at(day: date, hour: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone))


def test_a_state_split_between_zones_golden() -> None:
    # § 1006.6(b)(1)(i): a Texan may be in El Paso (Mountain): 08:00 there is 09:00 in Dallas
    timeline = simulate(
        portfolio([_us("TX")], [BILL]), us.regulation_f(), date(2026, 3, 1), date(2026, 5, 31)
    )
    call = next(a for a in timeline if a.kind == "call")
    assert call.not_before == datetime_at(call.date, 9, "America/Chicago")
    assert call.not_after == datetime_at(call.date, 21, "America/Chicago")
    assert (
        "between 09:00 and 21:00 America/Chicago "
        "(convenient in every time zone of TX: America/Chicago, America/Denver)" in call.why
    )


def test_her_own_time_zone_wins_over_her_state() -> None:
    # she told us she lives in El Paso: the full 08:00-21:00 Mountain time
    timeline = simulate(
        portfolio([_us("TX", timezone="America/Denver")], [BILL]),
        us.regulation_f(),
        date(2026, 3, 1),
        date(2026, 5, 31),
    )
    call = next(a for a in timeline if a.kind == "call")
    assert call.not_before == datetime_at(call.date, 8, "America/Denver")
    assert call.why.endswith("between 08:00 and 21:00 America/Denver")


def test_no_convenient_time_holds_timed_channels_and_alerts() -> None:
    # Midway (UTC-11) and Wake (UTC+12) are both "UM": no hour of the day suits both
    midway = attrs.evolve(JANE, country="UM", timezone=None, address=None)
    bill = Invoice.single("INV-1", "U1", date(2026, 3, 1), date(2026, 3, 31), Money("80", "USD"))
    policy = us.regulation_f()
    proposal = plan(portfolio([midway], [bill]), policy, date(2026, 4, 8))
    assert len(proposal) == 0  # reminder_1 would go by e-mail or text: it waits
    (waiting,) = proposal.waiting
    assert waiting.next_date == date(2026, 4, 9)
    assert "email: no time between 08:00 and 21:00 on 2026-04-08" in waiting.why
    (alert,) = proposal.alerts
    assert alert.kind == "contact_hours"
    assert alert.why == (
        "reminder_1: no time between 08:00 and 21:00 on 2026-04-08 is convenient in every time "
        "zone of UM: Pacific/Midway, Pacific/Wake: set the debtor's timezone"
    )
    # a letter has no time of day: with her postal address the reminder goes by post
    (action,) = plan(portfolio([_us("UM", country="US")], [bill]), policy, date(2026, 4, 8))
    assert (action.channel, action.not_before, action.not_after) == ("postal", None, None)
    assert "email: no time between 08:00 and 21:00" in action.why
    # and with her time zone, by e-mail again
    (action,) = plan(
        portfolio([_us("UM", timezone="Pacific/Midway")], [bill]), policy, date(2026, 4, 8)
    )
    assert action.channel == "email"
    assert action.not_before == datetime_at(action.date, 8, "Pacific/Midway")


def test_an_unknown_country_asks_for_the_time_zone() -> None:
    abroad = attrs.evolve(JANE, country="JP", timezone=None, address=None)
    proposal = plan(portfolio([abroad], [BILL]), us.regulation_f(), date(2026, 4, 8))
    assert len(proposal) == 0
    (alert,) = proposal.alerts
    assert alert.why == (
        "reminder_1: no contact window: no time zone known for country 'JP': "
        "set the debtor's timezone"
    )


def _switch_days(year: int) -> list[date]:
    """US DST switch days: the second Sunday of March, the first Sunday of November."""
    march = [date(year, 3, d) for d in range(8, 15)]
    november = [date(year, 11, d) for d in range(1, 8)]
    return [
        next(d for d in march if d.weekday() == 6),
        next(d for d in november if d.weekday() == 6),
    ]


DAYS = st.one_of(
    st.dates(date(2000, 1, 1), date(2050, 12, 31)),
    st.integers(2000, 2050).flatmap(lambda y: st.sampled_from(_switch_days(y))),
)
#: Every day, weekends too, so that DST switch days (Sundays) are planned.
EVERY_DAY = Policy(
    Step("call", "call", via=phone).at(after_due(0)),
    name="calls",
    calendar=Calendar("US"),
    contact_hours=ContactHours(),
)


@settings(max_examples=200, deadline=None)
@given(
    day=DAYS,
    state=st.one_of(st.none(), st.sampled_from(sorted(set(US_STATE_ZONES) - {"UM"}))),
    own=st.one_of(st.none(), st.sampled_from(US_ZONES)),
)
def test_the_window_is_convenient_in_every_zone_she_may_be_in(
    day: date, state: str | None, own: str | None
) -> None:
    debtor = _us(state, timezone=own)
    bill = Invoice.single(
        "INV-1", "U1", day - timedelta(days=40), day - timedelta(days=1), Money("100.00", "USD")
    )
    (action,) = plan(portfolio([debtor], [bill]), EVERY_DAY, day)
    assert action.not_before is not None
    assert action.not_after is not None
    zones = debtor.timezones
    assert zones == ((own,) if own else US_STATE_ZONES[state] if state else US_ZONES)
    for zone in zones:
        start = action.not_before.astimezone(ZoneInfo(zone))
        end = action.not_after.astimezone(ZoneInfo(zone))
        assert start.date() == end.date() == day, zone
        assert time(8) <= start.time() < end.time() <= time(21), zone
