"""France: recouvrement amiable (out-of-court collection) before the injonction de payer.

The law:

- **Between professionals** (art. L441-10 Code de commerce): payment terms of at most 60 days
  from the invoice date or 45 days end of month; late-payment penalties are due **without any
  reminder** from the day after the due date, at the ECB rate + 10 points (at least three
  times the taux d'intérêt légal), ``interest="fr-l441-10"``; and an **indemnité forfaitaire
  pour frais de recouvrement** of EUR 40 per invoice (art. L441-10 II and D441-5),
  ``fixed_compensation=True``.
- **Public purchasers** (Code de la commande publique, art. L2192-12 ff. and R2192-31 ff.,
  transposing Directive 2011/7/EU): intérêts moratoires at the ECB rate + 8 points and the
  same EUR 40 indemnité; the preset uses ``interest="eu-2011-7"`` with the directive's
  minimum margin of 8 (supply the ECB rate to `dunning.interest.EUDirective2011_7`).
- **Consumers**: L441-10 does not apply and no indemnité forfaitaire is owed. Interest at the
  taux légal (art. 1231-6 Code civil) runs only from the **mise en demeure**; there is no
  regime key for the taux légal yet, so ``interest=None`` for consumers.
- **Mise en demeure** (art. 1344 Code civil): a sommation or a letter that sufficiently calls
  on the debtor to pay; sent by lettre recommandée avec accusé de réception
  (``postal("lrar")``), whose receipt proves the date — it starts interest for consumers and is
  the step a judge expects before an injonction de payer (art. 1405 ff. CPC). Limitation is
  not interrupted by a mise en demeure in French law (art. 2240-2244 Code civil: an
  acknowledgement, a claim in court or an enforcement measure are needed).

The sequence (common practice): ``relances`` reminders (relances) ``cadence_days`` apart
after a payment-in-transit grace; the mise en demeure by LRAR with ``mise_en_demeure_days``
(8 by common practice) to pay; then **recouvrement** — hand-over to a collection agency or to
a lawyer / commissaire de justice for an injonction de payer, for balances of at least
``handover_min``. Public purchasers are written to by e-mail or post (Chorus Pro disputes go
through the comptable public) and handed to a lawyer (``contentieux``), not to an agency.

Business days follow ``Calendar("FR")``. Pass ``limitation`` with the French periods
(5 years, art. 2224 Code civil and L110-4 Code de commerce; 2 years for professionals selling
to consumers, art. L218-2 Code de la consommation) to be warned before they run out.

Sources: Code de commerce L441-10, D441-5; Code civil 1231-6, 1344; Code de la commande
publique L2192-12 ff., R2192-31 ff.; CPC 1405 ff. See ``../shared/LEGAL.md``.
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

__all__ = ["recouvrement_amiable"]


def recouvrement_amiable(
    *,
    relances: int = 2,
    cadence_days: int = 15,
    grace_days: int = 5,
    consumer_grace_days: int = 7,
    public_admin_grace_days: int = 10,
    deadline_days: int = 8,
    mise_en_demeure_days: int = 8,
    good_payer_extra_days: int = 7,
    min_balance: Money | str = "10.00",
    handover_min: Money | str = "150.00",
    calendar: Calendar | None = None,
    limitation: LimitationRules | None = None,
    limitation_horizon_days: int = 180,
    interest_rates: RatesLike = None,
) -> PolicyLike:
    """The French amicable collection sequence (see the module docstring).

    ``relances`` (1–4) reminders precede the mise en demeure; amounts may be given as `Money`
    or as a decimal string in euro.
    ``interest_rates``: reference rates to use on top of the published tables, by regime key
    or series and period (``{"it-231": {"2026-H2": "2.15"}}``; see `dunning.rates`).
    """
    ranges = {
        "relances": (relances, 1, 4),
        "cadence_days": (cadence_days, 7, 30),
        "grace_days": (grace_days, 0, 30),
        "consumer_grace_days": (consumer_grace_days, 0, 30),
        "public_admin_grace_days": (public_admin_grace_days, 0, 30),
        "deadline_days": (deadline_days, 1, 60),
        "mise_en_demeure_days": (mise_en_demeure_days, 1, 60),
        "good_payer_extra_days": (good_payer_extra_days, 0, 30),
        "limitation_horizon_days": (limitation_horizon_days, 0, 3650),
    }
    check_ranges("recouvrement_amiable", ranges)
    cal = calendar or Calendar("FR")
    floor = amount(min_balance, "EUR")
    handover = amount(handover_min, "EUR")

    def ladder(last: str) -> Ladder:
        steps = list(
            reminder_ladder(
                relances,
                name="relance",
                template="fr/relance",
                via=email | postal(),
                cadence_days=cadence_days,
                deadline_days=deadline_days,
                calendar=cal,
            )
        )
        steps += [
            *formal_notice_then_hand_over(
                formal="mise_en_demeure",
                hand_over=last,
                templates="fr",
                via=postal("lrar"),
                delay=after_previous(cadence_days).adjusted(cal),
                deadline_days=mise_en_demeure_days,
                handover_min=handover,
                calendar=cal,
            ),
        ]
        return Ladder(tuple(steps))

    rates = RateSet.of(interest_rates)

    def variant(kind: str, last: str, grace: int, interest: str | None) -> Policy:
        rules = usual_rules(
            grace_days=grace,
            cadence_days=cadence_days,
            max_reminders=relances,
            good_payer_extra_days=good_payer_extra_days,
            limitation_horizon_days=limitation_horizon_days,
        )
        return Policy(
            ladder(last),
            rules,
            name=f"fr.{kind}",
            min_balance=floor,
            calendar=cal,
            limitation=limitation,
            limitation_horizon_days=limitation_horizon_days,
            interest=interest,
            interest_rates=rates,
            fixed_compensation=kind != "consumer",  # indemnité forfaitaire: professionals only
        ).when(debtor_kind(kind))

    return (
        variant("business", "recouvrement", grace_days, "fr-l441-10")
        | variant("consumer", "recouvrement", consumer_grace_days, None)
        | variant("public_admin", "contentieux", public_admin_grace_days, "eu-2011-7")
    )
