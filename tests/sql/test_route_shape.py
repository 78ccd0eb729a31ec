"""Every provider route has one shape, written once (``sql/functions/15_route_shape.sql``): the
route function ``wallet.<route>(request jsonb)`` is one call of ``wallet_core.route`` with its
path, which reads the request into its typed record (a malformed one is answered there, nothing
stored) and then does the operation. These tests read the catalog and the files and fail when a
route departs from that shape, when a route has no file of its own, when a limit is written
twice, or when a helper the comments call "inlined by the planner" stops being inlined (it
would then cost a function call on every request).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest

from app.contract import ROUTES, ProviderRoute

FUNCTIONS = Path(__file__).resolve().parents[2] / "sql" / "functions"

ROUTE_BODY = """
declare
    reply constant wallet_core.reply := wallet_core.route('{path}', request);
begin
    status := reply.status;
    body := reply.body;
end
"""
"""The body of every route function, but for its path."""

ROUTE_SIGNATURE = "request jsonb, OUT status integer, OUT body jsonb"


def words(text: str) -> list[str]:
    """A function body as its words: white space and line breaks do not count."""
    return text.split()


def route_function(db: psycopg.Connection, route: ProviderRoute) -> dict[str, object]:
    row = db.execute(
        """
        select p.prosrc, l.lanname, p.prosecdef, p.proconfig,
            pg_catalog.pg_get_function_arguments(p.oid), pg_catalog.pg_get_function_result(p.oid),
            pg_catalog.obj_description(p.oid, 'pg_proc'),
            pg_catalog.has_function_privilege('wallet_app', p.oid, 'EXECUTE'),
            pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
        from pg_catalog.pg_proc as p join pg_catalog.pg_language as l on l.oid = p.prolang
        where p.oid = %s::regprocedure
        """,
        [f"{route.function}(jsonb)"],
    ).fetchone()
    assert row is not None, route.function
    keys = (
        *("body", "language", "security_definer", "config", "arguments", "result", "comment"),
        *("service_may_call", "public_may_call"),
    )
    return dict(zip(keys, row, strict=True))


@pytest.mark.parametrize("route", ROUTES, ids=[route.path for route in ROUTES])
def test_route_function_is_one_call_of_the_route_shape(
    db: psycopg.Connection, route: ProviderRoute
) -> None:
    function = route_function(db, route)
    assert words(str(function["body"])) == words(ROUTE_BODY.format(path=route.path))
    assert function["language"] == "plpgsql"
    assert function["security_definer"] is True
    assert function["config"] == ['search_path=""']
    assert function["arguments"] == ROUTE_SIGNATURE
    assert function["result"] == "record"
    assert str(function["comment"]).startswith(f"Route {route.path}")
    assert function["service_may_call"] is True
    assert function["public_may_call"] is False


def test_the_route_functions_are_the_registry(db: psycopg.Connection) -> None:
    """A function of schema wallet with a route's signature is a route of app/contract.py."""
    shaped = {
        name
        for (name,) in db.execute(
            """
            select p.oid::regproc::text from pg_catalog.pg_proc as p
            where p.pronamespace = 'wallet'::regnamespace
            and pg_catalog.pg_get_function_arguments(p.oid) = %s
            """,
            [ROUTE_SIGNATURE],
        ).fetchall()
    }
    assert shaped == {route.function for route in ROUTES}


def route_shape_body(db: psycopg.Connection) -> str:
    query = "select prosrc from pg_proc where oid = 'wallet_core.route'::regproc"
    row = db.execute(query).fetchone()
    assert row is not None
    return str(row[0])


Branch = tuple[tuple[str, ...], str]
"""One WHEN of a CASE in wallet_core.route: the paths it names, and the wallet_core function its
statement calls first (the reader, or the operation)."""


def case_branches(step: str) -> list[Branch]:
    """The branches of the CASE in one step of wallet_core.route's body."""
    branches: list[Branch] = []
    for branch in re.split(r"^\s*when ", step, flags=re.MULTILINE)[1:]:
        paths, _, statement = branch.partition(" then")
        called = re.search(r"wallet_core\.(\w+)\(", statement)
        assert called is not None, branch
        branches.append((tuple(re.findall(r"'([^']+)'", paths)), called.group(1)))
    return branches


def route_shape_steps(db: psycopg.Connection) -> tuple[list[Branch], list[Branch]]:
    """wallet_core.route's two steps: how it reads each path, and how it does each."""
    read, _, do = route_shape_body(db).partition("-- 2. Do")
    read = read.partition("case path")[2].partition("end case")[0]
    do = do.partition("case path")[2].partition("end case")[0]
    return case_branches(read), case_branches(do)


def defining_files() -> dict[str, set[str]]:
    """wallet_core function name -> the files of sql/functions/ that create it."""
    files: dict[str, set[str]] = {}
    for path in sorted(FUNCTIONS.glob("*.sql")):
        for name in re.findall(
            r"create or replace function wallet_core\.(\w+)\(", path.read_text()
        ):
            files.setdefault(name, set()).add(path.name)
    return files


def route_file(route: ProviderRoute) -> str:
    (path,) = FUNCTIONS.glob(f"[0-9][0-9]_{route.function.removeprefix('wallet.')}.sql")
    return path.name


def test_route_shape_reads_and_does_every_route_once(db: psycopg.Connection) -> None:
    paths = sorted(route.path for route in ROUTES)
    for step in route_shape_steps(db):
        assert sorted(path for names, _ in step for path in names) == paths


def test_route_shape_calls_each_routes_own_reader_and_operation(db: psycopg.Connection) -> None:
    """A branch for one route calls what that route's file defines; a branch shared by several
    routes (bet/win, bet/lost, bet/refund) calls what a file of no route defines."""
    files = defining_files()
    by_path = {route.path: route_file(route) for route in ROUTES}
    for step in route_shape_steps(db):
        for names, function in step:
            defined_in = files.get(function, set())
            if len(names) == 1:
                assert defined_in == {by_path[names[0]]}, (names, function, defined_in)
            else:
                assert len(defined_in) == 1, (names, function, defined_in)
                assert defined_in.isdisjoint(by_path.values()), (names, function, defined_in)


def test_route_shape_catches_only_around_the_reading(db: psycopg.Connection) -> None:
    body = route_shape_body(db)
    # One exception block, around the reading only: the readers' two SQLSTATEs, and the casts
    # PostgreSQL refuses while reading the request (its decoding: 2004). Nothing around step 2:
    # the same SQLSTATEs from the operation are the wallet's failure (500).
    assert len(re.findall(r"\bexception\b", body)) == 1
    block = body[body.index("exception") : body.index("-- 2. Do")]
    handlers = re.findall(r"when (sqlstate .*) then", block)
    assert handlers == [
        "sqlstate 'WA204' or sqlstate 'WA202'",
        "sqlstate '22P02' or sqlstate '22P05' or sqlstate '22003' or sqlstate '54001'",
    ]


@pytest.mark.parametrize("route", ROUTES, ids=[route.path for route in ROUTES])
def test_a_malformed_request_is_answered_by_the_read_step(
    db: psycopg.Connection, route: ProviderRoute
) -> None:
    """Through the service's role, exactly as the service calls: 2004 naming the payload, and
    nothing written."""
    with db.transaction():
        db.execute("set local role wallet_app")
        status, body = db.execute(route.query, [json.dumps("not an object")]).fetchone()
    malformed = {"code": 2004, "message": "payload: must be an object"}
    assert (status, json.loads(body)) == (400, malformed)
    assert db.execute("select count(*) from wallet_core.idempotency").fetchone() == (0,)
    assert db.execute("select count(*) from wallet_core.events").fetchone() == (0,)


def test_one_file_per_route() -> None:
    """Each route function is defined by one file of sql/functions/, named after it, which
    defines no other route function."""
    defined: dict[str, list[str]] = {}
    for path in sorted(FUNCTIONS.glob("*.sql")):
        text = path.read_text()
        for name in re.findall(r"create or replace function (wallet\.\w+)\(request jsonb", text):
            defined.setdefault(name, []).append(path.name)
    assert set(defined) == {route.function for route in ROUTES}
    for route in ROUTES:
        files = defined[route.function]
        name = route.function.removeprefix("wallet.")
        assert len(files) == 1, (route, files)
        assert re.fullmatch(rf"\d\d_{name}\.sql", files[0]), (route, files)
    by_file = [file for files in defined.values() for file in files]
    assert len(by_file) == len(set(by_file))


LIMITS = {
    "wallet_core.max_amount()": "1000000000000000",
    "wallet_core.unix_seconds_limit()": "100000000000",
    "wallet_core.odds_limit()": "1000000000000",
    "wallet_core.currency_pattern()": "'^[A-Z0-9]{3,8}$'",
    "wallet_core.decimal_pattern()": r"'^[0-9]{1,12}(\.[0-9]{1,12})?$'",
}


def test_each_limit_is_written_once() -> None:
    """The literal of each limit stands in sql/functions/ once: in the function that defines it
    (00_limits.sql). The tables' CHECK constraints, in migrations that never change, keep theirs."""
    for function, literal in LIMITS.items():
        found = [
            path.name
            for path in sorted(FUNCTIONS.glob("*.sql"))
            for _ in re.finditer(rf"(?<![0-9]){re.escape(literal)}(?![0-9])", path.read_text())
        ]
        assert found == ["00_limits.sql"], (function, found)


def test_limits_are_constants_to_the_planner(db: psycopg.Connection) -> None:
    for function, literal in LIMITS.items():
        plan = db.execute(f"explain (verbose, costs off) select {function}").fetchall()
        output = " ".join(line for (line,) in plan)
        assert function.removesuffix("()") not in output, output
        assert literal.strip("'") in output, output


def inlined_functions(db: psycopg.Connection) -> list[tuple[str, str, list[str]]]:
    """The wallet_core functions whose comment says the planner inlines them: name, signature,
    argument types."""
    return [
        (name, signature, list(types))
        for name, signature, types in db.execute(
            """
            select p.oid::regproc::text, p.oid::regprocedure::text,
                array(select pg_catalog.format_type(t, null) from unnest(p.proargtypes) as t)
            from pg_catalog.pg_proc as p
            where p.pronamespace = 'wallet_core'::regnamespace
            and pg_catalog.obj_description(p.oid, 'pg_proc') like '%%Inlined by the planner.%%'
            order by 2
            """
        ).fetchall()
    ]


def test_helpers_said_to_be_inlined_are_inlined(db: psycopg.Connection) -> None:
    """A LANGUAGE sql helper with a SET clause, SECURITY DEFINER, or a body the planner cannot
    inline is called as a function on every request instead. Called with arguments the planner
    cannot fold, an inlined helper's name is gone from the plan."""
    helpers = inlined_functions(db)
    assert len(helpers) >= 15, helpers
    db.execute("set search_path = ''")
    for name, signature, types in helpers:
        columns = ", ".join(f"null::{t} as a{n}" for n, t in enumerate(types)) or "1 as a0"
        arguments = ", ".join(f"s.a{n}" for n in range(len(types)))
        plan = db.execute(
            f"explain (verbose, costs off) select {name}({arguments})"
            f" from (select {columns} offset 0) as s"
        ).fetchall()
        output = " ".join(line for (line,) in plan)
        assert f"{name}(" not in output, (signature, output)
