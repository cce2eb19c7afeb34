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
import socket
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
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from dunning.store import EventStore, MessageQueue, QueuedMessage
from dunning.store.dispatcher import CLAIMABLE

#: Each test runs on SQLite and PostgreSQL already (the `url` fixture): CI's second pass skips it.
BOTH_BACKENDS = True


HOST = "127.0.0.1"
CHILD = Path(__file__).with_name("fault_child.py")
CHILD_POINTS = ("claim-commit", "claimed", "before-send", "after-send", "record-commit", "recorded")
SERVER_POINTS = ("mail", "rcpt", "data", "data-replied")
POINTS = (*CHILD_POINTS, *SERVER_POINTS, "random")
IN_DOUBT = ("sending", "in_doubt")
#: What a kill at each point leaves: no message in ``sending`` ("none"), one that the server
#: did not receive (0) or did (1), or at most one, received or not ("any").
LEFT_BY_KILL: dict[str, str | int] = {
    "claim-commit": "none",
    "claimed": 0,
    "before-send": 0,
    "after-send": 1,
    "record-commit": 1,
    "recorded": "none",
    "mail": 0,
    "rcpt": 0,
    "data": 1,
    "data-replied": "any",
    "random": "any",
}
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
            await asyncio.sleep(4)
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
            await asyncio.sleep(4)
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


@pytest.fixture(scope="module")
def children(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Children]:
    """One fork server for the module (starting one costs about 0.6 s)."""
    server = Children(tmp_path_factory.mktemp("children"))
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


def final_check(
    queue: MessageQueue, mailbox: Mailbox, mids: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Every message sent and received exactly once: returns the keys received more than once
    (duplicates) and those not received or not recorded as sent (losses)."""
    states = {m.key: m.state for m in queue.messages(list(mids.values()))}
    duplicates = [key for mid, key in mids.items() if mailbox.received[mid] > 1]
    losses = [
        key for mid, key in mids.items() if mailbox.received[mid] == 0 or states[key] != "sent"
    ]
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
    lost: set[str] = set()
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
                me = f"child-{run.pid}"
                figures["runs"] += 1
                figures["child"] += run.seconds
                if run.killed:
                    kills[point] += 1
                else:
                    assert run.rc == 0, f"{point}: the dispatcher failed {where}:\n{run.log}"
                    clean.append(run.seconds)
                    # a dispatcher that finished knows the outcome of each message it claimed
                    left = queue.messages(outbox=outbox, states=["sending"])
                    assert [m.key for m in left if m.worker == me] == []
                doubled = {mid for mid, n in server.received.items() if n > 1}
                figures["duplicates"] = len(doubled)
                assert not doubled, f"sent twice after a kill at {point} {where}: {doubled}"
                if run.killed:
                    check_store(store, queue)  # the store is consistent after every kill
                    # and the message it was sending, if any, is in doubt, received or not
                    hanging = queue.messages(outbox=outbox, states=["sending"])
                    mine = [server.received[m.message_id] for m in hanging if m.worker == me]
                    expect = LEFT_BY_KILL[point]
                    if expect == "none":
                        assert mine == [], f"{point}: {mine} {where}"
                    elif expect == "any":
                        assert mine in ([], [0], [1]), f"{point}: {mine} {where}"
                    else:
                        assert mine == [expect], f"{point}: {mine} {where}"
            else:
                raise AssertionError(f"{outbox}: still claimable after {20 * per_round} runs")
            # nothing claimable: each message is sent (received once) or in doubt (at most once)
            reported = {m.key for m in queue.in_doubt()}
            for message in queue.messages(outbox=outbox):
                seen = server.received[message.message_id]
                if message.state == "sent":
                    figures["sent"] += 1
                    if seen == 0:
                        lost.add(message.key)
                        figures["losses"] = len(lost)
                    assert seen == 1, f"{message.key}: sent, received {seen} times {where}"
                elif message.state in IN_DOUBT:
                    figures["in_doubt"] += 1
                    assert message.key in reported
                    assert seen <= 1, f"{message.key}: in doubt, received {seen} times {where}"
                else:
                    lost.add(message.key)
                    figures["losses"] = len(lost)
                    raise AssertionError(f"{message.key}: {message.state} {where}")
            check_store(store, queue)
            settled = settle_from_server_log(queue, server, outbox)
            figures["settled_sent"] += settled[0]
            figures["settled_not_sent"] += settled[1]
            server.start_run(None)
            run = children.run({"url": url, "smtp": smtp, "outbox": outbox})
            assert run.rc == 0, run.log
            duplicates, losses = final_check(queue, server, mids)
            figures["duplicates"] = sum(1 for n in server.received.values() if n > 1)
            lost.update(losses)
            figures["losses"] = len(lost)
            assert (duplicates, losses) == ([], []), f"{outbox} {where}"
            check_store(store, queue)
        total = sum(kills.values())
        assert total >= target, f"only {total} kills"
        assert min(kills.values()) >= 2, kills
    finally:
        store.close()
        figures["seconds"] = time.perf_counter() - started


# -- the disk full, the store read-only ----------------------------------------------------------


def _page_count(store: EventStore) -> int:
    with store._engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())


def _other(fault_figures: dict[str, Any], fault: str, backend: str, result: str, **kw: int) -> None:
    fault_figures.setdefault("other", []).append(
        {"fault": fault, "backend": backend, "result": result, "duplicates": 0, "losses": 0, **kw}
    )


def test_disk_full(
    tmp_path: Path,
    mailbox: tuple[Mailbox, str],
    children: Children,
    fault_figures: dict[str, Any],
) -> None:
    """The store fills up mid-run (SQLite's ``max_page_count``): the dispatcher stops with a
    clear error; the message whose outcome could not be written stays in doubt; nothing is sent
    twice, by that run or by the next ones (still full, then with room again)."""
    server, smtp = mailbox
    server.reply_pad = " " + "x" * 300  # long replies: the outcomes fill the pages first
    url = f"sqlite:///{tmp_path / 'store' / 'dunning.sqlite'}"
    store = EventStore.open(url)
    queue = MessageQueue(store)
    mids = enqueue(queue, "full", 40)
    full = [f"PRAGMA max_page_count = {_page_count(store) + 1}"]
    try:
        run = children.run({"url": url, "smtp": smtp, "outbox": "full", "pragmas": full})
        assert run.rc == 3, run.log
        doubt = queue.in_doubt()
        assert len(doubt) == 1, queue.counts()  # the one whose outcome could not be written
        # the error says why, and which message it leaves in doubt
        assert run.error.startswith(f"StoreError: {doubt[0].key}: sent (250 ")
        assert f"could not be recorded: {url}: database or disk is full." in run.error
        assert "stays in doubt" in run.error
        assert server.received[doubt[0].message_id] == 1
        sent = queue.counts().get("sent", 0)
        assert sum(server.received.values()) == sent + 1
        check_store(store, queue)
        # still full: it stops again, nothing is sent twice
        again = children.run({"url": url, "smtp": smtp, "outbox": "full", "pragmas": full})
        assert again.rc == 3, again.log
        assert "database or disk is full" in again.error
        assert max(server.received.values()) == 1
        first_doubt = len(doubt)
        check_store(store, queue)
        # room again: the rest goes, the messages in doubt stay in doubt until settled
        in_doubt = len(queue.in_doubt())
        assert children.run({"url": url, "smtp": smtp, "outbox": "full"}).rc == 0
        assert len(queue.in_doubt()) == in_doubt
        settled = settle_from_server_log(queue, server)
        assert children.run({"url": url, "smtp": smtp, "outbox": "full"}).rc == 0
        assert final_check(queue, server, mids) == ([], [])
        check_store(store, queue)
    finally:
        store.close()
    _other(
        fault_figures,
        "disk full",
        "sqlite",
        f"stopped with 'database or disk is full' naming the message left in doubt after "
        f"{sent} sent, {first_doubt} in "
        f"doubt; still full, the next run stopped too, {in_doubt} in doubt in all; settled "
        f"{settled[0]} sent, {settled[1]} not sent; then all {len(mids)} received once",
    )


def _admin(url: str) -> Any:
    """A psycopg connection (autocommit) to the server of ``url``, on its ``postgres``
    database, and the name of the database of ``url``."""
    import psycopg

    parsed = sa.engine.make_url(url)
    dsn = f"host={parsed.host} port={parsed.port} user={parsed.username} dbname=postgres"
    return psycopg.connect(dsn, autocommit=True), parsed.database


def test_read_only_store(
    url: str,
    mailbox: tuple[Mailbox, str],
    children: Children,
    fault_figures: dict[str, Any],
) -> None:
    """A store that cannot be written (SQLite opened ``mode=ro``; PostgreSQL with
    ``default_transaction_read_only``): the dispatcher stops at its first claim with a clear
    error and sends nothing; with the store writable again, everything is sent once."""
    server, smtp = mailbox
    backend = _backend(url)
    store = EventStore.open(url)
    queue = MessageQueue(store)
    mids = enqueue(queue, "ro", 5)
    admin = None
    try:
        if backend == "sqlite":
            path = url.removeprefix("sqlite:///")
            child_url = f"sqlite:///file:{path}?mode=ro&uri=true"
            expected = "attempt to write a readonly database"
        else:
            admin, name = _admin(url)
            admin.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
            child_url = url
            expected = "read-only transaction"
        run = children.run({"url": child_url, "smtp": smtp, "outbox": "ro"})
        assert run.rc == 3, run.log
        assert run.error.startswith("StoreError: ")
        assert expected in run.error
        assert sum(server.received.values()) == 0
        assert queue.counts() == {"queued": 5}
        check_store(store, queue)
        if admin is not None:
            admin.execute(f"ALTER DATABASE {name} RESET default_transaction_read_only")
        assert children.run({"url": url, "smtp": smtp, "outbox": "ro"}).rc == 0
        assert final_check(queue, server, mids) == ([], [])
        check_store(store, queue)
    finally:
        store.close()
        if admin is not None:
            admin.close()
    _other(
        fault_figures,
        "store read-only",
        backend,
        f"stopped at the first claim with '{run.error.split(': ', 2)[-1][:60]}', nothing sent; "
        f"writable again: all {len(mids)} received once",
    )


# -- the database going away mid-run -------------------------------------------------------------


@pytest.mark.parametrize("how", ["gone", "blip"])
def test_database_goes_away(
    how: str,
    pg_server: Any,
    mailbox: tuple[Mailbox, str],
    children: Children,
    fault_figures: dict[str, Any],
) -> None:
    """PostgreSQL: while the server receives the 3rd message, the dispatcher's connections are
    terminated (``pg_terminate_backend``). ``gone``: the database also refuses new connections,
    so the outcome cannot be written: a clear error, that message in doubt, nothing twice.
    ``blip``: it comes back at once: the dispatcher reconnects and records the outcome.

    (On SQLite the store is a file inside the dispatcher's own process: it cannot go away
    while the process lives, short of deleting the file, which SQLite does not notice.)"""
    server, smtp = mailbox
    url = str(pg_server.new_database())
    store = EventStore.open(url)
    queue = MessageQueue(store)
    mids = enqueue(queue, "gone", 6)
    admin, name = _admin(url)

    def cut(n: int) -> None:
        if n != 3:
            return
        if how == "gone":
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )

    server.on_data = cut
    try:
        run = children.run({"url": url, "smtp": smtp, "outbox": "gone"})
        server.on_data = None
        if how == "gone":
            assert run.rc == 3, run.log
            assert run.error.startswith(f"StoreError: {mids['<gone.2@tipografia.example>']}: ")
            assert f"could not be recorded: {store.url}: " in run.error
            assert "not currently accepting connections" in run.error
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        else:
            assert run.rc == 0, run.log
        assert max(server.received.values()) == 1
        doubt = queue.in_doubt()
        if how == "gone":
            assert [m.message_id for m in doubt] == ["<gone.2@tipografia.example>"]
            assert server.received[doubt[0].message_id] == 1
        else:
            assert doubt == []
        check_store(store, queue)
        assert children.run({"url": url, "smtp": smtp, "outbox": "gone"}).rc == 0
        settled = settle_from_server_log(queue, server)
        assert children.run({"url": url, "smtp": smtp, "outbox": "gone"}).rc == 0
        assert final_check(queue, server, mids) == ([], [])
        check_store(store, queue)
    finally:
        store.close()
        admin.close()
    result = (
        f"stopped with '...{run.error.split('FATAL:')[-1].split('. The')[0].strip()}' naming "
        "the message left in doubt; settled sent"
        if how == "gone"
        else "reconnected and recorded the outcome; nothing in doubt"
    )
    _other(fault_figures, f"database goes away ({how})", "postgresql", result)
    assert settled == ((1, 0) if how == "gone" else (0, 0))


# -- the SMTP server hanging ----------------------------------------------------------------------


@pytest.mark.parametrize("where", ["greeting", "rcpt", "data"])
def test_smtp_server_hangs(
    where: str,
    tmp_path: Path,
    mailbox: tuple[Mailbox, str],
    children: Children,
    fault_figures: dict[str, Any],
) -> None:
    """An SMTP server that accepts the connection and never answers (``greeting``), or stops
    answering at RCPT or after the message's data: the channel times out (``timeout=1``):
    a temporary failure before the message was handed over (sent by the next run), in doubt
    after it (never resent); never a duplicate."""
    server, smtp = mailbox
    url = f"sqlite:///{tmp_path / 'store' / 'dunning.sqlite'}"
    store = EventStore.open(url)
    queue = MessageQueue(store)
    mids = enqueue(queue, "hang", 3)
    silent = socket.socket()
    try:
        if where == "greeting":
            silent.bind((HOST, 0))
            silent.listen(8)  # connections complete in the backlog; nobody ever answers
            target = f"smtp://{HOST}:{silent.getsockname()[1]}?timeout=1&retries=0"
        else:
            server.hang = where
            target = smtp.replace("timeout=5", "timeout=1")
        first = "<hang.0@tipografia.example>"
        started = time.perf_counter()
        run = children.run({"url": url, "smtp": target, "outbox": "hang"}, timeout=30)
        seconds = time.perf_counter() - started
        assert run.rc == 0, run.log
        states = {m.message_id: m.state for m in queue.messages()}
        if where == "greeting":
            assert set(states.values()) == {"temporary"}
            assert sum(server.received.values()) == 0
            assert "timed out" in queue.get(mids[first]).detail  # type: ignore[union-attr]
        elif where == "rcpt":
            assert states[first] == "temporary"
            assert server.received[first] == 0
        else:
            assert states[first] == "in_doubt"
            assert server.received[first] == 1
            detail = queue.get(mids[first]).detail  # type: ignore[union-attr]
            assert "timed out after the message was sent" in detail
            assert first in detail  # names the Message-ID to look for in the server's log
        check_store(store, queue)
        assert children.run({"url": url, "smtp": smtp, "outbox": "hang"}).rc == 0
        settled = settle_from_server_log(queue, server)
        assert children.run({"url": url, "smtp": smtp, "outbox": "hang"}).rc == 0
        assert final_check(queue, server, mids) == ([], [])
        check_store(store, queue)
    finally:
        silent.close()
        store.close()
    result = {
        "greeting": "every message temporary (timed out), sent by the next run",
        "rcpt": "that message temporary (timed out before the data), sent by the next run",
        "data": "that message in doubt (timed out after the data), settled sent, not resent",
    }[where]
    _other(
        fault_figures,
        f"SMTP server hangs at {where}",
        "sqlite",
        f"{result}; run took {seconds:.1f} s",
    )
    assert settled == ((1, 0) if where == "data" else (0, 0))
