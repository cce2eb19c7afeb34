"""The outbox: the day's messages as files to review, written atomically, owner-only."""

from __future__ import annotations

import email
import email.policy
import io
import json
import shutil
import stat
from datetime import date
from pathlib import Path

import pytest

import dunning
from dunning import Creditor, Debtor, Invoice, Money, Portfolio, PostalAddress
from dunning.cli import main
from dunning.outbox import INDEX, message_id, write_outbox
from dunning.policies import italy

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "tipografia"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".dunning"))
    return target


def test_run_writes_the_days_messages_as_eml_with_an_index(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    text = io.StringIO()
    assert main(["run", str(folder), "--as-of", "2026-07-15", "--outbox", str(out)], text) == 0
    assert f"7 message(s) written to {out}" in text.getvalue()
    index = json.loads((out / INDEX).read_text())
    assert len(index) == 7
    assert sorted(p.name for p in out.iterdir()) == sorted([INDEX, *(e["file"] for e in index)])
    for entry in index:
        path = out / entry["file"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert mail["To"] == entry["recipient"]
        assert mail["Content-Language"] == "it"
        domain = "pec.example" if entry["channel"] == "pec" else "tipografiaemiliana.example"
        assert mail["Message-ID"] == message_id(entry["key"], domain)
        plain = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        for invoice in entry["items"]:
            assert invoice in plain  # the plain-text part names the invoices claimed
            assert invoice in html
        assert "Tipografia Emiliana S.r.l." in plain
        assert entry["subject"] == mail["Subject"]
    pec = [e for e in index if e["channel"] == "pec"]
    assert pec  # C040, a public administration, by PEC from the creditor's PEC address
    first = email.message_from_bytes((out / pec[0]["file"]).read_bytes())
    assert first["From"] == "tipografiaemiliana@pec.example"
    # the outbox is a preview: the same run again gives the same files, byte for byte
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = ["run", str(folder), "--as-of", "2026-07-15", "--dry-run", "--outbox", str(out)]
    history = folder / ".dunning" / "history.jsonl"
    history.unlink()
    assert main(again, io.StringIO()) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_message_ids_are_stable_and_distinct() -> None:
    a = message_id("C004|EUR|sollecito_1|email|2026-07-15", "example.it")
    assert a == message_id("C004|EUR|sollecito_1|email|2026-07-15", "example.it")
    assert a != message_id("C004|EUR|sollecito_1|email|2026-07-16", "example.it")
    assert a.startswith("<")
    assert a.endswith("@example.it>")


CREDITOR = Creditor(
    "Tipografia Emiliana S.r.l.",
    vat_number="IT03287650372",
    address=PostalAddress(["Via del Lavoro 14"], "40127", "Bologna", "BO", "IT"),
    iban="IT60X0542811101000000123456",
    email="amministrazione@tipografiaemiliana.example",
)


def test_the_outbox_writes_each_sms_as_json(tmp_path: Path) -> None:
    debtor = Debtor("C9", "Chiara Lodi", kind="consumer", phone="+393474220771")
    bill = Invoice.single(
        "2026/0009", "C9", date(2026, 3, 2), date(2026, 3, 31), Money("120.00", "EUR")
    )
    pf = Portfolio(CREDITOR, [debtor], [bill])
    policy = italy.stragiudiziale()
    history = list(dunning.simulate(pf, policy, date(2026, 3, 1), date(2026, 4, 12)).events)
    proposal = dunning.plan(pf, policy, date(2026, 4, 13), history)
    assert [a.channel for a in proposal] == ["sms"]
    index = write_outbox(proposal, pf, policy, tmp_path, history)
    entry = index[0]
    assert entry["file"].endswith(".json")
    assert entry["recipient"] == "+393474220771"
    payload = json.loads((tmp_path / entry["file"]).read_text())
    assert set(payload) == {"key", "to", "sender", "text", "encoding", "segments", "language"}
    assert payload["key"] == entry["key"] == proposal.actions[0].key
    assert payload["to"] == "+393474220771"
    assert payload["sender"] == "Tipografia"
    assert payload["encoding"] == "GSM-7"
    assert payload["segments"] == entry["segments"] <= 2
    assert payload["language"] == "it"
    assert "2026/0009" in payload["text"]
    assert json.loads((tmp_path / INDEX).read_text()) == index
