"""Concurrency, for real: many connections, one player, requests released at the same instant.

Each scenario opens its own connections (one per simulated provider request), lines them up on a
barrier so the statements reach PostgreSQL together, and then checks money, answers and audit.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from tests.support import provider as p
from tests.support.database import audit_findings
from tests.support.provider import Answer, call


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
    assert audit_findings(db) == []


def test_twenty_makes_exceeding_the_balance(db: psycopg.Connection, db_url: str) -> None:
    db.execute("select wallet.create_player('alice', 'EUR', 10000)")
    answers = at_once(db_url, [("bet/make", p.make("alice", 1000)) for _ in range(20)])
    assert sorted(a.code or 200 for a in answers) == [200] * 10 + [2001] * 10
    assert balance_of(db, "alice") == 0
    assert audit_findings(db) == []


def test_fifty_copies_of_one_make(db: psycopg.Connection, db_url: str) -> None:
    db.execute("select wallet.create_player('alice', 'EUR', 10000)")
    make = p.make("alice", 2500)
    answers = at_once(db_url, [("bet/make", make)] * 50)
    assert {a.status for a in answers} == {200}
    assert len({a.text for a in answers}) == 1  # one debit, 49 byte-identical replays
    assert balance_of(db, "alice") == 7500
    debits = db.execute("select count(*) from wallet_core.journal where operation = 'bet'")
    assert debits.fetchone()[0] == 1
    assert audit_findings(db) == []


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
    assert audit_findings(db) == []


def waits_on(db: psycopg.Connection, conn: psycopg.Connection, future: Any, event: str) -> None:
    """Until ``conn``'s backend waits on ``event`` (pg_stat_activity.wait_event), its call
    (``future``) still running."""
    deadline = time.monotonic() + 30
    query = "select wait_event from pg_stat_activity where pid = %s"
    while db.execute(query, [conn.info.backend_pid]).fetchone()[0] != event:
        assert time.monotonic() < deadline, f"the call never waited on {event}"
        assert not future.done(), future.result()
        time.sleep(0.005)  # the polling interval, not a guess at when it waits


def test_a_discard_committing_while_its_make_waits_on_the_bet_key(
    db: psycopg.Connection, db_url: str
) -> None:
    """A usual make looks for its discard marker before it takes the account lock. A marker
    inserted after that look, and committed while the make's insert waits on it, still
    refuses the make (2004): the debit the make had written in the same statement is put
    back, and no bet, journal row or event is left of it."""
    db.execute("select wallet.create_player('alice', 'EUR', 10000)")
    make = p.make("alice", 700)
    journal_before = debits_and_credits(db)
    discarder = psycopg.connect(db_url)  # its transaction stays open until told to commit
    maker = psycopg.connect(db_url, autocommit=True)
    try:
        discarded = call(discarder, "bet/discard", p.discard("alice", make["transaction"]["id"]))
        assert (discarded.status, discarded.body["amount"]) == (200, 0)  # a marker, uncommitted
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(call, maker, "bet/make", make)
            waits_on(db, maker, future, "transactionid")
            discarder.commit()
            answer = future.result(timeout=30)
    finally:
        discarder.close()
        maker.close()
    assert answer.code == 2004, answer.text
    assert balance_of(db, "alice") == 10000
    assert debits_and_credits(db) == journal_before
    made = db.execute("select count(*) from wallet_core.events where type = 'bet.made'")
    assert made.fetchone()[0] == 0
    assert db.execute("select count(*) from wallet_core.bets where made").fetchone()[0] == 0
    assert call(db, "bet/make", make).text == answer.text  # the refusal is stored
    assert audit_findings(db) == []


def test_a_make_queues_for_its_player_before_any_row_lock(
    db: psycopg.Connection, db_url: str
) -> None:
    """The makes of one player reach the account lock one at a time, through the player's make
    queue (an advisory lock of class 0x4D414B45 on the player id's hash), taken before any row
    lock: a make waiting there holds no lock on the account, and another player's make does
    not wait at all."""
    db.execute("select wallet.create_player('alice', 'EUR', 10000)")
    db.execute("select wallet.create_player('bob', 'EUR', 10000)")
    holder = psycopg.connect(db_url)  # holds alice's place in the queue until told to commit
    maker = psycopg.connect(db_url, autocommit=True)
    try:
        holder.execute("select pg_advisory_xact_lock(1296124741, hashtext('alice'))")
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(call, maker, "bet/make", p.make("alice", 700))
            waits_on(db, maker, future, "advisory")
            with db.transaction():  # NOWAIT: an error if the queued make held the row
                db.execute(
                    "select from wallet_core.accounts where player_id = 'alice' for update nowait"
                )
            assert call(db, "bet/make", p.make("bob", 700)).status == 200
            assert not future.done()
            holder.commit()
            assert future.result(timeout=30).status == 200
    finally:
        holder.close()
        maker.close()
    assert balance_of(db, "alice") == balance_of(db, "bob") == 9300
    assert audit_findings(db) == []


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
    legs = "select sum(cardinality(wallet_core.bet_legs(legs_packed, legs))) from wallet_core.bets"
    assert db.execute(legs).fetchone()[0] == 120
    assert audit_findings(db) == []


def test_wins_and_rollbacks_of_one_bet_racing(db: psycopg.Connection, db_url: str) -> None:
    """Duplicated wins, a rollback and a second settlement of one bet, all at once, many times.
    A copy may be refused (2004 for the bet's state, stored), but every copy of one request gets
    the same answer as the others."""
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
        # copies of one request all get one answer, byte for byte: the first's, stored
        by_request: dict[int, set[str]] = {}
        for (_, request), answer in zip(requests, answers, strict=True):
            by_request.setdefault(id(request), set()).add(answer.text)
        assert all(len(texts) == 1 for texts in by_request.values()), by_request
        state, settled = db.execute(
            "select state, settled_amount from wallet_core.bets where bet_id = %s", [int(bet_id)]
        ).fetchone()
        expected = before - 1000 + (settled if state in ("settled", "closed") else 0)
        assert balance_of(db, "alice") == expected
        assert audit_findings(db) == []


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
    assert audit_findings(db) == []


def in_flight(
    db: psycopg.Connection, db_url: str, player: str, requests: list[tuple[str, Any]]
) -> list[Answer]:
    """Send every (route, request) on its own connection while a DBA session holds the player's
    accounts locked; release the lock only once PostgreSQL shows every request waiting on a lock,
    so that all of them are in flight together."""
    blocker = psycopg.connect(db_url)
    connections = [psycopg.connect(db_url, autocommit=True) for _ in requests]
    pids = [conn.info.backend_pid for conn in connections]
    try:
        blocker.execute(
            "select from wallet_core.accounts where player_id = %s for no key update", [player]
        )
        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            futures = [
                pool.submit(call, conn, route, request)
                for conn, (route, request) in zip(connections, requests, strict=True)
            ]
            deadline = time.monotonic() + 30
            while True:
                waiting = db.execute(
                    "select count(*) from pg_stat_activity"
                    " where pid = any(%s) and wait_event_type = 'Lock'",
                    [pids],
                ).fetchone()[0]
                if waiting == len(requests):
                    break
                assert time.monotonic() < deadline, f"only {waiting} requests ever waited"
                assert not any(f.done() for f in futures), "a request finished under the lock"
                time.sleep(0.005)  # the polling interval, not a guess at when they wait
            blocker.commit()
            return [future.result(timeout=30) for future in futures]
    finally:
        blocker.close()
        for conn in connections:
            conn.close()


def debits_and_credits(conn: psycopg.Connection) -> int:
    return conn.execute("select count(*) from wallet_core.journal").fetchone()[0]


DUPLICATED = [
    "bet/commit",
    "bet/discard",
    "bet/win",
    "bet/lost",
    "bet/refund",
    "bet/settlement",
    "bet/rollback",
    "refused bet/make (2001)",
    "refused bet/make (1005)",
    "refused bet/commit (2004, state)",
]


@pytest.mark.parametrize("case", DUPLICATED)
def test_duplicates_in_flight_get_the_identical_answer(
    db: psycopg.Connection, db_url: str, case: str
) -> None:
    """Five copies of one request, all waiting at once: one applies, the other four get the
    stored answer byte for byte (never 2004 for the duplicate itself, never a 500)."""
    db.execute("select wallet.create_player('alice', 'EUR', 10000)")
    make = p.make("alice", 1000)
    bet_id = call(db, "bet/make", make).body["id"]
    win = p.win("alice", bet_id, 2500)
    if case in ("bet/settlement", "bet/rollback"):
        assert call(db, "bet/win", win).status == 200
    if case == "refused bet/commit (2004, state)":
        assert call(db, "bet/lost", p.lost("alice", bet_id)).status == 200
    if case == "refused bet/make (1005)":
        db.execute("select wallet.block_player('alice')")
    request: tuple[str, Any] = {
        "bet/commit": ("bet/commit", p.commit(bet_id)),
        "bet/discard": ("bet/discard", p.discard("alice", make["transaction"]["id"])),
        "bet/win": ("bet/win", win),
        "bet/lost": ("bet/lost", p.lost("alice", bet_id)),
        "bet/refund": ("bet/refund", p.refund("alice", bet_id, 1000)),
        "bet/settlement": ("bet/settlement", p.settlement(bet_id, "won")),
        "bet/rollback": ("bet/rollback", p.rollback("alice", bet_id, win["transaction"]["id"])),
        "refused bet/make (2001)": ("bet/make", p.make("alice", 9001)),
        "refused bet/make (1005)": ("bet/make", p.make("alice", 10)),
        "refused bet/commit (2004, state)": ("bet/commit", p.commit(bet_id)),
    }[case]
    expected_code = {
        "refused bet/make (2001)": 2001,
        "refused bet/make (1005)": 1005,
        "refused bet/commit (2004, state)": 2004,
    }.get(case)
    journal_before = debits_and_credits(db)
    balance_before = balance_of(db, "alice")

    answers = in_flight(db, db_url, "alice", [request] * 5)

    assert len({(a.status, a.text) for a in answers}) == 1, [a.text for a in answers]
    assert answers[0].code == expected_code, answers[0].text
    # the one that applied moved money once (or not at all); the replays moved nothing
    moved = {"bet/discard": 1000, "bet/win": 2500, "bet/refund": 1000, "bet/rollback": -2500}
    assert balance_of(db, "alice") == balance_before + moved.get(case, 0)
    assert debits_and_credits(db) == journal_before + (1 if case in moved else 0)
    # a stored answer is the key's one row: a replay after the race is the same answer again
    assert call(db, *request).text == answers[0].text
    assert audit_findings(db) == []
