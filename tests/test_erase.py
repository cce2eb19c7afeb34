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


# -- the event store and its outbox (SQLite and PostgreSQL) ----------------------------------

SENDING_KEY = "C002|EUR|sollecito_1|email|2026-06-03"


def _store_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the store's tables, to compare before and after."""
    import sqlalchemy as sa

    from dunning.store import EventStore
    from dunning.store import schema as tables

    with EventStore.open(url) as store, store._read() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key))]
            for t in (tables.events, tables.messages, tables.message_log)
        }


def _outbox(url: str, history: Path, *, pending: str | None = None) -> None:
    """A store holding ``history`` and, in its outbox, three messages of C002 (sent, failed
    with the server naming the address, in doubt) and one of C003 still queued; with
    ``pending`` ("queued" or "temporary"), a fourth message of C002 in that state."""
    from datetime import UTC, datetime

    from dunning.store import EventStore, MessageQueue, QueuedMessage

    now = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    address = b"To: Marco Rossi <contabilita@trattoriabertoldorossi.example>\n\nSollecito\n"
    outcomes = {
        SENDING_KEY: ("sent", "250 OK queued as 1A2B"),
        "C002|EUR|sollecito_2|email|2026-06-20": (
            "failed",
            "550 5.1.1 <contabilita@trattoriabertoldorossi.example>: no such user",
        ),
        "C002|EUR|diffida|pec|2026-06-20": ("in_doubt", "connection lost after DATA"),
    }
    if pending == "temporary":
        outcomes["C002|EUR|sollecito_3|email|2026-07-06"] = ("temporary", "421 try later")
    with EventStore.open(url) as store:
        store.import_jsonl(history)
        queue = MessageQueue(store)
        channel = {k: k.split("|")[3] for k in outcomes}
        queue.enqueue(
            [QueuedMessage(k, "C002", channel[k], address, recipient="x") for k in outcomes]
            + [QueuedMessage("C003|EUR|sollecito_1|email|2026-06-03", "C003", "email", b"x")]
        )
        queue.approve(list(outcomes), at=now)
        for key, (state, detail) in outcomes.items():
            message = queue.claim("test", now=now, keys=[key])
            assert message is not None
            queue.record(message, "test", state, now=now, detail=detail)
        if pending == "queued":
            queue.enqueue(
                [QueuedMessage("C002|EUR|sollecito_3|email|2026-07-06", "C002", "email", address)]
            )


def test_redact_debtor_on_both_backends(folder: Path, url: str) -> None:
    pytest.importorskip("sqlalchemy")
    from dunning.store import EventStore

    alias = pseudonym("C002", KEY)
    with EventStore.open(url) as store:
        store.import_jsonl(folder / ".dunning" / "history.jsonl")
        before = store.events()
        assert store.redact_debtor("C002", alias, apply=False) == 3
        assert store.events() == before
        assert store.redact_debtor("C002", alias) == 3
        assert store.verify() == []
        assert store.events() == erase_events(before, "C002", alias)[0]
        assert store.redact_debtor("C002", alias) == 0
        text = repr(_store_rows(url)["events"])
    for value in C002:
        assert value.decode() not in text


def test_erase_debtor_with_a_store_keeps_the_messages_sent(folder: Path, url: str) -> None:
    pytest.importorskip("sqlalchemy")
    from dunning.store import EventStore, MessageQueue

    _outbox(url, folder / ".dunning" / "history.jsonl")
    before = _store_rows(url)
    alias = pseudonym("C002", KEY)
    with EventStore.open(url) as store:
        events = store.events()
        report = erase_debtor(folder, "C002", key=KEY, store=store)
        assert _store_rows(url) == before  # a dry run
        stored = [i for i in report.erased if "(table events)" in i.where]
        assert len(stored) == 4  # 3 in history.jsonl, and the DeliveryFailed of the send
        kept = {i.what.split()[1]: i for i in report.kept if "(table messages)" in i.where}
        assert set(kept) == {
            SENDING_KEY,
            "C002|EUR|sollecito_2|email|2026-06-20",
            "C002|EUR|diffida|pec|2026-06-20",
        }
        assert all("17(3)(e)" in i.why for i in kept.values())
        assert any("detail of C002|EUR|sollecito_2" in i.what for i in report.erased)

        report = erase_debtor(folder, "C002", key=KEY, store=store, apply=True)
        assert report.applied
        assert store.verify() == []
        assert MessageQueue(store).verify() == []
        assert store.events() == erase_events(events, "C002", alias)[0]
        after = _store_rows(url)
        # the messages are kept as they were sent; the server's reply loses the address
        assert [r[:7] for r in after["messages"]] == [r[:7] for r in before["messages"]]
        details = [m.detail for m in MessageQueue(store).messages()]
        assert details
        assert all("contabilita@" not in d for d in details)
        failed = MessageQueue(store).get("C002|EUR|sollecito_2|email|2026-06-20")
        assert failed is not None
        assert failed.detail == f"550 5.1.1 <{alias}>: no such user"
        assert b"Marco Rossi" in failed.content
        assert "contabilita@" not in repr(after["message_log"])
        for value in C002:
            assert value.decode() not in repr(after["events"])
        # other debtors untouched; a second erasure has nothing left to do
        assert [e for e in store.events() if e.debtor_id != "C002"] == [
            e for e in events if e.debtor_id != "C002"
        ]
        assert erase_debtor(folder, "C002", key=KEY, store=store, apply=True).erased == ()


@pytest.mark.parametrize("state", ["queued", "temporary"])
def test_erasure_is_refused_while_a_message_waits_to_be_sent(
    folder: Path, url: str, state: str
) -> None:
    pytest.importorskip("sqlalchemy")
    from dunning.errors import DataError
    from dunning.store import EventStore

    _outbox(url, folder / ".dunning" / "history.jsonl", pending=state)
    before = _store_rows(url)
    files = {name: (folder / name).read_bytes() for name in REWRITTEN}
    with EventStore.open(url) as store:
        for apply in (False, True):
            with pytest.raises(DataError, match="send them or let them expire") as error:
                erase_debtor(folder, "C002", key=KEY, store=store, apply=apply)
            assert f"C002|EUR|sollecito_3|email|2026-07-06 ({state})" in str(error.value)
            assert SENDING_KEY not in str(error.value)
    assert _store_rows(url) == before
    assert {name: (folder / name).read_bytes() for name in REWRITTEN} == files


# -- the command line --------------------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    from dunning.cli import ERASE_KEY_ENV, STORE_ENV

    monkeypatch.delenv(STORE_ENV, raising=False)
    monkeypatch.setenv(ERASE_KEY_ENV, KEY)
    return monkeypatch


def test_cli_erase_dry_run_then_apply(
    folder: Path, url: str, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy")
    from dunning.cli import STORE_ENV, main

    cli_env.setenv(STORE_ENV, url)
    _outbox(url, folder / ".dunning" / "history.jsonl")
    files, rows = _snapshot(folder), _store_rows(url)
    assert main(["erase", str(folder), "C002"]) == 0
    out, err = capsys.readouterr()
    assert _snapshot(folder) == files
    assert _store_rows(url) == rows
    lines = out.splitlines()
    assert (
        lines[0]
        == f"debtor C002 -> {pseudonym('C002', KEY)}: would erase (dry run; --apply to write)"
    )
    assert lines[-1] == "nothing was changed: add --apply to erase"
    assert "(table events): DebtorReplied of 2026-06-06: note" in out
    assert f"(table messages): message {SENDING_KEY} (email, sent)" in out
    assert "17(3)(e)" in out

    assert main(["erase", str(folder), "C002", "--apply"]) == 0
    out2, err2 = capsys.readouterr()
    assert "nothing was changed" not in out2
    assert out2.splitlines()[0].endswith(": erased")
    for name in REWRITTEN:
        for value in C002:
            assert value not in (folder / name).read_bytes(), (name, value)
    for value in C002:
        assert value.decode() not in repr(_store_rows(url)["events"])
    assert KEY not in out + err + out2 + err2


def test_cli_erase_with_a_key_file_and_without_a_store(
    folder: Path, tmp_path: Path, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dunning.cli import ERASE_KEY_ENV, main

    cli_env.delenv(ERASE_KEY_ENV)
    cli_env.setattr("dunning.cli._has_sqlalchemy", lambda: False)  # no store: the files only
    key_file = tmp_path / "erase.key"
    key_file.write_text("another key, from a file\n", encoding="utf-8")
    assert main(["erase", str(folder), "C002", "--key-file", str(key_file), "--apply"]) == 0
    out, err = capsys.readouterr()
    assert pseudonym("C002", "another key, from a file") in out
    assert "another key" not in out + err
    assert b"Marco Rossi" not in (folder / ".dunning" / "history.jsonl").read_bytes()
    assert "(table" not in out  # no store: the files only


def test_cli_erase_refuses_without_a_key_or_with_queued_messages(
    folder: Path, url: str, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy")
    from dunning.cli import ERASE_KEY_ENV, STORE_ENV, main

    files = _snapshot(folder)
    cli_env.setenv(ERASE_KEY_ENV, "")
    assert main(["erase", str(folder), "C002", "--apply"]) == 2
    err = capsys.readouterr().err
    assert "--key-file" in err
    assert ERASE_KEY_ENV in err
    assert "secrets.token_hex" in err
    cli_env.setenv(ERASE_KEY_ENV, "s3cr3t-xyz")
    assert main(["erase", str(folder), "C002", "--apply"]) == 2
    assert "s3cr3t-xyz" not in capsys.readouterr().err  # the key is not repeated
    assert _snapshot(folder) == files

    cli_env.setenv(ERASE_KEY_ENV, KEY)
    cli_env.setenv(STORE_ENV, url)
    _outbox(url, folder / ".dunning" / "history.jsonl", pending="queued")
    rows = _store_rows(url)
    assert main(["erase", str(folder), "C002", "--apply"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("dunning: error: debtor C002, field 'messages': 1 message(s)")
    assert "C002|EUR|sollecito_3|email|2026-07-06 (queued)" in err
    assert KEY not in err
    assert _snapshot(folder) == files
    assert _store_rows(url) == rows
