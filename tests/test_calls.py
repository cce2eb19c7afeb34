"""The call list (CSV and iCalendar) and the call outcomes read back as events."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest

from dunning import DataError, Proposal, plan, policies, simulate
from dunning.calls import (
    CALL_COLUMNS,
    OUTCOMES,
    CallTask,
    call_tasks,
    calls_csv,
    calls_ics,
    read_call_outcomes,
)
from dunning.events import (
    DebtorReplied,
    DisputeOpened,
    Event,
    MessageSent,
    PromiseToPay,
)
from dunning.importers.folder import read_folder
from dunning.money import Money

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"

CALL_DAY = date(2026, 8, 25)
NOTICE_DAY = date(2026, 9, 1)  # the formal notice follows the call 7 days later


@pytest.fixture(scope="module")
def example() -> tuple[object, object, list[Event], Proposal]:
    folder = read_folder(EXAMPLE)
    policy = policies.load(folder.policy.preset, **folder.policy.kwargs())
    timeline = simulate(folder.portfolio, policy, date(2026, 7, 15), CALL_DAY - date.resolution)
    history = list(timeline.events)
    return folder.portfolio, policy, history, plan(folder.portfolio, policy, CALL_DAY, history)


def _tasks(example: tuple[object, object, list[Event], Proposal], **kw: object) -> list[CallTask]:
    portfolio, policy, history, proposal = example
    return list(call_tasks(proposal, portfolio, policy, history, **kw))  # type: ignore[arg-type]


def test_call_tasks_hold_the_window_the_talking_points_and_the_last_contacts(example) -> None:
    tasks = _tasks(example)
    portfolio, _, _, proposal = example
    assert [t.key for t in tasks] == [a.key for a in proposal if a.channel == "phone"]
    assert len(tasks) == 6
    c015 = next(t for t in tasks if t.debtor_id == "C015")
    assert c015.phone == portfolio.debtor("C015").phone
    # office hours in the debtor's zone, the same instants in the caller's zone
    assert c015.window() == "09:00-18:00 Europe/Rome"
    assert c015.start == datetime(2026, 8, 25, 9, tzinfo=ZoneInfo("Europe/Rome"))
    points = "\n".join(c015.talking_points)
    assert "2026/0029" in points
    assert "2026/0059" in points
    assert "Totale dovuto al 25 ago 2026" in points
    assert "interessi di mora" in points
    assert "Solleciti già inviati in questo episodio: 3" in points
    assert "non mantenuta" in points  # the promise of 5 June was broken
    assert "RF" in points
    assert c015.total_due > c015.amount  # with interest and compensation
    for word in ("avvocat", "tribunal", "legale", "agenzia", "decreto", "pignor"):
        assert word not in points.lower()  # facts and a question, never a threat
    contacts = "\n".join(c015.last_contacts)
    assert "sollecito_3 via e-mail" in contacts
    assert "14 ago 2026" in contacts


def test_the_callers_zone_moves_the_window(example) -> None:
    (task, *_) = _tasks(example, caller_zone="America/New_York", locale="en_US")
    assert task.window(caller=True) == "03:00-12:00 America/New_York"
    assert task.window() == "09:00-18:00 Europe/Rome"
    assert any(p.startswith("Total due on") for p in task.talking_points)


def test_the_call_list_talks_of_open_disputes_without_claiming_them(example) -> None:
    portfolio, policy, history, proposal = example
    (action, *_) = [a for a in proposal if a.debtor_id == "C015"]
    disputed = DisputeOpened(date(2026, 8, 20), "C015", "2026/0059", reason="prezzo")
    (task,) = call_tasks([action], portfolio, policy, [*history, disputed])
    assert any("Contestazione aperta su 2026/0059" in p for p in task.talking_points)


def _rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the accents right
    text = data[3:].decode("utf-8")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def test_calls_csv_is_for_excel_in_italy_and_safe_from_formulas(example) -> None:
    tasks = _tasks(example)
    evil = attrs.evolve(tasks[0], debtor='=HYPERLINK("http://x")', contact_person="@SUM(A1)")
    rows = _rows(calls_csv([evil, *tasks[1:]]))
    assert list(rows[0]) == list(CALL_COLUMNS)
    assert rows[0]["debtor"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["contact_person"] == "'@SUM(A1)"
    assert rows[0]["phone"].startswith("'+39")
    assert rows[1]["amount"] == str(tasks[1].amount.amount).replace(".", ",")
    assert "\n" in rows[1]["talking_points"]  # one point a line, in one cell
    assert all(rows[1][c] == "" for c in ("outcome", "until", "note"))
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def _unfold(data: bytes) -> list[str]:
    assert data.endswith(b"\r\n")
    for physical in data.split(b"\r\n")[:-1]:
        assert len(physical) <= 75  # folded at 75 octets
        physical.decode("utf-8")  # never inside a character
    assert b"\n" not in data.replace(b"\r\n", b"")
    return data.replace(b"\r\n ", b"").decode("utf-8").split("\r\n")[:-1]


def _unescape(value: str) -> str:
    out, chars = [], iter(value)
    for c in chars:
        if c == "\\":
            nxt = next(chars)
            out.append("\n" if nxt in "nN" else nxt)
        else:
            assert c not in ",;"  # every comma and semicolon of a TEXT value is escaped
            out.append(c)
    return "".join(out)


def test_calls_ics_is_rfc_5545_and_parses_back(example) -> None:
    tasks = _tasks(example)
    tricky = attrs.evolve(
        tasks[0],
        debtor="Caffè, Bar; & Co. \\ «Ü»",
        talking_points=("àèìòù " * 30, "a;b,c\\d\nnew line"),
    )
    lines = _unfold(calls_ics([tricky, *tasks[1:]], domain="example.it"))
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    events: list[dict[str, str]] = []
    for line in lines:
        if line == "BEGIN:VEVENT":
            events.append({})
        elif events and ":" in line and not line.startswith("END:"):
            name, _, value = line.partition(":")
            events[-1][name] = value
    assert len(events) == len(tasks)
    first = events[0]
    assert first["UID"] == tasks[0].key.replace(",", "\\,") + "@example.it"
    assert first["DTSTART"] == "20260825T070000Z"  # 09:00 in Rome in summer
    assert first["DTEND"] == "20260825T160000Z"
    assert _unescape(first["SUMMARY"]).startswith("Caffè, Bar; & Co. \\ «Ü»")
    description = _unescape(first["DESCRIPTION"])
    assert "• " + "àèìòù " * 30 in description
    assert "• a;b,c\\d\nnew line" in description
    assert len({e["UID"] for e in events}) == len(events)


def _outcomes(text: str, portfolio: object) -> tuple[Event, ...]:
    return read_call_outcomes(text, portfolio)  # type: ignore[arg-type]


def test_each_outcome_becomes_its_events(example) -> None:
    portfolio = example[0]
    text = (
        "key,debtor_id,date,outcome,until,promised_amount,invoice_id,reference,note\n"
        "C015|EUR|telefonata|phone|2026-08-25,,2026-08-25,no_answer,,,,,\n"
        ",C015,2026-08-25,reached,,,,,parla con il titolare\n"
        ",C015,2026-08-25,callback,2026-08-27,,,,\n"
        ",C015,2026-08-25,promise,2026-09-10,500.00,,,\n"
        ",C015,2026-08-25,payment_sent,,,,CRO 123,\n"
        ",C015,2026-08-25,dispute,,,2026/0029,,merce difettosa\n"
        ",C015,2026-08-25,dispute,,,,,\n"
        ",C015,2026-08-25,wrong_number,,,,,risponde un privato\n"
    )
    events = _outcomes(text, portfolio)
    kinds = [(type(e).__name__, getattr(e, "kind", "")) for e in events]
    assert kinds == [
        ("MessageSent", ""),
        ("DebtorReplied", "other"),
        ("DebtorReplied", "other"),
        ("DebtorReplied", "other"),
        ("PromiseToPay", ""),
        ("DebtorReplied", "payment_sent"),
        ("DebtorReplied", "other"),
        ("DisputeOpened", ""),
        ("DebtorReplied", "dispute"),
        ("DebtorReplied", "wrong_address"),
    ]
    assert isinstance(events[0], MessageSent)
    assert events[0].key == "C015|EUR|telefonata|phone|2026-08-25"
    assert events[0].debtor_id == "C015"  # from the key
    assert events[0].note == "no answer"
    assert all(e.channel == "phone" for e in events if isinstance(e, DebtorReplied))
    assert "2026-08-27" in events[2].note  # type: ignore[attr-defined]
    promise = events[4]
    assert isinstance(promise, PromiseToPay)
    assert (promise.until, promise.amount) == (date(2026, 9, 10), Money("500.00", "EUR"))
    assert events[5].reference == "CRO 123"  # type: ignore[attr-defined]
    assert events[7] == DisputeOpened(CALL_DAY, "C015", "2026/0029", reason="merce difettosa")
    assert set(OUTCOMES) == {"reached", "no_answer", "callback", "promise", "payment_sent",
                             "dispute", "wrong_number"}  # fmt: skip


def _notice_for(example, outcome_row: str) -> tuple[object, ...]:
    portfolio, policy, history, proposal = example
    header = "debtor_id,date,outcome,until,promised_amount,invoice_id,reference\n"
    after = [*history, *proposal.events(), *_outcomes(header + outcome_row, portfolio)]
    day = NOTICE_DAY
    return tuple(a for a in plan(portfolio, policy, day, after) if a.debtor_id == "C015")


def test_the_next_plan_reacts_to_the_outcome(example) -> None:
    # without an outcome (or when nobody answered) the formal notice follows on schedule
    (baseline,) = _notice_for(example, "")
    assert baseline.kind == "formal_notice"
    assert set(baseline.items) == {"2026/0029", "2026/0059"}
    key = next(a.key for a in example[3] if a.debtor_id == "C015")
    portfolio, policy, history, proposal = example
    answered = _outcomes(f"key,date,outcome\n{key},2026-08-25,no_answer\n", portfolio)
    (same,) = [
        a
        for a in plan(portfolio, policy, NOTICE_DAY, [*history, *proposal.events(), *answered])
        if a.debtor_id == "C015"
    ]
    assert same == baseline
    # a promise defers the next step until its date
    assert _notice_for(example, "C015,2026-08-25,promise,2026-09-10,,,\n") == ()
    # "I have paid" holds the case for the payment-in-transit grace
    assert _notice_for(example, "C015,2026-08-31,payment_sent,,,,CRO 0001\n") == ()
    # a dispute takes the invoice out of the claim
    (notice,) = _notice_for(example, "C015,2026-08-25,dispute,,,2026/0029,\n")
    assert notice.items == ("2026/0059",)
    # a wrong number: the phone is not used again until its address is updated
    wrong = _outcomes("debtor_id,date,outcome\nC015,2026-08-25,wrong_number\n", portfolio)
    case = portfolio.case("C015", NOTICE_DAY, [*history, *proposal.events(), *wrong])
    assert "phone" in case.wrong_channels


def test_the_filled_in_call_list_reads_back_as_excel_saves_it(example) -> None:
    portfolio = example[0]
    rows = _rows(calls_csv(_tasks(example)))
    rows[0].update(outcome="promise", until="10/09/2026", promised_amount="1.000,00")
    rows[1].update(outcome="no_answer")
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(CALL_COLUMNS), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    events = _outcomes(out.getvalue(), portfolio)
    assert [type(e).__name__ for e in events] == ["DebtorReplied", "PromiseToPay", "MessageSent"]
    promise = events[1]
    assert isinstance(promise, PromiseToPay)
    assert promise.debtor_id == rows[0]["debtor_id"]
    assert (promise.until, promise.amount) == (date(2026, 9, 10), Money("1000.00", "EUR"))
    assert events[2].key == rows[1]["key"]  # type: ignore[attr-defined]
    # a problem names the line its record starts on, though cells span several lines
    rows[1].update(outcome="no answer")
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(CALL_COLUMNS), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    with pytest.raises(DataError) as caught:
        _outcomes(out.getvalue(), portfolio)
    first_record = out.getvalue().split("\r\n" + rows[1]["key"])[0]
    (error,) = caught.value.errors
    assert (error.field, error.line) == ("outcome", first_record.count("\n") + 2)
    assert "did you mean 'no_answer'" in error.message


def test_outcomes_from_a_file(example, tmp_path) -> None:
    path = tmp_path / "call_outcomes.csv"
    path.write_bytes(b"\xef\xbb\xbfdebtor_id;date;outcome\r\nC015;2026-08-25;reached\r\n")
    (event,) = read_call_outcomes(path, example[0])  # type: ignore[arg-type]
    assert isinstance(event, DebtorReplied)


def test_bad_outcomes_are_all_reported_with_their_line_and_column(example) -> None:
    text = (
        "debtor_id,date,outcome,until,promised_amount,invoice_id\n"
        "C015,2026-08-25,promis,,,\n"
        "C015,2026-08-25,promise,,,\n"
        "C015,2026-08-25,promise,2026-08-01,,\n"
        "C015,2026-08-25,dispute,,,2099/9999\n"
        "C015,2026-08-25,dispute,,,2026/0145\n"
        "C999,2026-08-25,reached,,,\n"
        "C015,25/08/2026,reached,,,\n"
        "C015,2026-08-25,reached,,12.50,\n"
        "C015,2026-08-25,promise,2026-09-10,12.5.0,\n"
        "C015,2026-08-25,,,,\n"
        "C015,2026-08-25,no_answer,,,\n"
    )
    with pytest.raises(DataError) as caught:
        _outcomes(text, example[0])
    found = [(e.line, e.field) for e in caught.value.errors]
    assert found == [
        (2, "outcome"),
        (3, "until"),
        (4, "until"),
        (5, "invoice_id"),
        (6, "invoice_id"),
        (7, "debtor_id"),
        (8, "date"),
        (9, "promised_amount"),
        (10, "promised_amount"),
        (12, "key"),
    ]
    messages = [e.message for e in caught.value.errors]
    assert "did you mean 'promise'" in messages[0]
    assert "belongs to debtor 'C004'" in messages[4]
    assert all(e.source == "call_outcomes.csv" for e in caught.value.errors)


def test_a_key_must_match_the_debtor(example) -> None:
    text = (
        "key,debtor_id,date,outcome\nC004|EUR|telefonata|phone|2026-08-25,C015,2026-08-25,reached\n"
    )
    with pytest.raises(DataError) as caught:
        _outcomes(text, example[0])
    assert [(e.line, e.field) for e in caught.value.errors] == [(2, "key")]


def test_an_unknown_column_is_reported(example) -> None:
    with pytest.raises(DataError) as caught:
        _outcomes("debtor_id,date,outcome,esito\nC015,2026-08-25,reached,x\n", example[0])
    assert [(e.line, e.field) for e in caught.value.errors] == [(1, "esito")]


def test_the_folder_reads_call_outcomes(tmp_path) -> None:
    import shutil

    folder = tmp_path / "tipografia"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dunning"))
    (folder / "call_outcomes.csv").write_text(
        "debtor_id;date;outcome;until;promised_amount\n"
        "C015;2026-08-25;promise;10/09/2026;1.988,60\n",
        encoding="utf-8-sig",
    )
    events = read_folder(folder).portfolio.events_of("C015")
    (promise,) = [e for e in events if isinstance(e, PromiseToPay) and e.date == CALL_DAY]
    assert promise.amount == Money("1988.60", "EUR")
    (folder / "call_outcomes.csv").write_text("debtor_id,date,outcome\nC015,2026-08-25,x\n")
    with pytest.raises(DataError) as caught:
        read_folder(folder)
    assert [(e.source, e.line, e.field) for e in caught.value.errors] == [
        ("call_outcomes.csv", 2, "outcome")
    ]


def test_a_debt_collectors_call_in_the_consumers_hours_with_the_disclosure() -> None:
    from dunning import Creditor, Debtor, Invoice, Portfolio, PostalAddress
    from dunning.policies import us

    jane = Debtor(
        "U1",
        "Jane Doe",
        kind="consumer",
        country="US",
        locale="en_US",
        timezone="America/Chicago",
        email="jane@example.com",
        phone="+13125550100",
        address=PostalAddress(["1 Main St"], "60601", "Chicago", "IL", "US"),
    )
    bill = Invoice.single("INV-9", "U1", date(2026, 1, 5), date(2026, 2, 4), Money("800", "USD"))
    portfolio = Portfolio(
        Creditor("Acme Recovery LLC", country="US", locale="en_US"), [jane], [bill]
    )
    policy = us.regulation_f(collector=True)
    timeline = simulate(portfolio, policy, date(2026, 3, 2), date(2026, 5, 8))
    call = next(a for a in timeline if a.channel == "phone")
    history = [e for e in timeline.events if e.date < call.date]
    (task,) = call_tasks([call], portfolio, policy, history)
    # Regulation F's hours in the consumer's zone; the caller's clock is Eastern
    assert task.window() == "08:00-21:00 America/Chicago"
    assert task.window(caller=True) == "09:00-22:00 America/New_York"
    assert "debt collector" in task.talking_points[0]
    assert task.language == "en"


def test_call_outcome_events_survive_the_history_file(example, tmp_path) -> None:
    from dunning.history import append_events, read_events

    text = (
        "key,debtor_id,date,outcome,until,promised_amount,invoice_id\n"
        "C015|EUR|telefonata|phone|2026-08-25,,2026-08-25,no_answer,,,\n"
        ",C015,2026-08-25,promise,2026-09-10,500.00,\n"
        ",C015,2026-08-25,dispute,,,2026/0029\n"
    )
    events = _outcomes(text, example[0])
    append_events(tmp_path / "history.jsonl", events)
    assert tuple(read_events(tmp_path / "history.jsonl")) == events
