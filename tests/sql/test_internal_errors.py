"""Only the request's own decoding is 2004 (issue 17). An error raised inside a route function
by the wallet's own work (here a balance credited past bigint) is an error of the statement:
the transaction rolls back, nothing is written, and the service answers 500 so that the
provider retries. The same SQLSTATE raised while PostgreSQL casts the request's text to jsonb,
before any function runs, is the provider's malformed request: 2004.

The overflow is provoked through the interfaces only: a DBA opens an account whose balance is
near the largest bigint (``wallet.create_player`` takes any non-negative opening balance),
and a win credits it past that."""

from __future__ import annotations

import psycopg
import pytest

from app.service.database import is_request_decoding
from tests.support.database import app_conninfo, ledger_snapshot
from tests.support.provider import call, make, win

BIGINT_MAX = 2**63 - 1
RICH = "rich"


@pytest.fixture
def rich_bet(db: psycopg.Connection) -> str:
    """A bet of 1 000 by a player who opened with 500 below the largest bigint: a win of 2 000
    would take the balance 500 past it."""
    db.execute("SELECT wallet.create_player(%s, 'EUR', %s)", (RICH, BIGINT_MAX - 500))
    made = call(db, "bet/make", make(RICH, 1_000, tx="make-rich"))
    assert made.status == 200, made.text
    return str(made.body["id"])


def test_an_overflow_inside_a_route_function_fails_the_statement_and_writes_nothing(
    db: psycopg.Connection, rich_bet: str
) -> None:
    before = ledger_snapshot(db)
    # through the service's own role, exactly as the service calls
    with (
        psycopg.connect(app_conninfo(db), autocommit=True) as app,
        pytest.raises(psycopg.errors.NumericValueOutOfRange) as raised,
    ):
        call(app, "bet/win", win(RICH, rich_bet, 2_000, tx="win-rich"))
    assert not is_request_decoding(raised.value)  # the service answers it 500
    assert ledger_snapshot(db) == before  # no credit, no record of the key, no event
    # the provider's retry meets the same failure; once the balance allows, it applies once
    with pytest.raises(psycopg.errors.NumericValueOutOfRange):
        call(db, "bet/win", win(RICH, rich_bet, 2_000, tx="win-rich"))
    db.execute("SELECT wallet.adjust_balance(%s, 'EUR', -10000, 'make room')", (RICH,))
    won = call(db, "bet/win", win(RICH, rich_bet, 2_000, tx="win-rich"))
    assert won.status == 200, won.text
    assert call(db, "bet/win", win(RICH, rich_bet, 2_000, tx="win-rich")) == won
    row = db.execute("SELECT wallet.balance(%s, 'EUR')", (RICH,)).fetchone()
    assert row is not None
    assert row[0] == BIGINT_MAX - 500 - 1_000 - 10_000 + 2_000


@pytest.mark.parametrize(
    ("text", "sqlstate"),
    [
        pytest.param('{"player_id": ', "22P02", id="not-json"),
        pytest.param('{"player_id": "\\ud800"}', "22P02", id="lone-surrogate"),
        pytest.param('{"player_id": "a\\u0000b"}', "22P05", id="nul"),
        pytest.param('{"amount": 1e1000000}', "22003", id="number-beyond-numeric"),
        pytest.param("[" * 100_000 + "]" * 100_000, "54001", id="nested-100000-deep"),
    ],
)
def test_the_same_sqlstates_from_the_requests_own_cast_are_its_decoding(
    db: psycopg.Connection, text: str, sqlstate: str
) -> None:
    """The statement the service sends, with a request PostgreSQL refuses as jsonb: the error
    arises while the parameter is converted (its context names it), and means 2004."""
    before = ledger_snapshot(db)
    with (
        psycopg.connect(app_conninfo(db), autocommit=True, prepare_threshold=None) as app,
        pytest.raises(psycopg.Error) as raised,
    ):
        app.execute("SELECT status, body::text FROM wallet.bet_make(%s::jsonb)", (text,))
    assert raised.value.diag.sqlstate == sqlstate
    assert is_request_decoding(raised.value)
    assert ledger_snapshot(db) == before
