"""The event store's exceptions (they need no SQLAlchemy, so callers can always catch them)."""

from __future__ import annotations

from ..errors import DunningError

__all__ = ["ConflictError", "SchemaError", "StoreError"]


class StoreError(DunningError):
    """The store cannot do what was asked (a bad URL, a database that went away...)."""


class ConflictError(StoreError):
    """An append that would rewrite a debtor's history: another writer appended first.

    ``expected`` is the version the caller based its append on, ``actual`` the version found
    (None when a concurrent writer's insert collided with this one's). Nothing was written:
    read the debtor's events again, decide again, append again.
    """

    def __init__(self, debtor_id: str, expected: int | None, actual: int | None) -> None:
        self.debtor_id = debtor_id
        self.expected = expected
        self.actual = actual
        if actual is None:
            text = f"debtor {debtor_id!r}: another writer appended at the same time"
        else:
            text = f"debtor {debtor_id!r}: expected version {expected}, the store is at {actual}"
        super().__init__(f"{text}; nothing was written")


class SchemaError(StoreError):
    """The store's schema cannot be used by this release (written by a newer one, or damaged)."""
