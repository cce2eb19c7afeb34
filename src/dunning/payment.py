"""How the debtor pays: a structured creditor reference and the EPC QR code of a letter.

A reminder that asks for money should make paying it easy and make the payment easy to
recognise when it arrives. Two standards do that for a SEPA credit transfer:

- an **ISO 11649 structured creditor reference** ("RF" + 2 check digits + up to 21 letters
  and digits), which the payer copies into the transfer and the bank passes on untouched to
  the creditor's statement: `creditor_reference` makes one per case and episode,
  `format_reference` prints it in groups of four, and `parse_reference` finds it again in the
  remittance text of a bank statement;
- the **EPC QR code** (EPC069-12, "Quick Response Code: Guidelines to Enable Data Capture for
  the Initiation of a SEPA Credit Transfer"), which a banking app scans to fill in the whole
  transfer: `epc_qr_payload` writes its text (drawing the code is left to the PDF output).

>>> from dunning import Creditor, Money
>>> reference = creditor_reference("C001", "EUR", 2)
>>> format_reference(reference)
'RF81 C001 EUR0 02'
>>> parsed = parse_reference("Bonifico saldo sollecito rf81 c001 eur0 02 grazie")
>>> (parsed.debtor_id, parsed.currency, parsed.episode)
('C001', 'EUR', 2)
>>> creditor = Creditor("Tipografia Emiliana S.r.l.", iban="IT60 X054 2811 1010 0000 0123 456")
>>> print(epc_qr_payload(creditor, Money("1234.50", "EUR"), reference=reference))
BCD
002
1
SCT
<BLANKLINE>
Tipografia Emiliana S.r.l.
IT60X0542811101000000123456
EUR1234.50
<BLANKLINE>
RF81C001EUR002
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

import attrs
from stdnum import bic as stdnum_bic
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from .errors import DataError
from .model import Creditor
from .money import Money, is_currency

__all__ = [
    "EPC_MAX_BYTES",
    "EPISODE_MAX",
    "ParsedReference",
    "creditor_reference",
    "epc_qr_payload",
    "format_reference",
    "parse_reference",
]

#: The highest episode number a reference can carry (three digits).
EPISODE_MAX = 999

#: The largest EPC QR payload, in bytes (EPC069-12: at most 331 bytes of data).
EPC_MAX_BYTES = 331

# Crockford's base 32: no I, L, O or U, so a hash retyped from paper is not misread.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LITERAL = re.compile(r"^[A-Z0-9]{1,14}$")  # a debtor id the reference can carry as it is
_KEY = 15  # the length of a hashed key; a literal id is shorter
_PREFIX = 7  # readable characters of the id kept before the hash in a hashed key
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_RF_START = re.compile(r"(?<![A-Z0-9])RF")
_RF_RUN = re.compile(r"RF(?:\s*[A-Z0-9])*")
_REF_RECORD = "creditor reference"
_QR_RECORD = "EPC QR code"
_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("999999999.99")


def _base32(number: int, width: int) -> str:
    """The lowest ``width`` digits of ``number`` in Crockford's base 32."""
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def _debtor_key(debtor_id: str) -> str:
    """What a reference carries to name the debtor: the id itself when it is 1 to 14 upper-case
    letters and digits, else 15 characters: up to 7 letters and digits of the id (upper-cased)
    followed by a hash of the whole id (SHA-256, in base 32) to fill the 15."""
    if _LITERAL.match(debtor_id):
        return debtor_id
    prefix = _NOT_ALNUM.sub("", debtor_id.upper())[:_PREFIX]
    digest = int.from_bytes(hashlib.sha256(debtor_id.encode("utf-8")).digest(), "big")
    return prefix + _base32(digest, _KEY - len(prefix))


def creditor_reference(debtor_id: str, currency: str, episode: int) -> str:
    """The ISO 11649 structured creditor reference of a case's episode, in its compact form
    (print it with `format_reference`).

    One reference per case (``debtor_id`` and ``currency``) and ``episode`` (its number,
    1 to `EPISODE_MAX`), always the same for the same three: every letter of an episode asks
    for payment with the same reference, and the next episode gets a new one. The 21
    characters after "RF" and the check digits are, in order:

    - the **debtor key**: the debtor id itself when it is 1 to 14 upper-case letters and
      digits (``C001``, ``40023``); otherwise 15 characters: the first 7 letters and digits of
      the id, upper-cased, then a SHA-256 hash of the exact id filling the rest (at least 8
      characters, in Crockford's base 32, which leaves out I, L, O and U so that a payer
      retyping it from paper does not confuse them with 1 and 0);
    - the **currency**, three letters (``EUR``);
    - the **episode**, three digits (``002``).

    So a reference read back from a bank statement (`parse_reference`) names the debtor, the
    currency and the episode without a lookup table when the id is short and plain; a hashed
    key is matched by computing it for each known debtor id (`ParsedReference.matches`).

    The collision trade-off: plain ids cannot collide (a plain id has at most 14 characters,
    a hashed key exactly 15). Two ids outside the plain form collide only if they share their
    first 7 letters and digits *and* the 8 or more hash characters: with 32⁸ ≈ 1.1·10¹²
    values, about one chance in 20 000 that any two of 10 000 such ids sharing a prefix
    collide (the birthday bound), and `ParsedReference.matches` against the creditor's own
    debtor list shows any doubt (two debtors match). Lower-case letters are not plain (a bank
    may change the case of a reference), so ``c001`` and ``C001`` get different references.

    >>> creditor_reference("C001", "EUR", 1)
    'RF11C001EUR001'
    >>> creditor_reference("cliente/2024-0015", "EUR", 1)
    'RF60CLIENTEQE2T2KW8EUR001'
    """
    if not isinstance(debtor_id, str) or not debtor_id.strip():
        raise DataError(
            f"must be a non-empty string, not {debtor_id!r}", record=_REF_RECORD, field="debtor_id"
        )
    if not is_currency(currency):
        raise DataError(
            f"{currency!r} is not an ISO 4217 currency code", record=_REF_RECORD, field="currency"
        )
    if isinstance(episode, bool) or not isinstance(episode, int):
        raise DataError(
            f"must be an episode number (int), not {episode!r}", record=_REF_RECORD, field="episode"
        )
    if not 1 <= episode <= EPISODE_MAX:
        raise DataError(
            f"must be from 1 to {EPISODE_MAX}, not {episode}", record=_REF_RECORD, field="episode"
        )
    body = f"{_debtor_key(debtor_id)}{currency}{episode:03d}"
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def format_reference(reference: str) -> str:
    """``reference`` as printed on a letter: upper case, in groups of four characters.

    >>> format_reference("rf18539007547034")
    'RF18 5390 0754 7034'
    """
    return iso11649.format(reference)


@attrs.frozen
class ParsedReference:
    """A creditor reference made by `creditor_reference`, read back.

    ``reference`` is its compact form, ``key`` the debtor key (the debtor id when plain, see
    `creditor_reference`), ``currency`` and ``episode`` those of the case's episode.
    """

    reference: str
    key: str
    currency: str
    episode: int

    @property
    def hashed(self) -> bool:
        """Whether the key is a hash (the debtor id was long or not plain)."""
        return len(self.key) == _KEY

    @property
    def debtor_id(self) -> str | None:
        """The debtor id, or None when the key is a hash (use `matches`)."""
        return None if self.hashed else self.key

    def matches(self, debtor_id: str) -> bool:
        """Whether the reference was made for ``debtor_id`` (for any currency and episode).

        >>> parsed = parse_reference("RF60CLIENTEQE2T2KW8EUR001")
        >>> parsed.debtor_id is None, parsed.matches("cliente/2024-0015")
        (True, True)
        """
        return _debtor_key(debtor_id) == self.key


def _decode(candidate: str) -> ParsedReference | None:
    """``candidate`` read as one of our references, or None when it is not one."""
    if not iso11649.is_valid(candidate):
        return None
    body = candidate[4:]
    key, currency, episode = body[:-6], body[-6:-3], body[-3:]
    if not (_LITERAL.match(key) or len(key) == _KEY):
        return None
    if not (is_currency(currency) and episode.isdigit() and episode != "000"):
        return None
    return ParsedReference(candidate, key, currency, int(episode))


def _as_printed(words: list[str]) -> bool:
    """Whether ``words`` are a reference in one piece or in `format_reference`'s groups."""
    return len(words) == 1 or " ".join(words) == iso11649.format("".join(words))


def parse_reference(text: str) -> ParsedReference | None:
    """The first creditor reference made by `creditor_reference` in ``text`` (the remittance
    information of a bank statement, say), or None when there is none.

    The reference may be in upper or lower case and split by spaces (as printed, or retyped
    by the payer); it must begin with "RF" not glued to a preceding letter or digit. When more
    words follow it, the words that make one of our references written as `format_reference`
    prints it (or in one piece) win, the longest first; failing that, the longest run of
    words that makes one. (The first rule keeps "RF88 X0GB P608 EUR 120,00" from being read
    as "RF88X0GBP608EUR120", which passes the mod-97 check too: one run in 97 does by chance.)
    A valid ISO 11649 reference that `creditor_reference` did not make (another creditor's,
    one without currency and episode) is skipped.

    >>> parse_reference("Pagamento fatt. 2026/0001 RF11 C001 EUR0 01").episode
    1
    >>> parse_reference("RF18 5390 0754 7034") is None  # valid, but not one of ours
    True
    """
    upper = text.upper()
    for start in _RF_START.finditer(upper):
        run = _RF_RUN.match(upper, start.start())
        assert run is not None  # the run begins with the "RF" just found
        words = run.group().split()
        runs = [words[:end] for end in range(len(words), 0, -1)]
        for as_printed in (True, False):
            for candidate in runs:
                if as_printed and not _as_printed(candidate):
                    continue
                found = _decode("".join(candidate))
                if found is not None:
                    return found
    return None


def _qr_fail(field: str, message: str, record: str = _QR_RECORD) -> DataError:
    return DataError(message, record=record, field=field)


def _one_line(field: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise _qr_fail(field, "must not be empty")
    if "\n" in value or "\r" in value:
        raise _qr_fail(
            field, f"must be one line (the code separates its fields by lines): {value!r}"
        )
    if len(value) > limit:
        raise _qr_fail(field, f"has {len(value)} characters, at most {limit} fit: {value!r}")
    return value


def epc_qr_payload(
    creditor: Creditor,
    amount: Money,
    reference: str | None = None,
    text: str | None = None,
    *,
    bic: str | None = None,
    name: str | None = None,
) -> str:
    """The text of the EPC QR code that asks for ``amount`` to be paid to ``creditor``'s IBAN
    by SEPA credit transfer.

    The format is that of the European Payments Council's EPC069-12, "Quick Response Code:
    Guidelines to Enable Data Capture for the Initiation of a SEPA Credit Transfer" (version
    2.1), section 4.3: one field per line, separated by a line feed, in this order:

    1. service tag ``BCD``;
    2. version ``002`` (in which the BIC is optional within the EEA);
    3. character set ``1`` (UTF-8);
    4. identification ``SCT`` (SEPA credit transfer);
    5. the BIC of the beneficiary's bank: ``bic`` (checked with `stdnum.bic`), or empty;
    6. the beneficiary's name, at most 70 characters: ``name`` when given (the name on the
       account, if shorter than the legal name), else the creditor's; a longer name is an
       error rather than cut, since a bank may match it against the account holder;
    7. the beneficiary's IBAN (the creditor's, compact and upper case);
    8. the amount: ``EUR`` and the amount with a decimal point and two decimals
       (``EUR1234.50``), from 0.01 to 999 999 999.99, in euro only;
    9. the purpose code, left empty;
    10. the structured remittance information: ``reference``, an ISO 11649 creditor
        reference (see `creditor_reference`), written compact;
    11. the unstructured remittance information: ``text``, at most 140 characters;

    a reference *or* a text, not both (neither is allowed). Empty fields at the end are left
    out; the last line has no line feed. The payload is at most 331 bytes in UTF-8.

    Raises `DataError` naming the field: ``iban`` of the creditor when it has none;
    ``amount`` when it is not in euro, not whole cents (round it with `Money.rounded`) or out
    of range; ``name``, ``text``, ``reference`` or ``bic`` when too long, on several lines or
    not valid; ``reference`` when both a reference and a text are given.

    >>> from dunning import Creditor, Money
    >>> red_cross = Creditor("Red Cross of Belgium", iban="BE72000000001616")
    >>> payload = epc_qr_payload(red_cross, Money("1", "EUR"), text="Urgency fund", bic="BPOTBEB1")
    >>> print(payload)
    BCD
    002
    1
    SCT
    BPOTBEB1
    Red Cross of Belgium
    BE72000000001616
    EUR1.00
    <BLANKLINE>
    <BLANKLINE>
    Urgency fund
    """
    if creditor.iban is None:
        raise _qr_fail("iban", "an EPC QR code needs the creditor's IBAN", record="creditor")
    if not isinstance(amount, Money):
        raise _qr_fail("amount", f"must be Money, not {amount!r}")
    if amount.currency != "EUR":
        raise _qr_fail(
            "amount", f"an EPC QR code is a SEPA credit transfer in euro, not {amount.currency}"
        )
    value = amount.amount
    if value != value.quantize(_CENT):
        raise _qr_fail("amount", f"{value} is not a whole number of cents: round it first")
    if not _CENT <= value <= _MAX_AMOUNT:
        raise _qr_fail("amount", f"must be from 0.01 to 999999999.99 EUR, not {value}")
    if reference is not None and text is not None:
        raise _qr_fail("reference", "give a structured reference or a remittance text, not both")
    beneficiary = _one_line("name", creditor.name if name is None else name, 70)
    code = ""
    if bic is not None:
        if not stdnum_bic.is_valid(bic):
            raise _qr_fail("bic", f"{bic!r} is not a valid BIC")
        code = stdnum_bic.compact(bic)
    structured = ""
    if reference is not None:
        if not iso11649.is_valid(reference):
            raise _qr_fail(
                "reference", f"{reference!r} is not an ISO 11649 creditor reference (RF...)"
            )
        structured = iso11649.compact(reference)
    unstructured = "" if text is None else _one_line("text", text, 140)
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        code,
        beneficiary,
        creditor.iban.replace(" ", "").upper(),
        f"EUR{value.quantize(_CENT)}",
        "",  # purpose
        structured,
        unstructured,
    ]
    while not lines[-1]:
        lines.pop()
    payload = "\n".join(lines)
    size = len(payload.encode("utf-8"))
    if size > EPC_MAX_BYTES:
        raise _qr_fail(
            "text" if unstructured else "name",
            f"the code would hold {size} bytes, at most {EPC_MAX_BYTES} fit: shorten it",
        )
    return payload
