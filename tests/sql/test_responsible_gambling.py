"""Responsible gambling in the database (docs/contract/operator.md sections 1 and 2): limits on
both sides of every edge, rolling windows, cooling-off, exclusions, sessions, the history, the
events, the audit, and twenty makes at once against one limit.

Time moves through the steerable clock of ``tests/sql/clock.py``, never through sleeps.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import psycopg.errors
import pytest

from tests.sql import clock
from tests.support import provider as p
from tests.support.database import audit_findings
from tests.support.provider import Answer, call

T0 = datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC)
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


@pytest.fixture
def rg(db: psycopg.Connection) -> psycopg.Connection:
    """The database with a steerable clock at T0 and a player ``alice`` (EUR 1,000,000)."""
    clock.install(db)
    clock.set_clock(db, T0)
    db.execute("select wallet.create_player('alice', 'EUR', 1000000)")
    return db


def at(db: psycopg.Connection, when: datetime) -> None:
    clock.set_clock(db, when)


def make(db: psycopg.Connection, amount: int, **kwargs: Any) -> Answer:
    return call(db, "bet/make", p.make(kwargs.pop("player", "alice"), amount, **kwargs))


def set_limit(db: psycopg.Connection, kind: str, amount: int, currency: str = "EUR") -> Any:
    return db.execute(
        "select wallet.set_limit('alice', %s, %s, %s, 'player asked')", [currency, kind, amount]
    ).fetchone()[0]


def limits(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    return db.execute("select * from wallet.limits('alice')").fetchall()


def audit(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    return audit_findings(db)


# Every kind, on both sides of its edge ------------------------------------------------------


def test_stake_per_bet_edge(rg: psycopg.Connection) -> None:
    set_limit(rg, "stake_per_bet", 500)
    over = make(rg, 501)
    assert over.code == 4001
    assert over.body["message"] == (
        "limit stake_per_bet: the stake 501 is above the limit of 500 EUR"
    )
    assert make(rg, 500).status == 200
    assert make(rg, 500).status == 200  # per bet: no window


@pytest.mark.parametrize("window", list(WINDOWS))
def test_stake_window_edge(rg: psycopg.Connection, window: str) -> None:
    set_limit(rg, f"stake_{window}", 1000)
    assert make(rg, 600).status == 200
    at(rg, T0 + timedelta(hours=1))
    over = make(rg, 401)
    assert over.code == 4001
    span = {"24h": "24 hours", "7d": "7 days", "30d": "30 days"}[window]
    assert over.body["message"] == (
        f"limit stake_{window}: stakes in the last {span} would be 1001,"
        " above the limit of 1000 EUR"
    )
    assert make(rg, 400).status == 200
    assert make(rg, 1).code == 4001


@pytest.mark.parametrize("window", list(WINDOWS))
def test_loss_window_edge(rg: psycopg.Connection, window: str) -> None:
    """Losses are stakes minus credits (wins, refunds, discards, less rollbacks), this make's
    stake counted as lost."""
    set_limit(rg, f"loss_{window}", 1000)
    first = make(rg, 800).body["id"]
    win = p.win("alice", first, 300)
    assert call(rg, "bet/win", win).status == 200  # losses 500
    assert make(rg, 501).code == 4001
    second = p.make("alice", 500)
    assert call(rg, "bet/make", second).status == 200  # losses 1000
    assert make(rg, 1).code == 4001
    # a discard of an open bet credits its stake back: losses 500
    discard = p.discard("alice", second["transaction"]["id"])
    assert call(rg, "bet/discard", discard).status == 200
    assert make(rg, 501).code == 4001
    assert make(rg, 500).status == 200  # losses 1000
    # a rollback of the win takes the credit back: losses 1300, not even a stake of 0 fits
    rollback = p.rollback("alice", first, win["transaction"]["id"])
    assert call(rg, "bet/rollback", rollback).status == 200
    assert make(rg, 0).code == 4001


def test_bets_24h_edge(rg: psycopg.Connection) -> None:
    set_limit(rg, "bets_24h", 3)
    for _ in range(3):
        assert make(rg, 10).status == 200
    over = make(rg, 10)
    assert over.code == 4001
    assert over.body["message"] == (
        "limit bets_24h: bets in the last 24 hours would be 4, above the limit of 3"
    )


@pytest.mark.parametrize(
    ("kind", "window"), [(k, w) for k in ("stake", "loss") for w in WINDOWS] + [("bets", "24h")]
)
def test_a_make_leaves_the_window_at_its_anniversary(
    rg: psycopg.Connection, kind: str, window: str
) -> None:
    """Never before its anniversary, at most one minute after it."""
    set_limit(rg, f"{kind}_{window}", 1 if kind == "bets" else 1000)
    assert make(rg, 1 if kind == "bets" else 1000).status == 200
    anniversary = T0 + WINDOWS[window]
    for moment in (anniversary - timedelta(seconds=1), anniversary):
        at(rg, moment)
        assert make(rg, 1).code == 4001, moment
    at(rg, anniversary + timedelta(minutes=1))
    assert make(rg, 1).status == 200


def test_late_win_counts_when_it_arrives(rg: psycopg.Connection) -> None:
    """A win three days after its bet is a credit of the day it arrives: it lowers the 24 h
    losses of that day, not those of the day of the bet."""
    set_limit(rg, "loss_7d", 1000)
    bet = make(rg, 1000).body["id"]
    at(rg, T0 + timedelta(days=3))
    assert make(rg, 1).code == 4001
    assert call(rg, "bet/win", p.win("alice", bet, 400)).status == 200
    assert make(rg, 401).code == 4001
    assert make(rg, 400).status == 200
    # the bet leaves the 7 d window; the win (3 days later) stays: losses -400 + 400 = 0
    at(rg, T0 + timedelta(days=7, minutes=1))
    assert make(rg, 1000).status == 200
    assert make(rg, 1).code == 4001


def test_makes_before_the_first_limit_count(rg: psycopg.Connection) -> None:
    """The counters start from the journal when the first limit is set."""
    assert make(rg, 700).status == 200
    at(rg, T0 + timedelta(hours=2))
    set_limit(rg, "stake_24h", 1000)
    assert make(rg, 301).code == 4001
    assert make(rg, 300).status == 200


def test_purging_old_counters_changes_no_window(rg: psycopg.Connection) -> None:
    set_limit(rg, "stake_30d", 1000)
    for days, amount in ((0, 100), (1, 200), (10, 300)):
        at(rg, T0 + timedelta(days=days))
        assert make(rg, amount).status == 200
    at(rg, T0 + timedelta(days=40))
    rows = rg.execute("select count(*) from wallet_core.limit_counters").fetchone()
    assert rows == (3,)
    # older than 31 days: the rows of day 0 and day 1; the newest of them stays
    assert rg.execute("select wallet.purge_limit_counters()").fetchone() == (1,)
    assert make(rg, 701).code == 4001  # 300 of day 10 + 701
    assert make(rg, 700).status == 200
    assert make(rg, 1).code == 4001
    with pytest.raises(psycopg.Error) as short:
        rg.execute("select wallet.purge_limit_counters('30 days')")
    assert short.value.sqlstate == "WA204"


def test_other_currency_has_its_own_limits(rg: psycopg.Connection) -> None:
    rg.execute("select wallet.create_player('alice', 'USD', 5000)")
    set_limit(rg, "stake_per_bet", 10)
    assert make(rg, 11).code == 4001
    assert make(rg, 11, currency="USD").status == 200


# Stored and replayed ----------------------------------------------------------------------------


def test_a_4001_is_replayed_byte_for_byte_after_the_limit_went(rg: psycopg.Connection) -> None:
    set_limit(rg, "stake_per_bet", 100)
    request = p.make("alice", 150)
    refused = call(rg, "bet/make", request)
    assert refused.code == 4001
    rg.execute("select wallet.set_setting('cooling_off', '0', 'test')")
    rg.execute("select wallet.remove_limit('alice', 'EUR', 'stake_per_bet', 'player asked')")
    assert limits(rg) == []
    assert call(rg, "bet/make", request) == refused
    assert rg.execute("select count(*) from wallet_core.bets").fetchone() == (0,)
    assert make(rg, 150).status == 200


def test_settlements_are_never_refused_for_a_limit(rg: psycopg.Connection) -> None:
    bets = [make(rg, 100).body["id"] for _ in range(4)]
    open_make = p.make("alice", 100)
    assert call(rg, "bet/make", open_make).status == 200
    set_limit(rg, "stake_per_bet", 0)
    set_limit(rg, "loss_24h", 0)
    rg.execute("select wallet.exclude_player('alice', null, 'self-exclusion')")
    win = p.win("alice", bets[0], 250)
    assert call(rg, "bet/commit", p.commit(bets[0])).status == 200
    assert call(rg, "bet/win", win).status == 200
    rollback = p.rollback("alice", bets[0], win["transaction"]["id"])
    assert call(rg, "bet/rollback", rollback).status == 200
    assert call(rg, "bet/win", p.win("alice", bets[0], 300)).status == 200
    assert call(rg, "bet/settlement", p.settlement(bets[0], "won")).status == 200
    assert call(rg, "bet/lost", p.lost("alice", bets[1])).status == 200
    assert call(rg, "bet/refund", p.refund("alice", bets[2], 100)).status == 200
    assert call(rg, "bet/discard", p.discard("alice", open_make["transaction"]["id"])).status == 200
    assert call(rg, "balance", p.balance("alice")).status == 200
    assert rg.execute("select wallet.balance('alice', 'EUR')").fetchone() == (
        1000000 - 500 + 300 + 100 + 100,
    )
    assert make(rg, 1).code == 4001


# Cooling-off ------------------------------------------------------------------------------------


def test_stricter_at_once_looser_after_cooling_off(rg: psycopg.Connection) -> None:
    assert set_limit(rg, "stake_24h", 1000) == T0
    at(rg, T0 + timedelta(hours=1))
    effective = set_limit(rg, "stake_24h", 3000)
    assert effective == T0 + timedelta(hours=25)
    assert limits(rg) == [("EUR", "stake_24h", 1000, 3000, False, effective)]
    assert make(rg, 1001).code == 4001
    at(rg, effective - timedelta(seconds=1))
    assert make(rg, 1001).code == 4001
    at(rg, effective)
    assert limits(rg) == [("EUR", "stake_24h", 3000, None, False, None)]
    assert make(rg, 1001).status == 200
    # lower again: at once
    assert set_limit(rg, "stake_24h", 500) == effective
    assert make(rg, 1).code == 4001
    # a removal waits too; a stricter change meanwhile drops it
    at(rg, effective + timedelta(days=2))
    removed_at = rg.execute(
        "select wallet.remove_limit('alice', 'EUR', 'stake_24h', 'player asked')"
    ).fetchone()[0]
    assert removed_at == effective + timedelta(days=3)
    assert limits(rg) == [("EUR", "stake_24h", 500, None, True, removed_at)]
    assert make(rg, 501).code == 4001
    at(rg, removed_at)
    assert limits(rg) == []
    assert make(rg, 100000).status == 200


def test_a_new_change_replaces_a_pending_one(rg: psycopg.Connection) -> None:
    set_limit(rg, "stake_per_bet", 100)
    set_limit(rg, "stake_per_bet", 300)  # pending
    set_limit(rg, "stake_per_bet", 50)  # stricter: at once, the 300 is dropped
    assert limits(rg) == [("EUR", "stake_per_bet", 50, None, False, None)]
    at(rg, T0 + timedelta(days=2))
    assert make(rg, 51).code == 4001


def test_the_cooling_off_period_is_one_setting(rg: psycopg.Connection) -> None:
    rg.execute("select wallet.set_setting('cooling_off', '2 hours', 'policy of the operator')")
    assert rg.execute("select * from wallet.settings").fetchone() == (timedelta(hours=2), "off")
    set_limit(rg, "stake_per_bet", 100)
    assert set_limit(rg, "stake_per_bet", 200) == T0 + timedelta(hours=2)
    with pytest.raises(psycopg.Error) as wrong:
        rg.execute("select wallet.set_setting('cooling_off', '-1 hour', 'no')")
    assert wrong.value.sqlstate == "WA204"


def test_wrong_changes_are_refused(rg: psycopg.Connection) -> None:
    for call_sql, state in [
        ("select wallet.set_limit('alice', 'EUR', 'stake_1h', 1, 'x')", "WA204"),
        ("select wallet.set_limit('alice', 'EUR', 'stake_24h', -1, 'x')", "WA204"),
        ("select wallet.set_limit('alice', 'EUR', 'stake_24h', 1, ' ')", "WA204"),
        ("select wallet.set_limit('alice', 'USD', 'stake_24h', 1, 'x')", "WA202"),
        ("select wallet.set_limit('zed', 'EUR', 'stake_24h', 1, 'x')", "WA006"),
        ("select wallet.remove_limit('alice', 'EUR', 'stake_24h', 'x')", "WA208"),
    ]:
        with pytest.raises(psycopg.Error) as refused:
            rg.execute(call_sql)
        assert refused.value.sqlstate == state, call_sql


# The history and the events --------------------------------------------------------------------


def test_every_change_is_in_the_history_which_nobody_rewrites(rg: psycopg.Connection) -> None:
    set_limit(rg, "stake_24h", 1000)
    at(rg, T0 + timedelta(hours=1))
    set_limit(rg, "stake_24h", 2000)
    rg.execute("select wallet.remove_limit('alice', 'EUR', 'stake_24h', 'player asked')")
    rg.execute("select wallet.exclude_player('alice', %s, 'time-out')", [T0 + timedelta(days=1)])
    rg.execute("select wallet.lift_exclusion('alice', 'compliance: wrong player')")
    rows = rg.execute(
        "select action, kind, old_amount, new_amount, effective_at - changed_at, until, reason,"
        " changed_by = session_user from wallet.control_changes where player_id = 'alice'"
        " order by change_id"
    ).fetchall()
    day = timedelta(days=1)
    assert rows == [
        ("limit.set", "stake_24h", None, 1000, timedelta(0), None, "player asked", True),
        ("limit.set", "stake_24h", 1000, 2000, day, None, "player asked", True),
        ("limit.removed", "stake_24h", 1000, None, day, None, "player asked", True),
        ("player.excluded", None, None, None, timedelta(0), T0 + day, "time-out", True),
        ("player.exclusion_lifted", None, None, None, timedelta(0), None,
         "compliance: wrong player", True),
    ]  # fmt: skip
    for statement in (
        "update wallet_core.control_changes set reason = 'x'",
        "delete from wallet_core.control_changes",
        "truncate wallet_core.control_changes",
    ):
        with pytest.raises(psycopg.Error) as refused:
            rg.execute(statement)
        assert refused.value.sqlstate == "WA900"
    events = rg.execute(
        "select type, currency, detail - 'reason' from wallet.events"
        " where type not in ('player.created') order by event_id"
    ).fetchall()
    assert [e[0] for e in events] == [
        "limit.set",
        "limit.set",
        "limit.removed",
        "player.excluded",
        "player.exclusion_lifted",
    ]
    assert events[1][2] == {
        "kind": "stake_24h",
        "amount": 2000,
        "previous": 1000,
        "effective_at": "2030-01-02T13:00:30.000000Z",
    }


# Exclusions ------------------------------------------------------------------------------------


def test_an_excluded_player_is_refused_in_every_currency(rg: psycopg.Connection) -> None:
    rg.execute("select wallet.create_player('alice', 'USD', 5000)")
    bet = make(rg, 100).body["id"]
    until = T0 + timedelta(days=30)
    rg.execute("select wallet.exclude_player('alice', %s, 'time-out 30 days')", [until])
    refused = make(rg, 1)
    assert refused.code == 4001
    assert refused.body["message"] == "player alice is excluded until 2030-01-31T12:00:30Z"
    assert make(rg, 1, currency="USD").code == 4001
    rg.execute("select wallet.create_player('alice', 'GBP', 5000)")
    assert make(rg, 1, currency="GBP").code == 4001
    # settlements still credit
    assert call(rg, "bet/win", p.win("alice", bet, 500)).body["balance"] == 1000000 - 100 + 500
    at(rg, until - timedelta(seconds=1))
    assert make(rg, 1).code == 4001
    at(rg, until)
    assert make(rg, 1).status == 200
    assert make(rg, 1, currency="GBP").status == 200


def test_an_exclusion_is_never_shortened_and_lifted_only_by_compliance(
    rg: psycopg.Connection,
) -> None:
    rg.execute("select wallet.exclude_player('alice', %s, 'time-out')", [T0 + timedelta(days=7)])
    with pytest.raises(psycopg.Error) as shorter:
        rg.execute("select wallet.exclude_player('alice', %s, 'shorter')", [T0 + timedelta(days=1)])
    assert shorter.value.sqlstate == "WA208"
    rg.execute("select wallet.exclude_player('alice', null, 'self-exclusion')")  # longer: fine
    with pytest.raises(psycopg.Error) as shorter:
        rg.execute(
            "select wallet.exclude_player('alice', %s, 'shorter')", [T0 + timedelta(days=99)]
        )
    assert shorter.value.sqlstate == "WA208"
    at(rg, T0 + timedelta(hours=23))
    with pytest.raises(psycopg.Error) as young:
        rg.execute("select wallet.lift_exclusion('alice', 'asked on the phone')")
    assert young.value.sqlstate == "WA208"
    assert make(rg, 1).code == 4001
    at(rg, T0 + timedelta(hours=24, seconds=1))
    rg.execute("select wallet.lift_exclusion('alice', 'compliance review 17')")
    assert make(rg, 1).status == 200
    with pytest.raises(psycopg.Error) as not_excluded:
        rg.execute("select wallet.lift_exclusion('alice', 'again')")
    assert not_excluded.value.sqlstate == "WA208"


# Sessions --------------------------------------------------------------------------------------


def test_sessions_are_checked_only_when_enforced(rg: psycopg.Connection) -> None:
    rg.execute("select wallet.create_player('bob', 'EUR', 5000)")
    assert make(rg, 1).status == 200  # off: session-1 is stored, not checked
    rg.execute("select wallet.set_setting('session_check', 'enforce', 'go-live')")
    rg.execute("select wallet.open_session('alice', 'web-1', %s)", [T0 + timedelta(hours=1)])
    rg.execute("select wallet.open_session('bob', 'web-2', %s)", [T0 + timedelta(hours=1)])

    def with_session(session: str | None, player: str = "alice") -> Answer:
        request = p.make(player, 1)
        request["session_id"] = session
        return call(rg, "bet/make", request)

    assert with_session("web-1").status == 200
    refusals = {
        "none": with_session(None),
        "unknown": with_session("web-9"),
        "other player's": with_session("web-2"),
    }
    rg.execute("select wallet.close_session('web-2')")
    refusals["closed"] = with_session("web-2", "bob")
    at(rg, T0 + timedelta(hours=1))
    refusals["expired"] = with_session("web-1")
    assert {why: a.code for why, a in refusals.items()} == dict.fromkeys(refusals, 1007)
    assert [a.body["message"] for a in refusals.values()] == [
        "the make names no session",
        "session web-9 is unknown",
        "session web-2 is unknown",
        "session web-2 is closed",
        "session web-1 has expired",
    ]
    # stored: replayed byte for byte once the session is fine again
    request = p.make("alice", 1)
    request["session_id"] = "web-3"
    refused = call(rg, "bet/make", request)
    assert refused.code == 1007
    rg.execute("select wallet.open_session('alice', 'web-3', %s)", [T0 + timedelta(hours=5)])
    assert call(rg, "bet/make", request) == refused
    assert with_session("web-3").status == 200
    rg.execute("select wallet.set_setting('session_check', 'off', 'rollback of go-live')")
    assert with_session("web-9").status == 200


def test_blocking_and_excluding_close_sessions(rg: psycopg.Connection) -> None:
    rg.execute("select wallet.create_player('bob', 'EUR', 5000)")
    for player, session in (("alice", "a-1"), ("alice", "a-2"), ("bob", "b-1")):
        rg.execute(
            "select wallet.open_session(%s, %s, %s)", [player, session, T0 + timedelta(hours=1)]
        )
    rg.execute("select wallet.block_player('bob')")
    rg.execute("select wallet.exclude_player('alice', null, 'self-exclusion')")
    closed = rg.execute(
        "select session_id, closed_why from wallet_core.sessions order by 1"
    ).fetchall()
    assert closed == [
        ("a-1", "player excluded"),
        ("a-2", "player excluded"),
        ("b-1", "player blocked"),
    ]
    events = rg.execute(
        "select player_id, detail ->> 'session_id' from wallet.events"
        " where type = 'session.closed' order by event_id"
    ).fetchall()
    assert events == [("bob", "b-1"), ("alice", "a-1"), ("alice", "a-2")]
    with pytest.raises(psycopg.Error) as excluded:
        rg.execute("select wallet.open_session('alice', 'a-3', %s)", [T0 + timedelta(hours=1)])
    assert excluded.value.sqlstate == "WA208"


# Twenty at once ---------------------------------------------------------------------------------


def test_twenty_makes_at_once_against_a_limit_allowing_seven(
    db: psycopg.Connection, db_url: str
) -> None:
    db.execute("select wallet.create_player('alice', 'EUR', 1000000)")
    db.execute("select wallet.set_limit('alice', 'EUR', 'stake_24h', 7000, 'player asked')")
    requests = [p.make("alice", 1000) for _ in range(20)]
    connections = [psycopg.connect(db_url, autocommit=True) for _ in requests]
    barrier = threading.Barrier(len(requests))

    def send(i: int) -> Answer:
        barrier.wait()
        return call(connections[i], "bet/make", requests[i])

    try:
        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            answers = list(pool.map(send, range(len(requests))))
    finally:
        for conn in connections:
            conn.close()
    assert sorted(a.code or 200 for a in answers) == [200] * 7 + [4001] * 13
    assert db.execute("select wallet.balance('alice', 'EUR')").fetchone() == (1000000 - 7000,)
    for request, answer in zip(requests, answers, strict=True):
        assert call(db, "bet/make", request) == answer
    assert audit(db) == []


# The clock and the audit -------------------------------------------------------------------------


def test_the_production_clock_ignores_the_test_setting(db: psycopg.Connection) -> None:
    """The migrations' clock is now(): a role that sets wallet.test_clock moves nothing."""
    db.execute("select wallet.create_player('alice', 'EUR', 1000)")
    db.execute("select wallet.exclude_player('alice', now() + interval '1 hour', 'time-out')")
    with db.transaction():
        db.execute("set local role wallet_app")
        db.execute("set local wallet.test_clock = '2099-01-01'")
        assert make(db, 1).code == 4001
    source = db.execute(
        "select prosrc from pg_proc where oid = 'wallet_core.now()'::regprocedure"
    ).fetchone()[0]
    assert "current_setting" not in source


@pytest.mark.damages_ledger
def test_the_audit_finds_a_make_over_a_limit_or_an_exclusion(rg: psycopg.Connection) -> None:
    set_limit(rg, "stake_24h", 1000)
    assert make(rg, 1000).status == 200
    assert audit(rg) == []
    # break the enforcement behind the wallet's back, as a bug would
    rg.execute("delete from wallet_core.limits")
    at(rg, T0 + timedelta(minutes=1))
    assert make(rg, 1).status == 200
    rg.execute("select wallet.exclude_player('alice', null, 'self-exclusion')")
    rg.execute("delete from wallet_core.exclusions")
    at(rg, T0 + timedelta(minutes=2))
    assert make(rg, 2).status == 200
    findings = {(row[0], row[2]) for row in audit(rg)}
    assert findings == {
        ("make_over_limit", "bet 2 of 1 EUR at 2030-01-01 12:01:30+00: stake_24h 1001, limit 1000"),
        ("make_over_limit", "bet 3 of 2 EUR at 2030-01-01 12:02:30+00: stake_24h 1003, limit 1000"),
        ("make_while_excluded",
         "bet 3 of 2 EUR at 2030-01-01 12:02:30+00 while excluded indefinitely"),
    }  # fmt: skip
