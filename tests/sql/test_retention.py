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
from tests.support.provider import make_request


def bet_make(db: psycopg.Connection, transaction_id: str, amount: int = 100) -> tuple[int, str]:
    request = make_request(transaction_id, amount, betslip_id=f"slip-{transaction_id}")
    row = db.execute(
        "SELECT status, body::text FROM wallet.bet_make(%s::jsonb)", (json.dumps(request),)
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def keys(db: psycopg.Connection) -> set[str]:
    return {key for (key,) in db.execute("SELECT key FROM wallet_core.idempotency").fetchall()}


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
    age(db, "make-old", 31)
    age(db, "make-29-days", 29)
    balance = balance_of(db)

    monkeypatch.setenv("DATABASE_URL", conninfo_of(db))
    monkeypatch.delenv("WALLET_RETENTION_DAYS", raising=False)
    assert main(["purge"]) == 0
    assert "purged 1 idempotency record(s) older than 30 days" in capsys.readouterr().out

    assert keys(db) == {"make-recent", "make-29-days"}
    # inside the window: the same answer, byte for byte, and no second debit
    assert bet_make(db, "make-recent") == recent
    assert bet_make(db, "make-29-days") == edge
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
    assert keys(db) == {"make-in-flight"}
    assert balance_of(db) < 100_000


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
