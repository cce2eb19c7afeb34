"""The letters drop: a folder, and an SFTP server on loopback (paramiko's server classes, a
host key made in the test and verified by the client)."""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import os
import socket
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dunning.channels import (
    ChannelConfigError,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
    open_channel,
)
from dunning.channels.drop import BATCH_FILES, FolderDrop, SFTPDrop, drop_name, letter_outgoing
from dunning.testing import check_channel

SENTINEL = "Sentinel-Pw-d40c11"
PDF = b"%PDF-1.7\n% a letter\n%%EOF\n"


def letter(key: str = "C001/2026-04-09/formal_notice-1/postal", data: bytes = PDF) -> Outgoing:
    return Outgoing(key, "postal", "Osteria del Ponte", "Tipografia", data)


def outbox(folder: Path, tag: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "letters.pdf").write_bytes(PDF + tag.encode())
    (folder / "letters.csv").write_text(f"key,file\nC001/x/postal,C001.pdf{tag}\n")
    (folder / "letters.json").write_text(json.dumps([{"key": "C001/x/postal", "tag": tag}]))
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# -- a folder -------------------------------------------------------------------------------


def test_a_letter_is_written_private_and_atomically(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    channel = open_channel(f"folder://{drop.as_posix()}")
    assert isinstance(channel, FolderDrop)
    assert channel.path == drop
    assert str(channel) == f"folder://{drop.as_posix()}"
    receipt = channel.send(letter())
    name = "C001_2026-04-09_formal_notice-1_postal.pdf"
    assert receipt.transport_id == name
    assert receipt.channel == "postal"
    assert listing(drop) == [name]
    assert (drop / name).read_bytes() == PDF
    assert stat.S_IMODE((drop / name).stat().st_mode) == 0o600


def test_the_same_letter_again_is_harmless_another_is_refused(tmp_path: Path) -> None:
    FolderDrop(tmp_path).send(letter())
    again = FolderDrop(tmp_path).send(letter())
    assert again.detail.startswith("already in")
    with pytest.raises(PermanentFailure, match="different file"):
        FolderDrop(tmp_path).send(letter(data=b"%PDF another letter"))
    assert (tmp_path / drop_name(letter().key)).read_bytes() == PDF
    assert [p.name for p in tmp_path.iterdir()] == [drop_name(letter().key)]


def test_a_missing_drop_folder_is_temporary(tmp_path: Path) -> None:
    with pytest.raises(TemporaryFailure, match="does not exist"):
        FolderDrop(tmp_path / "not-mounted").send(letter())


def test_folder_settings() -> None:
    with pytest.raises(ChannelConfigError, match="another machine"):
        open_channel("folder://fileserver/drop")
    with pytest.raises(ChannelConfigError, match="'path' is required"):
        open_channel("folder://")


def test_a_batch_is_dropped_whole_with_its_done_marker_last(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    source = outbox(tmp_path / "2026-04-09")
    receipt = FolderDrop(drop).drop_batch(source)
    batch = receipt.transport_id
    assert batch.startswith("2026-04-09-")
    assert len(batch) == len("2026-04-09-") + 8
    assert listing(drop) == sorted(
        [batch, f"{batch}.done", *(f"{batch}/{name}" for name in BATCH_FILES)]
    )
    for name in BATCH_FILES:
        assert (drop / batch / name).read_bytes() == (source / name).read_bytes()
        assert stat.S_IMODE((drop / batch / name).stat().st_mode) == 0o600
    done = json.loads((drop / f"{batch}.done").read_text())
    assert [f["name"] for f in done["files"]] == list(BATCH_FILES)
    assert done["files"][0]["size"] == len(PDF)
    # again: nothing changes
    assert FolderDrop(drop).drop_batch(source).detail.startswith("already in")
    # another batch under the same name: refused, nothing replaced
    other = outbox(tmp_path / "other", tag="changed")
    with pytest.raises(PermanentFailure, match="different file"):
        FolderDrop(drop).drop_batch(other, batch=batch)
    assert (drop / batch / "letters.pdf").read_bytes() == PDF


def test_a_batch_broken_off_is_started_again(tmp_path: Path) -> None:
    source = outbox(tmp_path / "run")
    partial = tmp_path / "drop" / ".run.partial"
    partial.mkdir(parents=True)
    (partial / "letters.pdf").write_bytes(b"half a PDF")
    FolderDrop(tmp_path / "drop").drop_batch(source, batch="run")
    assert listing(tmp_path / "drop") == sorted(
        ["run", "run.done", *(f"run/{n}" for n in BATCH_FILES)]
    )
    with pytest.raises(FileNotFoundError, match="not a letters batch"):
        FolderDrop(tmp_path / "drop").drop_batch(tmp_path / "empty")
    with pytest.raises(ValueError, match="batch name"):
        FolderDrop(tmp_path / "drop").drop_batch(source, batch="../etc")


def test_letter_outgoing_reads_the_outbox_pdf(tmp_path: Path) -> None:
    (tmp_path / "C001.pdf").write_bytes(PDF)
    message = letter_outgoing(tmp_path / "C001.pdf", "C001/x/postal")
    assert (message.channel, message.content, message.recipients) == ("postal", PDF, ("C001.pdf",))


def test_folder_conformance(tmp_path: Path) -> None:
    (tmp_path / drop_name("taken")).write_bytes(b"another letter")
    check_channel(
        lambda: FolderDrop(tmp_path),
        message=lambda key: letter(key),
        permanent=letter("taken"),
    )


def test_the_module_lists_its_public_names() -> None:
    import dunning.channels.drop as module

    assert all(hasattr(module, name) for name in module.__all__)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and isinstance(value, type | type(test_the_module_lists_its_public_names))
        and getattr(value, "__module__", "") == module.__name__
    }
    assert public <= set(module.__all__)


# -- SFTP -----------------------------------------------------------------------------------

paramiko = pytest.importorskip("paramiko", reason="the sftp extra (paramiko) is not installed")


class _Handle(paramiko.SFTPHandle):  # type: ignore[misc]
    def stat(self) -> Any:
        return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))

    def chattr(self, attr: Any) -> int:
        paramiko.SFTPServer.set_file_attr(self.filename, attr)
        return paramiko.SFTP_OK


class _Files(paramiko.SFTPServerInterface):  # type: ignore[misc]
    """A file-backed SFTP server rooted at ``root``; ``rename`` never overwrites."""

    root = Path(".")

    def __init__(self, server: Any, *args: Any, root: Path, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        self.root = root

    def _real(self, path: str) -> str:
        return str(self.root / self.canonicalize(path).lstrip("/"))

    def _error(self, exc: OSError) -> int:
        return paramiko.SFTPServer.convert_errno(exc.errno)  # type: ignore[no-any-return]

    def list_folder(self, path: str) -> Any:
        try:
            real = self._real(path)
            out = []
            for name in os.listdir(real):
                attr = paramiko.SFTPAttributes.from_stat(os.lstat(os.path.join(real, name)))
                attr.filename = name
                out.append(attr)
            return out
        except OSError as exc:
            return self._error(exc)

    def stat(self, path: str) -> Any:
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self._real(path)))
        except OSError as exc:
            return self._error(exc)

    def lstat(self, path: str) -> Any:
        try:
            return paramiko.SFTPAttributes.from_stat(os.lstat(self._real(path)))
        except OSError as exc:
            return self._error(exc)

    def open(self, path: str, flags: int, attr: Any) -> Any:
        real = self._real(path)
        try:
            fd = os.open(real, flags | getattr(os, "O_BINARY", 0), 0o644)
        except OSError as exc:
            return self._error(exc)
        if flags & os.O_CREAT and attr is not None:
            attr._flags &= ~attr.FLAG_PERMISSIONS
            paramiko.SFTPServer.set_file_attr(real, attr)
        mode = (
            "ab" if flags & os.O_APPEND else ("r+b" if flags & (os.O_WRONLY | os.O_RDWR) else "rb")
        )
        handle = _Handle(flags)
        handle.filename = real
        handle.readfile = handle.writefile = os.fdopen(fd, mode)
        return handle

    def remove(self, path: str) -> int:
        try:
            os.remove(self._real(path))
        except OSError as exc:
            return self._error(exc)
        return paramiko.SFTP_OK  # type: ignore[no-any-return]

    def rename(self, oldpath: str, newpath: str) -> int:
        new = self._real(newpath)
        if os.path.lexists(new):
            return paramiko.SFTP_FAILURE  # type: ignore[no-any-return]
        try:
            os.rename(self._real(oldpath), new)
        except OSError as exc:
            return self._error(exc)
        return paramiko.SFTP_OK  # type: ignore[no-any-return]

    def mkdir(self, path: str, attr: Any) -> int:
        try:
            os.mkdir(self._real(path), 0o700)
        except OSError as exc:
            return self._error(exc)
        return paramiko.SFTP_OK  # type: ignore[no-any-return]

    def rmdir(self, path: str) -> int:
        try:
            os.rmdir(self._real(path))
        except OSError as exc:
            return self._error(exc)
        return paramiko.SFTP_OK  # type: ignore[no-any-return]

    def chattr(self, path: str, attr: Any) -> int:
        try:
            paramiko.SFTPServer.set_file_attr(self._real(path), attr)
        except OSError as exc:
            return self._error(exc)
        return paramiko.SFTP_OK  # type: ignore[no-any-return]


class _Login(paramiko.ServerInterface):  # type: ignore[misc]
    def __init__(self, password: str, key: Any) -> None:
        self.password = password
        self.key = key

    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey"

    def check_auth_password(self, username: str, password: str) -> int:
        ok = username == "tipografia" and password == self.password
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED  # type: ignore[no-any-return]

    def check_auth_publickey(self, username: str, key: Any) -> int:
        ok = username == "tipografia" and key == self.key
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED  # type: ignore[no-any-return]

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED  # type: ignore[no-any-return]
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED  # type: ignore[no-any-return]


class SFTPServer:
    """An SFTP server on loopback, serving ``root``, with a host key of its own."""

    def __init__(self, root: Path, client_key: Any) -> None:
        self.root = root
        self.host_key = paramiko.ECDSAKey.generate()
        self.client_key = client_key
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.transports: list[Any] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _Files, root=self.root)
            self.transports.append(transport)
            with contextlib.suppress(Exception):
                transport.start_server(server=_Login(SENTINEL, self.client_key))

    def known_hosts(self, path: Path, key: Any = None) -> Path:
        keys = paramiko.HostKeys()
        host_key = key or self.host_key
        keys.add(f"[127.0.0.1]:{self.port}", host_key.get_name(), host_key)
        keys.save(str(path))
        return path

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for transport in self.transports:
            transport.close()
        self.thread.join(5)


@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[SFTPServer]:
    root = tmp_path / "server"
    (root / "inbox").mkdir(parents=True)
    server = SFTPServer(root, paramiko.ECDSAKey.generate())
    yield server
    server.stop()


def sftp_channel(server: SFTPServer, tmp_path: Path, **options: Any) -> SFTPDrop:
    settings: dict[str, Any] = {
        "user": "tipografia",
        "password": SENTINEL,
        "known_hosts": server.known_hosts(tmp_path / "known_hosts"),
        "path": "inbox",
        "timeout": 5.0,
        "retries": 0,
    }
    return SFTPDrop("127.0.0.1", server.port, **(settings | options))


def test_a_letter_is_uploaded_over_sftp(sftp: SFTPServer, tmp_path: Path) -> None:
    with sftp_channel(sftp, tmp_path) as channel:
        receipt = channel.send(letter())
        assert channel.send(letter()) == receipt
        assert channel.connections == 1
    file = sftp.root / "inbox" / drop_name(letter().key)
    assert file.read_bytes() == PDF
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert listing(sftp.root / "inbox") == [file.name]
    assert receipt.detail.startswith(f"written to sftp://127.0.0.1:{sftp.port}/inbox/")


def test_sftp_with_a_key_file_from_a_settings_string(sftp: SFTPServer, tmp_path: Path) -> None:
    key_file = tmp_path / "id_ecdsa"
    sftp.client_key.write_private_key_file(str(key_file))
    known = sftp.known_hosts(tmp_path / "known_hosts")
    url = f"sftp://tipografia@127.0.0.1:{sftp.port}/inbox?key_file={key_file}&known_hosts={known}"
    channel = open_channel(url)
    assert isinstance(channel, SFTPDrop)
    with channel:
        channel.send(letter())
    with open_channel(url) as again, pytest.raises(PermanentFailure, match="different file"):
        again.send(letter(data=b"%PDF other"))
    assert (sftp.root / "inbox" / drop_name(letter().key)).read_bytes() == PDF


def test_a_batch_over_sftp(sftp: SFTPServer, tmp_path: Path) -> None:
    source = outbox(tmp_path / "2026-04-09")
    with sftp_channel(sftp, tmp_path) as channel:
        batch = channel.drop_batch(source, batch="2026-04-09").transport_id
        assert channel.drop_batch(source, batch=batch).detail.startswith("already in")
        with pytest.raises(PermanentFailure, match="different file"):
            channel.drop_batch(outbox(tmp_path / "x", "changed"), batch=batch)
    inbox = sftp.root / "inbox"
    assert listing(inbox) == sorted(
        [batch, f"{batch}.done", *(f"{batch}/{name}" for name in BATCH_FILES)]
    )
    assert (inbox / batch / "letters.json").read_bytes() == (source / "letters.json").read_bytes()


def test_an_unknown_or_changed_host_key_is_refused(sftp: SFTPServer, tmp_path: Path) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    with pytest.raises(PermanentFailure, match="not in known_hosts"):
        sftp_channel(sftp, tmp_path, known_hosts=empty).send(letter())
    impostor = sftp.known_hosts(tmp_path / "other", key=paramiko.ECDSAKey.generate())
    with pytest.raises(PermanentFailure, match="CHANGED"):
        sftp_channel(sftp, tmp_path, known_hosts=impostor).send(letter())
    with pytest.raises(ChannelConfigError, match="no known_hosts file"):
        sftp_channel(sftp, tmp_path, known_hosts=tmp_path / "missing").send(letter())
    assert listing(sftp.root / "inbox") == []


def test_insecure_host_key_is_explicit_and_loud(
    sftp: SFTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    channel = sftp_channel(sftp, tmp_path, known_hosts=None, insecure_host_key=True)
    assert "INSECURE" in repr(channel)
    with caplog.at_level(logging.WARNING, "dunning.channels.drop"), channel:
        channel.send(letter())
    assert any("NOT verifying the host key" in r.getMessage() for r in caplog.records)


def test_a_wrong_password_is_permanent_and_a_dead_server_temporary(
    sftp: SFTPServer, tmp_path: Path
) -> None:
    with pytest.raises(PermanentFailure, match="refused the login"):
        sftp_channel(sftp, tmp_path, password="wrong").send(letter())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits: list[float] = []
    dead = SFTPDrop(
        "127.0.0.1",
        port,
        user="tipografia",
        password=SENTINEL,
        known_hosts=sftp.known_hosts(tmp_path / "kh"),
        retries=1,
        sleep=waits.append,
    )
    with pytest.raises(TemporaryFailure, match="no connection"):
        dead.send(letter())
    assert waits == [2.0]


def test_sftp_conformance_and_redaction(sftp: SFTPServer, tmp_path: Path) -> None:
    (sftp.root / "inbox" / drop_name("taken")).write_bytes(b"another")
    check_channel(
        lambda: sftp_channel(sftp, tmp_path),
        message=lambda key: letter(key),
        permanent=letter("taken"),
        secret=SENTINEL,
    )
    channel = sftp_channel(sftp, tmp_path)
    assert SENTINEL not in repr(channel)
    assert SENTINEL not in str(channel)


def test_sftp_settings_and_the_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    channel = open_channel("sftp://tipografia@sftp.mailer.example/inbox", password="x")
    assert str(channel) == "sftp://tipografia:***@sftp.mailer.example/inbox"
    with pytest.raises(ChannelConfigError, match="password"):
        open_channel("sftp://tipografia@sftp.mailer.example/inbox")
    real_import = builtins.__import__

    def blocked(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "paramiko" or name.startswith("paramiko."):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked)
    for name in [m for m in sys.modules if m == "paramiko" or m.startswith("paramiko.")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ChannelConfigError, match=r"pip install 'dunning\[sftp\]'"):
        open_channel("sftp://tipografia@sftp.mailer.example/inbox", password="x")
