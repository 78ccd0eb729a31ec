"""The one database call per request, the pool it runs on, and what its errors mean.

Each provider route is one PL/pgSQL function that takes the request as jsonb and returns
one row ``(status, body)``. The call is a single statement on an autocommit connection: that
statement is the transaction and its commit, and it travels in one round trip (server-side
prepared statements are off, because preparing costs a round trip of its own).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
import psycopg.conninfo
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from app.contract import ROUTES
from app.envelope import ErrorCode, error_bytes
from app.ops.migrations import problems

if TYPE_CHECKING:
    from app.config import Settings

log = logging.getLogger("wallet.database")

BAD_REQUEST_SQLSTATES: dict[str, str] = {
    "22P02": "the request is not valid JSON for the database",
    "22P05": "the request contains a character the database cannot store (e.g. NUL)",
    "54001": "the request is nested too deeply",
    "22003": "a number in the request is out of range",
}
"""SQLSTATEs a provider's request can cause before the route function sees it: code 2004.
Any other database error is a 500."""

READINESS_QUERY = "SELECT kind, name, checksum FROM wallet_migrate.applied_files()"


@dataclass(frozen=True, slots=True)
class RouteAnswer:
    status: int
    body: bytes


_ROUTE_QUERIES = {route.path: route.query for route in ROUTES}
"""Provider route (after the prefix) -> the one statement that does the whole operation."""


def pool_conninfo(settings: Settings) -> str:
    """The service's connection string: the configured URL plus a connect timeout, TCP
    keepalives and a name. No ``options`` startup parameter: PgBouncer in transaction mode
    refuses it. The statement timeout is the database's: ``migrate.py`` stores it on the
    role ``wallet_app`` for the database (``ALTER ROLE ... IN DATABASE ... SET``), so it
    holds for every server session, pooled by PgBouncer or not."""
    if not settings.database_url:
        raise ValueError("DATABASE_URL is not resolved")
    return psycopg.conninfo.make_conninfo(
        settings.database_url,
        application_name=settings.application_name,
        connect_timeout=max(2, round(settings.connect_timeout)),
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
    )


def make_pool(settings: Settings) -> AsyncConnectionPool:
    """Autocommit connections without server-side prepared statements
    (``prepare_threshold=None``): each request is one round trip, and PgBouncer in
    transaction mode may hand the next statement to another server session."""
    return AsyncConnectionPool(
        pool_conninfo(settings),
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        timeout=settings.acquire_timeout,
        reconnect_timeout=settings.reconnect_timeout,
        kwargs={"autocommit": True, "prepare_threshold": None},
        name="wallet",
        open=False,
    )


@asynccontextmanager
async def open_pool(settings: Settings) -> AsyncIterator[AsyncConnectionPool]:
    """The pool for the life of the app. Opening does not wait for the database: a service
    started while the database is down answers 500 (and /readyz 503) until it is back."""
    pool = make_pool(settings)
    await pool.open(wait=False)
    try:
        yield pool
    finally:
        await pool.close()


class Database:
    """What the handlers use: the pool, and the one call per request."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        self._checking: asyncio.Task[None] | None = None

    async def call_route(self, route: str, request_json: str) -> RouteAnswer:
        """Run the route's function on the request; map database failures to envelopes."""
        try:
            async with self.pool.connection() as conn:
                cursor = await conn.execute(_ROUTE_QUERIES[route], (request_json,))
                row = await cursor.fetchone()
        except PoolTimeout:
            log.warning("no database connection within the acquire timeout (route %s)", route)
            return _internal("the database is unavailable")
        except psycopg.Error as error:
            sqlstate = error.diag.sqlstate if error.diag else None
            if sqlstate in BAD_REQUEST_SQLSTATES:
                return RouteAnswer(
                    400, error_bytes(ErrorCode.BAD_REQUEST, BAD_REQUEST_SQLSTATES[sqlstate])
                )
            if sqlstate is None or sqlstate.startswith(("08", "57P")):
                # Connection lost or server shutting down. The statement is its own
                # transaction: it committed whole or not at all, and a provider's retry of a
                # committed one is answered from the idempotency record.
                log.warning("database unavailable (route %s): %s: %s", route, sqlstate, error)
                self._check_pool_soon()
                return _internal("the database is unavailable")
            log.error("route %s failed in the database: sqlstate %s: %s", route, sqlstate, error)
            return _internal("unexpected database error")
        if row is None:
            log.error("route %s: the route function returned no row", route)
            return _internal("unexpected database error")
        status, body = row
        return RouteAnswer(int(status), body.encode())

    async def readiness_problems(self) -> list[str]:
        """Why the service cannot serve: empty when the database answers and is current."""
        try:
            async with self.pool.connection() as conn:
                cursor = await conn.execute(READINESS_QUERY)
                rows = await cursor.fetchall()
        except PoolTimeout:
            return ["no database connection within the acquire timeout"]
        except psycopg.Error as error:
            self._check_pool_soon()
            return [f"database error: {type(error).__name__}"]
        return problems(rows)

    def _check_pool_soon(self) -> None:
        """After a lost connection, test the idle ones in the background so that stale
        connections left by an outage do not fail later requests one by one."""
        if self._checking is None or self._checking.done():
            self._checking = asyncio.get_running_loop().create_task(self._check_pool())

    async def _check_pool(self) -> None:
        try:
            await self.pool.check()
        except Exception:  # the pool may be closing; nothing to do
            log.debug("pool check failed", exc_info=True)


def _internal(message: str) -> RouteAnswer:
    return RouteAnswer(500, error_bytes(ErrorCode.INTERNAL, message))
