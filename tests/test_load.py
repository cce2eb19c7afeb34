"""Load, CI-sized: 1,000 messages through the transactional outbox by two dispatcher processes
at once, to a real SMTP server on loopback (aiosmtpd). Every message arrives exactly once.

No timing is asserted; ``benchmarks/load.py`` measures (see ``docs/load.md``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("aiosmtpd")

from aiosmtpd.controller import Controller

from dunning.store import EventStore, MessageQueue, QueuedMessage

N = 1000
DISPATCHERS = 2
NOW = datetime(2026, 8, 25, 9, 0, tzinfo=UTC)
HOST = "127.0.0.1"
_MID = re.compile(rb"(?im)^message-id:[ \t]*(<[^>\r\n]*>)")

# One dispatcher: opens the store and the channel, says it is ready, waits for "go" on its
# standard input (so that the dispatchers start together), dispatches, prints what it sent.
DISPATCHER = """
import json, sys
from datetime import datetime
from dunning.channels import open_channel
from dunning.store import EventStore, MessageQueue, dispatch

url, port, worker, now = sys.argv[1:5]
store = EventStore.open(url, migrate=False)
channel = open_channel(f"smtp://127.0.0.1:{port}")
print("ready", flush=True)
sys.stdin.readline()
outcomes = dispatch(
    MessageQueue(store), {"email": channel}, now=datetime.fromisoformat(now), worker=worker
)
channel.close()
store.close()
print(json.dumps([[o.key, o.result, o.message_id] for o in outcomes]), flush=True)
"""


class Sink:
    """An aiosmtpd handler that keeps the Message-ID of every message it accepts."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        found = _MID.search(head)
        with self.lock:
            self.ids.append(found.group(1).decode() if found else "<none>")
            return f"250 2.0.0 Ok: queued as Q{len(self.ids)}"


class Loopback(Controller):
    """An aiosmtpd controller on a free port of 127.0.0.1."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def sink() -> Iterator[tuple[int, Sink]]:
    handler = Sink()
    controller = Loopback(handler, hostname=HOST, port=0)
    controller.start()
    try:
        yield controller.port, handler
    finally:
        controller.stop()


def reminder(i: int) -> QueuedMessage:
    """A reminder of about 3 KB, its own Message-ID; four messages per debtor."""
    debtor = f"D{i // 4:04d}"
    mid = f"<load-{i:05d}@tipografia.example>"
    body = "".join(
        f"Fattura 2026/{i:05d}-{line:02d} del 01/03/2026, scaduta il 31/03/2026: EUR 120,00\r\n"
        for line in range(36)
    )
    eml = (
        "From: Tipografia Emiliana <crediti@tipografia.example>\r\n"
        f"To: Cliente {debtor} <conti-{debtor.lower()}@debtor.example>\r\n"
        f"Subject: Sollecito di pagamento {i}\r\n"
        f"Message-ID: {mid}\r\n"
        "Date: Tue, 25 Aug 2026 09:00:00 +0200\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Language: it\r\n\r\n"
        f"Gentile cliente,\r\n\r\nrisultano ancora da pagare:\r\n{body}\r\nCordiali saluti\r\n"
    ).encode()
    return QueuedMessage(
        key=f"{debtor}|EUR|sollecito_{i % 4 + 1}|email|2026-08-25",
        debtor_id=debtor,
        channel="email",
        content=eml,
        file=f"{i:05d}.eml",
        recipient=f"conti-{debtor.lower()}@debtor.example",
        message_id=mid,
        outbox="outbox/2026-08-25",
    )


def test_two_dispatchers_send_every_message_exactly_once(
    tmp_path: Path, sink: tuple[int, Sink]
) -> None:
    port, received = sink
    url = f"sqlite:///{tmp_path / 'store' / 'dunning.sqlite'}"
    messages = [reminder(i) for i in range(N)]
    assert 2500 < len(messages[0].content) < 4000
    with EventStore.open(url) as store:
        queue = MessageQueue(store)
        for start in range(0, N, 250):
            batch = messages[start : start + 250]
            assert queue.enqueue(batch) == [m.key for m in batch]
            assert queue.approve([m.key for m in batch], at=NOW) == [m.key for m in batch]
        assert queue.counts() == {"queued": N}

    workers = [f"load-{n}" for n in range(1, DISPATCHERS + 1)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", DISPATCHER, url, str(port), worker, NOW.isoformat()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for worker in workers
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=120)[0] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    assert [p.returncode for p in processes] == [0] * DISPATCHERS
    outcomes = [json.loads(out.strip().splitlines()[-1]) for out in outputs]

    # each message sent by one dispatcher, once
    sent_by = Counter(key for mine in outcomes for key, result, _ in mine if result == "sent")
    assert {result for mine in outcomes for _, result, _ in mine} == {"sent"}
    assert sent_by == Counter({m.key: 1 for m in messages})
    # the server got every message exactly once, nothing else
    assert sorted(received.ids) == sorted(m.message_id for m in messages)
    assert len(set(received.ids)) == N

    with EventStore.open(url) as store:
        queue = MessageQueue(store)
        assert queue.counts() == {"sent": N}
        assert queue.verify() == []
        assert store.verify() == []
        sent_events = [e for e in store.events() if type(e).__name__ == "MessageSent"]
        assert Counter(e.key for e in sent_events) == Counter({m.key: 1 for m in messages})
        # who sent what, as the log says, agrees with what the dispatchers said
        log = [entry for entry in queue.log() if entry.what == "sent"]
        assert {(e.key, e.worker) for e in log} == {
            (key, worker)
            for worker, mine in zip(workers, outcomes, strict=True)
            for key, _, _ in mine
        }
