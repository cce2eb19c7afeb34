"""The legal wording follows the debtor's jurisdiction, whatever language the debtor reads."""

from __future__ import annotations

import pytest

from dunning.legal_text import JURISDICTIONS, cite, law_for
from dunning.render import LANGUAGES, render
from test_render import _year


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_italy_and_spain_say_a_demand_interrupts_limitation(language: str) -> None:
    assert law_for("IT", language).interrupts == cite(("it-cc", "2943"), language)
    assert law_for("ES", language).interrupts == cite(("es-cc", "1973"), language)
    for country in ("DE", "AT", "FR", "GB", "UK", "US", "NL", "PT"):
        assert law_for(country, language).interrupts == "", country


def test_the_provision_that_puts_the_debtor_in_default() -> None:
    expected = {
        "IT": "art. 1219 of the Italian Civil Code",
        "DE": "§ 286 Abs. 1 of the German Civil Code (BGB)",
        "AT": "§ 1334 of the Austrian Civil Code (ABGB)",
        "FR": "art. 1344 of the French Civil Code",
        "ES": "art. 1100 of the Spanish Civil Code",
        "GB": "",
        "US": "",
        "NL": "",
    }
    assert {c: law_for(c, "en").default for c in expected} == expected
    assert law_for("DE", "de").default == "§ 286 Abs. 1 BGB"
    assert law_for("FR", "fr").default == "article 1344 du Code civil"
    assert law_for("ES", "es").default == "artículo 1100 del Código Civil"
    assert law_for("IT", "it").default == "art. 1219 del codice civile"


def test_the_late_payment_statute_is_the_one_of_the_figures() -> None:
    assert law_for("IT", "it", "it-231").late_payment == "D.Lgs. 231/2002"
    assert law_for("IT", "it", "it-231").compensation == "art. 6 D.Lgs. 231/2002"
    assert law_for("IT", "it", "it-legal").late_payment == "art. 1284 del codice civile"
    assert law_for("IT", "it", "it-legal").compensation == ""
    assert law_for("DE", "de", "de-288").late_payment == "§ 288 BGB"
    assert law_for("FR", "fr", "fr-l441-10").late_payment == "article L441-10 du Code de commerce"
    assert law_for("ES", "es", "es-3-2004").late_payment == "Ley 3/2004"
    assert law_for("GB", "en", "uk-1998").late_payment == (
        "Late Payment of Commercial Debts (Interest) Act 1998"
    )
    # the generic EU preset computes the Directive's rate: its letters name the Directive
    assert law_for("AT", "de", "eu-2011-7").late_payment == "Richtlinie 2011/7/EU"
    # without a known regime, the country's own statute
    assert law_for("AT", "de").late_payment == "§ 456 UGB"
    assert law_for("NL", "en").late_payment == "Directive 2011/7/EU"
    assert set(JURISDICTIONS) == {"IT", "DE", "AT", "FR", "ES", "GB", "US"}


def test_an_italian_debtor_reading_english_is_put_in_default_under_italian_law() -> None:
    pf, policy, (timeline, events) = _year("italy", "business", "en")
    formal = next(a for a in timeline if a.kind == "formal_notice")
    text = render(formal, pf, policy, [e for e in events if e.date < formal.date]).text
    assert "notice of default under art. 1219 of the Italian Civil Code" in text
    assert (
        "interrupts the limitation period of the claim under art. 2943 of the Italian Civil Code"
        in text
    )
    assert "Italian Legislative Decree 231/2002" in text


def test_an_english_debtor_under_the_uk_preset_reads_nothing_about_limitation() -> None:
    pf, policy, (timeline, events) = _year("uk", "business", "en")
    formal = next(a for a in timeline if a.kind == "formal_notice")
    text = render(formal, pf, policy, [e for e in events if e.date < formal.date]).text
    assert "limitation" not in text.lower()
    assert "interrupt" not in text.lower()
    assert "notice of default" not in text
    assert "Late Payment of Commercial Debts (Interest) Act 1998" in text


def test_the_same_italian_debt_read_in_german_is_not_a_german_mahnung() -> None:
    pf, policy, (timeline, events) = _year("italy", "business", "de")
    formal = next(a for a in timeline if a.kind == "formal_notice")
    text = render(formal, pf, policy, [e for e in events if e.date < formal.date]).text
    assert "gemäß Art. 1219 des italienischen Zivilgesetzbuchs" in text
    assert "unterbricht zugleich die Verjährung" in text
    assert "BGB" not in text
    # and a German debtor under the German preset: § 286 BGB, nothing on Verjährung
    pf, policy, (timeline, events) = _year("de", "business", "de")
    formal = next(a for a in timeline if a.kind == "formal_notice")
    text = render(formal, pf, policy, [e for e in events if e.date < formal.date]).text
    assert "gemäß § 286 Abs. 1 BGB in Verzug" in text
    assert "Verjährung" not in text
