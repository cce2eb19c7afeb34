"""Test helpers for dunning and for anyone who writes a policy: hypothesis strategies, one
checker per invariant of ``DESIGN.md``, the stateful `CaseMachine`, and builders of PEC
receipts (`pec_receipt`, `pec_envelope`) and bounces (`bounce`) for code that reads them.

Needs the ``testing`` extra (``pip install 'dunning[testing]'``). Run the checks on your own
policy in one line:

>>> from dunning.testing import run_case_machine
>>> run_case_machine(my_policy)  # doctest: +SKIP

or, in a unittest/pytest module, ``TestMyPolicy = case_machine_test(my_policy)``.
"""

from __future__ import annotations

try:
    import hypothesis as _hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised by a test that hides hypothesis
    raise ImportError("dunning.testing needs hypothesis: pip install 'dunning[testing]'") from exc

from .channels import (
    ChannelContract,
    MemoryChannel,
    check_channel,
    check_close,
    check_idempotent,
    check_no_secret,
    check_permanent_failure,
    check_send,
    check_temporary_failure,
    sample_message,
)
from .invariants import (
    check_business_days,
    check_contact_caps,
    check_determinism,
    check_disputes_blocks_opt_outs,
    check_due_dates,
    check_episode_limits,
    check_formal_notice,
    check_hand_over,
    check_levels_never_drop,
    check_money_conserved,
    check_no_burst,
    check_no_dead_end,
    check_nothing_due,
    check_one_level_per_run,
    check_only_due_claimed,
    check_plan_kept,
    check_run,
    check_severity_never_drops,
    check_simulation,
    level_sequences,
    not_applicable,
    reminders_of,
)
from .receipts import bounce, pec_envelope, pec_receipt
from .stateful import CaseMachine, case_machine_test, run_case_machine
from .strategies import (
    CREDITOR,
    HISTORY_KINDS,
    credit_notes,
    debtors,
    histories,
    invoices,
    money,
    payments,
    portfolios,
)

__all__ = [
    "CREDITOR",
    "HISTORY_KINDS",
    "CaseMachine",
    "ChannelContract",
    "MemoryChannel",
    "bounce",
    "case_machine_test",
    "check_business_days",
    "check_channel",
    "check_close",
    "check_contact_caps",
    "check_determinism",
    "check_disputes_blocks_opt_outs",
    "check_due_dates",
    "check_episode_limits",
    "check_formal_notice",
    "check_hand_over",
    "check_idempotent",
    "check_levels_never_drop",
    "check_money_conserved",
    "check_no_burst",
    "check_no_dead_end",
    "check_no_secret",
    "check_nothing_due",
    "check_one_level_per_run",
    "check_only_due_claimed",
    "check_permanent_failure",
    "check_plan_kept",
    "check_run",
    "check_send",
    "check_severity_never_drops",
    "check_simulation",
    "check_temporary_failure",
    "credit_notes",
    "debtors",
    "histories",
    "invoices",
    "level_sequences",
    "money",
    "not_applicable",
    "payments",
    "pec_envelope",
    "pec_receipt",
    "portfolios",
    "reminders_of",
    "run_case_machine",
    "sample_message",
]
