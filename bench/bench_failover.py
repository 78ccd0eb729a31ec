"""The failover drill at full size, run several times in a row, its figures printed.

The drill itself, and the pg_auto_failover formation it runs on, are the tests':
``tests/drills/test_failover.py`` and ``tests/support/auto_failover.py`` (bench/ imports nothing
from tests/, so this script runs them with pytest as CI does, larger). Each run starts a fresh
formation (a monitor and two data nodes, synchronous replication, the wallet's failover
timeouts), then for each way (``dies``, ``hangs``, ``zombie``) plays at least ``--makes`` makes
of the simulator's lifecycle load through ``wallet serve --workers 2`` with the relay
publishing, fails the primary mid-load, lets the old primary rejoin as a standby, and checks
everything (every 200 there and replaying byte for byte, no id twice, money check, audit,
every event delivered in order, none for a replay). Then the cost of ``wallet.await_standbys()``
on the balance and replay paths (A/B on the formation's primary).

    uv run python bench/bench_failover.py --makes 3000 --players 48 --runs 3

Needs what the test needs: ``DATABASE_URL`` (the tests' server), RabbitMQ on
``WALLET_TEST_AMQP_URL``, the Debian package ``postgresql-15-auto-failover``, root (the
formation runs as ``postgres``). Prints one JSON object: every way's figures per run, the load
average before and after each run, and whether each run passed; exits 1 if one did not.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(makes: int, players: int, ways: list[str], log: Path) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as report:
        report_path = Path(report.name)
    env = {
        **os.environ,
        "WALLET_DRILL_FAILOVER_MAKES": str(makes),
        "WALLET_DRILL_FAILOVER_PLAYERS": str(players),
        "WALLET_DRILL_REPORT": str(report_path),
    }
    selection = " or ".join(ways)
    load_before = os.getloadavg()
    started = time.monotonic()
    with log.open("ab") as out:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/drills/test_failover.py",
                "-p",
                "no:cacheprovider",
                "-q",
                "-s",
                "-k",
                selection,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    figures = [json.loads(line) for line in report_path.read_text().splitlines() if line]
    report_path.unlink()
    return {
        "passed": done.returncode == 0,
        "seconds": round(time.monotonic() - started, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "figures": figures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--makes", type=int, default=3000, help="makes per way, at least")
    parser.add_argument("--runs", type=int, default=3, help="runs in a row (default 3)")
    parser.add_argument(
        "--players", type=int, default=48, help="players, two bets in play each (default 48)"
    )
    parser.add_argument(
        "--ways",
        default="dies,hangs,zombie,await_standbys",
        help="which tests of the drill (default: the three ways and the A/B)",
    )
    parser.add_argument("--log", type=Path, default=Path("bench-failover.log"))
    args = parser.parse_args()
    ways = [way.strip() for way in args.ways.split(",") if way.strip()]
    runs = []
    for number in range(1, args.runs + 1):
        print(f"run {number} of {args.runs} ...", file=sys.stderr, flush=True)
        runs.append(run_once(args.makes, args.players, ways, args.log))
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    summary = {"makes": args.makes, "players": args.players, "cpus": os.cpu_count(), "runs": runs}
    print(json.dumps(summary, indent=2))
    return 0 if all(run["passed"] for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
