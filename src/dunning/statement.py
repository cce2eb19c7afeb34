"""The statement of account: what a debtor owes on a date, item by item, with interest.

`statement(portfolio, debtor_id, as_of, ...)` replays the debtor's invoices, credit notes and
payments up to ``as_of`` with an allocation strategy (`dunning.allocation`) and computes, per
open item, the statutory interest with its breakdown per rate period (`dunning.interest`) and
the fixed compensation per late invoice (`dunning.compensation`). The result is one frozen
object that reminders, formal notices and the agency's dossier read their figures from.

Conventions:

- Interest runs on the principal still open, from the day after the due date to ``as_of``
  inclusive; principal paid or credited stops accruing from the day after its value date.
- With `legal_order()` a payment pays, within an item, the compensation first, then the
  interest accrued up to its value date, then principal (art. 1194 c.c., § 367 BGB); with the
  other strategies it pays principal only and interest stays due.
- The fixed compensation is due once per invoice paid late or still unpaid after its due date
  (it is shown on the invoice's first late item); consumers never owe it.
- Credit notes reduce principal (of their invoice first, then the oldest items).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import attrs
from dateutil.relativedelta import relativedelta

from .allocation import Allocation, by_reference_then_oldest, credit_note_order
from .case import sort_events
from .compensation import fixed_compensation
from .errors import PolicyError
from .events import (
    ActionPlanned,
    CreditNoteRegistered,
    DeliveryConfirmed,
    DisputeOpened,
    DisputeResolved,
    Event,
    InvoiceRegistered,
    PaymentReceived,
    WrittenOff,
)
from .interest import InterestResult, Regime, compute, coverage, get_regime
from .model import Debtor
from .money import Money
from .policy import PolicyLike
from .portfolio import Portfolio
from .steps import ASSUMED_DELIVERY_DAYS

__all__ = ["Statement", "StatementLine", "statement", "statement_for"]


@attrs.frozen
class StatementLine:
    """One open item (instalment) on the statement."""

    key: str
    invoice_id: str
    label: str
    issue_date: date
    due_date: date
    amount: Money
    principal_open: Money
    interest: InterestResult | None
    interest_paid: Money
    compensation: Money
    compensation_paid: Money
    disputed: bool
    written_off: bool
    interest_until: date | None = None
    """The last day of the interest shown: ``as_of``, or the last day whose rate is known."""
    missing_rates: tuple[str, ...] = ()
    """Periods after ``interest_until`` whose reference rate nobody has published yet."""
    interest_time_barred: Money | None = None
    """Interest accrued more than the regime's limitation period before ``as_of`` (art. 2948
    n. 4 c.c.: five years), not claimed; None when the regime does not say."""
    accrues_after: date | None = None
    """The day before interest starts to run: the due date, or the start of default where the
    regime needs one (a German consumer's *Verzug*); None while it has not started."""

    @property
    def interest_accrued(self) -> Money:
        """All interest accrued up to ``interest_until``, paid or not, time-barred or not."""
        return self.interest.amount if self.interest else self.amount * 0

    @property
    def interest_due(self) -> Money:
        """Interest still claimable: accrued, less what payments covered (the oldest first),
        never the time-barred part."""
        accrued = self.interest_accrued
        barred = self.interest_time_barred or accrued * 0
        return max(accrued - max(self.interest_paid, barred), accrued * 0)

    @property
    def compensation_due(self) -> Money:
        return max(self.compensation - self.compensation_paid, self.compensation * 0)

    @property
    def total_due(self) -> Money:
        return self.principal_open + self.interest_due + self.compensation_due


@attrs.frozen
class Statement:
    """Everything a debtor owes on ``as_of`` in one currency."""

    debtor: Debtor
    currency: str
    as_of: date
    regime: str | None
    allocation: Allocation
    lines: tuple[StatementLine, ...]
    paid: Money
    credited: Money
    on_account: Money

    @property
    def interest_until(self) -> date | None:
        """The earliest day up to which an open line's interest is shown when some rate is
        missing (the interest keeps accruing after it), else None."""
        days = [line.interest_until for line in self.open_lines if line.missing_rates]
        return min((d for d in days if d is not None), default=None)

    @property
    def missing_rates(self) -> tuple[str, ...]:
        """The periods whose reference rates the open lines need and nobody has published."""
        found = {p for line in self.open_lines for p in line.missing_rates}
        return tuple(sorted(found))

    @property
    def interest_time_barred(self) -> Money:
        """Interest older than the regime's limitation period, not claimed."""
        return self._sum(
            line.interest_time_barred
            for line in self.open_lines
            if line.interest_time_barred is not None
        )

    def _sum(self, values: Iterable[Money]) -> Money:
        return sum(values, Money.zero(self.currency))

    @property
    def open_lines(self) -> tuple[StatementLine, ...]:
        """Lines with something still due (principal, interest or compensation)."""
        return tuple(
            line for line in self.lines if line.total_due.is_positive and not line.written_off
        )

    @property
    def principal_due(self) -> Money:
        return self._sum(line.principal_open for line in self.open_lines)

    @property
    def interest_due(self) -> Money:
        return self._sum(line.interest_due for line in self.open_lines)

    @property
    def compensation_due(self) -> Money:
        return self._sum(line.compensation_due for line in self.open_lines)

    @property
    def total_due(self) -> Money:
        """Principal, interest and compensation still due, less money held on account."""
        return self.principal_due + self.interest_due + self.compensation_due - self.on_account

    def text(self, periods: bool = False) -> str:
        """A plain-text statement, one line per open item; with ``periods`` each item's
        interest follows line by line (from, to, days, rate, principal, amount), as a person
        checking the figures wants them."""
        rows = [
            f"Statement of account of {self.debtor.name} ({self.debtor.id}) as of {self.as_of}"
            + (f", interest {self.regime}" if self.regime else "")
        ]
        for line in self.open_lines:
            flag = " (disputed)" if line.disputed else ""
            rows.append(
                f"  {line.label:<14} due {line.due_date}  principal {line.principal_open!s:>14}"
                f"  interest {line.interest_due!s:>12}  compensation {line.compensation_due!s:>10}"
                + flag
            )
            if periods and line.interest is not None:
                rows.extend(
                    f"      {p.start} – {p.end} {p.days:>4} d  {p.rate:>6} %  "
                    f"on {p.principal!s:>14}  {p.amount!s:>12}"
                    for p in line.interest.periods
                )
                if line.interest_paid.is_positive:
                    rows.append(f"      less interest already paid: {line.interest_paid}")
                barred = line.interest_time_barred
                if barred is not None and barred.is_positive:
                    rows.append(f"      less interest older than 5 years, not claimed: {barred}")
        rows.append(
            f"  principal {self.principal_due}, interest {self.interest_due}, "
            f"compensation {self.compensation_due}, on account {self.on_account}: "
            f"total due {self.total_due}"
        )
        if self.missing_rates:
            rows.append(
                f"  interest up to {self.interest_until} only: no published rate for "
                f"{', '.join(self.missing_rates)} ({self.regime}); it keeps accruing"
            )
        waiting = [
            line.label
            for line in self.open_lines
            if self.regime is not None and line.accrues_after is None and not line.disputed
        ]
        if waiting:
            rows.append(
                f"  no interest yet on {', '.join(waiting)}: the debtor is not in default "
                "(no reminder has reached them)"
            )
        if self.interest_time_barred.is_positive:
            rows.append(
                f"  not claimed: interest of {self.interest_time_barred} accrued more than "
                "5 years ago (art. 2948 n. 4 c.c.; an interruption would revive it)"
            )
        return "\n".join(rows)


def statement_for(
    portfolio: Portfolio,
    policy: PolicyLike,
    debtor_id: str,
    as_of: date,
    history: Iterable[Event] = (),
) -> Statement:
    """The statement of ``debtor_id`` with the interest regime, fixed compensation and
    allocation of the policy that applies to the debtor's case."""
    case = portfolio.case(debtor_id, as_of, history)
    chosen = policy.policy_for(case, as_of)
    if chosen is None:
        raise PolicyError(
            f"no policy applies to debtor {debtor_id}: {policy.accepts(case, as_of).reason}"
        )
    return statement(
        portfolio,
        debtor_id,
        as_of,
        interest=chosen.regime,
        fixed_compensation_due=chosen.fixed_compensation,
        allocation=chosen.allocation,
        history=history,
        currency=case.currency,
    )


def _default_dates(events: Iterable[Event], as_of: date) -> dict[str, date]:
    """When each item (by key, and by invoice id for actions that name invoices) was first put
    in default by a dunning letter after its due date: the day the letter reached the debtor
    (its `DeliveryConfirmed`, else the day it was sent for e-mail, PEC and SMS, and 4 days
    later by post: `dunning.steps.ASSUMED_DELIVERY_DAYS`; a later start of default claims
    less, never more)."""
    confirmed: dict[str, date] = {}
    letters: list[ActionPlanned] = []
    for event in events:
        if event.date > as_of:
            continue
        if isinstance(event, DeliveryConfirmed):
            confirmed.setdefault(event.key, event.date)
        elif isinstance(event, ActionPlanned) and event.kind in ("reminder", "formal_notice"):
            letters.append(event)
    found: dict[str, date] = {}
    for letter in letters:
        days = ASSUMED_DELIVERY_DAYS.get(letter.channel.partition(":")[0], 0)
        received = confirmed.get(letter.key, letter.date + timedelta(days=days))
        if received > as_of:
            continue
        for key in letter.items:
            found[key] = min(found.get(key, received), received)
    return found


class _Line:
    """Mutable working copy of an item while payments are replayed."""

    def __init__(
        self, invoice_id: str, label: str, key: str, issue: date, due: date, amount: Money
    ) -> None:
        self.invoice_id, self.label, self.key = invoice_id, label, key
        self.issue_date, self.due_date, self.amount = issue, due, amount
        self.open = amount
        self.reductions: list[tuple[date, Money]] = []
        self.interest_paid = amount * 0
        self.compensation = amount * 0
        self.compensation_paid = amount * 0
        self.disputed = False
        self.written_off = False

    def reduce(self, on: date, amount: Money) -> Money:
        part = amount.min(self.open)
        if part.is_positive:
            self.open = self.open - part
            self.reductions.append((on, part))
        return amount - part


def statement(
    portfolio: Portfolio,
    debtor_id: str,
    as_of: date,
    *,
    interest: str | Regime | None = None,
    fixed_compensation_due: bool = False,
    allocation: Allocation | None = None,
    history: Iterable[Event] = (),
    currency: str | None = None,
) -> Statement:
    """The statement of account of ``debtor_id`` on ``as_of``.

    ``interest``: the regime (key or object) to compute statutory interest with, or None for
    none. ``fixed_compensation_due``: whether to claim the fixed compensation per late invoice.
    ``allocation``: how payments are imputed (default `by_reference_then_oldest`).

    Interest is never guessed: where a period's reference rate is not published (and nobody
    supplied it), a line's interest stops on the last day whose rate is known
    (`StatementLine.interest_until`) and names the missing periods
    (`StatementLine.missing_rates`); the statement says the interest keeps accruing. Under a
    regime whose accrued interest prescribes (``Regime.interest_limitation_years``: 5 in
    Italy, art. 2948 n. 4 c.c.) interest older than that is shown apart and not claimed.
    """
    debtor = portfolio.debtor(debtor_id)
    currencies = portfolio.currencies_of(debtor_id) or ["EUR"]
    cur = currency or currencies[0]
    zero = Money.zero(cur)
    regime = get_regime(interest) if interest is not None else None
    strategy = allocation or by_reference_then_oldest()
    lines: dict[str, _Line] = {}
    paid = credited = on_account = zero
    events = portfolio.events_of(debtor_id) + [e for e in history if e.debtor_id == debtor_id]

    defaults = _default_dates(events, as_of) if regime is not None and regime.needs_default else {}

    def start_of(line: _Line) -> date | None:
        """The day before interest starts: the due date, or the start of default."""
        if regime is None:
            return None
        if not regime.needs_default:
            return line.due_date
        days = [d for d in (defaults.get(line.key), defaults.get(line.invoice_id)) if d]
        if regime.default_after_days is not None:
            days.append(line.due_date + timedelta(days=regime.default_after_days))
        return max(min(days), line.due_date) if days else None

    def accrued(line: _Line, until: date) -> Money:
        start = start_of(line)
        if regime is None or start is None:
            return zero
        known = coverage(regime, start, until).known_until
        return compute(line.amount, start, known, regime, payments=line.reductions).amount

    def compensation_for(line: _Line, on: date) -> None:
        if not fixed_compensation_due or regime is None or on <= line.due_date:
            return
        siblings = [x for x in lines.values() if x.invoice_id == line.invoice_id]
        if any(x.compensation.is_positive for x in siblings):
            return
        total = sum((x.amount for x in siblings), zero)
        fee = fixed_compensation(total, debtor_kind=debtor.kind, regime=regime)
        if fee.currency == cur:
            line.compensation = fee

    def pay(amount: Money, order: list[_Line], on: date) -> Money:
        for line in order:
            if not amount.is_positive:
                break
            if line.written_off:
                continue
            if strategy.costs_first:
                compensation_for(line, on)
                part = amount.min(line.compensation - line.compensation_paid)
                if part.is_positive:
                    line.compensation_paid = line.compensation_paid + part
                    amount = amount - part
                owed = accrued(line, on) - line.interest_paid
                part = amount.min(owed) if owed.is_positive else zero
                if part.is_positive:
                    line.interest_paid = line.interest_paid + part
                    amount = amount - part
            amount = line.reduce(on, amount)
        return amount

    for event in sort_events(events):
        if event.date > as_of:
            continue
        if isinstance(event, InvoiceRegistered) and event.invoice.currency == cur:
            inv = event.invoice
            for item in inv.items:
                key = inv.item_key(item)
                lines[key] = _Line(
                    inv.id, inv.label, key, inv.issue_date, item.due_date, item.amount
                )
            if on_account.is_positive:
                new = sorted(
                    (x for x in lines.values() if x.invoice_id == inv.id), key=lambda x: x.due_date
                )
                rest = pay(on_account, new, event.date)
                paid, on_account = paid + (on_account - rest), rest
        elif isinstance(event, PaymentReceived) and event.payment.amount.currency == cur:
            amount = event.payment.amount
            rest = pay(
                amount, strategy.order(list(lines.values()), event.payment.reference), event.date
            )
            paid, on_account = paid + (amount - rest), on_account + rest
        elif isinstance(event, CreditNoteRegistered) and event.credit_note.amount.currency == cur:
            note = event.credit_note
            rest = note.amount
            for line in credit_note_order(list(lines.values()), note.invoice_id):
                rest = line.reduce(event.date, rest)
            credited, on_account = credited + (note.amount - rest), on_account + rest
        elif isinstance(event, DisputeOpened | DisputeResolved):
            for line in lines.values():
                if line.invoice_id == event.invoice_id:
                    line.disputed = isinstance(event, DisputeOpened)
        elif isinstance(event, WrittenOff):
            for line in lines.values():
                if not event.items or line.key in event.items:
                    line.written_off = True

    result_lines = []
    for line in sorted(lines.values(), key=lambda x: (x.due_date, x.key)):
        # the compensation is due for a late invoice, paid since or not
        settled = line.reductions[-1][0] if line.reductions and not line.open.is_positive else as_of
        compensation_for(line, settled)
        result, cover, barred = None, None, None
        start = start_of(line)
        if regime is not None and start is not None:
            cover = coverage(regime, start, as_of)
            result = compute(
                line.amount, start, cover.known_until, regime, payments=line.reductions
            )
            years = regime.interest_limitation_years
            if years is not None:
                cutoff = min(as_of - relativedelta(years=years), cover.known_until)
                barred = compute(
                    line.amount, start, cutoff, regime, payments=line.reductions
                ).amount
        result_lines.append(
            StatementLine(
                key=line.key,
                invoice_id=line.invoice_id,
                label=line.label,
                issue_date=line.issue_date,
                due_date=line.due_date,
                amount=line.amount,
                principal_open=line.open,
                interest=result,
                interest_paid=line.interest_paid,
                compensation=line.compensation,
                compensation_paid=line.compensation_paid,
                disputed=line.disputed,
                written_off=line.written_off,
                interest_until=cover.known_until if cover is not None else None,
                missing_rates=cover.missing if cover is not None else (),
                interest_time_barred=barred,
                accrues_after=start,
            )
        )
    return Statement(
        debtor=debtor,
        currency=cur,
        as_of=as_of,
        regime=regime.key if regime is not None else None,
        allocation=strategy,
        lines=tuple(result_lines),
        paid=paid,
        credited=credited,
        on_account=on_account,
    )
