"""What bonus bets cost bet/make: a make without a bonus against the code before bonus bets, and a
bonus make (its stake from a grant) against a make without one.

Three scratch databases, ``--players`` players each, the ``bench_db.py`` make (3 selections, a
new transaction id every call), in rotation A B C, C B A, ... in one run so that the machine's
noise hits all three:

- ``before``: migrated from the sql/ of ``--before`` (a worktree of the code before bonus bets),
  makes without bonus_id;
- ``real``: migrated from this tree, the same makes without bonus_id (the bar: >= 0.95x before);
- ``bonus``: migrated from this tree, every player holds a freebet_freemoney grant of 10^15 and
  every make names it (``bonus_id``, ``bonus_type``): the stake comes from the grant.

Two ways to count, as ``bench_limits.py``: pgbench's calls per wall-clock second (``--clients``
clients for ``--seconds`` a round), or with ``--cpu`` one long-lived connection per database,
``--calls`` makes a round, and the server's CPU time for them from ``/proc/<backend
pid>/schedstat`` (the server must run on this machine), which the other processes of a shared
machine disturb much less. Every database is audited afterwards (findings: exit 1).

    git worktree add --detach /tmp/bonus-before main
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        uv run python bench/bench_bonus.py --before /tmp/bonus-before --cpu --calls 500 --rounds 16
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
CALLS = itertools.count(1)
BONUS_FIELDS = "'bonus_id', 'bonus-' || :player::text, 'bonus_type', 'freebet_freemoney', "


def database(admin_url: str, sql_root: Path, players: int, granted: bool) -> tuple[str, str]:
    name, url = pgbench.scratch_database(admin_url, "wallet_bench_bonus")
    migrate.Migrator(url, root=sql_root, out=lambda line: None).up()
    pgbench.create_players(url, players)
    if granted:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "select wallet.grant_bonus('bench-' || g, 'EUR', 'bonus-' || g,"
                " 'freebet_freemoney', 1000000000000000, null) from generate_series(1, %s) as g",
                [players],
            )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum analyze")
    return name, url


def script(players: int, bonus: bool) -> str:
    """The pgbench script: bench_db.py's make, naming the player's grant when ``bonus``."""
    text = pgbench.bet_make_script(players)
    if bonus:
        marker = "'player_id', 'bench-' || :player::text,"
        assert marker in text
        text = text.replace(marker, BONUS_FIELDS + marker, 1)
    return text


def statement(players: int, bonus: bool) -> str:
    """The script's statement, with psycopg placeholders for the player and the id."""
    return (
        script(players, bonus)
        .split("\n", 2)[2]
        .replace(":player", "%(player)s")
        .replace(":tx", "%(tx)s")
        .strip()
        .rstrip(";")
    )


def made(url: str, bonus: bool = False) -> tuple[int, int]:
    """Bets made, and (``bonus``: a database of this tree) how many took their stake from a
    grant."""
    taken = "count(*) filter (where bonus_stake > 0)" if bonus else "0"
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(f"select count(*), {taken} from wallet_core.bets where made").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def cpu_round(conn: psycopg.Connection, args: argparse.Namespace, label: str) -> float:
    """``--calls`` makes on the database's one connection: calls per second of backend CPU."""
    query = statement(args.players, label == "bonus")
    stat = Path(f"/proc/{conn.info.backend_pid}/schedstat")
    started = int(stat.read_text().split()[0])
    for _ in range(args.calls):
        row = conn.execute(
            query,
            {"player": next(CALLS) % args.players + 1, "tx": f"{label}-{next(CALLS)}"},
            prepare=True,
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
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--cpu", action="store_true", help="calls per server CPU second")
    parser.add_argument("--calls", type=int, default=500, help="--cpu: calls per round")
    args = parser.parse_args()
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        raise SystemExit("set DATABASE_URL to a superuser URL (pgbench needs a real server)")
    created: list[str] = []
    try:
        urls: dict[str, str] = {}
        for label, root, granted in (
            ("before", args.before / "sql", False),
            ("real", ROOT / "sql", False),
            ("bonus", ROOT / "sql", True),
        ):
            name, urls[label] = database(admin_url, root, args.players, granted)
            created.append(name)
        rates: dict[str, list[float]] = {label: [] for label in urls}
        rounds: list[dict[str, object]] = []
        with tempfile.TemporaryDirectory(prefix="wallet-bench-") as tmp:
            scripts = {label: Path(tmp) / f"{label}.sql" for label in urls}
            for label, path in scripts.items():
                path.write_text(script(args.players, label == "bonus"))
                pgbench.run("warm-up", urls[label], clients=args.clients, seconds=2, script=path)
            conns = {
                label: psycopg.connect(url, autocommit=True)
                for label, url in (urls.items() if args.cpu else [])
            }
            for label, conn in conns.items():
                cpu_round(conn, args, label)  # warm-up, not counted
            for n in range(args.rounds):
                order = list(urls) if n % 2 == 0 else list(reversed(urls))
                for label in order:
                    if args.cpu:
                        rates[label].append(cpu_round(conns[label], args, label))
                        rounds.append(
                            {"label": f"{label} #{n + 1}", "per_cpu_s": round(rates[label][-1])}
                        )
                        continue
                    before = made(urls[label])[0]
                    result = pgbench.run(
                        f"{label} #{n + 1}", urls[label], clients=args.clients,
                        seconds=args.seconds, script=scripts[label],
                    )  # fmt: skip
                    if made(urls[label])[0] - before != result.transactions:
                        raise SystemExit(f"{label}: a call made no bet (a refusal?)")
                    rates[label].append(result.tps)
                    rounds.append(result.as_dict())
                say(f"round {n + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in rates.items()))
            for conn in conns.values():
                conn.close()
        bets, from_grants = made(urls["bonus"], bonus=True)
        if bets != from_grants:
            raise SystemExit(f"bonus: {bets - from_grants} of {bets} bets did not use the grant")
        medians = {label: statistics.median(values) for label, values in rates.items()}
        per_round = {
            pair: statistics.median(
                a / b for a, b in zip(rates[pair[0]], rates[pair[1]], strict=True)
            )
            for pair in (("real", "before"), ("bonus", "real"))
        }
        findings = sum(pgbench.audit_findings(url) for url in urls.values())
        print(
            json.dumps(
                {
                    "benchmark": "bonus",
                    "mode": "calls per backend CPU second" if args.cpu else "pgbench calls/s",
                    "clients": None if args.cpu else args.clients,
                    "calls_or_seconds": args.calls if args.cpu else args.seconds,
                    "players": args.players,
                    "rounds": rounds,
                    "median": {label: round(value) for label, value in medians.items()},
                    "ratio_real_to_before": round(medians["real"] / medians["before"], 3),
                    "ratio_real_to_before_per_round": round(per_round["real", "before"], 3),
                    "ratio_bonus_to_real": round(medians["bonus"] / medians["real"], 3),
                    "ratio_bonus_to_real_per_round": round(per_round["bonus", "real"], 3),
                    "audit_findings": findings,
                },
                indent=2,
            )
        )
        return 0 if findings == 0 else 1
    finally:
        if not args.keep:
            for name in created:
                pgbench.drop_database(admin_url, name)


if __name__ == "__main__":
    raise SystemExit(main())
