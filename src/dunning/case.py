"""The case: one debtor's dossier in one currency, folded from its events.

`fold(debtor, currency, events, as_of)` replays the events dated on or before ``as_of`` and
returns a frozen `Case`. Nothing in a case is stored: levels, pauses, promises, disputes and
balances are all derived, so the history alone is the evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import attrs

from .allocation import by_reference_then_oldest, credit_note_order
from .events import (
    ActionPlanned,
    BlockLifted,
    BlockSet,
    Closed,
    CreditNoteRegistered,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    Event,
    HandedOver,
    InvoiceRegistered,
    LevelReset,
    PaymentReceived,
    PromiseToPay,
    WrittenOff,
)
from .model import Debtor, Invoice
from .money import Money

__all__ = ["Case", "Contact", "ItemState", "PaymentRecord", "Promise", "fold", "sort_events"]


@attrs.frozen
class ItemState:
    """One open item as the case sees it on ``as_of``."""

    key: str
    invoice_id: str
    label: str
    number: int
    issue_date: date
    due_date: date
    amount: Money
    open: Money
    level: int = 0
    level_date: date | None = None
    climbs: tuple[tuple[date, int], ...] = ()
    """Every (date, level) the item climbed to, oldest first."""
    disputed: bool = False
    written_off: bool = False
    paid_on: date | None = None

    @property
    def is_open(self) -> bool:
        return self.open.is_positive and not self.written_off

    def days_overdue(self, on: date) -> int:
        return (on - self.due_date).days


@attrs.frozen
class Contact:
    """A planned action as the case remembers it."""

    date: date
    key: str
    step: str
    level: int
    kind: str
    channel: str


@attrs.frozen
class Promise:
    """A promise to pay: ``amount`` (all that was open when None) by ``until``."""

    made: date
    until: date
    amount: Money | None
    paid_since: Money
    open_when_made: Money

    @property
    def kept(self) -> bool:
        target = self.amount if self.amount is not None else self.open_when_made
        return self.paid_since >= target


@attrs.frozen
class PaymentRecord:
    """How the debtor paid the items it has fully paid."""

    paid_items: int
    paid_on_time: int
    average_days_late: Decimal


@attrs.frozen
class Case:
    """One debtor's dossier in one currency, as of a date."""

    debtor: Debtor
    currency: str
    as_of: date
    items: tuple[ItemState, ...]
    contacts: tuple[Contact, ...] = ()
    promises: tuple[Promise, ...] = ()
    block: str | None = None
    closed: str | None = None
    handed_over: bool = False
    on_account: Money | None = None
    failed_routes: frozenset[tuple[str, str]] = frozenset()
    """(step, channel) pairs whose delivery failed: the step is planned again elsewhere."""
    invoiced: Money | None = None
    paid: Money | None = None
    credited: Money | None = None
    written_off: Money | None = None
    events: tuple[Event, ...] = ()

    @property
    def debtor_id(self) -> str:
        return self.debtor.id

    @property
    def open_items(self) -> tuple[ItemState, ...]:
        """Items with something still to pay, disputed or not."""
        return tuple(item for item in self.items if item.is_open)

    @property
    def actionable_items(self) -> tuple[ItemState, ...]:
        """Open items that are not disputed: the only ones an action may mention."""
        return tuple(item for item in self.items if item.is_open and not item.disputed)

    @property
    def balance(self) -> Money:
        """What is open on undisputed items."""
        return sum((i.open for i in self.actionable_items), Money.zero(self.currency))

    @property
    def disputed(self) -> bool:
        return any(item.disputed for item in self.open_items)

    @property
    def blocked(self) -> bool:
        return self.block is not None or self.debtor.blocked

    def overdue_items(self, on: date) -> tuple[ItemState, ...]:
        return tuple(i for i in self.actionable_items if i.due_date < on)

    def overdue_balance(self, on: date) -> Money:
        return sum((i.open for i in self.overdue_items(on)), Money.zero(self.currency))

    def contacts_of(self, kinds: Iterable[str] | None = None) -> tuple[Contact, ...]:
        if kinds is None:
            return self.contacts
        wanted = set(kinds)
        return tuple(c for c in self.contacts if c.kind in wanted)

    def last_contact(self, kinds: Iterable[str] | None = None) -> Contact | None:
        contacts = self.contacts_of(kinds)
        return contacts[-1] if contacts else None

    @property
    def reminders_sent(self) -> int:
        return len(self.contacts_of(("reminder",)))

    def active_promise(self, on: date) -> Promise | None:
        """The latest promise whose date has not passed and that is not yet kept."""
        if not self.promises:
            return None
        latest = self.promises[-1]
        if latest.until >= on and not latest.kept:
            return latest
        return None

    def broken_promise(self, on: date) -> Promise | None:
        """The latest promise, if its date has passed and it was not kept."""
        if not self.promises:
            return None
        latest = self.promises[-1]
        if latest.until < on and not latest.kept:
            return latest
        return None

    @property
    def payment_record(self) -> PaymentRecord:
        paid = [i for i in self.items if i.paid_on is not None]
        if not paid:
            return PaymentRecord(0, 0, Decimal(0))
        late = [max(0, (i.paid_on - i.due_date).days) for i in paid if i.paid_on]
        on_time = sum(1 for d in late if d == 0)
        return PaymentRecord(len(paid), on_time, Decimal(sum(late)) / len(late))

    def item(self, key: str) -> ItemState:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(f"debtor {self.debtor.id} has no item {key!r}")


def sort_events(events: Iterable[Event]) -> list[Event]:
    """Events in the order they are folded: by date, then registrations, money, facts,
    actions; ties keep their given order."""
    return sorted(events, key=lambda e: (e.date, e.priority))


class _Item:
    """Mutable working copy of an item during the fold."""

    __slots__ = (
        "climbs",
        "disputed",
        "inv",
        "level",
        "level_date",
        "n",
        "open",
        "paid_on",
        "state",
        "wo",
    )

    def __init__(self, inv: Invoice, state: ItemState) -> None:
        self.inv = inv
        self.state = state
        self.n = state.number
        self.open = state.amount
        self.level = 0
        self.level_date: date | None = None
        self.climbs: list[tuple[date, int]] = []
        self.disputed = False
        self.wo = False
        self.paid_on: date | None = None

    # what allocation strategies look at (dunning.allocation.Payable)
    @property
    def invoice_id(self) -> str:
        return self.inv.id

    @property
    def label(self) -> str:
        return self.inv.label

    @property
    def due_date(self) -> date:
        return self.state.due_date

    @property
    def key(self) -> str:
        return self.state.key

    def freeze(self) -> ItemState:
        return attrs.evolve(
            self.state,
            open=self.open,
            level=self.level,
            level_date=self.level_date,
            climbs=tuple(self.climbs),
            disputed=self.disputed,
            written_off=self.wo,
            paid_on=self.paid_on,
        )


def _apply(amount: Money, items: list[_Item], on: date) -> Money:
    """Pay ``items`` in order with ``amount``; return what is left."""
    for item in items:
        if not amount.is_positive:
            break
        if not item.open.is_positive or item.wo:
            continue
        part = amount.min(item.open)
        item.open = item.open - part
        amount = amount - part
        if not item.open.is_positive:
            item.paid_on = on
    return amount


def _by_due(items: Iterable[_Item]) -> list[_Item]:
    return sorted(items, key=lambda i: (i.state.due_date, i.state.issue_date, i.state.key))


_DEFAULT_ALLOCATION = by_reference_then_oldest()


def fold(debtor: Debtor, currency: str, events: Iterable[Event], as_of: date) -> Case:
    """Replay ``events`` dated on or before ``as_of`` into the case of ``debtor`` in
    ``currency``.

    Payments go to the invoice their reference names first, then to the oldest due undisputed
    items; what is left stays on account and pays the next invoices. Credit notes go to their
    invoice first in the same way.
    """
    zero = Money.zero(currency)
    items: dict[str, _Item] = {}
    contacts: list[Contact] = []
    promises: list[Promise] = []
    block: str | None = None
    closed: str | None = None
    handed_over = False
    handed_over_by_event = False
    undo: dict[str, dict[str, tuple[int, date | None, int]]] = {}
    failed: set[tuple[str, str]] = set()
    on_account = invoiced = paid = credited = written_off = zero
    kept: list[Event] = []

    def open_total() -> Money:
        return sum((i.open for i in items.values() if not i.wo), zero)

    def track_promise(amount: Money) -> None:
        if promises:
            p = promises[-1]
            promises[-1] = attrs.evolve(p, paid_since=p.paid_since + amount)

    for event in sort_events(events):
        if event.date > as_of:
            continue
        if isinstance(event, InvoiceRegistered):
            inv = event.invoice
            if inv.currency != currency:
                continue
            for open_item in inv.items:
                key = inv.item_key(open_item)
                state = ItemState(
                    key=key,
                    invoice_id=inv.id,
                    label=inv.label,
                    number=open_item.number,
                    issue_date=inv.issue_date,
                    due_date=open_item.due_date,
                    amount=open_item.amount,
                    open=open_item.amount,
                )
                items[key] = _Item(inv, state)
                invoiced = invoiced + open_item.amount
            new = _by_due(i for i in items.values() if i.inv.id == inv.id)
            before = on_account
            on_account = _apply(on_account, new, event.date)
            paid = paid + (before - on_account)
        elif isinstance(event, PaymentReceived):
            amount = event.payment.amount
            if amount.currency != currency:
                continue
            track_promise(amount)
            order = _DEFAULT_ALLOCATION.order(list(items.values()), event.payment.reference)
            rest = _apply(amount, order, event.date)
            paid = paid + (amount - rest)
            on_account = on_account + rest
        elif isinstance(event, CreditNoteRegistered):
            note = event.credit_note
            if note.amount.currency != currency:
                continue
            order = credit_note_order(list(items.values()), note.invoice_id)
            rest = _apply(note.amount, order, event.date)
            credited = credited + (note.amount - rest)
            on_account = on_account + rest
        elif isinstance(event, ActionPlanned):
            if event.amount.currency != currency:
                continue
            snapshot: dict[str, tuple[int, date | None, int]] = {}
            for key, level in event.levels:
                if key in items and level > items[key].level:
                    it = items[key]
                    snapshot[key] = (it.level, it.level_date, len(it.climbs))
                    items[key].level = level
                    items[key].level_date = event.date
                    items[key].climbs.append((event.date, level))
            contacts.append(
                Contact(event.date, event.key, event.step, event.level, event.kind, event.channel)
            )
            undo[event.key] = snapshot
            if event.kind == "hand_over":
                handed_over = True
        elif isinstance(event, DeliveryFailed):
            # The step did not happen: its items go back to where they were (unless they
            # climbed since), the contact is void, and the channel is not used again for it.
            done = [c for c in contacts if c.key == event.key]
            if done:
                contacts = [c for c in contacts if c.key != event.key]
                failed.add((done[0].step, event.channel or done[0].channel))
                for key, (level, level_date, n) in undo.pop(event.key, {}).items():
                    it = items[key]
                    if (
                        it.climbs[n:]
                        and it.climbs[n][0] == done[0].date
                        and len(it.climbs) == n + 1
                    ):
                        it.level, it.level_date = level, level_date
                        del it.climbs[n:]
                handed_over = handed_over_by_event or any(c.kind == "hand_over" for c in contacts)
        elif isinstance(event, LevelReset):
            for item in items.values():
                if not event.items or item.state.key in event.items:
                    item.level = min(item.level, event.level)
        elif isinstance(event, DisputeOpened | DisputeResolved):
            for item in items.values():
                if item.inv.id == event.invoice_id and (not event.items or item.n in event.items):
                    item.disputed = isinstance(event, DisputeOpened)
        elif isinstance(event, PromiseToPay):
            if event.amount is not None and event.amount.currency != currency:
                continue
            promises.append(Promise(event.date, event.until, event.amount, zero, open_total()))
        elif isinstance(event, BlockSet):
            block = event.reason or "blocked"
        elif isinstance(event, BlockLifted):
            block = None
        elif isinstance(event, HandedOver):
            handed_over = handed_over_by_event = True
        elif isinstance(event, WrittenOff):
            for item in items.values():
                if (not event.items or item.state.key in event.items) and not item.wo:
                    item.wo = True
                    written_off = written_off + item.open
        elif isinstance(event, Closed):
            closed = event.reason or "closed"
        kept.append(event)

    states = tuple(i.freeze() for i in _by_due(items.values()))
    return Case(
        debtor=debtor,
        currency=currency,
        as_of=as_of,
        items=states,
        contacts=tuple(contacts),
        promises=tuple(promises),
        block=block,
        closed=closed,
        handed_over=handed_over,
        on_account=on_account,
        failed_routes=frozenset(failed),
        invoiced=invoiced,
        paid=paid,
        credited=credited,
        written_off=written_off,
        events=tuple(kept),
    )
