"""SMS texts per step: in the debtor's language, within the step's budget of segments, in
GSM-7 where the text allows, never for a formal notice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dunning
from dunning import (
    Creditor,
    DataError,
    Debtor,
    Event,
    Invoice,
    Money,
    PolicyError,
    Portfolio,
    Step,
    gsm,
    pec,
    sms,
)
from dunning.payment import parse_reference
from dunning.policies import italy
from dunning.render import LANGUAGES, Templates
from dunning.sms_text import BUDGETS, SMS_KINDS, default_sender, render_sms
from test_render import CREDITOR, LOCALES, PRESETS, _cases, _date, _money, _year


def _plain(text: str) -> str:
    """``text`` as the SMS writes it: transliterated, Spanish without acute accents."""
    if not text:
        return text
    return gsm.transliterate(text).translate(str.maketrans("áíóúÁÍÓÚ", "aiouAIOU"))


@pytest.mark.parametrize(("preset", "kind", "language"), _cases())
def test_every_sms_step_fits_its_budget_and_says_who_what_and_how_to_pay(
    preset: str, kind: str, language: str
) -> None:
    pf, policy, (timeline, events) = _year(preset, kind, language)
    texts = 0
    for planned in timeline:
        if planned.kind not in SMS_KINDS or planned.step == "validation_notice":
            continue
        action = attrs.evolve(planned, channel="sms")
        before: list[Event] = [e for e in events if e.date < action.date]
        text = render_sms(action, pf, policy, before)
        where = f"{preset}/{kind}/{language} {action.step}: {text.text}"
        texts += 1
        assert text.segments <= BUDGETS[action.kind], where
        assert text.encoding == gsm.encoding_of(text.text), where
        assert text.segments == gsm.segments(text.text).count, where
        assert text.encoding == "GSM-7", where  # every shipped text transliterates into GSM-7
        assert text.to == pf.debtor("D1").phone
        assert text.sender == "Tipografia"
        assert text.key == action.key
        assert text.language == language
        # who writes, how much, and the reference to pay with
        assert "Tipografia" in text.text, where
        assert _plain(_money(action.amount, language)) in text.text, where
        if action.kind != "hand_over":
            rf = parse_reference(text.text)
            assert rf is not None, where
            assert (rf.debtor_id, rf.currency) == ("D1", action.currency), where
        if action.kind == "reminder" and action.deadline is not None:
            assert _plain(_date(action.deadline, language)) in text.text, where
        # nothing personal beyond what is needed: no name, no address, no contact person
        for private in ("Officina Rossi", "Paolo Rossi", "Via Indipendenza"):
            assert private not in text.text, where
        if PRESETS[preset][1] == "US":
            assert "STOP" in text.text, where  # 12 CFR 1006.6(e): a simple way to opt out
    assert texts >= 2


def test_no_sms_for_a_formal_notice() -> None:
    pf, policy, (timeline, events) = _year("italy", "business", "it")
    formal = next(a for a in timeline if a.kind == "formal_notice")
    before = [e for e in events if e.date < formal.date]
    with pytest.raises(PolicyError, match="no SMS for a formal notice"):
        render_sms(attrs.evolve(formal, channel="sms"), pf, policy, before)
    call = next(a for a in timeline if a.kind == "call")
    with pytest.raises(PolicyError, match="not sent as an SMS"):
        render_sms(call, pf, policy, before)
    # and a policy cannot even say so
    with pytest.raises(PolicyError, match="no SMS for a formal notice"):
        Step("diffida", "formal_notice", via=pec | sms)
    with pytest.raises(PolicyError, match="no SMS for a formal notice"):
        Step("diffida", "formal_notice", via=sms)


def test_a_us_validation_notice_is_never_an_sms() -> None:
    pf, policy, (timeline, _events) = _year("us_collector", "consumer", "en")
    notice = next(a for a in timeline if a.step == "validation_notice")
    with pytest.raises(PolicyError, match="validation notice"):
        render_sms(attrs.evolve(notice, channel="sms"), pf, policy, [])


def test_over_budget_drops_optional_parts_then_says_which_step_and_how_many(
    tmp_path: Path,
) -> None:
    pf, policy, (timeline, events) = _year("italy", "consumer", "it")
    reminder = attrs.evolve(next(a for a in timeline if a.kind == "reminder"), channel="sms")
    before = [e for e in events if e.date < reminder.date]
    full = render_sms(reminder, pf, policy, before)
    assert "IBAN" in full.text
    assert full.segments == 2
    short = render_sms(reminder, pf, policy, before, budgets={reminder.step: 1})
    assert short.segments == 1
    assert "IBAN" not in short.text  # the optional parts went
    assert short.text.startswith("Tipografia: ")  # the sender id stands for the name
    assert parse_reference(short.text) is not None  # the reference never goes
    (tmp_path / "it" / "sms").mkdir(parents=True)
    (tmp_path / "it" / "sms" / "reminder.txt").write_text("{{ name }}: " + "x" * 400)
    with pytest.raises(PolicyError, match=rf"step '{reminder.step}'.* 3 segment\(s\).*budget of 2"):
        render_sms(reminder, pf, policy, before, templates=Templates(tmp_path))
    with pytest.raises(PolicyError, match="budget"):
        render_sms(reminder, pf, policy, before, budgets={"reminder": 0})


def test_text_is_transliterated_to_stay_in_gsm7() -> None:
    pf, policy, (timeline, _events) = _year("italy", "consumer", "it")
    creditor = attrs.evolve(CREDITOR, name="L’Òfficina È Bella S.r.l.", sms_sender="Officina")
    shop = Portfolio(creditor, pf.debtors, pf.invoices)
    notice = attrs.evolve(next(a for a in timeline if a.kind == "notice"), channel="sms")
    text = render_sms(notice, shop, policy, [])
    assert text.encoding == "GSM-7"
    assert "L'O'fficina E' Bella" in text.text
    assert text.sender == "Officina"


def test_the_sender_id_is_checked_and_made_from_the_name() -> None:
    with pytest.raises(DataError, match=r"sms_sender.*at most 11 characters"):
        Creditor("Tipografia Emiliana S.r.l.", sms_sender="TipografiaEmiliana")
    with pytest.raises(DataError, match=r"sms_sender.*letter"):
        Creditor("Tipografia Emiliana S.r.l.", sms_sender="0516345128")
    with pytest.raises(DataError, match="sms_sender"):
        Creditor("Tipografia Emiliana S.r.l.", sms_sender="Tipografia€")
    assert Creditor("X", sms_sender="TipoEmil").sms_sender == "TipoEmil"
    assert default_sender("Tipografia Emiliana S.r.l.") == "Tipografia"
    assert default_sender("Ötzi & Söhne GmbH") == "Otzi Sohne"
    assert default_sender("ABCDEFGHIJKLMNOP") == "ABCDEFGHIJK"
    assert default_sender("株式会社") == "Info"


_NAMES = st.text(
    alphabet=st.sampled_from(list("abcdefgh XYZ.&'’ÈÀÒéèàÿçœ-–…“”🙂株")), min_size=1, max_size=60
).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    language=st.sampled_from(LANGUAGES),
    debtor_name=_NAMES,
    creditor_name=_NAMES,
    cents=st.integers(min_value=1, max_value=99_999_999_999),
    kind=st.sampled_from(["business", "consumer"]),
    when=st.sampled_from([date(2026, 3, 26), date(2026, 4, 13), date(2026, 4, 28)]),
)
def test_property_any_sms_stays_within_budget_and_its_encoding_is_gsm_s(
    language: str, debtor_name: str, creditor_name: str, cents: int, kind: str, when: date
) -> None:
    creditor = attrs.evolve(CREDITOR, name=creditor_name)
    debtor = Debtor(
        "D1", f"Qqq {debtor_name}", kind=kind, locale=LOCALES[language], phone="+393471234567"
    )
    amount = Money(Decimal(cents) / 100, "EUR")
    bill = Invoice.single("F1", "D1", date(2026, 3, 2), date(2026, 3, 31), amount)
    pf = Portfolio(creditor, [debtor], [bill])
    policy = italy.stragiudiziale()
    history = list(dunning.simulate(pf, policy, date(2026, 3, 1), when - date.resolution).events)
    for action in dunning.plan(pf, policy, when, history):
        if action.kind not in SMS_KINDS:
            continue
        text = render_sms(attrs.evolve(action, channel="sms"), pf, policy, history)
        assert text.segments <= BUDGETS[action.kind]
        assert text.encoding == gsm.encoding_of(text.text)
        assert text.segments == gsm.segments(text.text).count
        assert "Qqq" not in text.text  # the debtor's name is not needed, so not written
        assert parse_reference(text.text) is not None
