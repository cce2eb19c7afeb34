"""The outbox: the day's messages as files to review, written atomically, owner-only."""

from __future__ import annotations

import email
import email.policy
import io
import json
import shutil
import stat
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

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


def test_run_writes_the_days_messages_as_eml_with_an_index(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    text = io.StringIO()
    assert main(["run", str(folder), "--as-of", "2026-07-15", "--outbox", str(out)], text) == 0
    assert f"7 message(s) written to {out}" in text.getvalue()
    index = json.loads((out / INDEX).read_text())
    assert len(index) == 7
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [INDEX, "run.json", *(e["file"] for e in index)]
    )
    for entry in index:
        path = out / entry["file"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert mail["To"].addresses[0].addr_spec == entry["recipient"]
        assert mail["To"].addresses[0].display_name  # the debtor's name, not a bare address
        assert mail["Date"] == "Wed, 15 Jul 2026 09:00:00 +0200"  # Rome in summer, not -0000
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
    first = email.message_from_bytes(
        (out / pec[0]["file"]).read_bytes(), policy=email.policy.default
    )
    assert first["From"] == '"Tipografia Emiliana S.r.l." <tipografiaemiliana@pec.example>'
    # the outbox is a preview: the same run again gives the same files, byte for byte
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = ["run", str(folder), "--as-of", "2026-07-15", "--dry-run", "--outbox", str(out)]
    # forget the run (its store: the folder's, or the server's): plan the same day afresh
    shutil.rmtree(folder / ".dunning", ignore_errors=True)
    monkeypatch.delenv("DUNNING_STORE", raising=False)
    assert main(again, io.StringIO()) == 0
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert json.loads(after.pop("run.json"))["recorded"] is False  # a dry run: not sendable
    assert json.loads(before.pop("run.json"))["recorded"] is True
    assert after == before


def test_message_ids_are_stable_and_distinct() -> None:
    a = message_id("C004|EUR|sollecito_1|email|2026-07-15", "example.it")
    assert a == message_id("C004|EUR|sollecito_1|email|2026-07-15", "example.it")
    assert a != message_id("C004|EUR|sollecito_1|email|2026-07-16", "example.it")
    assert a.startswith("<")
    assert a.endswith("@example.it>")


def test_attachments_go_with_the_message_and_names_are_encoded() -> None:
    from datetime import UTC, datetime

    from dunning.outbox import to_email
    from dunning.render import Attachment, Message

    pdf = Attachment("diffida.pdf", "application/pdf", b"%PDF-1.7 fake")
    assert "13 bytes" in repr(pdf)  # never the bytes themselves
    message = Message(
        "k", "pec", "it", "Diffida – F1", "testo", "<p>testo</p>", "a@pec.example", (pdf,)
    )
    mail = to_email(
        message,
        "b@pec.example",
        datetime(2026, 7, 15, 9, tzinfo=UTC),
        sender_name="Caffè Ròssi, S.r.l.",
        recipient_name="Società “Bianchi”",
    )
    parsed = email.message_from_bytes(bytes(mail), policy=email.policy.default)
    assert parsed["From"].addresses[0].display_name == "Caffè Ròssi, S.r.l."
    assert parsed["To"].addresses[0].display_name == "Società “Bianchi”"
    assert parsed["Subject"] == "Diffida – F1"
    (part,) = list(parsed.iter_attachments())
    assert part.get_filename() == "diffida.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.7 fake"
    assert parsed.get_body(("plain",)).get_content() == "testo\n"


def _example_day(day: date) -> tuple[Any, Any, list[Any], Any]:
    from dunning import plan, policies, simulate
    from dunning.importers.folder import read_folder

    folder = read_folder(EXAMPLE)
    policy = policies.load(folder.policy.preset, **folder.policy.kwargs())
    history = list(
        simulate(folder.portfolio, policy, date(2026, 7, 15), day - date.resolution).events
    )
    return folder.portfolio, policy, history, plan(folder.portfolio, policy, day, history)


def test_calls_go_into_one_call_list_for_the_day(tmp_path: Path) -> None:
    portfolio, policy, history, proposal = _example_day(date(2026, 8, 25))
    out = tmp_path / "out"
    index = write_outbox(proposal, portfolio, policy, out, history)
    calls = [e for e in index if e["channel"] == "phone"]
    assert len(calls) == 6
    assert {e["file"] for e in calls} == {"2026-08-25_calls.csv"}
    assert {e["calendar"] for e in calls} == {"2026-08-25_calls.ics"}
    assert all(e["recipient"].startswith("+39") for e in calls)
    listed = (out / "2026-08-25_calls.csv").read_bytes()
    for entry in calls:
        assert entry["key"].encode() in listed
    calendar = (out / "2026-08-25_calls.ics").read_bytes()
    assert calendar.count(b"BEGIN:VEVENT") == 6
    for name in ("2026-08-25_calls.csv", "2026-08-25_calls.ics", INDEX):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    assert json.loads((out / INDEX).read_text()) == index


def test_a_hand_over_gets_its_dossier(tmp_path: Path) -> None:
    portfolio, policy, history, proposal = _example_day(date(2026, 9, 21))
    out = tmp_path / "out"
    index = write_outbox(proposal, portfolio, policy, out, history)
    agency = [e for e in index if e["channel"] == "agency"]
    assert len(agency) == 7
    for entry in agency:
        assert entry["file"].endswith(".zip")
        path = out / entry["file"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        archive = zipfile.ZipFile(path)
        data = json.loads(archive.read("dossier.json"))
        assert data["action"]["key"] == entry["key"]
        assert "statement.txt" in archive.namelist()
    # the same day again gives the same bytes
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    write_outbox(proposal, portfolio, policy, out, history)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


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


def test_a_formal_notice_by_pec_carries_its_letter_as_pdf(tmp_path: Path) -> None:
    import pypdf

    portfolio, policy, history, proposal = _example_day(date(2026, 9, 1))
    kinds = {(a.kind, a.channel) for a in proposal}
    assert ("formal_notice", "pec") in kinds
    out = tmp_path / "out"
    index = write_outbox(proposal, portfolio, policy, out, history)
    for entry in index:
        if entry["channel"] not in ("email", "pec"):
            continue
        mail = email.message_from_bytes(
            (out / entry["file"]).read_bytes(), policy=email.policy.default
        )
        attached = list(mail.iter_attachments())
        if entry["kind"] != "formal_notice":
            assert attached == []
            assert "attachment" not in entry
            continue
        (part,) = attached
        assert part.get_content_type() == "application/pdf"
        assert part.get_filename() == entry["attachment"]
        assert part.get_filename().startswith("Diffida-ad-adempiere")
        pdf = pypdf.PdfReader(io.BytesIO(part.get_content()))
        printed = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
        assert " ".join(entry["subject"].split()) in printed
        for invoice in entry["items"]:
            assert invoice.split("#")[0] in printed
        # the text part is still the whole message
        assert "art. 1219" in mail.get_body(("plain",)).get_content()
    every = write_outbox(proposal, portfolio, policy, tmp_path / "all", history, attach_pdf="all")
    assert all("attachment" in e for e in every if e["channel"] in ("email", "pec"))
    # a reminder carries its letter only when asked for
    portfolio2, policy2, history2, day2 = _example_day(date(2026, 7, 30))
    assert any(a.kind == "reminder" and a.channel == "email" for a in day2)
    plain = write_outbox(day2, portfolio2, policy2, tmp_path / "r", history2)
    assert not any("attachment" in e for e in plain)
    asked = write_outbox(day2, portfolio2, policy2, tmp_path / "r2", history2, attach_pdf="all")
    assert all("attachment" in e for e in asked if e["channel"] == "email")
    none = write_outbox(proposal, portfolio, policy, tmp_path / "none", history, attach_pdf="none")
    assert not any("attachment" in e for e in none)
    with pytest.raises(ValueError, match="attach_pdf"):
        write_outbox(proposal, portfolio, policy, tmp_path / "x", history, attach_pdf="some")  # type: ignore[arg-type]
