"""Guards: yes/no questions about a case on a date, composable with ``&``, ``|`` and ``~``.

A guard answers with a verdict and a sentence a person can read, so every decision the engine
takes can say why. Like tenacity's strategies the guards are small classes with lower-case
names, so their ``repr`` reads like the code that built them and evaluates back to an equal
guard:

>>> from dunning import Money
>>> g = balance_at_least(Money("50", "EUR")) & ~disputed() & debtor_kind("business")
>>> g
balance_at_least(Money('50', 'EUR')) & ~disputed() & debtor_kind('business')
>>> g == eval(repr(g))
True
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import attrs

from .money import Money

if TYPE_CHECKING:
    from .case import Case

__all__ = [
    "Guard",
    "Verdict",
    "all_of",
    "always",
    "any_of",
    "balance_at_least",
    "blocked",
    "days_overdue_at_least",
    "debtor_kind",
    "disputed",
    "has_contact",
    "has_tag",
    "not_",
    "predicate",
    "promise_broken",
    "reminders_sent_at_least",
]


@attrs.frozen
class Verdict:
    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok


class Guard:
    """Base class: subclasses implement `check`."""

    def check(self, case: Case, on: date) -> Verdict:
        raise NotImplementedError

    def __call__(self, case: Case, on: date) -> bool:
        return self.check(case, on).ok

    def __and__(self, other: Guard) -> Guard:
        return all_of(*_flat(self, all_of), *_flat(_coerce(other), all_of))

    def __or__(self, other: Guard) -> Guard:
        return any_of(*_flat(self, any_of), *_flat(_coerce(other), any_of))

    def __rand__(self, other: Guard) -> Guard:
        return _coerce(other) & self

    def __ror__(self, other: Guard) -> Guard:
        return _coerce(other) | self

    def __invert__(self) -> Guard:
        if isinstance(self, not_):
            return self.guard
        return not_(self)


def _coerce(value: object) -> Guard:
    if isinstance(value, Guard):
        return value
    if callable(value):
        return predicate(value)
    raise TypeError(f"expected a Guard or a callable (case, date) -> bool, not {value!r}")


def _flat(guard: Guard, kind: type[all_of] | type[any_of]) -> tuple[Guard, ...]:
    return guard.guards if isinstance(guard, kind) else (guard,)


def _args(*values: object) -> str:
    return ", ".join(repr(v) for v in values)


@attrs.frozen(repr=False, init=False)
class all_of(Guard):  # noqa: N801
    """True when every guard is (``a & b``); the reasons of all are reported."""

    guards: tuple[Guard, ...]

    def __init__(self, *guards: Guard) -> None:
        self.__attrs_init__(tuple(guards))

    def check(self, case: Case, on: date) -> Verdict:
        reasons = []
        for guard in self.guards:
            verdict = guard.check(case, on)
            if not verdict.ok:
                return verdict
            reasons.append(verdict.reason)
        return Verdict(True, "; ".join(reasons))

    def __repr__(self) -> str:
        return " & ".join(_wrap(g, any_of) for g in self.guards) or "all_of()"


@attrs.frozen(repr=False, init=False)
class any_of(Guard):  # noqa: N801
    """True when at least one guard is (``a | b``)."""

    guards: tuple[Guard, ...]

    def __init__(self, *guards: Guard) -> None:
        self.__attrs_init__(tuple(guards))

    def check(self, case: Case, on: date) -> Verdict:
        reasons = []
        for guard in self.guards:
            verdict = guard.check(case, on)
            if verdict.ok:
                return verdict
            reasons.append(verdict.reason)
        return Verdict(False, "; ".join(reasons))

    def __repr__(self) -> str:
        return " | ".join(_wrap(g, all_of) for g in self.guards) or "any_of()"


def _wrap(guard: Guard, other: type) -> str:
    text = repr(guard)
    return f"({text})" if isinstance(guard, other) else text


@attrs.frozen(repr=False)
class not_(Guard):  # noqa: N801
    """The opposite of a guard (``~g``)."""

    guard: Guard

    def check(self, case: Case, on: date) -> Verdict:
        verdict = self.guard.check(case, on)
        return Verdict(not verdict.ok, verdict.reason)

    def __repr__(self) -> str:
        inner = repr(self.guard)
        if isinstance(self.guard, all_of | any_of):
            inner = f"({inner})"
        return f"~{inner}"


@attrs.frozen(repr=False)
class always(Guard):  # noqa: N801
    """Always true."""

    def check(self, case: Case, on: date) -> Verdict:
        return Verdict(True, "always")

    def __repr__(self) -> str:
        return "always()"


@attrs.frozen(repr=False)
class balance_at_least(Guard):  # noqa: N801
    """The open, undisputed balance is at least ``amount`` (a case in another currency
    never passes)."""

    amount: Money

    def check(self, case: Case, on: date) -> Verdict:
        balance = case.balance
        if balance.currency != self.amount.currency:
            return Verdict(
                False, f"balance in {balance.currency}, threshold in {self.amount.currency}"
            )
        if balance >= self.amount:
            return Verdict(True, f"open {balance} ≥ {self.amount}")
        return Verdict(False, f"open {balance} < {self.amount}")

    def __repr__(self) -> str:
        return f"balance_at_least({self.amount!r})"


@attrs.frozen(repr=False, init=False)
class debtor_kind(Guard):  # noqa: N801
    """The debtor is one of ``kinds`` (business, consumer, public_admin)."""

    kinds: tuple[str, ...]

    def __init__(self, *kinds: str) -> None:
        self.__attrs_init__(tuple(kinds))

    def check(self, case: Case, on: date) -> Verdict:
        kind = case.debtor.kind
        ok = kind in self.kinds
        return Verdict(
            ok, f"debtor is {kind}" if ok else f"debtor is {kind}, not {' or '.join(self.kinds)}"
        )

    def __repr__(self) -> str:
        return f"debtor_kind({_args(*self.kinds)})"


@attrs.frozen(repr=False)
class has_tag(Guard):  # noqa: N801
    """The debtor carries ``tag``."""

    tag: str

    def check(self, case: Case, on: date) -> Verdict:
        ok = self.tag in case.debtor.tags
        return Verdict(ok, f"tagged {self.tag!r}" if ok else f"not tagged {self.tag!r}")

    def __repr__(self) -> str:
        return f"has_tag({self.tag!r})"


@attrs.frozen(repr=False)
class has_contact(Guard):  # noqa: N801
    """The debtor can be reached on ``channel`` (has the address and did not opt out)."""

    channel: str

    def check(self, case: Case, on: date) -> Verdict:
        debtor = case.debtor
        if self.channel in debtor.opt_out:
            return Verdict(False, f"debtor opted out of {self.channel}")
        ok = debtor.contact(self.channel) is not None
        return Verdict(ok, f"has {self.channel}" if ok else f"no {self.channel} address")

    def __repr__(self) -> str:
        return f"has_contact({self.channel!r})"


@attrs.frozen(repr=False)
class disputed(Guard):  # noqa: N801
    """Some open item of the case is disputed."""

    def check(self, case: Case, on: date) -> Verdict:
        items = [i.key for i in case.open_items if i.disputed]
        if items:
            return Verdict(True, f"disputed: {', '.join(items)}")
        return Verdict(False, "no dispute")

    def __repr__(self) -> str:
        return "disputed()"


@attrs.frozen(repr=False)
class blocked(Guard):  # noqa: N801
    """The debtor is blocked."""

    def check(self, case: Case, on: date) -> Verdict:
        if case.blocked:
            return Verdict(True, f"blocked: {case.block or case.debtor.block}")
        return Verdict(False, "not blocked")

    def __repr__(self) -> str:
        return "blocked()"


@attrs.frozen(repr=False)
class days_overdue_at_least(Guard):  # noqa: N801
    """The oldest undisputed open item is at least ``days`` days past its due date."""

    days: int

    def check(self, case: Case, on: date) -> Verdict:
        overdue = case.overdue_items(on)
        worst = max((i.days_overdue(on) for i in overdue), default=0)
        if worst >= self.days:
            return Verdict(True, f"{worst} days overdue ≥ {self.days}")
        return Verdict(False, f"{worst} days overdue < {self.days}")

    def __repr__(self) -> str:
        return f"days_overdue_at_least({self.days!r})"


@attrs.frozen(repr=False)
class reminders_sent_at_least(Guard):  # noqa: N801
    """At least ``count`` reminders were planned for the case."""

    count: int

    def check(self, case: Case, on: date) -> Verdict:
        sent = case.reminders_sent
        ok = sent >= self.count
        return Verdict(ok, f"{sent} reminder(s) sent {'≥' if ok else '<'} {self.count}")

    def __repr__(self) -> str:
        return f"reminders_sent_at_least({self.count!r})"


@attrs.frozen(repr=False)
class promise_broken(Guard):  # noqa: N801
    """The latest promise to pay was not kept by its date."""

    def check(self, case: Case, on: date) -> Verdict:
        promise = case.broken_promise(on)
        if promise is not None:
            return Verdict(True, f"promise to pay by {promise.until} broken")
        return Verdict(False, "no broken promise")

    def __repr__(self) -> str:
        return "promise_broken()"


@attrs.frozen(repr=False)
class predicate(Guard):  # noqa: N801
    """A plain callable ``(case, date) -> bool`` used as a guard.

    Its ``repr`` is only as good as the callable's: prefer a `Guard` subclass for policies
    you want to store or share.
    """

    func: Callable[[Case, date], bool]
    description: str = ""

    def check(self, case: Case, on: date) -> Verdict:
        ok = bool(self.func(case, on))
        name = self.description or getattr(self.func, "__name__", "predicate")
        return Verdict(ok, name if ok else f"not {name}")

    def __repr__(self) -> str:
        name = getattr(self.func, "__qualname__", repr(self.func))
        return f"predicate({name})"
