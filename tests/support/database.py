"""Reaching the test databases and looking at what a request did to them.

Two snapshots of the ledger, for "this wrote nothing" checks: ``ledger_snapshot`` (row count
and a digest of the content of every table in ``wallet_core``) and ``ledger_counts`` (row
counts, every account and every bet's state), which the SQL route tests compare around a
refusal.
"""

from __future__ import annotations

from typing import Any

import psycopg
import psycopg.conninfo

from tests.support.provider import CURRENCY, PLAYER


def conninfo_of(conn: psycopg.Connection) -> str:
    """A conninfo string that opens more connections to the database ``conn`` is on."""
    return conn.info.dsn + (f" password={conn.info.password}" if conn.info.password else "")


def app_conninfo(db: psycopg.Connection, **overrides: object) -> str:
    """The per-test database, as the service's role wallet_app."""
    return psycopg.conninfo.make_conninfo(conninfo_of(db), user="wallet_app", **overrides)


def balance_of(db: psycopg.Connection, player_id: str = PLAYER, currency: str = CURRENCY) -> int:
    row = db.execute("SELECT wallet.balance(%s, %s)", (player_id, currency)).fetchone()
    assert row is not None
    return int(row[0])


def audit_findings(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    """Broken invariants (negative balances and grants after rollbacks are findings the contract
    allows)."""
    rows = db.execute("SELECT * FROM wallet.audit()").fetchall()
    return [row for row in rows if row[0] not in ("negative_balance", "negative_grant")]


def ledger_snapshot(db: psycopg.Connection) -> dict[str, str]:
    """Row count and content digest of every table in wallet_core."""
    tables = [
        row[0]
        for row in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'wallet_core' ORDER BY 1"
        ).fetchall()
    ]
    assert tables, "no tables in wallet_core"
    snapshot = {}
    for table in tables:
        row = db.execute(
            "SELECT count(*) || ':' || "
            "coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '')"
            f" FROM wallet_core.{table} AS t"
        ).fetchone()
        assert row is not None
        snapshot[table] = str(row[0])
    return snapshot


def ledger_counts(conn: psycopg.Connection) -> dict[str, Any]:
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
