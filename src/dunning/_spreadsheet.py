"""CSV cells a spreadsheet shows but never runs: a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return would be read as a formula when the file is opened in Excel
or LibreOffice (formula injection), so it gets a leading ``'``, which spreadsheets take as
"text". Every CSV file dunning writes for people (the letters' manifest, the call list,
``unmatched.csv``, rows added to the folder's tables) goes through `safe_cell`.

>>> safe_cell("=HYPERLINK(1)"), safe_cell("-12"), safe_cell("Rossi"), safe_cell(None)
("'=HYPERLINK(1)", "'-12", 'Rossi', '')
>>> plain_cell("'=HYPERLINK(1)"), plain_cell("'Rossi")
('=HYPERLINK(1)', "'Rossi")
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

__all__ = ["FORMULA_STARTS", "csv_text", "plain_cell", "safe_cell"]

#: What a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as text a spreadsheet shows and never runs (None: empty)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def plain_cell(value: str) -> str:
    """The text `safe_cell` guarded, as it was (a cell read back from such a file)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """``rows`` as comma-separated text, one line each, every cell through `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
