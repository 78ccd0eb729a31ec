"""Concurrency, for real: many connections, one player, requests released at the same instant.

Each scenario opens its own connections (one per simulated provider request), lines them up on a
barrier so the statements reach PostgreSQL together, and then checks money, answers and audit.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from tests import provider as p
from tests.provider import Answer, call


def at_once(db_url: str, requests: list[tuple[str, Any]]) -> list[Answer]:
    """Send every (route, request) on its own connection, all released by one barrier."""
    connections = [psycopg.connect(db_url, autocommit=True) for _ in requests]
    barrier = threading.Barrier(len(requests))

    def send(i: int) -> Answer:
        route, request = requests[i]
        barrier.wait()
        return call(connections[i], route, request)

    try:
        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            return list(pool.map(send, range(len(requests))))
    finally:
        for conn in connections:
            conn.close()


def balance_of(conn: psycopg.Connection, player: str, currency: str = "EUR") -> int:
    return conn.execute("select wallet.balance(%s, %s)", [player, currency]).fetchone()[0]


def test_twenty_makes_for_one_player(db: psycopg.Connection, db_url: str) -> None:
    db.execute("select wallet.create_player('alice', 'EUR', 100000)")
    answers = at_once(db_url, [("bet/make", p.make("alice", 1000 + i)) for i in range(20)])
    assert [a.status for a in answers] == [200] * 20
    assert balance_of(db, "alice") == 100000 - sum(1000 + i for i in range(20))
    # every answer's balance is distinct: each saw the one before it
    assert len({a.body["balance"] for a in answers}) == 20
    assert p.audit_findings(db) == []


def test_twenty_makes_exceeding_the_balance(db: psycopg.Connection, db_url: str) -> None:
    db.execute("select wallet.create_player('alice', 'EUR', 10000)")
    answers = at_once(db_url, [("bet/make", p.make("alice", 1000)) for _ in range(20)])
    assert sorted(a.code or 200 for a in answers) == [200] * 10 + [2001] * 10
    assert balance_of(db, "alice") == 0
    assert p.audit_findings(db) == []


def test_fifty_copies_of_one_make(db: psycopg.Connection, db_url: str) -> None:
    db.execute("select wallet.create_player('alice', 'EUR', 10000)")
    make = p.make("alice", 2500)
    answers = at_once(db_url, [("bet/make", make)] * 50)
    assert {a.status for a in answers} == {200}
    assert len({a.text for a in answers}) == 1  # one debit, 49 byte-identical replays
    assert balance_of(db, "alice") == 7500
    debits = db.execute("select count(*) from wallet_core.journal where operation = 'bet'")
    assert debits.fetchone()[0] == 1
    assert p.audit_findings(db) == []


@pytest.mark.parametrize("discard_first", [True, False])
def test_discard_racing_its_make(db: psycopg.Connection, db_url: str, discard_first: bool) -> None:
    """Whatever wins the race, the player ends with the stake: never without it, never twice."""
    db.execute("select wallet.create_player('alice', 'EUR', 10000)")
    outcomes = set()
    for _ in range(40):
        make = p.make("alice", 700)
        pair = [("bet/make", make), ("bet/discard", p.discard("alice", make["transaction"]["id"]))]
        if discard_first:
            pair.reverse()
        answers = dict(zip([route for route, _ in pair], at_once(db_url, pair), strict=True))
        assert answers["bet/discard"].status == 200
        assert balance_of(db, "alice") == 10000
        outcomes.add((answers["bet/make"].code, answers["bet/discard"].body["amount"]))
    # a made-then-discarded bet refunds 700; a discard-first marker refuses the make (2004)
    assert outcomes <= {(None, 700), (2004, 0)}
    assert p.audit_findings(db) == []


def test_bet_slips_naming_the_same_new_references_in_any_order(
    db: psycopg.Connection, db_url: str
) -> None:
    db.execute("select wallet.create_player('alice', 'EUR', 100000)")
    db.execute("select wallet.create_player('bob', 'EUR', 100000)")
    keys = [(f"s{i}", f"c{i}", f"t{i}") for i in range(6)]
    requests = []
    rng = random.Random(20261125)
    for n in range(20):
        order = keys[:]
        rng.shuffle(order)
        selections = [
            p.selection(k, sport=s, category=c, tournament=t) for k, (s, c, t) in enumerate(order)
        ]
        requests.append(
            ("bet/make", p.make("alice" if n % 2 else "bob", 100, selections=selections))
        )
    answers = at_once(db_url, requests)
    assert [a.status for a in answers] == [200] * 20, [a.text for a in answers if a.status != 200]
    for table in ("sports", "categories", "tournaments"):
        assert db.execute(f"select count(*) from wallet_core.{table}").fetchone()[0] == 6
    assert db.execute("select count(*) from wallet_core.selections").fetchone()[0] == 120
    assert p.audit_findings(db) == []


def test_wins_and_rollbacks_of_one_bet_racing(db: psycopg.Connection, db_url: str) -> None:
    """Duplicated wins, a rollback and a second settlement of one bet, all at once, many times."""
    db.execute("select wallet.create_player('alice', 'EUR', 1000000)")
    for _ in range(10):
        before = balance_of(db, "alice")
        bet_id = call(db, "bet/make", p.make("alice", 1000)).body["id"]
        first_win = p.win("alice", bet_id, 2500)
        assert call(db, "bet/win", first_win).status == 200
        requests: list[tuple[str, Any]] = [("bet/win", first_win)] * 5
        requests += [("bet/rollback", p.rollback("alice", bet_id, first_win["transaction"]["id"]))]
        requests += [("bet/win", p.win("alice", bet_id, 4000))] * 5
        requests += [("bet/lost", p.lost("alice", bet_id))] * 4
        requests += [("bet/settlement", p.settlement(bet_id, "won"))] * 5
        answers = at_once(db_url, requests)
        assert all(a.status in (200, 400) for a in answers)
        assert {a.code for a in answers} <= {None, 2004}
        state, settled = db.execute(
            "select state, settled_amount from wallet_core.bets where bet_id = %s", [int(bet_id)]
        ).fetchone()
        expected = before - 1000 + (settled if state in ("settled", "closed") else 0)
        assert balance_of(db, "alice") == expected
        assert p.audit_findings(db) == []


def test_many_players_many_routes_no_deadlock(db: psycopg.Connection, db_url: str) -> None:
    """Forty requests over four players and both currencies of one: every one answered."""
    players = ["p0", "p1", "p2", "p3"]
    for player in players:
        db.execute("select wallet.create_player(%s, 'EUR', 100000)", [player])
    db.execute("select wallet.create_player('p0', 'USDT', 100000)")
    bets = {player: call(db, "bet/make", p.make(player, 100)).body["id"] for player in players}
    rng = random.Random(7)
    builders: list[Callable[[str], tuple[str, Any]]] = [
        lambda pl: ("bet/make", p.make(pl, 10)),
        lambda pl: ("bet/make", p.make(pl, 10, currency="USDT" if pl == "p0" else "EUR")),
        lambda pl: ("balance", p.balance(pl)),
        lambda pl: ("bet/commit", p.commit(bets[pl])),
        lambda pl: ("bet/win", p.win(pl, bets[pl], 50)),
    ]
    requests = [rng.choice(builders)(rng.choice(players)) for _ in range(40)]
    answers = at_once(db_url, requests)
    assert all(a.status in (200, 400) for a in answers)
    assert {a.code for a in answers} <= {None, 2004}
    assert p.audit_findings(db) == []
