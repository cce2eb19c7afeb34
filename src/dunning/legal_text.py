"""The legal sentences of a message, by jurisdiction, not by language.

What a formal notice does in law depends on the country whose law governs the debt, not on
the language the debtor reads: an Italian *messa in mora* read in English still puts the
debtor in default under art. 1219 c.c. and still interrupts limitation under art. 2943 c.c.,
while an English letter before action under English law does neither. `law_for` gives the
templates (as ``law`` in their context) the provisions that apply, each cited in the
debtor's language:

- ``default``: the provision under which a written demand puts the debtor in default
  (empty where the law has no such act: England and Wales, the US);
- ``interrupts``: the provision under which a written demand received by the debtor
  **interrupts limitation** — only Italy and Spain. Everywhere else it is empty and the
  letter says nothing about limitation: it never says something false;
- ``late_payment``: the statute whose interest and compensation the statement of account
  applies (from the interest regime the figures were computed with);
- ``compensation``: the provision of the fixed compensation for recovery costs.

Sources (checked against ``shared/LEGAL.md`` where it covers them):

- Italy: art. 1219 c.c. (default by written demand, *intimazione o richiesta fatta per
  iscritto*); art. 2943 co. 4 c.c. (limitation interrupted by any act that puts the debtor in
  default; a new period starts, art. 2945); D.Lgs. 231/2002 art. 5 (interest) and art. 6
  (EUR 40 compensation); art. 1284 c.c. (legal interest, consumers).
- Germany: § 286 Abs. 1 BGB (*Verzug* by a *Mahnung* after the due date); a *Mahnung* neither
  interrupts nor suspends *Verjährung*: only §§ 203, 204 BGB (negotiations, court action,
  *Mahnbescheid*) suspend it and § 212 BGB (acknowledgment) restarts it; § 288 BGB (interest;
  Abs. 5: EUR 40 *Pauschale*).
- Austria: § 1334 ABGB (default after a judicial or extrajudicial *Einmahnung* where no
  payment date is fixed; RIS, current version since 16 March 2013 —
  the issue named § 1333 ABGB, which sets the interest, not the default: *verify*);
  § 1497 ABGB (limitation interrupted only by acknowledgment or court action); § 456 UGB
  (B2B interest), § 458 UGB (EUR 40).
- France: art. 1344 C. civ. (*mise en demeure* by a *sommation* or an act of sufficient
  *interpellation*); a *mise en demeure* does not interrupt *prescription* (arts. 2240–2246
  C. civ.: acknowledgment, court action, enforcement measures only); art. L441-10 C. com.
  (interest and the EUR 40 *indemnité forfaitaire*, amount in art. D441-5).
- Spain: art. 1100 CC (*mora* from the judicial or extrajudicial demand); art. 1973 CC
  (*prescripción* interrupted by *reclamación extrajudicial del acreedor*); Ley 3/2004 (art. 7
  interest, art. 8 EUR 40).
- United Kingdom: no act puts a debtor "in default"; a demand does not stop time — only an
  acknowledgment or a part payment restarts it (Limitation Act 1980 s. 29(5)); Late Payment of
  Commercial Debts (Interest) Act 1998 (s. 5A: fixed sums).
- United States: no general rule; limitation is state law and a collector must not suggest
  otherwise (12 CFR 1006.26).
- Other EU member states: Directive 2011/7/EU (art. 3–4 interest, art. 6 EUR 40); nothing said
  about default or limitation, whose rules are national.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

__all__ = ["JURISDICTIONS", "Jurisdiction", "Law", "cite", "law_for"]

#: How each code is named in each language: ``{a}`` is the article or paragraph number. A
#: provision of a code has no leading article or preposition, so a template writes "ai sensi
#: dell'", "under ", "gemäß ", "en application de l'", "conforme al " before it; a statute
#: (``it-231``, ``es-3-2004``, ``uk-1998``, ``eu-2011-7``) is a name, which templates put in
#: parentheses.
_CODES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "it-cc": {
            "it": "art. {a} del codice civile",
            "en": "art. {a} of the Italian Civil Code",
            "de": "Art. {a} des italienischen Zivilgesetzbuchs (Codice civile)",
            "fr": "article {a} du Code civil italien",
            "es": "artículo {a} del Código Civil italiano",
        },
        "de-bgb": {
            "it": "§ {a} del codice civile tedesco (BGB)",
            "en": "§ {a} of the German Civil Code (BGB)",
            "de": "§ {a} BGB",
            "fr": "§ {a} du Code civil allemand (BGB)",
            "es": "§ {a} del Código Civil alemán (BGB)",
        },
        "at-abgb": {
            "it": "§ {a} del codice civile austriaco (ABGB)",
            "en": "§ {a} of the Austrian Civil Code (ABGB)",
            "de": "§ {a} ABGB",
            "fr": "§ {a} du Code civil autrichien (ABGB)",
            "es": "§ {a} del Código Civil austriaco (ABGB)",
        },
        "at-ugb": {
            "it": "§ {a} del codice delle imprese austriaco (UGB)",
            "en": "§ {a} of the Austrian Business Code (UGB)",
            "de": "§ {a} UGB",
            "fr": "§ {a} du Code des entreprises autrichien (UGB)",
            "es": "§ {a} del Código de Empresa austriaco (UGB)",
        },
        "fr-cc": {
            "it": "art. {a} del codice civile francese",
            "en": "art. {a} of the French Civil Code",
            "de": "Art. {a} des französischen Code civil",
            "fr": "article {a} du Code civil",
            "es": "artículo {a} del Código Civil francés",
        },
        "fr-ccom": {
            "it": "art. {a} del codice di commercio francese",
            "en": "art. {a} of the French Commercial Code",
            "de": "Art. {a} des französischen Code de commerce",
            "fr": "article {a} du Code de commerce",
            "es": "artículo {a} del Código de Comercio francés",
        },
        "es-cc": {
            "it": "art. {a} del codice civile spagnolo",
            "en": "art. {a} of the Spanish Civil Code",
            "de": "Art. {a} des spanischen Código Civil",
            "fr": "article {a} du Code civil espagnol",
            "es": "artículo {a} del Código Civil",
        },
        "it-231": {
            "it": "D.Lgs. 231/2002",
            "en": "Italian Legislative Decree 231/2002",
            "de": "ital. Gesetzesdekret 231/2002",
            "fr": "décret législatif italien 231/2002",
            "es": "Decreto Legislativo italiano 231/2002",
        },
        "es-3-2004": {
            "it": "Ley 3/2004 spagnola",
            "en": "Spanish Ley 3/2004",
            "de": "span. Ley 3/2004",
            "fr": "loi espagnole 3/2004",
            "es": "Ley 3/2004",
        },
        "uk-1998": {
            "it": "Late Payment of Commercial Debts (Interest) Act 1998 britannico",
            "en": "Late Payment of Commercial Debts (Interest) Act 1998",
            "de": "brit. Late Payment of Commercial Debts (Interest) Act 1998",
            "fr": "Late Payment of Commercial Debts (Interest) Act 1998 britannique",
            "es": "Late Payment of Commercial Debts (Interest) Act 1998 británica",
        },
        "it-231-art": {
            "it": "art. {a} D.Lgs. 231/2002",
            "en": "art. {a} of Italian Legislative Decree 231/2002",
            "de": "Art. {a} ital. Gesetzesdekret 231/2002",
            "fr": "article {a} du décret législatif italien 231/2002",
            "es": "artículo {a} del Decreto Legislativo italiano 231/2002",
        },
        "es-3-2004-art": {
            "it": "art. {a} della Ley 3/2004 spagnola",
            "en": "art. {a} of the Spanish Ley 3/2004",
            "de": "Art. {a} span. Ley 3/2004",
            "fr": "article {a} de la loi espagnole 3/2004",
            "es": "artículo {a} de la Ley 3/2004",
        },
        "uk-1998-s": {
            "it": "sez. {a} del Late Payment of Commercial Debts (Interest) Act 1998 britannico",
            "en": "s. {a} of the Late Payment of Commercial Debts (Interest) Act 1998",
            "de": "s. {a} brit. Late Payment of Commercial Debts (Interest) Act 1998",
            "fr": "section {a} du Late Payment of Commercial Debts (Interest) Act 1998 britannique",
            "es": (
                "sección {a} de la Late Payment of Commercial Debts (Interest) Act 1998 británica"
            ),
        },
        "eu-2011-7-art": {
            "it": "art. {a} della Direttiva 2011/7/UE",
            "en": "art. {a} of Directive 2011/7/EU",
            "de": "Art. {a} Richtlinie 2011/7/EU",
            "fr": "article {a} de la directive 2011/7/UE",
            "es": "artículo {a} de la Directiva 2011/7/UE",
        },
        "eu-2011-7": {
            "it": "Direttiva 2011/7/UE",
            "en": "Directive 2011/7/EU",
            "de": "Richtlinie 2011/7/EU",
            "fr": "directive 2011/7/UE",
            "es": "Directiva 2011/7/UE",
        },
    }
)

#: A provision: (code, article), cited in a language with `cite`.
Provision = tuple[str, str]


def cite(provision: Provision | None, language: str) -> str:
    """``provision`` (a code key and an article) as the debtor's ``language`` writes it; an
    empty string for None. A language without a name for the code gets the English one.

    >>> cite(("it-cc", "1219"), "en")
    'art. 1219 of the Italian Civil Code'
    >>> cite(("de-bgb", "286 Abs. 1"), "de")
    '§ 286 Abs. 1 BGB'
    >>> cite(("es-cc", "1973"), "fr")
    'article 1973 du Code civil espagnol'
    """
    if provision is None:
        return ""
    code, article = provision
    names = _CODES[code]
    return names.get(language, names["en"]).format(a=article)


@attrs.frozen
class Jurisdiction:
    """What a country's law says about a written demand for payment (see the module
    docstring for the sources). ``interrupts`` is None where a demand does not interrupt
    limitation; ``late_payment`` is the commercial late-payment statute."""

    country: str
    default: Provision | None
    interrupts: Provision | None
    late_payment: Provision | None
    compensation: Provision | None


#: The jurisdictions the presets cover, by ISO 3166 code.
JURISDICTIONS: Mapping[str, Jurisdiction] = MappingProxyType(
    {
        j.country: j
        for j in (
            Jurisdiction(
                "IT",
                default=("it-cc", "1219"),
                interrupts=("it-cc", "2943"),
                late_payment=("it-231", ""),
                compensation=("it-231-art", "6"),
            ),
            Jurisdiction(
                "DE",
                default=("de-bgb", "286 Abs. 1"),
                interrupts=None,  # a Mahnung neither interrupts nor suspends: §§ 203, 204 BGB
                late_payment=("de-bgb", "288"),
                compensation=("de-bgb", "288 Abs. 5"),
            ),
            Jurisdiction(
                "AT",
                default=("at-abgb", "1334"),  # verify: the issue said § 1333 ABGB
                interrupts=None,  # § 1497 ABGB: acknowledgment or court action only
                late_payment=("at-ugb", "456"),
                compensation=("at-ugb", "458"),
            ),
            Jurisdiction(
                "FR",
                default=("fr-cc", "1344"),
                interrupts=None,  # arts. 2240-2246 C. civ.: no interruption by mise en demeure
                late_payment=("fr-ccom", "L441-10"),
                compensation=("fr-ccom", "L441-10"),
            ),
            Jurisdiction(
                "ES",
                default=("es-cc", "1100"),
                interrupts=("es-cc", "1973"),
                late_payment=("es-3-2004", ""),
                compensation=("es-3-2004-art", "8"),
            ),
            Jurisdiction(
                "GB",
                default=None,
                interrupts=None,  # Limitation Act 1980 s. 29(5): acknowledgment or part payment
                late_payment=("uk-1998", ""),
                compensation=("uk-1998-s", "5A"),
            ),
            Jurisdiction("US", default=None, interrupts=None, late_payment=None, compensation=None),
        )
    }
)

#: An EU member state (or any other country) without an entry: nothing said about default or
#: limitation, the Directive named for the figures.
_ELSEWHERE = Jurisdiction(
    "",
    default=None,
    interrupts=None,
    late_payment=("eu-2011-7", ""),
    compensation=("eu-2011-7-art", "6"),
)

#: The statute each built-in interest regime applies: the letter names the law its figures
#: follow (the generic EU regime's rate is the Directive's, even for an Austrian debtor).
_REGIME_STATUTES: Mapping[str, tuple[Provision, Provision | None]] = MappingProxyType(
    {
        "it-231": (("it-231", ""), ("it-231-art", "6")),
        "it-legal": (("it-cc", "1284"), None),
        "de-288": (("de-bgb", "288"), ("de-bgb", "288 Abs. 5")),
        "fr-l441-10": (("fr-ccom", "L441-10"), ("fr-ccom", "L441-10")),
        "es-3-2004": (("es-3-2004", ""), ("es-3-2004-art", "8")),
        "uk-1998": (("uk-1998", ""), ("uk-1998-s", "5A")),
        "eu-2011-7": (("eu-2011-7", ""), ("eu-2011-7-art", "6")),
    }
)


@attrs.frozen
class Law:
    """The legal wording for one message, cited in its language (``law`` in a template's
    context). Empty strings where the law has nothing to say."""

    country: str
    default: str
    interrupts: str
    late_payment: str
    compensation: str


def law_for(country: str, language: str, regime: str | None = None) -> Law:
    """The provisions for a debtor in ``country`` (ISO 3166), cited in ``language``, with
    the statute of the interest ``regime`` the statement of account applied (its key).

    >>> law = law_for("IT", "en", "it-231")
    >>> law.default, law.interrupts
    ('art. 1219 of the Italian Civil Code', 'art. 2943 of the Italian Civil Code')
    >>> law_for("GB", "en", "uk-1998").interrupts
    ''
    >>> law_for("DE", "de", "de-288").default
    '§ 286 Abs. 1 BGB'
    """
    code = country.upper()
    if code == "UK":
        code = "GB"
    where = JURISDICTIONS.get(code, _ELSEWHERE)
    late, compensation = where.late_payment, where.compensation
    if regime and regime in _REGIME_STATUTES:
        late, compensation = _REGIME_STATUTES[regime]
    return Law(
        country=code,
        default=cite(where.default, language),
        interrupts=cite(where.interrupts, language),
        late_payment=cite(late, language),
        compensation=cite(compensation, language),
    )
