"""Fault injection: the transactional outbox (`dunning.store.dispatch`) killed at every step of
the send path, and under a full disk, a read-only store, a database that goes away and an SMTP
server that hangs. Nothing may be sent twice and nothing may be lost without being reported in
doubt. See docs/reliability.md.

The dispatcher runs in child processes (tests/fault_child.py, forked from a server that has
already imported the library) against an aiosmtpd server on loopback, which counts what it
receives by Message-ID: the server's log is the truth the queue is checked against. The
figures of the run are printed at its end (``pytest_terminal_summary`` in conftest.py).

``FAULT_KILLS=1000`` runs more kills on SQLite (the default is 200; PostgreSQL runs a sixth);
``FAULT_SEED=N`` replays the choices of a run (the random-time kills still vary).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from dunning.store import EventStore, MessageQueue, QueuedMessage
from dunning.store.dispatcher import CLAIMABLE

HOST = "127.0.0.1"
CHILD = Path(__file__).with_name("fault_child.py")
CHILD_POINTS = ("claim-commit", "claimed", "before-send", "after-send", "record-commit", "recorded")
SERVER_POINTS = ("mail", "rcpt", "data", "data-replied")
POINTS = (*CHILD_POINTS, *SERVER_POINTS, "random")
IN_DOUBT = ("sending", "in_doubt")
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


# -- the SMTP server: counts what it receives, kills the dispatcher when told ---------------------


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives, by Message-ID, and kills the
    child that talks to it (its EHLO name is ``child-PID``) at the planned point."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.plan: tuple[str, int] | None = None
        self.hits = 0
        self.reply_pad = ""
        self.hang: str | None = None  # "rcpt" or "data": the next such command never answers
        self.on_data: Callable[[int], None] | None = None

    def start_run(self, plan: tuple[str, int] | None) -> None:
        with self.lock:
            self.plan, self.hits = plan, 0

    def _kill(self, session: Any, where: str) -> bool:
        with self.lock:
            if self.plan is None or self.plan[0] != where:
                return False
            self.hits += 1
            if self.hits != self.plan[1]:
                return False
        _kill_pid(_pid(session))
        return True

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self._kill(session, "mail")
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self._kill(session, "rcpt")
        if self.hang == "rcpt":
            self.hang = None
            await asyncio.sleep(3)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = MESSAGE_ID.search(envelope.content)
        mid = found.group(1).decode() if found else "?"
        with self.lock:
            self.received[mid] += 1
            n = sum(self.received.values())
        if self.on_data is not None:
            self.on_data(n)
        self._kill(session, "data")  # the server has the message; the client never hears 250
        if self._planned(session, "data-replied"):
            # kill just after the 250 went out (it is written before the loop runs again)
            asyncio.get_running_loop().call_later(0.001, _kill_pid, _pid(session))
        if self.hang == "data":
            self.hang = None
            await asyncio.sleep(3)
        return f"250 2.0.0 Ok: queued as Q{n:05d}{self.reply_pad}"

    def _planned(self, session: Any, where: str) -> bool:
        with self.lock:
            if self.plan is None or self.plan[0] != where:
                return False
            self.hits += 1
            return self.hits == self.plan[1]


def _pid(session: Any) -> int | None:
    name = str(session.host_name or "")
    return int(name[6:]) if name.startswith("child-") else None


def _kill_pid(pid: int | None) -> None:
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Loopback(Controller):
    """An aiosmtpd controller on a free port of 127.0.0.1."""

    def __init__(self, handler: Mailbox) -> None:
        super().__init__(handler, hostname=HOST, port=0)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, str]]:
    """A fresh SMTP server on loopback and the channel URL the children use."""
    handler = Mailbox()
    controller = Loopback(handler)
    controller.start()
    try:
        yield handler, f"smtp://{HOST}:{controller.port}?timeout=5&retries=0&backoff=0"
    finally:
        controller.stop()


# -- the children: forked from a server that has imported the library ----------------------------


class Run:
    def __init__(self, pid: int, rc: int, log: str, seconds: float) -> None:
        self.pid, self.rc, self.log, self.seconds = pid, rc, log, seconds

    @property
    def killed(self) -> bool:
        return self.rc == -signal.SIGKILL

    @property
    def error(self) -> str:
        """The last line of the child's standard error (its error, when it raised)."""
        lines = self.log.strip().splitlines()
        return lines[-1] if lines else ""


class Children:
    """The fork server of tests/fault_child.py: `run` one job in a new child."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._buffer = b""
        self._count = 0
        self.runs: list[Run] = []
        self.startup = 0.0
        self.run({"url": "sqlite://", "smtp": "smtp://127.0.0.1:1", "outbox": "none"})
        self.startup = time.perf_counter() - started  # interpreter, imports, one child

    def _line(self, deadline: float) -> str:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("the fork server of fault_child.py exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def run(self, job: dict[str, Any], *, kill_after: float | None = None, timeout: float = 60):
        assert self.proc.stdin is not None
        self._count += 1
        log = self.folder / f"child-{self._count}.log"
        job = {**job, "log": str(log), "cwd": str(self.folder)}
        started = time.perf_counter()
        self.proc.stdin.write(json.dumps(job).encode() + b"\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        pid = int(self._line(deadline).split()[1])
        timer = None
        if kill_after is not None:
            timer = threading.Timer(kill_after, _kill_pid, (pid,))
            timer.start()
        try:
            end = self._line(deadline)
        except TimeoutError:
            _kill_pid(pid)
            self._line(time.monotonic() + 10)
            raise AssertionError(
                f"the dispatcher hung for {timeout} s:\n{log.read_text(errors='replace')}"
            ) from None
        finally:
            if timer is not None:
                timer.cancel()
        seconds = time.perf_counter() - started
        rc = int(end.split()[2])
        run = Run(pid, rc, log.read_text(errors="replace") if log.exists() else "", seconds)
        self.runs.append(run)
        return run

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()


@pytest.fixture
def children(tmp_path: Path) -> Iterator[Children]:
    folder = tmp_path / "children"
    folder.mkdir()
    server = Children(folder)
    try:
        yield server
    finally:
        server.close()


# -- the queue ----------------------------------------------------------------------------------


def eml(mid: str, n: int) -> bytes:
    return (
        f"From: Crediti <crediti@tipografia.example>\r\n"
        f"To: Debitore {n} <conti{n}@cliente.example>\r\n"
        f"Message-ID: {mid}\r\n"
        f"Subject: Sollecito di pagamento {n}\r\n"
        "\r\n"
        f"Gentile cliente, la fattura {n} risulta ancora da saldare.\r\n"
    ).encode()


def enqueue(queue: MessageQueue, outbox: str, count: int) -> dict[str, str]:
    """Queue and approve ``count`` e-mails in the folder ``outbox``; their keys by Message-ID."""
    messages = []
    for n in range(count):
        mid = f"<{outbox}.{n}@tipografia.example>"
        messages.append(
            QueuedMessage(
                key=f"{outbox}/D{n:03d}/reminder-1/email",
                debtor_id=f"D{n:03d}",
                channel="email",
                content=eml(mid, n),
                file=f"D{n:03d}.eml",
                recipient=f"conti{n}@cliente.example",
                message_id=mid,
                outbox=outbox,
            )
        )
    keys = queue.enqueue(messages)
    queue.approve(keys, at=datetime.now(UTC) - timedelta(hours=1))
    return {m.message_id: m.key for m in messages}


def check_store(store: EventStore, queue: MessageQueue) -> None:
    assert store.verify() == []
    assert queue.verify() == []


def settle_from_server_log(
    queue: MessageQueue, mailbox: Mailbox, outbox: str | None = None
) -> tuple[int, int]:
    """Settle each message in doubt on the server's log; returns (settled sent, not sent)."""
    sent = not_sent = 0
    for message in queue.in_doubt():
        if outbox is not None and message.outbox != outbox:
            continue
        seen = mailbox.received[message.message_id]
        assert seen <= 1, f"{message.key}: received {seen} times"
        if seen:
            evidence = f"the SMTP server's log: Message-ID {message.message_id} received"
            sent += 1
        else:
            evidence = f"the SMTP server's log has no Message-ID {message.message_id}"
            not_sent += 1
        queue.settle(message.key, sent=bool(seen), evidence=evidence, now=datetime.now(UTC))
    return sent, not_sent


def final_check(queue: MessageQueue, mailbox: Mailbox, mids: dict[str, str]) -> tuple[int, int]:
    """Every message sent and received exactly once: returns (duplicates, losses)."""
    states = {m.key: m.state for m in queue.messages(list(mids.values()))}
    duplicates = sum(1 for mid in mids if mailbox.received[mid] > 1)
    losses = sum(
        1 for mid, key in mids.items() if mailbox.received[mid] == 0 or states[key] != "sent"
    )
    return duplicates, losses


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


# -- kill at every step ---------------------------------------------------------------------------


def test_kill_at_every_step(
    url: str, mailbox: tuple[Mailbox, str], children: Children, fault_figures: dict[str, Any]
) -> None:
    """SIGKILL the dispatcher at each step of the send path (in the child, in the server, at a
    random time), many times; restart it until nothing is claimable; then every message is
    sent and received once, or in doubt and received at most once; settled from the server's
    log and dispatched again, every message is received exactly once."""
    server, smtp = mailbox
    backend = _backend(url)
    target = int(os.environ.get("FAULT_KILLS", "200"))
    if backend == "postgresql":
        target = max(30, target // 6)
    seed = int(os.environ.get("FAULT_SEED", str(random.SystemRandom().randrange(2**32))))
    rng = random.Random(seed)
    per_round = 24
    figures = fault_figures.setdefault("kill", {})[backend] = {
        "seed": seed,
        "kills": Counter(dict.fromkeys(POINTS, 0)),
        "runs": 0,
        "messages": 0,
        "sent": 0,
        "in_doubt": 0,
        "settled_sent": 0,
        "settled_not_sent": 0,
        "duplicates": 0,
        "losses": 0,
        "startup": children.startup,
        "child": 0.0,
        "seconds": 0.0,
    }
    kills: Counter[str] = figures["kills"]
    started = time.perf_counter()
    clean: list[float] = []
    where = f"(FAULT_SEED={seed})"
    store = EventStore.open(url)
    queue = MessageQueue(store)
    try:
        for round_no in range(200):
            if sum(kills.values()) >= target:
                break
            outbox = f"round-{round_no:03d}"
            mids = enqueue(queue, outbox, per_round)
            figures["messages"] += per_round
            for _ in range(20 * per_round):
                left = [m for m in queue.messages(outbox=outbox) if m.state in CLAIMABLE]
                if not left:
                    break
                low = min(kills.values())
                point = rng.choice([p for p in POINTS if kills[p] == low])
                nth = rng.choice((1, 1, 2, 3))
                job: dict[str, Any] = {"url": url, "smtp": smtp, "outbox": outbox}
                delay = None
                if point in CHILD_POINTS:
                    job.update(point=point, nth=nth)
                    server.start_run(None)
                elif point in SERVER_POINTS:
                    server.start_run((point, nth))
                else:
                    server.start_run(None)
                    delay = rng.uniform(0.0, (sum(clean) / len(clean)) if clean else 0.05)
                run = children.run(job, kill_after=delay)
                figures["runs"] += 1
                figures["child"] += run.seconds
                if run.killed:
                    kills[point] += 1
                else:
                    assert run.rc == 0, f"{point}: the dispatcher failed {where}:\n{run.log}"
                    clean.append(run.seconds)
                doubled = [mid for mid, n in server.received.items() if n > 1]
                figures["duplicates"] = len(doubled)
                assert not doubled, f"sent twice after a kill at {point} {where}: {doubled}"
                if run.killed:
                    check_store(store, queue)  # the store is consistent after every kill
            else:
                raise AssertionError(f"{outbox}: still claimable after {20 * per_round} runs")
            # nothing claimable: each message is sent (received once) or in doubt (at most once)
            reported = {m.key for m in queue.in_doubt()}
            for message in queue.messages(outbox=outbox):
                seen = server.received[message.message_id]
                if message.state == "sent":
                    figures["sent"] += 1
                    if seen != 1:
                        figures["losses" if seen == 0 else "duplicates"] += 1
                    assert seen == 1, f"{message.key}: sent, received {seen} times {where}"
                elif message.state in IN_DOUBT:
                    figures["in_doubt"] += 1
                    assert message.key in reported
                    assert seen <= 1, f"{message.key}: in doubt, received {seen} times {where}"
                else:
                    figures["losses"] += 1
                    raise AssertionError(f"{message.key}: {message.state} {where}")
            check_store(store, queue)
            settled = settle_from_server_log(queue, server, outbox)
            figures["settled_sent"] += settled[0]
            figures["settled_not_sent"] += settled[1]
            server.start_run(None)
            run = children.run({"url": url, "smtp": smtp, "outbox": outbox})
            assert run.rc == 0, run.log
            duplicates, losses = final_check(queue, server, mids)
            figures["duplicates"] += duplicates
            figures["losses"] += losses
            assert (duplicates, losses) == (0, 0), f"{outbox} {where}"
            check_store(store, queue)
        total = sum(kills.values())
        assert total >= target, f"only {total} kills"
        assert min(kills.values()) >= 2, kills
    finally:
        store.close()
        figures["seconds"] = time.perf_counter() - started
