"""The portfolio: a creditor's debtors, invoices, credit notes, payments and known facts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from functools import cached_property
from os import PathLike
from typing import TypeVar

import attrs

from .case import Case, fold
from .errors import DataError
from .events import (
    CreditNoteRegistered,
    DisputeOpened,
    DisputeResolved,
    Event,
    InvoiceRegistered,
    PaymentReceived,
)
from .model import CreditNote, Creditor, Debtor, Invoice, Payment

__all__ = ["Portfolio"]

T = TypeVar("T", Debtor, Invoice, Payment, CreditNote)


def _check_unique(records: Iterable[T], what: str) -> tuple[T, ...]:
    seen: set[str] = set()
    result = tuple(records)
    for record in result:
        if record.id in seen:
            raise DataError("the id is used twice", record=f"{what} {record.id}", field="id")
        seen.add(record.id)
    return result


def _debtors(value: Iterable[Debtor]) -> tuple[Debtor, ...]:
    return _check_unique(value, "debtor")


def _invoices(value: Iterable[Invoice]) -> tuple[Invoice, ...]:
    return _check_unique(value, "invoice")


def _payments(value: Iterable[Payment]) -> tuple[Payment, ...]:
    return _check_unique(value, "payment")


def _credit_notes(value: Iterable[CreditNote]) -> tuple[CreditNote, ...]:
    return _check_unique(value, "credit note")


def _events(value: Iterable[Event]) -> tuple[Event, ...]:
    return tuple(value)


@attrs.frozen(eq=False)
class Portfolio:
    """Everything a creditor knows about what it is owed.

    ``events`` holds facts that are not invoices or payments (promises to pay, disputes,
    blocks...). References are checked on construction: an invoice of an unknown debtor is a
    `DataError` naming the invoice and the field.
    """

    creditor: Creditor
    debtors: tuple[Debtor, ...] = attrs.field(converter=_debtors)
    invoices: tuple[Invoice, ...] = attrs.field(default=(), converter=_invoices)
    payments: tuple[Payment, ...] = attrs.field(default=(), converter=_payments)
    credit_notes: tuple[CreditNote, ...] = attrs.field(default=(), converter=_credit_notes)
    events: tuple[Event, ...] = attrs.field(default=(), converter=_events)

    def __attrs_post_init__(self) -> None:
        ids = {d.id for d in self.debtors}
        invoices = {i.id for i in self.invoices}
        groups: list[tuple[str, Iterable[Invoice | Payment | CreditNote | Event]]] = [
            ("invoice", self.invoices),
            ("payment", self.payments),
            ("credit note", self.credit_notes),
        ]
        for pay in self.payments:
            if not pay.debtor_id:
                raise DataError(
                    "has no debtor: a payment read from a bank statement joins the portfolio "
                    "once dunning.reconcile has matched it to a debtor",
                    record=f"payment {pay.id}",
                    field="debtor_id",
                )
        for what, records in groups:
            for record in records:
                if record.debtor_id not in ids:
                    name = getattr(record, "id", "")
                    raise DataError(
                        f"unknown debtor {record.debtor_id!r}",
                        record=f"{what} {name}",
                        field="debtor_id",
                    )
        for note in self.credit_notes:
            if note.invoice_id is not None and note.invoice_id not in invoices:
                raise DataError(
                    f"unknown invoice {note.invoice_id!r}",
                    record=f"credit note {note.id}",
                    field="invoice_id",
                )
        for event in self.events:
            if event.debtor_id not in ids:
                raise DataError(
                    f"unknown debtor {event.debtor_id!r}",
                    record=f"{type(event).__name__} of {event.date}",
                    field="debtor_id",
                )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Portfolio):
            return NotImplemented
        return (
            self.creditor,
            self.debtors,
            self.invoices,
            self.payments,
            self.credit_notes,
            self.events,
        ) == (
            other.creditor,
            other.debtors,
            other.invoices,
            other.payments,
            other.credit_notes,
            other.events,
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_csv(cls, folder: str | PathLike[str]) -> Portfolio:
        """Read the folder layout of ``dunning run``: ``dunning.toml``, ``debtors.csv``,
        ``invoices.csv``, ``payments.csv`` and optionally ``events.csv``.

        See ``docs/data.md`` for the columns. Every bad cell is reported at once in one
        `DataError` whose ``errors`` name the file, line and field.
        """
        from .importers.folder import read_folder

        return read_folder(folder).portfolio

    @cached_property
    def _debtors(self) -> dict[str, Debtor]:
        return {d.id: d for d in self.debtors}

    @cached_property
    def _events_by_debtor(self) -> dict[str, list[Event]]:
        by: dict[str, list[Event]] = {d.id: [] for d in self.debtors}
        for inv in self.invoices:
            by[inv.debtor_id].append(InvoiceRegistered(inv.issue_date, inv.debtor_id, inv))
            for dispute in inv.disputes:
                by[inv.debtor_id].append(
                    DisputeOpened(
                        dispute.opened, inv.debtor_id, inv.id, dispute.items, dispute.reason
                    )
                )
                if dispute.resolved is not None:
                    by[inv.debtor_id].append(
                        DisputeResolved(dispute.resolved, inv.debtor_id, inv.id, dispute.items)
                    )
        for note in self.credit_notes:
            by[note.debtor_id].append(CreditNoteRegistered(note.date, note.debtor_id, note))
        for pay in self.payments:
            by[pay.debtor_id].append(PaymentReceived(pay.date, pay.debtor_id, pay))
        for event in self.events:
            by[event.debtor_id].append(event)
        return by

    def debtor(self, debtor_id: str) -> Debtor:
        try:
            return self._debtors[debtor_id]
        except KeyError:
            raise KeyError(f"no debtor {debtor_id!r} in the portfolio") from None

    def events_of(self, debtor_id: str) -> list[Event]:
        """The facts the portfolio holds about one debtor, as events."""
        self.debtor(debtor_id)
        return list(self._events_by_debtor[debtor_id])

    def currencies_of(self, debtor_id: str) -> list[str]:
        found = {i.currency for i in self.invoices if i.debtor_id == debtor_id}
        return sorted(found)

    def unallocatable_payments(self) -> tuple[Payment, ...]:
        """The payments that cannot pay anything: each is in a currency in which its debtor has
        no invoice (a case is per debtor and invoice currency, and a payment is allocated only
        within its currency). They stay in the portfolio; this says which they are, so they can
        be reported instead of silently ignored.

        >>> from datetime import date
        >>> from dunning import Creditor, Debtor, Invoice, Money, Payment
        >>> p = Portfolio(
        ...     Creditor("Tipografia Emiliana S.r.l."),
        ...     [Debtor("C001", "Osteria del Portico S.n.c.")],
        ...     [Invoice.single("F1", "C001", date(2026, 3, 2), date(2026, 3, 31),
        ...                     Money("100.00", "EUR"))],
        ...     [Payment("P1", "C001", date(2026, 4, 2), Money("110.00", "USD"))],
        ... )
        >>> [pay.id for pay in p.unallocatable_payments()]
        ['P1']
        """
        return tuple(
            pay
            for pay in self.payments
            if pay.amount.currency not in self._currencies.get(pay.debtor_id, ())
        )

    def cases(
        self, as_of: date, history: Iterable[Event] = (), *, per_invoice: bool = False
    ) -> Iterator[Case]:
        """Every debtor's case (one per currency it was invoiced in) as of ``as_of``; with
        ``per_invoice``, one case per invoice (its items only, its own episodes)."""
        extra: dict[str, list[Event]] = {}
        for event in history:
            extra.setdefault(event.debtor_id, []).append(event)
        for debtor in sorted(self.debtors, key=lambda d: d.id):
            events = self._events_by_debtor[debtor.id] + extra.get(debtor.id, [])
            for currency in self._currencies.get(debtor.id, ()):
                if not per_invoice:
                    yield fold(debtor, currency, events, as_of)
                    continue
                for inv in self._invoices_of.get(debtor.id, ()):
                    if inv.currency == currency and inv.issue_date <= as_of:
                        yield fold(debtor, currency, events, as_of, invoice_id=inv.id)

    @cached_property
    def _invoices_of(self) -> dict[str, list[Invoice]]:
        found: dict[str, list[Invoice]] = {}
        for inv in sorted(self.invoices, key=lambda i: i.id):
            found.setdefault(inv.debtor_id, []).append(inv)
        return found

    @cached_property
    def _currencies(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, set[str]] = {}
        for inv in self.invoices:
            found.setdefault(inv.debtor_id, set()).add(inv.currency)
        return {k: tuple(sorted(v)) for k, v in found.items()}

    def case(self, debtor_id: str, as_of: date, history: Iterable[Event] = ()) -> Case:
        """One debtor's case in its (first) currency."""
        debtor = self.debtor(debtor_id)
        currencies = self._currencies.get(debtor_id) or ("EUR",)
        events = self._events_by_debtor[debtor_id] + [
            e for e in history if e.debtor_id == debtor_id
        ]
        return fold(debtor, currencies[0], events, as_of)
