"""Load: N messages through the store's transactional outbox to an SMTP server on loopback.

    python benchmarks/load.py --messages 100000 --backend sqlite
    python benchmarks/load.py --messages 100000 --backend postgresql --dispatchers 2

What it does, in one run, on one fresh database:

1. starts an SMTP sink on 127.0.0.1 in a separate process (``--sink aiosmtpd``, the default,
   or ``--sink asyncio``: a minimal asyncio SMTP server, to tell the sink's cost from ours);
2. builds N realistic messages: the project's own reminders (the ``.eml`` files the outbox
   writes for the example portfolio, ~5 KB: a text and an HTML part), each with a unique
   Message-ID and recipient, spread over many debtors;
3. enqueues them with `MessageQueue.enqueue` in batches, and the same rows with a bare
   ``executemany`` INSERT into a scratch table of the same database (the baseline);
4. approves them, then runs `dispatch` in ``--dispatchers`` processes at once, each with its
   own SMTP connection;
5. checks: every Message-ID received by the sink exactly once, the queue all ``sent``, each
   message sent by one dispatcher only, `MessageQueue.verify` and `EventStore.verify` clean;
6. appends N MessageSent-like events with `EventStore.append`, in batches and one per
   transaction, against a bare ``executemany`` of the same rows.

It prints rates and ratios, not verdicts; it exits 1 when a check fails (a message lost or
sent twice). The claim query is probed in its former form (``state IN``) and the store's
(one indexed query per state), which came out of the prototype ``--claim fast`` of this script.

SQLite is a file with the store's settings (WAL, synchronous=FULL) in ``--dir`` (default: a
temporary folder). PostgreSQL is a throw-away server started as ``tests/pg.py`` does, with
``--pg-fsync on`` (the default here: honest figures) or ``off`` (the tests' settings:
fsync=off, synchronous_commit=off, full_page_writes=off).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa

from dunning import MessageSent
from dunning.store import EventStore, MessageQueue, QueuedMessage, dispatch, schema
from dunning.store.dispatcher import CLAIMABLE
from dunning.store.event_store import _row

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tipografia"
NOW = datetime(2026, 8, 25, 9, 0, tzinfo=UTC)
_MID = re.compile(rb"(?im)^message-id:[ \t]*(<[^>\r\n]*>)")
_TO = re.compile(rb"(?im)^to:[^\r\n]*\r?\n")


# -- the messages ---------------------------------------------------------------------------


def reminder_templates() -> list[bytes]:
    """The e-mail reminders the outbox writes for the example portfolio on two days."""
    from dunning import plan, policies, simulate
    from dunning.importers.folder import read_folder
    from dunning.outbox import write_outbox

    folder = read_folder(EXAMPLE)
    policy = policies.load(folder.policy.preset, **folder.policy.kwargs())
    found: list[bytes] = []
    with tempfile.TemporaryDirectory() as tmp:
        for day in (date(2026, 8, 3), date(2026, 8, 25)):
            start = date(2026, 7, 15)
            history = list(
                simulate(folder.portfolio, policy, start, day - timedelta(days=1)).events
            )
            proposal = plan(folder.portfolio, policy, day, history)
            out = Path(tmp) / str(day)
            for entry in write_outbox(proposal, folder.portfolio, policy, out, history):
                if entry["channel"] == "email" and entry.get("file"):
                    found.append((out / entry["file"]).read_bytes())
    if not found:
        raise SystemExit("no e-mail reminder in the example's outbox")
    return found


def build_messages(n: int, debtors: int) -> list[QueuedMessage]:
    """``n`` messages from the reminders, each with its own key, Message-ID and recipient."""
    templates = reminder_templates()
    messages = []
    for i in range(n):
        debtor = f"L{i % debtors:06d}"
        key = f"{debtor}|EUR|sollecito_{i // debtors + 1}|email|2026-08-25|{i}"
        mid = f"<load-{i:07d}@tipografia.example>".encode()
        rcpt = f"conti-{i % debtors:06d}@debtor.example"
        eml = templates[i % len(templates)]
        eml = _MID.sub(b"Message-ID: " + mid, eml, count=1)
        eml = _TO.sub(f"To: {rcpt}\r\n".encode(), eml, count=1)
        messages.append(
            QueuedMessage(
                key=key,
                debtor_id=debtor,
                channel="email",
                content=eml,
                file=f"{i:07d}.eml",
                recipient=rcpt,
                message_id=mid.decode(),
                outbox="outbox/2026-08-25",
            )
        )
    return messages


def message_row(message: QueuedMessage, when: datetime) -> dict[str, Any]:
    """The row `MessageQueue.enqueue` writes for ``message``."""
    values = attrs.asdict(message)
    values.update(
        state="queued",
        approved_at=None,
        attempts=0,
        worker=None,
        detail="",
        transport_id="",
        content_hash=message.content_hash,
        queued_at=when,
        updated_at=when,
    )
    return values


def chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# -- the SMTP sink, in its own process ------------------------------------------------------


def _message_id(data: bytes) -> str:
    head = data.split(b"\r\n\r\n", 1)[0]
    found = _MID.search(head)
    return found.group(1).decode() if found else "<none>"


class _Received:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.connections = 0

    def write(self, path: str) -> None:
        Path(path).write_text(
            json.dumps({"ids": self.ids, "connections": self.connections}), encoding="utf-8"
        )


def _aiosmtpd_sink(ready: Any, stop: Any, out: str) -> None:
    from aiosmtpd.controller import Controller

    received = _Received()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.ids.append(_message_id(envelope.content))
            return f"250 2.0.0 Ok: queued as Q{len(received.ids)}"

    class Counting(Controller):
        def _trigger_server(self) -> None:  # port 0: learn the port before the self-test
            assert self.server is not None
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()
            received.connections -= 1  # the self-test's connection

        def factory(self) -> Any:
            received.connections += 1
            return super().factory()

    controller = Counting(Handler(), hostname="127.0.0.1", port=0)
    controller.start()
    assert controller.server is not None
    ready.send(controller.server.sockets[0].getsockname()[1])
    stop.wait()
    controller.stop()
    received.write(out)


def _asyncio_sink(ready: Any, stop: Any, out: str) -> None:
    """A minimal SMTP server: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; accepts everything."""
    received = _Received()

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.connections += 1
        writer.write(b"220 sink ESMTP\r\n")
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go on\r\n")
                data = await reader.readuntil(b"\r\n.\r\n")
                received.ids.append(_message_id(data))
                writer.write(f"250 2.0.0 Ok: queued as Q{len(received.ids)}\r\n".encode())
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(session, "127.0.0.1", 0)
        ready.send(server.sockets[0].getsockname()[1])
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, stop.wait)
        server.close()

    asyncio.run(main())
    received.write(out)


@contextlib.contextmanager
def smtp_sink(kind: str, folder: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Run the sink in a process; yields its port and, after the block, what it received."""
    ctx = mp.get_context("spawn")
    ready, child = ctx.Pipe()
    stop = ctx.Event()
    out = str(folder / "sink.json")
    target = _aiosmtpd_sink if kind == "aiosmtpd" else _asyncio_sink
    process = ctx.Process(target=target, args=(child, stop, out), daemon=True)
    process.start()
    if not ready.poll(60):
        process.kill()
        raise SystemExit("the SMTP sink did not start")
    result: dict[str, Any] = {}
    try:
        yield ready.recv(), result
    finally:
        stop.set()
        process.join(120)
        if Path(out).exists():
            result.update(json.loads(Path(out).read_text(encoding="utf-8")))


# -- the claim query --------------------------------------------------------------------------


def claim_plans(store: EventStore) -> dict[str, Any]:
    """The database's plan for the former claim query (``stock``) and the store's (``fast``)."""
    t = schema.messages
    base = (
        sa.select(t.c.key)
        .where(t.c.approved_at.is_not(None))
        .where(sa.or_(t.c.not_before.is_(None), t.c.not_before <= NOW))
        .where(sa.or_(t.c.not_after.is_(None), t.c.not_after >= NOW))
        .where(t.c.channel.in_(["email"]))
        .order_by(t.c.queued_at, t.c.key)
        .limit(1)
    )
    queries = {
        "stock": base.where(t.c.state.in_(CLAIMABLE)),
        "fast": base.where(t.c.state == "queued"),
    }
    plans: dict[str, Any] = {}
    with store._read() as conn:
        for name, query in queries.items():
            if store.backend == "postgresql":
                query = query.with_for_update(skip_locked=True)
            text = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if store.backend == "sqlite" else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + text).all()
            plans[name] = " | ".join(
                str(r[-1] if store.backend == "sqlite" else r[0]) for r in rows
            )
            # the query's cost with the whole queue claimable (a read: nothing is claimed)
            conn.execute(query).all()
            start = time.perf_counter()
            for _ in range(20):
                conn.execute(query).all()
            plans[f"{name}_ms"] = (time.perf_counter() - start) / 20 * 1000
    return plans


# -- the dispatchers, each in its own process -----------------------------------------------


class _Timed:
    """The channel, with the time of every 1,000th send (to see the rate along the run)."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.marks: list[float] = []
        self.sent = 0

    def send(self, message: Any) -> Any:
        result = self.channel.send(message)
        self.sent += 1
        if self.sent % 1000 == 0:
            self.marks.append(time.time())
        return result


def _dispatcher(url: str, port: int, worker: str, out: Any) -> None:
    from dunning.channels import open_channel

    store = EventStore.open(url, migrate=False)
    queue = MessageQueue(store)
    channel = _Timed(open_channel(f"smtp://127.0.0.1:{port}"))
    start = time.time()
    outcomes = dispatch(queue, {"email": channel}, now=NOW, worker=worker)
    end = time.time()
    channel.channel.close()
    store.close()
    out.send(
        {
            "worker": worker,
            "start": start,
            "end": end,
            "marks": channel.marks,
            "results": dict(Counter(o.result for o in outcomes)),
            "sent": [o.key for o in outcomes if o.result == "sent"],
            "connections": channel.channel.connections,
        }
    )


def run_dispatchers(url: str, port: int, count: int) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    pipes, processes = [], []
    for n in range(count):
        mine, theirs = ctx.Pipe()
        process = ctx.Process(target=_dispatcher, args=(url, port, f"load-{n + 1}", theirs))
        process.start()
        pipes.append(mine)
        processes.append(process)
    reports = [pipe.recv() for pipe in pipes]
    for process in processes:
        process.join()
    return reports


# -- the baselines --------------------------------------------------------------------------


def scratch(table: sa.Table, name: str) -> sa.Table:
    """A bare copy of ``table``: its columns and primary key, no other index."""
    columns = [
        sa.Column(
            c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, autoincrement=False
        )
        if c.name != "id"
        else sa.Column("id", c.type, primary_key=True, autoincrement=True)
        for c in table.columns
    ]
    return sa.Table(name, sa.MetaData(), *columns)


def bare_insert(store: EventStore, table: sa.Table, rows: list[dict[str, Any]], size: int) -> float:
    """Seconds to INSERT ``rows`` into ``table`` with executemany, ``size`` per transaction."""
    with store._write() as conn:
        table.drop(conn, checkfirst=True)
        table.create(conn)
    start = time.perf_counter()
    for batch in chunks(rows, size):
        with store._write() as conn:
            conn.execute(sa.insert(table), list(batch))
    seconds = time.perf_counter() - start
    with store._write() as conn:
        table.drop(conn)
    return seconds


def sent_events(n: int, debtors: int) -> list[MessageSent]:
    return [
        MessageSent(
            NOW.date(),
            f"E{i % debtors:06d}",
            f"E{i % debtors:06d}|EUR|sollecito_{i // debtors + 1}|email|2026-08-25|{i}",
            "email",
            f"<event-{i:07d}@tipografia.example>",
        )
        for i in range(n)
    ]


def stamped(events: list[MessageSent], source: str) -> list[dict[str, Any]]:
    """The rows `EventStore.append` writes for ``events`` into an empty history."""
    seq: Counter[str] = Counter()
    rows = []
    for event in events:
        seq[event.debtor_id] += 1
        rows.append(
            {**_row(event), "seq": seq[event.debtor_id], "created_at": NOW, "source": source}
        )
    return rows


# -- the machine ----------------------------------------------------------------------------


def machine(folder: Path) -> dict[str, str]:
    info = {
        "python": platform.python_version(),
        "sqlalchemy": sa.__version__,
        "cpus": str(os.cpu_count()),
        "platform": platform.platform(),
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        info["disk"] = subprocess.run(
            ["df", "-hT", str(folder)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[-1]
    # the cost of one fsync of a 4 KB write in that folder
    probe = folder / "fsync.probe"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        start = time.perf_counter()
        for _ in range(200):
            os.write(fd, b"x" * 4096)
            os.fdatasync(fd)
        info["fdatasync"] = f"{(time.perf_counter() - start) / 200 * 1000:.3f} ms"
    finally:
        os.close(fd)
        probe.unlink()
    return info


# -- the run --------------------------------------------------------------------------------


@contextlib.contextmanager
def database(args: argparse.Namespace, folder: Path) -> Iterator[str]:
    if args.backend == "sqlite":
        yield f"sqlite:///{folder / 'load.sqlite'}"
        return
    sys.path.insert(0, str(ROOT / "tests"))
    import pg

    bin_dir = pg.find_bin()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    if args.pg_fsync == "on":
        with pg_server_fsync_on(pg, bin_dir) as server:
            yield server.new_database()
    else:
        with pg.postgres_server(bin_dir) as server:
            yield server.new_database()


@contextlib.contextmanager
def pg_server_fsync_on(pg: Any, bin_dir: Path) -> Iterator[Any]:
    """tests/pg.py's server, with PostgreSQL's durable defaults (fsync, synchronous_commit and
    full_page_writes on) instead of the tests' settings."""
    real_run = subprocess.run

    def run(cmd: Any, *a: Any, **kw: Any) -> Any:
        cmd = [
            c.replace(
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                " -c fsync=on -c synchronous_commit=on -c full_page_writes=on",
            )
            if isinstance(c, str)
            else c
            for c in cmd
        ]
        return real_run(cmd, *a, **kw)

    pg.subprocess = types.SimpleNamespace(
        run=run, CalledProcessError=subprocess.CalledProcessError
    )  # only pg.py's calls
    try:
        with pg.postgres_server(bin_dir) as server:
            yield server
    finally:
        pg.subprocess = subprocess


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s" if seconds > 0 else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--dispatchers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1000, help="messages per enqueue")
    parser.add_argument("--debtors", type=int, default=0, help="default: messages / 4")
    parser.add_argument("--sink", choices=("aiosmtpd", "asyncio"), default="aiosmtpd")
    parser.add_argument("--pg-fsync", choices=("on", "off"), default="on")
    parser.add_argument(
        "--single-events", type=int, default=10_000, help="events appended one per transaction"
    )
    parser.add_argument("--dir", type=Path, help="where the SQLite file goes (default: /tmp)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--probe-only", action="store_true", help="stop after timing the claim query"
    )
    args = parser.parse_args(argv)
    n = args.messages
    debtors = args.debtors or max(1, n // 4)
    folder = Path(tempfile.mkdtemp(prefix="dunning-load-", dir=args.dir))
    figures: dict[str, Any] = {"messages": n, "debtors": debtors, "args": vars(args).copy()}
    figures["args"] = {k: str(v) for k, v in figures["args"].items()}
    problems: list[str] = []
    try:
        figures["machine"] = machine(folder)
        print("machine:", json.dumps(figures["machine"], indent=1))
        start = time.perf_counter()
        messages = build_messages(n, debtors)
        sizes = sorted(len(m.content) for m in messages)
        figures["message_bytes"] = {
            "min": sizes[0],
            "median": sizes[len(sizes) // 2],
            "max": sizes[-1],
        }
        print(
            f"{n:,} messages for {debtors:,} debtors built in {time.perf_counter() - start:.1f} s,"
            f" {figures['message_bytes']}"
        )
        with database(args, folder) as url, smtp_sink(args.sink, folder) as (port, received):
            store = EventStore.open(url)
            queue = MessageQueue(store)
            figures["backend"] = store.backend
            if store.backend == "sqlite":
                with store._read() as conn:
                    figures["sqlite_pragmas"] = {
                        p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                        for p in ("journal_mode", "synchronous", "page_size", "cache_size")
                    }
            else:
                with store._read() as conn:
                    figures["pg_settings"] = {
                        p: conn.exec_driver_sql(f"SHOW {p}").scalar()
                        for p in (
                            "server_version",
                            "fsync",
                            "synchronous_commit",
                            "full_page_writes",
                            "shared_buffers",
                        )
                    }
            print("database:", figures.get("sqlite_pragmas") or figures.get("pg_settings"))

            # enqueue vs bare executemany of the same rows
            when = store._clock()
            rows = [message_row(m, when) for m in messages]
            bare = bare_insert(
                store, scratch(schema.messages, "load_scratch_messages"), rows, args.batch
            )
            del rows
            start = time.perf_counter()
            for batch in chunks(messages, args.batch):
                queue.enqueue(batch)
            enqueue = time.perf_counter() - start
            figures["enqueue"] = {"seconds": enqueue, "bare_seconds": bare}
            print(
                f"enqueue: {rate(n, enqueue)} (bare executemany {rate(n, bare)}; "
                f"enqueue takes {enqueue / bare:.1f}x the bare insert; batches of {args.batch})"
            )

            start = time.perf_counter()
            keys = [m.key for m in messages]
            for batch in chunks(keys, args.batch):
                queue.approve(batch, at=NOW)
            approve = time.perf_counter() - start
            figures["approve"] = {"seconds": approve}
            print(f"approve: {rate(n, approve)}")
            figures["claim_plans"] = claim_plans(store)
            for name in ("stock", "fast"):
                label = {"stock": "former: state IN", "fast": "the store's: state ="}[name]
                print(
                    f"claim query ({label}) with {n:,} messages claimable: "
                    f"{figures['claim_plans'][name + '_ms']:.2f} ms; plan: "
                    f"{figures['claim_plans'][name]}"
                )
            if args.probe_only:
                store.close()
                return 0

            # dispatch
            reports = run_dispatchers(url, port, args.dispatchers)
            wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
            sent_total = sum(len(r["sent"]) for r in reports)
            figures["dispatch"] = {
                "seconds": wall,
                "dispatchers": args.dispatchers,
                "per_worker": {
                    r["worker"]: {
                        "sent": len(r["sent"]),
                        "results": r["results"],
                        "seconds": r["end"] - r["start"],
                        "connections": r["connections"],
                        "per_1000": [
                            round(b - a, 3)
                            for a, b in zip([r["start"], *r["marks"]], r["marks"], strict=False)
                        ],
                    }
                    for r in reports
                },
            }
            print(
                f"dispatch: {sent_total:,} sent in {wall:.1f} s by {args.dispatchers} "
                f"dispatcher(s): {rate(sent_total, wall)} end to end"
            )
            for r in reports:
                marks = figures["dispatch"]["per_worker"][r["worker"]]["per_1000"]
                if marks:
                    print(
                        f"  {r['worker']}: {len(r['sent']):,} sent, {r['results']}; seconds "
                        f"per 1,000 sends: first {marks[0]:.2f}, median "
                        f"{sorted(marks)[len(marks) // 2]:.2f}, last {marks[-1]:.2f}"
                    )

            # the checks (the sink's own report comes after it stops, below)
            counts = queue.counts()
            figures["counts"] = counts
            if counts != {"sent": n}:
                problems.append(f"queue counts {counts}, not all {n} sent")
            by_worker = Counter(k for r in reports for k in r["sent"])
            twice = [k for k, c in by_worker.items() if c > 1]
            if twice:
                problems.append(f"{len(twice)} message(s) sent by two dispatchers: {twice[:5]}")
            start = time.perf_counter()
            queue_problems = queue.verify()
            figures["queue_verify_seconds"] = time.perf_counter() - start
            if queue_problems:
                problems.append(f"queue.verify(): {queue_problems[:5]}")

            # event appends vs bare executemany
            events = sent_events(n, debtors)
            ev_rows = stamped(events, "append")
            bare_ev = bare_insert(
                store, scratch(schema.events, "load_scratch_events"), ev_rows, args.batch
            )
            start = time.perf_counter()
            for batch in chunks(events, args.batch):
                store.append(batch)
            batched = time.perf_counter() - start
            single_n = min(n, args.single_events)
            singles = sent_events(single_n, max(1, single_n // 4))
            singles = [attrs.evolve(e, debtor_id="S" + e.debtor_id[1:]) for e in singles]
            bare_single = bare_insert(
                store, scratch(schema.events, "load_scratch_events"), stamped(singles, "append"), 1
            )
            start = time.perf_counter()
            for event in singles:
                store.append([event])
            single = time.perf_counter() - start
            figures["append"] = {
                "batched_seconds": batched,
                "bare_batched_seconds": bare_ev,
                "single_events": single_n,
                "single_seconds": single,
                "bare_single_seconds": bare_single,
            }
            print(
                f"append, batches of {args.batch}: {rate(n, batched)} (bare executemany "
                f"{rate(n, bare_ev)}: {batched / bare_ev:.1f}x)"
            )
            print(
                f"append, one event per transaction ({single_n:,}): {rate(single_n, single)} "
                f"(bare one-row transactions {rate(single_n, bare_single)}: "
                f"{single / bare_single:.1f}x)"
            )

            start = time.perf_counter()
            store_problems = store.verify()
            figures["store_verify_seconds"] = time.perf_counter() - start
            if store_problems:
                problems.append(f"store.verify(): {store_problems[:5]}")
            if store.backend == "sqlite":
                figures["database_bytes"] = sum(
                    p.stat().st_size for p in folder.glob("load.sqlite*")
                )
            store.close()

        ids = Counter(received.get("ids", []))
        expected = {m.message_id for m in messages}
        missing = expected - set(ids)
        extra = set(ids) - expected
        dupes = [m for m, c in ids.items() if c > 1]
        figures["sink"] = {
            "kind": args.sink,
            "received": sum(ids.values()),
            "distinct": len(ids),
            "connections": received.get("connections"),
        }
        if missing:
            problems.append(f"{len(missing)} message(s) never received: {sorted(missing)[:5]}")
        if dupes:
            problems.append(f"{len(dupes)} message(s) received more than once: {dupes[:5]}")
        if extra:
            problems.append(f"{len(extra)} unexpected message(s) received: {sorted(extra)[:5]}")
        print(
            f"sink ({args.sink}): {sum(ids.values()):,} received, {len(ids):,} distinct, "
            f"{received.get('connections')} connection(s)"
        )
        figures["problems"] = problems
        print(
            "checks:",
            "every message received exactly once, queue and store verified"
            if not problems
            else "\n  ".join(["FAILED", *problems]),
        )
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1, default=str), encoding="utf-8")
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
