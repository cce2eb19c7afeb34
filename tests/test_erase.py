"""Erasing a debtor's personal data (dunning.erase) and keeping personal data out of logs."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import stat
from datetime import date
from pathlib import Path

import pytest

import dunning
from dunning.erase import erase_debtor, erase_events, pseudonym, redact_addresses
from dunning.events import DebtorReplied, DeliveryConfirmed, DeliveryFailed, Event
from dunning.history import append_events, read_events
from dunning.policies import italy
from dunning.statement import statement_for

EXAMPLE = Path(__file__).parent.parent / "examples" / "tipografia"
KEY = "test key, kept apart from the data"
C002 = [
    b"Trattoria da Bertoldo di Rossi Marco & C. S.a.s.",
    b"contabilita@trattoriabertoldorossi.example",
    b"trattoriabertoldorossi@legalmail.example",
    b"+390512928925",
    b"Via Emilia 26",
    b"IT79730910373",
    b"Marco Rossi",
]
AS_OF = date(2026, 7, 31)


def _history(portfolio: dunning.Portfolio) -> list[Event]:
    policy = italy.stragiudiziale()
    history: list[Event] = []
    for day in (date(2026, 4, 9), date(2026, 5, 4), date(2026, 6, 3), date(2026, 6, 20)):
        history += list(dunning.plan(portfolio, policy, day, history).events())
    return history


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(EXAMPLE, root)
    portfolio = dunning.Portfolio.from_csv(root)
    history = _history(portfolio)
    key = next(e.key for e in history if e.debtor_id == "C002" and hasattr(e, "key"))
    receipt = b"Return-Path: <trattoriabertoldorossi@legalmail.example>\n\nricevuta di consegna\n"
    digest = hashlib.sha256(receipt).hexdigest()
    evidence = root / ".dunning" / "evidence"
    evidence.mkdir(parents=True)
    (evidence / f"{digest}.eml").write_bytes(receipt)
    (evidence / f"{'0' * 64}.eml").write_bytes(b"another debtor's receipt\n")
    history += [
        DeliveryFailed(
            date(2026, 6, 4),
            "C002",
            key,
            "email",
            reason="550 5.1.1 <contabilita@trattoriabertoldorossi.example>: no such user",
        ),
        DeliveryConfirmed(
            date(2026, 6, 5),
            "C002",
            key,
            "pec",
            evidence="PEC avvenuta-consegna opec.1 at 2026-06-05T10:00:00+02:00 for "
            f"trattoriabertoldorossi@legalmail.example; sha256:{digest}",
        ),
        DebtorReplied(date(2026, 6, 6), "C002", note="Marco Rossi: pago a luglio", channel="phone"),
        DebtorReplied(date(2026, 6, 6), "C003", note="Pasticceria: tutto pagato"),
    ]
    append_events(root / ".dunning" / "history.jsonl", history)
    journal = [
        {"key": key, "state": "sending", "at": "2026-06-03T09:00:00", "channel": "email"},
        {
            "key": key,
            "state": "failed",
            "at": "2026-06-03T09:00:01",
            "channel": "email",
            "detail": "every recipient refused: contabilita@trattoriabertoldorossi.example (550)",
        },
        {"key": "C003|x", "state": "sent", "at": "2026-06-03T09:00:02", "channel": "email"},
    ]
    (root / ".dunning" / "journal.jsonl").write_text(
        "".join(json.dumps(j) + "\n" for j in journal), encoding="utf-8"
    )
    return root


def _statement_total(root: Path, debtor_id: str) -> tuple[str, str, str]:
    portfolio = dunning.Portfolio.from_csv(root)
    history = read_events(root / ".dunning" / "history.jsonl")
    s = statement_for(portfolio, italy.stragiudiziale(), debtor_id, AS_OF, history)
    return str(s.principal_due), str(s.interest_due), str(s.total_due)


REWRITTEN = ("debtors.csv", "events.csv", ".dunning/history.jsonl", ".dunning/journal.jsonl")


def test_dry_run_writes_nothing_and_says_what_it_would_do(folder: Path) -> None:
    before = {name: (folder / name).read_bytes() for name in REWRITTEN}
    report = erase_debtor(folder, "C002", key=KEY)
    assert not report.applied
    assert {name: (folder / name).read_bytes() for name in REWRITTEN} == before
    assert report.pseudonym == pseudonym("C002", KEY)
    wheres = {Path(i.where).name for i in report.erased}
    assert wheres == {"debtors.csv", "events.csv", "history.jsonl", "journal.jsonl"}
    assert "dry run" in report.text()


def test_erasure_removes_every_personal_field_and_keeps_the_amounts(folder: Path) -> None:
    before = _statement_total(folder, "C002")
    other_before = _statement_total(folder, "C003")
    other_events = [
        e for e in read_events(folder / ".dunning/history.jsonl") if e.debtor_id != "C002"
    ]
    c002_dates = [
        (type(e).__name__, e.date)
        for e in read_events(folder / ".dunning/history.jsonl")
        if e.debtor_id == "C002"
    ]
    report = erase_debtor(folder, "C002", key=KEY, apply=True)
    assert report.applied
    assert report.backups == ()
    for name in REWRITTEN:
        data = (folder / name).read_bytes()
        for value in C002:
            assert value not in data, (name, value)
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert not list(folder.rglob("*.bak"))
    # the same statement of account, the same contacts on the same dates, others untouched
    assert _statement_total(folder, "C002") == before
    assert _statement_total(folder, "C003") == other_before
    after = read_events(folder / ".dunning/history.jsonl")
    assert [e for e in after if e.debtor_id != "C002"] == other_events
    assert [(type(e).__name__, e.date) for e in after if e.debtor_id == "C002"] == c002_dates
    debtor = dunning.Portfolio.from_csv(folder).debtor("C002")
    assert debtor.name == report.pseudonym
    assert debtor.email is None
    assert debtor.address is None
    assert debtor.contact_person is None
    assert "ristorazione" in debtor.tags
    # the evidence is kept and listed, the other debtor's is not
    kept = [Path(i.where) for i in report.kept]
    assert any(p.parent.name == "evidence" and p.name != f"{'0' * 64}.eml" for p in kept)
    assert all(p.name != f"{'0' * 64}.eml" for p in kept)
    assert all("2220" in i.why for i in report.kept)
    confirmed = next(e for e in after if isinstance(e, DeliveryConfirmed))
    assert confirmed.evidence.startswith(report.pseudonym + "; sha256:")
    # a second erasure has nothing left to do
    assert erase_debtor(folder, "C002", key=KEY, apply=True).erased == ()


def test_backup_only_when_asked(folder: Path) -> None:
    report = erase_debtor(folder, "C002", key=KEY, apply=True, backup=True)
    assert len(report.backups) == 4
    for backup in report.backups:
        assert stat.S_IMODE(Path(backup).stat().st_mode) == 0o600
        assert any(value in Path(backup).read_bytes() for value in C002)


def test_outboxes_are_listed(folder: Path, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "C002-sollecito.eml").write_bytes(
        b"To: <contabilita@trattoriabertoldorossi.example>\n\nSollecito\n"
    )
    (outbox / "C003-sollecito.eml").write_bytes(b"To: <info@pasticceria.example>\n\nx\n")
    report = erase_debtor(folder, "C002", key=KEY, outboxes=[outbox])
    names = [Path(i.where).name for i in report.kept]
    assert "C002-sollecito.eml" in names
    assert "C003-sollecito.eml" not in names


def test_erase_events_is_pure() -> None:
    events: list[Event] = [
        DebtorReplied(date(2026, 1, 2), "A", note="Mario Rossi"),
        DebtorReplied(date(2026, 1, 2), "B", note="Luigi Bianchi"),
    ]
    erased, changes = erase_events(events, "A", "erased:x")
    assert erased == [DebtorReplied(date(2026, 1, 2), "A", note="erased:x"), events[1]]
    assert changes == ["DebtorReplied of 2026-01-02: note"]


def test_pseudonym_depends_on_the_key() -> None:
    assert pseudonym("C001", "k1") == pseudonym("C001", b"k1")
    assert pseudonym("C001", "k1") != pseudonym("C001", "k2")
    assert redact_addresses("a x.y@b.example b") == "a x***@b.example b"


# -- logs ------------------------------------------------------------------------------------


def test_channels_log_no_personal_data(caplog: pytest.LogCaptureFixture) -> None:
    """A send over the memory channel and an SMTP send with a refused recipient (loopback):
    the debtor's name and e-mail address never reach the logs."""
    from aiosmtpd.controller import Controller

    from dunning.channels import Outgoing
    from dunning.channels.smtp import SMTPChannel
    from dunning.testing import MemoryChannel

    name, address = "Trattoria da Bertoldo", "contabilita@trattoriabertoldorossi.example"
    refused = "nobody@trattoriabertoldorossi.example"

    class Handler:
        async def handle_RCPT(
            self, server: object, session: object, envelope: object, addr: str, options: object
        ) -> str:
            if addr == refused:
                return f"550 5.1.1 <{addr}>: no such user"
            envelope.rcpt_tos.append(addr)  # type: ignore[attr-defined]
            return "250 OK"

    content = (
        f"From: crediti@tipografia.example\nTo: {name} <{address}>, <{refused}>\n"
        f"Subject: Sollecito\n\nGentile {name}, la fattura è scaduta.\n"
    ).encode()
    outgoing = Outgoing.from_eml("C002|EUR|sollecito_1|email|2026-06-03", "email", content)

    class Loopback(Controller):
        def _trigger_server(self) -> None:  # the free port the server got
            assert self.server is not None
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    controller = Loopback(Handler(), hostname="127.0.0.1", port=0)
    controller.start()
    try:
        port = controller.port
        with caplog.at_level(logging.DEBUG, logger="dunning"):
            MemoryChannel().send(outgoing)
            with SMTPChannel("127.0.0.1", port, security="none", timeout=5) as channel:
                receipt = channel.send(outgoing)
    finally:
        controller.stop()
    assert receipt.refused  # the warning was logged
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused" in logged
    for value in (name, address, refused, "contabilita@", "nobody@"):
        assert value not in logged


def test_the_store_redacts_in_place_and_still_verifies(folder: Path, tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    from dunning.store import EventStore

    path = tmp_path / "db" / "dunning.sqlite"
    alias = pseudonym("C002", KEY)
    with EventStore.open(path) as store:
        store.import_jsonl(folder / ".dunning" / "history.jsonl")
        before = store.events()
        assert store.redact_debtor("C002", alias, apply=False) == 3
        assert store.events() == before
        assert store.redact_debtor("C002", alias) == 3
        assert store.verify() == []
        after = store.events()
        assert [e for e in after if e.debtor_id != "C002"] == [
            e for e in before if e.debtor_id != "C002"
        ]
        assert len(after) == len(before)
        assert store.redact_debtor("C002", alias) == 0
    expected, _ = erase_events(before, "C002", alias)
    with EventStore.open(path) as store:
        assert store.events() == expected
    data = b"".join(p.read_bytes() for p in path.parent.iterdir())
    assert b"Marco Rossi" not in data
    assert b"trattoriabertoldorossi" not in data


def test_a_new_history_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / ".dunning" / "history.jsonl"
    append_events(path, [DebtorReplied(date(2026, 1, 2), "A", note="x")])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
