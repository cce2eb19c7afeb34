"""SMS text: the GSM 7-bit default alphabet of 3GPP TS 23.038 (GSM 03.38), segment counts
(3GPP TS 23.040 concatenation) and transliteration of Italian text into GSM-7."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dunning.gsm import (
    BASIC,
    EXTENSION,
    GSM7,
    TRANSLITERATIONS,
    Fit,
    Segments,
    encoding_of,
    fit,
    segments,
    septets,
    transliterate,
)

# 3GPP TS 23.038 section 6.2.1, figure "GSM 7 bit default alphabet": the codes whose character
# is not the ASCII one at the same code, by Unicode name (as in Unicode's GSM0338.TXT mapping).
SPEC_NON_ASCII = {
    0x00: "COMMERCIAL AT",
    0x01: "POUND SIGN",
    0x02: "DOLLAR SIGN",
    0x03: "YEN SIGN",
    0x04: "LATIN SMALL LETTER E WITH GRAVE",
    0x05: "LATIN SMALL LETTER E WITH ACUTE",
    0x06: "LATIN SMALL LETTER U WITH GRAVE",
    0x07: "LATIN SMALL LETTER I WITH GRAVE",
    0x08: "LATIN SMALL LETTER O WITH GRAVE",
    0x09: "LATIN CAPITAL LETTER C WITH CEDILLA",
    0x0A: "LINE FEED",
    0x0B: "LATIN CAPITAL LETTER O WITH STROKE",
    0x0C: "LATIN SMALL LETTER O WITH STROKE",
    0x0D: "CARRIAGE RETURN",
    0x0E: "LATIN CAPITAL LETTER A WITH RING ABOVE",
    0x0F: "LATIN SMALL LETTER A WITH RING ABOVE",
    0x10: "GREEK CAPITAL LETTER DELTA",
    0x11: "LOW LINE",
    0x12: "GREEK CAPITAL LETTER PHI",
    0x13: "GREEK CAPITAL LETTER GAMMA",
    0x14: "GREEK CAPITAL LETTER LAMDA",
    0x15: "GREEK CAPITAL LETTER OMEGA",
    0x16: "GREEK CAPITAL LETTER PI",
    0x17: "GREEK CAPITAL LETTER PSI",
    0x18: "GREEK CAPITAL LETTER SIGMA",
    0x19: "GREEK CAPITAL LETTER THETA",
    0x1A: "GREEK CAPITAL LETTER XI",
    # 0x1B: escape to the extension table
    0x1C: "LATIN CAPITAL LETTER AE",
    0x1D: "LATIN SMALL LETTER AE",
    0x1E: "LATIN SMALL LETTER SHARP S",
    0x1F: "LATIN CAPITAL LETTER E WITH ACUTE",
    0x24: "CURRENCY SIGN",
    0x40: "INVERTED EXCLAMATION MARK",
    0x5B: "LATIN CAPITAL LETTER A WITH DIAERESIS",
    0x5C: "LATIN CAPITAL LETTER O WITH DIAERESIS",
    0x5D: "LATIN CAPITAL LETTER N WITH TILDE",
    0x5E: "LATIN CAPITAL LETTER U WITH DIAERESIS",
    0x5F: "SECTION SIGN",
    0x60: "INVERTED QUESTION MARK",
    0x7B: "LATIN SMALL LETTER A WITH DIAERESIS",
    0x7C: "LATIN SMALL LETTER O WITH DIAERESIS",
    0x7D: "LATIN SMALL LETTER N WITH TILDE",
    0x7E: "LATIN SMALL LETTER U WITH DIAERESIS",
    0x7F: "LATIN SMALL LETTER A WITH GRAVE",
}
CONTROLS = {"LINE FEED": "\n", "CARRIAGE RETURN": "\r"}

# 3GPP TS 23.038 section 6.2.1.1, "GSM 7 bit default alphabet extension table": the code after
# the escape 0x1B of each character (0x0D CR2 and 0x1B SS2 are controls, not characters).
SPEC_EXTENSION = {
    0x0A: "\f",  # FORM FEED (page break)
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "\N{EURO SIGN}",
}

gsm7_text = st.text(alphabet=st.sampled_from(sorted(GSM7)), max_size=400)
# Text that mixes GSM-7, the characters transliteration handles, BMP and non-BMP others.
mixed_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(sorted(GSM7)),
        st.sampled_from(sorted(TRANSLITERATIONS)),
        st.characters(),
        st.sampled_from(["😀", "🙏", "\u0300", "\u0301", "\u0308", "°", "Ã"]),
    ),
    max_size=400,
)


# --- the tables --------------------------------------------------------------------------


def test_basic_set_is_the_spec_table() -> None:
    assert len(BASIC) == 128
    for code, ch in enumerate(BASIC):
        if code == 0x1B:
            assert ch == "\x1b"
        elif code in SPEC_NON_ASCII:
            name = SPEC_NON_ASCII[code]
            assert ch == CONTROLS.get(name) or unicodedata.name(ch) == name, hex(code)
        else:
            assert ch == chr(code), hex(code)  # the rest is the ASCII character at that code


def test_extension_table_is_the_spec_table() -> None:
    assert {code: ch for ch, code in EXTENSION.items()} == SPEC_EXTENSION


def test_alphabet_has_127_basic_and_10_extension_characters() -> None:
    assert len(GSM7) == 137
    assert "\x1b" not in GSM7
    assert not set(EXTENSION) & set(BASIC)


@pytest.mark.parametrize(
    "ch",
    [*"@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà¡¤", "\n", "\r"],
)
def test_named_basic_characters_are_gsm7(ch: str) -> None:
    assert encoding_of(ch) == "GSM-7"
    assert septets(ch) == 1


@pytest.mark.parametrize("ch", ["^", "{", "}", "\\", "[", "~", "]", "|", "€", "\f"])
def test_extension_characters_cost_two_septets(ch: str) -> None:
    assert encoding_of(ch) == "GSM-7"
    assert septets(ch) == 2


@pytest.mark.parametrize(
    "ch", ["È", "À", "Ì", "Ò", "Ù", "á", "í", "ó", "ú", "’", "“", "”", "‘", "–", "…", "\u00a0", "`"]
)
def test_italian_traps_are_not_gsm7(ch: str) -> None:
    assert encoding_of(ch) == "UCS-2"
    with pytest.raises(ValueError, match="not in the GSM 7-bit alphabet"):
        septets(ch)


# --- segments: golden counts at the boundaries --------------------------------------------


@pytest.mark.parametrize(
    ("text", "count", "per_segment", "remaining"),
    [
        ("", 1, 160, 160),
        ("a" * 160, 1, 160, 0),
        ("a" * 161, 2, 153, 145),
        ("a" * 306, 2, 153, 0),
        ("a" * 307, 3, 153, 152),
        ("€" * 80, 1, 160, 0),
        ("€" * 80 + "a", 2, 153, 153 - 9),  # 161 septets; 76 € (152) + 4 € and an "a"
        ("è" * 70, 1, 160, 90),
        ("È" * 70, 1, 70, 0),
        ("È" * 71, 2, 67, 63),
        ("È" * 134, 2, 67, 0),
        ("È" * 135, 3, 67, 66),
    ],
)
def test_segment_boundaries(text: str, count: int, per_segment: int, remaining: int) -> None:
    s = segments(text)
    assert (s.count, s.per_segment, s.remaining) == (count, per_segment, remaining)


def test_extension_character_at_septet_153_opens_segment_two() -> None:
    # 152 septets, then € would take septets 153 and 154: the escape and its character stay
    # together in segment 2 (3GPP TS 23.038 6.2.1.1), leaving septet 153 of segment 1 empty.
    text = "a" * 152 + "€" + "a" * 7
    assert segments(text) == Segments("GSM-7", 161, 2, 153, 153 - 9)
    # Split naively (by septet), segment 2 would hold 8 septets and leave 145.
    assert segments("a" * 153 + "b" * 8).remaining == 145


def test_unsplit_extension_characters_can_add_a_segment() -> None:
    # 306 septets = 2 x 153, but the € at 153 moves: the last "a" needs a third segment.
    assert segments("a" * 152 + "€" + "a" * 152) == Segments("GSM-7", 306, 3, 153, 152)
    assert segments("a" * 306).count == 2


def test_surrogate_pairs_are_not_split() -> None:
    # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two, in one segment.
    assert segments("😀" * 35) == Segments("UCS-2", 70, 1, 70, 0)
    assert segments("x" * 66 + "😀" + "x" * 5) == Segments("UCS-2", 73, 2, 67, 67 - 7)
    assert segments("x" * 65 + "😀" + "x" * 6).remaining == 67 - 6


# --- segments: properties -----------------------------------------------------------------


@given(mixed_text)
@example("a" * 152 + "€" * 5)
@example("x" * 66 + "😀" * 3)
def test_segments_are_consistent(text: str) -> None:
    s = segments(text)
    assert (s.encoding == "GSM-7") == all(
        ch != "\x1b" and (ch in BASIC or ch in EXTENSION) for ch in text
    )
    if s.encoding == "GSM-7":
        assert s.units == len(text) + sum(ch in EXTENSION for ch in text)
        single, each = 160, 153
    else:
        assert s.units == len(text.encode("utf-16-le", "surrogatepass")) // 2
        single, each = 70, 67
    assert (s.count == 1) == (s.units <= single)
    assert s.per_segment == (single if s.count == 1 else each)
    assert s.count * s.per_segment >= s.units
    assert 0 <= s.remaining < s.per_segment or (s.units == 0 and s.remaining == single)
    if s.count > 1:  # every segment but the last is full, or one unit short of full
        last = each - s.remaining
        assert (s.count - 1) * (each - 1) + last <= s.units <= (s.count - 1) * each + last


@given(gsm7_text)
def test_gsm7_text_counts_septets(text: str) -> None:
    assert encoding_of(text) == "GSM-7"
    assert septets(text) == segments(text).units


# --- transliteration ----------------------------------------------------------------------


def test_every_replacement_is_gsm7_and_every_replaced_character_is_not() -> None:
    for ch, replacement in TRANSLITERATIONS.items():
        assert len(ch) == 1
        assert ch not in GSM7, ch
        assert replacement, ch
        assert encoding_of(replacement) == "GSM-7", (ch, replacement)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("È", "E'"),
        ("À", "A'"),
        ("Ì", "I'"),
        ("Ò", "O'"),
        ("Ù", "U'"),
        ("É", "É"),
        ("più, cosí, perció, giá", "più, così, perciò, già"),
        ("l’avviso", "l'avviso"),
        ("‘sì’", "'sì'"),
        ("“saldo”", '"saldo"'),
        ("«saldo»", '"saldo"'),
        ("10–20 — ora", "10-20 - ora"),
        ("attendiamo…", "attendiamo..."),
        ("120,00\u00a0€", "120,00 €"),
        ("1\u202f200", "1 200"),
        ("E\u0300 scaduta", "E' scaduta"),  # decomposed È
        ("e\u0300", "è"),  # decomposed è, which is in the alphabet
        ("Straße, Müller", "Straße, Müller"),
        ("Ça va, garçon? Être", "Ça va, garcon? Etre"),
        ("¿Está?", "¿Està?"),
    ],
)
def test_transliterations(text: str, expected: str) -> None:
    assert transliterate(text) == expected


def test_italian_reminder_becomes_gsm7() -> None:
    text = (
        "Gentile cliente, È scaduto l’ultimo termine – “sollecito n. 2”: "
        "la preghiamo di saldare 120,00\u00a0€ entro il 20/04…"
    )
    assert encoding_of(text) == "UCS-2"
    ready = transliterate(text)
    assert encoding_of(ready) == "GSM-7"
    assert ready == (
        "Gentile cliente, E' scaduto l'ultimo termine - \"sollecito n. 2\": "
        "la preghiamo di saldare 120,00 € entro il 20/04..."
    )


@pytest.mark.parametrize("text", ["🙏", "n° 12", "Ã", "Привет", "e\u0300\u0301", "\u0301"])
def test_characters_without_a_gsm7_form_are_kept(text: str) -> None:
    assert transliterate(text) == text
    assert encoding_of(transliterate(text)) == "UCS-2"


@given(gsm7_text)
def test_gsm7_text_is_unchanged(text: str) -> None:
    assert transliterate(text) == text


@given(mixed_text)
@example("â\u0308")  # â + combining diaeresis: would become "a\u0308", then "ä", if not kept
@example("È\u0323")
def test_transliterate_is_idempotent(text: str) -> None:
    once = transliterate(text)
    assert transliterate(once) == once


@given(mixed_text.filter(lambda t: not any(unicodedata.category(c).startswith("M") for c in t)))
def test_transliterate_never_drops_a_character(text: str) -> None:
    # Without combining marks each character is handled alone: it stays, or it is replaced.
    out = transliterate(text)
    assert out == "".join(TRANSLITERATIONS.get(ch, ch) for ch in text)
    assert len(out) >= len(text)
    if all(ch in GSM7 or ch in TRANSLITERATIONS for ch in text):
        assert encoding_of(out) == "GSM-7"


# --- fit ----------------------------------------------------------------------------------


def test_fit_transliterates_and_counts() -> None:
    text = "È scaduta la fattura – " + "a" * 137  # 160 characters
    assert segments(text).count == 3  # UCS-2: 160 code units
    f = fit(text, 1)
    assert f == Fit("E' scaduta la fattura - " + "a" * 137, segments(f.text), 1)
    assert f.segments == Segments("GSM-7", 161, 2, 153, 145)
    assert not f.fits
    assert fit(text, 2).fits


@given(mixed_text, st.integers(min_value=1, max_value=5))
def test_fit_agrees_with_segments(text: str, budget: int) -> None:
    f = fit(text, budget)
    assert f.text == transliterate(text)
    assert f.segments == segments(f.text)
    assert f.fits == (f.segments.count <= budget)


@pytest.mark.parametrize("budget", [0, -1, True, 1.0])
def test_fit_refuses_a_budget_that_is_not_a_count(budget: object) -> None:
    with pytest.raises(ValueError, match="budget"):
        fit("ciao", budget)  # type: ignore[arg-type]
