"""Least privilege: wallet_owner owns every wallet object, a non-superuser deploy role
migrates, and the service role wallet_app reaches the route functions and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import psycopg.conninfo
import psycopg.errors
import pytest

import migrate
from app.contract import ROUTES
from tests.support.database import conninfo_of

ROUTE_FUNCTION_NAMES = {route.function for route in ROUTES}
try:  # the route map: the contract registry once it exists, app.service.database's map before
    from app.contract import ROUTES

    ROUTE_FUNCTION_NAMES = {route.function for route in ROUTES}
except ImportError:
    from app.service.database import ROUTE_FUNCTIONS

    ROUTE_FUNCTION_NAMES = set(ROUTE_FUNCTIONS.values())

SCHEMAS = list(migrate.OWNED_SCHEMAS)

DBA_FUNCTIONS = {
    "wallet.create_player": "'p', 'EUR', 0",
    "wallet.adjust_balance": "'p', 'EUR', 1, 'test'",
    "wallet.block_player": "'p'",
    "wallet.unblock_player": "'p'",
    "wallet.balance": "'p', 'EUR'",
    "wallet.audit": "",
    "wallet.set_limit": "'p', 'EUR', 'stake_24h', 1, 'test'",
    "wallet.remove_limit": "'p', 'EUR', 'stake_24h', 'test'",
    "wallet.limits": "'p'",
    "wallet.exclude_player": "'p', null, 'test'",
    "wallet.lift_exclusion": "'p', 'test'",
    "wallet.open_session": "'p', 's', now() + interval '1 hour'",
    "wallet.close_session": "'s'",
    "wallet.set_setting": "'session_check', 'off', 'test'",
    "wallet.purge_limit_counters": "",
    "wallet.grant_bonus": "'p', 'EUR', 'b', 'freebet_refund', 1, null",
    "wallet.revoke_bonus": "'b', 'test'",
    "wallet.bonuses": "'p'",
    "wallet.set_bonus_policy": "'t', 'real', 'amount', true, 'test'",
}

OWNERS_QUERY = """
SELECT 'schema ' || n.nspname, n.nspowner FROM pg_namespace n WHERE n.nspname = ANY(%(s)s)
UNION ALL
SELECT 'relation ' || c.oid::regclass::text, c.relowner
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%(s)s)
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text, p.proowner
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY(%(s)s)
UNION ALL
SELECT 'type ' || t.oid::regtype::text, t.typowner
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ANY(%(s)s)
"""


def owners(conn: psycopg.Connection) -> dict[str, str]:
    """Every object of the wallet schemas (schemas, relations of every kind, functions,
    types) -> the name of its owner."""
    rows = conn.execute(
        f"SELECT o.object, r.rolname FROM ({OWNERS_QUERY}) AS o(object, owner)"
        " JOIN pg_roles r ON r.oid = o.owner",
        {"s": SCHEMAS},
    ).fetchall()
    return dict(rows)


def superuser_owned(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        f"SELECT o.object FROM ({OWNERS_QUERY}) AS o(object, owner)"
        " JOIN pg_roles r ON r.oid = o.owner WHERE r.rolsuper ORDER BY 1",
        {"s": SCHEMAS},
    ).fetchall()
    return [name for (name,) in rows]


def reachable_by_service(conn: psycopg.Connection) -> dict[str, set[str]]:
    """What wallet_app may do in the wallet schemas: executable functions, table and
    sequence privileges, schema usage."""
    functions = conn.execute(
        "SELECT n.nspname || '.' || p.proname FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY(%s)"
        " AND has_function_privilege('wallet_app', p.oid, 'EXECUTE')",
        (SCHEMAS,),
    ).fetchall()
    relations = conn.execute(
        "SELECT c.oid::regclass::text || ' ' || privilege FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) privilege"
        " WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm')"
        " AND CASE WHEN c.relkind IN ('r', 'p', 'v', 'm')"
        " THEN has_table_privilege('wallet_app', c.oid, privilege) END"
        " UNION ALL SELECT c.oid::regclass::text || ' USAGE' FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = ANY(%s)"
        " AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('wallet_app', c.oid, 'USAGE')"
        " END",
        (SCHEMAS, SCHEMAS),
    ).fetchall()
    schemas = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)"
        " AND has_schema_privilege('wallet_app', oid, 'USAGE')",
        (SCHEMAS,),
    ).fetchall()
    return {
        "functions": {name for (name,) in functions},
        "relations": {name for (name,) in relations},
        "schemas": {name for (name,) in schemas},
    }


EXPECTED_SERVICE_REACH = {
    "functions": ROUTE_FUNCTION_NAMES
    | {"wallet_migrate.applied_files", "wallet.commit_readiness", "wallet.await_standbys"},
    "relations": set(),
    "schemas": {"wallet", "wallet_migrate"},
}


@pytest.fixture
def deploy_role(empty_db: psycopg.Connection) -> Iterator[str]:
    """A fresh login role name for the deploy; dropped afterwards."""
    empty_db.autocommit = True
    name = f"wallet_deploy_{uuid.uuid4().hex[:10]}"
    yield name
    empty_db.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_a_non_superuser_deploy_role_migrates_a_fresh_database(
    empty_db: psycopg.Connection, deploy_role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    superuser = empty_db
    url = conninfo_of(superuser)

    # the DBA's one-time step, as superuser
    assert migrate.main(["bootstrap", "--deploy-role", deploy_role, "--database-url", url]) == 0
    deploy_url = psycopg.conninfo.make_conninfo(url, user=deploy_role)
    flags = superuser.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles"
        " WHERE rolname = %s",
        (deploy_role,),
    ).fetchone()
    assert flags == (False, False, False, False)
    capsys.readouterr()

    # every later deploy, as the deploy role
    assert migrate.main(["up", "--database-url", deploy_url]) == 0
    output = capsys.readouterr().out
    assert f"as {deploy_role}" in output
    assert "applied 0002_ledger.sql" in output
    assert "set statement_timeout = 10000ms for role wallet_app" in output
    assert migrate.Migrator(deploy_url).status().current
    applied_by = superuser.execute(
        "SELECT DISTINCT applied_by FROM wallet_migrate.history WHERE version > 1"
    ).fetchall()
    assert applied_by == [(deploy_role,)]

    objects = owners(superuser)
    assert len(objects) > 50  # schemas, tables, indexes, sequences, functions, types
    assert superuser_owned(superuser) == []
    assert {owner for owner in objects.values()} == {migrate.OWNER_ROLE}
    assert reachable_by_service(superuser) == EXPECTED_SERVICE_REACH
    member = superuser.execute(
        "SELECT pg_has_role('wallet_app', 'wallet_owner', 'MEMBER')"
    ).fetchone()
    assert member == (False,)

    # the service still works as wallet_app, and a DBA function is refused to it
    superuser.execute("SELECT wallet.create_player('p-1', 'EUR', 500)")
    with psycopg.connect(url, user="wallet_app", autocommit=True) as service:
        answer = service.execute(
            "SELECT status, body FROM wallet.player_balance(%s::jsonb)",
            ('{"player_id": "p-1", "currency": "EUR"}',),
        ).fetchone()
        assert answer is not None
        assert (answer[0], answer[1]["balance"]) == (200, 500)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            service.execute("SELECT wallet.adjust_balance('p-1', 'EUR', 1, 'x')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            service.execute("SELECT * FROM wallet_core.accounts")

    # a changed function file is applied by the deploy role and stays wallet_owner's
    assert migrate.main(["up", "--database-url", deploy_url]) == 0
    assert superuser_owned(superuser) == []


def test_bootstrap_needs_a_superuser(
    empty_db: psycopg.Connection, deploy_role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = conninfo_of(empty_db)
    empty_db.execute(f'CREATE ROLE "{deploy_role}" LOGIN')
    code = migrate.main(
        ["bootstrap", "--database-url", psycopg.conninfo.make_conninfo(url, user=deploy_role)]
    )
    assert code == migrate.EXIT_USAGE
    assert "must run as a superuser" in capsys.readouterr().err


def test_a_database_migrated_by_a_superuser_is_handed_to_wallet_owner(
    db: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    url = conninfo_of(db)
    assert superuser_owned(db) == []
    assert reachable_by_service(db) == EXPECTED_SERVICE_REACH
    # what a database migrated before 0100 looks like: everything the superuser's
    for schema in SCHEMAS:
        db.execute(f"ALTER SCHEMA {schema} OWNER TO CURRENT_USER")
    db.execute("ALTER TABLE wallet_core.accounts OWNER TO CURRENT_USER")
    db.execute("ALTER FUNCTION wallet.bet_make(jsonb) OWNER TO CURRENT_USER")
    db.execute("DELETE FROM wallet_migrate.history WHERE name = '0100_owner_role.sql'")
    # and kinds of object the wallet may grow, created by the superuser
    db.execute(
        "CREATE TYPE wallet_core.bet_kind AS ENUM ('single', 'combo');"
        " CREATE DOMAIN wallet_core.minor_units AS bigint;"
        " CREATE TYPE wallet_core.pair AS (a int, b int);"
        " CREATE SEQUENCE wallet_core.loose_seq;"
        " CREATE TABLE wallet_core.numbered (id serial PRIMARY KEY);"
        " CREATE VIEW wallet.account_count AS SELECT count(*) FROM wallet_core.accounts;"
        " CREATE MATERIALIZED VIEW wallet_core.account_total AS"
        " SELECT sum(balance) FROM wallet_core.accounts;"
        " CREATE PROCEDURE wallet_core.nothing() LANGUAGE sql AS 'SELECT 1'"
    )
    assert len(superuser_owned(db)) >= 15

    assert migrate.main(["up", "--database-url", url]) == 0
    output = capsys.readouterr().out
    assert "applied 0100_owner_role.sql" in output
    assert "to wallet_owner" in output
    assert superuser_owned(db) == []
    assert set(owners(db).values()) == {migrate.OWNER_ROLE}
    assert reachable_by_service(db) == EXPECTED_SERVICE_REACH


def test_bootstrap_creates_the_roles_later_versioned_files_create(
    empty_db: psycopg.Connection, deploy_role: str, tmp_path: Path
) -> None:
    """A later versioned file that creates a role only when it is missing runs as the deploy
    role, because bootstrap created the role first."""
    url = conninfo_of(empty_db)
    relay = f"wallet_relay_{uuid.uuid4().hex[:8]}"
    for folder in ("migrations", "functions"):
        (tmp_path / folder).mkdir()
    (tmp_path / "migrations" / "0001_schemas.sql").write_text(
        "CREATE SCHEMA wallet;\nCREATE SCHEMA wallet_core;\n"
    )
    (tmp_path / "migrations" / "0002_relay.sql").write_text(
        "DO $$ BEGIN\n"
        f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{relay}') THEN\n"
        f"    CREATE ROLE {relay} LOGIN;\n"
        f"    COMMENT ON ROLE {relay} IS 'relay';\n"
        "  END IF;\nEND $$;\n"
        f"GRANT USAGE ON SCHEMA wallet TO {relay};\n"
    )
    try:
        root = ["--root", str(tmp_path)]
        assert (
            migrate.main(["bootstrap", "--deploy-role", deploy_role, "--database-url", url, *root])
            == 0
        )
        login = empty_db.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (relay,))
        assert login.fetchone() == (True,)
        deploy_url = psycopg.conninfo.make_conninfo(url, user=deploy_role)
        assert migrate.main(["up", "--database-url", deploy_url, *root]) == 0
        usage = empty_db.execute("SELECT has_schema_privilege(%s, 'wallet', 'USAGE')", (relay,))
        assert usage.fetchone() == (True,)
        assert superuser_owned(empty_db) == []
    finally:
        empty_db.execute(f"DROP OWNED BY {relay}")
        empty_db.execute(f"DROP ROLE IF EXISTS {relay}")


# The service role on a migrated database ---------------------------------------------------


def as_service(db: psycopg.Connection, statement: str) -> Any:
    """Run one statement as the service's role wallet_app; its first row."""
    with db.transaction():
        db.execute("set local role wallet_app")
        cursor = db.execute(statement)
        return cursor.fetchone() if cursor.description else None


def test_service_role_reaches_the_routes_only(db: psycopg.Connection) -> None:
    db.execute("select wallet.create_player('p', 'EUR', 100)")
    tables = [
        row[0]
        for row in db.execute(
            "select format('%I.%I', schemaname, tablename) from pg_tables"
            " where schemaname = 'wallet_core' order by 1"
        ).fetchall()
    ]
    assert "wallet_core.journal" in tables
    assert "wallet_core.accounts" in tables
    for table in tables:
        for statement in (
            f"select * from {table}",
            f"insert into {table} default values",
            f"update {table} set created_at = created_at where false",
            f"delete from {table} where false",
        ):
            if "created_at" in statement and table == "wallet_core.error_codes":
                statement = f"update {table} set meaning = meaning where false"
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                as_service(db, statement)

    for route in ROUTES:
        with db.transaction():
            db.execute("set local role wallet_app")
            status, body = db.execute(
                f"select status, body from {route.function}('{{}}'::jsonb)"
            ).fetchone()
        assert (status, body["code"]) == (400, 2004), route.function

    for function, arguments in DBA_FUNCTIONS.items():
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_service(db, f"select {function}({arguments})")

    executable = {
        row[0]
        for row in db.execute(
            """
            select p.oid::regprocedure::text
            from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
            where n.nspname = 'wallet' and has_function_privilege('wallet_app', p.oid, 'EXECUTE')
            """
        ).fetchall()
    }
    # and /readyz's question (migration 0300), and the commit barrier of answers that wrote
    # nothing (migration 0700)
    assert executable == {f"{route.function}(jsonb)" for route in ROUTES} | {
        "wallet.commit_readiness()",
        "wallet.await_standbys()",
    }
    # wallet_core's functions are out of reach: the role may not even look into the schema.
    row = db.execute("select has_schema_privilege('wallet_app', 'wallet_core', 'USAGE')").fetchone()
    assert row == (False,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_service(db, "select wallet_core.as_id('1'::jsonb, 'x')")
