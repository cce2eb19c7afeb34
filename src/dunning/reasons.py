"""Reasons as data: a code with values, and the sentence it reads as.

Every reason an `Action` or a `Waiting` gives is a `Reason`: a stable ``code`` (what a screen
or a message template can switch on), its ``values`` (dates, amounts, step names...) and
``text``, the English sentence the engine wrote. `Reason.render` writes it in another
language from `CATALOG`, formatting money and dates with babel in that locale; a code the
catalog does not know falls back to the English text, so nothing is ever lost.

>>> from datetime import date
>>> from dunning import Money
>>> r = Reason.of("payment_in_transit", "payment in transit: 5 business days after 2026-03-31",
...               due=date(2026, 3, 31), days=5)
>>> r.render("it_IT")
'pagamento in transito: 5 giorni lavorativi dopo il 31 mar 2026'
>>> Reason.of("claiming", "claiming 1,200.00 EUR on 2 item(s)", amount=Money("1200.00", "EUR"),
...           count=2).render("it_IT")
'importo richiesto 1.200,00\\xa0€ (partite: 2)'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cache

import attrs
from babel import Locale
from babel.dates import format_date

from .money import Money

__all__ = ["CATALOG", "KIND_IT", "Reason", "episode_count", "render_all"]


def _values(
    value: Mapping[str, object] | Iterable[tuple[str, object]],
) -> tuple[tuple[str, object], ...]:
    pairs = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), v) for k, v in pairs))


@attrs.frozen
class Reason:
    """A reason: ``code``, ``values`` (sorted name/value pairs) and the English ``text``."""

    code: str
    text: str
    values: tuple[tuple[str, object], ...] = attrs.field(default=(), converter=_values)

    @classmethod
    def of(cls, code: str, text: str, **values: object) -> Reason:
        return cls(code, text, values)

    @property
    def data(self) -> dict[str, object]:
        return dict(self.values)

    def render(self, locale: str = "en_GB") -> str:
        """The reason in ``locale``'s language (the English text when the catalog has no
        sentence for it)."""
        language = _language(locale)
        template = CATALOG.get(self.code, {}).get(language)
        if template is None:
            return self.text
        fields = {k: _format(v, locale) for k, v in self.values}
        try:
            return template.format(**fields)
        except (KeyError, IndexError, ValueError):
            return self.text

    def __str__(self) -> str:
        return self.text


def render_all(reasons: Iterable[Reason], locale: str = "en_GB", sep: str = "; ") -> str:
    """Reasons joined into one line in ``locale``'s language."""
    return sep.join(r.render(locale) for r in reasons)


@cache
def _language(locale: str) -> str:
    try:
        return str(Locale.parse(locale).language)
    except (ValueError, TypeError):
        return "en"


def _format(value: object, locale: str) -> str:
    if isinstance(value, Money):
        return value.format(locale)
    if isinstance(value, dt.date):
        return str(format_date(value, "medium", locale=locale))
    if isinstance(value, tuple | list):
        return ", ".join(_format(v, locale) for v in value)
    if value is None:
        return "—"
    return str(value)


def _catalog() -> dict[str, dict[str, str]]:
    # code: {language: template}; English is the engine's own text, so only other languages
    # need templates here. Keep the placeholders the values the engine gives.
    it: dict[str, str] = {
        "step_due": "livello {level} {step} ({kind_it}) dovuto dal {due}",
        "episode_count": "{kind_it} n. {number} dell'episodio {episode}",
        "overdue": "{item} scaduta da {days} giorni",
        "claiming": "importo richiesto {amount} (partite: {count})",
        "not_claimed": "non richieste (non ancora scadute o in attesa di accredito): {items}",
        "no_dispute": "nessuna contestazione",
        "via": "tramite {channel}",
        "minimum": "saldo aperto {balance} ≥ minimo {minimum}",
        "hold_over": "{reason}: terminato il {until}",
        "payment_in_transit": "pagamento in transito: {days} giorni lavorativi dopo il {due}",
        "payment_sent": "il debitore ha dichiarato il {day} di aver pagato{reference}",
        "good_payer": "buon pagatore: primo sollecito {days} giorni dopo",
        "dispute_whole_case": "pratica sospesa per contestazione di {items}",
        "dispute_fresh_deadline": "contestazione risolta il {resolved}: nuova scadenza {deadline}",
        "promise": "promessa di pagamento entro il {by} (fatta il {made})",
        "promise_grace": "tolleranza dopo la promessa del {by}",
        "plan_kept": "piano di rientro del {agreed} rispettato",
        "spacing": "ultimo contatto il {last} ({step}): almeno {days} giorni tra i contatti",
        "not_business_day": "il {day} non è un giorno lavorativo",
        "calls": "limite di telefonate raggiunto",
        "conversation": "conversazione telefonica il {day}",
        "documents_missing": "in attesa dei documenti ({missing})",
        "formal_deadline": "il termine della diffida ({deadline}) non è ancora scaduto",
        "delivery_unproven": "consegna della diffida del {day} non provata",
        "paid_after_formal_notice": "{amount} pagati il {day}, dopo la diffida",
        "no_formal_notice": "nessuna diffida in questo episodio",
        "documents_requested": "il debitore ha chiesto documenti il {day}",
        "dispute_unspecified": "contestazione del {day} senza fattura indicata",
        "next_step": "prossimo passo: {step}",
        "nothing_to_claim": "nulla da richiedere ancora: {why}",
        "already_planned": "già pianificato oggi: {step}",
        "blocked": "bloccato: {why}",
        "case_closed": "pratica chiusa: {why}",
        "nothing_open": "nulla di aperto",
        "handed_over": "affidata il {day}: la pratica è all'agenzia",
        "below_minimum": "saldo aperto {balance} sotto il minimo {minimum}",
        "all_disputed": "tutte le partite aperte sono contestate",
        "ladder_complete": "sequenza completata a {step}",
        "nothing_overdue": "nulla di scaduto; prossima scadenza {due}",
        "nothing_overdue_yet": "nulla di scaduto",
        "notice_day": "preavviso dal {day}",
        "unreminded": "non ancora sollecitata: citata, non richiesta nella diffida",
        "no_channel": "{step}: nessun canale utilizzabile",
        "channels_capped": "canali al limite: {step} riprova domani",
        "failures_today": "{count} consegne fallite oggi: nuovo tentativo domani",
        "nothing_to_do": "nulla da fare",
        "restart": "nuovo episodio ripreso dal livello {level}",
        "cap_reached": "livello {level} {step} saltato: {count} solleciti in questo episodio, "
        "il massimo è {cap}",
        "not_applicable": "livello {level} {step} non applicabile: {why}",
        "optional_skipped": "livello {level} {step} saltato: nessun canale utilizzabile",
        "channel_capped": "limite di contatti raggiunto: {channels}",
        "no_payment_arrived": "nessun pagamento arrivato entro {days} giorni lavorativi dalla "
        "risposta del {day}{reference}",
        "good_payer_moved": "buon pagatore: primo sollecito {days} giorni dopo il {start}, "
        "il {until}",
        "promise_broken": "promessa di pagamento entro il {by} non mantenuta: si procede",
        "plan_broken": "piano di rientro del {agreed} non rispettato: rata di {amount} del {day} "
        "non pagata",
        "plan_notice": "piano di rientro del {agreed} rispettato: preavviso della rata di "
        "{amount} del {day}",
        "limitation": "prescrizione di {item} il {runs_out}: si procede subito",
    }
    return {code: {"it": template} for code, template in it.items()}


#: Sentences per reason code and language (``{"code": {"it": "..."}}``); extend it to add a
#: language, e.g. ``CATALOG["spacing"]["de"] = "..."``.
CATALOG: dict[str, dict[str, str]] = _catalog()

#: Italian names of the kinds of step, for ``episode_count``.
KIND_IT = {
    "notice": "preavviso",
    "reminder": "sollecito",
    "call": "telefonata",
    "formal_notice": "diffida",
    "hand_over": "affido",
}


def episode_count(kind: str, number: int, episode: int, debtor: str) -> Reason:
    """ "reminder 2 of episode 1 for C001" as data."""
    return Reason.of(
        "episode_count",
        f"{kind} {number} of episode {episode} for {debtor}",
        kind=kind,
        kind_it=KIND_IT.get(kind, kind),
        number=number,
        episode=episode,
        debtor=debtor,
    )
