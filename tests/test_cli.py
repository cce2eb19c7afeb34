"""The command line, run on a copy of the bundled example folder."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dunning.cli import main

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
    history = (folder / ".dunning" / "history.jsonl").read_text(encoding="utf-8").splitlines()
    assert history
    assert all(json.loads(line)["type"] == "ActionPlanned" for line in history)

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
    assert "not available: it-231: no published rate for 2026 H2" in later
