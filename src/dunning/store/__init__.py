"""The event store: every case's history in SQLite (a file, the default) or PostgreSQL.

Needs the ``store`` extra (SQLAlchemy 2; for PostgreSQL the ``postgres`` extra, which adds
psycopg 3)::

    pip install 'dunning[store]'

>>> import tempfile, pathlib
>>> from datetime import date
>>> from dunning import BlockSet
>>> from dunning.store import EventStore
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with EventStore.open(folder / "dunning.sqlite") as store:
...     store.append([BlockSet(date(2026, 7, 1), "D1", "legal review")])
...     store.events("D1"), store.version("D1")
1
([BlockSet(date=datetime.date(2026, 7, 1), debtor_id='D1', reason='legal review')], 1)

See ``docs/store.md`` for the URLs, the schema and how migrations work.
"""

from __future__ import annotations

from ..letters import MissingExtra

try:
    import sqlalchemy as _sqlalchemy  # noqa: F401
except ImportError as _error:
    raise MissingExtra(
        f"the event store needs SQLAlchemy 2 ({_error.name} is missing): "
        "pip install 'dunning[store]'"
    ) from None

from .dispatcher import MessageQueue, QueuedMessage, dispatch
from .errors import ConflictError, SchemaError, StoreError
from .event_store import EventStore, event_hash, event_json
from .schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ConflictError",
    "EventStore",
    "MessageQueue",
    "QueuedMessage",
    "SchemaError",
    "StoreError",
    "dispatch",
    "event_hash",
    "event_json",
]
