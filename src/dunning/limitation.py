"""Limitation (prescrizione): when each open item's claim runs out, and what interrupted it.

Italian law (codice civile, libro VI, titolo V; L. 205/2017):

- the period runs from the day the right can be exercised (art. 2935 c.c.): for an open item,
  its due date. The short presumptive periods run instead from the completion of the
  performance (art. 2957 co. 1 c.c.): the work finished, for professionals' fees; the goods
  delivered, for a retailer's sale. For lawyers that is the decision of the case, the
  settlement or the end of the mandate (art. 2957 co. 2). Those periods, and utility bills, are
  counted from the invoice's `Invoice.performed_on`;
- its length depends on the kind of credit: 10 years ordinary (art. 2946), 5 for periodic
  payments such as rents and interest (art. 2948), 3 for professionals' fees (art. 2956 n. 2),
  1 for retailers selling to consumers (art. 2955 n. 5), 2 for electricity, gas and water
  bills of households, micro-enterprises and professionals (L. 205/2017 art. 1 co. 4);
- the first day is not counted, and a period of years ends at the end of the day of the last
  year that corresponds to the first day; when that month has no such day (29 February), on
  the last day of the month (art. 2963 co. 2, 4 and 5 c.c.);
- any written demand that puts the debtor in default (messa in mora, art. 1219) interrupts
  limitation (art. 2943 co. 4) once it reaches the debtor, and a new period of the same length
  starts from that day (art. 2945 co. 1); one that reaches the debtor after the period ran out
  finds nothing to interrupt (art. 2934).

`limitation_status` folds a `Case`'s events into one `ItemLimitation` per open item. Only a
formal notice **proven delivered** counts as an interruption: an `ActionPlanned` event of kind
``formal_notice`` whose ``key`` a `DeliveryConfirmed` event confirms over a channel with legal
proof of delivery. The confirmation's ``channel`` is ``"pec"`` (the PEC delivery receipt) or
``"postal:<service>"`` with a service in `dunning.steps.PROVEN_POSTAL_SERVICES` (e.g.
``"postal:raccomandata_ar"``, the A/R return card): `ActionPlanned` does not record the postal
service, so the receipt says which service it proves. E-mail, SMS, plain post (``"postal"``,
``"postal:prioritaria"``), a missing confirmation or a `DeliveryFailed` never interrupt.

When the date is on the safe side (never later than the real one): always for a period that
runs from the due date (``ordinary``, ``periodic``), and for one that runs from the
performance when the invoice gives ``performed_on``. Counting a utility bill from the end of
the supply it bills is on the safe side under every reading of L. 205/2017, which does not
say when the two years start: ARERA counts them from the deadline for issuing the bill, which
follows the supply (delibera 97/2018/R/com), courts from the bill's issue or due date. Left
out, each of which could only make the real date later: the debtor's acknowledgements
(art. 2944: a partial payment, a promise to pay), suspensions (art. 2941-2942) and the
roll-over of a last day that falls on a holiday (art. 2963 co. 3).

When a period runs from the performance and the invoice does not give ``performed_on``, its
issue date stands in: the earliest date the invoice gives, but not a safe one. Work completed
or goods delivered before the invoice was issued (the usual case for a professional's fees, a
deferred invoice for a sale) make the real date **earlier** than the one shown; a utility
bill issued after its billing deadline, likewise. `ItemLimitation.stand_in` and
`ItemLimitation.describe` say so.

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

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, TypeAlias, get_args

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

StartsFrom: TypeAlias = Literal["due_date", "issue_date", "performed_on"]
_STARTS_FROM: tuple[str, ...] = get_args(StartsFrom)


@attrs.frozen
class LimitationPeriod:
    """A limitation period: ``years`` long, running from the item's ``starts_from`` date.

    ``starts_from`` is ``"due_date"``, ``"issue_date"`` or ``"performed_on"`` (the day the
    performance billed was completed, `Invoice.performed_on`; when the invoice does not give
    it, the issue date stands in). ``law`` cites the provision that sets it.
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
        if self.starts_from not in _STARTS_FROM:
            raise PolicyError(
                f"limitation period {self.name!r}: starts_from must be one of "
                f"{', '.join(map(repr, _STARTS_FROM))}, not {self.starts_from!r}"
            )

    def counted_from(self, item: ItemState) -> tuple[StartsFrom, date]:
        """Which of ``item``'s dates the period runs from, and that date (before any
        interruption). A period from ``"performed_on"`` runs from the issue date when the
        invoice does not give the day of performance."""
        if self.starts_from == "performed_on" and item.performed_on is not None:
            return "performed_on", item.performed_on
        if self.starts_from == "due_date":
            return "due_date", item.due_date
        return "issue_date", item.issue_date

    def start(self, item: ItemState) -> date:
        """The day the period starts for ``item`` (before any interruption)."""
        return self.counted_from(item)[1]

    def runs_out(self, start: date) -> date:
        """The last day of a period started on ``start`` (art. 2963 c.c.: ``start`` itself is
        not counted, so the period ends with the same day ``years`` later; 29 February runs
        out on 28 February of a common year)."""
        return start + relativedelta(years=self.years)


_ITALY_PERIODS = (
    LimitationPeriod("ordinary", 10, "art. 2946 c.c. (from the due date, art. 2935)"),
    LimitationPeriod("periodic", 5, "art. 2948 c.c. (rents, interest, other periodic payments)"),
    # verify: the presumptive periods (2954-2956) rest on a presumption of payment (art.
    # 2959-2960); secondary sources report case law applying the interruption of art. 2943 to
    # them (a written demand naming the debtor and claiming payment, Cass. 25153/2014).
    LimitationPeriod(
        "professional_fees",
        3,
        "art. 2956 n. 2 and art. 2957 c.c. (professionals' fees, from the completion of the work)",
        "performed_on",
    ),
    LimitationPeriod(
        "retail_consumer",
        1,
        "art. 2955 n. 5 and art. 2957 c.c. (retailers selling to consumers, from the delivery "
        "of the goods)",
        "performed_on",
    ),
    # L. 205/2017 art. 1 co. 4 (as amended by L. 160/2019), as a law firm's page quotes it and
    # trade pages summarise it (verify against the Gazzetta; LEGAL.md marks it verify too):
    # two years for electricity and gas, and for water, between the seller and households,
    # micro-enterprises (Recommendation 2003/361/EC) or professionals (art. 3 co. 1 lett. c
    # Codice del consumo). The law does not say from when: ARERA counts from the deadline for
    # issuing the bill (delibera 97/2018/R/com), courts from its issue or due date; the end of
    # the supply billed comes before all of them. Co. 10: only bills due after 1 March 2018
    # (electricity), 1 January 2019 (gas), 1 January 2020 (water); older ones keep five years
    # (art. 2948 n. 4), so two is on the safe side for them too.
    LimitationPeriod(
        "utility",
        2,
        "L. 205/2017 art. 1 co. 4 (electricity, gas and water bills of households, "
        "micro-enterprises and professionals, from the end of the supply billed)",
        "performed_on",
    ),
)

#: Old names of periods, still accepted: ``utility`` was ``utility_consumer``, though the law
#: also covers micro-enterprises and professionals.
_ALIASES: Mapping[str, str] = MappingProxyType({"utility_consumer": "utility"})


class _Table(Mapping[str, LimitationPeriod]):
    """A read-only table of periods by name that also answers to their old names."""

    def __init__(self, periods: Iterable[LimitationPeriod]) -> None:
        self._periods = {p.name: p for p in periods}

    def __getitem__(self, name: str) -> LimitationPeriod:
        if name not in self._periods and name in _ALIASES:
            name = _ALIASES[name]
        return self._periods[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._periods)

    def __len__(self) -> int:
        return len(self._periods)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self._periods.values())!r})"


#: The Italian limitation periods, by name. ``ITALY["utility_consumer"]`` (the old name of
#: ``utility``) still works.
ITALY: Mapping[str, LimitationPeriod] = _Table(_ITALY_PERIODS)


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
            if _ALIASES.get(name, name) not in known and name not in known:
                raise PolicyError(
                    f"LimitationRules {where}: unknown period {name!r}; "
                    f"known: {', '.join(sorted(known))}"
                )

    def period(self, name: str) -> LimitationPeriod:
        """The period called ``name`` (or by its old name: ``utility_consumer``)."""
        for wanted in (name, _ALIASES.get(name)):
            for p in self.periods:
                if p.name == wanted:
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

    ``starts`` is the start of the original period and ``counted_from`` which of the item's
    dates it is (``"due_date"``, ``"issue_date"`` or ``"performed_on"``); ``interruptions``
    are the days proven formal notices reached the debtor before the claim ran out (each
    starting a new period), ``runs_out`` the last day of the current period and ``days_left``
    the days from the date asked about to ``runs_out`` (negative once it has run out).
    """

    key: str
    period: LimitationPeriod
    starts: date
    runs_out: date
    interruptions: tuple[date, ...]
    days_left: int
    counted_from: StartsFrom = "due_date"

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def stand_in(self) -> bool:
        """Whether ``starts`` stands in for the date the period should run from: the issue
        date, for a period from the performance whose invoice does not give
        ``performed_on``. The real date may then be earlier than ``runs_out``."""
        return self.counted_from != self.period.starts_from

    def describe(self) -> str:
        """E.g. ``"2026/0001 runs out on 2036-03-31, in 45 days"``; with a stand-in, it says
        which date the period was counted from and that the real date may be earlier."""
        if self.days_left < 0:
            text = f"{self.key} ran out on {self.runs_out}, {-self.days_left} days ago"
        else:
            text = f"{self.key} runs out on {self.runs_out}, in {self.days_left} days"
        if self.stand_in:
            text += (
                f" (counted from the issue date {self.starts}: performed_on not given, "
                "it may run out earlier)"
            )
        return text


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
    counted_from, starts = period.counted_from(item)
    runs_out = period.runs_out(starts)
    interruptions: list[date] = []
    # A demand before the period starts interrupts nothing (art. 2935: nothing runs yet), nor
    # does one that arrives after the period ran out: the right is already extinguished (art.
    # 2934), and the new period of art. 2945 follows only an interruption. The last day
    # itself still counts (art. 2963 co. 2: the period ends with its last instant).
    for day in sorted(set(days)):
        if starts <= day <= runs_out:
            interruptions.append(day)
            runs_out = period.runs_out(day)
    return ItemLimitation(
        key=item.key,
        period=period,
        starts=starts,
        runs_out=runs_out,
        interruptions=tuple(interruptions),
        days_left=(runs_out - as_of).days,
        counted_from=counted_from,
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
