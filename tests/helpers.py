"""Small builders shared by the tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from dunning import Creditor, Debtor, Event, Invoice, Money, Payment, Portfolio, PostalAddress

CREDITOR = Creditor("Tipografia Emiliana S.r.l.", vat_number="IT01234567890")
ADDRESS = PostalAddress(["Via Indipendenza 10"], "40121", "Bologna", "BO")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def business(id: str = "B1", **kw: object) -> Debtor:
    fields: dict[str, object] = {
        "email": "amministrazione@example.it",
        "pec": "example@pec.it",
        "phone": "+390511234567",
        "address": ADDRESS,
    }
    fields.update(kw)
    return Debtor(id, f"Business {id}", **fields)  # type: ignore[arg-type]


def consumer(id: str = "C1", **kw: object) -> Debtor:
    fields: dict[str, object] = {"email": "mario.rossi@example.it", "address": ADDRESS}
    fields.update(kw)
    return Debtor(id, f"Consumer {id}", kind="consumer", **fields)  # type: ignore[arg-type]


def invoice(
    id: str, debtor: str, due: date, amount: str = "1000.00", issued: date | None = None
) -> Invoice:
    return Invoice.single(id, debtor, issued or date(due.year, 1, 2), due, eur(amount))


def portfolio(
    debtors: Iterable[Debtor],
    invoices: Iterable[Invoice],
    payments: Iterable[Payment] = (),
    events: Iterable[Event] = (),
) -> Portfolio:
    return Portfolio(
        CREDITOR, tuple(debtors), tuple(invoices), tuple(payments), events=tuple(events)
    )
