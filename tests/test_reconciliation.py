"""Reconciliation of bank payments with open items, and the statement-freshness guard."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning import (
    Calendar,
    Closure,
    Creditor,
    Debtor,
    Invoice,
    Money,
    OpenItem,
    Payment,
    Portfolio,
    check_freshness,
    plan,
    reconcile,
)
from dunning.errors import DataError
from dunning.payment import creditor_reference, format_reference
from dunning.policies import italy
from dunning.proposal import Action, Proposal
from dunning.reconciliation import invoice_numbers
from dunning.testing.strategies import portfolios

CREDITOR = Creditor("Tipografia Emiliana S.r.l.", iban="IT60X0542811101000000123456")
IBAN_1 = "IT60X0542811101000000123456"
IBAN_2 = "DE89370400440532013000"
AS_OF = date(2026, 7, 16)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def portfolio(*payments: Payment) -> Portfolio:
    return Portfolio(
        CREDITOR,
        [
            Debtor("C001", "Bar Centrale", email="info@barcentrale.it", ibans=[IBAN_1]),
            Debtor("C002", "Osteria del Portico", ibans="de89 3704 0044 0532 0130 00"),
            Debtor("C003", "Pizzeria Da Gino"),
        ],
        [
            Invoice.single(
                "F145",
                "C001",
                date(2026, 5, 2),
                date(2026, 6, 1),
                eur("120.00"),
                number="2026/0145",
            ),
            Invoice.single(
                "F146", "C001", date(2026, 5, 9), date(2026, 6, 8), eur("80.00"), number="2026/0146"
            ),
            Invoice.single(
                "F150", "C002", date(2026, 5, 20), date(2026, 6, 19), eur("120.00"), number="150"
            ),
            Invoice(
                "F151",
                "C003",
                date(2026, 5, 20),
                (
                    OpenItem(date(2026, 6, 19), eur("50.00")),
                    OpenItem(date(2026, 7, 19), eur("50.00")),
                ),
                number="2026/0151",
            ),
        ],
        payments,
    )


def bank(
    ref: str,
    amount: str,
    text: str | None = None,
    iban: str | None = None,
    debtor_id: str = "",
) -> Payment:
    return Payment(
        ref,
        debtor_id,
        date(2026, 7, 15),
        eur(amount),
        text,
        payer_iban=iban,
        payer_name="someone",
        bank_reference=ref,
    )


# -- the model -------------------------------------------------------------------------------


def test_a_statement_payment_has_no_debtor_until_matched() -> None:
    pay = bank("B-1", "10.00")
    assert (pay.debtor_id, pay.matched) == ("", False)
    with pytest.raises(DataError) as caught:
        portfolio(pay)
    assert (caught.value.record, caught.value.field) == ("payment B-1", "debtor_id")
    assert "dunning.reconcile" in caught.value.message
    assert attrs.evolve(pay, debtor_id="C001").matched


def test_payment_fields_are_one_line_and_the_payer_iban_is_compact() -> None:
    assert bank("B-1", "1.00", iban="it60 x054 2811 1010 0000 0123 456").payer_iban == IBAN_1
    with pytest.raises(DataError, match="control character"):
        attrs.evolve(bank("B-1", "1.00"), payer_name="a\nBcc: x")


def test_debtor_ibans_are_compact_and_checked() -> None:
    assert Debtor("C1", "x", ibans=["it60 x054 2811 1010 0000 0123 456"]).ibans == {IBAN_1}
    with pytest.raises(DataError) as caught:
        Debtor("C1", "x", ibans=[IBAN_1, "IT61X0542811101000000123456"])
    assert (caught.value.record, caught.value.field) == ("debtor C1", "ibans")


# -- rule 1: the creditor reference ----------------------------------------------------------


def test_rule_1_the_reference_of_the_reminders() -> None:
    p = portfolio()
    proposal = plan(p, italy.stragiudiziale(), AS_OF)
    (action,) = proposal.for_debtor("C001")
    reference = format_reference(creditor_reference("C001", "EUR", 1))
    pay = bank("B-1", "200.00", f"Bonifico {reference.lower()} grazie", iban=IBAN_2)
    result = reconcile(p, [pay], AS_OF, proposal.events())
    (match,) = result.matched
    assert (match.debtor_id, match.rule, match.items) == ("C001", "reference", action.items)
    assert match.items == ("F145", "F146")
    assert (match.open, match.difference, match.settles) == (
        eur("200.00"),
        eur("0.00"),
        ("F145", "F146"),
    )
    assert "episode 1" in match.why
    assert reference in match.why
    assert result.unmatched == ()


def test_rule_1_without_history_takes_the_open_items() -> None:
    pay = bank("B-1", "50.00", creditor_reference("C003", "EUR", 1))
    (match,) = reconcile(portfolio(), [pay], AS_OF).matched
    assert (match.debtor_id, match.items, match.settles) == (
        "C003",
        ("F151#1", "F151#2"),
        ("F151#1",),
    )
    assert match.partial
    assert match.difference == eur("-50.00")
    assert "claimed no item still open" in match.why


def test_rule_1_reference_of_an_unknown_debtor_or_another_currency() -> None:
    stranger = bank("B-1", "5.00", creditor_reference("C999", "EUR", 1))
    dollars = bank("B-2", "5.00", creditor_reference("C001", "USD", 1))
    result = reconcile(portfolio(), [stranger, dollars], AS_OF)
    assert result.matched == ()
    assert "names no known debtor" in result.unmatched[0].reason
    assert "is for C001's USD case, the payment is in EUR" in result.unmatched[1].reason


# -- rule 2: invoice numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Saldo FT 2026/0145", "fatt. 145/2026", "pagamento 2026-0145.", "FT2026/0145 grazie", "F145"],
)
def test_rule_2_invoice_numbers_as_people_write_them(text: str) -> None:
    (match,) = reconcile(portfolio(), [bank("B-1", "120.00", text)], AS_OF).matched
    assert (match.debtor_id, match.rule, match.items, match.difference) == (
        "C001",
        "invoice_number",
        ("F145",),
        eur("0.00"),
    )


@pytest.mark.parametrize(
    "text",
    [
        "fattura 2026/01450",  # a longer number
        "fattura 12026/0145",
        "fattura 2026/0145/3",
        "rif 20260145",
        "IBAN IT60 X054 2811 1010 0000 0123 456",  # no invoice in an IBAN
        "IT60X0542811101000000123456",
        "importo 1.150,00",
    ],
)
def test_rule_2_never_a_number_inside_a_longer_one(text: str) -> None:
    result = reconcile(portfolio(), [bank("B-1", "7.00", text)], AS_OF)
    assert result.matched == ()
    assert result.unmatched[0].reason.startswith("no creditor reference, no invoice number")


def test_rule_2_a_plain_number_and_the_year_of_the_invoice() -> None:
    result = reconcile(portfolio(), [bank("B-1", "120.00", "Fattura 150/2026")], AS_OF)
    assert [(m.debtor_id, m.items) for m in result.matched] == [("C002", ("F150",))]
    result = reconcile(portfolio(), [bank("B-1", "120.00", "Fattura 150/2025")], AS_OF)
    assert result.matched == ()


def test_rule_2_several_invoices_of_one_debtor_and_of_two() -> None:
    pay = bank("B-1", "150.00", "Saldo fatture 2026/0145 e 2026/0146")
    (match,) = reconcile(portfolio(), [pay], AS_OF).matched
    assert (match.items, match.open, match.difference) == (
        ("F145", "F146"),
        eur("200.00"),
        eur("-50.00"),
    )
    pay = bank("B-2", "150.00", "Saldo fatture 2026/0145 e 150")
    (lost,) = reconcile(portfolio(), [pay], AS_OF).unmatched
    assert "belong to 2 debtors: C001, C002" in lost.reason


def test_rule_2_an_invoice_already_paid_is_an_overpayment() -> None:
    paid = Payment("P1", "C001", date(2026, 6, 1), eur("120.00"), "2026/0145")
    (match,) = reconcile(portfolio(paid), [bank("B-1", "120.00", "FT 2026/0145")], AS_OF).matched
    assert (match.items, match.overpaid, match.difference) == ((), True, eur("120.00"))
    assert "(already paid)" in match.why


def test_invoice_numbers() -> None:
    assert invoice_numbers("fatt. 145/2026 e 146/2026") == {("Y", 2026, 145), ("Y", 2026, 146)}
    assert invoice_numbers("rata del 15/07/2026") == {("N", 15, 7, 2026)}
    assert invoice_numbers("TAN:283044") == {("N", 283044)}
    assert invoice_numbers("A1b12") == frozenset()
    assert invoice_numbers("Ab12cd") == {("N", 12)}
    assert invoice_numbers("RF11 C001 EUR0 01 e RF18539007547034") == frozenset()
    assert invoice_numbers("RF11 C001 EUR0 01 fatt 7") == {("N", 7)}


# -- rule 3: amount and IBAN -----------------------------------------------------------------


def test_rule_3_amount_of_an_item_from_a_known_iban() -> None:
    (match,) = reconcile(portfolio(), [bank("B-1", "80.00", "bonifico", IBAN_1)], AS_OF).matched
    assert (match.debtor_id, match.rule, match.items) == ("C001", "amount_iban", ("F146",))
    (match,) = reconcile(portfolio(), [bank("B-1", "200.00", None, IBAN_1)], AS_OF).matched
    assert (match.items, match.difference) == (("F145", "F146"), eur("0.00"))


def test_rule_3_needs_the_iban() -> None:
    result = reconcile(portfolio(), [bank("B-1", "120.00", "bonifico")], AS_OF)
    (lost,) = result.unmatched
    assert lost.reason == (
        "no creditor reference, no invoice number, amount 120.00 EUR matches 2 debtors: "
        "C001, C002, no payer IBAN"
    )
    result = reconcile(
        portfolio(), [bank("B-1", "120.00", None, "FR1420041010050500013M02606")], AS_OF
    )
    assert result.unmatched[0].reason.endswith(
        "the payer's IBAN FR1420041010050500013M02606 is not known for any debtor"
    )


def test_rule_3_known_iban_but_another_amount() -> None:
    (lost,) = reconcile(portfolio(), [bank("B-1", "99.00", None, IBAN_2)], AS_OF).unmatched
    assert "the payer's IBAN is C002's, but amount 99.00 EUR is not what" in lost.reason
    assert "(C002 120.00 EUR)" in lost.reason


def test_a_matched_payment_reduces_what_the_next_can_match() -> None:
    first = bank("B-1", "120.00", None, IBAN_2)
    second = bank("B-2", "120.00", None, IBAN_2)
    result = reconcile(portfolio(), [first, second], AS_OF)
    assert [m.payment.id for m in result.matched] == ["B-1"]
    assert "the payer's IBAN is C002's, who has nothing open" in result.unmatched[0].reason


def test_a_payment_with_its_debtor_is_matched_only_to_it() -> None:
    pay = bank("B-1", "120.00", "FT 2026/0145", debtor_id="C002")
    result = reconcile(portfolio(), [pay], AS_OF)
    assert result.matched == ()
    pay = bank("B-2", "120.00", "FT 2026/0145", debtor_id="C404")
    assert "is not in the portfolio" in reconcile(portfolio(), [pay], AS_OF).unmatched[0].reason


# -- idempotency, reports, apply -------------------------------------------------------------


def test_reconciling_twice_matches_nothing_new() -> None:
    pays = [bank("B-1", "120.00", "FT 2026/0145"), bank("B-2", "3.00")]
    p = portfolio()
    first = reconcile(p, pays, AS_OF)
    updated = first.apply(p)
    assert [x.id for x in updated.payments] == ["B-1"]
    again = reconcile(updated, pays, AS_OF)
    assert again.matched == ()
    assert [(u.payment.id, u.duplicate) for u in again.unmatched] == [("B-1", True), ("B-2", False)]
    assert again.unmatched[0].reason == "already recorded as payment B-1"
    assert again.to_allocate == (again.unmatched[1],)
    # the same bank reference twice in one list (two overlapping statements)
    twice = reconcile(p, [pays[0], pays[0]], AS_OF)
    assert len(twice.matched) == 1
    assert twice.unmatched[0].duplicate
    # a payment recorded under another id but with the bank reference
    old = attrs.evolve(pays[0], id="P-77", debtor_id="C001")
    assert reconcile(portfolio(old), pays[:1], AS_OF).unmatched[0].reason == (
        "already recorded as payment P-77"
    )


def test_the_report() -> None:
    pays = [
        bank("B-1", "100.00", "FT 2026/0145"),
        bank("B-2", "130.00", "fattura 150/2026"),
        bank("B-3", "3.00"),
    ]
    result = reconcile(portfolio(), pays, AS_OF)
    assert [m.payment.id for m in result.partial] == ["B-1"]
    assert [m.payment.id for m in result.overpaid] == ["B-2"]
    text = result.report()
    assert text.splitlines()[0] == (
        "Reconciliation as of 2026-07-16: 2 matched, 1 to allocate, 0 already recorded"
    )
    assert "partial, 20.00 EUR still open" in text
    assert "overpaid by 10.00 EUR, on account" in text
    assert "to allocate B-3" in text


def test_reconcile_is_pure_and_deterministic() -> None:
    p = portfolio()
    pays = [bank("B-1", "120.00", "FT 2026/0145"), bank("B-2", "80.00", None, IBAN_1)]
    assert reconcile(p, pays, AS_OF) == reconcile(p, pays, AS_OF)
    assert p.payments == ()


# -- properties ------------------------------------------------------------------------------

START, END = date(2026, 1, 1), date(2026, 6, 30)


@st.composite
def statement_payments(draw: st.DrawFn, p: Portfolio) -> list[Payment]:
    found = []
    ids = [d.id for d in p.debtors]
    for n in range(draw(st.integers(0, 6))):
        how = draw(st.sampled_from(["rf", "number", "amount", "noise"]))
        text: str | None = None
        amount = Money(Decimal(draw(st.integers(1, 50_000))).scaleb(-2), "EUR")
        if how == "rf":
            text = "saldo " + format_reference(
                creditor_reference(draw(st.sampled_from(ids)), "EUR", 1)
            )
        elif how == "number" and p.invoices:
            text = f"fatt. {draw(st.sampled_from(p.invoices)).label}"
        elif how == "amount" and p.invoices:
            amount = draw(st.sampled_from(p.invoices)).total
        ref = draw(st.sampled_from([f"B-{n}", "B-0"]))  # sometimes a repeated bank reference
        found.append(Payment(ref, "", END, amount, text, bank_reference=ref))
    return found


@given(data=st.data(), p=portfolios(START, END, max_debtors=4, max_payments=1, blocked=False))
def test_properties(data: st.DataObject, p: Portfolio) -> None:
    pays = data.draw(statement_payments(p))
    result = reconcile(p, pays, END)
    # every payment is matched or unmatched, once, in the order given
    back = [m.payment for m in result.matched] + [u.payment for u in result.unmatched]
    assert Counter(x.id for x in back) == Counter(x.id for x in pays)
    assert len(back) == len(pays)
    # no payment matched twice; the matched ones can join the portfolio
    assert len({m.payment.id for m in result.matched}) == len(result.matched)
    updated = result.apply(p)
    assert len(updated.payments) == len(p.payments) + len(result.matched)
    # amounts are conserved
    total = sum((x.amount for x in pays), Money.zero("EUR"))
    assert sum((x.amount for x in back), Money.zero("EUR")) == total
    for m in result.matched:
        original = next(x for x in pays if x.id == m.payment.id)
        assert attrs.evolve(m.payment, debtor_id="") == original
        assert m.difference == m.payment.amount - m.open
        assert set(m.settles) <= set(m.items)
    # a payment carrying a debtor's reference is matched to that debtor
    for m in result.matched:
        text = m.payment.reference or ""
        if text.startswith("saldo RF"):
            assert m.rule == "reference"
            assert text.replace(" ", "").endswith(creditor_reference(m.debtor_id, "EUR", 1))
    for u in result.unmatched:
        text = u.payment.reference or ""
        if text.startswith("saldo RF") and not u.duplicate:
            # only when the debtor has no EUR invoice
            assert "has no invoice" in u.reason
    # idempotent
    again = reconcile(updated, pays, END)
    assert again.matched == ()


# -- the freshness guard ---------------------------------------------------------------------


def test_freshness() -> None:
    stale = check_freshness(date(2026, 7, 10), date(2026, 7, 16))
    assert (stale.fresh, stale.age) == (False, 4)
    assert stale.why == (
        "the newest bank statement is of 2026-07-10, 4 business days before 2026-07-16 "
        "(at most 2): reconcile a newer statement or force"
    )
    fresh = check_freshness(date(2026, 7, 15), date(2026, 7, 16))
    assert (fresh.fresh, fresh.age, fresh.why) == (
        True,
        1,
        "the newest bank statement is of 2026-07-15, 1 business day before 2026-07-16 (at most 2)",
    )
    assert check_freshness(date(2026, 7, 16), date(2026, 7, 16)).age == 0
    assert check_freshness(date(2026, 7, 20), date(2026, 7, 16)).age == 0
    # over Ferragosto (Saturday 15 August 2026) and a company closure
    closed = Calendar("IT") + Closure(date(2026, 8, 10), date(2026, 8, 14), "ferie")
    assert check_freshness(date(2026, 8, 7), date(2026, 8, 17), closed).age == 1
    assert check_freshness(date(2026, 8, 7), date(2026, 8, 17), Calendar("IT")).age == 6
    assert check_freshness(date(2026, 7, 10), date(2026, 7, 16), max_age=4).fresh
    none = check_freshness(None, date(2026, 7, 16))
    assert (none.fresh, none.age) == (False, None)
    assert "no bank statement has been reconciled" in none.why
    with pytest.raises(ValueError, match="max_age"):
        check_freshness(None, date(2026, 7, 16), max_age=-1)


def test_a_stale_statement_holds_reminders_but_not_pre_due_notices() -> None:
    def action(kind: str, debtor: str) -> Action:
        return Action(AS_OF, debtor, kind, 1, kind, "email", ("F1",), eur("1.00"), None, "due")

    proposal = Proposal(AS_OF, (action("notice", "C001"), action("reminder", "C002")))
    stale = check_freshness(date(2026, 7, 1), AS_OF)
    held = stale.apply(proposal)
    assert [a.kind for a in held] == ["notice"]
    assert [(w.debtor_id, w.why) for w in held.waiting] == [
        ("C002", f"{stale.why} (reminder held)")
    ]
    assert check_freshness(date(2026, 7, 15), AS_OF).apply(proposal) == proposal
