"""PEC receipts: the real ones in ../shared/fixtures/pec, and one of every kind built here."""

from __future__ import annotations

import base64
import hashlib
import importlib
import mailbox
import types
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning import DeliveryConfirmed, DeliveryFailed
from dunning.channels.pec import (
    KINDS,
    OUTCOMES,
    NotAReceipt,
    Receipt,
    ReceiptError,
    Skipped,
    classify,
    normalise_message_id,
    read_receipt,
    read_receipts,
    receipt_events,
)
from dunning.outbox import message_id
from dunning.testing import pec_envelope, pec_receipt

PEC_FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "pec"
ORIGINAL = "<SN05IE$951DEC16C1CFD3E4FD8FF1B1D24A99AE@fakepec.it>"
CET = timezone(timedelta(hours=1))


@pytest.fixture
def pec_samples() -> Path:
    if not PEC_FIXTURES.is_dir():
        pytest.skip("../shared/fixtures/pec is not present")
    return PEC_FIXTURES


# --- the real receipts -------------------------------------------------------------------


@pytest.mark.real_samples
def test_real_acceptance(pec_samples: Path) -> None:
    data = (pec_samples / "tozzi_accettazione.eml").read_bytes()
    receipt = read_receipt(data, source="tozzi_accettazione.eml")
    assert receipt.kind == "accettazione"
    assert receipt.outcome == "sent"
    assert not receipt.final
    assert receipt.message_id == ORIGINAL
    assert receipt.timestamp == datetime(2024, 11, 15, 18, 20, 38, tzinfo=CET)
    assert receipt.recipients == ("rec@fakepec.it",)
    assert receipt.addressees == (("rec@fakepec.it", "certificato"),)
    assert receipt.error is None
    assert receipt.error_code == "nessuno"
    assert receipt.identificativo == "opec210312.20241115182038.288127.606.1.53@fakepec.it"
    assert receipt.sender == "sender@fakepec.it"
    assert receipt.subject == "Test PEC"
    assert receipt.provider == "FAKEPEC PEC S.p.A."
    assert receipt.receipt_type is None
    assert receipt.daticert
    assert receipt.discrepancies == ()
    assert receipt.raw == data
    assert receipt.sha256 == hashlib.sha256(data).hexdigest()
    assert receipt.source == "tozzi_accettazione.eml"


@pytest.mark.real_samples
def test_real_delivery_error(pec_samples: Path) -> None:
    data = (pec_samples / "tozzi_errore-consegna.eml").read_bytes()
    receipt = read_receipt(data)
    assert receipt.kind == "errore-consegna"
    assert receipt.failed
    assert receipt.final
    assert receipt.timestamp == datetime(2024, 11, 15, 18, 21, 3, tzinfo=CET)
    assert receipt.recipients == ("rec@fakepec.it",)
    assert receipt.error == "5.1.1 - FAKE Pec S.p.A. - indirizzo non valido"
    assert receipt.error_code == "no-dest"
    assert receipt.provider == "FAKE PEC S.p.A."
    # The header names <...@pec.it>, the signed daticert.xml <...@fakepec.it> (the id the
    # acceptance receipt confirms): daticert wins, and the disagreement is on record.
    assert receipt.message_id == ORIGINAL
    assert any("X-Riferimento-Message-ID" in d for d in receipt.discrepancies)
    assert any("consegna rec@fakepec.it" in d for d in receipt.discrepancies)


@pytest.mark.real_samples
def test_real_receipts_link_to_one_message_and_record_the_failure(pec_samples: Path) -> None:
    receipts = [r for r in read_receipts(pec_samples) if isinstance(r, Receipt)]
    assert [r.kind for r in receipts] == ["accettazione", "errore-consegna"]
    assert {r.message_id for r in receipts} == {ORIGINAL}
    assert len({r.identificativo for r in receipts}) == 1
    keys = {ORIGINAL: ("D1/formal/pec", "D1")}
    assert receipt_events(receipts[0], keys) == []
    [event] = receipt_events(receipts[1], keys)
    assert event == DeliveryFailed(
        date=date(2024, 11, 15),
        debtor_id="D1",
        key="D1/formal/pec",
        channel="pec",
        reason="PEC errore-consegna: 5.1.1 - FAKE Pec S.p.A. - indirizzo non valido",
    )


@pytest.mark.real_samples
def test_real_receipts_hash_is_stable_and_daticert_matches_its_file(pec_samples: Path) -> None:
    for name in ["accettazione", "errore-consegna"]:
        data = (pec_samples / f"tozzi_{name}.eml").read_bytes()
        first, second = read_receipt(data), read_receipt(bytes(data))
        assert first.sha256 == second.sha256 == hashlib.sha256(data).hexdigest()
        assert first == second
        xml = (pec_samples / f"daticert_tozzi_{name}.xml").read_bytes()
        assert base64.b64encode(xml).decode() in data.decode("ascii")
    assert (
        read_receipt((pec_samples / "tozzi_accettazione.eml").read_bytes()).sha256
        == "23b514dc0f92aedf9a4138ca3cfc36aff840935e3964a457701fa706ea65b5c9"
    )


@pytest.mark.real_samples
def test_real_receipts_carry_no_signature_part(pec_samples: Path) -> None:
    """The samples are multipart/signed but their smime.p7s part was left out."""
    for file in sorted(pec_samples.glob("*.eml")):
        data = file.read_bytes()
        assert b"multipart/signed" in data
        assert not read_receipt(data).signed


# --- every kind, built -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_reads_back(kind: str) -> None:
    mid = message_id(f"D7/step/{kind}", "pec.creditore.example.it")
    when = datetime(2026, 5, 4, 9, 30, 0, tzinfo=timezone(timedelta(hours=2)))
    data = pec_receipt(kind, mid, timestamp=when, recipients=("a@pec.example.it",))
    receipt = read_receipt(data)
    assert receipt.kind == kind
    assert receipt.message_id == mid
    assert receipt.timestamp == when
    assert receipt.recipients == ("a@pec.example.it",)
    assert receipt.signed
    assert receipt.daticert
    assert receipt.discrepancies == ()
    assert receipt.outcome == OUTCOMES[kind]
    assert classify(data) == "receipt"
    assert (receipt.error is None) == (OUTCOMES[kind] in ("sent", "in-transit", "delivered"))
    assert receipt.receipt_type == ("completa" if kind == "avvenuta-consegna" else None)


def test_what_each_kind_proves() -> None:
    assert set(OUTCOMES) == set(KINDS)
    assert [k for k in KINDS if OUTCOMES[k] == "delivered"] == ["avvenuta-consegna"]
    assert {k for k in KINDS if OUTCOMES[k] == "failed"} == {
        "non-accettazione",
        "errore-consegna",
        "rilevazione-virus",
    }
    assert OUTCOMES["preavviso-errore-consegna"] == "warning"
    assert OUTCOMES["accettazione"] == "sent"
    assert OUTCOMES["presa-in-carico"] == "in-transit"


@pytest.mark.parametrize("kind", KINDS)
def test_events_of_every_kind(kind: str) -> None:
    mid = message_id("D3/reminder-2/pec", "pec.creditore.example.it")
    when = datetime(2026, 5, 4, 23, 30, 0, tzinfo=CET)
    receipt = read_receipt(pec_receipt(kind, mid, timestamp=when, error="casella piena"))
    events = receipt_events(receipt, {mid: ("D3/reminder-2/pec", "D3")})
    if kind == "avvenuta-consegna":
        [event] = events
        assert isinstance(event, DeliveryConfirmed)
        assert event.evidence == receipt.evidence
        assert receipt.sha256 in event.evidence
    elif OUTCOMES[kind] == "failed":
        [event] = events
        assert isinstance(event, DeliveryFailed)
        assert event.reason == f"PEC {kind}: casella piena"
    else:
        assert events == []
        return
    assert event.date == date(2026, 5, 4)  # the receipt's own day, not UTC's
    assert (event.debtor_id, event.key, event.channel) == ("D3", "D3/reminder-2/pec", "pec")


def test_a_receipt_of_a_message_not_sent_by_dunning_records_nothing() -> None:
    receipt = read_receipt(pec_receipt("avvenuta-consegna", "<by-hand@example.it>"))
    assert receipt_events(receipt, {"<other@example.it>": ("k", "D1")}) == []


def test_message_ids_differing_in_brackets_and_domain_case_still_link() -> None:
    mid = message_id("D1/formal/pec", "pec.creditore.example.it")
    bare = mid.strip("<>").replace("pec.creditore", "PEC.Creditore")
    data = pec_receipt("avvenuta-consegna", bare, header_message_id=f" {bare} ")
    receipt = read_receipt(data)
    assert receipt.message_id == f"<{bare}>"  # brackets as the header has them, case kept
    assert receipt.discrepancies == ()
    assert normalise_message_id(receipt.message_id) == normalise_message_id(mid)
    [event] = receipt_events(receipt, {mid: ("D1/formal/pec", "D1")})
    assert isinstance(event, DeliveryConfirmed)


def test_header_and_daticert_disagree_daticert_wins() -> None:
    data = pec_receipt(
        "errore-consegna",
        "<m1@example.it>",
        header_kind="avvenuta-consegna",
        header_message_id="<m2@example.it>",
    )
    receipt = read_receipt(data)
    assert receipt.kind == "errore-consegna"
    assert receipt.message_id == "<m1@example.it>"
    assert len(receipt.discrepancies) == 2


def test_daticert_of_a_transport_envelope_on_a_receipt_keeps_the_header_kind() -> None:
    cert = (
        b"<postacert tipo='posta-certificata' errore='nessuno'><dati><data zona='+0100'>"
        b"<giorno>02/03/2026</giorno><ora>10:15:30</ora></data></dati></postacert>"
    )
    receipt = read_receipt(pec_receipt("accettazione", "<m1@example.it>", daticert_xml=cert))
    assert receipt.kind == "accettazione"
    assert receipt.discrepancies == (
        "X-Ricevuta says 'accettazione', daticert.xml tipo says 'posta-certificata': "
        "X-Ricevuta kept",
    )


def test_receipt_without_daticert_is_read_from_its_headers() -> None:
    when = datetime(2026, 1, 7, 8, 0, tzinfo=CET)
    data = pec_receipt(
        "avvenuta-consegna", "<m1@example.it>", timestamp=when, daticert=False, subject="Diffida"
    )
    receipt = read_receipt(data)
    assert not receipt.daticert
    assert receipt.kind == "avvenuta-consegna"
    assert receipt.message_id == "<m1@example.it>"
    assert receipt.timestamp == when
    assert receipt.recipients == ()
    assert receipt.subject == "Diffida"
    assert receipt.sender == "crediti@pec.creditore.example.it"
    assert receipt.receipt_type == "completa"
    assert receipt.identificativo == ""


def test_complete_receipt_reads_its_own_daticert_not_the_original_messages() -> None:
    """A complete delivery receipt attaches the original message (postacert.eml), which may
    carry any attachment, even one called daticert.xml: only the receipt's own counts."""
    decoy = pec_receipt("errore-consegna", "<decoy@x.it>", error="decoy")
    data = pec_receipt("avvenuta-consegna", "<m1@x.it>", original=decoy)
    assert b"postacert.eml" in data
    receipt = read_receipt(data)
    assert receipt.kind == "avvenuta-consegna"
    assert receipt.message_id == "<m1@x.it>"
    assert receipt.error is None


def test_latin1_daticert() -> None:
    xml = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<postacert tipo="accettazione" errore="nessuno"><intestazione>'
        "<mittente>a@pec.x.it</mittente><destinatari>b@pec.y.it</destinatari>"
        "<risposte>a@pec.x.it</risposte><oggetto>Diffida: è scaduto</oggetto></intestazione>"
        '<dati><gestore-emittente>Gestore S.p.A.</gestore-emittente><data zona="+0200">'
        "<giorno>30/06/2026</giorno><ora>23:59:59</ora></data>"
        "<identificativo>opec.1@pec.x.it</identificativo><msgid>&lt;m@x.it&gt;</msgid>"
        "</dati></postacert>"
    ).encode("iso-8859-1")
    receipt = read_receipt(pec_receipt("accettazione", "<m@x.it>", daticert_xml=xml))
    assert receipt.subject == "Diffida: è scaduto"
    assert receipt.addressees == (("b@pec.y.it", "certificato"),)
    assert receipt.timestamp == datetime(
        2026, 6, 30, 23, 59, 59, tzinfo=timezone(timedelta(hours=2))
    )
    assert any("Date header" in d for d in receipt.discrepancies)


def test_unsigned_receipt_is_read_and_says_so() -> None:
    receipt = read_receipt(pec_receipt("accettazione", "<m1@example.it>", signed=False))
    assert not receipt.signed
    assert receipt.kind == "accettazione"


def test_several_recipients() -> None:
    to = ("a@pec.example.it", "b@pec.example.it")
    accepted = read_receipt(pec_receipt("accettazione", "<m@x.it>", recipients=to))
    assert accepted.recipients == to
    delivered = read_receipt(
        pec_receipt("avvenuta-consegna", "<m@x.it>", recipients=to, delivered_to=to[1])
    )
    assert delivered.recipients == (to[1],)
    assert delivered.discrepancies == ()


def test_repr_does_not_dump_the_bytes() -> None:
    receipt = read_receipt(pec_receipt("accettazione", "<m1@example.it>"))
    text = repr(receipt)
    assert f"raw=<{len(receipt.raw)} bytes>" in text
    assert "daticert" in text
    assert "PD94" not in text
    assert "Content-Type" not in text


def test_builder_is_deterministic() -> None:
    assert pec_receipt("accettazione", "<a@b.it>") == pec_receipt("accettazione", "<a@b.it>")
    with pytest.raises(ValueError, match="aware"):
        pec_receipt("accettazione", "<a@b.it>", timestamp=datetime(2026, 1, 1))


def test_negative_zone() -> None:
    when = datetime(2026, 1, 7, 8, 0, tzinfo=timezone(-timedelta(hours=5, minutes=30)))
    assert read_receipt(pec_receipt("accettazione", "<m@x.it>", timestamp=when)).timestamp == when


# --- not receipts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "classification", "words"),
    [
        (pec_envelope("<m9@pec.debitore.example.it>"), "transport", "busta di trasporto"),
        (pec_envelope("<m9@pec.debitore.example.it>", anomaly=True), "anomaly", "anomalia"),
        (b"From: a@example.com\nTo: b@example.com\nSubject: ciao\n\nciao\n", "ordinary", "X-Ric"),
        (b"\x00\x01\x02 not mail at all", "garbage", "not an e-mail"),
        (b"", "garbage", "not an e-mail"),
    ],
)
def test_not_a_receipt(data: bytes, classification: str, words: str) -> None:
    with pytest.raises(NotAReceipt, match=words) as info:
        read_receipt(data, source="inbox/42.eml")
    assert info.value.classification == classification
    assert "inbox/42.eml" in str(info.value)
    assert isinstance(info.value, ValueError)
    expected = "ordinary" if classification == "garbage" else classification
    assert classify(data) == expected


def test_read_receipt_wants_bytes() -> None:
    with pytest.raises(TypeError, match="bytes"):
        read_receipt("X-Ricevuta: accettazione")  # type: ignore[arg-type]


def test_unknown_kind_is_a_clear_error() -> None:
    data = pec_receipt(
        "errore-consegna", "<m@x.it>", header_kind="mancata-consegna", daticert=False
    )
    with pytest.raises(ReceiptError, match="'mancata-consegna' is not a PEC receipt kind") as info:
        read_receipt(data)
    assert info.value.field == "X-Ricevuta"
    data = pec_receipt("accettazione", "<m@x.it>", header_kind="letta", daticert=False)
    with pytest.raises(ReceiptError, match="unknown receipt kind 'letta'"):
        read_receipt(data)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE postacert [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<postacert tipo="accettazione" errore="nessuno"><intestazione><oggetto>&c;</oggetto>
</intestazione></postacert>
"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE postacert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<postacert tipo="accettazione" errore="nessuno"><intestazione><oggetto>&secret;</oggetto>
</intestazione></postacert>
"""


@pytest.mark.parametrize("xml", [BOMB, EXTERNAL], ids=["bomb", "external-entity"])
def test_dangerous_daticert_is_refused_naming_the_part(xml: bytes) -> None:
    data = pec_receipt("accettazione", "<m@x.it>", daticert_xml=xml)
    with pytest.raises(ReceiptError, match="refused") as info:
        read_receipt(data)
    assert info.value.field is not None
    assert "daticert.xml (MIME part" in info.value.field
    assert "PEC receipt" in str(info.value)


@pytest.mark.parametrize(
    ("xml", "words"),
    [
        (b"<postacert tipo='accettazione'", "not well-formed"),
        (b"<fattura/>", "expected <postacert>"),
        (
            b"<postacert tipo='accettazione'><dati><data zona='CET'><giorno>1/2/2026</giorno>"
            b"<ora>10:00</ora></data></dati></postacert>",
            "bad <data>",
        ),
    ],
)
def test_malformed_daticert(xml: bytes, words: str) -> None:
    with pytest.raises(ReceiptError, match=words):
        read_receipt(pec_receipt("accettazione", "<m@x.it>", daticert_xml=xml))


def test_a_daticert_with_a_plain_doctype_is_read() -> None:
    good = pec_receipt("accettazione", "<m@x.it>")
    receipt = read_receipt(good)
    xml = (
        b'<?xml version="1.0"?>\n<!DOCTYPE postacert SYSTEM "daticert.dtd">\n'
        b"<postacert tipo='accettazione' errore='nessuno'><dati><data zona='+0100'>"
        b"<giorno>02/03/2026</giorno><ora>10:15</ora></data><msgid>&lt;m@x.it&gt;</msgid>"
        b"</dati></postacert>"
    )
    other = read_receipt(pec_receipt("accettazione", "<m@x.it>", daticert_xml=xml))
    assert other.timestamp == receipt.timestamp.replace(second=0)


# --- folders and Maildirs ----------------------------------------------------------------


def _mixed() -> dict[str, bytes]:
    return {
        "1-accepted.eml": pec_receipt("accettazione", "<m1@x.it>"),
        "2-delivered.eml": pec_receipt("avvenuta-consegna", "<m1@x.it>"),
        "3-envelope.eml": pec_envelope("<m2@y.it>"),
        "4-ordinary.eml": b"From: a@example.com\nSubject: hi\n\nhi\n",
        "5-bad.eml": pec_receipt("accettazione", "<m3@x.it>", daticert_xml=BOMB),
    }


def _check_mixed(items: list[Receipt | Skipped]) -> None:
    receipts = [i for i in items if isinstance(i, Receipt)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert sorted(r.kind for r in receipts) == ["accettazione", "avvenuta-consegna"]
    assert sorted(s.classification for s in skipped) == ["invalid", "ordinary", "transport"]
    for item in skipped:
        assert item.source
        assert item.reason
        assert item.source in item.reason


def test_folder_of_eml_files(tmp_path: Path) -> None:
    for name, data in _mixed().items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "notes.txt").write_text("not a message")
    items = list(read_receipts(tmp_path))
    _check_mixed(items)
    assert [Path(i.source).name for i in items] == sorted(_mixed())
    [one] = read_receipts(tmp_path / "2-delivered.eml")
    assert isinstance(one, Receipt)
    assert one.delivered


def test_maildir_with_mixed_content(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for data in _mixed().values():
        box.add(data)
    box.close()
    _check_mixed(list(read_receipts(tmp_path / "Maildir")))
    _check_mixed(list(read_receipts(mailbox.Maildir(tmp_path / "Maildir", create=False))))


def test_unreadable_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.eml").write_bytes(pec_receipt("accettazione", "<m1@x.it>"))
    (tmp_path / "b.eml").write_bytes(pec_receipt("accettazione", "<m2@x.it>"))
    (tmp_path / "c.eml").mkdir()  # not a file: ignored
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "a.eml":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    first, second = read_receipts(tmp_path)
    assert isinstance(first, Skipped)
    assert first.classification == "unreadable"
    assert "Permission denied" in first.reason
    assert isinstance(second, Receipt)


def test_missing_source(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(read_receipts(tmp_path / "nowhere"))


# --- round trip --------------------------------------------------------------------------

addresses = st.from_regex(r"[a-z][a-z0-9.]{0,10}@pec\.[a-z]{2,8}\.it", fullmatch=True)
ids = st.from_regex(r"<[A-Za-z0-9$._-]{1,30}@[a-z]{1,10}\.(it|com)>", fullmatch=True)
zones = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
times = st.builds(
    lambda d, z: d.replace(tzinfo=z),
    st.datetimes(datetime(2005, 1, 1), datetime(2099, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
    zones,
)
texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Zl", "Zp")), max_size=40
).map(lambda s: " ".join(s.split()))


@given(
    kind=st.sampled_from(KINDS),
    mid=ids,
    when=times,
    recipients=st.lists(addresses, min_size=1, max_size=4, unique=True),
    subject=texts,
    error=st.none() | texts.filter(bool),
)
def test_round_trip(
    kind: str, mid: str, when: datetime, recipients: list[str], subject: str, error: str | None
) -> None:
    data = pec_receipt(
        kind, mid, timestamp=when, recipients=recipients, subject=subject, error=error
    )
    receipt = read_receipt(data)
    assert receipt.kind == kind
    assert receipt.message_id == mid
    assert receipt.timestamp == when
    assert receipt.timestamp.utcoffset() == when.utcoffset()
    per_recipient = kind in (
        "avvenuta-consegna",
        "errore-consegna",
        "preavviso-errore-consegna",
        "rilevazione-virus",
    )
    assert receipt.recipients == ((recipients[0],) if per_recipient else tuple(recipients))
    assert receipt.subject == subject
    if error:
        assert receipt.error == error
    assert receipt.discrepancies == ()
    assert receipt.sha256 == hashlib.sha256(data).hexdigest()


# --- public API --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["dunning.channels", "dunning.channels.pec", "dunning.testing.receipts"]
)
def test_all_lists_every_public_name(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert len(exported) == len(module.__all__)
    for item in exported:
        assert hasattr(module, item)
    public = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", name) == name
        and (callable(value) or isinstance(value, type))
    }
    assert public <= exported
