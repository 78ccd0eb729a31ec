"""The database ceiling of bet/make, as a ratio to what the same server does for a transfer.

``ceiling``: pgbench's built-in TPC-B-like transaction (scale 20) and pgbench calling
``wallet.bet_make`` (3 selections, ``--players`` players, a new transaction id every call), the
same clients and duration, alternating A B A B in one run, so that the machine's noise hits both.
Prints every round, the medians and the ratio bet_make / TPC-B, and bytes per bet. With
``--before <worktree>``, each round also runs the same bet_make load on a database migrated from
that worktree's ``sql/`` (TPC-B, before, this code, in turn), and prints this / before too.

``growth``: the same bet_make load on an empty wallet database and on one that already holds
``--preload`` bets (bulk-loaded in SQL by ``bench/growth_load.sql``: bets with their legs, and
journal rows, as bet/make writes them), alternating. Prints the ratio loaded / empty.

``hot``: the same bet_make load with every client on ONE player (``--clients`` makes queued on
one account, as the provider's certification burst sends them) and spread over ``--clients``
players, alternating, and with ``--before <worktree>`` the same on a database migrated from
that worktree's ``sql/`` (this code, before, in turns). Prints the rates and one / many: how
much a hot player costs beyond the makes themselves.

Every wallet database is checked with ``wallet.audit()`` afterwards (findings: exit 1), and
every bet_make call must have made a bet (a refusal: exit 1). Scratch databases are dropped
unless ``--keep``.

    uv run python bench/bench_db.py ceiling --seconds 15 --rounds 2
    uv run python bench/bench_db.py ceiling --seconds 15 --rounds 3 --before /tmp/before-lean
    uv run python bench/bench_db.py growth --preload 2000000 --seconds 15 --rounds 2
    uv run python bench/bench_db.py hot --seconds 8 --rounds 3 --before /tmp/head
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

import migrate
from bench import pgbench

ROOT = Path(__file__).resolve().parent.parent


def wallet_database(admin_url: str, players: int, root: Path = ROOT / "sql") -> tuple[str, str]:
    name, url = pgbench.scratch_database(admin_url, "wallet_bench")
    migrate.Migrator(url, root=root, out=lambda line: None).up()
    pgbench.create_players(url, players)
    return name, url


def bets_made(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("select count(*) from wallet_core.bets where made").fetchone()
    return int(row[0]) if row else 0


def make_round(label: str, url: str, script: Path, args: argparse.Namespace) -> pgbench.Result:
    """A bet_make round; every call must have made a bet."""
    before = bets_made(url)
    result = pgbench.run(label, url, clients=args.clients, seconds=args.seconds, script=script)
    made = bets_made(url) - before
    if made != result.transactions:
        raise SystemExit(f"{label}: {result.transactions} calls made {made} bets: refusals?")
    return result


def ceiling(args: argparse.Namespace, admin_url: str, script: Path) -> dict[str, object]:
    created: list[str] = []
    try:
        tpcb_name, tpcb_url = pgbench.scratch_database(admin_url, "wallet_bench_tpcb")
        created.append(tpcb_name)
        pgbench.pgbench_init(tpcb_url, args.scale)
        make_name, make_url = wallet_database(admin_url, args.players)
        created.append(make_name)
        before_url = None
        if args.before:
            before_name, before_url = wallet_database(admin_url, args.players, args.before / "sql")
            created.append(before_name)
        # Warm up: the first calls create the reference rows and fill the caches.
        pgbench.run("warm-up", make_url, clients=args.clients, seconds=2, script=script)
        if before_url:
            pgbench.run("warm-up", before_url, clients=args.clients, seconds=2, script=script)
        pgbench.run("warm-up", tpcb_url, clients=args.clients, seconds=2, builtin="tpcb-like")
        sizes_before = pgbench.table_sizes(make_url)
        rounds: list[dict[str, object]] = []
        tpcb: list[float] = []
        make: list[float] = []
        before: list[float] = []
        for n in range(args.rounds):
            a = pgbench.run(
                f"tpcb-like #{n + 1}",
                tpcb_url,
                clients=args.clients,
                seconds=args.seconds,
                builtin="tpcb-like",
            )
            rounds.append(a.as_dict())
            tpcb.append(a.tps)
            if before_url:
                c = make_round(f"bet_make before #{n + 1}", before_url, script, args)
                rounds.append(c.as_dict())
                before.append(c.tps)
            b = make_round(f"bet_make #{n + 1}", make_url, script, args)
            rounds.append(b.as_dict())
            make.append(b.tps)
            say(
                f"round {n + 1}: tpcb-like {a.tps:.0f} tps, bet_make {b.tps:.0f} calls/s"
                + (f", before {before[-1]:.0f} calls/s" if before else "")
            )
        findings = pgbench.audit_findings(make_url)
        result: dict[str, object] = {
            "benchmark": "ceiling",
            "clients": args.clients,
            "seconds": args.seconds,
            "players": args.players,
            "scale": args.scale,
            "rounds": rounds,
            "tpcb_like_tps_median": round(statistics.median(tpcb)),
            "bet_make_per_s_median": round(statistics.median(make)),
            "ratio_bet_make_to_tpcb": round(statistics.median(make) / statistics.median(tpcb), 3),
            "ratio_per_round": [round(m / t, 3) for m, t in zip(make, tpcb, strict=True)],
            "storage": pgbench.bytes_per_bet(sizes_before, pgbench.table_sizes(make_url)),
            "audit_findings": findings,
        }
        if before_url:
            findings += pgbench.audit_findings(before_url)
            result |= {
                "before": str(args.before),
                "before_per_s_median": round(statistics.median(before)),
                "ratio_before_to_tpcb": round(
                    statistics.median(before) / statistics.median(tpcb), 3
                ),
                "ratio_bet_make_to_before": round(
                    statistics.median(make) / statistics.median(before), 3
                ),
                "ratio_to_before_per_round": [
                    round(m / b, 3) for m, b in zip(make, before, strict=True)
                ],
                "audit_findings": findings,
            }
        return result
    finally:
        if not args.keep:
            for name in created:
                pgbench.drop_database(admin_url, name)


def hot(args: argparse.Namespace, admin_url: str, script: Path) -> dict[str, object]:
    """One player for every client against one player per client, per code, in turns."""
    trees = {"this": ROOT / "sql"} | ({"before": args.before / "sql"} if args.before else {})
    created: list[str] = []
    try:
        urls = {}
        for code, root in trees.items():
            name, urls[code] = wallet_database(admin_url, args.clients, root)
            created.append(name)
        scripts = {"one": script.with_name("one.sql"), "many": script.with_name("many.sql")}
        scripts["one"].write_text(pgbench.bet_make_script(1))
        scripts["many"].write_text(pgbench.bet_make_script(args.clients))
        for url in urls.values():
            pgbench.run("warm-up", url, clients=args.clients, seconds=2, script=scripts["many"])
        rates: dict[str, dict[str, list[float]]] = {c: {"one": [], "many": []} for c in trees}
        rounds: list[dict[str, object]] = []
        for n in range(args.rounds):
            for code in trees if n % 2 == 0 else reversed(list(trees)):
                for load, path in scripts.items():
                    r = make_round(f"{code} {load} #{n + 1}", urls[code], path, args)
                    rounds.append(r.as_dict())
                    rates[code][load].append(r.tps)
                say(
                    f"round {n + 1}, {code}: one player {rates[code]['one'][-1]:.0f} calls/s, "
                    f"{args.clients} players {rates[code]['many'][-1]:.0f} calls/s"
                )
        findings = sum(pgbench.audit_findings(url) for url in urls.values())
        medians = {c: {k: statistics.median(v) for k, v in r.items()} for c, r in rates.items()}
        result: dict[str, object] = {
            "benchmark": "hot",
            "clients": args.clients,
            "seconds": args.seconds,
            "rounds": rounds,
            "median_per_s": {c: {k: round(v) for k, v in m.items()} for c, m in medians.items()},
            "ratio_one_to_many": {c: round(m["one"] / m["many"], 3) for c, m in medians.items()},
            "audit_findings": findings,
        }
        if args.before:
            result["before"] = str(args.before)
            result["ratio_one_player_this_to_before"] = round(
                medians["this"]["one"] / medians["before"]["one"], 3
            )
        return result
    finally:
        if not args.keep:
            for name in created:
                pgbench.drop_database(admin_url, name)


def growth(args: argparse.Namespace, admin_url: str, script: Path) -> dict[str, object]:
    created: list[str] = []
    try:
        empty_name, empty_url = wallet_database(admin_url, args.players)
        created.append(empty_name)
        if args.loaded_db:
            loaded_url = psycopg.conninfo.make_conninfo(admin_url, dbname=args.loaded_db)
        else:
            loaded_name, loaded_url = wallet_database(admin_url, args.players)
            created.append(loaded_name)
            say(f"bulk-loading {args.preload:,} bets into {loaded_name} ...")
            started = time.monotonic()
            load = (ROOT / "bench" / "growth_load.sql").read_text()
            with psycopg.connect(loaded_url, autocommit=True) as conn:
                conn.execute("select set_config('bench.bets', %s, false)", [str(args.preload)])
                conn.execute(load)
                conn.execute("vacuum analyze")
            say(f"loaded in {time.monotonic() - started:.0f} s")
        present = bets_made(loaded_url)
        for url in (empty_url, loaded_url):
            pgbench.run("warm-up", url, clients=args.clients, seconds=2, script=script)
        empty: list[float] = []
        loaded: list[float] = []
        rounds: list[dict[str, object]] = []
        for n in range(args.rounds):
            a = make_round(f"empty #{n + 1}", empty_url, script, args)
            b = make_round(f"{present:,} bets #{n + 1}", loaded_url, script, args)
            rounds += [a.as_dict(), b.as_dict()]
            empty.append(a.tps)
            loaded.append(b.tps)
            say(f"round {n + 1}: empty {a.tps:.0f} calls/s, loaded {b.tps:.0f} calls/s")
        findings = pgbench.audit_findings(empty_url)
        return {
            "benchmark": "growth",
            "clients": args.clients,
            "seconds": args.seconds,
            "bets_present": present,
            "rounds": rounds,
            "empty_per_s_median": round(statistics.median(empty)),
            "loaded_per_s_median": round(statistics.median(loaded)),
            "ratio_loaded_to_empty": round(statistics.median(loaded) / statistics.median(empty), 3),
            "audit_findings": findings,
        }
    finally:
        if not args.keep:
            for name in created:
                pgbench.drop_database(admin_url, name)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["ceiling", "growth", "hot"])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2, help="A B pairs")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--scale", type=int, default=20, help="TPC-B-like scale")
    parser.add_argument("--preload", type=int, default=2_000_000, help="growth: bets present")
    parser.add_argument("--loaded-db", help="growth: reuse a database loaded by --keep")
    parser.add_argument(
        "--before", type=Path, help="ceiling, hot: also bet_make on a worktree of the code before"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args()
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        raise SystemExit("set DATABASE_URL to a superuser URL (pgbench needs a real server)")
    with tempfile.TemporaryDirectory(prefix="wallet-bench-") as tmp:
        script = Path(tmp) / "bet_make.sql"
        script.write_text(pgbench.bet_make_script(args.players))
        result = {"ceiling": ceiling, "growth": growth, "hot": hot}[args.mode](
            args, admin_url, script
        )
    print(json.dumps(result, indent=2))
    return 0 if result["audit_findings"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
