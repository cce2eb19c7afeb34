"""The US preset: Regulation F's contact hours and call limits on a consumer collection, the
consumer's time zone(s), and the collector's variant that opens with the validation notice."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning import (
    ActionPlanned,
    Calendar,
    ContactHours,
    Debtor,
    DebtorReplied,
    DeliveryFailed,
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
from dunning.testing.invariants import check_simulation
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


# -- the collector's variant: the validation notice first, 12 CFR § 1006.34 -----------------

#: A debt placed with a collector long after it fell due.
PLACED = Invoice.single(
    "INV-9", "U1", date(2025, 10, 1), date(2025, 10, 31), Money("800.00", "USD")
)


def test_collector_golden_sequence() -> None:
    # § 1006.34(a)(1): a debt collector provides the validation information in its initial
    # communication (or within 5 days after it); here the validation notice IS the initial
    # communication, by post. § 1006.34(b)(5): the validation period ends 30 days after the
    # consumer receives it, assumed 5 days (not counting weekends and federal holidays) after
    # sending; the first reminder comes the business day after it ended (15 U.S.C. § 1692g(b):
    # no demand overshadows the right to dispute).
    timeline = simulate(
        portfolio([JANE], [PLACED]),
        us.regulation_f(collector=True),
        date(2026, 3, 2),
        date(2026, 8, 31),
    )
    assert [(str(a.date), a.step, a.channel) for a in timeline] == [
        ("2026-03-02", "validation_notice", "postal"),  # a Monday: the first run
        # assumed received Monday 9 March, period over Wednesday 8 April
        ("2026-04-09", "reminder_1", "email"),
        ("2026-04-23", "reminder_2", "email"),
        ("2026-05-08", "call", "phone"),
        ("2026-05-15", "final_demand", "postal"),
        ("2026-06-22", "placement", "agency"),  # 19 June is Juneteenth, a federal holiday
    ]
    first = timeline.actions[0]
    assert (first.level, first.kind, first.deadline) == (1, "reminder", None)
    assert first.template == "us/validation_notice"
    assert first.items == ("INV-9",)
    assert us.validation_period_end(first.date) == date(2026, 4, 8)
    assert all(a.policy == "us.regulation_f_collector" for a in timeline)


def test_the_creditors_variant_opens_with_a_courtesy_notice_instead() -> None:
    creditor = us.regulation_f()
    collector = us.regulation_f(collector=True)
    assert [s.name for s in creditor.ladder][:2] == ["courtesy_notice", "reminder_1"]
    assert [s.name for s in collector.ladder][:2] == ["validation_notice", "reminder_1"]
    assert [s.name for s in creditor.ladder][1:] == [s.name for s in collector.ladder][1:]
    assert load("us.regulation_f", collector=True) == collector
    assert collector != creditor
    with pytest.raises(PolicyError, match="collector must be True or False"):
        us.regulation_f(collector="yes")  # type: ignore[arg-type]


def test_validation_notice_by_email_when_there_is_no_address() -> None:
    # § 1006.34(a)(1) and § 1006.42: the notice may be delivered electronically
    online = _us(None, timezone="America/Chicago")
    (action,) = plan(
        portfolio([online], [PLACED]), us.regulation_f(collector=True), date(2026, 3, 2)
    )
    assert (action.step, action.channel) == ("validation_notice", "email")
    assert action.not_before == datetime_at(action.date, 8, "America/Chicago")


def test_nothing_precedes_the_validation_notice() -> None:
    # a consumer the collector can only phone: the validation notice cannot go, and nothing
    # else goes in its place (not the call, although her phone is known)
    phone_only = attrs.evolve(JANE, email=None, address=None)
    policy = us.regulation_f(collector=True)
    timeline = simulate(
        portfolio([phone_only], [PLACED]), policy, date(2026, 3, 2), date(2026, 9, 30)
    )
    assert len(timeline) == 0
    proposal = plan(portfolio([phone_only], [PLACED]), policy, date(2026, 3, 2))
    assert "validation_notice: no usable channel" in proposal.waiting[0].why
    assert [a.kind for a in proposal.alerts] == ["trace"]


def test_a_failed_validation_notice_is_sent_again_before_anything_else() -> None:
    policy = us.regulation_f(collector=True)
    pf = portfolio([JANE], [PLACED])
    (sent,) = plan(pf, policy, date(2026, 3, 2))
    history = [sent.event(), DeliveryFailed(date(2026, 3, 5), "U1", sent.key, "postal", "moved")]
    timeline = simulate(pf, policy, date(2026, 3, 3), date(2026, 5, 31), history)
    assert [(str(a.date), a.step, a.channel) for a in timeline][:2] == [
        ("2026-03-05", "validation_notice", "email"),
        ("2026-04-13", "reminder_1", "email"),  # the period counts from the notice delivered
    ]


def test_each_debt_gets_its_own_validation_notice_per_invoice() -> None:
    later = Invoice.single("INV-10", "U1", date(2026, 3, 1), date(2026, 4, 15), Money("90", "USD"))
    timeline = simulate(
        portfolio([JANE], [PLACED, later]),
        us.regulation_f(collector=True),
        date(2026, 3, 2),
        date(2026, 6, 30),
        per_invoice=True,
    )
    for debt in ("INV-9", "INV-10"):
        mine = [a for a in timeline if a.items == (debt,)]
        assert mine[0].step == "validation_notice", debt


@settings(max_examples=200, deadline=None)
@given(sent=st.dates(date(2000, 1, 1), date(2050, 12, 31)))
def test_the_first_reminder_waits_for_the_end_of_the_validation_period(sent: date) -> None:
    policy = us.regulation_f(collector=True)
    first = policy.ladder[2].delay.from_dates(due=sent, previous=sent, issue=sent)
    end = us.validation_period_end(sent)
    cal = Calendar("US")
    assert first == cal.roll_forward(end + timedelta(days=1))
    # and the period is at least 30 days after 5 business days (§ 1006.34(b)(5))
    assert (end - sent).days >= 35
    assert cal.add_business_days(sent, 5) + timedelta(days=30) == end


@st.composite
def _collector_cases(draw: st.DrawFn) -> tuple[Debtor, list[Invoice]]:
    state = draw(st.one_of(st.none(), st.sampled_from(sorted(set(US_STATE_ZONES) - {"UM"}))))
    # without a state she has no postal address: then an e-mail address, so that something
    # can be sent
    online = state is None or draw(st.booleans())
    debtor = _us(
        state,
        email="jane@example.com" if online else None,
        phone=draw(st.sampled_from([None, "+13125550100"])),
    )
    bills = []
    for n in range(draw(st.integers(1, 3))):
        due = draw(st.dates(date(2025, 11, 1), date(2026, 5, 31)))
        cents = draw(st.integers(1000, 200000))
        bills.append(
            Invoice.single(
                f"INV-{n}", "U1", due - timedelta(days=30), due, Money(f"{cents / 100:.2f}", "USD")
            )
        )
    return debtor, bills


@settings(max_examples=30, deadline=None)
@given(case=_collector_cases())
def test_collector_property_the_first_contact_of_every_episode_is_the_validation_notice(
    case: tuple[Debtor, list[Invoice]],
) -> None:
    debtor, bills = case
    pf = portfolio([debtor], bills)
    days = [date(2026, 3, 2) + timedelta(days=n) for n in range(0, 150, 3)]
    events = check_simulation(pf, us.regulation_f(collector=True), days)  # every invariant
    actions = [e for e in events if isinstance(e, ActionPlanned)]
    assert actions  # every debt falls due by 31 May and the run goes on to the end of July
    assert actions[0].step == "validation_notice"
    for before, after in itertools.pairwise(actions):
        if after.level <= before.level:  # a new episode starts at the bottom again
            assert after.step == "validation_notice"
        if after.step == "reminder_1":
            assert before.step == "validation_notice"
            assert after.date > us.validation_period_end(before.date)


def test_case_machine_on_the_collector_variant() -> None:
    run_case_machine(
        us.regulation_f(collector=True), settings(stateful_step_count=30, max_examples=50)
    )
