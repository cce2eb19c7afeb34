"""The store's tables and the ordered migrations that build them.

The schema's version is the number of migrations applied; `MIGRATIONS[n - 1]` takes a store
from version ``n - 1`` to ``n``. A released migration is never edited: a change to the schema is
a new function appended to the list (see ``docs/store.md``, "Migrations"). Each migration
spells out its own DDL, so it still builds what it built when it was released, whatever the
current table definitions below say; a test checks that the migrations from an empty database
produce exactly the current tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

__all__ = [
    "MESSAGE_STATES",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "UTCDateTime",
    "events",
    "message_log",
    "messages",
    "metadata",
    "schema_version",
]


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware datetime stored in UTC on every backend (SQLite keeps no offset: it stores the
    UTC wall time and gets UTC back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"created_at must be an aware datetime, not {value!r}")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: A 64-bit key that autoincrements on PostgreSQL and is SQLite's rowid there.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The current schema (what the migrations below build), used by the queries.
metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
    sa.Column("release", sa.String(40), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("debtor_id", sa.String(200), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("type", sa.String(60), nullable=False),
    sa.Column("key", sa.String(200), nullable=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("source", sa.String(200), nullable=True),
    sa.UniqueConstraint("debtor_id", "seq", name="uq_events_debtor_seq"),
    sa.CheckConstraint("seq >= 1", name="ck_events_seq_positive"),
    sa.Index("ix_events_hash", "hash"),
    sa.Index("ix_events_type_key", "type", "key"),
)

#: The states of a message in the transactional outbox (see `dunning.store.dispatcher`).
MESSAGE_STATES = ("queued", "sending", "sent", "temporary", "failed", "in_doubt")
_STATE_CHECK = "state IN ('queued', 'sending', 'sent', 'temporary', 'failed', 'in_doubt')"

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("debtor_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("file", sa.String(200), nullable=False),
    sa.Column("recipient", sa.String(400), nullable=False),
    sa.Column("message_id", sa.String(400), nullable=False),
    sa.Column("not_before", UTCDateTime, nullable=True),
    sa.Column("not_after", UTCDateTime, nullable=True),
    sa.Column("outbox", sa.String(400), nullable=False),
    sa.Column("approved_at", UTCDateTime, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("worker", sa.String(100), nullable=True),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("transport_id", sa.String(200), nullable=False),
    sa.Column("queued_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint(_STATE_CHECK, name="ck_messages_state"),
    sa.Index("ix_messages_claim", "state", "queued_at", "key"),
    sa.Index("ix_messages_outbox", "outbox"),
)

message_log = sa.Table(
    "message_log",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("what", sa.String(20), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("worker", sa.String(100), nullable=True),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("ix_message_log_key", "key"),
)


def _v1(conn: Connection) -> None:
    """v1: the schema_version table and the events table, one row per event."""
    frozen = sa.MetaData()
    sa.Table(
        "schema_version",
        frozen,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("applied_at", UTCDateTime, nullable=False),
        sa.Column("release", sa.String(40), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
    )
    sa.Table(
        "events",
        frozen,
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("debtor_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("key", sa.String(200), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("debtor_id", "seq", name="uq_events_debtor_seq"),
        sa.CheckConstraint("seq >= 1", name="ck_events_seq_positive"),
    )
    frozen.create_all(conn)


def _v2(conn: Connection) -> None:
    """v2: ``events.source`` (what wrote a row: ``append``, or ``import <file name>``; NULL for
    rows written before v2), an index on ``hash`` (imports look rows up by content) and one on
    ``(type, key)`` (an action's events by its idempotency key)."""
    conn.execute(sa.text("ALTER TABLE events ADD COLUMN source VARCHAR(200)"))
    conn.execute(sa.text("CREATE INDEX ix_events_hash ON events (hash)"))
    conn.execute(sa.text("CREATE INDEX ix_events_type_key ON events (type, key)"))


def _v3(conn: Connection) -> None:
    """v3: the transactional outbox: ``messages`` (each message to send, its content and its
    state) and ``message_log`` (every change of a message's state, append-only)."""
    frozen = sa.MetaData()
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    sa.Table(
        "messages",
        frozen,
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("debtor_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("file", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(400), nullable=False),
        sa.Column("message_id", sa.String(400), nullable=False),
        sa.Column("not_before", UTCDateTime, nullable=True),
        sa.Column("not_after", UTCDateTime, nullable=True),
        sa.Column("outbox", sa.String(400), nullable=False),
        sa.Column("approved_at", UTCDateTime, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("transport_id", sa.String(200), nullable=False),
        sa.Column("queued_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.CheckConstraint(
            "state IN ('queued', 'sending', 'sent', 'temporary', 'failed', 'in_doubt')",
            name="ck_messages_state",
        ),
        sa.Index("ix_messages_claim", "state", "queued_at", "key"),
        sa.Index("ix_messages_outbox", "outbox"),
    )
    sa.Table(
        "message_log",
        frozen,
        sa.Column("id", big, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("what", sa.String(20), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Index("ix_message_log_key", "key"),
    )
    frozen.create_all(conn)


Migration = Callable[[Connection], Any]

#: The migrations, in order: ``MIGRATIONS[n - 1]`` builds version ``n``. Append only.
MIGRATIONS: tuple[Migration, ...] = (_v1, _v2, _v3)

#: The schema version this release writes.
SCHEMA_VERSION = len(MIGRATIONS)
