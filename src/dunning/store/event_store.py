"""`EventStore`: every case's events, append-only, in SQLite or PostgreSQL (SQLAlchemy Core)."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from .. import __version__
from ..errors import DataError
from ..events import Event
from ..history import read_events
from ..letters import MissingExtra
from ..serialize import event_from_data, event_to_data
from . import schema
from .errors import ConflictError, SchemaError, StoreError

__all__ = ["BUSY_TIMEOUT_MS", "EventStore", "event_hash", "event_json"]

#: How long a SQLite writer waits for another one's lock before giving up (milliseconds).
BUSY_TIMEOUT_MS = 10_000

#: How many times an append is tried again when a concurrent writer took the same sequence
#: numbers (the retry reads the new heads, so an ``expected_version`` then fails cleanly).
_RETRIES = 8

#: The longest debtor id or idempotency key the store keeps (its columns' width).
_MAX_ID = 200

#: Rows per ``IN (...)`` list (well under SQLite's limit on bound parameters).
_CHUNK = 500

#: An arbitrary constant: the PostgreSQL advisory lock taken while migrating.
_MIGRATION_LOCK = 0x64756E6E  # "dunn"

Backend = Literal["sqlite", "postgresql"]


def event_json(event: Event) -> str:
    """The JSON text stored for ``event``: the same line ``history.jsonl`` holds."""
    return json.dumps(event_to_data(event), ensure_ascii=False, sort_keys=True)


def event_hash(event: Event) -> str:
    """The SHA-256 (hex) of `event_json`: the same event always has the same hash."""
    return hashlib.sha256(event_json(event).encode("utf-8")).hexdigest()


def _row(event: Event) -> dict[str, Any]:
    if not isinstance(event, Event):
        raise TypeError(f"the store keeps dunning events, not {type(event).__name__}")
    if not isinstance(event.debtor_id, str) or not event.debtor_id:
        raise DataError(
            "must be a non-empty string",
            record=f"{type(event).__name__} of {event.date}",
            field="debtor_id",
        )
    key = getattr(event, "key", None)
    key = key if isinstance(key, str) else None
    # The same limits on every backend (PostgreSQL would refuse these, SQLite would not).
    for field, value in (("debtor_id", event.debtor_id), ("key", key)):
        if value is not None and (len(value) > _MAX_ID or "\x00" in value):
            raise DataError(
                f"must be at most {_MAX_ID} characters without NUL, not {value[:40]!r}...",
                record=f"{type(event).__name__} of {event.date} for {event.debtor_id[:40]!r}",
                field=field,
            )
    text = event_json(event)
    return {
        "debtor_id": event.debtor_id,
        "date": event.date,
        "type": type(event).__name__,
        "key": key,
        "data": text,
        "hash": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _url(url: str | PathLike[str]) -> URL:
    if isinstance(url, PathLike) or "://" not in url:
        return URL.create("sqlite", database=str(Path(url)))
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise StoreError(f"not a database URL: {url!r}") from None
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed.set(drivername="sqlite")
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreError(
        f"the store runs on SQLite (sqlite:///path) or PostgreSQL (postgresql+psycopg://...), "
        f"not {parsed.drivername!r}"
    )


def _owner_only_file(path: Path) -> None:
    """Create the SQLite file (and its folder) readable by its owner only; SQLite gives the
    ``-wal`` and ``-shm`` files beside it the same permissions."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:"):
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        wal = False
    else:
        if not database.startswith("file:"):  # a SQLite URI (``?mode=ro``...) names its own
            _owner_only_file(Path(database))
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        )
        wal = True

    @sa_event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event (below) say when a transaction starts, instead of
        # the sqlite3 module's guesswork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if wal:
                mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"{database}: SQLite refused WAL mode (got {mode!r})")
            # FULL: every commit is on disk before append() returns, even across a power cut
            # (NORMAL in WAL mode may lose the last commits then): a lost MessageSent is a
            # reminder sent twice. See docs/store.md.
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @sa_event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the write lock at BEGIN, so what they read (the debtors' versions)
        # cannot change before they commit; readers take none and see a snapshot.
        immediate = conn.get_execution_options().get("dunning_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgres_engine(url: URL) -> Engine:
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except ImportError as error:
        raise MissingExtra(
            f"the store on PostgreSQL needs psycopg ({error.name} is missing): "
            "pip install 'dunning[postgres]'"
        ) from None


def _now() -> datetime:
    return datetime.now(UTC)


class EventStore:
    """The events of every debtor's case, append-only, in a SQL database.

    Open one with `EventStore.open` (a ``sqlite:///path`` or ``postgresql+psycopg://`` URL, or a
    plain file path for SQLite); close it with `close` or a ``with`` block. Each event is stored
    as its JSON (`event_json`, the same text as a ``history.jsonl`` line) with a per-debtor
    sequence number, its date, type, idempotency key (when it has one), content hash and the
    time it was written (``created_at``, from ``clock``: the store is the edge where the clock
    is read, and a test may pass its own).
    """

    def __init__(
        self,
        engine: Engine,
        backend: Backend,
        clock: Callable[[], datetime],
    ) -> None:
        self._engine = engine
        self._backend: Backend = backend
        self._clock = clock

    # -- opening and closing -------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str | PathLike[str],
        *,
        clock: Callable[[], datetime] | None = None,
        migrate: bool = True,
    ) -> EventStore:
        """Open (creating it when needed) the store at ``url`` and bring its schema up to
        `SCHEMA_VERSION` (with ``migrate=False``, an older store is refused instead).

        A store written by a newer release (a higher schema version) is refused with a
        `SchemaError`: this release would not know what the newer one keeps.
        """
        parsed = _url(url)
        backend: Backend = "sqlite" if parsed.drivername == "sqlite" else "postgresql"
        engine = _sqlite_engine(parsed) if backend == "sqlite" else _postgres_engine(parsed)
        store = cls(engine, backend, clock or _now)
        try:
            store._upgrade(migrate)
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        """Close the store's connections (the store can not be used afterwards)."""
        self._engine.dispose()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The store's URL, its password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def backend(self) -> Backend:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._backend

    def __repr__(self) -> str:
        return f"EventStore.open({self.url!r})"

    # -- transactions ----------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with (
                self._engine.connect().execution_options(dunning_write=True) as conn,
                conn.begin(),
            ):
                yield conn
        except sa.exc.IntegrityError:
            raise
        except sa.exc.DBAPIError as error:
            raise StoreError(f"{self.url}: {error.orig}") from error

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn, conn.begin():
                yield conn
        except sa.exc.DBAPIError as error:
            raise StoreError(f"{self.url}: {error.orig}") from error

    # -- schema ----------------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The schema version of the database (0 for an empty one)."""
        with self._read() as conn:
            return _current_version(conn)

    def _upgrade(self, migrate: bool) -> None:
        with self._write() as conn:
            if self._backend == "postgresql":
                # One migrator at a time; the others wait here and find the work done.
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            current = _current_version(conn)
            if current > schema.SCHEMA_VERSION:
                raise SchemaError(
                    f"{self.url} has schema version {current}, written by a newer release of "
                    f"dunning; this one ({__version__}) knows versions up to "
                    f"{schema.SCHEMA_VERSION}: upgrade dunning to open it"
                )
            if current < schema.SCHEMA_VERSION and not migrate:
                raise SchemaError(
                    f"{self.url} has schema version {current}, this release writes "
                    f"{schema.SCHEMA_VERSION}: open it with migrate=True to upgrade it"
                )
            upgrade(conn, schema.SCHEMA_VERSION, now=self._clock())

    # -- reading ---------------------------------------------------------------------------------

    def events(self, debtor_id: str | None = None) -> list[Event]:
        """The events of ``debtor_id`` (of every debtor when None), in the order they were
        appended."""
        t = schema.events
        query = sa.select(t.c.id, t.c.data).order_by(t.c.id)
        if debtor_id is not None:
            query = query.where(t.c.debtor_id == debtor_id)
        with self._read() as conn:
            rows = conn.execute(query).all()
        result: list[Event] = []
        for row_id, text in rows:
            try:
                result.append(event_from_data(json.loads(text)))
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(
                    f"not a valid event: {exc}", record=f"event row {row_id}", source=self.url
                ) from None
        return result

    def debtors(self) -> list[str]:
        """The ids of the debtors with at least one event, sorted."""
        t = schema.events
        with self._read() as conn:
            return list(
                conn.execute(sa.select(t.c.debtor_id).distinct().order_by(t.c.debtor_id)).scalars()
            )

    def version(self, debtor_id: str) -> int:
        """How many events ``debtor_id`` has (0: none); the ``expected_version`` to pass to
        `append` to add to exactly this history."""
        with self._read() as conn:
            return _heads(conn, [debtor_id]).get(debtor_id, 0)

    def count(self, debtor_id: str | None = None) -> int:
        """How many events the store holds (of ``debtor_id`` only, when given)."""
        t = schema.events
        query = sa.select(sa.func.count()).select_from(t)
        if debtor_id is not None:
            query = query.where(t.c.debtor_id == debtor_id)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def verify(self) -> list[str]:
        """Check the stored history, row by row; returns the problems found (none: consistent).

        Each debtor's sequence numbers run 1, 2, 3... without a gap; each row's hash is the
        SHA-256 of its JSON, which reads back as an event whose debtor, date, type and key are
        the row's columns. Any other answer means the database was edited outside the store.
        """
        t = schema.events
        query = sa.select(
            t.c.id, t.c.debtor_id, t.c.seq, t.c.date, t.c.type, t.c.key, t.c.data, t.c.hash
        ).order_by(t.c.debtor_id, t.c.seq)
        problems: list[str] = []
        expected_seq: dict[str, int] = {}
        with self._read() as conn:
            rows = conn.execute(query).all()
        for row_id, debtor_id, seq, day, kind, key, text, digest in rows:
            where = f"event row {row_id} (debtor {debtor_id!r}, seq {seq})"
            want = expected_seq.get(debtor_id, 0) + 1
            if seq != want:
                problems.append(f"{where}: sequence number {want} expected")
            expected_seq[debtor_id] = seq
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
                problems.append(f"{where}: its JSON does not match its hash")
            try:
                event = event_from_data(json.loads(text))
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"{where}: not a valid event: {exc}")
                continue
            columns = {"debtor_id": debtor_id, "date": day, "type": kind, "key": key}
            stored = _row(event)
            for name, value in columns.items():
                if stored[name] != value:
                    problems.append(
                        f"{where}: column {name} is {value!r}, its JSON says {stored[name]!r}"
                    )
        return problems

    # -- writing ---------------------------------------------------------------------------------

    def append(
        self,
        events: Iterable[Event],
        *,
        expected_version: int | Mapping[str, int] | None = None,
        created_at: datetime | None = None,
    ) -> int:
        """Append ``events`` in one transaction (all or none); returns how many.

        Each event gets the next sequence number of its debtor. ``expected_version`` makes the
        append conditional (optimistic concurrency): an int when all the events are one
        debtor's, or a mapping of debtor id to version; when a debtor's version is not the
        expected one (someone appended since it was read) a `ConflictError` is raised and
        nothing is written. ``created_at`` (aware) defaults to the store's clock.
        """
        batch = [_row(e) for e in events]
        if not batch:
            return 0
        expected = _expected(batch, expected_version)
        return self._insert(batch, expected, created_at, "append", lambda conn, rows: rows)

    def import_jsonl(self, path: str | PathLike[str]) -> int:
        """Add the events of a ``history.jsonl`` file (`dunning.history`) that the store does
        not hold yet, in the file's order, in one transaction; returns how many were added.

        Idempotent: an event is matched by its content hash, counting repeats (a file with an
        event twice adds it twice, once), so importing the same file again adds nothing and
        importing a file that grew adds only its new lines. A bad line is a `DataError` naming
        the line, and nothing is imported.
        """
        file = Path(path)
        batch = [_row(e) for e in read_events(file)]
        if not batch:
            return 0

        def missing(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            held = _hash_counts(conn, sorted({r["hash"] for r in rows}))
            new = []
            for row in rows:
                if held[row["hash"]] > 0:
                    held[row["hash"]] -= 1
                else:
                    new.append(row)
            return new

        return self._insert(batch, {}, None, f"import {file.name}", missing)

    def redact_debtor(self, debtor_id: str, replacement: str, *, apply: bool = True) -> int:
        """Replace the personal free text of ``debtor_id``'s events (their notes, reasons and
        evidence descriptions, a document's reference: `dunning.erase.erase_events`) by
        ``replacement``, usually `dunning.erase.pseudonym`; returns how many rows changed
        (would change, when ``apply`` is false).

        The one documented exception to append-only (GDPR art. 17, see ``docs/privacy.md``):
        each changed row keeps its id, debtor, sequence number, date, type and key, gets the
        new JSON and its hash (so `verify` still passes), and ``; redacted`` is added to its
        ``source`` column, the marker of an erasure. Amounts, dates and contacts are kept.
        """
        from ..erase import erase_events

        t = schema.events
        query = sa.select(t.c.id, t.c.data, t.c.source).where(t.c.debtor_id == debtor_id)
        with self._write() as conn:
            if self._backend == "sqlite" and apply:
                # overwrite the old rows' bytes in the file instead of leaving them in free pages
                conn.exec_driver_sql("PRAGMA secure_delete = ON")
            rows = conn.execute(query.order_by(t.c.id)).all()
            changed = 0
            for row_id, text, source in rows:
                event = event_from_data(json.loads(text))
                (new,), changes = erase_events([event], debtor_id, replacement)
                if not changes:
                    continue
                changed += 1
                if apply:
                    row = _row(new)
                    marker = f"{source or ''}; redacted".lstrip("; ")[:_MAX_ID]
                    conn.execute(
                        sa.update(t)
                        .where(t.c.id == row_id)
                        .values(data=row["data"], hash=row["hash"], source=marker)
                    )
            return changed

    def _insert(
        self,
        batch: list[dict[str, Any]],
        expected: Mapping[str, int],
        created_at: datetime | None,
        source: str,
        select: Callable[[Connection, list[dict[str, Any]]], list[dict[str, Any]]],
    ) -> int:
        when = created_at if created_at is not None else self._clock()
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(f"created_at must be an aware datetime, not {when!r}")
        for _attempt in range(_RETRIES):
            try:
                with self._write() as conn:
                    return _insert_rows(conn, select(conn, batch), expected, when, source)
            except sa.exc.IntegrityError:
                continue  # a concurrent writer took these sequence numbers: read again
        first = next(iter(expected), batch[0]["debtor_id"])
        raise ConflictError(first, expected.get(first), None)


def _insert_rows(
    conn: Connection,
    rows: list[dict[str, Any]],
    expected: Mapping[str, int],
    when: datetime,
    source: str,
) -> int:
    """Insert ``rows`` (from `_row`) with the next sequence numbers of their debtors, in the
    transaction of ``conn``; an `IntegrityError` means a concurrent writer took them."""
    if not rows:
        return 0
    heads = _heads(conn, sorted({r["debtor_id"] for r in rows}))
    for debtor_id, version in expected.items():
        if heads.get(debtor_id, 0) != version:
            raise ConflictError(debtor_id, version, heads.get(debtor_id, 0))
    stamped = []
    for row in rows:
        seq = heads.get(row["debtor_id"], 0) + 1
        heads[row["debtor_id"]] = seq
        stamped.append({**row, "seq": seq, "created_at": when, "source": source})
    conn.execute(sa.insert(schema.events), stamped)
    return len(stamped)


def _expected(
    batch: list[dict[str, Any]], expected_version: int | Mapping[str, int] | None
) -> dict[str, int]:
    if expected_version is None:
        return {}
    if isinstance(expected_version, int):
        debtors = sorted({r["debtor_id"] for r in batch})
        if len(debtors) != 1:
            raise ValueError(
                "expected_version as an int needs the events of one debtor, not of "
                f"{', '.join(debtors)}: pass a mapping of debtor id to version"
            )
        return {debtors[0]: expected_version}
    return dict(expected_version)


def _heads(conn: Connection, debtor_ids: Sequence[str]) -> dict[str, int]:
    t = schema.events
    heads: dict[str, int] = {}
    for chunk in _chunks(debtor_ids):
        query = (
            sa.select(t.c.debtor_id, sa.func.max(t.c.seq))
            .where(t.c.debtor_id.in_(chunk))
            .group_by(t.c.debtor_id)
        )
        heads.update({d: int(v) for d, v in conn.execute(query)})
    return heads


def _hash_counts(conn: Connection, hashes: Sequence[str]) -> Counter[str]:
    t = schema.events
    counts: Counter[str] = Counter()
    for chunk in _chunks(hashes):
        query = sa.select(t.c.hash, sa.func.count()).where(t.c.hash.in_(chunk)).group_by(t.c.hash)
        counts.update({h: int(n) for h, n in conn.execute(query)})
    return counts


def _current_version(conn: Connection) -> int:
    inspector = sa.inspect(conn)
    if not inspector.has_table("schema_version"):
        if inspector.has_table("events"):
            raise SchemaError("the database has an events table but no schema_version: not a store")
        return 0
    found = conn.execute(sa.select(sa.func.max(schema.schema_version.c.version))).scalar()
    return int(found or 0)


def upgrade(conn: Connection, target: int, *, now: datetime | None = None) -> list[int]:
    """Apply the migrations that take the database on ``conn`` to schema version ``target``,
    each recorded in ``schema_version``; returns the versions applied. Run it inside a
    transaction (`EventStore.open` does, holding the write lock)."""
    if not 0 <= target <= schema.SCHEMA_VERSION:
        raise ValueError(f"target must be between 0 and {schema.SCHEMA_VERSION}, not {target}")
    current = _current_version(conn)
    applied = []
    for version in range(current + 1, target + 1):
        migration = schema.MIGRATIONS[version - 1]
        migration(conn)
        description = (migration.__doc__ or "").strip().splitlines()[0][:200]
        conn.execute(
            sa.insert(schema.schema_version).values(
                version=version,
                applied_at=now or _now(),
                release=__version__,
                description=description,
            )
        )
        applied.append(version)
    return applied
