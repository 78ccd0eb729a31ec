"""The report at the end of a simulation: a dictionary (``--json``), or tables for people."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

from app.simulator.referee import Mismatch, Violation
from app.simulator.run import Step
from app.simulator.traffic import Tally

SHOWN_VIOLATIONS = 20


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of ``values`` (not empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def route_figures(tally: Tally) -> dict[str, dict[str, Any]]:
    """Per route: attempts, latency percentiles in ms, and outcomes (200 or the code)."""
    figures = {}
    for route in sorted(tally.latencies):
        latencies = tally.latencies[route]
        figures[route] = {
            "count": len(latencies),
            "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
            "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
            "max_ms": round(max(latencies) * 1000, 2),
            "outcomes": dict(sorted(tally.outcomes[route].items())),
        }
    return figures


def build_report(
    *,
    scenario: str,
    url: str,
    tally: Tally,
    steps: list[Step],
    money_source: str,
    accounts: int,
    mismatches: list[Mismatch],
    audit: list[tuple[str, str, str]] | None,
    violations: list[Violation],
    notes: list[str],
) -> dict[str, Any]:
    broken = [row for row in audit or [] if row[0] not in ("negative_balance", "negative_grant")]
    seconds = tally.sending_seconds
    return {
        "scenario": scenario,
        "url": url,
        "passed": not violations and not mismatches and not broken,
        "requests": tally.attempts,
        "seconds_sending": round(seconds, 3),
        "throughput_per_second": round(tally.attempts / seconds, 1) if seconds else None,
        "late_starts": tally.late_starts,
        "routes": route_figures(tally),
        "steps": [
            {
                "name": step.name,
                "requests": step.requests,
                "violations": step.violations,
                "skipped": step.skipped,
            }
            for step in steps
        ],
        "money_check": {
            "balances_read_from": money_source,
            "accounts": accounts,
            "mismatches": [
                {
                    "player": m.player,
                    "currency": m.currency,
                    "expected": m.expected,
                    "found": m.found,
                }
                for m in mismatches
            ],
        },
        "audit": None
        if audit is None
        else {
            "findings": [
                {"check": check, "player_id": player, "detail": detail}
                for check, player, detail in audit
            ],
            "broken_invariants": len(broken),
        },
        "contract_violations": len(violations),
        "violations": [violation.as_dict() for violation in violations[:SHOWN_VIOLATIONS]],
        "notes": notes,
    }


def print_report(report: dict[str, Any], console: Console) -> None:
    """The report as tables and lines of text."""
    steps = Table(title=f"wallet simulate --scenario {report['scenario']}  ({report['url']})")
    steps.add_column("step")
    steps.add_column("requests", justify="right")
    steps.add_column("result")
    for step in report["steps"]:
        if step["skipped"]:
            result = f"[yellow]{step['skipped']}[/]"
        elif step["violations"]:
            result = f"[red]{step['violations']} contract violation(s)[/]"
        else:
            result = "[green]ok[/]"
        steps.add_row(step["name"], str(step["requests"]), result)
    console.print(steps)

    routes = Table(title="per route (every attempt, retries included)")
    for name in ("route", "count", "p50 ms", "p95 ms", "p99 ms", "max ms", "answers"):
        routes.add_column(name, justify="left" if name in ("route", "answers") else "right")
    for route, figures in report["routes"].items():
        answers = ", ".join(f"{code}: {n}" for code, n in figures["outcomes"].items())
        routes.add_row(
            route,
            str(figures["count"]),
            *(f"{figures[key]:.1f}" for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
            answers,
        )
    console.print(routes)
    rate = report["throughput_per_second"]
    console.print(
        f"throughput: {report['requests']} requests in {report['seconds_sending']:.2f} s "
        f"of sending = {rate} requests/s"
        + (f" ({report['late_starts']} started late)" if report["late_starts"] else "")
    )

    money = report["money_check"]
    if money["mismatches"]:
        console.print(
            f"[red]money check: {len(money['mismatches'])} of {money['accounts']} accounts do "
            "not add up[/]"
        )
        for m in money["mismatches"]:
            console.print(
                f"  {m['player']} {m['currency']}: expected {m['expected']}, found {m['found']}"
            )
    else:
        console.print(
            f"[green]money check: {money['accounts']} accounts, every balance is what the "
            f"answers add up to[/] (read through {money['balances_read_from']})"
        )
    audit = report["audit"]
    if audit is None:
        console.print("[yellow]wallet.audit(): not run (no admin database URL)[/]")
    elif audit["broken_invariants"]:
        console.print(f"[red]wallet.audit(): {audit['broken_invariants']} broken invariant(s)[/]")
        for finding in audit["findings"]:
            console.print(f"  {finding['check']} {finding['player_id']}: {finding['detail']}")
    else:
        negative = len(audit["findings"])
        console.print(
            "[green]wallet.audit(): clean[/]"
            + (f" ({negative} negative balance(s) after rollbacks)" if negative else "")
        )
    if report["contract_violations"]:
        console.print(f"[red]{report['contract_violations']} answer(s) break the contract:[/]")
        for violation in report["violations"]:
            console.print(
                f"  {violation['route']} for {violation['player']}: {violation['what']}\n"
                f"    request: {_shorten(violation['request'])}\n"
                f"    answer:  {_shorten(violation['answer'])}",
                markup=False,
                highlight=False,
            )
    else:
        console.print("[green]contract: every answer is one the contract allows[/]")
    for note in report["notes"]:
        console.print(f"note: {note}", markup=False)
    console.print("[bold green]PASSED[/]" if report["passed"] else "[bold red]FAILED[/]")


def _shorten(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... (--json shows it whole)"
