"""Print-ready letters: the address sits in the envelope's window (read back from the PDF),
fonts are embedded with every accent the shipped languages need, long letters break over
pages with numbers and repeated table headers, the batch and its manifest agree, and the QR
code is the EPC payload."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import pytest
import segno
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ContentStream

import dunning
from dunning import Creditor, Debtor, Invoice, Money, Portfolio, PostalAddress
from dunning.errors import DataError
from dunning.letters import (
    ENVELOPES,
    LABELS,
    TABLE_MARKER,
    Envelope,
    Letter,
    MissingExtra,
    envelope_for,
    letter_for,
    letter_pdf,
    write_batch,
)
from dunning.outbox import INDEX, write_outbox
from dunning.policies import italy, uk
from dunning.proposal import Action, Proposal

MM = 72 / 25.4  # points per millimetre
FONTS = Path(dunning.__file__).parent / "fonts"

CREDITOR = Creditor(
    "Tipografia Emiliana S.r.l.",
    vat_number="IT03287650372",
    address=PostalAddress(["Via del Lavoro 14"], "40127", "Bologna", "BO", "IT"),
    iban="IT60X0542811101000000123456",
    email="amministrazione@tipografiaemiliana.example",
    phone="+390516345128",
    signatory="Giulia Marchetti",
)


def _debtor(**changes: Any) -> Debtor:
    base = Debtor(
        "D1",
        "Officina Rossi S.n.c.",
        country="IT",
        locale="it_IT",
        email="amministrazione@rossi.example",
        contact_person="Paolo Rossi",
        address=PostalAddress(["Via Indipendenza 3"], "40121", "Bologna", "BO", "IT"),
    )
    return attrs.evolve(base, **changes)


def _timeline(invoices: int = 2) -> tuple[Portfolio, Any, list[Action], list[Any]]:
    bills = [
        Invoice.single(
            f"F{n + 1}", "D1", date(2026, 3, 2), date(2026, 3, 31), Money("150.00", "EUR")
        )
        for n in range(invoices)
    ]
    pf = Portfolio(CREDITOR, [_debtor()], bills)
    policy = italy.stragiudiziale()
    tl = dunning.simulate(pf, policy, date(2026, 3, 1), date(2026, 9, 30))
    return pf, policy, [a for a in tl if a.kind != "call"], list(tl.events)


def _letter(step_kind: str = "formal_notice", invoices: int = 2) -> Letter:
    pf, policy, actions, events = _timeline(invoices)
    action = next(a for a in actions if a.kind == step_kind)
    before = [e for e in events if e.date < action.date]
    return letter_for(action, pf, policy, before)


@cache
def _font(bold: bool) -> tuple[dict[int, int], int]:
    font = TTFont(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"))
    cmap = font.getBestCmap()
    widths = {code: font["hmtx"][glyph][0] for code, glyph in cmap.items()}
    return widths, font["head"].unitsPerEm


@attrs.frozen
class Run:
    """A run of text as drawn: its box in mm from the top-left corner of the page."""

    text: str
    left: float
    top: float
    right: float
    bottom: float

    def inside(self, box: tuple[float, float, float, float], slack: float = 0.05) -> bool:
        x0, y0, x1, y1 = box
        return (
            self.left >= x0 - slack
            and self.top >= y0 - slack
            and self.right <= x1 + slack
            and self.bottom <= y1 + slack
        )

    def overlaps(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = box
        return self.left < x1 and self.right > x0 and self.top < y1 and self.bottom > y0


def _runs(pdf: bytes, page: int = 0) -> list[Run]:
    """Each text run of ``page`` with its box, from the text matrix pypdf reports and the
    shipped font's advance widths (DejaVu: ascent 0.93, descent 0.24 of the size)."""
    runs: list[Run] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        text = text.strip()  # pypdf adds a space or line feed between runs
        if not text:
            return
        bold = "Bold" in str(font.get("/BaseFont", "")) if font else False
        widths, units = _font(bold)
        scale = size * tm[0] * cm[0]
        x = tm[4] * cm[0] + cm[4]
        y = tm[5] * cm[3] + cm[5]
        width = sum(widths.get(ord(c), units // 2) for c in text) / units * scale
        runs.append(
            Run(
                text,
                x / MM,
                297 - (y + 0.93 * scale) / MM,
                (x + width) / MM,
                297 - (y - 0.24 * scale) / MM,
            )
        )

    PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return runs


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


PRESETS = sorted(ENVELOPES.values(), key=lambda e: e.name)
CUSTOM = Envelope.custom(110, 40, 90, 42, name="custom")


@pytest.mark.parametrize("envelope", [*PRESETS, CUSTOM], ids=lambda e: e.name)
def test_the_address_sits_inside_the_window_and_nothing_else_does(envelope: Envelope) -> None:
    letter = _letter()
    runs = _runs(letter_pdf(letter, envelope))
    inside = [r for r in runs if r.overlaps(envelope.window)]
    address = [r for r in inside if r.text in letter.recipient]
    # every line of the address, in order, within the window less its printer's margin
    assert [r.text for r in address] == list(letter.recipient)
    for run in address:
        assert run.inside(envelope.address_box), (envelope.name, run)
    # the only other thing in the window: the small return line above the address
    others = [r for r in inside if r.text not in letter.recipient]
    assert len(others) == 1, [r.text for r in others]
    (back,) = others
    assert back.text.startswith(CREDITOR.name)
    assert back.inside(envelope.window)
    assert back.bottom <= address[0].top
    # the letterhead, the date and the subject are drawn, outside the window
    assert any(r.text == CREDITOR.name for r in runs)
    assert any(r.text == letter.place_date for r in runs)


def test_presets_follow_their_sources() -> None:
    a, b = ENVELOPES["din5008a"], ENVELOPES["din5008b"]
    assert (a.left, a.top, a.width, a.height, a.address_top) == (20, 27, 85, 45, 44.7)
    assert (b.left, b.top, b.width, b.height, b.address_top) == (20, 45, 85, 45, 62.7)
    assert ENVELOPES["it_right"].left > 90  # the Italian window is on the right
    for envelope in ENVELOPES.values():
        assert envelope.source
        assert envelope.right <= 210
        assert envelope.bottom < min(envelope.folds)  # the window is on the top panel
    assert envelope_for("it") is ENVELOPES["it_right"]
    assert envelope_for("AT") is ENVELOPES["din5008b"]
    assert envelope_for("US") is ENVELOPES["dl"]


def test_a_window_off_the_sheet_is_refused_with_the_reason() -> None:
    with pytest.raises(DataError, match=r"outside the A4 sheet \(210 × 297 mm\)"):
        Envelope.custom(150, 20, 90, 45)
    with pytest.raises(DataError, match="address_top"):
        Envelope.custom(20, 50, 90, 45, address_top=90)
    with pytest.raises(DataError, match="at least 50 mm"):
        Envelope.custom(20, 50, 40, 45)


WORDS = (
    "àèéìòù ÀÈÉ perché è già",  # Italian
    "äöüß ÄÖÜ Grüße, Straße",  # German
    "çœæ «Œuvre» Ça, l’été – “déjà”…",  # French
    "ñ ¿Qué? ¡Sí! Peña",  # Spanish
    "1.234,56 € — Ø Ł ő ş ț",
)


def test_fonts_are_embedded_and_every_language_round_trips() -> None:
    letter = attrs.evolve(
        _letter(),
        recipient=("Müller & Söhne GmbH", "z. Hd. Frau Jäger", "Königstraße 5", "80331 München"),
        body=WORDS,
        subject="Façade – Übersicht ¿Señor?",
    )
    pdf = letter_pdf(letter, ENVELOPES["din5008b"])
    assert pdf.count(b"/FontFile2") >= 2  # regular and bold, embedded (subset) TrueType
    text = _text(pdf)
    for words in (*WORDS, *letter.recipient, letter.subject):
        assert words in text, words
    for font in FONTS.glob("*.ttf"):
        assert font.stat().st_size < 150_000
    assert (FONTS / "LICENSE.txt").read_text().count("Bitstream") >= 3


def test_page_numbers_only_when_a_letter_runs_over_one_page() -> None:
    short = letter_pdf(_letter("reminder", invoices=1), ENVELOPES["it_right"])
    long_letter = _letter("formal_notice", invoices=40)
    assert len(long_letter.table) == 40
    long = letter_pdf(long_letter, ENVELOPES["it_right"])
    assert len(PdfReader(io.BytesIO(short)).pages) == 1
    assert "Pagina" not in _text(short)
    pages = PdfReader(io.BytesIO(long)).pages
    assert len(pages) >= 2
    for n in range(len(pages)):
        runs = _runs(long, n)
        label = f"Pagina {n + 1} di {len(pages)}"
        assert [r for r in runs if r.text == label], label
        for run in runs:  # nothing spills off the text area
            assert run.inside((9, 9, 191, 289)), run
    # the table breaks across pages and repeats its header on each
    with_rows = [n for n in range(len(pages)) if any(r.text == "F40" for r in _runs(long, n))]
    heads = [n for n in range(len(pages)) if any(r.text == "Fattura" for r in _runs(long, n))]
    assert with_rows
    assert len(heads) >= 2
    assert set(heads) >= {0, *with_rows}
    for name in ("F1", "F17", "F40"):
        assert name in _text(long)


def test_page_labels_exist_in_every_shipped_language() -> None:
    assert set(LABELS) >= {"it", "en", "de", "fr", "es"}
    keys = set(LABELS["en"])
    for words in LABELS.values():
        assert set(words) == keys
        assert "{page}" in words["page"]
        assert "{pages}" in words["page"]


def test_batch_pages_and_manifest_agree_with_the_letters(tmp_path: Path) -> None:
    pf, policy, actions, events = _timeline(40)
    letters = [
        letter_for(a, pf, policy, [e for e in events if e.date < a.date]) for a in actions[:4]
    ]
    letters[0] = attrs.evolve(letters[0], recipient=("=cmd|' /C calc'!A0", "Via Roma 1"))
    envelope = ENVELOPES["dl"]
    singles = [len(PdfReader(io.BytesIO(letter_pdf(x, envelope))).pages) for x in letters]
    assert any(n % 2 for n in singles)  # there is padding to do
    files = {x.key: f"letter{n}.pdf" for n, x in enumerate(letters)}
    rows = write_batch(letters, tmp_path, envelope, files=files)
    batch = PdfReader(tmp_path / "letters.pdf")
    assert len(batch.pages) == sum(n + n % 2 for n in singles)
    assert [r["pages"] for r in rows] == singles
    assert [r["sheets"] for r in rows] == [(n + 1) // 2 for n in singles]
    first = 1
    for row, letter, pages in zip(rows, letters, singles, strict=True):
        assert row["first_page"] == first
        runs = _runs((tmp_path / "letters.pdf").read_bytes(), first - 1)
        assert [r.text for r in runs if r.overlaps(envelope.window)][1:] == list(letter.recipient)
        first += pages + pages % 2
    manifest = json.loads((tmp_path / "letters.json").read_text())
    assert manifest == rows
    table = list(csv.DictReader(io.StringIO((tmp_path / "letters.csv").read_text())))
    assert len(table) == len(rows)
    for line, row in zip(table, rows, strict=True):
        assert line["key"] == row["key"]
        assert line["file"] == files[row["key"]]
        assert int(line["pages"]) == row["pages"]
        assert int(line["first_page"]) == row["first_page"]
        assert line["service"] == row["service"]
        assert [line[f"address_{n}"] for n in range(1, 7) if line[f"address_{n}"]] == [
            ("'" + a if a[0] in "=+-@" else a) for a in row["address"]
        ]
    assert table[0]["recipient"] == "'=cmd|' /C calc'!A0"  # no formula for the spreadsheet
    # single-sided: no padding
    rows = write_batch(letters, tmp_path, envelope, duplex=False, name="simplex")
    assert len(PdfReader(tmp_path / "simplex.pdf").pages) == sum(singles)
    assert [r["sheets"] for r in rows] == singles


def _qr_modules(pdf: bytes, count: int, size_mm: float = 24.0) -> list[list[int]]:
    """The QR code as drawn: filled rectangles one module high, put back on a grid."""
    reader = PdfReader(io.BytesIO(pdf))
    module = size_mm / count * MM
    found: list[tuple[float, float, float]] = []
    for page in reader.pages:
        ops = ContentStream(page.get_contents(), reader).operations
        for operands, operator in ops:
            if operator == b"re":
                x, y, w, h = (float(v) for v in operands)
                if abs(abs(h) - module) < 0.01:
                    found.append((x, y, w))
    if not found:
        return []
    x0 = min(x for x, _, _ in found)
    y0 = max(y for _, y, _ in found)
    grid = [[0] * count for _ in range(count)]
    for x, y, w in found:
        row = round((y0 - y) / module)
        start = round((x - x0) / module)
        for col in range(start, start + round(w / module)):
            grid[row][col] = 1
    return grid


def test_the_qr_code_is_the_epc_payload_drawn_as_vectors() -> None:
    letter = _letter()
    assert letter.payment is not None
    payload = letter.payment.qr
    assert payload is not None
    assert payload.startswith("BCD\n002\n1\nSCT\n")
    assert "IT60X0542811101000000123456" in payload
    assert letter.payment.reference.replace(" ", "") in payload
    total = letter.totals[-1][1]
    assert letter.payment.amount == total
    expected = segno.make(payload, error="m", micro=False)
    drawn = _qr_modules(letter_pdf(letter, ENVELOPES["it_right"]), len(expected.matrix))
    assert drawn == [list(row) for row in expected.matrix]


def test_no_qr_code_for_a_letter_not_in_euro() -> None:
    creditor = attrs.evolve(
        CREDITOR,
        vat_number=None,
        iban="GB82WEST12345698765432",
        country="GB",
        locale="en_GB",
        address=PostalAddress(["1 High Street"], "SW1A 1AA", "London", "", "GB"),
    )
    debtor = _debtor(
        country="GB",
        locale="en_GB",
        address=PostalAddress(["2 Low Road"], "M1 1AA", "Manchester", "", "GB"),
    )
    bill = Invoice.single("G1", "D1", date(2026, 3, 2), date(2026, 3, 31), Money("900", "GBP"))
    pf = Portfolio(creditor, [debtor], [bill])
    policy = uk.late_payment()
    tl = dunning.simulate(pf, policy, date(2026, 3, 1), date(2026, 9, 30))
    action = next(a for a in tl if a.kind == "reminder")
    letter = letter_for(action, pf, policy, [e for e in tl.events if e.date < action.date])
    assert letter.payment is not None
    assert letter.payment.qr is None
    assert "£" in letter.payment.amount
    pdf = letter_pdf(letter, envelope_for("GB"))
    assert _qr_modules(pdf, 25) == []
    assert "Page 1 of" not in _text(pdf)
    assert "GB82 WEST 1234 5698 7654 32" in _text(pdf)


def test_an_address_abroad_ends_with_the_country() -> None:
    letter = letter_for(*_abroad())
    assert letter.recipient[-1] == "GERMANIA"
    assert letter.country == "DE"


def _abroad() -> tuple[Action, Portfolio, Any, list[Any]]:
    debtor = _debtor(address=PostalAddress(["Königstraße 5"], "80331", "München", "", "DE"))
    bill = Invoice.single("F1", "D1", date(2026, 3, 2), date(2026, 3, 31), Money("500", "EUR"))
    pf = Portfolio(CREDITOR, [debtor], [bill])
    policy = italy.stragiudiziale()
    tl = dunning.simulate(pf, policy, date(2026, 3, 1), date(2026, 9, 30))
    action = next(a for a in tl if a.kind == "reminder")
    return action, pf, policy, [e for e in tl.events if e.date < action.date]


def test_the_letter_body_has_no_head_and_the_table_where_the_items_were() -> None:
    letter = _letter()
    body = "\n\n".join(letter.body)
    assert "Oggetto:" not in body
    assert "Spett.le" not in body
    assert "[[dunning:statement-table]]" in body
    assert "- fattura F1" not in body  # the items are in the table, not listed again
    assert [row[0] for row in letter.table] == ["F1", "F2"]
    assert letter.totals[-1][0] == "Totale dovuto"


def _postal_outbox(tmp_path: Path, **kwargs: Any) -> tuple[Path, list[dict[str, Any]]]:
    pf, policy, actions, events = _timeline(2)
    formal = next(a for a in actions if a.kind == "formal_notice")
    letter = attrs.evolve(formal, channel="postal", service="raccomandata_ar")
    mail = next(a for a in actions if a.kind == "reminder")
    proposal = Proposal(formal.date, (letter, attrs.evolve(mail, date=formal.date)))
    before = [e for e in events if e.date < formal.date]
    out = tmp_path / "out"
    return out, write_outbox(proposal, pf, policy, out, before, **kwargs)


def test_the_outbox_writes_each_letter_as_pdf_with_the_batch_and_manifest(
    tmp_path: Path,
) -> None:
    out, index = _postal_outbox(tmp_path)
    (entry,) = [e for e in index if e["channel"] == "postal"]
    assert entry["file"].endswith(".pdf")
    assert entry["subject"].startswith("Diffida ad adempiere")
    assert entry["batch"] == "letters.pdf"
    assert entry["first_page"] == 1
    assert {"letters.pdf", "letters.csv", "letters.json", INDEX, entry["file"]} <= {
        p.name for p in out.iterdir()
    }
    (row,) = json.loads((out / "letters.json").read_text())
    assert row["service"] == "raccomandata_ar"
    assert row["file"] == entry["file"]
    text = _text((out / entry["file"]).read_bytes())
    assert "Officina Rossi S.n.c." in text
    assert "RACCOMANDATA A/R" in text  # the endorsement a formal notice by post carries
    assert "Oggetto: Diffida ad adempiere" in text
    # the same run gives the same bytes
    again = tmp_path / "again"
    _postal_outbox(again)
    for name in ("letters.pdf", entry["file"]):
        assert (out / name).read_bytes() == (again / "out" / name).read_bytes()
    with pytest.raises(ValueError, match="no envelope layout 'c4'"):
        _postal_outbox(tmp_path / "bad", envelope="c4")


def test_without_the_pdf_extra_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fpdf", None)  # as if fpdf2 were not installed
    with pytest.raises(MissingExtra, match=r"pip install 'dunning\[pdf\]'"):
        letter_pdf(_letter(), ENVELOPES["dl"])
    # the outbox still writes the letter's text, and says why there is no PDF
    out, index = _postal_outbox(tmp_path)
    (entry,) = [e for e in index if e["channel"] == "postal"]
    assert entry["file"].endswith(".txt")
    assert "pip install 'dunning[pdf]'" in entry["note"]
    assert not (out / "letters.pdf").exists()
    assert "Diffida" in (out / entry["file"]).read_text()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm is not installed")
def test_pdftoppm_renders_a_letter(tmp_path: Path) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(letter_pdf(_letter(), ENVELOPES["it_right"]))
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
        capture_output=True,
    )
    (png,) = tmp_path.glob("p*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_command_line_takes_an_envelope(tmp_path: Path) -> None:
    from dunning.cli import main

    example = Path(__file__).resolve().parent.parent / "examples" / "tipografia"
    folder = tmp_path / "tipografia"
    shutil.copytree(example, folder, ignore=shutil.ignore_patterns(".dunning"))
    args = ["run", str(folder), "--as-of", "2026-07-15", "--dry-run", "--outbox"]
    assert main([*args, str(tmp_path / "out"), "--envelope", "din5008a"], io.StringIO()) == 0
    with pytest.raises(SystemExit):
        main([*args, str(tmp_path / "out"), "--envelope", "c4"], io.StringIO())


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm is not installed")
def test_a_scanner_reads_the_epc_payload_off_the_printed_page(tmp_path: Path) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pytest.importorskip("PIL.Image")
    letter = _letter()
    assert letter.payment is not None
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(letter_pdf(letter, ENVELOPES["it_right"]))
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "p")], check=True)
    found = [
        code.text
        for png in sorted(tmp_path.glob("p*.png"))
        for code in zxingcpp.read_barcodes(image.open(png))
    ]
    assert found == [letter.payment.qr]


def test_the_mailing_service_hands_back_deliveries_and_returns(tmp_path: Path) -> None:
    """The manifest handed back with its last columns filled in goes through the same reader
    as the returns file of `dunning receipts` (`dunning.returns.read_returns`)."""
    from dunning.events import ActionPlanned, DeliveryConfirmed, DeliveryFailed, MessageSent
    from dunning.returns import read_returns

    pf, policy, actions, events = _timeline(2)
    formal = next(a for a in actions if a.kind == "formal_notice")
    letter = attrs.evolve(formal, channel="postal", service="raccomandata_ar")
    other = attrs.evolve(letter, step="second", key="other-key")
    before = [e for e in events if e.date < formal.date]
    out = tmp_path / "out"
    write_outbox(Proposal(formal.date, (letter, other)), pf, policy, out, before)
    history: list[Any] = [*before, letter.event(), other.event()]
    assert all(isinstance(e, ActionPlanned) for e in history[-2:])
    header, first, second = (out / "letters.csv").read_text().splitlines()
    assert header.endswith(",debtor_id,tracking,delivered,returned,reason")
    assert first.endswith(",D1,,,,")  # left empty for the service to fill in
    day = formal.date + timedelta(days=3)
    back = tmp_path / "back.csv"
    back.write_text(
        header
        + "\n"
        + first.removesuffix(",,,,")
        + f",RR123456789IT,{day},,\n"
        + second.removesuffix(",,,,")
        + f",RR987,,{day},destinatario sconosciuto\n"
    )
    sent, delivered, posted, returned = read_returns(back, history)
    assert sent == MessageSent(formal.date, "D1", letter.key, "postal", message_id="RR123456789IT")
    assert delivered == DeliveryConfirmed(
        day, "D1", letter.key, "postal", "return card of registered letter RR123456789IT"
    )
    assert isinstance(posted, MessageSent)
    assert isinstance(returned, DeliveryFailed)
    assert returned.key == "other-key"
    assert returned.reason == "returned to sender: destinatario sconosciuto (tracking RR987)"
    back.write_text(header + "\n" + first.removesuffix(",,,,") + ",RR1,3 giugno,,\n")
    with pytest.raises(DataError, match="3 giugno") as caught:
        read_returns(back, history)
    assert (caught.value.errors[0].line, caught.value.errors[0].field) == (2, "date")
    back.write_text(header + "\n" + first.removesuffix(",,,,") + f",RR1,{day},{day},\n")
    with pytest.raises(DataError, match="not both"):
        read_returns(back, history)


@pytest.mark.parametrize("locale", ["it_IT", "en_GB", "de_DE", "fr_FR", "es_ES"])
def test_a_letter_in_every_language_draws_its_head_once_and_its_table(locale: str) -> None:
    """The templates of every shipped language leave the head to the letter's layout and
    mark where its statement table goes."""
    from dunning.render import LANGUAGES

    assert locale[:2] in LANGUAGES
    bills = [
        Invoice.single(f"F{n}", "D1", date(2026, 3, 2), date(2026, 3, 31), Money("150.00", "EUR"))
        for n in (1, 2)
    ]
    pf = Portfolio(CREDITOR, [_debtor(locale=locale)], bills)
    policy = italy.stragiudiziale()
    tl = dunning.simulate(pf, policy, date(2026, 3, 1), date(2026, 9, 30))
    events = list(tl.events)
    action = next(a for a in tl if a.kind == "formal_notice")
    letter = letter_for(action, pf, policy, [e for e in events if e.date < action.date])
    assert letter.language == locale[:2]
    body = "\n".join(letter.body)
    assert letter.subject not in body  # the subject is drawn once, above the body
    assert "Paolo Rossi" not in body  # so is the recipient's address block
    assert "Via Indipendenza 3" not in body
    assert TABLE_MARKER in body  # where the table is drawn
    assert [row[0] for row in letter.table] == ["F1", "F2"]
    text = _text(letter_pdf(letter, ENVELOPES["it_right"]))
    assert letter.subject in text  # (again on later pages, in their running header)
