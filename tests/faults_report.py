"""The figures of tests/test_faults.py as a short table, printed at the end of the test run
(``pytest_terminal_summary`` in conftest.py)."""

from __future__ import annotations

from typing import Any


def report(figures: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    kill: dict[str, dict[str, Any]] = figures.get("kill", {})
    if kill:
        backends = sorted(kill, key=lambda b: (b != "sqlite", b))
        width = 28
        head = "kill at every step".ljust(width) + "".join(f"{b:>12}" for b in backends)
        lines += [head, "-" * len(head)]

        def row(label: str, values: list[Any]) -> None:
            lines.append(label.ljust(width) + "".join(f"{v:>12}" for v in values))

        points = list(dict.fromkeys(p for b in backends for p in kill[b]["kills"]))
        for point in points:
            row(f"  killed at {point}", [kill[b]["kills"].get(point, 0) for b in backends])
        row("kills", [sum(kill[b]["kills"].values()) for b in backends])
        row("dispatcher runs", [kill[b]["runs"] for b in backends])
        row("messages", [kill[b]["messages"] for b in backends])
        row("  sent (recorded by it)", [kill[b]["sent"] for b in backends])
        row("  in doubt", [kill[b]["in_doubt"] for b in backends])
        row("    settled: sent", [kill[b]["settled_sent"] for b in backends])
        row("    settled: not sent", [kill[b]["settled_not_sent"] for b in backends])
        row("duplicates", [kill[b]["duplicates"] for b in backends])
        row("silent losses", [kill[b]["losses"] for b in backends])
        row("seconds", [f"{kill[b]['seconds']:.1f}" for b in backends])
        row(
            "  ms per dispatcher run",
            [f"{1000 * kill[b]['child'] / max(kill[b]['runs'], 1):.0f}" for b in backends],
        )
        row("  fork server start (s)", [f"{kill[b]['startup']:.2f}" for b in backends])
        row("seed (FAULT_SEED)", [kill[b]["seed"] for b in backends])
    other: list[dict[str, Any]] = figures.get("other", [])
    if other:
        if lines:
            lines.append("")
        lines.append("other faults: what each left behind (duplicates, silent losses)")
        for entry in sorted(other, key=lambda e: (e["fault"], e["backend"])):
            lines.append(
                f"  {entry['fault']} [{entry['backend']}]: {entry['result']} "
                f"({entry['duplicates']}, {entry['losses']})"
            )
    return lines
