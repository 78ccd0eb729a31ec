"""The one database call per request, the pool it runs on, and what its errors mean.

Each provider route is one PL/pgSQL function that takes the request as jsonb and returns
one row ``(status, body)``. The call is a single statement on an autocommit connection: that
statement is the transaction and its commit, and it travels in one round trip (server-side
prepared statements are off, because preparing costs a round trip of its own).

Every wait has an end. Acquiring a pooled connection waits at most the acquire timeout;
opening one, the connect timeout (per host of a multi-host URL). The call itself has a
deadline on this side, the statement timeout plus a margin (``Settings.call_deadline``): when
it passes, the connection's socket is shut down, the call fails at once, the request is
answered 500 (the provider retries) and the connection is discarded, never reused. The
statement timeout alone does not cover a server that stopped answering, a lost network or a
COMMIT waiting for a synchronous standby that is gone. The kernel's ``tcp_user_timeout`` and
TCP keepalives end a connection whose peer vanished (sent data unacknowledged, probes
unanswered) even between calls.

Following the primary: the URL may name several hosts
(``postgresql://wallet_app@db1,db2/wallet?target_session_attrs=read-write``); libpq then
opens each new connection on the host that accepts writes. A call that finds its
connection on a server that cannot write for it (SQLSTATE 25006: a standby, or a
read-only session) or that lost its server (class 08, 57P01-57P03, no SQLSTATE) recycles
the pool: every idle connection is closed and every busy one is discarded when it comes
back, so the next requests connect afresh, to whichever host is the primary now. Every new
connection is a :class:`app.primary.PrimaryConnection`: a read-write server whose commits cannot
complete (an old primary back without its synchronous standby) is left for the next host.

An answer that wrote nothing (a replay, a balance) must not be given before what it read is on
the synchronous standby: each route's statement ends with ``WHERE wallet.await_standbys()``
(migration 0700), which makes such a transaction's COMMIT wait for the standby as a write's does.

``/readyz`` asks on a connection of its own (:class:`ReadinessProbe`), so that it answers
within its own short deadline even while every pooled connection is busy.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
import psycopg.conninfo
from psycopg.pq import ExecStatus
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from app.contract import ROUTES
from app.envelope import ErrorCode, error_bytes
from app.ops import migrations
from app.primary import Deadline, NoUsablePrimary, PrimaryConnection

if TYPE_CHECKING:
    from app.config import Settings

log = logging.getLogger("wallet.database")

BAD_REQUEST_SQLSTATES: dict[str, str] = {
    "22P02": "the request is not valid JSON for the database",
    "22P05": "the request contains a character the database cannot store (e.g. NUL)",
    "54001": "the request is nested too deeply",
    "22003": "a number in the request is out of range",
}
"""SQLSTATEs with which PostgreSQL refuses the request's own text while it casts it to jsonb,
before the route function runs: code 2004 (see :func:`is_request_decoding`). The same
SQLSTATEs raised inside a function are the wallet's failure: 500."""

BIND_FRAME = re.compile(r"\$1(?: = '|$)", re.MULTILINE)
"""The error context frame PostgreSQL adds while it converts a bound parameter (``unnamed
portal parameter $1 = '...'``): present only while the request is being cast, never once a
function runs. The SQL functions carry no ``$1`` of their own (they name their arguments)."""

READINESS_QUERY = "SELECT kind, name, checksum FROM wallet_migrate.applied_files()"
COMMIT_READINESS_QUERY = "SELECT problem FROM wallet.commit_readiness() AS problem"

NOT_SERVING_CLASSES = ("08", "57P", "25006")
"""SQLSTATE prefixes that say this connection's server cannot serve the wallet's writes
(any more): connection exceptions, the server shutting down or starting, a read-only
session (a standby). The pool is recycled; the request is answered 500."""

SYNCHRONOUS_SETTINGS_QUERY = (
    "SELECT current_setting('synchronous_standby_names'), current_setting('synchronous_commit'),"
    " host(inet_server_addr()), inet_server_port()"
)
STANDBY_CHECK_RETRY = 5.0
"""Seconds between attempts of the start-up check while the database does not answer."""

TUPLES_OK = ExecStatus.TUPLES_OK
FATAL_ERROR = ExecStatus.FATAL_ERROR

NO_DEADLINE_TCP_USER_TIMEOUT = 30.0
"""``tcp_user_timeout`` (seconds) when there is no call deadline (statement timeout 0)."""


@dataclass(frozen=True, slots=True)
class RouteAnswer:
    status: int
    body: bytes


_ROUTE_QUERIES = {
    route.path: f"SELECT status, body::text FROM {route.function}($1::jsonb)"
    " WHERE wallet.await_standbys()".encode()
    for route in ROUTES
}
"""Provider route (after the prefix) -> the one statement that does the whole operation
(``ProviderRoute.query``, with the server's own placeholder: libpq sends it as it is), and
makes its COMMIT wait for the synchronous standby even when it wrote nothing (the filter is
evaluated on the route's row, after the route function ran: it is volatile, never a one-time
filter)."""


class RouteConnection(PrimaryConnection):
    """A pooled connection that runs the route statements on libpq directly
    (:meth:`run_route`). A pooled connection serves one request at a time."""

    async def run_route(self, query: bytes, request: bytes) -> tuple[bytes, bytes] | None:
        """Send the route's statement with the request as its one parameter, wait for its
        result, and give its row as the server's text, ``(status, body)``, or None for no row.

        It goes by psycopg's libpq wrapper, not a cursor: the cursor's generators, dumpers,
        loaders and per-wait futures cost about 45 µs of CPU more per call
        (``bench/bench_route_call.py``), and the row's body is wanted as bytes anyway. Errors
        are psycopg's, as from a cursor: a lost or severed connection raises
        ``OperationalError`` (no SQLSTATE), a failed statement the error class of its
        SQLSTATE, with its diagnostics.

        Each wait registers its reader (or writer) and removes it, as psycopg does: uvloop
        closes a socket's poll handle for good on an error event (a reset from a server that
        went away) after running the callback once, and only removing the reader drops the
        dead handle, so that the next wait gets a live one. A reader kept from wait to wait
        would save about 17 µs a call and then wait forever on such a socket."""
        pgconn = self.pgconn
        pgconn.send_query_params(query, (request,))
        loop = asyncio.get_running_loop()
        fileno = pgconn.socket
        while pgconn.flush():  # the request did not fit in the socket's buffer
            await _ready(loop, fileno, loop.add_writer, loop.remove_writer)
        result = None
        while True:
            if pgconn.is_busy():  # the next result is not all here: wait, then read
                await _ready(loop, fileno, loop.add_reader, loop.remove_reader)
                pgconn.consume_input()
            elif (last := pgconn.get_result()) is not None:
                result = last
            else:  # every result of the statement is in
                break
        if result is None or result.status != TUPLES_OK:
            if result is not None and result.status == FATAL_ERROR:
                raise psycopg.errors.error_from_result(result, encoding=self.info.encoding)
            raise psycopg.InternalError(
                f"unexpected result of the route statement: "
                f"{result.status if result is not None else 'none'}"
            )
        if result.ntuples == 0:
            return None
        status, body = result.get_value(0, 0), result.get_value(0, 1)
        if status is None or body is None:
            raise psycopg.InternalError("the route function returned a null status or body")
        return status, body


async def _ready(
    loop: asyncio.AbstractEventLoop,
    fileno: int,
    add: Callable[[int, Callable[[], None]], None],
    remove: Callable[[int], object],
) -> None:
    """Until the socket is ready (``add``: the loop's ``add_reader`` or ``add_writer``)."""
    waiter: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not waiter.done():
            waiter.set_result(None)

    add(fileno, ready)
    try:
        await waiter
    finally:
        remove(fileno)


def pool_conninfo(settings: Settings, application_name: str | None = None) -> str:
    """The service's connection string: the configured URL (one host or several, with its
    own ``target_session_attrs``) plus a connect timeout, TCP keepalives, a TCP user
    timeout (the call deadline), a name and ``client_encoding`` UTF-8 (the route call sends
    and takes the JSON's bytes as they are). Besides the name and the encoding, which
    PgBouncer passes on, all of them are libpq's client-side settings: no ``options``
    startup parameter, which PgBouncer in transaction mode refuses. The
    statement timeout is the database's: ``migrate.py`` stores it on the role ``wallet_app``
    for the database (``ALTER ROLE ... IN DATABASE ... SET``), so it holds for every server
    session, pooled by PgBouncer or not."""
    if not settings.database_url:
        raise ValueError("DATABASE_URL is not resolved")
    deadline = settings.call_deadline or NO_DEADLINE_TCP_USER_TIMEOUT
    return psycopg.conninfo.make_conninfo(
        settings.database_url,
        application_name=application_name or settings.application_name,
        client_encoding="UTF8",
        connect_timeout=max(2, round(settings.connect_timeout)),
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
        tcp_user_timeout=round(deadline * 1000),
    )


def make_pool(settings: Settings) -> AsyncConnectionPool[RouteConnection]:
    """Autocommit connections without server-side prepared statements
    (``prepare_threshold=None``): each request is one round trip, and PgBouncer in
    transaction mode may hand the next statement to another server session."""
    return AsyncConnectionPool(
        pool_conninfo(settings),
        connection_class=RouteConnection,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        timeout=settings.acquire_timeout,
        reconnect_timeout=settings.reconnect_timeout,
        kwargs={"autocommit": True, "prepare_threshold": None},
        name="wallet",
        open=False,
    )


@asynccontextmanager
async def open_pool(settings: Settings) -> AsyncIterator[AsyncConnectionPool[RouteConnection]]:
    """The pool for the life of the app. Opening does not wait for the database: a service
    started while the database is down answers 500 (and /readyz 503) until it is back."""
    pool = make_pool(settings)
    await pool.open(wait=False)
    try:
        yield pool
    finally:
        await pool.close()


class Database:
    """What the handlers use: the pool, the one call per request, and the readiness probe."""

    def __init__(self, pool: AsyncConnectionPool[RouteConnection], settings: Settings) -> None:
        self.pool = pool
        self.deadline = settings.call_deadline
        self.readiness = ReadinessProbe(settings)
        self._recycling: asyncio.Task[None] | None = None
        self._standby_check: asyncio.Task[None] | None = None
        self._conninfo = pool_conninfo(settings, f"{settings.application_name} start-up check")

    def check_standbys_soon(self) -> None:
        """At start-up, in the background: warn loudly when the database's commits do not
        wait for a synchronous standby (see :func:`synchronous_standby_problem`)."""
        self._standby_check = asyncio.get_running_loop().create_task(self._check_standbys())

    async def _check_standbys(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as conn:
                    row = await (await conn.execute(SYNCHRONOUS_SETTINGS_QUERY)).fetchone()
            except psycopg.Error as error:
                log.debug("start-up check of the standbys: %s", error)
                await asyncio.sleep(STANDBY_CHECK_RETRY)
                continue
            if row is not None:
                problem = synchronous_standby_problem(str(row[0]), str(row[1]))
                if problem is None:
                    log.info(
                        "start-up check: commits wait for a synchronous standby "
                        "(synchronous_standby_names = %s, synchronous_commit = %s)",
                        row[0],
                        row[1],
                    )
                else:
                    log.warning(
                        "NO SYNCHRONOUS STANDBY: the database at %s:%s %s. Its commits do not "
                        "wait for a standby: a failover to a standby can lose bets already "
                        "answered 200 and issue their ids again. Run it with a synchronous "
                        "standby (docs/high-availability.md).",
                        row[2] or "its socket",
                        row[3] or "",
                        problem,
                    )
            return

    async def call_route(self, route: str, request_json: bytes) -> RouteAnswer:
        """Run the route's function on the request; map database failures to envelopes."""
        expired = False
        try:
            # getconn and putconn, not pool.connection(): that one also enters the connection's
            # own context, whose exit takes its lock to commit what autocommit already did
            # (about 7 µs of CPU per request); putconn discards a connection left broken or
            # busy, and rolls back one left in a transaction.
            conn = await self.pool.getconn()
            try:
                if self.deadline is None:
                    row = await conn.run_route(_ROUTE_QUERIES[route], request_json)
                else:
                    deadline = Deadline(conn, self.deadline)
                    try:
                        row = await conn.run_route(_ROUTE_QUERIES[route], request_json)
                    finally:
                        expired = deadline.end()
                    if expired:  # answered just in time, but the socket may be shut: drop it
                        await conn.close()
            finally:
                await self.pool.putconn(conn)
        except PoolTimeout:
            log.warning("no database connection within the acquire timeout (route %s)", route)
            return _internal("the database is unavailable")
        except psycopg.Error as error:
            sqlstate = error.diag.sqlstate if error.diag else None
            if expired:
                log.warning(
                    "route %s: no answer from the database within %g s; connection discarded",
                    route,
                    self.deadline,
                )
                self.recycle_pool_soon()
                return _internal("the database did not answer in time")
            if sqlstate in BAD_REQUEST_SQLSTATES and is_request_decoding(error):
                return RouteAnswer(
                    400, error_bytes(ErrorCode.BAD_REQUEST, BAD_REQUEST_SQLSTATES[sqlstate])
                )
            if sqlstate is None or sqlstate.startswith(NOT_SERVING_CLASSES):
                # Connection lost, server shutting down, or a server that cannot write (a
                # standby, a read-only session). The statement is its own transaction: it
                # committed whole or not at all, and a provider's retry of a committed one is
                # answered from the idempotency record.
                log.warning("database unavailable (route %s): %s: %s", route, sqlstate, error)
                self.recycle_pool_soon()
                if sqlstate == "25006":
                    return _internal("the database is read-only (not the primary)")
                return _internal("the database is unavailable")
            log.error("route %s failed in the database: sqlstate %s: %s", route, sqlstate, error)
            return _internal("unexpected database error")
        if row is None:
            log.error("route %s: the route function returned no row", route)
            return _internal("unexpected database error")
        status, body = row
        return RouteAnswer(int(status), body)

    async def readiness_problems(self) -> list[str]:
        """Why the service cannot serve: empty when the database answers, accepts this
        session's writes, can commit them, and its migrations are current."""
        return await self.readiness.problems()

    def recycle_pool_soon(self) -> None:
        """Close the idle connections and discard the busy ones when they come back (the
        pool opens new ones, on the primary of a multi-host URL), in the background; one
        recycling at a time. Closing a connection sends no query: a frozen server does not
        hold it up, as ``pool.check()`` would."""
        if self._recycling is None or self._recycling.done():
            self._recycling = asyncio.get_running_loop().create_task(self._recycle_pool())

    async def _recycle_pool(self) -> None:
        try:
            await self.pool.drain()
        except Exception:  # the pool may be closing; nothing to do
            log.debug("pool recycling failed", exc_info=True)

    async def close(self) -> None:
        for task in (self._recycling, self._standby_check):
            if task is not None:
                task.cancel()
        await self.readiness.close()


class ReadinessProbe:
    """``/readyz``'s own database session, outside the pool: a readiness check never queues
    behind request traffic that holds every pooled connection, and gives up after
    ``Settings.readiness_timeout`` seconds (waiting for another check in progress, then
    connecting, then the queries on the socket, each bounded by what is left).

    It asks two things: whether the migrations are current (``wallet_migrate``'s history
    against the files on disk) and whether this session's writes can commit
    (``wallet.commit_readiness()``: not a standby, not a read-only session, and a
    synchronous standby streaming when the server's commits wait for one). A session that
    finds a problem is closed: the next check connects afresh, which with a multi-host URL
    and ``target_session_attrs=read-write`` finds the new primary; a problem found on a
    session opened by an earlier check is asked again at once on a new session."""

    def __init__(self, settings: Settings) -> None:
        self.timeout = settings.readiness_timeout
        self._conninfo = pool_conninfo(settings, f"{settings.application_name} readyz")
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def problems(self) -> list[str]:
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + self.timeout
        try:
            async with asyncio.timeout(self.timeout):
                await self._lock.acquire()
        except TimeoutError:
            return [f"another readiness check has waited {self.timeout:g} s for the database"]
        try:
            reused = self._conn is not None
            problems = await self._check(ends_at - loop.time())
            if problems and reused and loop.time() < ends_at:
                # The session may be stale (ended by a restart, or on a host that is no
                # longer the primary): ask once more on a new one, within the same time.
                await self.close()
                problems = await self._check(ends_at - loop.time())
            if problems:
                await self.close()  # the next check connects afresh
            return problems
        finally:
            self._lock.release()

    async def _check(self, seconds: float) -> list[str]:
        if seconds <= 0:
            return [f"no time left within {self.timeout:g} s"]
        started = asyncio.get_running_loop().time()
        try:
            if self._conn is None or self._conn.closed or self._conn.broken:
                await self.close()
                async with asyncio.timeout(seconds):
                    self._conn = await PrimaryConnection.connect(
                        self._conninfo, autocommit=True, prepare_threshold=None
                    )
            conn = self._conn
            left = seconds - (asyncio.get_running_loop().time() - started)
            if left <= 0:
                return [f"no database connection within {self.timeout:g} s"]
            deadline = Deadline(conn, left)
            try:
                problems = await self._ask(conn)
            except psycopg.Error:
                if deadline.end():
                    await self.close()
                    return [f"the database did not answer within {self.timeout:g} s"]
                raise
            if deadline.end():  # answered just in time, but the socket may be shut
                await self.close()
        except TimeoutError:
            await self.close()
            return [f"no database connection within {self.timeout:g} s"]
        except NoUsablePrimary as error:
            await self.close()
            return [str(error)]
        except psycopg.Error as error:
            await self.close()
            log.warning("readiness check failed: %s", str(error).strip())
            sqlstate = error.diag.sqlstate if error.diag else None
            return [
                f"database error: {type(error).__name__}" + (f" ({sqlstate})" if sqlstate else "")
            ]
        return problems

    @staticmethod
    async def _ask(conn: psycopg.AsyncConnection[Any]) -> list[str]:
        rows = await (await conn.execute(READINESS_QUERY)).fetchall()
        problems = migrations.problems(rows)
        if problems:  # not current: the readiness function may not exist yet
            return problems
        cursor = await conn.execute(COMMIT_READINESS_QUERY)
        return [str(problem) for (problem,) in await cursor.fetchall()]

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close()
            except Exception:  # already broken: nothing to close cleanly
                log.debug("closing the readiness connection failed", exc_info=True)


def synchronous_standby_problem(standby_names: str, synchronous_commit: str) -> str | None:
    """Why a server with these settings does not make commits wait for a synchronous standby
    (None: it does)."""
    if not standby_names.strip():
        return "has no synchronous standby configured (synchronous_standby_names is empty)"
    if synchronous_commit in ("off", "local"):
        return (
            f"has synchronous_commit = {synchronous_commit} for the service's role, so its "
            f"commits do not wait for the standbys it names ({standby_names})"
        )
    return None


def is_request_decoding(error: psycopg.Error) -> bool:
    """Whether PostgreSQL refused the request's own text as jsonb (bad JSON, a ``\\u0000``,
    absurd nesting, a number beyond numeric), which is the provider's malformed request:
    2004. Told apart from the same SQLSTATE raised by the wallet's code by where it arose:
    while the statement's parameter was being converted (its context names the parameter),
    before any function ran. Inside a function (an overflow of a balance, a bug) it is the
    wallet's failure, answered 500 so that the provider retries; the statement's
    transaction was rolled back and wrote nothing. The route functions answer a malformed
    field themselves, 2004, from their reading step (wallet_core.route)."""
    context = error.diag.context if error.diag else None
    return bool(context) and BIND_FRAME.search(context or "") is not None


def _internal(message: str) -> RouteAnswer:
    return RouteAnswer(500, error_bytes(ErrorCode.INTERNAL, message))
