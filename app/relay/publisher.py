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

One relay leads per database; others stand by and take over within ``standby_interval`` when
the leader's database session ends (a crash closes it at once). A single publisher on a single
channel keeps each player's events in id order, and the database guarantees that one player's
ids follow commit order. Between the read and the mark the relay holds no database lock at all
(each statement is its own autocommit transaction), so a slow or absent broker never slows a
route function: events simply wait in the outbox.

Faults: a failed publish or a lost broker connection leaves the batch unmarked, and it is
published again after reconnecting (consumers deduplicate by ``message_id``); a lost database
connection drops the lead. Either way the relay backs off (``min_backoff`` doubling up to
``max_backoff``) and reconnects by itself. SIGTERM stops it after the batch in hand is
published and marked.
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

log = logging.getLogger("wallet.relay")

EXCHANGE = "wallet.events"
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


async def connect_database(url: str) -> psycopg.AsyncConnection[TupleRow]:
    """An autocommit connection: every statement the relay runs is its own transaction."""
    conn = await psycopg.AsyncConnection.connect(
        url,
        autocommit=True,
        connect_timeout=5,
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
        application_name="wallet relay",
    )
    await conn.execute("set statement_timeout = '30s'")
    return conn


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
        except psycopg.OperationalError as error:
            self.metrics.errors.labels("database").inc()
            log.warning("database unavailable, reconnecting: %s", error)
            await self._close_database()
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
        if not self._leading:
            row = await (await database.execute("select wallet.relay_lead()")).fetchone()
            self._leading = bool(row and row[0])
            self.metrics.leading.set(1 if self._leading else 0)
            if not self._leading:
                return None
            log.info("leading: this relay publishes the outbox")
        exchange = await self._connected_exchange()  # no broker: leave the outbox alone
        rows = await (
            await database.execute(
                "select event_id, type, body from wallet.unpublished_events(%s)",
                [self.settings.batch_size],
            )
        ).fetchall()
        if not rows:
            return 0
        events: list[tuple[int, str, str]] = [(row[0], row[1], row[2]) for row in rows]
        confirmed, failure = await self._publish(exchange, events)
        if confirmed:
            await database.execute(
                "select wallet.mark_events_published(%s)", [[e[0] for e in events[:confirmed]]]
            )
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
                    mandatory=False,
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
            self._database = await connect_database(self.settings.database_url)
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
            self._channel = await self._broker.channel(publisher_confirms=True)
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
                    conn = await connect_database(self.settings.database_url)
                row = await (
                    await conn.execute(
                        "select unpublished, oldest_age from wallet.events_backlog()"
                    )
                ).fetchone()
                if row is not None:
                    self.metrics.backlog.set(row[0])
                    self.metrics.lag.set(row[1])
                backoff.reset()
                await asyncio.sleep(self.settings.backlog_interval)
            except psycopg.OperationalError:
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
