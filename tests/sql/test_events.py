"""The outbox: every route and DBA function writes exactly the contract's event for a committed
change, and none for a replay, a refusal, a malformed request or a read.

Each check runs one call and compares the events it added (``wallet.events`` after the last
event id seen before the call) with the exact expected list. The last test checks the order of
one player's events under concurrency. The same events end to end, through the relay to a
RabbitMQ consumer: ``tests/relay/test_mixed_run.py``.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import psycopg
import psycopg.errors
import pytest

from tests.support import provider as p
from tests.support.processes import wait_until


class Outbox:
    """Reads what a call added to the outbox."""

    def __init__(self, db: psycopg.Connection) -> None:
        self.db = db
        self.seen = self._last()

    def _last(self) -> int:
        row = self.db.execute(
            "select coalesce(max(event_id), 0) from wallet_core.events"
        ).fetchone()
        assert row is not None
        return int(row[0])

    def added(self) -> list[dict[str, Any]]:
        """The events added since the last look, oldest first, without event_id/occurred_at
        (checked here: increasing ids, RFC 3339 UTC timestamps)."""
        rows = self.db.execute(
            "select event_id, body from wallet.events where event_id > %s order by event_id",
            [self.seen],
        ).fetchall()
        self.seen = self._last()
        events = []
        for event_id, body in rows:
            assert body["event_id"] == event_id
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", body["occurred_at"])
            events.append({k: v for k, v in body.items() if k not in ("event_id", "occurred_at")})
        return events


def event(
    type: str,
    player: str,
    currency: str | None,
    amount: int,
    balance: int | None,
    *,
    operation_id: str | None = None,
    bet_id: str | None = None,
    transaction_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "type": type,
        "player_id": player,
        "currency": currency,
        "amount": amount,
        "balance": balance,
        "operation_id": operation_id,
        "bet_id": bet_id,
        "transaction_id": transaction_id,
        "detail": detail or {},
    }


@pytest.fixture
def outbox(db: psycopg.Connection) -> Outbox:
    return Outbox(db)


def dba_error(db: psycopg.Connection, statement: str, *args: object) -> str | None:
    """Run a DBA call that must be refused; its SQLSTATE."""
    with pytest.raises(psycopg.Error) as refused:
        db.execute(statement, list(args))
    return refused.value.diag.sqlstate


# DBA functions --------------------------------------------------------------------------------


def test_create_player(db: psycopg.Connection, outbox: Outbox) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 1000)")
    assert outbox.added() == [event("player.created", "p", "EUR", 1000, 1000)]
    db.execute("select wallet.create_player('p', 'USD')")
    assert outbox.added() == [event("player.created", "p", "USD", 0, 0)]

    assert dba_error(db, "select wallet.create_player('p', 'EUR', 5)") == "WA207"
    assert dba_error(db, "select wallet.create_player('q', 'euro', 5)") == "WA202"
    assert dba_error(db, "select wallet.create_player('q', 'EUR', -5)") == "WA204"
    assert dba_error(db, "select wallet.create_player('', 'EUR', 5)") == "WA204"
    assert outbox.added() == []


def test_adjust_balance(db: psycopg.Connection, outbox: Outbox) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 1000)")
    outbox.added()
    db.execute("select wallet.adjust_balance('p', 'EUR', 500, 'cashier #1')")
    db.execute("select wallet.adjust_balance('p', 'EUR', -1200, 'withdrawal #2')")
    assert outbox.added() == [
        event("balance.adjusted", "p", "EUR", 500, 1500, detail={"reason": "cashier #1"}),
        event("balance.adjusted", "p", "EUR", -1200, 300, detail={"reason": "withdrawal #2"}),
    ]
    assert dba_error(db, "select wallet.adjust_balance('p', 'EUR', -301, 'too much')") == "WA201"
    assert dba_error(db, "select wallet.adjust_balance('p', 'EUR', 0, 'nothing')") == "WA204"
    assert dba_error(db, "select wallet.adjust_balance('p', 'EUR', 5, ' ')") == "WA204"
    assert dba_error(db, "select wallet.adjust_balance('p', 'USD', 5, 'x')") == "WA202"
    assert dba_error(db, "select wallet.adjust_balance('nobody', 'EUR', 5, 'x')") == "WA006"
    assert outbox.added() == []


def test_block_and_unblock_only_when_the_flag_changes(
    db: psycopg.Connection, outbox: Outbox
) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 10)")
    db.execute("select wallet.create_player('p', 'USD', 20)")
    outbox.added()
    db.execute("select wallet.block_player('p')")
    assert outbox.added() == [event("player.blocked", "p", None, 0, None)]  # one, not per account
    db.execute("select wallet.block_player('p')")
    assert outbox.added() == []
    db.execute("select wallet.unblock_player('p')")
    assert outbox.added() == [event("player.unblocked", "p", None, 0, None)]
    db.execute("select wallet.unblock_player('p')")
    assert outbox.added() == []
    assert dba_error(db, "select wallet.block_player('nobody')") == "WA006"
    assert dba_error(db, "select wallet.unblock_player('nobody')") == "WA006"
    assert outbox.added() == []


def test_reads_write_no_event(db: psycopg.Connection, outbox: Outbox) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 10)")
    outbox.added()
    db.execute("select wallet.balance('p', 'EUR')")
    db.execute("select * from wallet.audit()")
    assert p.call(db, "balance", p.balance("p")).status == 200
    assert p.call(db, "balance", p.balance("nobody")).status == 400
    assert outbox.added() == []


# Provider routes ------------------------------------------------------------------------------


def made_bet(db: psycopg.Connection, player: str, stake: int, **kwargs: Any) -> tuple[dict, Any]:
    request = p.make(player, stake, **kwargs)
    answer = p.call(db, "bet/make", request)
    assert answer.status == 200, answer.text
    return request, answer.body


def test_bet_make(db: psycopg.Connection, outbox: Outbox) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 10000)")
    outbox.added()
    request = p.make("p", 1500, selections=[p.selection(1), p.selection(2)])
    answer = p.call(db, "bet/make", request).body
    tx = request["transaction"]["id"]
    assert outbox.added() == [
        event(
            "bet.made",
            "p",
            "EUR",
            -1500,
            8500,
            operation_id=answer["id"],
            bet_id=answer["id"],
            transaction_id=tx,
            detail={"betslip_id": f"slip-{tx}", "stake": 1500, "odds": "1.85", "selections": 2},
        )
    ]
    # A replay, an idempotency conflict, and every refusal: no event.
    assert p.call(db, "bet/make", request).body == answer
    conflicting = p.make("p", 1600, tx=tx)
    assert p.call(db, "bet/make", conflicting).code == 2004
    assert p.call(db, "bet/make", p.make("p", 9000)).code == 2001
    assert p.call(db, "bet/make", p.make("p", 10, currency="USD")).code == 2002
    assert p.call(db, "bet/make", p.make("nobody", 10)).code == 1006
    malformed = p.make("p", 10)
    del malformed["betslip"]["bets"]
    assert p.call(db, "bet/make", malformed).code == 2004
    db.execute("select wallet.block_player('p')")
    outbox.added()
    assert p.call(db, "bet/make", p.make("p", 10)).code == 1005
    assert outbox.added() == []


def test_bet_commit(db: psycopg.Connection, outbox: Outbox) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 1000)")
    request, made = made_bet(db, "p", 100)
    outbox.added()
    answer = p.call(db, "bet/commit", p.commit(made["id"])).body
    assert outbox.added() == [
        event(
            "bet.committed",
            "p",
            "EUR",
            0,
            900,
            operation_id=answer["id"],
            bet_id=made["id"],
            transaction_id=request["transaction"]["id"],
        )
    ]
    assert p.call(db, "bet/commit", p.commit(made["id"])).body == answer  # replay
    assert p.call(db, "bet/commit", p.commit("999999")).code == 2003
    assert outbox.added() == []


def test_bet_discard_returns_the_stake_or_leaves_a_marker(
    db: psycopg.Connection, outbox: Outbox
) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 1000)")
    request, made = made_bet(db, "p", 300)
    tx = request["transaction"]["id"]
    outbox.added()
    discard = p.discard("p", tx, "odds changed")
    answer = p.call(db, "bet/discard", discard).body
    assert outbox.added() == [
        event(
            "bet.discarded",
            "p",
            "EUR",
            300,
            1000,
            operation_id=answer["id"],
            bet_id=made["id"],
            transaction_id=tx,
            detail={"reason": "odds changed", "marker": False},
        )
    ]
    assert p.call(db, "bet/discard", discard).body == answer  # replay
    assert outbox.added() == []

    never_made = p.new_id("make")
    answer = p.call(db, "bet/discard", p.discard("p", never_made, "rejected")).body
    assert outbox.added() == [
        event(
            "bet.discarded",
            "p",
            "EUR",
            0,
            1000,
            operation_id=answer["id"],
            transaction_id=never_made,
            detail={"reason": "rejected", "marker": True},
        )
    ]
    # The make arriving after its discard is refused: no event.
    assert p.call(db, "bet/make", p.make("p", 10, tx=never_made)).code == 2004
    assert p.call(db, "bet/discard", p.discard("nobody", p.new_id("make"))).code == 1006
    assert outbox.added() == []


@pytest.mark.parametrize(
    ("route", "amount", "type", "result", "cashout"),
    [
        ("bet/win", 700, "bet.won", "won", False),
        ("bet/win", 250, "bet.won", "cashed_out", True),
        ("bet/lost", 0, "bet.lost", "lost", False),
        ("bet/refund", 400, "bet.refunded", "refunded", False),
    ],
)
def test_settling_routes(
    db: psycopg.Connection,
    outbox: Outbox,
    route: str,
    amount: int,
    type: str,
    result: str,
    cashout: bool,
) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 1000)")
    db.execute("select wallet.create_player('q', 'EUR', 1000)")
    _, made = made_bet(db, "p", 400)
    outbox.added()
    if route == "bet/win":
        request = p.win("p", made["id"], amount, cashout=cashout)
    elif route == "bet/lost":
        request = p.lost("p", made["id"])
    else:
        request = p.refund("p", made["id"], amount)
    answer = p.call(db, route, request).body
    assert outbox.added() == [
        event(
            type,
            "p",
            "EUR",
            amount,
            600 + amount,
            operation_id=answer["id"],
            bet_id=made["id"],
            transaction_id=request["transaction"]["id"],
            detail={"result": result},
        )
    ]
    assert p.call(db, route, request).body == answer  # replay
    again = p.win("p", made["id"], 5)  # the bet is settled: 2004, stored
    assert p.call(db, "bet/win", again).code == 2004
    assert p.call(db, "bet/win", p.win("p", "999999", 5)).code == 2003
    assert p.call(db, "bet/lost", p.lost("q", made["id"])).code == 2004  # another player's
    assert p.call(db, "bet/win", p.win("p", made["id"], 5, currency="USD")).code == 2002
    assert outbox.added() == []


def test_rollback_and_settlement(db: psycopg.Connection, outbox: Outbox) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 1000)")
    request, made = made_bet(db, "p", 400)
    win = p.win("p", made["id"], 900)
    assert p.call(db, "bet/win", win).status == 200
    outbox.added()
    rollback = p.rollback("p", made["id"], win["transaction"]["id"])
    answer = p.call(db, "bet/rollback", rollback).body
    assert outbox.added() == [
        event(
            "bet.rolled_back",
            "p",
            "EUR",
            -900,
            600,
            operation_id=answer["id"],
            bet_id=made["id"],
            transaction_id=rollback["transaction"]["id"],
            detail={"result": "won", "settlement_transaction_id": win["transaction"]["id"]},
        )
    ]
    assert p.call(db, "bet/rollback", rollback).body == answer  # replay
    stale = p.rollback("p", made["id"], win["transaction"]["id"])  # nothing settled now: 2004
    assert p.call(db, "bet/rollback", stale).code == 2004
    assert outbox.added() == []

    lost = p.lost("p", made["id"])
    assert p.call(db, "bet/lost", lost).status == 200
    outbox.added()
    answer = p.call(db, "bet/settlement", p.settlement(made["id"], "lost")).body
    assert outbox.added() == [
        event(
            "bet.settled",
            "p",
            "EUR",
            0,
            600,
            operation_id=answer["id"],
            bet_id=made["id"],
            transaction_id=request["transaction"]["id"],  # what the answer names
            detail={"result": "lost", "status": "lost"},
        )
    ]
    assert p.call(db, "bet/settlement", p.settlement(made["id"], "lost")).body == answer
    assert p.call(db, "bet/settlement", p.settlement("999999", "lost")).code == 2003
    assert outbox.added() == []


# Order ----------------------------------------------------------------------------------------


def test_one_players_events_follow_commit_order_across_currencies(
    db: psycopg.Connection, db_url: str
) -> None:
    """A change in USD waits for the same player's uncommitted change in EUR before it takes
    its event id (the account locks alone would let it pass and commit first)."""
    db.execute("select wallet.create_player('p', 'EUR', 1000)")
    db.execute("select wallet.create_player('p', 'USD', 1000)")
    # The slips' sports, categories and tournaments exist beforehand, so neither make waits
    # for the other's insert of them.
    assert p.call(db, "bet/make", p.make("p", 1, currency="EUR")).status == 200
    first = psycopg.connect(db_url)
    try:
        p.call(
            first, "bet/make", p.make("p", 10, currency="EUR")
        )  # open transaction: not committed
        first_pid = first.info.backend_pid
        second_done: list[p.Answer] = []

        def second_make() -> None:
            with psycopg.connect(db_url, autocommit=True) as conn:
                second_done.append(p.call(conn, "bet/make", p.make("p", 20, currency="USD")))

        second = threading.Thread(target=second_make)
        second.start()
        wait_until(
            lambda: (
                db.execute(
                    "select wait_event from pg_stat_activity where %s = any(pg_blocking_pids(pid))",
                    [first_pid],
                ).fetchall()
                == [("advisory",)]
            ),
            30,
            "the USD make to wait on the player's event lock",
        )
        first.commit()
        second.join(timeout=30)
        assert [answer.status for answer in second_done] == [200]
    finally:
        first.close()
    rows = db.execute(
        "select currency from wallet.events where type = 'bet.made' order by event_id"
    ).fetchall()
    assert rows == [("EUR",), ("EUR",), ("USD",)]
