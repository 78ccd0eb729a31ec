"""The route call on libpq directly (``RouteConnection.run_route``): it answers what the
function answers, raises psycopg's errors, and never waits forever on a socket that broke (a
server gone from an idle pooled connection: its error message, then a reset, which makes
uvloop close the socket's poll handle)."""

from __future__ import annotations

import asyncio
import json

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


async def connect(db: psycopg.Connection) -> RouteConnection:
    return await RouteConnection.connect(conninfo_of(db), autocommit=True)


def test_calls_answer_as_the_functions_do(db: psycopg.Connection, player: str) -> None:
    async def scenario() -> list[tuple[bytes, bytes] | None]:
        conn = await connect(db)
        try:
            rows = []
            for n in range(3):
                request = make_request(f"libpq-{n}", 100, player_id=player, betslip_id=f"l{n}")
                call = conn.run_route(MAKE, request_bytes(request))
                rows.append(await asyncio.wait_for(call, WAIT))
            balance = {"player_id": player, "currency": "EUR", "session_id": "s"}
            call = conn.run_route(BALANCE, request_bytes(balance))
            rows.append(await asyncio.wait_for(call, WAIT))
            return rows
        finally:
            await conn.close()

    rows = uvloop.run(scenario())
    assert [row[0] for row in rows if row is not None] == [b"200"] * 4
    assert json.loads(rows[-1][1])["balance"] == START_BALANCE - 300  # type: ignore[index]
    assert balance_of(db, player) == START_BALANCE - 300
    assert audit_findings(db) == []


def test_psycopgs_own_queries_and_route_calls_take_turns_on_a_connection(
    db: psycopg.Connection, player: str
) -> None:
    async def scenario() -> None:
        conn = await connect(db)
        try:
            balance = request_bytes({"player_id": player, "currency": "EUR", "session_id": "s"})
            await asyncio.wait_for(conn.run_route(BALANCE, balance), WAIT)
            assert await (await conn.execute("SELECT 1")).fetchone() == (1,)
            row = await asyncio.wait_for(conn.run_route(BALANCE, balance), WAIT)
            assert row is not None
            assert row[0] == b"200"
        finally:
            await conn.close()

    uvloop.run(scenario())


def test_a_server_gone_from_an_idle_connection_fails_the_next_call_at_once(
    db: psycopg.Connection, player: str
) -> None:
    async def scenario() -> None:
        conn = await connect(db)
        try:
            balance = request_bytes({"player_id": player, "currency": "EUR", "session_id": "s"})
            await asyncio.wait_for(conn.run_route(BALANCE, balance), WAIT)
            pid = conn.info.backend_pid
            with psycopg.connect(conninfo_of(db), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            await asyncio.sleep(0.3)  # the server's message and end-of-file are on the socket
            with pytest.raises(psycopg.OperationalError):
                await asyncio.wait_for(conn.run_route(BALANCE, balance), WAIT)
        finally:
            await conn.close()

    uvloop.run(scenario())


def test_a_failed_statement_raises_its_sqlstate_and_the_connection_serves_on(
    db: psycopg.Connection, player: str
) -> None:
    async def scenario() -> None:
        conn = await connect(db)
        try:
            with pytest.raises(psycopg.errors.InvalidTextRepresentation) as failure:
                await asyncio.wait_for(conn.run_route(BALANCE, b"{not json"), WAIT)
            assert failure.value.diag.sqlstate == "22P02"
            balance = request_bytes({"player_id": player, "currency": "EUR", "session_id": "s"})
            row = await asyncio.wait_for(conn.run_route(BALANCE, balance), WAIT)
            assert row is not None
            assert row[0] == b"200"
        finally:
            await conn.close()

    uvloop.run(scenario())
