"""The route call on libpq directly (``RouteConnection.run_route``): it answers what the
function answers, raises psycopg's errors, and never waits forever on a socket that broke (a
server gone from an idle pooled connection: its error message, then a reset, which makes
uvloop close the socket's poll handle)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import psycopg
import pytest
import uvloop

from app.service.database import _ROUTE_QUERIES, RouteConnection
from tests.support.database import audit_findings, balance_of, conninfo_of
from tests.support.provider import START_BALANCE, make_request

BALANCE = _ROUTE_QUERIES["balance"]
MAKE = _ROUTE_QUERIES["bet/make"]
WAIT = 10.0  # seconds: a call that hangs fails the test instead of the run


def request_bytes(request: dict[str, object]) -> bytes:
    return json.dumps(request, separators=(",", ":")).encode()


def on_a_connection(
    db: psycopg.Connection, scenario: Callable[[RouteConnection], Awaitable[None]]
) -> None:
    """Runs ``scenario`` on uvloop, as ``wallet serve`` does, with a route connection."""

    async def run() -> None:
        conn = await RouteConnection.connect(conninfo_of(db), autocommit=True)
        try:
            await scenario(conn)
        finally:
            await conn.close()

    uvloop.run(run())


async def call(conn: RouteConnection, query: bytes, request: bytes) -> tuple[bytes, bytes]:
    row = await asyncio.wait_for(conn.run_route(query, request), WAIT)
    assert row is not None, "no row"
    return row


def balance_of_player(player: str) -> bytes:
    return request_bytes({"player_id": player, "currency": "EUR", "session_id": "s"})


def test_calls_answer_as_the_functions_do(db: psycopg.Connection, player: str) -> None:
    rows: list[tuple[bytes, bytes]] = []

    async def scenario(conn: RouteConnection) -> None:
        for n in range(3):
            request = make_request(f"libpq-{n}", 100, player_id=player, betslip_id=f"l{n}")
            rows.append(await call(conn, MAKE, request_bytes(request)))
        rows.append(await call(conn, BALANCE, balance_of_player(player)))

    on_a_connection(db, scenario)
    assert [status for status, _ in rows] == [b"200"] * 4
    assert json.loads(rows[-1][1])["balance"] == START_BALANCE - 300
    assert balance_of(db, player) == START_BALANCE - 300
    assert audit_findings(db) == []


def test_psycopgs_own_queries_and_route_calls_take_turns_on_a_connection(
    db: psycopg.Connection, player: str
) -> None:
    async def scenario(conn: RouteConnection) -> None:
        await call(conn, BALANCE, balance_of_player(player))
        assert await (await conn.execute("SELECT 1")).fetchone() == (1,)
        assert (await call(conn, BALANCE, balance_of_player(player)))[0] == b"200"

    on_a_connection(db, scenario)


def test_a_server_gone_from_an_idle_connection_fails_the_next_call_at_once(
    db: psycopg.Connection, player: str
) -> None:
    async def scenario(conn: RouteConnection) -> None:
        await call(conn, BALANCE, balance_of_player(player))
        with psycopg.connect(conninfo_of(db), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
        await asyncio.sleep(0.3)  # the server's message and end-of-file are on the socket
        with pytest.raises(psycopg.OperationalError):
            await call(conn, BALANCE, balance_of_player(player))

    on_a_connection(db, scenario)


def test_a_failed_statement_raises_its_sqlstate_and_the_connection_serves_on(
    db: psycopg.Connection, player: str
) -> None:
    async def scenario(conn: RouteConnection) -> None:
        with pytest.raises(psycopg.errors.InvalidTextRepresentation) as failure:
            await call(conn, BALANCE, b"{not json")
        assert failure.value.diag.sqlstate == "22P02"
        assert (await call(conn, BALANCE, balance_of_player(player)))[0] == b"200"

    on_a_connection(db, scenario)
