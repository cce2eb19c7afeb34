"""Exceptions raised by dunning. Every one names what was wrong and where."""

from __future__ import annotations

__all__ = ["DataError", "DunningError", "PolicyError", "RunError"]


class DunningError(Exception):
    """Base class of the library's own errors."""


class DataError(DunningError, ValueError):
    """Bad input data: names the record, the field and, when read from a file, where.

    >>> str(DataError("amount must be positive", record="invoice INV-7", field="amount",
    ...               source="invoices.csv", line=12))
    "invoices.csv line 12: invoice INV-7, field 'amount': amount must be positive"
    """

    def __init__(
        self,
        message: str,
        *,
        record: str | None = None,
        field: str | None = None,
        source: str | None = None,
        line: int | None = None,
        errors: tuple[DataError, ...] = (),
        unit: str = "line",
    ) -> None:
        self.message = message
        self.record = record
        self.field = field
        self.source = source
        self.line = line
        self.errors = errors
        self.unit = unit
        """What ``line`` counts: ``"line"`` in a text file, ``"row"`` in a spreadsheet's sheet
        or a Parquet file (`dunning.importers.table`)."""
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.source is not None:
            where.append(
                self.source if self.line is None else f"{self.source} {self.unit} {self.line}"
            )
        what = []
        if self.record is not None:
            what.append(self.record)
        if self.field is not None:
            what.append(f"field {self.field!r}")
        head = ": ".join(filter(None, [" ".join(where), ", ".join(what)]))
        text = f"{head}: {self.message}" if head else self.message
        if self.errors:
            text += "".join(f"\n  - {e}" for e in self.errors)
        return text


class PolicyError(DunningError, ValueError):
    """A policy that cannot work as written (e.g. a formal notice by plain email)."""


class RunError(DunningError, ValueError):
    """A run that cannot be planned as asked (e.g. dated before the last recorded run)."""
