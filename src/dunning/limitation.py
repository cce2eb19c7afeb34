"""Limitation (prescrizione): when each open item's claim runs out, and what interrupted it.

Italian law (codice civile, libro VI, titolo V):

- the period runs from the day the right can be exercised (art. 2935 c.c.): for an open item,
  its due date; for professionals' fees, the completion of the work (art. 2957 c.c.), for which
  the invoice's issue date stands in;
- its length depends on the kind of credit: 10 years ordinary (art. 2946), 5 for periodic
  payments such as rents and interest (art. 2948), 3 for professionals' fees (art. 2956 n. 2),
  1 for retailers selling to consumers (art. 2955 n. 5), 2 for consumer energy, water and gas
  bills (L. 205/2017);
- a period of years ends on the day of the last year that corresponds to the first day, and
  when that month has no such day (29 February) on the last day of the month (art. 2963 c.c.);
- any written demand that puts the debtor in default (messa in mora, art. 1219) interrupts
  limitation (art. 2943 co. 4) once it reaches the debtor, and a new period of the same length
  starts from that day (art. 2945 co. 1).

`limitation_status` folds a `Case`'s events into one `ItemLimitation` per open item. Only a
formal notice **proven delivered** counts as an interruption: an `ActionPlanned` event of kind
``formal_notice`` whose ``key`` a `DeliveryConfirmed` event confirms over a channel with legal
proof of delivery. The confirmation's ``channel`` is ``"pec"`` (the PEC delivery receipt) or
``"postal:<service>"`` with a service in `dunning.steps.PROVEN_POSTAL_SERVICES` (e.g.
``"postal:raccomandata_ar"``, the A/R return card): `ActionPlanned` does not record the postal
service, so the receipt says which service it proves. E-mail, SMS, plain post (``"postal"``,
``"postal:prioritaria"``), a missing confirmation or a `DeliveryFailed` never interrupt.

The figures are conservative: acknowledgements by the debtor (art. 2944: a partial payment, a
promise to pay), suspensions (art. 2941-2942) and the roll-over of a last day that falls on a
holiday (art. 2963 co. 3) are not counted, so the date shown is never later than the real one.

>>> from datetime import date
>>> from dunning import Creditor, Debtor, Invoice, Money, Portfolio
>>> from dunning.events import ActionPlanned, DeliveryConfirmed
>>> debtor = Debtor("B1", "Officina Rossi S.n.c.", pec="rossi@pec.it")
>>> inv = Invoice.single("2026/0001", "B1", date(2026, 3, 2), date(2026, 3, 31),
...                      Money("1200.00", "EUR"))
>>> portfolio = Portfolio(Creditor("Tipografia Emiliana S.r.l."), [debtor], [inv])
>>> [s.runs_out for s in limitation_status(portfolio.case("B1", date(2027, 1, 1)),
...                                          date(2027, 1, 1))]
[datetime.date(2036, 3, 31)]
>>> notice = ActionPlanned(date(2027, 5, 3), "B1", key="n1", step="formal_notice", level=3,
...     kind="formal_notice", channel="pec", items=["2026/0001"],
...     levels=[("2026/0001", 3)], amount=Money("1200.00", "EUR"))
>>> receipt = DeliveryConfirmed(date(2027, 5, 4), "B1", key="n1", channel="pec")
>>> case = portfolio.case("B1", date(2027, 6, 1), [notice, receipt])
>>> (status,) = limitation_status(case, date(2027, 6, 1))
>>> status.interruptions, status.runs_out
((datetime.date(2027, 5, 4),), datetime.date(2037, 5, 4))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, TypeAlias

import attrs
from dateutil.relativedelta import relativedelta

from .errors import PolicyError
from .events import ActionPlanned, DeliveryConfirmed
from .guards import Guard, Verdict
from .model import CHANNELS
from .steps import Route

if TYPE_CHECKING:
    from .case import Case, ItemState

__all__ = [
    "ITALY",
    "ItemLimitation",
    "LimitationPeriod",
    "LimitationRules",
    "StartsFrom",
    "items_near_limitation",
    "limitation_status",
    "limitation_within",
    "proves_delivery",
]

StartsFrom: TypeAlias = Literal["due_date", "issue_date"]


@attrs.frozen
class LimitationPeriod:
    """A limitation period: ``years`` long, running from the item's ``starts_from`` date.

    ``law`` cites the provision that sets it.
    """

    name: str
    years: int
    law: str
    starts_from: StartsFrom = "due_date"

    def __attrs_post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum():
            raise PolicyError(f"a limitation period needs an identifier name, not {self.name!r}")
        if not isinstance(self.years, int) or self.years <= 0:
            raise PolicyError(f"limitation period {self.name!r}: years must be a positive int")
        if self.starts_from not in ("due_date", "issue_date"):
            raise PolicyError(
                f"limitation period {self.name!r}: starts_from must be 'due_date' or "
                f"'issue_date', not {self.starts_from!r}"
            )

    def start(self, item: ItemState) -> date:
        """The day the period starts for ``item`` (before any interruption)."""
        return item.issue_date if self.starts_from == "issue_date" else item.due_date

    def runs_out(self, start: date) -> date:
        """The last day of a period started on ``start`` (art. 2963 c.c.: 29 February runs out
        on 28 February of a common year)."""
        return start + relativedelta(years=self.years)


#: The Italian limitation periods, by name.
ITALY: Mapping[str, LimitationPeriod] = MappingProxyType(
    {
        p.name: p
        for p in (
            LimitationPeriod("ordinary", 10, "art. 2946 c.c."),
            LimitationPeriod(
                "periodic", 5, "art. 2948 c.c. (rents, interest, other periodic payments)"
            ),
            # The period runs from the completion of the work (art. 2957 co. 1 c.c.): the
            # invoice's issue date stands in for it. verify: the presumptive periods (2955,
            # 2956) may be interrupted only by judicial demand or acknowledgement in case law.
            LimitationPeriod(
                "professional_fees",
                3,
                "art. 2956 n. 2 and art. 2957 c.c. (professionals' fees, from the completion "
                "of the work: the invoice's issue date)",
                "issue_date",
            ),
            LimitationPeriod(
                "retail_consumer", 1, "art. 2955 n. 5 c.c. (retailers selling to consumers)"
            ),
            # verify: L. 205/2017 (legge di bilancio 2018), art. 1 co. 4-10, as LEGAL.md says.
            LimitationPeriod(
                "utility_consumer",
                2,
                "L. 205/2017 art. 1 co. 4-10 (consumer electricity, gas and water bills)",
            ),
        )
    }
)


def _pairs(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), str(v)) for k, v in items))


def _periods(
    value: Mapping[str, LimitationPeriod] | Iterable[LimitationPeriod],
) -> tuple[LimitationPeriod, ...]:
    return tuple(value.values() if isinstance(value, Mapping) else value)


_ITALY = _periods(ITALY)


@attrs.frozen(repr=False)
class LimitationRules:
    """Which limitation period applies to which item.

    The invoice id (``by_invoice``) decides first, then the debtor's tags (``by_tag``), then
    ``default``. When several tags match, the shortest period wins: it is the one that runs
    out first. ``periods`` is the table the names refer to (Italy by default).

    >>> rules = LimitationRules(by_tag={"affitti": "periodic"},
    ...                         by_invoice={"2026/0042": "professional_fees"})
    >>> rules
    LimitationRules(by_tag={'affitti': 'periodic'}, by_invoice={'2026/0042': 'professional_fees'})
    >>> eval(repr(rules)) == rules
    True
    """

    by_tag: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    by_invoice: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    default: str = "ordinary"
    periods: tuple[LimitationPeriod, ...] = attrs.field(default=_ITALY, converter=_periods)

    def __attrs_post_init__(self) -> None:
        names = [p.name for p in self.periods]
        if len(set(names)) != len(names):
            raise PolicyError(f"limitation period names repeat: {sorted(names)}")
        known = set(names)
        wanted = [("default", self.default)]
        wanted += [(f"by_tag[{k!r}]", v) for k, v in self.by_tag]
        wanted += [(f"by_invoice[{k!r}]", v) for k, v in self.by_invoice]
        for where, name in wanted:
            if name not in known:
                raise PolicyError(
                    f"LimitationRules {where}: unknown period {name!r}; "
                    f"known: {', '.join(sorted(known))}"
                )

    def period(self, name: str) -> LimitationPeriod:
        for p in self.periods:
            if p.name == name:
                return p
        raise KeyError(f"no limitation period {name!r}")

    def period_for(self, item: ItemState, tags: Iterable[str] = ()) -> LimitationPeriod:
        """The period of ``item``, for a debtor carrying ``tags``."""
        by_invoice = dict(self.by_invoice)
        if item.invoice_id in by_invoice:
            return self.period(by_invoice[item.invoice_id])
        tagged = set(tags)
        matches = [self.period(name) for tag, name in self.by_tag if tag in tagged]
        if matches:
            return min(matches, key=lambda p: (p.years, p.name))
        return self.period(self.default)

    def __repr__(self) -> str:
        parts = []
        if self.by_tag:
            parts.append(f"by_tag={dict(self.by_tag)!r}")
        if self.by_invoice:
            parts.append(f"by_invoice={dict(self.by_invoice)!r}")
        if self.default != "ordinary":
            parts.append(f"default={self.default!r}")
        if self.periods != _ITALY:
            parts.append(f"periods={self.periods!r}")
        return f"LimitationRules({', '.join(parts)})"


@attrs.frozen
class ItemLimitation:
    """Where one open item stands with limitation on a date.

    ``starts`` is the start of the original period, ``interruptions`` the days proven formal
    notices reached the debtor (each starting a new period), ``runs_out`` the last day of the
    current period and ``days_left`` the days from the date asked about to ``runs_out``
    (negative once it has run out).
    """

    key: str
    period: LimitationPeriod
    starts: date
    runs_out: date
    interruptions: tuple[date, ...]
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    def describe(self) -> str:
        """E.g. ``"2026/0001 runs out on 2036-03-31, in 45 days"``."""
        if self.days_left < 0:
            return f"{self.key} ran out on {self.runs_out}, {-self.days_left} days ago"
        return f"{self.key} runs out on {self.runs_out}, in {self.days_left} days"


def proves_delivery(channel: str) -> bool:
    """Whether a `DeliveryConfirmed` over ``channel`` is legal proof of delivery.

    ``"pec"`` (the PEC delivery receipt) and ``"postal:<service>"`` with a service in
    `dunning.steps.PROVEN_POSTAL_SERVICES` (``"postal:raccomandata_ar"``) are; ``"email"``,
    ``"postal"`` and ``"postal:prioritaria"`` are not.

    >>> proves_delivery("pec"), proves_delivery("postal:raccomandata_ar"), proves_delivery("postal")
    (True, True, False)
    """
    base, _, service = channel.partition(":")
    if base not in CHANNELS:
        return False
    return Route(base, service or None).legal_proof


def _base(channel: str) -> str:
    return channel.partition(":")[0]


def _proven_demands(case: Case, as_of: date) -> dict[str, list[date]]:
    """For each item key, the days a proven formal notice naming it reached the debtor."""
    events = [e for e in case.events if e.date <= as_of]
    demands: dict[str, ActionPlanned] = {}
    for event in events:
        if (
            isinstance(event, ActionPlanned)
            and event.kind == "formal_notice"
            and event.key not in demands
        ):
            demands[event.key] = event
    delivered: dict[str, date] = {}
    for event in events:
        if not isinstance(event, DeliveryConfirmed) or event.key not in demands:
            continue
        demand = demands[event.key]
        channel = event.channel
        if ":" not in channel and channel == "postal" and demand.service:
            channel = f"postal:{demand.service}"  # the action recorded which service it used
        if (
            event.date >= demand.date
            and proves_delivery(channel)
            and _base(event.channel) == _base(demand.channel)
        ):
            # One interruption per demand: the first receipt is the day it reached the debtor.
            first = delivered.get(event.key)
            delivered[event.key] = event.date if first is None else min(first, event.date)
    reached: dict[str, list[date]] = {}
    for key, day in delivered.items():
        demand = demands[key]
        for item in {*demand.items, *(k for k, _ in demand.levels)}:
            reached.setdefault(item, []).append(day)
    return reached


def _status(
    item: ItemState, period: LimitationPeriod, days: Iterable[date], as_of: date
) -> ItemLimitation:
    starts = period.start(item)
    # A demand before the period starts interrupts nothing (art. 2935: nothing runs yet).
    interruptions = tuple(sorted({d for d in days if d >= starts}))
    runs_out = period.runs_out(interruptions[-1] if interruptions else starts)
    return ItemLimitation(
        key=item.key,
        period=period,
        starts=starts,
        runs_out=runs_out,
        interruptions=interruptions,
        days_left=(runs_out - as_of).days,
    )


def _statuses(
    case: Case, as_of: date, rules: LimitationRules, items: Iterable[ItemState]
) -> tuple[ItemLimitation, ...]:
    reached = _proven_demands(case, as_of)
    tags = case.debtor.tags
    return tuple(
        _status(item, rules.period_for(item, tags), reached.get(item.key, ()), as_of)
        for item in items
    )


def limitation_status(
    case: Case, as_of: date, rules: LimitationRules = LimitationRules()
) -> tuple[ItemLimitation, ...]:
    """Limitation of each open item of ``case`` (disputed ones too), on ``as_of``.

    Only events dated on or before ``as_of`` count (and ``case.events`` holds only those up to
    the case's own date). Items come in the case's order (by due date).
    """
    return _statuses(case, as_of, rules, case.open_items)


def items_near_limitation(
    case: Case, as_of: date, horizon_days: int, rules: LimitationRules = LimitationRules()
) -> tuple[ItemLimitation, ...]:
    """The open items whose limitation runs out within ``horizon_days`` of ``as_of`` (or has
    already run out), the first to run out first."""
    near = [s for s in limitation_status(case, as_of, rules) if s.days_left <= horizon_days]
    return tuple(sorted(near, key=lambda s: (s.runs_out, s.key)))


@attrs.frozen(repr=False)
class limitation_within(Guard):  # noqa: N801
    """An undisputed open item's limitation runs out within ``days`` (or has run out).

    Disputed items are left out because an action never mentions them. Use it to send the
    formal notice in time: ``formal_notice_step.when(limitation_within(180))``.

    >>> limitation_within(180)
    limitation_within(180)
    """

    days: int
    rules: LimitationRules = LimitationRules()

    def check(self, case: Case, on: date) -> Verdict:
        statuses = sorted(
            _statuses(case, on, self.rules, case.actionable_items),
            key=lambda s: (s.runs_out, s.key),
        )
        if not statuses:
            return Verdict(False, "no open item for limitation")
        first = statuses[0]
        if first.expired:
            return Verdict(True, first.describe())
        if first.days_left <= self.days:
            return Verdict(True, f"{first.describe()} ≤ {self.days}")
        return Verdict(False, f"{first.describe()} > {self.days}")

    def __repr__(self) -> str:
        if self.rules == LimitationRules():
            return f"limitation_within({self.days!r})"
        return f"limitation_within({self.days!r}, {self.rules!r})"
