"""How planning scales: time per debtor for the example portfolio copied 1x, 10x and 50x.

Prints ratios, not verdicts: a per-debtor cost that grows with the portfolio means something
in the engine is worse than linear. Run with ``python benchmarks/bench_plan.py``.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import attrs

import dunning
from dunning.policies import italy

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tipografia"


def scaled(base: dunning.Portfolio, copies: int) -> dunning.Portfolio:
    debtors, invoices, payments = [], [], []
    for k in range(copies):
        ids = {d.id: f"{d.id}-{k}" for d in base.debtors}
        debtors += [attrs.evolve(d, id=ids[d.id]) for d in base.debtors]
        invoices += [
            attrs.evolve(i, id=f"{i.id}-{k}", debtor_id=ids[i.debtor_id]) for i in base.invoices
        ]
        payments += [
            attrs.evolve(p, id=f"{p.id}-{k}", debtor_id=ids[p.debtor_id]) for p in base.payments
        ]
    return dunning.Portfolio(base.creditor, debtors, invoices, payments)


def per_debtor(portfolio: dunning.Portfolio, policy: dunning.policy.PolicyLike) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        dunning.plan(portfolio, policy, date(2026, 7, 15))
        best = min(best, time.perf_counter() - start)
    return best / len(portfolio.debtors)


def main() -> None:
    base = dunning.Portfolio.from_csv(EXAMPLE)
    policy = italy.stragiudiziale()
    reference = per_debtor(base, policy)
    print(f"plan(), 1x ({len(base.debtors)} debtors): {reference * 1e6:.0f} µs per debtor")
    for copies in (10, 50):
        cost = per_debtor(scaled(base, copies), policy)
        print(f"plan(), {copies}x: {cost / reference:.2f}x the per-debtor cost of 1x")
    start = time.perf_counter()
    dunning.simulate(base, policy, date(2026, 1, 1), date(2026, 12, 31))
    print(f"simulate() one year of 1x: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
