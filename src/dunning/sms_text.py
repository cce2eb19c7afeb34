"""SMS texts per step: short, in the debtor's language, within a length budget.

(The module is ``sms_text``, not ``sms``: ``dunning.sms`` is the SMS channel route of a
step, ``email | sms``.)

`render_sms(action, portfolio, policy, history=...)` returns the `Sms` of an action planned on
the ``sms`` channel: the text (from ``templates/<language>/sms/<kind>.txt``), the debtor's
number, the alphanumeric sender id, and how the text goes over the air (`dunning.gsm`: its
encoding and the segments it takes).

What a text says, and what it does not:

- **who writes**: the creditor's name (the sender id alone, when the text must be short);
- **what and when**: the invoice numbers, the amount, the due date (a notice) or the new
  deadline (a reminder), and how to pay: the structured creditor reference of the case (and
  the IBAN where there is room);
- **nothing else**: no interest computation, no legal wording, no personal data beyond the
  invoice numbers (a phone number may be read by someone else);
- a US debtor also gets how to opt out (12 CFR 1006.6(e): every electronic communication of a
  debt collector carries a reasonable and simple way to opt out).

**A length budget per step.** Each kind has a budget of segments (`BUDGETS`: a notice 1, a
reminder 2, a hand-over 2), which ``budgets`` changes by step name or kind. The text is
transliterated into GSM-7 where it can be (`dunning.gsm.transliterate`: ``È`` becomes
``E'``, ``’`` becomes ``'``); over the budget, the optional parts are dropped (the courtesy
sentence and contact, then the IBAN and the invoice wording, the creditor's name giving way to
the sender id); still over it, `render_sms` raises `PolicyError` naming the step, the segments
and the budget.

**Never for a formal notice**: an SMS proves no delivery and carries no legal wording, so a
formal notice (and a call, and a US validation notice) is never an SMS: `render_sms` raises
`PolicyError`, and a `dunning.Step` of kind ``formal_notice`` with the ``sms`` channel is
rejected when it is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs
import jinja2

from . import gsm
from .errors import PolicyError
from .events import Event
from .gsm import sender_error
from .policy import PolicyLike
from .portfolio import Portfolio
from .proposal import Action
from .render import Templates, _context, _formatter, _language

__all__ = ["BUDGETS", "SMS_KINDS", "Sms", "default_sender", "render_sms", "sender_error"]

#: Step kinds that may be sent as an SMS.
SMS_KINDS = ("notice", "reminder", "hand_over")

#: Segments each kind of step may take by default.
BUDGETS: Mapping[str, int] = MappingProxyType({"notice": 1, "reminder": 2, "hand_over": 2})

#: How to opt out, for a US debtor (12 CFR 1006.6(e)), by language.
_OPT_OUT = MappingProxyType(
    {
        "en": "Reply STOP to opt out.",
        "es": "Responda STOP para no recibir más SMS.",
        "it": "Risponda STOP per non ricevere altri SMS.",
        "de": "Antworten Sie STOP, um keine SMS mehr zu erhalten.",
        "fr": "Répondez STOP pour ne plus recevoir de SMS.",
    }
)

#: Replacements made before `dunning.gsm.transliterate`, by language: Spanish drops the acute
#: accent GSM-7 lacks (``más`` -> ``mas``, as Spanish texts do) where the generic rule would
#: write the Italian grave accent (``màs``).
_PLAIN: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"es": MappingProxyType(dict(zip("áíóúÁÍÓÚ", "aiouAIOU", strict=True)))}
)

#: From the most complete text to the shortest: what `render_sms` tries, in order.
_LEVELS = (2, 1, 0)


@attrs.frozen
class Sms:
    """One SMS ready for a gateway: what the debtor reads and how it travels."""

    key: str
    """The action's idempotency key."""
    to: str | None
    """The debtor's mobile number (E.164), None when unknown."""
    sender: str
    """The alphanumeric sender id (at most 11 characters)."""
    text: str
    """The text as sent: transliterated into GSM-7 where possible."""
    encoding: gsm.Encoding
    segments: int
    language: str


def default_sender(name: str) -> str:
    """A sender id made from the creditor's ``name``: its letters, digits and spaces
    transliterated to ASCII, cut to 11 characters at a word boundary where one is close.

    >>> default_sender("Tipografia Emiliana S.r.l.")
    'Tipografia'
    >>> default_sender("Café Müller GmbH")
    'Cafe Muller'
    """
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    clean = " ".join(re.sub(r"[^A-Za-z0-9 ]+", " ", ascii_name).split())
    if len(clean) <= 11:
        cut = clean
    else:
        cut = clean[:11]
        if clean[11] != " " and " " in cut:
            cut = cut[: cut.rindex(" ")]
        cut = cut.strip()
    if sender_error(cut) is not None:
        return "Info"
    return cut


def render_sms(
    action: Action,
    portfolio: Portfolio,
    policy: PolicyLike,
    history: Iterable[Event] = (),
    *,
    templates: Templates | None = None,
    budgets: Mapping[str, int] | None = None,
) -> Sms:
    """The SMS for ``action`` (planned with ``policy`` on ``portfolio`` and ``history``, the
    history *before* the action), within its step's budget of segments: ``budgets`` maps a
    step name or kind to segments, over `BUDGETS`."""
    where = f"step {action.step!r} ({action.kind})"
    if action.kind == "formal_notice":
        raise PolicyError(
            f"{where}: no SMS for a formal notice: it proves no delivery and has no room for "
            "the legal wording; send it by PEC or registered post"
        )
    if action.kind not in SMS_KINDS:
        raise PolicyError(f"{where}: a {action.kind} is not sent as an SMS")
    if action.step == "validation_notice" or action.template.endswith("validation_notice"):
        raise PolicyError(
            f"{where}: a validation notice (12 CFR 1006.34) must be given in full, not by SMS"
        )
    budget = _budget(action, budgets)
    past = list(history)
    debtor = portfolio.debtor(action.debtor_id)
    creditor = portfolio.creditor
    sender = creditor.sms_sender or default_sender(creditor.name)
    language = _language(debtor)
    fmt = _formatter(debtor)
    context = _context(action, portfolio, policy, past, fmt, language)
    claimed = context["claimed"] or context["upcoming"]
    items = portfolio.case(action.debtor_id, action.date, past).items
    due = min((i.due_date for i in items if i.key in action.items), default=None)
    context["due"] = fmt.date(due)  # a notice: the first due date it announces
    numbers = list(dict.fromkeys(i["number"] for i in claimed))  # an invoice once
    context["references"] = ", ".join(numbers)
    context["several"] = len(numbers) > 1
    env = (templates or Templates()).environment()
    name = f"{language}/sms/{action.kind}.txt"
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        raise PolicyError(f"{where}: no SMS template {name}") from None
    opt_out = _OPT_OUT.get(language, _OPT_OUT["en"]) if debtor.country.upper() == "US" else ""
    tried: list[int] = []
    for level in _LEVELS:
        shown = creditor.name if level else sender
        text = " ".join(template.render(**context, level=level, name=shown).split())
        if opt_out:
            text = f"{text} {opt_out}"
        for char, plain in _PLAIN.get(language, {}).items():
            text = text.replace(char, plain)
        ready = gsm.fit(text, budget)
        if ready.fits:
            return Sms(
                key=action.key,
                to=debtor.phone,
                sender=sender,
                text=ready.text,
                encoding=ready.segments.encoding,
                segments=ready.segments.count,
                language=language,
            )
        tried.append(ready.segments.count)
    raise PolicyError(
        f"{where}: the SMS for debtor {action.debtor_id} takes {min(tried)} segment(s) even "
        f"at its shortest, over the step's budget of {budget}; raise the budget "
        f"(budgets={{{action.step!r}: {min(tried)}}}) or shorten the template {name}"
    )


def _budget(action: Action, budgets: Mapping[str, int] | None) -> int:
    chosen = {**BUDGETS, **(budgets or {})}
    value = chosen.get(action.step, chosen.get(action.kind, 1))
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PolicyError(
            f"step {action.step!r}: an SMS budget is a whole number of segments, at least 1, "
            f"not {value!r}"
        )
    return value
