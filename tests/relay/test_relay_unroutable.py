"""No event is confirmed into nowhere: with no queue bound to ``wallet.events``, the broker
returns every message (they are published ``mandatory``), and the relay leaves them in the
outbox, counted and logged, until a queue is bound; then they are delivered, in order.

On a private broker of the test's own: on the shared one other tests' queues are bound."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.processes import wait_until
from tests.support.rabbitmq import (
    EventQueue,
    PrivateBroker,
    RelayProcess,
    assert_delivered,
    counts,
    drained,
    relay_conninfo,
)

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]


@pytest.fixture(scope="module")
def broker() -> Iterator[PrivateBroker]:
    private = PrivateBroker()
    private.start()
    yield private
    private.remove()


def test_with_no_queue_bound_events_stay_in_the_outbox_until_one_is(
    db: psycopg.Connection, db_url: str, broker: PrivateBroker, tmp_path: Path
) -> None:
    prefix = f"u{uuid.uuid4().hex[:8]}-"
    players = [f"{prefix}p{i}" for i in range(3)]
    for player in players:
        db.execute("select wallet.create_player(%s, 'EUR', 0)", [player])
        db.execute("select wallet.adjust_balance(%s, 'EUR', 5, 'unroutable test')", [player])
    relay = RelayProcess(relay_conninfo(db_url), broker.url, tmp_path)
    queue = EventQueue(broker.url, prefix)
    try:
        wait_until(
            lambda: (relay.metric("wallet_relay_returned_total") or 0) >= 2,
            60,
            "the broker to return the relay's messages, twice",
        )
        time.sleep(0.5)  # and a few more attempts (the back-off starts at 0.1 s)
        assert counts(db, prefix) == (0, 6)  # nothing marked published
        assert relay.metric("wallet_relay_published_total") == 0
        assert relay.process.poll() is None, relay.log()
        assert "no queue is bound to exchange wallet.events" in relay.log()

        queue.declare()  # a consumer binds its queue: the outbox drains into it
        wait_until(lambda: drained(db, prefix), 60, "the outbox to drain")
        result = assert_delivered(db, queue.drain(), prefix)
        assert result["events"] == 6
    finally:
        relay.stop()
        queue.delete()
