"""The database's guard rails: plpgsql_check finds no error in any PL/pgSQL function body (which
sqlfluff does not read), and the journal refuses UPDATE, DELETE and TRUNCATE even for its owner.
"""

from __future__ import annotations

import psycopg
import pytest


def test_plpgsql_check_finds_no_errors(db: psycopg.Connection) -> None:
    available = db.execute(
        "select 1 from pg_available_extensions where name = 'plpgsql_check'"
    ).fetchone()
    if available is None:
        pytest.skip("the server has no plpgsql_check extension (postgresql-15-plpgsql-check)")
    db.execute("create extension if not exists plpgsql_check")
    functions = db.execute(
        """
        select p.oid, p.oid::regprocedure::text, p.prorettype = 'trigger'::regtype,
            (select t.tgrelid from pg_trigger as t where t.tgfoid = p.oid limit 1)
        from pg_proc as p
        join pg_namespace as n on n.oid = p.pronamespace
        join pg_language as l on l.oid = p.prolang
        where n.nspname in ('wallet', 'wallet_core') and l.lanname = 'plpgsql'
        order by 2
        """
    ).fetchall()
    assert len(functions) >= 10
    errors = []
    for oid, name, is_trigger, relation in functions:
        if is_trigger:
            rows = db.execute(
                "select level, message, lineno from plpgsql_check_function_tb(%s, %s)",
                [oid, relation],
            ).fetchall()
        else:
            rows = db.execute(
                "select level, message, lineno from plpgsql_check_function_tb(%s)", [oid]
            ).fetchall()
        errors += [(name, *row) for row in rows if row[0] == "error"]
    assert errors == []


def test_journal_refuses_update_and_delete_even_for_its_owner(db: psycopg.Connection) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 100)")
    owner = db.execute(
        "select pg_get_userbyid(relowner) = current_user or"
        " (select rolsuper from pg_roles where rolname = current_user)"
        " from pg_class where oid = 'wallet_core.journal'::regclass"
    ).fetchone()
    assert owner == (True,)
    before = db.execute("select * from wallet_core.journal order by entry_id").fetchall()
    assert len(before) == 1
    for statement in (
        "update wallet_core.journal set amount = amount + 1",
        "delete from wallet_core.journal",
        "truncate wallet_core.journal cascade",
    ):
        with pytest.raises(psycopg.Error) as refused:
            db.execute(statement)
        assert refused.value.sqlstate == "WA900", statement
    assert db.execute("select * from wallet_core.journal order by entry_id").fetchall() == before
