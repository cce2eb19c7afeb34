"""``events.csv``: replies, payment plans, documents, hand-over approvals, address updates."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from dunning.errors import DataError
from dunning.events import (
    REPLY_KINDS,
    AddressUpdated,
    DebtorReplied,
    DocumentAdded,
    DocumentsSent,
    Event,
    HandOverApproved,
    PlanAgreed,
)
from dunning.importers import read_folder
from dunning.model import Document
from dunning.money import Money

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tipografia"
TOML = '[creditor]\nname = "Tipografia Emiliana S.r.l."\n'
DEBTORS = "id,name\nD1,Osteria del Portico S.n.c.\nD2,Marco Rinaldi\nD3,Bäckerei Huber AG\n"
INVOICES = (
    "invoice_id,debtor_id,issue_date,due_date,amount,currency\n"
    "F1,D1,2026-01-10,2026-02-09,1200.00,EUR\n"
    "F2,D2,2026-01-12,2026-02-11,80.50,EUR\n"
    "F3,D3,2026-01-15,2026-02-14,500.00,CHF\n"
)
PAYMENTS = "payment_id,debtor_id,date,amount\n"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def write(tmp_path: Path, events: str) -> Path:
    files = {
        "dunning.toml": TOML,
        "debtors.csv": DEBTORS,
        "invoices.csv": INVOICES,
        "payments.csv": PAYMENTS,
        "events.csv": events,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def read(tmp_path: Path, events: str) -> tuple[Event, ...]:
    return read_folder(write(tmp_path, events)).portfolio.events


def problems(tmp_path: Path, events: str) -> list[DataError]:
    with pytest.raises(DataError) as caught:
        read_folder(write(tmp_path, events))
    assert all(e.source == "events.csv" for e in caught.value.errors)
    return list(caught.value.errors)


def where(found: list[DataError]) -> list[tuple[int | None, str | None]]:
    return [(e.line, e.field) for e in found]


# -- replies ---------------------------------------------------------------------------------


def test_a_reply_of_every_kind(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,kind,channel,reference,until,invoice_id,note\n"
        "2026-03-02,D1,reply,payment_sent,phone,CRO 0306 1234 5678,,,says he paid on Friday\n"
        "2026-03-03,D1,reply,promise,email,,2026-03-31,,will pay at month end\n"
        "2026-03-04,D1,reply,promise,,,,,\n"
        "2026-03-05,D1,reply,dispute,pec,,,F1,wrong colours\n"
        "2026-03-06,D2,reply,dispute,,,,,contests something\n"
        "2026-03-07,D2,reply,documents_requested,email,,,F2,asks for the DDT\n"
        "2026-03-08,D2,reply,wrong_address,postal,,,,moved to Modena\n"
        "2026-03-09,D2,reply,,,,,,left a message\n"
        "2026-03-10,D2,reply,other,sms,,,,\n"
    )
    assert read(tmp_path, events) == (
        DebtorReplied(
            date(2026, 3, 2),
            "D1",
            note="says he paid on Friday",
            channel="phone",
            kind="payment_sent",
            reference="CRO 0306 1234 5678",
        ),
        DebtorReplied(
            date(2026, 3, 3),
            "D1",
            note="will pay at month end",
            channel="email",
            kind="promise",
            until=date(2026, 3, 31),
        ),
        DebtorReplied(date(2026, 3, 4), "D1", kind="promise"),
        DebtorReplied(
            date(2026, 3, 5),
            "D1",
            note="wrong colours",
            channel="pec",
            kind="dispute",
            invoice_id="F1",
        ),
        DebtorReplied(date(2026, 3, 6), "D2", note="contests something", kind="dispute"),
        DebtorReplied(
            date(2026, 3, 7),
            "D2",
            note="asks for the DDT",
            channel="email",
            kind="documents_requested",
            invoice_id="F2",
        ),
        DebtorReplied(
            date(2026, 3, 8), "D2", note="moved to Modena", channel="postal", kind="wrong_address"
        ),
        DebtorReplied(date(2026, 3, 9), "D2", note="left a message"),
        DebtorReplied(date(2026, 3, 10), "D2", channel="sms"),
    )


def test_the_old_reply_row_still_reads(tmp_path: Path) -> None:
    events = "date,debtor_id,event,invoice_id,until,amount,currency,note\n"
    events += "2026-03-07,D2,reply,,,,,asked for a copy\n"
    assert read(tmp_path, events) == (DebtorReplied(date(2026, 3, 7), "D2", "asked for a copy"),)


def test_an_unknown_reply_kind_lists_the_valid_ones(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,kind\n2026-03-02,D1,reply,payment sent\n2026-03-02,D1,reply,angry\n"
    )
    found = problems(tmp_path, events)
    assert where(found) == [(2, "kind"), (3, "kind")]
    assert "did you mean 'payment_sent'?" in found[0].message
    for error in found:
        assert all(kind in error.message for kind in REPLY_KINDS)
    assert "'angry' is not a kind of reply; use one of payment_sent, promise" in found[1].message


def test_reply_cells_are_checked(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,kind,channel,until,invoice_id,amount,due_date,sha256\n"
        "2026-03-02,D1,reply,payment_sent,,2026-03-09,,,,\n"  # until only with a promise
        "2026-03-02,D1,reply,promise,,2026-03-01,,,,\n"  # promised before the reply
        "2026-03-02,D1,reply,other,fax,,,,,\n"  # no such channel
        "2026-03-02,D1,reply,dispute,,,F2,,,\n"  # another debtor's invoice
        "2026-03-02,D1,reply,dispute,,,F9,,,\n"  # no such invoice
        "2026-03-02,D1,reply,promise,,,,500.00,,\n"  # an amount: use a promise row
        "2026-03-02,D1,reply,other,,31/03/2026,,,2026-03-31,\n"
    )
    found = problems(tmp_path, events)
    assert where(found) == [
        (2, "until"),
        (3, "until"),
        (4, "channel"),
        (5, "invoice_id"),
        (6, "invoice_id"),
        (7, "amount"),
        (8, "due_date"),
        (8, "until"),
    ]
    assert "only by a reply of kind 'promise'" in found[0].message
    assert "before the reply" in found[1].message
    assert "'fax' is not a channel; use one of email, pec, sms, postal, phone" in found[2].message
    assert "belongs to debtor 'D2'" in found[3].message
    assert "unknown invoice 'F9'" in found[4].message
    assert "is not used by a 'reply' event" in found[5].message
    assert "write 2026-03-31" in found[7].message


# -- payment plans ---------------------------------------------------------------------------


def test_a_plan_is_one_row_per_instalment(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,due_date,amount,currency,note\n"
        "2026-05-15,D1,plan,2026-05-29,400.00,EUR,rateizzazione concordata al telefono\n"
        "2026-05-16,D2,reply,,,,\n"
        "2026-05-15,D1,plan,2026-07-31,400.00,,\n"  # any order; the currency defaults to EUR
        "2026-05-15,D1,plan,2026-06-30,400.00,EUR,rateizzazione concordata al telefono\n"
        "2026-05-20,D3,plan,2026-06-01,250.00,CHF,\n"
        "2026-05-20,D3,plan,2026-07-01,250.00,CHF,\n"
    )
    eur = Money("400.00", "EUR")
    chf = Money("250.00", "CHF")
    assert read(tmp_path, events) == (
        PlanAgreed(
            date(2026, 5, 15),
            "D1",
            [(date(2026, 5, 29), eur), (date(2026, 6, 30), eur), (date(2026, 7, 31), eur)],
            note="rateizzazione concordata al telefono",
        ),
        DebtorReplied(date(2026, 5, 16), "D2"),
        PlanAgreed(date(2026, 5, 20), "D3", [(date(2026, 6, 1), chf), (date(2026, 7, 1), chf)]),
    )


def test_a_new_plan_is_a_new_date(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,due_date,amount,note\n"
        "2026-05-15,D1,plan,2026-06-30,1200.00,all at once\n"
        "2026-06-25,D1,plan,2026-07-31,600.00,two halves\n"
        "2026-06-25,D1,plan,2026-08-31,600.00,instead\n"
    )
    first, second = read(tmp_path, events)
    assert isinstance(first, PlanAgreed)
    assert isinstance(second, PlanAgreed)
    assert [d for d, _ in first.instalments] == [date(2026, 6, 30)]
    assert [d for d, _ in second.instalments] == [date(2026, 7, 31), date(2026, 8, 31)]
    assert second.note == "two halves; instead"


def test_a_plan_saved_by_italian_excel(tmp_path: Path) -> None:
    events = (
        "date;debtor_id;event;due_date;amount;currency;note\n"
        '2026-05-15;D1;plan;2026-05-29;"1.000,00";EUR;"prima rata; bonifico"\n'
        "2026-05-15;D1;plan;2026-06-30;200,50;EUR;\n"
    )
    (plan,) = read(tmp_path, events)
    assert isinstance(plan, PlanAgreed)
    assert [m for _, m in plan.instalments] == [Money("1000.00", "EUR"), Money("200.50", "EUR")]
    assert plan.note == "prima rata; bonifico"


def test_plan_rows_are_checked(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,due_date,amount,currency,invoice_id,until\n"
        "2026-05-15,D1,plan,,400.00,,,\n"  # no due date
        "2026-05-15,D1,plan,2026-06-30,,,,\n"  # no amount
        "2026-05-15,D1,plan,2026-05-01,400.00,,,\n"  # before the agreement
        "2026-05-15,D1,plan,2026-07-31,400.00,,,\n"
        "2026-05-15,D1,plan,2026-07-31,100.00,,,\n"  # the same due date twice
        "2026-05-15,D1,plan,2026-08-31,-5.00,,,\n"  # not positive
        "2026-05-15,D1,plan,2026-09-30,400.00,USD,,\n"  # rows disagree
        "2026-05-15,D1,plan,2026-10-31,400.00,,F1,2026-10-31\n"  # cells a plan does not use
        "2026-05-20,D3,plan,2026-06-30,400.00,,,\n"  # D3 is invoiced in CHF
        "2026-05-20,D2,plan,30/06/2026,40.25,,,\n"
    )
    found = problems(tmp_path, events)
    assert where(found) == [
        (2, "due_date"),
        (3, "amount"),
        (4, "due_date"),
        (6, "due_date"),
        (7, "amount"),
        (8, "currency"),
        (9, "invoice_id"),
        (9, "until"),
        (10, "currency"),
        (11, "due_date"),
    ]
    assert "before the plan was agreed (2026-05-15)" in found[2].message
    assert "line 5 of the same plan is due on 2026-07-31 too" in found[3].message
    assert "must be positive" in found[4].message
    assert "USD here, EUR on line 2" in found[5].message
    assert "is not used by a 'plan' event" in found[6].message
    assert "invoiced only in CHF" in found[8].message
    assert "write 2026-06-30" in found[9].message


def test_a_bad_row_leaves_its_whole_plan_out_when_skipping(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,due_date,amount,note\n"
        "2026-05-15,D1,plan,2026-05-29,400.00,\n"
        "2026-05-15,D1,plan,2026-06-30,4OO.00,\n"
        "2026-05-16,D2,reply,,,kept\n"
    )
    result = read_folder(write(tmp_path, events), on_error="skip")
    assert result.portfolio.events == (DebtorReplied(date(2026, 5, 16), "D2", "kept"),)
    assert [(e.line, e.field) for e in result.rejected] == [(2, None), (3, "amount")]
    assert "left out with the payment plan of line 3" in result.rejected[0].message


def test_a_plan_of_a_rejected_debtor_is_left_out(tmp_path: Path) -> None:
    events = "date,debtor_id,event,due_date,amount\n2026-05-15,D4,plan,2026-05-29,400.00\n"
    found = problems(tmp_path, events)
    assert where(found) == [(2, "debtor_id")]
    assert "unknown debtor 'D4'" in found[0].message


# -- documents, hand-over, address -----------------------------------------------------------


def test_documents_hand_over_and_address_events(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,invoice_id,kind,reference,sha256,channel,note\n"
        f"2026-04-01,D1,document,F1,ddt,DDT-2026-0012,{SHA.upper()},,\n"
        "2026-04-01,D1,document,F1,order,ODA-77,,,\n"
        "2026-04-02,D1,documents_sent,,,,,,copia fattura e DDT via PEC\n"
        "2026-04-03,D1,documents_sent,,,,,,\n"
        "2026-04-04,D1,hand_over_approved,,,,,,ok del titolare nonostante l'acconto\n"
        "2026-04-05,D2,address_updated,,,,,postal,\n"
        "2026-04-06,D2,address_updated,,,,,pec,\n"
    )
    assert read(tmp_path, events) == (
        DocumentAdded(date(2026, 4, 1), "D1", "F1", Document("ddt", "DDT-2026-0012", SHA)),
        DocumentAdded(date(2026, 4, 1), "D1", "F1", Document("order", "ODA-77")),
        DocumentsSent(date(2026, 4, 2), "D1", note="copia fattura e DDT via PEC"),
        DocumentsSent(date(2026, 4, 3), "D1"),
        HandOverApproved(date(2026, 4, 4), "D1", note="ok del titolare nonostante l'acconto"),
        AddressUpdated(date(2026, 4, 5), "D2", "postal"),
        AddressUpdated(date(2026, 4, 6), "D2", "pec"),
    )


def test_document_cells_are_checked(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,invoice_id,kind,reference,sha256,note\n"
        "2026-04-01,D1,document,,ddt,DDT-12,,\n"  # no invoice
        "2026-04-01,D1,document,F1,,,,\n"  # no kind, no reference
        "2026-04-01,D1,document,F1,ddt,DDT-12,abc123,\n"  # not a SHA-256
        "2026-04-01,D1,document,F2,ddt,DDT-12,,\n"  # another debtor's invoice
        "2026-04-01,D1,document,F1,ddt,DDT-12,,a note\n"  # a document has no note
    )
    found = problems(tmp_path, events)
    assert where(found) == [
        (2, "invoice_id"),
        (3, "kind"),
        (3, "reference"),
        (4, "sha256"),
        (5, "invoice_id"),
        (6, "note"),
    ]
    assert "is not a SHA-256 hash" in found[3].message


def test_hand_over_documents_and_address_cells_are_checked(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,invoice_id,channel,until,kind,note\n"
        "2026-04-02,D1,documents_sent,F1,,,,\n"
        "2026-04-04,D1,hand_over_approved,,,2026-05-01,,\n"
        "2026-04-05,D2,address_updated,,,,,\n"  # which channel?
        "2026-04-05,D2,address_updated,,agency,,,\n"  # not the debtor's address
        "2026-04-05,D2,address_updated,,e-mail,,,\n"
        "2026-04-05,D2,address_updated,,pec,,,new PEC from the registry\n"
        "2026-04-05,D2,hand_over_approved,,,,promise,\n"
    )
    found = problems(tmp_path, events)
    assert where(found) == [
        (2, "invoice_id"),
        (3, "until"),
        (4, "channel"),
        (5, "channel"),
        (6, "channel"),
        (7, "note"),
        (8, "kind"),
    ]
    assert (
        "'agency' is not a channel; use one of email, pec, sms, postal, phone" in found[3].message
    )
    assert "did you mean 'email'?" in found[4].message


def test_an_unknown_event_lists_the_valid_ones(tmp_path: Path) -> None:
    events = "date,debtor_id,event\n2026-04-02,D1,handover_approved\n2026-04-02,D1,party\n"
    found = problems(tmp_path, events)
    assert where(found) == [(2, "event"), (3, "event")]
    assert "did you mean 'hand_over_approved'?" in found[0].message
    for name in ("reply", "plan", "document", "documents_sent", "address_updated"):
        assert name in found[1].message


def test_an_unknown_column_names_the_new_ones(tmp_path: Path) -> None:
    found = problems(tmp_path, "date,debtor_id,event,instalments\n")
    assert where(found) == [(1, "instalments")]
    assert "kind,invoice_id,until,due_date,amount,currency,channel,reference" in found[0].message


def test_the_case_folds_what_events_csv_says(tmp_path: Path) -> None:
    events = (
        "date,debtor_id,event,kind,channel,reference,due_date,amount,note\n"
        "2026-03-02,D1,reply,payment_sent,phone,CRO 123,,,\n"
        "2026-03-03,D1,reply,documents_requested,email,,,,\n"
        "2026-03-04,D1,reply,wrong_address,postal,,,,\n"
        "2026-03-05,D1,hand_over_approved,,,,,,\n"
        "2026-03-06,D1,plan,,,,2026-03-31,600.00,\n"
        "2026-03-06,D1,plan,,,,2026-04-30,600.00,\n"
        "2026-03-07,D2,reply,documents_requested,,,,,\n"
        "2026-03-08,D2,documents_sent,,,,,,\n"
        "2026-03-08,D2,reply,wrong_address,pec,,,,\n"
        "2026-03-09,D2,address_updated,,pec,,,,\n"
    )
    portfolio = read_folder(write(tmp_path, events)).portfolio
    d1 = portfolio.case("D1", date(2026, 3, 10))
    assert d1.payment_claims == ((date(2026, 3, 2), "CRO 123"),)
    assert d1.documents_requested == date(2026, 3, 3)
    assert d1.wrong_channels == {"postal"}
    assert d1.hand_over_approved == date(2026, 3, 5)
    assert d1.plan is not None
    assert d1.plan.instalments[-1] == (date(2026, 4, 30), Money("600.00", "EUR"))
    d2 = portfolio.case("D2", date(2026, 3, 10))
    assert d2.documents_requested is None
    assert d2.wrong_channels == frozenset()


def test_the_example_in_the_docs_reads(tmp_path: Path) -> None:
    docs = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```csv\n(.*?)```", docs, flags=re.DOTALL)
    assert len(blocks) == 2
    for number, block in enumerate(blocks):
        target = tmp_path / str(number)
        shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".dunning"))
        (target / "events.csv").write_text(block, encoding="utf-8")
        events = read_folder(target).portfolio.events
        assert len(events) == len(block.splitlines()) - 1 - 2  # a plan's 3 rows are one event
    names = {type(e).__name__ for e in read_folder(tmp_path / "0").portfolio.events}
    assert names >= {
        "PromiseToPay",
        "DisputeOpened",
        "DisputeResolved",
        "BlockSet",
        "BlockLifted",
        "DebtorReplied",
        "PlanAgreed",
        "DocumentAdded",
        "DocumentsSent",
        "HandOverApproved",
        "AddressUpdated",
        "WrittenOff",
    }
