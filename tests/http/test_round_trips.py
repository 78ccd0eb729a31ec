"""One database round trip per request, counted by PostgreSQL itself.

Method: a dedicated PostgreSQL 15 server (the machine's own binaries, in a temporary
directory) started with ``shared_preload_libraries = pg_stat_statements`` and autovacuum off,
so that nothing but the service touches the wallet database while it is measured.

- Statements: ``pg_stat_statements`` (``track = top``) counts every top-level statement the
  server executed for the role ``wallet_app``, which only the service uses. N requests must
  show exactly N executions, all of them the route-function call, and no ``BEGIN``,
  ``COMMIT``, ``SET`` or any other statement.
- Commits: ``pg_stat_database.xact_commit`` of the wallet database, read from another database
  before and after, once the service's pool is closed (a backend flushes its counters when it
  exits, so nothing is read late). Autovacuum is off and no other session uses the wallet
  database, so the delta is the service's transactions: N, plus the catalog transaction a
  new backend runs at connection start-up. The test measures that per-session cost first
  (a session that runs no statement), counts the pool's sessions from
  ``pg_stat_database.sessions``, and subtracts them explicitly.

The machine's shared server (no ``shared_preload_libraries``) cannot do this, so the test is
skipped where PostgreSQL's server binaries and pg_stat_statements are not installed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import psycopg.conninfo
import pytest
from litestar.testing import TestClient

import migrate
from app.config import Settings
from app.service.app import create_app
from tests.support.own_postgres import OwnPostgres, own_postgres
from tests.support.provider import (
    CURRENCY,
    PLAYER,
    ProviderKey,
    body_of,
    lost_request,
    make_request,
    win_request,
)

pytestmark = pytest.mark.slow

WALLET_DB = "wallet_counted"


@pytest.fixture(scope="module")
def counting_server() -> Iterator[OwnPostgres]:
    counting = {
        "shared_preload_libraries": "pg_stat_statements",
        "pg_stat_statements.track": "top",
        "pg_stat_statements.track_utility": "on",
        "autovacuum": "off",
    }
    with own_postgres(counting, pg_stat_statements=True) as server:
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {WALLET_DB}")
            conn.execute("CREATE EXTENSION pg_stat_statements")  # the observer reads it here
        migrate.Migrator(server.url(WALLET_DB), out=lambda line: None).up()
        with psycopg.connect(server.url(WALLET_DB), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION pg_stat_statements")
            conn.execute("SELECT wallet.create_player(%s, %s, 1000000)", (PLAYER, CURRENCY))
        yield server


def wallet_db_counters(observer: psycopg.Connection) -> tuple[int, int, int]:
    """(xact_commit, xact_rollback, sessions) of the wallet database, read fresh."""
    observer.execute("SELECT pg_stat_clear_snapshot()")
    row = observer.execute(
        "SELECT xact_commit, xact_rollback, sessions FROM pg_stat_database WHERE datname = %s",
        (WALLET_DB,),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def wait_until_no_backends(observer: psycopg.Connection) -> None:
    """Backends flush their statistics when they exit; wait until every one has.

    A backend flushes its counters (and counts its session) in a before_shmem_exit hook,
    which PostgreSQL 15+ runs before the on_shmem_exit hook that takes the backend out of
    pg_stat_activity: once it is gone from there, its statistics are in."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = observer.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (WALLET_DB,)
        ).fetchone()
        if row is not None and row[0] == 0:
            return
        time.sleep(0.01)
    raise AssertionError("the wallet database still has backends")


def test_each_request_is_one_statement_and_one_commit(
    counting_server: OwnPostgres,
    provider_key: ProviderKey,
) -> None:
    observer = psycopg.connect(counting_server.url("postgres"), autocommit=True)
    wait_until_no_backends(observer)
    # calibrate: what does a session that runs no statement cost in xact_commit?
    idle_before = wallet_db_counters(observer)[0]
    psycopg.connect(counting_server.url(WALLET_DB, user="wallet_app")).close()
    wait_until_no_backends(observer)
    per_session = wallet_db_counters(observer)[0] - idle_before
    assert per_session in (0, 1)
    observer.execute("SELECT pg_stat_statements_reset()")
    commits_before, rollbacks_before, sessions_before = wallet_db_counters(observer)

    settings = Settings(
        database_url=counting_server.url(WALLET_DB, user="wallet_app"),
        jwt_public_keys=(provider_key.public_path,),
        pool_min_size=1,
        pool_max_size=4,
    )
    requests: list[tuple[str, Any]] = []
    for n in range(10):
        requests.append(("bet/make", make_request(f"rt-make-{n}", 100, betslip_id=f"rt-{n}")))
    requests.append(("bet/make", make_request("rt-make-0", 100, betslip_id="rt-0")))  # replay
    requests.append(("bet/make", make_request("rt-poor", 10**12)))  # refused: 2001
    requests.append(("balance", {"player_id": PLAYER, "currency": CURRENCY}))
    requests.append(("balance", {"player_id": PLAYER, "currency": 1.5}))  # malformed: 2004

    with TestClient(app=create_app(settings)) as client:
        post: Callable[[str, Any], Any] = lambda route, request: client.post(  # noqa: E731
            f"/{route}",
            content=body_of(provider_key.token(request)),
            headers={"content-type": "application/json"},
        )
        answers = [post(route, request) for route, request in requests]
        bet_ids = [answers[n].json()["id"] for n in range(3)]
        for n, bet_id in enumerate(bet_ids):
            requests.append(("bet/win", win_request(bet_id, f"rt-win-{n}", 150)))
            answers.append(post(*requests[-1]))
        requests.append(("bet/lost", lost_request(answers[3].json()["id"], "rt-lost")))
        answers.append(post(*requests[-1]))
        # refused before the database: these must not reach it at all
        json_type = {"content-type": "application/json"}
        assert client.post("/bet/make", content=b"nope", headers=json_type).status_code == 400
        refused = client.post("/bet/make", content=body_of("x.y.z"), headers=json_type)
        assert refused.json()["code"] == 2005
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == len(requests) - 2, [a.text for a in answers]
    n_requests = len(requests)

    wait_until_no_backends(observer)
    statements = observer.execute(
        "SELECT query, calls FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid"
        " WHERE r.rolname = 'wallet_app' ORDER BY query"
    ).fetchall()
    commits_after, rollbacks_after, sessions_after = wallet_db_counters(observer)
    observer.close()

    # the start-up check of the synchronous standby (docs/high-availability.md): once per
    # process, on a session of its own, not per request
    startup = [(q, c) for q, c in statements if q.startswith("SELECT current_setting(")]
    assert sum(calls for _, calls in startup) == 1, statements
    statements = [statement for statement in statements if statement not in startup]
    # statements: exactly one per request, and nothing but the route-function calls
    assert sum(calls for _, calls in statements) == n_requests, statements
    for query, _ in statements:
        assert query.startswith("SELECT status, body::text FROM wallet."), query
    # commits: one per request (and the start-up check's), plus what each session opened
    # (the pool's, the check's) costs by itself
    sessions = sessions_after - sessions_before
    assert 2 <= sessions <= settings.pool_max_size + 1
    assert commits_after - commits_before - sessions * per_session == n_requests + 1
    assert rollbacks_after == rollbacks_before
