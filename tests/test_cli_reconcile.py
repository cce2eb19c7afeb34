"""`dunning reconcile`: bank statements read, payments matched into payments.csv, the rest
listed for a person; and the freshness guard of `dunning run` that holds reminders while the
newest bank data is too old."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
from pathlib import Path

from dunning.cli import main
from dunning.importers.folder import read_folder
from test_camt import message, ntry, tx

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tipografia"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dunning", "out"))
    with (folder / "dunning.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[bank]\nstatements = "estratti"\nmax_age_business_days = 2\n')
    (folder / "estratti").mkdir()
    return folder


def _statement(folder: Path) -> Path:
    paid = ntry(
        "463.60",
        ref="B-0145",
        booking="2026-07-14",
        value="2026-07-14",
        txs=[tx(ustrd="Saldo FT 2026/0145", name="Cliente C004", ref="B-0145")],
    )
    stray = ntry(
        "50.00",
        ref="B-GIFT",
        booking="2026-07-14",
        value="2026-07-14",
        txs=[tx(ustrd="=HYPERLINK(1) contributo", name="Ignoto", iban=None, ref="B-GIFT")],
    )
    path = folder / "estratti" / "2026-07-14.xml"
    path.write_bytes(message(paid, stray))
    return path


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(list(argv), out)
    return status, out.getvalue(), err.getvalue()


def test_reconcile_adds_what_matched_and_lists_the_rest(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    _statement(folder)
    before = len(read_folder(folder).portfolio.payments)
    status, out, _ = _cli("reconcile", str(folder), "--as-of", "2026-07-15", "--dry-run")
    assert status == 0
    assert "1 matched, 1 to allocate" in out
    assert "Nothing recorded (--dry-run)." in out
    assert len(read_folder(folder).portfolio.payments) == before
    status, out, _ = _cli("reconcile", str(folder), "--as-of", "2026-07-15")
    assert status == 0
    assert "-> C004 by invoice_number" in out
    assert "Newest bank data: 2026-07-15." in out  # the statement's period ends on the 15th
    payments = read_folder(folder).portfolio.payments
    assert len(payments) == before + 1
    [new] = [p for p in payments if p.id == "B-0145"]
    assert (new.debtor_id, str(new.amount.amount)) == ("C004", "463.60")
    with (folder / "unmatched.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["payment_id"] for r in rows] == ["B-GIFT"]
    assert rows[0]["reference"].startswith("'=")  # a spreadsheet shows it, never runs it
    assert rows[0]["why"]
    record = json.loads((folder / ".dunning" / "statements.json").read_text(encoding="utf-8"))
    assert [r["file"] for r in record] == ["2026-07-14.xml"]
    # again: nothing added twice
    status, out, _ = _cli("reconcile", str(folder), "--as-of", "2026-07-15")
    assert "0 matched" in out
    assert "already recorded B-0145" in out
    assert len(read_folder(folder).portfolio.payments) == before + 1
    # the invoice paid is no longer chased: C004 had a reminder due that day
    status, out, _ = _cli("run", str(folder), "--as-of", "2026-07-15", "--dry-run", "--force")
    assert "sollecito_1" in out
    assert " C004 " not in out


def test_run_holds_reminders_on_stale_bank_data_unless_forced(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    # no statement at all: reminders held, listed as waiting with the reason
    status, out, err = _cli("run", str(folder), "--as-of", "2026-07-15", "--dry-run", "--waiting")
    assert status == 0
    assert "reminder(s) held: no bank statement has been reconciled" in err
    assert "sollecito_1" not in out.split("\n\n")[0]
    _statement(folder)
    assert _cli("reconcile", str(folder), "--as-of", "2026-07-15")[0] == 0
    status, out, err = _cli("run", str(folder), "--as-of", "2026-07-15", "--dry-run")
    assert "held" not in err
    assert "sollecito_1" in out
    # ten days later, no newer statement: held again, unless forced (and the outbox says so)
    status, out, err = _cli("run", str(folder), "--as-of", "2026-07-29", "--dry-run")
    assert "held: the newest bank statement is of 2026-07-1" in err
    outbox = tmp_path / "out"
    status, out, err = _cli(
        "run", str(folder), "--as-of", "2026-07-29", "--force", "--outbox", str(outbox)
    )
    assert status == 0
    assert "planning all the same (--force)" in err
    info = json.loads((outbox / "run.json").read_text(encoding="utf-8"))
    assert info["bank_data"]["forced"] is True
    assert info["bank_data"]["fresh"] is False


def test_reconcile_without_statements_says_where_to_put_them(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    status, _, err = _cli("reconcile", str(folder))
    assert status == 2
    assert "no statement in" in err
    assert "estratti" in err


def test_each_statement_of_a_file_is_recorded(tmp_path: Path) -> None:
    """A camt.053 may hold several statements (several accounts): each is recorded, once."""
    folder = _folder(tmp_path)
    (folder / "estratti" / "two.xml").write_bytes(message(ntry(), statements=2))
    assert _cli("reconcile", str(folder), "--as-of", "2026-07-15")[0] == 0
    assert _cli("reconcile", str(folder), "--as-of", "2026-07-15")[0] == 0
    record = json.loads((folder / ".dunning" / "statements.json").read_text(encoding="utf-8"))
    assert sorted(r["id"] for r in record) == ["S1", "S2"]
