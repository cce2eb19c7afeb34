"""A plain event log: one JSON event per line, appended, never rewritten.

This is what ``dunning run`` uses to remember what it planned (``FOLDER/.dunning/history.jsonl``)
so a second run on the same day plans nothing new. Bigger stores come later; this one is a file
a person can read and a spreadsheet can open.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from os import PathLike
from pathlib import Path

from .errors import DataError
from .events import Event
from .serialize import event_from_data, event_to_data

__all__ = ["append_events", "read_events"]


def read_events(path: str | PathLike[str]) -> list[Event]:
    """The events in ``path`` (none when the file does not exist)."""
    file = Path(path)
    if not file.exists():
        return []
    events: list[Event] = []
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                events.append(event_from_data(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(
                    f"not a valid event: {exc}", source=str(file), line=number
                ) from None
    return events


def append_events(path: str | PathLike[str], events: Iterable[Event]) -> int:
    """Append ``events`` to ``path`` (creating folders as needed); returns how many.

    A new file is readable by its owner only (0600, in new folders of mode 0700): it holds
    debtors' personal data (see ``docs/privacy.md``)."""
    file = Path(path)
    lines = [json.dumps(event_to_data(e), ensure_ascii=False, sort_keys=True) for e in events]
    if not lines:
        return 0
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with open(fd, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return len(lines)
