"""Tracking numbers and return cards come back from the post as events the policy reacts to."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

import dunning
from dunning import (
    ActionPlanned,
    Creditor,
    DataError,
    Debtor,
    DeliveryConfirmed,
    DeliveryFailed,
    Invoice,
    MessageSent,
    Money,
    Portfolio,
    PostalAddress,
)
from dunning.cli import main
from dunning.policies import italy
from dunning.returns import read_returns

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "tipografia"

CREDITOR = Creditor("Tipografia Emiliana S.r.l.", vat_number="IT03287650372")


def _formal_notice_by_post() -> tuple[
    Portfolio, dunning.Policy, list[dunning.Event], ActionPlanned
]:
    """A debtor with no PEC: the formal notice goes by raccomandata A/R."""
    debtor = Debtor(
        "D1",
        "Bar Sport di Neri Luca",
        kind="business",
        email="bar.sport@example.it",
        address=PostalAddress(["Via Roma 1"], "40121", "Bologna", "BO", "IT"),
    )
    invoice = Invoice.single(
        "F1", "D1", date(2026, 3, 2), date(2026, 3, 31), Money("900.00", "EUR")
    )
    pf = Portfolio(CREDITOR, [debtor], [invoice])
    policy = italy.stragiudiziale()
    planned: list[dunning.Event] = []
    for day in (date(2026, 3, 1) + timedelta(days=n) for n in range(200)):
        proposal = dunning.plan(pf, policy, day, planned)
        planned.extend(proposal.events())
        for action in proposal:
            if action.kind == "formal_notice":
                assert action.channel == "postal", action
                return pf, policy, planned, action.event()
    raise AssertionError("no formal notice in 200 days")


def test_a_return_card_proves_the_formal_notice_on_the_cards_date() -> None:
    pf, _policy, history, letter = _formal_notice_by_post()
    posted = letter.date
    text = (
        "key,event,date,tracking,signed_by\n"
        f"{letter.key},posted,{posted},RR123456789IT,\n"
        f"{letter.key},delivered,{date.fromordinal(posted.toordinal() + 3)},RR123456789IT,L. Neri\n"
    )
    events = read_returns(text, history)
    assert [type(e) for e in events] == [MessageSent, DeliveryConfirmed]
    sent, card = events
    assert isinstance(sent, MessageSent)
    assert sent.message_id == "RR123456789IT"
    assert isinstance(card, DeliveryConfirmed)
    assert card.date == date.fromordinal(posted.toordinal() + 3)
    assert "RR123456789IT" in card.evidence
    assert "L. Neri" in card.evidence
    case = pf.case("D1", card.date, [*history, *events])
    notice = case.episode.formal_notice
    assert notice is not None
    assert notice.delivered == card.date
    # the same file again records nothing new
    assert read_returns(text, [*history, *events]) == []


def test_a_returned_letter_voids_the_step_and_an_unclaimed_one_counts_as_received() -> None:
    pf, _policy, history, letter = _formal_notice_by_post()
    later = date.fromordinal(letter.date.toordinal() + 12)
    back = read_returns(
        f"key,event,date,note\n{letter.key},returned,{later},sconosciuto\n", history
    )
    assert back == [
        DeliveryFailed(later, "D1", letter.key, "postal", reason="returned to sender: sconosciuto")
    ]
    assert pf.case("D1", later, [*history, *back]).episode.formal_notice is None
    kept = read_returns(f"key,event,date\n{letter.key},unclaimed,{later}\n", history)
    assert isinstance(kept[0], DeliveryConfirmed)
    assert "1335" in kept[0].evidence
    notice = pf.case("D1", later, [*history, *kept]).episode.formal_notice
    assert notice is not None
    assert notice.delivered == later


def test_every_problem_is_named_with_its_line_and_field_and_nothing_is_recorded() -> None:
    _pf, _policy, history, letter = _formal_notice_by_post()
    reminder = next(e for e in history if isinstance(e, ActionPlanned) and e.kind == "reminder")
    text = (
        "key,event,date\n"
        f"{letter.key},posted,{letter.date}\n"  # good, but the file as a whole is refused
        "nope,posted,2026-07-01\n"
        f"{letter.key},deliverd,{letter.date}\n"
        f"{letter.key},delivered,2026-13-01\n"
        f"{letter.key},delivered,2026-01-01\n"
        f"{reminder.key},posted,{reminder.date}\n"
        f",posted,{letter.date}\n"
    )
    with pytest.raises(DataError) as caught:
        read_returns(text, history)
    found = {(e.line, e.field) for e in caught.value.errors}
    assert found == {(3, "key"), (4, "event"), (5, "date"), (6, "date"), (7, "key"), (8, "key")}
    messages = "\n".join(str(e) for e in caught.value.errors)
    assert "is not one of posted, delivered, unclaimed, returned" in messages
    assert "before the letter was planned" in messages
    assert "not a letter" in messages
    with pytest.raises(DataError, match="missing column"):
        read_returns("key,event\nx,posted\n", history)
    with pytest.raises(DataError, match="unknown column"):
        read_returns("key,event,date,colour\n", history)


def test_only_a_registered_letter_with_return_receipt_proves_delivery() -> None:
    letter = ActionPlanned(
        date(2026, 7, 1),
        "D1",
        key="D1:r1",
        step="reminder_2",
        level=2,
        kind="reminder",
        channel="postal",
        items=("F1:0",),
        levels=(("F1:0", 2),),
        amount=Money("10.00", "EUR"),
        service="priority",
    )
    with pytest.raises(DataError, match="no return card"):
        read_returns("key,event,date\nD1:r1,delivered,2026-07-03\n", [letter])
    assert len(read_returns("key,event,date\nD1:r1,posted,2026-07-01\n", [letter])) == 1


def test_the_receipts_command_records_the_cards_once(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "tipografia"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dunning", "out"))
    letters: list[dict] = []
    day = date(2026, 6, 1)
    while not letters and day < date(2026, 12, 31):
        out = tmp_path / f"out-{day}"
        assert main(["run", str(folder), "--as-of", str(day), "--outbox", str(out)]) == 0
        index = json.loads((out / "outbox.json").read_text(encoding="utf-8"))
        letters = [e for e in index if e["channel"] == "postal" and e["kind"] == "formal_notice"]
        day = date.fromordinal(day.toordinal() + 1)
    assert letters, "the example sends no formal notice by post"
    key = letters[0]["key"]
    cards = tmp_path / "ritorni.csv"
    cards.write_text(
        f"key,event,date,tracking,signed_by\n{key},delivered,{day},RR000000001IT,M. Bianchi\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["receipts", str(folder), str(cards)]) == 0
    said = capsys.readouterr().out
    assert "delivered: return card of registered letter RR000000001IT" in said
    assert "1 event(s) recorded" in said
    assert main(["receipts", str(folder), str(cards)]) == 0
    assert "Nothing new" in capsys.readouterr().out
    cards.write_text("key,event,date\nmissing,delivered,2026-07-01\n", encoding="utf-8")
    assert main(["receipts", str(folder), str(cards)]) == 2
    assert "ritorni.csv line 2: letter missing, field 'key'" in capsys.readouterr().err
