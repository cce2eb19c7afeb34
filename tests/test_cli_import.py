"""`dunning import`: e-invoices and ERP tables into a working folder's tables — new rows only,
nothing twice, nothing on a conflict, the e-invoices kept."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest

from dunning.cli import main
from dunning.importers.folder import read_folder
from einvoice_files import body, fattura, line, payment

ROOT = Path(__file__).resolve().parent.parent


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(list(argv), out)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "crediti"
    status, _, err = _cli(
        "init", str(target), "--name", "Tipografia Emiliana S.r.l.",
        "--vat-number", "IT03287650372", "--no-input",
    )  # fmt: skip
    assert status == 0, err
    return target


def _put(folder: Path, name: str, data: bytes) -> Path:
    path = folder / "incoming" / "invoices" / name
    path.write_bytes(data)
    return path


def test_e_invoices_are_added_once_and_kept(folder: Path) -> None:
    _put(
        folder,
        "a.xml",
        fattura(
            body(
                "2026/0001",
                payments=payment(line("61.00", "2026-04-01"), line("61.00", "2026-05-01")),
            )
        ),
    )
    _put(folder, "b.xml", fattura(body("2026/0002", issued="2026-03-05", total="244.00")))
    status, out, _ = _cli("import", str(folder), "--dry-run")
    assert status == 0
    assert "2 invoice(s), 0 credit note(s), 1 new debtor(s) added" in out
    assert "nothing was written" in out
    assert read_folder(folder).portfolio.invoices == ()
    status, out, _ = _cli("import", str(folder))
    assert status == 0
    portfolio = read_folder(folder).portfolio
    [first, second] = sorted(portfolio.invoices, key=lambda i: i.id)
    assert [(str(i.due_date), str(i.amount.amount)) for i in first.items] == [
        ("2026-04-01", "61.00"),
        ("2026-05-01", "61.00"),
    ]
    assert [str(i.amount.amount) for i in second.items] == ["244.00"]
    assert first.documents[0].reference == "a.xml"  # the e-invoice it came from
    assert sorted(p.name for p in (folder / "einvoices").iterdir()) == ["a.xml", "b.xml"]
    assert list((folder / "incoming" / "invoices").iterdir()) == []
    # the same files again: nothing added
    status, out, _ = _cli("import", str(folder), str(folder / "einvoices" / "a.xml"))
    assert status == 0
    assert "1 already in the folder, unchanged" in out
    assert len(read_folder(folder).portfolio.invoices) == 2


def test_a_conflict_or_another_creditor_writes_nothing(folder: Path, tmp_path: Path) -> None:
    _put(folder, "a.xml", fattura(body("2026/0001")))
    assert _cli("import", str(folder))[0] == 0
    before = {p.name: p.read_bytes() for p in folder.glob("*.csv")}
    changed = _put(folder, "a2.xml", fattura(body("2026/0001", total="999.00")))
    status, _, err = _cli("import", str(folder))
    assert status == 2
    assert "invoice 2026/0001" in err
    assert "nothing was imported" in err
    assert {p.name: p.read_bytes() for p in folder.glob("*.csv")} == before
    assert changed.exists()  # left where it was, for a person to look at
    changed.unlink()
    other = tmp_path / "other"
    assert (
        _cli(
            "init",
            str(other),
            "--name",
            "Altra S.r.l.",
            "--vat-number",
            "IT01111110373",
            "--no-input",
        )[0]
        == 0
    )
    _put(other, "a.xml", fattura(body("2026/0001")))
    status, _, err = _cli("import", str(other))
    assert status == 2
    assert "not by this folder's creditor" in err


def test_a_table_with_the_italian_dialect_and_a_column_mapping(
    folder: Path, tmp_path: Path
) -> None:
    (folder / "debtors.csv").write_text(
        "id,name\nC001,Osteria del Portico S.n.c.\n", encoding="utf-8"
    )
    export = tmp_path / "scadenzario.csv"
    export.write_bytes(
        "Cliente;Num. doc;Data doc;Scadenza;Importo\n"
        "C001;145;02/03/2026;01/04/2026;1.234,56\n".encode("cp1252")
    )
    mapping = tmp_path / "colonne.toml"
    mapping.write_text(
        'debtor_id = "Cliente"\ninvoice_id = "Num. doc"\nissue_date = "Data doc"\n'
        'due_date = "Scadenza"\namount = "Importo"\n[constants]\ncurrency = "EUR"\n',
        encoding="utf-8",
    )
    status, out, err = _cli(
        "import", str(folder), str(export), "--dialect", "it", "--columns", str(mapping)
    )
    assert status == 0, err
    assert "1 invoice(s)" in out
    [invoice] = read_folder(folder).portfolio.invoices
    assert (invoice.id, str(invoice.items[0].due_date), str(invoice.items[0].amount.amount)) == (
        "145",
        "2026-04-01",
        "1234.56",
    )


def test_long_imports_show_progress(folder: Path) -> None:
    for n in range(1, 61):
        _put(folder, f"{n:03}.xml", fattura(body(f"2026/{n:04}")))
    status, out, err = _cli("import", str(folder))
    assert status == 0
    assert "read 50/60 file(s)" in err
    assert "read 60/60 file(s)" in err
    assert "60 invoice(s)" in out


def test_nothing_to_import_and_a_file_that_is_no_invoice(folder: Path) -> None:
    status, _, err = _cli("import", str(folder))
    assert status == 2
    assert "nothing to import in" in err
    _put(folder, "note.xml", b"<?xml version='1.0'?><note>hello</note>")
    status, _, err = _cli("import", str(folder))
    assert status == 2
    assert "neither a FatturaPA nor a UBL invoice" in err


@pytest.mark.real_samples
def test_the_real_samples_import_with_their_due_dates_and_amounts(
    shared_fixtures: Path, tmp_path: Path
) -> None:
    """Each shared FatturaPA file (each from another creditor: one folder each) lands in the
    folder's tables with the due dates and amounts it states; a due date before the document's
    own date is held as that date, and said."""
    expected = {
        "invopop_invoice-irpef.xml": {("2023-03-02", "500.00"), ("2023-04-02", "544.40")},
        "invopop_public-multiple-invoices_FPA12.xml": {
            ("2017-02-18", "30.50"),
            ("2017-02-20", "2440.00"),
        },
        "invopop_invoice-hotel-private.xml": {("2023-05-21", "429.00")},
    }
    for name, items in expected.items():
        target = tmp_path / name.removesuffix(".xml")
        assert _cli("init", str(target), "--name", "Creditore di prova", "--no-input")[0] == 0
        shutil.copy(shared_fixtures / "fatturapa" / name, target / "incoming" / "invoices")
        status, out, err = _cli("import", str(target))
        assert status == 0, err
        found = {
            (str(i.due_date), str(i.amount.amount))
            for invoice in read_folder(target).portfolio.invoices
            for i in invoice.items
        }
        assert found == items, name
        if "hotel" in name:
            assert "due before the invoice's date 2023-05-21" in out
