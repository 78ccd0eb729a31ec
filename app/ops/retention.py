"""``wallet purge``: remove the idempotency records (and the outbox's published events) older
than the retention window.

The window (``WALLET_RETENTION_DAYS``, default 30) must cover every retry the provider may
send: a replay of an operation older than it is treated as a new operation. The records of a
bet that can still change (open, accepted, settled: not closed or discarded) are kept however
old: a win that was rolled back, sent again without its record, would be credited again
(docs/retention.md). The purge walks
``wallet_core.idempotency`` a range of blocks at a time with ``wallet.purge_idempotency``, each
range its own short transaction on an autocommit connection, so it holds no lock for longer
than one batch and none that a route function waits for. Schedule it daily (cron, a systemd
timer, a Kubernetes CronJob) with a URL of a role that may execute the DBA functions (the
deploy role, a member of wallet_owner).

Between batches it sleeps ``pause`` seconds (0.1 by default): measured with
``bench/bench_purge.py`` (pgbench bet/make at 8 clients, 750,000 expired rows), a purge at full
speed cut bet/make to 0.63 of the runs without it; with 0.1 s between batches of 128 blocks it
took ~45 s and the median ratio was 0.98.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

PURGE_QUERY = (
    "SELECT deleted, next_block FROM wallet.purge_idempotency(make_interval(days => %s), %s, %s)"
)


@dataclass(frozen=True, slots=True)
class PurgeResult:
    deleted: int
    batches: int
    seconds: float


def purge_idempotency(
    conninfo: str,
    *,
    keep_days: int = 30,
    blocks: int = 128,
    pause: float = 0.1,
    out: Callable[[str], None] = print,
) -> PurgeResult:
    """Delete the records older than ``keep_days``, ``blocks`` table blocks per transaction,
    sleeping ``pause`` seconds between batches."""
    started = time.monotonic()
    deleted = batches = 0
    block: int | None = 0
    with psycopg.connect(conninfo, autocommit=True, application_name="wallet purge") as conn:
        while block is not None:
            row = conn.execute(PURGE_QUERY, (keep_days, block, blocks)).fetchone()
            if row is None:
                break
            deleted += int(row[0])
            block = row[1]
            batches += 1
            if pause and block is not None:
                time.sleep(pause)
        events = purge_published_events(conn, keep_days)
    result = PurgeResult(deleted, batches, round(time.monotonic() - started, 3))
    out(
        f"purged {result.deleted} idempotency record(s) older than {keep_days} days "
        f"in {result.batches} batch(es), {result.seconds} s"
    )
    if events is not None:
        out(f"purged {events} published event(s) older than {keep_days} days")
    return result


def purge_published_events(conn: psycopg.Connection, keep_days: int) -> int | None:
    """The outbox's published events older than the window, with the events' own procedure
    (batches of 1 000, a commit after each; never an unpublished event). None when the
    database has no outbox."""
    row = conn.execute("SELECT to_regprocedure('wallet.purge_events(interval, bigint)')")
    found = row.fetchone()
    if found is None or found[0] is None:
        return None
    called = conn.execute("CALL wallet.purge_events(make_interval(days => %s))", (keep_days,))
    deleted = called.fetchone()
    return int(deleted[0]) if deleted else 0
