"""Payment identifiers: ISO 11649 creditor references and the EPC QR code payload."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from dunning import Creditor, Money
from dunning.errors import DataError
from dunning.payment import (
    EPC_MAX_BYTES,
    EPISODE_MAX,
    ParsedReference,
    creditor_reference,
    epc_qr_payload,
    format_reference,
    parse_reference,
)
from dunning.testing.strategies import money

CREDITOR = Creditor("Tipografia Emiliana S.r.l.", iban="IT60 X054 2811 1010 0000 0123 456")

ids = st.one_of(
    st.from_regex(r"[A-Z0-9]{1,14}", fullmatch=True),  # plain: carried as they are
    st.text(min_size=1, max_size=40).filter(str.strip),  # anything else: hashed
)
currencies = st.sampled_from(["EUR", "USD", "GBP", "CHF", "JPY"])
episodes = st.integers(1, EPISODE_MAX)


# --- ISO 11649 creditor references -------------------------------------------------------


def test_the_iso_11649_example_is_valid_and_printed_in_groups_of_four() -> None:
    # The example of ISO 11649 (and of the EPC's guidance on the creditor reference).
    assert iso11649.is_valid("RF18539007547034")
    assert not iso11649.is_valid("RF17539007547034")
    assert format_reference("RF18539007547034") == "RF18 5390 0754 7034"
    assert format_reference("rf18 539007547034") == "RF18 5390 0754 7034"


def test_a_plain_debtor_id_is_carried_as_it_is() -> None:
    reference = creditor_reference("C001", "EUR", 2)
    assert reference == "RF81C001EUR002"
    assert iso11649.is_valid(reference)
    assert format_reference(reference) == "RF81 C001 EUR0 02"
    assert parse_reference(reference) == ParsedReference(reference, "C001", "EUR", 2)


def test_each_episode_and_currency_of_a_case_has_its_own_reference() -> None:
    references = {
        creditor_reference(debtor, currency, episode)
        for debtor in ("C001", "C002")
        for currency in ("EUR", "USD")
        for episode in (1, 2, 10)
    }
    assert len(references) == 12
    assert creditor_reference("C001", "EUR", 1) == creditor_reference("C001", "EUR", 1)


def test_an_id_of_14_characters_is_plain_one_of_15_is_hashed() -> None:
    plain = parse_reference(creditor_reference("A" * 14, "EUR", 999))
    assert plain is not None
    assert (plain.debtor_id, plain.hashed) == ("A" * 14, False)
    assert len(plain.reference) == 4 + 14 + 3 + 3
    hashed = parse_reference(creditor_reference("A" * 15, "EUR", 999))
    assert hashed is not None
    assert (hashed.debtor_id, hashed.hashed) == (None, True)
    assert len(hashed.reference) == 25  # "RF", 2 check digits and 21 characters
    assert hashed.key.startswith("AAAAAAA")  # 7 readable characters, then the hash
    assert hashed.matches("A" * 15)
    assert not hashed.matches("A" * 16)


def test_lower_case_or_punctuation_makes_an_id_hashed_and_keeps_it_distinct() -> None:
    upper, lower = creditor_reference("C001", "EUR", 1), creditor_reference("c001", "EUR", 1)
    assert upper != lower
    parsed = parse_reference(lower)
    assert parsed is not None
    assert parsed.hashed
    assert parsed.matches("c001")
    assert not parsed.matches("C001")
    slashed = parse_reference(creditor_reference("2026/C-001", "EUR", 1))
    assert slashed is not None
    assert slashed.key.startswith("2026C00")
    # Crockford's base 32 for the hash: no I, L, O or U to misread
    assert not set(slashed.key[7:]) & set("ILOU")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", "EUR", 1), "debtor_id"),
        (("  ", "EUR", 1), "debtor_id"),
        (("C001", "eur", 1), "currency"),
        (("C001", "XYZ", 1), "currency"),
        (("C001", "EUR", 0), "episode"),
        (("C001", "EUR", EPISODE_MAX + 1), "episode"),
        (("C001", "EUR", True), "episode"),
        (("C001", "EUR", "1"), "episode"),
    ],
)
def test_a_reference_needs_an_id_a_currency_and_an_episode_number(
    args: tuple[object, object, object], field: str
) -> None:
    with pytest.raises(DataError) as caught:
        creditor_reference(*args)  # type: ignore[arg-type]
    assert (caught.value.record, caught.value.field) == ("creditor reference", field)


@pytest.mark.parametrize(
    "text",
    [
        "RF81C001EUR002",
        "rf81c001eur002",
        "RF81 C001 EUR0 02",
        "Saldo sollecito RF81 C001 EUR0 02",
        "Saldo sollecito rf81 c001 eur0 02 grazie",
        "RF81 C001 EUR0 02 2026",  # a number after it is not taken in
        "(RF81C001EUR002)",
        "RF 81 C001 EUR 002",
        "PERF RFX RF81C001EUR002/FATT 12",
        "Bonifico\nRF81 C001\nEUR0 02",  # remittance lines joined by a line feed
    ],
)
def test_a_reference_is_found_in_remittance_text(text: str) -> None:
    assert parse_reference(text) == ParsedReference("RF81C001EUR002", "C001", "EUR", 2)


def test_a_printed_reference_wins_over_a_longer_run_that_passes_the_check_by_chance() -> None:
    # Found by hypothesis: "RF88X0GBP608EUR120" passes the mod-97 check as well (one run of
    # words in 97 does) and reads as debtor X0GBP608, EUR, episode 120.
    assert iso11649.is_valid("RF88X0GBP608EUR120")
    parsed = parse_reference("RF88 X0GB P608 EUR 120,00")
    assert parsed == ParsedReference("RF88X0GBP608", "X0", "GBP", 608)
    assert parse_reference("RF88X0GBP608 EUR 120,00") == parsed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Saldo fattura 2026/0001",
        "RF18 5390 0754 7034",  # a valid reference, not made by creditor_reference
        "RF80C001EUR002",  # wrong check digits
        "XRF81C001EUR002",  # glued to a letter before it
        "RF81C001EUR002X",  # glued to a letter after it
        "RF00C001EUR000",
    ],
)
def test_nothing_is_found_where_there_is_no_reference_of_ours(text: str) -> None:
    assert parse_reference(text) is None


@given(ids, currencies, episodes)
def test_a_reference_is_valid_and_reads_back(debtor_id: str, currency: str, episode: int) -> None:
    reference = creditor_reference(debtor_id, currency, episode)
    assert iso11649.is_valid(reference)
    assert reference == iso11649.compact(reference)
    assert 5 <= len(reference) <= 25
    assert creditor_reference(debtor_id, currency, episode) == reference  # deterministic
    parsed = parse_reference(reference)
    assert parsed is not None
    assert (parsed.reference, parsed.currency, parsed.episode) == (reference, currency, episode)
    assert parsed.matches(debtor_id)
    if parsed.hashed:
        assert parsed.debtor_id is None
    else:
        assert parsed.debtor_id == debtor_id


@given(
    ids,
    currencies,
    episodes,
    st.sampled_from(["", "Saldo ", "Pag. fatt. 2026/0001 ", "BONIFICO SEPA/"]),
    st.sampled_from(["", " grazie", " 2026", ". Cordiali saluti", " EUR 120,00"]),
    st.booleans(),
)
def test_a_printed_reference_is_found_in_a_sentence(
    debtor_id: str, currency: str, episode: int, before: str, after: str, lower: bool
) -> None:
    printed = format_reference(creditor_reference(debtor_id, currency, episode))
    text = before + (printed.lower() if lower else printed) + after
    parsed = parse_reference(text)
    assert parsed is not None
    assert parsed.reference == creditor_reference(debtor_id, currency, episode)


@given(ids, ids, currencies, episodes)
def test_two_debtors_never_share_a_reference(
    first: str, second: str, currency: str, n: int
) -> None:
    # Plain ids cannot collide; hashed ones collide with a negligible probability (documented).
    if first != second:
        assert creditor_reference(first, currency, n) != creditor_reference(second, currency, n)


# --- EPC QR code payload -----------------------------------------------------------------


def test_the_epc069_12_sample_in_version_002() -> None:
    # EPC069-12 v2.1's sample code (1 euro to the Belgian Red Cross, "Urgency fund"), written
    # in version 002, character set 1 (UTF-8), without its purpose code (CHAR): dunning leaves
    # the purpose empty. Fields in the order of section 4.3, separated by line feeds.
    red_cross = Creditor("Red Cross of Belgium", iban="BE72000000001616")
    payload = epc_qr_payload(red_cross, Money("1", "EUR"), text="Urgency fund", bic="BPOTBEB1")
    assert payload == (
        "BCD\n002\n1\nSCT\nBPOTBEB1\nRed Cross of Belgium\nBE72000000001616\nEUR1.00\n\n\n"
        "Urgency fund"
    )


def test_a_structured_reference_is_the_last_line() -> None:
    reference = format_reference(creditor_reference("C001", "EUR", 1))  # printed form given
    payload = epc_qr_payload(CREDITOR, Money("1234.5", "EUR"), reference=reference)
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "",  # BIC: optional in version 002
        "Tipografia Emiliana S.r.l.",
        "IT60X0542811101000000123456",  # compact
        "EUR1234.50",
        "",  # purpose
        "RF11C001EUR001",  # compact
    ]
    assert not payload.endswith("\n")


def test_without_reference_or_text_the_payload_ends_with_the_amount() -> None:
    payload = epc_qr_payload(CREDITOR, Money("0.01", "EUR"))
    assert payload.endswith("\nIT60X0542811101000000123456\nEUR0.01")


def test_the_name_on_the_account_may_replace_the_legal_name() -> None:
    long_name = Creditor("T" * 71, iban="IT60X0542811101000000123456")
    with pytest.raises(DataError) as caught:
        epc_qr_payload(long_name, Money("10", "EUR"))
    assert (caught.value.record, caught.value.field) == ("EPC QR code", "name")
    assert "71 characters, at most 70" in caught.value.message
    payload = epc_qr_payload(long_name, Money("10", "EUR"), name="Tipografia Emiliana")
    assert payload.split("\n")[5] == "Tipografia Emiliana"
    assert epc_qr_payload(Creditor("T" * 70, iban=CREDITOR.iban), Money("10", "EUR"))


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        (Money("10", "USD"), "in euro, not USD"),
        (Money("10.005", "EUR"), "whole number of cents"),
        (Money("0", "EUR"), "from 0.01 to 999999999.99"),
        (Money("-5", "EUR"), "from 0.01 to 999999999.99"),
        (Money("1000000000", "EUR"), "from 0.01 to 999999999.99"),
        (Decimal("10"), "must be Money"),
    ],
)
def test_the_amount_is_whole_euro_cents_in_range(amount: Money, why: str) -> None:
    with pytest.raises(DataError) as caught:
        epc_qr_payload(CREDITOR, amount)
    assert (caught.value.record, caught.value.field) == ("EPC QR code", "amount")
    assert why in caught.value.message


def test_the_largest_amount_fits() -> None:
    assert epc_qr_payload(CREDITOR, Money("999999999.99", "EUR")).endswith("EUR999999999.99")


def test_a_creditor_without_iban_has_no_code() -> None:
    with pytest.raises(DataError) as caught:
        epc_qr_payload(Creditor("Tipografia Emiliana S.r.l."), Money("10", "EUR"))
    assert (caught.value.record, caught.value.field) == ("creditor", "iban")


@pytest.mark.parametrize(
    ("kwargs", "field", "why"),
    [
        ({"reference": "RF11C001EUR001", "text": "Fattura 1"}, "reference", "not both"),
        ({"reference": "RF12C001EUR001"}, "reference", "not an ISO 11649"),
        ({"reference": "2026/0001"}, "reference", "not an ISO 11649"),
        ({"text": "x" * 141}, "text", "141 characters, at most 140"),
        ({"text": "   "}, "text", "must not be empty"),
        ({"text": "Fattura 1\nFattura 2"}, "text", "one line"),
        ({"name": "Tipografia\nEmiliana"}, "name", "one line"),
        ({"bic": "BPOTBEB"}, "bic", "not a valid BIC"),
    ],
)
def test_bad_fields_are_named(kwargs: dict[str, str], field: str, why: str) -> None:
    with pytest.raises(DataError) as caught:
        epc_qr_payload(CREDITOR, Money("10", "EUR"), **kwargs)  # type: ignore[arg-type]
    assert (caught.value.record, caught.value.field) == ("EPC QR code", field)
    assert why in caught.value.message


def test_the_payload_is_at_most_331_bytes_of_utf_8() -> None:
    # 70 + 140 characters fit, but not when each takes three bytes in UTF-8
    wide = Creditor("€" * 70, iban=CREDITOR.iban)
    with pytest.raises(DataError) as caught:
        epc_qr_payload(wide, Money("10", "EUR"), text="€" * 140)
    assert (caught.value.record, caught.value.field) == ("EPC QR code", "text")
    assert f"at most {EPC_MAX_BYTES} fit" in caught.value.message
    longest = epc_qr_payload(
        Creditor("N" * 70, iban=CREDITOR.iban), Money("999999999.99", "EUR"), text="x" * 140
    )
    assert len(longest.encode("utf-8")) <= EPC_MAX_BYTES


names = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=70
).filter(str.strip)
texts = st.none() | st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=140
).filter(str.strip)


@given(names, money("EUR", "0.01", "999999999.99"), texts, st.booleans())
def test_a_payload_reads_back_field_by_field(
    name: str, amount: Money, text: str | None, with_reference: bool
) -> None:
    creditor = Creditor(name, iban=CREDITOR.iban)
    reference = creditor_reference("C001", "EUR", 1) if with_reference and not text else None
    head = ["BCD", "002", "1", "SCT", "", name.strip(), "IT60X0542811101000000123456"]
    tail = ["", "", text.strip()] if text else ["", reference] if reference else []
    expected = [*head, f"EUR{amount.amount:.2f}", *tail]
    if len("\n".join(expected).encode("utf-8")) > EPC_MAX_BYTES:
        with pytest.raises(DataError) as caught:
            epc_qr_payload(creditor, amount, reference=reference, text=text)
        assert caught.value.field == ("text" if text else "name")
        assert "bytes" in caught.value.message
        return
    payload = epc_qr_payload(creditor, amount, reference=reference, text=text)
    assert payload.split("\n") == expected
    amount_line = payload.split("\n")[7]
    assert Money(amount_line.removeprefix("EUR"), "EUR") == amount
    assert len(amount_line.split(".")[1]) == 2
