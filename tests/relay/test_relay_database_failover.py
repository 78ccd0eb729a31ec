"""``wallet relay`` when its database stops accepting its writes or moves: it backs off on
every database error (not only a lost connection), never crashes, and never publishes again
what the broker already confirmed; with a multi-host URL it follows the primary.

A read-only session is real: ``ALTER ROLE wallet_relay IN DATABASE ... SET
default_transaction_read_only = on``, then the relay's sessions ended (as a failover ends
them): the relay reconnects, reads and publishes a batch, and its mark fails with 25006 as it
would on a standby. The standby case uses a primary and a streaming standby of the test's own.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import psycopg.sql
import pytest

import migrate
from tests.support.processes import wait_until
from tests.support.rabbitmq import (
    SHARED_AMQP_URL,
    Delivery,
    EventQueue,
    RelayProcess,
    assert_delivered,
    counts,
    drained,
    relay_conninfo,
)
from tests.support.replication import replicated_pair

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]


@pytest.fixture
def prefix() -> str:
    return f"f{uuid.uuid4().hex[:8]}-"


@pytest.fixture
def queue(prefix: str) -> Iterator[EventQueue]:
    event_queue = EventQueue(SHARED_AMQP_URL, prefix)
    try:
        event_queue.declare()
    except Exception as error:
        pytest.fail(f"no RabbitMQ at {SHARED_AMQP_URL} ({error!r}); or set WALLET_TEST_AMQP_URL")
    yield event_queue
    event_queue.delete()


@pytest.fixture
def relays(tmp_path: Path) -> Iterator[Callable[..., RelayProcess]]:
    started: list[RelayProcess] = []

    def start(database_url: str, *args: str, amqp_url: str = SHARED_AMQP_URL) -> RelayProcess:
        relay = RelayProcess(database_url, amqp_url, tmp_path, *args)
        started.append(relay)
        return relay

    yield start
    for relay in started:
        relay.stop()


def set_relay_read_only(db: psycopg.Connection, read_only: bool) -> None:
    change = "set default_transaction_read_only = on" if read_only else "reset all"
    db.execute(
        psycopg.sql.SQL("alter role wallet_relay in database {} " + change).format(
            psycopg.sql.Identifier(db.info.dbname)
        )
    )


def end_relay_sessions(db: psycopg.Connection) -> int:
    row = db.execute(
        "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity"
        " where application_name = 'wallet relay' and datname = current_database()"
    ).fetchone()
    assert row is not None
    return int(row[0])


def adjust(db: psycopg.Connection, players: list[str], times: int) -> None:
    """``times`` balance changes per player, one event each."""
    for _ in range(times):
        for player in players:
            db.execute("select wallet.adjust_balance(%s, 'EUR', 1, 'relay test')", [player])


def test_a_read_only_database_neither_stops_the_relay_nor_makes_it_republish(
    db: psycopg.Connection,
    db_url: str,
    prefix: str,
    queue: EventQueue,
    relays: Callable[..., RelayProcess],
) -> None:
    players = [f"{prefix}p{i}" for i in range(3)]
    for player in players:
        db.execute("select wallet.create_player(%s, 'EUR', 0)", [player])
    relay = relays(relay_conninfo(db_url), "--batch-size", "20")
    wait_until(lambda: drained(db, prefix), 60, "the first events to be published")
    deliveries: list[Delivery] = queue.drain()

    set_relay_read_only(db, True)
    assert end_relay_sessions(db) >= 1
    adjust(db, players, 10)  # 30 events: two batches wait
    wait_until(
        lambda: (relay.metric('wallet_relay_errors_total{side="database"}') or 0) >= 3,
        60,
        "the relay to fail to mark, again and again",
    )
    # It published the first batch once (the broker confirmed it), could not mark it, and
    # since then has only tried to mark it: nothing more was published, nothing twice.
    time.sleep(1.0)  # room for a wrong republish to show (the back-off is 0.1 s doubling)
    during = queue.drain()
    assert relay.process.poll() is None, relay.log()
    assert counts(db, prefix)[1] == 30
    assert len(during) == 20, [d.message_id for d in during]
    assert len({d.message_id for d in during}) == 20
    deliveries += during

    set_relay_read_only(db, False)  # the relay is not restarted
    wait_until(lambda: drained(db, prefix), 60, "the outbox to drain")
    deliveries += queue.drain()
    result = assert_delivered(db, deliveries, prefix)
    assert result == {"events": 3 + 30, "duplicates": 0}
    assert "25006" in relay.log()
    assert "marked 20 events the broker had confirmed before" in relay.log()


def test_a_relay_on_a_multi_host_url_publishes_from_the_primary(
    prefix: str, queue: EventQueue, relays: Callable[..., RelayProcess]
) -> None:
    with replicated_pair() as (primary, standby):
        with psycopg.connect(primary.url(), autocommit=True) as conn:
            conn.execute("create database wallet")
        migrate.Migrator(primary.url("wallet"), out=lambda line: None).up()
        with psycopg.connect(primary.url("wallet"), autocommit=True) as db:
            players = [f"{prefix}p{i}" for i in range(2)]
            for player in players:
                db.execute("select wallet.create_player(%s, 'EUR', 0)", [player])
            adjust(db, players, 5)
            multi_host = (
                f"postgresql://wallet_relay@127.0.0.1:{standby.port},127.0.0.1:{primary.port}"
                "/wallet?target_session_attrs=read-write"
            )
            relay = relays(multi_host)
            wait_until(lambda: drained(db, prefix), 60, "the outbox to drain")
            result = assert_delivered(db, queue.drain(), prefix)
            assert result == {"events": 2 + 10, "duplicates": 0}
            assert relay.metric("wallet_relay_leading") == 1
