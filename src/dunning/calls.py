"""Phone calls: the day's call list for a person to work through, and its outcomes read back.

`call_tasks(actions, portfolio, policy, history)` turns the phone actions of a proposal into
`CallTask` values: whom to call (the debtor, its phone number and contact person), **when** —
the window in the debtor's local time and the same window in the caller's time zone — and what
to say: talking points generated from the case (what is overdue and how much, the total of the
statement of account with interest and compensation, the deadline, the reminders already sent
and when, promises broken, open disputes not to be claimed, how to pay) and the last contacts
(letters and messages sent, replies, promises, with their dates and channels). The talking
points state facts and ask for a date of payment: they never threaten.

The window is the action's own (`Action.not_before` / `Action.not_after`, set when the policy
has `contact_hours`); when the policy sets none it is ``hours`` (default `OFFICE_HOURS`,
09:00-18:00) in the debtor's time zone (`Debtor.timezones`; in every one of them when the
debtor may be in several, `ContactHours.common_window`). The caller's zone is the creditor's
(the first zone of its country) unless ``caller_zone`` says otherwise.

`calls_csv` writes the list for a spreadsheet and `calls_ics` for a calendar (RFC 5545, one
``VEVENT`` per call spanning its window, times in UTC). The CSV is what Excel opens
correctly in Italy: UTF-8 with a byte order mark, ``;``-separated, CRLF line ends, amounts
with a decimal comma, dates ISO; any cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return gets a leading ``'`` so a spreadsheet never runs it as a formula (a
phone number shows as ``'+390512928925``).

The CSV ends with empty columns for the outcome of each call (`OUTCOME_COLUMNS`); filled in
and saved, it is read back by `read_call_outcomes` (a file with just those columns, say
``call_outcomes.csv``, works too) into the library's events (see `OUTCOMES`), so the next plan
knows what was said.

>>> from datetime import date
>>> from dunning import Creditor, Debtor, Invoice, Money, Portfolio
>>> p = Portfolio(Creditor("Tipografia Emiliana S.r.l."),
...               [Debtor("C002", "Trattoria da Bertoldo", phone="+390512928925")],
...               [Invoice.single("2026/0077", "C002", date(2026, 4, 8), date(2026, 5, 8),
...                               Money("951.60", "EUR"))])
>>> text = '''debtor_id;date;outcome;until;promised_amount;note
... C002;2026-08-25;promise;2026-09-04;951,60;paga il 4 settembre'''
>>> [type(e).__name__ for e in read_call_outcomes(text, p)]
['DebtorReplied', 'PromiseToPay']
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from datetime import date as _date
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias, get_args
from zoneinfo import ZoneInfo

import attrs
from babel.dates import format_date

from ._spreadsheet import plain_cell, safe_cell
from .calendars import ContactHours
from .case import Case, sort_events
from .errors import DataError, PolicyError
from .events import (
    ActionPlanned,
    DebtorReplied,
    DeliveryConfirmed,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    Event,
    MessageSent,
    PaymentReceived,
    PlanAgreed,
    PromiseToPay,
)
from .model import Debtor, Invoice
from .money import Money
from .payment import creditor_reference, format_reference
from .policy import PolicyLike
from .portfolio import Portfolio
from .proposal import Action
from .render import _Format, _format
from .statement import statement_for
from .timezones import debtor_zones, zones_for

if TYPE_CHECKING:
    from .importers.folder import _Row

__all__ = [
    "CALL_COLUMNS",
    "OFFICE_HOURS",
    "OUTCOMES",
    "OUTCOME_COLUMNS",
    "CallTask",
    "Outcome",
    "call_tasks",
    "calls_csv",
    "calls_ics",
    "contact_log",
    "read_call_outcomes",
]

Outcome: TypeAlias = Literal[
    "reached", "no_answer", "callback", "promise", "payment_sent", "dispute", "wrong_number"
]
#: The outcomes of a call, and the events each becomes:
#:
#: - ``reached``: a conversation, nothing agreed: `DebtorReplied` (kind ``other``, channel
#:   ``phone``; US Regulation F's call limits count it);
#: - ``no_answer``: `MessageSent` for the call's ``key`` with ``note="no answer"``: the call
#:   was made, the plan goes on as scheduled (call again within the window if you like,
#:   one row per attempt);
#: - ``callback``: asked to be called back on ``until``: `DebtorReplied` (``other``) noting
#:   the day;
#: - ``promise``: `DebtorReplied` (``other``) and `PromiseToPay` of ``promised_amount``
#:   (everything open when empty) by ``until``: the policy waits until then;
#: - ``payment_sent``: "I have paid" (``reference``: the CRO/TRN): `DebtorReplied` of kind
#:   ``payment_sent``: held for the payment-in-transit grace;
#: - ``dispute``: with ``invoice_id``, `DebtorReplied` (``other``) and `DisputeOpened` for
#:   that invoice, which is no longer claimed; without, `DebtorReplied` of kind ``dispute``
#:   (the case is held and an alert asks which invoice);
#: - ``wrong_number``: `DebtorReplied` of kind ``wrong_address`` over ``phone``: no call
#:   until `AddressUpdated` for ``phone``, and an alert to trace the debtor.
OUTCOMES: tuple[str, ...] = get_args(Outcome)

#: Office hours: the window of a call when the policy sets no contact hours.
OFFICE_HOURS = ContactHours(time(9, 0), time(18, 0))

#: The columns of the call list (`calls_csv`), the outcome columns last.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "outcome",
    "until",
    "promised_amount",
    "invoice_id",
    "reference",
    "note",
)
CALL_COLUMNS: tuple[str, ...] = (
    "key",
    "date",
    "debtor_id",
    "debtor",
    "contact_person",
    "phone",
    "window_debtor",
    "window_caller",
    "items",
    "amount",
    "total_due",
    "currency",
    "deadline",
    "talking_points",
    "last_contacts",
    *OUTCOME_COLUMNS,
)


@attrs.frozen
class CallTask:
    """One call to make: whom, when, about what, and what was said before.

    ``start`` and ``end`` bound the window as aware datetimes in the debtor's zone
    (``zone``); `caller_start` and `caller_end` are the same instants in ``caller_zone``.
    ``zone_note`` says how the debtor's zone was found when it is not the debtor's own.
    ``amount`` is what the action claims (principal), ``total_due`` the statement's total
    with interest and compensation. ``talking_points`` and ``last_contacts`` are sentences in
    ``language`` (the creditor's: the caller reads them).
    """

    key: str
    date: date
    debtor_id: str
    debtor: str
    phone: str
    contact_person: str
    start: datetime | None
    end: datetime | None
    zone: str
    caller_zone: str
    zone_note: str
    items: tuple[str, ...]
    amount: Money
    total_due: Money
    deadline: _date | None
    talking_points: tuple[str, ...]
    last_contacts: tuple[str, ...]
    locale: str = "en_GB"

    @property
    def language(self) -> str:
        """The language of the talking points (``"it"`` or ``"en"``)."""
        return _language(self.locale)

    @property
    def caller_start(self) -> datetime | None:
        return None if self.start is None else self.start.astimezone(_zone(self.caller_zone))

    @property
    def caller_end(self) -> datetime | None:
        return None if self.end is None else self.end.astimezone(_zone(self.caller_zone))

    def window(self, caller: bool = False) -> str:
        """The window as ``"09:00-18:00 Europe/Rome"`` (in the caller's zone with ``caller``);
        empty when the debtor has no time convenient in all its zones."""
        start, end = (self.caller_start, self.caller_end) if caller else (self.start, self.end)
        if start is None or end is None:
            return ""
        zone = self.caller_zone if caller else self.zone
        return f"{start:%H:%M}-{end:%H:%M} {zone}"


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# -- sentences -----------------------------------------------------------------------------

_TEXT: Mapping[str, Mapping[str, str]] = {
    "it": {
        "overdue": "Scaduto: {label} (scadenza {due}, residuo {open})",
        "total": "Totale dovuto al {date}: {total} (capitale {principal}, interessi di mora "
        "{interest}, indennizzo {compensation})",
        "total_plain": "Totale dovuto al {date}: {total}",
        "reminders": "Solleciti già inviati in questo episodio: {count} ({list})",
        "no_reminders": "Nessun sollecito inviato finora in questo episodio",
        "last_deadline": "L'ultimo termine di pagamento indicato era il {date}",
        "deadline": "Nuovo termine da proporre: {date}",
        "ask": "Chiedere se il pagamento è stato disposto; se no, concordare una data e "
        "l'importo (annotare l'esito: promessa, contestazione, pagamento già fatto)",
        "broken": "Promessa del {made} di pagare {amount} entro il {until}: non mantenuta "
        "(pagati da allora {paid})",
        "active": "Promessa in corso: {amount} entro il {until}",
        "dispute": "Contestazione aperta su {label} dal {since}: non chiederne il pagamento",
        "upcoming": "In scadenza, non ancora dovuto (non sollecitare): {label} ({due}, {open})",
        "pay": "Per pagare: bonifico su IBAN {iban}, riferimento {rf}",
        "pay_rf": "Riferimento di pagamento: {rf}",
        "plan": "Piano di rientro concordato il {date}",
        "whole": "tutto il dovuto",
        "collector": "Dire che la chiamata viene da un'agenzia di recupero crediti (debt "
        "collector, 15 U.S.C. § 1692e(11)) e parlare del debito solo con il debitore "
        "(12 CFR § 1006.6(d))",
    },
    "en": {
        "overdue": "Overdue: {label} (due {due}, open {open})",
        "total": "Total due on {date}: {total} (principal {principal}, late-payment interest "
        "{interest}, compensation {compensation})",
        "total_plain": "Total due on {date}: {total}",
        "reminders": "Reminders already sent in this episode: {count} ({list})",
        "no_reminders": "No reminder sent so far in this episode",
        "last_deadline": "The last payment deadline given was {date}",
        "deadline": "New deadline to propose: {date}",
        "ask": "Ask whether the payment has been made; if not, agree a date and an amount "
        "(record the outcome: promise, dispute, already paid)",
        "broken": "Promise of {made} to pay {amount} by {until}: not kept (paid since: {paid})",
        "active": "Promise running: {amount} by {until}",
        "dispute": "Open dispute on {label} since {since}: do not ask for its payment",
        "upcoming": "Coming due, not yet owed (do not claim): {label} ({due}, {open})",
        "pay": "To pay: bank transfer to IBAN {iban}, reference {rf}",
        "pay_rf": "Payment reference: {rf}",
        "plan": "Payment plan agreed on {date}",
        "whole": "everything due",
        "collector": "Say that this is a communication from a debt collector (15 U.S.C. "
        "§ 1692e(11)); discuss the debt with the consumer only, never with anyone else "
        "(12 CFR § 1006.6(d))",
    },
}

_CHANNELS: Mapping[str, Mapping[str, str]] = {
    "it": {
        "email": "e-mail",
        "pec": "PEC",
        "postal": "posta",
        "sms": "SMS",
        "phone": "telefono",
        "agency": "agenzia",
    },
    "en": {
        "email": "e-mail",
        "pec": "PEC",
        "postal": "post",
        "sms": "SMS",
        "phone": "phone",
        "agency": "agency",
    },
}

_LOG: Mapping[str, Mapping[str, str]] = {
    "it": {
        "action": "{date} {step} via {channel}: {amount}",
        "sent": "{date} inviato via {channel}",
        "no_answer": "{date} telefonata senza risposta",
        "delivered": "{date} consegna confermata ({channel})",
        "failed": "{date} consegna fallita ({channel}: {reason})",
        "reply": "{date} risposta ({kind}, {channel}): {note}",
        "promise": "{date} promessa di pagare {amount} entro il {until}",
        "dispute": "{date} contestazione di {invoice}: {note}",
        "resolved": "{date} contestazione di {invoice} risolta",
        "paid": "{date} pagamento di {amount}",
        "plan": "{date} piano di rientro concordato",
    },
    "en": {
        "action": "{date} {step} via {channel}: {amount}",
        "sent": "{date} sent via {channel}",
        "no_answer": "{date} call, no answer",
        "delivered": "{date} delivery confirmed ({channel})",
        "failed": "{date} delivery failed ({channel}: {reason})",
        "reply": "{date} reply ({kind}, {channel}): {note}",
        "promise": "{date} promise to pay {amount} by {until}",
        "dispute": "{date} dispute of {invoice}: {note}",
        "resolved": "{date} dispute of {invoice} resolved",
        "paid": "{date} payment of {amount}",
        "plan": "{date} payment plan agreed",
    },
}


def _language(locale: str) -> str:
    code = locale.split("_")[0].lower()
    return code if code in _TEXT else "en"


def _short(fmt: _Format, day: date | None) -> str:
    return "" if day is None else str(format_date(day, "medium", locale=fmt.locale))


def contact_log(
    case: Case, fmt: _Format, language: str, invoices: Mapping[str, Invoice], limit: int = 0
) -> tuple[str, ...]:
    """The case's contacts and the debtor's answers as lines, oldest first (the last ``limit``
    when given): letters and messages, deliveries, replies, promises, disputes, payments."""
    text = _LOG[language]
    names = _CHANNELS[language]

    def channel(value: str) -> str:
        base, _, service = value.partition(":")
        return names.get(base, base) + (f" {service}" if service else "")

    def label(invoice_id: str) -> str:
        inv = invoices.get(invoice_id)
        return inv.label if inv else invoice_id

    lines: list[str] = []
    for event in sort_events(case.events):
        day = _short(fmt, event.date)
        if isinstance(event, ActionPlanned):
            via = channel(event.channel) + (f" {event.service}" if event.service else "")
            line = text["action"].format(
                date=day, step=event.step, channel=via, amount=fmt.money(event.amount)
            )
        elif isinstance(event, MessageSent):
            key = "no_answer" if event.channel == "phone" and event.note else "sent"
            line = text[key].format(date=day, channel=channel(event.channel))
        elif isinstance(event, DeliveryConfirmed):
            line = text["delivered"].format(date=day, channel=channel(event.channel))
            line += f": {event.evidence}" if event.evidence else ""
        elif isinstance(event, DeliveryFailed):
            line = text["failed"].format(
                date=day, channel=channel(event.channel), reason=event.reason
            )
        elif isinstance(event, DebtorReplied):
            line = text["reply"].format(
                date=day, kind=event.kind, channel=channel(event.channel or "-"), note=event.note
            )
        elif isinstance(event, PromiseToPay):
            amount = fmt.money(event.amount) if event.amount else _TEXT[language]["whole"]
            line = text["promise"].format(date=day, amount=amount, until=_short(fmt, event.until))
        elif isinstance(event, DisputeOpened):
            line = text["dispute"].format(
                date=day, invoice=label(event.invoice_id), note=event.reason
            )
        elif isinstance(event, DisputeResolved):
            line = text["resolved"].format(date=day, invoice=label(event.invoice_id))
        elif isinstance(event, PaymentReceived):
            line = text["paid"].format(date=day, amount=fmt.money(event.payment.amount))
        elif isinstance(event, PlanAgreed):
            line = text["plan"].format(date=day)
        else:
            continue
        lines.append(line.rstrip(": "))
    return tuple(lines[-limit:] if limit else lines)


def _talking_points(
    action: Action,
    case: Case,
    portfolio: Portfolio,
    policy: PolicyLike,
    history: list[Event],
    fmt: _Format,
    language: str,
) -> tuple[tuple[str, ...], Money]:
    text = _TEXT[language]
    names = _CHANNELS[language]
    items = {i.key: i for i in case.items}
    points: list[str] = []
    if "collector" in action.policy:
        points.append(text["collector"])  # the disclosure a debt collector owes, on every call
    account = statement_for(portfolio, policy, action.debtor_id, action.date, history)
    principal = {line.key: line.principal_open for line in account.lines}
    for key in action.items:
        item = items.get(key)
        if item is None:
            continue
        points.append(
            text["overdue"].format(
                label=item.label,
                due=_short(fmt, item.due_date),
                open=fmt.money(principal.get(key, item.open)),
            )
        )
    claimed = set(action.items)
    lines = [line for line in account.open_lines if line.key in claimed]
    zero = action.amount * 0
    owed = sum((line.principal_open for line in lines), zero)
    interest = sum((line.interest_due for line in lines), zero)
    compensation = sum((line.compensation_due for line in lines), zero)
    total = owed + interest + compensation
    day = _short(fmt, action.date)
    if interest.is_positive or compensation.is_positive:
        points.append(
            text["total"].format(
                date=day,
                total=fmt.money(total),
                principal=fmt.money(owed),
                interest=fmt.money(interest),
                compensation=fmt.money(compensation),
            )
        )
    else:
        points.append(text["total_plain"].format(date=day, total=fmt.money(total)))
    reminders = [c for c in case.episode.contacts if c.kind in ("notice", "reminder")]
    sent = [c for c in reminders if c.kind == "reminder"]
    if sent:
        listed = ", ".join(f"{_short(fmt, c.date)} {names.get(c.channel, c.channel)}" for c in sent)
        points.append(text["reminders"].format(count=len(sent), list=listed))
    else:
        points.append(text["no_reminders"])
    deadlines = [c.deadline for c in case.episode.contacts if c.deadline is not None]
    if deadlines:
        points.append(text["last_deadline"].format(date=_short(fmt, max(deadlines))))
    for promise in case.promises:
        amount = fmt.money(promise.amount) if promise.amount else text["whole"]
        if promise.until < action.date and not promise.kept:
            points.append(
                text["broken"].format(
                    made=_short(fmt, promise.made),
                    amount=amount,
                    until=_short(fmt, promise.until),
                    paid=fmt.money(promise.paid_since),
                )
            )
        elif promise.until >= action.date and not promise.kept:
            points.append(text["active"].format(amount=amount, until=_short(fmt, promise.until)))
    for item in case.open_items:
        if item.disputed:
            since = _short(fmt, item.dispute_opened) if item.dispute_opened else "?"
            points.append(text["dispute"].format(label=item.label, since=since))
    for key in action.upcoming:
        item = items.get(key)
        if item is not None:
            points.append(
                text["upcoming"].format(
                    label=item.label, due=_short(fmt, item.due_date), open=fmt.money(item.open)
                )
            )
    if case.plan is not None:
        points.append(text["plan"].format(date=_short(fmt, case.plan.date)))
    if action.deadline is not None:
        points.append(text["deadline"].format(date=_short(fmt, action.deadline)))
    points.append(text["ask"])
    rf = format_reference(
        creditor_reference(action.debtor_id, action.currency, max(case.episode.number, 1))
    )
    iban = portfolio.creditor.iban
    points.append(text["pay"].format(iban=iban, rf=rf) if iban else text["pay_rf"].format(rf=rf))
    return tuple(points), total


def _window(
    action: Action, debtor: Debtor, hours: ContactHours
) -> tuple[datetime | None, datetime | None, str, str]:
    zones = debtor_zones(debtor)
    if action.not_before is not None and action.not_after is not None:
        zone = str(action.not_before.tzinfo)
        return action.not_before, action.not_after, zones.zones[0] if zones.zones else zone, ""
    if not zones.zones:
        return None, None, "", zones.note
    window = hours.common_window(action.date, zones.zones)
    if window is None:
        return None, None, zones.zones[0], zones.note
    return window[0], window[1], zones.zones[0], zones.note


def call_tasks(
    actions: Iterable[Action],
    portfolio: Portfolio,
    policy: PolicyLike,
    history: Iterable[Event] = (),
    *,
    caller_zone: str | None = None,
    hours: ContactHours = OFFICE_HOURS,
    locale: str | None = None,
) -> tuple[CallTask, ...]:
    """The calls among ``actions`` (those on the ``phone`` channel) as tasks, in the order
    given. ``history`` is the history before the actions; ``caller_zone`` the caller's IANA
    zone (default: the creditor's country's); ``hours`` the window when an action has none;
    ``locale`` the caller's (default: the creditor's), for the talking points."""
    past = list(history)
    creditor = portfolio.creditor
    if caller_zone is None:
        found = zones_for(creditor.country).zones
        caller_zone = found[0] if found else "UTC"
    _zone(caller_zone)  # an unknown zone fails here, not in the middle of a file
    chosen_locale = locale or creditor.locale
    fmt = _format(chosen_locale)
    language = _language(chosen_locale)
    tasks: list[CallTask] = []
    for action in actions:
        if action.channel != "phone":
            continue
        debtor = portfolio.debtor(action.debtor_id)
        case = portfolio.case(action.debtor_id, action.date, past)
        if policy.policy_for(case, action.date) is None:
            raise PolicyError(f"no policy applies to debtor {action.debtor_id}")
        start, end, zone, note = _window(action, debtor, hours)
        points, total = _talking_points(action, case, portfolio, policy, past, fmt, language)
        invoices = {i.id: i for i in portfolio.invoices if i.debtor_id == debtor.id}
        items = {i.key: i.label for i in case.items}
        tasks.append(
            CallTask(
                key=action.key,
                date=action.date,
                debtor_id=debtor.id,
                debtor=debtor.name,
                phone=debtor.phone or "",
                contact_person=debtor.contact_person or "",
                start=start,
                end=end,
                zone=zone,
                caller_zone=caller_zone,
                zone_note=note,
                items=tuple(items.get(k, k) for k in action.items),
                amount=action.amount,
                total_due=total,
                deadline=action.deadline,
                talking_points=points,
                last_contacts=contact_log(case, fmt, language, invoices, limit=6),
                locale=chosen_locale,
            )
        )
    return tuple(tasks)


# -- CSV -----------------------------------------------------------------------------------


def _decimal(money: Money) -> str:
    return str(money.amount).replace(".", ",")


def calls_csv(tasks: Iterable[CallTask]) -> bytes:
    """The call list as CSV bytes for a spreadsheet: UTF-8 with BOM, ``;``-separated, CRLF,
    amounts with a decimal comma, one row per call with the columns `CALL_COLUMNS` (the
    outcome columns empty, to fill in)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CALL_COLUMNS)
    for task in tasks:
        row = [
            task.key,
            task.date.isoformat(),
            task.debtor_id,
            task.debtor,
            task.contact_person,
            task.phone,
            task.window() or task.zone_note,
            task.window(caller=True),
            ", ".join(task.items),
            _decimal(task.amount),
            _decimal(task.total_due),
            task.amount.currency,
            task.deadline.isoformat() if task.deadline else "",
            "\n".join(f"• {p}" for p in task.talking_points),
            "\n".join(task.last_contacts),
            *("" for _ in OUTCOME_COLUMNS),
        ]
        writer.writerow([safe_cell(c) for c in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


# -- iCalendar -----------------------------------------------------------------------------


def _escape(text: str) -> str:
    """An RFC 5545 TEXT value: backslash, ``;``, ``,`` and newlines escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> bytes:
    """One content line folded at 75 octets (RFC 5545 § 3.1), never inside a UTF-8
    character; CRLF-terminated."""
    data = line.encode("utf-8")
    parts: list[bytes] = []
    limit = 75
    while len(data) > limit:
        cut = limit
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # a continuation byte: step back
            cut -= 1
        parts.append(data[:cut])
        data = data[cut:]
        limit = 74  # the leading space of a continuation line counts
    parts.append(data)
    return b"\r\n ".join(parts) + b"\r\n"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calls_ics(tasks: Iterable[CallTask], *, domain: str = "dunning.invalid") -> bytes:
    """The calls as an iCalendar file (RFC 5545): one ``VEVENT`` per call spanning its window
    (in UTC), ``UID`` from the action's key, the talking points and last contacts in the
    description. A call without a window is an all-day event on its date."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//dunning//call list//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for task in tasks:
        lines.append("BEGIN:VEVENT")
        lines.append(f"UID:{_escape(task.key)}@{domain}")
        lines.append(f"DTSTAMP:{task.date:%Y%m%d}T000000Z")
        if task.start is not None and task.end is not None:
            lines.append(f"DTSTART:{_utc(task.start)}")
            lines.append(f"DTEND:{_utc(task.end)}")
        else:
            lines.append(f"DTSTART;VALUE=DATE:{task.date:%Y%m%d}")
        lines.append("TRANSP:TRANSPARENT")
        who = task.debtor + (f" ({task.contact_person})" if task.contact_person else "")
        summary = f"{who} {task.phone} {_format(task.locale).money(task.amount)}"
        lines.append(f"SUMMARY:{_escape(summary)}")
        if task.phone:
            lines.append(f"CONTACT:{_escape(who + ' ' + task.phone)}")
        description = [
            f"{task.debtor} ({task.debtor_id}) {task.phone}",
            f"{task.window()} / {task.window(caller=True)}".strip(" /") or task.zone_note,
            "",
            *(f"• {p}" for p in task.talking_points),
            "",
            *task.last_contacts,
        ]
        lines.append(f"DESCRIPTION:{_escape(chr(10).join(description))}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return b"".join(_fold(line) for line in lines)


# -- outcomes ------------------------------------------------------------------------------

_NEEDS: Mapping[str, tuple[str, ...]] = {
    "no_answer": ("key",),
    "promise": ("until",),
    "callback": ("until",),
}
_USES: Mapping[str, tuple[str, ...]] = {
    "reached": ("note",),
    "no_answer": ("note",),
    "callback": ("until", "note"),
    "promise": ("until", "promised_amount", "note"),
    "payment_sent": ("reference", "note"),
    "dispute": ("invoice_id", "note"),
    "wrong_number": ("note",),
}


def read_call_outcomes(source: str | os.PathLike[str], portfolio: Portfolio) -> tuple[Event, ...]:
    """The events the outcomes in ``source`` (a path to a CSV file, or the CSV text itself,
    which has a line break) record, in the file's order (see `OUTCOMES`).

    The file is the call list of `calls_csv` with its outcome columns filled in, or any CSV
    with the columns ``date``, ``outcome`` and ``debtor_id`` or ``key`` (plus, as an outcome
    needs them, ``until``, ``promised_amount``, ``currency``, ``invoice_id``, ``reference``,
    ``note``); ``,``- or ``;``-separated as the folder's files (in a ``;``-separated file
    amounts take a decimal comma and dates may also be day/month/year, as Excel in Italy
    saves them). Rows without an outcome (calls not made yet) are skipped. Every problem is
    collected and raised at once in one `DataError` naming the line and the column.
    """
    from .importers.folder import _DMY_DATE, _delimiter, _one_of, _Row

    name = "call_outcomes.csv"
    if isinstance(source, str) and "\n" in source:
        text = source
    else:
        path = Path(source)
        name = path.name
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"is not UTF-8 text ({exc.reason} at byte {exc.start})", source=name
            ) from None
    text = text.removeprefix("\ufeff")
    known = set(CALL_COLUMNS) | {"currency"}
    delimiter = _delimiter(text, tuple(known))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    errors: list[DataError] = []
    events: list[Event] = []
    header: list[str] | None = None
    invoices = {i.id: i for i in portfolio.invoices}
    labels = {i.label: i for i in portfolio.invoices}
    start = 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if header is None:
            header = [c.strip() for c in cells]
            unknown = [c for c in header if c not in known]
            for column in unknown:
                errors.append(
                    DataError(
                        f"unknown column; the columns are {', '.join(CALL_COLUMNS)}",
                        field=column,
                        source=name,
                        line=line,
                    )
                )
            missing = [c for c in ("date", "outcome") if c not in header]
            if "debtor_id" not in header and "key" not in header:
                missing.append("debtor_id")
            for column in missing:
                errors.append(
                    DataError("missing required column", field=column, source=name, line=line)
                )
            if errors:
                break
            continue
        if not any(c.strip() for c in cells):
            continue
        values = {k: plain_cell(v) for k, v in zip(header, cells, strict=False)}
        row = _Row(name, line, values, decimal_comma=delimiter == ";")
        outcome = row.get("outcome")
        if outcome is None:
            continue  # not called yet
        key = row.get("key") or ""
        debtor_id = row.get("debtor_id") or key.partition("|")[0] or None
        row.record = f"call outcome of {debtor_id or '?'}"
        if key and row.get("debtor_id") not in (None, key.partition("|")[0]):
            row.fail("key", f"is a call to {key.partition('|')[0]!r}, not to {debtor_id!r}")
        if debtor_id is None:
            row.fail("debtor_id", "must not be empty (or give the call's key)")
        elif debtor_id not in {d.id for d in portfolio.debtors}:
            row.fail("debtor_id", f"unknown debtor {debtor_id!r}")
            debtor_id = None

        when = _day(row, "date", _DMY_DATE)
        if row.get("date") is None:
            row.fail("date", "must not be empty")
        if not _one_of(row, "outcome", outcome, OUTCOMES, "a call outcome"):
            errors.extend(row.errors)
            continue
        for column in _NEEDS.get(outcome, ()):
            row.need(column)
        for column in ("until", "promised_amount", "invoice_id", "reference"):
            if column not in _USES[outcome] and row.get(column) is not None:
                row.fail(column, f"is not used by the outcome {outcome!r}; leave it empty")
        until = _day(row, "until", _DMY_DATE)
        if until is not None and when is not None and until < when:
            row.fail("until", f"{until} is before the call ({when})")
        currency = row.currency()
        if debtor_id is not None and row.get("currency") is None:
            have = portfolio.currencies_of(debtor_id)
            currency = have[0] if have else currency
        amount = row.money("promised_amount", currency, required=False)
        invoice: Invoice | None = None
        invoice_ref = row.get("invoice_id")
        if invoice_ref is not None:
            invoice = invoices.get(invoice_ref) or labels.get(invoice_ref)
            if invoice is None:
                row.fail("invoice_id", f"unknown invoice {invoice_ref!r}")
            elif debtor_id is not None and invoice.debtor_id != debtor_id:
                row.fail(
                    "invoice_id",
                    f"invoice {invoice_ref!r} belongs to debtor {invoice.debtor_id!r}",
                )
        if not row.errors and when is not None and debtor_id is not None:
            note = row.get("note") or ""
            events.extend(
                _outcome_events(
                    outcome,
                    when,
                    debtor_id,
                    key,
                    note,
                    until,
                    amount,
                    invoice,
                    row.get("reference") or "",
                )
            )
        errors.extend(row.errors)
    if header is None:
        errors.append(DataError("is empty: expected a header row", source=name))
    if errors:
        raise DataError(f"{len(errors)} problem(s) in {name}", errors=tuple(errors))
    return tuple(events)


def _day(row: _Row, column: str, dmy_pattern: re.Pattern[str]) -> date | None:
    """A date cell: ISO, or day/month/year in a ``;``-separated file (Excel in Italy)."""
    value = row.get(column)
    if value is None:
        return None
    if row.decimal_comma and (dmy := dmy_pattern.match(value)):
        d, m, y = dmy.groups()
        try:
            return date(int(y), int(m), int(d))
        except ValueError as exc:
            row.fail(column, f"{value!r} is not a valid date: {exc}")
            return None
    return row.date(column, required=False)


def _outcome_events(
    outcome: str,
    when: date,
    debtor_id: str,
    key: str,
    note: str,
    until: date | None,
    amount: Money | None,
    invoice: Invoice | None,
    reference: str,
) -> list[Event]:
    def talk(kind: str = "other", text: str = note, **kw: object) -> DebtorReplied:
        return DebtorReplied(when, debtor_id, note=text, channel="phone", kind=kind, **kw)  # type: ignore[arg-type]

    if outcome == "no_answer":
        return [MessageSent(when, debtor_id, key=key, channel="phone", note=note or "no answer")]
    if outcome == "reached":
        return [talk()]
    if outcome == "callback":
        return [talk(text=f"call back on {until}" + (f": {note}" if note else ""))]
    if outcome == "promise":
        assert until is not None
        return [talk(text=note or "promise"), PromiseToPay(when, debtor_id, until, amount, note)]
    if outcome == "payment_sent":
        return [talk("payment_sent", reference=reference)]
    if outcome == "dispute":
        if invoice is None:
            return [talk("dispute")]
        return [
            talk(text=note or "dispute"),
            DisputeOpened(when, debtor_id, invoice.id, reason=note),
        ]
    return [talk("wrong_address")]
