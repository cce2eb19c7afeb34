"""The statement of account: figures worked out by hand, and money conserved to the cent."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dunning import CreditNote, GermanyBGB288, Money, Payment, Portfolio
from dunning.allocation import Allocation, by_reference_then_oldest, legal_order, oldest_first
from dunning.events import ActionPlanned, DeliveryConfirmed
from dunning.interest import compute
from dunning.policies.de import mahnwesen
from dunning.statement import statement, statement_for
from helpers import CREDITOR, business, consumer, eur, invoice, portfolio

DUE = date(2025, 3, 31)
AS_OF = date(2025, 9, 30)


def late_payer(*payments: Payment) -> Portfolio:
    return portfolio(
        [business()], [invoice("F1", "B1", DUE, "1000.00", issued=date(2025, 3, 1))], payments
    )


def test_unpaid_invoice_with_italian_commercial_interest() -> None:
    s = statement(late_payer(), "B1", AS_OF, interest="it-231", fixed_compensation_due=True)
    (line,) = s.lines
    assert line.interest is not None
    # 1 Apr - 30 Jun: 1000 x 11.15% x 91/365 = 27.7986 -> 27.80 (2025 H1)
    # 1 Jul - 30 Sep: 1000 x 10.15% x 92/365 = 25.5836 -> 25.58 (2025 H2)
    assert [(p.days, p.rate, p.amount) for p in line.interest.periods] == [
        (91, Decimal("11.15"), eur("27.80")),
        (92, Decimal("10.15"), eur("25.58")),
    ]
    assert s.interest_due == eur("53.38")
    assert s.compensation_due == eur("40.00")
    assert s.total_due == eur("1093.38")
    assert "total due 1,093.38 EUR" in s.text()


def test_legal_order_pays_costs_then_interest_then_principal() -> None:
    pf = late_payer(Payment("P1", "B1", date(2025, 6, 30), eur("500.00"), "F1"))
    s = statement(
        pf, "B1", AS_OF, interest="it-231", fixed_compensation_due=True, allocation=legal_order()
    )
    (line,) = s.lines
    # 500 = 40.00 compensation + 27.80 interest to 30 June + 432.20 principal
    assert line.compensation_paid == eur("40.00")
    assert line.interest_paid == eur("27.80")
    assert line.principal_open == eur("567.80")
    # then 567.80 x 10.15% x 92/365 = 14.5264 -> 14.53
    assert line.interest_due == eur("14.53")
    assert s.total_due == eur("582.33")


def test_principal_first_leaves_interest_and_costs_due() -> None:
    pf = late_payer(Payment("P1", "B1", date(2025, 6, 30), eur("500.00"), "F1"))
    s = statement(pf, "B1", AS_OF, interest="it-231", fixed_compensation_due=True)
    (line,) = s.lines
    assert line.principal_open == eur("500.00")
    # 27.80 + 500 x 10.15% x 92/365 = 12.7918 -> 12.79
    assert line.interest_due == eur("40.59")
    assert s.total_due == eur("580.59")


def test_consumers_owe_no_compensation_and_the_legal_rate() -> None:
    pf = portfolio([consumer()], [invoice("F1", "C1", DUE, "1000.00", issued=date(2025, 3, 1))])
    s = statement(pf, "C1", AS_OF, interest="it-legal", fixed_compensation_due=True)
    # 1000 x 2.0% x 183/365 = 10.0274 -> 10.03 (legal rate 2025)
    assert s.interest_due == eur("10.03")
    assert s.compensation_due == eur("0.00")


def test_paid_late_still_owes_interest_and_compensation() -> None:
    pf = late_payer(Payment("P1", "B1", date(2025, 4, 30), eur("1000.00"), "F1"))
    s = statement(pf, "B1", AS_OF, interest="it-231", fixed_compensation_due=True)
    # 1000 x 11.15% x 30/365 = 9.1644 -> 9.16
    assert (s.principal_due, s.interest_due, s.compensation_due) == (
        eur("0.00"),
        eur("9.16"),
        eur("40.00"),
    )


def test_no_regime_no_interest_and_on_account_is_deducted() -> None:
    pf = late_payer(Payment("P1", "B1", date(2025, 4, 30), eur("1200.00"), "F1"))
    s = statement(pf, "B1", AS_OF)
    assert s.on_account == eur("200.00")
    assert s.total_due == eur("-200.00")
    assert s.open_lines == ()


def test_oldest_first_ignores_the_reference() -> None:
    pf = portfolio(
        [business()],
        [invoice("F1", "B1", DUE, "100.00"), invoice("F2", "B1", date(2025, 4, 30), "100.00")],
        [Payment("P1", "B1", date(2025, 5, 5), eur("100.00"), "F2")],
    )
    assert [str(x.principal_open) for x in statement(pf, "B1", AS_OF).lines] == [
        "100.00 EUR",
        "0.00 EUR",
    ]
    by_age = statement(pf, "B1", AS_OF, allocation=oldest_first())
    assert [str(x.principal_open) for x in by_age.lines] == ["0.00 EUR", "100.00 EUR"]


cents = st.integers(min_value=1, max_value=500_000).map(lambda c: eur(str(Decimal(c) / 100)))


@given(
    st.lists(cents, min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 300), cents, st.booleans()), max_size=4),
    st.one_of(st.none(), cents),
    st.sampled_from([by_reference_then_oldest(), oldest_first(), legal_order()]),
)
def test_money_is_conserved_under_every_allocation(
    amounts: list[Money],
    payments: list[tuple[int, Money, bool]],
    credit: Money | None,
    allocation: Allocation,
) -> None:
    """Invariant 11, money is conserved to the cent under every allocation:
    invoiced = principal paid + credited + principal open; what was received (payments and
    credit notes) = paid + credited + on account; paid = principal + interest + costs."""
    start = date(2025, 1, 2)
    invoices = [
        invoice(f"F{n}", "B1", start + timedelta(days=30 * (n + 1)), str(a.amount), issued=start)
        for n, a in enumerate(amounts)
    ]
    pays = [
        Payment(f"P{n}", "B1", start + timedelta(days=d), m, "F0" if ref else None)
        for n, (d, m, ref) in enumerate(payments)
    ]
    notes = [CreditNote("NC1", "B1", start + timedelta(days=40), credit, "F0")] if credit else []
    pf = Portfolio(CREDITOR, [business()], invoices, pays, notes)
    s = statement(
        pf,
        "B1",
        date(2025, 12, 31),
        interest="it-231",
        fixed_compensation_due=True,
        allocation=allocation,
    )
    zero = eur("0")
    invoiced = sum((x.amount for x in s.lines), zero)
    principal_open = sum((x.principal_open for x in s.lines), zero)
    principal_paid = invoiced - principal_open - s.credited
    costs_and_interest = sum((x.interest_paid + x.compensation_paid for x in s.lines), zero)
    received = sum((m for _, m, _ in payments), zero) + (credit or zero)
    assert received == s.paid + s.credited + s.on_account
    assert s.paid == principal_paid + costs_and_interest
    assert not principal_paid.amount < 0
    if not isinstance(allocation, legal_order):
        assert costs_and_interest == zero


def test_the_policy_chooses_regime_compensation_and_allocation() -> None:
    from dunning.policies import italy
    from dunning.statement import statement_for

    pf = late_payer(Payment("P1", "B1", date(2025, 6, 30), eur("500.00"), "F1"))
    s = statement_for(pf, italy.stragiudiziale(), "B1", AS_OF)
    assert (s.regime, s.allocation) == ("it-231", legal_order())
    assert s.total_due == eur("582.33")  # as in the legal-order example above
    shop = portfolio([consumer()], [invoice("F1", "C1", DUE, "1000.00", issued=date(2025, 3, 1))])
    c = statement_for(shop, italy.stragiudiziale(), "C1", AS_OF)
    assert (c.regime, c.compensation_due, c.interest_due) == ("it-legal", eur("0.00"), eur("10.03"))


# -- Germany: consumers owe + 5 points, from Verzug; payments go to costs, interest, principal --

DE_DUE = date(2025, 1, 31)
DE_AS_OF = date(2025, 6, 30)


def _mahnung(on: date, key: str = "k1", channel: str = "email") -> ActionPlanned:
    return ActionPlanned(
        on,
        "C1",
        key=key,
        step="zahlungserinnerung",
        level=1,
        kind="reminder",
        channel=channel,
        items=["F1"],
        levels=[("F1", 1)],
        amount=eur("1000.00"),
    )


def test_german_consumer_interest_runs_from_the_receipt_of_the_mahnung() -> None:
    # § 288 Abs. 1 BGB: base rate + 5 points (2025 H1: 2.27 + 5 = 7.27 %), and § 286 Abs. 1 /
    # Abs. 3 BGB: a consumer is in Verzug only after a Mahnung (the invoice's due date is not a
    # date agreed "nach dem Kalender"). An e-mail Zahlungserinnerung of 7 February 2025 puts the
    # consumer in default that day; interest runs from 8 February (§ 187 Abs. 1 BGB) to 30 June:
    # 143 days: 1000 × 7.27 × 143 / 36500 = 28.4826… → 28.48
    pf = portfolio([consumer()], [invoice("F1", "C1", DE_DUE, issued=date(2025, 1, 2))])
    regime = GermanyBGB288(consumer=True)
    none = statement(pf, "C1", DE_AS_OF, interest=regime)
    assert none.lines[0].accrues_after is None
    assert none.interest_due == eur("0.00")  # no Mahnung yet: not in default, no interest
    assert "no interest yet on F1: the debtor is not in default" in none.text()
    s = statement(pf, "C1", DE_AS_OF, interest=regime, history=[_mahnung(date(2025, 2, 7))])
    (line,) = s.lines
    assert line.accrues_after == date(2025, 2, 7)
    assert [(p.start, p.days, p.rate) for p in line.interest.periods] == [
        (date(2025, 2, 8), 143, Decimal("7.27"))
    ]
    assert s.interest_due == eur("28.48")
    # by post it is assumed to arrive 4 days later, unless its receipt is recorded
    posted = statement(
        pf, "C1", DE_AS_OF, interest=regime, history=[_mahnung(date(2025, 2, 7), channel="postal")]
    )
    assert posted.lines[0].accrues_after == date(2025, 2, 11)
    received = statement(
        pf,
        "C1",
        DE_AS_OF,
        interest=regime,
        history=[
            _mahnung(date(2025, 2, 7), channel="postal"),
            DeliveryConfirmed(date(2025, 2, 9), "C1", key="k1", channel="postal:einschreiben"),
        ],
    )
    assert received.lines[0].accrues_after == date(2025, 2, 9)


def test_german_consumer_warned_on_the_invoice_is_in_default_30_days_after_due() -> None:
    # § 286 Abs. 3 S. 1 BGB: 30 days after the due date and receipt of the invoice, if the
    # invoice pointed this out to the consumer. Due 31/01/2025 → in default on 02/03/2025,
    # interest from 03/03 to 30/06/2025: 120 days: 1000 × 7.27 × 120 / 36500 = 23.9013… → 23.90
    pf = portfolio([consumer()], [invoice("F1", "C1", DE_DUE, issued=date(2025, 1, 2))])
    warned = GermanyBGB288(consumer=True, invoices_warn_of_default=True)
    s = statement(pf, "C1", DE_AS_OF, interest=warned)
    assert s.lines[0].accrues_after == date(2025, 3, 2)
    assert s.interest_due == eur("23.90")
    # an earlier Mahnung still comes first (7 February: 28.48)
    early = statement(pf, "C1", DE_AS_OF, interest=warned, history=[_mahnung(date(2025, 2, 7))])
    assert early.interest_due == eur("28.48")
    # the preset passes the option to its consumer policy only
    regimes = {p.name: p.regime for p in mahnwesen(invoices_warn_of_default=True).all_policies}
    assert regimes["de.consumer"] == warned
    assert regimes["de.business"] == GermanyBGB288()


def test_german_consumer_rate_is_base_plus_5_not_9() -> None:
    # § 288 Abs. 1 BGB: 1,000 EUR from 1 February to 30 June 2025 (150 days) at 7.27 % =
    # 29.88 EUR (at the business rate of + 9 points it would be 46.32 EUR).
    consumer_rate = compute(eur("1000.00"), DE_DUE, DE_AS_OF, GermanyBGB288(consumer=True))
    business_rate = compute(eur("1000.00"), DE_DUE, DE_AS_OF, GermanyBGB288())
    assert (consumer_rate.amount, business_rate.amount) == (eur("29.88"), eur("46.32"))


def test_the_german_preset_charges_consumers_5_points_and_allocates_under_367() -> None:
    pf = portfolio(
        [consumer(), business()],
        [
            invoice("F1", "C1", DE_DUE, issued=date(2025, 1, 2)),
            invoice("F2", "B1", DE_DUE, issued=date(2025, 1, 2)),
        ],
        [Payment("P1", "B1", date(2025, 3, 31), eur("500.00"))],
    )
    policy = mahnwesen()
    person = statement_for(pf, policy, "C1", DE_AS_OF, [_mahnung(date(2025, 2, 7))])
    assert person.interest_due == eur("28.48")
    assert person.compensation_due == eur("0.00")  # § 288 Abs. 5: never from consumers
    firm = statement_for(pf, policy, "B1", DE_AS_OF)
    # § 367 Abs. 1 BGB: the 500 EUR of 31 March pay the EUR 40 Pauschale, then the interest
    # accrued to 31 March (59 days at 11.27 %: 1000 × 11.27 × 59 / 36500 = 18.22), then
    # 441.78 EUR of principal.
    (line,) = firm.lines
    assert (line.compensation_paid, line.interest_paid) == (eur("40.00"), eur("18.22"))
    assert line.principal_open == eur("558.22")
