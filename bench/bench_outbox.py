"""What the events outbox costs bet/make, and whether `wallet relay` keeps up.

Two parts, each on scratch databases of the server named by DATABASE_URL (or the embedded
one), dropped at the end; RabbitMQ at WALLET_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/).

``ceiling``: bet/make alone, from ``--threads`` connections (one player each), on three
databases migrated alike except for ``wallet_core.emit_event``: ``outbox`` as shipped,
``no_outbox`` with emit_event replaced by a no-op (the wallet without events), and ``notify``
with emit_event also calling ``pg_notify`` (what LISTEN/NOTIFY would cost the writers). The
variants run back to back in each of ``--rounds`` rounds of ``--makes`` makes per thread (the
order rotating), so the machine's drifting load falls on all three alike; the cost reported is
the median over rounds of each round's slowdown against ``no_outbox``.

``relay``: ``wallet serve --workers 2`` takes bet/make from wrk at its maximum rate for
``--seconds`` while one ``wallet relay`` publishes to a durable queue bound to wallet.events.
Reports requests per second, events published per second, the backlog sampled every 0.5 s, and
each event's lag (published_at - occurred_at: from the transaction's start to the broker's
confirm being recorded) as p50/p99/max. Then the relay's own ceiling: the time it takes to
drain ``--backlog`` events written at once.

    uv run python bench/bench_outbox.py                # both parts
    uv run python bench/bench_outbox.py --part ceiling --threads 4 --rounds 5 --makes 300
    uv run python bench/bench_outbox.py --part relay --seconds 10 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import psycopg
import psycopg.sql

import migrate
from app.relay.publisher import EXCHANGE
from app.simulator import provider as p
from bench import pgbench
from bench.bench_http import run_wrk
from bench.bench_sql import scratch_database, server_url
from bench.serve import body, wallet_serve

ROOT = Path(__file__).resolve().parent.parent

AMQP_URL = os.environ.get("WALLET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
NO_OUTBOX = """
create or replace function wallet_core.emit_event(
    type text, player_id text, currency text, amount bigint, balance bigint,
    operation_id bigint default null, bet_id bigint default null, transaction_id text default null,
    detail jsonb default '{}')
returns bigint language sql as 'select null::bigint'
"""

NOTIFY = """
create or replace function wallet_core.emit_event(
    type text, player_id text, currency text, amount bigint, balance bigint,
    operation_id bigint default null, bet_id bigint default null, transaction_id text default null,
    detail jsonb default '{}')
returns bigint language plpgsql set search_path = '' as $$
declare
    new_event_id bigint;
begin
    perform pg_catalog.pg_advisory_xact_lock(1464161876, pg_catalog.hashtext(emit_event.player_id));
    insert into wallet_core.events as e (
        type, player_id, currency, amount, balance, operation_id, bet_id, transaction_id, detail)
    values (emit_event.type, emit_event.player_id, emit_event.currency, emit_event.amount,
        emit_event.balance, emit_event.operation_id, emit_event.bet_id, emit_event.transaction_id,
        emit_event.detail)
    returning e.event_id into new_event_id;
    perform pg_catalog.pg_notify('wallet_events', '');
    return new_event_id;
end
$$
"""


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def migrated(url: str, variant_sql: str | None) -> tuple[str, str]:
    name, db_url = scratch_database(url)
    migrate.Migrator(db_url, out=lambda line: None).up()
    with psycopg.connect(db_url, autocommit=True) as conn:
        if variant_sql:
            conn.execute(variant_sql)
    return name, db_url


def make_round(db_url: str, threads: int, makes: int, tag: str) -> float:
    """bet/make per second from ``threads`` connections, ``makes`` each."""
    barrier = threading.Barrier(threads + 1)
    failures: list[str] = []

    def worker(i: int) -> None:
        player = f"bench-{i}"
        requests = [p.make(player, 100, tx=f"{tag}-{i}-{n}") for n in range(makes)]
        with psycopg.connect(db_url, autocommit=True) as conn:
            barrier.wait()
            for request in requests:
                status, text = p.call(conn, "bet/make", request)
                if status != 200:
                    failures.append(text)
            barrier.wait()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter()
    barrier.wait()
    elapsed = time.perf_counter() - start
    for w in workers:
        w.join()
    if failures:
        raise SystemExit(f"bet/make failed: {failures[:3]}")
    return threads * makes / elapsed


def function_round(db_url: str, makes: int, tag: str) -> float:
    """Microseconds per bet/make when ``makes`` of them run inside one DO block (one
    transaction, no commit, no client): the route function's own cost, outbox write included."""
    template = p.make("bench-0", 1, tx="template")
    with psycopg.connect(db_url, autocommit=True) as conn:
        start = time.perf_counter()
        conn.execute(
            psycopg.sql.SQL(
                "do $$ begin for i in 1..{makes} loop perform wallet.bet_make(jsonb_set("
                "{template}::jsonb, '{{transaction,id}}', to_jsonb({tag} || i))); end loop; end $$"
            ).format(
                makes=psycopg.sql.Literal(makes),
                template=psycopg.sql.Literal(json.dumps(template)),
                tag=psycopg.sql.Literal(tag),
            )
        )
        return (time.perf_counter() - start) / makes * 1e6


def ceiling(url: str, args: argparse.Namespace) -> dict[str, Any]:
    variants = {"outbox": None, "no_outbox": NO_OUTBOX, "notify": NOTIFY}
    databases = {v: migrated(url, sql) for v, sql in variants.items()}
    try:
        for _, db_url in databases.values():
            with psycopg.connect(db_url, autocommit=True) as conn:
                for i in range(args.threads):
                    conn.execute(
                        "select wallet.create_player(%s, 'EUR', 1000000000000)", [f"bench-{i}"]
                    )
        rates: dict[str, list[float]] = {v: [] for v in variants}
        for round_number in range(args.rounds):
            # Each round runs every variant back to back, in a rotating order, and the cost is
            # taken per round (this machine's load drifts by 2x within a minute).
            order = list(variants)
            order = order[round_number % 3 :] + order[: round_number % 3]
            for variant in order:
                tag = f"r{round_number}{uuid.uuid4().hex[:6]}"
                rates[variant].append(
                    make_round(databases[variant][1], args.threads, args.makes, tag)
                )
        events = {}
        for variant, (_, db_url) in databases.items():
            with psycopg.connect(db_url, autocommit=True) as conn:
                events[variant] = conn.execute("select count(*) from wallet.events").fetchone()[0]  # type: ignore[index]
        # The function alone (no commit, no client), the same way.
        micros: dict[str, list[float]] = {v: [] for v in variants}
        for round_number in range(args.rounds):
            order = list(variants)
            order = order[round_number % 3 :] + order[: round_number % 3]
            for variant in order:
                tag = f"f{round_number}{uuid.uuid4().hex[:6]}-"
                micros[variant].append(function_round(databases[variant][1], args.makes, tag))
        medians = {v: statistics.median(r) for v, r in rates.items()}

        def cost(variant: str) -> float:
            """Median over rounds of the round's slowdown against no_outbox, in percent."""
            ratios = [a / b for a, b in zip(rates[variant], rates["no_outbox"], strict=True)]
            return round(100 * (1 - statistics.median(ratios)), 1)

        return {
            "threads": args.threads,
            "makes_per_thread_per_round": args.makes,
            "rounds": args.rounds,
            "bet_make_per_second": {
                v: {"median": round(medians[v]), "rounds": [round(x) for x in r]}
                for v, r in rates.items()
            },
            "function_us_per_make": {
                v: {"median": round(statistics.median(m)), "rounds": [round(x) for x in m]}
                for v, m in micros.items()
            },
            "function_outbox_cost_percent": round(
                100
                * (
                    statistics.median(
                        [a / b for a, b in zip(micros["outbox"], micros["no_outbox"], strict=True)]
                    )
                    - 1
                ),
                1,
            ),
            "events_written": events,
            "outbox_cost_percent": cost("outbox"),
            "notify_cost_percent": cost("notify"),
        }
    finally:
        for name, _ in databases.values():
            pgbench.drop_database(url, name)


async def bench_queue(name: str, delete: bool = False) -> None:
    connection = await aio_pika.connect(AMQP_URL, timeout=10)
    async with connection:
        channel = await connection.channel()
        if delete:
            await channel.queue_delete(name)
            return
        exchange = await channel.declare_exchange(
            EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(name, durable=True)
        await queue.bind(exchange, routing_key="#")


def start_process(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def relay_part(url: str, args: argparse.Namespace) -> dict[str, Any]:
    name, db_url = migrated(url, None)
    tmp = Path(tempfile.mkdtemp(prefix="wallet-bench-outbox-"))
    queue = f"wallet-bench-{uuid.uuid4().hex[:8]}"
    asyncio.run(bench_queue(queue))
    processes: list[subprocess.Popen[bytes]] = []
    stack = contextlib.ExitStack()
    try:
        with psycopg.connect(db_url, autocommit=True) as conn:
            for i in range(args.players):
                conn.execute("select wallet.create_player(%s, 'EUR', 1000000000000)", [f"http-{i}"])
        relay_env = {
            **os.environ,
            "DATABASE_URL": psycopg.conninfo.make_conninfo(db_url, user="wallet_relay"),
            "WALLET_AMQP_URL": AMQP_URL,
            "WALLET_LOG_LEVEL": "WARNING",
        }
        processes.append(
            start_process(
                [sys.executable, "-m", "app.cli", "relay", "--metrics-port", "0"],
                relay_env,
                tmp / "relay.log",
            )
        )
        server = stack.enter_context(
            wallet_serve(db_url, tmp, workers=2, pool_size=max(4, args.concurrency // 2))
        )
        base, key = server.base, server.key
        bodies = [body(key, p.make(f"http-{i % args.players}", 100)) for i in range(args.requests)]
        samples: list[tuple[float, int, float]] = []
        sampling = threading.Event()

        def sample() -> None:
            with psycopg.connect(db_url, autocommit=True) as conn:
                start = time.monotonic()
                while not sampling.is_set():
                    row = conn.execute("select * from wallet.events_backlog()").fetchone()
                    assert row is not None
                    samples.append((round(time.monotonic() - start, 1), row[0], round(row[1], 3)))
                    time.sleep(0.5)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.monotonic()
        try:
            load = run_wrk(base, bodies, args.concurrency, args.seconds, tmp)
        finally:
            sampling.set()
            sampler.join()
        with psycopg.connect(db_url, autocommit=True) as conn:
            drain_deadline = time.monotonic() + 60
            while conn.execute("select unpublished from wallet.events_backlog()").fetchone() != (
                0,
            ):
                if time.monotonic() > drain_deadline:
                    raise SystemExit("the relay did not drain the outbox within 60 s")
                time.sleep(0.05)
            drained_after = time.monotonic() - started
            rows = conn.execute(
                "select extract(epoch from published_at - occurred_at)::float8,"
                " extract(epoch from published_at)::float8 from wallet.events"
                " where type = 'bet.made' order by event_id"
            ).fetchall()
            lags = [row[0] for row in rows]
            published_span = max(r[1] for r in rows) - min(r[1] for r in rows) if rows else 0.0

            # The relay's ceiling: a backlog written at once, timed until drained.
            conn.execute(
                "select wallet_core.emit_event('balance.adjusted', 'http-0', 'EUR', 0, 0)"
                " from generate_series(1, %s)",
                [args.backlog],
            )
            start = time.monotonic()
            while conn.execute("select unpublished from wallet.events_backlog()").fetchone() != (
                0,
            ):
                time.sleep(0.05)
            drain_seconds = time.monotonic() - start
            findings = conn.execute(
                "select count(*) from wallet.audit() where \"check\" <> 'negative_balance'"
            ).fetchone()
        backlogs = [s[1] for s in samples]
        return {
            "wrk": load["bet/make (wrk)"],
            "events": len(lags),
            "events_published_per_second": round(len(lags) / published_span)
            if published_span
            else None,
            "lag_seconds": {
                "p50": round(percentile(lags, 50), 3),
                "p99": round(percentile(lags, 99), 3),
                "max": round(max(lags), 3) if lags else None,
            },
            "backlog_samples (s: events waiting, oldest age)": " ".join(
                f"{t}:{n},{age}" for t, n, age in samples
            ),
            "backlog_max": max(backlogs) if backlogs else None,
            "drained_seconds_after_load_start": round(drained_after, 2),
            "relay_drain": {
                "events": args.backlog,
                "seconds": round(drain_seconds, 2),
                "per_second": round(args.backlog / drain_seconds),
            },
            "audit_findings": findings[0] if findings else None,
        }
    finally:
        stack.close()
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        asyncio.run(bench_queue(queue, delete=True))
        pgbench.drop_database(url, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["ceiling", "relay", "both"], default="both")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--makes", type=int, default=150, help="bet/make per thread per round")
    parser.add_argument("--seconds", type=int, default=10, help="wrk's duration")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=30000, help="pre-signed bet/make bodies")
    parser.add_argument("--players", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=20000)
    args = parser.parse_args()
    url = server_url()
    result: dict[str, Any] = {}
    if args.part in ("ceiling", "both"):
        result["ceiling"] = ceiling(url, args)
        print(json.dumps({"ceiling": result["ceiling"]}, indent=2), flush=True)
    if args.part in ("relay", "both"):
        result["relay"] = relay_part(url, args)
        print(json.dumps({"relay": result["relay"]}, indent=2), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
