"""Events: the immutable facts a case is folded from.

A case's state (levels, pauses, promises, disputes, blocks...) is never stored: it is derived
by folding its events in date order (`dunning.case.fold`). The history is at once the contact
log the creditor keeps, the audit trail and the evidence pack. Every event has a ``date`` and
the ``debtor_id`` it concerns.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal, TypeAlias, get_args

import attrs

from .errors import DataError
from .model import CreditNote, Document, Invoice, Payment
from .money import Money

ReplyKind: TypeAlias = Literal[
    "payment_sent", "promise", "dispute", "documents_requested", "wrong_address", "other"
]
#: What a debtor's reply can be; each kind has its effect (see `DebtorReplied`).
REPLY_KINDS: tuple[str, ...] = get_args(ReplyKind)

__all__ = [
    "REPLY_KINDS",
    "ActionPlanned",
    "AddressUpdated",
    "BlockLifted",
    "BlockSet",
    "Closed",
    "CreditNoteRegistered",
    "DebtorReplied",
    "DeliveryConfirmed",
    "DeliveryFailed",
    "DisputeOpened",
    "DisputeResolved",
    "DocumentAdded",
    "DocumentsSent",
    "Event",
    "HandOverApproved",
    "HandedOver",
    "InstalmentMissed",
    "InvoiceRegistered",
    "LevelReset",
    "MessageSent",
    "PaymentReceived",
    "PlanAgreed",
    "PromiseToPay",
    "ReplyKind",
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

    ``items`` lists the items the action claims (each already due), ``levels`` pairs each with
    the action's level. ``key`` is the idempotency key of the action.
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
    upcoming: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    """Items the message mentions as coming due, without claiming them."""
    priority = 4


@attrs.frozen
class MessageSent(Event):
    """The message of the action ``key`` went out over ``channel`` (for a call: the call was
    made; ``note`` says how it went when nobody answered, see `dunning.calls`)."""

    key: str
    channel: str
    message_id: str = ""
    note: str = ""
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
    """The debtor answered. ``kind`` says what the answer means for the case:

    - ``"payment_sent"``: "I have paid" (``reference``: the CRO/TRN of the transfer). The case
      is held for the policy's payment-in-transit grace; if no payment came by then, it
      resumes.
    - ``"promise"``: a promise to pay everything by ``until`` (7 days after the reply when
      None): the same as a `PromiseToPay`.
    - ``"dispute"``: the debtor contests ``invoice_id`` (the same as a `DisputeOpened`);
      without ``invoice_id`` the whole case is held and an alert asks which invoice.
    - ``"documents_requested"``: a copy of the invoice or its documents was asked for: the
      case is held (with an alert) until `DocumentsSent`.
    - ``"wrong_address"``: the address used by ``channel`` (the last contact's channel when
      empty) is wrong: that channel is not used until `AddressUpdated`, and an alert asks to
      trace the debtor.
    - ``"other"``: recorded in the history, no effect.

    ``channel`` ``"phone"`` also records a telephone conversation (which Regulation F's call
    limits count).
    """

    note: str = ""
    channel: str = ""
    kind: ReplyKind = "other"
    reference: str = ""
    until: date | None = None
    invoice_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind not in REPLY_KINDS:
            raise DataError(
                f"must be one of {', '.join(REPLY_KINDS)}, not {self.kind!r}",
                record=f"reply of {self.date} from {self.debtor_id}",
                field="kind",
            )


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
    """A payment plan (rateizzazione) was agreed on ``date``: ``instalments`` are the
    ``(due date, amount)`` pairs, in date order.

    While every instalment is paid by its date (plus the policy's grace) the case is not
    dunned; an instalment unpaid after the grace is a breach, derived from the payments (see
    `dunning.plans`), and the policy's breach step follows. A later `PlanAgreed` replaces the
    plan.
    """

    instalments: tuple[tuple[date, Money], ...] = attrs.field(default=(), converter=_instalments)
    note: str = ""
    priority = 1  # before the same day's payments, which count towards it

    def __attrs_post_init__(self) -> None:
        record = f"payment plan of {self.date} for {self.debtor_id}"
        for n, pair in enumerate(self.instalments, start=1):
            day, money = pair if len(pair) == 2 else (None, None)
            if not isinstance(day, date) or not isinstance(money, Money):
                raise DataError(
                    f"instalment {n} must be (datetime.date, Money), not {pair!r}",
                    record=record,
                    field="instalments",
                )
        if not self.instalments:
            raise DataError(
                "a plan needs at least one instalment", record=record, field="instalments"
            )
        days = [d for d, _ in self.instalments]
        if days != sorted(days) or len(set(days)) != len(days):
            raise DataError(
                "instalment dates must be distinct and in order", record=record, field="instalments"
            )
        if days[0] < self.date:
            raise DataError(
                f"the first instalment ({days[0]}) is before the agreement",
                record=record,
                field="instalments",
            )
        currencies = {m.currency for _, m in self.instalments}
        if len(currencies) != 1 or not all(m.is_positive for _, m in self.instalments):
            raise DataError(
                "instalments must be positive amounts in one currency",
                record=record,
                field="instalments",
            )

    @property
    def currency(self) -> str:
        return self.instalments[0][1].currency


@attrs.frozen
class InstalmentMissed(Event):
    """Kept for the record only: a missed instalment is derived from the plan and the
    payments (`dunning.plans.plan_status`), never typed in; the fold ignores this event."""

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
    """Set the case's escalation level in its current episode back to ``level`` (0: the
    next contact is the first step again). ``items`` is kept for the record.

    The only way a level goes down within an episode (invariants 3 and 12).
    """

    items: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    level: int = 0
    reason: str = ""


@attrs.frozen
class HandedOver(Event):
    agency: str = ""


@attrs.frozen
class HandOverApproved(Event):
    """A person decided that the case goes to the agency although the debtor paid something
    after the formal notice (the engine holds the hand-over until then)."""

    note: str = ""


@attrs.frozen
class DocumentAdded(Event):
    """A supporting document for ``invoice_id`` was recorded (signed quote, order, delivery
    note, contract...)."""

    invoice_id: str
    document: Document


@attrs.frozen
class DocumentsSent(Event):
    """The copies or documents the debtor asked for were sent: a hold for a
    ``documents_requested`` reply ends."""

    note: str = ""


@attrs.frozen
class AddressUpdated(Event):
    """The debtor's address on ``channel`` was corrected: a ``wrong_address`` reply for that
    channel no longer holds it back."""

    channel: str


@attrs.frozen
class WrittenOff(Event):
    items: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    reason: str = ""


@attrs.frozen
class Closed(Event):
    reason: str = ""
