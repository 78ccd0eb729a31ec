"""Retention: ``wallet purge`` removes idempotency records older than the window, batch by
batch, waits for no lock a route function holds, and a replay inside the window still replays."""

from __future__ import annotations

import json
import threading

import psycopg
import psycopg.conninfo
import pytest

from app.cli import main
from app.ops.retention import purge_idempotency
from tests.support.database import balance_of, conninfo_of
from tests.support.provider import (
    Answer,
    call,
    discard_request,
    lost_request,
    make_request,
    refund_request,
    rollback_request,
    win_request,
)


def bet_make(db: psycopg.Connection, transaction_id: str, amount: int = 100) -> tuple[int, str]:
    request = make_request(transaction_id, amount, betslip_id=f"slip-{transaction_id}")
    row = db.execute(
        "SELECT status, body::text FROM wallet.bet_make(%s::jsonb)", (json.dumps(request),)
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def keys(db: psycopg.Connection) -> set[str]:
    return {key for (key,) in db.execute("SELECT key FROM wallet_core.idempotency").fetchall()}


def records(db: psycopg.Connection) -> set[tuple[str, str]]:
    rows = db.execute("SELECT kind, key FROM wallet_core.idempotency").fetchall()
    return {(str(kind), str(key)) for kind, key in rows}


def age_all(db: psycopg.Connection, days: int = 400) -> None:
    """Every record older than any window: what a purge with a zero window would see."""
    db.execute(
        "UPDATE wallet_core.idempotency SET created_at = now() - make_interval(days => %s)",
        (days,),
    )


def purge(db: psycopg.Connection) -> int:
    return purge_idempotency(conninfo_of(db), keep_days=1, pause=0, out=lambda line: None).deleted


def age(db: psycopg.Connection, key: str, days: int) -> None:
    db.execute(
        "UPDATE wallet_core.idempotency SET created_at = now() - make_interval(days => %s)"
        " WHERE key = %s",
        (days, key),
    )


def test_purge_removes_what_is_older_than_the_window_and_replays_still_replay(
    db: psycopg.Connection,
    player: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = bet_make(db, "make-old")
    recent = bet_make(db, "make-recent")
    edge = bet_make(db, "make-29-days")
    assert old[0] == recent[0] == edge[0] == 200
    # discarded, so that their bets are finished: an unfinished bet's records are kept (below)
    for key in ("make-old", "make-recent", "make-29-days"):
        assert call(db, "bet/discard", discard_request(key)).status == 200
    age(db, "make-old", 31)
    age(db, "make-29-days", 29)
    balance = balance_of(db)

    monkeypatch.setenv("DATABASE_URL", conninfo_of(db))
    monkeypatch.delenv("WALLET_RETENTION_DAYS", raising=False)
    assert main(["purge"]) == 0
    # make-old's discard; its make's record is its bet row (migration 0610), which retention
    # keeps with the bet
    assert "purged 1 idempotency record(s) older than 30 days" in capsys.readouterr().out

    assert keys(db) == {"make-recent", "make-29-days"}
    # inside the window: the same answer, byte for byte, and no second debit
    assert bet_make(db, "make-recent") == recent
    assert bet_make(db, "make-29-days") == edge
    # a make's answer lives as long as its bet: the same bytes after the window too
    assert bet_make(db, "make-old") == old
    assert balance_of(db) == balance
    # a shorter window from the environment
    monkeypatch.setenv("WALLET_RETENTION_DAYS", "10")
    assert main(["purge"]) == 0
    assert keys(db) == {"make-recent"}


def test_purge_walks_the_table_in_batches(db: psycopg.Connection) -> None:
    db.execute(
        "INSERT INTO wallet_core.idempotency (kind, key, operation_id, route, status, response,"
        " created_at)"
        " SELECT 'transaction', 'synthetic-' || n, nextval('wallet_core.operation_id_seq'),"
        ' \'bet/make\', 400, \'{"code": 2001, "message": "old"}\','
        " now() - make_interval(days => CASE WHEN n % 2 = 0 THEN 40 ELSE 1 END)"
        " FROM generate_series(1, 5000) AS n"
    )
    blocks = db.execute(
        "SELECT pg_relation_size('wallet_core.idempotency') / current_setting('block_size')::int"
    ).fetchone()
    assert blocks is not None
    assert blocks[0] > 8
    said: list[str] = []

    result = purge_idempotency(conninfo_of(db), keep_days=30, blocks=4, out=said.append)

    assert result.deleted == 2500
    assert result.batches == -(-blocks[0] // 4)  # every block visited once
    assert len(keys(db)) == 2500
    assert all(int(key.split("-")[1]) % 2 == 1 for key in keys(db))
    assert said[0] == (
        f"purged 2500 idempotency record(s) older than 30 days in {result.batches} batch(es), "
        f"{result.seconds} s"
    )


def test_purge_waits_for_no_lock_a_route_function_holds(
    db: psycopg.Connection, player: str
) -> None:
    bet_make(db, "make-expired")
    assert call(db, "bet/discard", discard_request("make-expired")).status == 200
    age(db, "make-expired", 45)
    url = conninfo_of(db)
    with psycopg.connect(url) as in_flight:
        # a bet/make in its transaction: advisory lock on its key, the account row locked,
        # its idempotency row inserted, nothing committed
        status, _ = bet_make(in_flight, "make-in-flight")
        assert status == 200
        finished = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            try:
                # any lock wait would fail this purge after 200 ms
                purge_idempotency(
                    psycopg.conninfo.make_conninfo(url, options="-c lock_timeout=200"),
                    keep_days=30,
                    out=lambda line: None,
                )
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                finished.set()

        threading.Thread(target=run, daemon=True).start()
        assert finished.wait(timeout=30)
        assert errors == []
        in_flight.commit()
    # make-expired's discard went; the make in flight committed, its record in its bet row
    # (migration 0610), and is replayed from there
    assert keys(db) == set()
    assert balance_of(db) < 100_000
    balance = balance_of(db)
    assert bet_make(db, "make-in-flight")[0] == 200
    assert balance_of(db) == balance


def test_a_window_shorter_than_a_day_is_refused(
    db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="at least 1 day"):
        db.execute("SELECT * FROM wallet.purge_idempotency(interval '1 hour', 0)")
    monkeypatch.setenv("DATABASE_URL", conninfo_of(db))
    assert main(["purge", "--keep-days", "0"]) == 2
    monkeypatch.setenv("WALLET_RETENTION_DAYS", "a month")
    assert main(["purge"]) == 2
    assert "WALLET_RETENTION_DAYS must be a number of days" in capsys.readouterr().err


def test_purge_also_removes_published_events_older_than_the_window(
    db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db.execute(
        "INSERT INTO wallet_core.events (type, occurred_at, player_id, currency, amount, balance,"
        " published_at) VALUES"
        " ('bet.made', now() - interval '40 days', 'old-published', 'EUR', -1, 0,"
        "  now() - interval '40 days'),"
        " ('bet.made', now() - interval '40 days', 'old-unpublished', 'EUR', -1, 0, NULL),"
        " ('bet.made', now() - interval '2 days', 'recent-published', 'EUR', -1, 0, now())"
    )
    monkeypatch.setenv("DATABASE_URL", conninfo_of(db))
    monkeypatch.delenv("WALLET_RETENTION_DAYS", raising=False)
    assert main(["purge"]) == 0
    assert "purged 1 published event(s) older than 30 days" in capsys.readouterr().out
    left = db.execute("SELECT player_id FROM wallet_core.events ORDER BY 1").fetchall()
    assert left == [("old-unpublished",), ("recent-published",)]


# What can still come back: the records of a bet that is not finished ---------------------------


def bet_state(db: psycopg.Connection, bet_id: str) -> str:
    row = db.execute("SELECT state FROM wallet_core.bets WHERE bet_id = %s", (int(bet_id),))
    found = row.fetchone()
    assert found is not None
    return str(found[0])


def made(db: psycopg.Connection, transaction_id: str, amount: int = 1_000) -> str:
    answer = call(db, "bet/make", make_request(transaction_id, amount, betslip_id=transaction_id))
    assert answer.status == 200, answer.text
    return str(answer.body["id"])


SETTLEMENTS = {
    "bet/win": lambda bet, tx: win_request(bet, tx, 2_500),
    "bet/refund": lambda bet, tx: refund_request(bet, tx, 1_000),
    "bet/lost": lambda bet, tx: lost_request(bet, tx),
}


@pytest.mark.parametrize("route", list(SETTLEMENTS))
def test_a_rolled_back_settlement_sent_again_after_a_purge_replays_and_moves_nothing(
    db: psycopg.Connection, player: str, route: str
) -> None:
    """Issue 17: win, rollback, purge with a zero window (every record older than it), the win
    sent again: its stored answer, never a second credit; the same for a refund and a lost,
    and the rollback sent again replays too."""
    bet = made(db, "make-1")
    settle = SETTLEMENTS[route](bet, "settle-1")
    settled = call(db, route, settle)
    assert settled.status == 200, settled.text
    undo = rollback_request(bet, "rollback-1", "settle-1")
    undone = call(db, "bet/rollback", undo)
    assert undone.status == 200, undone.text
    assert bet_state(db, bet) == "accepted"
    balance = balance_of(db)
    before = records(db)
    age_all(db)

    assert purge(db) == 0
    assert records(db) == before

    assert call(db, route, settle) == settled
    assert call(db, "bet/rollback", undo) == undone
    assert balance_of(db) == balance
    assert bet_state(db, bet) == "accepted"  # a lost sent again did not settle it either


def test_a_refusal_of_a_bet_that_can_change_stays_refused_after_a_purge(
    db: psycopg.Connection, player: str
) -> None:
    """A second win refused (2004, stored) while the first stood; the first rolled back: sent
    again after a purge, the second win is still the stored refusal, not a credit."""
    bet = made(db, "make-1")
    assert call(db, "bet/win", win_request(bet, "win-1", 2_500)).status == 200
    refused = call(db, "bet/win", win_request(bet, "win-2", 9_000))
    assert refused.code == 2004
    assert call(db, "bet/rollback", rollback_request(bet, "rollback-1", "win-1")).status == 200
    balance = balance_of(db)
    age_all(db)

    assert purge(db) == 0

    assert call(db, "bet/win", win_request(bet, "win-2", 9_000)) == refused
    assert balance_of(db) == balance


def test_the_make_and_commit_of_an_unfinished_bet_replay_after_a_purge(
    db: psycopg.Connection, player: str
) -> None:
    made_answer = call(db, "bet/make", make_request("make-1", 1_000, betslip_id="make-1"))
    bet = str(made_answer.body["id"])
    committed = call(db, "bet/commit", {"bet_transaction_id": bet})
    assert committed.status == 200, committed.text
    won = call(db, "bet/win", win_request(bet, "win-1", 2_500))
    assert won.status == 200
    balance = balance_of(db)
    age_all(db)

    assert purge(db) == 0  # settled is not finished: a rollback may still come

    assert call(db, "bet/make", make_request("make-1", 1_000, betslip_id="make-1")) == made_answer
    assert call(db, "bet/commit", {"bet_transaction_id": bet}) == committed
    assert call(db, "bet/win", win_request(bet, "win-1", 2_500)) == won
    assert balance_of(db) == balance


def test_the_records_of_finished_bets_and_of_no_bet_are_purged_and_come_back_as_refusals(
    db: psycopg.Connection, player: str
) -> None:
    """Closed (a settlement made it final) and discarded bets never change again: their records
    go, and every operation sent again answers 2004 and moves no money. So do the records
    that name no bet (a refused make, an unknown player's win naming a bet that is no wallet
    id). The one unfinished bet keeps its record. A make's record is its bet row (migration
    0610), which retention does not delete: a make sent again replays its answer, moving no
    money either."""
    closed_make = call(db, "bet/make", make_request("make-closed", 1_000, betslip_id="make-closed"))
    closed = str(closed_make.body["id"])
    sent: list[tuple[str, dict[str, object]]] = [
        ("bet/make", make_request("make-closed", 1_000, betslip_id="make-closed")),
        ("bet/commit", {"bet_transaction_id": closed}),
        ("bet/win", win_request(closed, "win-closed", 2_500)),
        ("bet/settlement", {"bet_transaction_id": closed, "status": "won"}),
    ]
    discarded_make = call(
        db, "bet/make", make_request("make-discarded", 1_000, betslip_id="make-discarded")
    )
    assert discarded_make.status == 200
    sent += [
        ("bet/make", make_request("make-discarded", 1_000, betslip_id="make-discarded")),
        ("bet/discard", discard_request("make-discarded")),
        # a discard marker: the make never came, and is refused when it does
        ("bet/discard", discard_request("make-never-seen")),
        ("bet/make", make_request("make-never-seen", 1_000, betslip_id="make-never-seen")),
    ]
    refused = [
        ("bet/make", make_request("make-too-big", 10_000_000, betslip_id="make-too-big")),
        ("bet/win", {**win_request("no-such-bet", "win-nobody", 5), "transaction": {
            "id": "win-nobody", "ext_player_id": "nobody", "amount": 5, "currency": "EUR",
            "operation": "win"}}),
        ("bet/win", {**win_request("99999999999999999999", "win-huge-ref", 5), "transaction": {
            "id": "win-huge-ref", "ext_player_id": "nobody", "amount": 5, "currency": "EUR",
            "operation": "win"}}),
    ]  # fmt: skip
    first: list[Answer] = []
    for route, request in sent[1:4] + sent[5:7]:
        first.append(call(db, route, request))
    assert [a.status for a in first] == [200, 200, 200, 200, 200], [a.text for a in first]
    assert call(db, *sent[7]).code == 2004
    assert [call(db, route, request).code for route, request in refused] == [2001, 1006, 1006]
    open_bet = made(db, "make-open")
    balance = balance_of(db)
    assert {bet_state(db, closed)} == {"closed"}
    age_all(db)

    assert purge(db) == 9  # 3 of the closed bet, 1 + 2 discarded, 3 of no bet
    assert records(db) == set()  # make-open's record is its bet row

    again = [call(db, route, request) for route, request in sent]
    assert [a.code for a in again] == [None, *[2004] * 3, None, *[2004] * 3], [
        a.text for a in again
    ]
    assert (again[0], again[4]) == (closed_make, discarded_make)
    assert [call(db, route, request).code for route, request in refused] == [2001, 1006, 1006]
    assert balance_of(db) == balance
    assert bet_state(db, open_bet) == "open"
