"""Payment plans (rateizzazione): how a plan stands on a date, and proposing one.

A plan is agreed with a `PlanAgreed` event: instalments with their dates and amounts. Whether
it is kept is **derived** from the payments received since it was agreed, never typed in: on
any day, every instalment whose date plus the grace has passed must be covered by what was
paid since the agreement. The first instalment that is not is a breach
(`PlanStatus.broken_on`); a debtor who catches up puts the plan back on track.

>>> from datetime import date
>>> from dunning import Money
>>> from dunning.events import PlanAgreed
>>> agreed = PlanAgreed(date(2026, 5, 4), "C001", instalments=[
...     (date(2026, 5, 29), Money("400.00", "EUR")), (date(2026, 6, 30), Money("400.00", "EUR"))])
>>> status = plan_status_of(agreed, Money("400.00", "EUR"), date(2026, 7, 8), grace_days=5)
>>> status.kept, status.missed, status.broken_on
(False, ((datetime.date(2026, 6, 30), Money('400.00', 'EUR')),), datetime.date(2026, 7, 6))
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs
from dateutil.relativedelta import relativedelta

from .case import Case
from .errors import PolicyError
from .events import PlanAgreed
from .money import Money

__all__ = ["PlanStatus", "plan_status", "plan_status_of", "propose_plan"]


@attrs.frozen
class PlanStatus:
    """A payment plan as it stands on ``on``.

    ``paid``: received since the agreement; ``missed``: instalments past their date plus the
    grace that ``paid`` does not cover; ``broken_on``: the first day of the breach (the day
    after the first missed instalment's grace), None while the plan is kept; ``upcoming``: the
    next instalment not yet covered; ``complete``: every instalment is paid.
    """

    plan: PlanAgreed
    on: date
    paid: Money
    missed: tuple[tuple[date, Money], ...]
    broken_on: date | None
    upcoming: tuple[date, Money] | None
    complete: bool

    @property
    def kept(self) -> bool:
        return self.broken_on is None

    @property
    def total(self) -> Money:
        return sum((m for _, m in self.plan.instalments), Money.zero(self.plan.currency))


def plan_status_of(plan: PlanAgreed, paid: Money, on: date, *, grace_days: int = 5) -> PlanStatus:
    """The status of ``plan`` on ``on`` given what was ``paid`` since it was agreed."""
    cumulative = Money.zero(plan.currency)
    missed: list[tuple[date, Money]] = []
    upcoming: tuple[date, Money] | None = None
    for day, amount in plan.instalments:
        cumulative = cumulative + amount
        if paid >= cumulative:
            continue
        if on > day + timedelta(days=grace_days):
            missed.append((day, amount))
        elif upcoming is None:
            upcoming = (day, amount)
    broken = missed[0][0] + timedelta(days=grace_days + 1) if missed else None
    return PlanStatus(
        plan=plan,
        on=on,
        paid=paid,
        missed=tuple(missed),
        broken_on=broken,
        upcoming=upcoming,
        complete=paid >= cumulative,
    )


def plan_status(case: Case, on: date, *, grace_days: int = 5) -> PlanStatus | None:
    """The status of the case's latest plan on ``on`` (None without a plan)."""
    if case.plan is None:
        return None
    paid = case.plan_paid if case.plan_paid is not None else Money.zero(case.currency)
    return plan_status_of(case.plan, paid, on, grace_days=grace_days)


def propose_plan(
    case: Case,
    on: date,
    *,
    instalments: int | None = None,
    first: date | None = None,
    min_instalment: Money | None = None,
    max_instalments: int = 12,
    every_months: int = 1,
) -> PlanAgreed:
    """A payment plan for what is open on ``case`` (undisputed), agreed on ``on``.

    ``instalments`` (default: as many as ``min_instalment`` allows, at most
    ``max_instalments``) of equal amounts (the cents split by largest remainder), the first on
    ``first`` (default: 30 days after ``on``), then every ``every_months`` months. Raises
    `PolicyError` when the limits cannot be met (an instalment below ``min_instalment``,
    more than ``max_instalments``) or nothing is open.

    >>> from datetime import date
    >>> import dunning
    >>> portfolio = dunning.Portfolio(
    ...     dunning.Creditor("Tipografia Emiliana S.r.l."),
    ...     [dunning.Debtor("C001", "Bar Centrale")],
    ...     [dunning.Invoice.single("F1", "C001", date(2026, 1, 10), date(2026, 2, 9),
    ...                             dunning.Money("1000.00", "EUR"))])
    >>> case = portfolio.case("C001", date(2026, 4, 1))
    >>> plan = propose_plan(case, date(2026, 4, 1), instalments=3)
    >>> [(str(d), str(m)) for d, m in plan.instalments]
    [('2026-05-01', '333.34 EUR'), ('2026-06-01', '333.33 EUR'), ('2026-07-01', '333.33 EUR')]
    """
    balance = case.balance
    if not balance.is_positive:
        raise PolicyError(f"debtor {case.debtor_id}: nothing open to put in a payment plan")
    if not 1 <= max_instalments <= 120:
        raise PolicyError(f"max_instalments must be between 1 and 120, not {max_instalments}")
    if instalments is None:
        instalments = max_instalments
        if min_instalment is not None:
            fits = int(balance.amount // min_instalment.amount) if min_instalment.is_positive else 1
            instalments = max(1, min(max_instalments, fits))
    if not 1 <= instalments <= max_instalments:
        raise PolicyError(
            f"debtor {case.debtor_id}: {instalments} instalments is outside 1..{max_instalments}"
        )
    parts = balance.allocate([1] * instalments)
    if min_instalment is not None and min(parts) < min_instalment:
        raise PolicyError(
            f"debtor {case.debtor_id}: {instalments} instalments of {min(parts)} are below the "
            f"minimum instalment {min_instalment}"
        )
    start = first or on + timedelta(days=30)
    if start < on:
        raise PolicyError(f"the first instalment ({start}) is before the agreement ({on})")
    days = [start + relativedelta(months=every_months * n) for n in range(instalments)]
    return PlanAgreed(on, case.debtor_id, instalments=list(zip(days, parts, strict=True)))
