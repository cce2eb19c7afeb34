"""A year of the example as the debtors read it: every message rendered, in order, per debtor.

Per-template tests check the fields; this reads the whole sequence each debtor receives and
checks what a person would notice at once: leftovers of the template language, figures in the
wrong locale, reminders numbered out of order, a formal notice without its legal wording."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from dunning import Event, policies, simulate
from dunning.importers.folder import read_folder
from dunning.render import Message, _format, render

ITALIAN = _format("it_IT")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"

#: What never belongs in a message a debtor reads.
LEFTOVERS = {
    "a Python None": re.compile(r"\bNone\b"),
    "a NaN": re.compile(r"\bnan\b|\bNaN\b"),
    "template syntax": re.compile(r"\{\{|\}\}|\{%|%\}"),
    "a space before a comma or full stop": re.compile(r"\S [,.;:](?!\d)"),
    "a double space inside a line": re.compile(r"\S  +\S"),
    "an amount written the English way": re.compile(r"\d\.\d\d\s?€|€\s?\d+\.\d\d\b"),
    "an ISO date": re.compile(r"\b20\d\d-\d\d-\d\d\b"),
    "an empty list item": re.compile(r"^- *$", re.M),
}


@pytest.fixture(scope="module")
def year() -> list[tuple[object, Message, list[Event]]]:
    data = read_folder(EXAMPLE)
    policy = policies.load(data.policy.preset, **data.policy.kwargs())
    timeline = simulate(data.portfolio, policy, date(2026, 1, 1), date(2026, 12, 31))
    events = list(timeline.events)
    out = []
    for action in timeline:
        if action.kind == "call":
            continue
        before = [e for e in events if e.date < action.date]
        out.append((action, render(action, data.portfolio, policy, before), before))
    assert len(out) > 150, "the example year should give plenty of messages"
    return out


def test_no_message_of_the_year_has_leftovers(year) -> None:
    found: dict[str, list[str]] = defaultdict(list)
    for action, message, _ in year:
        for what, pattern in LEFTOVERS.items():
            for match in pattern.finditer(message.text):
                line = message.text[: match.start()].count("\n") + 1
                found[what].append(f"{action.key} line {line}: {match.group(0)!r}")
        assert message.subject, action.key
        assert f"Oggetto: {message.subject}" in message.text, action.key
        assert message.language == "it"
    assert not found, dict(found)


def test_each_debtor_reads_reminders_numbered_in_order_within_an_episode(year) -> None:
    numbers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for action, message, before in year:
        if action.kind != "reminder":
            continue
        match = re.search(r"Sollecito di pagamento(?: n\. (\d+))?", message.subject)
        assert match, message.subject
        episode = _episode(action, before)
        numbers[(action.debtor_id, episode)].append(int(match.group(1) or 1))
    assert numbers
    for (debtor, episode), seen in numbers.items():
        assert seen == list(range(1, len(seen) + 1)), (debtor, episode, seen)


def _episode(action, before: list[Event]) -> int:
    data = _data()
    return data.portfolio.case(action.debtor_id, action.date, before).episode.number


_DATA: list = []


def _data():
    if not _DATA:
        _DATA.append(read_folder(EXAMPLE))
    return _DATA[0]


def test_every_formal_notice_puts_the_debtor_in_default_and_interrupts_limitation(year) -> None:
    notices = [(a, m, b) for a, m, b in year if a.kind == "formal_notice"]
    assert notices
    for action, message, before in notices:
        assert "art. 1219" in message.text, action.key
        assert "2943" in message.text, action.key
        items = {
            i.key: i for i in _data().portfolio.case(action.debtor_id, action.date, before).items
        }
        for key in action.items:
            assert f"fattura {items[key].label}" in message.text, (action.key, key)


def test_a_hand_over_comes_after_a_formal_notice_in_the_same_episode(year) -> None:
    last_kind: dict[str, str] = {}
    for action, _message, before in year:
        episode = _episode(action, before)
        key = f"{action.debtor_id}/{episode}"
        if action.kind == "hand_over":
            assert last_kind.get(key) == "formal_notice", (key, last_kind.get(key))
        if action.kind in ("reminder", "formal_notice", "hand_over"):
            last_kind[key] = action.kind


def test_an_invoice_already_due_is_never_called_not_yet_due(year) -> None:
    checked = 0
    for action, message, before in year:
        items = {
            i.key: i for i in _data().portfolio.case(action.debtor_id, action.date, before).items
        }
        for key in action.upcoming:
            item = items[key]
            line = f"- fattura {item.label} "
            due = ITALIAN.date(item.due_date)
            said = [ln for ln in message.text.splitlines() if ln.startswith(line) and due in ln]
            assert said, (action.key, key)
            if item.due_date < action.date:
                checked += 1
                assert all("scaduta il" in ln for ln in said), (action.key, said)
            else:
                assert all("in scadenza " in ln for ln in said), (action.key, said)
    assert checked  # the example has items overdue but not claimed
