"""The event store (`dunning.store`), the same tests on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

import dunning.events
import dunning.store
from dunning import (
    ActionPlanned,
    AddressUpdated,
    BlockLifted,
    BlockSet,
    Closed,
    CreditNote,
    CreditNoteRegistered,
    DebtorReplied,
    DeliveryConfirmed,
    DeliveryFailed,
    DisputeOpened,
    DisputeResolved,
    Document,
    DocumentAdded,
    DocumentsSent,
    Event,
    HandedOver,
    HandOverApproved,
    InstalmentMissed,
    Invoice,
    InvoiceRegistered,
    LevelReset,
    MessageSent,
    OpenItem,
    Payment,
    PaymentReceived,
    PlanAgreed,
    PromiseToPay,
    WrittenOff,
)
from dunning.cli import main
from dunning.errors import DataError
from dunning.history import append_events, read_events
from dunning.importers.folder import read_folder
from dunning.store import (
    SCHEMA_VERSION,
    ConflictError,
    EventStore,
    SchemaError,
    StoreError,
    event_hash,
    event_json,
)
from dunning.store.event_store import upgrade
from helpers import eur

#: Each test runs on SQLite and PostgreSQL already (the `url` fixture): CI's second pass skips it.
BOTH_BACKENDS = True


EVENT_CLASSES = {
    c for c in vars(dunning.events).values() if isinstance(c, type) and issubclass(c, Event)
} - {Event}
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"
D = date(2026, 3, 2)
CLOCK = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def every_event() -> list[Event]:
    """One event of every type (two debtors), with the optional fields filled in."""
    inv = Invoice(
        "FT-1",
        "D1",
        date(2026, 1, 10),
        (OpenItem(date(2026, 2, 10), eur("600.00")), OpenItem(date(2026, 3, 10), eur("600.00"))),
        number="1/2026",
        documents=(Document("order", "ORD-7", "ab" * 32),),
    )
    later = D + timedelta(days=10)
    return [
        InvoiceRegistered(date(2026, 1, 10), "D1", inv),
        CreditNoteRegistered(D, "D1", CreditNote("NC-1", "D1", D, eur("50.00"), "FT-1")),
        PaymentReceived(D, "D1", Payment("P-1", "D1", D, eur("100.00"), "RF18 0000 0000 01")),
        ActionPlanned(
            D,
            "D1",
            "D1/2026-03-02/1/pec",
            "sollecito_1",
            1,
            "reminder",
            "pec",
            ["FT-1#1"],
            [("FT-1#1", 1)],
            eur("450.00"),
            later,
            None,
            ["FT-1#2"],
        ),
        ActionPlanned(
            D,
            "D2",
            "D2/k",
            "diffida",
            3,
            "formal_notice",
            "postal",
            ["X"],
            [("X", 3)],
            eur("10.00"),
            service="raccomandata_ar",
        ),
        MessageSent(D, "D1", "D1/2026-03-02/1/pec", "pec", "<m1@example>", "sent"),
        DeliveryConfirmed(D, "D1", "D1/2026-03-02/1/pec", "pec", "daticert.xml sha256=00"),
        DeliveryFailed(D, "D2", "D2/k", "postal", "addressee unknown"),
        DebtorReplied(D, "D1", "ho pagato", "email", "payment_sent", "CRO 0306912345"),
        DebtorReplied(D, "D2", "pago il 20", "phone", "promise", until=later),
        DebtorReplied(D, "D2", "contesto", kind="dispute", invoice_id="X"),
        PromiseToPay(D, "D1", later, eur("200.00"), "al telefono"),
        PromiseToPay(D, "D2", later),
        DisputeOpened(D, "D1", "FT-1", [2], "merce non consegnata"),
        DisputeResolved(later, "D1", "FT-1", [2], "nota di credito"),
        PlanAgreed(D, "D1", [(later, eur("100.00")), (later + timedelta(30), eur("350.00"))]),
        InstalmentMissed(later, "D1", later),
        BlockSet(D, "D2", "legal review"),
        BlockLifted(later, "D2", "ok"),
        LevelReset(D, "D1", ["FT-1#1"], 1, "agreed"),
        HandedOver(later, "D2", "Agenzia Recupero S.p.A."),
        HandOverApproved(later, "D2", "approved by G. Marchetti"),
        DocumentAdded(D, "D1", "FT-1", Document("delivery_note", "DDT 12", None)),
        DocumentsSent(D, "D1", "copia fattura"),
        AddressUpdated(D, "D2", "postal"),
        WrittenOff(later, "D2", ["X"], "uncollectable"),
        Closed(later, "D2", "handed over"),
        DebtorReplied(D, "D1", 'àccénti € 🙂 "quotes" \n newline'),
    ]


# -- backends ------------------------------------------------------------------------------------


@pytest.fixture
def store(url: str) -> Iterator[EventStore]:
    with EventStore.open(url, clock=lambda: CLOCK) as opened:
        yield opened


# -- reading and writing ---------------------------------------------------------------------


def test_every_event_type_round_trips(store: EventStore) -> None:
    events = every_event()
    assert {type(e) for e in events} == EVENT_CLASSES
    assert store.append(events) == len(events)
    assert store.events() == events
    assert store.events("D1") == [e for e in events if e.debtor_id == "D1"]
    assert store.events("nobody") == []
    assert store.debtors() == ["D1", "D2"]
    assert store.version("D1") == sum(e.debtor_id == "D1" for e in events)
    assert store.version("nobody") == 0
    assert store.count() == len(events)
    assert store.count("D2") == len(events) - store.version("D1")


def test_order_is_the_order_of_appending(store: EventStore) -> None:
    # Out of date order on purpose: the store keeps the order it was given; folding sorts.
    batches = [
        [BlockSet(date(2026, 5, 1), "B", "1"), BlockSet(date(2026, 1, 1), "A", "2")],
        [BlockLifted(date(2026, 2, 1), "A", "3")],
        [BlockLifted(date(2026, 1, 1), "B", "4"), BlockSet(date(2026, 3, 1), "A", "5")],
    ]
    for batch in batches:
        store.append(batch)
    flat = [e for batch in batches for e in batch]
    assert store.events() == flat
    assert [e.debtor_id for e in store.events("A")] == ["A", "A", "A"]
    assert (store.version("A"), store.version("B")) == (3, 2)
    assert store.append([]) == 0


def test_expected_version_rejects_a_stale_append(store: EventStore) -> None:
    first = BlockSet(D, "D1", "one")
    assert store.append([first], expected_version=0) == 1
    with pytest.raises(ConflictError, match="expected version 0, the store is at 1") as caught:
        store.append([BlockLifted(D, "D1", "stale")], expected_version=0)
    assert (caught.value.debtor_id, caught.value.expected, caught.value.actual) == ("D1", 0, 1)
    assert store.events() == [first]
    # A mapping checks several debtors at once, all or nothing.
    both = [BlockLifted(D, "D1"), BlockSet(D, "D2")]
    with pytest.raises(ConflictError):
        store.append(both, expected_version={"D1": 1, "D2": 5})
    assert store.events() == [first]
    assert store.append(both, expected_version={"D1": 1, "D2": 0}) == 2
    with pytest.raises(ValueError, match="one debtor"):
        store.append(both, expected_version=2)


def test_two_connections_conflict(url: str) -> None:
    with (
        EventStore.open(url, clock=lambda: CLOCK) as one,
        EventStore.open(url, clock=lambda: CLOCK) as two,
    ):
        seen_by_one, seen_by_two = one.version("D1"), two.version("D1")
        one.append([BlockSet(D, "D1", "by one")], expected_version=seen_by_one)
        with pytest.raises(ConflictError):
            two.append([BlockSet(D, "D1", "by two")], expected_version=seen_by_two)
        assert two.events() == [BlockSet(D, "D1", "by one")]


def _race(stores: list[EventStore], work: list[list[Event]], expected: int | None) -> list[str]:
    barrier = threading.Barrier(len(work))
    outcomes: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        barrier.wait()
        try:
            stores[n % len(stores)].append(work[n], expected_version=expected)
            outcome = "ok"
        except ConflictError:
            outcome = "conflict"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_appends(url: str) -> None:
    with (
        EventStore.open(url, clock=lambda: CLOCK) as one,
        EventStore.open(url, clock=lambda: CLOCK) as two,
    ):
        # Everyone read version 0 and appends on it: exactly one wins.
        work = [[BlockSet(D, "D1", f"writer {n}")] for n in range(6)]
        outcomes = _race([one, two], work, expected=0)
        assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]
        assert one.version("D1") == 1
        # Unconditional appends all land, each debtor's sequence without gaps or repeats.
        work = [[BlockLifted(D, "D2", f"w{n} e{k}") for k in range(5)] for n in range(6)]
        assert _race([one, two], work, expected=None) == ["ok"] * 6
        assert two.version("D2") == 30
        kept = two.events("D2")
        assert sorted(kept, key=repr) == sorted((e for w in work for e in w), key=repr)
        # Each writer's batch is contiguous: one transaction, one block of sequence numbers.
        notes = [e.note.split()[0] for e in kept if isinstance(e, BlockLifted)]
        assert [notes[i] for i in range(0, 30, 5)] == [notes[i + 4] for i in range(0, 30, 5)]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            seqs = conn.execute(
                sa.text("SELECT seq FROM events WHERE debtor_id = 'D2' ORDER BY seq")
            ).scalars()
            assert list(seqs) == list(range(1, 31))
    finally:
        engine.dispose()


def test_the_database_refuses_a_second_event_at_the_same_place(store: EventStore, url: str) -> None:
    store.append([BlockSet(D, "D1")])
    engine = sa.create_engine(url)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO events (debtor_id, seq, date, type, data, hash, created_at) "
                    "VALUES ('D1', 1, '2026-03-02', 'BlockSet', '{}', 'x', '2026-03-02')"
                )
            )
    finally:
        engine.dispose()
    assert store.version("D1") == 1


@pytest.mark.parametrize("debtor_id", ["D" * 201, "D\x001"])
def test_ids_the_columns_cannot_hold_are_refused_alike(store: EventStore, debtor_id: str) -> None:
    with pytest.raises(DataError, match="field 'debtor_id': must be at most 200 characters"):
        store.append([BlockSet(D, "D1"), BlockSet(D, debtor_id)])
    assert store.events() == []
    store.append([BlockSet(D, "D" * 200)])
    assert store.debtors() == ["D" * 200]


def test_rows_have_typed_columns_hash_and_created_at(store: EventStore, url: str) -> None:
    events = every_event()[3:6]
    store.append(events[:2])
    store.append(
        events[2:], created_at=datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    )
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = (
                conn.execute(sa.select(dunning.store.schema.events).order_by(sa.text("id")))
                .mappings()
                .all()
            )
    finally:
        engine.dispose()
    assert [(r["debtor_id"], r["seq"], r["type"], r["key"]) for r in rows] == [
        ("D1", 1, "ActionPlanned", "D1/2026-03-02/1/pec"),
        ("D2", 1, "ActionPlanned", "D2/k"),
        ("D1", 2, "MessageSent", "D1/2026-03-02/1/pec"),
    ]
    assert [r["date"] for r in rows] == [D, D, D]
    assert [r["data"] for r in rows] == [event_json(e) for e in events]
    assert [r["hash"] for r in rows] == [event_hash(e) for e in events]
    assert [r["created_at"] for r in rows] == [CLOCK, CLOCK, datetime(2026, 3, 2, 11, tzinfo=UTC)]
    assert {r["source"] for r in rows} == {"append"}
    with pytest.raises(ValueError, match="aware"):
        store.append([BlockSet(D, "D3")], created_at=datetime(2026, 3, 2))
    with pytest.raises(TypeError, match="events"):
        store.append(["not an event"])  # type: ignore[list-item]


def test_verify_finds_rows_edited_behind_the_stores_back(store: EventStore, url: str) -> None:
    store.append(every_event())
    assert store.verify() == []
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE events SET data = replace(data, '600.00', '6.00')"))
            conn.execute(sa.text("UPDATE events SET seq = 40 WHERE debtor_id = 'D2' AND seq = 3"))
            conn.execute(sa.text("UPDATE events SET date = '2020-01-01' WHERE seq = 1"))
    finally:
        engine.dispose()
    problems = store.verify()
    assert any("seq 1): its JSON does not match its hash" in p for p in problems)
    assert any("seq 4): sequence number 3 expected" in p for p in problems)
    assert any("column date is datetime.date(2020, 1, 1)" in p for p in problems)


# -- importing history.jsonl ------------------------------------------------------------------


@pytest.fixture(scope="module")
def tipografia(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example folder after two daily runs: its ``.dunning/history.jsonl``."""
    folder = tmp_path_factory.mktemp("store") / "tipografia"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dunning"))
    with pytest.MonkeyPatch.context() as files:  # without the store extra: history.jsonl
        files.setattr("dunning.cli._has_sqlalchemy", lambda: False)
        files.delenv("DUNNING_STORE", raising=False)
        for day in ("2026-07-15", "2026-08-03"):
            assert main(["run", str(folder), "--as-of", day], out=io.StringIO()) == 0
    return folder


def test_import_jsonl_is_idempotent_and_folds_the_same_cases(
    store: EventStore, tipografia: Path, tmp_path: Path
) -> None:
    history = tipografia / ".dunning" / "history.jsonl"
    from_file = read_events(history)
    assert len(from_file) > 5
    assert store.import_jsonl(history) == len(from_file)
    assert store.import_jsonl(history) == 0
    assert store.events() == from_file
    # The file grows (another day's run): only its new lines come in.
    grown = tmp_path / "history.jsonl"
    shutil.copy(history, grown)
    extra = [DebtorReplied(date(2026, 8, 4), from_file[0].debtor_id, "pagherò")]
    append_events(grown, extra)
    assert store.import_jsonl(grown) == 1
    assert store.import_jsonl(grown) == 0
    assert store.events() == from_file + extra

    portfolio = read_folder(tipografia).portfolio
    as_of = date(2026, 8, 20)
    stored = store.events()
    for debtor in portfolio.debtors:
        assert portfolio.case(debtor.id, as_of, stored) == portfolio.case(
            debtor.id, as_of, from_file + extra
        )


def test_import_counts_repeated_lines(store: EventStore, tmp_path: Path) -> None:
    twice = [BlockSet(D, "D1", "same"), BlockSet(D, "D1", "same")]
    path = tmp_path / "history.jsonl"
    append_events(path, twice)
    store.append(twice[:1])  # the store holds one of the two already
    assert store.import_jsonl(path) == 1
    assert store.import_jsonl(path) == 0
    assert store.events() == twice
    assert store.import_jsonl(tmp_path / "absent.jsonl") == 0


def test_a_bad_line_imports_nothing(store: EventStore, tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    append_events(path, [BlockSet(D, "D1")])
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"type": "NoSuchEvent"}) + "\n")
    with pytest.raises(DataError, match="line 2"):
        store.import_jsonl(path)
    assert store.events() == []


# -- schema and migrations ------------------------------------------------------------------------


def _v1_store(url: str, events: list[Event]) -> None:
    """A store as release v1 wrote it: its schema and rows, without today's code."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            assert upgrade(conn, 1, now=CLOCK) == [1]
            for seq, event in enumerate(events, start=1):
                conn.execute(
                    sa.text(
                        "INSERT INTO events (debtor_id, seq, date, type, key, data, hash, "
                        "created_at) VALUES (:d, :s, :day, :t, NULL, :data, :h, :c)"
                    ),
                    {
                        "d": event.debtor_id,
                        "s": seq,
                        "day": event.date,
                        "t": type(event).__name__,
                        "data": event_json(event),
                        "h": event_hash(event),
                        "c": CLOCK.replace(tzinfo=None),
                    },
                )
    finally:
        engine.dispose()


def _columns_and_indexes(url: str) -> tuple[dict[str, list[str]], set[str]]:
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        tables = {
            t: sorted(c["name"] for c in inspector.get_columns(t))
            for t in ("events", "schema_version", "messages", "message_log")
            if inspector.has_table(t)
        }
        indexes = {
            str(i["name"])
            for t in ("events", "messages", "message_log")
            if inspector.has_table(t)
            for i in inspector.get_indexes(t)
        }
        return tables, indexes
    finally:
        engine.dispose()


def test_a_v1_store_opens_migrated_to_the_current_version(url: str, tmp_path: Path) -> None:
    old = [BlockSet(D, "D1", "written by v1"), BlockLifted(D, "D1")]
    _v1_store(url, old)
    assert "source" not in _columns_and_indexes(url)[0]["events"]
    with pytest.raises(SchemaError, match=r"schema version 1.*migrate=True"):
        EventStore.open(url, migrate=False)
    with EventStore.open(url, clock=lambda: CLOCK) as store:
        assert store.schema_version() == SCHEMA_VERSION == 3
        assert store.events() == old
        assert store.version("D1") == 2
        store.append([BlockSet(D, "D1", "written by v2")], expected_version=2)
        append_events(tmp_path / "history.jsonl", old)
        assert store.import_jsonl(tmp_path / "history.jsonl") == 0  # v1 rows found by hash
    tables, indexes = _columns_and_indexes(url)
    assert "source" in tables["events"]
    assert {"ix_events_hash", "ix_events_type_key"} <= indexes
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            applied = conn.execute(
                sa.text("SELECT version, release FROM schema_version ORDER BY version")
            ).all()
            sources = conn.execute(sa.text("SELECT source FROM events ORDER BY id")).scalars()
            assert [v for v, _ in applied] == [1, 2, 3]
            assert list(sources) == [None, None, "append"]
    finally:
        engine.dispose()


def test_the_migrations_build_the_current_tables(store: EventStore, url: str) -> None:
    tables, indexes = _columns_and_indexes(url)
    assert set(tables) == set(dunning.store.schema.metadata.tables)
    for name, columns in tables.items():
        assert columns == sorted(c.name for c in dunning.store.schema.metadata.tables[name].columns)
    for table in dunning.store.schema.metadata.tables.values():
        assert {str(i.name) for i in table.indexes} <= indexes


def test_a_store_from_a_newer_release_is_refused(url: str) -> None:
    with EventStore.open(url) as store:
        store.append([BlockSet(D, "D1")])
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO schema_version VALUES (:v, '2030-01-01', '9.0', 'from the future')"
                ),
                {"v": SCHEMA_VERSION + 1},
            )
    finally:
        engine.dispose()
    with pytest.raises(SchemaError, match=f"schema version {SCHEMA_VERSION + 1}.*newer release"):
        EventStore.open(url)


def test_opening_twice_migrates_once(url: str) -> None:
    for _ in range(2):
        with EventStore.open(url) as store:
            assert store.schema_version() == SCHEMA_VERSION


# -- SQLite specifics -----------------------------------------------------------------------------


def test_sqlite_is_in_wal_mode_with_owner_only_files(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dunning.sqlite"
    with EventStore.open(path) as store:
        assert store.backend == "sqlite"
        assert store.url == f"sqlite:///{path}"
        store.append([BlockSet(D, "D1")])
        with store._engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
        assert pragma == {
            "journal_mode": "wal",
            "synchronous": 2,
            "foreign_keys": 1,
            "busy_timeout": 10_000,
        }
        files = sorted(p.name for p in path.parent.iterdir())
        assert files == ["dunning.sqlite", "dunning.sqlite-shm", "dunning.sqlite-wal"]
        for file in path.parent.iterdir():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(path) as raw:  # WAL is a property of the file: it stays on
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


def test_urls_and_secrets(tmp_path: Path) -> None:
    with EventStore.open(f"sqlite:///{tmp_path / 'a.sqlite'}") as store:
        assert repr(store) == f"EventStore.open('sqlite:///{tmp_path / 'a.sqlite'}')"
    with EventStore.open("sqlite://") as memory:  # in memory: for experiments
        memory.append([BlockSet(D, "D1")])
        assert memory.version("D1") == 1
    with pytest.raises(StoreError, match=r"SQLite .* or PostgreSQL .* not 'mysql'"):
        EventStore.open("mysql://u:p@localhost/db")
    with pytest.raises(StoreError) as caught:
        EventStore.open("postgresql://dunning:s3cret-pw@127.0.0.1:1/none")
    assert "s3cret-pw" not in str(caught.value)
    assert "***" in str(caught.value)


@pytest.mark.parametrize(
    ("blocked", "code", "extra"),
    [
        ("sqlalchemy", "import dunning.store", "dunning[store]"),
        (
            "psycopg",
            "from dunning.store import EventStore; EventStore.open('postgresql://u@127.0.0.1/x')",
            "dunning[postgres]",
        ),
    ],
)
def test_a_missing_extra_says_what_to_install(blocked: str, code: str, extra: str) -> None:
    script = f"import sys; sys.modules[{blocked!r}] = None\n{code}"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 1
    assert "MissingExtra" in done.stderr
    assert f"pip install '{extra}'" in done.stderr


def test_public_names() -> None:
    for name in dunning.store.__all__:
        value = getattr(dunning.store, name)
        assert isinstance(value, int | tuple) or value.__doc__, name
