"""Migration 0610: a make's record is its bet row, and its selections live there too; the bets made
before it are moved by ``wallet.move_to_bet_rows()`` in batches, and every old operation sent
again afterwards is answered byte for byte as it was.

The bets "made before 0610" are made through the route, then put back into the layout the code
before 0610 left (its ``wallet_core.idempotency`` row holding the very bytes the provider got,
its ``wallet_core.selections`` rows, no ``legs`` and no ``made_balance``), which is what the
migration finds in a deployed database.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from tests.support import provider as p
from tests.support.provider import Answer, call

PLAYER = "layout"

MAKE_RECORD = """
insert into wallet_core.idempotency (
    kind, key, operation_id, route, player_id, amount, currency, status, response
)
select 'transaction', b.make_transaction_id, b.bet_id, 'bet/make', a.player_id, b.stake, a.currency,
    200, %(answer)s::jsonb
from wallet_core.bets as b join wallet_core.accounts as a using (account_id)
where b.make_transaction_id = %(tx)s
"""

SELECTIONS_ROWS = """
insert into wallet_core.selections (
    bet_id, position, selection_id, event_id, sport_id, category_id, tournament_id,
    competitor_names, market_name, outcome_name, scheduled_at, live, odds
)
select b.bet_id, (l.n - 1)::integer, l.selection_id, l.event_id, l.sport_id, l.category_id,
    l.tournament_id,
    (select array_agg(x) from jsonb_array_elements_text(l.competitor_names) as x),
    l.market_name, l.outcome_name, l.scheduled_at, l.live, l.odds
from wallet_core.bets as b
cross join lateral unnest(wallet_core.bet_legs(b.legs_packed, b.legs)) with ordinality as l (
    scheduled_at, live, selection_id, event_id, sport_id, category_id, tournament_id,
    market_name, outcome_name, odds, competitor_names, n
)
where b.make_transaction_id = %(tx)s
"""


def as_before_0610(db: psycopg.Connection, tx: str, answer: str | None) -> None:
    """Puts a bet made through the route back into the layout of the code before 0610: its
    answer (the provider's bytes) in wallet_core.idempotency, unless ``answer`` is None (a record
    purged by retention), its slip in wallet_core.selections."""
    if answer is not None:
        db.execute(MAKE_RECORD, {"answer": answer, "tx": tx})
    db.execute(SELECTIONS_ROWS, {"tx": tx})
    db.execute(
        "update wallet_core.bets set legs = null, legs_packed = null, made_balance = null"
        " where make_transaction_id = %s",
        [tx],
    )


def make(tx: str, amount: int, legs: int = 3) -> dict[str, Any]:
    selections = [p.selection(n) for n in range(1, legs + 1)]
    return p.make(PLAYER, amount, tx=tx, selections=selections)


def history(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    return db.execute(
        "select bet_id, legs::text, operations::text from wallet.player_bets(%s) order by bet_id",
        [PLAYER],
    ).fetchall()


def counts(db: psycopg.Connection) -> tuple[int, int, int]:
    row = db.execute(
        "select (select count(*) from wallet_core.selections),"
        " (select count(*) from wallet_core.idempotency where route = 'bet/make'),"
        " (select count(*) from wallet_core.bets"
        "  where made and legs is null and legs_packed is null)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def test_a_make_writes_its_bet_and_no_idempotency_row_and_replays_from_the_bet(
    db: psycopg.Connection,
) -> None:
    db.execute("select wallet.create_player(%s, 'EUR', 100000)", [PLAYER])
    first = call(db, "bet/make", make("new-1", 1000))
    assert first.status == 200
    assert counts(db) == (0, 0, 0)
    assert db.execute(
        "select cardinality(wallet_core.bet_legs(legs_packed, legs)), made_balance"
        " from wallet_core.bets"
        " where make_transaction_id = 'new-1'"
    ).fetchone() == (3, 99000)
    # a retry and a copy in flight's late twin: the same bytes, no second debit
    assert call(db, "bet/make", make("new-1", 1000)) == first
    assert db.execute("select wallet.balance(%s, 'EUR')", [PLAYER]).fetchone() == (99000,)
    # the same key with other content, or on another route: 2004, not stored
    assert call(db, "bet/make", make("new-1", 999)).code == 2004
    bet = first.body["id"]
    assert call(db, "bet/win", p.win(PLAYER, bet, 10, tx="new-1")).code == 2004
    # a refusal has no bet row: it is stored in wallet_core.idempotency, and replayed from there
    refused = call(db, "bet/make", make("too-big", 10**9))
    assert refused.code == 2001
    assert db.execute(
        "select route, status from wallet_core.idempotency where key = 'too-big'"
    ).fetchall() == [("bet/make", 400)]
    db.execute("select wallet.adjust_balance(%s, 'EUR', (10^9)::bigint, 'deposit')", [PLAYER])
    assert call(db, "bet/make", make("too-big", 10**9)) == refused
    # a discard marker is no answer: the make that comes after it is refused, and stays refused
    assert call(db, "bet/discard", p.discard(PLAYER, "marked", "odds changed")).status == 200
    late = call(db, "bet/make", make("marked", 100))
    assert late.code == 2004
    assert call(db, "bet/make", make("marked", 100)) == late


def test_old_bets_move_in_batches_and_every_old_operation_replays_byte_for_byte(
    db: psycopg.Connection,
) -> None:
    db.execute("select wallet.create_player(%s, 'EUR', 100000)", [PLAYER])
    answers: dict[str, tuple[dict[str, Any], Answer]] = {}
    for n in range(7):
        request = make(f"old-{n}", 100 + n, legs=1 + n % 3)
        answers[f"old-{n}"] = (request, call(db, "bet/make", request))
    bet = answers["old-0"][1].body["id"]
    win = p.win(PLAYER, bet, 500, tx="old-0-win")
    answers["old-0-win"] = (win, call(db, "bet/win", win))
    refusal = make("old-refused", 10**9)
    answers["old-refused"] = (refusal, call(db, "bet/make", refusal))
    assert answers["old-refused"][1].code == 2001
    assert all(a.status == 200 for tx, (_, a) in answers.items() if tx != "old-refused")
    for n in range(7):
        answer = answers[f"old-{n}"][1].text
        if n == 5:  # the first edition's answer, with a field the bet row cannot rebuild
            answer = json.dumps(json.loads(answer) | {"edition": 1})
        as_before_0610(db, f"old-{n}", None if n == 6 else answer)  # old-6: purged
    before = history(db)
    assert counts(db) == (13, 7, 7)  # 1+2+3+1+2+3+1 selections; 6 make records + 1 refusal
    # the old layout is read as it is: the history, the replays (old-5's stored bytes)
    answers["old-5"] = (answers["old-5"][0], call(db, "bet/make", answers["old-5"][0]))
    assert answers["old-5"][1].body["edition"] == 1
    for tx, (request, answer) in answers.items():
        if tx != "old-6":
            assert call(db, route_of(tx), request) == answer, tx

    db.execute("call wallet.move_to_bet_rows(3)")

    # every selection moved, every make record the bet row reproduces is gone; old-5's stays,
    # and the refusal stays (it has no bet row)
    assert counts(db) == (0, 2, 0)
    assert history(db) == before
    for tx, (request, answer) in answers.items():
        if tx != "old-6":
            assert call(db, route_of(tx), request) == answer, tx
    # a make whose record retention had purged is refused as before (its bet exists), and the
    # money did not move twice
    assert call(db, "bet/make", answers["old-6"][0]).code == 2004
    assert db.execute(
        "select count(*) from wallet_core.journal where operation = 'bet'"
    ).fetchone() == (7,)
    # it may run again: nothing is left to move (old-6's refusal just now is stored, like any)
    db.execute("call wallet.move_to_bet_rows()")
    assert counts(db) == (0, 3, 0)


def route_of(tx: str) -> str:
    return "bet/win" if tx.endswith("-win") else "bet/make"


def test_the_batch_size_is_checked(db: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        db.execute("call wallet.move_to_bet_rows(0)")
