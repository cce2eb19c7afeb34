"""Small builders shared by the tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from dunning import (
    Creditor,
    Debtor,
    Event,
    Invoice,
    Money,
    Payment,
    Policy,
    Portfolio,
    PostalAddress,
    Step,
    after_due,
    after_previous,
    balance_at_least,
    before_due,
    contact_caps,
    email,
    on_business_days,
    pause_on_dispute,
    pec,
    phone,
    postal,
    promise_pause,
    sms,
    transit_grace,
)

CREDITOR = Creditor("Tipografia Emiliana S.r.l.", vat_number="IT01234560371")
ADDRESS = PostalAddress(["Via Indipendenza 10"], "40121", "Bologna", "BO")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def business(id: str = "B1", **kw: object) -> Debtor:
    fields: dict[str, object] = {
        "email": "amministrazione@example.it",
        "pec": "example@pec.it",
        "phone": "+390511234567",
        "address": ADDRESS,
    }
    fields.update(kw)
    return Debtor(id, f"Business {id}", **fields)  # type: ignore[arg-type]


def consumer(id: str = "C1", **kw: object) -> Debtor:
    fields: dict[str, object] = {"email": "mario.rossi@example.it", "address": ADDRESS}
    fields.update(kw)
    return Debtor(id, f"Consumer {id}", kind="consumer", **fields)  # type: ignore[arg-type]


def invoice(
    id: str,
    debtor: str,
    due: date,
    amount: str = "1000.00",
    issued: date | None = None,
    performed_on: date | None = None,
) -> Invoice:
    issue = issued or date(due.year, 1, 2)
    return Invoice.single(id, debtor, issue, due, eur(amount), performed_on=performed_on)


def portfolio(
    debtors: Iterable[Debtor],
    invoices: Iterable[Invoice],
    payments: Iterable[Payment] = (),
    events: Iterable[Event] = (),
) -> Portfolio:
    return Portfolio(
        CREDITOR, tuple(debtors), tuple(invoices), tuple(payments), events=tuple(events)
    )


# Two small hand-built policies the property tests and the state machine both check.
#: The smallest useful policy: two reminders, ten days apart.
TINY = Policy(
    Step("first", "reminder", via=email | postal()).at(after_due(3))
    >> Step("second", "reminder", via=email | postal()).at(after_previous(7)),
    rules=(contact_caps(min_days=10),),
    name="tiny",
)

#: A notice, a guarded optional call, a reminder cap per episode, a per-channel cap, grace,
#: business days.
SMALL = Policy(
    Step("heads_up", "notice", via=email | sms).at(before_due(3))
    >> Step("first", "reminder", via=email | postal()).at(after_due(2))
    >> Step("second", "reminder", via=email | pec | postal()).at(after_previous(7))
    >> Step("call", "call", via=phone, optional=True)
    .at(after_previous(5))
    .when(balance_at_least(Money("500.00", "EUR")))
    >> Step("formal", "formal_notice", via=pec | postal("raccomandata_ar")).at(after_previous(7)),
    rules=(
        on_business_days(),
        transit_grace(2),
        promise_pause(),
        pause_on_dispute(),
        contact_caps(min_days=10, max_reminders=1, per_channel=(("email", 1, 20),)),
    ),
    name="small",
    min_balance=Money("20.00", "EUR"),
)


def history_of(folder: object) -> list[Event]:
    """The case history of a data folder, wherever the command line keeps it (the event store,
    or history.jsonl without the store extra)."""
    from pathlib import Path

    from dunning.cli import _read_history

    return _read_history(Path(str(folder)))


def record(folder: object, events: Iterable[Event]) -> None:
    """Append ``events`` to a data folder's history, as the command line does."""
    from pathlib import Path

    from dunning.cli import _append_history

    _append_history(Path(str(folder)), list(events))
