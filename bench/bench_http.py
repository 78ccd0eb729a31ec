"""Requests per second and latency through HTTP: token check, one database call, answer.

Starts ``wallet serve`` as a subprocess on a scratch database (on the server named by
DATABASE_URL, or the embedded one) with a throw-away RSA key, signs every request beforehand (the
provider's cost, not ours), then sends them from ``--concurrency`` asyncio clients on loopback:
first ``--requests`` bet/make, then a bet/win for each bet made. Prints JSON with requests per
second and latency percentiles per phase, the non-200 count, and wallet.audit()'s findings.
Bounded: a fixed number of requests, then the server is stopped with SIGTERM.

The Python client costs as much CPU as the server on a small machine; ``--client wrk`` sends
the same pre-signed bet/make bodies with wrk (Debian package ``wrk``) for ``--seconds``
instead, which measures the server rather than the client.

    uv run python bench/bench_http.py --requests 4000 --concurrency 32 --workers 2
    uv run python bench/bench_http.py --client wrk --requests 20000 --seconds 10 --workers 2

``--against-direct`` (with ``--client wrk``) alternates, ``--rounds`` times, a wrk run through
HTTP and a pgbench run calling ``wallet.bet_make`` directly at the same concurrency on the same
database, both with the same 3-selection bet slip and a new id every call, and prints the ratio
HTTP / direct:

    uv run python bench/bench_http.py --client wrk --against-direct --concurrency 20 --workers 2

Each wrk run also reports the workers' CPU time per request (``worker_cpu_us_per_request``,
user plus system time of the server's child processes from ``/proc``, over the run).
``--before <worktree>`` (with ``--against-direct``) starts a second ``wallet serve`` from a
checkout of the code before (``git worktree add --detach /tmp/http-before main``), on the same
database, and gives it a wrk run of its own in every round, the two servers' turns
alternating (A B, B A), with the ratio of the two and each one's ratio to the direct call:

    uv run python bench/bench_http.py --client wrk --against-direct --concurrency 20 \\
        --workers 2 --seconds 10 --rounds 2 --before /tmp/http-before
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

import migrate
from app.simulator import provider as p
from bench import pgbench
from bench.bench_sql import scratch_database, server_url
from bench.serve import Server, body, wallet_serve


async def send_all(
    base: str, route: str, bodies: list[bytes], concurrency: int
) -> tuple[float, list[float], list[httpx.Response]]:
    queue = list(enumerate(bodies))
    latencies: list[float] = []
    responses: list[httpx.Response | None] = [None] * len(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def sender() -> None:
            while queue:
                i, content = queue.pop()
                start = time.perf_counter()
                response = await client.post(
                    f"/{route}", content=content, headers={"content-type": "application/json"}
                )
                latencies.append(time.perf_counter() - start)
                responses[i] = response

        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, [r for r in responses if r is not None]


def run_wrk(server: Server, bodies: list[bytes], concurrency: int, seconds: int, tmp: Path) -> dict:
    """bet/make with wrk: every body once (until they run out), for ``seconds``; with the
    server's workers' CPU time per request, read from /proc before and after."""
    base = server.base
    bodies_file = tmp / "bodies.jsonl"
    bodies_file.write_bytes(b"\n".join(bodies) + b"\n")
    threads = min(2, concurrency)
    script = Path(__file__).with_name("wrk_bodies.lua")
    load = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s"]
    cpu_before = server.workers_cpu_seconds()
    out = subprocess.run(
        [*load, "-s", str(script), f"{base}/bet/make"],
        env={**os.environ, "BODIES_FILE": str(bodies_file), "WRK_THREADS": str(threads)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = server.workers_cpu_seconds() - cpu_before
    line = next(line for line in out.splitlines() if line.startswith("WRK "))
    result = json.loads(line.removeprefix("WRK "))
    result["requests_per_second"] = round(result["requests"] / result["seconds"])
    result["worker_cpu_us_per_request"] = round(cpu / max(1, result["requests"]) * 1e6)
    result["replays"] = max(0, result["requests"] - len(bodies))
    return {"bet/make (wrk)": result, "non_2xx": result["non_2xx"]}


def summary(elapsed: float, latencies: list[float], responses: list[httpx.Response]) -> dict:
    return {
        "requests": len(responses),
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(responses) / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(statistics.quantiles(latencies, n=100)[98] * 1000, 2),
        "non_200": sum(r.status_code != 200 for r in responses),
    }


def against_direct(args: argparse.Namespace) -> int:
    """wrk through HTTP, then pgbench calling the function directly, alternating; with
    ``--before``, also wrk through a second server running the code of that worktree, on the
    same database, its turn alternating with this code's."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("--against-direct needs DATABASE_URL (pgbench needs a real server)")
    name, db_url = pgbench.scratch_database(url, "wallet_bench_http")
    tmp = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
    script = tmp / "bet_make.sql"
    script.write_text(pgbench.bet_make_script(args.players))
    rounds: list[dict[str, object]] = []
    rates: dict[str, list[float]] = {"http": [], "direct": [], "http before": []}
    cpu: dict[str, list[float]] = {"http": [], "http before": []}
    try:
        migrate.Migrator(db_url, out=lambda line: None).up()
        pgbench.create_players(db_url, args.players)
        pool = max(4, args.concurrency // args.workers)
        with contextlib.ExitStack() as stack:
            servers = {
                "http": stack.enter_context(
                    wallet_serve(db_url, tmp, workers=args.workers, pool_size=pool)
                )
            }
            if args.before:
                servers["http before"] = stack.enter_context(
                    wallet_serve(
                        db_url, tmp, workers=args.workers, pool_size=pool, root=args.before
                    )
                )
            # Every body a new bet: enough for the fastest round we expect, signed up front.
            count = max(args.requests, 2500 * args.seconds)
            print(f"signing {count} bet/make requests per run ...", file=sys.stderr, flush=True)
            ids = iter(range(10**15, 10**16))
            bodies = {
                label: [
                    [
                        body(server.key, pgbench.bet_make_request(1 + i % args.players, next(ids)))
                        for i in range(count)
                    ]
                    for _ in range(args.rounds)
                ]
                for label, server in servers.items()
            }
            pgbench.run("warm-up", db_url, clients=args.concurrency, seconds=2, script=script)
            for n in range(args.rounds):
                # A B A B: this code first in odd rounds, the code before first in even ones
                order = list(servers) if n % 2 == 0 else list(reversed(servers))
                for label in order:
                    result = run_wrk(
                        servers[label], bodies[label][n], args.concurrency, args.seconds, tmp
                    )
                    wrk = result["bet/make (wrk)"]
                    if wrk["replays"] or wrk["non_2xx"]:
                        raise SystemExit(f"round {n + 1}: wrk ran out of bodies or errors: {wrk}")
                    rounds.append({"label": f"{label} #{n + 1}"} | wrk)
                    rates[label].append(wrk["requests_per_second"])
                    cpu[label].append(wrk["worker_cpu_us_per_request"])
                    print(
                        f"round {n + 1}: {label} {wrk['requests_per_second']} req/s, "
                        f"{wrk['worker_cpu_us_per_request']} µs of worker CPU per request",
                        file=sys.stderr,
                        flush=True,
                    )
                b = pgbench.run(
                    f"direct #{n + 1}",
                    db_url,
                    clients=args.concurrency,
                    seconds=args.seconds,
                    script=script,
                )
                rounds.append(b.as_dict())
                rates["direct"].append(b.tps)
                print(f"round {n + 1}: direct {b.tps:.0f} calls/s", file=sys.stderr, flush=True)
        findings = pgbench.audit_findings(db_url)
    finally:
        pgbench.drop_database(url, name)
    medians = {label: statistics.median(values) for label, values in rates.items() if values}
    result: dict[str, object] = {
        "benchmark": "http against direct",
        "workers": args.workers,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "rounds": rounds,
        "http_per_s_median": round(medians["http"]),
        "direct_per_s_median": round(medians["direct"]),
        "ratio_http_to_direct": round(medians["http"] / medians["direct"], 3),
        "worker_cpu_us_per_request_median": round(statistics.median(cpu["http"])),
    }
    if args.before:
        result |= {
            "http_before_per_s_median": round(medians["http before"]),
            "ratio_http_before_to_direct": round(medians["http before"] / medians["direct"], 3),
            "ratio_http_to_http_before": round(medians["http"] / medians["http before"], 3),
            "worker_cpu_us_per_request_before_median": round(statistics.median(cpu["http before"])),
        }
    result["audit_findings"] = findings
    print(json.dumps(result, indent=2))
    return 0 if findings == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="bet/make requests")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--players", type=int, default=50)
    parser.add_argument("--client", choices=["httpx", "wrk"], default="httpx")
    parser.add_argument("--seconds", type=int, default=10, help="wrk's duration")
    parser.add_argument("--against-direct", action="store_true", help="see the docstring")
    parser.add_argument("--rounds", type=int, default=2, help="--against-direct: A B pairs")
    parser.add_argument(
        "--before",
        type=Path,
        help="--against-direct: a worktree of the code before; its server takes turns",
    )
    args = parser.parse_args()
    if args.against_direct:
        return against_direct(args)

    url = server_url()
    name, db_url = scratch_database(url)
    try:
        migrate.Migrator(db_url, out=lambda line: None).up()
        with psycopg.connect(db_url, autocommit=True) as conn:
            for i in range(args.players):
                conn.execute("select wallet.create_player(%s, 'EUR', 10000000000)", [f"http-{i}"])
        tmp = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
        pool = max(4, args.concurrency // args.workers)
        with wallet_serve(db_url, tmp, workers=args.workers, pool_size=pool) as server:
            makes = [p.make(f"http-{i % args.players}", 100) for i in range(args.requests)]
            make_bodies = [body(server.key, m) for m in makes]
            if args.client == "wrk":
                result = run_wrk(server, make_bodies, args.concurrency, args.seconds, tmp)
                result["audit_findings"] = pgbench.audit_findings(db_url)
                result |= {"workers": args.workers, "concurrency": args.concurrency}
                print(json.dumps(result, indent=2))
                return 0 if result["audit_findings"] == 0 and result["non_2xx"] == 0 else 1
            made = asyncio.run(send_all(server.base, "bet/make", make_bodies, args.concurrency))
            by_tx = {
                r.json()["ext_transaction_id"]: r.json()["id"]
                for r in made[2]
                if r.status_code == 200
            }
            wins = [p.win(m["player_id"], by_tx[m["transaction"]["id"]], 150) for m in makes]
            win_bodies = [body(server.key, w) for w in wins]
            won = asyncio.run(send_all(server.base, "bet/win", win_bodies, args.concurrency))
        findings = pgbench.audit_findings(db_url)
    finally:
        pgbench.drop_database(url, name)

    result = {
        "workers": args.workers,
        "concurrency": args.concurrency,
        "players": args.players,
        "bet/make": summary(*made),
        "bet/win": summary(*won),
        "audit_findings": findings,
    }
    print(json.dumps(result, indent=2))
    return 0 if findings == 0 and result["bet/make"]["non_200"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
