"""Print-ready letters: A4 PDFs for window envelopes, a batch and a manifest for the mailing
service.

`letter_for(action, portfolio, policy, history)` renders an action's message as a `Letter`:
the parts a printed page needs, apart (sender, return line, recipient, place and date,
subject, body, statement table, totals, payment data with the EPC QR code). `letter_pdf`
draws one letter for an `Envelope`; `write_batch` writes every letter of a run into one PDF
(``letters.pdf``) and its manifest (``letters.csv``, ``letters.json``);
`dunning.returns.read_returns` (``dunning receipts``) turns the manifest the mailing
service hands back (tracking numbers, the dates on the A/R return cards, the letters
returned) into events.

The body comes from the same templates as the e-mail, rendered with ``layout`` set to
``"letter"``: ``_head.txt`` then renders nothing (the page draws the sender block, the
address in the window, the place and date and the subject itself) and ``_items.txt``
renders only ``{{ table }}``, a line that marks where the statement table goes. A template
that does not include ``_items.txt`` (the courtesy notice lists its invoices itself) gets
no table.

Drawing needs the ``pdf`` extra (fpdf2 and segno, both pure Python): without it `letter_pdf`
and `write_batch` raise `MissingExtra`. The fonts (subsets of DejaVu Sans, with every letter
Italian, German, French and Spanish use, and the euro sign) ship with the package and are
embedded in every PDF, so nothing is needed from the system.

Envelope windows (`ENVELOPES`, all figures in millimetres from the top-left corner of the
A4 sheet; measure yours and use `Envelope.custom` when they differ):

=============  =====  =====  =====  ======  =======  ==========================================
name           left   top    width  height  address  source
=============  =====  =====  =====  ======  =======  ==========================================
``din5008a``   20     27     85     45      44.7     DIN 5008:2020 form A (DIN 676), C6/5, DL
``din5008b``   20     45     85     45      62.7     DIN 5008:2020 form B (DIN 676), C6/5, DL
``it_right``   100    50     100    45      58       DL 110 × 230 with a right-hand window
``dl``         20     50     90     45      58       DL 110 × 220, window 90 × 45 at 20 / 15
``c5_6``       20     52     90     45      60       C5/6 114 × 229, window 90 × 45 at 20 / 17
=============  =====  =====  =====  ======  =======  ==========================================
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from babel import Locale

from ._spreadsheet import safe_cell
from .errors import DataError, DunningError, PolicyError
from .events import Event
from .money import Money
from .payment import epc_qr_payload
from .policy import PolicyLike
from .portfolio import Portfolio
from .proposal import Action
from .render import Templates, _compose, _formatter

if TYPE_CHECKING:  # pragma: no cover
    from fpdf import FPDF

__all__ = [
    "ENVELOPES",
    "LABELS",
    "MANIFEST_COLUMNS",
    "RECEIPT_COLUMNS",
    "SERVICES",
    "TABLE_MARKER",
    "Envelope",
    "Letter",
    "MissingExtra",
    "Payment",
    "envelope_for",
    "letter_for",
    "letter_pdf",
    "manifest_csv",
    "text_pdf",
    "write_batch",
]

#: The A4 sheet, in millimetres.
PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0

#: The line ``_items.txt`` renders in a letter, where the statement table goes.
TABLE_MARKER = "[[dunning:statement-table]]"

_FONTS = Path(__file__).parent / "fonts"
_FAMILY = "DejaVu"


class MissingExtra(DunningError, ImportError):  # noqa: N818  (names the situation)
    """A feature needs an optional dependency that is not installed."""


def _require_pdf() -> None:
    try:
        import fpdf  # noqa: F401
        import segno  # noqa: F401
    except ImportError as error:
        raise MissingExtra(
            f"PDF letters need fpdf2 and segno ({error.name} is missing): "
            "pip install 'dunning[pdf]'"
        ) from None


@attrs.frozen
class Envelope:
    """Where a window envelope shows the sheet: the window's ``left`` and ``top`` edges and its
    ``width`` and ``height`` in millimetres from the top-left corner of the A4 sheet (as the
    sheet lies folded in the envelope), ``address_top`` where the recipient's address starts
    (the one-line return address goes above it, in the window's top part), ``margin`` the band
    kept clear inside each edge of the window (the sheet moves in the envelope; printers do
    not place to the tenth of a millimetre), and ``folds`` the fold marks (mm from the top)."""

    name: str
    left: float
    top: float
    width: float
    height: float
    address_top: float
    margin: float = 4.0
    folds: tuple[float, ...] = (99.0, 198.0)
    source: str = ""

    def __attrs_post_init__(self) -> None:
        def fail(why: str) -> DataError:
            return DataError(f"envelope {self.name!r}: {why}")

        if min(self.left, self.top, self.width, self.height, self.margin) < 0:
            raise fail("positions and sizes are millimetres from the top-left corner, not < 0")
        if self.left + self.width > PAGE_WIDTH or self.top + self.height > PAGE_HEIGHT:
            raise fail(
                f"the window ({self.left}+{self.width} × {self.top}+{self.height} mm) is "
                f"outside the A4 sheet ({PAGE_WIDTH:g} × {PAGE_HEIGHT:g} mm)"
            )
        if self.width - 2 * self.margin < 50:
            raise fail(f"the window is {self.width} mm wide: an address needs at least 50 mm")
        if not self.top + self.margin + 3 <= self.address_top <= self.bottom - 15:
            raise fail(
                f"address_top {self.address_top} mm must leave room for the return line above "
                f"it (from {self.top + self.margin + 3:g} mm) and three address lines below "
                f"(to {self.bottom - 15:g} mm)"
            )
        for fold in self.folds:
            if not 0 < fold < PAGE_HEIGHT:
                raise fail(f"fold mark at {fold} mm is off the sheet")

    @classmethod
    def custom(
        cls,
        left: float,
        top: float,
        width: float,
        height: float,
        *,
        address_top: float | None = None,
        margin: float = 4.0,
        folds: tuple[float, ...] = (99.0, 198.0),
        name: str = "custom",
    ) -> Envelope:
        """An envelope measured by hand; the address starts 8 mm below the window's top
        unless ``address_top`` says otherwise.

        >>> Envelope.custom(110, 45, 90, 40).address_box
        (114.0, 53.0, 196.0, 81.0)
        """
        start = top + margin + 4 if address_top is None else address_top
        return cls(name, left, top, width, height, start, margin, folds, "measured by hand")

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def window(self) -> tuple[float, float, float, float]:
        """The window as (left, top, right, bottom) in mm from the top-left corner."""
        return (self.left, self.top, self.right, self.bottom)

    @property
    def address_box(self) -> tuple[float, float, float, float]:
        """Where the recipient's address is printed: (left, top, right, bottom) in mm."""
        m = self.margin
        return (self.left + m, self.address_top, self.right - m, self.bottom - m)


_DIN = (
    "DIN 5008:2020 and DIN 676: the address field is 85 × 45 mm, 20 mm from the left edge, "
    "its top {top} mm from the top edge (form {form}); the additions and remarks zone "
    "(17.7 mm, the one-line return address on top) above the address zone of 27.3 mm, which "
    "starts {zone} mm from the top; fold marks at {folds} mm. Figures as given by "
    "din-5008-richtlinien.de ('Anschriftenfeld') and sekretaria.de ('Absender')."
)

#: The shipped envelope layouts, by name.
ENVELOPES: Mapping[str, Envelope] = {
    e.name: e
    for e in (
        Envelope(
            "din5008a",
            20,
            27,
            85,
            45,
            44.7,
            margin=5.0,
            folds=(87.0, 192.0),
            source=_DIN.format(top=27, form="A", zone=44.7, folds="87 and 192"),
        ),
        Envelope(
            "din5008b",
            20,
            45,
            85,
            45,
            62.7,
            margin=5.0,
            folds=(105.0, 210.0),
            source=_DIN.format(top=45, form="B", zone=62.7, folds="105 and 210"),
        ),
        Envelope(
            "it_right",
            100,
            50,
            100,
            45,
            58,
            source=(
                "the Italian 'busta a finestra destra' (DL 110 × 230 mm, the window 100 × 45 mm "
                "on the right, 20 mm from the right and 15 mm from the bottom edge; typical "
                "stationers' figures) holding the A4 sheet folded in three (99 mm panels); "
                "within the limits of the Italian rules on windowed envelopes (D.M. of 1992, "
                "Gazzetta Ufficiale 14 January 1992, table 8: the address at least 40 mm from "
                "the top and 15 mm from the sides)"
            ),
        ),
        Envelope(
            "dl",
            20,
            50,
            90,
            45,
            58,
            source=(
                "the international DL envelope (110 × 220 mm, ISO 269) with a 90 × 45 mm window "
                "20 mm from the left and 15 mm from the bottom edge (the common UK window "
                "position) holding the A4 sheet folded in three (99 mm panels)"
            ),
        ),
        Envelope(
            "c5_6",
            20,
            52,
            90,
            45,
            60,
            source=(
                "the C5/6 envelope (114 × 229 mm, ISO 269) with a 90 × 45 mm window 20 mm from "
                "the left and about 17 mm from the bottom edge, holding the A4 sheet folded in "
                "three (99 mm panels)"
            ),
        ),
    )
}

#: The envelope used by default for a creditor's country (`envelope_for`).
_BY_COUNTRY = {"IT": "it_right", "DE": "din5008b", "AT": "din5008b", "CH": "din5008b"}


def envelope_for(country: str) -> Envelope:
    """The usual window envelope of a creditor in ``country``: the Italian right-hand window in
    Italy, DIN 5008 form B in Germany, Austria and Switzerland, the DL window elsewhere.

    >>> envelope_for("IT").name, envelope_for("DE").name, envelope_for("GB").name
    ('it_right', 'din5008b', 'dl')
    """
    return ENVELOPES[_BY_COUNTRY.get(country.upper(), "dl")]


#: The words a letter prints itself, per language.
LABELS: Mapping[str, Mapping[str, str]] = {
    "it": {
        "subject": "Oggetto: {subject}",
        "page": "Pagina {page} di {pages}",
        "attention": "c.a. {name}",
        "vat": "P. IVA {vat}",
        "phone": "Tel. {phone}",
        "pec": "PEC {pec}",
        "invoice": "Fattura",
        "issued": "Data",
        "due": "Scadenza",
        "amount": "Importo",
        "open": "Da pagare",
        "principal": "Capitale scaduto",
        "interest": "Interessi di mora",
        "compensation": "Risarcimento forfettario dei costi di recupero",
        "total": "Totale dovuto",
        "pay": "Come pagare",
        "beneficiary": "Beneficiario",
        "iban": "IBAN",
        "reference": "Riferimento",
        "sum": "Importo",
        "scan": "Inquadri il codice con l'app della sua banca",
    },
    "en": {
        "subject": "{subject}",
        "page": "Page {page} of {pages}",
        "attention": "For the attention of {name}",
        "vat": "VAT {vat}",
        "phone": "Tel. {phone}",
        "pec": "PEC {pec}",
        "invoice": "Invoice",
        "issued": "Date",
        "due": "Due",
        "amount": "Amount",
        "open": "Open",
        "principal": "Principal overdue",
        "interest": "Late payment interest",
        "compensation": "Fixed compensation for recovery costs",
        "total": "Total due",
        "pay": "How to pay",
        "beneficiary": "Beneficiary",
        "iban": "IBAN",
        "reference": "Reference",
        "sum": "Amount",
        "scan": "Scan the code with your banking app",
    },
    "de": {
        "subject": "{subject}",
        "page": "Seite {page} von {pages}",
        "attention": "z. Hd. {name}",
        "vat": "USt-IdNr. {vat}",
        "phone": "Tel. {phone}",
        "pec": "PEC {pec}",
        "invoice": "Rechnung",
        "issued": "Datum",
        "due": "Fällig",
        "amount": "Betrag",
        "open": "Offen",
        "principal": "Fällige Hauptforderung",
        "interest": "Verzugszinsen",
        "compensation": "Verzugspauschale",
        "total": "Gesamtbetrag",
        "pay": "So zahlen Sie",
        "beneficiary": "Empfänger",
        "iban": "IBAN",
        "reference": "Verwendungszweck",
        "sum": "Betrag",
        "scan": "Code mit der Banking-App scannen",
    },
    "fr": {
        "subject": "Objet : {subject}",
        "page": "Page {page} sur {pages}",
        "attention": "À l’attention de {name}",
        "vat": "TVA {vat}",
        "phone": "Tél. {phone}",
        "pec": "PEC {pec}",
        "invoice": "Facture",
        "issued": "Date",
        "due": "Échéance",
        "amount": "Montant",
        "open": "Restant dû",
        "principal": "Principal échu",
        "interest": "Pénalités de retard",
        "compensation": "Indemnité forfaitaire pour frais de recouvrement",
        "total": "Total dû",
        "pay": "Comment payer",
        "beneficiary": "Bénéficiaire",
        "iban": "IBAN",
        "reference": "Référence",
        "sum": "Montant",
        "scan": "Scannez le code avec votre application bancaire",
    },
    "es": {
        "subject": "Asunto: {subject}",
        "page": "Página {page} de {pages}",
        "attention": "A la atención de {name}",
        "vat": "NIF {vat}",
        "phone": "Tel. {phone}",
        "pec": "PEC {pec}",
        "invoice": "Factura",
        "issued": "Fecha",
        "due": "Vencimiento",
        "amount": "Importe",
        "open": "Pendiente",
        "principal": "Principal vencido",
        "interest": "Intereses de demora",
        "compensation": "Compensación por costes de cobro",
        "total": "Total adeudado",
        "pay": "Cómo pagar",
        "beneficiary": "Beneficiario",
        "iban": "IBAN",
        "reference": "Referencia",
        "sum": "Importe",
        "scan": "Escanee el código con la app de su banco",
    },
}


#: The endorsement printed above the subject of a letter sent by a postal service with proof
#: (the service names of `dunning.steps.postal`).
SERVICES: Mapping[str, str] = {
    "raccomandata": "Raccomandata",
    "raccomandata_ar": "Raccomandata A/R",
    "einschreiben": "Einschreiben",
    "einschreiben_rueckschein": "Einschreiben mit Rückschein",
    "burofax": "Burofax",
    "registered": "Registered post",
    "registered_ar": "Registered post with return receipt",
    "lrar": "Lettre recommandée avec accusé de réception",
    "certified_rr": "Certified mail, return receipt requested",
}


@attrs.frozen
class Payment:
    """How to pay, as the letter's payment block shows it; ``qr`` is the EPC QR code's payload
    (`dunning.payment.epc_qr_payload`), None when the amount is not in euro."""

    beneficiary: str
    iban: str
    amount: str
    reference: str
    qr: str | None


@attrs.frozen
class Letter:
    """One letter's parts, ready to be laid out on paper.

    ``body`` holds the paragraphs below the subject; the paragraph equal to `TABLE_MARKER`
    is where the statement table (``table`` rows of invoice, date, due date, amount, open;
    then ``totals``, label and amount) goes. ``recipient`` is the address block of the
    window, ``return_line`` the sender on one line above it.
    """

    key: str
    language: str
    sender: tuple[str, ...]
    return_line: str
    recipient: tuple[str, ...]
    place_date: str
    subject: str
    body: tuple[str, ...]
    table: tuple[tuple[str, str, str, str, str], ...] = ()
    totals: tuple[tuple[str, str], ...] = ()
    payment: Payment | None = None
    service: str | None = None
    country: str = ""
    date: str = ""
    """The letter's date, ISO 8601 (the PDF's creation date, so the same letter gives the same
    bytes)."""
    debtor_id: str = ""

    @property
    def labels(self) -> Mapping[str, str]:
        return LABELS.get(self.language, LABELS["en"])


def letter_for(
    action: Action,
    portfolio: Portfolio,
    policy: PolicyLike,
    history: Iterable[Event] = (),
    *,
    templates: Templates | None = None,
) -> Letter:
    """The letter for ``action``: the body of `dunning.render.render`'s message without its
    head, and the parts the page lays out apart."""
    if action.kind == "call":
        raise PolicyError(f"{action.step}: a call is a task for a person, not a letter")
    past = list(history)
    debtor = portfolio.debtor(action.debtor_id)
    creditor = portfolio.creditor
    env = (templates or Templates()).environment()
    fmt = _formatter(debtor)
    language, context, subject, text = _compose(
        action, portfolio, policy, past, env, layout="letter", table=TABLE_MARKER
    )
    body = tuple(p.strip("\n") for p in text.split("\n\n") if p.strip())
    labels = LABELS.get(language, LABELS["en"])

    sender = [creditor.name, *context["creditor"]["address"]]
    if creditor.vat_number:
        sender.append(labels["vat"].format(vat=creditor.vat_number))
    if creditor.phone:
        sender.append(labels["phone"].format(phone=creditor.phone))
    sender += [c for c in (creditor.email,) if c]
    if creditor.pec:
        sender.append(labels["pec"].format(pec=creditor.pec))

    recipient = [debtor.name]
    if debtor.contact_person:
        recipient.append(labels["attention"].format(name=debtor.contact_person))
    recipient += context["debtor"]["address"]
    home = creditor.address.country if creditor.address else creditor.country
    country = debtor.address.country if debtor.address else debtor.country
    if country and home and country.upper() != home.upper():
        names = Locale.parse(creditor.locale).territories
        recipient.append(str(names.get(country.upper(), country)).upper())

    account = context["account"]
    totals = [(labels["principal"], context["amount"])]
    if account["has_interest"]:
        totals.append((labels["interest"], account["interest"]))
    if account["has_compensation"]:
        totals.append((labels["compensation"], account["compensation"]))
    totals.append((labels["total"], account["total"]))
    table = tuple(
        (r["number"], r["issued"], r["due"], r["amount"], r["open"]) for r in context["claimed"]
    )

    payment = None
    if creditor.iban:
        due: Money = account["total_value"]
        if not due.is_positive:
            due = action.amount
        qr = None
        if due.currency == "EUR" and due.is_positive:
            try:
                qr = epc_qr_payload(creditor, due.rounded(), reference=context["rf"])
            except DataError:
                qr = None  # e.g. a legal name over the 70 characters a code holds
        payment = Payment(creditor.name, _spaced(creditor.iban), fmt.money(due), context["rf"], qr)

    place = context["creditor"]["city"]
    return Letter(
        key=action.key,
        language=language,
        sender=tuple(sender),
        return_line=" · ".join([creditor.name, *context["creditor"]["address"]]),
        recipient=tuple(recipient),
        place_date=f"{place}, {context['date']}" if place else context["date"],
        subject=subject,
        body=body,
        table=table,
        totals=tuple(totals),
        payment=payment,
        service=action.service,
        country=country or "",
        date=action.date.isoformat(),
        debtor_id=action.debtor_id,
    )


def _spaced(iban: str) -> str:
    compact = iban.replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


# -- drawing ---------------------------------------------------------------------------------

_LEFT = 25.0  # DIN 5008's left margin; the text column ends 20 mm from the right edge
_RIGHT = 190.0
_BOTTOM = 280.0  # below: the page number
_QR = 24.0  # the QR code's side (mm): about 0.7 mm a module, easy for a phone
_SIZE = 9.5  # the body's font size (pt)
_LINE = 4.2  # the body's line height (mm)
_GAP = 1.9  # between paragraphs (mm)


class _Layout:
    """Draws letters into one fpdf2 document (one letter, or a batch)."""

    def __init__(self, envelope: Envelope) -> None:
        _require_pdf()
        from fpdf import FPDF

        self.envelope = envelope
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(_LEFT, 20, PAGE_WIDTH - _RIGHT)
        pdf.c_margin = 0
        for style, file in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
            pdf.add_font(_FAMILY, style, str(_FONTS / file))
        pdf.add_font(_FAMILY, "I", str(_FONTS / "DejaVuSans-Oblique.ttf"))
        pdf.set_title("")
        pdf.set_creator("dunning")
        pdf.set_producer("dunning")
        self.pdf: FPDF = pdf
        self._first = 1

    # pages --------------------------------------------------------------------------------
    def _font(self, size: float, style: str = "") -> None:
        self.pdf.set_font(_FAMILY, style, size)

    def _new_page(self, letter: Letter) -> None:
        pdf = self.pdf
        pdf.add_page()
        # later pages: a running head, so a loose sheet can be put back in its letter
        self._font(7.5)
        pdf.set_text_color(110)
        pdf.set_xy(_LEFT, 10)
        running = f"{letter.sender[0]} – {letter.subject}"
        pdf.cell(_RIGHT - _LEFT, 4, _fit(pdf, running, _RIGHT - _LEFT))
        pdf.set_text_color(0)
        pdf.set_xy(_LEFT, 22)

    def _room(self, height: float, letter: Letter) -> bool:
        """Make sure ``height`` mm fit on the page (a new page if not); True on a new page."""
        if self.pdf.get_y() + height > _BOTTOM:
            self._new_page(letter)
            return True
        return False

    def draw(self, letter: Letter) -> tuple[int, int]:
        """Draw ``letter`` from a new page; returns its first page and its page count."""
        pdf = self.pdf
        pdf.add_page()
        first = self._first = pdf.page
        self._first_page(letter)
        closing = len(letter.body) - 3  # the contact line, the greeting and the signature
        for number, paragraph in enumerate(letter.body):
            if number == closing:  # kept together, never a signature alone on a page
                self._room(sum(self._height(p) for p in letter.body[number:]), letter)
            elif TABLE_MARKER not in paragraph and self._height(paragraph) < 35:
                self._room(self._height(paragraph), letter)  # a short paragraph is not split
            # the marker is a line of its own, often right below the sentence introducing it
            text: list[str] = []
            for line in [*paragraph.split("\n"), None]:
                if line is not None and line.strip() != TABLE_MARKER:
                    text.append(line)
                    continue
                if text:
                    self._paragraph("\n".join(text), letter, after=0.8 if line else _GAP)
                    text = []
                if line is not None:
                    self._table(letter)
        if letter.payment is not None:
            self._payment(letter, letter.payment)
        pages = pdf.page - first + 1
        if pages > 1:
            last = pdf.page
            for n in range(pages):
                pdf.page = first + n
                # fpdf2 writes a font or colour only when it changes: on a page left
                # earlier the stream's state is another one, so set each afresh
                self._font(1, "B")
                self._font(8)
                pdf.set_fill_color(255)
                pdf.set_text_color(1)
                pdf.set_text_color(0)
                pdf.set_xy(_LEFT, 284)
                label = letter.labels["page"].format(page=n + 1, pages=pages)
                pdf.cell(_RIGHT - _LEFT, 4, label, align="R")
            pdf.page = last
        return first, pages

    def blank(self) -> None:
        self.pdf.add_page()

    # the first page -----------------------------------------------------------------------
    def _first_page(self, letter: Letter) -> None:
        pdf, env = self.pdf, self.envelope
        pdf.set_draw_color(150)
        pdf.set_line_width(0.2)
        for fold in env.folds:
            pdf.line(4, fold, 9, fold)
        if 87 in env.folds or 105 in env.folds:  # DIN: the hole mark at mid-height
            pdf.line(4, PAGE_HEIGHT / 2, 11, PAGE_HEIGHT / 2)
        pdf.set_draw_color(0)

        # the letterhead: in the column beside the window, or above it
        left_room = env.left - 8 - _LEFT
        right_room = _RIGHT - max(env.right + 8, 120)
        if max(left_room, right_room) >= 55:
            x0 = _LEFT if left_room > right_room else _RIGHT - right_room
            width, y, bottom = max(left_room, right_room), 15.0, _BOTTOM
        else:
            x0, width, y, bottom = _LEFT, _RIGHT - _LEFT, 12.0, env.top - 2
        head_bottom = self._letterhead(letter, x0, width, y, bottom)

        # the window: the return line, then the address
        box = env.address_box
        self._font(6.5)
        line = letter.return_line
        while pdf.get_string_width(line) > box[2] - box[0] and len(line) > 4:
            line = line[:-2].rstrip() + "…"
        pdf.set_xy(box[0], env.address_top - 3.6)
        pdf.cell(box[2] - box[0], 2.8, line)
        pdf.set_line_width(0.1)
        end = box[0] + pdf.get_string_width(line)
        pdf.line(box[0], env.address_top - 0.6, end, env.address_top - 0.6)
        self._address(letter, box)

        # place and date: in the letterhead's column, level with the window's bottom, when
        # the column is free there; else below. Then the subject, below both.
        self._font(10)
        beside = x0 + width <= env.left or x0 >= env.right
        if beside and head_bottom + 4 <= env.bottom - 5:
            pdf.set_xy(x0, env.bottom - 5)
            pdf.cell(width, 5, letter.place_date, align="L" if x0 < env.left else "R")
            y = max(env.bottom, head_bottom) + 6
        else:
            y = max(env.bottom, head_bottom) + 4
            pdf.set_xy(_LEFT, y)
            pdf.cell(_RIGHT - _LEFT, 5, letter.place_date, align="R")
            y += 7.5
        endorsement = SERVICES.get(letter.service or "")
        if endorsement:  # "Raccomandata A/R" above the subject, as the post office expects
            self._font(9, "B")
            pdf.set_xy(_LEFT, y)
            pdf.cell(_RIGHT - _LEFT, 4.5, endorsement.upper())
            y += 6
        pdf.set_xy(_LEFT, y)
        self._font(10.5, "B")
        subject = letter.labels["subject"].format(subject=letter.subject)
        pdf.multi_cell(_RIGHT - _LEFT, 5.2, subject, align="L")
        pdf.set_y(pdf.get_y() + 3)

    def _letterhead(self, letter: Letter, x: float, width: float, y: float, bottom: float) -> float:
        pdf = self.pdf
        self._font(11, "B")
        pdf.set_xy(x, y)
        pdf.multi_cell(width, 5, letter.sender[0], align="L")
        self._font(8)
        for line in letter.sender[1:]:
            if pdf.get_y() + 3.6 > bottom:
                break
            pdf.set_x(x)
            pdf.multi_cell(width, 3.6, line, align="L")
        return float(pdf.get_y())

    def _address(self, letter: Letter, box: tuple[float, float, float, float]) -> None:
        pdf = self.pdf
        left, top, right, bottom = box
        lines = letter.recipient
        for size, height in ((10.0, 4.4), (9.0, 3.9), (8.0, 3.5)):
            self._font(size)
            wide = max(pdf.get_string_width(s) for s in lines) if lines else 0
            if len(lines) * height <= bottom - top and wide <= right - left:
                break
        else:
            raise DataError(
                f"letter {letter.key}: the recipient's address ({len(lines)} lines) does not fit "
                f"the window ({right - left:g} × {bottom - top:g} mm) even at 8 pt: shorten it"
            )
        for n, line in enumerate(lines):
            pdf.set_xy(left, top + n * height)
            pdf.cell(right - left, height, line)

    # the body -----------------------------------------------------------------------------
    def _lines(self, paragraph: str) -> list[tuple[float, float, str, str]]:
        """The paragraph's printed lines: (font size, indent, bullet, text) each. A line
        starting with ``- `` is a bullet; one starting with two spaces a detail under it
        (an interest period), in a smaller size."""
        pdf = self.pdf
        out: list[tuple[float, float, str, str]] = []
        for line in paragraph.split("\n"):
            size, indent, bullet = _SIZE, 0.0, ""
            if line.startswith("- "):
                indent, bullet, line = 5.0, "–", line[2:]
            elif line.startswith("  "):
                size, indent, line = _SIZE - 1, 9.0, line.strip()
            self._font(size)
            rows: list[str] = pdf.multi_cell(
                _RIGHT - _LEFT - indent, _LINE, line, align="L", dry_run=True, output="LINES"
            )  # type: ignore[assignment]  # fpdf2 types every output the method can give
            for n, row in enumerate(rows):
                out.append((size, indent, bullet if n == 0 else "", row))
        return out

    def _height(self, paragraph: str) -> float:
        return len(self._lines(paragraph)) * _LINE + _GAP

    def _paragraph(self, paragraph: str, letter: Letter, after: float = _GAP) -> None:
        pdf = self.pdf
        for size, indent, bullet, row in self._lines(paragraph):
            self._room(_LINE, letter)
            self._font(size)
            if bullet:
                pdf.set_xy(_LEFT + 1, pdf.get_y())
                pdf.cell(4, _LINE, bullet)
            pdf.set_xy(_LEFT + indent, pdf.get_y())
            pdf.cell(_RIGHT - _LEFT - indent, _LINE, row)
            pdf.set_y(pdf.get_y() + _LINE)
        pdf.set_y(pdf.get_y() + after)

    def _table(self, letter: Letter) -> None:
        pdf = self.pdf
        labels = letter.labels
        widths = (47.0, 31.0, 31.0, 28.0, 28.0)
        aligns = ("L", "L", "L", "R", "R")
        row_height = 4.3
        heads = tuple(labels[k] for k in ("invoice", "issued", "due", "amount", "open"))

        def header() -> None:
            self._font(8.5, "B")
            pdf.set_fill_color(232)
            pdf.set_x(_LEFT)
            for text, w, a in zip(heads, widths, aligns, strict=True):
                pdf.cell(w, row_height + 0.6, text, align=a, fill=True)
            pdf.set_y(pdf.get_y() + row_height + 0.6)

        self._room(row_height * 3, letter)
        header()
        for row in letter.table:
            if self._room(row_height, letter):
                header()
            self._font(8.5)
            pdf.set_x(_LEFT)
            for text, w, a in zip(row, widths, aligns, strict=True):
                pdf.cell(w, row_height, _fit(pdf, text, w), align=a)
            pdf.set_y(pdf.get_y() + row_height)
        pdf.set_draw_color(120)
        pdf.set_line_width(0.2)
        self._room(row_height * len(letter.totals) + 1, letter)
        pdf.line(_LEFT, pdf.get_y() + 0.3, _RIGHT, pdf.get_y() + 0.3)
        pdf.set_y(pdf.get_y() + 0.8)
        for n, (label, value) in enumerate(letter.totals):
            last = n == len(letter.totals) - 1
            self._font(8.5, "B" if last else "")
            pdf.set_x(_LEFT)
            pdf.cell(sum(widths[:4]), row_height, label, align="R")
            pdf.cell(widths[4], row_height, value, align="R")
            pdf.set_y(pdf.get_y() + row_height)
        pdf.set_draw_color(0)
        pdf.set_y(pdf.get_y() + 3.5)

    def _payment(self, letter: Letter, payment: Payment) -> None:
        pdf = self.pdf
        labels = letter.labels
        size = _QR if payment.qr else 0.0
        height = max(size + 5, 30.0)
        # on a letter still on its first page there is no page number: the block may use
        # the space kept for it
        limit = PAGE_HEIGHT - 10 if pdf.page == self._first else _BOTTOM
        if pdf.get_y() + height + 2 > limit:
            self._new_page(letter)
        top = pdf.get_y() + 2
        pdf.set_draw_color(150)
        pdf.set_line_width(0.3)
        pdf.rect(_LEFT, top, _RIGHT - _LEFT, height)
        pdf.set_draw_color(0)
        self._font(9.5, "B")
        pdf.set_xy(_LEFT + 4, top + 2.5)
        pdf.cell(80, 5, labels["pay"])
        rows = (
            (labels["beneficiary"], payment.beneficiary),
            (labels["iban"], payment.iban),
            (labels["sum"], payment.amount),
            (labels["reference"], payment.reference),
        )
        y = top + 8.5
        text_width = _RIGHT - _LEFT - 8 - (size + 6 if size else 0)
        for label, value in rows:
            self._font(8.5)
            pdf.set_xy(_LEFT + 4, y)
            pdf.cell(28, 4.6, label)
            self._font(8.5, "B")
            pdf.cell(text_width - 28, 4.6, _fit(pdf, value, text_width - 28))
            y += 4.6
        if payment.qr:
            x, qtop = _RIGHT - 2.5 - size, top + 2.5
            _draw_qr(pdf, payment.qr, x, qtop, size)
            self._font(6.5, "I")
            pdf.set_xy(_LEFT + 34, top + 3.2)
            pdf.cell(text_width - 30, 4, _fit(pdf, labels["scan"], text_width - 30))
        pdf.set_y(top + height + 4)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    while pdf.get_string_width(text) > width - 1 and len(text) > 2:
        text = text[:-2] + "…"
    return text


def _draw_qr(pdf: FPDF, payload: str, x: float, y: float, size: float) -> None:
    """The EPC QR code (error correction M, as EPC069-12 asks) as vector squares: one filled
    rectangle per horizontal run of dark modules, no bitmap."""
    import segno

    matrix = segno.make(payload, error="m", micro=False).matrix
    count = len(matrix)
    module = size / count
    pdf.set_fill_color(0)
    for row, bits in enumerate(matrix):
        col = 0
        while col < count:
            if bits[col]:
                start = col
                while col < count and bits[col]:
                    col += 1
                pdf.rect(x + start * module, y + row * module, (col - start) * module, module, "F")
            else:
                col += 1
    pdf.set_fill_color(255)


def _output(layout: _Layout, day: str) -> bytes:
    pdf = layout.pdf
    if day:
        stamp = datetime.combine(datetime.fromisoformat(day).date(), time(9, 0), UTC)
        pdf.set_creation_date(stamp)
    return bytes(pdf.output())


def text_pdf(title: str, text: str, day: str = "") -> bytes:
    """``text`` (lines laid out in columns, such as `Statement.text`) as an A4 landscape PDF
    in a monospaced font, ``title`` on top and page numbers below (needs the ``pdf`` extra).
    ``day`` (ISO) dates the document, so the same text gives the same bytes."""
    _require_pdf()
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVuMono", "", str(_FONTS / "DejaVuSansMono.ttf"))
    pdf.add_font(_FAMILY, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_creator("dunning")
    pdf.set_producer("dunning")
    lines = text.splitlines() or [""]
    size, line = 7.5, 3.4  # pt, mm: 130 columns fit in 257 mm
    per_page = int((210 - 20 - 22) // line)
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    for number, chunk in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font(_FAMILY, "B", 10)
        pdf.set_xy(20, 12)
        pdf.cell(257, 5, title)
        pdf.set_font("DejaVuMono", "", size)
        for row, content in enumerate(chunk):
            pdf.set_xy(20, 22 + row * line)
            pdf.cell(257, line, content)
        if len(pages) > 1:
            pdf.set_xy(20, 200)
            pdf.cell(257, 4, f"{number} / {len(pages)}", align="R")
    if day:
        pdf.set_creation_date(datetime.combine(datetime.fromisoformat(day).date(), time(9), UTC))
    return bytes(pdf.output())


def letter_pdf(letter: Letter, envelope: Envelope) -> bytes:
    """``letter`` as a PDF for ``envelope`` (needs the ``pdf`` extra)."""
    layout = _Layout(envelope)
    layout.draw(letter)
    return _output(layout, letter.date)


#: The columns of the manifest (``letters.csv``; ``letters.json`` has the same keys, with
#: ``address`` a list instead of ``address_1`` … ``address_6``).
MANIFEST_COLUMNS = (
    "key",
    "file",
    "recipient",
    "address_1",
    "address_2",
    "address_3",
    "address_4",
    "address_5",
    "address_6",
    "country",
    "service",
    "pages",
    "sheets",
    "first_page",
    "debtor_id",
    "tracking",
    "delivered",
    "returned",
    "reason",
)
#: The manifest's columns left empty for the mailing service (or the post room) to fill in
#: and hand back: see `dunning.returns.read_returns` and ``dunning receipts``.
RECEIPT_COLUMNS = ("tracking", "delivered", "returned", "reason")


def write_batch(
    letters: Sequence[Letter],
    folder: str | Path,
    envelope: Envelope,
    *,
    files: Mapping[str, str] | None = None,
    duplex: bool = True,
    name: str = "letters",
) -> list[dict[str, Any]]:
    """Write ``letters`` into ``folder`` as one PDF (``<name>.pdf``) and its manifest
    (``<name>.csv`` and ``<name>.json``); returns the manifest's rows.

    Every letter starts on a new sheet: printed ``duplex`` (both sides, the default), a
    letter with an odd number of pages is followed by a blank page, so the next one does not
    start on the back of its last sheet; single-sided, sheets equal pages. ``files`` names
    each letter's own PDF by key, for the manifest's ``file`` column.
    """
    from .outbox import _write

    layout = _Layout(envelope)
    rows: list[dict[str, Any]] = []
    for letter in letters:
        first, pages = layout.draw(letter)
        if duplex and pages % 2:
            layout.blank()
        sheets = math.ceil(pages / 2) if duplex else pages
        rows.append(
            {
                "key": letter.key,
                "file": (files or {}).get(letter.key, ""),
                "recipient": letter.recipient[0] if letter.recipient else "",
                "address": list(letter.recipient),
                "country": letter.country,
                "service": letter.service or "standard",
                "pages": pages,
                "sheets": sheets,
                "first_page": first,
                "debtor_id": letter.debtor_id,
                **dict.fromkeys(RECEIPT_COLUMNS, ""),
            }
        )
    out = Path(folder)
    day = max((letter.date for letter in letters), default="")
    _write(out / f"{name}.pdf", _output(layout, day))
    _write(out / f"{name}.csv", manifest_csv(rows).encode("utf-8"))
    _write(out / f"{name}.json", json.dumps(rows, indent=2, ensure_ascii=False).encode("utf-8"))
    return rows


def manifest_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The manifest as CSV, one row per letter (`MANIFEST_COLUMNS`); a cell that a spreadsheet
    would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return) gets a leading ``'``.

    >>> print(manifest_csv([{"key": "k", "recipient": "=HYPERLINK()", "address": ["a"]}]))
    ... # doctest: +NORMALIZE_WHITESPACE
    key,file,recipient,address_1,address_2,address_3,address_4,address_5,address_6,country,service,pages,sheets,first_page,debtor_id,tracking,delivered,returned,reason
    k,,'=HYPERLINK(),a,,,,,,,,,,,,,,,
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for row in rows:
        flat = dict(row)
        address = list(flat.pop("address", []))
        if len(address) > 6:
            address[5:] = [", ".join(address[5:])]
        for n in range(6):
            flat[f"address_{n + 1}"] = address[n] if n < len(address) else ""
        writer.writerow([safe_cell(flat.get(c, "")) for c in MANIFEST_COLUMNS])
    return buffer.getvalue()
