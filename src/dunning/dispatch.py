"""Sending an approved outbox, each message exactly once.

`dunning run FOLDER --outbox DIR` writes the day's messages for review; a person approves them
(`approve`, ``dunning approve DIR``), and `send_outbox` (``dunning send DIR``) hands each
approved message to the channel of its action. Every send is written to a **journal**
(``FOLDER/.dunning/journal.jsonl``), flushed to disk (``fsync``) *before* the message leaves
and again with its outcome:

==============  =========================================  ====================================
last entry      what it means                              what `send_outbox` does with the key
==============  =========================================  ====================================
(none)          never tried                                sends it
``sending``     a send began and its outcome was never     nothing: **in doubt** (the process
                written (the process died, the machine     died mid-send; the message may have
                stopped)                                   gone): reported, never resent
``in_doubt``    the channel lost the connection after the  nothing: reported, never resent
                message was handed over
``temporary``   the channel refused for now (4xx, a        sends it again
                timeout before the message was handed
                over)
``sent``        the channel accepted it                    nothing: already sent
``failed``      the channel refused it for good (5xx,      nothing: the step is planned again
                a bad address)                             on its next channel by the next run
==============  =========================================  ====================================

So a second ``send``, or one after a crash, never sends a message twice: a message whose
outcome is unknown is reported as in doubt for a person to settle (did the debtor receive it?
a PEC acceptance receipt names its Message-ID), never guessed: `settle` (``dunning settle``)
records what the evidence shows. What was sent becomes a
`MessageSent` event and what failed for good a `DeliveryFailed` event (`outcome_events`), to
append to the case history.

A call or an SMS whose action has a window of the day (``not_before``/``not_after``, the
debtor's contact hours) waits for it: sent before the window opens, it is not sent and is
reported as waiting.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import attrs

from .channels.base import (
    Channel,
    ChannelError,
    InDoubt,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from .errors import DataError
from .events import DeliveryFailed, Event, MessageSent

__all__ = [
    "APPROVED",
    "JOURNAL",
    "Journal",
    "JournalEntry",
    "Outcome",
    "approve",
    "approved",
    "message_for",
    "outcome_events",
    "outgoing",
    "recipient_of",
    "send_outbox",
    "settle",
]

#: Where the journal lives, in the working folder.
JOURNAL = Path(".dunning") / "journal.jsonl"
#: The approvals of an outbox, in the outbox.
APPROVED = "approved.json"

State = Literal["sending", "sent", "temporary", "failed", "in_doubt"]
Result = Literal[
    "sent",
    "already_sent",
    "failed",
    "already_failed",
    "temporary",
    "in_doubt",
    "waiting",
    "not_approved",
    "no_channel",
    "not_sent_by_a_channel",
]


@attrs.frozen
class JournalEntry:
    """One line of the journal: the state of the message ``key`` at ``at``."""

    key: str
    state: State
    at: str
    channel: str
    detail: str = ""
    transport_id: str = ""
    message_id: str = ""


class Journal:
    """The send journal: one JSON line per state change, appended and flushed to disk before
    anything else happens, so it survives the process dying at any point."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._last: dict[str, JournalEntry] = {}
        if self.path.exists():
            with self.path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        entry = JournalEntry(**json.loads(line))
                    except (ValueError, TypeError) as exc:
                        # a torn last line (the process died while writing it) means the
                        # send it announced may or may not have happened: keep it in doubt
                        raise DataError(
                            f"not a journal entry ({exc}); the send journal is damaged: "
                            "repair the line by hand, never delete it",
                            source=str(self.path),
                            line=number,
                        ) from None
                    self._last[entry.key] = entry

    def last(self, key: str) -> JournalEntry | None:
        """The latest entry for ``key`` (None: never tried)."""
        return self._last.get(key)

    def record(self, entry: JournalEntry) -> None:
        """Append ``entry`` and wait until it is on disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = json.dumps(attrs.asdict(entry), ensure_ascii=False, sort_keys=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        self._last[entry.key] = entry

    def in_doubt(self) -> list[JournalEntry]:
        """The messages whose send began and whose outcome nobody knows."""
        return [e for e in self._last.values() if e.state in ("sending", "in_doubt")]


@attrs.frozen
class Outcome:
    """What `send_outbox` did with one message of the outbox, and why."""

    key: str
    debtor_id: str
    channel: str
    result: Result
    detail: str = ""
    message_id: str = ""


def _index(outbox: Path) -> list[dict[str, Any]]:
    path = outbox / "outbox.json"
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("no outbox here: outbox.json is missing", source=str(outbox)) from None
    except ValueError as exc:
        raise DataError(f"not valid JSON: {exc}", source=str(path)) from None
    if not isinstance(index, list):
        raise DataError("must be a list of messages", source=str(path))
    return index


def approved(outbox: str | os.PathLike[str]) -> set[str]:
    """The keys approved for sending in ``outbox``."""
    path = Path(outbox) / APPROVED
    if not path.exists():
        return set()
    data = json.loads(path.read_text(encoding="utf-8"))
    return {entry["key"] for entry in data}


def approve(
    outbox: str | os.PathLike[str], keys: Collection[str] | None = None, *, at: datetime
) -> list[str]:
    """Approve the messages ``keys`` of ``outbox`` (every message when None) at ``at``;
    returns the keys newly approved. A key that is not in the outbox is an error."""
    folder = Path(outbox)
    index = _index(folder)
    known = [e["key"] for e in index if e.get("file")]
    wanted = list(known) if keys is None else list(dict.fromkeys(keys))
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise DataError(
            f"not a message of this outbox: {', '.join(unknown)}", source=str(folder / APPROVED)
        )
    path = folder / APPROVED
    done = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    before = {entry["key"] for entry in done}
    new = [k for k in wanted if k not in before]
    done += [{"key": k, "at": at.isoformat()} for k in new]
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(done, indent=2).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    return new


def outgoing(outbox: str | os.PathLike[str], entry: Mapping[str, Any]) -> Outgoing:
    """The message of the outbox ``entry`` as a channel takes it: an ``.eml`` as written, an
    SMS's text from its ``.json``, a letter's PDF."""
    folder = Path(outbox)
    key, channel, name = entry["key"], entry["channel"], entry.get("file")
    if not name:
        raise DataError(f"{key}: no file to send", source=str(folder / "outbox.json"))
    path = folder / Path(name).name  # never outside the outbox
    return message_for(
        key, channel, path.read_bytes(), name=path.name, recipient=recipient_of(entry)
    )


def recipient_of(entry: Mapping[str, Any]) -> str:
    """Who a letter of the outbox ``entry`` is for, for the logs (its addressee, or debtor)."""
    recipient = str(entry.get("recipient") or entry.get("debtor_id") or "")
    return recipient.replace("<", "(").replace(">", ")")


def message_for(key: str, channel: str, content: bytes, *, name: str, recipient: str) -> Outgoing:
    """The `Outgoing` for the bytes of an outbox file ``name``: an ``.eml`` for e-mail and PEC,
    an SMS's ``.json``, a letter's PDF (``recipient`` names its addressee in the logs)."""
    if channel in ("email", "pec"):
        return Outgoing.from_eml(key, channel, content)
    if channel == "sms":
        from .channels.sms import sms_outgoing

        return sms_outgoing(content, key)
    return Outgoing(key, "postal", recipient or name, "dunning", content)


def _window(entry: Mapping[str, Any], now: datetime) -> str | None:
    """Why ``entry`` waits at ``now`` (None: it may go)."""
    start, end = entry.get("not_before"), entry.get("not_after")
    if start and now < datetime.fromisoformat(start):
        return f"waits for its window: not before {start}"
    if end and now > datetime.fromisoformat(end):
        return f"its window closed at {end}: the next run plans it again"
    return None


def send_outbox(
    outbox: str | os.PathLike[str],
    channels: Mapping[str, Channel],
    journal: Journal,
    *,
    now: datetime,
) -> list[Outcome]:
    """Send the approved messages of ``outbox`` over ``channels`` (by channel name:
    ``"email"``, ``"pec"``, ``"sms"``, ``"postal"``) at ``now`` (aware), each exactly once
    across runs thanks to ``journal``."""
    if now.tzinfo is None:
        raise ValueError("send_outbox: now must carry a time zone")
    folder = Path(outbox)
    ok = approved(folder)
    outcomes: list[Outcome] = []
    for entry in _index(folder):
        key, channel, debtor = entry["key"], entry["channel"], entry.get("debtor_id", "")

        def out(
            result: Result,
            detail: str = "",
            message_id: str = "",
            where: tuple[str, str, str] = (key, debtor, channel),
        ) -> Outcome:
            return Outcome(*where, result, detail, message_id)

        if channel in ("phone", "agency") or not entry.get("file"):
            what = "a call is made by a person" if channel == "phone" else "handed over by hand"
            outcomes.append(out("not_sent_by_a_channel", what))
            continue
        if key not in ok:
            outcomes.append(out("not_approved", "not approved: dunning approve OUTBOX KEY"))
            continue
        last = journal.last(key)
        if last is not None and last.state == "sent":
            outcomes.append(out("already_sent", f"sent at {last.at}", last.message_id))
            continue
        if last is not None and last.state == "failed":
            outcomes.append(out("already_failed", last.detail))
            continue
        if last is not None and last.state in ("sending", "in_doubt"):
            detail = f"a send began at {last.at} and its outcome is unknown: not sent again"
            outcomes.append(out("in_doubt", detail, last.message_id))
            continue
        wait = _window(entry, now) if channel in ("sms", "phone") else None
        if wait is not None:
            outcomes.append(out("waiting", wait))
            continue
        if channel not in channels:
            text = f'no {channel} channel configured: add [channels] {channel} = "..."'
            outcomes.append(out("no_channel", text))
            continue
        message = outgoing(folder, entry)
        stamp = now.isoformat()
        journal.record(JournalEntry(key, "sending", stamp, channel, "", "", message.message_id))
        try:
            sent = channels[channel].send(message)
        except InDoubt as exc:
            journal.record(JournalEntry(key, "in_doubt", stamp, channel, str(exc)))
            outcomes.append(out("in_doubt", str(exc), message.message_id))
            continue
        except TemporaryFailure as exc:
            journal.record(JournalEntry(key, "temporary", stamp, channel, str(exc)))
            outcomes.append(out("temporary", str(exc)))
            continue
        except (PermanentFailure, ChannelError) as exc:
            journal.record(JournalEntry(key, "failed", stamp, channel, str(exc)))
            outcomes.append(out("failed", str(exc)))
            continue
        detail = sent.detail or "accepted"
        record = JournalEntry(
            key, "sent", sent.accepted_at.isoformat(), channel, detail, sent.transport_id
        )
        journal.record(attrs.evolve(record, message_id=message.message_id))
        outcomes.append(out("sent", detail, message.message_id))
    return outcomes


def settle(
    outbox: str | os.PathLike[str],
    journal: Journal,
    key: str,
    *,
    sent: bool,
    evidence: str,
    now: datetime,
) -> Outcome:
    """Settle the message ``key`` whose send is in doubt, on a person's word and ``evidence``
    (a PEC acceptance receipt naming its Message-ID, the SMTP server's log line): ``sent``
    records it as sent (a `MessageSent` follows from `outcome_events`); otherwise it is
    recorded as not sent and the next `send_outbox` sends it. Only a message in doubt can be
    settled, and only with evidence."""
    if not evidence.strip():
        raise DataError(f"{key}: say what shows the outcome (evidence), e.g. the receipt's id")
    last = journal.last(key)
    if last is None or last.state not in ("sending", "in_doubt"):
        seen = "never sent" if last is None else f"{last.state} at {last.at}"
        raise DataError(f"{key}: not in doubt ({seen}): nothing to settle")
    entry = next((e for e in _index(Path(outbox)) if e["key"] == key), None)
    if entry is None:
        raise DataError(f"{key}: not a message of this outbox", source=str(outbox))
    detail = f"settled by hand: {evidence.strip()}"
    state: State = "sent" if sent else "temporary"
    journal.record(
        JournalEntry(key, state, now.isoformat(), last.channel, detail, "", last.message_id)
    )
    result: Result = "sent" if sent else "temporary"
    return Outcome(key, entry.get("debtor_id", ""), last.channel, result, detail, last.message_id)


def outcome_events(outcomes: Iterable[Outcome], now: datetime) -> list[Event]:
    """The events to append to the case history: `MessageSent` for what was sent,
    `DeliveryFailed` for what a channel refused for good (the next run plans the step again
    on its next channel)."""
    day = now.date()
    events: list[Event] = []
    for o in outcomes:
        if o.result == "sent":
            events.append(MessageSent(day, o.debtor_id, o.key, o.channel, message_id=o.message_id))
        elif o.result == "failed":
            events.append(DeliveryFailed(day, o.debtor_id, o.key, o.channel, reason=o.detail))
    return events
