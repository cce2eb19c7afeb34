"""Render one letter per step of the Italian preset to PDF and PNG: the images of
``docs/letters.md``.

Run from the project's root (needs the ``pdf`` extra and ``pdftoppm`` from poppler-utils)::

    python examples/render_letters.py            # writes docs/images/letter-*.png
    python examples/render_letters.py OUT_DIR    # PDFs and PNGs into OUT_DIR instead
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import dunning
from dunning import Creditor, Debtor, Invoice, Money, OpenItem, Portfolio, PostalAddress
from dunning.letters import ENVELOPES, letter_for, letter_pdf
from dunning.policies import italy

CREDITOR = Creditor(
    "Tipografia Emiliana S.r.l.",
    vat_number="IT03287650372",
    address=PostalAddress(["Via del Lavoro 14"], "40127", "Bologna", "BO", "IT"),
    iban="IT60X0542811101000000123456",
    email="amministrazione@tipografiaemiliana.example",
    pec="tipografiaemiliana@pec.example",
    phone="+39 051 634 5128",
    signatory="Giulia Marchetti, ufficio amministrazione",
)

DEBTOR = Debtor(
    "C012",
    "Officina Meccanica Rossi S.n.c.",
    country="IT",
    locale="it_IT",
    email="amministrazione@officinarossi.example",
    contact_person="Paolo Rossi",
    address=PostalAddress(["Via dell'Indipendenza 3"], "40121", "Bologna", "BO", "IT"),
)

INVOICES = [
    Invoice.single(
        "2026/0031", "C012", date(2026, 3, 2), date(2026, 3, 31), Money("1464.00", "EUR")
    ),
    Invoice(
        "2026/0058",
        "C012",
        date(2026, 4, 1),
        [
            OpenItem(date(2026, 4, 30), Money("488.00", "EUR")),
            OpenItem(date(2026, 12, 31), Money("488.00", "EUR")),
        ],
    ),
]


def main(out: Path) -> list[Path]:
    portfolio = Portfolio(CREDITOR, [DEBTOR], INVOICES)
    policy = italy.stragiudiziale()
    timeline = dunning.simulate(portfolio, policy, date(2026, 3, 1), date(2026, 12, 15))
    envelope = ENVELOPES["it_right"]
    images: list[Path] = []
    for action in timeline:
        if action.kind == "call":
            continue
        before = [e for e in timeline.events if e.date < action.date]
        letter = letter_for(action, portfolio, policy, before)
        pdf = out / f"letter-{action.step}.pdf"
        pdf.write_bytes(letter_pdf(letter, envelope))
        # the first page of each letter, and the second of the formal notice
        pages = [1, 2] if action.kind == "formal_notice" else [1]
        for page in pages:
            png = out / f"letter-{action.step}{'' if page == 1 else f'-p{page}'}"
            first_last = ["-f", str(page), "-l", str(page)]
            command = ["pdftoppm", "-r", "60", "-png", "-singlefile", *first_last, str(pdf)]
            subprocess.run([*command, str(png)], check=True)
            images.append(png.with_suffix(".png"))
    return images


if __name__ == "__main__":
    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
        target.mkdir(parents=True, exist_ok=True)
        print("\n".join(str(p) for p in main(target)))
    else:
        docs = Path(__file__).resolve().parent.parent / "docs" / "images"
        docs.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as scratch:
            for png in main(Path(scratch)):
                (docs / png.name).write_bytes(png.read_bytes())
                print(docs / png.name)
