"""The SMTP channel against real SMTP servers on loopback: aiosmtpd, with certificates from a
throw-away CA (trustme), and raw sockets for the servers that misbehave. No external network."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from dunning.channels import (
    ChannelConfigError,
    InDoubt,
    Outgoing,
    PermanentFailure,
    Sent,
    TemporaryFailure,
    TLSFailure,
    open_channel,
)
from dunning.channels.smtp import SMTPChannel
from dunning.testing import ChannelContract, check_channel, sample_message

SENTINEL = "Sentinel-Pw-7f3a9c"
HOST = "127.0.0.1"


class Recorder:
    """An aiosmtpd handler that keeps what it accepts and answers as told."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.data_calls = 0
        self.ehlos = 0
        self.logins: list[tuple[str, str, str]] = []
        self.data_replies: list[str] = []
        self.rcpt_replies: dict[str, str] = {}

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.ehlos += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_calls += 1
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return f"250 2.0.0 Ok: queued as Q{len(self.messages):04d}"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((mechanism, login, password))
        return AuthResult(success=password == SENTINEL, handled=False)


class Loopback(Controller):
    """An aiosmtpd controller on a free port of 127.0.0.1 that counts connections."""

    def __init__(self, handler: Recorder, **kwargs: Any) -> None:
        super().__init__(handler, hostname=HOST, port=0, **kwargs)
        self.connections = 0

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    def factory(self) -> Any:
        self.connections += 1
        return super().factory()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def cafile(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost").configure_cert(context)
    return context


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[Loopback, Recorder]]]:
    started: list[Loopback] = []

    def start(handler: Recorder | None = None, **kwargs: Any) -> tuple[Loopback, Recorder]:
        handler = handler or Recorder()
        if kwargs.pop("auth", False):
            kwargs["authenticator"] = handler.authenticate
        controller = Loopback(handler, **kwargs)
        controller.start()
        controller.connections = 0  # the controller's own start-up probe
        started.append(controller)
        return controller, handler

    yield start
    for controller in started:
        controller.stop()


def channel_for(server: Loopback, sleeps: list[float] | None = None, **kwargs: Any) -> SMTPChannel:
    kwargs.setdefault("security", "none")
    kwargs.setdefault("timeout", 5)
    return SMTPChannel(
        HOST, server.port, sleep=(sleeps.append if sleeps is not None else lambda _: None), **kwargs
    )


def message(key: str = "C001/reminder-1/email", to: str = "conti@osteria.example") -> Outgoing:
    content = (
        "From: Tipografia <crediti@tipografia.example>\n"
        f"To: Osteria <{to}>\n"
        "Subject: Sollecito di pagamento\n"
        "Message-ID: <abc123@tipografia.example>\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "Gentile cliente, la fattura è scaduta.\n"
        ".a line that starts with a dot\n"
    ).encode()
    return Outgoing.from_eml(key, "email", content)


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


# -- delivery --------------------------------------------------------------------------------


def test_plain_loopback_delivers_the_exact_bytes(serve: Any) -> None:
    server, handler = serve()
    outgoing = message()
    with channel_for(server) as channel:
        receipt = channel.send(outgoing)
    assert handler.messages == [
        ("crediti@tipografia.example", ["conti@osteria.example"], crlf(outgoing.content))
    ]
    assert receipt.key == outgoing.key
    assert receipt.transport_id == "Q0001"
    assert receipt.detail.startswith("250 ")
    assert receipt.accepted_at.utcoffset() is not None


def test_an_outbox_eml_goes_as_written(serve: Any) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dunning.outbox import message_id, to_email
    from dunning.render import Message

    key = "C001/2026-04-09/reminder-1/email"
    rendered = Message(
        key, "email", "it", "Sollecito – 2026/0001", "Gentile cliente, è scaduta.\n",
        "<p>Gentile cliente, è scaduta.</p>", "conti@osteria.example",
    )  # fmt: skip
    day = datetime(2026, 4, 9, 9, 0, tzinfo=ZoneInfo("Europe/Rome"))
    eml = bytes(
        to_email(
            rendered, "crediti@tipografia.example", day, sender_name="Tipografia Emiliana S.r.l."
        )
    )
    outgoing = Outgoing.from_eml(key, "email", eml)
    assert outgoing.sender == "crediti@tipografia.example"
    assert outgoing.message_id == message_id(key, "tipografia.example")
    server, handler = serve()
    with channel_for(server) as channel:
        channel.send(outgoing)
    assert handler.messages == [
        ("crediti@tipografia.example", ["conti@osteria.example"], crlf(eml))
    ]


def test_envelope_sender_can_be_a_bounce_mailbox(serve: Any) -> None:
    server, handler = serve()
    channel = open_channel(f"smtp://{HOST}:{server.port}?from=bounces@tipografia.example")
    with channel:
        channel.send(message())
    assert handler.messages[0][0] == "bounces@tipografia.example"


def test_one_connection_for_a_batch(serve: Any) -> None:
    server, handler = serve()
    with channel_for(server) as channel:
        for n in range(10):
            channel.send(message(f"C{n:03d}/reminder-1/email"))
    assert len(handler.messages) == 10
    assert server.connections == 1
    assert handler.ehlos == 1
    assert channel.connections == 1


def test_reconnects_when_the_server_closed_an_idle_connection(serve: Any) -> None:
    server, handler = serve(timeout=0.3)
    with channel_for(server) as channel:
        channel.send(message("C001/reminder-1/email"))
        time.sleep(0.6)
        channel.send(message("C002/reminder-1/email"))
    assert len(handler.messages) == 2
    assert server.connections == 2


def test_same_key_twice_is_sent_once(serve: Any) -> None:
    server, handler = serve()
    with channel_for(server) as channel:
        first = channel.send(message())
        second = channel.send(message())
    assert first == second
    assert len(handler.messages) == 1


# -- TLS ------------------------------------------------------------------------------------


def test_starttls_with_the_test_ca(serve: Any, server_tls: ssl.SSLContext, cafile: Path) -> None:
    server, handler = serve(tls_context=server_tls, require_starttls=True)
    channel = open_channel(f"smtp+starttls://{HOST}:{server.port}?cafile={cafile}")
    with channel:
        channel.send(message())
    assert len(handler.messages) == 1


def test_starttls_without_the_ca_is_a_certificate_error(
    serve: Any, server_tls: ssl.SSLContext
) -> None:
    server, handler = serve(tls_context=server_tls, require_starttls=True)
    with channel_for(server, security="starttls") as channel, pytest.raises(TLSFailure) as info:
        channel.send(message())
    assert isinstance(info.value, PermanentFailure)
    assert "certificate" in str(info.value)
    assert "C001/reminder-1/email" in str(info.value)
    assert handler.messages == []


def test_starttls_not_offered_is_refused(serve: Any) -> None:
    server, handler = serve()
    with channel_for(server, security="starttls") as channel, pytest.raises(TLSFailure):
        channel.send(message())
    assert handler.data_calls == 0


def test_verify_off_works_and_warns_every_connection(
    serve: Any, server_tls: ssl.SSLContext, caplog: pytest.LogCaptureFixture
) -> None:
    server, handler = serve(tls_context=server_tls)
    channel = open_channel(f"smtp+starttls://{HOST}:{server.port}?verify=false")
    assert "INSECURE" in repr(channel)
    with caplog.at_level(logging.WARNING, "dunning"), channel:
        channel.send(message("C001/reminder-1/email"))
        channel.close()
        channel.send(message("C002/reminder-1/email"))
    warnings = [r for r in caplog.records if "NOT verifying" in r.getMessage()]
    assert len(warnings) == 2
    assert len(handler.messages) == 2


def test_implicit_tls(serve: Any, server_tls: ssl.SSLContext, cafile: Path) -> None:
    server, handler = serve(ssl_context=server_tls)
    with channel_for(server, security="tls", cafile=cafile) as channel:
        channel.send(message())
    assert len(handler.messages) == 1


def test_implicit_tls_without_the_ca(serve: Any, server_tls: ssl.SSLContext) -> None:
    server, _ = serve(ssl_context=server_tls)
    with channel_for(server, security="tls") as channel, pytest.raises(TLSFailure):
        channel.send(message())


# -- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(("mechanism", "excluded"), [("PLAIN", ["LOGIN"]), ("LOGIN", ["PLAIN"])])
def test_auth_sends_the_credentials_and_never_shows_them(
    serve: Any,
    server_tls: ssl.SSLContext,
    cafile: Path,
    caplog: pytest.LogCaptureFixture,
    mechanism: str,
    excluded: list[str],
) -> None:
    server, handler = serve(tls_context=server_tls, auth=True, auth_exclude_mechanism=excluded)
    url = f"smtp+starttls://crediti:{SENTINEL}@{HOST}:{server.port}?cafile={cafile}"
    with caplog.at_level(logging.DEBUG):
        channel = open_channel(url)
        with channel:
            receipt = channel.send(message())
    assert handler.logins == [(mechanism, "crediti", SENTINEL)]
    assert len(handler.messages) == 1
    for text in [repr(channel), str(channel), repr(receipt), caplog.text]:
        assert SENTINEL not in text
    assert "crediti:***@" in str(channel)


def test_wrong_password_is_permanent_and_hidden(
    serve: Any, server_tls: ssl.SSLContext, cafile: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server, handler = serve(tls_context=server_tls, auth=True)
    wrong = SENTINEL + "-wrong"
    channel = channel_for(
        server, security="starttls", cafile=cafile, user="crediti", password=wrong
    )
    with caplog.at_level(logging.DEBUG), channel, pytest.raises(PermanentFailure) as info:
        channel.send(message())
    error = info.value
    assert error.code == 535
    assert "crediti" in str(error)
    for text in [str(error), repr(error), repr(error.args), caplog.text, repr(channel)]:
        assert wrong not in text
    assert handler.messages == []


def test_a_server_without_auth_is_a_permanent_failure(serve: Any) -> None:
    server, handler = serve()
    sleeps: list[float] = []
    channel = channel_for(server, sleeps, user="crediti", password=SENTINEL)
    with channel, pytest.raises(PermanentFailure, match="AUTH") as info:
        channel.send(message())
    assert SENTINEL not in str(info.value)
    assert sleeps == []
    assert handler.data_calls == 0


def test_no_password_over_plain_text_to_another_host() -> None:
    with pytest.raises(ChannelConfigError, match="unencrypted") as info:
        SMTPChannel("mail.example.com", security="none", user="u", password=SENTINEL)
    assert SENTINEL not in str(info.value)
    with pytest.raises(ChannelConfigError, match="loopback"):
        open_channel("smtp://mail.example.com")
    assert open_channel("smtp://mail.example.com?allow_plain=true") is not None
    assert open_channel("smtp://localhost") is not None


# -- failures ---------------------------------------------------------------------------------


def test_temporary_failures_are_retried_with_backoff_and_sent_once(serve: Any) -> None:
    server, handler = serve()
    handler.data_replies = ["451 4.3.0 try again later", "451 4.3.0 try again later"]
    sleeps: list[float] = []
    with channel_for(server, sleeps, backoff=1.0) as channel:
        receipt = channel.send(message())
    assert len(handler.messages) == 1
    assert handler.data_calls == 3
    assert receipt.transport_id == "Q0001"
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0
    assert 1.0 <= sleeps[1] <= 2.0


def test_temporary_failure_gives_up_after_the_retries(serve: Any) -> None:
    server, handler = serve()
    handler.data_replies = ["451 4.3.0 try again later"] * 5
    sleeps: list[float] = []
    with channel_for(server, sleeps, retries=2) as channel, pytest.raises(TemporaryFailure) as info:
        channel.send(message())
    assert info.value.code == 451
    assert "try again later" in str(info.value)
    assert handler.data_calls == 3
    assert len(sleeps) == 2
    assert handler.messages == []


def test_550_is_permanent_after_one_attempt(serve: Any) -> None:
    server, handler = serve()
    handler.data_replies = ["550 5.7.1 message rejected as spam"]
    sleeps: list[float] = []
    with channel_for(server, sleeps) as channel, pytest.raises(PermanentFailure) as info:
        channel.send(message())
    assert info.value.code == 550
    assert "rejected as spam" in str(info.value)
    assert info.value.key == "C001/reminder-1/email"
    assert handler.data_calls == 1
    assert sleeps == []


def test_some_recipients_refused(serve: Any) -> None:
    server, handler = serve()
    handler.rcpt_replies = {"nobody@osteria.example": "550 5.1.1 no such user"}
    outgoing = Outgoing.from_eml(
        "C001/reminder-1/email",
        "email",
        b"From: a@tipografia.example\nTo: conti@osteria.example, nobody@osteria.example\n\nx\n",
    )
    with channel_for(server) as channel:
        receipt = channel.send(outgoing)
    assert handler.messages[0][1] == ["conti@osteria.example"]
    assert receipt.refused == (("nobody@osteria.example", "550 5.1.1 no such user"),)


def test_every_recipient_refused_is_permanent(serve: Any) -> None:
    server, handler = serve()
    handler.rcpt_replies = {"conti@osteria.example": "550 5.1.1 no such user"}
    with channel_for(server) as channel, pytest.raises(PermanentFailure, match="no such user"):
        channel.send(message())
    assert handler.data_calls == 0


def test_connection_refused_is_temporary() -> None:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    channel = SMTPChannel(HOST, port, security="none", retries=2, sleep=sleeps.append)
    with pytest.raises(TemporaryFailure, match="connection"):
        channel.send(message())
    assert len(sleeps) == 2


def test_a_server_that_hangs_times_out_quickly() -> None:
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen(5)  # accepts connections (the backlog) and never says a word
        channel = SMTPChannel(
            HOST, silent.getsockname()[1], security="none", timeout=0.5, retries=1,
            sleep=lambda _: None,
        )  # fmt: skip
        started = time.monotonic()
        with pytest.raises(TemporaryFailure, match="timed out"):
            channel.send(message())
        assert time.monotonic() - started < 3


class DropAfterData(threading.Thread):
    """A raw SMTP server that takes the whole message, then closes without a reply (or
    ``hang``s); or, on its first ``drop_before`` connections, closes at the DATA command, and
    accepts the message on the next ones."""

    def __init__(self, hang: bool = False, drop_before: int = 0) -> None:
        super().__init__(daemon=True)
        self.hang = hang
        self.drop_before = drop_before
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(5)
        self.listener.settimeout(5)
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.messages: list[bytes] = []

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn, conn.makefile("rb") as lines:
                self.session(lines, conn)

    def session(self, lines: Any, conn: socket.socket) -> None:
        conn.sendall(b"220 drop.example ESMTP\r\n")
        while line := lines.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                conn.sendall(b"250-drop.example\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                if self.connections <= self.drop_before:
                    return  # gone before the server had any of the message
                conn.sendall(b"354 go ahead\r\n")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    data += lines.readline()
                self.messages.append(data)
                if self.drop_before:
                    conn.sendall(b"250 2.0.0 Ok: queued as RAW1\r\n")
                    continue
                if self.hang:  # no reply, until the client gives up
                    with contextlib.suppress(OSError):
                        lines.read()
                return  # the connection drops before the final reply
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 OK\r\n")

    def stop(self) -> None:
        self.listener.close()


def test_connection_dropped_mid_data_is_in_doubt_and_never_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = DropAfterData()
    server.start()
    sleeps: list[float] = []
    try:
        channel = SMTPChannel(HOST, server.port, security="none", sleep=sleeps.append)
        with caplog.at_level(logging.ERROR), pytest.raises(InDoubt) as info:
            channel.send(message())
        assert "may or may not" in str(info.value)
        assert "<abc123@tipografia.example>" in str(info.value)
        # a second send of the same key, even on the same channel, is not attempted
        with pytest.raises(InDoubt, match="not sent again"):
            channel.send(message())
        channel.close()
    finally:
        server.stop()
    assert not isinstance(info.value, TemporaryFailure | PermanentFailure)
    assert len(server.messages) <= 1
    assert server.connections == 1
    assert sleeps == []
    assert "in doubt" in caplog.text


def test_connection_lost_before_data_is_retried_and_sent_once() -> None:
    server = DropAfterData(drop_before=1)
    server.start()
    sleeps: list[float] = []
    try:
        with SMTPChannel(HOST, server.port, security="none", sleep=sleeps.append) as channel:
            receipt = channel.send(message())
    finally:
        server.stop()
    assert receipt.transport_id == "RAW1"
    assert len(server.messages) == 1
    assert server.connections == 2
    assert len(sleeps) == 1


def test_no_reply_after_data_is_in_doubt() -> None:
    server = DropAfterData(hang=True)
    server.start()
    try:
        channel = SMTPChannel(HOST, server.port, security="none", timeout=0.5)
        with pytest.raises(InDoubt, match="timed out after the message was sent"):
            channel.send(message())
        channel.close()
    finally:
        server.stop()
    assert len(server.messages) == 1
    assert server.connections == 1


# -- the conformance suite ------------------------------------------------------------------


@pytest.fixture
def conformance_server(serve: Any, server_tls: ssl.SSLContext) -> Loopback:
    server, handler = serve(tls_context=server_tls, auth=True)
    handler.rcpt_replies = {
        "refused@example.net": "550 5.1.1 no such user",
        "later@example.net": "451 4.2.1 mailbox busy",
    }
    return server


def test_conformance_suite_in_one_line(conformance_server: Loopback, cafile: Path) -> None:
    def make() -> SMTPChannel:
        return channel_for(
            conformance_server,
            security="starttls",
            cafile=cafile,
            user="crediti",
            password=SENTINEL,
            retries=1,
        )

    check_channel(
        make,
        permanent=sample_message("refused", to="refused@example.net"),
        temporary=sample_message("later", to="later@example.net"),
        secret=SENTINEL,
    )


class TestSMTPContract(ChannelContract):
    secret = SENTINEL

    @pytest.fixture(autouse=True)
    def _server(self, conformance_server: Loopback, cafile: Path) -> None:
        self.server = conformance_server
        self.cafile = cafile

    def make_channel(self) -> SMTPChannel:
        return channel_for(
            self.server,
            security="starttls",
            cafile=self.cafile,
            user="crediti",
            password=SENTINEL,
            retries=0,
        )

    def permanent_failure(self) -> Outgoing:
        return sample_message("refused", to="refused@example.net")

    def temporary_failure(self) -> Outgoing:
        return sample_message("later", to="later@example.net")


def test_receipt_type() -> None:
    assert Sent.__module__ == "dunning.channels.base"
