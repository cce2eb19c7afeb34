"""The dispatcher under test, in a process of its own, for tests/test_faults.py.

``python fault_child.py serve`` is a *fork server*: it imports the store and the SMTP channel
once (about 0.6 s), then reads one job (a JSON line) at a time on its standard input, forks a
child for it, writes ``pid N`` on its standard output, waits for the child and writes
``exit N STATUS`` (STATUS as `subprocess` gives it: ``-9`` for SIGKILL). Each child is a fresh
process that opens the store at the job's URL (its own engine and connections), opens a real
SMTP channel to the parent's loopback server and calls `dispatch`, so a child costs a few
milliseconds instead of a new interpreter. ``python fault_child.py run JOB`` runs one job
directly (for debugging).

The kill points live here, in test code, not in ``src/``: the child wraps its own
`MessageQueue` and channel objects and listens to its SQLAlchemy engine's ``commit`` event, and
sends itself SIGKILL at the ``nth`` time it reaches the job's ``point``:

``claim-commit``   inside the claim's transaction, before its COMMIT
``claimed``        just after a claim committed (a message is ``sending``)
``before-send``    before ``channel.send``
``after-send``     after ``channel.send`` returned, before the outcome is recorded
``record-commit``  inside the outcome's transaction, before its COMMIT
``recorded``       just after the outcome committed

The server kills (``mail``, ``rcpt``, ``data``, ``data-replied``) are done by the parent's
SMTP handler, which finds this process's id in the EHLO name ``child-PID``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

CHILD_POINTS = ("claim-commit", "claimed", "before-send", "after-send", "record-commit", "recorded")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def run_job(job: dict[str, Any]) -> int:
    """Dispatch the job's outbox; 0 when dispatch returned, 3 when it raised (the error's
    type and text on the last line of standard error)."""
    import sqlalchemy as sa

    from dunning.channels import open_channel
    from dunning.store import EventStore, MessageQueue, dispatch

    point: str | None = job.get("point")
    nth: int = int(job.get("nth", 1))
    hits = {"n": 0}
    phase = {"now": ""}

    def hit(name: str) -> None:
        if name == point:
            hits["n"] += 1
            if hits["n"] == nth:
                _die()

    try:
        store = EventStore.open(job["url"])
        pragmas = job.get("pragmas") or []
        if pragmas:
            # every connection from now on: drop those opened by open() and set the pragmas
            @sa.event.listens_for(store._engine, "connect")
            def _pragmas(dbapi_connection: Any, _record: Any) -> None:
                for pragma in pragmas:
                    dbapi_connection.execute(pragma)

            store._engine.dispose()
        queue = MessageQueue(store)
        # the server finds this process by its EHLO name
        glue = "&" if "?" in job["smtp"] else "?"
        smtp = f"{job['smtp']}{glue}local_hostname=child-{os.getpid()}"
        channel = open_channel(smtp)

        @sa.event.listens_for(store._engine, "commit")
        def _commit(_conn: Any) -> None:
            if phase["now"]:
                hit(f"{phase['now']}-commit")

        claim, record, send = queue.claim, queue.record, channel.send

        def claim_(*args: Any, **kwargs: Any) -> Any:
            phase["now"] = "claim"
            try:
                message = claim(*args, **kwargs)
            finally:
                phase["now"] = ""
            if message is not None:
                hit("claimed")
            return message

        def record_(*args: Any, **kwargs: Any) -> Any:
            phase["now"] = "record"
            try:
                events = record(*args, **kwargs)
            finally:
                phase["now"] = ""
            hit("recorded")
            return events

        def send_(outgoing: Any) -> Any:
            hit("before-send")
            sent = send(outgoing)
            hit("after-send")
            return sent

        queue.claim = claim_  # type: ignore[method-assign]
        queue.record = record_  # type: ignore[method-assign]
        channel.send = send_  # type: ignore[method-assign]
        try:
            outcomes = dispatch(
                queue,
                {"email": channel},
                now=datetime.now(UTC),
                outbox=job.get("outbox"),
                worker=f"child-{os.getpid()}",
            )
        finally:
            channel.close()
            store.close()
    except Exception as exc:
        traceback.print_exc()
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 3
    if job.get("result"):
        with open(job["result"], "w", encoding="utf-8") as file:
            json.dump([[o.key, o.result, o.detail] for o in outcomes], file)
    return 0


def _child(job: dict[str, Any]) -> None:
    """In the forked child: standard streams to the job's log file, run, exit at once."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        if job.get("cwd"):
            os.chdir(job["cwd"])
        code = run_job(job)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    # the imports every child needs, done once here
    import sqlalchemy  # noqa: F401

    import dunning.channels.smtp
    import dunning.store  # noqa: F401

    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        out.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(job)
        out.write(f"pid {pid}\n")
        out.flush()
        _, status = os.waitpid(pid, 0)
        out.write(f"exit {pid} {os.waitstatus_to_exitcode(status)}\n")
        out.flush()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    elif sys.argv[1:2] == ["run"]:
        sys.exit(run_job(json.loads(sys.argv[2])))
    else:
        sys.exit("usage: fault_child.py serve | run JOB")
