"""Events: the immutable facts a case is folded from.

A case's state (levels, pauses, promises, disputes, blocks...) is never stored: it is derived
by folding its events in date order (`dunning.case.fold`). The history is at once the contact
log the creditor keeps, the audit trail and the evidence pack. Every event has a ``date`` and
the ``debtor_id`` it concerns.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from .model import CreditNote, Invoice, Payment
from .money import Money

__all__ = [
    "ActionPlanned",
    "BlockLifted",
    "BlockSet",
    "Closed",
    "CreditNoteRegistered",
    "DebtorReplied",
    "DeliveryConfirmed",
    "DeliveryFailed",
    "DisputeOpened",
    "DisputeResolved",
    "Event",
    "HandedOver",
    "InstalmentMissed",
    "InvoiceRegistered",
    "LevelReset",
    "MessageSent",
    "PaymentReceived",
    "PlanAgreed",
    "PromiseToPay",
    "WrittenOff",
]


def _strs(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _ints(value: Iterable[int]) -> frozenset[int]:
    return frozenset(value)


def _levels(value: Iterable[Iterable[object]]) -> tuple[tuple[str, int], ...]:
    pairs = [tuple(pair) for pair in value]
    return tuple((str(k), int(str(lv))) for k, lv in pairs)


def _instalments(value: Iterable[tuple[date, Money]]) -> tuple[tuple[date, Money], ...]:
    return tuple(value)


@attrs.frozen
class Event:
    """Base class: something that happened to a debtor's case on a date."""

    date: date
    debtor_id: str

    #: Order of events of the same day: registrations, then money, then facts, then actions.
    priority = 3


@attrs.frozen
class InvoiceRegistered(Event):
    invoice: Invoice
    priority = 0


@attrs.frozen
class CreditNoteRegistered(Event):
    credit_note: CreditNote
    priority = 1


@attrs.frozen
class PaymentReceived(Event):
    payment: Payment
    priority = 2


@attrs.frozen
class ActionPlanned(Event):
    """The engine planned an action and the caller recorded it (see `Proposal.events`).

    ``levels`` says which items climbed to which level; ``items`` lists every item the action
    mentions. ``key`` is the idempotency key of the action.
    """

    key: str
    step: str
    level: int
    kind: str
    channel: str
    items: tuple[str, ...] = attrs.field(converter=_strs)
    levels: tuple[tuple[str, int], ...] = attrs.field(converter=_levels)
    amount: Money
    deadline: date | None = None
    service: str | None = None
    """The postal service used (``raccomandata_ar``...), when the channel is ``postal``."""
    priority = 4


@attrs.frozen
class MessageSent(Event):
    key: str
    channel: str
    message_id: str = ""
    priority = 5  # after the action it reports on, on the same day


@attrs.frozen
class DeliveryConfirmed(Event):
    """Proof that a message reached the debtor (PEC delivery receipt, A/R return receipt)."""

    key: str
    channel: str
    evidence: str = ""
    priority = 5


@attrs.frozen
class DeliveryFailed(Event):
    key: str
    channel: str
    reason: str = ""
    priority = 5


@attrs.frozen
class DebtorReplied(Event):
    """The debtor answered; ``channel`` ``"phone"`` records a telephone conversation (which
    Regulation F's call limits count)."""

    note: str = ""
    channel: str = ""


@attrs.frozen
class PromiseToPay(Event):
    """The debtor promised, on ``date``, to pay ``amount`` (everything when None) by ``until``."""

    until: date
    amount: Money | None = None
    note: str = ""


@attrs.frozen
class DisputeOpened(Event):
    """The debtor contests ``invoice_id`` (the instalments in ``items``; empty means all)."""

    invoice_id: str
    items: frozenset[int] = attrs.field(default=frozenset(), converter=_ints)
    reason: str = ""


@attrs.frozen
class DisputeResolved(Event):
    invoice_id: str
    items: frozenset[int] = attrs.field(default=frozenset(), converter=_ints)
    note: str = ""


@attrs.frozen
class PlanAgreed(Event):
    """A payment plan was agreed: recorded only (plan tracking is future work)."""

    instalments: tuple[tuple[date, Money], ...] = attrs.field(default=(), converter=_instalments)


@attrs.frozen
class InstalmentMissed(Event):
    due_date: date


@attrs.frozen
class BlockSet(Event):
    """Stop all dunning for the debtor until `BlockLifted`."""

    reason: str = ""


@attrs.frozen
class BlockLifted(Event):
    note: str = ""


@attrs.frozen
class LevelReset(Event):
    """Set the level of ``items`` (all open items when empty) back to ``level``.

    The only way a level goes down (invariant 3).
    """

    items: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    level: int = 0
    reason: str = ""


@attrs.frozen
class HandedOver(Event):
    agency: str = ""


@attrs.frozen
class WrittenOff(Event):
    items: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    reason: str = ""


@attrs.frozen
class Closed(Event):
    reason: str = ""
