"""Italy: extrajudicial ("stragiudiziale") credit collection.

The preset encodes the usual practice of Italian credit managers and collection firms for
trade receivables:

1. **Preavviso di scadenza** — a courtesy notice about 5 days before the due date (rolled back
   onto a business day), by e-mail (or PEC, or SMS).
2. **Primo sollecito** — a friendly reminder once the payment-in-transit grace is over (5
   business days after the due date), with a new 10-day deadline.
3. **Further solleciti** — every 15–20 days (``cadence_days``, rolled onto a business day),
   each firmer and stating the honest consequence of not paying; at least 2 and at most 4
   reminders in all (``reminders``).
4. **Telefonata** — for business debtors, a phone call task once the last reminder's deadline
   has passed.
5. **Diffida e messa in mora** — the formal notice (art. 1219 c.c.), only over a channel that
   proves delivery: PEC if the debtor has one (DPR 68/2005 gives it the value of a
   raccomandata A/R), otherwise raccomandata A/R. A written demand that reaches the debtor
   also interrupts limitation (art. 2943 co. 4 c.c.), which is why proof matters.
6. **Affido** — hand-over to a collection agency (licensed under art. 115 TULPS) after the
   formal notice's deadline, for balances worth it (``handover_min``).

Variants:

- **Consumers** get no phone-call step, a longer grace (7 business days), reminders by e-mail,
  SMS or post, and the formal notice by raccomandata A/R unless they gave a PEC address
  (consumers rarely have one). Statutory interest for them is the legal rate of art. 1284 c.c.
  (``interest="it-legal"``), not D.Lgs. 231/2002, and never the EUR 40.
- **Public administrations** are written to only by PEC (every office has one, listed in
  IndicePA), with a longer grace (10 business days: payments go through SIOPE+), no SMS and
  no call; after the formal notice the file goes to a lawyer (an injunction, "decreto
  ingiuntivo"), not to a collection agency.

Limitation (prescrizione, art. 2946 ff. c.c.) is tracked with ``limitation`` (the Italian
periods; by default every item is ``ordinary``, 10 years from its due date): the proposal
warns about items within ``limitation_horizon_days`` of their limitation date, and their next
step comes at once, so that the formal notice — whose proven delivery interrupts limitation —
goes out in time. Pass ``LimitationRules`` naming professional fees, retail sales to consumers
and utility bills, whose shorter periods run from the invoice's ``performed_on`` (art. 2957
c.c.; see `dunning.limitation`).

The debtor escalates as a whole: its arrears climb one ladder per episode (see
`dunning.case.Episode`); the call is passed over for a business without a phone; the formal
notice claims what the debtor was reminded of, and only the hand-over follows it, once its
deadline has passed and its delivery is proven.

Cross-cutting rules for all three: payment plans (rateizzazione) kept mean no dunning, and a
missed instalment brings ``sollecito_rata`` (art. 1186 c.c.: the rest falls due); act on
Italian business days only; nothing is claimed during the payment-in-transit grace (nor while
the debtor's "I have paid" is in transit); 7 extra days before the first reminder of an
episode for good payers; a dispute pauses only the disputed invoice (an alert after 30 days,
a fresh deadline once resolved); a promise to pay pauses until its date (plus 2 days) and a
broken promise brings the next step forward; at least ``cadence_days`` between two written
dunning contacts and at most ``reminders`` reminders per episode; at most 2 SMS in 30 days;
an alert when an invoice lacks its order or contract and delivery note before the formal
notice (a wait with ``require_documents=True``).

Sources: c.c. art. 1219, 2943, 2945; D.Lgs. 231/2002 (as amended by D.Lgs. 192/2012);
DPR 68/2005 (PEC); R.D. 773/1931 art. 115 (TULPS). See ``../shared/LEGAL.md``.
"""

from __future__ import annotations

from ..allocation import legal_order
from ..calendars import Calendar
from ..delays import after_previous, before_due
from ..errors import PolicyError
from ..guards import balance_at_least, debtor_kind
from ..limitation import LimitationRules
from ..model import DebtorKind
from ..money import Money
from ..policy import (
    Policy,
    PolicyLike,
)
from ..rates import RateSet, RatesLike
from ..steps import Ladder, Routes, Step, agency, email, pec, phone, postal, sms
from ._common import amount, check_ranges, reminder_ladder, usual_rules

__all__ = ["stragiudiziale"]

_ORDINALS = ("primo", "secondo", "terzo", "quarto")


def stragiudiziale(
    *,
    reminders: int = 3,
    cadence_days: int = 15,
    notice_days_before: int = 5,
    grace_days: int = 5,
    consumer_grace_days: int = 7,
    public_admin_grace_days: int = 10,
    deadline_days: int = 10,
    formal_notice_deadline_days: int = 15,
    good_payer_extra_days: int = 7,
    min_balance: Money | str = "10.00",
    handover_min: Money | str = "250.00",
    calendar: Calendar | None = None,
    limitation: LimitationRules | None = None,
    limitation_horizon_days: int = 180,
    plan_breach_deadline_days: int = 7,
    require_documents: bool = False,
    restart_within_days: int | None = None,
    interest_rates: RatesLike = None,
) -> PolicyLike:
    """The Italian extrajudicial collection sequence (see the module docstring).

    ``reminders`` must be 2–4 and ``cadence_days`` 15–20, the range of Italian practice;
    amounts may be given as `Money` or as a decimal string in euro.
    ``interest_rates``: reference rates to use on top of the published tables, by regime key
    or series and period (``{"it-231": {"2026-H2": "2.15"}}``; see `dunning.rates`).
    """
    if not 2 <= reminders <= 4:
        raise PolicyError(f"stragiudiziale: reminders must be between 2 and 4, not {reminders}")
    if not 15 <= cadence_days <= 20:
        raise PolicyError(
            f"stragiudiziale: cadence_days must be between 15 and 20, not {cadence_days}"
        )
    ranges = {
        "notice_days_before": (notice_days_before, 1, 15),
        "grace_days": (grace_days, 0, 30),
        "consumer_grace_days": (consumer_grace_days, 0, 30),
        "public_admin_grace_days": (public_admin_grace_days, 0, 30),
        "deadline_days": (deadline_days, 1, 60),
        "formal_notice_deadline_days": (formal_notice_deadline_days, 1, 60),
        "good_payer_extra_days": (good_payer_extra_days, 0, 30),
        "limitation_horizon_days": (limitation_horizon_days, 0, 3650),
        "plan_breach_deadline_days": (plan_breach_deadline_days, 1, 30),
    }
    if restart_within_days is not None:
        ranges["restart_within_days"] = (restart_within_days, 1, 365)
    check_ranges("stragiudiziale", ranges)
    cal = calendar or Calendar("IT")
    floor = amount(min_balance, "EUR")
    handover = amount(handover_min, "EUR")

    rates = RateSet.of(interest_rates)

    def variant(kind: DebtorKind, ladder: Ladder, grace: int) -> Policy:
        # A missed instalment: a reminder naming it, with a short deadline; then the whole
        # balance is due (art. 1186 c.c.) and the escalation resumes where it stood.
        breach = Step(
            "sollecito_rata",
            "reminder",
            via=ladder[2].via,
            template="it/sollecito_rata",
            deadline_days=plan_breach_deadline_days,
        )
        rules = usual_rules(
            grace_days=grace,
            cadence_days=cadence_days,
            max_reminders=reminders,
            good_payer_extra_days=good_payer_extra_days,
            limitation_horizon_days=limitation_horizon_days,
            per_channel=(("sms", 2, 30),),
            breach=breach,
            require_documents=require_documents,
        )
        return Policy(
            ladder,
            rules,
            name=f"italy.{kind}",
            min_balance=floor,
            calendar=cal,
            limitation=limitation or LimitationRules(),
            limitation_horizon_days=limitation_horizon_days,
            # D.Lgs. 231/2002 between businesses and with the PA; art. 1284 c.c. for consumers
            interest="it-legal" if kind == "consumer" else "it-231",
            interest_rates=rates,
            fixed_compensation=kind != "consumer",
            allocation=legal_order(),  # art. 1193-1194 c.c.
            restart_within_days=restart_within_days,
        ).when(debtor_kind(kind))

    notice = Step(
        "preavviso",
        "notice",
        via=email | pec | sms,
        delay=before_due(notice_days_before).adjusted(cal, roll="back"),
        template="it/preavviso",
    )
    formal = Step(
        "diffida",
        "formal_notice",
        via=pec | postal("raccomandata_ar"),
        template="it/diffida_messa_in_mora",
        deadline_days=formal_notice_deadline_days,
    )
    handover_step = Step(
        "affido",
        "hand_over",
        via=agency,
        delay=after_previous(formal_notice_deadline_days + 5).adjusted(cal),
        guard=balance_at_least(handover),
        template="it/affido",
    )

    def solleciti(via: Routes) -> Ladder:
        return reminder_ladder(
            reminders,
            name="sollecito",
            template="it/sollecito",
            via=via,
            cadence_days=cadence_days,
            deadline_days=deadline_days,
            calendar=cal,
            ordinals=_ORDINALS,
        )

    business = variant(
        "business",
        Ladder((notice,))
        >> solleciti(email | pec | postal())
        >> Step(
            "telefonata",
            "call",
            via=phone,
            # the business day after the reminder's deadline (itself rolled to a business day)
            delay=after_previous(deadline_days).adjusted(cal).plus_business_days(1, cal),
            template="it/telefonata",
            optional=True,  # a debtor without a phone goes on to the formal notice
        )
        >> formal.at(after_previous(7).adjusted(cal))
        >> handover_step,
        grace_days,
    )
    consumer = variant(
        "consumer",
        Ladder((notice.via_(email | sms),))
        >> solleciti(email | sms | postal())
        >> formal.at(after_previous(cadence_days).adjusted(cal))
        >> handover_step,
        consumer_grace_days,
    )
    public_admin = variant(
        "public_admin",
        Ladder((notice.via_(pec | email),))
        >> solleciti(pec | postal())
        >> formal.at(after_previous(cadence_days).adjusted(cal))
        >> Step(
            "affido_legale",
            "hand_over",
            via=agency,
            delay=after_previous(formal_notice_deadline_days + 5).adjusted(cal),
            guard=balance_at_least(handover),
            template="it/affido_legale",
        ),
        public_admin_grace_days,
    )

    return business | consumer | public_admin
