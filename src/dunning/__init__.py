"""dunning: decide, every day, what to do about each customer who owes money on invoices.

The public API: the domain records, the policy building blocks, and the engine.

>>> from datetime import date
>>> import dunning
>>> from dunning.policies import italy
>>> portfolio = dunning.Portfolio(
...     dunning.Creditor("Tipografia Emiliana S.r.l."),
...     [dunning.Debtor("C001", "Bar Centrale", email="info@barcentrale.it")],
...     [dunning.Invoice.single("2026/0001", "C001", date(2026, 3, 1), date(2026, 3, 31),
...                             dunning.Money("120.00", "EUR"))],
... )
>>> proposal = dunning.plan(portfolio, italy.stragiudiziale(), date(2026, 4, 9))
>>> [(a.debtor_id, a.step, a.kind, a.channel, str(a.amount)) for a in proposal]
[('C001', 'sollecito_1', 'reminder', 'email', '120.00 EUR')]
"""

from __future__ import annotations

from . import compensation, interest, limitation, payment, rates
from .allocation import Allocation, by_reference_then_oldest, legal_order, oldest_first
from .calendars import Calendar, Closure, ContactHours
from .case import Case, Contact, Episode, ItemState
from .decision import Decision, Hold, ItemPlan, Rule
from .delays import Delay, after_due, after_issue, after_previous, before_due
from .engine import Explanation, explain, plan, simulate
from .errors import DataError, DunningError, PolicyError, RunError
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
    InstalmentMissed,
    InvoiceRegistered,
    LevelReset,
    MessageSent,
    PaymentReceived,
    PlanAgreed,
    PromiseToPay,
    WrittenOff,
)
from .guards import (
    Guard,
    always,
    balance_at_least,
    blocked,
    days_overdue_at_least,
    debtor_kind,
    disputed,
    has_contact,
    has_tag,
    promise_broken,
    reminders_sent_at_least,
)
from .interest import (
    EUDirective2011_7,
    FranceL441_10,
    GermanyBGB288,
    ItalyCommercial,
    ItalyLegal,
    Regime,
    SpainLey3_2004,
    UKLatePayment1998,
)
from .limitation import LimitationRules, limitation_within
from .model import (
    CreditNote,
    Creditor,
    Debtor,
    Dispute,
    Document,
    Invoice,
    OpenItem,
    Payment,
    PostalAddress,
)
from .money import CurrencyMismatch, Money
from .plans import PlanStatus, plan_status, propose_plan
from .policy import Policy, first_of
from .portfolio import Portfolio
from .proposal import Action, Alert, Proposal, Timeline, Waiting
from .rates import Rate, RateSet
from .rules import (
    before_limitation,
    call_limits,
    contact_caps,
    good_payer_tolerance,
    on_business_days,
    pause_on_dispute,
    plan_tracking,
    promise_pause,
    supporting_documents,
    transit_grace,
)
from .steps import Ladder, Route, Routes, Step, agency, email, pec, phone, postal, sms

__version__ = "0.1.0.dev0"

__all__ = [
    "Action",
    "ActionPlanned",
    "AddressUpdated",
    "Alert",
    "Allocation",
    "BlockLifted",
    "BlockSet",
    "Calendar",
    "Case",
    "Closed",
    "Closure",
    "Contact",
    "ContactHours",
    "CreditNote",
    "CreditNoteRegistered",
    "Creditor",
    "CurrencyMismatch",
    "DataError",
    "Debtor",
    "DebtorReplied",
    "Decision",
    "Delay",
    "DeliveryConfirmed",
    "DeliveryFailed",
    "Dispute",
    "DisputeOpened",
    "DisputeResolved",
    "Document",
    "DocumentAdded",
    "DocumentsSent",
    "DunningError",
    "EUDirective2011_7",
    "Episode",
    "Event",
    "Explanation",
    "FranceL441_10",
    "GermanyBGB288",
    "Guard",
    "HandOverApproved",
    "HandedOver",
    "Hold",
    "InstalmentMissed",
    "Invoice",
    "InvoiceRegistered",
    "ItalyCommercial",
    "ItalyLegal",
    "ItemPlan",
    "ItemState",
    "Ladder",
    "LevelReset",
    "LimitationRules",
    "MessageSent",
    "Money",
    "OpenItem",
    "Payment",
    "PaymentReceived",
    "PlanAgreed",
    "PlanStatus",
    "Policy",
    "PolicyError",
    "Portfolio",
    "PostalAddress",
    "PromiseToPay",
    "Proposal",
    "Rate",
    "RateSet",
    "Regime",
    "Route",
    "Routes",
    "Rule",
    "RunError",
    "SpainLey3_2004",
    "Step",
    "Timeline",
    "UKLatePayment1998",
    "Waiting",
    "WrittenOff",
    "__version__",
    "after_due",
    "after_issue",
    "after_previous",
    "agency",
    "always",
    "balance_at_least",
    "before_due",
    "before_limitation",
    "blocked",
    "by_reference_then_oldest",
    "call_limits",
    "compensation",
    "contact_caps",
    "days_overdue_at_least",
    "debtor_kind",
    "disputed",
    "email",
    "explain",
    "first_of",
    "good_payer_tolerance",
    "has_contact",
    "has_tag",
    "interest",
    "legal_order",
    "limitation",
    "limitation_within",
    "oldest_first",
    "on_business_days",
    "pause_on_dispute",
    "payment",
    "pec",
    "phone",
    "plan",
    "plan_status",
    "plan_tracking",
    "postal",
    "promise_broken",
    "promise_pause",
    "propose_plan",
    "rates",
    "reminders_sent_at_least",
    "simulate",
    "sms",
    "supporting_documents",
    "transit_grace",
]
