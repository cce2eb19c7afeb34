"""`dunning init`: a working folder from flags or from questions, never over an existing one."""

from __future__ import annotations

import contextlib
import io
import stat
import tomllib
from pathlib import Path

import pytest

from dunning.cli import main
from dunning.importers.folder import read_folder


def _init(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["init", *argv], out)
    return status, out.getvalue(), err.getvalue()


def test_flags_make_a_folder_that_reads_and_runs(tmp_path: Path) -> None:
    folder = tmp_path / "crediti"
    status, out, _ = _init(
        str(folder),
        "--name", 'Rossi & C. "La Bottega" S.a.s.',
        "--vat-number", "IT03287650372",
        "--iban", "IT60X0542811101000000123456",
        "--pec", "bottega@pec.example",
        "--address", "Via del Lavoro 14",
        "--postcode", "40127",
        "--city", "Bologna",
        "--province", "BO",
        "--no-input",
    )  # fmt: skip
    assert status == 0
    assert "dunning import" in out
    assert "dunning reconcile" in out
    data = read_folder(folder)
    creditor = data.portfolio.creditor
    assert creditor.name == 'Rossi & C. "La Bottega" S.a.s.'  # quotes survive the TOML
    assert creditor.iban == "IT60X0542811101000000123456"
    assert creditor.address is not None
    assert creditor.address.city == "Bologna"
    assert data.policy.preset == "italy.stragiudiziale"
    assert data.incoming.max_age_business_days == 2
    assert (folder / "incoming" / "invoices").is_dir()
    assert (folder / "incoming" / "statements").is_dir()
    assert stat.S_IMODE((folder / "dunning.toml").stat().st_mode) == 0o600
    assert main(["run", str(folder), "--as-of", "2026-07-15"], io.StringIO()) == 0


def test_the_preset_follows_the_country(tmp_path: Path) -> None:
    folder = tmp_path / "gmbh"
    assert _init(str(folder), "--name", "Druckerei GmbH", "--country", "DE", "--no-input")[0] == 0
    config = tomllib.loads((folder / "dunning.toml").read_text(encoding="utf-8"))
    assert config["policy"]["preset"] == "de.mahnwesen"
    assert config["creditor"]["locale"] == "de_DE"


def test_questions_when_in_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["", "Tipografia Emiliana S.r.l.", "IT03287650372", "", "crediti@tipo.example"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers, ""))
    folder = tmp_path / "asked"
    status, out, _ = _init(str(folder))
    assert status == 0
    assert out.startswith(f"Setting up {folder}.")
    creditor = read_folder(folder).portfolio.creditor
    # an empty name is asked again; the other fields may stay empty
    assert (creditor.name, creditor.vat_number, creditor.iban, creditor.email) == (
        "Tipografia Emiliana S.r.l.",
        "IT03287650372",
        None,
        "crediti@tipo.example",
    )


def test_nothing_is_created_or_overwritten_on_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "crediti"
    status, _, err = _init(str(folder), "--name", "X", "--email", "not an address", "--no-input")
    assert status == 2
    assert "nothing was created" in err
    assert "'email'" in err
    assert not folder.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".dunning-init")]
    status, _, err = _init(str(folder), "--name", "X", "--iban", "IT00BAD", "--no-input")
    assert status == 2
    assert "not a valid IBAN" in err
    assert _init(str(folder), "--no-input")[2].endswith(
        "the creditor's name is required: --name 'Tipografia Emiliana S.r.l.'\n"
    )
    assert _init(str(folder), "--name", "X", "--no-input")[0] == 0
    before = (folder / "dunning.toml").read_bytes()
    status, _, err = _init(str(folder), "--name", "Y", "--no-input")
    assert status == 2
    assert "already a working folder" in err
    assert (folder / "dunning.toml").read_bytes() == before
