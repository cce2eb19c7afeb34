"""Letters handed to a mailing service as files: a folder (``folder:///srv/drop``) or an SFTP
server (``sftp://user@host:22/inbox``), which prints, envelopes and posts them.

>>> from dunning.channels import open_channel
>>> channel = open_channel("sftp://tipografia@sftp.mailer.example/inbox?key_file=/etc/dunning/id_ed25519")
>>> print(channel)
sftp://tipografia@sftp.mailer.example/inbox?key_file=/etc/dunning/id_ed25519

Each letter (`Outgoing` with ``channel="postal"`` whose ``content`` is the letter's own PDF, as
`letter_outgoing` reads it from the outbox) is written as ``<name>.pdf``, the name made from
its idempotency key (`drop_name`). A whole batch — the outbox's ``letters.pdf`` with its
manifest ``letters.csv`` and ``letters.json`` — goes with `DropChannel.drop_batch`.

The service must never pick up half a file or half a batch, and a letter must never be
replaced by another, so:

- every file is first written under a temporary name beginning with ``.`` (which a service
  ignores), made private (``0600``), flushed, and only then given its name;
- a file is never overwritten: if the name is taken by the same bytes, the letter is already
  there (a second send is harmless); by other bytes, it is a `PermanentFailure`;
- a batch is written into the hidden folder ``.<batch>.partial/``, manifest last, renamed to
  ``<batch>/`` in one step, and then ``<batch>.done`` is written next to it, listing each
  file with its size and SHA-256: a service that waits for the ``.done`` file (or for the
  folder) always sees the whole batch.

The SFTP drop verifies the server's host key against ``known_hosts`` (default
``~/.ssh/known_hosts``) and refuses an unknown or changed key; ``insecure_host_key=true``
accepts any key, is logged as a warning at every connection and shown in the ``repr``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import os
import posixpath
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import attrs

from ._net import backoff
from .base import (
    BaseChannel,
    ChannelConfigError,
    ChannelError,
    Outgoing,
    PermanentFailure,
    Secret,
    Sent,
    TemporaryFailure,
)
from .registry import ChannelInfo, ChannelURL, Option

__all__ = [
    "BATCH_FILES",
    "DropChannel",
    "FolderDrop",
    "SFTPDrop",
    "drop_name",
    "letter_outgoing",
]

logger = logging.getLogger("dunning.channels.drop")

#: the files of a batch, in the order they are written (the manifest last)
BATCH_FILES = ("letters.pdf", "letters.csv", "letters.json")
SFTP_EXTRA = "sftp"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _now() -> datetime:
    return datetime.now(UTC)


def drop_name(key: str, suffix: str = ".pdf") -> str:
    """The file name of the letter with idempotency key ``key``: the key with every run of
    other characters than letters, digits, ``.``, ``_`` and ``-`` made one ``_``.

    >>> drop_name("C001/2026-04-09/formal_notice-1/postal")
    'C001_2026-04-09_formal_notice-1_postal.pdf'
    """
    name = _UNSAFE.sub("_", key).strip("._") or hashlib.sha256(key.encode()).hexdigest()[:16]
    return name + suffix


def letter_outgoing(
    path: str | os.PathLike[str], key: str, *, recipient: str = "", sender: str = "dunning"
) -> Outgoing:
    """The `Outgoing` for the letter PDF at ``path`` (a file of the outbox) with idempotency
    key ``key``; ``recipient`` (the addressee's name, for the logs) defaults to the file's
    name."""
    path = Path(path)
    return Outgoing(key, "postal", recipient or path.name, sender, path.read_bytes())


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DropChannel(BaseChannel):
    """What the folder and the SFTP drop share: the file conventions. Subclasses give the
    file operations (`_read`, `_write_new`, `_rename`, `_mkdir`, `_exists`)."""

    name = "drop"
    root: str = ""

    def __init__(self, *, clock: Callable[[], datetime] = _now) -> None:
        super().__init__()
        self._clock = clock

    # -- the file operations ---------------------------------------------------------------

    def _read(self, path: str) -> bytes | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _exists(self, path: str) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def _write_tmp(self, folder: str, data: bytes) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _link(self, tmp: str, path: str) -> None:  # pragma: no cover - abstract
        """Give ``tmp`` the name ``path``; `FileExistsError` when it is taken."""
        raise NotImplementedError

    def _remove(self, path: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _mkdir(self, path: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _listdir(self, path: str) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _join(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts) if self.root else posixpath.join(*parts)

    @contextlib.contextmanager
    def _errors(self, outgoing_key: str, what: str) -> Iterator[None]:
        try:
            yield
        except ChannelError:
            raise
        except PermissionError as exc:
            raise PermanentFailure(
                f"{what}: permission denied ({exc})", key=outgoing_key, channel="postal"
            ) from None
        except (OSError, EOFError) as exc:
            raise TemporaryFailure(f"{what}: {exc}", key=outgoing_key, channel="postal") from None

    def _put(self, key: str, path: str, data: bytes) -> bool:
        """Write ``data`` as ``path``, never over another file; True when it was already
        there with the same bytes."""
        existing = self._read(path)
        if existing is not None:
            return self._same(key, path, existing, data)
        folder = posixpath.dirname(path)
        tmp = self._write_tmp(folder, data)
        try:
            self._link(tmp, path)
        except FileExistsError:
            self._remove(tmp)
            existing = self._read(path)
            return self._same(key, path, existing or b"", data)
        except BaseException:
            with contextlib.suppress(OSError):
                self._remove(tmp)
            raise
        return False

    def _same(self, key: str, path: str, existing: bytes, data: bytes) -> bool:
        if existing == data:
            return True
        raise PermanentFailure(
            f"{self._where(path)} already holds a different file "
            f"(sha256 {_digest(existing)[:12]}…, this one {_digest(data)[:12]}…); "
            "not overwritten",
            key=key,
            channel="postal",
        )

    def _where(self, path: str) -> str:
        return path

    # -- sending ---------------------------------------------------------------------------

    def deliver(self, message: Outgoing) -> Sent:
        """Write the letter's PDF into the drop as `drop_name` of its key."""
        name = drop_name(message.key)
        path = self._join(name)
        with self._errors(message.key, f"cannot write {self._where(path)}"):
            already = self._put(message.key, path, message.content)
        detail = ("already in " if already else "written to ") + self._where(path)
        logger.info("letter %r %s", message.key, detail)
        return Sent(
            key=message.key,
            channel=message.channel,
            accepted_at=self._clock(),
            transport_id=name,
            detail=f"{detail} (sha256 {_digest(message.content)})",
        )

    def drop_batch(
        self,
        outbox: str | os.PathLike[str],
        *,
        batch: str | None = None,
        files: tuple[str, ...] = BATCH_FILES,
    ) -> Sent:
        """Hand the batch in ``outbox`` (its ``letters.pdf``, ``letters.csv`` and
        ``letters.json``) to the service as the folder ``<batch>/`` and its ``<batch>.done``
        marker; see the module's documentation. ``batch`` defaults to the outbox folder's
        name and the first 8 hex digits of the batch's SHA-256. Dropping the same batch
        again is harmless; a different batch under the same name is a `PermanentFailure`.
        Returns a `Sent` whose key and ``transport_id`` are the batch's name."""
        folder = Path(outbox)
        contents: dict[str, bytes] = {}
        for name in files:
            if not (folder / name).is_file():
                raise FileNotFoundError(f"{folder / name}: no such file; not a letters batch")
            contents[name] = (folder / name).read_bytes()
        whole = hashlib.sha256()
        for name, data in contents.items():
            whole.update(name.encode() + b"\0" + _digest(data).encode() + b"\n")
        batch = batch or drop_name(f"{folder.resolve().name}-{whole.hexdigest()[:8]}", "")
        if batch != drop_name(batch, "") or batch.startswith("."):
            raise ValueError(f"batch name {batch!r}: only letters, digits, . _ -")
        done = {
            "batch": batch,
            "files": [
                {"name": name, "size": len(data), "sha256": _digest(data)}
                for name, data in contents.items()
            ],
        }
        marker = (json.dumps(done, indent=2) + "\n").encode()
        final, partial = self._join(batch), self._join(f".{batch}.partial")
        with self._errors(batch, f"cannot drop batch {batch!r} in {self._where(final)}"):
            if self._exists(final):
                for name, data in contents.items():
                    existing = self._read(posixpath.join(final, name))
                    self._same(batch, posixpath.join(final, name), existing or b"", data)
                self._put(batch, final + ".done", marker)
                logger.info("batch %r already in %s", batch, self._where(final))
                return self._sent(batch, f"already in {self._where(final)}")
            if self._exists(partial):  # a drop that broke off: start again
                for name in self._listdir(partial):
                    self._remove(posixpath.join(partial, name))
            else:
                self._mkdir(partial)
            for name, data in contents.items():
                self._put(batch, posixpath.join(partial, name), data)
            try:
                self._link(partial, final)
            except FileExistsError:
                raise PermanentFailure(
                    f"{self._where(final)} appeared while the batch was written; not replaced",
                    key=batch,
                    channel="postal",
                ) from None
            self._put(batch, final + ".done", marker)
        logger.info("batch %r dropped in %s", batch, self._where(final))
        return self._sent(batch, f"dropped in {self._where(final)}")

    def _sent(self, batch: str, detail: str) -> Sent:
        return Sent(
            key=batch,
            channel="postal",
            accepted_at=self._clock(),
            transport_id=batch,
            detail=detail,
        )


# -- a folder --------------------------------------------------------------------------------


class _FolderInfo(ChannelInfo):
    """``folder:///srv/drop`` names the absolute path ``/srv/drop`` (``folder:///C:/drop``
    on Windows)."""

    def configure(
        self, scheme: str, url: ChannelURL | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if url is not None and url.path and not re.match(r"[A-Za-z]:[/\\]", url.path):
            url = attrs.evolve(url, path="/" + url.path)
        return super().configure(scheme, url, **kwargs)


class FolderDrop(DropChannel):
    """Letters written into a local (or mounted) folder: ``folder:///srv/drop``."""

    name = "folder"
    info: ClassVar[ChannelInfo] = _FolderInfo(
        name="folder",
        kinds=("postal",),
        schemes={"folder": {}},
        options=(
            Option("path", "path", required=True, doc="the drop folder (must exist)"),
            Option("host", doc="empty, or `localhost`"),
        ),
        doc="Letters and batches written into a folder a mailing service collects.",
    )

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        host: str | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        super().__init__(clock=clock)
        if host not in (None, "", "localhost"):
            raise ChannelConfigError(
                f"folder channel: folder://{host}/… names another machine; mount it, or use sftp://"
            )
        folder = Path(path)
        self.path = folder
        self.root = str(folder)

    def __str__(self) -> str:
        where = self.path.absolute().as_posix()
        return "folder://" + (where if where.startswith("/") else "/" + where)

    def __repr__(self) -> str:
        return f"<FolderDrop {self}>"

    def _check(self) -> None:
        if not self.path.is_dir():
            raise FileNotFoundError(f"the drop folder {self.path} does not exist")

    def _read(self, path: str) -> bytes | None:
        self._check()
        try:
            return Path(path).read_bytes()
        except FileNotFoundError:
            return None

    def _exists(self, path: str) -> bool:
        self._check()
        return os.path.lexists(path)

    def _write_tmp(self, folder: str, data: bytes) -> str:
        tmp = os.path.join(folder, f".tmp-{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return tmp

    def _link(self, tmp: str, path: str) -> None:
        if os.path.isdir(tmp):
            if os.path.lexists(path):
                raise FileExistsError(path)
            os.rename(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails when the name is taken: never overwrites
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links
                if os.path.lexists(path):
                    raise FileExistsError(path) from None
                os.rename(tmp, path)
                return
            os.unlink(tmp)
        _fsync_dir(os.path.dirname(path) or ".")

    def _remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    def _mkdir(self, path: str) -> None:
        os.mkdir(path, 0o700)

    def _listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(path))


def _fsync_dir(folder: str) -> None:
    if os.name == "nt":  # pragma: no cover - no directory fsync on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- SFTP ------------------------------------------------------------------------------------


def _paramiko() -> Any:
    try:
        return importlib.import_module("paramiko")
    except ImportError as exc:
        raise ChannelConfigError(
            f"the sftp channel needs an extra: pip install 'dunning[{SFTP_EXTRA}]' ({exc})"
        ) from None


class SFTPDrop(DropChannel):
    """Letters uploaded to a mailing service's SFTP server:
    ``sftp://user@host:22/inbox?key_file=…`` (needs ``pip install 'dunning[sftp]'``)."""

    name = "sftp"
    info: ClassVar[ChannelInfo] = ChannelInfo(
        name="sftp",
        kinds=("postal",),
        schemes={"sftp": {}},
        options=(
            Option("host", required=True, doc="the SFTP server's name or address"),
            Option("port", "int", 22, doc="its port"),
            Option("user", required=True, doc="the login"),
            Option("password", "secret", doc="its password (or `password_env=VARIABLE`)"),
            Option("key_file", "path", doc="a private key file to log in with instead"),
            Option("key_passphrase", "secret", doc="the passphrase of `key_file`"),
            Option(
                "known_hosts",
                "path",
                doc="the host keys to verify the server with (default `~/.ssh/known_hosts`)",
            ),
            Option(
                "insecure_host_key",
                "bool",
                False,
                doc="accept any host key (loud; for a test server only)",
            ),
            Option("path", doc="the drop folder on the server (must exist)"),
            Option("timeout", "float", 30.0, doc="seconds to wait to connect and for each reply"),
            Option("retries", "int", 2, doc="further attempts after a lost connection"),
            Option("backoff", "float", 2.0, doc="seconds before the first retry, then doubled"),
        ),
        doc="Letters and batches uploaded to a mailing service's SFTP server (dunning[sftp]).",
        extra=SFTP_EXTRA,
    )

    def __init__(
        self,
        host: str,
        port: int = 22,
        *,
        user: str,
        password: str | Secret | None = None,
        key_file: str | os.PathLike[str] | None = None,
        key_passphrase: str | Secret | None = None,
        known_hosts: str | os.PathLike[str] | None = None,
        insecure_host_key: bool = False,
        path: str | None = None,
        timeout: float = 30.0,
        retries: int = 2,
        backoff: float = 2.0,
        clock: Callable[[], datetime] = _now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(clock=clock)
        _paramiko()  # the extra is installed, or say which one to install
        where = f"sftp channel to {host!r}"
        if not host or not user:
            raise ChannelConfigError("sftp channel: options 'host' and 'user' are required")
        if password is not None and not isinstance(password, Secret):
            password = Secret(password)
        if key_passphrase is not None and not isinstance(key_passphrase, Secret):
            key_passphrase = Secret(key_passphrase)
        if not password and key_file is None:
            raise ChannelConfigError(f"{where}: give password (password_env=) or key_file")
        if timeout <= 0 or retries < 0 or backoff < 0:
            raise ChannelConfigError(f"{where}: timeout must be > 0, retries and backoff >= 0")
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.key_file = Path(key_file) if key_file is not None else None
        self.key_passphrase = key_passphrase
        self.known_hosts = Path(known_hosts) if known_hosts is not None else None
        self.insecure_host_key = insecure_host_key
        self.path = (path or "").strip("/")
        if self.path.startswith("~"):  # sftp://host/~/inbox: relative to the login's home
            self.root = self.path.lstrip("~").strip("/") or "."
        else:
            self.root = "/" + self.path if self.path else "."
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._ssh: Any = None
        self._sftp: Any = None
        #: how many connections this channel opened
        self.connections = 0

    def _options(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "key_file": self.key_file,
            "key_passphrase": self.key_passphrase,
            "known_hosts": self.known_hosts,
            "insecure_host_key": self.insecure_host_key,
            "path": self.path,
            "timeout": self.timeout,
            "retries": self.retries,
            "backoff": self.backoff,
        }

    def __str__(self) -> str:
        return str(self.info.url("sftp", self._options()))

    def __repr__(self) -> str:
        loud = " INSECURE: the server's host key is not verified" if self.insecure_host_key else ""
        return f"<SFTPDrop {self}{loud}>"

    def _where(self, path: str) -> str:
        return f"sftp://{self.host}:{self.port}/{path.lstrip('./')}"

    # -- the connection ----------------------------------------------------------------------

    def _connect(self) -> Any:
        if self._sftp is not None:
            return self._sftp
        paramiko = _paramiko()
        where = f"{self.host}:{self.port}"
        ssh = paramiko.SSHClient()
        if self.insecure_host_key:
            logger.warning(
                "NOT verifying the host key of %s: anyone on the way can read the letters and "
                "the password (insecure_host_key=true)",
                where,
            )
            ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        else:
            known = self.known_hosts or Path("~/.ssh/known_hosts").expanduser()
            try:
                ssh.load_host_keys(str(known))
            except FileNotFoundError:
                raise ChannelConfigError(
                    f"sftp channel to {where}: no known_hosts file {known} to verify the server "
                    "with (known_hosts=FILE; ssh-keyscan can make one, check it)"
                ) from None
            ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            ssh.connect(
                self.host,
                port=self.port,
                username=self.user,
                password=self.password.reveal() if self.password else None,
                key_filename=str(self.key_file) if self.key_file else None,
                passphrase=self.key_passphrase.reveal() if self.key_passphrase else None,
                timeout=self.timeout,
                banner_timeout=self.timeout,
                auth_timeout=self.timeout,
                allow_agent=False,
                look_for_keys=False,
            )
            sftp = ssh.open_sftp()
            sftp.get_channel().settimeout(self.timeout)
        except paramiko.BadHostKeyException:
            ssh.close()
            raise PermanentFailure(
                f"the host key of {where} has CHANGED from the one in known_hosts: not "
                "connecting (someone may be in the middle; check with the service)"
            ) from None
        except paramiko.AuthenticationException:
            ssh.close()
            raise PermanentFailure(f"{where} refused the login of user {self.user!r}") from None
        except paramiko.SSHException as exc:
            ssh.close()
            text = self._scrub(str(exc))
            if "not found in known_hosts" in text:
                raise PermanentFailure(
                    f"the host key of {where} is not in known_hosts: not connecting ({text})"
                ) from None
            raise TemporaryFailure(f"no SSH connection to {where}: {text}") from None
        except (OSError, EOFError) as exc:
            ssh.close()
            raise TemporaryFailure(f"no connection to {where}: {self._scrub(str(exc))}") from None
        self._ssh, self._sftp = ssh, sftp
        self.connections += 1
        logger.info("connected to sftp://%s as %s", where, self.user)
        return sftp

    def _scrub(self, text: str) -> str:
        for secret in (self.password, self.key_passphrase):
            if secret and secret.reveal() in text:
                text = text.replace(secret.reveal(), "***")
        return text

    def close(self) -> None:
        """Close the SFTP session and the SSH connection; harmless when there is none."""
        sftp, ssh, self._sftp, self._ssh = self._sftp, self._ssh, None, None
        for thing in (sftp, ssh):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.close()

    def _with_retries(self, key: str, action: Callable[[], Any]) -> Any:
        attempt = 0
        while True:
            try:
                return action()
            except TemporaryFailure as failure:
                self.close()
                if attempt >= self.retries:
                    raise TemporaryFailure(failure.message, key=key, channel="postal") from None
                delay = backoff(self.backoff, attempt)
                attempt += 1
                logger.warning(
                    "%s; retry %d of %d in %.1f s", failure, attempt, self.retries, delay
                )
                self._sleep(delay)
            except PermanentFailure as failure:
                if failure.key is None:
                    raise PermanentFailure(failure.message, key=key, channel="postal") from None
                raise

    def deliver(self, message: Outgoing) -> Sent:
        """Upload the letter's PDF (see `DropChannel.deliver`), retrying a lost connection."""
        result: Sent = self._with_retries(
            message.key, lambda: super(SFTPDrop, self).deliver(message)
        )
        return result

    def drop_batch(
        self,
        outbox: str | os.PathLike[str],
        *,
        batch: str | None = None,
        files: tuple[str, ...] = BATCH_FILES,
    ) -> Sent:
        """Upload the batch in ``outbox`` (see `DropChannel.drop_batch`)."""
        result: Sent = self._with_retries(
            batch or "batch",
            lambda: super(SFTPDrop, self).drop_batch(outbox, batch=batch, files=files),
        )
        return result

    # -- the file operations -----------------------------------------------------------------

    def _read(self, path: str) -> bytes | None:
        sftp = self._connect()
        try:
            with sftp.open(path, "rb") as remote:
                data: bytes = remote.read()
                return data
        except FileNotFoundError:
            return None

    def _exists(self, path: str) -> bool:
        sftp = self._connect()
        try:
            sftp.lstat(path)
        except FileNotFoundError:
            return False
        return True

    def _write_tmp(self, folder: str, data: bytes) -> str:
        sftp = self._connect()
        tmp = posixpath.join(folder, f".tmp-{secrets.token_hex(8)}")
        with sftp.open(tmp, "wbx") as remote:
            remote.chmod(0o600)
            remote.set_pipelined(True)
            remote.write(data)
        if sftp.stat(tmp).st_size != len(data):
            raise OSError(f"{tmp}: the upload is incomplete")
        return tmp

    def _link(self, tmp: str, path: str) -> None:
        sftp = self._connect()
        try:
            sftp.lstat(path)
        except FileNotFoundError:
            pass
        else:
            raise FileExistsError(path)
        # SFTP rename fails when the new name exists (draft-ietf-secsh-filexfer-02 §6.5)
        try:
            sftp.rename(tmp, path)
        except OSError:
            try:
                sftp.lstat(path)
            except FileNotFoundError:
                raise
            raise FileExistsError(path) from None

    def _remove(self, path: str) -> None:
        sftp = self._connect()
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISDIR(sftp.lstat(path).st_mode or 0):
                sftp.rmdir(path)
            else:
                sftp.remove(path)

    def _mkdir(self, path: str) -> None:
        self._connect().mkdir(path, 0o700)

    def _listdir(self, path: str) -> list[str]:
        return sorted(self._connect().listdir(path))
