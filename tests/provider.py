"""Provider requests as the contract shapes them, and a way to call the route functions.

The builders return the object a provider puts in the JWT's ``payload`` claim; ``call`` hands it
to the route's PL/pgSQL function exactly as the service does, one statement.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

import psycopg

from app.contract import ROUTE_BY_PATH

_ids = itertools.count(1)


def new_id(prefix: str = "tx") -> str:
    return f"{prefix}-{next(_ids)}"


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


def selection(
    n: int = 1, *, sport: str = "1", category: str = "c1", tournament: str = "t1"
) -> dict:
    return {
        "id": f"sel-{n}",
        "event_id": f"event-{n}",
        "sport_id": sport,
        "sport_name": f"Sport {sport}",
        "category_id": category,
        "category_name": f"Category {category}",
        "tournament_id": tournament,
        "tournament_name": f"Tournament {tournament}",
        "competitor_name": ["Home", "Away"],
        "market_name": "1x2",
        "outcome_name": "1",
        "scheduled": 1767225600,
        "live": False,
        "odds": "1.85",
    }


def make(
    player: str,
    amount: int,
    *,
    currency: str = "EUR",
    tx: str | None = None,
    selections: list[dict] | None = None,
) -> dict:
    tx = tx or new_id("make")
    return {
        "amount": amount,
        "currency": currency,
        "player_id": player,
        "session_id": "session-1",
        "potential_win": amount * 2,
        "transaction": {
            "id": tx,
            "betslip_id": f"slip-{tx}",
            "player_id": f"provider-{player}",
            "ext_player_id": player,
            "timestamp": 1767225000,
            "amount": amount,
            "currency": currency,
            "operation": "bet",
        },
        "betslip": {
            "id": f"slip-{tx}",
            "timestamp": 1767225000.25,
            "type": "single",
            "sum": amount,
            "k": "1.85",
            "is_quick_bet": False,
            "accept_odds_change": True,
            "bets": selections if selections is not None else [selection()],
        },
    }


def commit(bet_id: str) -> dict:
    return {"bet_transaction_id": bet_id}


def discard(player: str, make_tx: str, reason: str = "rejected by trader") -> dict:
    return {"ext_player_id": player, "transaction_id": make_tx, "reason": reason}


def win(
    player: str,
    bet_id: str,
    amount: int,
    *,
    currency: str = "EUR",
    tx: str | None = None,
    cashout: bool = False,
) -> dict:
    tx = tx or new_id("win")
    return {
        "amount": amount,
        "currency": currency,
        "is_cashout": cashout,
        "bet_transaction_id": bet_id,
        "transaction": {
            "id": tx,
            "ext_player_id": player,
            "amount": amount,
            "currency": currency,
            "operation": "win",
        },
    }


def lost(player: str, bet_id: str, *, currency: str = "EUR", tx: str | None = None) -> dict:
    return {
        "amount": 0,
        "currency": currency,
        "bet_transaction_id": bet_id,
        "transaction": {"id": tx or new_id("lost"), "ext_player_id": player, "operation": "lost"},
    }


def refund(
    player: str, bet_id: str, amount: int, *, currency: str = "EUR", tx: str | None = None
) -> dict:
    return {
        "bet_transaction_id": bet_id,
        "reason": "event cancelled",
        "reason_code": "cancelled",
        "transaction": {
            "id": tx or new_id("refund"),
            "ext_player_id": player,
            "amount": amount,
            "currency": currency,
            "operation": "refund",
        },
    }


def rollback(
    player: str,
    bet_id: str,
    settlement_tx: str,
    *,
    amount: int | None = None,
    currency: str | None = None,
    tx: str | None = None,
) -> dict:
    transaction: dict[str, Any] = {
        "id": tx or new_id("rollback"),
        "ext_player_id": player,
        "operation": "rollback",
    }
    if amount is not None:
        transaction["amount"] = amount
    if currency is not None:
        transaction["currency"] = currency
    return {
        "bet_transaction_id": bet_id,
        "parent_transaction_id": settlement_tx,
        "transaction": transaction,
    }


def settlement(bet_id: str, status: str = "won") -> dict:
    return {"bet_transaction_id": bet_id, "status": status}


def balance(player: str, currency: str = "EUR") -> dict:
    return {"player_id": player, "currency": currency}


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
