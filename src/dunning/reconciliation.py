"""Reconciliation: which debtor and which open items the payments of a bank statement pay.

`reconcile(portfolio, payments, as_of, history=())` is a pure function. It takes payments
read from a bank statement (`dunning.importers.camt`, ``debtor_id`` empty) and tries three
rules, in order, on each; the first that gives one debtor wins:

1. **reference**: the remittance information carries a structured creditor reference made by
   `dunning.payment.creditor_reference` (the ``RF..`` printed on the reminders): it names
   the debtor, the currency and the episode; the payment goes to the items the episode's
   contacts claimed that are still open (all the case's open items when none is);
2. **invoice_number**: the remittance text names invoices of one debtor by number or id
   (``"FT 2026/0145"``, ``"fatt. 145/2026"``, ``"2026-0145"`` all name invoice
   ``2026/0145``; a number inside a longer number, an IBAN or a date never counts);
3. **amount_iban**: the payment comes from an IBAN known for the debtor (`Debtor.ibans`) and
   its amount is exactly the open amount of one of the debtor's items, or of all of them.

A matched payment is returned with its ``debtor_id`` set (`Match.payment`), the items it is
for, what they had open, the rule and why, for the audit; a partial payment or an
overpayment says so (`Match.difference`). A payment no rule matches is `Unmatched`, with the
reason a person needs to allocate it ("no creditor reference, no invoice number, amount
120.00 EUR matches 2 debtors: C004, C019"). A payment whose bank reference (or id) is
already in the portfolio, or earlier in the same list, is unmatched as a duplicate:
reconciling the same statement twice adds nothing.

`check_freshness` is the guard that keeps reminders from going out on stale bank data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Literal, TypeAlias

import attrs
from stdnum import iban as stdnum_iban
from stdnum import iso11649

from .calendars import Calendar
from .case import Case, ItemState
from .events import Event
from .model import Invoice, Payment, _compact_iban
from .money import Money
from .payment import format_reference, parse_reference
from .portfolio import Portfolio
from .proposal import Proposal, Waiting

__all__ = [
    "DEFAULT_MAX_AGE",
    "Freshness",
    "Match",
    "MatchRule",
    "Reconciliation",
    "Unmatched",
    "check_freshness",
    "invoice_numbers",
    "reconcile",
]

MatchRule: TypeAlias = Literal["reference", "invoice_number", "amount_iban"]

#: How many business days old the newest bank data may be before reminders stop (see
#: `check_freshness`).
DEFAULT_MAX_AGE = 2


@attrs.frozen
class Match:
    """A payment matched to a debtor: ``payment`` (with its ``debtor_id`` set), the ``rule``
    that matched, ``items`` (the keys of the items it is for, in the order it pays them),
    ``open`` (what those items had open before it), ``settles`` (the items it pays in full)
    and ``why``, the explanation for the audit."""

    payment: Payment
    rule: MatchRule
    items: tuple[str, ...]
    open: Money
    settles: tuple[str, ...]
    why: str

    @property
    def debtor_id(self) -> str:
        return self.payment.debtor_id

    @property
    def difference(self) -> Money:
        """The payment less what its items had open: negative for a partial payment,
        positive for an overpayment (which stays on account), zero when exact."""
        return self.payment.amount - self.open

    @property
    def partial(self) -> bool:
        return self.difference.amount < 0

    @property
    def overpaid(self) -> bool:
        return self.difference.amount > 0


@attrs.frozen
class Unmatched:
    """A payment no rule matched, and why (``reason``), for a person to allocate.
    ``duplicate``: it is already in the portfolio, or earlier in the same payments (same
    bank reference or id), so there is nothing to allocate."""

    payment: Payment
    reason: str
    duplicate: bool = False


@attrs.frozen
class Reconciliation:
    """What `reconcile` found: every payment it was given is in ``matched`` or ``unmatched``,
    in the order given."""

    as_of: date
    matched: tuple[Match, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()

    @property
    def payments(self) -> tuple[Payment, ...]:
        """The matched payments, each with its debtor: what joins the portfolio."""
        return tuple(m.payment for m in self.matched)

    @property
    def to_allocate(self) -> tuple[Unmatched, ...]:
        """The unmatched payments a person must allocate (not the duplicates)."""
        return tuple(u for u in self.unmatched if not u.duplicate)

    @property
    def partial(self) -> tuple[Match, ...]:
        return tuple(m for m in self.matched if m.partial)

    @property
    def overpaid(self) -> tuple[Match, ...]:
        return tuple(m for m in self.matched if m.overpaid)

    def apply(self, portfolio: Portfolio) -> Portfolio:
        """``portfolio`` with the matched payments added."""
        return attrs.evolve(portfolio, payments=portfolio.payments + self.payments)

    def report(self) -> str:
        """A plain-text report: the matched payments (rule, debtor, items, difference), then
        the payments to allocate by hand with their reason, then the duplicates."""
        lines = [f"Reconciliation as of {self.as_of}: {len(self.matched)} matched, "]
        lines[0] += f"{len(self.to_allocate)} to allocate, "
        lines[0] += f"{len(self.unmatched) - len(self.to_allocate)} already recorded"
        for m in self.matched:
            note = ""
            if m.partial:
                note = f"; partial, {-m.difference} still open"
            elif m.overpaid:
                note = f"; overpaid by {m.difference}, on account"
            lines.append(
                f"  matched {m.payment.id} {m.payment.date} {m.payment.amount} -> "
                f"{m.debtor_id} by {m.rule}: {m.why}{note}"
            )
        for u in self.to_allocate:
            lines.append(
                f"  to allocate {u.payment.id} {u.payment.date} {u.payment.amount}: {u.reason}"
            )
        for u in self.unmatched:
            if u.duplicate:
                lines.append(f"  already recorded {u.payment.id}: {u.reason}")
        return "\n".join(lines)


# -- invoice numbers in remittance text ------------------------------------------------------

# A run of digits joined by "/", "-", "." or "," (no spaces): "2026/0145", "145/2026",
# "1.234,56", "2026-07-15"; never part of a longer run.
_GROUP = re.compile(r"(?<![0-9])[0-9]+(?:[/\-.,][0-9]+)*(?![0-9])")
_WORD = re.compile(r"[0-9A-Za-z]+")
_CODE_LIKE = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{2}[0-9]{2}(?: ?[0-9A-Za-z]){1,30}")
_Key: TypeAlias = tuple[object, ...]


def _year(text: str) -> int | None:
    return int(text) if len(text) == 4 and 1990 <= int(text) <= 2099 else None


def _key(group: str) -> _Key:
    """A number group's canonical form: ``("Y", year, n)`` for a year and a number in either
    order (``2026/0145``, ``145/2026``, ``2026-145``), else ``("N", n1, n2, ...)``."""
    parts = re.findall(r"[0-9]+", group)
    if len(parts) == 2:
        years = [_year(p) for p in parts]
        if years[0] is not None and years[1] is None:
            return ("Y", years[0], int(parts[1]))
        if years[1] is not None and years[0] is None:
            return ("Y", years[1], int(parts[0]))
    return ("N", *(int(p) for p in parts))


def _blank_codes(text: str) -> str:
    """``text`` with the IBANs and ISO 11649 creditor references in it blanked out: their
    digits are not invoice numbers."""
    out = list(text)
    pos = 0
    while (found := _CODE_LIKE.search(text, pos)) is not None:
        run, start = found.group(), found.start()
        valid = iso11649.is_valid if run[:2].upper() == "RF" else stdnum_iban.is_valid
        pos = start + 1
        for end in range(len(run), 4, -1):  # the longest valid prefix
            if valid(run[:end].replace(" ", "")):
                out[start : start + end] = " " * end
                pos = start + end
                break
    return "".join(out)


def invoice_numbers(text: str) -> frozenset[_Key]:
    """The invoice numbers ``text`` may name, in canonical form (see `reconcile`, rule 2).

    A group of digits counts only when the word around it has no other digits ("FT2026/0145"
    counts) and it is not part of a longer number; IBANs and creditor references ("RF18 5390
    0754 7034"), compact or in groups, are left out.

    >>> text = "Saldo FT 2026/0145 e fatt. 146/2026, IBAN IT60X0542811101000000123456"
    >>> sorted(invoice_numbers(text))
    [('Y', 2026, 145), ('Y', 2026, 146)]
    >>> invoice_numbers("ft 2026/01450") == {("Y", 2026, 1450)}
    True
    """
    text = _blank_codes(text)
    found: set[_Key] = set()
    for group in _GROUP.finditer(text):
        start, end = group.span()
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
        word = text[start:end]
        digits_outside = sum(c.isdigit() for c in word) - sum(c.isdigit() for c in group.group())
        if digits_outside:
            continue
        found.add(_key(group.group()))
    return frozenset(found)


def _invoice_keys(invoice: Invoice) -> frozenset[_Key]:
    keys: set[_Key] = set()
    for label in {invoice.id, invoice.label}:
        for group in _GROUP.finditer(label):
            key = _key(group.group())
            keys.add(key)
            if len(key) == 2:  # a plain number: also "n/year" of the invoice's year
                keys.add(("Y", invoice.issue_date.year, key[1]))
    return frozenset(keys)


# -- reconcile -------------------------------------------------------------------------------


class _Books:
    """What is still open, item by item, while payments are matched one after the other."""

    def __init__(self, portfolio: Portfolio, as_of: date, history: Iterable[Event]) -> None:
        self.portfolio = portfolio
        self.cases: dict[tuple[str, str], Case] = {
            (c.debtor_id, c.currency): c for c in portfolio.cases(as_of, history)
        }
        self.items: dict[tuple[str, str], list[ItemState]] = {
            k: sorted(c.items, key=lambda i: (i.due_date, i.key)) for k, c in self.cases.items()
        }
        self.numbered: dict[_Key, list[Invoice]] = {}
        for inv in portfolio.invoices:
            for key in _invoice_keys(inv):
                self.numbered.setdefault(key, []).append(inv)
        self.open: dict[tuple[str, str, str], Money] = {
            (k[0], k[1], i.key): (i.open if i.is_open else Money.zero(k[1]))
            for k, items in self.items.items()
            for i in items
        }

    def open_items(self, debtor_id: str, currency: str) -> list[ItemState]:
        return [
            i
            for i in self.items.get((debtor_id, currency), [])
            if self.open[(debtor_id, currency, i.key)].is_positive
        ]

    def balance(self, debtor_id: str, currency: str) -> Money:
        return sum(
            (self.open[(debtor_id, currency, i.key)] for i in self.open_items(debtor_id, currency)),
            Money.zero(currency),
        )

    def take(
        self, payment: Payment, debtor_id: str, rule: MatchRule, items: list[ItemState], why: str
    ) -> Match:
        currency = payment.amount.currency
        keys = tuple(i.key for i in items)
        before = sum((self.open[(debtor_id, currency, k)] for k in keys), Money.zero(currency))
        left = payment.amount
        settles = []
        for key in keys:
            part = left.min(self.open[(debtor_id, currency, key)])
            self.open[(debtor_id, currency, key)] -= part
            left -= part
            if not self.open[(debtor_id, currency, key)].is_positive:
                settles.append(key)
        return Match(
            attrs.evolve(payment, debtor_id=debtor_id), rule, keys, before, tuple(settles), why
        )


def _names(ids: Iterable[str]) -> str:
    found = sorted(set(ids))
    return f"{len(found)} debtors: {', '.join(found)}"


def _by_reference(
    books: _Books, payment: Payment, debtors: Sequence[str], notes: list[str]
) -> Match | None:
    parsed = parse_reference(payment.reference or "")
    if parsed is None:
        notes.append("no creditor reference")
        return None
    shown = format_reference(parsed.reference)
    owners = [d for d in debtors if parsed.matches(d)]
    if not owners:
        notes.append(f"the creditor reference {shown} names no known debtor")
        return None
    if len(owners) > 1:
        notes.append(f"the creditor reference {shown} fits {_names(owners)}")
        return None
    debtor_id, currency = owners[0], payment.amount.currency
    if parsed.currency != currency:
        notes.append(
            f"the creditor reference {shown} is for {debtor_id}'s {parsed.currency} case, "
            f"the payment is in {currency}"
        )
        return None
    case = books.cases.get((debtor_id, currency))
    if case is None:
        notes.append(f"the creditor reference {shown} names {debtor_id}, who has no invoice")
        return None
    claimed: list[str] = []
    if 0 < parsed.episode <= len(case.episodes):
        for contact in case.episodes[parsed.episode - 1].contacts:
            claimed.extend(k for k in contact.items if k not in claimed)
    open_items = books.open_items(debtor_id, currency)
    items = [i for i in open_items if i.key in claimed]
    why = f"creditor reference {shown}: debtor {debtor_id}, episode {parsed.episode}"
    if items:
        why += f", the items it claimed: {', '.join(i.key for i in items)}"
    else:
        items = open_items
        why += ", which claimed no item still open: the debtor's open items"
    return books.take(payment, debtor_id, "reference", items, why)


def _by_invoice_number(
    books: _Books, payment: Payment, debtors: Sequence[str], notes: list[str]
) -> Match | None:
    numbers = invoice_numbers(payment.reference or "")
    if not numbers:
        notes.append("no invoice number")
        return None
    currency = payment.amount.currency
    allowed = set(debtors)
    found = {
        inv.id: inv for key in sorted(numbers, key=repr) for inv in books.numbered.get(key, [])
    }
    named = [
        inv
        for inv in found.values()
        if inv.debtor_id in allowed
        and inv.currency == currency
        and (inv.debtor_id, currency) in books.cases
    ]
    owners = {inv.debtor_id for inv in named}
    if not owners:
        notes.append("no invoice number of ours")
        return None
    labels = ", ".join(sorted(inv.label for inv in named))
    if len(owners) > 1:
        notes.append(f"the invoice numbers ({labels}) belong to {_names(owners)}")
        return None
    (debtor_id,) = owners
    ids = {inv.id for inv in named}
    items = [i for i in books.open_items(debtor_id, currency) if i.invoice_id in ids]
    why = f"invoice {labels} of debtor {debtor_id} named in the remittance"
    if not items:
        why += " (already paid)"
    return books.take(payment, debtor_id, "invoice_number", items, why)


def _by_amount_and_iban(
    books: _Books, payment: Payment, debtors: Sequence[str], notes: list[str]
) -> Match | None:
    currency, amount = payment.amount.currency, payment.amount
    fits: dict[str, list[ItemState]] = {}
    for debtor_id in debtors:
        items = books.open_items(debtor_id, currency)
        single = [i for i in items if books.open[(debtor_id, currency, i.key)] == amount]
        if single:
            fits[debtor_id] = single[:1]
        elif items and books.balance(debtor_id, currency) == amount:
            fits[debtor_id] = items
    iban = _compact_iban(payment.payer_iban) if payment.payer_iban else None
    owners = [d for d in debtors if iban is not None and iban in books.portfolio.debtor(d).ibans]
    hits = [d for d in owners if d in fits]
    if len(hits) == 1:
        debtor_id = hits[0]
        items = fits[debtor_id]
        what = f"item {items[0].key}" if len(items) == 1 else "all its open items"
        why = f"amount {amount} is what {what} of debtor {debtor_id} had open, paid from its IBAN"
        return books.take(payment, debtor_id, "amount_iban", items, why)
    if len(hits) > 1:
        notes.append(f"the payer's IBAN is known for {_names(hits)}, whose open amounts all fit")
        return None
    if owners:
        balances = ", ".join(f"{d} {books.balance(d, currency)}" for d in owners)
        if not any(books.balance(d, currency).is_positive for d in owners):
            notes.append(f"the payer's IBAN is {'/'.join(owners)}'s, who has nothing open")
        else:
            notes.append(
                f"the payer's IBAN is {'/'.join(owners)}'s, but amount {amount} is not what "
                f"one of its items or all of them have open ({balances})"
            )
        return None
    if not fits:
        notes.append(f"amount {amount} matches no open item")
    elif len(fits) == 1:
        notes.append(f"amount {amount} matches debtor {next(iter(fits))}")
    else:
        notes.append(f"amount {amount} matches {_names(fits)}")
    if iban is None:
        notes.append("no payer IBAN")
    else:
        notes.append(f"the payer's IBAN {iban} is not known for any debtor")
    return None


_RULES = (_by_reference, _by_invoice_number, _by_amount_and_iban)


def reconcile(
    portfolio: Portfolio, payments: Iterable[Payment], as_of: date, history: Iterable[Event] = ()
) -> Reconciliation:
    """Match ``payments`` (from a bank statement) to the debtors and open items of
    ``portfolio`` as of ``as_of`` (``history``: the recorded events, which say which items
    each episode's reminders claimed). Pure: the same input gives the same result.

    Payments are taken in the order given; each one matched reduces what its items have
    open for the next. A payment that already has a ``debtor_id`` is matched only to that
    debtor.

    >>> from datetime import date
    >>> from dunning import Creditor, Debtor, Invoice, Money, Payment, Portfolio
    >>> portfolio = Portfolio(
    ...     Creditor("Tipografia Emiliana S.r.l."),
    ...     [Debtor("C001", "Bar Centrale"), Debtor("C002", "Osteria del Portico")],
    ...     [Invoice.single("F1", "C001", date(2026, 6, 1), date(2026, 6, 30),
    ...                     Money("120.00", "EUR"), number="2026/0145")],
    ... )
    >>> paid = Payment("B-1", "", date(2026, 7, 15), Money("120.00", "EUR"), "Saldo FT 145/2026")
    >>> lost = Payment("B-2", "", date(2026, 7, 15), Money("80.00", "EUR"), "Acconto")
    >>> result = reconcile(portfolio, [paid, lost], date(2026, 7, 16))
    >>> [(m.payment.id, m.debtor_id, m.rule, m.items) for m in result.matched]
    [('B-1', 'C001', 'invoice_number', ('F1',))]
    >>> print(result.unmatched[0].reason)
    no creditor reference, no invoice number, amount 80.00 EUR matches no open item, no payer IBAN
    """
    books = _Books(portfolio, as_of, history)
    everyone = sorted(d.id for d in portfolio.debtors)
    recorded: dict[str, str] = {}
    for old in portfolio.payments:
        recorded[old.id] = old.id
        if old.bank_reference:
            recorded[old.bank_reference] = old.id
    seen: dict[str, str] = {}
    matched: list[Match] = []
    unmatched: list[Unmatched] = []
    for payment in payments:
        keys = [k for k in (payment.bank_reference, payment.id) if k]
        earlier = next((recorded[k] for k in keys if k in recorded), None)
        again = next((seen[k] for k in keys if k in seen), None)
        for k in keys:
            seen.setdefault(k, payment.id)
        if earlier is not None:
            unmatched.append(
                Unmatched(payment, f"already recorded as payment {earlier}", duplicate=True)
            )
            continue
        if again is not None:
            unmatched.append(
                Unmatched(
                    payment,
                    f"the same bank reference as payment {again} above (a statement read twice?)",
                    duplicate=True,
                )
            )
            continue
        debtors = everyone
        if payment.debtor_id:
            if payment.debtor_id not in everyone:
                unmatched.append(
                    Unmatched(payment, f"its debtor {payment.debtor_id!r} is not in the portfolio")
                )
                continue
            debtors = [payment.debtor_id]
        notes: list[str] = []
        found = None
        for rule in _RULES:
            found = rule(books, payment, debtors, notes)
            if found is not None:
                break
        if found is None:
            unmatched.append(Unmatched(payment, ", ".join(notes)))
        else:
            matched.append(found)
    return Reconciliation(as_of, tuple(matched), tuple(unmatched))


# -- freshness -------------------------------------------------------------------------------


@attrs.frozen
class Freshness:
    """Whether the newest bank data is recent enough to plan reminders on (see
    `check_freshness`). ``age`` is in business days (None when there is no bank data)."""

    as_of: date
    newest: date | None
    age: int | None
    max_age: int
    why: str

    @property
    def fresh(self) -> bool:
        return self.age is not None and self.age <= self.max_age

    def allows(self, kind: str) -> bool:
        """Whether an action of ``kind`` may be planned: anything when fresh; only a pre-due
        ``"notice"`` when stale (it asks for nothing overdue, so a payment the statement has
        not shown yet cannot make it wrong)."""
        return self.fresh or kind == "notice"

    def apply(self, proposal: Proposal) -> Proposal:
        """``proposal`` without the actions `allows` refuses: each is listed as waiting, with
        ``why``."""
        if self.fresh:
            return proposal
        held = [a for a in proposal.actions if not self.allows(a.kind)]
        waits = tuple(Waiting(a.debtor_id, a.currency, f"{self.why} ({a.step} held)") for a in held)
        return attrs.evolve(
            proposal,
            actions=tuple(a for a in proposal.actions if self.allows(a.kind)),
            waiting=proposal.waiting + waits,
        )


def _plural(n: int) -> str:
    return f"{n} business day" + ("" if n == 1 else "s")


def check_freshness(
    newest: date | None,
    as_of: date,
    calendar: Calendar | None = None,
    max_age: int = DEFAULT_MAX_AGE,
) -> Freshness:
    """Whether reminders may be planned on ``as_of`` when the newest bank data is of
    ``newest`` (`dunning.importers.camt.Statement.data_date`; None: no statement yet).

    The age is the number of business days of ``calendar`` (the creditor's; default
    `Calendar("IT")`) after ``newest`` up to ``as_of``: a statement of Friday read on Monday
    is 1 business day old. More than ``max_age`` (default 2) is stale: a payment made since
    may not be known, and a reminder would ask for money already paid. Pre-due notices may
    still go (`Freshness.allows`).

    >>> from datetime import date
    >>> stale = check_freshness(date(2026, 7, 10), date(2026, 7, 16))
    >>> stale.fresh, stale.age, stale.allows("reminder"), stale.allows("notice")
    (False, 4, False, True)
    >>> print(stale.why)  # doctest: +NORMALIZE_WHITESPACE
    the newest bank statement is of 2026-07-10, 4 business days before 2026-07-16 (at most 2):
    reconcile a newer statement or force
    >>> check_freshness(date(2026, 7, 10), date(2026, 7, 13)).fresh  # Friday, then Monday
    True
    """
    if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
        raise ValueError(f"max_age must be a number of business days >= 0, not {max_age!r}")
    if newest is None:
        return Freshness(
            as_of,
            None,
            None,
            max_age,
            "no bank statement has been reconciled: reconcile the latest one or force",
        )
    calendar = calendar if calendar is not None else Calendar("IT")
    age = 0
    day = newest + timedelta(days=1)
    while day <= as_of:
        age += calendar.is_business_day(day)
        day += timedelta(days=1)
    head = f"the newest bank statement is of {newest}, {_plural(age)} before {as_of}"
    if age > max_age:
        why = f"{head} (at most {max_age}): reconcile a newer statement or force"
    else:
        why = f"{head} (at most {max_age})"
    return Freshness(as_of, newest, age, max_age, why)
