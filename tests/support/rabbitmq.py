"""A real RabbitMQ for the events tests: a queue of the test's own, relays as processes, a
private broker to stop and start.

The shared broker is the one ``.ci/run`` starts on 127.0.0.1:5672 (guest/guest), or the one
``WALLET_TEST_AMQP_URL`` names. Other test runs publish to the same ``wallet.events`` exchange
at the same time, so each test binds a queue of its own and keeps only the events of its own
players (a unique player-id prefix).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import psycopg

from app.relay.publisher import EXCHANGE
from tests.support import ROOT
from tests.support.processes import free_port, wait_until

SHARED_AMQP_URL = os.environ.get("WALLET_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@dataclass(frozen=True)
class Delivery:
    """One message as a consumer received it."""

    routing_key: str
    message_id: str | None
    content_type: str | None
    delivery_mode: int | None
    exchange: str
    event: dict[str, Any]


class EventQueue:
    """A durable queue of the test's own, bound to ``wallet.events`` for every routing key.

    Declared before any relay publishes (a message reaches only the queues bound when it is
    routed); read at the end with :meth:`drain`, in the order the broker enqueued.
    """

    def __init__(self, amqp_url: str, player_prefix: str) -> None:
        self.amqp_url = amqp_url
        self.player_prefix = player_prefix
        self.name = f"wallet-events-test-{uuid.uuid4().hex[:12]}"

    async def _declare(self) -> None:
        connection = await aio_pika.connect(self.amqp_url, timeout=10)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(
                EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(self.name, durable=True)
            await queue.bind(exchange, routing_key="#")

    def declare(self) -> EventQueue:
        asyncio.run(self._declare())
        return self

    async def _drain(self) -> list[Delivery]:
        deliveries = []
        connection = await aio_pika.connect(self.amqp_url, timeout=10)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(self.name, durable=True)
            while (message := await queue.get(no_ack=True, fail=False, timeout=10)) is not None:
                event = json.loads(message.body)
                if not str(event.get("player_id", "")).startswith(self.player_prefix):
                    continue  # another test's event, through the shared exchange
                deliveries.append(
                    Delivery(
                        routing_key=message.routing_key or "",
                        message_id=message.message_id,
                        content_type=message.content_type,
                        delivery_mode=int(message.delivery_mode)
                        if message.delivery_mode is not None
                        else None,
                        exchange=message.exchange or "",
                        event=event,
                    )
                )
        return deliveries

    def drain(self) -> list[Delivery]:
        """Every message waiting in the queue (of this test's players), in queue order."""
        return asyncio.run(self._drain())

    async def _delete(self) -> None:
        connection = await aio_pika.connect(self.amqp_url, timeout=10)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(self.name)

    def delete(self) -> None:
        asyncio.run(self._delete())


def relay_conninfo(db_url: str) -> str:
    """The test database, as the relay's least-privilege role."""
    return psycopg.conninfo.make_conninfo(db_url, user="wallet_relay", password="")


class RelayProcess:
    """``wallet relay`` as its own process, as production runs it."""

    def __init__(self, database_url: str, amqp_url: str, log_dir: Path, *args: str) -> None:
        self.metrics_port = free_port()
        self.log_path = log_dir / f"relay-{uuid.uuid4().hex[:8]}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "WALLET_AMQP_URL": amqp_url,
            "WALLET_LOG_LEVEL": "INFO",
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "app.cli",
                    "relay",
                    "--metrics-port",
                    str(self.metrics_port),
                    *args,
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def metrics(self) -> str:
        import urllib.request

        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())

    def metric(self, name: str) -> float | None:
        """A sample's value; None when the process does not answer or has no such sample."""
        for attempt in range(3):
            try:
                text = self.metrics()
                break
            except OSError:
                if self.process.poll() is not None or attempt == 2:
                    return None
                time.sleep(0.2)
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class PrivateBroker:
    """A RabbitMQ node of the test's own, on free loopback ports, that a test may stop and
    start without disturbing the shared broker other tests use."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="wallet-rabbitmq-"))
        self.port = free_port()
        self.dist_port = free_port()
        self.node = f"wallet-test-{uuid.uuid4().hex[:8]}@localhost"
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        (self.base / "enabled_plugins").write_text("[].\n")
        shutil.chown(self.base, "rabbitmq")
        for path in self.base.iterdir():
            shutil.chown(path, "rabbitmq")
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "HOME": "/var/lib/rabbitmq",
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
        }
        with (self.base / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["runuser", "-u", "rabbitmq", "--", "/usr/lib/rabbitmq/bin/rabbitmq-server"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self.accepts_connections, timeout, f"RabbitMQ {self.node} to listen")

    def accepts_connections(self) -> bool:
        if not self.listening():
            return False

        async def connect() -> bool:
            try:
                connection = await aio_pika.connect(self.url, timeout=2)
            except Exception:
                return False
            await connection.close()
            return True

        return asyncio.run(connect())

    def listening(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        """Stop the node (SIGTERM: RabbitMQ shuts down cleanly) and wait until it is gone."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
        wait_until(lambda: not self.listening(), 30, "the private broker to stop listening")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def first_deliveries(deliveries: Iterable[Delivery]) -> list[Delivery]:
    """What a consumer keeps after deduplicating by message_id: each first delivery."""
    seen: set[str | None] = set()
    kept = []
    for delivery in deliveries:
        if delivery.message_id in seen:
            continue
        seen.add(delivery.message_id)
        kept.append(delivery)
    return kept


def by_player(event_ids: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    """(player, event_id) pairs in arrival order, grouped by player."""
    grouped: dict[str, list[int]] = {}
    for player, event_id in event_ids:
        grouped.setdefault(player, []).append(event_id)
    return grouped


def counts(db: psycopg.Connection, prefix: str) -> tuple[int, int]:
    """(published, unpublished) events of the test's players."""
    row = db.execute(
        "select count(published_at), count(*) - count(published_at) from wallet.events"
        " where player_id like %s",
        [prefix + "%"],
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def drained(db: psycopg.Connection, prefix: str) -> bool:
    return counts(db, prefix)[1] == 0


def assert_delivered(
    db: psycopg.Connection, deliveries: list[Delivery], prefix: str
) -> dict[str, int]:
    """The consumer's list, deduplicated by message_id, equals wallet.events for the test's
    players and keeps each player's order; every message carries the contract's properties."""
    rows = db.execute(
        "select event_id, player_id, body, published_at from wallet.events"
        " where player_id like %s order by event_id",
        [prefix + "%"],
    ).fetchall()
    assert rows, "the test produced no events"
    assert all(row[3] is not None for row in rows), "an event is still unpublished"
    bodies = {row[0]: row[2] for row in rows}
    for delivery in deliveries:
        event_id = delivery.event["event_id"]
        assert delivery.message_id == str(event_id)
        assert delivery.routing_key == delivery.event["type"]
        assert delivery.exchange == "wallet.events"
        assert delivery.content_type == "application/json"
        assert delivery.delivery_mode == 2  # persistent
        assert delivery.event == bodies[event_id]
    firsts = first_deliveries(deliveries)
    assert sorted(int(d.message_id or 0) for d in firsts) == [row[0] for row in rows]
    assert by_player((d.event["player_id"], d.event["event_id"]) for d in firsts) == by_player(
        (row[1], row[0]) for row in rows
    )
    return {"events": len(rows), "duplicates": len(deliveries) - len(firsts)}
