"""Where a debtor's clock is (`dunning.timezones`) and the contact window that is convenient in
every zone the debtor may be in (`ContactHours.common_window`).

The legal rule: 12 CFR § 1006.6(b)(1)(i) — absent knowledge to the contrary, a collector may
assume that 08:00-21:00 local time at the consumer's location is convenient; when the consumer
may be in more than one time zone, the time must be convenient in all of them (official
interpretation of § 1006.6(b)(1)(i)).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning import ContactHours, DataError, Debtor, PostalAddress
from dunning.timezones import (
    COUNTRY_ZONES,
    US_STATE_ZONES,
    US_ZONES,
    Zones,
    debtor_zones,
    zones_for,
)

HOURS = ContactHours()

STATES = {
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
}
TERRITORIES = {"PR", "VI", "GU", "MP", "AS", "UM"}


def test_the_us_table_has_every_state_dc_and_the_territories() -> None:
    assert len(STATES) == 50
    assert set(US_STATE_ZONES) == STATES | {"DC"} | TERRITORIES


@pytest.mark.parametrize(
    ("state", "zones"),
    [
        ("TX", {"America/Chicago", "America/Denver"}),
        ("FL", {"America/New_York", "America/Chicago"}),
        ("TN", {"America/Chicago", "America/New_York"}),
        ("KY", {"America/New_York", "America/Chicago"}),
        ("IN", {"America/Indiana/Indianapolis", "America/Chicago"}),
        ("MI", {"America/Detroit", "America/Menominee"}),
        ("KS", {"America/Chicago", "America/Denver"}),
        ("NE", {"America/Chicago", "America/Denver"}),
        ("ND", {"America/Chicago", "America/Denver"}),
        ("SD", {"America/Chicago", "America/Denver"}),
        ("OR", {"America/Los_Angeles", "America/Boise"}),
        ("ID", {"America/Boise", "America/Los_Angeles"}),
        ("AK", {"America/Anchorage", "America/Adak"}),
        ("AZ", {"America/Phoenix", "America/Denver"}),  # the Navajo Nation keeps DST
    ],
)
def test_split_states_list_every_zone_they_span(state: str, zones: set[str]) -> None:
    assert zones <= set(US_STATE_ZONES[state])
    found = zones_for("US", state)
    assert (found.basis, found.exact) == ("region", False)
    assert found.note.startswith(f"convenient in every time zone of {state}: ")


def test_every_zone_in_the_tables_exists() -> None:
    names = {z for zones in (*US_STATE_ZONES.values(), *COUNTRY_ZONES.values()) for z in zones}
    for name in sorted(names):
        ZoneInfo(name)  # raises when tzdata does not know it
    assert names <= available_timezones()


ZONE_TAB = Path("/usr/share/zoneinfo/zone.tab")


@pytest.mark.skipif(not ZONE_TAB.exists(), reason="no system zone.tab to compare with")
def test_us_zones_are_every_zone_the_tz_database_lists_for_the_us() -> None:
    listed = {}
    for line in ZONE_TAB.read_text().splitlines():
        if line and not line.startswith("#"):
            country, _, zone, *_ = line.split("\t")
            listed.setdefault(country, set()).add(zone)
    assert set(US_ZONES) == listed["US"]
    for country, zones in COUNTRY_ZONES.items():
        if country != "US":
            assert set(zones) == listed[country], country


def test_the_debtors_own_zone_wins() -> None:
    texan = Debtor(
        "U1",
        "Jane Doe",
        country="US",
        timezone="America/Chicago",
        address=PostalAddress(["1 Main St"], "79901", "El Paso", "TX", "US"),
    )
    assert texan.timezones == ("America/Chicago",)
    assert debtor_zones(texan) == Zones(("America/Chicago",), "timezone")
    assert attrs.evolve(texan, timezone=None).timezones == ("America/Chicago", "America/Denver")


def test_no_debtor_outside_italy_defaults_to_rome() -> None:
    assert Debtor("D1", "Rossi").timezones == ("Europe/Rome",)  # the default country is Italy
    assert Debtor("D2", "Jane", country="US").timezones == US_ZONES
    assert Debtor("D3", "Hans", country="DE").timezones == ("Europe/Berlin", "Europe/Busingen")
    assert Debtor("D4", "Ann", country="GB").timezones == ("Europe/London",)
    assert Debtor("D5", "Jo", country="CH").timezones == ("Europe/Zurich",)
    assert Debtor("D6", "Taro", country="JP").timezones == ()
    assert Debtor("D1", "Rossi").timezone is None


def test_the_state_counts_only_when_the_address_is_in_the_debtors_country() -> None:
    # PostalAddress's country defaults to IT: "TX" there is no US state
    abroad = Debtor(
        "U1", "Jane", country="US", address=PostalAddress(["1 Main St"], "79901", "Austin", "TX")
    )
    assert debtor_zones(abroad).note == "convenient in every US time zone: state unknown"
    here = attrs.evolve(abroad, address=attrs.evolve(abroad.address, country="US"))
    assert here.timezones == ("America/Chicago", "America/Denver")


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("IL", Zones(("America/Chicago",), "region", "time zone of IL")),
        (" il ", Zones(("America/Chicago",), "region", "time zone of IL")),
        ("US-HI", Zones(("Pacific/Honolulu",), "region", "time zone of HI")),
        (None, Zones(US_ZONES, "country", "convenient in every US time zone: state unknown")),
        (
            "Texas",
            Zones(US_ZONES, "country", "convenient in every US time zone: state 'Texas' unknown"),
        ),
        (
            "AE",
            Zones(
                (),
                "unknown",
                "an armed forces address (AE) gives no time zone: set the debtor's timezone",
            ),
        ),
    ],
)
def test_us_regions(region: str | None, expected: Zones) -> None:
    assert zones_for("US", region) == expected


def test_countries() -> None:
    assert zones_for("it") == Zones(("Europe/Rome",), "country", "time zone of IT")
    assert zones_for("ES").zones == ("Europe/Madrid", "Africa/Ceuta", "Atlantic/Canary")
    assert zones_for("PR") == Zones(("America/Puerto_Rico",), "country", "time zone of PR")
    assert zones_for(None).basis == "unknown"


def test_an_unknown_time_zone_names_the_record_and_field() -> None:
    with pytest.raises(DataError, match="timezone") as info:
        Debtor("U1", "Jane", timezone="America/Springfield")
    assert info.value.record == "debtor U1"
    assert info.value.field == "timezone"


# -- the window convenient in every zone ---------------------------------------------------


def _sundays(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    days = [first + timedelta(days=n) for n in range(31)]
    return [d for d in days if d.month == month and d.weekday() == 6]


def _switch_days(year: int) -> list[date]:
    """The DST switch days of the US (second Sunday of March, first of November) and of the
    EU (last Sundays of March and October)."""
    return [
        _sundays(year, 3)[1],
        _sundays(year, 11)[0],
        _sundays(year, 3)[-1],
        _sundays(year, 10)[-1],
    ]


DAYS = st.one_of(
    st.dates(date(1990, 1, 1), date(2060, 12, 31)),
    st.integers(1990, 2060).flatmap(lambda y: st.sampled_from(_switch_days(y))),
)
ZONE_SETS = st.one_of(
    st.sampled_from(sorted(US_STATE_ZONES.values())),
    st.sampled_from(sorted(COUNTRY_ZONES.values())),
    st.lists(
        st.sampled_from(sorted({z for zs in US_STATE_ZONES.values() for z in zs})),
        min_size=1,
        max_size=5,
        unique=True,
    ).map(tuple),
)


def _inside(moment: datetime, zones: tuple[str, ...], day: date) -> bool:
    """Whether ``moment`` is within 08:00-21:00 on ``day`` in every zone."""
    for zone in zones:
        local = moment.astimezone(ZoneInfo(zone))
        if local.date() != day or not time(8) <= local.time() < time(21):
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(day=DAYS, zones=ZONE_SETS)
def test_the_common_window_is_convenient_in_every_zone(day: date, zones: tuple[str, ...]) -> None:
    window = HOURS.common_window(day, zones)
    if window is None:
        # nothing was missed: no quarter of an hour of the day suits every zone
        start = datetime.combine(day, time(0), tzinfo=ZoneInfo(zones[0])).astimezone(UTC)
        moments = (start + timedelta(minutes=15 * n) for n in range(-96, 4 * 48))
        assert not any(_inside(m, zones, day) for m in moments)
        return
    start, end = window
    assert start < end
    assert start.tzinfo == ZoneInfo(zones[0])  # shown in the debtor's first zone
    for zone in zones:
        first, last = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
        assert first.date() == last.date() == day, zone
        assert time(8) <= first.time(), zone
        assert last.time() <= time(21), zone
    # and it is the whole of it: it opens at 08:00 somewhere and closes at 21:00 somewhere
    assert any(start.astimezone(ZoneInfo(z)).time() == time(8) for z in zones)
    assert any(end.astimezone(ZoneInfo(z)).time() == time(21) for z in zones)


@settings(max_examples=200, deadline=None)
@given(day=DAYS, state=st.sampled_from(sorted(set(US_STATE_ZONES) - {"UM"})))
def test_every_state_has_a_window_every_day(day: date, state: str) -> None:
    assert HOURS.common_window(day, US_STATE_ZONES[state]) is not None


@settings(max_examples=200, deadline=None)
@given(day=DAYS)
def test_a_us_debtor_of_unknown_state_has_a_window_every_day(day: date) -> None:
    # 08:00 in Honolulu (UTC-10, no DST) to 21:00 in New York: 13:00-21:00 Eastern in winter,
    # 14:00-21:00 in summer; Alaska (UTC-9/-8, Adak UTC-10/-9) never binds harder
    window = HOURS.common_window(day, US_ZONES)
    assert window is not None
    start, end = window
    assert f"{end:%H:%M}" == "21:00"
    assert f"{start:%H:%M}" in ("13:00", "14:00")
    assert f"{start.astimezone(ZoneInfo('Pacific/Honolulu')):%H:%M}" == "08:00"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 15), "13:00-21:00 EST"),
        (date(2026, 3, 8), "14:00-21:00 EDT"),  # DST began at 02:00 that Sunday
        (date(2026, 7, 1), "14:00-21:00 EDT"),
        (date(2026, 11, 1), "13:00-21:00 EST"),  # DST ended at 02:00 that Sunday
    ],
)
def test_unknown_state_golden(day: date, expected: str) -> None:
    window = HOURS.common_window(day, US_ZONES)
    assert window is not None
    assert f"{window[0]:%H:%M}-{window[1]:%H:%M %Z}" == expected


def test_arizona_loses_an_hour_in_summer_only() -> None:
    # Phoenix keeps MST all year; the Navajo Nation keeps Mountain time with DST
    summer = HOURS.common_window(date(2026, 7, 1), US_STATE_ZONES["AZ"])
    winter = HOURS.common_window(date(2026, 1, 15), US_STATE_ZONES["AZ"])
    assert summer is not None
    assert winter is not None
    assert (f"{summer[0]:%H:%M}", f"{summer[1]:%H:%M}") == ("08:00", "20:00")
    assert (f"{winter[0]:%H:%M}", f"{winter[1]:%H:%M}") == ("08:00", "21:00")


def test_zones_too_far_apart_have_no_common_window() -> None:
    # Midway (UTC-11) and Wake (UTC+12): 08:00 at Midway is 07:00 the next day at Wake
    assert HOURS.common_window(date(2026, 7, 1), US_STATE_ZONES["UM"]) is None
    with pytest.raises(ValueError, match="at least one"):
        HOURS.common_window(date(2026, 7, 1), [])
