"""The SMS channels against a real HTTP server on loopback (`http.server` in a thread) that
records each request and answers as the test plans: 200, 429, 500, 400, a hang, a dropped
connection; delivery reports; the optional apprise adapter."""

from __future__ import annotations

import builtins
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dunning import DeliveryConfirmed, DeliveryFailed
from dunning.channels import (
    BUILTIN,
    ChannelConfigError,
    InDoubt,
    Outgoing,
    PermanentFailure,
    Sent,
    TemporaryFailure,
    TLSFailure,
    open_channel,
)
from dunning.channels.sms import (
    APPRISE_SCHEMES,
    AppriseSMSChannel,
    HTTPSMSChannel,
    check_sms,
    read_delivery_report,
    sms_outgoing,
)
from dunning.testing import check_channel

SENTINEL = "Sentinel-Token-5b1e77"


def sms(
    key: str = "C001/2026-04-09/reminder-1/sms",
    *,
    to: str = "+393331234567",
    sender: str = "Tipografia",
    text: str = "Gentile cliente, la fattura 2026/0001 di 120,00 € è scaduta.",
    segments: int | None = 1,
) -> Outgoing:
    data: dict[str, Any] = {"key": key, "to": to, "sender": sender, "text": text}
    if segments is not None:
        data |= {"encoding": "GSM-7", "segments": segments, "language": "it"}
    return sms_outgoing((json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode())


class Gateway:
    """A loopback HTTP gateway: ``plan`` answers the next requests in order; ``rules`` answer
    by the request's ``reference``; otherwise 200 with an id."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.plan: list[tuple[Any, ...]] = []
        self.rules: dict[str, tuple[Any, ...]] = {}
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                with gateway.lock:
                    gateway.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "json": parsed}
                    )
                    number = len(gateway.requests)
                    reference = parsed.get("reference") if isinstance(parsed, dict) else None
                    if gateway.plan:
                        action = gateway.plan.pop(0)
                    elif reference in gateway.rules:
                        action = gateway.rules[reference]
                    else:
                        action = (200, {"id": f"gw-{number}", "status": "queued"})
                if action[0] == "drop":
                    self.close_connection = True
                    return
                if action[0] == "hang":
                    time.sleep(action[1])
                    self.close_connection = True
                    return
                status, reply = action[0], action[1]
                headers = action[2] if len(action) > 2 else {}
                data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    yield server
    server.stop()


def channel(gateway: Gateway, **options: Any) -> HTTPSMSChannel:
    settings: dict[str, Any] = {
        "tls": False,
        "path": "v1/send",
        "token": SENTINEL,
        "timeout": 2.0,
        "retries": 2,
        "sleep": options.pop("sleep", lambda seconds: None),
    }
    return HTTPSMSChannel("127.0.0.1", gateway.port, **(settings | options))


# -- sending --------------------------------------------------------------------------------


def test_a_send_posts_the_json_body_with_the_reference_and_the_token(gateway: Gateway) -> None:
    message = sms()
    with channel(gateway) as sender:
        receipt = sender.send(message)
    assert isinstance(receipt, Sent)
    assert (receipt.key, receipt.channel, receipt.transport_id) == (message.key, "sms", "gw-1")
    assert receipt.detail == "200 OK"
    [request] = gateway.requests
    assert request["path"] == "/v1/send"
    assert request["headers"]["Authorization"] == f"Bearer {SENTINEL}"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["json"] == {
        "to": "+393331234567",
        "from": "Tipografia",
        "text": "Gentile cliente, la fattura 2026/0001 di 120,00 € è scaduta.",
        "reference": message.key,
    }


def test_field_names_basic_auth_and_a_nested_id_are_settings(gateway: Gateway) -> None:
    gateway.plan.append((201, {"data": {"messages": [{"uid": "abc-42"}]}}))
    sender = channel(
        gateway,
        token=None,
        user="crediti",
        password=SENTINEL,
        to_field="destination",
        from_field="originator",
        text_field="body",
        reference_field="client_ref",
        id_field="data.messages.0.uid",
    )
    receipt = sender.send(sms())
    assert receipt.transport_id == "abc-42"
    request = gateway.requests[0]
    assert request["headers"]["Authorization"].startswith("Basic ")
    assert set(request["json"]) == {"destination", "originator", "body", "client_ref"}


def test_the_same_key_twice_posts_once(gateway: Gateway) -> None:
    with channel(gateway) as sender:
        first = sender.send(sms())
        second = sender.send(sms())
    assert first == second
    assert len(gateway.requests) == 1


def test_429_with_retry_after_is_waited_for_then_sent(gateway: Gateway) -> None:
    waits: list[float] = []
    gateway.plan.append((429, {"message": "slow down"}, {"Retry-After": "7"}))
    receipt = channel(gateway, sleep=waits.append).send(sms())
    assert receipt.transport_id == "gw-2"
    assert waits == [7.0]
    assert len(gateway.requests) == 2


def test_5xx_is_retried_with_backoff_then_gives_up(gateway: Gateway) -> None:
    waits: list[float] = []
    gateway.plan += [(503, {"error": "maintenance"})] * 3
    with pytest.raises(TemporaryFailure) as failure:
        channel(gateway, sleep=waits.append, backoff=1.0).send(sms())
    assert len(gateway.requests) == 3
    assert len(waits) == 2
    assert 0.5 <= waits[0] <= 1.0
    assert 1.0 <= waits[1] <= 2.0
    assert failure.value.code == 503
    assert "maintenance" in str(failure.value)
    assert sms().key in str(failure.value)


def test_a_retry_after_too_long_is_not_waited_for(gateway: Gateway) -> None:
    waits: list[float] = []
    gateway.plan.append((429, {"message": "quota"}, {"Retry-After": "86400"}))
    with pytest.raises(TemporaryFailure, match="quota"):
        channel(gateway, sleep=waits.append).send(sms())
    assert waits == []
    assert len(gateway.requests) == 1


def test_4xx_is_permanent_with_the_gateways_message(gateway: Gateway) -> None:
    gateway.plan.append((400, {"error": {"message": "number not reachable"}}))
    with pytest.raises(PermanentFailure) as failure:
        channel(gateway).send(sms())
    assert failure.value.code == 400
    assert failure.value.reply == "number not reachable"
    assert len(gateway.requests) == 1


def test_a_connection_dropped_after_the_request_is_in_doubt_and_never_resent(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    gateway.plan.append(("drop",))
    sender = channel(gateway)
    with caplog.at_level(logging.ERROR), pytest.raises(InDoubt, match="reference"):
        sender.send(sms())
    with pytest.raises(InDoubt, match="in doubt"):
        sender.send(sms())
    assert len(gateway.requests) == 1
    assert any("in doubt" in r.getMessage() for r in caplog.records)


def test_a_gateway_that_hangs_times_out_in_doubt(gateway: Gateway) -> None:
    gateway.plan.append(("hang", 1.5))
    started = time.monotonic()
    with pytest.raises(InDoubt, match="timed out"):
        channel(gateway, timeout=0.4).send(sms())
    assert time.monotonic() - started < 1.4
    assert len(gateway.requests) == 1


def test_a_gateway_that_dedupes_gets_the_request_again(gateway: Gateway) -> None:
    gateway.plan.append(("drop",))
    receipt = channel(gateway, dedupe=True).send(sms())
    assert receipt.transport_id == "gw-2"
    assert [r["json"]["reference"] for r in gateway.requests] == [sms().key] * 2


def test_a_refused_connection_is_temporary() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = HTTPSMSChannel("127.0.0.1", port, tls=False, retries=1, sleep=lambda s: None)
    with pytest.raises(TemporaryFailure, match="before the SMS was sent"):
        sender.send(sms())


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (sms(to="3331234567"), "E.164"),
        (sms(to="+39 333 1234567"), "E.164"),
        (sms(sender="Tipografia Emiliana"), "at most 11 characters"),
        (sms(sender="Tipo@grafia"), "only letters"),
        (sms(text="   "), "no text"),
        (sms(text="È “urgente”: " + "x" * 80), "segments"),
    ],
)
def test_a_bad_sms_is_refused_before_anything_is_sent(
    gateway: Gateway, message: Outgoing, why: str
) -> None:
    with pytest.raises(PermanentFailure, match=why):
        channel(gateway).send(message)
    assert gateway.requests == []


def test_check_sms_compares_the_json_with_the_envelope() -> None:
    data = json.loads(sms().content)
    other = Outgoing("other/key", "sms", "+393331234567", "Tipografia", json.dumps(data).encode())
    with pytest.raises(PermanentFailure, match="for key"):
        check_sms(other)
    not_json = Outgoing("k", "sms", "+393331234567", "Tipografia", b"hello")
    with pytest.raises(PermanentFailure, match="not JSON"):
        check_sms(not_json)
    assert check_sms(sms(segments=None))["to"] == "+393331234567"


def test_sms_outgoing_reads_the_outbox_json() -> None:
    message = sms_outgoing(
        {"key": "K1", "to": "+4915112345678", "sender": "Acme", "text": "Hallo"}, key="K1"
    )
    assert (message.key, message.recipients, message.sender) == ("K1", ("+4915112345678",), "Acme")
    assert json.loads(message.content)["text"] == "Hallo"
    with pytest.raises(ValueError, match="without a key"):
        sms_outgoing(b'{"to": "+4915112345678"}')


# -- settings and security ------------------------------------------------------------------


def test_settings_string_token_from_the_environment(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DUNNING_SMS_TOKEN", SENTINEL)
    sender = open_channel(
        f"sms+http://127.0.0.1:{gateway.port}/v1/send?token_env=DUNNING_SMS_TOKEN&id_field=sid"
    )
    assert isinstance(sender, HTTPSMSChannel)
    assert str(sender) == f"sms+http://127.0.0.1:{gateway.port}/v1/send?token=***&id_field=sid"
    assert SENTINEL not in repr(sender)
    sender.send(sms())
    assert gateway.requests[0]["headers"]["Authorization"] == f"Bearer {SENTINEL}"


def test_plain_http_only_to_loopback_and_https_by_default() -> None:
    with pytest.raises(ChannelConfigError, match="loopback"):
        open_channel("sms+http://api.example.com/send")
    sender = open_channel("sms+https://api.example.com/v1/send", token="x")
    assert isinstance(sender, HTTPSMSChannel)
    assert sender.url == "https://api.example.com:443/v1/send"
    with pytest.raises(ChannelConfigError, match="not both"):
        open_channel("sms+https://api.example.com/", token="x", user="u", password="p")
    loud = open_channel("sms+https://api.example.com/?verify=false")
    assert "INSECURE" in repr(loud)


def test_tls_is_verified(tmp_path: Any) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    server = Gateway(server_context)
    try:
        cafile = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(cafile))
        good = HTTPSMSChannel("127.0.0.1", server.port, cafile=cafile, token=SENTINEL)
        assert good.send(sms()).transport_id == "gw-1"
        with pytest.raises(TLSFailure, match="did not verify"):
            HTTPSMSChannel("127.0.0.1", server.port, token=SENTINEL, retries=0).send(sms())
    finally:
        server.stop()


def test_conformance_and_redaction(gateway: Gateway) -> None:
    gateway.rules["refused"] = (400, {"message": f"bad token {SENTINEL}"})
    gateway.rules["later"] = (503, {"message": "busy"})

    def make() -> HTTPSMSChannel:
        return channel(gateway, retries=1)

    check_channel(
        make,
        message=lambda key: sms(key),
        permanent=sms("refused"),
        temporary=sms("later"),
        secret=SENTINEL,
    )


# -- delivery reports -----------------------------------------------------------------------

KEYS = {"D1/reminder-1/sms": "D1", "D2/reminder-1/sms": "D2"}


def test_delivery_reports_become_events() -> None:
    report = {
        "reports": [
            {"reference": "D1/reminder-1/sms", "status": "delivered", "timestamp": 1775812502},
            {
                "reference": "D2/reminder-1/sms",
                "status": "EXPIRED",
                "timestamp": "2026-04-11T08:00:00+02:00",
                "error": "phone off for 48 h",
            },
            {"reference": "D1/reminder-1/sms", "status": "queued", "timestamp": 1775812400},
            {"reference": "someone-else", "status": "delivered", "timestamp": 1775812400},
        ]
    }
    confirmed, failed = read_delivery_report(report, KEYS)
    assert isinstance(confirmed, DeliveryConfirmed)
    assert (confirmed.debtor_id, confirmed.channel, confirmed.date) == (
        "D1",
        "sms",
        date(2026, 4, 10),
    )
    assert "delivered" in confirmed.evidence
    assert "sha256:" in confirmed.evidence
    assert isinstance(failed, DeliveryFailed)
    assert failed.date == date(2026, 4, 11)
    assert failed.reason == "SMS expired: phone off for 48 h"


def test_delivery_report_field_names_and_missing_timestamps() -> None:
    one = json.dumps({"ref": "D1/reminder-1/sms", "state": "DELIVRD"}).encode()
    with pytest.raises(ValueError, match="timestamp"):
        read_delivery_report(one, KEYS, reference_field="ref", status_field="state")
    [event] = read_delivery_report(
        one, KEYS, reference_field="ref", status_field="state", today=date(2026, 4, 12)
    )
    assert event.date == date(2026, 4, 12)
    with pytest.raises(ValueError, match="not JSON"):
        read_delivery_report(b"<xml/>", KEYS)
    with pytest.raises(ValueError, match="JSON object"):
        read_delivery_report(b"[1, 2]", KEYS)


# -- apprise ----------------------------------------------------------------------------------


def test_the_apprise_schemes_are_all_registered() -> None:
    registered = {s for s, (target, _) in BUILTIN.items() if target.endswith(":AppriseSMSChannel")}
    assert registered == {"apprise"} | {f"apprise+{s}" for s in APPRISE_SCHEMES}
    assert set(AppriseSMSChannel.info.schemes) == registered


def test_apprise_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def blocked(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "apprise" or name.startswith("apprise."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked)
    monkeypatch.delitem(__import__("sys").modules, "apprise", raising=False)
    with pytest.raises(ChannelConfigError, match=r"pip install 'dunning\[sms-apprise\]'"):
        open_channel("apprise+json://127.0.0.1:9/hook")


def test_apprise_sends_through_json_to_the_loopback_gateway(gateway: Gateway) -> None:
    pytest.importorskip("apprise", reason="the sms-apprise extra is not installed")
    sender = open_channel(f"apprise+json://127.0.0.1:{gateway.port}/hook?retries=0&-sig={SENTINEL}")
    assert isinstance(sender, AppriseSMSChannel)
    assert str(sender) == "apprise+json://***"
    assert SENTINEL not in repr(sender)
    receipt = sender.send(sms())
    assert receipt.channel == "sms"
    [request] = gateway.requests
    assert request["path"].startswith("/hook")
    assert request["json"]["to"] == "+393331234567"
    assert request["json"]["message"].startswith("Gentile cliente")


def test_apprise_failure_is_temporary_and_redacted(gateway: Gateway) -> None:
    pytest.importorskip("apprise", reason="the sms-apprise extra is not installed")
    gateway.plan += [(500, {"message": "down"})] * 2

    def make() -> AppriseSMSChannel:
        url = f"json://crediti:{SENTINEL}@127.0.0.1:{gateway.port}/hook"
        return AppriseSMSChannel(url, retries=1, sleep=lambda s: None)

    with pytest.raises(TemporaryFailure) as failure:
        make().send(sms())
    assert SENTINEL not in str(failure.value)
    assert len(gateway.requests) == 2
    assert gateway.requests[0]["headers"]["Authorization"].startswith("Basic ")


def test_apprise_url_from_the_environment(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("apprise", reason="the sms-apprise extra is not installed")
    monkeypatch.setenv("DUNNING_APPRISE_URL", f"json://127.0.0.1:{gateway.port}/hook")
    sender = open_channel("apprise", apprise_url_env="DUNNING_APPRISE_URL", to_param=":number")
    sender.send(sms())
    assert gateway.requests[0]["json"]["number"] == "+393331234567"
    with pytest.raises(ChannelConfigError, match="apprise URL"):
        open_channel("apprise", apprise_url="not a url")


def test_the_module_lists_its_public_names() -> None:
    import dunning.channels.sms as module

    assert all(hasattr(module, name) for name in module.__all__)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and isinstance(value, type | type(test_the_module_lists_its_public_names))
        and getattr(value, "__module__", "") == module.__name__
    }
    assert public <= set(module.__all__)
