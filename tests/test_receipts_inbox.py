"""`dunning receipts` on a mailbox: PEC receipts and bounces linked to the outbox's messages."""

from __future__ import annotations

import email
import hashlib
import io
import json
import shutil
import stat
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from dunning import ActionPlanned, Creditor, DeliveryConfirmed, DeliveryFailed, MessageSent, Money
from dunning.channels.bounce import NotABounce, bounce_events, read_bounce
from dunning.channels.inbox import (
    keep_evidence,
    local_messages,
    new_events,
    prove,
    sent_message_ids,
)
from dunning.cli import main
from dunning.outbox import message_id
from dunning.testing import bounce, pec_envelope, pec_receipt
from helpers import history_of, record

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"
PEC_FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "pec"
ORIGINAL = "<SN05IE$951DEC16C1CFD3E4FD8FF1B1D24A99AE@fakepec.it>"
CET = timezone(timedelta(hours=1))
LATER = datetime(2026, 7, 15, 9, 0, 41, tzinfo=timezone(timedelta(hours=2)))


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), out=out)
    return status, out.getvalue()


@pytest.fixture
def sent(tmp_path: Path) -> tuple[Path, dict[str, tuple[str, str, str]]]:
    """The example folder after the run of 2026-07-15, with its outbox: the Message-ID of
    each e-mail and PEC message written, with (key, debtor, channel)."""
    folder = tmp_path / "tipografia"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dunning"))
    outbox = tmp_path / "outbox"
    status, _ = run("run", str(folder), "--as-of", "2026-07-15", "--outbox", str(outbox))
    assert status == 0
    ids: dict[str, tuple[str, str, str]] = {}
    for entry in json.loads((outbox / "outbox.json").read_text(encoding="utf-8")):
        if entry["channel"] in ("email", "pec"):
            mail = email.message_from_bytes((outbox / entry["file"]).read_bytes())
            ids[str(mail["Message-ID"])] = (entry["key"], entry["debtor_id"], entry["channel"])
    assert {c for _, _, c in ids.values()} == {"email", "pec"}
    return folder, ids


def _one(ids: dict[str, tuple[str, str, str]], channel: str) -> tuple[str, str, str]:
    mid, (key, debtor, _) = next((m, v) for m, v in ids.items() if v[2] == channel)
    return mid, key, debtor


def test_the_outbox_ids_are_the_ones_the_history_gives(sent: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    folder, ids = sent
    from dunning.importers.folder import read_folder

    creditor = read_folder(folder).portfolio.creditor
    table = sent_message_ids(history_of(folder), creditor)
    from dunning.channels.pec import normalise_message_id

    assert {normalise_message_id(m): v for m, v in ids.items()}.items() <= table.items()


def test_a_folder_of_receipts_and_bounces_records_what_each_proves(
    sent: tuple[Path, dict[str, tuple[str, str, str]]], tmp_path: Path
) -> None:
    folder, ids = sent
    pec_id, pec_key, pec_debtor = _one(ids, "pec")
    mail_id, mail_key, mail_debtor = _one(ids, "email")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    delivered = pec_receipt("avvenuta-consegna", pec_id, timestamp=LATER)
    bounced = bounce(mail_id, "5.1.1", timestamp=LATER, recipient="conti@osteria.example")
    files = {
        "1-accettazione.eml": pec_receipt("accettazione", pec_id, timestamp=LATER),
        "2-consegna.eml": delivered,
        "3-bounce.eml": bounced,
        "4-delayed.eml": bounce(mail_id, "4.4.1", timestamp=LATER),
        "5-envelope.eml": pec_envelope("<reply@pec.debitore.example.it>"),
        "6-ordinary.eml": b"From: a@example.it\nSubject: ciao\n\nhello\n",
        "7-other.eml": pec_receipt("avvenuta-consegna", "<by-hand@pec.example>"),
        "8-garbage.eml": b"\x00\x01 not mail",
        "9-nondsn.eml": b"From: MAILER-DAEMON@mx.example.it\nSubject: Undelivered Mail\n\nx\n",
    }
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    status, out = run("receipts", str(folder), str(inbox))
    assert status == 0, out
    lines = out.splitlines()
    assert "accepted for sending" in lines[0]
    assert "nothing recorded" in lines[0]
    assert f"{pec_debtor} {pec_key}: delivered on 2026-07-15 09:00:41+02:00" in lines[1]
    assert f"{mail_debtor} {mail_key}: failed on 2026-07-15" in lines[2]
    assert "5.1.1" in lines[2]
    assert "User unknown" in lines[2]
    assert "delayed" in lines[3]
    assert "keeps trying" in lines[3]
    assert "skipped: a transport envelope" in lines[4]
    assert "skipped: an ordinary e-mail" in lines[5]
    assert "not a message dunning sent" in lines[6]
    assert "skipped: not an e-mail" in lines[7]
    assert "looks like a bounce" in lines[8]
    assert lines[9] == (
        "9 message(s) read: 1 delayed, 1 delivered, 1 failed, 1 not sent by dunning, 1 sent, "
        "4 skipped."
    )
    assert lines[-1].startswith("2 event(s) recorded in ")

    history = history_of(folder)
    confirmed = [e for e in history if isinstance(e, DeliveryConfirmed)]
    failed = [e for e in history if isinstance(e, DeliveryFailed)]
    digest = hashlib.sha256(delivered).hexdigest()
    assert [(e.key, e.debtor_id, e.channel, e.date) for e in confirmed] == [
        (pec_key, pec_debtor, "pec", date(2026, 7, 15))
    ]
    assert f"sha256:{digest}" in confirmed[0].evidence
    assert [(e.key, e.channel) for e in failed] == [(mail_key, "email")]
    assert hashlib.sha256(bounced).hexdigest() in failed[0].reason

    # the evidence: the bytes, under their hash, owner-only
    kept = folder / ".dunning" / "evidence" / f"{digest}.eml"
    assert kept.read_bytes() == delivered
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    names = {p.name for p in kept.parent.iterdir()}
    assert f"{hashlib.sha256(bounced).hexdigest()}.eml" in names
    assert not any(n.startswith(".") for n in names)  # no temporary file left
    assert len(names) == 4  # the linked receipts and bounces; not the skipped or foreign ones

    # a second run records nothing new
    before = history_of(folder)
    status, again = run("receipts", str(folder), str(inbox))
    assert status == 0
    assert "(already recorded)" in again
    assert again.splitlines()[-1] == "Nothing new to record."
    assert history_of(folder) == before


def test_dry_run_records_and_keeps_nothing(
    sent: tuple[Path, dict[str, tuple[str, str, str]]], tmp_path: Path
) -> None:
    folder, ids = sent
    pec_id, _, _ = _one(ids, "pec")
    one = tmp_path / "consegna.eml"
    one.write_bytes(pec_receipt("errore-consegna", pec_id, timestamp=LATER, error="casella piena"))
    before = history_of(folder)
    status, out = run("receipts", str(folder), str(one), "--dry-run")
    assert status == 0
    assert "failed on 2026-07-15" in out
    assert "casella piena" in out
    assert out.splitlines()[-1] == "1 event(s) not recorded (--dry-run)."
    assert history_of(folder) == before
    assert not (folder / ".dunning" / "evidence").exists()
    status, out = run("receipts", str(folder), str(one))
    [event] = [e for e in history_of(folder) if isinstance(e, DeliveryFailed)]
    assert event.reason.startswith("PEC errore-consegna: casella piena; sha256:")


def test_another_copy_of_the_same_receipt_records_nothing_twice(
    sent: tuple[Path, dict[str, tuple[str, str, str]]], tmp_path: Path
) -> None:
    folder, ids = sent
    pec_id, _, _ = _one(ids, "pec")
    data = pec_receipt("avvenuta-consegna", pec_id, timestamp=LATER)
    copy = b"Received: from mx2.example.it by imap.example.it\r\n" + data
    (tmp_path / "a.eml").write_bytes(data)
    (tmp_path / "b.eml").write_bytes(copy)
    (tmp_path / "c.eml").write_bytes(data)
    status, out = run("receipts", str(folder), str(tmp_path))
    assert status == 0
    assert out.count("(already recorded)") == 2
    assert out.splitlines()[-1].startswith("1 event(s) recorded")


def test_a_maildir_is_read(
    sent: tuple[Path, dict[str, tuple[str, str, str]]], tmp_path: Path
) -> None:
    import mailbox

    folder, ids = sent
    mail_id, mail_key, _ = _one(ids, "email")
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(bounce(mail_id, "5.2.2", returned="headers", timestamp=LATER))
    box.add(b"From: someone@example.it\nSubject: hello\n\nhi\n")
    box.close()
    status, out = run("receipts", str(folder), str(tmp_path / "Maildir"))
    assert status == 0, out
    assert f"{mail_key}: failed on 2026-07-15" in out
    assert "1 event(s) recorded" in out


def test_the_postal_csv_still_works_and_imap_flags_are_refused_for_files(
    sent: tuple[Path, dict[str, tuple[str, str, str]]], tmp_path: Path
) -> None:
    folder, _ = sent
    csv = tmp_path / "ritorni.csv"
    csv.write_text("key,event,date\n", encoding="utf-8")
    status, out = run("receipts", str(folder), str(csv))
    assert status == 0
    assert "Nothing new" in out
    assert run("receipts", str(folder), str(tmp_path), "--unseen")[0] == 2


# --- the real receipts -------------------------------------------------------------------


@pytest.fixture
def pec_samples() -> Path:
    if not PEC_FIXTURES.is_dir():
        pytest.skip("../shared/fixtures/pec is not present")
    return PEC_FIXTURES


@pytest.mark.real_samples
def test_real_receipts_are_classified_and_reported_when_not_ours(
    sent: tuple[Path, dict[str, tuple[str, str, str]]], pec_samples: Path
) -> None:
    folder, _ = sent
    status, out = run("receipts", str(folder), str(pec_samples), "--dry-run")
    assert status == 0
    lines = out.splitlines()
    assert "tozzi_accettazione.eml: PEC accettazione of " + ORIGINAL in lines[0]
    assert "tozzi_errore-consegna.eml: PEC errore-consegna of " + ORIGINAL in lines[1]
    assert all("not a message dunning sent" in line for line in lines[:2])
    assert lines[2] == "2 message(s) read: 2 not sent by dunning."
    assert lines[-1] == "Nothing new to record."


@pytest.mark.real_samples
def test_real_receipts_link_to_the_message_sent_with_their_id(
    sent: tuple[Path, dict[str, tuple[str, str, str]]], pec_samples: Path
) -> None:
    """A message sent with the id the real receipts name (as `MessageSent.message_id`
    records it) gets its failure recorded, with the receipt kept."""
    folder, ids = sent
    _, key, debtor = _one(ids, "pec")
    record(folder, [MessageSent(date(2024, 11, 15), debtor, key, "pec", ORIGINAL)])
    status, out = run("receipts", str(folder), str(pec_samples))
    assert status == 0, out
    lines = out.splitlines()
    assert f"{debtor} {key}: PEC accettazione: accepted for sending" in lines[0]
    assert f"{debtor} {key}: failed on 2024-11-15 18:21:03+01:00 for rec@fakepec.it" in lines[1]
    assert "indirizzo non valido" in lines[1]
    assert "(to check: X-Riferimento-Message-ID <" in lines[1]
    [event] = [e for e in history_of(folder) if isinstance(e, DeliveryFailed)]
    data = (pec_samples / "tozzi_errore-consegna.eml").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert event == DeliveryFailed(
        date(2024, 11, 15),
        debtor,
        key,
        "pec",
        reason="PEC errore-consegna: 5.1.1 - FAKE Pec S.p.A. - indirizzo non valido; "
        f"sha256:{digest}",
    )
    assert (folder / ".dunning" / "evidence" / f"{digest}.eml").read_bytes() == data


# --- the pieces --------------------------------------------------------------------------


def _planned(channel: str, key: str = "D1/step/x") -> ActionPlanned:
    return ActionPlanned(
        date(2026, 3, 2),
        "D1",
        key=key,
        step="sollecito_1",
        level=1,
        kind="reminder",
        channel=channel,
        items=("F1:0",),
        levels=(("F1:0", 1),),
        amount=Money("10.00", "EUR"),
    )


CREDITOR = Creditor("Studio", email="crediti@Studio.example.it", pec="studio@pec.example.it")


def test_sent_message_ids_use_the_domain_of_each_channel() -> None:
    table = sent_message_ids(
        [_planned("pec", "k-pec"), _planned("email", "k-mail"), _planned("postal", "k-post")],
        CREDITOR,
    )
    assert table == {
        message_id("k-pec", "pec.example.it"): ("k-pec", "D1", "pec"),
        message_id("k-mail", "studio.example.it"): ("k-mail", "D1", "email"),
    }


@pytest.mark.parametrize("returned", ["message", "headers", "none"])
def test_a_permanent_bounce_fails_the_email_it_quotes(returned: str) -> None:
    mid = message_id("k-mail", "studio.example.it")
    data = bounce(mid, "5.1.1", returned=returned, original_message_id_field=returned == "none")  # type: ignore[arg-type]
    found = read_bounce(data)
    assert (found.outcome, found.status, found.permanent) == ("failed", "5.1.1", True)
    assert found.message_id == mid
    [event] = bounce_events(found, {mid: ("k-mail", "D1")})
    assert isinstance(event, DeliveryFailed)
    assert event.reason.startswith("bounced 5.1.1 for amministrazione@debitore.example.it: 550")
    table = sent_message_ids([_planned("email", "k-mail")], CREDITOR)
    proof = prove(data, "b.eml", table)
    assert proof.what == "bounce"
    assert proof.events == (event,)


def test_a_delay_or_a_success_report_records_nothing() -> None:
    mid = message_id("k-mail", "studio.example.it")
    table = sent_message_ids([_planned("email", "k-mail")], CREDITOR)
    delayed = prove(bounce(mid, "4.4.7"), "d.eml", table)
    assert (delayed.outcome, delayed.events, delayed.linked) == ("delayed", (), True)
    ok = prove(bounce(mid, "2.0.0"), "ok.eml", table)
    assert (ok.outcome, ok.events) == ("delivered", ())


def test_a_report_naming_no_message_is_not_a_bounce() -> None:
    with pytest.raises(NotABounce, match="names no message"):
        read_bounce(bounce("<x@y>", "5.1.1", returned="none"))
    with pytest.raises(NotABounce, match="multipart/report"):
        read_bounce(b"From: a@b\nSubject: x\n\nhi\n")


def test_new_events_and_local_messages(tmp_path: Path) -> None:
    event = DeliveryConfirmed(date(2026, 3, 2), "D1", "k", "pec", evidence="a")
    other_copy = DeliveryConfirmed(date(2026, 3, 2), "D1", "k", "pec", evidence="b")
    assert new_events([event, other_copy], []) == [event]
    assert new_events([other_copy], [event]) == []
    with pytest.raises(FileNotFoundError):
        list(local_messages(tmp_path / "missing"))
    (tmp_path / "b.eml").write_bytes(b"x")
    (tmp_path / "a.txt").write_bytes(b"y")
    assert [m.source for m in local_messages(tmp_path)] == [str(tmp_path / "b.eml")]


def test_keep_evidence_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    data = b"receipt bytes"
    digest = hashlib.sha256(data).hexdigest()
    path = keep_evidence(tmp_path / "evidence", data, digest)
    assert path.name == f"{digest}.eml"
    assert path.read_bytes() == data
    assert keep_evidence(tmp_path / "evidence", data, digest) == path
    assert [p.name for p in (tmp_path / "evidence").iterdir()] == [path.name]


@pytest.mark.parametrize(
    "name", ["dunning.channels.imap", "dunning.channels.inbox", "dunning.channels.bounce"]
)
def test_all_lists_every_public_name(name: str) -> None:
    import importlib
    import types

    module = importlib.import_module(name)
    assert len(set(module.__all__)) == len(module.__all__)
    for item in module.__all__:
        assert hasattr(module, item), item
        value = getattr(module, item)
        if isinstance(value, type | types.FunctionType):
            assert value.__doc__, item
    public = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", name) == name
        and (callable(value) or isinstance(value, type))
    }
    assert public <= set(module.__all__)


def test_a_receipt_settles_the_message_in_doubt_it_names(
    sent: tuple[Path, dict[str, tuple[str, str, str]]], tmp_path: Path
) -> None:
    """A PEC acceptance receipt naming the Message-ID of a message whose send is in doubt is the
    evidence that it left: the message is settled as sent, never sent again."""
    from dunning.cli import _queue, _store_url, _sync
    from dunning.dispatch import approve

    folder, ids = sent
    pec_id, pec_key, pec_debtor = _one(ids, "pec")
    _, mail_key, _ = _one(ids, "email")
    outbox = tmp_path / "outbox"
    approve(outbox, at=LATER)
    url = _store_url(folder)
    assert url is not None
    with _queue(folder, url) as queue:
        _sync(queue, folder, outbox)
        for key in (pec_key, mail_key):  # two dispatchers died mid-send
            assert queue.claim("dead:1", now=LATER, keys=[key]) is not None
    folder_of_receipts = tmp_path / "ricevute"
    folder_of_receipts.mkdir()
    (folder_of_receipts / "1.eml").write_bytes(pec_receipt("accettazione", pec_id, timestamp=LATER))
    status, out = run("receipts", str(folder), str(folder_of_receipts))
    assert status == 0, out
    assert f"{pec_key}: was in doubt; settled as sent by this evidence: receipt sent sha256:" in out
    with _queue(folder, url) as queue:
        assert queue.get(pec_key).state == "sent"  # type: ignore[union-attr]
        assert queue.get(mail_key).state == "sending"  # type: ignore[union-attr]  # no evidence
        [settled] = [e for e in queue.log(pec_key) if e.what == "settled"]
        assert settled.worker == "dunning receipts"
        assert queue.verify() == []
    [event] = [e for e in history_of(folder) if isinstance(e, MessageSent)]
    assert (event.key, event.debtor_id, event.date) == (pec_key, pec_debtor, LATER.date())
    # the same receipt again settles nothing twice
    status, again = run("receipts", str(folder), str(folder_of_receipts))
    assert "settled" not in again
