"""Bonus bets in the database (docs/contract/operator.md section 3, docs/bonus-bets.md): every
policy through make, discard, refund, rollback and win; 3001 in each of its cases; 4002; stored
refusals replayed byte for byte; twenty makes at once against one grant; the DBA's functions,
their events and history; the audit catching a damaged grant.

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
from tests.support.database import audit_findings, ledger_counts
from tests.support.provider import Answer, call

T0 = datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC)
BALANCE = 10_000
GRANT = 1_000

# Every policy: the five defaults (migration 0500) and the one combination none of them uses,
# set by the test as a type of its own.
POLICIES = {
    "freebet_refund": ("grant", "amount"),
    "freebet_freemoney": ("grant", "amount"),
    "freebet_no_risk": ("grant", "amount_minus_stake"),
    "comboboost": ("real", "amount"),
    "global_comboboost": ("real", "amount"),
    "cashback_real_net": ("real", "amount_minus_stake"),
}


@pytest.fixture
def bonus_db(db: psycopg.Connection) -> psycopg.Connection:
    """The database with a steerable clock at T0, alice (EUR and USD) and bob (EUR), each with
    10,000, and the policy no default uses (cashback_real_net)."""
    clock.install(db)
    clock.set_clock(db, T0)
    db.execute("select wallet.create_player('alice', 'EUR', %s)", [BALANCE])
    db.execute("select wallet.create_player('alice', 'USD', %s)", [BALANCE])
    db.execute("select wallet.create_player('bob', 'EUR', %s)", [BALANCE])
    db.execute(
        "select wallet.set_bonus_policy('cashback_real_net', 'real', 'amount_minus_stake', true,"
        " 'a policy no default uses')"
    )
    return db


def grant(
    db: psycopg.Connection,
    bonus_id: str,
    bonus_type: str = "freebet_freemoney",
    amount: int = GRANT,
    *,
    player: str = "alice",
    currency: str = "EUR",
    expires_at: datetime | None = None,
) -> int:
    row = db.execute(
        "select wallet.grant_bonus(%s, %s, %s, %s, %s, %s)",
        [player, currency, bonus_id, bonus_type, amount, expires_at],
    ).fetchone()
    assert row is not None
    return int(row[0])


def bonus_make(amount: int, bonus_id: str | None, bonus_type: str | None = None, **kw: Any) -> Any:
    return p.make(kw.pop("player", "alice"), amount, bonus_id=bonus_id, bonus_type=bonus_type, **kw)


def balance(db: psycopg.Connection, player: str = "alice", currency: str = "EUR") -> int:
    row = db.execute("select wallet.balance(%s, %s)", [player, currency]).fetchone()
    assert row is not None
    return int(row[0])


def remaining(db: psycopg.Connection, bonus_id: str) -> int | None:
    row = db.execute(
        "select remaining from wallet_core.bonus_grants where bonus_id = %s", [bonus_id]
    ).fetchone()
    return None if row is None else int(row[0])


def ok(db: psycopg.Connection, route: str, request: Any) -> dict[str, Any]:
    """A request that must succeed, and its replay, which must answer the same bytes."""
    answer = call(db, route, request)
    assert answer.status == 200, answer.text
    assert call(db, route, request) == answer
    return answer.body


def refused(db: psycopg.Connection, request: Any, code: int, message: str) -> Answer:
    """A make refused with ``code``: it writes nothing but its stored answer, and its replay
    answers the same bytes."""
    before = ledger_counts(db)
    answer = call(db, "bet/make", request)
    assert (answer.code, answer.body["message"]) == (code, message)
    after = ledger_counts(db)
    assert after.pop("idempotency") == before.pop("idempotency") + 1  # the stored refusal
    assert after == before
    assert call(db, "bet/make", request) == answer
    return answer


def audit(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    return audit_findings(db)


# Every policy: make, discard, refund, rollback, win, lost ------------------------------------


@pytest.mark.parametrize("bonus_type", list(POLICIES))
def test_every_policy_through_the_life_of_a_bet(
    bonus_db: psycopg.Connection, bonus_type: str
) -> None:
    db = bonus_db
    stake_from, win_credits = POLICIES[bonus_type]
    needs_grant = bonus_type != "global_comboboost"
    bonus_id = f"bonus-{bonus_type}"
    if needs_grant:
        grant(db, bonus_id, bonus_type)
    real = 0 if stake_from == "grant" else 300  # what the real balance pays of a 300 stake
    taken = 300 - real  # what the grant pays

    def expect(real_balance: int, left: int) -> None:
        assert balance(db) == real_balance
        assert remaining(db, bonus_id) == (GRANT + left if needs_grant else None)
        assert audit(db) == []

    def make(tx: str) -> str:
        body = ok(db, "bet/make", bonus_make(300, bonus_id, bonus_type, tx=tx))
        # the answer: the stake, and the real balance
        assert (body["amount"], body["balance"]) == (300, BALANCE - real)
        return str(body["id"])

    # make, then discard: everything back where it came from
    first = make(f"{bonus_type}-1")
    expect(BALANCE - real, -taken)
    discarded = ok(db, "bet/discard", p.discard("alice", f"{bonus_type}-1"))
    assert (discarded["amount"], discarded["balance"]) == (300, BALANCE)
    expect(BALANCE, 0)
    row = db.execute(
        "select b.bonus_stake, x.returned, x.bonus_type from wallet_core.bets as b"
        " join wallet_core.bet_bonuses as x using (bet_id) where bet_id = %s",
        [first],
    ).fetchone()
    assert row == (taken, taken, bonus_type)

    # make, refund 200 of it, roll the refund back, refund all of it
    second = make(f"{bonus_type}-2")
    refund = p.refund("alice", second, 200, tx=f"{bonus_type}-2-refund")
    refunded = ok(db, "bet/refund", refund)
    to_grant = min(200, taken)  # a refund goes back to the grant first
    assert (refunded["amount"], refunded["balance"]) == (200, BALANCE - real + 200 - to_grant)
    expect(BALANCE - real + 200 - to_grant, -taken + to_grant)
    rollback = p.rollback("alice", second, f"{bonus_type}-2-refund", tx=f"{bonus_type}-2-back")
    rolled = ok(db, "bet/rollback", rollback)
    assert (rolled["amount"], rolled["balance"]) == (200, BALANCE - real)
    expect(BALANCE - real, -taken)
    ok(db, "bet/refund", p.refund("alice", second, 300, tx=f"{bonus_type}-2-refund-all"))
    expect(BALANCE, 0)

    # make, win 900 (the policy says what it credits), roll the win back, win again, lost
    third = make(f"{bonus_type}-3")
    credit = 900 - 300 if win_credits == "amount_minus_stake" else 900
    won = ok(
        db,
        "bet/win",
        p.win(
            "alice", third, 900, tx=f"{bonus_type}-3-win", bonus_type=bonus_type,
            comboboost_multiplier="1.25",
        ),
    )  # fmt: skip
    assert (won["amount"], won["balance"]) == (900, BALANCE - real + credit)
    expect(BALANCE - real + credit, -taken)  # a win gives nothing back to the grant
    rolled = ok(db, "bet/rollback", p.rollback("alice", third, f"{bonus_type}-3-win"))
    assert (rolled["amount"], rolled["balance"]) == (900, BALANCE - real)
    expect(BALANCE - real, -taken)
    # a win below the stake: net of the stake it credits nothing, never a debit
    ok(db, "bet/win", p.win("alice", third, 100, tx=f"{bonus_type}-3-small", cashout=True))
    expect(BALANCE - real + (0 if win_credits == "amount_minus_stake" else 100), -taken)
    ok(db, "bet/rollback", p.rollback("alice", third, f"{bonus_type}-3-small"))
    ok(db, "bet/lost", p.lost("alice", third, tx=f"{bonus_type}-3-lost"))
    ok(db, "bet/settlement", p.settlement(third, "lost"))
    expect(BALANCE - real, -taken)


def test_the_events_of_a_bonus_bet_say_what_moved(bonus_db: psycopg.Connection) -> None:
    db = bonus_db
    grant(db, "free-1")
    bet = ok(db, "bet/make", bonus_make(300, "free-1", tx="ev-1"))["id"]
    ok(db, "bet/refund", p.refund("alice", bet, 300, tx="ev-1-refund"))
    ok(db, "bet/rollback", p.rollback("alice", bet, "ev-1-refund", tx="ev-1-back"))
    rows = db.execute(
        "select type, amount, balance, detail from wallet.events"
        " where player_id = 'alice' and type like 'bet.%' order by event_id"
    ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("bet.made", 0, BALANCE),
        ("bet.refunded", 0, BALANCE),
        ("bet.rolled_back", 0, BALANCE),
    ]
    assert rows[0][3] == {
        "betslip_id": "slip-ev-1", "stake": 300, "odds": "1.85", "selections": 1,
        "bonus_id": "free-1", "bonus_type": "freebet_freemoney", "bonus_stake": 300,
    }  # fmt: skip
    assert rows[1][3] == {
        "result": "refunded", "bonus_id": "free-1", "amount_sent": 300, "bonus_returned": 300
    }  # fmt: skip
    assert rows[2][3] == {
        "result": "refunded", "settlement_transaction_id": "ev-1-refund", "bonus_id": "free-1",
        "bonus_taken_back": 300,
    }  # fmt: skip
    # a no-risk free bet's win: the event's amount is what reached the real balance
    grant(db, "no-risk", "freebet_no_risk")
    bet = ok(db, "bet/make", bonus_make(300, "no-risk", tx="ev-2"))["id"]
    ok(db, "bet/win", p.win("alice", bet, 900, tx="ev-2-win"))
    row = db.execute(
        "select amount, balance, detail from wallet.events where type = 'bet.won'"
    ).fetchone()
    assert row == (
        600,
        BALANCE + 600,
        {"result": "won", "bonus_id": "no-risk", "amount_sent": 900, "bonus_returned": 0},
    )
    # a bet without a bonus: its events say nothing of bonuses
    plain = ok(db, "bet/make", p.make("alice", 100, tx="ev-3"))["id"]
    ok(db, "bet/discard", p.discard("alice", "ev-3"))
    details = db.execute(
        "select detail from wallet.events where bet_id = %s order by event_id", [int(plain)]
    ).fetchall()
    assert details == [
        ({"betslip_id": "slip-ev-3", "stake": 100, "odds": "1.85", "selections": 1},),
        ({"reason": "rejected by trader", "marker": False},),
    ]


# 3001: a bonus the player does not hold -------------------------------------------------------


def test_3001_in_each_of_its_cases(bonus_db: psycopg.Connection) -> None:
    db = bonus_db
    grant(db, "bobs", player="bob")
    grant(db, "dollars", currency="USD")
    grant(db, "revoked")
    assert db.execute("select wallet.revoke_bonus('revoked', 'abuse')").fetchone() == (True,)
    grant(db, "short-lived", expires_at=T0 + timedelta(hours=1))
    grant(db, "typed", "freebet_refund")

    refused(db, bonus_make(100, "never-granted", tx="c-1"), 3001, "bonus never-granted is unknown")
    # another player's and another currency's are unknown too: nothing of them is told
    refused(db, bonus_make(100, "bobs", tx="c-2"), 3001, "bonus bobs is unknown")
    refused(db, bonus_make(100, "dollars", tx="c-3"), 3001, "bonus dollars is unknown")
    refused(db, bonus_make(100, "revoked", tx="c-4"), 3001, "bonus revoked was revoked")
    assert ok(db, "bet/make", bonus_make(100, "short-lived", tx="c-5"))["balance"] == BALANCE
    clock.set_clock(db, T0 + timedelta(hours=1))  # expires_at itself: expired
    refused(db, bonus_make(100, "short-lived", tx="c-6"), 3001, "bonus short-lived has expired")
    refused(
        db,
        bonus_make(100, "typed", "freebet_freemoney", tx="c-7"),
        3001,
        "bonus typed is a freebet_refund bonus, not freebet_freemoney",
    )
    # a type nobody decided a policy for, and no grant: refused, never a real-money bet
    refused(
        db, bonus_make(100, "mystery", "mystery_boost", tx="c-8"), 3001, "bonus mystery is unknown"
    )
    # bob's own grant is his; the USD grant is alice's in USD
    assert ok(db, "bet/make", bonus_make(100, "bobs", tx="c-9", player="bob"))["balance"] == BALANCE
    usd = bonus_make(100, "dollars", tx="c-10", currency="USD")
    assert ok(db, "bet/make", usd)["balance"] == BALANCE

    # stored: granted now, the refused make still answers 3001, byte for byte
    first = call(db, "bet/make", bonus_make(100, "late", tx="c-11"))
    assert first.code == 3001
    grant(db, "late")
    assert call(db, "bet/make", bonus_make(100, "late", tx="c-11")) == first
    assert ok(db, "bet/make", bonus_make(100, "late", tx="c-12"))["amount"] == 100


def test_3001_comes_after_the_players_checks_and_before_the_balance(
    bonus_db: psycopg.Connection,
) -> None:
    db = bonus_db
    db.execute("select wallet.block_player('bob')")
    refused(db, bonus_make(100, "nope", tx="o-1", player="bob"), 1005, "player bob is blocked")
    # a real-money bonus type with a stake above the balance: the bonus is checked first
    refused(
        db, bonus_make(BALANCE + 1, "nope", "comboboost", tx="o-2"), 3001, "bonus nope is unknown"
    )
    grant(db, "boost", "comboboost")
    refused(
        db,
        bonus_make(BALANCE + 1, "boost", "comboboost", tx="o-3"),
        2001,
        f"balance {BALANCE} is less than the stake {BALANCE + 1}",
    )
    # a stake from the grant needs no real money at all
    db.execute("select wallet.adjust_balance('alice', 'EUR', %s, 'all out')", [-BALANCE])
    grant(db, "free")
    assert ok(db, "bet/make", bonus_make(500, "free", tx="o-4"))["balance"] == 0


# 4002: the stake exceeds what the grant has left -----------------------------------------------


def test_4002_when_the_stake_exceeds_what_is_left(bonus_db: psycopg.Connection) -> None:
    db = bonus_db
    grant(db, "free", amount=500)
    refused(
        db,
        bonus_make(501, "free", tx="x-1"),
        4002,
        "the stake 501 exceeds the 500 left of bonus free",
    )
    ok(db, "bet/make", bonus_make(300, "free", tx="x-2"))
    over = refused(
        db,
        bonus_make(201, "free", tx="x-3"),
        4002,
        "the stake 201 exceeds the 200 left of bonus free",
    )
    ok(db, "bet/make", bonus_make(200, "free", tx="x-4"))  # exactly what is left
    assert remaining(db, "free") == 0
    refused(
        db, bonus_make(1, "free", tx="x-5"), 4002, "the stake 1 exceeds the 0 left of bonus free"
    )
    # a discard gives 300 back; the refusal stays what it was, a new make may use it
    ok(db, "bet/discard", p.discard("alice", "x-2"))
    assert call(db, "bet/make", bonus_make(201, "free", tx="x-3")) == over
    ok(db, "bet/make", bonus_make(201, "free", tx="x-6"))
    assert remaining(db, "free") == 99
    assert balance(db) == BALANCE


def test_a_revoked_grant_keeps_its_bets_and_takes_their_give_backs(
    bonus_db: psycopg.Connection,
) -> None:
    db = bonus_db
    grant(db, "free")
    bet = ok(db, "bet/make", bonus_make(400, "free", tx="r-1"))["id"]
    assert db.execute("select wallet.revoke_bonus('free', 'campaign ended')").fetchone() == (True,)
    assert db.execute("select wallet.revoke_bonus('free', 'again')").fetchone() == (False,)
    refused(db, bonus_make(100, "free", tx="r-2"), 3001, "bonus free was revoked")
    ok(db, "bet/win", p.win("alice", bet, 1000))  # the bet made before goes on
    assert balance(db) == BALANCE + 1000
    row = db.execute(
        "select status, remaining, bets, open_bets from wallet.bonuses('alice')"
    ).fetchone()
    assert row == ("revoked", 600, 1, 0)


# Limits count the player's own money ---------------------------------------------------------


def test_limits_count_the_real_stake_and_every_bet(bonus_db: psycopg.Connection) -> None:
    db = bonus_db
    db.execute("select wallet.set_limit('alice', 'EUR', 'stake_per_bet', 100, 'asked')")
    grant(db, "free")
    grant(db, "boost", "comboboost")
    ok(db, "bet/make", bonus_make(300, "free", tx="l-1"))  # the grant pays: 0 of her money
    refused(
        db,
        bonus_make(300, "boost", tx="l-2"),
        4001,
        "limit stake_per_bet: the stake 300 is above the limit of 100 EUR",
    )
    db.execute("select wallet.set_limit('alice', 'EUR', 'bets_24h', 1, 'asked')")
    refused(
        db,
        bonus_make(50, "free", tx="l-3"),
        4001,
        "limit bets_24h: bets in the last 24 hours would be 2, above the limit of 1",
    )


# Twenty at once ---------------------------------------------------------------------------------


def test_twenty_bonus_makes_at_once_never_take_the_grant_below_zero(
    db: psycopg.Connection, db_url: str
) -> None:
    db.execute("select wallet.create_player('alice', 'EUR', 0)")
    grant(db, "free", amount=2_000)
    requests = [bonus_make(300, "free") for _ in range(20)]
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
    assert sorted(a.code or 200 for a in answers) == [200] * 6 + [4002] * 14
    assert remaining(db, "free") == 200
    assert balance(db) == 0
    for request, answer in zip(requests, answers, strict=True):
        assert call(db, "bet/make", request) == answer
    history = db.execute(
        "select operation, amount, remaining_after from wallet_core.bonus_journal"
        " where grant_id is not null order by entry_id"
    ).fetchall()
    assert history == [("grant", 2000, 2000)] + [("bet", -300, 2000 - 300 * n) for n in range(1, 7)]
    assert audit(db) == []


# The DBA's functions ------------------------------------------------------------------------


def test_grant_bonus_refusals_and_repeats(bonus_db: psycopg.Connection) -> None:
    db = bonus_db

    def fails(sqlstate: str, *arguments: Any) -> None:
        with pytest.raises(psycopg.Error) as error:
            db.execute("select wallet.grant_bonus(%s, %s, %s, %s, %s, %s)", list(arguments))
        assert error.value.sqlstate == sqlstate, error.value

    fails("WA204", "alice", "EUR", "g", "cashback", 100, None)  # no policy: no grant
    fails("WA204", "alice", "EUR", "g", "freebet_refund", -1, None)
    fails("WA204", "alice", "EUR", "g", "freebet_refund", 10**15 + 1, None)
    fails("WA204", "alice", "EUR", "", "freebet_refund", 100, None)
    fails("WA204", "alice", "EUR", "g", "freebet_refund", 100, T0)  # not in the future
    fails("WA006", "nobody", "EUR", "g", "freebet_refund", 100, None)
    fails("WA202", "alice", "GBP", "g", "freebet_refund", 100, None)
    first = grant(db, "g", "freebet_refund", 100)
    assert grant(db, "g", "freebet_refund", 100) == first  # a retried script: nothing new
    fails("WA209", "alice", "EUR", "g", "freebet_refund", 200, None)
    fails("WA209", "bob", "EUR", "g", "freebet_refund", 100, None)
    db.execute("select wallet.exclude_player('bob', %s, 'time-out')", [T0 + timedelta(days=1)])
    fails("WA209", "bob", "EUR", "h", "freebet_refund", 100, None)  # no bonus while excluded
    assert db.execute("select count(*) from wallet_core.bonus_grants").fetchone() == (1,)
    with pytest.raises(psycopg.Error) as error:
        db.execute("select wallet.revoke_bonus('unknown', 'why')")
    assert error.value.sqlstate == "WA209"
    with pytest.raises(psycopg.Error) as error:
        db.execute("select wallet.revoke_bonus('g', ' ')")
    assert error.value.sqlstate == "WA204"


def test_grants_and_revocations_are_kept_and_announced(bonus_db: psycopg.Connection) -> None:
    db = bonus_db
    grant(db, "free", expires_at=T0 + timedelta(days=7))
    db.execute("select wallet.revoke_bonus('free', 'player asked')")
    events = db.execute(
        "select type, currency, amount, balance, detail from wallet.events"
        " where type like 'bonus.%' order by event_id"
    ).fetchall()
    assert events == [
        (
            "bonus.granted", "EUR", 0, BALANCE,
            {
                "bonus_id": "free", "bonus_type": "freebet_freemoney", "amount": GRANT,
                "expires_at": "2030-01-08T12:00:30.000000Z", "stake_from": "grant",
                "win_credits": "amount",
            },
        ),
        (
            "bonus.revoked", "EUR", 0, BALANCE,
            {"bonus_id": "free", "bonus_type": "freebet_freemoney", "remaining": GRANT,
             "reason": "player asked"},
        ),
    ]  # fmt: skip
    history = db.execute(
        "select operation, amount, remaining_after, changed_by, reason"
        " from wallet_core.bonus_journal where grant_id is not null order by entry_id"
    ).fetchall()
    assert history == [
        ("grant", GRANT, GRANT, "postgres", None),
        ("revoke", 0, GRANT, "postgres", "player asked"),
    ]
    with pytest.raises(psycopg.Error) as error:
        db.execute("delete from wallet_core.bonus_journal")
    assert error.value.sqlstate == "WA900"
    row = db.execute(
        "select bonus_id, currency, bonus_type, amount, remaining, status, revoke_reason"
        " from wallet.bonuses('alice')"
    ).fetchone()
    assert row == ("free", "EUR", "freebet_freemoney", GRANT, GRANT, "revoked", "player asked")


def test_bonuses_lists_status_and_what_is_left(bonus_db: psycopg.Connection) -> None:
    db = bonus_db
    grant(db, "a")
    grant(db, "b", "comboboost", 0, currency="USD", expires_at=T0 + timedelta(hours=1))
    ok(db, "bet/make", bonus_make(250, "a", tx="list-1"))
    clock.set_clock(db, T0 + timedelta(hours=2))
    rows = db.execute(
        "select bonus_id, currency, amount, remaining, status, stake_from, win_credits, bets,"
        " open_bets from wallet.bonuses('alice')"
    ).fetchall()
    assert rows == [
        ("a", "EUR", GRANT, GRANT - 250, "active", "grant", "amount", 1, 1),
        ("b", "USD", 0, 0, "expired", "real", "amount", 0, 0),
    ]
    assert db.execute("select * from wallet.bonuses('nobody')").fetchall() == []


def test_a_policy_change_applies_to_later_makes_only(bonus_db: psycopg.Connection) -> None:
    db = bonus_db
    grant(db, "free", amount=2_000)
    before = ok(db, "bet/make", bonus_make(300, "free", tx="pc-1"))["id"]
    db.execute(
        "select wallet.set_bonus_policy('freebet_freemoney', 'grant', 'amount_minus_stake', true,"
        " 'terms of the spring campaign')"
    )
    after = ok(db, "bet/make", bonus_make(300, "free", tx="pc-2"))["id"]
    ok(db, "bet/win", p.win("alice", before, 900))  # made under "amount": 900
    ok(db, "bet/win", p.win("alice", after, 900))  # made under "amount_minus_stake": 600
    assert balance(db) == BALANCE + 1500
    row = db.execute(
        "select changed_by, reason, detail from wallet_core.bonus_journal"
        " where operation = 'policy' and bonus_type = 'freebet_freemoney'"
    ).fetchone()
    assert row == (
        "postgres",
        "terms of the spring campaign",
        {
            "before": {"stake_from": "grant", "win_credits": "amount", "requires_grant": True},
            "after": {
                "stake_from": "grant", "win_credits": "amount_minus_stake", "requires_grant": True
            },
        },
    )  # fmt: skip
    for arguments in (
        ("Bad Type", "grant", "amount", True),
        ("t", "bonus", "amount", True),
        ("t", "grant", "all", True),
        ("t", "grant", "amount", False),  # a grant's stake without a grant
    ):
        with pytest.raises(psycopg.Error) as error:
            db.execute("select wallet.set_bonus_policy(%s, %s, %s, %s, 'x')", list(arguments))
        assert error.value.sqlstate == "WA204"


def test_only_the_owner_may_grant(db: psycopg.Connection) -> None:
    db.execute("select wallet.create_player('alice', 'EUR', 0)")
    for statement in (
        "select wallet.grant_bonus('alice', 'EUR', 'x', 'freebet_refund', 1, null)",
        "select wallet.revoke_bonus('x', 'why')",
        "select * from wallet.bonuses('alice')",
        "select wallet.set_bonus_policy('x', 'real', 'amount', true, 'why')",
    ):
        with db.transaction():
            db.execute("set local role wallet_app")
            with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
                db.execute(statement)


# The audit catches a damaged grant --------------------------------------------------------------


@pytest.mark.damages_ledger
def test_the_audit_catches_a_grant_damaged_by_hand(bonus_db: psycopg.Connection) -> None:
    db = bonus_db
    grant(db, "free")
    ok(db, "bet/make", bonus_make(400, "free", tx="d-1"))
    assert audit(db) == []
    db.execute(
        "update wallet_core.bonus_grants set remaining = remaining + 50 where bonus_id = 'free'"
    )
    assert audit(db) == [
        (
            "grant_remainder",
            "alice",
            "bonus free (EUR): remaining 650, but amount 1000 - taken 400 + given back 0 = 600,"
            " history sums to 600",
        )
    ]
    db.execute("update wallet_core.bonus_grants set remaining = -1 where bonus_id = 'free'")
    assert sorted(audit(db)) == [
        (
            "grant_below_zero",
            "alice",
            "bonus free (EUR): remaining -1, and no rollback took it there",
        ),
        (
            "grant_remainder",
            "alice",
            "bonus free (EUR): remaining -1, but amount 1000 - taken 400 + given back 0 = 600,"
            " history sums to 600",
        ),
    ]
