"""The certification burst: 20 simultaneous bet/make requests for ONE player, repeated.

A provider's certification suite fires 5, then 20, makes for one player at once. This starts
``wallet serve --workers 2`` on a scratch database, signs every request up front, opens
``--burst`` keep-alive connections and warms them (and the service's pools) with bursts of
makes for another player, then
``--rounds`` times releases ``--burst`` makes for the same player together and waits for all of
them. Prints p50, p99 and max latency over every request of every round, and checks that every
make was accepted and the ledger audits clean.

    uv run python bench/bench_burst.py --burst 20 --rounds 10

``--before <worktree>`` compares with the code of another checkout (``git worktree add
--detach /tmp/http-before main``) in one run: the two servers take turns (A B, then B A, for
``--turns`` turns each), each started afresh on a database of its own migrated from its own
``sql/`` (the SQL is part of what is compared), with the same warm-up, and
the p99 of every request of every turn of each code is compared, per client:

    uv run python bench/bench_burst.py --burst 20 --rounds 10 --before /tmp/http-before --turns 2

``--floor`` sends the same bursts to a trivial app instead (``bench_protocol.floor_app``: reads
the body, answers a fixed JSON body) on uvicorn with ``wallet serve``'s protocol and event loop
and ``--workers`` workers, no database: what the clients themselves cost. On a 2-core machine
the httpx client's CPU is most of an httpx burst, and this is the floor under its p99.
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

import migrate
from bench import pgbench
from bench.bench_protocol import floor_server
from bench.serve import ROOT, body, wallet_serve

HEADERS = {"content-type": "application/json"}


async def bursts_httpx(
    base: str, rounds: list[list[bytes]], warm: list[list[bytes]]
) -> list[list[float]]:
    """Each round's bodies posted at once, over warm connections; latencies per round. The
    warm-up rounds (makes for another player) open every connection, fill the service's pools
    and have every pooled database session plan bet_make's statements once."""
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

        for bodies in warm:
            await asyncio.gather(*(post("/bet/make", b) for b in bodies))
        for bodies in rounds:
            latencies.append(list(await asyncio.gather(*(post("/bet/make", b) for b in bodies))))
    return latencies


class RawConnection:
    """A keep-alive HTTP/1.1 connection that sends pre-built requests and reads the answer
    with a few stream calls: a client that costs next to no CPU, so that on a 2-core machine
    the latency measured is the server's, not the Python client's."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def post(self, request: bytes) -> float:
        start = time.perf_counter()
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        answer = await self.reader.readexactly(length)
        elapsed = time.perf_counter() - start
        if not head.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"bet/make: {head!r} {answer!r}")
        return elapsed


def raw_request(port: int, content: bytes) -> bytes:
    return (
        f"POST /bet/make HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(content)}\r\n\r\n"
    ).encode() + content


async def bursts_raw(
    base: str, rounds: list[list[bytes]], warm: list[list[bytes]]
) -> list[list[float]]:
    """As ``bursts_httpx``, from RawConnection clients."""
    port = int(base.rsplit(":", 1)[1])
    size = max(len(r) for r in rounds)
    connections = [
        RawConnection(*await asyncio.open_connection("127.0.0.1", port)) for _ in range(size)
    ]
    latencies: list[list[float]] = []
    try:
        for n, bodies in enumerate(warm + rounds):
            requests = [raw_request(port, b) for b in bodies]
            times = await asyncio.gather(
                *(c.post(r) for c, r in zip(connections, requests, strict=False))
            )
            if n >= len(warm):
                latencies.append(list(times))
    finally:
        for connection in connections:
            connection.writer.close()
    return latencies


CLIENTS = {"httpx": bursts_httpx, "raw": bursts_raw}


def p99(latencies: list[list[float]]) -> float:
    """Milliseconds, to 0.1 ms."""
    return round(statistics.quantiles([x for r in latencies for x in r], n=100)[98] * 1000, 1)


def summary(latencies: list[list[float]]) -> dict[str, object]:
    every = sorted(x for r in latencies for x in r)
    return {
        "p50_ms": round(statistics.median(every) * 1000, 1),
        "p99_ms": p99(latencies),
        "max_ms": round(every[-1] * 1000, 1),
        "slowest_per_round_ms": [round(max(r) * 1000, 1) for r in latencies],
    }


def run_turn(
    db_url: str, args: argparse.Namespace, root: Path, turn: int
) -> dict[str, list[list[float]]]:
    """One server (the code of ``root``), started afresh: warm-up bursts for player 2, then
    ``--rounds`` bursts for player 1 from each client. Latencies per client, per round."""
    latencies = {}
    with (
        tempfile.TemporaryDirectory(prefix="wallet-bench-") as tmp,
        wallet_serve(
            db_url, Path(tmp), workers=args.workers, pool_size=args.burst, root=root
        ) as server,
    ):
        for n, (client, bursts) in enumerate(CLIENTS.items()):
            base = turn * 10**9 + n * 10**8
            rounds = [
                [
                    body(server.key, pgbench.bet_make_request(1, base + r * 1000 + i))
                    for i in range(args.burst)
                ]
                for r in range(args.rounds)
            ]
            warm = [
                [
                    body(server.key, pgbench.bet_make_request(2, base + 10**7 + r * 1000 + i))
                    for i in range(args.burst)
                ]
                for r in range(args.warm_rounds)
            ]
            latencies[client] = asyncio.run(bursts(server.base, rounds, warm))
    return latencies


def floor(args: argparse.Namespace) -> dict[str, object]:
    """The bursts of ``run_turn``, to ``bench_protocol.floor_app``: p50 and p99 per client."""
    with floor_server("one write", args.workers) as (_, port):
        time.sleep(1)  # every worker listening
        filler = b'{"payload":"' + b"x" * 2300 + b'"}'  # a signed make's size, never read
        bursts = [[filler] * args.burst for _ in range(args.rounds)]
        warm = [[filler] * args.burst for _ in range(args.warm_rounds)]
        base = f"http://127.0.0.1:{port}"
        return {
            "benchmark": "certification burst, floor (no database)",
            "burst": args.burst,
            "rounds": args.rounds,
            "workers": args.workers,
        } | {
            client: summary(asyncio.run(run(base, bursts, warm))) for client, run in CLIENTS.items()
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=20, help="simultaneous makes")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--warm-rounds", type=int, default=5, help="bursts for another player first"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="a worktree of the code before: its server and this one's take turns",
    )
    parser.add_argument("--turns", type=int, default=2, help="with --before: turns of each")
    parser.add_argument("--floor", action="store_true", help="a trivial app, no database")
    args = parser.parse_args()
    if args.floor:
        print(json.dumps(floor(args), indent=2))
        return 0
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL to a superuser URL")
    codes = {"this": ROOT} | ({"before": args.before} if args.before else {})
    turns = args.turns if args.before else 1
    every: dict[str, dict[str, list[list[float]]]] = {
        label: {client: [] for client in CLIENTS} for label in codes
    }
    by_turn: list[dict[str, object]] = []
    # One database per code, migrated from that code's own sql/: the server of each checks the
    # migration history it knows (/readyz), and the SQL is part of what is compared.
    databases: dict[str, tuple[str, str]] = {}
    try:
        for label, root in codes.items():
            databases[label] = name, db_url = pgbench.scratch_database(url, "wallet_bench_burst")
            migrate.Migrator(db_url, root=root / "sql", out=lambda line: None).up()
            pgbench.create_players(db_url, 2)
        for turn in range(turns):
            # A B, then B A: neither code always runs first
            order = list(codes) if turn % 2 == 0 else list(reversed(codes))
            for label in order:
                latencies = run_turn(databases[label][1], args, codes[label], len(by_turn))
                by_turn.append(
                    {"code": label, "turn": turn + 1}
                    | {client: summary(values) for client, values in latencies.items()}
                )
                for client, values in latencies.items():
                    every[label][client] += values
                print(json.dumps(by_turn[-1]), file=sys.stderr, flush=True)
        findings = sum(pgbench.audit_findings(db_url) for _, db_url in databases.values())
    finally:
        for name, _ in databases.values():
            pgbench.drop_database(url, name)
    result: dict[str, object] = {
        "benchmark": "certification burst",
        "burst": args.burst,
        "rounds": args.rounds,
        "workers": args.workers,
    }
    if args.before:
        result["turns"] = by_turn
        for label in codes:
            result[label] = {client: summary(every[label][client]) for client in CLIENTS}
        for client in CLIENTS:
            this, before = (p99(every[label][client]) for label in ("this", "before"))
            result[f"p99_this_to_before_{client}"] = round(this / before, 3)
    else:
        result |= {client: summary(every["this"][client]) for client in CLIENTS}
    result["audit_findings"] = findings
    print(json.dumps(result, indent=2))
    return 0 if findings == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
