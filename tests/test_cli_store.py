"""The command line keeps the history in the event store when one is configured."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from dunning import ActionPlanned, MessageSent
from dunning.cli import STORE_ENV, main
from dunning.store import EventStore

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(STORE_ENV, raising=False)
    target = tmp_path / "tipografia"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".dunning", "out"))
    return target


def _run(folder: Path, day: str) -> str:
    out = io.StringIO()
    assert main(["run", str(folder), "--as-of", day], out) == 0
    return out.getvalue()


def test_the_store_in_dunning_toml_keeps_the_history(folder: Path) -> None:
    with (folder / "dunning.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[store]\nurl = "sqlite:///.dunning/dunning.sqlite"\n')
    first = _run(folder, "2026-07-15")
    assert "7 action(s)" in first
    assert not (folder / ".dunning" / "history.jsonl").exists()
    with EventStore.open(folder / ".dunning" / "dunning.sqlite") as store:
        planned = [e for e in store.events() if isinstance(e, ActionPlanned)]
    assert len(planned) == 7
    # the same day again plans nothing new: the store remembers
    again = _run(folder, "2026-07-15")
    assert "Nothing new to plan for 2026-07-15" in again
    assert "dunning.sqlite" in again
    # explain reads the store too
    out = io.StringIO()
    assert main(["explain", str(folder), "C015"], out) == 0
    assert "sollecito_1" in out.getvalue()


def test_an_existing_history_jsonl_is_imported_once(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as without:  # no SQLAlchemy: history.jsonl
        without.setattr("dunning.cli._has_sqlalchemy", lambda: False)
        _run(folder, "2026-07-15")
    history = folder / ".dunning" / "history.jsonl"
    assert history.exists()
    monkeypatch.setenv(STORE_ENV, f"sqlite:///{folder / 'store.sqlite'}")
    assert "Nothing new to plan" in _run(folder, "2026-07-15")  # the jsonl came in
    _run(folder, "2026-07-30")
    _run(folder, "2026-07-30")
    with EventStore.open(folder / "store.sqlite") as store:
        events = store.events()
    keys = [e.key for e in events if isinstance(e, ActionPlanned)]
    assert len(keys) == len(set(keys))  # imported again and again, never twice
    assert {str(e.date) for e in events if isinstance(e, ActionPlanned)} == {
        "2026-07-15",
        "2026-07-30",
    }


def test_send_records_what_it_sent_in_the_store(folder: Path) -> None:
    from datetime import UTC, datetime

    from dunning.dispatch import JOURNAL, Journal, approve, outcome_events, send_outbox
    from dunning.testing import MemoryChannel

    with (folder / "dunning.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[store]\nurl = ".dunning/dunning.sqlite"\n')
    out = folder.parent / "out"
    assert (
        main(["run", str(folder), "--as-of", "2026-07-15", "--outbox", str(out)], io.StringIO())
        == 0
    )
    approve(out, at=datetime(2026, 7, 15, 9, tzinfo=UTC))
    channel = MemoryChannel()
    now = datetime(2026, 7, 15, 10, tzinfo=UTC)
    outcomes = send_outbox(
        out, {"email": channel, "pec": channel}, Journal(folder / JOURNAL), now=now
    )
    from dunning.cli import _append_history

    _append_history(folder, outcome_events(outcomes, now))
    with EventStore.open(folder / ".dunning" / "dunning.sqlite") as store:
        sent = [e for e in store.events() if isinstance(e, MessageSent)]
    assert len(sent) == 7
