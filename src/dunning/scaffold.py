"""A new working folder in one step (``dunning init``): ``dunning.toml`` with the creditor and a
policy preset, the tables with their headers and nothing else, and the folders where the
e-invoices and the bank statements arrive.

>>> import tempfile, pathlib
>>> from dunning import Creditor
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "crediti"
>>> made = scaffold(folder, Creditor("Tipografia Emiliana S.r.l.", vat_number="IT03287650372"))
>>> sorted(p.relative_to(folder).as_posix() for p in made)
['debtors.csv', 'dunning.toml', 'events.csv', 'incoming/invoices', 'incoming/statements', 'invoices.csv', 'payments.csv']
>>> from dunning.importers.folder import read_folder
>>> data = read_folder(folder)
>>> data.portfolio.creditor.name, data.incoming.max_age_business_days
('Tipografia Emiliana S.r.l.', 2)
"""  # noqa: E501

from __future__ import annotations

import os
import shutil
import tempfile
from os import PathLike
from pathlib import Path

from .errors import DataError
from .importers.folder import (
    COLUMNS,
    CONFIG,
    DEBTORS,
    EVENTS,
    INVOICES,
    PAYMENTS,
    Incoming,
    read_folder,
)
from .model import Creditor
from .policies import PRESETS

__all__ = ["scaffold", "toml_string"]


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string: quoted, with backslashes, quotes and control
    characters escaped.

    >>> print(toml_string('Rossi & C. "La Bottega" \\\\ Srl'))
    "Rossi & C. \\"La Bottega\\" \\\\ Srl"
    """
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _config(creditor: Creditor, preset: str, incoming: Incoming) -> str:
    lines = [
        "# The working folder of dunning: who is owed, which policy applies, where the",
        "# invoices and the bank statements arrive. See docs/tutorial.md and docs/data.md.",
        "",
        "[creditor]",
        f"name = {toml_string(creditor.name)}",
    ]
    fields = {
        "vat_number": creditor.vat_number,
        "iban": creditor.iban,
        "email": creditor.email,
        "pec": creditor.pec,
        "phone": creditor.phone,
        "signatory": creditor.signatory,
    }
    lines += [f"{key} = {toml_string(value)}" for key, value in fields.items() if value]
    if creditor.address is not None:
        address = ", ".join(toml_string(line) for line in creditor.address.lines)
        lines.append(f"address = [{address}]")
        for key in ("postcode", "city", "province"):
            value = getattr(creditor.address, key)
            if value:
                lines.append(f"{key} = {toml_string(value)}")
    lines += [
        f"country = {toml_string(creditor.country)}",
        f"locale = {toml_string(creditor.locale)}",
        "",
        "[policy]",
        f"preset = {toml_string(preset)}",
        "",
        "[import]",
        "# dunning import FOLDER reads the e-invoices (FatturaPA .xml/.xml.p7m, UBL) put here",
        f"invoices = {toml_string(incoming.invoices)}",
        "",
        "[bank]",
        "# dunning reconcile FOLDER reads the bank statements (camt.053/camt.054) put here",
        f"statements = {toml_string(incoming.statements)}",
        "# a run plans no reminder while the newest bank data is older than this (business days)",
        f"max_age_business_days = {incoming.max_age_business_days}",
        "",
        "# [channels]",
        '# email = "smtp+starttls://user@mail.example.com:587?password_env=DUNNING_SMTP_PASSWORD"',
        '# pec = "smtps://user@smtps.pec.example:465?password_env=DUNNING_PEC_PASSWORD"',
        "",
    ]
    return "\n".join(lines)


def scaffold(
    folder: str | PathLike[str],
    creditor: Creditor,
    *,
    preset: str = "italy.stragiudiziale",
    max_age_business_days: int = 2,
) -> list[Path]:
    """Create the working folder ``folder`` for ``creditor`` with the policy ``preset``; returns
    what it created. Nothing that exists is overwritten: a folder that already has a
    ``dunning.toml`` or a table is refused (`DataError`) and left as it is. What is written is
    read back first (`read_folder`): a creditor the folder could not hold (an e-mail address
    that is not one) is a `DataError` and nothing is created."""
    root = Path(folder)
    if preset not in PRESETS:
        raise DataError(
            f"unknown policy preset {preset!r}; known presets: {', '.join(sorted(PRESETS))}",
            field="preset",
        )
    if not 0 <= max_age_business_days <= 60:
        raise DataError(
            f"{max_age_business_days} business days: must be from 0 to 60",
            field="max_age_business_days",
        )
    tables = (DEBTORS, INVOICES, PAYMENTS, EVENTS)
    present = [name for name in (CONFIG, *tables) if (root / name).exists()]
    if present:
        raise DataError(
            f"{root} is already a working folder ({', '.join(present)} exist): nothing was "
            "changed; edit dunning.toml, or init another folder",
            source=str(root),
        )
    incoming = Incoming(max_age_business_days=max_age_business_days)
    # written beside it first and read back: a folder that would not read is never left behind
    root.parent.mkdir(parents=True, exist_ok=True)
    trial = Path(tempfile.mkdtemp(prefix=".dunning-init-", dir=root.parent))
    try:
        _new_file(trial / CONFIG, _config(creditor, preset, incoming).encode("utf-8"))
        for name in tables:
            _new_file(trial / name, (",".join(COLUMNS[name]) + "\n").encode("utf-8"))
        try:
            read_folder(trial)
        except DataError as error:
            problems = error.errors or (error,)
            raise DataError(
                f"{len(problems)} problem(s) in the creditor given: nothing was created in {root}",
                errors=problems,
            ) from None
        if not root.exists():
            root.mkdir(mode=0o700)
        made: list[Path] = []
        for name in (CONFIG, *tables):
            os.replace(trial / name, root / name)
            made.append(root / name)
    finally:
        shutil.rmtree(trial, ignore_errors=True)
    for sub in (incoming.invoices, incoming.statements):
        (root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
        made.append(root / sub)
    return made


def _new_file(path: Path, data: bytes) -> None:
    """Write a new file, owner-only; never over an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
