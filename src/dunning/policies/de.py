"""Germany: außergerichtliches Mahnwesen (out-of-court dunning) under the BGB.

The law (Bürgerliches Gesetzbuch):

- **Verzug** (§ 286 BGB): the debtor is in default after a Mahnung following the due date
  (Abs. 1), or without one when a calendar date was agreed (Abs. 2 Nr. 1), and at the latest
  30 days after the due date and receipt of the invoice (Abs. 3) — for a **consumer** only if
  the invoice pointed that out. One Mahnung is enough in law; the staircase of several is
  common practice, not law.
- **Verzugszinsen** (§ 288 BGB): the Basiszinssatz (§ 247 BGB) + 9 points between businesses
  (Abs. 2; + 8 for contracts concluded before 29/07/2014), + 5 points with consumers (Abs. 1):
  the business policies use `dunning.interest.GermanyBGB288` (``"de-288"``), the consumer
  policy ``GermanyBGB288(consumer=True)``, whose interest runs from *Verzug* only (the
  receipt of the first Mahnung, or 30 days after the due date when the invoice said so:
  ``invoices_warn_of_default=True``).
- **Anrechnung** (§ 367 Abs. 1 BGB): a payment that does not cover everything pays the costs
  first, then the interest, then the principal (``allocation=legal_order()``).
- **Pauschale** (§ 288 Abs. 5 BGB): EUR 40 per late invoice when the debtor is not a
  consumer (``fixed_compensation=True`` for businesses and public bodies, never consumers).
- Public contracting authorities (§ 271a Abs. 2 BGB) may agree payment terms of at most 30
  days (60 expressly agreed); after that the same interest and Pauschale apply, so they follow
  the business policy.

The sequence (common practice of German credit management):

1. **Zahlungserinnerung** — a friendly payment reminder once the payment-in-transit grace is
   over; for consumers whose invoice did not mention § 286 Abs. 3 it is also the Mahnung that
   puts them in Verzug.
2. **1. Mahnung** (and up to ``mahnungen`` numbered Mahnungen) ``cadence_days`` apart.
3. **Letzte Mahnung** — the formal final demand, sent by Einschreiben mit Rückschein
   (``postal("einschreiben_rueckschein")``) so that its receipt can be proven.
4. **Inkasso** — hand-over to a registered collection agency (Rechtsdienstleistungsgesetz
   § 10) or to the gerichtliches Mahnverfahren (§§ 688 ff. ZPO) for balances of at least
   ``handover_min``; its costs are recoverable Verzugsschaden (§ 280 Abs. 2, § 286 BGB).

Business days follow ``Calendar("DE")`` (pass ``Calendar("DE", subdiv="BY")`` for regional
holidays). Limitation (regelmäßige Verjährung, 3 years from the end of the year, §§ 195, 199
BGB) is not the Italian table: pass ``limitation`` with the German periods to be warned. Note
that under § 212 BGB a Mahnung does not interrupt limitation; only an acknowledgement or
enforcement does, and a Mahnbescheid suspends it (§ 204 Abs. 1 Nr. 3 BGB).

Sources: BGB §§ 247, 271a, 286, 288, 367; ZPO §§ 688 ff. See ``../shared/LEGAL.md``.
"""

from __future__ import annotations

from ..allocation import legal_order
from ..calendars import Calendar
from ..delays import after_due, after_previous
from ..guards import debtor_kind
from ..interest import GermanyBGB288
from ..limitation import LimitationRules
from ..money import Money
from ..policy import (
    Policy,
    PolicyLike,
)
from ..rates import RateSet, RatesLike
from ..steps import Ladder, Step, email, postal
from ._common import amount, check_ranges, formal_notice_then_hand_over, usual_rules

__all__ = ["mahnwesen"]


def mahnwesen(
    *,
    mahnungen: int = 1,
    cadence_days: int = 14,
    grace_days: int = 5,
    consumer_grace_days: int = 7,
    deadline_days: int = 10,
    final_deadline_days: int = 10,
    good_payer_extra_days: int = 7,
    min_balance: Money | str = "10.00",
    handover_min: Money | str = "100.00",
    calendar: Calendar | None = None,
    limitation: LimitationRules | None = None,
    limitation_horizon_days: int = 180,
    interest_rates: RatesLike = None,
    invoices_warn_of_default: bool = False,
) -> PolicyLike:
    """The German dunning sequence (see the module docstring).

    ``mahnungen`` (1–3) numbered Mahnungen come between the Zahlungserinnerung and the letzte
    Mahnung; amounts may be given as `Money` or as a decimal string in euro.
    ``invoices_warn_of_default``: your invoices to consumers state that they are in default
    30 days after the due date (§ 286 Abs. 3 BGB), so consumer interest runs from then at the
    latest, Mahnung or not.
    ``interest_rates``: reference rates to use on top of the published tables, by regime key
    or series and period (``{"it-231": {"2026-H2": "2.15"}}``; see `dunning.rates`).
    """
    ranges = {
        "mahnungen": (mahnungen, 1, 3),
        "cadence_days": (cadence_days, 7, 30),
        "grace_days": (grace_days, 0, 30),
        "consumer_grace_days": (consumer_grace_days, 0, 30),
        "deadline_days": (deadline_days, 1, 60),
        "final_deadline_days": (final_deadline_days, 1, 60),
        "good_payer_extra_days": (good_payer_extra_days, 0, 30),
        "limitation_horizon_days": (limitation_horizon_days, 0, 3650),
    }
    check_ranges("mahnwesen", ranges)
    cal = calendar or Calendar("DE")
    floor = amount(min_balance, "EUR")
    handover = amount(handover_min, "EUR")

    steps = [
        Step(
            "zahlungserinnerung",
            "reminder",
            via=email | postal(),
            delay=after_due(0),
            template="de/zahlungserinnerung",
            deadline_days=deadline_days,
        )
    ]
    steps += [
        Step(
            f"mahnung_{n}",
            "reminder",
            via=email | postal(),
            delay=after_previous(cadence_days).adjusted(cal),
            template=f"de/mahnung_{n}",
            deadline_days=deadline_days,
        )
        for n in range(1, mahnungen + 1)
    ]
    steps += [
        *formal_notice_then_hand_over(
            formal="letzte_mahnung",
            hand_over="inkasso",
            templates="de",
            via=postal("einschreiben_rueckschein"),
            delay=after_previous(cadence_days).adjusted(cal),
            deadline_days=final_deadline_days,
            handover_min=handover,
            calendar=cal,
        ),
    ]
    ladder = Ladder(tuple(steps))

    rates = RateSet.of(interest_rates)

    def variant(name: str, kinds: tuple[str, ...], grace: int) -> Policy:
        consumer = kinds == ("consumer",)
        rules = usual_rules(
            grace_days=grace,
            cadence_days=cadence_days,
            max_reminders=mahnungen + 1,
            good_payer_extra_days=good_payer_extra_days,
            limitation_horizon_days=limitation_horizon_days,
        )
        return Policy(
            ladder,
            rules,
            name=f"de.{name}",
            min_balance=floor,
            calendar=cal,
            limitation=limitation,
            limitation_horizon_days=limitation_horizon_days,
            # § 288 Abs. 2 (+ 9) for businesses, Abs. 1 (+ 5, from Verzug) for consumers
            interest=GermanyBGB288(
                consumer=consumer, invoices_warn_of_default=consumer and invoices_warn_of_default
            ),
            interest_rates=rates,
            fixed_compensation=not consumer,  # § 288 Abs. 5: not against consumers
            allocation=legal_order(),  # § 367 Abs. 1 BGB: costs, then interest, then principal
        ).when(debtor_kind(*kinds))

    return variant("business", ("business", "public_admin"), grace_days) | variant(
        "consumer", ("consumer",), consumer_grace_days
    )
