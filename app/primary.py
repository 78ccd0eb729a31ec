"""Connecting to the primary whose commits can complete, through a multi-host URL.

With ``postgresql://u@db1,db2/wallet?target_session_attrs=read-write`` libpq keeps the first
host that accepts writes. That is not enough in one case a failover leaves behind: the old
primary restarted read-write (by its keeper, or by hand) while its synchronous standby has
been promoted and no longer follows it. It accepts the session as ``read-write``, takes every
statement, and never finishes a COMMIT: each waits for a standby that will not answer. Being
first in the URL, it would get every new connection while a healthy primary stands ready.

:class:`PrimaryConnection` connects to each host of the URL in turn (as psycopg does) and, when
the URL asks for a ``read-write`` (or ``primary``) session, asks the server it reached whether
this session's commits can complete (``wallet.commit_readiness()``: no synchronous standby
streaming while ``synchronous_standby_names`` requires one, a standby, a read-only session). A
server that says no is left, and the next host tried; when no host qualifies, the connection
fails like any other (the service answers 500 and the provider retries; the relay backs off).
Where the function is missing or not granted (a database not migrated yet), the server is
taken as libpq would take it.

Both programs use it: the service's pool (``RouteConnection`` subclasses it) and the relay.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any, Self

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_attempts_async, conninfo_to_dict, make_conninfo

log = logging.getLogger("wallet.primary")

COMMIT_READINESS_QUERY = "SELECT problem FROM wallet.commit_readiness() AS problem"
CHECKED_SESSION_ATTRS = ("read-write", "primary")
DEFAULT_CHECK_TIMEOUT = 5.0
"""Seconds the check may take when the URL has no ``connect_timeout``."""


NOT_MIGRATED = (errors.UndefinedFunction, errors.InvalidSchemaName, errors.InsufficientPrivilege)
"""What asking ``wallet.commit_readiness()`` raises on a database not migrated yet, or where
the role was not granted it: the server is then taken as libpq would take it."""


class NoUsablePrimary(psycopg.OperationalError):
    """Every host was refused: down, a standby, or a primary whose commits cannot complete."""


def sever(conn: psycopg.AsyncConnection[Any]) -> None:
    """Shut the connection's socket down in both directions (on a duplicate of its file
    descriptor: the descriptor stays libpq's, and libpq reads end-of-file at once)."""
    try:
        with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, psycopg.Error):  # closed meanwhile: nothing to cut
        log.debug("could not shut down a connection", exc_info=True)


class Deadline:
    """A call's end on this side: when ``seconds`` pass before :meth:`end`, the
    connection's socket is shut down (:func:`sever`), so that the waiting call fails at once
    (psycopg then sees the connection broken). Cancelling the call instead would make psycopg
    send a cancel request and wait for the server, which may never answer.

    Whether the deadline passed is what the timer did, not a comparison of clocks:
    uvloop's ``TimerHandle.when()`` (milliseconds times ``1e-3``) can exceed its
    ``loop.time()`` (milliseconds divided by 1000) by one unit in the last place in the very
    millisecond the timer fires, and a severed call was then taken for a lost connection."""

    __slots__ = ("_timer", "passed")

    def __init__(self, conn: psycopg.AsyncConnection[Any], seconds: float) -> None:
        self.passed = False
        self._timer = asyncio.get_running_loop().call_later(seconds, self._expire, conn)

    def _expire(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.passed = True
        sever(conn)

    def end(self) -> bool:
        """Stop the clock; True when the deadline passed first (the socket is shut: a call
        that still got its answer, read before the cut, leaves a connection to discard)."""
        self._timer.cancel()
        return self.passed


class PrimaryConnection(psycopg.AsyncConnection[Any]):
    """An async connection that refuses a read-write server whose commits cannot complete,
    and moves on to the next host of the URL (see the module's documentation)."""

    @classmethod
    async def connect(
        cls,
        conninfo: str = "",
        **kwargs: Any,
    ) -> Self:
        connection_options = {
            name: kwargs.pop(name)
            for name in (
                "autocommit",
                "prepare_threshold",
                "context",
                "row_factory",
                "cursor_factory",
            )
            if name in kwargs
        }
        params = conninfo_to_dict(conninfo, **kwargs)
        if str(params.get("target_session_attrs", "")) not in CHECKED_SESSION_ATTRS:
            return await super().connect(conninfo, **connection_options, **kwargs)
        check_timeout = float(params.get("connect_timeout") or DEFAULT_CHECK_TIMEOUT)
        refused: list[str] = []
        for attempt in await conninfo_attempts_async(params):
            where = f"{attempt.get('host')}:{attempt.get('port') or 5432}"
            try:
                conn = await super().connect(make_conninfo("", **attempt), **connection_options)
            except psycopg.OperationalError as error:
                refused.append(f"{where}: {str(error).strip().splitlines()[0]}")
                continue
            try:
                problems = await commit_problems(conn, check_timeout)
            except psycopg.Error as error:
                await _close_quietly(conn)
                refused.append(f"{where}: {type(error).__name__}: {str(error).strip()}")
                continue
            if not problems:
                return conn
            await _close_quietly(conn)
            log.warning(
                "leaving %s: it accepts writes but cannot commit them: %s",
                where,
                "; ".join(problems),
            )
            refused.append(f"{where}: {'; '.join(problems)}")
        raise NoUsablePrimary("no host can commit the wallet's writes: " + " | ".join(refused))


async def commit_problems(conn: psycopg.AsyncConnection[Any], seconds: float) -> list[str]:
    """What ``wallet.commit_readiness()`` says stands in the way of this session's commits
    (nothing where the function is missing or not granted), within ``seconds``: past
    it the socket is shut down and the call fails as a lost connection does."""
    deadline = Deadline(conn, seconds)
    try:
        try:
            cursor = await conn.execute(COMMIT_READINESS_QUERY)
            rows = await cursor.fetchall()
        finally:
            if not conn.autocommit and not conn.broken:
                await conn.rollback()  # leave no transaction open behind the check
    except psycopg.Error as error:
        if deadline.end():
            raise psycopg.OperationalError(f"no answer within {seconds:g} s") from error
        if isinstance(error, NOT_MIGRATED):
            return []
        raise
    if deadline.end():  # answered just in time, but the socket is shut: refuse this session
        raise psycopg.OperationalError(f"no answer within {seconds:g} s")
    return [str(row[0]) for row in rows]


async def _close_quietly(conn: psycopg.AsyncConnection[Any]) -> None:
    try:
        await conn.close()
    except Exception:  # already broken
        log.debug("closing a refused connection failed", exc_info=True)
