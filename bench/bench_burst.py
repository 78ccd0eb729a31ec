"""The certification burst: 20 simultaneous bet/make requests for ONE player, repeated.

A provider's certification suite fires 5, then 20, makes for one player at once. This starts
``wallet serve --workers 2`` on a scratch database, opens ``--burst`` keep-alive connections
and warms them (and the service's pool) with balance calls, signs every request up front, then
``--rounds`` times releases ``--burst`` makes for the same player together and waits for all of
them. Prints p50, p99 and max latency over every request of every round, and checks that every
make was accepted and the ledger audits clean.

    uv run python bench/bench_burst.py --burst 20 --rounds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import migrate  # noqa: E402
from bench import pgbench  # noqa: E402
from bench.serve import body, wallet_serve  # noqa: E402

HEADERS = {"content-type": "application/json"}


async def bursts(base: str, rounds: list[list[bytes]], warm: bytes) -> list[list[float]]:
    """Each round's bodies posted at once, over warm connections; latencies per round."""
    size = max(len(r) for r in rounds)
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    latencies: list[list[float]] = []
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def post(route: str, content: bytes) -> float:
            start = time.perf_counter()
            response = await client.post(route, content=content, headers=HEADERS)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise SystemExit(f"{route}: {response.status_code} {response.text}")
            return elapsed

        for _ in range(3):  # open every connection and fill the server's pools
            await asyncio.gather(*(post("/balance", warm) for _ in range(size)))
        for bodies in rounds:
            latencies.append(list(await asyncio.gather(*(post("/bet/make", b) for b in bodies))))
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=20, help="simultaneous makes")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to a superuser URL")
    name, db_url = pgbench.scratch_database(url, "wallet_bench_burst")
    try:
        migrate.Migrator(db_url, out=lambda line: None).up()
        pgbench.create_players(db_url, 1)
        with (
            tempfile.TemporaryDirectory(prefix="wallet-bench-") as tmp,
            wallet_serve(db_url, Path(tmp), workers=args.workers, pool_size=args.burst) as server,
        ):
            rounds = [
                [
                    body(server.key, pgbench.bet_make_request(1, r * 1000 + i))
                    for i in range(args.burst)
                ]
                for r in range(args.rounds)
            ]
            warm = body(server.key, {"player_id": "bench-1", "currency": "EUR"})
            latencies = asyncio.run(bursts(server.base, rounds, warm))
        with psycopg.connect(db_url, autocommit=True) as conn:
            row = conn.execute(
                "select count(*) from wallet.audit() where \"check\" <> 'negative_balance'"
            ).fetchone()
            findings = int(row[0]) if row else -1
    finally:
        pgbench.drop_database(url, name)
    every = sorted(x for r in latencies for x in r)
    result = {
        "benchmark": "certification burst",
        "burst": args.burst,
        "rounds": args.rounds,
        "workers": args.workers,
        "p50_ms": round(statistics.median(every) * 1000, 1),
        "p99_ms": round(statistics.quantiles(every, n=100)[98] * 1000, 1),
        "max_ms": round(every[-1] * 1000, 1),
        "slowest_per_round_ms": [round(max(r) * 1000, 1) for r in latencies],
        "audit_findings": findings,
    }
    print(json.dumps(result, indent=2))
    return 0 if findings == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
