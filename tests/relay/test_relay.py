"""``wallet relay`` against a real RabbitMQ and a real PostgreSQL: delivery, order, and faults.

Every test ends the same way: the outbox drained, and the consumer's messages, deduplicated by
``message_id`` (first delivery kept), equal ``wallet.events`` for the test's players, in each
player's ``event_id`` order, with the contract's message properties.

The relay runs as its own process (``python -m app.cli relay``) as the least-privilege role
``wallet_relay``. Broker outages use a private RabbitMQ node on other ports, so stopping it does
not disturb the shared broker other tests use.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors
import pytest

from tests.support import ROOT
from tests.support import provider as p
from tests.support.processes import wait_until
from tests.support.rabbitmq import (
    SHARED_AMQP_URL,
    EventQueue,
    PrivateBroker,
    RelayProcess,
    assert_delivered,
    counts,
    drained,
    relay_conninfo,
)

Bet = Callable[[psycopg.Connection, str, int], None]


def make_bet(conn: psycopg.Connection, player: str, n: int) -> None:
    """One bet/make, through the route function as the service calls it."""
    answer = p.call(conn, "bet/make", p.make(player, 1))
    assert answer.status == 200, answer.text


class Producer:
    """Bets for a few players from several connections at once (so one player's events come
    from different sessions), until stopped."""

    def __init__(
        self, db_url: str, players: list[str], threads: int = 3, work: Bet = make_bet
    ) -> None:
        self.db_url = db_url
        self.players = players
        self.work = work
        self.made = 0
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, seed: int) -> None:
        chooser = random.Random(seed)
        try:
            with psycopg.connect(self.db_url, autocommit=True) as conn:
                while not self._stop.is_set():
                    with self._lock:
                        self.made += 1
                        n = self.made
                    self.work(conn, chooser.choice(self.players), n)
        except BaseException as error:
            self.errors.append(error)

    @property
    def count(self) -> int:
        """Changes made so far; raises what a producing thread ran into."""
        if self.errors:
            raise self.errors[0]
        return self.made

    def __enter__(self) -> Producer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        assert self.errors == []

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def prefix() -> str:
    return f"r{uuid.uuid4().hex[:8]}-"


@pytest.fixture
def players(db: psycopg.Connection, prefix: str) -> list[str]:
    names = [f"{prefix}p{i}" for i in range(4)]
    for name in names:
        db.execute("select wallet.create_player(%s, 'EUR', 1000000000)", [name])
    return names


@pytest.fixture
def queue(prefix: str) -> Iterator[EventQueue]:
    event_queue = EventQueue(SHARED_AMQP_URL, prefix)
    try:
        event_queue.declare()
    except Exception as error:
        pytest.fail(
            f"no RabbitMQ at {SHARED_AMQP_URL} ({error!r}): .ci/run starts one; "
            "or set WALLET_TEST_AMQP_URL"
        )
    yield event_queue
    event_queue.delete()


@pytest.fixture
def start_relay(db_url: str, tmp_path: Path) -> Iterator[Callable[..., RelayProcess]]:
    started: list[RelayProcess] = []

    def start(*args: str, amqp_url: str = SHARED_AMQP_URL) -> RelayProcess:
        relay = RelayProcess(relay_conninfo(db_url), amqp_url, tmp_path, *args)
        started.append(relay)
        return relay

    yield start
    for relay in started:
        relay.stop()


# Start-up and privileges ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "variable"),
    [("WALLET_AMQP_URL", "WALLET_AMQP_URL"), ("DATABASE_URL", "DATABASE_URL")],
)
def test_relay_refuses_to_start_without_its_urls(missing: str, variable: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://wallet_relay@127.0.0.1:1/none",
        "WALLET_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/",
    }
    del env[missing]
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "relay", "--metrics-port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert variable in result.stderr
    assert "is not set" in result.stderr


def as_relay(db_url: str) -> psycopg.Connection:
    return psycopg.connect(relay_conninfo(db_url), autocommit=True)


def test_relay_role_reaches_the_relay_functions_only(db: psycopg.Connection, db_url: str) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 100)")
    db.execute("select wallet.adjust_balance('p', 'EUR', 5, 'goodwill')")
    with as_relay(db_url) as relay:
        for statement in (
            "select * from wallet_core.events",
            "select * from wallet.events",
            "update wallet_core.events set published_at = now()",
            "select wallet_core.emit_event('player.blocked', 'p', null, 0, null)",
            "call wallet.purge_events('0 s')",
            "select wallet.bet_make('{}')",
            "select wallet.adjust_balance('p', 'EUR', 1, 'x')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                relay.execute(statement)
        assert relay.execute("select wallet.relay_lead()").fetchone() == (True,)
        rows = relay.execute("select event_id, type from wallet.unpublished_events(10)").fetchall()
        assert [row[1] for row in rows] == ["player.created", "balance.adjusted"]
        assert relay.execute(
            "select wallet.mark_events_published(%s)", [[row[0] for row in rows]]
        ).fetchone() == (2,)
        assert relay.execute("select * from wallet.events_backlog()").fetchone() == (0, 0)


def test_only_the_leading_relay_reads_the_outbox(db: psycopg.Connection, db_url: str) -> None:
    first = as_relay(db_url)
    second = as_relay(db_url)
    try:
        assert first.execute("select wallet.relay_lead()").fetchone() == (True,)
        assert second.execute("select wallet.relay_lead()").fetchone() == (False,)
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as refused:
            second.execute("select * from wallet.unpublished_events(10)")
        assert "not the leading relay" in str(refused.value)
        assert first.execute("select count(*) from wallet.unpublished_events(10)").fetchone()
        first.close()  # the leader's session ends (its backend exits a moment later)
        wait_until(
            lambda: second.execute("select wallet.relay_lead()").fetchone() == (True,),
            10,
            "the standby to lead",
        )
    finally:
        first.close()
        second.close()


def test_purge_deletes_old_published_events_only(db: psycopg.Connection) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 0)")
    db.execute(
        "select wallet_core.emit_event('balance.adjusted', 'p', 'EUR', n, n)"
        " from generate_series(1, 2500) as n"
    )
    # events 1-2000 old and published (1 is player.created), 2001-2300 old and unpublished,
    # 2301-2501 recent and published
    db.execute(
        "update wallet_core.events set occurred_at = now() - interval '40 days',"
        " published_at = now() - interval '39 days' where event_id <= 2000"
    )
    db.execute(
        "update wallet_core.events set occurred_at = now() - interval '40 days'"
        " where event_id > 2000 and event_id <= 2300"
    )
    db.execute("update wallet_core.events set published_at = now() where event_id > 2300")
    assert db.execute("call wallet.purge_events('30 days')").fetchone() == (2000,)
    assert db.execute(
        "select count(*), count(published_at), min(event_id) from wallet.events"
    ).fetchone() == (501, 201, 2001)
    assert db.execute("call wallet.purge_events('30 days')").fetchone() == (0,)
    with pytest.raises(psycopg.DatabaseError) as refused:
        db.execute("call wallet.purge_events(null)")
    assert refused.value.diag.sqlstate == "WA204"


# Delivery through RabbitMQ --------------------------------------------------------------------


@pytest.mark.rabbitmq
@pytest.mark.slow
def test_relay_publishes_every_event_in_player_order(
    db: psycopg.Connection,
    db_url: str,
    prefix: str,
    players: list[str],
    queue: EventQueue,
    start_relay: Callable[..., RelayProcess],
) -> None:
    relay = start_relay()
    with Producer(db_url, players) as producer:
        wait_until(lambda: producer.count >= 600, 120, "600 changes")
    wait_until(lambda: drained(db, prefix), 60, "the outbox to drain")
    result = assert_delivered(db, queue.drain(), prefix)
    assert result["events"] >= 600 + len(players)  # the bets, and player.created each
    wait_until(
        lambda: (relay.metric("wallet_relay_published_total") or 0) >= result["events"],
        10,
        "the published counter",
    )
    assert relay.metric("wallet_relay_leading") == 1
    assert relay.metric("wallet_relay_lag_seconds") is not None
    assert relay.metric('wallet_relay_errors_total{side="broker"}') == 0


@pytest.mark.rabbitmq
@pytest.mark.slow
def test_relay_killed_mid_stream_then_restarted(
    db: psycopg.Connection,
    db_url: str,
    prefix: str,
    players: list[str],
    queue: EventQueue,
    start_relay: Callable[..., RelayProcess],
) -> None:
    with Producer(db_url, players):
        first = start_relay("--batch-size", "50")
        wait_until(lambda: counts(db, prefix)[0] >= 300, 120, "300 events published")
        first.kill()  # SIGKILL: no chance to finish its batch or mark it
        killed_at = counts(db, prefix)[0]
        wait_until(lambda: counts(db, prefix)[1] >= 100, 60, "a backlog while no relay runs")
        assert counts(db, prefix)[0] == killed_at  # nobody publishes while it is dead
        start_relay("--batch-size", "50")
        wait_until(lambda: counts(db, prefix)[0] >= killed_at + 300, 120, "the restart to publish")
    wait_until(lambda: drained(db, prefix), 60, "the outbox to drain")
    assert_delivered(db, queue.drain(), prefix)


@pytest.mark.rabbitmq
@pytest.mark.slow
def test_two_relays_at_once_keep_player_order(
    db: psycopg.Connection,
    db_url: str,
    prefix: str,
    players: list[str],
    queue: EventQueue,
    start_relay: Callable[..., RelayProcess],
) -> None:
    with Producer(db_url, players):
        relays = [start_relay("--batch-size", "20"), start_relay("--batch-size", "20")]
        # Both answering (a relay still starting answers no scrape: None), one of them leading.
        wait_until(
            lambda: {r.metric("wallet_relay_leading") for r in relays} == {0, 1},
            60,
            "one relay leading and one standing by",
        )
        wait_until(lambda: counts(db, prefix)[0] >= 300, 120, "300 events published")
        leader = next(r for r in relays if r.metric("wallet_relay_leading") == 1)
        standby = next(r for r in relays if r is not leader)
        assert standby.metric("wallet_relay_published_total") == 0
        leader.kill()
        wait_until(lambda: standby.metric("wallet_relay_leading") == 1, 30, "the takeover")
        published = counts(db, prefix)[0]
        wait_until(lambda: counts(db, prefix)[0] >= published + 300, 120, "the new leader")
    wait_until(lambda: drained(db, prefix), 60, "the outbox to drain")
    assert_delivered(db, queue.drain(), prefix)


@pytest.mark.rabbitmq
@pytest.mark.slow
def test_database_sessions_cut_mid_stream(
    db: psycopg.Connection,
    db_url: str,
    prefix: str,
    players: list[str],
    queue: EventQueue,
    start_relay: Callable[..., RelayProcess],
) -> None:
    """The relay's database sessions are terminated (as a restart or failover would) three
    times while changes keep coming: it backs off, reconnects, leads again and carries on."""
    relay = start_relay("--batch-size", "50")
    with Producer(db_url, players):
        for cut in range(1, 4):
            published = counts(db, prefix)[0]
            wait_until(
                lambda start=published: counts(db, prefix)[0] >= start + 100, 120, "publishing"
            )
            terminated = db.execute(
                "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity"
                " where application_name = 'wallet relay' and datname = current_database()"
            ).fetchone()
            assert terminated is not None
            assert terminated[0] >= 1
            wait_until(
                lambda cut=cut: (
                    (relay.metric('wallet_relay_errors_total{side="database"}') or 0) >= cut
                ),
                30,
                "the relay to notice",
            )
        published = counts(db, prefix)[0]
        wait_until(lambda: counts(db, prefix)[0] >= published + 100, 120, "publishing again")
    wait_until(lambda: drained(db, prefix), 60, "the outbox to drain")
    assert_delivered(db, queue.drain(), prefix)
    assert relay.metric("wallet_relay_leading") == 1


@pytest.mark.rabbitmq
@pytest.mark.slow
def test_sigterm_finishes_the_batch_in_hand(
    db: psycopg.Connection,
    prefix: str,
    players: list[str],
    queue: EventQueue,
    start_relay: Callable[..., RelayProcess],
) -> None:
    db.execute(
        "select wallet_core.emit_event('balance.adjusted', %s, 'EUR', n, n)"
        " from generate_series(1, 20000) as n",
        [players[0]],
    )
    relay = start_relay("--batch-size", "500")
    wait_until(lambda: counts(db, prefix)[0] >= 1000, 120, "1000 events published")
    assert relay.terminate() == 0
    published, waiting = counts(db, prefix)
    assert waiting > 0, "the relay should have been stopped mid-stream"
    assert published % 500 == 0  # whole batches only
    delivered = {d.message_id for d in queue.drain()}
    marked = {
        str(row[0])
        for row in db.execute(
            "select event_id from wallet.events"
            " where player_id like %s and published_at is not null",
            [prefix + "%"],
        ).fetchall()
    }
    assert delivered == marked  # every message it sent was confirmed and marked before it left
    assert "relay stopped" in relay.log()


# Broker outages, on a private broker ----------------------------------------------------------


@pytest.fixture(scope="module")
def private_broker() -> Iterator[PrivateBroker]:
    broker = PrivateBroker()
    broker.start()
    yield broker
    broker.remove()


def relay_sessions(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    return db.execute(
        "select pid, state, xact_start from pg_stat_activity"
        " where application_name = 'wallet relay' and datname = current_database()"
    ).fetchall()


@pytest.mark.rabbitmq
@pytest.mark.slow
def test_broker_stopped_and_started_while_bets_keep_coming(
    db: psycopg.Connection,
    db_url: str,
    prefix: str,
    players: list[str],
    private_broker: PrivateBroker,
    start_relay: Callable[..., RelayProcess],
) -> None:
    queue = EventQueue(private_broker.url, prefix).declare()
    relay = start_relay(amqp_url=private_broker.url)
    with Producer(db_url, players) as producer:
        wait_until(lambda: counts(db, prefix)[0] >= 200, 120, "200 events published")
        private_broker.stop()
        stopped_at = producer.count
        wait_until(
            lambda: (relay.metric('wallet_relay_errors_total{side="broker"}') or 0) > 0,
            60,
            "the relay to notice the broker is gone",
        )
        wait_until(
            lambda: producer.count >= stopped_at + 300, 120, "changes while the broker is down"
        )
        assert counts(db, prefix)[1] >= 300  # they wait in the outbox
        # No relay session is inside a transaction (so holds no row lock) while it waits.
        assert all(state != "idle in transaction" for _, state, _ in relay_sessions(db))
        private_broker.start()
        wait_until(lambda: counts(db, prefix)[1] < 100, 120, "the backlog to drain")
    wait_until(lambda: drained(db, prefix), 60, "the outbox to drain")
    assert_delivered(db, queue.drain(), prefix)


@pytest.mark.rabbitmq
@pytest.mark.slow
def test_slow_broker_does_not_slow_bets(
    db: psycopg.Connection,
    db_url: str,
    prefix: str,
    players: list[str],
    private_broker: PrivateBroker,
    start_relay: Callable[..., RelayProcess],
) -> None:
    blocked_by_relay: list[tuple[Any, ...]] = []

    def rate(seconds: float) -> float:
        """Changes per second over a window, watching meanwhile that no session ever waits
        for a lock a relay session holds."""
        with Producer(db_url, players) as producer:
            start = time.monotonic()
            while time.monotonic() - start < seconds:
                blocked_by_relay.extend(
                    db.execute(
                        "select a.pid, a.wait_event from pg_stat_activity as a"
                        " where a.datname = current_database() and exists ("
                        "  select from pg_stat_activity as r"
                        "  where r.application_name = 'wallet relay'"
                        "  and r.pid = any(pg_blocking_pids(a.pid)))"
                    ).fetchall()
                )
                time.sleep(0.05)  # sampling interval, not a synchronisation
            done = producer.count
        return done / (time.monotonic() - start)

    queue = EventQueue(private_broker.url, prefix).declare()
    relay = start_relay(amqp_url=private_broker.url)
    wait_until(lambda: relay.metric("wallet_relay_leading") == 1, 60, "the relay to lead")
    with_broker = rate(4)
    private_broker.stop()
    wait_until(
        lambda: (relay.metric('wallet_relay_errors_total{side="broker"}') or 0) > 0,
        60,
        "the relay to notice the broker is gone",
    )
    before = counts(db, prefix)[1]
    without_broker = rate(4)
    waiting = counts(db, prefix)[1]
    assert waiting >= before + without_broker * 3  # the events of the window wait in the outbox
    assert blocked_by_relay == []
    # The machine is shared and noisy (other test runs come and go between the two windows);
    # a relay that blocked commits would make this near zero.
    assert without_broker >= 0.25 * with_broker, (with_broker, without_broker)
    locks = db.execute(
        "select l.locktype, l.mode from pg_locks as l join pg_stat_activity as a using (pid)"
        " where a.application_name = 'wallet relay'"
        " and l.locktype not in ('advisory', 'virtualxid')"
    ).fetchall()
    assert locks == []
    private_broker.start()
    wait_until(lambda: drained(db, prefix), 120, "the backlog to drain")
    result = assert_delivered(db, queue.drain(), prefix)
    print(
        json.dumps(
            {
                "per_second_with_broker": round(with_broker),
                "without": round(without_broker),
                **result,
            }
        )
    )
