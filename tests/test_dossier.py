"""The agency's dossier: a deterministic ZIP with a JSON summary that follows its schema."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dunning import Proposal, plan, policies, simulate
from dunning.dossier import DOSSIER_VERSION, build_dossier, dossier_schema, safe_member_name
from dunning.events import DeliveryConfirmed, DocumentAdded, Event
from dunning.importers.folder import read_folder
from dunning.model import Document
from dunning.statement import statement_for

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"
HAND_OVER_DAY = date(2026, 9, 21)


# -- a small JSON Schema checker: the keywords the shipped schema uses -------------------------


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        path = schema["$ref"].removeprefix("#/").split("/")
        target: Any = root
        for part in path:
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k not in ("$ref",)}}
    return schema


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
    "integer": int,
}


def _errors(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    schema = _resolve(schema, root)
    known = {
        "$schema", "$id", "$defs", "title", "description", "type", "required", "properties",
        "additionalProperties", "items", "const", "enum", "pattern", "oneOf", "minimum",
    }  # fmt: skip
    assert set(schema) <= known, f"the checker does not know {set(schema) - known}"
    if "oneOf" in schema:
        passing = [s for s in schema["oneOf"] if not _errors(value, s, root, at)]
        return [] if len(passing) == 1 else [f"{at}: {len(passing)} alternatives match"]
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(
            isinstance(value, _TYPES[t]) and not (t == "integer" and isinstance(value, bool))
            for t in types
        )
        if not ok:
            return [f"{at}: {value!r} is not {types}"]
    if "const" in schema and value != schema["const"]:
        return [f"{at}: {value!r} != {schema['const']!r}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{at}: {value!r} not in {schema['enum']}"]
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return [f"{at}: {value!r} does not match {schema['pattern']}"]
    if "minimum" in schema and value < schema["minimum"]:
        return [f"{at}: {value!r} < {schema['minimum']}"]
    found: list[str] = []
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                found.append(f"{at}: {name!r} is missing")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                found += _errors(item, properties[name], root, f"{at}.{name}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{at}: {name!r} is not allowed")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            found += _errors(item, schema["items"], root, f"{at}[{n}]")
    return found


def validate(value: Any) -> list[str]:
    schema = dossier_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return _errors(value, schema, schema, "$")


def test_the_checker_catches_what_the_schema_forbids() -> None:
    assert validate({"version": 1})  # much is missing
    good = {"amount": "1.00", "currency": "EUR"}
    money = {"$ref": "#/$defs/money"}
    root = dossier_schema()
    assert _errors(good, money, root, "$") == []
    assert _errors({**good, "x": 1}, money, root, "$")
    assert _errors({"amount": 1, "currency": "EUR"}, money, root, "$")
    assert _errors({"amount": "1.00", "currency": "eur"}, money, root, "$")


# -- the example ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> tuple[Any, Any, list[Event], Proposal]:
    folder = read_folder(EXAMPLE)
    policy = policies.load(folder.policy.preset, **folder.policy.kwargs())
    timeline = simulate(
        folder.portfolio, policy, date(2026, 7, 15), HAND_OVER_DAY - date.resolution
    )
    history = list(timeline.events)
    return folder.portfolio, policy, history, plan(folder.portfolio, policy, HAND_OVER_DAY, history)


def _hand_over(proposal: Proposal, debtor_id: str) -> Any:
    return next(a for a in proposal if a.debtor_id == debtor_id and a.channel == "agency")


def test_the_dossier_of_a_hand_over(example) -> None:
    portfolio, policy, history, proposal = example
    action = _hand_over(proposal, "C015")
    dossier = build_dossier(action, portfolio, policy, history)
    data = json.loads(dossier.json())
    assert validate(data) == []
    assert data["version"] == DOSSIER_VERSION
    assert data["action"]["key"] == action.key
    assert data["creditor"]["name"] == "Tipografia Emiliana S.r.l."
    assert data["debtor"]["id"] == "C015"
    assert data["debtor"]["phone"] == portfolio.debtor("C015").phone
    assert [i["key"] for i in data["claimed_items"]] == list(action.items)
    # the figures are the statement of account's
    account = statement_for(portfolio, policy, "C015", HAND_OVER_DAY, history)
    lines = [line for line in account.lines if line.key in action.items]
    figures = data["statement"]
    assert figures["interest"]["amount"] == str(sum(line.interest_due.amount for line in lines))
    total = sum(line.total_due.amount for line in lines)
    assert figures["total"] == {"amount": str(total), "currency": "EUR"}
    assert figures["regime"] == "it-231"
    periods = figures["lines"][0]["interest_periods"]
    assert periods
    assert periods[0]["rate"]
    # the history: three reminders, the call, the formal notice and its A/R receipt
    steps = [c["step"] for c in data["contacts"] if c["type"] == "action"]
    assert steps == ["sollecito_1", "sollecito_2", "sollecito_3", "telefonata", "diffida"]
    assert any(c["type"] == "promise" for c in data["contacts"])
    (proof,) = [p for p in data["proofs_of_delivery"] if p["kind"] == "formal_notice"]
    assert proof["channel"].startswith("postal")
    assert proof["evidence"]
    # limitation: the formal notice, proven delivered, interrupted it
    limits = {s["key"]: s for s in data["limitation"]}
    assert set(limits) == set(action.items)
    assert all(s["interruptions"] == [proof["delivered"]] for s in limits.values())
    assert data["files"] == ["dossier.json", "history.txt", "statement.pdf", "statement.txt"]


def test_the_zip_is_deterministic_and_tidy(example) -> None:
    portfolio, policy, history, proposal = example
    action = _hand_over(proposal, "C015")
    first = build_dossier(action, portfolio, policy, history).to_zip()
    again = build_dossier(action, portfolio, policy, list(history)).to_zip()
    assert first == again
    archive = zipfile.ZipFile(io.BytesIO(first))
    names = archive.namelist()
    assert names == sorted(names)
    for info in archive.infolist():
        assert info.date_time == (2026, 9, 21, 0, 0, 0)
        assert (info.external_attr >> 16) & 0o777 == 0o600
    history_text = archive.read("history.txt").decode("utf-8")
    assert "diffida" in history_text
    assert "telefonata" in history_text
    statement_text = archive.read("statement.txt").decode("utf-8")
    assert "Statement of account" in statement_text
    # the same figures, printable: every line of the text is on the PDF's pages
    import pypdf

    printed = "\n".join(
        page.extract_text()
        for page in pypdf.PdfReader(io.BytesIO(archive.read("statement.pdf"))).pages
    )
    for line in statement_text.splitlines():
        assert " ".join(line.split()) in " ".join(printed.split()), line
    assert json.loads(archive.read("dossier.json"))["action"]["key"] == action.key


def test_documents_are_listed_with_hashes_and_included_when_found(example, tmp_path) -> None:
    portfolio, policy, history, proposal = example
    action = _hand_over(proposal, "C015")
    invoice_id = action.items[0]
    folder = tmp_path / "docs"
    folder.mkdir()
    content = b"%PDF-1.4 signed order\n"
    digest = hashlib.sha256(content).hexdigest()
    (folder / "ORD 77.pdf").write_bytes(content)
    (tmp_path / "secret.txt").write_bytes(b"not for the agency")
    added = [
        DocumentAdded(date(2026, 9, 1), "C015", invoice_id, Document("order", "ORD 77", digest)),
        DocumentAdded(
            date(2026, 9, 2), "C015", invoice_id, Document("contract", "../secret.txt", None)
        ),
        DocumentAdded(
            date(2026, 9, 3), "C015", invoice_id, Document("delivery_note", "DDT 9", "0" * 64)
        ),
    ]
    dossier = build_dossier(action, portfolio, policy, [*history, *added], documents=folder)
    data = json.loads(dossier.json())
    assert validate(data) == []
    rows = {d["reference"]: d for d in data["documents"]}
    assert rows["ORD 77"]["file"] == "documents/ORD 77.pdf"
    assert rows["ORD 77"]["sha256"] == digest
    assert rows["ORD 77"]["hash_matches"] is True
    assert rows["../secret.txt"]["file"] is None  # never outside the documents' folder
    assert rows["DDT 9"] == {
        "invoice_id": invoice_id,
        "kind": "delivery_note",
        "reference": "DDT 9",
        "recorded": "2026-09-03",
        "sha256": "0" * 64,
        "file": None,
        "hash_matches": None,
    }
    archive = zipfile.ZipFile(io.BytesIO(dossier.to_zip()))
    assert archive.read("documents/ORD 77.pdf") == content
    assert all(".." not in n and not n.startswith("/") for n in archive.namelist())


def test_a_document_whose_file_changed_is_flagged(example, tmp_path) -> None:
    portfolio, policy, history, proposal = example
    action = _hand_over(proposal, "C015")
    (tmp_path / "ORD 78").write_bytes(b"changed")
    added = DocumentAdded(
        date(2026, 9, 1), "C015", action.items[0], Document("order", "ORD 78", "a" * 64)
    )
    data = build_dossier(action, portfolio, policy, [*history, added], documents=tmp_path).data
    (row,) = [d for d in data["documents"] if d["reference"] == "ORD 78"]
    assert row["hash_matches"] is False
    assert row["recorded_sha256"] == "a" * 64


def test_invoice_documents_of_the_example_are_listed(example) -> None:
    portfolio, policy, history, proposal = example
    action = _hand_over(proposal, "C029")  # its invoices list delivery notes
    data = build_dossier(action, portfolio, policy, history).data
    assert validate(json.loads(json.dumps(data))) == []
    assert any(d["kind"] == "delivery_note" for d in data["documents"])


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("DDT 2026/0036.pdf", "DDT 2026-0036.pdf"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/etc/passwd", "etc-passwd"),
        ("....", "file"),
        (".hidden", "hidden"),
        ("fattura:2026*01?.pdf", "fattura-2026-01-.pdf"),
    ],
)
def test_member_names_are_safe(name: str, safe: str) -> None:
    assert safe_member_name(name) == safe


def test_a_delivery_proof_has_its_evidence(example) -> None:
    portfolio, policy, history, proposal = example
    action = _hand_over(proposal, "C015")
    notice = next(
        e for e in history if getattr(e, "kind", "") == "formal_notice" and e.debtor_id == "C015"
    )
    receipt = DeliveryConfirmed(
        date(2026, 9, 4), "C015", key=notice.key, channel="postal", evidence="AR 6123456789-0"
    )
    data = build_dossier(action, portfolio, policy, [*history, receipt]).data
    assert any(p["evidence"] == "AR 6123456789-0" for p in data["proofs_of_delivery"])
