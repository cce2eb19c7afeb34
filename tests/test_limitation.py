"""Limitation (prescrizione): periods and where they run from, 29 February, interruption only
by a proven formal notice."""

from __future__ import annotations

import datetime
from datetime import date, timedelta

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dunning import Invoice, OpenItem, PolicyError, Portfolio
from dunning.case import Case
from dunning.events import (
    ActionPlanned,
    DeliveryConfirmed,
    DeliveryFailed,
    Event,
    PaymentReceived,
    PromiseToPay,
)
from dunning.guards import Guard, balance_at_least
from dunning.limitation import (
    ITALY,
    ItemLimitation,
    LimitationPeriod,
    LimitationRules,
    items_near_limitation,
    limitation_status,
    limitation_within,
    proves_delivery,
)
from dunning.model import Payment
from helpers import business, consumer, eur, invoice, portfolio

DUE = date(2026, 3, 31)
ISSUED = date(2026, 3, 2)
AS_OF = date(2027, 1, 15)
KEY = "2026/0001"
DEFAULT_RULES = LimitationRules()


def one_invoice(**debtor_kw: object) -> Portfolio:
    return portfolio([business("B1", **debtor_kw)], [invoice(KEY, "B1", DUE, issued=ISSUED)])


def notice(
    on: date,
    key: str = "n1",
    channel: str = "pec",
    kind: str = "formal_notice",
    items: tuple[str, ...] = (KEY,),
) -> ActionPlanned:
    return ActionPlanned(
        on,
        "B1",
        key=key,
        step=kind,
        level=3,
        kind=kind,
        channel=channel,
        items=items,
        levels=[(i, 3) for i in items],
        amount=eur("1000.00"),
    )


def confirmed(on: date, key: str = "n1", channel: str = "pec") -> DeliveryConfirmed:
    return DeliveryConfirmed(on, "B1", key=key, channel=channel, evidence="receipt")


def status(
    p: Portfolio,
    history: tuple[Event, ...] = (),
    as_of: date = AS_OF,
    rules: LimitationRules = DEFAULT_RULES,
) -> ItemLimitation:
    (only,) = limitation_status(p.case("B1", as_of, history), as_of, rules)
    return only


# --- periods ---------------------------------------------------------------------------------


def test_italian_table_cites_the_law() -> None:
    assert {n: (p.years, p.starts_from) for n, p in ITALY.items()} == {
        "ordinary": (10, "due_date"),  # art. 2946, from when it can be claimed (art. 2935)
        "periodic": (5, "due_date"),  # art. 2948
        "professional_fees": (3, "performed_on"),  # art. 2956 n. 2, from completion (art. 2957)
        "retail_consumer": (1, "performed_on"),  # art. 2955 n. 5, from delivery (art. 2957)
        "utility": (2, "performed_on"),  # L. 205/2017 art. 1 co. 4
    }
    assert "2946" in ITALY["ordinary"].law
    assert "2948" in ITALY["periodic"].law
    assert "2956" in ITALY["professional_fees"].law
    assert "2957" in ITALY["professional_fees"].law
    assert "2955" in ITALY["retail_consumer"].law
    assert "2957" in ITALY["retail_consumer"].law
    assert "205/2017" in ITALY["utility"].law
    assert "micro-enterprises" in ITALY["utility"].law


def test_utility_consumer_is_the_old_name_of_utility() -> None:
    assert ITALY["utility_consumer"] is ITALY["utility"]
    assert "utility_consumer" not in list(ITALY)
    old = LimitationRules(by_tag={"luce": "utility_consumer"}, default="utility_consumer")
    assert old.period("utility_consumer") == ITALY["utility"]
    assert status(one_invoice(tags={"luce"}), rules=old).period == ITALY["utility"]
    assert eval(repr(old), NAMESPACE) == old
    with pytest.raises(KeyError):
        ITALY["utility_business"]
    # a table of one's own that uses the old name keeps its own period
    own = LimitationPeriod("utility_consumer", 5, "test")
    assert (
        LimitationRules(periods=[own], default="utility_consumer").period("utility_consumer") == own
    )


def test_ordinary_ten_years_from_the_due_date() -> None:
    s = status(one_invoice())
    assert s.period.name == "ordinary"
    assert (s.starts, s.runs_out, s.interruptions) == (DUE, date(2036, 3, 31), ())
    assert s.days_left == (date(2036, 3, 31) - AS_OF).days
    assert not s.expired


@pytest.mark.parametrize(
    ("rules", "tags", "name", "starts", "runs_out"),
    [
        (LimitationRules(by_tag={"affitti": "periodic"}), {"affitti"}, "periodic", DUE, None),
        # without performed_on, the issue date stands in for the performance
        (
            LimitationRules(by_invoice={KEY: "professional_fees"}),
            set(),
            "professional_fees",
            ISSUED,
            date(2029, 3, 2),
        ),
        (LimitationRules(default="retail_consumer"), set(), "retail_consumer", ISSUED, None),
        (LimitationRules(by_tag={"luce": "utility"}), {"luce", "other"}, "utility", ISSUED, None),
        # a tag the debtor does not carry changes nothing
        (LimitationRules(by_tag={"affitti": "periodic"}), {"other"}, "ordinary", DUE, None),
    ],
)
def test_each_period_kind(
    rules: LimitationRules, tags: set[str], name: str, starts: date, runs_out: date | None
) -> None:
    s = status(one_invoice(tags=tags), rules=rules)
    assert s.period == ITALY[name]
    assert s.starts == starts
    expected = runs_out or date(starts.year + ITALY[name].years, starts.month, starts.day)
    assert s.runs_out == expected


def test_retail_consumer_runs_out_within_the_year() -> None:
    # a shop sale: delivered, invoiced and due on the same day
    sale = invoice(KEY, "B1", DUE, issued=DUE, performed_on=DUE)
    p = portfolio([consumer("B1")], [sale])
    s = status(p, as_of=date(2027, 4, 30), rules=LimitationRules(default="retail_consumer"))
    assert s.runs_out == date(2027, 3, 31)
    assert s.days_left == -30
    assert s.expired
    assert s.describe() == "2026/0001 ran out on 2027-03-31, 30 days ago"


# --- where the period runs from: golden cases ------------------------------------------------

FEES = LimitationRules(by_invoice={KEY: "professional_fees"})
COMPLETED = date(2026, 1, 15)


def fee_invoice(performed_on: date | None) -> Portfolio:
    """A professional's fee: the work completed on ``performed_on``, invoiced on 31 March."""
    fee = invoice(KEY, "B1", date(2026, 4, 30), issued=date(2026, 3, 31), performed_on=performed_on)
    return portfolio([business("B1")], [fee])


def test_professional_fees_run_from_the_completion_of_the_work() -> None:
    # art. 2956 n. 2 c.c.: three years; art. 2957 co. 1: from the completion of the work, not
    # from the invoice of 2026-03-31. art. 2963 co. 2: 15 January itself is not counted and the
    # period ends with the last instant of 15 January 2029 (a Monday: the holiday roll-over of
    # co. 3 does not arise).
    s = status(fee_invoice(COMPLETED), as_of=date(2026, 6, 1), rules=FEES)
    assert (s.starts, s.counted_from, s.stand_in) == (COMPLETED, "performed_on", False)
    assert s.runs_out == date(2029, 1, 15)
    assert s.describe() == "2026/0001 runs out on 2029-01-15, in 959 days"


def test_professional_fees_without_performed_on_count_from_the_issue_date() -> None:
    # the earliest date the invoice gives stands in, and the status says so: here it is later
    # than the real date above, because the work was completed before the invoice
    s = status(fee_invoice(None), as_of=date(2026, 6, 1), rules=FEES)
    assert (s.starts, s.counted_from, s.stand_in) == (date(2026, 3, 31), "issue_date", True)
    assert s.runs_out == date(2029, 3, 31)
    assert s.describe() == (
        "2026/0001 runs out on 2029-03-31, in 1034 days (counted from the issue date "
        "2026-03-31: performed_on not given, it may run out earlier)"
    )
    with_date = status(fee_invoice(COMPLETED), as_of=date(2026, 6, 1), rules=FEES)
    assert with_date.runs_out < s.runs_out


def test_retail_sale_to_a_consumer_runs_from_the_delivery() -> None:
    # art. 2955 n. 5 c.c.: one year for a retailer's price of goods sold to a consumer;
    # art. 2957 co. 1: from the delivery (20 February), not from the deferred invoice of
    # 2 March nor its due date of 31 March (which gave 2027-03-31 before)
    sofa = invoice(KEY, "C1", DUE, issued=ISSUED, performed_on=date(2026, 2, 20))
    p = portfolio([consumer("C1", tags={"negozio"})], [sofa])
    rules = LimitationRules(by_tag={"negozio": "retail_consumer"})
    (s,) = limitation_status(p.case("C1", AS_OF), AS_OF, rules)
    assert (s.period.name, s.starts, s.counted_from) == (
        "retail_consumer",
        date(2026, 2, 20),
        "performed_on",
    )
    assert s.runs_out == date(2027, 2, 20)


UTILITY = LimitationRules(by_tag={"utenza": "utility"})


def electricity_bill(debtor_kind: str) -> Portfolio:
    """Electricity for January-February 2026, billed on 10 March, due on 31 March."""
    bill = invoice(
        KEY, "U1", date(2026, 3, 31), issued=date(2026, 3, 10), performed_on=date(2026, 2, 28)
    )
    if debtor_kind == "consumer":
        return portfolio([consumer("U1", tags={"utenza"})], [bill])
    return portfolio([business("U1", tags={"utenza", "microimpresa"})], [bill])


def test_utility_bill_two_years_from_the_end_of_the_supply_billed() -> None:
    # L. 205/2017 art. 1 co. 4: two years for a household's electricity, gas or water. The
    # law does not say from when: ARERA counts from the deadline for issuing the bill, after
    # the supply (delibera 97/2018/R/com), courts from the issue (2026-03-10) or due date
    # (2026-03-31). The end of the supply billed comes before all of them.
    (s,) = limitation_status(electricity_bill("consumer").case("U1", AS_OF), AS_OF, UTILITY)
    assert (s.period.name, s.starts, s.counted_from) == (
        "utility",
        date(2026, 2, 28),
        "performed_on",
    )
    assert s.runs_out == date(2028, 2, 28)
    assert s.runs_out < date(2028, 3, 10) < date(2028, 3, 31)


def test_a_micro_enterprise_utility_bill_also_gets_two_years() -> None:
    # L. 205/2017 art. 1 co. 4: not only households but micro-enterprises (Recommendation
    # 2003/361/EC) and professionals: a business debtor tagged for it gets the same two years
    (s,) = limitation_status(electricity_bill("business").case("U1", AS_OF), AS_OF, UTILITY)
    assert (s.period.years, s.runs_out) == (2, date(2028, 2, 28))
    # ... and the old name of the period still says the same
    old = LimitationRules(by_tag={"microimpresa": "utility_consumer"})
    (same,) = limitation_status(electricity_bill("business").case("U1", AS_OF), AS_OF, old)
    assert same == s


@pytest.mark.parametrize("name", ["ordinary", "periodic"])
def test_periods_from_the_due_date_ignore_performed_on(name: str) -> None:
    # art. 2935 c.c.: the right can be claimed from the due date, whenever the work was done
    s = status(fee_invoice(COMPLETED), rules=LimitationRules(default=name))
    assert (s.starts, s.counted_from, s.stand_in) == (date(2026, 4, 30), "due_date", False)


def test_a_period_from_the_issue_date_is_no_stand_in() -> None:
    own = LimitationPeriod("own", 4, "a contract's clause", "issue_date")
    s = status(fee_invoice(COMPLETED), rules=LimitationRules(periods=[own], default="own"))
    assert (s.starts, s.counted_from, s.stand_in) == (date(2026, 3, 31), "issue_date", False)
    with pytest.raises(PolicyError, match="starts_from must be one of 'due_date', 'issue_date'"):
        LimitationPeriod("bad", 1, "none", "delivery")  # type: ignore[arg-type]


def test_invoice_beats_tag_and_shortest_tag_wins() -> None:
    rules = LimitationRules(
        by_tag={"affitti": "periodic", "negozio": "retail_consumer"},
        by_invoice={"2026/0002": "ordinary"},
    )
    p = portfolio(
        [business("B1", tags={"affitti", "negozio"})],
        [invoice(KEY, "B1", DUE), invoice("2026/0002", "B1", DUE)],
    )
    got = {s.key: s.period.name for s in limitation_status(p.case("B1", AS_OF), AS_OF, rules)}
    assert got == {KEY: "retail_consumer", "2026/0002": "ordinary"}


def test_29_february_runs_out_on_28_february() -> None:
    leap = date(2028, 2, 29)
    p = portfolio([business("B1")], [invoice(KEY, "B1", leap, issued=leap, performed_on=leap)])
    assert status(p, as_of=date(2028, 3, 1)).runs_out == date(2038, 2, 28)
    rules = LimitationRules(default="retail_consumer")
    assert status(p, as_of=date(2028, 3, 1), rules=rules).runs_out == date(2029, 2, 28)
    interrupted = (notice(date(2032, 2, 27)), confirmed(date(2032, 2, 29)))
    assert status(p, interrupted, as_of=date(2032, 3, 1)).runs_out == date(2042, 2, 28)


def test_instalments_and_only_open_items() -> None:
    inv = Invoice(
        "2026/0009",
        "B1",
        ISSUED,
        (OpenItem(date(2026, 4, 30), eur("500.00")), OpenItem(date(2026, 5, 31), eur("500.00"))),
    )
    paid = Payment("P1", "B1", date(2026, 5, 5), eur("500.00"), "2026/0009")
    p = portfolio([business("B1")], [inv], [paid])
    got = limitation_status(p.case("B1", AS_OF), AS_OF)
    assert [(s.key, s.runs_out) for s in got] == [("2026/0009#2", date(2036, 5, 31))]


def test_unknown_period_name_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="unknown period 'rent'"):
        LimitationRules(by_tag={"affitti": "rent"})
    with pytest.raises(PolicyError, match="positive"):
        LimitationPeriod("bad", 0, "none")


# --- interruption ----------------------------------------------------------------------------


def test_proven_pec_formal_notice_starts_a_new_period_from_delivery() -> None:
    s = status(one_invoice(), (notice(date(2026, 9, 1)), confirmed(date(2026, 9, 2))))
    assert s.interruptions == (date(2026, 9, 2),)
    assert s.starts == DUE
    assert s.runs_out == date(2036, 9, 2)


def test_raccomandata_ar_return_card_interrupts() -> None:
    history = (
        notice(date(2026, 9, 1), channel="postal"),
        confirmed(date(2026, 9, 8), channel="postal:raccomandata_ar"),
    )
    assert status(one_invoice(), history).runs_out == date(2036, 9, 8)


def test_new_period_has_the_same_length() -> None:
    rules = LimitationRules(default="periodic")
    history = (notice(date(2026, 9, 1)), confirmed(date(2026, 9, 1)))
    assert status(one_invoice(), history, rules=rules).runs_out == date(2031, 9, 1)


@pytest.mark.parametrize(
    "history",
    [
        pytest.param((notice(date(2026, 9, 1)),), id="no confirmation"),
        pytest.param(
            (notice(date(2026, 9, 1)), DeliveryFailed(date(2026, 9, 2), "B1", "n1", "pec")),
            id="delivery failed",
        ),
        pytest.param(
            (notice(date(2026, 9, 1), channel="email"), confirmed(date(2026, 9, 1), "n1", "email")),
            id="email",
        ),
        pytest.param(
            (
                notice(date(2026, 9, 1), channel="postal"),
                confirmed(date(2026, 9, 5), "n1", "postal"),
            ),
            id="plain post",
        ),
        pytest.param(
            (
                notice(date(2026, 9, 1), channel="postal"),
                confirmed(date(2026, 9, 5), "n1", "postal:prioritaria"),
            ),
            id="priority mail",
        ),
        pytest.param(
            (notice(date(2026, 9, 1), channel="email"), confirmed(date(2026, 9, 1), "n1", "pec")),
            id="receipt of another channel",
        ),
        pytest.param(
            (notice(date(2026, 9, 1), kind="reminder"), confirmed(date(2026, 9, 2))),
            id="a reminder is not a formal notice",
        ),
        pytest.param(
            (notice(date(2026, 9, 1)), confirmed(date(2026, 9, 2), key="other")),
            id="receipt of another message",
        ),
        pytest.param(
            (notice(date(2026, 9, 1), items=("2026/0099",)), confirmed(date(2026, 9, 2))),
            id="another item",
        ),
        pytest.param(
            (confirmed(date(2026, 8, 30)), notice(date(2026, 9, 1))),
            id="receipt dated before the notice",
        ),
        pytest.param(
            (notice(date(2026, 3, 1)), confirmed(date(2026, 3, 2))),
            id="delivered before the period started",
        ),
        pytest.param(
            (
                PaymentReceived(
                    date(2026, 9, 1), "B1", Payment("P1", "B1", date(2026, 9, 1), eur("1.00"))
                ),
                PromiseToPay(date(2026, 9, 2), "B1", until=date(2026, 10, 1)),
            ),
            id="acknowledgements are not counted",
        ),
    ],
)
def test_no_interruption_without_proof(history: tuple[Event, ...]) -> None:
    s = status(one_invoice(), history)
    assert (s.interruptions, s.runs_out) == ((), date(2036, 3, 31))


def test_a_notice_after_the_claim_ran_out_revives_nothing() -> None:
    # A shop sale of 2026-03-31: one year (art. 2955 n. 5, art. 2957 c.c.), to 2027-03-31
    # included (art. 2963 co. 2: the period ends with the last instant of its last day).
    p = portfolio([business("B1")], [sale(KEY, DUE)])
    on = date(2027, 5, 3)
    in_time = (notice(date(2027, 3, 25)), confirmed(date(2027, 3, 31)))
    s = status(p, in_time, as_of=on, rules=RETAIL)
    assert (s.interruptions, s.runs_out) == ((date(2027, 3, 31),), date(2028, 3, 31))
    # Delivered a day later, the demand finds the right already extinguished (art. 2934):
    # there is nothing to interrupt, so no new period starts (art. 2945).
    too_late = (notice(date(2027, 3, 25)), confirmed(date(2027, 4, 1)))
    s = status(p, too_late, as_of=on, rules=RETAIL)
    assert (s.interruptions, s.runs_out, s.expired) == ((), date(2027, 3, 31), True)


def test_confirmation_after_as_of_is_ignored() -> None:
    history = (notice(date(2027, 1, 10)), confirmed(date(2027, 1, 20)))
    assert status(one_invoice(), history, as_of=date(2027, 1, 15)).interruptions == ()
    # even when the case itself was folded later
    case = one_invoice().case("B1", date(2027, 2, 1), history)
    (s,) = limitation_status(case, date(2027, 1, 15))
    assert s.runs_out == date(2036, 3, 31)
    (s,) = limitation_status(case, date(2027, 2, 1))
    assert s.runs_out == date(2037, 1, 20)


def test_one_interruption_per_demand_later_ones_move_further() -> None:
    history = (
        notice(date(2026, 9, 1)),
        confirmed(date(2026, 9, 2)),
        confirmed(date(2026, 9, 9)),  # a second receipt of the same demand
        DeliveryFailed(date(2026, 9, 10), "B1", "n1", "pec"),  # cannot undo a receipt
        notice(date(2027, 9, 1), key="n2", channel="postal"),
        confirmed(date(2027, 9, 6), key="n2", channel="postal:registered_ar"),
    )
    s = status(one_invoice(), history, as_of=date(2028, 1, 1))
    assert s.interruptions == (date(2026, 9, 2), date(2027, 9, 6))
    assert s.runs_out == date(2037, 9, 6)


def test_every_item_named_by_the_notice_is_reached() -> None:
    p = portfolio(
        [business("B1")],
        [invoice(KEY, "B1", DUE), invoice("2026/0002", "B1", date(2026, 6, 30))],
    )
    history = (notice(date(2026, 9, 1), items=(KEY, "2026/0002")), confirmed(date(2026, 9, 1)))
    got = limitation_status(p.case("B1", AS_OF, history), AS_OF)
    assert [(s.key, s.runs_out) for s in got] == [
        (KEY, date(2036, 9, 1)),
        ("2026/0002", date(2036, 9, 1)),
    ]


@pytest.mark.parametrize(
    ("channel", "proof"),
    [
        ("pec", True),
        ("postal:raccomandata_ar", True),
        ("postal:registered_ar", True),
        ("postal:einschreiben_rueckschein", True),
        ("postal", False),
        ("postal:", False),
        ("postal:prioritaria", False),
        ("email", False),
        ("sms", False),
        ("phone", False),
        ("", False),
        ("fax", False),
    ],
)
def test_proof_convention(channel: str, proof: bool) -> None:
    assert proves_delivery(channel) is proof


# --- near limitation and the guard -----------------------------------------------------------


def sale(key: str, day: date) -> Invoice:
    """A shop sale: delivered, invoiced and due on ``day``."""
    return invoice(key, "B1", day, issued=day, performed_on=day)


def short_case(as_of: date) -> Case:
    rules_portfolio = portfolio(
        [business("B1")], [sale(KEY, DUE), sale("2026/0002", date(2026, 6, 30))]
    )
    return rules_portfolio.case("B1", as_of)


RETAIL = LimitationRules(default="retail_consumer")


def test_items_near_limitation() -> None:
    on = date(2027, 2, 14)  # 2026/0001 runs out on 2027-03-31 (45 days), 2026/0002 on 06-30
    near = items_near_limitation(short_case(on), on, 60, RETAIL)
    assert [(s.key, s.days_left) for s in near] == [(KEY, 45)]
    assert items_near_limitation(short_case(on), on, 44, RETAIL) == ()
    both = items_near_limitation(short_case(on), on, 200, RETAIL)
    assert [s.key for s in both] == [KEY, "2026/0002"]


def test_guard_verdicts() -> None:
    on = date(2027, 2, 14)
    case = short_case(on)
    yes = limitation_within(60, RETAIL).check(case, on)
    assert yes.ok
    assert yes.reason == "2026/0001 runs out on 2027-03-31, in 45 days ≤ 60"
    no = limitation_within(30, RETAIL).check(case, on)
    assert not no.ok
    assert no.reason == "2026/0001 runs out on 2027-03-31, in 45 days > 30"
    assert not limitation_within(60)(case, on)  # ten years by default
    late = date(2027, 4, 5)
    gone = limitation_within(0, RETAIL).check(short_case(late), late)
    assert gone.ok
    assert gone.reason == "2026/0001 ran out on 2027-03-31, 5 days ago"


def test_guard_on_a_case_with_nothing_open() -> None:
    paid = Payment("P1", "B1", date(2026, 4, 1), eur("1000.00"), KEY)
    p = portfolio([business("B1")], [invoice(KEY, "B1", DUE)], [paid])
    verdict = limitation_within(10_000).check(p.case("B1", AS_OF), AS_OF)
    assert (verdict.ok, verdict.reason) == (False, "no open item for limitation")


def test_guard_leaves_disputed_items_out() -> None:
    from dunning.events import DisputeOpened

    on = date(2027, 2, 14)
    p = portfolio([business("B1")], [sale(KEY, DUE), sale("2026/0002", date(2026, 6, 30))])
    case = p.case("B1", on, [DisputeOpened(date(2026, 5, 1), "B1", KEY)])
    assert not limitation_within(60, RETAIL)(case, on)
    assert [s.key for s in limitation_status(case, on, RETAIL)] == [KEY, "2026/0002"]


NAMESPACE = {
    "limitation_within": limitation_within,
    "LimitationRules": LimitationRules,
    "LimitationPeriod": LimitationPeriod,
    "balance_at_least": balance_at_least,
    "Money": eur("1").__class__,
    "datetime": datetime,
}


@pytest.mark.parametrize(
    "guard",
    [
        limitation_within(180),
        limitation_within(60, RETAIL),
        limitation_within(
            30,
            LimitationRules(
                by_tag={"affitti": "periodic", "luce": "utility_consumer"},
                by_invoice={"2026/0042": "professional_fees"},
            ),
        ),
        limitation_within(45, LimitationRules(by_tag={"luce": "utility"})),
        limitation_within(
            30, LimitationRules(periods=[LimitationPeriod("short", 2, "test")], default="short")
        ),
        limitation_within(180) & ~balance_at_least(eur("50")),
    ],
)
def test_guard_repr_round_trips(guard: Guard) -> None:
    again = eval(repr(guard), NAMESPACE)
    assert again == guard
    assert hash(again) == hash(guard)


def test_repr_reads_like_the_code() -> None:
    assert repr(limitation_within(180)) == "limitation_within(180)"
    assert repr(LimitationRules()) == "LimitationRules()"
    rules = LimitationRules(by_tag={"affitti": "periodic"}, by_invoice={KEY: "professional_fees"})
    assert repr(rules) == (
        "LimitationRules(by_tag={'affitti': 'periodic'}, "
        "by_invoice={'2026/0001': 'professional_fees'})"
    )


def test_a_step_can_react() -> None:
    from dunning import Step, pec, postal

    step = Step("formal_notice", "formal_notice", via=pec | postal("raccomandata_ar"))
    gated = step.when(limitation_within(180))
    assert gated.guard == limitation_within(180)


# --- properties: performed_on and its stand-in ----------------------------------------------

FROM_PERFORMANCE = [p for p in ITALY.values() if p.starts_from == "performed_on"]


def _item_status(
    period: LimitationPeriod, issued: date, due: date, performed_on: date | None
) -> ItemLimitation:
    p = portfolio([business("B1")], [invoice(KEY, "B1", due, "10.00", issued, performed_on)])
    (only,) = limitation_status(p.case("B1", due), due, LimitationRules(default=period.name))
    return only


@given(
    st.sampled_from(FROM_PERFORMANCE),
    st.dates(date(2018, 1, 1), date(2040, 12, 31)),
    st.integers(0, 120),
    st.integers(0, 4 * 366),
)
def test_knowing_performed_on_never_makes_the_date_later(
    period: LimitationPeriod, issued: date, term: int, before: int
) -> None:
    """The day of performance can only be on or before the issue date; given, the period runs
    from it exactly (art. 2957 c.c.) and never runs out after the stand-in's date."""
    performed_on = issued - timedelta(days=before)
    due = issued + timedelta(days=term)
    known = _item_status(period, issued, due, performed_on)
    guessed = _item_status(period, issued, due, None)
    assert (known.starts, known.counted_from, known.stand_in) == (
        performed_on,
        "performed_on",
        False,
    )
    assert known.runs_out == period.runs_out(performed_on)
    assert (guessed.starts, guessed.counted_from, guessed.stand_in) == (issued, "issue_date", True)
    assert known.runs_out <= guessed.runs_out


@given(
    st.sampled_from(FROM_PERFORMANCE),
    st.dates(date(2018, 1, 1), date(2040, 12, 31)),
    st.integers(0, 120),
    st.integers(0, 4 * 366),
)
def test_the_stand_in_is_safe_when_the_performance_is_not_before_the_invoice(
    period: LimitationPeriod, issued: date, term: int, after: int
) -> None:
    """An advance invoice, or goods delivered after the invoice: performed_on is then left
    empty, and the stand-in's date is never later than the real one, counted from the day of
    performance (whether that comes before or after the due date)."""
    due = issued + timedelta(days=term)
    guessed = _item_status(period, issued, due, None)
    assert guessed.runs_out <= period.runs_out(issued + timedelta(days=after))


# --- properties ------------------------------------------------------------------------------

ITEMS = (KEY, "2026/0002")
CHANNELS = (
    "pec",
    "pec",
    "postal:raccomandata_ar",
    "email",
    "sms",
    "postal",
    "postal:raccomandata_ar",
    "postal:registered_ar",
    "postal:prioritaria",
)
# weighted towards formal notices over proven channels, so that proofs are common
PLANNED_CHANNELS = ("pec", "pec", "postal", "postal", "email", "sms")
KINDS = (
    "formal_notice",
    "formal_notice",
    "formal_notice",
    "notice",
    "reminder",
    "call",
    "hand_over",
)
START = date(2026, 3, 1)
FAR = date(2060, 1, 1)


def _portfolio() -> Portfolio:
    return portfolio(
        [business("B1")],
        [invoice(KEY, "B1", DUE, issued=ISSUED), invoice("2026/0002", "B1", date(2027, 6, 30))],
    )


PORTFOLIO = _portfolio()


def _failed(on: date, key: str, channel: str) -> DeliveryFailed:
    return DeliveryFailed(on, "B1", key, channel)


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """Events in date order, as they would be recorded over the years: actions, and receipts
    or failures of those actions (or of unknown messages), over any channel."""
    day = START
    events: list[Event] = []
    keys = ["stray"]
    for _ in range(draw(st.integers(1, 14))):
        day += timedelta(days=draw(st.sampled_from((0, 1, 3, 30, 200, 700))))
        what = draw(st.sampled_from(("planned", "planned", "confirmed", "confirmed", "failed")))
        if what == "planned":
            # mostly a new message; sometimes a key used before (a replayed record)
            key = draw(st.sampled_from([f"k{len(events)}", f"k{len(events)}", *keys]))
            keys.append(key)
            items = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=2, unique=True))
            kind = draw(st.sampled_from(KINDS))
            channel = draw(st.sampled_from(PLANNED_CHANNELS))
            events.append(notice(day, key, channel, kind, tuple(items)))
            if draw(st.booleans()):  # its receipt (or failure) comes back within days
                day += timedelta(days=draw(st.integers(0, 10)))
                outcome = confirmed if draw(st.integers(0, 3)) else _failed
                receipt = {"pec": "pec", "postal": "postal:raccomandata_ar"}.get(channel, channel)
                events.append(outcome(day, key, draw(st.sampled_from((receipt, *CHANNELS)))))
        elif what == "confirmed":
            events.append(
                confirmed(day, draw(st.sampled_from(keys)), draw(st.sampled_from(CHANNELS)))
            )
        else:
            key = draw(st.sampled_from(keys))
            events.append(DeliveryFailed(day, "B1", key, draw(st.sampled_from(CHANNELS))))
    return events


def _runs_out(history: list[Event], as_of: date = FAR) -> dict[str, date]:
    case = PORTFOLIO.case("B1", as_of, history)
    return {s.key: s.runs_out for s in limitation_status(case, as_of)}


def _completes_proof(event: Event, before: list[Event], item: str) -> bool:
    """Whether adding ``event`` to ``before`` adds a proven formal notice reaching ``item``."""
    notices = [
        e
        for e in before
        if isinstance(e, ActionPlanned) and e.kind == "formal_notice" and item in e.items
    ]
    if isinstance(event, DeliveryConfirmed):
        return proves_delivery(event.channel) and any(e.key == event.key for e in notices)
    if isinstance(event, ActionPlanned):
        return (
            event.kind == "formal_notice"
            and item in event.items
            and any(
                isinstance(e, DeliveryConfirmed)
                and e.key == event.key
                and proves_delivery(e.channel)
                for e in before
            )
        )
    return False


@given(histories())
def test_limitation_date_never_moves_backwards_and_only_on_proof(history: list[Event]) -> None:
    previous = _runs_out([])
    for n, event in enumerate(history, start=1):
        current = _runs_out(history[:n])
        for item, runs_out in current.items():
            assert runs_out >= previous[item], (item, event)
            if runs_out > previous[item]:
                assert _completes_proof(event, history[: n - 1], item), (item, event)
        previous = current


@given(histories(), st.lists(st.dates(START, date(2040, 1, 1)), min_size=2, max_size=4))
def test_limitation_date_never_moves_backwards_with_time(
    history: list[Event], days: list[date]
) -> None:
    case = PORTFOLIO.case("B1", FAR, history)
    previous: dict[str, date] = {}
    for on in sorted(days):
        for s in limitation_status(case, on):
            assert s.runs_out >= previous.get(s.key, s.runs_out)
            assert s.days_left == (s.runs_out - on).days
            assert all(s.starts <= d <= on for d in s.interruptions)
            previous[s.key] = s.runs_out


@given(histories())
def test_without_proof_nothing_interrupts(history: list[Event]) -> None:
    """Strip every proven receipt: the original period stands, whatever else happened."""
    unproven = [
        e for e in history if not (isinstance(e, DeliveryConfirmed) and proves_delivery(e.channel))
    ]
    case = PORTFOLIO.case("B1", FAR, unproven)
    for s in limitation_status(case, FAR):
        assert s.interruptions == ()
        assert s.runs_out == s.period.runs_out(s.starts)


@given(histories(), st.integers(0, 5000), st.sampled_from(("pec", "postal:raccomandata_ar")))
@example([], 3653, "pec")  # delivered on 2036-03-31, the last day of 2026/0001's period
@example([], 3654, "pec")  # a day too late for 2026/0001, in time for 2026/0002
def test_a_proven_formal_notice_counts_until_the_claim_runs_out(
    history: list[Event], gap: int, proof: str
) -> None:
    """Whatever came before, a new formal notice proven delivered on ``day`` makes every item
    it names run out no earlier than ``day`` + its period, if it reached the debtor by the
    last day of the period; after that it changes nothing (art. 2934, 2945 c.c.)."""
    day = max([START, DUE, *(e.date for e in history)]) + timedelta(days=gap)
    before = _runs_out(history)
    added = [
        *history,
        notice(day, "new", proof.partition(":")[0], items=ITEMS),
        confirmed(day, "new", proof),
    ]
    after = _runs_out(added)
    for item in ITEMS:
        if day <= before[item]:
            assert after[item] == max(before[item], ITALY["ordinary"].runs_out(day))
        else:
            assert after[item] == before[item]


@pytest.mark.parametrize(
    ("service", "interrupts"), [("raccomandata_ar", True), ("prioritaria", False)]
)
def test_the_action_records_its_postal_service(service: str, interrupts: bool) -> None:
    """A plain "postal" receipt proves delivery when the action itself was a raccomandata A/R."""
    sent = attrs.evolve(notice(date(2027, 1, 4), channel="postal"), service=service)
    received = DeliveryConfirmed(date(2027, 1, 8), "B1", key="n1", channel="postal")
    case = one_invoice().case("B1", AS_OF, [sent, received])
    (status,) = limitation_status(case, AS_OF)
    assert status.interruptions == ((date(2027, 1, 8),) if interrupts else ())


def test_a_receipt_the_same_day_as_the_notice_counts() -> None:
    sent = notice(date(2027, 1, 4))
    received = DeliveryConfirmed(date(2027, 1, 4), "B1", key="n1", channel="pec")
    (status,) = limitation_status(one_invoice().case("B1", AS_OF, [received, sent]), AS_OF)
    assert status.runs_out == date(2037, 1, 4)
