"""Payment allocation: which open items a payment pays, and in which order within an item.

Three strategies, frozen values like every other strategy:

- `by_reference_then_oldest()` (the default): the invoice the remittance text names first,
  then the oldest due undisputed items; a payment pays principal only.
- `oldest_first()`: the oldest due undisputed items, whatever the reference says.
- `legal_order()`: Italy art. 1193–1194 c.c. and Germany § 367 BGB. Among several debts the
  debtor's declaration (the reference) decides, otherwise the debt due first; within a debt a
  payment goes to **costs, then interest, then principal** (art. 1194: the creditor may refuse
  an imputation to principal before interest and costs).

The case (`dunning.case.fold`) pays principal in the default order; the statement of account
(`dunning.statement`) applies whichever strategy the caller chooses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, TypeVar

import attrs

__all__ = [
    "Allocation",
    "Payable",
    "by_reference_then_oldest",
    "credit_note_order",
    "legal_order",
    "mentions",
    "oldest_first",
    "referenced",
]


class Payable(Protocol):
    """What allocation needs to know about an open item."""

    @property
    def invoice_id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def due_date(self) -> date: ...
    @property
    def key(self) -> str: ...
    @property
    def disputed(self) -> bool: ...


P = TypeVar("P", bound=Payable)


def mentions(text: str, label: str) -> bool:
    """Whether ``text`` names ``label`` as a whole, ignoring case: "Saldo fatt. 2026/0002."
    and "n.2026/0002" name 2026/0002; "2026/00021" does not."""
    text, label = text.lower(), label.lower()
    start = text.find(label)
    while start >= 0:
        end = start + len(label)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        start = text.find(label, start + 1)
    return False


def _by_due(items: Sequence[P]) -> list[P]:
    return sorted(items, key=lambda i: (i.due_date, i.key))


def referenced(items: Sequence[P], reference: str | None) -> list[P]:
    """The items of the invoices that ``reference`` names, oldest due first."""
    if not reference or not reference.strip():
        return []
    named: dict[str, bool] = {}
    for item in items:
        if item.invoice_id not in named:
            named[item.invoice_id] = mentions(reference, item.invoice_id) or mentions(
                reference, item.label
            )
    return _by_due([i for i in items if named[i.invoice_id]])


def credit_note_order(items: Sequence[P], invoice_id: str | None) -> list[P]:
    """Where a credit note goes: the items of the invoice it names (disputed or not), then the
    oldest due undisputed items."""
    own = _by_due([i for i in items if i.invoice_id == invoice_id])
    rest = [i for i in _by_due(items) if not i.disputed and i.invoice_id != invoice_id]
    return own + rest


class Allocation:
    """Base class: `order` says which items a payment goes to, first to last;
    ``costs_first`` whether, within an item, costs and interest come before principal."""

    costs_first: bool = False

    def order(self, items: Sequence[P], reference: str | None) -> list[P]:
        raise NotImplementedError


@attrs.frozen
class by_reference_then_oldest(Allocation):  # noqa: N801
    """The invoice named in the reference first (disputed or not: the debtor chose it), then
    the oldest due undisputed items. Principal only."""

    def order(self, items: Sequence[P], reference: str | None) -> list[P]:
        first = referenced(items, reference)
        chosen = {i.key for i in first}
        rest = [i for i in _by_due(items) if not i.disputed and i.key not in chosen]
        return first + rest


@attrs.frozen
class oldest_first(Allocation):  # noqa: N801
    """The oldest due undisputed items first, whatever the reference says. Principal only."""

    def order(self, items: Sequence[P], reference: str | None) -> list[P]:
        return [i for i in _by_due(items) if not i.disputed]


@attrs.frozen
class legal_order(Allocation):  # noqa: N801
    """Art. 1193–1194 c.c. / § 367 BGB: the debt the debtor names, else the one due first;
    within it costs, then interest, then principal."""

    costs_first = True

    def order(self, items: Sequence[P], reference: str | None) -> list[P]:
        return by_reference_then_oldest().order(items, reference)
