"""SMS text: GSM-7 or UCS-2, how many segments a text takes, and transliteration into GSM-7.

An SMS carries 140 octets of user data. Text in the GSM 7-bit default alphabet (3GPP TS 23.038,
formerly GSM 03.38, section 6.2.1) packs into 7-bit septets: 160 of them fit in one message.
The alphabet has a basic character set of 128 codes (127 characters and the escape 0x1B) and
an extension table reached through that escape, so each of its characters (``^ { } \\ [ ~ ] |``,
``€`` and form feed) costs two septets. A text with any other character goes as UCS-2, two
octets per UTF-16 code unit: 70 of them fit in one message. A longer text is sent as a
concatenated message whose segments each give 6 octets to the header (3GPP TS 23.040,
9.2.3.24.1), leaving 153 septets or 67 code units; an escape sequence or a surrogate pair is
never split across two segments.

Italian text stays in GSM-7 as long as it uses only à è é ì ò ù: the capitals È À Ì Ò Ù (only
É is in the alphabet), á í ó ú, the typographic apostrophe ’ and quotes “ ” force UCS-2 and
cut a message from 160 characters to 70. `transliterate` replaces them with their closest GSM-7
form (È becomes ``E'``, the usual Italian spelling when the accented capital is missing).

>>> encoding_of("Gentile cliente, la fattura è scaduta.")
'GSM-7'
>>> encoding_of("L’importo è dovuto.")
'UCS-2'
>>> transliterate("È scaduta l’ultima rata.")
"E' scaduta l'ultima rata."
>>> segments("Saldo: 120,00 €")
Segments(encoding='GSM-7', units=16, count=1, per_segment=160, remaining=144)
>>> fit("“È urgente”: saldo 120,00 € entro il 20/04.", 1).fits
True
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, TypeAlias

import attrs

__all__ = [
    "BASIC",
    "CONCATENATED",
    "EXTENSION",
    "GSM7",
    "SINGLE",
    "TRANSLITERATIONS",
    "Encoding",
    "Fit",
    "Segments",
    "encoding_of",
    "fit",
    "segments",
    "sender_error",
    "septets",
    "transliterate",
]

Encoding: TypeAlias = Literal["GSM-7", "UCS-2"]

#: The basic character set, 3GPP TS 23.038 section 6.2.1, in code order (0x00 to 0x7F).
#: Code 0x1B is the escape to the extension table, not a character: it is ``"\x1b"`` here
#: only to keep every character at its code, and it is not part of `GSM7`.
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10-0x1F
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNO"  # 0x40-0x4F
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50-0x5F
    "¿abcdefghijklmno"  # 0x60-0x6F
    "pqrstuvwxyzäöñüà"  # 0x70-0x7F
)

#: The basic character set extension table, 3GPP TS 23.038 section 6.2.1.1: each character
#: and its code after the escape 0x1B. Form feed (0x0A) is a page break, shown as a line feed
#: by phones that do not know it. The table's other codes are control codes or unassigned.
EXTENSION: Mapping[str, int] = MappingProxyType(
    {
        "\f": 0x0A,
        "^": 0x14,
        "{": 0x28,
        "}": 0x29,
        "\\": 0x2F,
        "[": 0x3C,
        "~": 0x3D,
        "]": 0x3E,
        "|": 0x40,
        "€": 0x65,
    }
)

#: Every character GSM-7 can carry: the basic set (without the escape) and the extension.
GSM7: frozenset[str] = frozenset(BASIC.replace("\x1b", "")) | frozenset(EXTENSION)

#: Units in one message that is not concatenated: 160 septets or 70 UCS-2 code units.
SINGLE: Mapping[Encoding, int] = MappingProxyType({"GSM-7": 160, "UCS-2": 70})
#: Units in each segment of a concatenated message: 153 septets or 67 UCS-2 code units.
CONCATENATED: Mapping[Encoding, int] = MappingProxyType({"GSM-7": 153, "UCS-2": 67})

#: What `transliterate` puts in place of a character GSM-7 cannot carry. Each replacement is
#: made of GSM-7 characters only. Characters not listed are left as they are.
TRANSLITERATIONS: Mapping[str, str] = MappingProxyType(
    {
        # Italian: accented capitals other than É, written with an apostrophe (È -> E').
        "È": "E'",
        "À": "A'",
        "Ì": "I'",
        "Ò": "O'",
        "Ù": "U'",
        "Á": "A'",
        "Í": "I'",
        "Ó": "O'",
        "Ú": "U'",
        # Acute on a, i, o, u: Italian writes these with a grave accent (più, così, perciò).
        "á": "à",
        "í": "ì",
        "ó": "ò",
        "ú": "ù",
        # French: the accent goes, the letter stays; ç becomes c, not the Ç at 0x09.
        "â": "a",
        "ê": "e",
        "î": "i",
        "ô": "o",
        "û": "u",
        "ë": "e",
        "ï": "i",
        "ÿ": "y",
        "ç": "c",
        "œ": "oe",
        "Â": "A",
        "Ê": "E",
        "Î": "I",
        "Ô": "O",
        "Û": "U",
        "Ë": "E",
        "Ï": "I",
        "Ÿ": "Y",
        "Œ": "OE",
        # Apostrophes, quotes and accents typed on their own.
        "’": "'",
        "‘": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "´": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        # Dashes and hyphens.
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "…": "...",
        # Ordinal indicators ("1º aprile", "n.º 2", "1ª rata"): a letter in GSM-7.
        "º": "o",
        "ª": "a",
        # Spaces: no-break, narrow no-break, the typographic spaces U+2000-U+200A, tab.
        "\u00a0": " ",
        "\u202f": " ",
        **{chr(code): " " for code in range(0x2000, 0x200B)},
        "\t": " ",
        # Look-alikes with a canonical equivalent in the alphabet: ohm and angstrom signs.
        "\u2126": "Ω",
        "\u212b": "Å",
    }
)


@attrs.frozen
class Segments:
    """How a text goes over SMS: its encoding, its length and the segments it takes.

    ``units`` is the text's length in septets (GSM-7; an extension character counts 2) or in
    UTF-16 code units (UCS-2; a character outside the Basic Multilingual Plane counts 2).
    ``count`` is the number of segments (1 for a text that fits one message, empty included),
    ``per_segment`` the units each of them holds (160 or 70 alone, 153 or 67 when
    concatenated), and ``remaining`` the units still free in the last one. A character is
    never split across two segments, so a segment may end one unit short of ``per_segment``.

    >>> segments("a" * 160)
    Segments(encoding='GSM-7', units=160, count=1, per_segment=160, remaining=0)
    >>> segments("a" * 161)
    Segments(encoding='GSM-7', units=161, count=2, per_segment=153, remaining=145)
    """

    encoding: Encoding
    units: int
    count: int
    per_segment: int
    remaining: int


@attrs.frozen
class Fit:
    """A text made ready for SMS by `fit`: the transliterated ``text``, its `Segments`, and
    whether it fits in ``budget`` segments.

    >>> fit("Ultimo avviso: è scaduta", 1)
    Fit(text='Ultimo avviso: è scaduta', segments=Segments(encoding='GSM-7', units=24, count=1, per_segment=160, remaining=136), budget=1)
    """  # noqa: E501

    text: str
    segments: Segments
    budget: int

    @property
    def fits(self) -> bool:
        """Whether the text takes no more than ``budget`` segments."""
        return self.segments.count <= self.budget


def encoding_of(text: str) -> Encoding:
    """``"GSM-7"`` if every character of ``text`` is in the basic set or its extension table,
    else ``"UCS-2"``. An empty text is GSM-7.

    >>> encoding_of("Pagamento ricevuto: grazie! [€ 50]")
    'GSM-7'
    >>> encoding_of("PERCHÉ È SCADUTA?")
    'UCS-2'
    """
    return "GSM-7" if GSM7.issuperset(text) else "UCS-2"


def septets(text: str) -> int:
    """The length of ``text`` in GSM-7 septets: 1 per basic character, 2 per extension
    character. Raises `ValueError` if ``text`` is not GSM-7.

    >>> septets("Saldo {€ 10}")
    15
    """
    return sum(_septet_units(text))


def segments(text: str) -> Segments:
    """The encoding, length and segments of ``text`` sent as is (see `Segments`).

    >>> segments("Saldo dovuto: 120,00 €. Grazie.")
    Segments(encoding='GSM-7', units=32, count=1, per_segment=160, remaining=128)
    >>> segments("Saldo dovuto: 120,00 €. Grazie 🙏")
    Segments(encoding='UCS-2', units=33, count=1, per_segment=70, remaining=37)
    """
    encoding = encoding_of(text)
    units = _septet_units(text) if encoding == "GSM-7" else _utf16_units(text)
    total = sum(units)
    if total <= SINGLE[encoding]:
        return Segments(encoding, total, 1, SINGLE[encoding], SINGLE[encoding] - total)
    limit = CONCATENATED[encoding]
    count, used = 1, 0
    for size in units:
        if used + size > limit:  # the character does not fit: it opens the next segment
            count, used = count + 1, 0
        used += size
    return Segments(encoding, total, count, limit, limit - used)


def transliterate(text: str) -> str:
    """``text`` with each character GSM-7 cannot carry replaced by its closest GSM-7 form
    (see `TRANSLITERATIONS`): È À Ì Ò Ù become ``E' A' I' O' U'``, á í ó ú become à ì ò ù,
    ’ ‘ become ``'``, “ ” « » become ``"``, dashes ``-``, … ``...``, special spaces a space.

    A letter written as a base and combining accents (decomposed, as some systems store
    text) is composed first. Characters with no GSM-7 form (emoji, other scripts, °) are
    kept: the text then stays UCS-2, and nothing is ever dropped. A text that is already
    GSM-7 comes back unchanged, and transliterating twice changes nothing more.

    >>> transliterate("PERCHÉ È SCADUTA?")
    "PERCHÉ E' SCADUTA?"
    >>> print(transliterate("l’importo – 120 € – è dovuto… “subito”"))
    l'importo - 120 € - è dovuto... "subito"
    >>> transliterate("Grazie 🙏")
    'Grazie 🙏'
    """
    out: list[str] = []
    start, n = 0, len(text)
    while start < n:
        end = start + 1
        while end < n and unicodedata.category(text[end]).startswith("M"):
            end += 1  # a base character and the combining marks that follow it
        cluster = text[start:end]
        if end - start == 1:
            out.append(TRANSLITERATIONS.get(cluster, cluster))
        else:
            composed = unicodedata.normalize("NFC", cluster)
            if composed in GSM7:
                out.append(composed)
            elif composed in TRANSLITERATIONS:
                out.append(TRANSLITERATIONS[composed])
            else:
                out.append(cluster)
        start = end
    return "".join(out)


def fit(text: str, budget: int) -> Fit:
    """Transliterate ``text`` and say whether it fits in ``budget`` segments.

    >>> f = fit("Gentile cliente, l’importo di 120,00 € è scaduto.", 1)
    >>> f.fits, f.text, f.segments.encoding
    (True, "Gentile cliente, l'importo di 120,00 € è scaduto.", 'GSM-7')
    >>> fit("x" * 200, 1).fits
    False
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be a whole number of segments, at least 1, not {budget!r}")
    ready = transliterate(text)
    return Fit(ready, segments(ready), budget)


def sender_error(sender: str) -> str | None:
    """Why ``sender`` cannot be an alphanumeric sender id, or None if it can: 1 to 11
    characters among letters, digits, space and ``. & _ -``, with at least one letter (an
    all-digit sender is a phone number, which the network treats differently).

    >>> sender_error("Tipografia") is None
    True
    >>> sender_error("Tipografia Emiliana")
    'at most 11 characters, not 19'
    """
    if not sender or len(sender) > 11:
        return f"at most 11 characters, not {len(sender)}" if sender else "empty"
    if not _SENDER.fullmatch(sender):
        return "only letters, digits, space and . & _ - (GSM-7, as every network takes them)"
    if not any(c.isalpha() for c in sender):
        return "needs at least one letter (all digits would be a phone number)"
    return None


def _septet_units(text: str) -> list[int]:
    units = []
    for ch in text:
        if ch in EXTENSION:
            units.append(2)
        elif ch in GSM7:
            units.append(1)
        else:
            raise ValueError(f"{ch!r} (U+{ord(ch):04X}) is not in the GSM 7-bit alphabet")
    return units


_SENDER = re.compile(r"[A-Za-z0-9 .&_-]{1,11}")


def _utf16_units(text: str) -> list[int]:
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]
