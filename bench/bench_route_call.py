"""CPU time per route call in the service's process: a connection from the pool by
``getconn``/``putconn`` and the statement on libpq directly (``RouteConnection.run_route``, what
``wallet serve`` does), against ``pool.connection()`` and a psycopg raw cursor kept per
connection (what it did before), on the same pool of one connection, in turns.

Each call is the service's own statement, ``wallet.bet_make`` on a 3-selection make with a new
id (``bench_db.py``'s request), on uvloop; the two ways alternate round after round (A B, B A),
``--number`` calls each, and the median of the rounds' ``time.process_time`` per call is printed
as JSON in µs. The figure is this process's CPU only: it includes what waiting for the answer
costs a process on this machine, which falls on both ways alike.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        uv run python bench/bench_route_call.py --rounds 8 --number 1000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import uvloop
from psycopg_pool import AsyncConnectionPool

from app.service.database import _ROUTE_QUERIES, RouteConnection
from bench import bench_db, pgbench

QUERY = _ROUTE_QUERIES["bet/make"]
PLAYERS = 1000


def requests(number: int) -> list[bytes]:
    return [
        json.dumps(
            pgbench.bet_make_request(random.randint(1, PLAYERS), random.getrandbits(62)),
            separators=(",", ":"),
        ).encode()
        for _ in range(number)
    ]


async def by_libpq(pool: AsyncConnectionPool[RouteConnection], bodies: list[bytes]) -> None:
    for request in bodies:
        conn = await pool.getconn()
        try:
            row = await conn.run_route(QUERY, request)
        finally:
            await pool.putconn(conn)
        assert row is not None, "no row"
        assert row[0] == b"200", row


async def by_cursor(pool: AsyncConnectionPool[RouteConnection], bodies: list[bytes]) -> None:
    query = QUERY.decode()
    cursors: dict[RouteConnection, psycopg.AsyncRawCursor[Any]] = {}
    for request in bodies:
        async with pool.connection() as conn:
            cursor = cursors.get(conn) or cursors.setdefault(conn, psycopg.AsyncRawCursor(conn))
            await cursor.execute(query, (request.decode(),))
            row = await cursor.fetchone()
        assert row is not None, "no row"
        assert row[0] == 200, row
        row[1].encode()


async def run(url: str, rounds: int, number: int) -> dict[str, object]:
    ways: dict[
        str, Callable[[AsyncConnectionPool[RouteConnection], list[bytes]], Awaitable[None]]
    ] = {
        "getconn + libpq (run_route)": by_libpq,
        "pool.connection() + psycopg raw cursor": by_cursor,
    }
    pool = AsyncConnectionPool(
        url,
        connection_class=RouteConnection,
        min_size=1,
        max_size=1,
        kwargs={"autocommit": True, "prepare_threshold": None},
        open=False,
    )
    await pool.open(wait=True)
    samples: dict[str, list[float]] = {name: [] for name in ways}
    try:
        await by_libpq(pool, requests(200))  # warm both: plans, caches
        await by_cursor(pool, requests(200))
        for turn in range(rounds):
            order = list(ways) if turn % 2 == 0 else list(reversed(ways))
            for name in order:
                bodies = requests(number)
                start = time.process_time()
                await ways[name](pool, bodies)
                samples[name].append((time.process_time() - start) / number * 1e6)
                print(f"round {turn + 1}: {name} {samples[name][-1]:.1f} µs", file=sys.stderr)
    finally:
        await pool.close()
    medians = {name: round(statistics.median(values), 1) for name, values in samples.items()}
    a, b = medians.values()
    return {
        "benchmark": "CPU µs per route call in process (bet/make)",
        "rounds": rounds,
        "calls_per_round": number,
        "cpu_us_per_call_median": medians,
        "rounds_cpu_us": {n: [round(v, 1) for v in vs] for n, vs in samples.items()},
        "libpq_to_cursor": round(a / b, 3),
        "pairs_libpq_lower": sum(x < y for x, y in zip(*samples.values(), strict=True)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--number", type=int, default=1000)
    args = parser.parse_args()
    admin = os.environ.get("DATABASE_URL")
    if not admin:
        raise SystemExit("set DATABASE_URL to a superuser URL")
    name, url = bench_db.wallet_database(admin, PLAYERS)
    try:
        result = uvloop.run(run(url, args.rounds, args.number))
        result["audit_findings"] = pgbench.audit_findings(url)
    finally:
        pgbench.drop_database(admin, name)
    print(json.dumps(result, indent=2))
    return 1 if result["audit_findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
