"""``wallet relay``: publish the outbox (``wallet_core.events``) to RabbitMQ.

The route functions write one event per committed change into the outbox, in their own
transaction. This long-running process publishes those rows to the topic exchange
``wallet.events`` and marks them published once the broker confirmed them:

    loop:
        lead?      select wallet.relay_lead()            (session advisory lock; else stand by)
        read       select ... from wallet.unpublished_events(batch)   (oldest id first, no locks)
        publish    one message per event, in id order, on one confirm-mode channel
        confirm    await every confirmation of the batch
        mark       select wallet.mark_events_published(ids)            (only what was confirmed)

Every message is published ``mandatory``: a message the broker cannot route to any queue (none
is bound for its routing key) comes back instead of being confirmed into nowhere. The relay then
leaves it, and everything after it, unmarked, counts it in ``wallet_relay_returned_total``,
logs an error naming the routing key, and tries again after a back-off: events wait in the
outbox until a queue is bound (or an alternate exchange is set on ``wallet.events`` by a broker
policy, which then receives what no queue takes).

One relay leads per database; others stand by and take over within ``standby_interval`` when
the leader's database session ends (a crash closes it at once). A single publisher on a single
channel keeps each player's events in id order, and the database guarantees that one player's
ids follow commit order. Between the read and the mark the relay holds no database lock at all
(each statement is its own autocommit transaction), so a slow or absent broker never slows a
route function: events simply wait in the outbox.

Faults: a failed publish or a lost broker connection leaves the batch unmarked, and it is
published again after reconnecting (consumers deduplicate by ``message_id``). Any database error
(a lost connection, a server shutting down, a read-only session on a standby: SQLSTATE 25006,
a call past its deadline) closes the database session, which drops the lead; events the broker
already confirmed but that could not be marked are kept in memory and marked first thing on the
next session, before anything is read or published again, so a database failover does not make
the relay republish them. Either way the relay backs off (``min_backoff`` doubling up to
``max_backoff``) and reconnects by itself; with a multi-host ``DATABASE_URL`` and
``target_session_attrs=read-write`` it reconnects to whichever host is the primary and can
commit (``app.primary.PrimaryConnection``). The batch is read so that its COMMIT waits for the
synchronous standby (``wallet.await_standbys()``): an event is published only once the standby
has it, so a failover never leaves the broker with an event the new primary never had.

Every database call has a deadline on the relay's side, the session's statement timeout
(``statement_timeout``, 30 s) plus ``call_margin``: past it the session's socket is shut down and
the call fails as a lost connection would. ``tcp_user_timeout`` and TCP keepalives end a session
whose server vanished. A publish waits at most ``publish_timeout`` for its confirmation.
SIGTERM stops the relay after the batch in hand is published and marked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import aio_pika
import aio_pika.abc
import aiormq.exceptions
import psycopg
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from psycopg.rows import TupleRow

from app.config import ConfigError
from app.primary import Deadline, PrimaryConnection

log = logging.getLogger("wallet.relay")

EXCHANGE = "wallet.events"
MARK_QUERY = "select wallet.mark_events_published(%s)"
UNPUBLISHED_QUERY = (
    "select event_id, type, body from wallet.unpublished_events(%s) where wallet.await_standbys()"
)
"""The batch to publish; ``wallet.await_standbys()`` (migration 0700) makes the read's COMMIT
wait for the synchronous standby, so that no event is published before the standby has it (on
an old primary back without its standby, the read never completes, and nothing is published)."""
AMQP_URL_VARIABLE = "WALLET_AMQP_URL"

BROKER_ERRORS: tuple[type[BaseException], ...] = (
    aiormq.exceptions.AMQPError,
    aiormq.exceptions.ChannelInvalidStateError,
    ConnectionError,
    OSError,
    TimeoutError,
)


@dataclass(frozen=True)
class RelaySettings:
    """What ``wallet relay`` needs; :meth:`from_environ` refuses to build it without URLs."""

    database_url: str
    amqp_url: str
    batch_size: int = 500
    poll_interval: float = 0.05
    standby_interval: float = 1.0
    backlog_interval: float = 1.0
    publish_timeout: float = 30.0
    statement_timeout: float = 30.0
    call_margin: float = 2.0
    min_backoff: float = 0.1
    max_backoff: float = 5.0
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = 9465
    log_level: str = "INFO"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> RelaySettings:
        env = os.environ if environ is None else environ
        amqp_url = env.get(AMQP_URL_VARIABLE, "").strip()
        if not amqp_url:
            raise ConfigError(
                f"{AMQP_URL_VARIABLE} is not set: `wallet relay` publishes the outbox to the "
                "RabbitMQ broker at that URL (e.g. amqp://guest:guest@127.0.0.1:5672/); "
                "until a relay runs, events wait in wallet.events"
            )
        database_url = env.get("DATABASE_URL", "").strip()
        if not database_url:
            raise ConfigError(
                "DATABASE_URL is not set: `wallet relay` reads the outbox from that database "
                "(give it the wallet_relay role)"
            )
        return cls(
            database_url=database_url,
            amqp_url=amqp_url,
            log_level=env.get("WALLET_LOG_LEVEL", "INFO").upper(),
        )

    def with_changes(self, **changes: object) -> RelaySettings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def call_deadline(self) -> float:
        """Seconds one database call may take on the relay's side."""
        return self.statement_timeout + self.call_margin


class RelayMetrics:
    """The relay's Prometheus metrics, in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.published = Counter(
            "wallet_relay_published",
            "Events the broker confirmed and the relay marked published (rate() = per second).",
            registry=self.registry,
        )
        self.errors = Counter(
            "wallet_relay_errors",
            "Failures the relay recovered from by backing off and reconnecting, by side.",
            ["side"],
            registry=self.registry,
        )
        self.lag = Gauge(
            "wallet_relay_lag_seconds",
            "Age of the oldest unpublished event (0 when the outbox is drained): what ops watch.",
            registry=self.registry,
        )
        self.backlog = Gauge(
            "wallet_relay_backlog_events",
            "Events waiting in the outbox.",
            registry=self.registry,
        )
        self.returned = Counter(
            "wallet_relay_returned",
            "Messages the broker returned as unroutable (no queue bound for their routing key); "
            "they stay in the outbox and are published again after a back-off.",
            registry=self.registry,
        )
        self.leading = Gauge(
            "wallet_relay_leading",
            "1 while this relay leads (publishes), 0 while it stands by.",
            registry=self.registry,
        )
        for side in ("database", "broker"):
            self.errors.labels(side)


class Backoff:
    """Doubling pauses between reconnection attempts, reset by a success."""

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.current = minimum

    def next(self) -> float:
        pause = self.current
        self.current = min(self.current * 2, self.maximum)
        return pause

    def reset(self) -> None:
        self.current = self.minimum


async def connect_database(settings: RelaySettings) -> psycopg.AsyncConnection[TupleRow]:
    """An autocommit connection: every statement the relay runs is its own transaction. The
    URL may name several hosts (tried in order; with ``target_session_attrs=read-write`` the
    first that accepts writes and can commit them: :class:`app.primary.PrimaryConnection`
    leaves an old primary whose synchronous standby no longer follows it)."""
    conn: psycopg.AsyncConnection[TupleRow] = await PrimaryConnection.connect(
        settings.database_url,
        autocommit=True,
        connect_timeout=5,
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
        tcp_user_timeout=round(settings.call_deadline * 1000),
        application_name="wallet relay",
    )
    await fetch(
        conn,
        settings.call_deadline,
        f"set statement_timeout = '{round(settings.statement_timeout * 1000)}ms'",
    )
    return conn


async def fetch(
    conn: psycopg.AsyncConnection[TupleRow],
    deadline: float,
    query: str,
    params: Sequence[object] | None = None,
) -> list[TupleRow]:
    """Run one statement and return its rows, within ``deadline`` seconds: past it the
    session's socket is shut down (a cancel request would wait for the server too) and the
    call fails with an OperationalError, as a lost connection does."""
    timer = Deadline(conn, deadline)
    try:
        cursor = await conn.execute(query, params)
        return await cursor.fetchall() if cursor.description is not None else []
    except psycopg.Error as error:
        if timer.end():
            raise psycopg.OperationalError(
                f"no answer from the database within {deadline:g} s"
            ) from error
        raise
    finally:
        if timer.end():  # answered just in time, but the socket is shut
            await conn.close()


class Relay:
    """The publishing loop; :meth:`run` until :meth:`stop`."""

    def __init__(self, settings: RelaySettings, metrics: RelayMetrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or RelayMetrics()
        self._stopping = asyncio.Event()
        self._database: psycopg.AsyncConnection[TupleRow] | None = None
        self._leading = False
        self._broker: aio_pika.abc.AbstractConnection | None = None
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._backoff = Backoff(settings.min_backoff, settings.max_backoff)
        self._unmarked: list[int] = []
        """Events the broker confirmed that could not be marked yet (the database failed)."""

    def stop(self) -> None:
        """Finish the batch in hand, then return from :meth:`run`."""
        self._stopping.set()

    async def run(self) -> None:
        watcher = asyncio.create_task(self._watch_backlog())
        try:
            while not self._stopping.is_set():
                pause = await self._step_with_recovery()
                if pause:
                    await self._pause(pause)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await self._close_broker()
            await self._close_database()

    async def _step_with_recovery(self) -> float:
        """One step; the pause before the next (0: at once, e.g. after a full batch)."""
        try:
            published = await self._step()
        except psycopg.Error as error:
            # Any database error: a lost session, a server shutting down, a read-only session
            # (25006: a standby), a call past its deadline. A new session (on the primary of a
            # multi-host URL) after a back-off; confirmed events are marked first thing there.
            self.metrics.errors.labels("database").inc()
            sqlstate = error.diag.sqlstate if error.diag else None
            log.warning("database error (sqlstate %s), reconnecting: %s", sqlstate, error)
            await self._close_database()
            return self._backoff.next()
        except aiormq.exceptions.PublishError as error:
            # Returned as unroutable: keep the connection, leave the event unmarked, retry later.
            self.metrics.returned.inc()
            log.error(
                "the broker returned event %s (routing key %r): no queue is bound to exchange %s "
                "for it; it stays in the outbox and is published again after a back-off",
                error.message.header.properties.message_id if error.message else None,
                getattr(error.message.delivery, "routing_key", None) if error.message else None,
                EXCHANGE,
            )
            return self._backoff.next()
        except BROKER_ERRORS as error:
            self.metrics.errors.labels("broker").inc()
            log.warning("broker unavailable, reconnecting: %r", error)
            await self._close_broker()
            return self._backoff.next()
        self._backoff.reset()
        if published is None:
            return self.settings.standby_interval
        return 0 if published == self.settings.batch_size else self.settings.poll_interval

    async def _step(self) -> int | None:
        """Publish one batch: how many events, or None while another relay leads."""
        database = await self._connected_database()
        deadline = self.settings.call_deadline
        if self._unmarked:  # confirmed by the broker before the last database failure
            await fetch(database, deadline, MARK_QUERY, [self._unmarked])
            self.metrics.published.inc(len(self._unmarked))
            log.info("marked %d events the broker had confirmed before", len(self._unmarked))
            self._unmarked = []
        if not self._leading:
            rows = await fetch(database, deadline, "select wallet.relay_lead()")
            self._leading = bool(rows and rows[0][0])
            self.metrics.leading.set(1 if self._leading else 0)
            if not self._leading:
                return None
            log.info("leading: this relay publishes the outbox")
        exchange = await self._connected_exchange()  # no broker: leave the outbox alone
        rows = await fetch(
            database,
            deadline,
            UNPUBLISHED_QUERY,
            [self.settings.batch_size],
        )
        if not rows:
            return 0
        events: list[tuple[int, str, str]] = [(row[0], row[1], row[2]) for row in rows]
        confirmed, failure = await self._publish(exchange, events)
        if confirmed:
            self._unmarked = [e[0] for e in events[:confirmed]]
            await fetch(database, deadline, MARK_QUERY, [self._unmarked])
            self._unmarked = []
            self.metrics.published.inc(confirmed)
        if failure is not None:
            raise failure
        return len(events)

    async def _publish(
        self, exchange: aio_pika.abc.AbstractExchange, events: Sequence[tuple[int, str, str]]
    ) -> tuple[int, BaseException | None]:
        """Publish in id order; (how many from the start were confirmed, the first failure).

        The publishes are started in id order and aiormq writes them to the channel in the
        order they take its lock (first come, first served), so the broker sees them in id
        order; their confirmations are awaited together.
        """
        publishes = [
            asyncio.create_task(
                exchange.publish(
                    aio_pika.Message(
                        body=body.encode(),
                        content_type="application/json",
                        message_id=str(event_id),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=kind,
                    mandatory=True,
                )
            )
            for event_id, kind, body in events
        ]
        _, pending = await asyncio.wait(publishes, timeout=self.settings.publish_timeout)
        for task in pending:
            task.cancel()
        confirmed = 0
        for task in publishes:
            if task in pending:
                return confirmed, TimeoutError(
                    f"the broker did not confirm within {self.settings.publish_timeout} s"
                )
            error = task.exception()
            if error is not None:
                for other in publishes:  # retrieve the others' exceptions: no asyncio warnings
                    if other.done() and not other.cancelled():
                        other.exception()
                return confirmed, error
            confirmed += 1
        return confirmed, None

    async def _connected_database(self) -> psycopg.AsyncConnection[TupleRow]:
        if self._database is None or self._database.closed or self._database.broken:
            await self._close_database()
            self._database = await connect_database(self.settings)
        return self._database

    async def _close_database(self) -> None:
        if self._leading:
            log.info("no longer leading: the database session ended")
        self._leading = False
        self.metrics.leading.set(0)
        if self._database is not None:
            with contextlib.suppress(Exception):
                await self._database.close()
            self._database = None

    async def _connected_exchange(self) -> aio_pika.abc.AbstractExchange:
        if self._broker is None or self._broker.is_closed or self._exchange is None:
            await self._close_broker()
            self._broker = await aio_pika.connect(self.settings.amqp_url, timeout=10)
            # on_return_raises: a returned (unroutable) message fails its publish with
            # PublishError instead of counting as confirmed
            self._channel = await self._broker.channel(
                publisher_confirms=True, on_return_raises=True
            )
            self._exchange = await self._channel.declare_exchange(
                EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
            )
            log.info("connected to the broker; exchange %s declared", EXCHANGE)
        elif self._channel is None or self._channel.is_closed:
            await self._close_broker()
            return await self._connected_exchange()
        return self._exchange

    async def _close_broker(self) -> None:
        self._exchange = None
        self._channel = None
        if self._broker is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._broker.close(), timeout=5)
            self._broker = None

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once on stop()."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _watch_backlog(self) -> None:
        """Refresh the lag and backlog gauges, on a connection of its own, leader or not."""
        conn: psycopg.AsyncConnection[TupleRow] | None = None
        backoff = Backoff(self.settings.min_backoff, self.settings.max_backoff)
        while True:
            try:
                if conn is None or conn.closed or conn.broken:
                    conn = await connect_database(self.settings)
                rows = await fetch(
                    conn,
                    self.settings.call_deadline,
                    "select unpublished, oldest_age from wallet.events_backlog()",
                )
                if rows:
                    self.metrics.backlog.set(rows[0][0])
                    self.metrics.lag.set(rows[0][1])
                backoff.reset()
                await asyncio.sleep(self.settings.backlog_interval)
            except psycopg.Error:
                self.metrics.errors.labels("database").inc()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
                conn = None
                await asyncio.sleep(backoff.next())
            except asyncio.CancelledError:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
                raise


def run_relay(settings: RelaySettings) -> int:
    """Serve metrics, run the relay until SIGTERM or SIGINT, return the exit status."""
    metrics = RelayMetrics()
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, settings.metrics_host, registry=metrics.registry)
        log.info("metrics on http://%s:%s/metrics", settings.metrics_host, settings.metrics_port)

    async def main() -> None:
        relay = Relay(settings, metrics)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, relay.stop)
        log.info("relay started: publishing to exchange %s", EXCHANGE)
        await relay.run()
        log.info("relay stopped")

    asyncio.run(main())
    return 0
