"""`CaseMachine`: a hypothesis state machine that runs a policy through everything a case can
go through, checking every invariant on every engine run.

The machine holds a small portfolio (a creditor and three debtors: a business with PEC, a
consumer without PEC but with a postal address, a public administration; or three drawn
debtors; and up to three invoices already overdue), a current date starting on 2026-01-05,
and the history of events. Its rules issue
invoices, advance the clock (running the engine every day), skip days without running it,
pay, dispute, promise, break promises, agree payment plans and pay or miss their instalments,
reply (every kind of `DebtorReplied`), record documents, bounce messages (and re-plan the same
day) and block debtors. Actions are assumed delivered as `dunning.simulate` assumes. Every
engine run is checked with `dunning.testing.invariants.check_run` (invariants 1-17); money
conservation is checked after every step.

Policy authors run it in one line:

>>> from dunning.policies import italy
>>> from dunning.testing import run_case_machine
>>> run_case_machine(italy.stragiudiziale())  # doctest: +SKIP

or, in a test module, ``TestItaly = case_machine_test(italy.stragiudiziale())``.

A failing example prints as a short program (``state = CaseMachine()``,
``state.issue_invoice(...)``, ...) that reproduces the failure.
"""

from __future__ import annotations

import unittest
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

import attrs
import hypothesis
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ..case import Case, sort_events
from ..engine import assumed_deliveries, plan
from ..events import (
    REPLY_KINDS,
    ActionPlanned,
    AddressUpdated,
    BlockLifted,
    BlockSet,
    DebtorReplied,
    DeliveryConfirmed,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    DocumentAdded,
    DocumentsSent,
    Event,
    PaymentReceived,
    PromiseToPay,
    ReplyKind,
)
from ..model import Debtor, Document, Invoice, OpenItem, Payment, PostalAddress
from ..money import Money
from ..plans import plan_status, propose_plan
from ..policy import PolicyLike
from ..portfolio import Portfolio
from .invariants import check_money_conserved, check_no_burst, check_run
from .strategies import CREDITOR, debtors, money

__all__ = ["DEBTORS", "START", "CaseMachine", "case_machine_test", "run_case_machine"]

#: The machine's first day.
START = date(2026, 1, 5)

#: The machine's default debtors: a business with PEC, a consumer without PEC but with a
#: postal address, and a public administration.
DEBTORS: tuple[Debtor, ...] = (
    Debtor(
        "B1",
        "Bar Centrale S.n.c.",
        kind="business",
        vat_number="IT09876540379",
        email="info@barcentrale.example.it",
        pec="barcentrale@pec.example.it",
        phone="+390511234567",
    ),
    Debtor(
        "C1",
        "Mario Rossi",
        kind="consumer",
        email="mario.rossi@example.com",
        phone="+393331234567",
        address=PostalAddress(("Via Garibaldi 3",), "40121", "Bologna", "BO"),
    ),
    Debtor(
        "P1",
        "Comune di Esempio",
        kind="public_admin",
        pec="protocollo@pec.comune.example.it",
    ),
)

_MAX_INVOICES = 8
_MAX_PROMISE_WAIT = 25


def _default_policy() -> PolicyLike:
    from ..policies.italy import stragiudiziale

    return stragiudiziale()


@st.composite
def _three_debtors(draw: st.DrawFn) -> tuple[Debtor, ...]:
    return tuple(draw(debtors(f"X{n}")) for n in (1, 2, 3))


class CaseMachine(RuleBasedStateMachine):
    """Drive ``policy`` (the Italian preset by default) through issued invoices, payments,
    disputes, promises, blocks and the passing of days, checking every invariant on every
    engine run (`check_run`) and money conservation after every step.

    State: ``policy``; ``today``; ``portfolio`` (debtors and invoices); ``history`` (payments,
    disputes, promises, blocks and every recorded `ActionPlanned`); ``runs`` (engine runs so
    far) and ``last_run`` (the day of the latest one). A run after skipped days is also
    checked as invariant 9 (`check_no_burst`).
    """

    def __init__(self, policy: PolicyLike | None = None) -> None:
        super().__init__()
        self.policy: PolicyLike = policy if policy is not None else _default_policy()
        self.today = START
        self.portfolio = Portfolio(CREDITOR, DEBTORS)
        self.history: list[Event] = []
        self.runs = 0
        self.last_run: date | None = None
        self._levels: dict[tuple[str, str, str], int] = {}

    # -- helpers ------------------------------------------------------------------------------
    def _cases(self) -> list[Case]:
        return list(self.portfolio.cases(self.today, self.history))

    def _open_invoices(self, *, disputed: bool | None = None) -> list[tuple[Invoice, Money]]:
        """Invoices with something open today, with what is open on them."""
        found = []
        for case in self._cases():
            for inv in self.portfolio.invoices:
                if inv.debtor_id != case.debtor_id or inv.currency != case.currency:
                    continue
                items = [i for i in case.items if i.invoice_id == inv.id and i.is_open]
                if not items:
                    continue
                if disputed is not None and any(i.disputed for i in items) != disputed:
                    continue
                found.append((inv, sum((i.open for i in items), Money.zero(case.currency))))
        return found

    def _active_promises(self) -> list[tuple[str, date]]:
        return [
            (case.debtor_id, promise.until)
            for case in self._cases()
            if (promise := case.active_promise(self.today)) is not None
        ]

    def _blocked(self) -> list[str]:
        """Debtors blocked today (a block may have been lifted ahead of time)."""
        state: dict[str, bool] = {}
        for event in sort_events(self.history):
            if event.date <= self.today and isinstance(event, BlockSet | BlockLifted):
                state[event.debtor_id] = isinstance(event, BlockSet)
        return sorted(d for d, blocked in state.items() if blocked)

    def _run(self, *, again: bool = False) -> None:
        """Plan today (``again``: a second run the same day), check it, record its actions
        and, as `dunning.simulate` assumes, their delivery."""
        after_gap = self.last_run is not None and (self.today - self.last_run).days > 1
        if after_gap and not again:
            proposal = check_no_burst(self.portfolio, self.policy, self.today, self.history)
        else:
            proposal = plan(self.portfolio, self.policy, self.today, self.history)
        check_run(self.portfolio, self.policy, self.today, self.history, proposal)
        self.history.extend(proposal.events())
        self.history.extend(assumed_deliveries(proposal.actions))
        self.runs += 1
        self.last_run = self.today

    def _pay(self, invoice: Invoice, amount: Money, reference: str | None) -> None:
        count = sum(1 for e in self.history if isinstance(e, PaymentReceived)) + 1
        payment = Payment(f"PAY-{count}", invoice.debtor_id, self.today, amount, reference)
        self.history.append(PaymentReceived(self.today, invoice.debtor_id, payment))

    # -- rules --------------------------------------------------------------------------------
    @initialize(
        people=st.one_of(st.just(DEBTORS), _three_debtors()),
        opening=st.lists(
            st.tuples(st.integers(0, 2), money("EUR", "1.00", "2000.00"), st.integers(0, 120)),
            max_size=3,
        ),
    )
    def setup(self, people: tuple[Debtor, ...], opening: list[tuple[int, Money, int]]) -> None:
        """Start with the default debtors, or three drawn ones, and ``opening`` invoices
        ``(debtor, amount, age)`` issued ``age`` days before the first day, due 30 days after
        issue (so some are long overdue when the machine starts)."""
        bills = []
        for n, (debtor, amount, age) in enumerate(opening, start=1):
            issued = START - timedelta(days=age)
            person = people[debtor % len(people)]
            bills.append(
                Invoice.single(f"OLD-{n}", person.id, issued, issued + timedelta(days=30), amount)
            )
        self.portfolio = Portfolio(CREDITOR, people, bills)

    @precondition(lambda self: len(self.portfolio.invoices) < _MAX_INVOICES)
    @rule(
        debtor=st.integers(0, 2),
        amounts=st.lists(money("EUR", "1.00", "2000.00"), min_size=1, max_size=3),
        term=st.integers(0, 90),
        gap=st.integers(1, 45),
    )
    def issue_invoice(self, debtor: int, amounts: list[Money], term: int, gap: int) -> None:
        """Issue an invoice today: ``term`` days to pay, instalments ``gap`` days apart."""
        person = self.portfolio.debtors[debtor % len(self.portfolio.debtors)]
        due = self.today + timedelta(days=term)
        items = tuple(
            OpenItem(due + timedelta(days=gap * n), amount) for n, amount in enumerate(amounts)
        )
        number = sum(1 for i in self.portfolio.invoices if i.id.startswith("INV-")) + 1
        invoice = Invoice(f"INV-{number}", person.id, self.today, items)
        self.portfolio = attrs.evolve(self.portfolio, invoices=(*self.portfolio.invoices, invoice))

    @rule(days=st.integers(1, 20))
    def advance_clock(self, days: int) -> None:
        """Move ``days`` days on, running the engine on each of them."""
        for _ in range(days):
            self.today += timedelta(days=1)
            self._run()

    @rule(days=st.integers(1, 30))
    def skip_days(self, days: int) -> None:
        """Move ``days`` days on without running the engine (a missed stretch of runs)."""
        self.today += timedelta(days=days)

    @rule()
    def run_engine(self) -> None:
        """Plan today, check the run, and record the proposal's events."""
        self._run()

    @precondition(lambda self: bool(self._open_invoices()))
    @rule(pick=st.integers(0, 7), by_reference=st.booleans())
    def pay_in_full(self, pick: int, by_reference: bool) -> None:
        """Pay what is open on an invoice, naming it in the reference or not."""
        candidates = self._open_invoices()
        invoice, owed = candidates[pick % len(candidates)]
        self._pay(invoice, owed, invoice.id if by_reference else None)

    @precondition(lambda self: any(owed.amount > 1 for _, owed in self._open_invoices()))
    @rule(pick=st.integers(0, 7), share=st.integers(1, 99), by_reference=st.booleans())
    def pay_in_part(self, pick: int, share: int, by_reference: bool) -> None:
        """Pay ``share`` percent of what is open on an invoice."""
        candidates = [(i, o) for i, o in self._open_invoices() if o.amount > 1]
        invoice, owed = candidates[pick % len(candidates)]
        part = max((owed * (Decimal(share) / 100)).rounded(), Money("0.01", owed.currency))
        self._pay(invoice, part, invoice.id if by_reference else None)

    @precondition(lambda self: bool(self._open_invoices(disputed=False)))
    @rule(pick=st.integers(0, 7), instalments=st.frozensets(st.integers(1, 3), max_size=2))
    def open_dispute(self, pick: int, instalments: frozenset[int]) -> None:
        """Contest an open invoice (some instalments, or all when none are named)."""
        candidates = self._open_invoices(disputed=False)
        invoice, _ = candidates[pick % len(candidates)]
        numbers = {item.number for item in invoice.items}
        self.history.append(
            DisputeOpened(
                self.today, invoice.debtor_id, invoice.id, instalments & numbers, "not delivered"
            )
        )

    @precondition(lambda self: bool(self._open_invoices(disputed=True)))
    @rule(pick=st.integers(0, 7))
    def resolve_dispute(self, pick: int) -> None:
        """Close the dispute on a contested invoice."""
        candidates = self._open_invoices(disputed=True)
        invoice, _ = candidates[pick % len(candidates)]
        self.history.append(DisputeResolved(self.today, invoice.debtor_id, invoice.id))

    @precondition(lambda self: bool(self._open_invoices()))
    @rule(pick=st.integers(0, 7), days=st.integers(1, 20), everything=st.booleans())
    def promise_to_pay(self, pick: int, days: int, everything: bool) -> None:
        """The debtor of an open invoice promises, today, to pay within ``days`` everything
        open (``everything``) or half of what is open on that invoice."""
        candidates = self._open_invoices()
        invoice, owed = candidates[pick % len(candidates)]
        half = (owed * Decimal("0.5")).rounded()
        amount = None if everything or half.is_zero else half
        self.history.append(
            PromiseToPay(self.today, invoice.debtor_id, self.today + timedelta(days=days), amount)
        )

    @precondition(lambda self: bool(self._active_promises()))
    @rule(pick=st.integers(0, 2))
    def break_promise(self, pick: int) -> None:
        """Let a promise's date (and a few days of grace) pass without paying, running the
        engine every day."""
        promises = self._active_promises()
        _, until = promises[pick % len(promises)]
        end = min(until + timedelta(days=4), self.today + timedelta(days=_MAX_PROMISE_WAIT))
        while self.today < end:
            self.today += timedelta(days=1)
            self._run()

    @precondition(lambda self: not self._blocked())
    @rule(pick=st.integers(0, 2), days=st.one_of(st.none(), st.integers(1, 20)))
    def block(self, pick: int, days: int | None) -> None:
        """Stop dunning a debtor (one at a time, so that the others go on), until lifted by
        `unblock` or, when ``days`` is given, automatically that many days later."""
        debtor = self.portfolio.debtors[pick % len(self.portfolio.debtors)].id
        self.history.append(BlockSet(self.today, debtor, "legal review"))
        if days is not None:
            self.history.append(BlockLifted(self.today + timedelta(days=days), debtor))

    @precondition(lambda self: bool(self._blocked()))
    @rule(pick=st.integers(0, 2))
    def unblock(self, pick: int) -> None:
        """Lift a block."""
        blocked = self._blocked()
        self.history.append(BlockLifted(self.today, blocked[pick % len(blocked)]))

    # -- invariants ---------------------------------------------------------------------------
    @invariant()
    def money_is_conserved(self) -> None:
        """Invariant 11, after every step."""
        check_money_conserved(self.portfolio, self.today, self.history)

    @invariant()
    def levels_never_go_down(self) -> None:
        """Invariant 3, after every step: the machine records no `LevelReset`, so nothing it
        does (payments, disputes, promises, plans, replies, blocks, time) may lower a case's
        level within an episode."""
        levels = {
            (case.debtor_id, case.currency, str(case.episode.number)): case.episode.level
            for case in self._cases()
        }
        for (debtor_id, currency, episode), level in self._levels.items():
            now = levels.get((debtor_id, currency, episode), level)
            if now < level:
                raise AssertionError(
                    f"invariant 3: debtor {debtor_id}, episode {episode}: level went down from "
                    f"{level} to {now} on {self.today} without a LevelReset"
                )
        self._levels = levels

    # -- plans, replies, documents, deliveries ----------------------------------------------------

    def _overdue_cases(self) -> list[Case]:
        return [c for c in self._cases() if c.overdue_items(self.today) and c.balance.is_positive]

    def _plans(self, *, kept: bool) -> list[tuple[str, date, Money]]:
        """(debtor, next instalment date, amount) of the plans that are kept (or broken)."""
        found = []
        for case in self._cases():
            status = plan_status(case, self.today)
            if status is None or status.complete or status.kept != kept:
                continue
            nxt = status.upcoming or (status.missed[0] if status.missed else None)
            if nxt is not None:
                found.append((case.debtor_id, nxt[0], nxt[1]))
        return found

    @precondition(lambda self: bool(self._overdue_cases()))
    @rule(pick=st.integers(0, 2), instalments=st.integers(1, 4), first=st.integers(0, 20))
    def agree_plan(self, pick: int, instalments: int, first: int) -> None:
        """Agree a payment plan (rateizzazione) for what a debtor owes: ``instalments`` monthly
        instalments, the first ``first`` days from today."""
        cases = self._overdue_cases()
        case = cases[pick % len(cases)]
        n = min(instalments, max(1, int(case.balance.amount)))
        agreed = propose_plan(
            case, self.today, instalments=n, first=self.today + timedelta(days=first)
        )
        self.history.append(agreed)

    @precondition(lambda self: bool(self._plans(kept=True)))
    @rule(pick=st.integers(0, 2))
    def pay_instalment(self, pick: int) -> None:
        """Pay the next instalment of a kept plan, on its date, running the engine every day
        until then."""
        plans = self._plans(kept=True)
        debtor, when, amount = plans[pick % len(plans)]
        while self.today < when:
            self.today += timedelta(days=1)
            self._run()
        count = sum(1 for e in self.history if isinstance(e, PaymentReceived)) + 1
        payment = Payment(f"PAY-{count}", debtor, self.today, amount, "rata")
        self.history.append(PaymentReceived(self.today, debtor, payment))

    @precondition(lambda self: bool(self._plans(kept=True)))
    @rule(pick=st.integers(0, 2))
    def miss_instalment(self, pick: int) -> None:
        """Let a plan's next instalment and its grace pass unpaid, running the engine every
        day; within the grace nothing may be sent (invariant 17, checked on every run)."""
        plans = self._plans(kept=True)
        _, when, _ = plans[pick % len(plans)]
        end = min(when + timedelta(days=8), self.today + timedelta(days=_MAX_PROMISE_WAIT + 20))
        while self.today < end:
            self.today += timedelta(days=1)
            self._run()

    @precondition(lambda self: bool(self._overdue_cases()))
    @rule(pick=st.integers(0, 2), kind=st.sampled_from(REPLY_KINDS), days=st.integers(1, 20))
    def reply(self, pick: int, kind: ReplyKind, days: int) -> None:
        """A debtor with something overdue replies: paid (with a CRO), a promise, a dispute
        (naming an invoice), a request for documents, a wrong address, or anything else."""
        cases = self._overdue_cases()
        case = cases[pick % len(cases)]
        invoice = case.overdue_items(self.today)[0].invoice_id if kind == "dispute" else None
        self.history.append(
            DebtorReplied(
                self.today,
                case.debtor_id,
                note="risposta",
                kind=kind,
                reference="CRO 0306912345" if kind == "payment_sent" else "",
                until=self.today + timedelta(days=days) if kind == "promise" else None,
                invoice_id=invoice,
            )
        )

    @precondition(
        lambda self: (
            any(c.documents_requested is not None for c in self._cases())
            or any(c.wrong_channels for c in self._cases())
        )
    )
    @rule(pick=st.integers(0, 2))
    def answer_reply(self, pick: int) -> None:
        """Send the documents a debtor asked for, or correct the address it said was wrong."""
        cases = [c for c in self._cases() if c.documents_requested or c.wrong_channels]
        case = cases[pick % len(cases)]
        if case.documents_requested is not None:
            self.history.append(DocumentsSent(self.today, case.debtor_id))
        for channel in sorted(case.wrong_channels):
            self.history.append(AddressUpdated(self.today, case.debtor_id, channel))

    @precondition(lambda self: bool(self.portfolio.invoices))
    @rule(pick=st.integers(0, 7), kind=st.sampled_from(["order", "delivery_note", "contract"]))
    def add_document(self, pick: int, kind: str) -> None:
        """Record a supporting document for an invoice."""
        invoice = self.portfolio.invoices[pick % len(self.portfolio.invoices)]
        document = Document(kind, f"{kind}-{invoice.id}")
        self.history.append(DocumentAdded(self.today, invoice.debtor_id, invoice.id, document))

    @precondition(lambda self: self.last_run == self.today and bool(self._today_actions()))
    @rule(pick=st.integers(0, 2))
    def delivery_fails(self, pick: int) -> None:
        """One of today's messages bounces (a PEC non-delivery, a returned letter) and the
        engine runs again the same day: it retries once on the next channel."""
        actions = self._today_actions()
        action = actions[pick % len(actions)]
        self.history = [
            e
            for e in self.history
            if not (isinstance(e, DeliveryConfirmed) and e.key == action.key)
        ]
        self.history.append(
            DeliveryFailed(self.today, action.debtor_id, action.key, action.channel, "bounced")
        )
        self._levels = {}  # the failure voids the contact: the level may go back (by an event)
        self._run(again=True)

    def _today_actions(self) -> list[ActionPlanned]:
        failed = {e.key for e in self.history if isinstance(e, DeliveryFailed)}
        return [
            e
            for e in self.history
            if isinstance(e, ActionPlanned) and e.date == self.today and e.key not in failed
        ]


def run_case_machine(policy: PolicyLike, settings: hypothesis.settings | None = None) -> None:
    """Run `CaseMachine` on ``policy``; raise `AssertionError` (with a program that
    reproduces it) when an invariant breaks. ``settings`` defaults to hypothesis's current
    profile."""
    factory = cast("type[RuleBasedStateMachine]", lambda: CaseMachine(policy))
    run_state_machine_as_test(factory, settings=settings)


def case_machine_test(
    policy: PolicyLike, settings: hypothesis.settings | None = None, *, name: str = "CaseMachine"
) -> type[unittest.TestCase]:
    """A `unittest.TestCase` class running `CaseMachine` on ``policy``: assign it to a name
    starting with ``Test`` in a test module (``TestMyPolicy = case_machine_test(policy)``)."""

    class _Machine(CaseMachine):
        def __init__(self) -> None:
            super().__init__(policy)

    _Machine.__name__ = _Machine.__qualname__ = name
    test_case: type[unittest.TestCase] = _Machine.TestCase
    if settings is not None:
        test_case.settings = settings  # type: ignore[attr-defined]
    return test_case
