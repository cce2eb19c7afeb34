"""Hypothesis strategies for dunning's domain: money, debtors, invoices, payments, portfolios
and event histories.

Every strategy draws small values by default (a few debtors, a few invoices, dates within a
couple of months) so that hundreds of examples run in seconds; widen them with the keyword
arguments. Amounts are drawn as whole minor units (cents) and built as `Decimal`, never as
floats.

>>> from datetime import date
>>> from hypothesis import given
>>> @given(portfolios(date(2026, 1, 5), date(2026, 2, 28)))
... def test_every_invoice_has_a_debtor(portfolio):
...     ids = {d.id for d in portfolio.debtors}
...     assert all(i.debtor_id in ids for i in portfolio.invoices)
>>> test_every_invoice_has_a_debtor()
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from ..events import (
    REPLY_KINDS,
    BlockLifted,
    BlockSet,
    DebtorReplied,
    DisputeOpened,
    DisputeResolved,
    Event,
    LevelReset,
    PlanAgreed,
    PromiseToPay,
    WrittenOff,
)
from ..model import CHANNELS, DEBTOR_KINDS, CreditNote, Creditor, Debtor, Invoice, OpenItem, Payment
from ..model import PostalAddress as _Address
from ..money import Money, minor_units
from ..portfolio import Portfolio

__all__ = [
    "CREDITOR",
    "HISTORY_KINDS",
    "credit_notes",
    "debtors",
    "histories",
    "invoices",
    "money",
    "payments",
    "portfolios",
]

#: The creditor of the portfolios drawn by `portfolios`.
CREDITOR = Creditor(
    "Tipografia Emiliana S.r.l.",
    vat_number="IT01234560371",
    address=_Address(("Via Emilia 10",), "40100", "Bologna", "BO"),
    iban="IT60X0542811101000000123456",
    email="amministrazione@tipografia.example.it",
    pec="tipografia@pec.example.it",
)

#: Kinds of event `histories` can draw.
HISTORY_KINDS = ("promise", "dispute", "block", "write_off", "reset", "plan", "reply")

_ADDRESS = _Address(("Via Roma 1",), "20121", "Milano", "MI")
_NOT_WORD = re.compile(r"[^a-z0-9]")


def _decimal(value: Decimal | int | str) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def money(
    currency: str = "EUR",
    min_value: Decimal | int | str = "0.01",
    max_value: Decimal | int | str = "5000.00",
) -> SearchStrategy[Money]:
    """`Money` of ``currency`` between ``min_value`` and ``max_value`` (inclusive), drawn as
    a whole number of the currency's minor units (cents for EUR), so exact to the cent."""
    places = minor_units(currency)
    low = int(_decimal(min_value).scaleb(places).to_integral_value(rounding="ROUND_CEILING"))
    high = int(_decimal(max_value).scaleb(places).to_integral_value(rounding="ROUND_FLOOR"))
    if low > high:
        raise ValueError(f"money: min_value {min_value} is above max_value {max_value}")
    return st.integers(low, high).map(lambda units: Money(Decimal(units).scaleb(-places), currency))


def _slug(text: str) -> str:
    return _NOT_WORD.sub("", text.lower()) or "x"


@st.composite
def _debtor(
    draw: DrawFn, ids: str | SearchStrategy[str] | None, kinds: Sequence[str], blocked: bool
) -> Debtor:
    if isinstance(ids, str):
        debtor_id = ids
    else:
        debtor_id = draw(ids if ids is not None else st.integers(1, 99).map(lambda n: f"D{n}"))
    kind = draw(st.sampled_from(tuple(kinds)))
    contacts = {c for c in ("email", "pec", "phone", "address") if draw(st.booleans())}
    opt_out: frozenset[str] = frozenset()
    if draw(st.booleans()):
        opt_out = draw(st.frozensets(st.sampled_from(CHANNELS), min_size=1, max_size=2))
    # About one debtor in eight is blocked (the default draws shrink to "not blocked").
    block = None
    if blocked and draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()):
        block = "legal review"
    slug = _slug(debtor_id)
    return Debtor(
        debtor_id,
        f"Debtor {debtor_id}",
        kind=kind,  # type: ignore[arg-type]
        email=f"{slug}@example.com" if "email" in contacts else None,
        pec=f"{slug}@pec.example.it" if "pec" in contacts else None,
        phone=f"+3902123{draw(st.integers(1000, 9999))}" if "phone" in contacts else None,
        address=_ADDRESS if "address" in contacts else None,
        opt_out=opt_out,
        block=block,
    )


def debtors(
    ids: str | SearchStrategy[str] | None = None,
    *,
    kinds: Sequence[str] = DEBTOR_KINDS,
    blocked: bool = True,
) -> SearchStrategy[Debtor]:
    """A `Debtor` of one of ``kinds`` (business, consumer, public administration), with a
    random set of contact points (e-mail, PEC, phone, postal address), a random opt-out
    subset of channels, and (unless ``blocked`` is false) occasionally a block.

    ``ids`` is the id to use, or a strategy drawing it (``D1``..``D99`` by default).
    """
    return _debtor(ids, kinds, blocked)


@st.composite
def _invoice(
    draw: DrawFn,
    debtor_id: str,
    start: date,
    end: date,
    id: str | None,
    currency: str,
    terms: SearchStrategy[int],
    max_instalments: int,
    max_amount: Decimal | int | str,
) -> Invoice:
    invoice_id = id if id is not None else draw(st.integers(1, 999).map(lambda n: f"INV-{n}"))
    issue = draw(st.dates(start, end))
    due = issue + timedelta(days=draw(terms))
    items = []
    for n in range(draw(st.integers(1, max_instalments))):
        if n:
            due += timedelta(days=draw(st.integers(0, 45)))
        items.append(OpenItem(due, draw(money(currency, "1.00", max_amount))))
    return Invoice(invoice_id, debtor_id, issue, tuple(items))


def invoices(
    debtor_id: str,
    start: date,
    end: date,
    *,
    id: str | None = None,
    currency: str = "EUR",
    terms: SearchStrategy[int] | None = None,
    max_instalments: int = 3,
    max_amount: Decimal | int | str = "3000.00",
) -> SearchStrategy[Invoice]:
    """An `Invoice` of ``debtor_id`` issued between ``start`` and ``end``, with 1 to
    ``max_instalments`` open items: the first due after a payment term drawn from ``terms``
    (0–90 days by default), the next ones 0–45 days apart."""
    if end < start:
        raise ValueError(f"invoices: end {end} is before start {start}")
    return _invoice(
        debtor_id,
        start,
        end,
        id,
        currency,
        terms if terms is not None else st.integers(0, 90),
        max_instalments,
        max_amount,
    )


@st.composite
def _payment(
    draw: DrawFn,
    debtor_id: str,
    start: date,
    end: date,
    id: str | None,
    currency: str,
    references: Sequence[str],
    max_amount: Decimal | int | str,
) -> Payment:
    payment_id = id if id is not None else draw(st.integers(1, 999).map(lambda n: f"PAY-{n}"))
    reference = draw(st.sampled_from((None, *references)))
    return Payment(
        payment_id,
        debtor_id,
        draw(st.dates(start, end)),
        draw(money(currency, "0.01", max_amount)),
        reference,
    )


def payments(
    debtor_id: str,
    start: date,
    end: date,
    *,
    id: str | None = None,
    currency: str = "EUR",
    references: Sequence[str] = (),
    max_amount: Decimal | int | str = "3000.00",
) -> SearchStrategy[Payment]:
    """A `Payment` from ``debtor_id`` with a value date between ``start`` and ``end``, and a
    reference drawn from ``references`` (or none)."""
    if end < start:
        raise ValueError(f"payments: end {end} is before start {start}")
    return _payment(debtor_id, start, end, id, currency, tuple(references), max_amount)


def credit_notes(
    invoice: Invoice, end: date, *, id: str = "CN-1", max_amount: Decimal | int | str | None = None
) -> SearchStrategy[CreditNote]:
    """A `CreditNote` on ``invoice`` (up to its total, or ``max_amount``), dated between its
    issue date and ``end``."""
    top = max_amount if max_amount is not None else invoice.total.amount
    return st.builds(
        CreditNote,
        st.just(id),
        st.just(invoice.debtor_id),
        st.dates(invoice.issue_date, max(end, invoice.issue_date)),
        money(invoice.currency, "0.01", top),
        st.just(invoice.id),
    )


@st.composite
def _portfolio(
    draw: DrawFn,
    start: date,
    end: date,
    max_debtors: int,
    min_invoices: int,
    max_invoices: int,
    max_payments: int,
    max_credit_notes: int,
    currencies: Sequence[str],
    terms: SearchStrategy[int] | None,
    blocked: bool,
) -> Portfolio:
    count = draw(st.integers(1, max_debtors))
    people = [draw(debtors(f"D{n}", blocked=blocked)) for n in range(1, count + 1)]
    bills: list[Invoice] = []
    for debtor in people:
        for _ in range(draw(st.integers(min_invoices, max_invoices))):
            bills.append(
                draw(
                    invoices(
                        debtor.id,
                        start,
                        end,
                        id=f"INV-{len(bills) + 1}",
                        currency=draw(st.sampled_from(tuple(currencies))),
                        terms=terms,
                    )
                )
            )
    received: list[Payment] = []
    notes: list[CreditNote] = []
    for debtor in people:
        mine = [i for i in bills if i.debtor_id == debtor.id]
        if not mine:
            continue
        for _ in range(draw(st.integers(0, max_payments))):
            inv = draw(st.sampled_from(mine))
            how = draw(st.sampled_from(("invoice", "item", "any")))
            if how == "invoice":
                amount = inv.total
            elif how == "item":
                amount = draw(st.sampled_from(inv.items)).amount
            else:
                amount = draw(money(inv.currency, "0.01", inv.total.amount))
            reference = draw(st.sampled_from((None, inv.id, f"saldo fattura {inv.id}")))
            when = draw(st.dates(inv.issue_date, max(end, inv.issue_date)))
            received.append(Payment(f"PAY-{len(received) + 1}", debtor.id, when, amount, reference))
        for _ in range(draw(st.integers(0, max_credit_notes))):
            inv = draw(st.sampled_from(mine))
            notes.append(draw(credit_notes(inv, end, id=f"CN-{len(notes) + 1}")))
    return Portfolio(CREDITOR, people, bills, received, notes)


def portfolios(
    start: date,
    end: date,
    *,
    max_debtors: int = 3,
    min_invoices: int = 0,
    max_invoices: int = 3,
    max_payments: int = 2,
    max_credit_notes: int = 0,
    currencies: Sequence[str] = ("EUR",),
    terms: SearchStrategy[int] | None = None,
    blocked: bool = True,
) -> SearchStrategy[Portfolio]:
    """A `Portfolio` of `CREDITOR` with 1 to ``max_debtors`` debtors (ids ``D1``, ``D2``...),
    each with ``min_invoices`` to ``max_invoices`` invoices issued between ``start`` and
    ``end`` (ids ``INV-1``...; the currency of each drawn from ``currencies``), up to
    ``max_payments`` payments (an invoice's total, one instalment, or any amount up to the
    invoice's total, with or without a reference) and up to ``max_credit_notes`` credit
    notes."""
    if end < start:
        raise ValueError(f"portfolios: end {end} is before start {start}")
    if max_debtors < 1:
        raise ValueError("portfolios: max_debtors must be at least 1")
    if not 0 <= min_invoices <= max_invoices:
        raise ValueError("portfolios: need 0 <= min_invoices <= max_invoices")
    return _portfolio(
        start,
        end,
        max_debtors,
        min_invoices,
        max_invoices,
        max_payments,
        max_credit_notes,
        tuple(currencies),
        terms,
        blocked,
    )


@st.composite
def _events(
    draw: DrawFn, portfolio: Portfolio, start: date, end: date, kinds: Sequence[str]
) -> list[Event]:
    kind = draw(st.sampled_from(tuple(kinds)))
    debtor = draw(st.sampled_from(portfolio.debtors))
    mine = [i for i in portfolio.invoices if i.debtor_id == debtor.id]
    day = draw(st.dates(start, end))
    later = day + timedelta(days=draw(st.integers(1, 20)))
    if kind == "promise":
        amount = None
        partial = draw(st.booleans())
        if mine and partial:
            inv = draw(st.sampled_from(mine))
            amount = draw(money(inv.currency, "0.01", inv.total.amount))
        return [PromiseToPay(day, debtor.id, later, amount)]
    if kind == "block":
        lifted = draw(st.booleans())
        return [BlockSet(day, debtor.id, "legal review")] + (
            [BlockLifted(later, debtor.id)] if lifted else []
        )
    if not mine:
        return []
    inv = draw(st.sampled_from(mine))
    day = draw(st.dates(min(inv.issue_date, end), end))
    later = day + timedelta(days=draw(st.integers(1, 20)))
    if kind == "reset":
        keys = [inv.item_key(item) for item in inv.items]
        some_keys = draw(st.lists(st.sampled_from(keys), max_size=len(keys), unique=True))
        return [LevelReset(day, debtor.id, tuple(some_keys), draw(st.integers(0, 2)), "agreed")]
    if kind == "plan":
        count = draw(st.integers(1, 3))
        parts = inv.total.allocate([1] * count)
        if not all(p.is_positive for p in parts):
            parts = (inv.total,)
            count = 1
        first = day + timedelta(days=draw(st.integers(0, 20)))
        every = draw(st.integers(7, 31))
        dates = [first + timedelta(days=every * n) for n in range(count)]
        return [PlanAgreed(day, debtor.id, instalments=list(zip(dates, parts, strict=True)))]
    if kind == "reply":
        reply = draw(st.sampled_from(REPLY_KINDS))
        return [
            DebtorReplied(
                day,
                debtor.id,
                "reply",
                kind=reply,  # type: ignore[arg-type]
                reference="CRO 0306912345" if reply == "payment_sent" else "",
                until=later if reply == "promise" else None,
                invoice_id=inv.id if reply == "dispute" and draw(st.booleans()) else None,
            )
        ]
    if kind == "write_off":
        keys = [inv.item_key(item) for item in inv.items]
        chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=len(keys), unique=True))
        return [WrittenOff(day, debtor.id, tuple(chosen), "uncollectable")]
    numbers = [item.number for item in inv.items]
    some = draw(st.frozensets(st.sampled_from(numbers), max_size=len(numbers) - 1))
    resolved = draw(st.booleans())
    return [DisputeOpened(day, debtor.id, inv.id, some, "goods not delivered")] + (
        [DisputeResolved(later, debtor.id, inv.id, some, "credit note agreed")] if resolved else []
    )


@st.composite
def _history(
    draw: DrawFn,
    portfolio: Portfolio,
    start: date,
    end: date,
    max_events: int,
    kinds: Sequence[str],
) -> list[Event]:
    events: list[Event] = []
    for _ in range(draw(st.integers(0, max_events))):
        events.extend(draw(_events(portfolio, start, end, kinds)))
    return sorted(events, key=lambda e: e.date)


def histories(
    portfolio: Portfolio,
    start: date,
    end: date,
    *,
    max_events: int = 4,
    kinds: Sequence[str] = HISTORY_KINDS,
) -> SearchStrategy[list[Event]]:
    """Up to ``max_events`` facts about the debtors of ``portfolio`` starting between
    ``start`` and ``end``, in date order: promises to pay (of everything, or of an amount, 1–20
    days ahead), disputes (of whole invoices or some instalments, half of them resolved 1–20
    days later), blocks (half of them lifted 1–20 days later), items written off, levels
    reset (of some items of an invoice, or of all open items, to level 0–2), payment plans
    (1–3 instalments of an invoice's total), replies of every kind. ``kinds`` picks
    among `HISTORY_KINDS`; resolutions and lifts may fall after ``end``."""
    unknown = set(kinds) - set(HISTORY_KINDS)
    if unknown or not kinds:
        raise ValueError(f"histories: kinds must be among {HISTORY_KINDS}, not {tuple(kinds)}")
    if end < start:
        raise ValueError(f"histories: end {end} is before start {start}")
    return _history(portfolio, start, end, max_events, tuple(kinds))
