"""Sending an approved outbox exactly once: through a real SMTP server on loopback, across
reruns, after a crash, with temporary and permanent failures."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from dunning import DeliveryFailed, MessageSent
from dunning.channels import InDoubt, PermanentFailure, TemporaryFailure
from dunning.cli import STORE_ENV, main
from dunning.dispatch import (
    JOURNAL,
    Journal,
    JournalEntry,
    approve,
    outcome_events,
    outgoing,
    send_outbox,
)
from dunning.testing import MemoryChannel
from test_smtp import HOST, Loopback, Recorder

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"
NOW = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[tuple[Loopback, Recorder]]:
    handler = Recorder()
    controller = Loopback(handler)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture(params=["store", "journal"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How the command line keeps track: the event store (``.dunning/dunning.sqlite``, the
    default with the ``store`` extra) or, without SQLAlchemy, history.jsonl and the journal."""
    if request.param == "journal":
        monkeypatch.delenv(STORE_ENV, raising=False)
        monkeypatch.setattr("dunning.cli._has_sqlalchemy", lambda: False)
    return str(request.param)


def _history(folder: Path) -> list[Any]:
    from dunning.cli import _read_history

    return _read_history(folder)


def _crash(folder: Path, out: Path, entries: list[dict[str, Any]], mode: str) -> None:
    """A dispatcher died (kill -9) after it claimed ``entries`` (journalled them as being sent)
    and before it recorded an outcome."""
    if mode == "journal":
        journal = Journal(folder / JOURNAL)
        for entry in entries:
            mid = str(outgoing(out, entry).message_id)
            journal.record(
                JournalEntry(
                    entry["key"], "sending", NOW.isoformat(), entry["channel"], "", "", mid
                )
            )
        return
    from dunning.cli import _queue, _store_url, _sync

    url = _store_url(folder)
    assert url is not None
    with _queue(folder, url) as queue:
        _sync(queue, folder, out)
        for entry in entries:
            assert queue.claim("crashed:1", now=NOW, keys=[entry["key"]]) is not None


def _folder(tmp_path: Path, port: int | None = None) -> Path:
    folder = tmp_path / "tipografia"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dunning", "out"))
    if port is not None:
        with (folder / "dunning.toml").open("a", encoding="utf-8") as toml:
            toml.write(
                f'\n[channels]\nemail = "smtp://{HOST}:{port}"\npec = "smtp://{HOST}:{port}"\n'
            )
    return folder


def _run(folder: Path, out: Path, day: str = "2026-07-15", *more: str) -> list[dict[str, Any]]:
    assert (
        main(["run", str(folder), "--as-of", day, "--outbox", str(out), *more], io.StringIO()) == 0
    )
    return json.loads((out / "outbox.json").read_text(encoding="utf-8"))


def test_the_daily_loop_sends_each_approved_message_once(
    tmp_path: Path, smtp: tuple[Loopback, Recorder], mode: str
) -> None:
    controller, server = smtp
    folder = _folder(tmp_path, controller.port)
    out = tmp_path / "out"
    index = _run(folder, out)
    mails = [e for e in index if e["channel"] in ("email", "pec")]
    assert len(mails) == 7
    said = io.StringIO()
    # nothing approved yet: nothing leaves
    assert main(["send", str(out), "--now", NOW.isoformat()], said) == 0
    assert server.messages == []
    assert "7 not approved" in said.getvalue()
    # approve two, send: exactly those two, byte for byte as the outbox wrote them
    first = [e["key"] for e in mails[:2]]
    assert main(["approve", str(out), *first], io.StringIO()) == 0
    assert main(["send", str(out), "--now", NOW.isoformat()], io.StringIO()) == 0
    assert len(server.messages) == 2
    for (_, rcpt, content), entry in zip(server.messages, mails[:2], strict=True):
        assert rcpt == [entry["recipient"]]
        sent = (out / entry["file"]).read_bytes()
        assert content.replace(b"\r\n", b"\n") == sent.replace(b"\r\n", b"\n")
    # approve the rest, send twice: five more, then nothing
    assert main(["approve", str(out)], io.StringIO()) == 0
    said = io.StringIO()
    assert main(["send", str(out), "--now", NOW.isoformat()], said) == 0
    assert len(server.messages) == 7
    assert "2 already sent, 5 sent" in said.getvalue()
    assert main(["send", str(out), "--now", NOW.isoformat()], io.StringIO()) == 0
    assert len(server.messages) == 7
    # what was sent is in the case history, once per message, with its Message-ID
    sent_events = [e for e in _history(folder) if isinstance(e, MessageSent)]
    assert sorted(e.key for e in sent_events) == sorted(e["key"] for e in mails)
    assert all(e.message_id.startswith("<") for e in sent_events)
    # the journal, or the store, is owner-only
    if mode == "journal" or not os.environ.get(STORE_ENV):
        kept = folder / (JOURNAL if mode == "journal" else Path(".dunning/dunning.sqlite"))
        assert kept.stat().st_mode & 0o077 == 0
    assert (folder / JOURNAL).exists() == (mode == "journal")


def test_a_send_that_began_and_never_ended_is_in_doubt_and_never_resent(
    tmp_path: Path, smtp: tuple[Loopback, Recorder], mode: str
) -> None:
    controller, server = smtp
    folder = _folder(tmp_path, controller.port)
    out = tmp_path / "out"
    index = _run(folder, out)
    approve(out, at=NOW)
    # the process died after claiming the first message (kill -9)
    crashed = index[0]["key"]
    _crash(folder, out, index[:1], mode)
    said = io.StringIO()
    assert main(["send", str(out), "--now", NOW.isoformat()], said) == 3
    assert len(server.messages) == 6
    crashed_bytes = (out / index[0]["file"]).read_bytes().replace(b"\r\n", b"\n")
    assert crashed_bytes not in {m[2].replace(b"\r\n", b"\n") for m in server.messages}
    assert "IN DOUBT" in said.getvalue()
    assert crashed in said.getvalue()
    # and again: still in doubt, still not sent
    assert main(["send", str(out), "--now", NOW.isoformat()], io.StringIO()) == 3
    assert len(server.messages) == 6


def test_failures_temporary_permanent_and_in_doubt(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    index = _run(folder, out)
    approve(out, at=NOW)
    keys = [e["key"] for e in index]
    channel = MemoryChannel()
    channel.fail(keys[0], TemporaryFailure)
    channel.fail(keys[1], PermanentFailure)
    channel.fail(keys[2], InDoubt, delivered=True)
    journal = Journal(folder / JOURNAL)
    channels = {"email": channel, "pec": channel}
    first = {o.key: o.result for o in send_outbox(out, channels, journal, now=NOW)}
    assert first[keys[0]] == "temporary"
    assert first[keys[1]] == "failed"
    assert first[keys[2]] == "in_doubt"
    assert [first[k] for k in keys[3:]] == ["sent"] * 4
    # a new process: the journal on disk decides
    again = send_outbox(out, channels, Journal(folder / JOURNAL), now=NOW)
    second = {o.key: o.result for o in again}
    assert second[keys[0]] == "sent"  # a temporary failure is tried again
    assert second[keys[1]] == "already_failed"
    assert second[keys[2]] == "in_doubt"
    assert channel.duplicates == []
    assert channel.keys.count(keys[2]) == 1  # went once, in doubt, never again
    events = outcome_events(send_outbox(out, channels, Journal(folder / JOURNAL), now=NOW), NOW)
    assert events == []  # nothing new happened on the third run


def test_a_permanent_failure_puts_the_step_back_on_its_next_channel(
    tmp_path: Path, mode: str
) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    index = _run(folder, out)
    pec = next(e for e in index if e["channel"] == "pec")
    approve(out, [pec["key"]], at=NOW)
    channel = MemoryChannel()
    channel.fail(pec["key"], PermanentFailure)
    outcomes = send_outbox(out, {"pec": channel}, Journal(folder / JOURNAL), now=NOW)
    events = outcome_events(outcomes, NOW)
    assert [type(e) for e in events] == [DeliveryFailed]
    assert events[0].key == pec["key"]
    from dunning import plan, policies
    from dunning.importers.folder import read_folder

    data = read_folder(folder)
    policy = policies.load(data.policy.preset, **data.policy.kwargs())
    history = [*_history(folder), *events]
    redo = plan(data.portfolio, policy, date(2026, 7, 16), history)
    again = [a for a in redo if a.debtor_id == pec["debtor_id"]]
    assert again
    assert again[0].step == pec["step"]
    assert again[0].channel != "pec"


def test_an_sms_waits_for_its_window_and_a_dry_run_outbox_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    _run(folder, out)
    # an SMS of the outbox with a window later in the day
    sms = {"key": "S1", "to": "+393331234567", "sender": "Tipografia", "text": "Promemoria"}
    (out / "S1.json").write_text(json.dumps(sms), encoding="utf-8")
    index = json.loads((out / "outbox.json").read_text(encoding="utf-8"))
    index.append(
        {
            "key": "S1",
            "debtor_id": "C004",
            "channel": "sms",
            "kind": "reminder",
            "file": "S1.json",
            "not_before": "2026-07-15T09:00:00+02:00",
            "not_after": "2026-07-15T20:00:00+02:00",
        }
    )
    (out / "outbox.json").write_text(json.dumps(index), encoding="utf-8")
    approve(out, ["S1"], at=NOW)
    channel = MemoryChannel()
    early = datetime(2026, 7, 15, 6, 0, tzinfo=UTC)  # 08:00 in Rome
    (o,) = [
        o
        for o in send_outbox(out, {"sms": channel}, Journal(tmp_path / "j"), now=early)
        if o.key == "S1"
    ]
    assert o.result == "waiting"
    assert channel.sent == []
    (o,) = [
        o
        for o in send_outbox(out, {"sms": channel}, Journal(tmp_path / "j"), now=NOW)
        if o.key == "S1"
    ]
    assert o.result == "sent"
    assert channel.keys == ["S1"]
    # an outbox written by a dry run plans nothing in the history: sending it is refused
    dry = tmp_path / "dry"
    _run(folder, dry, "2026-07-30", "--dry-run")
    approve(dry, at=NOW)
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        assert main(["send", str(dry), "--now", NOW.isoformat()], io.StringIO()) == 2
    assert "--dry-run" in err.getvalue()


def test_a_message_in_doubt_is_settled_on_evidence_only(
    tmp_path: Path, smtp: tuple[Loopback, Recorder], mode: str
) -> None:
    controller, server = smtp
    folder = _folder(tmp_path, controller.port)
    out = tmp_path / "out"
    index = _run(folder, out)
    approve(out, at=NOW)
    first, second = index[0], index[1]
    _crash(folder, out, [first, second], mode)
    assert main(["send", str(out), "--now", NOW.isoformat()], io.StringIO()) == 3
    assert len(server.messages) == 5
    # evidence is required, and only a message in doubt can be settled
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        assert (
            main(["settle", str(out), first["key"], "--sent", "--evidence", " "], io.StringIO())
            == 2
        )
        assert (
            main(["settle", str(out), index[2]["key"], "--sent", "--evidence", "x"], io.StringIO())
            == 2
        )
    assert "evidence" in err.getvalue()
    assert "not in doubt (sent at" in err.getvalue()
    # the first did reach the server (its log says so); the second did not
    said = io.StringIO()
    assert (
        main(["settle", str(out), first["key"], "--sent", "--evidence", "postfix log 4F2A1"], said)
        == 0
    )
    assert "recorded as sent" in said.getvalue()
    assert (
        main(
            ["settle", str(out), second["key"], "--not-sent", "--evidence", "not in the log"],
            io.StringIO(),
        )
        == 0
    )
    assert main(["send", str(out), "--now", NOW.isoformat()], io.StringIO()) == 0
    assert len(server.messages) == 6  # the second went now; the first never twice
    history = _history(folder)
    sent = [e.key for e in history if isinstance(e, MessageSent)]
    assert sorted(sent) == sorted(e["key"] for e in index)


def test_the_store_lists_the_messages_and_each_ones_log(
    tmp_path: Path, smtp: tuple[Loopback, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    controller, server = smtp
    folder = _folder(tmp_path, controller.port)
    out = tmp_path / "out"
    index = _run(folder, out)
    approve(out, at=NOW)
    _crash(folder, out, index[:1], "store")
    assert main(["send", str(out), "--now", NOW.isoformat()], io.StringIO()) == 3
    assert len(server.messages) == 6
    listed = io.StringIO()
    assert main(["messages", str(folder)], listed) == 3  # a message in doubt: status 3
    lines = listed.getvalue().splitlines()
    assert lines[-1] == "1 in doubt, 6 sent"
    assert [line.split()[0] for line in lines[:-1]].count("sent") == 6
    doubt = io.StringIO()
    assert main(["messages", str(folder), "--in-doubt"], doubt) == 3
    assert doubt.getvalue().splitlines()[0].startswith("in_doubt  email")
    assert index[0]["key"] in doubt.getvalue()
    log = io.StringIO()
    assert main(["messages", str(folder), index[1]["key"]], log) == 0
    assert [line.split()[1] for line in log.getvalue().splitlines()] == [
        "queued",
        "approved",
        "sending",
        "sent",
    ]
    assert "250" in log.getvalue().splitlines()[-1]  # the server's reply, as evidence
    # without the store extra there is nothing to list from
    monkeypatch.setattr("dunning.cli._has_sqlalchemy", lambda: False)
    monkeypatch.delenv(STORE_ENV, raising=False)
    default = folder / ".dunning" / "dunning.sqlite"
    if default.exists():  # (with DUNNING_TEST_STORE=postgresql the history is on the server)
        default.rename(folder / "moved.sqlite")
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        assert main(["messages", str(folder)], io.StringIO()) == 2
    assert "pip install 'dunning[store]'" in err.getvalue()


def test_the_mail_servers_log_settles_what_it_names(
    tmp_path: Path, smtp: tuple[Loopback, Recorder], mode: str
) -> None:
    controller, server = smtp
    folder = _folder(tmp_path, controller.port)
    out = tmp_path / "out"
    index = _run(folder, out)
    approve(out, at=NOW)
    first, second = index[0], index[1]
    _crash(folder, out, [first, second], mode)
    first_id = outgoing(out, first).message_id
    log = tmp_path / "mail.log"
    log.write_text(
        "Jul 15 10:00:01 mx postfix/smtpd[811]: connect from unknown[127.0.0.1]\n"
        f"Jul 15 10:00:02 mx postfix/cleanup[812]: 4F2A1: message-id={first_id.upper()}\n"
        "Jul 15 10:00:02 mx postfix/qmgr[77]: 4F2A1: from=<crediti@tipografia.example>\n",
        encoding="utf-8",
    )
    said = io.StringIO()
    assert main(["settle", str(out), "--server-log", str(log)], said) == 3
    text = said.getvalue()
    assert f"{first['key']}: recorded as sent (mail.log line 2: Jul 15" in text
    assert f"{second['key']}: not in the log: still in doubt" in text
    assert text.splitlines()[-1] == "1 settled as sent, 1 still in doubt."
    sent = [e.key for e in _history(folder) if isinstance(e, MessageSent)]
    assert sent == [first["key"]]
    # neither is sent by the next send: one is sent, the other still in doubt
    assert main(["send", str(out), "--now", NOW.isoformat()], io.StringIO()) == 3
    assert len(server.messages) == 5
    # settling by the log takes no key, and a key takes its evidence
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        assert main(["settle", str(out), first["key"], "--server-log", str(log)], said) == 2
        assert main(["settle", str(out), second["key"], "--sent"], said) == 2
    assert "--server-log settles by itself" in err.getvalue()
    assert "--evidence TEXT" in err.getvalue()


def test_verify_checks_the_store_and_finds_rows_changed_behind_its_back(
    tmp_path: Path, smtp: tuple[Loopback, Recorder]
) -> None:
    import sqlalchemy as sa

    from dunning.cli import _store_url

    controller, _server = smtp
    folder = _folder(tmp_path, controller.port)
    out = tmp_path / "out"
    _run(folder, out)
    assert main(["approve", str(out)], io.StringIO()) == 0
    assert main(["send", str(out), "--now", NOW.isoformat()], io.StringIO()) == 0
    said = io.StringIO()
    assert main(["verify", str(folder)], said) == 0
    assert said.getvalue().endswith("14 event(s) and 7 message(s) checked: consistent.\n")
    url = _store_url(folder)
    assert url is not None
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE events SET data = replace(data, '2026-07-15', '2026-07-16') "
                    "WHERE type = 'MessageSent'"
                )
            )
    finally:
        engine.dispose()
    said = io.StringIO()
    assert main(["verify", str(folder)], said) == 1
    assert "its JSON does not match its hash" in said.getvalue()
    assert said.getvalue().splitlines()[-1].endswith("rows changed outside dunning.")
