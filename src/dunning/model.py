"""The domain records: who is owed, who owes, what and since when.

All records are frozen attrs classes; change them with `attrs.evolve`. Bad values raise
`DataError` naming the record and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Literal, TypeAlias, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale

from .errors import DataError
from .gsm import sender_error
from .money import Money
from .terms import PaymentTerms
from .timezones import debtor_zones

__all__ = [
    "ActionKind",
    "ChannelName",
    "CreditNote",
    "Creditor",
    "Debtor",
    "DebtorKind",
    "Dispute",
    "Document",
    "Invoice",
    "OpenItem",
    "Payment",
    "PostalAddress",
]

DebtorKind: TypeAlias = Literal["business", "consumer", "public_admin"]
ChannelName: TypeAlias = Literal["email", "pec", "sms", "postal", "phone", "agency"]
ActionKind: TypeAlias = Literal["notice", "reminder", "call", "formal_notice", "hand_over"]

DEBTOR_KINDS: tuple[str, ...] = get_args(DebtorKind)
CHANNELS: tuple[str, ...] = get_args(ChannelName)
ACTION_KINDS: tuple[str, ...] = get_args(ActionKind)

_E164 = re.compile(r"^\+[1-9]\d{6,14}\Z")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
#: A control character (CR, LF, NUL, tab...): refused in names, ids and numbers, which end up
#: in e-mail headers, file names and CSV cells.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


_IBAN_CHARS = re.compile(r"^[A-Za-z0-9 ]+$")

# The two-letter prefixes of EU VAT numbers (VIES): the ISO country code, but EL for Greece.
_VAT_PREFIX = {cc.upper(): cc.upper() for cc in eu_vat.MEMBER_STATES} | {"GR": "EL"}
_VAT_PREFIXES = frozenset(_VAT_PREFIX.values()) | {"GR"}


def _why(error: ValidationError) -> str:
    """stdnum's reason as a clause: ``"the number's checksum or check digit is invalid"``."""
    message = str(error).rstrip(".")
    return message[:1].lower() + message[1:]


def _iban_error(iban: object) -> str | None:
    """Why ``iban`` is not a valid IBAN, or None when it is one. Spaces and lower case are
    accepted (``"it60 x054 2811 1010 0000 0123 456"``); other separators are not. The check is
    `stdnum.iban`: the ISO 13616 mod-97 check digits and the country's BBAN format."""
    if not isinstance(iban, str) or not _IBAN_CHARS.match(iban):
        return "only letters, digits and spaces may appear in it"
    try:
        stdnum_iban.validate(iban.replace(" ", ""))
    except ValidationError as error:
        return _why(error)
    return None


def _vat_error(number: object, country: str) -> str | None:
    """Why ``number`` is not a valid VAT number for a record in ``country``, or None.

    A number with an EU prefix ("IT03287650372", "DE136695976", "EL094259216") is checked by
    `stdnum.eu.vat`; one without a prefix ("03287650372") as a number of ``country`` when that
    is an EU member state (an Italian *partita IVA* by `stdnum.it.iva`). Numbers of countries
    outside the EU are kept unchecked.
    """
    if not isinstance(number, str) or not number.strip():
        return "must be a non-empty string"
    compact = number.replace(" ", "").upper()
    country = country.upper() if isinstance(country, str) else ""
    if compact[:2] in _VAT_PREFIXES:
        prefixed = compact
    elif country in _VAT_PREFIX:
        prefixed = _VAT_PREFIX[country] + compact
    else:
        return None
    try:
        eu_vat.validate(prefixed)
    except ValidationError as error:
        return _why(error)
    return None


def _tax_code_error(code: object, country: str) -> str | None:
    """Why ``code`` is not a valid tax code for a record in ``country``, or None. An Italian
    *codice fiscale* is checked by `stdnum.it.codicefiscale`: 16 characters for a person
    (check letter and date of birth), 11 digits for a company or body (its *partita IVA*
    rules). Other countries' codes are kept unchecked."""
    if not isinstance(code, str) or not code.strip():
        return "must be a non-empty string"
    if not isinstance(country, str) or country.upper() != "IT":
        return None
    try:
        codicefiscale.validate(code)
    except ValidationError as error:
        return _why(error)
    return None


def _fail(record: str, field: str, message: str) -> DataError:
    return DataError(message, record=record, field=field)


def _require_text(record: str, field: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _fail(record, field, f"must be a non-empty string, not {value!r}")


def _one_line(record: str, field: str, value: object) -> None:
    """Refuse a control character in a name, id or number: a CR or LF would start a new
    header in an e-mail (``Bcc: ...``), a NUL cut a file name."""
    found = _CONTROL.search(value) if isinstance(value, str) else None
    if found is not None:
        raise _fail(
            record,
            field,
            f"{value!r} contains the control character {found.group()!r} (at position "
            f"{found.start() + 1}): it must be one line of plain text",
        )


def _require_date(record: str, field: str, value: object) -> None:
    if not isinstance(value, date):
        raise _fail(record, field, f"must be a datetime.date, not {value!r}")


def _require_money(record: str, field: str, value: object, *, positive: bool = True) -> None:
    if not isinstance(value, Money):
        raise _fail(record, field, f"must be Money, not {value!r}")
    if positive and not value.is_positive:
        raise _fail(record, field, f"must be positive, not {value}")


def _strs(value: Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _ints(value: Iterable[int]) -> frozenset[int]:
    return frozenset(value)


def _documents(value: Iterable[Document]) -> tuple[Document, ...]:
    return tuple(value)


def _disputes(value: Iterable[Dispute]) -> tuple[Dispute, ...]:
    return tuple(value)


def _frozenset(value: Iterable[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


def _compact_iban(iban: str) -> str:
    """``iban`` without spaces, in upper case: ``"it60 x054 ..."`` → ``"IT60X054..."``."""
    return "".join(iban.split()).upper()


def _ibans(value: Iterable[str] | None) -> frozenset[str]:
    return frozenset(_compact_iban(i) if isinstance(i, str) else i for i in _frozenset(value))


@attrs.frozen
class PostalAddress:
    """A postal address in the form a window envelope needs."""

    lines: tuple[str, ...] = attrs.field(converter=_strs)
    postcode: str = ""
    city: str = ""
    province: str = ""
    country: str = "IT"

    @property
    def place(self) -> str:
        """Postcode, city and province as one line: ``"40127 Bologna (BO)"``."""
        last = " ".join(filter(None, [self.postcode, self.city]))
        if self.province:
            last += f" ({self.province})"
        return last

    def format(self) -> str:
        """The address as printed on an envelope."""
        return "\n".join([*self.lines, self.place, self.country])


@attrs.frozen
class Creditor:
    """Who is owed. Its data appears on every reminder."""

    name: str
    vat_number: str | None = None
    address: PostalAddress | None = None
    iban: str | None = None
    email: str | None = None
    pec: str | None = None
    phone: str | None = None
    signatory: str | None = None
    country: str = "IT"
    locale: str = "it_IT"
    sms_sender: str | None = None
    """The alphanumeric sender id of the creditor's SMS (at most 11 characters, see
    `dunning.gsm.sender_error`); None: made from ``name``
    (`dunning.sms_text.default_sender`)."""

    def __attrs_post_init__(self) -> None:
        _require_text("creditor", "name", self.name)
        for field in ("name", "signatory", "email", "pec"):
            _one_line("creditor", field, getattr(self, field))
        if self.sms_sender is not None and (why := sender_error(self.sms_sender)):
            raise _fail(
                "creditor", "sms_sender", f"{self.sms_sender!r} is not a valid sender id: {why}"
            )
        if self.iban is not None and (why := _iban_error(self.iban)):
            raise _fail("creditor", "iban", f"{self.iban!r} is not a valid IBAN: {why}")
        if self.vat_number is not None and (why := _vat_error(self.vat_number, self.country)):
            raise _fail(
                "creditor", "vat_number", f"{self.vat_number!r} is not a valid VAT number: {why}"
            )


@attrs.frozen
class Debtor:
    """Who owes: a business, a consumer or a public administration.

    ``kind`` changes the law that applies. ``opt_out`` holds the channels the debtor refused;
    ``block`` (a reason) stops all dunning for the debtor; ``policy`` names a policy that
    overrides the default one for this debtor. ``timezone`` is the debtor's IANA time zone
    when known; without it the zones come from the country and the US state (see
    `timezones` and `dunning.timezones`).
    """

    id: str
    name: str
    kind: DebtorKind = "business"
    vat_number: str | None = None
    tax_code: str | None = None
    country: str = "IT"
    locale: str = "it_IT"
    timezone: str | None = None
    email: str | None = None
    pec: str | None = None
    phone: str | None = None
    address: PostalAddress | None = None
    contact_person: str | None = None
    opt_out: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset)
    block: str | None = None
    policy: str | None = None
    ibans: frozenset[str] = attrs.field(default=frozenset(), converter=_ibans)
    """The IBANs the debtor pays from (compact, upper case, checked with `stdnum.iban`):
    `dunning.reconcile` matches a bank payment by amount only when it comes from one of them."""

    def __attrs_post_init__(self) -> None:
        _require_text("debtor", "id", self.id)
        _one_line("debtor", "id", self.id)
        rec = f"debtor {self.id}"
        _require_text(rec, "name", self.name)
        for field in ("name", "contact_person"):
            _one_line(rec, field, getattr(self, field))
        if self.kind not in DEBTOR_KINDS:
            raise _fail(rec, "kind", f"must be one of {', '.join(DEBTOR_KINDS)}, not {self.kind!r}")
        for field in ("email", "pec"):
            value = getattr(self, field)
            if value is not None and not _EMAIL.match(value):
                raise _fail(rec, field, f"{value!r} is not an e-mail address")
        if self.phone is not None and not _E164.match(self.phone):
            raise _fail(rec, "phone", f"{self.phone!r} is not in E.164 form (e.g. +390212345678)")
        if self.vat_number is not None and (why := _vat_error(self.vat_number, self.country)):
            raise _fail(rec, "vat_number", f"{self.vat_number!r} is not a valid VAT number: {why}")
        if self.tax_code is not None and (why := _tax_code_error(self.tax_code, self.country)):
            raise _fail(rec, "tax_code", f"{self.tax_code!r} is not a valid tax code: {why}")
        unknown = self.opt_out - set(CHANNELS)
        if unknown:
            raise _fail(rec, "opt_out", f"unknown channel(s) {sorted(unknown)}")
        for iban in sorted(self.ibans):
            if why := _iban_error(iban):
                raise _fail(rec, "ibans", f"{iban!r} is not a valid IBAN: {why}")
        if self.timezone is not None:
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError, TypeError):
                raise _fail(rec, "timezone", f"unknown time zone {self.timezone!r}") from None

    @property
    def blocked(self) -> bool:
        return self.block is not None

    @property
    def timezones(self) -> tuple[str, ...]:
        """The IANA zones the debtor may be in: ``(timezone,)`` when set, else those of its
        country and US state (`dunning.timezones.debtor_zones` says how they were found);
        empty when nothing is known.

        >>> Debtor("U1", "Jane Doe", country="US", timezone="America/Chicago").timezones
        ('America/Chicago',)
        >>> Debtor("C001", "Bar Centrale").timezones  # an Italian debtor
        ('Europe/Rome',)
        >>> Debtor("U2", "John Roe", country="US",
        ...        address=PostalAddress(["1 Main St"], "73301", "Austin", "TX", "US")).timezones
        ('America/Chicago', 'America/Denver')
        """
        return debtor_zones(self).zones

    def contact(self, channel: str) -> str | None:
        """The address to use on ``channel``, or None when the debtor has none."""
        if channel in ("sms", "phone"):
            return self.phone
        if channel == "postal":
            return self.address.format() if self.address else None
        if channel == "agency":
            return self.name
        value = getattr(self, channel, None)
        return value if isinstance(value, str) else None


@attrs.frozen
class OpenItem:
    """One amount due on one date: an invoice has one or more (instalments)."""

    due_date: date
    amount: Money
    number: int = 0

    def __attrs_post_init__(self) -> None:
        _require_date("open item", "due_date", self.due_date)
        _require_money("open item", "amount", self.amount)


@attrs.frozen
class Document:
    """A supporting document (quote, order, delivery note, contract...) referenced by hash."""

    kind: str
    reference: str
    sha256: str | None = None


@attrs.frozen
class Dispute:
    """The debtor contests the invoice (or some of its items) from ``opened`` on."""

    opened: date
    reason: str = ""
    resolved: date | None = None
    items: frozenset[int] = attrs.field(default=frozenset(), converter=_ints)
    """Instalment numbers concerned; empty means the whole invoice."""


def _number_items(items: Iterable[OpenItem]) -> tuple[OpenItem, ...]:
    items = tuple(items)
    return tuple(
        attrs.evolve(item, number=i) if item.number == 0 else item
        for i, item in enumerate(items, start=1)
    )


@attrs.frozen
class Invoice:
    """An invoice with one or more open items (instalments).

    Items are numbered from 1 in order; an item's key (`Invoice.item_key`) is the invoice id,
    followed by ``#n`` when there are several.

    ``performed_on`` is the day the performance the invoice bills was completed: the work
    finished (a professional's fees), the goods delivered (a sale), the end of the period of
    supply billed (an electricity, gas or water bill). The short limitation periods run from it
    rather than from the invoice (art. 2957 c.c.; see `dunning.limitation`). It is optional and
    cannot be after the issue date: leave it empty for an advance invoice, and the issue date
    stands in.
    """

    id: str
    debtor_id: str
    issue_date: date
    items: tuple[OpenItem, ...] = attrs.field(converter=_number_items)
    number: str | None = None
    documents: tuple[Document, ...] = attrs.field(default=(), converter=_documents)
    disputes: tuple[Dispute, ...] = attrs.field(default=(), converter=_disputes)
    performed_on: date | None = None
    terms: PaymentTerms | None = None
    """The payment terms an e-invoice states (method, IBAN, penalty, how each due date was
    found), set by `dunning.importers.fatturapa` and `dunning.importers.ubl`; None otherwise."""

    def __attrs_post_init__(self) -> None:
        _require_text("invoice", "id", self.id)
        _one_line("invoice", "id", self.id)
        rec = f"invoice {self.id}"
        _one_line(rec, "number", self.number)
        _require_text(rec, "debtor_id", self.debtor_id)
        _require_date(rec, "issue_date", self.issue_date)
        if self.performed_on is not None:
            _require_date(rec, "performed_on", self.performed_on)
            if self.performed_on > self.issue_date:
                raise _fail(
                    rec,
                    "performed_on",
                    f"{self.performed_on} is after the issue date {self.issue_date}: it is the "
                    "day the work invoiced was completed, the goods delivered or the supply "
                    "billed ended, which the invoice follows (for an advance invoice leave it "
                    "empty: the issue date stands in)",
                )
        if not self.items:
            raise _fail(rec, "items", "an invoice needs at least one open item")
        currencies = {item.amount.currency for item in self.items}
        if len(currencies) > 1:
            raise _fail(rec, "items", f"items mix currencies {sorted(currencies)}")
        numbers = [item.number for item in self.items]
        if len(set(numbers)) != len(numbers):
            raise _fail(rec, "items", f"instalment numbers repeat: {numbers}")
        stated_early = self.terms is not None and self.terms.due_before_issue
        for item in self.items:
            if item.due_date < self.issue_date and not stated_early:
                which = f"instalment {item.number}" if len(self.items) > 1 else "the invoice"
                raise _fail(
                    rec,
                    "due_date",
                    f"{which} is due {item.due_date}, before the issue date {self.issue_date}",
                )

    @classmethod
    def single(
        cls, id: str, debtor_id: str, issue_date: date, due_date: date, amount: Money, **kw: object
    ) -> Invoice:
        """An invoice with one open item."""
        return cls(id, debtor_id, issue_date, (OpenItem(due_date, amount),), **kw)  # type: ignore[arg-type]

    @property
    def currency(self) -> str:
        return self.items[0].amount.currency

    @property
    def total(self) -> Money:
        return sum((item.amount for item in self.items), Money.zero(self.currency))

    @property
    def label(self) -> str:
        """The number printed on the invoice (falls back to the id)."""
        return self.number or self.id

    def item_key(self, item: OpenItem) -> str:
        return self.id if len(self.items) == 1 else f"{self.id}#{item.number}"


@attrs.frozen
class CreditNote:
    """A credit note: reduces what ``debtor_id`` owes, on ``invoice_id`` when given."""

    id: str
    debtor_id: str
    date: date
    amount: Money
    invoice_id: str | None = None
    reference: str | None = None
    """The invoice the credit note says it corrects, as written in it (FatturaPA
    ``DatiFattureCollegate/IdDocumento``, UBL ``BillingReference``), kept even when that
    invoice is not in the portfolio (``invoice_id`` is then None)."""

    def __attrs_post_init__(self) -> None:
        _require_text("credit note", "id", self.id)
        _one_line("credit note", "id", self.id)
        rec = f"credit note {self.id}"
        _require_date(rec, "date", self.date)
        _require_money(rec, "amount", self.amount)


def _optional_iban(value: str | None) -> str | None:
    return _compact_iban(value) if isinstance(value, str) else value


@attrs.frozen
class Payment:
    """Money received, by value date. ``reference`` is the remittance text or invoice id.

    Allocation to open items: the invoice named by the reference first, then oldest due first.

    A payment read from a bank statement (`dunning.importers.camt`) does not know its debtor
    yet: its ``debtor_id`` is empty (``""``) until `dunning.reconcile` matches it, and a
    `Portfolio` refuses a payment without a debtor. ``payer_iban`` (compact, upper case, as
    the bank wrote it: it is not checked, since a payment cannot be refused for its payer's
    account number) and ``payer_name`` say who paid; ``bank_reference`` is the bank's
    reference of the entry (its ``AcctSvcrRef``), which keeps a statement read twice from
    being counted twice.
    """

    id: str
    debtor_id: str
    date: date
    amount: Money
    reference: str | None = None
    payer_iban: str | None = attrs.field(default=None, converter=_optional_iban)
    payer_name: str | None = None
    bank_reference: str | None = None

    def __attrs_post_init__(self) -> None:
        _require_text("payment", "id", self.id)
        _one_line("payment", "id", self.id)
        rec = f"payment {self.id}"
        if not isinstance(self.debtor_id, str):
            raise _fail(rec, "debtor_id", f"must be a string, not {self.debtor_id!r}")
        _one_line(rec, "debtor_id", self.debtor_id)
        _require_date(rec, "date", self.date)
        _require_money(rec, "amount", self.amount)
        for field in ("payer_iban", "payer_name", "bank_reference"):
            value = getattr(self, field)
            if value is not None and not isinstance(value, str):
                raise _fail(rec, field, f"must be a string, not {value!r}")
            _one_line(rec, field, value)

    @property
    def matched(self) -> bool:
        """Whether the payment has a debtor (a statement payment gets one from
        `dunning.reconcile`)."""
        return bool(self.debtor_id)
