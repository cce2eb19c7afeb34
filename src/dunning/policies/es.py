"""Spain: reclamación extrajudicial (out-of-court claim) before the monitorio.

The law:

- **Commercial transactions** (Ley 3/2004, de 29 de diciembre, de medidas de lucha contra la
  morosidad en las operaciones comerciales, transposing Directive 2011/7/EU): between
  businesses and between businesses and the public administration (art. 3); payment within 30
  days, at most 60 by agreement (art. 4); interest due **without any reminder** from the day
  after the due date (art. 5) at the ECB rate + 8 points published each semester in the BOE
  (art. 7), ``interest="es-3-2004"``; and EUR 40 for recovery costs per invoice (art. 8),
  ``fixed_compensation=True``. The public administration pays late interest under the same
  Ley 3/2004 (Ley 9/2017 de Contratos del Sector Público, art. 198.4), so it follows the
  business policy.
- **Consumers**: Ley 3/2004 excludes them (art. 3.2); interest is the interés legal del dinero
  after a demand (art. 1100 and 1108 Código Civil), for which there is no regime key yet
  (``interest=None``); never the EUR 40.
- **Requerimiento de pago**: the creditor's extrajudicial claim interrupts limitation
  (art. 1973 Código Civil) and puts the debtor in mora (art. 1100 CC) — hence the **burofax
  con acuse de recibo y certificación de contenido** (``postal("burofax")``), which proves
  both receipt and content; its use is common practice, not a legal requirement. A prior
  requerimiento is also required before a consumer's debt is reported to a credit file
  (Ley Orgánica 3/2018, art. 20.1).

The sequence (common practice): ``recordatorios`` reminders ``cadence_days`` apart after a
payment-in-transit grace; the requerimiento by burofax with ``requerimiento_days`` to pay;
then hand-over to a collection agency (``agencia``) or to a lawyer for a proceso monitorio
(art. 812 ff. Ley de Enjuiciamiento Civil) for balances of at least ``handover_min``.

Business days follow ``Calendar("ES")`` (pass ``subdiv`` for a comunidad autónoma).
Limitation: 5 years for personal actions (art. 1964.2 CC, as amended by Ley 42/2015) — pass
``limitation`` with the Spanish periods to be warned before they run out.

Sources: Ley 3/2004 art. 3-8; Código Civil 1100, 1108, 1964, 1973; Ley 9/2017 art. 198;
LEC 812 ff. See ``../shared/LEGAL.md``.
"""

from __future__ import annotations

from ..calendars import Calendar
from ..delays import after_previous
from ..guards import debtor_kind
from ..limitation import LimitationRules
from ..money import Money
from ..policy import (
    Policy,
    PolicyLike,
)
from ..rates import RateSet, RatesLike
from ..steps import Ladder, email, postal
from ._common import (
    amount,
    check_ranges,
    formal_notice_then_hand_over,
    reminder_ladder,
    usual_rules,
)

__all__ = ["reclamacion_extrajudicial"]


def reclamacion_extrajudicial(
    *,
    recordatorios: int = 2,
    cadence_days: int = 15,
    grace_days: int = 5,
    consumer_grace_days: int = 7,
    deadline_days: int = 10,
    requerimiento_days: int = 10,
    good_payer_extra_days: int = 7,
    min_balance: Money | str = "10.00",
    handover_min: Money | str = "150.00",
    calendar: Calendar | None = None,
    limitation: LimitationRules | None = None,
    limitation_horizon_days: int = 180,
    interest_rates: RatesLike = None,
) -> PolicyLike:
    """The Spanish out-of-court claim (see the module docstring).

    ``recordatorios`` (1–4) reminders precede the requerimiento; amounts may be given as
    `Money` or as a decimal string in euro.
    ``interest_rates``: reference rates to use on top of the published tables, by regime key
    or series and period (``{"it-231": {"2026-H2": "2.15"}}``; see `dunning.rates`).
    """
    ranges = {
        "recordatorios": (recordatorios, 1, 4),
        "cadence_days": (cadence_days, 7, 30),
        "grace_days": (grace_days, 0, 30),
        "consumer_grace_days": (consumer_grace_days, 0, 30),
        "deadline_days": (deadline_days, 1, 60),
        "requerimiento_days": (requerimiento_days, 1, 60),
        "good_payer_extra_days": (good_payer_extra_days, 0, 30),
        "limitation_horizon_days": (limitation_horizon_days, 0, 3650),
    }
    check_ranges("reclamacion_extrajudicial", ranges)
    cal = calendar or Calendar("ES")
    floor = amount(min_balance, "EUR")
    handover = amount(handover_min, "EUR")

    steps = list(
        reminder_ladder(
            recordatorios,
            name="recordatorio",
            template="es/recordatorio",
            via=email | postal(),
            cadence_days=cadence_days,
            deadline_days=deadline_days,
            calendar=cal,
        )
    )
    steps += [
        *formal_notice_then_hand_over(
            formal="requerimiento",
            hand_over="agencia",
            templates="es",
            via=postal("burofax"),
            delay=after_previous(cadence_days).adjusted(cal),
            deadline_days=requerimiento_days,
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
            max_reminders=recordatorios,
            good_payer_extra_days=good_payer_extra_days,
            limitation_horizon_days=limitation_horizon_days,
        )
        return Policy(
            ladder,
            rules,
            name=f"es.{name}",
            min_balance=floor,
            calendar=cal,
            limitation=limitation,
            limitation_horizon_days=limitation_horizon_days,
            interest=None if consumer else "es-3-2004",  # Ley 3/2004 art. 3.2
            interest_rates=rates,
            fixed_compensation=not consumer,  # art. 8: EUR 40, commercial transactions only
        ).when(debtor_kind(*kinds))

    return variant("business", ("business", "public_admin"), grace_days) | variant(
        "consumer", ("consumer",), consumer_grace_days
    )
