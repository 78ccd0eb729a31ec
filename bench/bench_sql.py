"""Throughput and latency of the route functions themselves, without HTTP.

Creates a scratch database on the server named by DATABASE_URL (or the embedded server), migrates
it with migrate.py, opens one connection per worker, and runs full bet life cycles
(make -> commit -> win or lost -> settlement) for a fixed number of operations. Each worker plays
its own player (``--players`` caps how many distinct players: fewer players means more
contention on the hot account row). Prints operations per second and latency percentiles by
route. Bounded: it stops after ``--ops`` operations per worker.

    uv run python bench/bench_sql.py --workers 8 --ops 2000 --players 8
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from collections import defaultdict
from pathlib import Path

import psycopg

import migrate
from app.simulator import provider as p
from bench import pgbench

ROOT = Path(__file__).resolve().parent.parent


def server_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from app.embedded import start_embedded_server

    return start_embedded_server(ROOT / ".wallet-data" / "bench-pg")


def scratch_database(url: str) -> tuple[str, str]:
    return pgbench.scratch_database(url, "wallet_bench")


def worker(url: str, player: str, ops: int, samples: dict[str, list[float]], lock) -> None:
    local: dict[str, list[float]] = defaultdict(list)
    with psycopg.connect(url, autocommit=True) as conn:

        def timed(route: str, request: dict) -> dict:
            start = time.perf_counter()
            status, text = p.call(conn, route, request)
            local[route].append(time.perf_counter() - start)
            if status != 200:
                raise RuntimeError(f"{route}: {text}")
            return json.loads(text)

        done = 0
        n = 0
        while done < ops:
            n += 1
            bet = timed("bet/make", p.make(player, 100))["id"]
            timed("bet/commit", p.commit(bet))
            if n % 2:
                timed("bet/win", p.win(player, bet, 180))
            else:
                timed("bet/lost", p.lost(player, bet))
            timed("bet/settlement", p.settlement(bet, "won" if n % 2 else "lost"))
            done += 4
    with lock:
        for route, values in local.items():
            samples[route].extend(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--ops", type=int, default=2000, help="operations per worker")
    parser.add_argument("--players", type=int, default=8, help="distinct players (<= workers)")
    args = parser.parse_args()

    url = server_url()
    name, db_url = scratch_database(url)
    try:
        migrate.Migrator(db_url, out=lambda line: None).up()
        with psycopg.connect(db_url, autocommit=True) as conn:
            for i in range(args.players):
                conn.execute("select wallet.create_player(%s, 'EUR', 10000000000)", [f"bench-{i}"])
        samples: dict[str, list[float]] = defaultdict(list)
        lock = threading.Lock()
        threads = [
            threading.Thread(
                target=worker,
                args=(db_url, f"bench-{i % args.players}", args.ops, samples, lock),
            )
            for i in range(args.workers)
        ]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        findings = pgbench.audit_findings(db_url)
    finally:
        pgbench.drop_database(url, name)

    total = sum(len(v) for v in samples.values())
    result = {
        "workers": args.workers,
        "players": args.players,
        "operations": total,
        "seconds": round(elapsed, 2),
        "ops_per_second": round(total / elapsed),
        "audit_findings": findings,
        "latency_ms": {
            route: {
                "p50": round(statistics.median(v) * 1000, 2),
                "p99": round(statistics.quantiles(v, n=100)[98] * 1000, 2),
            }
            for route, v in sorted(samples.items())
        },
    }
    print(json.dumps(result, indent=2))
    return 0 if findings == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
