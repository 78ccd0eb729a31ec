"""What responsible gambling costs bet/make: players with three limits against players with none,
and players with none against the code before limits existed.

Three scratch databases, the same pgbench ``bet_make`` load on each (3 selections, ``--players``
players, a new transaction id every call), in rotation A B C A B C in one run so that the
machine's noise hits all three:

- ``before``: migrated from the sql/ of ``--before`` (a worktree of the commit before this work);
- ``none``: migrated from this tree, no player has a limit;
- ``three``: migrated from this tree, every player has stake_24h, loss_7d and bets_24h limits
  (high enough never to refuse: every call must still make a bet).

Prints every round, the medians, and the ratios none / before (the bar: 0.97) and three / none
(the bar: 0.85). Every database is audited afterwards (findings: exit 1). The order of the
three is reversed every other round.

``--cpu``: instead of pgbench, one long-lived connection per database calls ``wallet.bet_make``
``--calls`` times a round (players spread over all ``--players``), and the server's CPU time
for them is read from ``/proc/<backend pid>/schedstat`` (the server must run on this machine):
calls per CPU second, which the other processes of a shared machine disturb much less than
calls per wall-clock second.

    BEFORE=$(mktemp -d)/before && git worktree add --detach "$BEFORE" 8e20ada
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        uv run python bench/bench_limits.py --before "$BEFORE" --seconds 10 --rounds 3
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import psycopg

import migrate
from bench import pgbench

ROOT = Path(__file__).resolve().parent.parent
LIMITS = (("stake_24h", 10**15), ("loss_7d", 10**15), ("bets_24h", 10**15))
CALLS = itertools.count(1)


def database(admin_url: str, sql_root: Path, players: int, limited: bool) -> tuple[str, str]:
    name, url = pgbench.scratch_database(admin_url, "wallet_bench_rg")
    migrate.Migrator(url, root=sql_root, out=lambda line: None).up()
    pgbench.create_players(url, players)
    if limited:
        with psycopg.connect(url, autocommit=True) as conn:
            for kind, amount in LIMITS:
                conn.execute(
                    "select wallet.set_limit('bench-' || g, 'EUR', %s, %s, 'bench')"
                    " from generate_series(1, %s) as g",
                    [kind, amount, players],
                )
            conn.execute("vacuum analyze")
    return name, url


def bets_made(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("select count(*) from wallet_core.bets where made").fetchone()
    return int(row[0]) if row else 0


def bet_make_statement(players: int) -> str:
    """The pgbench script's statement, with psycopg placeholders for the player and the id."""
    return (
        pgbench.bet_make_script(players)
        .split("\n", 2)[2]
        .replace(":player", "%(player)s")
        .replace(":tx", "%(tx)s")
        .strip()
        .rstrip(";")
    )


def cpu_round(conn: psycopg.Connection, args: argparse.Namespace, label: str) -> float:
    """``--calls`` makes on the database's one long-lived connection: calls per second of the
    backend's CPU time (``/proc/<pid>/schedstat``, nanoseconds on a CPU)."""
    statement = bet_make_statement(args.players)
    stat = Path(f"/proc/{conn.info.backend_pid}/schedstat")
    started = int(stat.read_text().split()[0])
    for _ in range(args.calls):
        tx = f"{label}-{next(CALLS)}"
        row = conn.execute(
            statement, {"player": next(CALLS) % args.players + 1, "tx": tx}, prepare=True
        ).fetchone()
        if row != (200,):
            raise SystemExit(f"{label}: a call made no bet: {row}")
    used = int(stat.read_text().split()[0]) - started
    return float(args.calls) / (used / 1e9)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="worktree of the code before")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--cpu", action="store_true", help="calls per server CPU second")
    parser.add_argument("--calls", type=int, default=400, help="--cpu: calls per round")
    args = parser.parse_args()
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        raise SystemExit("set DATABASE_URL to a superuser URL (pgbench needs a real server)")
    created: list[str] = []
    try:
        urls: dict[str, str] = {}
        for label, root, limited in (
            ("before", args.before / "sql", False),
            ("none", ROOT / "sql", False),
            ("three", ROOT / "sql", True),
        ):
            name, urls[label] = database(admin_url, root, args.players, limited)
            created.append(name)
        tps: dict[str, list[float]] = {label: [] for label in urls}
        rounds: list[dict[str, object]] = []
        with tempfile.TemporaryDirectory(prefix="wallet-bench-") as tmp:
            script = Path(tmp) / "bet_make.sql"
            script.write_text(pgbench.bet_make_script(args.players))
            for url in urls.values():
                pgbench.run("warm-up", url, clients=args.clients, seconds=2, script=script)
            # --cpu: one connection per database for the whole run (as a pool keeps them),
            # warmed up by a round that does not count.
            conns = {
                label: psycopg.connect(url, autocommit=True)
                for label, url in (urls.items() if args.cpu else [])
            }
            for label, conn in conns.items():
                cpu_round(conn, args, label)
            for n in range(args.rounds):
                order = list(urls) if n % 2 == 0 else list(reversed(urls))
                if args.cpu:
                    for label in order:
                        tps[label].append(cpu_round(conns[label], args, label))
                        rounds.append(
                            {"label": f"{label} #{n + 1}", "per_cpu_s": round(tps[label][-1])}
                        )
                    say(f"round {n + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in tps.items()))
                    continue
                for label in order:
                    url = urls[label]
                    before = bets_made(url)
                    result = pgbench.run(
                        f"{label} #{n + 1}", url, clients=args.clients, seconds=args.seconds,
                        script=script,
                    )  # fmt: skip
                    if bets_made(url) - before != result.transactions:
                        raise SystemExit(f"{label}: a call made no bet (a refusal?)")
                    tps[label].append(result.tps)
                    rounds.append(result.as_dict())
                say(
                    f"round {n + 1}: "
                    + ", ".join(f"{label} {values[-1]:.0f}/s" for label, values in tps.items())
                )
            for conn in conns.values():
                conn.close()
        medians = {label: statistics.median(values) for label, values in tps.items()}
        findings = sum(pgbench.audit_findings(url) for url in urls.values())
        result_json: dict[str, object] = {
            "benchmark": "limits",
            "clients": args.clients,
            "seconds": args.seconds,
            "players": args.players,
            "rounds": rounds,
            "median_per_s": {label: round(value) for label, value in medians.items()},
            "ratio_none_to_before": round(medians["none"] / medians["before"], 3),
            "ratio_three_to_none": round(medians["three"] / medians["none"], 3),
            "audit_findings": findings,
        }
        print(json.dumps(result_json, indent=2))
        return 0 if findings == 0 else 1
    finally:
        if not args.keep:
            for name in created:
                pgbench.drop_database(admin_url, name)


if __name__ == "__main__":
    raise SystemExit(main())
