"""The command line, run on a copy of the bundled example folder."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dunning.cli import _waiting_summary, main
from dunning.errors import DataError
from dunning.importers.folder import read_folder
from dunning.proposal import Waiting

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "tipografia"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".dunning"))
    return target


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_run_prints_a_table_and_records_it(folder: Path) -> None:
    code, text = run("run", str(folder), "--as-of", "2026-07-15")
    assert code == 0
    assert text.splitlines()[0].split()[:4] == ["date", "debtor", "lvl", "step"]
    assert "sollecito_1" in text
    assert "€" in text  # amounts in the creditor's locale
    from dunning.cli import _read_history

    history = _read_history(folder)
    assert history
    assert all(type(e).__name__ == "ActionPlanned" for e in history)
    # the event store by default (the store extra is installed here), not history.jsonl
    if not os.environ.get("DUNNING_STORE"):
        assert (folder / ".dunning" / "dunning.sqlite").exists()
    assert not (folder / ".dunning" / "history.jsonl").exists()

    code, again = run("run", str(folder), "--as-of", "2026-07-15")
    assert code == 0
    assert again.startswith("Nothing new to plan for 2026-07-15")
    assert "0 action(s)" in again


def test_dry_run_records_nothing(folder: Path) -> None:
    run("run", str(folder), "--as-of", "2026-07-15", "--dry-run", "--why", "--waiting")
    assert not (folder / ".dunning").exists()


def test_json_is_a_list_of_actions(folder: Path) -> None:
    code, text = run("run", str(folder), "--as-of", "2026-07-15", "--json")
    assert code == 0
    actions = json.loads(text)
    assert isinstance(actions, list)
    assert actions
    required = {
        "date",
        "debtor_id",
        "step",
        "level",
        "kind",
        "channel",
        "items",
        "amount",
        "deadline",
        "why",
    }
    for action in actions:
        assert required <= set(action)
        assert action["date"] == "2026-07-15"


def test_explain_prints_history_and_reasoning(folder: Path) -> None:
    run("run", str(folder), "--as-of", "2026-07-15")
    code, text = run("explain", str(folder), "C005")
    assert code == 0
    assert "as of 2026-07-15" in text  # defaults to the last recorded run
    assert "history:" in text
    assert "reasoning:" in text
    assert "ActionPlanned sollecito_1" in text


def test_simulate_prints_a_timeline_and_records_nothing(folder: Path) -> None:
    code, text = run("simulate", str(folder), "--from", "2026-01-01", "--to", "2026-03-31")
    assert code == 0
    assert "preavviso" in text
    assert "sollecito_1" in text
    assert text.rstrip().endswith(".")
    assert not (folder / ".dunning").exists()


def test_errors_are_short_and_exit_2(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("run", str(folder / "missing"), "--as-of", "2026-07-15")[0] == 2
    assert "no folder" in capsys.readouterr().err
    assert run("explain", str(folder), "NOBODY", "--as-of", "2026-07-15")[0] == 2
    assert "no debtor 'NOBODY'" in capsys.readouterr().err
    assert run("simulate", str(folder), "--from", "2026-02-01", "--to", "2026-01-01")[0] == 2
    with pytest.raises(SystemExit):
        run("run", str(folder), "--as-of", "15/07/2026")
    assert "is not a date like 2026-07-15" in capsys.readouterr().err


def test_bad_data_names_file_line_and_field(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    invoices = folder / "invoices.csv"
    lines = invoices.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("amount")] = "12.50x"
    lines[1] = ",".join(cells)
    invoices.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("run", str(folder), "--as-of", "2026-07-15")[0] == 2
    err = capsys.readouterr().err
    assert "invoices.csv line 2" in err
    assert "'amount'" in err


def test_console_script_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dunning.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("dunning ")


def test_explain_shows_the_statement_or_why_not(folder: Path) -> None:
    code, text = run("explain", str(folder), "C015", "--as-of", "2026-06-30")
    assert code == 0
    assert "statement of account:" in text
    assert "total due 2,165.77 EUR" in text
    code, later = run("explain", str(folder), "C015", "--as-of", "2026-07-15")
    assert code == 0  # a rate the tables do not know is reported, not guessed
    assert "interest up to 2026-06-30 only" in later


def test_explain_without_the_2026_h2_rate_stops_the_interest_and_prints_the_toml(
    folder: Path,
) -> None:
    code, text = run("explain", str(folder), "C015", "--as-of", "2026-11-27")
    assert code == 0
    statement = text.split("statement of account:")[1]
    # the statement up to the last known rate (2026-06-30: 36.57 + 16.76 + 1.42 = 54.75)
    assert "interest 54.75 EUR" in statement
    assert "interest up to 2026-06-30 only: no published rate for 2026-H2" in statement
    # and the exact lines to add, which load once the rate is filled in
    lines = statement.split("as published:\n\n")[1].strip().splitlines()
    assert lines == [
        '[interest.reference_rates."it-231"]',
        '"2026-H2" = "<rate>"  # the ECB main refinancing rate in force on 01/07/2026',
    ]
    config = folder / "dunning.toml"
    config.write_text(config.read_text() + "\n" + "\n".join(lines).replace("<rate>", "2.15") + "\n")
    code, full = run("explain", str(folder), "C015", "--as-of", "2026-11-27")
    assert code == 0
    statement = full.split("statement of account:")[1]
    assert "interest up to" not in statement
    assert "<rate>" not in statement
    # 2026/0029, 1,195.60 EUR due 2026-03-12: 110 days at 10.15 % to 30 June (36.57) and 150
    # days at 2.15 + 8 = 10.15 % to 27 November (1195.60 × 10.15 × 150 / 36500 = 49.87)
    assert re.search(r"2026/0029 .* interest +86\.44 EUR", statement)
    # each line's interest period by period, as a person checking it wants it
    assert "2026-03-13 – 2026-11-27  260 d   10.15 %  on   1,195.60 EUR     86.44 EUR" in statement
    assert "total due 2,250.48 EUR" in statement


def test_a_placeholder_left_in_dunning_toml_is_an_error_naming_the_row(folder: Path) -> None:
    config = folder / "dunning.toml"
    config.write_text(
        config.read_text() + '\n[interest.reference_rates."it-231"]\n"2026-H2" = "<rate>"\n'
    )
    with pytest.raises(DataError) as info:
        read_folder(folder)
    (problem,) = info.value.errors
    assert problem.source == "dunning.toml"
    assert '"2026-H2"' in str(problem)
    assert "no rate given" in str(problem)


def test_rates_lists_sources_and_what_is_missing(folder: Path) -> None:
    code, text = run("rates", "--regime", "it-231", "--as-of", "2026-11-29")
    assert code == 0
    assert "2013-H2        0.50    8.50  GU n. 167 of 17/07/2013" in text
    assert "last known period: 2026-H1" in text
    assert "missing up to 2026-11-29: 2026-H2" in text
    config = folder / "dunning.toml"
    config.write_text(
        config.read_text()
        + '\n[interest.reference_rates."it-231"]\n'
        + '"2026-H2" = { rate = "2.15", source = "GU n. 160 of 13/07/2026" }\n'
    )
    code, text = run("rates", str(folder), "--regime", "it-231", "--as-of", "2026-11-29")
    assert code == 0
    assert "2026-H2        2.15   10.15  GU n. 160 of 13/07/2026 [dunning.toml]" in text
    assert "nothing missing up to 2026-11-29" in text
    # a supplied row that contradicts a published one is shown with the published figure
    config.write_text(config.read_text() + '"2026-H1" = "2.50"\n')
    code, text = run("rates", str(folder), "--regime", "it-231", "--as-of", "2026-11-29")
    assert (
        "2026-H1        2.50   10.50  dunning.toml, instead of the published 2.15 "
        "(GU n. 15 of 20/01/2026)" in text
    )
    code, every = run("rates", "--as-of", "2026-11-29")
    assert code == 0
    assert [line.split(":")[0] for line in every.splitlines() if line[:1].isalpha()] == [
        "it-231",
        "it-legal",
        "eu-2011-7",
        "de-288",
        "fr-l441-10",
        "es-3-2004",
        "uk-1998",
    ]
    assert run("rates", "--regime", "xx")[0] == 2


# -- bad input and quiet days, as a new user meets them -----------------------------------------


def test_a_payment_in_a_currency_the_debtor_is_not_invoiced_in_is_reported(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (folder / "payments.csv").open("a", encoding="utf-8") as handle:
        handle.write("BON-USD-1,C004,2026-07-01,463.60,USD,Saldo fattura 2026/0145\n")
    code, text = run("run", str(folder), "--as-of", "2026-07-15", "--dry-run")
    assert code == 0
    assert "C004" in text  # still owes: the USD payment paid nothing
    err = capsys.readouterr().err
    assert "warning: payment BON-USD-1 of debtor C004 is in USD" in err
    assert "invoiced only in EUR" in err
    assert "not allocated" in err


def test_a_huge_amount_is_one_message_not_a_traceback(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    invoices = folder / "invoices.csv"
    lines = invoices.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("amount")] = "1" * 32
    lines[1] = ",".join(cells)
    invoices.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("run", str(folder), "--as-of", "2026-07-15")[0] == 2
    err = capsys.readouterr().err
    assert "invoices.csv line 2" in err
    assert "'amount'" in err
    assert "too large" in err


def test_an_unclosed_quote_is_a_short_message(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    invoices = folder / "invoices.csv"
    lines = invoices.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",", ',"', 1)
    invoices.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("run", str(folder), "--as-of", "2026-07-15")[0] == 2
    err = capsys.readouterr().err
    assert "invoices.csv line 4: a quoted cell opens on this line and is never closed" in err
    assert len(err) < 400


def test_a_folder_saved_by_italian_excel_plans_the_same(folder: Path) -> None:
    # ';' between cells and a decimal comma, as Excel writes "CSV" with Italian settings
    expected = run("run", str(folder), "--as-of", "2026-07-15", "--json", "--dry-run")[1]
    for name in ("debtors.csv", "invoices.csv", "payments.csv", "events.csv"):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        column = rows[0].index("amount") if "amount" in rows[0] else None
        for row in rows[1:]:
            if column is not None and row[column]:
                whole, _, cents = row[column].partition(".")
                row[column] = f"{int(whole):,}".replace(",", ".") + "," + (cents or "00")
        with (folder / name).open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(rows)
    assert re.search(r";\d\.\d{3},\d\d;", (folder / "invoices.csv").read_text(encoding="utf-8"))
    code, text = run("run", str(folder), "--as-of", "2026-07-15", "--json", "--dry-run")
    assert code == 0
    assert text == expected


def test_on_a_sunday_it_says_why_nothing_is_sent(folder: Path) -> None:
    code, text = run("run", str(folder), "--as-of", "2026-07-19", "--dry-run")
    assert code == 0
    assert text.startswith(
        "2026-07-19 is a Sunday (not a business day in IT): nothing is sent; "
        "next business day 2026-07-20."
    )
    text = run("run", str(folder), "--as-of", "2026-06-02", "--dry-run")[1]
    assert text.startswith("2026-06-02 is a public holiday (not a business day in IT)")


def test_on_a_quiet_business_day_it_summarises_why_debtors_wait(folder: Path) -> None:
    code, text = run("run", str(folder), "--as-of", "2026-01-08", "--dry-run")
    assert code == 0
    lines = text.splitlines()
    assert lines[0] == "Nothing to do on 2026-01-08: no debtor has a step due today; why they wait:"
    assert lines[1:4] == [
        "  38 debtor(s): nothing open",
        "   1 debtor(s): blocked",
        "   1 debtor(s): pre-due notice not due yet (the first on 2026-01-30)",
    ]
    assert "(--waiting shows why)" in text


def test_reasons_are_grouped_without_what_is_particular_to_a_debtor() -> None:
    whys = [
        ("D1", "nothing open", None),
        ("D2", "blocked: procedura concorsuale", None),
        ("D3", "next: preavviso for 2026/0100", date(2026, 7, 24)),
        ("D4", "next: preavviso for 2026/0098", date(2026, 7, 22)),
        ("D5", "next: sollecito_1 for 2026/0131; held: payment in transit: 5 days", None),
        ("D6", "case paused while 2026/0085 is disputed (2026/0096, 2026/0101)", None),
        ("D7", "case paused while 2026/0012 is disputed", None),
        ("D8", "something else", None),
        ("D9", "and another", None),
    ]
    waiting = tuple(Waiting(d, "EUR", why, nxt) for d, why, nxt in whys)
    assert _waiting_summary(waiting) == [
        "  2 debtor(s): case paused while … is disputed",
        "  2 debtor(s): next step not due yet (the first on 2026-07-22)",
        "  1 debtor(s): and another",
        "  1 debtor(s): blocked",
        "  1 debtor(s): held: payment in transit",
        "  ... and 2 other reason(s)",
    ]


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(folder), "--as-of", "2026-07-15", "--dry-run"], out=_ClosedPipe())
    assert code == 1
    assert capsys.readouterr().err == ""


def test_piped_into_head_there_is_no_traceback(folder: Path) -> None:
    # the reader closes the pipe before anything is written, as `| head -0` would
    command = [sys.executable, "-m", "dunning.cli", "simulate", str(folder)]
    command += ["--from", "2026-01-01", "--to", "2026-12-31"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        assert child.stdout is not None
        assert child.stderr is not None
        child.stdout.close()
        err = child.stderr.read().decode()
        assert child.wait(timeout=120) == 1
    assert err == ""


# -- alerts: what a person must look at ----------------------------------------------------------


def _add_events(folder: Path, *rows: dict[str, str]) -> None:
    """Append rows to the example's events.csv, with the columns they need."""
    path = folder / "events.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        existing = list(reader)
    columns += [c for row in rows for c in row if c not in columns]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows([*existing, *rows])


def test_run_prints_the_alerts_after_the_actions(folder: Path) -> None:
    code, text = run("run", str(folder), "--as-of", "2026-07-15", "--dry-run", "--waiting")
    assert code == 0
    lines = text.splitlines()
    heading = lines.index("Alerts (8) — for a person:")
    assert heading > next(i for i, line in enumerate(lines) if "action(s) for" in line)
    assert lines[heading + 1].split()[:2] == ["C008", "dispute"]
    assert "2026/0085 disputed since 2026-06-12" in lines[heading + 1]
    # the 2026 H2 rate is not yet known in mid-July: one line for every debtor it concerns
    assert lines[heading + 2].split()[:3] == ["7", "debtors", "interest_rate"]
    assert '[interest.reference_rates."it-231"] "2026-H2" = "<rate>"' in lines[heading + 2]
    assert lines[heading + 3 :] == []  # the last section, after the --waiting list


def test_a_reply_from_events_csv_becomes_an_alert(folder: Path) -> None:
    _add_events(
        folder,
        {
            "date": "2026-07-10",
            "debtor_id": "C004",
            "event": "reply",
            "kind": "documents_requested",
            "channel": "email",
            "note": "vuole copia del DDT",
        },
    )
    code, text = run("run", str(folder), "--as-of", "2026-07-15", "--dry-run")
    assert code == 0
    assert "Alerts (8) — for a person:" in text  # C004's held: no interest_rate alert for it
    alerts = text.split("Alerts (8) — for a person:")[1].splitlines()[1:]
    assert [line.split()[:2] for line in alerts if "interest_rate" not in line] == [
        ["C004", "documents_requested"],
        ["C008", "dispute"],
    ]
    table = text.split("\n\n")[0]
    assert "C004" not in table  # held until the documents are sent


def test_no_alerts_no_section(folder: Path) -> None:
    code, text = run("run", str(folder), "--as-of", "2026-03-16", "--dry-run")
    assert code == 0
    assert "Alerts" not in text


def test_with_json_the_alerts_go_to_standard_error(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run("run", str(folder), "--as-of", "2026-07-15", "--json", "--dry-run")
    assert code == 0
    assert isinstance(json.loads(text), list)  # standard output is still only the actions
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Alerts (8) — for a person:"
    assert err[1].split()[:2] == ["C008", "dispute"]
    assert err[2].split()[:3] == ["7", "debtors", "interest_rate"]
