"""The transactional outbox (`dunning.store.MessageQueue`, `dispatch`) on SQLite and on a real
PostgreSQL: messages persisted before they are sent, claimed by one dispatcher, the outcome and
its event written in one transaction, a crash left in doubt, two dispatchers never sending one
message twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from dunning import BlockSet, DeliveryFailed, MessageSent
from dunning.channels import InDoubt, PermanentFailure, TemporaryFailure
from dunning.errors import DataError
from dunning.store import EventStore, MessageQueue, QueuedMessage, dispatch
from dunning.testing import MemoryChannel

#: Each test runs on SQLite and PostgreSQL already (the `url` fixture): CI's second pass skips it.
BOTH_BACKENDS = True

NOW = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)


def eml(n: int, text: str = "Gentile cliente") -> bytes:
    return (
        f"From: Tipografia <crediti@tipografia.example>\r\nTo: conti{n}@cliente.example\r\n"
        f"Message-ID: <m{n}@tipografia.example>\r\nSubject: Sollecito {n}\r\n\r\n{text}\r\n"
    ).encode()


def message(n: int, **changes: object) -> QueuedMessage:
    base = QueuedMessage(
        f"D{n}|EUR|sollecito_1|email|2026-07-15",
        f"D{n}",
        "email",
        eml(n),
        file=f"m{n}.eml",
        message_id=f"<m{n}@tipografia.example>",
        outbox="/out",
    )
    return base if not changes else QueuedMessage(**{**_fields(base), **changes})  # type: ignore[arg-type]


def _fields(m: QueuedMessage) -> dict[str, object]:
    import attrs

    return attrs.asdict(m, recurse=False)


@pytest.fixture
def queue(url: str) -> Iterator[MessageQueue]:
    with EventStore.open(url) as store:
        yield MessageQueue(store)


def test_enqueue_is_idempotent_and_writes_its_events_in_the_same_transaction(
    queue: MessageQueue,
) -> None:

    planned = [BlockSet(date(2026, 7, 15), "D1", "the run's events")]
    assert queue.enqueue([message(1), message(2)], events=planned) == [
        message(1).key,
        message(2).key,
    ]
    assert queue.enqueue([message(1), message(2)]) == []
    assert queue.counts() == {"queued": 2}
    assert queue.store.events() == planned
    # one transaction: a bad message leaves neither the messages nor the events behind
    bad = [message(3), message(3)]
    with pytest.raises(DataError, match="twice in one batch"):
        queue.enqueue(bad, events=planned)
    assert queue.counts() == {"queued": 2}
    assert len(queue.store.events()) == 1


def test_new_content_replaces_a_message_only_before_approval(queue: MessageQueue) -> None:
    queue.enqueue([message(1)])
    queue.enqueue([message(1, content=eml(1, "corretto"))])
    assert queue.get(message(1).key).content == eml(1, "corretto")  # type: ignore[union-attr]
    assert [e.what for e in queue.log(message(1).key)] == ["queued", "edited"]
    queue.approve([message(1).key], at=NOW)
    with pytest.raises(DataError, match="never replaced once approved"):
        queue.enqueue([message(1, content=eml(1, "di nuovo"))])
    with pytest.raises(DataError, match="not a queued message: nope"):
        queue.approve(["nope"], at=NOW)


def test_only_approved_messages_in_their_window_leave(queue: MessageQueue) -> None:
    sms = message(
        2,
        channel="sms",
        key="D2|sms",
        content=b'{"to": "+393331234567", "text": "Promemoria", "key": "D2|sms"}',
        not_before=NOW + timedelta(hours=1),
        not_after=NOW + timedelta(hours=8),
    )
    queue.enqueue([message(1), sms, message(3)])
    queue.approve([message(1).key, "D2|sms"], at=NOW)
    channel = MemoryChannel()
    outcomes = dispatch(queue, {"email": channel, "sms": channel}, now=NOW, outbox="/out")
    results = {o.key: o.result for o in outcomes}
    assert results == {message(1).key: "sent", "D2|sms": "waiting", message(3).key: "not_approved"}
    assert [m.key for m in channel.sent] == [message(1).key]
    later = dispatch(queue, {"email": channel, "sms": channel}, now=NOW + timedelta(hours=2))
    assert [o.key for o in later] == ["D2|sms"]


def test_outcomes_and_their_events(queue: MessageQueue) -> None:
    messages = [message(n) for n in range(4)]
    queue.enqueue(messages)
    queue.approve([m.key for m in messages], at=NOW)
    channel = MemoryChannel()
    channel.fail(messages[1].key, TemporaryFailure)
    channel.fail(messages[2].key, PermanentFailure)
    channel.fail(messages[3].key, InDoubt)
    results = {o.key: o.result for o in dispatch(queue, {"email": channel}, now=NOW)}
    assert list(results.values()) == ["sent", "temporary", "failed", "in_doubt"]
    events = queue.store.events()
    assert [(type(e), e.key) for e in events] == [  # type: ignore[attr-defined]
        (MessageSent, messages[0].key),
        (DeliveryFailed, messages[2].key),
    ]
    assert events[0].message_id == "<m0@tipografia.example>"  # type: ignore[attr-defined]
    # the next dispatch tries the temporary failure again, nothing else
    again = dispatch(queue, {"email": channel}, now=NOW, outbox="/out")
    assert {o.key: o.result for o in again} == {
        messages[0].key: "already_sent",
        messages[1].key: "sent",
        messages[2].key: "already_failed",
        messages[3].key: "in_doubt",
    }
    assert Counter(m.key for m in channel.sent) == {messages[0].key: 1, messages[1].key: 1}
    assert queue.verify() == []
    assert queue.store.verify() == []
    assert [m.key for m in queue.in_doubt()] == [messages[3].key]


def test_a_crash_between_claim_and_outcome_is_in_doubt_until_settled(queue: MessageQueue) -> None:
    queue.enqueue([message(1), message(2)])
    queue.approve([message(1).key, message(2).key], at=NOW)
    for m in (message(1), message(2)):
        assert queue.claim("dead:1", now=NOW, keys=[m.key]) is not None  # and then kill -9
    channel = MemoryChannel()
    outcomes = dispatch(queue, {"email": channel}, now=NOW, outbox="/out")
    assert {o.result for o in outcomes} == {"in_doubt"}
    assert channel.sent == []
    # a dead worker cannot record an outcome once settled; settling needs evidence
    with pytest.raises(DataError, match="evidence"):
        queue.settle(message(1).key, sent=True, evidence=" ", now=NOW)
    event = queue.settle(message(1).key, sent=True, evidence="postfix log 4F2A1", now=NOW)
    assert isinstance(event, MessageSent)
    assert queue.settle(message(2).key, sent=False, evidence="not in the log", now=NOW) is None
    with pytest.raises(DataError, match=r"not in doubt \(sent at"):
        queue.settle(message(1).key, sent=False, evidence="x", now=NOW)
    with pytest.raises(DataError, match="not being sent by dead:1"):
        queue.record(message(1), "dead:1", "sent", now=NOW)
    outcomes = dispatch(queue, {"email": channel}, now=NOW, outbox="/out")
    assert {o.key: o.result for o in outcomes} == {
        message(1).key: "already_sent",
        message(2).key: "sent",
    }
    assert [m.key for m in channel.sent] == [message(2).key]
    assert [e.what for e in queue.log(message(1).key)] == [
        "queued",
        "approved",
        "sending",
        "settled",
    ]
    assert queue.verify() == []
    sent = [e for e in queue.store.events() if isinstance(e, MessageSent)]
    assert sorted(e.key for e in sent) == sorted([message(1).key, message(2).key])


def test_two_dispatchers_at_once_never_send_a_message_twice(url: str) -> None:
    """Four dispatchers, each with its own connections, race over 120 messages."""
    with EventStore.open(url) as store:
        queue = MessageQueue(store)
        messages = [message(n) for n in range(120)]
        queue.enqueue(messages)
        queue.approve([m.key for m in messages], at=NOW)
    channel = MemoryChannel()  # shared: it counts every delivery
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with EventStore.open(url) as own:
                dispatch(MessageQueue(own), {"email": channel}, now=NOW, worker=f"w{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    delivered = Counter(m.key for m in channel.sent)
    assert set(delivered.values()) == {1}
    assert len(delivered) == 120
    assert channel.duplicates == []
    with EventStore.open(url) as store:
        queue = MessageQueue(store)
        assert queue.counts() == {"sent": 120}
        assert queue.verify() == []
        assert store.verify() == []
        workers = {e.worker for e in queue.log() if e.what == "sent"}
    assert len(workers) >= 1


def test_the_log_and_verify_catch_rows_edited_behind_the_queues_back(
    queue: MessageQueue, url: str
) -> None:
    queue.enqueue([message(1)])
    queue.approve([message(1).key], at=NOW)
    dispatch(queue, {"email": MemoryChannel()}, now=NOW)
    assert queue.verify() == []
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE messages SET state = 'queued'"))
    finally:
        engine.dispose()
    problems = queue.verify()
    assert any("queued, yet 1 MessageSent" in p for p in problems)
    assert any("its log ends with sent" in p for p in problems)


def test_a_queued_message_never_shows_its_content_in_a_repr() -> None:
    assert "Gentile" not in repr(message(1))
    assert "bytes>" in repr(message(1))
