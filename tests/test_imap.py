"""The IMAP reader and `dunning receipts imaps://...` against a real Dovecot on loopback.

The fixture starts Dovecot (from the system's packages; `.ci/run` installs ``dovecot-imapd``)
in the foreground with its own configuration, ``base_dir``, ports and passwd-file in a
temporary folder, TLS with a certificate made here by ``trustme``, and a plain-IMAP listener on
127.0.0.1. Messages are delivered with IMAP ``APPEND``. Skipped when ``dovecot`` is missing.
"""

from __future__ import annotations

import email
import grp
import imaplib
import io
import json
import logging
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

from dunning import DeliveryConfirmed, DeliveryFailed
from dunning.channels import ChannelConfigError
from dunning.channels.imap import IMAPError, IMAPMailbox
from dunning.cli import main
from dunning.testing import bounce, pec_envelope, pec_receipt
from helpers import history_of

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"
LATER = datetime(2026, 7, 15, 9, 0, 41, tzinfo=timezone(timedelta(hours=2)))
USER, PASSWORD = "crediti", "pec-s3cret-42"


def _dovecot() -> str:
    found = shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None,
    )
    if found is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@attrs.frozen
class Server:
    host: str
    imaps_port: int
    imap_port: int
    cafile: Path
    base: Path

    def client(self) -> imaplib.IMAP4:
        context = ssl.create_default_context(cafile=str(self.cafile))
        conn = imaplib.IMAP4_SSL(self.host, self.imaps_port, ssl_context=context, timeout=10)
        conn.login(USER, PASSWORD)
        return conn

    def deliver(self, *messages: bytes, mailbox: str = "INBOX", seen: bool = False) -> None:
        conn = self.client()
        try:
            conn.create(f'"{mailbox}"')  # NO when it exists: fine
            for data in messages:
                flags = "(\\Seen)" if seen else None
                status, _ = conn.append(f'"{mailbox}"', flags, None, data)
                assert status == "OK"
        finally:
            conn.logout()

    def flags(self, mailbox: str = "INBOX") -> dict[int, str]:
        conn = self.client()
        try:
            conn.select(f'"{mailbox}"', readonly=True)
            _, data = conn.uid("FETCH", "1:*", "(FLAGS)")
            found = {}
            for line in data:
                if isinstance(line, bytes):
                    text = line.decode()
                    uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                    flags = text.split("FLAGS (")[1].split(")")[0].split()
                    found[uid] = " ".join(f for f in flags if f != "\\Recent")
            _status, data = conn.search(None, "DELETED")
            assert data == [b""]
            return found
        finally:
            conn.logout()

    def url(self, mailbox: str = "INBOX", *, scheme: str = "imaps", **query: str) -> str:
        port = self.imaps_port if scheme == "imaps" else self.imap_port
        params = {"password_env": "DUNNING_TEST_IMAP_PASSWORD", **query}
        text = "&".join(f"{k}={v}" for k, v in params.items())
        return f"{scheme}://{USER}@{self.host}:{port}/{mailbox.replace(' ', '%20')}?{text}"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Server]:
    binary = _dovecot()
    trustme = pytest.importorskip("trustme")
    # its own folder, readable by the unprivileged mail user when the tests run as root
    base = Path(tempfile.mkdtemp(prefix="dunning-dovecot-"))
    base.chmod(0o755)
    try:
        ca = trustme.CA()
        ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(
            str(base / "server.pem")
        )
        (base / "server.pem").chmod(0o600)
        ca.cert_pem.write_to_path(str(base / "ca.pem"))
        (base / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
        (base / "passwd").chmod(0o644)
        for sub in ("run", "state", "home"):
            (base / sub).mkdir()
        if os.geteuid() == 0:
            # Dovecot refuses to serve mail as root: an unprivileged user owns the mailboxes
            mail_user = next(u for u in ("nobody", "dovenull", "dovecot") if _user_exists(u))
            internal, login = _first_user("dovecot", "nobody"), _first_user("dovenull", "nobody")
            entry = pwd.getpwnam(mail_user)
            os.chown(base / "home", entry.pw_uid, entry.pw_gid)
            uid, gid = entry.pw_uid, entry.pw_gid
            group = ""
        else:
            # everything runs as this user, its sockets in this user's group
            me = pwd.getpwuid(os.geteuid())
            internal = login = me.pw_name
            uid, gid = me.pw_uid, me.pw_gid
            group = f"default_internal_group = {grp.getgrgid(os.getegid()).gr_name}"
        imaps, imap = _free_port(), _free_port()
        config = base / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {base}/run
state_dir = {base}/state
instance_name = dunning-test-{os.getpid()}
listen = 127.0.0.1
protocols = imap
log_path = {base}/dovecot.log
ssl = yes
ssl_cert = <{base}/server.pem
ssl_key = <{base}/server.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
{group}
first_valid_uid = 1
first_valid_gid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
""",
            encoding="utf-8",
        )
        process = subprocess.Popen(
            [binary, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 15
            while True:
                if process.poll() is not None:
                    err = process.stderr.read().decode() if process.stderr else ""
                    log = base / "dovecot.log"
                    err += log.read_text(errors="replace") if log.exists() else ""
                    pytest.fail(f"dovecot did not start: {err}")
                try:
                    with socket.create_connection(("127.0.0.1", imaps), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail("dovecot does not listen after 15 s")
                    time.sleep(0.1)
            yield Server("127.0.0.1", imaps, imap, base / "ca.pem", base)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr:
                process.stderr.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _first_user(*names: str) -> str:
    return next(n for n in names if _user_exists(n))


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DUNNING_TEST_IMAP_PASSWORD", PASSWORD)
    return PASSWORD


_COUNTER = iter(range(10_000))


@pytest.fixture
def folder_name() -> str:
    """A fresh IMAP folder per test (the server is shared by the module)."""
    return f"Ricevute PEC {next(_COUNTER)}"


# --- the reader --------------------------------------------------------------------------


def test_reads_every_message_with_its_uid_and_leaves_the_flags(
    dovecot: Server, password: str, folder_name: str
) -> None:
    one, two = pec_receipt("accettazione", "<a@x.it>"), pec_receipt("accettazione", "<b@x.it>")
    dovecot.deliver(one, two, mailbox=folder_name)
    dovecot.deliver(pec_receipt("accettazione", "<c@x.it>"), mailbox=folder_name, seen=True)
    url = dovecot.url(folder_name, cafile=str(dovecot.cafile))
    with IMAPMailbox.from_url(url) as box:
        found = list(box.messages())
        unseen = list(box.messages(unseen=True))
    assert [m.uid for m in found] == [1, 2, 3]
    assert found[0].data.replace(b"\r\n", b"\n") == one.replace(b"\r\n", b"\n")
    assert found[1].uidvalidity > 0
    assert found[1].source.endswith(f";UIDVALIDITY={found[1].uidvalidity}/;UID=2")
    assert PASSWORD not in found[1].source
    assert PASSWORD not in repr(found[1])
    assert [m.uid for m in unseen] == [1, 2]
    # reading changed nothing: still unseen, nothing deleted
    assert dovecot.flags(folder_name) == {1: "", 2: "", 3: "\\Seen"}


def test_mark_seen_marks_only_what_it_is_told(
    dovecot: Server, password: str, folder_name: str
) -> None:
    dovecot.deliver(b"Subject: a\r\n\r\na\r\n", b"Subject: b\r\n\r\nb\r\n", mailbox=folder_name)
    with IMAPMailbox.from_url(dovecot.url(folder_name, cafile=str(dovecot.cafile))) as box:
        assert [m.uid for m in box.messages(unseen=True)] == [1, 2]
        assert box.mark_seen([2]) == 1
        assert box.uids(unseen=True) == [1]
    assert dovecot.flags(folder_name) == {1: "", 2: "\\Seen"}


def test_plain_imap_on_loopback(dovecot: Server, password: str, folder_name: str) -> None:
    dovecot.deliver(b"Subject: a\r\n\r\na\r\n", mailbox=folder_name)
    with IMAPMailbox.from_url(dovecot.url(folder_name, scheme="imap")) as box:
        assert box.uids() == [1]
    with pytest.raises(ChannelConfigError, match="only for a server on this machine"):
        IMAPMailbox.from_url(f"imap://{USER}@imap.example.it/INBOX?password_env=X")


def test_the_certificate_is_verified_by_default(
    dovecot: Server, password: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        pytest.raises(IMAPError, match="certificate cannot be verified") as info,
        IMAPMailbox.from_url(dovecot.url()) as box,
    ):
        box.uids()
    assert PASSWORD not in str(info.value)
    with (
        caplog.at_level(logging.WARNING, logger="dunning.channels.imap"),
        IMAPMailbox.from_url(dovecot.url(verify="false")) as box,
    ):
        box.uids()
    assert "NOT verified" in caplog.text
    assert PASSWORD not in caplog.text


def test_a_wrong_password_or_folder_is_a_clear_error(dovecot: Server, password: str) -> None:
    box = IMAPMailbox.from_url(
        dovecot.url(cafile=str(dovecot.cafile)), password="wrong-password-99"
    )
    with pytest.raises(IMAPError, match="refuses the login of 'crediti'") as info:
        box.uids()
    assert "wrong-password-99" not in str(info.value)
    box.close()
    with (
        pytest.raises(IMAPError, match="cannot open the folder 'Nope'"),
        IMAPMailbox.from_url(dovecot.url("Nope", cafile=str(dovecot.cafile))) as box,
    ):
        box.uids()


def test_a_server_that_does_not_answer_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        box = IMAPMailbox("127.0.0.1", USER, "x", port=port, tls=False, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(IMAPError, match="cannot connect"):
            box.uids()
        assert time.monotonic() - started < 5


def test_settings_are_checked_and_the_password_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ChannelConfigError, match="no password"):
        IMAPMailbox.from_url("imaps://u@imap.example.it/INBOX")
    with pytest.raises(ChannelConfigError, match="'MISSING_VAR', which is not set"):
        IMAPMailbox.from_url("imaps://u@imap.example.it/INBOX?password_env=MISSING_VAR")
    with pytest.raises(ChannelConfigError, match="unknown option 'colour'"):
        IMAPMailbox.from_url("imaps://u@h/INBOX?password_env=X&colour=red")
    monkeypatch.setenv("X", "hunter2")
    box = IMAPMailbox.from_url("imaps://u@h/A%20B?password_env=X&timeout=5")
    assert (box.mailbox, box.port, box.timeout, box.password.reveal()) == (
        "A B",
        993,
        5.0,
        "hunter2",
    )
    assert "hunter2" not in repr(box) + str(box) + repr(vars(box))
    box = IMAPMailbox.from_url(
        "imaps://crediti%40pec.example.it@imaps.pec.example/INBOX?password_env=X"
    )
    assert box.user == "crediti@pec.example.it"
    assert str(box) == "imaps://crediti%40pec.example.it@imaps.pec.example:993/INBOX"
    with pytest.raises(ChannelConfigError) as info:
        IMAPMailbox.from_url("imaps://u:hunter2@h:notaport/INBOX")
    assert "hunter2" not in str(info.value)


# --- dunning receipts imaps://... ----------------------------------------------------------


@pytest.fixture
def sent(tmp_path: Path) -> tuple[Path, dict[str, tuple[str, str]]]:
    folder = tmp_path / "tipografia"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dunning"))
    outbox = tmp_path / "outbox"
    assert (
        main(
            ["run", str(folder), "--as-of", "2026-07-15", "--outbox", str(outbox)],
            out=io.StringIO(),
        )
        == 0
    )
    ids = {}
    for entry in json.loads((outbox / "outbox.json").read_text(encoding="utf-8")):
        if entry["channel"] in ("email", "pec"):
            mail = email.message_from_bytes((outbox / entry["file"]).read_bytes())
            ids[entry["channel"]] = (str(mail["Message-ID"]), entry["key"])
    return folder, ids


def test_a_receipt_fetched_over_imaps_becomes_the_right_event(
    dovecot: Server,
    password: str,
    folder_name: str,
    sent: tuple[Path, dict[str, tuple[str, str]]],
) -> None:
    folder, ids = sent
    pec_id, pec_key = ids["pec"]
    mail_id, mail_key = ids["email"]
    dovecot.deliver(
        pec_receipt("accettazione", pec_id, timestamp=LATER),
        pec_receipt("avvenuta-consegna", pec_id, timestamp=LATER),
        bounce(mail_id, "5.1.1", timestamp=LATER),
        pec_envelope("<reply@pec.debitore.example.it>"),
        mailbox=folder_name,
    )
    url = dovecot.url(folder_name, cafile=str(dovecot.cafile))
    out = io.StringIO()
    assert main(["receipts", str(folder), url, "--mark-seen"], out=out) == 0
    text = out.getvalue()
    assert PASSWORD not in text
    lines = text.splitlines()
    assert lines[0] == f"Reading {dovecot.url(folder_name).split('?')[0]}"
    assert lines[1].startswith(f"UID 1: C040 {pec_key}: PEC accettazione")
    assert lines[2].startswith(f"UID 2: C040 {pec_key}: delivered on 2026-07-15 09:00:41+02:00")
    assert lines[3].startswith(f"UID 3: {mail_key[:4]} {mail_key}: failed on 2026-07-15")
    assert lines[4].startswith("UID 4: skipped: a transport envelope")
    assert "2 event(s) recorded" in text
    assert lines[-1] == "3 message(s) marked as seen."
    history = history_of(folder)
    [confirmed] = [e for e in history if isinstance(e, DeliveryConfirmed)]
    assert (confirmed.key, confirmed.channel, confirmed.date.isoformat()) == (
        pec_key,
        "pec",
        "2026-07-15",
    )
    [failed] = [e for e in history if isinstance(e, DeliveryFailed)]
    assert failed.key == mail_key
    sha = confirmed.evidence.rsplit("sha256:", 1)[1]
    kept = folder / ".dunning" / "evidence" / f"{sha}.eml"
    assert b"avvenuta-consegna" in kept.read_bytes()
    # the debtor's certified reply stays unread for a person; nothing was deleted
    assert dovecot.flags(folder_name) == {1: "\\Seen", 2: "\\Seen", 3: "\\Seen", 4: ""}

    # a second run records nothing new; --unseen reads only the reply
    out = io.StringIO()
    assert main(["receipts", str(folder), url], out=out) == 0
    assert out.getvalue().splitlines()[-1] == "Nothing new to record."
    out = io.StringIO()
    assert main(["receipts", str(folder), url, "--unseen"], out=out) == 0
    assert "1 message(s) read: 1 skipped." in out.getvalue()


def test_dry_run_over_imap_marks_nothing(
    dovecot: Server,
    password: str,
    folder_name: str,
    sent: tuple[Path, dict[str, tuple[str, str]]],
) -> None:
    folder, ids = sent
    dovecot.deliver(pec_receipt("avvenuta-consegna", ids["pec"][0]), mailbox=folder_name)
    url = dovecot.url(folder_name, cafile=str(dovecot.cafile))
    out = io.StringIO()
    assert main(["receipts", str(folder), url, "--mark-seen", "--dry-run"], out=out) == 0
    assert "1 event(s) not recorded (--dry-run)." in out.getvalue()
    assert dovecot.flags(folder_name) == {1: ""}
    assert not (folder / ".dunning" / "evidence").exists()


def test_an_unreachable_mailbox_is_exit_status_2(
    password: str, sent: tuple[Path, dict[str, tuple[str, str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = sent
    url = f"imaps://{USER}@127.0.0.1:{_free_port()}/INBOX?password_env=DUNNING_TEST_IMAP_PASSWORD"
    assert main(["receipts", str(folder), url], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err
    assert PASSWORD not in err


def test_what_was_read_before_the_connection_broke_is_recorded(
    dovecot: Server,
    password: str,
    folder_name: str,
    sent: tuple[Path, dict[str, tuple[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, ids = sent
    pec_id, pec_key = ids["pec"]
    dovecot.deliver(
        pec_receipt("avvenuta-consegna", pec_id, timestamp=LATER),
        pec_receipt("accettazione", pec_id, timestamp=LATER),
        mailbox=folder_name,
    )
    fetch = IMAPMailbox.fetch

    def breaks_on_the_second(self: IMAPMailbox, uid: int) -> object:
        if uid == 2:
            raise IMAPError(f"{self}: UID FETCH failed: connection reset")
        return fetch(self, uid)

    monkeypatch.setattr(IMAPMailbox, "fetch", breaks_on_the_second)
    url = dovecot.url(folder_name, cafile=str(dovecot.cafile))
    out = io.StringIO()
    assert main(["receipts", str(folder), url, "--mark-seen"], out=out) == 2
    assert "1 event(s) recorded" in out.getvalue()
    assert "connection reset" in capsys.readouterr().err
    history = history_of(folder)
    assert [e.key for e in history if isinstance(e, DeliveryConfirmed)] == [pec_key]
    assert dovecot.flags(folder_name) == {1: "", 2: ""}  # not marked: the run did not finish
