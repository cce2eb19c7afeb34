"""What the post brings back: tracking numbers and return cards, recorded as events.

A mailing service that prints and posts the letters of an outbox (see the letters' manifest)
gives back, for each letter, its tracking number when it is posted and, for a registered letter
with return receipt (raccomandata A/R, Einschreiben Rückschein, recommandé A/R), the card the
debtor signed. `read_returns` reads them from a CSV file into the events the case history
understands, so the policy knows when a formal notice was received, which is the day its
deadline and its legal effect run from:

=============  ============================================  =====================================
``event``      what the post says                            recorded as
=============  ============================================  =====================================
``posted``     the letter was accepted, with its tracking    `MessageSent` (``message_id``: the
               number                                        tracking number)
``delivered``  the return card came back signed; ``date`` is  `DeliveryConfirmed` on the card's
               the date on the card                          date, the card as evidence
``unclaimed``  nobody was in; the postman left a notice of   `DeliveryConfirmed` on that day
               deposit and the letter was not collected      (see below)
               (*compiuta giacenza*); ``date``: the notice's
``returned``   the letter came back undelivered (unknown     `DeliveryFailed`: the step is tried
               address, refused…)                            again on its next channel
=============  ============================================  =====================================

An unclaimed registered letter counts as received: under art. 1335 c.c. a declaration is
presumed known once it reaches the addressee's address, and the Italian courts hold that for a
registered letter left in deposit the presumption runs from the day the notice of deposit was
left (Cass. civ. sez. III, 24 aprile 2015 n. 8406 among many). A creditor who prefers not to
rely on that records ``returned`` instead.

The file is either **the letters' manifest handed back** (``letters.csv`` as the outbox wrote
it, with its last columns filled in by the mailing service: ``tracking``, and ``delivered`` or
``returned`` with the date, and a ``reason`` for a returned letter; one row per letter, the
other columns are ignored), or **one row per event**, with a header row and these columns (any
order; ``tracking``, ``signed_by`` and ``note`` may be left out):

- ``key``: the letter's idempotency key, as in ``outbox.json`` and the letters' manifest;
- ``event``: ``posted``, ``delivered``, ``unclaimed`` or ``returned``;
- ``date``: ISO date (``2026-07-20``);
- ``tracking``: the tracking number (``RR123456789IT``);
- ``signed_by``: the name on the return card;
- ``note``: free text (for ``returned``, why).

>>> from datetime import date
>>> from dunning import ActionPlanned, Money
>>> planned = ActionPlanned(
...     date(2026, 7, 15), "C1", key="C1:formal", step="formal_notice", level=3,
...     kind="formal_notice", channel="postal", items=("F1:0",), levels=(("F1:0", 3),),
...     amount=Money("100.00", "EUR"), service="raccomandata_ar")
>>> text = '''key,event,date,tracking,signed_by
... C1:formal,posted,2026-07-15,RR123456789IT,
... C1:formal,delivered,2026-07-18,RR123456789IT,Mario Rossi
... '''
>>> for event in read_returns(text, [planned]):
...     print(type(event).__name__, event.date, getattr(event, "evidence", "-"))
MessageSent 2026-07-15 -
DeliveryConfirmed 2026-07-18 return card of registered letter RR123456789IT, signed by Mario Rossi
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import attrs

from .errors import DataError
from .events import ActionPlanned, DeliveryConfirmed, DeliveryFailed, Event, MessageSent
from .steps import PROVEN_POSTAL_SERVICES

__all__ = ["RETURN_COLUMNS", "RETURN_EVENTS", "read_returns"]

#: The columns of a returns file with one row per event.
RETURN_COLUMNS = ("key", "event", "date", "tracking", "signed_by", "note")
#: What the ``event`` column may say.
RETURN_EVENTS = ("posted", "delivered", "unclaimed", "returned")
_REQUIRED = ("key", "event", "date")
#: The columns of the letters' manifest that a mailing service fills in.
_MANIFEST = ("tracking", "delivered", "returned", "reason")


@attrs.frozen
class _Line:
    """One thing the post says about one letter, from either shape of file."""

    number: int
    key: str
    kind: str
    day: str
    tracking: str = ""
    signed_by: str = ""
    note: str = ""


def read_returns(source: str | os.PathLike[str], history: Iterable[Event]) -> list[Event]:
    """The events recorded by a returns file (a path, or the CSV text itself), for the
    letters planned in ``history``; the ones already in ``history`` are left out, so reading
    the same file twice records nothing new.

    Every problem is collected: a `DataError` lists them all with their line and column, and
    nothing is returned unless the whole file is good.
    """
    if isinstance(source, str) and "\n" in source:
        name, text = "returns", source
    else:
        path = Path(source)
        name = path.name
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 text (byte {exc.start})", source=name) from None
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(reader.fieldnames or ())
    errors: list[DataError] = []
    if "event" not in header and "key" in header and any(c in header for c in _MANIFEST[1:3]):
        lines = _manifest_lines(reader, name, errors)
    else:
        _check_header(header, name)
        lines = _event_lines(reader, name, errors)
    events = _events(lines, list(history), name, errors)
    if errors:
        raise DataError(f"{len(errors)} problem(s) in {name}", source=name, errors=tuple(errors))
    return events


def _check_header(header: tuple[str, ...], name: str) -> None:
    missing = [c for c in _REQUIRED if c not in header]
    unknown = [c for c in header if c not in RETURN_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        raise DataError(
            f"{'; '.join(parts)} (the columns are {', '.join(RETURN_COLUMNS)}; or hand back "
            "the letters' manifest with tracking, delivered, returned, reason filled in)",
            source=name,
            line=1,
        )


def _rows(
    reader: csv.DictReader[str], name: str, errors: list[DataError]
) -> Iterator[tuple[int, dict[str, str]]]:
    for number, row in enumerate(reader, start=2):
        if None in row:
            errors.append(DataError("more cells than columns", source=name, line=number))
            continue
        cells = {k: (v or "").strip() for k, v in row.items()}
        if any(cells.values()):
            yield number, cells


def _event_lines(reader: csv.DictReader[str], name: str, errors: list[DataError]) -> list[_Line]:
    return [
        _Line(
            number,
            cells.get("key", ""),
            cells.get("event", ""),
            cells.get("date", ""),
            cells.get("tracking", ""),
            cells.get("signed_by", ""),
            cells.get("note", ""),
        )
        for number, cells in _rows(reader, name, errors)
    ]


def _manifest_lines(reader: csv.DictReader[str], name: str, errors: list[DataError]) -> list[_Line]:
    lines = []
    for number, cells in _rows(reader, name, errors):
        key, tracking = cells.get("key", ""), cells.get("tracking", "")
        delivered, returned = cells.get("delivered", ""), cells.get("returned", "")
        if delivered and returned:
            record = f"letter {key or '?'}"
            errors.append(
                DataError(
                    "a letter is either delivered or returned, not both",
                    record=record,
                    field="returned",
                    source=name,
                    line=number,
                )
            )
            continue
        if tracking:
            lines.append(_Line(number, key, "posted", "", tracking))
        if delivered:
            lines.append(_Line(number, key, "delivered", delivered, tracking))
        if returned:
            lines.append(
                _Line(number, key, "returned", returned, tracking, note=cells.get("reason", ""))
            )
    return lines


def _events(
    lines: list[_Line], past: list[Event], name: str, errors: list[DataError]
) -> list[Event]:
    letters = {e.key: e for e in past if isinstance(e, ActionPlanned) and e.channel == "postal"}
    planned = {e.key for e in past if isinstance(e, ActionPlanned)}
    seen = set(past)
    events: list[Event] = []
    for line in lines:
        record = f"letter {line.key or '?'}"

        def fail(field: str, message: str, line: _Line = line, record: str = record) -> None:
            errors.append(
                DataError(message, record=record, field=field, source=name, line=line.number)
            )

        if not line.key:
            fail("key", "is empty")
        if not line.kind:
            fail("event", "is empty")
        letter = letters.get(line.key)
        when = (
            letter.date if letter is not None and line.kind == "posted" and not line.day else None
        )
        if line.day:
            try:
                when = date.fromisoformat(line.day)
            except ValueError:
                fail("date", f"{line.day!r} is not a date (write it as 2026-07-20)")
        elif when is None and line.kind:
            fail("date", "is empty")
        if line.kind and line.kind not in RETURN_EVENTS:
            fail("event", f"{line.kind!r} is not one of {', '.join(RETURN_EVENTS)}")
        if line.key and letter is None:
            what = "an action that is not a letter" if line.key in planned else "no planned action"
            fail("key", f"{line.key!r} is {what} (the key is the one in outbox.json)")
        if when is None or letter is None or line.kind not in RETURN_EVENTS:
            continue
        if when < letter.date:
            fail("date", f"{when} is before the letter was planned ({letter.date})")
            continue
        event = _event(line, letter, when)
        if event is None:
            fail(
                "event",
                f"the letter went by {letter.service or 'ordinary mail'}, which has no return "
                "card: only a registered letter with return receipt proves delivery",
            )
        elif event not in seen:
            seen.add(event)
            events.append(event)
    return events


def _event(line: _Line, letter: ActionPlanned, when: date) -> Event | None:
    debtor, key, tracking = letter.debtor_id, line.key, line.tracking
    proven = letter.service in PROVEN_POSTAL_SERVICES
    if line.kind == "posted":
        return MessageSent(when, debtor, key, "postal", message_id=tracking)
    if line.kind in ("delivered", "unclaimed") and not proven:
        return None
    if line.kind == "delivered":
        evidence = "return card of registered letter" + (f" {tracking}" if tracking else "")
        evidence += f", signed by {line.signed_by}" if line.signed_by else ""
        return DeliveryConfirmed(when, debtor, key, "postal", evidence=evidence)
    if line.kind == "unclaimed":
        evidence = "registered letter" + (f" {tracking}" if tracking else "")
        evidence += " not collected: notice of deposit left on this day (art. 1335 c.c.)"
        return DeliveryConfirmed(when, debtor, key, "postal", evidence=evidence)
    reason = "returned to sender" + (f": {line.note}" if line.note else "")
    reason += f" (tracking {tracking})" if tracking else ""
    return DeliveryFailed(when, debtor, key, "postal", reason=reason)
