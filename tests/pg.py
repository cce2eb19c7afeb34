"""A throw-away PostgreSQL server for the tests: ``initdb`` into a temporary folder, ``pg_ctl
start`` on a free loopback port (its unix socket in the same folder), stopped at the end.

PostgreSQL refuses to run as root: when the tests run as root the server commands run as the
``postgres`` user (``runuser``), which owns the temporary folder. The binaries are found under
``/usr/lib/postgresql/*/bin/`` (Debian and Ubuntu's ``postgresql`` package, which ``.ci/run``
installs) or on the ``PATH``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import attrs


def find_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` (the newest version), or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@attrs.define
class Server:
    """A running server: `new_database` gives a fresh database's URL."""

    port: int
    user: str
    _names: Iterator[int] = attrs.field(factory=lambda: count(1))

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"t{next(self._names)}"
        dsn = f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@contextmanager
def postgres_server(bin_dir: Path) -> Iterator[Server]:
    """Start a server, yield it, stop it and remove its folder."""
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="dunning-pg-"))
    if as_root:
        account = pwd.getpwnam("postgres")
        os.chown(root, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    user = "postgres"
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}

    def run(*args: str) -> None:
        subprocess.run(
            [*prefix, *args], check=True, env=env, capture_output=True, text=True, cwd=root
        )

    try:
        run(
            str(bin_dir / "initdb"),
            "-D", str(data),
            "-U", user,
            "--auth=trust",
            "-E", "UTF8",
            "--locale=C",
            "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
        try:
            yield Server(port, user)
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    except subprocess.CalledProcessError as error:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(
            f"PostgreSQL for the tests: {' '.join(error.cmd)} failed:\n{error.stderr}\n{tail}"
        ) from None
    finally:
        shutil.rmtree(root, ignore_errors=True)
