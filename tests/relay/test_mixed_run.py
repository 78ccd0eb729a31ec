"""A mixed run end to end: makes, commits, wins, rollbacks, refunds, settlements, discards,
markers and adjustments (two sessions per player at once, so one player's changes race each
other) reach a RabbitMQ consumer through ``wallet relay``, deduplicated and in each player's
order (the outbox's own events, one by one: ``tests/sql/test_events.py``).
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.support import provider as p
from tests.support.processes import wait_until
from tests.support.rabbitmq import (
    SHARED_AMQP_URL,
    EventQueue,
    RelayProcess,
    assert_delivered,
    drained,
    relay_conninfo,
)

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]


def mixed_life(db_url: str, player: str, rounds: int) -> None:
    """Makes, commits, wins, losses, refunds, rollbacks, settlements, discards and adjustments."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        for n in range(rounds):
            request = p.make(player, 100)
            made = p.call(conn, "bet/make", request).body
            kind = n % 5
            if kind == 0:
                p.call(conn, "bet/discard", p.discard(player, request["transaction"]["id"]))
                continue
            p.call(conn, "bet/commit", p.commit(made["id"]))
            if kind == 1:
                win = p.win(player, made["id"], 250)
                p.call(conn, "bet/win", win)
                p.call(
                    conn, "bet/rollback", p.rollback(player, made["id"], win["transaction"]["id"])
                )
                p.call(conn, "bet/lost", p.lost(player, made["id"]))
            elif kind == 2:
                p.call(conn, "bet/refund", p.refund(player, made["id"], 100))
            else:
                p.call(conn, "bet/lost", p.lost(player, made["id"]))
            p.call(conn, "bet/settlement", p.settlement(made["id"], "lost"))
            if kind == 3:
                conn.execute("select wallet.adjust_balance(%s, 'EUR', 50, 'bonus')", [player])
            if kind == 4:
                p.call(conn, "bet/discard", p.discard(player, p.new_id("make")))


def test_mixed_run_reaches_a_consumer_in_player_order(
    db: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    prefix = f"e{uuid.uuid4().hex[:8]}-"
    players = [f"{prefix}{i}" for i in range(4)]
    queue = EventQueue(SHARED_AMQP_URL, prefix).declare()
    relay = RelayProcess(relay_conninfo(db_url), SHARED_AMQP_URL, tmp_path)
    try:
        for player in players:
            db.execute("select wallet.create_player(%s, 'EUR', 100000)", [player])
        # two sessions per player at once, so one player's changes race each other
        workers = [
            threading.Thread(target=mixed_life, args=(db_url, player, 15))
            for player in players
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        wait_until(lambda: drained(db, prefix), 60, "the outbox to drain")
        deliveries = queue.drain()
        result = assert_delivered(db, deliveries, prefix)
        types = {d.event["type"] for d in deliveries}
        assert types >= {
            "player.created",
            "bet.made",
            "bet.committed",
            "bet.discarded",
            "bet.won",
            "bet.lost",
            "bet.refunded",
            "bet.rolled_back",
            "bet.settled",
            "balance.adjusted",
        }
        assert result["events"] > 300
    finally:
        relay.stop()
        queue.delete()
