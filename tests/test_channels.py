"""The channel contract, its configuration (metadata, settings strings, entry points,
redaction) and the test helpers (`MemoryChannel`, the conformance suite)."""

from __future__ import annotations

import importlib
import logging
import pickle
import re
import types
from datetime import UTC, datetime
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import dunning.channels.registry as registry
from dunning.channels import (
    BUILTIN,
    GROUP,
    Channel,
    ChannelConfigError,
    ChannelError,
    ChannelURL,
    InDoubt,
    Outgoing,
    PermanentFailure,
    Secret,
    Sent,
    TemporaryFailure,
    TLSFailure,
    channel_class,
    known_schemes,
    open_channel,
    options_table,
    redact,
)
from dunning.channels.smtp import SMTPChannel
from dunning.testing import ChannelContract, MemoryChannel, check_channel, sample_message

SENTINEL = "Sentinel-Pw-7f3a9c"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "channels.md"


@pytest.mark.parametrize(
    "name",
    ["dunning.channels", "dunning.channels.base", "dunning.channels.registry",
     "dunning.channels.smtp", "dunning.testing.channels"],
)  # fmt: skip
def test_all_lists_every_public_name(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert len(exported) == len(module.__all__)
    assert all(hasattr(module, item) for item in exported)
    public = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", name) == name
        and (callable(value) or isinstance(value, type))
    }
    assert public <= exported


# -- values ---------------------------------------------------------------------------------


def test_secret_never_shows() -> None:
    secret = Secret(SENTINEL)
    for text in [repr(secret), str(secret), f"{secret}", f"{secret!r}", "%s" % secret]:  # noqa: UP031
        assert SENTINEL not in text
    assert repr([secret]) == "['***']"
    assert secret.reveal() == SENTINEL
    assert secret == Secret(SENTINEL) != Secret("other")
    assert Secret(secret).reveal() == SENTINEL
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_outgoing_from_eml_drops_bcc() -> None:
    eml = (
        b"From: Tipografia <crediti@tipografia.example>\n"
        b"To: conti@osteria.example\n"
        b"Bcc: archivio@tipografia.example,\n"
        b" legale@tipografia.example\n"
        b"Subject: x\n\nBcc: this line is the body\n"
    )
    message = Outgoing.from_eml("k", "email", eml)
    assert message.recipients == (
        "conti@osteria.example",
        "archivio@tipografia.example",
        "legale@tipografia.example",
    )
    assert message.content == (
        b"From: Tipografia <crediti@tipografia.example>\n"
        b"To: conti@osteria.example\n"
        b"Subject: x\n\nBcc: this line is the body\n"
    )
    assert "bytes>" in repr(message)


@pytest.mark.parametrize(
    "recipients", [(), ("a@b.example\r\nRCPT TO:<x@y.example>",), ("",), ("<a@b.example>",)]
)
def test_outgoing_refuses_bad_addresses(recipients: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="recipient"):
        Outgoing("k", "email", recipients, "a@b.example", b"")


def test_outgoing_needs_a_key_and_a_recipient() -> None:
    with pytest.raises(ValueError, match="key"):
        Outgoing("", "email", "a@b.example", "c@d.example", b"")
    with pytest.raises(ValueError, match="no recipient"):
        Outgoing.from_eml("k", "email", b"From: a@b.example\n\nhello\n")
    with pytest.raises(ValueError, match="no sender"):
        Outgoing.from_eml("k", "email", b"To: a@b.example\n\nhello\n")


def test_sent_is_dated_with_a_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Sent("k", "email", datetime(2026, 4, 9, 9, 0))
    assert Sent("k", "email", datetime(2026, 4, 9, 9, 0, tzinfo=UTC)).transport_id == ""


def test_errors_name_the_key_and_the_reply_and_pickle() -> None:
    error = PermanentFailure(
        "message refused", key="C001/reminder-1/email", channel="email", code=550, reply="5.7.1 no"
    )
    assert str(error) == (
        "email 'C001/reminder-1/email': message refused (server replied: 550 5.7.1 no)"
    )
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is PermanentFailure
    assert str(again) == str(error)
    assert issubclass(TLSFailure, PermanentFailure)
    assert TemporaryFailure.retry
    assert not PermanentFailure.retry
    assert not InDoubt.retry
    for kind in (TemporaryFailure, PermanentFailure, InDoubt):
        assert issubclass(kind, ChannelError)
    assert not issubclass(InDoubt, TemporaryFailure | PermanentFailure)


# -- settings strings ---------------------------------------------------------------------------


def test_url_parts_and_redaction() -> None:
    url = ChannelURL.parse(
        f"smtp+starttls://crediti%40tipo:{SENTINEL}@mail.example.com:587/x?timeout=30&token=abc"
    )
    assert url.user == "crediti@tipo"
    assert url.password == Secret(SENTINEL)
    assert url.path == "x"
    assert str(url) == (
        "smtp+starttls://crediti%40tipo:***@mail.example.com:587/x?timeout=30&token=***"
    )
    assert SENTINEL not in repr(url)
    assert redact(f"smtps://u:{SENTINEL}@h") == "smtps://u:***@h"


def test_bad_url_errors_hide_the_password() -> None:
    with pytest.raises(ChannelConfigError) as info:
        open_channel(f"smtps://crediti:{SENTINEL}@mail.example.com:notaport")
    assert SENTINEL not in str(info.value)
    assert "crediti:***@" in str(info.value)
    with pytest.raises(ChannelConfigError) as info:
        open_channel(f"smtps://crediti:{SENTINEL}@mail.example.com?timeout=soon")
    assert "timeout" in str(info.value)
    assert "a number" in str(info.value)
    assert SENTINEL not in str(info.value)


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(ChannelConfigError) as info:
        open_channel("fax://office.example")
    for scheme in ["smtp", "smtps", "smtp+starttls", "memory"]:
        assert scheme in str(info.value)
    assert set(known_schemes()) >= set(BUILTIN)


def test_unknown_and_missing_options() -> None:
    with pytest.raises(ChannelConfigError, match=r"unknown option 'tmeout'.*timeout"):
        open_channel("smtps://mail.example.com?tmeout=3")
    with pytest.raises(ChannelConfigError, match="'host' is required"):
        open_channel("smtps")
    with pytest.raises(ChannelConfigError, match="has no password"):
        open_channel("smtps://crediti@mail.example.com")


def test_keyword_arguments_and_scheme_defaults() -> None:
    channel = open_channel("smtps", host="mail.example.com", user="crediti", password=SENTINEL)
    assert isinstance(channel, SMTPChannel)
    assert (channel.security, channel.port, channel.verify) == ("tls", 465, True)
    assert str(channel) == "smtps://crediti:***@mail.example.com"
    starttls = open_channel("smtp+starttls://mail.example.com", timeout=5, retries="1")
    assert isinstance(starttls, SMTPChannel)
    assert (starttls.port, starttls.timeout, starttls.retries) == (587, 5.0, 1)
    assert str(starttls) == "smtp+starttls://mail.example.com?timeout=5.0&retries=1"


def test_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNNING_SMTP_PASSWORD", SENTINEL)
    channel = open_channel("smtps://crediti@mail.example.com?password_env=DUNNING_SMTP_PASSWORD")
    assert isinstance(channel, SMTPChannel)
    assert channel.password == Secret(SENTINEL)
    assert SENTINEL not in repr(channel) + str(channel)
    with pytest.raises(ChannelConfigError, match=r"NOT_SET_ANYWHERE.*not set"):
        open_channel("smtps://crediti@mail.example.com", password_env="NOT_SET_ANYWHERE")


def test_password_in_the_url_works_is_discouraged_and_never_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        channel = open_channel(f"smtps://crediti:{SENTINEL}@mail.example.com")
    assert isinstance(channel, SMTPChannel)
    assert channel.password == Secret(SENTINEL)
    assert "discouraged" in caplog.text
    assert SENTINEL not in caplog.text
    assert SENTINEL not in repr(channel) + str(channel)


def test_verify_off_is_loud_in_the_repr() -> None:
    channel = open_channel("smtps://mail.example.com?verify=false")
    assert "INSECURE" in repr(channel)
    assert "verify=false" in str(channel)
    assert "INSECURE" not in repr(open_channel("smtps://mail.example.com"))


# -- discovery ------------------------------------------------------------------------------


def _entry_points(*found: EntryPoint) -> object:
    def fake(group: str) -> list[EntryPoint]:
        assert group == GROUP
        return list(found)

    return fake


def test_entry_points_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = EntryPoint("acme", "dunning.testing.channels:MemoryChannel", GROUP)
    monkeypatch.setattr(registry, "entry_points", _entry_points(ep))
    assert "acme" in known_schemes()
    assert channel_class("acme") is MemoryChannel


def test_an_entry_point_that_cannot_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = EntryPoint("acme", "dunning_acme_not_installed:Channel", GROUP)
    monkeypatch.setattr(registry, "entry_points", _entry_points(ep))
    with pytest.raises(ChannelConfigError, match="cannot be imported"):
        open_channel("acme://x")


def test_an_entry_point_without_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = EntryPoint("acme", "dunning.channels:Outgoing", GROUP)
    monkeypatch.setattr(registry, "entry_points", _entry_points(ep))
    with pytest.raises(ChannelConfigError, match="declares no ChannelInfo"):
        open_channel("acme://x")


def test_a_missing_extra_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BUILTIN, "fax", ("dunning_fax_not_installed:Fax", "fax"))  # type: ignore[arg-type]
    with pytest.raises(ChannelConfigError, match=re.escape("pip install 'dunning[fax]'")):
        open_channel("fax://office")


# -- the memory channel and the conformance suite ----------------------------------------------


def test_memory_channel_records_and_deduplicates() -> None:
    channel = MemoryChannel()
    assert isinstance(channel, Channel)
    first = channel.send(sample_message("a"))
    assert channel.send(sample_message("a")) is first
    channel.send(sample_message("b"))
    assert channel.keys == ["a", "b"]
    assert [m.key for m in channel.duplicates] == ["a"]
    assert len(channel.attempts) == 3
    assert channel.receipts["b"].transport_id == "memory-2"


def test_memory_channel_fails_as_told() -> None:
    channel = MemoryChannel()
    channel.fail("t", TemporaryFailure, times=2)
    channel.fail("p", PermanentFailure)
    channel.fail("d", InDoubt, delivered=True)
    for _ in range(2):
        with pytest.raises(TemporaryFailure):
            channel.send(sample_message("t"))
    channel.send(sample_message("t"))
    with pytest.raises(PermanentFailure, match="550"):
        channel.send(sample_message("p"))
    with pytest.raises(InDoubt):
        channel.send(sample_message("d"))
    with pytest.raises(InDoubt, match="not sent again"):
        channel.send(sample_message("d"))
    assert channel.keys == ["t", "d"]
    assert [m.key for m in channel.duplicates] == ["d"]


def test_memory_channel_by_url_hides_its_password() -> None:
    channel = open_channel(f"memory://crediti:{SENTINEL}@")
    assert isinstance(channel, MemoryChannel)
    assert SENTINEL not in repr(channel)


def _failing_memory() -> MemoryChannel:
    channel = MemoryChannel(user="crediti", password=SENTINEL)
    channel.fail("refused", PermanentFailure, times=99)
    channel.fail("later", TemporaryFailure, times=99)
    return channel


def test_conformance_suite_on_the_memory_channel() -> None:
    check_channel(
        _failing_memory,
        permanent=sample_message("refused"),
        temporary=sample_message("later"),
        secret=SENTINEL,
    )


class TestMemoryContract(ChannelContract):
    secret = SENTINEL

    def make_channel(self) -> MemoryChannel:
        return _failing_memory()

    def permanent_failure(self) -> Outgoing:
        return sample_message("refused")

    def temporary_failure(self) -> Outgoing:
        return sample_message("later")


class Leaky(MemoryChannel):
    def __repr__(self) -> str:
        assert self.password is not None
        return f"<Leaky {self.password.reveal()}>"


class Careless(MemoryChannel):
    def deliver(self, message: Outgoing) -> Sent:
        raise ChannelError("oops", key=message.key)


def test_the_suite_catches_a_leaky_or_careless_channel() -> None:
    with pytest.raises(AssertionError, match="secret shows"):
        check_channel(lambda: Leaky(password=SENTINEL), secret=SENTINEL)
    with pytest.raises(AssertionError, match="did not raise PermanentFailure"):
        check_channel(lambda: MemoryChannel(), permanent=sample_message("x"))
    with pytest.raises(ChannelError):
        check_channel(lambda: Careless())


# -- the documentation ------------------------------------------------------------------------


def test_the_docs_tables_match_the_metadata() -> None:
    text = DOCS.read_text(encoding="utf-8")
    names = sorted({target for target, _ in BUILTIN.values()})
    for target in names:
        info = channel_class(next(s for s, (t, _) in BUILTIN.items() if t == target)).info
        found = re.search(
            rf"<!-- options: {re.escape(info.name)} -->\n(.*?)<!-- /options -->", text, re.S
        )
        assert found, f"docs/channels.md has no options table for {info.name}"
        assert found.group(1) == options_table(info), f"the {info.name} table is out of date"
        for scheme in info.schemes:
            assert f"`{scheme}://" in text, f"docs/channels.md does not show {scheme}://"
