"""Messages as the debtor reads them: every step of every preset, in every shipped language,
carries what the law and good practice require, with babel's figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from babel.dates import format_date
from babel.numbers import format_currency

import dunning
from dunning import (
    Creditor,
    Debtor,
    Event,
    Invoice,
    Money,
    OpenItem,
    PolicyError,
    Portfolio,
    PostalAddress,
)
from dunning.legal_text import cite, law_for
from dunning.payment import parse_reference
from dunning.policies import de, es, eu, fr, italy, uk, us
from dunning.policy import PolicyLike
from dunning.render import LANGUAGES, Templates, render
from dunning.statement import statement_for

LOCALES = {"it": "it_IT", "en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}

#: Words a formal notice would use to say that it interrupts limitation, per language: never
#: written where the debtor's law says a demand does not.
INTERRUPTS = {
    "it": ("interrutt", "interromp", "prescrizione"),
    "en": ("interrupt", "limitation"),
    "de": ("unterbr", "verjährung"),
    "fr": ("interromp", "prescription"),
    "es": ("interrump", "prescripción"),
}

#: The provisions a formal notice cites, by the debtor's country: (default, interruption).
FORMAL = {
    "IT": (("it-cc", "1219"), ("it-cc", "2943")),
    "ES": (("es-cc", "1100"), ("es-cc", "1973")),
    "DE": (("de-bgb", "286 Abs. 1"), None),
    "FR": (("fr-cc", "1344"), None),
    "AT": (("at-abgb", "1334"), None),
    "GB": (None, None),
    "US": (None, None),
}

#: preset -> (factory, country, currency, debtor kinds)
PRESETS: dict[str, tuple[Callable[[], PolicyLike], str, str, tuple[str, ...]]] = {
    "italy": (italy.stragiudiziale, "IT", "EUR", ("business", "consumer", "public_admin")),
    "eu": (lambda: eu.directive_2011_7(country="AT"), "AT", "EUR", ("business", "consumer")),
    "de": (de.mahnwesen, "DE", "EUR", ("business", "consumer")),
    "fr": (fr.recouvrement_amiable, "FR", "EUR", ("business", "consumer")),
    "es": (es.reclamacion_extrajudicial, "ES", "EUR", ("business", "consumer")),
    "uk": (uk.late_payment, "GB", "GBP", ("business", "consumer")),
    "us": (us.regulation_f, "US", "USD", ("consumer",)),
    "us_collector": (lambda: us.regulation_f(collector=True), "US", "USD", ("consumer",)),
}

CREDITOR = Creditor(
    "Tipografia Emiliana S.r.l.",
    vat_number="IT03287650372",
    address=PostalAddress(["Via del Lavoro 14"], "40127", "Bologna", "BO", "IT"),
    iban="IT60X0542811101000000123456",
    email="amministrazione@tipografiaemiliana.example",
    phone="+390516345128",
    signatory="Giulia Marchetti",
)


def _year(preset: str, kind: str, language: str) -> tuple[Portfolio, PolicyLike, list]:
    factory, country, currency, _ = PRESETS[preset]
    debtor = Debtor(
        "D1",
        "Officina Rossi S.n.c.",
        kind=kind,
        country=country,
        locale=LOCALES[language],
        timezone="America/New_York" if country == "US" else None,
        email="amministrazione@rossi.example",
        pec="rossi@pec.example" if country == "IT" else None,
        phone="+390511234567" if country == "IT" else "+12025550123",
        contact_person="Paolo Rossi",
        address=PostalAddress(["Via Indipendenza 3"], "40121", "Bologna", "BO", country),
    )
    bills = [
        Invoice.single("F1", "D1", date(2026, 3, 2), date(2026, 3, 31), Money("1500.00", currency)),
        Invoice(
            "F2",
            "D1",
            date(2026, 4, 1),
            [
                OpenItem(date(2026, 4, 30), Money("400.00", currency)),
                OpenItem(date(2026, 12, 31), Money("400.00", currency)),
            ],
        ),
    ]
    pf = Portfolio(CREDITOR, [debtor], bills)
    policy = factory()
    timeline = dunning.simulate(pf, policy, date(2026, 3, 1), date(2026, 12, 15))
    return pf, policy, [timeline, list(timeline.events)]


def _cases() -> list[tuple[str, str, str]]:
    return [
        (preset, kind, language)
        for preset, (*_, kinds) in PRESETS.items()
        for kind in kinds
        for language in LANGUAGES
    ]


def _money(value: Money, language: str) -> str:
    return str(format_currency(value.amount, value.currency, locale=LOCALES[language]))


def _date(value: date, language: str) -> str:
    text = str(format_date(value, "long", locale=LOCALES[language]))
    if language in ("it", "fr") and value.day == 1:
        # Italian and French write the first of the month as an ordinal: "1º", "1er"
        text = text.replace("1 ", {"it": "1º ", "fr": "1er "}[language], 1)
    return text


@pytest.mark.parametrize(("preset", "kind", "language"), _cases())
def test_every_step_says_what_the_law_and_good_practice_require(
    preset: str, kind: str, language: str
) -> None:
    pf, policy, (timeline, events) = _year(preset, kind, language)
    rendered = 0
    for action in timeline:
        if action.kind == "call":
            continue
        before: list[Event] = [
            e for e in events if e.date < action.date or getattr(e, "key", None) == "-"
        ]
        message = render(action, pf, policy, before)
        text = message.text
        where = f"{preset}/{kind}/{language} {action.step}"
        rendered += 1
        # the creditor: legal name, VAT number, address, contact, how to pay
        for required in (
            CREDITOR.name,
            "IT03287650372",
            "Via del Lavoro 14",
            "amministrazione@tipografiaemiliana.example",
            "IT60X0542811101000000123456",
            "Paolo Rossi",
        ):
            assert required in text, (where, required)
        # each claimed item: number, date, due date, amount, open amount, as babel writes them
        case = pf.case("D1", action.date, before)
        items = {i.key: i for i in case.items}
        account = statement_for(pf, policy, "D1", action.date, before)
        principal = {line.key: line.principal_open for line in account.lines}
        for key in action.items:
            item = items[key]
            for required in (
                item.invoice_id,
                _date(item.issue_date, language),
                _date(item.due_date, language),
                _money(item.amount, language),
                _money(principal[key], language),  # as the policy's allocation imputes
            ):
                assert required in text, (where, key, required)
        # how to pay: the case's structured creditor reference, for the bank statement
        rf = parse_reference(text)
        assert rf is not None, where
        assert (rf.debtor_id, rf.currency) == ("D1", action.currency), where
        if action.kind == "notice":
            continue
        # the total, the deadline, the reminders so far
        owed = sum((principal[k] for k in action.items), action.amount * 0)
        assert _money(owed, language) in text, where
        if action.step == "validation_notice":
            # 12 CFR § 1006.34(c): the validation period's end and how to dispute
            end = us.validation_period_end(action.date)
            assert _date(end, language) in text, where
            assert "cfpb.gov" in text, where
            continue
        if action.kind == "hand_over":
            continue
        assert action.deadline is not None
        assert _date(action.deadline, language) in text, where
        if case.episode.reminders:
            assert str(case.episode.reminders) in message.subject + text, where
        # items coming due are listed apart, never in the amount claimed
        deadline_at = text.index(_date(action.deadline, language))
        for key in action.upcoming:
            assert text.rindex(_date(items[key].due_date, language)) > deadline_at, where
        # the late-payment statute whose figures the statement applies
        law = law_for(PRESETS[preset][1], language, account.regime)
        charged = [
            line
            for line in account.open_lines
            if line.key in action.items
            and (line.interest_due.is_positive or line.compensation_due.is_positive)
        ]
        if charged and law.late_payment:
            assert law.late_payment in text, (where, law.late_payment)
        if action.kind == "formal_notice":
            # the legal wording of the debtor's jurisdiction, whatever the language
            default, interrupts = FORMAL[PRESETS[preset][1]]
            if default is not None:
                assert cite(default, language) in text, (where, default)
            if interrupts is not None:
                assert cite(interrupts, language) in text, (where, interrupts)
            else:  # never say that the demand interrupts limitation where it does not
                for word in INTERRUPTS[language]:
                    assert word not in text.lower(), (where, word)
        # the HTML part: paragraphs, the subject in bold, the invoices claimed as a list
        assert message.html.count("<p ") >= 5, where
        assert f"{message.subject}</strong>" in message.html.replace("&amp;", "&"), where
        if action.kind != "notice":
            items = message.html.count('<li style="margin-bottom: 4px;">')
            assert items >= len(action.items), where
    assert rendered >= 2


def test_a_reminder_never_announces_a_step_the_policy_will_not_take() -> None:
    # A balance under the hand-over threshold: the formal notice must not announce a hand-over.
    pf, policy, (_timeline, _events) = _year("italy", "business", "it")
    small = Portfolio(
        CREDITOR,
        pf.debtors,
        [Invoice.single("F9", "D1", date(2026, 3, 2), date(2026, 3, 31), Money("60.00", "EUR"))],
    )
    tl = dunning.simulate(small, policy, date(2026, 3, 1), date(2026, 12, 15))
    formal = [a for a in tl if a.kind == "formal_notice"]
    assert formal
    before = [e for e in tl.events if e.date < formal[0].date]
    text = render(formal[0], small, policy, before).text
    assert "affideremo" not in text  # 60 EUR is under handover_min: no hand-over follows
    assert "ci riserviamo di tutelare i nostri diritti" in text


def test_html_escapes_what_it_is_given_and_user_templates_are_sandboxed(tmp_path) -> None:
    pf, policy, (timeline, events) = _year("italy", "business", "it")
    evil = Debtor("D1", "<script>alert(1)</script>", email="a@example.com", contact_person="X")
    pf2 = Portfolio(CREDITOR, [evil], pf.invoices)
    action = next(a for a in timeline if a.kind == "reminder")
    before = [e for e in events if e.date < action.date]
    message = render(action, pf2, policy, before)
    assert "<script>" in message.text
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert '<html lang="it">' in message.html
    (tmp_path / "it").mkdir()
    (tmp_path / "it" / "reminder.txt").write_text("{{ creditor.__class__.__mro__ }}")
    with pytest.raises(Exception, match=r"unsafe|not safely|__class__|attribute"):
        render(action, pf, policy, before, templates=Templates(tmp_path))
    (tmp_path / "it" / "reminder.txt").write_text(
        "{% set subject %}Mio oggetto{% endset %}Caro {{ debtor.name }}: {{ amount }}"
    )
    mine = render(action, pf, policy, before, templates=Templates(tmp_path))
    assert mine.subject == "Mio oggetto"
    assert mine.text.startswith("Caro Officina Rossi S.n.c.: ")


def test_a_call_is_not_a_message() -> None:
    pf, policy, (timeline, events) = _year("italy", "business", "it")
    call = next(a for a in timeline if a.kind == "call")
    with pytest.raises(PolicyError, match="a call is a task for a person"):
        render(call, pf, policy, [e for e in events if e.date < call.date])


def test_an_installed_template_package_overrides_the_shipped_wording(tmp_path) -> None:
    """A package installed for real (a .dist-info with an entry point in the group
    dunning.templates, found by importlib.metadata on sys.path) replaces one template; a
    folder still wins over it, and packages=False ignores it."""
    import sys

    from dunning.render import _environment

    package = tmp_path / "acme_dunning_templates"
    (package / "templates" / "it").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "templates" / "it" / "reminder.txt").write_text(
        "{% set subject %}Acme{% endset %}Acme ricorda: {{ amount }}"
    )
    info = tmp_path / "acme_dunning_templates-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-dunning-templates\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text("[dunning.templates]\nacme = acme_dunning_templates\n")
    pf, policy, (timeline, events) = _year("italy", "business", "it")
    action = next(a for a in timeline if a.kind == "reminder")
    before = [e for e in events if e.date < action.date]
    sys.path.insert(0, str(tmp_path))
    _environment.cache_clear()
    try:
        packaged = render(action, pf, policy, before)
        assert packaged.subject == "Acme"
        assert packaged.text.startswith("Acme ricorda: ")
        # the other kinds still come from the shipped templates
        notice = next(a for a in timeline if a.kind == "formal_notice")
        assert (
            "1219" in render(notice, pf, policy, [e for e in events if e.date < notice.date]).text
        )
        shipped = render(action, pf, policy, before, templates=Templates(packages=False))
        assert shipped.subject != "Acme"
        folder = tmp_path / "mine"
        (folder / "it").mkdir(parents=True)
        (folder / "it" / "reminder.txt").write_text("{% set subject %}Mio{% endset %}Mio")
        assert render(action, pf, policy, before, templates=Templates(folder)).subject == "Mio"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("acme_dunning_templates", None)
        _environment.cache_clear()
    assert render(action, pf, policy, before).subject != "Acme"
    with pytest.raises(PolicyError, match="no template folder"):
        render(action, pf, policy, before, templates=Templates(tmp_path / "nope"))


LOCALES = {"it": "it_IT", "en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}


@pytest.mark.parametrize("language", ["it", "en", "de", "fr", "es"])
def test_without_a_signatory_the_creditor_signs_once(language: str) -> None:
    import dunning
    from dunning.policies import italy
    from dunning.render import render as render_message

    portfolio = dunning.Portfolio(
        dunning.Creditor("Tipografia Emiliana S.r.l.", vat_number="IT03287650372"),
        [dunning.Debtor("C001", "Osteria del Portico S.n.c.", email="a@osteria.example",
                        locale=LOCALES[language])],
        [dunning.Invoice.single("2026/0001", "C001", date(2026, 3, 2), date(2026, 3, 31),
                                dunning.Money("1220.00", "EUR"))],
    )  # fmt: skip
    policy = italy.stragiudiziale()
    action = dunning.plan(portfolio, policy, date(2026, 5, 4), []).actions[0]
    text = render_message(action, portfolio, policy, []).text
    *_, before, last = text.rstrip().splitlines()
    assert last == "Tipografia Emiliana S.r.l."
    assert before != last  # signed once, not "name" over "name"


PHONE = {
    "it": ": tel. +39",
    "en": ": phone +39",
    "de": ": Telefon +39",
    "fr": " : tél. +39",
    "es": ": tel. +39",
}


@pytest.mark.parametrize("language", ["it", "en", "de", "fr", "es"])
def test_without_an_email_address_the_other_contacts_follow_the_colon(language: str) -> None:
    import dunning
    from dunning.policies import italy
    from dunning.render import render as render_message

    portfolio = dunning.Portfolio(
        dunning.Creditor("Tipografia Emiliana S.r.l.", vat_number="IT03287650372",
                         phone="+390516345128"),
        [dunning.Debtor("C001", "Osteria del Portico S.n.c.", email="a@osteria.example",
                        locale=LOCALES[language])],
        [dunning.Invoice.single("2026/0001", "C001", date(2026, 3, 2), date(2026, 3, 31),
                                dunning.Money("1220.00", "EUR"))],
    )  # fmt: skip
    policy = italy.stragiudiziale()
    action = dunning.plan(portfolio, policy, date(2026, 5, 4), []).actions[0]
    text = render_message(action, portfolio, policy, []).text
    assert (
        PHONE[language] + "0516345128." in text
    )  # "ci contatti: tel. ...", not "ci contatti, tel."
