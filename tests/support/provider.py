"""Provider requests as the contract shapes them, and a way to call the route functions.

The builders live in ``app.provider`` (``wallet simulate`` sends the same requests) and are
re-exported here; ``call`` hands a request to the route's PL/pgSQL function exactly as the
service does, one statement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg

from app.contract import ROUTE_BY_PATH
from app.provider import (  # noqa: F401  (the builders, for the tests' ``p.make(...)``)
    balance,
    commit,
    discard,
    lost,
    make,
    new_id,
    refund,
    rollback,
    selection,
    settlement,
    win,
)


@dataclass(frozen=True)
class Answer:
    status: int
    text: str

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.text)

    @property
    def code(self) -> int | None:
        """The provider error code, or None for a success."""
        return None if self.status == 200 else self.body["code"]


def call(conn: psycopg.Connection, route: str, request: Any) -> Answer:
    """One route call, as the service makes it: one statement, its own transaction."""
    row = conn.execute(ROUTE_BY_PATH[route].query, [json.dumps(request)]).fetchone()
    assert row is not None
    return Answer(row[0], row[1])


def ledger_snapshot(conn: psycopg.Connection) -> dict[str, Any]:
    """Everything a request could write: row counts of every wallet table, and every account."""
    tables = [
        row[0]
        for row in conn.execute(
            "select tablename from pg_tables where schemaname = 'wallet_core' order by tablename"
        )
    ]
    snapshot: dict[str, Any] = {
        table: conn.execute(f"select count(*) from wallet_core.{table}").fetchone()[0]
        for table in tables
    }
    snapshot["accounts"] = conn.execute(
        "select player_id, currency, balance, blocked from wallet_core.accounts order by 1, 2"
    ).fetchall()
    snapshot["bet_states"] = conn.execute(
        "select bet_id, state, result, settled_amount from wallet_core.bets order by 1"
    ).fetchall()
    return snapshot


def audit_findings(conn: psycopg.Connection) -> list[tuple]:
    """wallet.audit() rows that are broken invariants (negative balances are not)."""
    return conn.execute(
        "select * from wallet.audit() where \"check\" <> 'negative_balance'"
    ).fetchall()
