"""The ``dunning`` command: the daily run, explanations and simulations on a data folder.

A folder holds ``dunning.toml``, ``debtors.csv``, ``invoices.csv``, ``payments.csv`` and
optionally ``events.csv`` (see docs/data.md). What ``dunning run`` plans is appended to
``FOLDER/.dunning/history.jsonl`` so a second run on the same day plans nothing new.
This module is the edge: it is the only place that reads the clock (for a missing ``--as-of``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from . import __version__, policies
from ._spreadsheet import csv_text
from .calendars import Calendar
from .channels import open_channel, redact
from .dispatch import JOURNAL, Journal, approve, approved, outcome_events, send_outbox, settle
from .engine import explain, plan, simulate
from .errors import DataError, DunningError, PolicyError
from .events import ActionPlanned, DeliveryConfirmed, DeliveryFailed, Event, MessageSent
from .history import append_events, read_events
from .importers.folder import CONFIG, Folder, read_folder
from .interest import REGIMES, Regime, get_regime
from .letters import ENVELOPES, MissingExtra
from .model import Payment
from .outbox import INDEX, write_outbox
from .outbox import _write as write_file
from .policy import PolicyLike
from .proposal import Alert, Proposal, Waiting
from .rates import (
    SERIES,
    RateSet,
    builtin_rates,
    installed_rates,
    iter_rows,
    lookup,
    period_of,
    period_start,
    periods_between,
)
from .returns import read_returns
from .statement import statement_for

__all__ = ["main"]

HISTORY = Path(".dunning") / "history.jsonl"
#: The event store of a data folder when none is configured (with the ``store`` extra).
DEFAULT_STORE = Path(".dunning") / "dunning.sqlite"
#: The environment variable that names the event store (over ``[store] url`` of dunning.toml).
STORE_ENV = "DUNNING_STORE"
#: The environment variable holding the key of ``dunning erase``'s pseudonyms (or --key-file).
ERASE_KEY_ENV = "DUNNING_ERASE_KEY"
#: The shortest key ``dunning erase`` accepts: a short one could be guessed from the pseudonyms.
_MIN_KEY = 16
_MAKE_KEY = (
    "make one once and keep it apart from the data (the same key gives a debtor the same "
    'pseudonym): python3 -c "import secrets; print(secrets.token_hex(32))" > erase.key '
    "&& chmod 600 erase.key"
)


def _has_sqlalchemy() -> bool:
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        return False
    return True


def _store_url(folder: Path) -> str | None:
    """The event store the folder's history lives in: ``$DUNNING_STORE``, else ``[store] url``
    of its ``dunning.toml`` (a relative SQLite path is relative to the folder), else SQLite in
    ``.dunning/dunning.sqlite`` when the ``store`` extra is installed. None: the JSON-lines file
    ``.dunning/history.jsonl`` (and the send journal ``.dunning/journal.jsonl``)."""
    url = os.environ.get(STORE_ENV, "").strip()
    if not url:
        try:
            config = tomllib.loads((folder / CONFIG).read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            config = {}  # read_folder reports what is wrong with the file
        table = config.get("store")
        url = str(table.get("url", "")).strip() if isinstance(table, dict) else ""
    if not url:
        default = folder / DEFAULT_STORE
        if _has_sqlalchemy():
            return "sqlite:///" + str(default)
        if default.exists():
            raise MissingExtra(
                f"{default} is an event store, and the event store needs SQLAlchemy: "
                "pip install 'dunning[store]'"
            )
        return None
    if "://" not in url:
        url = "sqlite:///" + str(folder / url)
    elif url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = "sqlite:///" + str(folder / url.removeprefix("sqlite:///"))
    return url


def _store(folder: Path, url: str) -> Any:
    """The event store at ``url``, with the folder's ``history.jsonl`` imported into it (again
    and again: an event already there is not added twice)."""
    from .store import EventStore

    store = EventStore.open(url)
    try:
        if (folder / HISTORY).exists():
            store.import_jsonl(folder / HISTORY)
    except BaseException:
        store.close()
        raise
    return store


def _reads_store(folder: Path, url: str | None) -> bool:
    """Whether reading the history means opening the store: not for the default SQLite file
    before anything created it (reading creates no store; history.jsonl says it all)."""
    return url is not None and not (
        url == "sqlite:///" + str(folder / DEFAULT_STORE) and not (folder / DEFAULT_STORE).exists()
    )


def _read_history(folder: Path) -> list[Event]:
    """The case history of the data folder."""
    url = _store_url(folder)
    if url is None or not _reads_store(folder, url):
        return read_events(folder / HISTORY)
    store = _store(folder, url)
    try:
        return list(store.events())
    finally:
        store.close()


def _append_history(folder: Path, events: Sequence[Event]) -> str:
    """Record ``events`` in the folder's history; returns where, for a message."""
    url = _store_url(folder)
    if url is None:
        append_events(folder / HISTORY, events)
        return str(folder / HISTORY)
    store = _store(folder, url)
    try:
        if events:
            store.append(events)
        return str(store.url)
    finally:
        store.close()


#: The creditor's fields `dunning init` takes as flags or asks for, in the order it asks.
_CREDITOR_FLAGS = {
    "name": "the creditor's name, as on its invoices (required)",
    "vat_number": "VAT number with its country prefix (IT01234567890)",
    "iban": "the account debtors pay into",
    "email": "the address reminders are sent from",
    "pec": "the PEC address formal notices are sent from (Italy)",
    "phone": "phone number in E.164 form (+39...)",
    "address": "street and number",
    "postcode": "postcode",
    "city": "city",
    "province": "province code (BO)",
    "country": "ISO country code (default IT)",
    "signatory": "who signs the letters",
}

#: The default policy preset by the creditor's country.
_PRESET_BY_COUNTRY = {
    "IT": "italy.stragiudiziale",
    "US": "us.regulation_f",
    "DE": "de.mahnwesen",
    "AT": "de.mahnwesen",
    "FR": "fr.recouvrement_amiable",
    "ES": "es.reclamacion_extrajudicial",
    "GB": "uk.late_payment",
}


def _ask(field: str, text: str) -> str:
    answer = input(f"{text}\n  {field.replace('_', ' ')}: ")
    return answer.strip()


def _init(args: argparse.Namespace, out: TextIO) -> int:
    from .model import Creditor, PostalAddress
    from .scaffold import scaffold

    values = {k: (getattr(args, k) or "").strip() for k in _CREDITOR_FLAGS}
    interactive = not args.no_input and sys.stdin.isatty()
    if interactive:
        print(f"Setting up {args.folder}. Leave a field empty to skip it.", file=out)
        for field, text in _CREDITOR_FLAGS.items():
            while not values[field]:
                values[field] = _ask(field, text)
                if values[field] or field != "name":
                    break
    if not values["name"]:
        raise DataError("the creditor's name is required: --name 'Tipografia Emiliana S.r.l.'")
    country = (values["country"] or "IT").upper()
    address = None
    if values["address"]:
        address = PostalAddress(
            (values["address"],),
            postcode=values["postcode"],
            city=values["city"],
            province=values["province"],
            country=country,
        )
    elif values["postcode"] or values["city"] or values["province"]:
        raise DataError("--postcode, --city and --province go with --address")
    locale = {"IT": "it_IT", "DE": "de_DE", "AT": "de_AT", "FR": "fr_FR", "ES": "es_ES"}
    creditor = Creditor(
        values["name"],
        vat_number=values["vat_number"] or None,
        address=address,
        iban=values["iban"] or None,
        email=values["email"] or None,
        pec=values["pec"] or None,
        phone=values["phone"] or None,
        signatory=values["signatory"] or None,
        country=country,
        locale=locale.get(country, "en_" + country if country != "GB" else "en_GB"),
    )
    preset = args.preset or _PRESET_BY_COUNTRY.get(country, "eu.directive_2011_7")
    made = scaffold(args.folder, creditor, preset=preset, max_age_business_days=args.max_age)
    for path in made:
        kind = "folder" if path.is_dir() else "file"
        print(f"created {kind:<6} {path}", file=out)
    print(
        f"\n{args.folder} is ready for {creditor.name} (policy {preset}). Next:\n"
        f"  put the e-invoices (FatturaPA .xml/.p7m, UBL) in {args.folder / 'incoming/invoices'}"
        f" and run: dunning import {args.folder}\n"
        f"  put the bank statements (camt.053/054) in {args.folder / 'incoming/statements'}"
        f" and run: dunning reconcile {args.folder}\n"
        f"  then: dunning run {args.folder} --outbox outbox/  (docs/tutorial.md)",
        file=out,
    )
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-07-15") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dunning",
        description="Decide what to do today about each customer who owes money.",
    )
    parser.add_argument("--version", action="version", version=f"dunning {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ini = sub.add_parser(
        "init", help="set up a working folder: dunning.toml, empty tables, incoming folders"
    )
    ini.add_argument("folder", type=Path)
    for flag, text in _CREDITOR_FLAGS.items():
        ini.add_argument(f"--{flag.replace('_', '-')}", dest=flag, metavar="TEXT", help=text)
    ini.add_argument(
        "--preset",
        choices=sorted(policies.PRESETS),
        help="the policy (default: by the creditor's country; italy.stragiudiziale for IT)",
    )
    ini.add_argument(
        "--max-age",
        type=int,
        default=2,
        metavar="DAYS",
        help="plan no reminder while the newest bank data is older than DAYS business days",
    )
    ini.add_argument(
        "--no-input", action="store_true", help="never ask: what the flags do not give stays empty"
    )

    imp = sub.add_parser(
        "import", help="add e-invoices (FatturaPA, UBL) or an ERP's table to the folder"
    )
    imp.add_argument("folder", type=Path)
    imp.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="FatturaPA .xml/.xml.p7m, UBL .xml, or a .csv/.xlsx/.parquet table "
        "(default: every file in the folder's [import] invoices folder)",
    )
    imp.add_argument(
        "--dialect",
        default="default",
        metavar="NAME",
        help="a table's format: default, or it (';', 1.234,56, dd/mm/yyyy): docs/tables.md",
    )
    imp.add_argument(
        "--columns",
        type=Path,
        metavar="TOML",
        help='a table\'s column names: a TOML file of field = "Header" lines: docs/tables.md',
    )
    imp.add_argument("--dry-run", action="store_true", help="print what would be added")

    rcn = sub.add_parser(
        "reconcile", help="read bank statements (camt.053/054) and match their payments"
    )
    rcn.add_argument("folder", type=Path)
    rcn.add_argument(
        "statements",
        nargs="*",
        type=Path,
        metavar="STATEMENT",
        help="camt files (default: every .xml in the folder's [bank] statements folder)",
    )
    rcn.add_argument("--as-of", type=_date, help="the day of the reconciliation (default: today)")
    rcn.add_argument("--dry-run", action="store_true", help="print, record nothing")

    run = sub.add_parser("run", help="plan today's actions and record them")
    run.add_argument("folder", type=Path, help="folder with dunning.toml and the CSV files")
    run.add_argument("--as-of", type=_date, help="the day to plan for (default: today)")
    run.add_argument("--json", action="store_true", help="print the actions as JSON")
    run.add_argument("--dry-run", action="store_true", help="do not record what was planned")
    run.add_argument("--per-invoice", action="store_true", help="one action per invoice")
    run.add_argument("--why", action="store_true", help="print the reason for each action")
    run.add_argument("--waiting", action="store_true", help="also list debtors with no action")
    run.add_argument(
        "--force",
        action="store_true",
        help="plan reminders even when the newest bank data is too old (recorded in the outbox)",
    )
    run.add_argument(
        "--outbox",
        type=Path,
        metavar="DIR",
        help="write the day's messages into DIR for review (nothing is sent)",
    )
    run.add_argument(
        "--envelope",
        choices=sorted(ENVELOPES),
        help="the window envelope of the outbox's letters (default: by the creditor's country)",
    )
    run.add_argument(
        "--attach-pdf",
        choices=("formal_notice", "all", "none"),
        default="formal_notice",
        help="which e-mails and PECs carry their letter as PDF (default: formal_notice)",
    )

    exp = sub.add_parser("explain", help="print a debtor's history and the reasoning")
    exp.add_argument("folder", type=Path)
    exp.add_argument("debtor_id")
    exp.add_argument("--as-of", type=_date, help="default: the last recorded run, else today")

    rat = sub.add_parser(
        "rates",
        help="print the interest reference rates, their sources and what is missing",
    )
    rat.add_argument(
        "folder", type=Path, nargs="?", help="also the rates its dunning.toml supplies"
    )
    rat.add_argument(
        "--regime", action="append", metavar="KEY", help="only this regime (repeatable)"
    )
    rat.add_argument("--as-of", type=_date, help="missing periods up to (default: today)")

    apr = sub.add_parser("approve", help="approve messages of an outbox for sending")
    apr.add_argument("outbox", type=Path)
    apr.add_argument("keys", nargs="*", metavar="KEY", help="these messages (default: all)")
    apr.add_argument("--folder", type=Path, help="the data folder (default: the outbox's)")

    snd = sub.add_parser("send", help="send the approved messages of an outbox, exactly once")
    snd.add_argument("outbox", type=Path)
    snd.add_argument(
        "--folder", type=Path, help="the data folder (default: the one the outbox was run on)"
    )
    snd.add_argument(
        "--now", type=datetime.fromisoformat, help="ISO date and time with zone (default: now)"
    )
    snd.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="NAME=SETTINGS",
        help='a channel for this send, over [channels] of dunning.toml ("email=smtp://...")',
    )

    stl = sub.add_parser("settle", help="settle a message in doubt, on evidence")
    stl.add_argument("outbox", type=Path)
    stl.add_argument("key", nargs="?", help="the message's key, as `dunning send` listed it")
    outcome = stl.add_mutually_exclusive_group()
    outcome.add_argument("--sent", action="store_true", help="it reached the server: sent")
    outcome.add_argument("--not-sent", action="store_true", help="it did not: send it again")
    stl.add_argument("--evidence", help="what shows it (receipt id, log line)")
    stl.add_argument(
        "--server-log",
        type=Path,
        metavar="FILE",
        help="settle as sent every message in doubt whose Message-ID this mail server log names",
    )
    stl.add_argument("--folder", type=Path, help="the data folder (default: the outbox's)")

    rec = sub.add_parser(
        "receipts",
        help="record what came back: PEC receipts, bounces, tracking numbers and return cards",
    )
    rec.add_argument("folder", type=Path)
    rec.add_argument(
        "source",
        help="a folder of .eml files, one .eml file, a Maildir, an imaps://user@host/MAILBOX"
        "?password_env=VAR URL, or a CSV of posted/delivered/unclaimed/returned letters",
    )
    rec.add_argument("--dry-run", action="store_true", help="print, do not record")
    rec.add_argument("--unseen", action="store_true", help="IMAP: only the unseen messages")
    rec.add_argument(
        "--mark-seen",
        action="store_true",
        help="IMAP: mark the receipts and bounces of dunning's messages as seen once recorded",
    )

    era = sub.add_parser(
        "erase",
        help="erase a debtor's personal data (GDPR art. 17), keeping the amounts and the "
        "evidence; a dry run unless --apply",
    )
    era.add_argument("folder", type=Path)
    era.add_argument("debtor_id")
    era.add_argument("--apply", action="store_true", help="erase (default: only say what)")
    era.add_argument(
        "--key-file",
        type=Path,
        metavar="PATH",
        help=f"the file holding the pseudonyms' secret key (default: ${ERASE_KEY_ENV})",
    )

    msg = sub.add_parser(
        "messages", help="list the messages of the outbox kept in the store, or one's log"
    )
    msg.add_argument("folder", type=Path)
    msg.add_argument("key", nargs="?", help="print this message's log: every change, by whom")
    msg.add_argument(
        "--state",
        action="append",
        choices=("queued", "sending", "sent", "temporary", "failed", "in_doubt"),
        help="only messages in this state (repeatable)",
    )
    msg.add_argument(
        "--in-doubt", action="store_true", help="only the messages a person must settle"
    )

    ver = sub.add_parser(
        "verify", help="check the event store: histories, hashes, the outbox against the history"
    )
    ver.add_argument("folder", type=Path)

    sim = sub.add_parser("simulate", help="replay the policy day by day and print the timeline")
    sim.add_argument("folder", type=Path)
    sim.add_argument("--from", dest="start", type=_date, required=True)
    sim.add_argument("--to", dest="end", type=_date, required=True)
    sim.add_argument("--json", action="store_true", help="print the actions as JSON")
    sim.add_argument("--per-invoice", action="store_true", help="one action per invoice")
    return parser


def _load(folder: Path) -> tuple[Folder, PolicyLike, list[Event]]:
    data = read_folder(folder)
    policy = policies.load(data.policy.preset, **data.policy.kwargs())
    return data, policy, _read_history(folder)


def _warn_unallocatable(data: Folder) -> None:
    """Say which payments cannot pay anything (no invoice of the debtor in their currency)."""
    for pay in data.portfolio.unallocatable_payments():
        have = data.portfolio.currencies_of(pay.debtor_id)
        invoiced = f"is invoiced only in {', '.join(have)}" if have else "has no invoice"
        print(
            f"dunning: warning: payment {pay.id} of debtor {pay.debtor_id} is in "
            f"{pay.amount.currency} but the debtor {invoiced}: the payment is not allocated",
            file=sys.stderr,
        )


#: What `dunning reconcile` records of each statement it read, in the working folder.
BANK_RECORD = Path(".dunning") / "statements.json"


def _statements_read(folder: Path) -> list[dict[str, Any]]:
    path = folder / BANK_RECORD
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"not valid JSON: {exc}", source=str(path)) from None
    if not isinstance(data, list):
        raise DataError("must be a list of statements", source=str(path))
    return data


def _newest_bank_data(folder: Path) -> date | None:
    days = [
        date.fromisoformat(s["data_date"]) for s in _statements_read(folder) if s.get("data_date")
    ]
    return max(days, default=None)


def _bank_guard(
    args: argparse.Namespace, data: Folder, policy: PolicyLike, proposal: Proposal, as_of: date
) -> tuple[Proposal, dict[str, Any] | None]:
    """Hold the reminders while the newest bank data is older than ``[bank]
    max_age_business_days`` (unless ``--force``): nobody is chased for money already paid."""
    max_age = data.incoming.max_age_business_days
    if max_age is None:
        return proposal, None
    from .reconciliation import check_freshness

    calendars = _calendars(policy)
    newest = _newest_bank_data(args.folder)
    guard = check_freshness(newest, as_of, calendars[0] if calendars else None, max_age)
    info: dict[str, Any] = {
        "newest": newest.isoformat() if newest else None,
        "age_business_days": guard.age,
        "max_age_business_days": max_age,
        "fresh": guard.fresh,
    }
    if guard.fresh:
        return proposal, info
    if args.force:
        info["forced"] = True
        print(f"dunning: warning: {guard.why}; planning all the same (--force)", file=sys.stderr)
        return proposal, info
    held = guard.apply(proposal)
    if len(held) < len(proposal):
        print(
            f"dunning: {len(proposal) - len(held)} reminder(s) held: {guard.why} "
            "(`dunning reconcile FOLDER`, or `dunning run ... --force`)",
            file=sys.stderr,
        )
    return held, info


#: Where `dunning import` keeps the e-invoices it imported, in the working folder.
EINVOICES = "einvoices"
_TABLES = (".csv", ".xlsx", ".parquet", ".txt", ".tsv")


def _einvoice_kind(path: Path, head: bytes) -> str:
    if path.name.lower().endswith(".p7m") or b"FatturaElettronica" in head:
        return "fatturapa"
    if b"urn:oasis:names:specification:ubl" in head:
        return "ubl"
    raise DataError(
        "neither a FatturaPA nor a UBL invoice (nor a .csv, .xlsx or .parquet table)",
        source=str(path),
    )


def _import(args: argparse.Namespace, out: TextIO) -> int:
    import hashlib
    import shutil

    from .importers import fatturapa, read_table, ubl
    from .importers._xml import Source
    from .importers._xml import read_all as read_files
    from .importers.merge import merge_into_folder
    from .importers.table import DIALECTS, Columns
    from .portfolio import Portfolio

    data = read_folder(args.folder)
    inbox = args.folder / data.incoming.invoices
    files: list[Path] = list(args.files)
    if not files:
        files = sorted(p for p in inbox.glob("*") if p.is_file() and not p.name.startswith("."))
        if not files:
            raise DataError(
                f"nothing to import in {inbox}: put the e-invoices there (FatturaPA .xml or "
                ".xml.p7m, UBL .xml) or name the files: dunning import FOLDER FILE..."
            )
    if args.dialect not in DIALECTS:
        raise DataError(f"--dialect {args.dialect!r}: one of {', '.join(sorted(DIALECTS))}")
    columns = None
    if args.columns is not None:
        try:
            table = tomllib.loads(args.columns.read_text(encoding="utf-8-sig"))
        except tomllib.TOMLDecodeError as exc:
            raise DataError(f"not valid TOML: {exc}", source=str(args.columns)) from None
        fields = {k: v for k, v in table.items() if k != "constants"}
        try:
            columns = Columns(**fields, constants=table.get("constants", {}))
        except TypeError as exc:
            raise DataError(f"{exc}: see docs/tables.md", source=str(args.columns)) from None
    kinds: dict[str, list[Path]] = {"fatturapa": [], "ubl": [], "table": []}
    for file in files:
        if file.suffix.lower() in _TABLES:
            kinds["table"].append(file)
        else:
            with file.open("rb") as handle:
                kinds[_einvoice_kind(file, handle.read(4096))].append(file)
    documents: dict[str, str] = {}
    parts: list[Portfolio] = []
    readers = {"fatturapa": fatturapa, "ubl": ubl}
    total, done = len(files), 0

    def reading(read: Callable[[Source], Portfolio]) -> Callable[[Source], Portfolio]:
        """``read``, noting which file each invoice came from, with progress."""

        def one(file: Source) -> Portfolio:
            nonlocal done
            portfolio = read(file)
            name = Path(str(file)).name.replace(";", "_")
            for invoice in portfolio.invoices:
                documents[invoice.id] = name
            done += 1
            if total >= 50 and (done % 50 == 0 or done == total):
                print(f"read {done}/{total} file(s)", file=sys.stderr)
            return portfolio

        return one

    for kind, reader in readers.items():
        if kinds[kind]:  # each file read once, as the importer's read_all reads them together
            parts.append(read_files(kinds[kind], reading(reader.read)))
    for file in kinds["table"]:
        rows = read_table(file, columns, kind="invoices", dialect=args.dialect)
        parts.append(rows.portfolio(data.portfolio.creditor, debtors=data.portfolio.debtors))
        done += 1
    debtors: dict[str, Any] = {}
    for part in parts:
        for debtor in part.debtors:
            debtors.setdefault(debtor.id, debtor)
    creditor = next((p.creditor for p in parts if p.creditor.vat_number), data.portfolio.creditor)
    imported = Portfolio(
        creditor,
        tuple(debtors.values()),
        tuple(i for p in parts for i in p.invoices),
        (),
        tuple(n for p in parts for n in p.credit_notes),
    )
    report = merge_into_folder(args.folder, imported, documents=documents, dry_run=args.dry_run)
    for note in report.notes[:20]:
        print(f"  note: {note}", file=out)
    if len(report.notes) > 20:
        print(f"  ... and {len(report.notes) - 20} more note(s)", file=out)
    dry = " (--dry-run: nothing was written)" if args.dry_run else ""
    print(f"From {len(files)} file(s): {report.text()}.{dry}", file=out)
    if args.dry_run:
        return 0
    # the e-invoices are kept, as received, beside the tables: they are the documents
    archive = args.folder / EINVOICES
    for file in kinds["fatturapa"] + kinds["ubl"]:
        archive.mkdir(mode=0o700, exist_ok=True)
        target = archive / file.name
        if target.exists() and target.read_bytes() != file.read_bytes():
            digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
            target = archive / f"{file.stem}.{digest}{file.suffix}"
        inside = file.resolve().is_relative_to(inbox.resolve())
        if target.exists():
            if inside:
                file.unlink()
        elif inside:
            shutil.move(str(file), target)
        else:
            shutil.copy2(file, target)
    if kinds["fatturapa"] or kinds["ubl"]:
        print(f"The e-invoices are kept in {archive}.", file=out)
    return 0


def _reconcile(args: argparse.Namespace, out: TextIO) -> int:
    import hashlib

    from .importers import camt
    from .reconciliation import reconcile

    data, _policy, history = _load(args.folder)
    files: list[Path] = list(args.statements)
    if not files:
        where = args.folder / data.incoming.statements
        files = sorted(p for p in where.glob("*") if p.suffix.lower() in (".xml", ".camt"))
        if not files:
            raise DataError(
                f"no statement in {where}: put the bank's camt.053/camt.054 files there, or "
                "name them: dunning reconcile FOLDER FILE..."
            )
    statements = []
    for file in files:
        content = file.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        for statement in camt.read_statements(content, name=str(file)):
            statements.append((file, digest, statement))
    payments = [p for _, _, st in statements for p in st.payments]
    as_of: date = args.as_of or date.today()
    result = reconcile(data.portfolio, payments, as_of, history)
    print(result.report(), file=out)
    newest = camt.newest_data_date([st for _, _, st in statements])
    if newest is not None:
        print(f"Newest bank data: {newest.isoformat()}.", file=out)
    if args.dry_run:
        print("Nothing recorded (--dry-run).", file=out)
        return 0
    if result.payments:
        _append_payments(args.folder, result.payments)
        print(
            f"{len(result.payments)} payment(s) added to {args.folder / 'payments.csv'}.", file=out
        )
    unmatched = args.folder / "unmatched.csv"
    rows = [
        [u.payment.id, u.payment.date.isoformat(), str(u.payment.amount.amount),
         u.payment.amount.currency, u.payment.payer_name or "", u.payment.payer_iban or "",
         u.payment.reference or "", u.reason]
        for u in result.to_allocate
    ]  # fmt: skip
    header = ["payment_id", "date", "amount", "currency", "payer", "payer_iban", "reference", "why"]
    write_file(unmatched, csv_text([header, *rows]).encode("utf-8"))
    if rows:
        print(
            f"{len(rows)} payment(s) to allocate by hand: {unmatched} (add each to payments.csv "
            "with its debtor_id; the next reconcile then leaves it out).",
            file=out,
        )
    # one record per statement: a file may hold several (a camt.053 of two accounts)
    record = {(r.get("sha256"), r.get("id")): r for r in _statements_read(args.folder)}
    for file, digest, statement in statements:
        record.setdefault(
            (digest, statement.id),
            {
                "file": file.name,
                "sha256": digest,
                "id": statement.id,
                "account": statement.account_iban or "",
                "data_date": statement.data_date.isoformat() if statement.data_date else None,
                "payments": len(statement.payments),
                "reconciled_on": as_of.isoformat(),
            },
        )
    (args.folder / BANK_RECORD).parent.mkdir(mode=0o700, exist_ok=True)
    write_file(
        args.folder / BANK_RECORD,
        json.dumps(
            sorted(record.values(), key=lambda r: str(r.get("data_date"))), indent=2
        ).encode(),
    )
    return 0


def _append_payments(folder: Path, payments: Sequence[Payment]) -> None:
    """Add ``payments`` (matched, each with its debtor) to the folder's payments.csv, keeping
    its columns, in one replace of the file."""
    from .importers.folder import PAYMENTS
    from .importers.merge import append_rows

    rows = [
        {
            "payment_id": p.id,
            "debtor_id": p.debtor_id,
            "date": p.date.isoformat(),
            "amount": str(p.amount.amount),
            "currency": p.amount.currency,
            "reference": (p.reference or "").replace("\n", " "),
        }
        for p in payments
    ]
    write_file(folder / PAYMENTS, append_rows(folder / PAYMENTS, rows))


def _run(args: argparse.Namespace, out: TextIO) -> int:
    data, policy, history = _load(args.folder)
    as_of: date = args.as_of or date.today()
    per_invoice = args.per_invoice or data.per_invoice
    proposal = plan(data.portfolio, policy, as_of, history, per_invoice=per_invoice)
    _warn_unallocatable(data)
    proposal, bank = _bank_guard(args, data, policy, proposal, as_of)
    if args.json:
        # standard output stays a JSON list of actions: the alerts go to standard error
        print(proposal.to_json(), file=out)
        if proposal.alerts:
            print("\n".join(_alert_lines(proposal.alerts)), file=sys.stderr)
    else:
        _print_proposal(proposal, data, policy, history, args, out)
    if args.outbox is not None:
        index = write_outbox(
            proposal,
            data.portfolio,
            policy,
            args.outbox,
            history,
            documents=args.folder,
            envelope=args.envelope,
            attach_pdf=args.attach_pdf,
        )
        files = len({entry["file"] for entry in index if entry["file"]})
        run_info = {
            "folder": str(args.folder.resolve()),
            "as_of": as_of.isoformat(),
            "recorded": not args.dry_run,
        }
        if bank is not None:
            run_info["bank_data"] = bank
        write_file(args.outbox / RUN_INFO, json.dumps(run_info, indent=2).encode("utf-8"))
        print(
            f"{files} message(s) written to {args.outbox} for review "
            f"(index: {args.outbox / INDEX}); nothing was sent.",
            file=sys.stderr if args.json else out,
        )
    if not args.dry_run:
        url = _store_url(args.folder)
        if args.outbox is not None and url is not None:
            # the transactional outbox: the day's actions and their messages in one transaction
            with _queue(args.folder, url) as queue:
                from .store.dispatcher import outbox_messages

                queue.enqueue(outbox_messages(args.outbox), events=proposal.events())
        else:
            _append_history(args.folder, proposal.events())
    return 0


@contextmanager
def _queue(folder: Path, url: str) -> Iterator[Any]:
    """The transactional outbox (`dunning.store.MessageQueue`) of the folder's store."""
    from .store import MessageQueue

    store = _store(folder, url)
    try:
        yield MessageQueue(store)
    finally:
        store.close()


def _sync(queue: Any, folder: Path, outbox: Path) -> dict[str, Any]:
    """Bring the outbox folder into the queue: its messages (those written before the store was
    used keep the send journal's state) and its approvals, with the files as approved; returns
    the outbox's messages as its files hold them now, by key."""
    from .store.dispatcher import outbox_messages

    journal = Journal(folder / JOURNAL) if (folder / JOURNAL).exists() else None
    messages = {m.key: m for m in outbox_messages(outbox, journal)}
    queue.enqueue(messages.values())
    waiting = {m.key for m in queue.messages(messages, states=("queued",)) if not m.approved_at}
    fresh = [k for k in approved(outbox) if k in waiting]
    if fresh:
        contents = {k: messages[k].content for k in fresh}
        queue.approve(fresh, at=datetime.now(UTC), contents=contents)
    changed = [
        m.key
        for m in queue.messages(messages, states=("queued", "temporary"))
        if m.approved_at and m.content_hash != messages[m.key].content_hash
    ]
    for key in changed:
        print(
            f"dunning: warning: {messages[key].file} changed after it was approved; the "
            f"approved version is sent: `dunning approve {outbox} {key}` to send the new one",
            file=sys.stderr,
        )
    return messages


#: Written into an outbox by ``dunning run``: which data folder it was planned on.
RUN_INFO = "run.json"


def _approve(args: argparse.Namespace, out: TextIO) -> int:
    now = datetime.now(UTC)
    new = approve(args.outbox, args.keys or None, at=now)
    total = len(approved(args.outbox))
    try:
        folder = _planned_on(args)
    except DataError:
        folder = None  # a --dry-run's outbox: approving it is harmless, sending it is refused
    url = _store_url(folder) if folder is not None else None
    if folder is not None and url is not None:
        with _queue(folder, url) as queue:
            found = _sync(queue, folder, args.outbox)
            if args.keys:  # approved again: the files as they are now
                contents = {k: found[k].content for k in args.keys if k in found}
                queue.approve(args.keys, at=now, contents=contents)
    print(f"{len(new)} message(s) approved now, {total} in all, in {args.outbox}.", file=out)
    return 0


_SHOWN = {
    "sent": "sent",
    "already_sent": "already sent",
    "failed": "FAILED",
    "already_failed": "failed earlier",
    "temporary": "not sent now (temporary)",
    "in_doubt": "IN DOUBT",
    "waiting": "waiting",
    "not_approved": "not approved",
    "no_channel": "no channel",
    "not_sent_by_a_channel": "by hand",
}


def _outbox_folder(args: argparse.Namespace) -> Path:
    """The data folder an outbox was planned on (``--folder`` wins)."""
    folder = _planned_on(args)
    if folder is None:
        info = args.outbox / RUN_INFO
        raise DataError(f"which data folder? {info} is missing: pass --folder FOLDER")
    return folder


def _planned_on(args: argparse.Namespace) -> Path | None:
    """The data folder of the outbox ``args.outbox`` (``--folder`` wins); None when its
    ``run.json`` is missing. An outbox of a ``--dry-run`` is refused."""
    if args.folder is not None:
        return Path(args.folder)
    info = args.outbox / RUN_INFO
    if not info.exists():
        return None
    run = json.loads(info.read_text(encoding="utf-8"))
    if not run.get("recorded", True):
        raise DataError(
            f"{args.outbox} was written by a --dry-run: its actions are not in the history, "
            "so what is sent could not be followed up; run without --dry-run"
        )
    return Path(run["folder"])


def _settle(args: argparse.Namespace, out: TextIO) -> int:
    folder = _outbox_folder(args)
    now = datetime.now(UTC)
    if args.server_log is not None:
        if args.key or args.sent or args.not_sent or args.evidence:
            raise DataError("--server-log settles by itself: give no KEY, --sent or --evidence")
        return _settle_by_log(args, folder, now, out)
    if not args.key or not (args.sent or args.not_sent) or args.evidence is None:
        raise DataError(
            "say which message and what happened: dunning settle OUTBOX KEY (--sent | "
            "--not-sent) --evidence TEXT, or dunning settle OUTBOX --server-log FILE"
        )
    url = _store_url(folder)
    if url is not None:
        with _queue(folder, url) as queue:
            _sync(queue, folder, args.outbox)
            queue.settle(args.key, sent=args.sent, evidence=args.evidence, now=now)
    else:
        journal = Journal(folder / JOURNAL)
        outcome = settle(
            args.outbox, journal, args.key, sent=args.sent, evidence=args.evidence, now=now
        )
        _append_history(folder, outcome_events([outcome], now))
    what = "recorded as sent" if args.sent else "recorded as not sent: the next send sends it"
    print(f"{args.key}: {what} ({args.evidence}).", file=out)
    return 0


def _settle_by_log(args: argparse.Namespace, folder: Path, now: datetime, out: TextIO) -> int:
    """Settle as sent the messages of the outbox in doubt whose Message-ID the mail server's log
    names (Postfix ``message-id=<...>``, Exim ``id=<...>``, a debugging server's headers: any
    line holding the id), the line as evidence; the others stay in doubt for a person."""
    try:
        lines = args.server_log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        raise DataError(
            f"cannot read the server log: {error.strerror}", source=str(args.server_log)
        ) from None
    url = _store_url(folder)
    doubt: list[tuple[str, str]]
    if url is not None:
        with _queue(folder, url) as queue:
            _sync(queue, folder, args.outbox)
            mine = str(args.outbox.resolve())
            doubt = [(m.key, m.message_id) for m in queue.in_doubt() if m.outbox == mine]
    else:
        doubt = [(e.key, e.message_id) for e in Journal(folder / JOURNAL).in_doubt()]
    if not doubt:
        print("No message of this outbox is in doubt.", file=out)
        return 0
    found: dict[str, str] = {}
    wanted = {mid.strip().strip("<>").lower(): key for key, mid in doubt if mid.strip()}
    for number, line in enumerate(lines, start=1):
        lowered = line.lower()
        for mid, key in wanted.items():
            if key not in found and mid in lowered:
                found[key] = f"{args.server_log.name} line {number}: {line.strip()[:300]}"
    if found:
        if url is not None:
            with _queue(folder, url) as queue:
                for key, evidence in found.items():
                    queue.settle(key, sent=True, evidence=evidence, now=now, by="server log")
        else:
            journal = Journal(folder / JOURNAL)
            outcomes = [
                settle(args.outbox, journal, key, sent=True, evidence=evidence, now=now)
                for key, evidence in found.items()
            ]
            _append_history(folder, outcome_events(outcomes, now))
    for key, _ in doubt:
        if key in found:
            print(f"{key}: recorded as sent ({found[key]}).", file=out)
        else:
            print(
                f"{key}: not in the log: still in doubt. If the log covers the time of the "
                "send, `dunning settle OUTBOX KEY --not-sent --evidence ...` sends it again",
                file=out,
            )
    left = len(doubt) - len(found)
    print(f"{len(found)} settled as sent, {left} still in doubt.", file=out)
    return 3 if left else 0


def _send(args: argparse.Namespace, out: TextIO) -> int:
    folder = _outbox_folder(args)
    now: datetime = args.now or datetime.now(UTC)
    if now.tzinfo is None:
        raise DataError(f"--now {now.isoformat()} needs a time zone (e.g. +02:00)")
    data = read_folder(folder)
    settings = dict(data.channels)
    for given in args.channel:
        name, _, url = given.partition("=")
        if name not in ("email", "pec", "sms", "postal") or not url:
            raise DataError(
                f"--channel {redact(given)!r}: write NAME=SETTINGS, NAME one of "
                "email, pec, sms, postal"
            )
        settings[name] = url
    opened = {name: open_channel(url) for name, url in settings.items()}
    store_url = _store_url(folder)
    try:
        if store_url is not None:
            from .store import dispatch

            with _queue(folder, store_url) as queue:
                _sync(queue, folder, args.outbox)
                outcomes = dispatch(queue, opened, now=now, outbox=str(args.outbox.resolve()))
            # in the order of the outbox, as the journal reports them
            index = json.loads((args.outbox / INDEX).read_text(encoding="utf-8"))
            order = {entry["key"]: n for n, entry in enumerate(index)}
            outcomes.sort(key=lambda o: order.get(o.key, len(order)))
        else:
            outcomes = send_outbox(args.outbox, opened, Journal(folder / JOURNAL), now=now)
            _append_history(folder, outcome_events(outcomes, now))
    finally:
        for channel in opened.values():
            channel.close()
    for o in outcomes:
        print(f"{_SHOWN[o.result]:<24} {o.channel:<7} {o.key}  {o.detail}", file=out)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[_SHOWN[o.result]] = counts.get(_SHOWN[o.result], 0) + 1
    print(", ".join(f"{n} {what}" for what, n in counts.items()) or "Nothing to send.", file=out)
    doubt = [o for o in outcomes if o.result == "in_doubt"]
    if doubt:
        print(
            f"dunning: {len(doubt)} message(s) in doubt: find out whether they reached the "
            "debtor (a PEC acceptance receipt names the Message-ID) before doing anything; "
            "they are never sent again by themselves",
            file=sys.stderr,
        )
        return 3
    return 0


def _verify(args: argparse.Namespace, out: TextIO) -> int:
    url = _store_url(args.folder)
    if url is None or not _reads_store(args.folder, url):
        raise DataError(
            f"no event store for {args.folder} (nothing recorded yet, or no store extra): "
            "nothing to verify"
        )
    with _queue(args.folder, url) as queue:
        events, messages = queue.store.count(), sum(queue.counts().values())
        problems = [*queue.store.verify(), *queue.verify()]
        where = queue.store.url
    for problem in problems:
        print(problem, file=out)
    if problems:
        print(f"{len(problems)} problem(s) in {where}: rows changed outside dunning.", file=out)
        return 1
    print(f"{where}: {events} event(s) and {messages} message(s) checked: consistent.", file=out)
    return 0


def _messages(args: argparse.Namespace, out: TextIO) -> int:
    url = _store_url(args.folder)
    if url is None:
        raise MissingExtra(
            "the messages sent are listed from the event store: pip install 'dunning[store]' "
            "(without it, the send journal is .dunning/journal.jsonl)"
        )
    with _queue(args.folder, url) as queue:
        if args.key:
            entries = queue.log(args.key)
            if not entries:
                raise DataError(f"{args.key}: not a message of the store's outbox")
            for e in entries:
                who = f"by {e.worker}  " if e.worker else ""
                at = e.at.isoformat(timespec="seconds")
                print(f"{at}  {e.what:<9}  {who}{e.detail}".rstrip(), file=out)
            return 0
        states = set(args.state or ())
        if args.in_doubt:
            states |= {"sending", "in_doubt"}
        found = queue.messages(states=states or None)
        for m in found:
            shown = "in_doubt" if m.state == "sending" else m.state
            at = m.updated_at.isoformat(timespec="seconds") if m.updated_at else ""
            approved = "" if m.approved_at or m.state != "queued" else " (not approved)"
            print(f"{shown:<9} {m.channel:<6} {m.attempts:>2}x  {at}  {m.key}{approved}", file=out)
        counts: dict[str, int] = {}
        for m in found:
            label = "in doubt" if m.state in ("sending", "in_doubt") else m.state
            counts[label] = counts.get(label, 0) + 1
        summary = ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))
        print(summary or "No message.", file=out)
        return 3 if counts.get("in doubt") else 0


def _receipts(args: argparse.Namespace, out: TextIO) -> int:
    source = str(args.source)
    if "://" in source or Path(source).is_dir() or source.lower().endswith(".eml"):
        return _mail_receipts(args, source, out)
    if args.unseen or args.mark_seen:
        raise DunningError("--unseen and --mark-seen are for an IMAP mailbox")
    history = _read_history(args.folder)
    events = read_returns(source, history)
    for event in events:
        if isinstance(event, DeliveryConfirmed):
            what = f"delivered: {event.evidence}"
        elif isinstance(event, DeliveryFailed):
            what = f"not delivered: {event.reason}"
        elif isinstance(event, MessageSent):
            what = "posted" + (f", tracking {event.message_id}" if event.message_id else "")
        else:  # pragma: no cover - read_returns makes only these three
            continue
        print(f"{event.date}  {event.debtor_id:<10} {event.key}  {what}", file=out)
    if not events:
        print(f"Nothing new in {args.source}: every line is already recorded.", file=out)
    elif args.dry_run:
        print(f"{len(events)} event(s) not recorded (--dry-run).", file=out)
    else:
        where = _append_history(args.folder, events)
        print(f"{len(events)} event(s) recorded in {where}.", file=out)
    return 0


def _mail_receipts(args: argparse.Namespace, source: str, out: TextIO) -> int:
    """PEC receipts and bounces from a folder, a Maildir, one .eml file or an IMAP mailbox:
    what each message proved, the events recorded (new ones only), the evidence kept."""
    import contextlib
    from collections.abc import Iterable

    from .channels.imap import IMAPError, IMAPMailbox
    from .channels.inbox import (
        keep_evidence,
        local_messages,
        new_events,
        prove,
        sent_message_ids,
    )
    from .channels.pec import Skipped

    def until_failure(items: Iterable[Any]) -> Iterator[Any]:
        """``items``, then the `IMAPError` that stopped them, if one did."""
        try:
            yield from items
        except IMAPError as exc:
            yield exc

    creditor = read_folder(args.folder).portfolio.creditor
    history = _read_history(args.folder)
    sent = sent_message_ids(history, creditor)
    imap = "://" in source
    if not imap and (args.unseen or args.mark_seen):
        raise DunningError("--unseen and --mark-seen are for an IMAP mailbox (imaps://...)")
    evidence_dir = args.folder / HISTORY.parent / "evidence"
    with contextlib.ExitStack() as stack:
        if imap:
            box = stack.enter_context(IMAPMailbox.from_url(source))
            print(f"Reading {box}" + (" (unseen only)" if args.unseen else ""), file=out)
            items: Iterable[Any] = box.messages(unseen=args.unseen)
        else:
            items = local_messages(source)
        counts: dict[str, int] = {}
        found: list[Event] = []
        proven: list[int] = []
        left: list[tuple[str, str, datetime | None]] = []  # proof that a message left
        failure: IMAPError | None = None
        for item in until_failure(items):
            if isinstance(item, IMAPError):  # what was read before is still recorded
                failure = item
                break
            if isinstance(item, Skipped):
                label, text, outcome = item.source, f"skipped: {item.reason}", "skipped"
            else:
                proof = prove(item.data, item.source, sent, uid=item.uid or None)
                label = f"UID {item.uid}" if imap else item.source
                text, outcome = proof.text, proof.outcome
                if proof.what == "skipped":
                    outcome = "skipped"
                elif not proof.linked:
                    outcome = "not sent by dunning"
                if proof.linked:
                    text = f"{proof.debtor_id} {proof.key}: {text}"
                fresh = new_events(proof.events, [*history, *found])
                if proof.events and not fresh:
                    text += " (already recorded)"
                found.extend(fresh)
                if proof.evidence and not args.dry_run:
                    kept = keep_evidence(evidence_dir, proof.raw, proof.sha256)
                    text += f"; kept as {kept}"
                if proof.evidence and proof.uid is not None:
                    proven.append(proof.uid)
                if proof.key is not None and _proves_sending(proof):
                    what = f"{proof.what} {proof.outcome} sha256:{proof.sha256} ({label})"
                    left.append((proof.key, what, proof.when))
            counts[outcome] = counts.get(outcome, 0) + 1
            print(f"{label}: {text}", file=out)
        total = sum(counts.values())
        parts = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
        print(f"{total} message(s) read" + (f": {parts}." if parts else "."), file=out)
        if not found:
            print("Nothing new to record.", file=out)
        elif args.dry_run:
            print(f"{len(found)} event(s) not recorded (--dry-run).", file=out)
        else:
            where = _append_history(args.folder, found)
            print(f"{len(found)} event(s) recorded in {where}.", file=out)
        if left and not args.dry_run:
            _settle_by_receipts(args.folder, left, out)
        if failure is not None:
            raise failure
        if imap and args.mark_seen and not args.dry_run and proven:
            marked = box.mark_seen(proven)
            print(f"{marked} message(s) marked as seen.", file=out)
    return 0


def _proves_sending(proof: Any) -> bool:
    """Whether a receipt or bounce shows that its message left: a PEC acceptance, transit or
    delivery receipt, any bounce (the server took the message to bounce it)."""
    if proof.what == "receipt":
        return bool(proof.outcome in ("sent", "in-transit", "delivered", "warning"))
    return bool(proof.what == "bounce")


def _settle_by_receipts(
    folder: Path, left: Sequence[tuple[str, str, datetime | None]], out: TextIO
) -> None:
    """Settle as sent the messages in doubt that a receipt or bounce shows left."""
    url = _store_url(folder)
    if url is None:
        return
    with _queue(folder, url) as queue:
        for key, what, when in left:
            message = queue.get(key)
            if message is None or message.state not in ("sending", "in_doubt"):
                continue
            moment = when or datetime.now(UTC)
            queue.settle(key, sent=True, evidence=what, now=moment, by="dunning receipts")
            print(f"{key}: was in doubt; settled as sent by this evidence: {what}", file=out)


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _calendars(policy: PolicyLike) -> list[Calendar]:
    """The business-day calendars of ``policy`` and of the policies it combines, once each."""
    return list(dict.fromkeys(p.calendar for p in policy.all_policies))


def _closed_day(policy: PolicyLike, day: date) -> str | None:
    """Why nothing is sent on ``day`` when it is not a business day in any calendar of the
    policy ("2026-07-19 is a Sunday (not a business day in IT): ..."), else None."""
    calendars = _calendars(policy)
    if not calendars or any(c.is_business_day(day) for c in calendars):
        return None
    if all(day.weekday() in c.weekend for c in calendars):
        what = f"a {_DAYS[day.weekday()]}"
    elif all(any(day in closure for closure in c.closures) for c in calendars):
        what = "a closure day"
    else:
        what = "a public holiday"
    where = ", ".join(dict.fromkeys(c.country or "the policy's calendar" for c in calendars))
    after = min(c.roll_forward(day) for c in calendars)
    return (
        f"{day} is {what} (not a business day in {where}): nothing is sent; "
        f"next business day {after}."
    )


_SPECIFIC = re.compile(r"\S*\d\S*")  # dates, invoice numbers, amounts, counts


_LABELS = {
    "nothing_open": "nothing open",
    "blocked": "blocked",
    "case_closed": "case closed",
    "handed_over": "handed over to the agency",
    "already_planned": "already planned today",
    "all_disputed": "every open item disputed",
    "spacing": "spacing between contacts",
    "payment_in_transit": "payment in transit",
    "payment_sent": "the debtor says it has paid",
    "not_business_day": "not a business day",
    "promise": "promise to pay",
    "promise_grace": "grace after a promise",
    "plan_kept": "payment plan kept",
    "notice_day": "pre-due notice not due yet",
    "good_payer": "good payer",
    "formal_deadline": "formal notice's deadline not passed",
    "delivery_unproven": "formal notice not proven delivered",
    "paid_after_formal_notice": "paid after the formal notice",
    "documents_requested": "documents asked for",
    "ladder_complete": "ladder complete",
    "nothing_overdue": "nothing overdue",
    "below_minimum": "below the minimum balance",
}


def _label(code: str) -> str:
    return _LABELS.get(code, code.replace("_", " "))


def _reason(wait: Waiting) -> str:
    """The general reason of a wait, without what is particular to the debtor: "nothing open",
    "blocked", "next step not due yet", "held: payment in transit"... (from the reasons'
    codes; from the text for a wait without them)."""
    codes = [r.code for r in wait.reasons if r.code not in ("note", "hold")]
    if not codes:
        return _reason_text(wait.why)
    if codes[0] == "next_step":
        holds = [c for c in codes[1:] if c != "nothing_overdue_yet"]
        if not holds:
            return "next step not due yet"
        return _label(holds[0]) if holds[0] == "notice_day" else f"held: {_label(holds[0])}"
    return _label(codes[0])


def _reason_text(why: str) -> str:
    if "held: " in why:
        return "held: " + _reason_text(why.split("held: ", 1)[1])
    first = why.split("; ", 1)[0]
    if first.startswith("next: "):
        return "next step not due yet"
    head = re.sub(r"\([^)]*\)", "", first.split(": ", 1)[0])
    return " ".join(_SPECIFIC.sub("…", head).split()) or why


def _waiting_summary(waiting: tuple[Waiting, ...], shown: int = 5) -> list[str]:
    """The reasons debtors wait, most common first: how many debtors, and the earliest date
    something is next due."""
    debtors: dict[str, set[str]] = {}
    nearest: dict[str, date] = {}
    for wait in waiting:
        reason = _reason(wait)
        debtors.setdefault(reason, set()).add(wait.debtor_id)
        if wait.next_date is not None:
            nearest[reason] = min(nearest.get(reason, wait.next_date), wait.next_date)
    ranked = sorted(debtors, key=lambda r: (-len(debtors[r]), r))
    width = len(str(max((len(ids) for ids in debtors.values()), default=0)))
    lines = []
    for reason in ranked[:shown]:
        first = f" (the first on {nearest[reason]})" if reason in nearest else ""
        lines.append(f"  {len(debtors[reason]):>{width}} debtor(s): {reason}{first}")
    if len(ranked) > shown:
        lines.append(f"  ... and {len(ranked) - shown} other reason(s)")
    return lines


def _alert_lines(alerts: Sequence[Alert]) -> list[str]:
    """The alerts as a short section: a heading, then one line per alert with the debtor, the
    kind of alert and why, in columns. Missing interest rates are one line for all debtors:
    the advice is the same."""
    rows: list[tuple[str, str, str]] = []
    grouped: dict[str, list[Alert]] = {}
    for alert in alerts:
        if alert.kind == "interest_rate" and alert.topic:
            grouped.setdefault(alert.topic, []).append(alert)
        else:
            rows.append((alert.debtor_id, alert.kind, alert.why))
    for topic, group in grouped.items():
        if len(group) == 1:
            rows.append((group[0].debtor_id, group[0].kind, group[0].why))
            continue
        ids = ", ".join(a.debtor_id for a in group)
        until = min(a.date for a in group) - timedelta(days=1)
        advice = group[0].advice
        rows.append(
            (
                f"{len(group)} debtors",
                "interest_rate",
                f"{topic}: the interest of {ids} is shown up to {until} only; {advice}",
            )
        )
    debtor = max(len(r[0]) for r in rows)
    kind = max(len(r[1]) for r in rows)
    lines = [f"Alerts ({len(alerts)}) — for a person:"]
    lines.extend(f"  {d:<{debtor}}  {k:<{kind}}  {w}" for d, k, w in rows)
    return lines


def _print_proposal(
    proposal: Proposal,
    data: Folder,
    policy: PolicyLike,
    history: list[Event],
    args: argparse.Namespace,
    out: TextIO,
) -> None:
    locale = data.portfolio.creditor.locale
    as_of = proposal.as_of
    if proposal.actions:
        print(proposal.table(locale), file=out)
        if args.why:
            print(file=out)
            for action in proposal:
                print(f"{action.debtor_id} {action.step}: {action.why_in(locale)}", file=out)
    else:
        done = [e for e in history if isinstance(e, ActionPlanned) and e.date == as_of]
        if done:
            where = redact(_store_url(args.folder) or str(args.folder / HISTORY))
            print(
                f"Nothing new to plan for {as_of}: {len(done)} action(s) were already planned "
                f"today (recorded in {where}).",
                file=out,
            )
        elif closed := _closed_day(policy, as_of):
            print(closed, file=out)
        else:
            # the reasons in short; --waiting lists every debtor below instead
            reasons = [] if args.waiting else _waiting_summary(proposal.waiting)
            head = f"Nothing to do on {as_of}: no debtor has a step due today"
            print(head + ("; why they wait:" if reasons else "."), file=out)
            for line in reasons:
                print(line, file=out)
    debtors = len({a.debtor_id for a in proposal})
    print(
        f"\n{len(proposal)} action(s) for {debtors} debtor(s) on {as_of}; "
        f"{len(proposal.waiting)} case(s) waiting"
        + ("" if args.waiting else " (--waiting shows why)")
        + ("; dry run, nothing recorded." if args.dry_run else "."),
        file=out,
    )
    if args.waiting:
        for wait in proposal.waiting:
            nxt = f" on {wait.next_date}" if wait.next_date else ""
            print(f"  {wait.debtor_id}: {wait.why_in(locale)}{nxt}", file=out)
    if proposal.alerts:
        print(file=out)
        print("\n".join(_alert_lines(proposal.alerts)), file=out)


def _explain(args: argparse.Namespace, out: TextIO) -> int:
    data, policy, history = _load(args.folder)
    runs = [e.date for e in history if isinstance(e, ActionPlanned)]
    as_of: date = args.as_of or (max(runs) if runs else date.today())
    locale = data.portfolio.creditor.locale
    text = explain(data.portfolio, policy, args.debtor_id, as_of, history).text(locale)
    print(text, file=out)
    print("statement of account:", file=out)
    try:
        account = statement_for(data.portfolio, policy, args.debtor_id, as_of, history)
    except PolicyError as exc:
        print(f"  not available: {exc}", file=out)
        return 0
    text = account.text(periods=True)
    print("\n".join("  " + line for line in text.splitlines()[1:]), file=out)
    if account.missing_rates:
        # a rate nobody has published yet is said, never guessed: say how to supply it
        chosen = policy.policy_for(data.portfolio.case(args.debtor_id, as_of, history), as_of)
        regime = chosen.regime if chosen is not None else None
        if regime is not None:
            print(
                f"\nTo complete the statement, add to {args.folder / CONFIG} the "
                f"{regime.reference_name} as published:\n",
                file=out,
            )
            print(regime.supply_lines(account.missing_rates), file=out)
    return 0


def _rates(args: argparse.Namespace, out: TextIO) -> int:
    supplied = RateSet()
    if args.folder is not None:
        supplied = read_folder(args.folder).policy.interest_rates
    as_of: date = args.as_of or date.today()
    keys = args.regime or list(REGIMES)
    for key in keys:
        if key not in REGIMES:
            raise DunningError(f"unknown regime {key!r}; known: {', '.join(REGIMES)}")
    layers = [supplied, installed_rates()]
    for n, key in enumerate(keys):
        regime = get_regime(key)
        if n:
            print(file=out)
        print(rates_report(regime, layers, as_of), file=out)
    return 0


def rates_report(regime: Regime, layers: Sequence[RateSet], as_of: date) -> str:
    """One regime's table: each period's reference rate, the regime's rate, the source and
    where the row comes from; the last known period and what is missing up to ``as_of``."""
    names = regime.rate_keys
    rows = list(iter_rows(layers, names))
    head = f"{regime.key}: {(regime.__doc__ or '').strip().splitlines()[0]}"
    lines = [head, f"  reference: {SERIES.get(regime.series, regime.reference_name)}"]
    if not rows:
        lines.append(
            f"  no published table: supply {regime.wanted(period_of(as_of, regime.period))} "
            "and the rest in dunning.toml"
        )
        return "\n".join(lines)
    full = regime.with_rates(layers[0]) if layers else regime
    lines.append(f"  {'period':<8}  {'reference':>9}  {'rate':>6}  source")
    for row in rows:
        rate = full.rate_on(period_start(row.period))
        origin = "" if row.origin in ("built-in", row.source) else f" [{row.origin}]"
        published = lookup([builtin_rates()], names, row.period)
        if row.origin != "built-in" and published and published.value != row.value:
            origin += f", instead of the published {published.value} ({published.source})"
        flag = " (verify)" if row.verify else ""
        lines.append(
            f"  {row.period:<8}  {row.value!s:>9}  {rate!s:>6}  {row.source}{flag}{origin}"
        )
    last = rows[-1].period
    wanted = [
        p
        for p in periods_between(period_start(rows[0].period), as_of, regime.period)
        if lookup(layers, names, p) is None
    ]
    lines.append(f"  last known period: {last}")
    if wanted:
        lines.append(f"  missing up to {as_of}: {', '.join(wanted)}; add to dunning.toml:")
        lines.extend("    " + line for line in regime.supply_lines(wanted).splitlines())
    else:
        lines.append(f"  nothing missing up to {as_of}")
    return "\n".join(lines)


def _simulate(args: argparse.Namespace, out: TextIO) -> int:
    if args.end < args.start:
        raise DunningError(f"--to {args.end} is before --from {args.start}")
    data, policy, history = _load(args.folder)
    before = [e for e in history if e.date < args.start]
    per_invoice = args.per_invoice or data.per_invoice
    timeline = simulate(
        data.portfolio, policy, args.start, args.end, before, per_invoice=per_invoice
    )
    if args.json:
        print(timeline.to_json(), file=out)
        return 0
    print(timeline.table(data.portfolio.creditor.locale), file=out)
    kinds: dict[str, int] = {}
    for action in timeline:
        kinds[action.kind] = kinds.get(action.kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no actions"
    print(f"\n{args.start} to {args.end}: {summary}.", file=out)
    return 0


def _erase_key(path: Path | None) -> str:
    """The pseudonyms' key: the text of ``path`` (``--key-file``), else ``$DUNNING_ERASE_KEY``;
    surrounding white space (a final newline) is not part of it. Never printed."""
    if path is not None:
        try:
            key = path.read_bytes().decode("utf-8").strip()
        except UnicodeDecodeError:
            raise DataError(f"--key-file {path}: not a text file; {_MAKE_KEY}") from None
        where = f"--key-file {path}"
    else:
        key = os.environ.get(ERASE_KEY_ENV, "").strip()
        where = f"${ERASE_KEY_ENV}"
        if not key:
            raise DataError(
                f"the pseudonyms need a secret key: pass --key-file PATH or set "
                f"${ERASE_KEY_ENV}; {_MAKE_KEY}"
            )
    if len(key) < _MIN_KEY:
        raise DataError(
            f"{where}: the key is too short (at least {_MIN_KEY} characters); {_MAKE_KEY}"
        )
    return key


def _erase(args: argparse.Namespace, out: TextIO) -> int:
    from .erase import erase_debtor

    folder: Path = args.folder
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    key = _erase_key(args.key_file)
    url = _store_url(folder)
    store = _store(folder, url) if url is not None else None
    try:
        report = erase_debtor(folder, args.debtor_id, key=key, apply=args.apply, store=store)
    finally:
        if store is not None:
            store.close()
    print(report.text().replace("apply=True to write", "--apply to write", 1), file=out)
    if not report.erased and not report.kept:
        print(f"nothing found for debtor {args.debtor_id} in {folder}", file=out)
    if args.apply:
        print(
            "erased: keep this report with the request; erase the debtor in your ERP too, or "
            "the next debtors.csv brings the data back; backups keep it until they expire",
            file=out,
        )
    else:
        print("nothing was changed: add --apply to erase", file=out)
    return 0


def _silence_stdout() -> None:
    """Point the process's stdout at /dev/null so nothing more is written to a closed pipe,
    not even the final flush at exit (see the note on SIGPIPE in the `signal` docs)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. replaced by a test runner)
        pass


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 1 when the reader of
    the output went away, e.g. ``dunning run FOLDER | head``)."""
    stream = out or sys.stdout
    commands = {
        "init": _init,
        "run": _run,
        "reconcile": _reconcile,
        "import": _import,
        "explain": _explain,
        "simulate": _simulate,
        "rates": _rates,
        "receipts": _receipts,
        "approve": _approve,
        "send": _send,
        "settle": _settle,
        "erase": _erase,
        "messages": _messages,
        "verify": _verify,
    }
    try:
        args = _parser().parse_args(argv)
        try:
            status = commands[args.command](args, stream)
        except (DunningError, FileNotFoundError, KeyError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            print(f"dunning: error: {message}", file=sys.stderr)
            return 2
        stream.flush()
        return status
    except BrokenPipeError:
        # the reader closed the pipe: stop quietly, with the status CPython itself uses
        if out is None:
            _silence_stdout()
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
