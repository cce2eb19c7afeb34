"""Messages a debtor receives: each planned `Action` rendered in the debtor's language.

`render(action, portfolio, policy, history=...)` returns a `Message`: subject, plain text and
HTML, for the e-mail and PEC channels (and the body of a letter). The templates (jinja2, in
``dunning/templates/<language>/<kind>.txt``, one per step kind: ``notice``, ``reminder``,
``formal_notice``, ``hand_over``; a step's own ``template`` name wins where it exists) get a
context built from the data, never typed by hand:

- the creditor (legal name, VAT number, address, contact, IBAN) and the debtor;
- the items claimed (number, issue date, due date, amount, open amount) and apart the items
  coming due, which are mentioned, never claimed;
- how many reminders this episode has already had;
- the statement of account (`dunning.statement.statement_for`): interest with its rate and
  period, the fixed compensation, the total; where a period's rate is not published the
  figure stops on the last known day and the text says the interest keeps accruing;
- the new deadline and **what happens next**, taken from the policy itself: the step the
  engine would plan the day after the deadline if nothing is paid (a reminder never announces
  a step the policy will not take);
- how to pay: the creditor's IBAN, and the structured creditor reference of the case and
  episode (`dunning.payment.creditor_reference`, ISO 11649) with the invoice numbers, so the
  payment can be matched on the bank statement.

Templates render in jinja2's sandbox; the HTML part escapes everything it is given. Money,
dates and percentages are formatted by babel in the debtor's locale, with one formatter per
locale. Templates exist in Italian, English, German, French and Spanish; a debtor whose
language has none gets English.

The legal sentences follow the debtor's **jurisdiction**, not the language: ``law`` in the
context (`dunning.legal_text.law_for`, from the debtor's country and the interest regime)
cites the provision that puts the debtor in default, the one under which the demand
interrupts limitation (only where it does: Italy, Spain) and the late-payment statute.

Users override templates with a folder (`Templates(folder=...)`), which is searched first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib.metadata import entry_points
from importlib.resources.abc import Traversable
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import jinja2
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2.sandbox import SandboxedEnvironment

from .errors import PolicyError
from .events import Event
from .legal_text import law_for
from .model import Debtor, Invoice
from .money import Money
from .payment import creditor_reference, format_reference
from .policy import Policy, PolicyLike
from .portfolio import Portfolio
from .proposal import Action
from .statement import Statement, statement_for

__all__ = ["LANGUAGES", "TEMPLATE_GROUP", "Attachment", "Message", "Templates", "render"]

#: Languages with shipped templates.
LANGUAGES = ("it", "en", "de", "fr", "es")

_KINDS = ("notice", "reminder", "formal_notice", "hand_over")


@attrs.frozen
class Attachment:
    """A file that goes with a message (the letter's PDF on a formal notice)."""

    filename: str
    content_type: str
    """A MIME type, ``"application/pdf"``."""
    data: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")


@attrs.frozen
class Message:
    """One rendered message: what the debtor reads, and to whom it goes."""

    key: str
    """The action's idempotency key."""
    channel: str
    language: str
    subject: str
    text: str
    html: str
    to: str | None
    """The debtor's address on the action's channel (e-mail or PEC); None for a letter, an
    SMS or the agency's hand-over (the text then is the letter's body or the debtor's notice)."""
    attachments: tuple[Attachment, ...] = ()
    """Files that go with it (`attrs.evolve` a message to add one)."""


class _Format:
    """Money, dates and percentages in one locale (built once per locale)."""

    def __init__(self, locale: str) -> None:
        self.locale = Locale.parse(locale)

    def money(self, value: Money) -> str:
        return str(format_currency(value.amount, value.currency, locale=self.locale))

    def date(self, value: date | None) -> str:
        if value is None:
            return ""
        text = str(format_date(value, "long", locale=self.locale))
        if value.day == 1 and text.startswith("1 "):
            # the first of the month as Italian and French write it: "1º aprile", "1er avril"
            ordinal = {"it": "1º", "fr": "1er"}.get(self.locale.language)
            text = ordinal + text[1:] if ordinal else text
        return text

    def percent(self, value: Decimal) -> str:
        return f"{format_decimal(value, format='#,##0.00', locale=self.locale)} %"


@cache
def _format(locale: str) -> _Format:
    return _Format(locale)


@attrs.frozen
class Templates:
    """Where templates come from, searched in this order:

    1. ``folder``, laid out as ``<language>/<name>.txt`` like the shipped templates;
    2. the template packages installed under the entry point group ``dunning.templates``
       (unless ``packages=False``), by entry point name: an entry point names a folder laid
       out the same way — a path, an ``importlib.resources`` traversable, or a module or
       package whose ``templates/`` folder it is — or a `jinja2.BaseLoader`;
    3. the shipped templates.

    A house style shared by several companies is then a package of its own::

        [project.entry-points."dunning.templates"]
        acme = "acme_dunning_templates"        # acme_dunning_templates/templates/it/...
    """

    folder: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    packages: bool = True

    def environment(self) -> jinja2.Environment:
        return _environment(self.folder, self.packages)


#: The entry point group of template packages.
TEMPLATE_GROUP = "dunning.templates"


def _package_loader(name: str, loaded: object) -> jinja2.BaseLoader:
    if isinstance(loaded, jinja2.BaseLoader):
        return loaded
    if isinstance(loaded, ModuleType):
        where = getattr(loaded, "__file__", None)
        if where is None:
            raise PolicyError(f"template package {name!r}: module {loaded.__name__} has no file")
        return jinja2.FileSystemLoader(str(Path(where).parent / "templates"))
    if isinstance(loaded, str | Path):
        return jinja2.FileSystemLoader(str(loaded))
    if isinstance(loaded, Traversable):
        return jinja2.FileSystemLoader(str(loaded))
    raise PolicyError(
        f"entry point {name!r} in group {TEMPLATE_GROUP!r} gave {type(loaded).__name__}; "
        "expected a folder of templates, a module with a templates/ folder or a jinja2 loader"
    )


@cache
def _environment(folder: Path | None, packages: bool = True) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if folder is not None:
        if not folder.is_dir():
            raise PolicyError(f"no template folder {str(folder)!r}")
        loaders.append(jinja2.FileSystemLoader(str(folder)))
    if packages:
        for ep in sorted(entry_points(group=TEMPLATE_GROUP), key=lambda e: e.name):
            loaders.append(_package_loader(ep.name, ep.load()))
    loaders.append(jinja2.PackageLoader("dunning", "templates"))
    env = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _formatter(debtor: Debtor) -> _Format:
    """Money and dates as the debtor reads them (British English when its language has no
    templates: the message is then in English)."""
    language = _language(debtor)
    return _format(debtor.locale if language == debtor.locale[:2].lower() else "en_GB")


def _language(debtor: Debtor) -> str:
    code = debtor.locale.split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def _pick(env: jinja2.Environment, language: str, action: Action) -> jinja2.Template:
    own = action.template.split("/")[-1] if action.template else ""
    names = [f"{language}/{own}.txt"] if own else []
    names.append(f"{language}/{action.kind}.txt")
    try:
        return env.select_template(names)
    except jinja2.TemplatesNotFound:
        raise PolicyError(
            f"no template for step {action.step!r} ({action.kind}) in {language!r}: "
            f"looked for {', '.join(names)}"
        ) from None


def _address_lines(debtor_or_creditor: Any) -> list[str]:
    address = debtor_or_creditor.address
    if address is None:
        return []
    return [*address.lines, address.place] if address.place else list(address.lines)


def render(
    action: Action,
    portfolio: Portfolio,
    policy: PolicyLike,
    history: Iterable[Event] = (),
    *,
    templates: Templates | None = None,
) -> Message:
    """The message for ``action`` (planned with ``policy`` on ``portfolio`` and ``history``,
    the history *before* the action)."""
    if action.kind == "call":
        raise PolicyError(f"{action.step}: a call is a task for a person, not a message")
    debtor = portfolio.debtor(action.debtor_id)
    env = (templates or Templates()).environment()
    language, context, subject, text = _compose(action, portfolio, policy, history, env)
    layout = env.select_template([f"{language}/message.html", "message.html"])
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    html = layout.render(
        **context,
        language=language,
        subject=subject,
        paragraphs=paragraphs,
        blocks=[_segments(p, subject) for p in paragraphs],
    )
    to = {"pec": debtor.pec, "email": debtor.email}.get(action.channel)
    return Message(action.key, action.channel, language, subject, text, html, to)


def _segments(paragraph: str, subject: str) -> list[dict[str, Any]]:
    """A paragraph of the text as the HTML part lays it out: runs of lines, lists (``- `` lines,
    with the indented lines under an item as its sub-items) and the subject line (bold)."""
    out: list[dict[str, Any]] = []
    for line in paragraph.split("\n"):
        last = out[-1] if out else None
        if line.startswith("- "):
            item = {"text": line[2:], "sub": []}
            if last is not None and last["kind"] == "list":
                last["items"].append(item)
            else:
                out.append({"kind": "list", "items": [item]})
        elif line.startswith("  ") and last is not None and last["kind"] == "list":
            last["items"][-1]["sub"].append(line.strip())
        elif subject and line.endswith(subject) and len(line) - len(subject) < 20:
            out.append({"kind": "subject", "lines": [line]})
        elif last is not None and last["kind"] == "lines":
            last["lines"].append(line)
        else:
            out.append({"kind": "lines", "lines": [line]})
    return out


def _compose(
    action: Action,
    portfolio: Portfolio,
    policy: PolicyLike,
    history: Iterable[Event],
    env: jinja2.Environment,
    **overrides: Any,
) -> tuple[str, dict[str, Any], str, str]:
    """The language, the context (with ``overrides``), the subject and the text of the
    template for ``action``: what a message, a letter and an SMS share."""
    debtor = portfolio.debtor(action.debtor_id)
    language = _language(debtor)
    context = _context(action, portfolio, policy, list(history), _formatter(debtor), language)
    context.update(overrides)
    module = _pick(env, language, action).make_module(context)
    subject = str(getattr(module, "subject", "")).strip()
    text = _tidy(str(module))
    if language == "it":
        subject, text = _elide(subject), _elide(text)
    return language, context, subject, text


_MONTHS_IT = (
    "gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre"
)
_ELISION = re.compile(rf"\b(il|dal|del|al|nel|sul|Il|Dal|Al) (8|11) (?=(?:{_MONTHS_IT})\b)")
_ELIDED = {"il": "l'", "dal": "dall'", "del": "dell'", "al": "all'", "nel": "nell'"}
_ELIDED |= {"sul": "sull'", "Il": "L'", "Dal": "Dall'", "Al": "All'"}


def _elide(text: str) -> str:
    """Italian elides the article before a day that starts with a vowel: "l'8 maggio",
    "dall'11 marzo", not "il 8 maggio"."""
    return _ELISION.sub(lambda m: f"{_ELIDED[m.group(1)]}{m.group(2)} ", text)


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _context(
    action: Action,
    portfolio: Portfolio,
    policy: PolicyLike,
    history: list[Event],
    fmt: _Format,
    language: str,
) -> dict[str, Any]:
    debtor = portfolio.debtor(action.debtor_id)
    creditor = portfolio.creditor
    case = portfolio.case(action.debtor_id, action.date, history)
    chosen = policy.policy_for(case, action.date)
    if chosen is None:
        raise PolicyError(f"no policy applies to debtor {action.debtor_id}")
    invoices = {inv.id: inv for inv in portfolio.invoices if inv.debtor_id == debtor.id}
    items = {i.key: i for i in case.items}

    def row(key: str) -> dict[str, str]:
        item = items[key]
        invoice: Invoice | None = invoices.get(item.invoice_id)
        return {
            "key": key,
            "number": invoice.label if invoice else item.invoice_id,
            "issued": fmt.date(item.issue_date),
            "due": fmt.date(item.due_date),
            "amount": fmt.money(item.amount),
            "open": fmt.money(item.open),
        }

    account = statement_for(portfolio, chosen, action.debtor_id, action.date, history)
    principal = {line.key: line.principal_open for line in account.lines}
    claimed = [row(k) for k in action.items if k in items]
    for entry in claimed:
        # the statement's principal: payments imputed as the policy's allocation says (costs,
        # interest, then principal under art. 1194 c.c.), so the figures add up on the page
        if entry["key"] in principal:
            entry["open"] = fmt.money(principal[entry["key"]])
    owed = sum(
        (principal.get(k, items[k].open) for k in action.items if k in items), action.amount * 0
    )
    # not claimed: the items not yet due, and apart those already due that this step does
    # not claim (in their grace days): a letter must not call them "not yet due"
    upcoming = [row(k) for k in action.upcoming if k in items and not _due(items[k], action)]
    recent = [row(k) for k in action.upcoming if k in items and _due(items[k], action)]
    return {
        "creditor": {
            "name": creditor.name,
            "vat_number": creditor.vat_number or "",
            "address": _address_lines(creditor),
            "email": creditor.email or "",
            "pec": creditor.pec or "",
            "phone": creditor.phone or "",
            "iban": creditor.iban or "",
            "city": creditor.address.city if creditor.address else "",
            "signatory": creditor.signatory or "",
        },
        "debtor": {
            "name": debtor.name,
            "contact_person": debtor.contact_person or "",
            "kind": debtor.kind,
            "address": _address_lines(debtor),
        },
        "step": action.step,
        "kind": action.kind,
        "date": fmt.date(action.date),
        "deadline": fmt.date(action.deadline),
        "reminders_before": case.episode.reminders,
        "claimed": claimed,
        "upcoming": upcoming,
        "recent": recent,
        "amount": fmt.money(owed),
        "account": _account(account, action, owed, fmt),
        "next": _next(action, chosen, portfolio, history),
        "instalment": (
            {"date": fmt.date(action.instalment[0]), "amount": fmt.money(action.instalment[1])}
            if action.instalment
            else None
        ),
        "references": ", ".join(r["number"] for r in claimed),
        # one structured creditor reference per case and episode, for the bank statement
        "rf": format_reference(
            creditor_reference(action.debtor_id, action.currency, max(case.episode.number, 1))
        ),
        "validation_end": _validation_end(action, fmt),
        # the legal wording of the debtor's jurisdiction, cited in the message's language
        "law": attrs.asdict(law_for(debtor.country, language, account.regime)),
        # "letter" when `dunning.letters` renders the body of a printed letter: ``_head.txt``
        # then renders nothing (the letter draws sender, recipient, date and subject itself)
        # and ``_items.txt`` renders ``table``, a line where the letter puts its statement table
        "layout": "message",
        "table": "",
    }


def _due(item: Any, action: Action) -> bool:
    """Whether ``item`` has fallen due by the day of ``action``."""
    return bool(item.due_date < action.date)


def _validation_end(action: Action, fmt: _Format) -> str:
    """For a US debt collector's validation notice: the last day of the validation period
    (12 CFR § 1006.34(b)(5)); empty for every other step."""
    if action.step != "validation_notice":
        return ""
    from .policies.us import validation_period_end

    return fmt.date(validation_period_end(action.date))


def _account(account: Statement, action: Action, owed: Money, fmt: _Format) -> dict[str, Any]:
    claimed = set(action.items)
    lines = [line for line in account.open_lines if line.key in claimed]
    zero = action.amount * 0
    interest = sum((line.interest_due for line in lines), zero)
    paid = sum((line.interest_accrued - line.interest_due for line in lines), zero)
    compensation = sum((line.compensation_due for line in lines), zero)
    periods = []
    for line in lines:
        if line.interest is None:
            continue
        for p in line.interest.periods:
            periods.append(
                {
                    "item": line.label,
                    "start": fmt.date(p.start),
                    "end": fmt.date(p.end),
                    "days": p.days,
                    "rate": fmt.percent(p.rate),
                    "principal": fmt.money(p.principal),
                    "amount": fmt.money(p.amount),
                }
            )
    missing = [line for line in lines if line.missing_rates]
    until = min((line.interest_until for line in missing if line.interest_until), default=None)
    return {
        "interest": fmt.money(interest),
        "has_interest": interest.is_positive,
        "accrued": fmt.money(interest + paid),
        "interest_paid": fmt.money(paid),
        "has_interest_paid": paid.is_positive,
        "compensation": fmt.money(compensation),
        "has_compensation": compensation.is_positive,
        "total": fmt.money(owed + interest + compensation),
        "total_value": owed + interest + compensation,
        "periods": periods,
        "interest_until": fmt.date(until) if until else "",
        "regime": account.regime or "",
    }


def _next(
    action: Action, policy: Policy, portfolio: Portfolio, history: list[Event]
) -> dict[str, str] | None:
    """The step the engine would plan if nothing is paid by the deadline (None: none)."""
    if action.deadline is None or action.kind == "notice":
        return None
    after = [*history, action.event()]
    day = action.deadline + timedelta(days=1)
    case = portfolio.case(action.debtor_id, day, after)
    decision = policy.decide(case, day)
    step = decision.step
    if step is None or decision.stop is not None or step.kind in ("notice", "call"):
        return None
    return {"kind": step.kind, "step": step.name}
