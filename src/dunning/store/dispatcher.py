"""The transactional outbox: each message persisted before it is sent, claimed by one
dispatcher, sent, and its outcome recorded with its event in one transaction.

`MessageQueue` keeps the messages of the outboxes in the store (table ``messages``, every change
in ``message_log``), beside the case histories:

==============  ===========================================  ==================================
state           what it means                                what `dispatch` does with it
==============  ===========================================  ==================================
``queued``      planned and rendered; sent once approved     claims it (when approved and in
                                                             its window) and sends it
``sending``     a dispatcher claimed it and never recorded   nothing: **in doubt** (it died
                an outcome                                   mid-send): reported, never resent
``in_doubt``    the channel lost the connection after the    nothing: reported, never resent
                message was handed over
``temporary``   the channel refused for now                  claims it again
``sent``        the channel accepted it                      nothing: already sent
``failed``      the channel refused it for good              nothing: the next run plans the
                                                             step on its next channel
==============  ===========================================  ==================================

A **claim** moves one message from ``queued`` or ``temporary`` to ``sending`` and commits
before anything leaves: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` lets several
dispatchers take different messages at once, on SQLite the claim runs in an immediate
transaction (the write lock taken at ``BEGIN``), so two dispatchers never claim the same
message. The **outcome** (``sent``, ``temporary``, ``failed`` or ``in_doubt``) is written in one
transaction with the event it implies (`MessageSent`, `DeliveryFailed`), so the history and the
outbox never disagree. A dispatcher that dies between the claim and the outcome leaves the
message in ``sending``: in doubt, for a person to `settle` on evidence (a PEC acceptance
receipt naming its Message-ID, the SMTP server's log line), never resent by itself.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email import policy as email_policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..channels.base import Channel, ChannelError, InDoubt, PermanentFailure, TemporaryFailure
from ..dispatch import Journal, Outcome, Result, _index, message_for, recipient_of
from ..errors import DataError
from ..events import DeliveryFailed, Event, MessageSent
from . import schema
from .errors import StoreError
from .event_store import EventStore, _chunks, _insert_rows, _row

__all__ = [
    "CLAIMABLE",
    "LogEntry",
    "MessageQueue",
    "QueuedMessage",
    "dispatch",
    "outbox_messages",
    "worker_name",
]

#: The states a dispatcher claims a message from.
CLAIMABLE = ("queued", "temporary")

T = TypeVar("T")

#: What a message read back from the store without a time sorts by (none is: a guard).
_EPOCH = datetime.min.replace(tzinfo=UTC)

#: After how many new messages an enqueue refreshes PostgreSQL's statistics of the queue.
_ANALYZE_AFTER = 1000

#: How many times an outcome is written again when a concurrent writer took its event's
#: sequence number (PostgreSQL; SQLite writers take turns).
_RETRIES = 8


def worker_name() -> str:
    """This process's name in the log: host and process id."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


@attrs.frozen
class QueuedMessage:
    """One message of the transactional outbox: its idempotency ``key``, the debtor, the channel,
    the bytes to send (``content``: the ``.eml``, the SMS ``.json``, the letter's PDF, as the
    outbox wrote them) and where it stands.

    ``not_before``/``not_after`` bound when it may leave (an SMS's contact window); ``outbox``
    is the folder it was written to and ``file`` its name there.
    """

    key: str
    debtor_id: str
    channel: str
    content: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")
    file: str = ""
    recipient: str = ""
    message_id: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    outbox: str = ""
    state: str = "queued"
    approved_at: datetime | None = None
    attempts: int = 0
    worker: str | None = None
    detail: str = ""
    transport_id: str = ""
    queued_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def content_hash(self) -> str:
        """The SHA-256 (hex) of ``content``."""
        return hashlib.sha256(self.content).hexdigest()


@attrs.frozen
class LogEntry:
    """One line of a message's log: ``what`` happened (a state, ``approved``, ``edited``,
    ``settled``) at ``at``, by ``worker``."""

    key: str
    what: str
    at: datetime
    worker: str | None
    detail: str


def _message(row: Any) -> QueuedMessage:
    values = dict(row._mapping)
    values.pop("content_hash", None)
    return QueuedMessage(**values)


class MessageQueue:
    """The transactional outbox of an `EventStore`: `enqueue`, `approve`, `claim`, `record`,
    `settle`; `dispatch` runs the loop. Several processes may use one store at once."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"MessageQueue({self.store!r})"

    # -- writing the queue -------------------------------------------------------------------

    def enqueue(
        self, messages: Iterable[QueuedMessage], *, events: Iterable[Event] = ()
    ) -> list[str]:
        """Persist ``messages`` (state ``queued`` and not approved, unless they say otherwise) and
        append ``events`` (the run's `ActionPlanned`) in one transaction; returns the keys newly
        queued.

        Idempotent: a key already queued with the same content is left as it is. The same key
        with other content is refused (`DataError`) unless the message is still ``queued`` and
        unapproved, when the new content replaces the old (a run planned the day again) and the
        log says so."""
        batch = list(messages)
        rows = [_row(e) for e in events]
        when = self.store._clock()

        def work(conn: Connection) -> list[str]:
            new = self._enqueue(conn, batch, when)
            _insert_rows(conn, rows, {}, when, "append")
            if len(new) >= _ANALYZE_AFTER and self.store.backend == "postgresql":
                # fresh statistics, or the planner sorts the whole queue per claim
                conn.execute(sa.text("ANALYZE messages"))
            return new

        return self._retrying(work)

    def _retrying(self, work: Callable[[Connection], T]) -> T:
        """``work`` in one writing transaction, run again (from the start) when a concurrent
        writer took the sequence numbers of its events (PostgreSQL; SQLite writers take
        turns): after `_RETRIES` tries the `IntegrityError` is raised."""
        for attempt in range(_RETRIES):
            try:
                with self.store._write() as conn:
                    return work(conn)
            except sa.exc.IntegrityError:
                if attempt == _RETRIES - 1:
                    raise
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _enqueue(self, conn: Connection, batch: list[QueuedMessage], when: datetime) -> list[str]:
        t = schema.messages
        known: dict[str, Any] = {}
        for chunk in _chunks([m.key for m in batch]):
            query = sa.select(t.c.key, t.c.content_hash, t.c.state, t.c.approved_at).where(
                t.c.key.in_(chunk)
            )
            known.update({r.key: r for r in conn.execute(query)})
        new: list[str] = []
        inserts: list[dict[str, Any]] = []
        logs: list[dict[str, Any]] = []
        for message in batch:
            digest = message.content_hash
            held = known.get(message.key)
            if held is None:
                if message.key in new:
                    raise DataError(f"{message.key}: twice in one batch")
                values = attrs.asdict(message)
                values.update(
                    attempts=0, worker=None, content_hash=digest, queued_at=when, updated_at=when
                )
                inserts.append(values)
                logs.append(_log(message.key, "queued", when, None, f"sha256 {digest}"))
                if message.state != "queued":  # its state in an earlier release's journal
                    logs.append(_log(message.key, message.state, when, None, message.detail))
                new.append(message.key)
            elif held.state == "queued" and message.state in ("sent", "failed", "in_doubt"):
                # a journal of the file mode tried it meanwhile: the journal knows better
                conn.execute(
                    sa.update(t)
                    .where(t.c.key == message.key)
                    .values(state=message.state, detail=message.detail, updated_at=when)
                )
                logs.append(_log(message.key, message.state, when, None, message.detail))
            elif held.content_hash != digest:
                if held.state != "queued" or held.approved_at is not None:
                    raise DataError(
                        f"{message.key}: already {held.state}"
                        + (" and approved" if held.approved_at is not None else "")
                        + " with other content; a message is never replaced once approved",
                    )
                conn.execute(
                    sa.update(t)
                    .where(t.c.key == message.key)
                    .values(content=message.content, content_hash=digest, updated_at=when)
                )
                detail = f"planned again: sha256 {held.content_hash} -> {digest}"
                logs.append(_log(message.key, "edited", when, None, detail))
        if inserts:
            conn.execute(sa.insert(t), inserts)
        if logs:
            conn.execute(sa.insert(schema.message_log), logs)
        return new

    def approve(
        self,
        keys: Collection[str],
        *,
        at: datetime,
        contents: Mapping[str, bytes] | None = None,
        by: str = "",
    ) -> list[str]:
        """Approve the messages ``keys`` at ``at``; returns the keys newly approved. A key the
        queue does not hold is an error (nothing is approved).

        ``contents`` are the files as the person approved them: a message edited in the outbox
        after it was planned is approved as edited (still ``queued`` only), and the log keeps
        both hashes."""
        t = schema.messages
        wanted = list(dict.fromkeys(keys))
        when = self.store._clock()
        with self.store._write() as conn:
            rows = {r.key: r for r in _select(conn, wanted)}
            unknown = [k for k in wanted if k not in rows]
            if unknown:
                raise DataError(f"not a queued message: {', '.join(unknown)}")
            new: list[str] = []
            logs: list[dict[str, Any]] = []
            for key in wanted:
                row = rows[key]
                given = (contents or {}).get(key)
                if given is not None and hashlib.sha256(given).hexdigest() != row.content_hash:
                    if row.state != "queued":
                        raise DataError(
                            f"{key}: its file changed after it was {row.state}; "
                            "what was sent is kept in the store",
                        )
                    digest = hashlib.sha256(given).hexdigest()
                    conn.execute(
                        sa.update(t)
                        .where(t.c.key == key)
                        .values(content=given, content_hash=digest, updated_at=when)
                    )
                    detail = f"edited before approval: sha256 {row.content_hash} -> {digest}"
                    logs.append(_log(key, "edited", when, by or None, detail))
                if row.approved_at is None:
                    conn.execute(
                        sa.update(t).where(t.c.key == key).values(approved_at=at, updated_at=when)
                    )
                    logs.append(_log(key, "approved", when, by or None, f"approved at {_when(at)}"))
                    new.append(key)
            if logs:
                conn.execute(sa.insert(schema.message_log), logs)
            if len(new) >= _ANALYZE_AFTER and self.store.backend == "postgresql":
                conn.execute(sa.text("ANALYZE messages"))  # see enqueue
            return new

    # -- the dispatcher's two steps ----------------------------------------------------------

    def claim(
        self,
        worker: str,
        *,
        now: datetime,
        keys: Collection[str] | None = None,
        channels: Collection[str] | None = None,
        exclude: Collection[str] = (),
        outbox: str | None = None,
    ) -> QueuedMessage | None:
        """Take one approved message that may leave at ``now`` (state ``queued`` or
        ``temporary``, inside its window, over one of ``channels``, among ``keys``, not in
        ``exclude``, of the outbox folder ``outbox``) for
        ``worker``: it becomes ``sending`` and the claim is committed before this returns.
        None when there is nothing to take. No two claims ever return the same message."""
        t = schema.messages

        def oldest(state: str, chunk: Sequence[str] | None) -> tuple[Any, str] | None:
            # one query per state (``state = :s``), each walking the claim index
            # (state, queued_at, key) in order and stopping at the first that may leave:
            # ``state IN (...)`` made PostgreSQL sort every claimable row for every claim
            query = (
                sa.select(t.c.queued_at, t.c.key)
                .where(t.c.state == state, t.c.approved_at.is_not(None))
                .where(sa.or_(t.c.not_before.is_(None), t.c.not_before <= now))
                .where(sa.or_(t.c.not_after.is_(None), t.c.not_after >= now))
                .order_by(t.c.queued_at, t.c.key)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if channels is not None:
                query = query.where(t.c.channel.in_(sorted(channels)))
            if exclude:
                query = query.where(t.c.key.not_in(sorted(exclude)))
            if outbox is not None:
                query = query.where(t.c.outbox == outbox)
            if chunk is not None:
                query = query.where(t.c.key.in_(chunk))
            row = conn.execute(query).first()
            return None if row is None else (row[0], row[1])

        chunks: list[Sequence[str] | None] = [None] if keys is None else list(_chunks(sorted(keys)))
        when = self.store._clock()
        with self.store._write() as conn:
            key = None
            for chunk in chunks:
                found = [c for c in (oldest(s, chunk) for s in CLAIMABLE) if c is not None]
                if found:
                    key = min(found)[1]
                    break
            if key is None:
                return None
            done = conn.execute(
                sa.update(t)
                .where(t.c.key == key, t.c.state.in_(CLAIMABLE))
                .values(
                    state="sending",
                    worker=worker,
                    attempts=t.c.attempts + 1,
                    updated_at=when,
                )
            )
            if done.rowcount != 1:  # pragma: no cover - the lock makes this impossible
                return None
            conn.execute(
                sa.insert(schema.message_log).values(_log(key, "sending", when, worker, ""))
            )
            row = conn.execute(sa.select(t).where(t.c.key == key)).one()
            return _message(row)

    def record(
        self,
        message: QueuedMessage,
        worker: str,
        state: str,
        *,
        now: datetime,
        detail: str = "",
        transport_id: str = "",
        message_id: str = "",
    ) -> list[Event]:
        """Record the outcome of ``worker``'s send of ``message`` (``sent``, ``temporary``,
        ``failed`` or ``in_doubt``) and append the event it implies (`MessageSent` dated
        ``now``'s day, `DeliveryFailed`) in one transaction; returns those events.

        Only the worker that claimed the message records its outcome; a message settled by a
        person meanwhile is left as settled (`DataError`)."""
        if state not in ("sent", "temporary", "failed", "in_doubt"):
            raise ValueError(f"not an outcome: {state!r}")
        events: list[Event] = []
        day = now.date()
        if state == "sent":
            mid = message_id or message.message_id
            events.append(MessageSent(day, message.debtor_id, message.key, message.channel, mid))
        elif state == "failed":
            events.append(
                DeliveryFailed(day, message.debtor_id, message.key, message.channel, detail)
            )
        rows = [_row(e) for e in events]
        t = schema.messages

        def work(conn: Connection) -> list[Event]:
            when = self.store._clock()
            done = conn.execute(
                sa.update(t)
                .where(t.c.key == message.key, t.c.state == "sending", t.c.worker == worker)
                .values(
                    state=state,
                    worker=None,
                    detail=detail,
                    transport_id=transport_id,
                    updated_at=when,
                )
            )
            if done.rowcount != 1:
                raise DataError(
                    f"{message.key}: not being sent by {worker} (settled meanwhile?); "
                    f"the outcome {state!r} ({detail}) is not recorded",
                )
            conn.execute(
                sa.insert(schema.message_log).values(_log(message.key, state, when, worker, detail))
            )
            _insert_rows(conn, rows, {}, when, "dispatch")
            return events

        return self._retrying(work)

    def settle(
        self, key: str, *, sent: bool, evidence: str, now: datetime, by: str = ""
    ) -> Event | None:
        """Settle the message ``key`` whose send is in doubt (``sending`` or ``in_doubt``), on a
        person's word and ``evidence``: ``sent`` records it as sent with its `MessageSent`
        (returned); otherwise it goes back to ``temporary`` and the next dispatch sends it.
        Only a message in doubt can be settled, and only with evidence."""
        if not evidence.strip():
            raise DataError(f"{key}: say what shows the outcome (evidence), e.g. the receipt's id")
        t = schema.messages

        def work(conn: Connection) -> Event | None:
            when = self.store._clock()
            row = conn.execute(sa.select(t).where(t.c.key == key)).one_or_none()
            if row is None:
                raise DataError(f"{key}: not a queued message")
            if row.state not in ("sending", "in_doubt"):
                raise DataError(
                    f"{key}: not in doubt ({row.state} at {_when(row.updated_at)}): "
                    "nothing to settle",
                )
            state = "sent" if sent else "temporary"
            detail = f"settled by hand: {evidence.strip()}"
            conn.execute(
                sa.update(t)
                .where(t.c.key == key)
                .values(state=state, worker=None, detail=detail, updated_at=when)
            )
            what = f"settled {'sent' if sent else 'not sent'}"
            conn.execute(
                sa.insert(schema.message_log).values(
                    _log(key, "settled", when, by or None, f"{what}: {evidence.strip()}")
                )
            )
            if not sent:
                return None
            event = MessageSent(now.date(), row.debtor_id, key, row.channel, row.message_id)
            _insert_rows(conn, [_row(event)], {}, when, "settle")
            return event

        return self._retrying(work)

    # -- reading -----------------------------------------------------------------------------

    def get(self, key: str) -> QueuedMessage | None:
        """The message ``key`` (None: not queued)."""
        with self.store._read() as conn:
            rows = _select(conn, [key])
        return _message(rows[0]) if rows else None

    def messages(
        self,
        keys: Collection[str] | None = None,
        *,
        states: Collection[str] | None = None,
        outbox: str | None = None,
    ) -> list[QueuedMessage]:
        """The queued messages (of ``keys``, in ``states``, of the folder ``outbox``), oldest
        first."""
        t = schema.messages
        query = sa.select(t).order_by(t.c.queued_at, t.c.key)
        if outbox is not None:
            query = query.where(t.c.outbox == outbox)
        if states is not None:
            query = query.where(t.c.state.in_(sorted(states)))
        with self.store._read() as conn:
            if keys is None:
                return [_message(r) for r in conn.execute(query)]
            found = [
                _message(r)
                for chunk in _chunks(sorted(set(keys)))
                for r in conn.execute(query.where(t.c.key.in_(chunk)))
            ]
        return sorted(found, key=lambda m: (m.queued_at or _EPOCH, m.key))

    def in_doubt(self) -> list[QueuedMessage]:
        """The messages whose outcome nobody knows: a person must settle them."""
        return self.messages(states=("sending", "in_doubt"))

    def counts(self) -> dict[str, int]:
        """How many messages are in each state."""
        t = schema.messages
        with self.store._read() as conn:
            rows = conn.execute(sa.select(t.c.state, sa.func.count()).group_by(t.c.state))
            return {state: int(n) for state, n in rows}

    def log(self, key: str | None = None) -> list[LogEntry]:
        """The log of ``key`` (of every message when None), in order."""
        t = schema.message_log
        query = sa.select(t.c.key, t.c.what, t.c.at, t.c.worker, t.c.detail).order_by(t.c.id)
        if key is not None:
            query = query.where(t.c.key == key)
        with self.store._read() as conn:
            return [LogEntry(*row) for row in conn.execute(query)]

    def verify(self) -> list[str]:
        """Check that the outbox and the history agree; returns the problems (none: they do).

        Every ``sent`` message has exactly one `MessageSent` event for its key, every other
        message none written by the dispatcher; every message's last log line is its state."""
        problems: list[str] = []
        t, e, log = schema.messages, schema.events, schema.message_log
        with self.store._read() as conn:
            sent_events: dict[str, int] = {}
            query = (
                sa.select(e.c.key, sa.func.count())
                .where(e.c.type == "MessageSent", e.c.source.in_(("dispatch", "settle")))
                .group_by(e.c.key)
            )
            for key, n in conn.execute(query):
                sent_events[key] = int(n)
            last_id = (
                sa.select(log.c.key, sa.func.max(log.c.id).label("last"))
                .where(log.c.what.in_(schema.MESSAGE_STATES))
                .group_by(log.c.key)
                .subquery()
            )
            last = dict(
                conn.execute(
                    sa.select(log.c.key, log.c.what).join(last_id, log.c.id == last_id.c.last)
                ).all()
            )
            settled = set(
                conn.execute(
                    sa.select(log.c.key).where(log.c.what == "settled").distinct()
                ).scalars()
            )
            for key, state in conn.execute(sa.select(t.c.key, t.c.state)):
                n = sent_events.pop(key, 0)
                if state == "sent" and n != 1:
                    problems.append(f"{key}: sent, with {n} MessageSent event(s) instead of 1")
                if state != "sent" and n:
                    problems.append(f"{key}: {state}, yet {n} MessageSent event(s)")
                logged = last.get(key)
                # a settlement logs "settled" and changes the state
                if logged is not None and logged != state and key not in settled:
                    problems.append(f"{key}: state {state}, its log ends with {logged}")
            for key, n in sent_events.items():
                problems.append(f"{key}: {n} MessageSent event(s) for a message never queued")
        return problems


def outbox_messages(
    outbox: str | os.PathLike[str], journal: Journal | None = None
) -> list[QueuedMessage]:
    """The messages of the outbox folder ``outbox`` (written by ``dunning run --outbox``) as
    the queue keeps them: each entry of its ``outbox.json`` that a channel sends (not a call or
    an agency hand-over), with the bytes of its file. A message the file ``journal`` of an
    earlier release already tried keeps the state the journal gives it (``sent``, ``failed``,
    ``in_doubt`` for one whose send began and never ended), so switching to the store never
    sends anything twice."""
    folder = Path(outbox)
    name = str(folder.resolve())
    found: list[QueuedMessage] = []
    for entry in _index(folder):
        key, channel, file = entry["key"], entry["channel"], entry.get("file")
        if channel in ("phone", "agency") or not file:
            continue
        path = folder / Path(file).name  # never outside the outbox
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise DataError(
                f"{key}: its file {path.name} is missing from the outbox", source=str(folder)
            ) from None
        message = QueuedMessage(
            key,
            str(entry.get("debtor_id", "")),
            channel,
            content,
            file=path.name,
            recipient=recipient_of(entry),
            message_id=_message_id(channel, content),
            not_before=_aware(entry.get("not_before")),
            not_after=_aware(entry.get("not_after")),
            outbox=name,
        )
        last = journal.last(key) if journal is not None else None
        if last is not None:
            state = "in_doubt" if last.state == "sending" else last.state
            detail = f"from the send journal: {last.state} at {last.at} {last.detail}".strip()
            message = attrs.evolve(message, state=state, detail=detail)
        found.append(message)
    return found


def _message_id(channel: str, content: bytes) -> str:
    if channel not in ("email", "pec"):
        return ""
    headers = BytesHeaderParser(policy=email_policy.compat32).parsebytes(content)
    return str(headers.get("Message-ID") or "").strip()[:400]


def _aware(text: Any) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise DataError(f"{text!r} carries no time zone", field="not_before/not_after")
    return moment


def _select(conn: Connection, keys: list[str]) -> list[Any]:
    t = schema.messages
    return [
        r for chunk in _chunks(keys) for r in conn.execute(sa.select(t).where(t.c.key.in_(chunk)))
    ]


def _log(key: str, what: str, at: datetime, worker: str | None, detail: str) -> dict[str, Any]:
    return {"key": key, "what": what, "at": at, "worker": worker, "detail": detail}


def _outcome(message: QueuedMessage, result: Result, detail: str = "") -> Outcome:
    return Outcome(
        message.key, message.debtor_id, message.channel, result, detail, message.message_id
    )


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "?"


def _status(message: QueuedMessage, now: datetime, channels: Collection[str]) -> Outcome:
    """What a message that was not claimed is waiting for."""
    state = message.state
    if state == "sent":
        return _outcome(message, "already_sent", f"sent at {_when(message.updated_at)}")
    if state == "failed":
        return _outcome(message, "already_failed", message.detail)
    if state in ("sending", "in_doubt"):
        return _outcome(
            message,
            "in_doubt",
            f"a send began at {_when(message.updated_at)} and its outcome is unknown: "
            "not sent again",
        )
    if message.approved_at is None:
        return _outcome(message, "not_approved", "not approved: dunning approve OUTBOX KEY")
    if message.channel not in channels:
        text = f'no {message.channel} channel configured: add [channels] {message.channel} = "..."'
        return _outcome(message, "no_channel", text)
    if message.not_before is not None and now < message.not_before:
        return _outcome(
            message, "waiting", f"waits for its window: not before {message.not_before}"
        )
    if message.not_after is not None and now > message.not_after:
        return _outcome(
            message,
            "waiting",
            f"its window closed at {message.not_after}: the next run plans it again",
        )
    return _outcome(message, "temporary", message.detail or "not sent yet")


def dispatch(
    queue: MessageQueue,
    channels: Mapping[str, Channel],
    *,
    now: datetime,
    keys: Collection[str] | None = None,
    outbox: str | None = None,
    worker: str | None = None,
    limit: int | None = None,
) -> list[Outcome]:
    """Send the approved messages of ``queue`` (those of ``keys``, of the outbox folder
    ``outbox``, when given) over ``channels`` at ``now`` (aware), each claimed, sent and
    recorded (`MessageQueue.claim`, `record`); returns what happened to each message sent and,
    with ``keys`` or ``outbox``, where the others stand.

    Several dispatchers may run at once on one store: each message is claimed by one. A message
    is tried at most once per call (a temporary failure waits for the next call)."""
    if now.tzinfo is None:
        raise ValueError("dispatch: now must carry a time zone")
    me = worker or worker_name()
    outcomes: list[Outcome] = []
    done: set[str] = set()
    later: set[str] = set()  # refused for now: tried again by the next call, not this one
    wanted = None if keys is None else set(keys)
    while limit is None or len(done) < limit:
        if wanted is not None and not wanted - done:
            break
        claimable = None if wanted is None else wanted - done
        message = queue.claim(
            me, now=now, keys=claimable, channels=set(channels), exclude=later, outbox=outbox
        )
        if message is None:
            break
        done.add(message.key)
        outcome = _send_one(queue, channels[message.channel], message, me, now)
        if outcome.result == "temporary":
            later.add(message.key)
        outcomes.append(outcome)
    if keys is not None or outbox is not None:
        rest = [m for m in queue.messages(keys, outbox=outbox) if m.key not in done]
        outcomes += [_status(m, now, channels) for m in rest]
    return outcomes


def _send_one(
    queue: MessageQueue, channel: Channel, message: QueuedMessage, worker: str, now: datetime
) -> Outcome:
    try:
        outgoing = message_for(
            message.key,
            message.channel,
            message.content,
            name=message.file,
            recipient=message.recipient,
        )
    except (ValueError, DataError) as exc:
        return _record(queue, message, worker, now, "failed", f"not a message: {exc}")
    try:
        sent = channel.send(outgoing)
    except InDoubt as exc:
        return _record(queue, message, worker, now, "in_doubt", str(exc))
    except TemporaryFailure as exc:
        return _record(queue, message, worker, now, "temporary", str(exc))
    except (PermanentFailure, ChannelError) as exc:
        return _record(queue, message, worker, now, "failed", str(exc))
    detail = sent.detail or "accepted"
    outcome = _record(
        queue, message, worker, now, "sent", detail, sent.transport_id, outgoing.message_id
    )
    return attrs.evolve(outcome, message_id=outgoing.message_id)


def _record(
    queue: MessageQueue,
    message: QueuedMessage,
    worker: str,
    now: datetime,
    state: Result,
    detail: str,
    transport_id: str = "",
    message_id: str = "",
) -> Outcome:
    """Record an outcome; when the store fails meanwhile, say which message is left in doubt."""
    try:
        queue.record(
            message,
            worker,
            state,
            now=now,
            detail=detail,
            transport_id=transport_id,
            message_id=message_id,
        )
    except StoreError as error:
        raise StoreError(
            f"{message.key}: {state} ({detail}), but the outcome could not be recorded: "
            f"{error}. The message stays in doubt (never sent again by itself): once the "
            "store is back, settle it with `dunning settle` on evidence"
        ) from error
    return _outcome(message, state, detail)
