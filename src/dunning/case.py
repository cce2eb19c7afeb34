"""The case: one debtor's dossier in one currency, folded from its events.

`fold(debtor, currency, events, as_of)` replays the events dated on or before ``as_of`` and
returns a frozen `Case`. Nothing in a case is stored: episodes and their levels, pauses,
promises, plans, disputes and balances are all derived, so the history alone is the evidence.
Each event type has its own handler (`_HANDLERS`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from datetime import date as _date
from decimal import Decimal
from typing import Any

import attrs

from .allocation import by_reference_then_oldest, credit_note_order
from .events import (
    ActionPlanned,
    AddressUpdated,
    BlockLifted,
    BlockSet,
    Closed,
    CreditNoteRegistered,
    DebtorReplied,
    DeliveryConfirmed,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    DocumentAdded,
    DocumentsSent,
    Event,
    HandedOver,
    HandOverApproved,
    InvoiceRegistered,
    LevelReset,
    PaymentReceived,
    PlanAgreed,
    PromiseToPay,
    WrittenOff,
)
from .model import Debtor, Invoice
from .money import Money
from .steps import PROVEN_POSTAL_SERVICES

__all__ = [
    "Case",
    "Contact",
    "Episode",
    "ItemState",
    "PaymentRecord",
    "Promise",
    "fold",
    "sort_events",
]


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
    dispute_opened: date | None = None
    """The day the current (or last) dispute on the item was opened."""
    dispute_resolved: date | None = None
    """The day the last dispute on the item was resolved, if it was."""
    documents: frozenset[str] = frozenset()
    """The kinds of supporting documents recorded for the item's invoice."""
    performed_on: date | None = None
    """The invoice's `Invoice.performed_on`: the work completed, the goods delivered or the
    supply billed ended (the short limitation periods run from it)."""

    @property
    def is_open(self) -> bool:
        return self.open.is_positive and not self.written_off

    def days_overdue(self, on: date) -> int:
        return (on - self.due_date).days


@attrs.frozen
class Contact:
    """A planned action as the case remembers it. ``delivered`` is the day its delivery was
    proven (a PEC delivery receipt, an A/R return card, or a *compiuta giacenza*), if it was."""

    date: date
    key: str
    step: str
    level: int
    kind: str
    channel: str
    items: tuple[str, ...] = ()
    deadline: _date | None = None
    service: str | None = None
    delivered: _date | None = None

    @property
    def proves_delivery(self) -> bool:
        """Whether the channel used can prove delivery (PEC, or a postal service with a
        return receipt)."""
        return self.channel == "pec" or (
            self.channel == "postal" and self.service in PROVEN_POSTAL_SERVICES
        )


@attrs.frozen
class Episode:
    """One stretch of arrears of a case: from its first dunning contact until nothing
    undisputed is overdue any more (``closed``, the day of the payment, credit note,
    write-off or dispute that cleared it; a disputed item is dealt with apart).

    Within an episode the case climbs one ladder: ``level`` is the ladder position it has
    reached (its last contact's, unless a `LevelReset` set it back), ``contacts`` its dunning
    contacts (a pre-due notice is not one), oldest first. A contact whose delivery failed is
    not in it.
    """

    number: int
    contacts: tuple[Contact, ...] = ()
    level: int = 0
    closed: date | None = None
    handed_over: date | None = None

    @property
    def opened(self) -> date | None:
        """The day of the episode's first contact."""
        return self.contacts[0].date if self.contacts else None

    @property
    def last(self) -> Contact | None:
        return self.contacts[-1] if self.contacts else None

    def count(self, kind: str) -> int:
        """How many contacts of ``kind`` (``"reminder"``...) the debtor got in the episode."""
        return sum(1 for c in self.contacts if c.kind == kind)

    @property
    def reminders(self) -> int:
        return self.count("reminder")

    @property
    def formal_notice(self) -> Contact | None:
        """The episode's formal notice (the latest, if one replaced another that failed)."""
        notices = [c for c in self.contacts if c.kind == "formal_notice"]
        return notices[-1] if notices else None


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
    """One debtor's dossier in one currency, as of a date.

    ``episodes`` are the case's stretches of arrears, oldest first; the last one is current
    unless it is ``closed`` (see `episode`). ``plan`` is the latest agreed payment plan and
    ``plan_paid`` what was paid since it was agreed. ``receipts`` are the payments received
    (day and amount). ``payment_claims`` are the debtor's "I have paid" replies (day and
    reference) since the last payment; ``documents_requested`` the day documents were asked
    for and not yet sent; ``wrong_channels`` the channels whose address the debtor said is
    wrong; ``open_dispute_reply`` the day of a dispute reply that named no invoice.
    """

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
    episodes: tuple[Episode, ...] = ()
    plan: PlanAgreed | None = None
    plan_paid: Money | None = None
    receipts: tuple[tuple[date, Money], ...] = ()
    payment_claims: tuple[tuple[date, str], ...] = ()
    documents_requested: date | None = None
    wrong_channels: frozenset[str] = frozenset()
    open_dispute_reply: date | None = None
    hand_over_approved: date | None = None
    failures_today: int = 0
    """Deliveries that failed on ``as_of`` (a same-day re-plan retries once)."""

    @property
    def debtor_id(self) -> str:
        return self.debtor.id

    @property
    def episode(self) -> Episode:
        """The current episode: the last one if still open, else a new, empty one."""
        if self.episodes and self.episodes[-1].closed is None:
            return self.episodes[-1]
        return Episode(len(self.episodes) + 1)

    @property
    def previous_episode(self) -> Episode | None:
        """The last closed episode."""
        closed = [e for e in self.episodes if e.closed is not None]
        return closed[-1] if closed else None

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
        """Reminders the debtor received in the current episode."""
        return self.episode.reminders

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
        "docs",
        "inv",
        "level",
        "level_date",
        "n",
        "open",
        "opened",
        "paid_on",
        "resolved",
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
        self.opened: date | None = None
        self.resolved: date | None = None
        self.docs: set[str] = {d.kind for d in inv.documents}

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

    @property
    def outstanding(self) -> bool:
        return self.open.is_positive and not self.wo

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
            dispute_opened=self.opened,
            dispute_resolved=self.resolved,
            documents=frozenset(self.docs),
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
_PROMISE_DAYS = 7  # a "promise" reply without a date: a week


class _Fold:
    """The state of a case while its events are replayed: one handler per event type."""

    def __init__(self, debtor: Debtor, currency: str, invoice_id: str | None = None) -> None:
        zero = Money.zero(currency)
        self.invoice_id = invoice_id
        self.debtor = debtor
        self.currency = currency
        self.items: dict[str, _Item] = {}
        self.contacts: list[Contact] = []
        self.promises: list[Promise] = []
        self.block: str | None = None
        self.closed: str | None = None
        self.failed: set[tuple[str, str]] = set()
        self.failures: list[date] = []
        self.on_account = self.invoiced = self.paid = self.credited = self.written_off = zero
        self.episodes: list[Episode] = []
        self.current = Episode(1)
        self.reset_on: date | None = None
        self.plan: PlanAgreed | None = None
        self.plan_paid = zero
        self.receipts: list[tuple[date, Money]] = []
        self.claims: list[tuple[date, str]] = []
        self.documents_requested: date | None = None
        self.wrong: set[str] = set()
        self.dispute_reply: date | None = None
        self.approved: date | None = None

    # -- helpers ----------------------------------------------------------------------------

    def mine(self) -> list[_Item]:
        """The items this fold is about (one invoice's in per-invoice mode)."""
        if self.invoice_id is None:
            return list(self.items.values())
        return [i for i in self.items.values() if i.inv.id == self.invoice_id]

    def open_total(self) -> Money:
        return sum((i.open for i in self.items.values() if not i.wo), Money.zero(self.currency))

    def received(self, on: date, amount: Money) -> None:
        if self.promises:
            p = self.promises[-1]
            self.promises[-1] = attrs.evolve(p, paid_since=p.paid_since + amount)
        if self.plan is not None:
            self.plan_paid = self.plan_paid + amount
        self.receipts.append((on, amount))
        self.claims.clear()

    def level_of(self, contacts: Iterable[Contact]) -> int:
        levels = [c.level for c in contacts if self.reset_on is None or c.date >= self.reset_on]
        return max(levels, default=self.current.level if self.reset_on else 0)

    def overdue_undisputed(self, on: date) -> bool:
        """Whether anything undisputed is outstanding and past its due date on ``on``."""
        return any(i.outstanding and not i.disputed and i.state.due_date < on for i in self.mine())

    def closed_today(self, on: date) -> bool:
        """Whether the last episode closed on ``on`` and nothing has happened since."""
        return (
            not self.current.contacts
            and self.current.handed_over is None
            and bool(self.episodes)
            and self.episodes[-1].closed == on
        )

    def maybe_reopen(self, on: date) -> None:
        """Reopen the episode that closed on ``on`` when something undisputed is overdue again
        the same day (a dispute resolved, an invoice registered late): events of one day are
        folded in a fixed order, not the order they happened in, so an episode that closes
        and is overdue again within one day never closed."""
        if self.closed_today(on) and self.overdue_undisputed(on):
            self.current = attrs.evolve(self.episodes.pop(), closed=None)

    def maybe_close(self, on: date) -> None:
        """Close the current episode when nothing is overdue any more on ``on``."""
        if not self.current.contacts and self.current.handed_over is None:
            return
        # a disputed item is dealt with apart: it does not keep the episode open
        if self.overdue_undisputed(on):
            return
        self.episodes.append(attrs.evolve(self.current, closed=on))
        self.current = Episode(len(self.episodes) + 1)
        self.reset_on = None
        self.approved = None

    # -- handlers ---------------------------------------------------------------------------

    def invoice(self, event: InvoiceRegistered) -> None:
        inv = event.invoice
        if inv.currency != self.currency:
            return
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
                performed_on=inv.performed_on,
            )
            self.items[key] = _Item(inv, state)
            self.invoiced = self.invoiced + open_item.amount
        new = _by_due(i for i in self.items.values() if i.inv.id == inv.id)
        before = self.on_account
        self.on_account = _apply(self.on_account, new, event.date)
        self.paid = self.paid + (before - self.on_account)

    def payment(self, event: PaymentReceived) -> None:
        amount = event.payment.amount
        if amount.currency != self.currency:
            return
        self.received(event.date, amount)
        order = _DEFAULT_ALLOCATION.order(list(self.items.values()), event.payment.reference)
        rest = _apply(amount, order, event.date)
        self.paid = self.paid + (amount - rest)
        self.on_account = self.on_account + rest
        self.maybe_close(event.date)

    def credit_note(self, event: CreditNoteRegistered) -> None:
        note = event.credit_note
        if note.amount.currency != self.currency:
            return
        order = credit_note_order(list(self.items.values()), note.invoice_id)
        rest = _apply(note.amount, order, event.date)
        self.credited = self.credited + (note.amount - rest)
        self.on_account = self.on_account + rest
        self.maybe_close(event.date)

    def action(self, event: ActionPlanned) -> None:
        if event.amount.currency != self.currency:
            return
        if self.invoice_id is not None and any(
            key not in self.items or self.items[key].inv.id != self.invoice_id
            for key in event.items
        ):
            return
        for key, level in event.levels:
            if key in self.items and level > self.items[key].level:
                it = self.items[key]
                it.level = level
                it.level_date = event.date
                it.climbs.append((event.date, level))
        contact = Contact(
            event.date,
            event.key,
            event.step,
            event.level,
            event.kind,
            event.channel,
            event.items,
            event.deadline,
            event.service,
        )
        self.contacts.append(contact)
        if event.kind == "notice":
            return
        reopened = False
        if self.closed_today(event.date):
            # planned on the day a payment closed the episode, before the payment was known:
            # the action belongs to that episode, which closes again below
            self.current = attrs.evolve(self.episodes.pop(), closed=None)
            reopened = True
        contacts = (*self.current.contacts, contact)
        self.current = attrs.evolve(
            self.current,
            contacts=contacts,
            level=max(self.current.level, event.level),
            handed_over=event.date if event.kind == "hand_over" else self.current.handed_over,
        )
        if reopened:
            self.maybe_close(event.date)

    def delivered(self, event: DeliveryConfirmed) -> None:
        def proven(c: Contact) -> Contact:
            if c.key != event.key or c.delivered is not None or not c.proves_delivery:
                return c
            if event.channel.partition(":")[0] not in ("", c.channel) or event.date < c.date:
                return c
            return attrs.evolve(c, delivered=event.date)

        self.contacts = [proven(c) for c in self.contacts]
        self.current = attrs.evolve(
            self.current, contacts=tuple(proven(c) for c in self.current.contacts)
        )

    def failed_delivery(self, event: DeliveryFailed) -> None:
        # The step did not happen: the contact is void, the episode's level is what the
        # remaining contacts reached, and the channel is not used again for that step.
        done = [c for c in self.contacts if c.key == event.key]
        if not done:
            return
        self.contacts = [c for c in self.contacts if c.key != event.key]
        self.failed.add((done[0].step, event.channel or done[0].channel))
        self.failures.append(event.date)
        remaining = tuple(c for c in self.current.contacts if c.key != event.key)
        hand_over = [c.date for c in remaining if c.kind == "hand_over"]
        self.current = attrs.evolve(
            self.current,
            contacts=remaining,
            level=self.level_of(remaining),
            handed_over=hand_over[-1] if hand_over else None,
        )

    def reset(self, event: LevelReset) -> None:
        self.reset_on = event.date
        self.current = attrs.evolve(self.current, level=min(self.current.level, event.level))
        for item in self.items.values():
            if not event.items or item.state.key in event.items:
                item.level = min(item.level, event.level)

    def dispute(self, event: DisputeOpened | DisputeResolved) -> None:
        opened = isinstance(event, DisputeOpened)
        for item in self.items.values():
            if item.inv.id == event.invoice_id and (not event.items or item.n in event.items):
                item.disputed = opened
                if opened:
                    item.opened, item.resolved = event.date, None
                else:
                    item.resolved = event.date
        self.dispute_reply = None
        if opened:
            self.maybe_close(event.date)

    def promise(self, event: PromiseToPay) -> None:
        if event.amount is not None and event.amount.currency != self.currency:
            return
        zero = Money.zero(self.currency)
        self.promises.append(
            Promise(event.date, event.until, event.amount, zero, self.open_total())
        )

    def reply(self, event: DebtorReplied) -> None:
        if event.kind == "payment_sent":
            self.claims.append((event.date, event.reference))
        elif event.kind == "promise":
            until = event.until or event.date + timedelta(days=_PROMISE_DAYS)
            zero = Money.zero(self.currency)
            self.promises.append(Promise(event.date, until, None, zero, self.open_total()))
        elif event.kind == "dispute":
            if event.invoice_id is not None:
                self.dispute(DisputeOpened(event.date, event.debtor_id, event.invoice_id))
            else:
                self.dispute_reply = event.date
        elif event.kind == "documents_requested":
            self.documents_requested = self.documents_requested or event.date
        elif event.kind == "wrong_address":
            channel = event.channel or (self.contacts[-1].channel if self.contacts else "")
            if channel:
                self.wrong.add(channel)

    def plan_agreed(self, event: PlanAgreed) -> None:
        if event.currency != self.currency:
            return
        self.plan = event
        self.plan_paid = Money.zero(self.currency)

    def document(self, event: DocumentAdded) -> None:
        for item in self.items.values():
            if item.inv.id == event.invoice_id:
                item.docs.add(event.document.kind)

    def documents_sent(self, event: DocumentsSent) -> None:
        self.documents_requested = None

    def address(self, event: AddressUpdated) -> None:
        self.wrong.discard(event.channel)

    def block_set(self, event: BlockSet) -> None:
        self.block = event.reason or "blocked"

    def block_lifted(self, event: BlockLifted) -> None:
        self.block = None

    def handed(self, event: HandedOver) -> None:
        self.current = attrs.evolve(self.current, handed_over=event.date)

    def approve(self, event: HandOverApproved) -> None:
        self.approved = event.date

    def write_off(self, event: WrittenOff) -> None:
        for item in self.items.values():
            if (not event.items or item.state.key in event.items) and not item.wo:
                item.wo = True
                self.written_off = self.written_off + item.open
        self.maybe_close(event.date)

    def close(self, event: Closed) -> None:
        self.closed = event.reason or "closed"


_HANDLERS: dict[type[Event], Callable[[_Fold, Any], None]] = {
    InvoiceRegistered: _Fold.invoice,
    PaymentReceived: _Fold.payment,
    CreditNoteRegistered: _Fold.credit_note,
    ActionPlanned: _Fold.action,
    DeliveryConfirmed: _Fold.delivered,
    DeliveryFailed: _Fold.failed_delivery,
    LevelReset: _Fold.reset,
    DisputeOpened: _Fold.dispute,
    DisputeResolved: _Fold.dispute,
    PromiseToPay: _Fold.promise,
    DebtorReplied: _Fold.reply,
    PlanAgreed: _Fold.plan_agreed,
    DocumentAdded: _Fold.document,
    DocumentsSent: _Fold.documents_sent,
    AddressUpdated: _Fold.address,
    BlockSet: _Fold.block_set,
    BlockLifted: _Fold.block_lifted,
    HandedOver: _Fold.handed,
    HandOverApproved: _Fold.approve,
    WrittenOff: _Fold.write_off,
    Closed: _Fold.close,
}


def _handler(kind: type[Event]) -> Callable[[_Fold, Any], None] | None:
    for klass in kind.__mro__:
        found = _HANDLERS.get(klass)
        if found is not None:
            return found
    return None


def fold(
    debtor: Debtor,
    currency: str,
    events: Iterable[Event],
    as_of: date,
    *,
    invoice_id: str | None = None,
) -> Case:
    """Replay ``events`` dated on or before ``as_of`` into the case of ``debtor`` in
    ``currency`` (with ``invoice_id``, the case of that invoice alone: its items, the actions
    that claimed only them, and its own episodes; payments are still allocated over all).

    Payments go to the invoice their reference names first, then to the oldest due undisputed
    items; what is left stays on account and pays the next invoices. Credit notes go to their
    invoice first in the same way. An episode closes on the day a payment, credit note or
    write-off leaves nothing overdue.
    """
    state = _Fold(debtor, currency, invoice_id)
    kept: list[Event] = []
    for event in sort_events(events):
        if event.date > as_of:
            continue
        handler = _handler(type(event))
        if handler is not None:
            handler(state, event)
            state.maybe_reopen(event.date)
        kept.append(event)
    current = state.current
    episodes = list(state.episodes)
    if current.contacts or current.handed_over is not None:
        episodes.append(current)
    states = tuple(i.freeze() for i in _by_due(state.mine()))
    return Case(
        debtor=debtor,
        currency=currency,
        as_of=as_of,
        items=states,
        contacts=tuple(state.contacts),
        promises=tuple(state.promises),
        block=state.block,
        closed=state.closed,
        handed_over=current.handed_over is not None,
        on_account=state.on_account,
        failed_routes=frozenset(state.failed),
        invoiced=state.invoiced,
        paid=state.paid,
        credited=state.credited,
        written_off=state.written_off,
        events=tuple(kept),
        episodes=tuple(episodes),
        plan=state.plan,
        plan_paid=state.plan_paid,
        receipts=tuple(state.receipts),
        payment_claims=tuple(state.claims),
        documents_requested=state.documents_requested,
        wrong_channels=frozenset(state.wrong),
        open_dispute_reply=state.dispute_reply,
        hand_over_approved=state.approved,
        failures_today=sum(1 for d in state.failures if d == as_of),
    )
