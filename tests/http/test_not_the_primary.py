"""A database that cannot write for the service (a standby, a read-only session) answers
every money route 500 (the wallet's failure: the provider retries) and /readyz 503; once it
can write again the pool heals by itself, without a restart. /readyz answers on a connection
of its own, even while request traffic holds every pooled connection.

The read-only session is real: ``ALTER ROLE wallet_app IN DATABASE ... SET
default_transaction_read_only = on`` applies to every new session of the service, whose
writes then fail with SQLSTATE 25006 as they do on a hot standby. (A standby of its own, and
a primary waiting for a synchronous standby, are in ``test_replication.py``.)"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import psycopg.sql
from litestar import Litestar
from litestar.testing import TestClient

from app.config import Settings
from app.service.app import create_app
from tests.support.database import balance_of, conninfo_of
from tests.support.processes import LiveServer, wait_until
from tests.support.provider import JSON, PLAYER, START_BALANCE, ProviderKey, body_of, make_request


def set_service_read_only(db: psycopg.Connection, read_only: bool) -> None:
    """Make every new session of wallet_app in this database read-only (or not)."""
    change = "set default_transaction_read_only = on" if read_only else "reset all"
    db.execute(
        psycopg.sql.SQL("alter role wallet_app in database {} " + change).format(
            psycopg.sql.Identifier(db.info.dbname)
        )
    )


def end_service_sessions(db: psycopg.Connection) -> int:
    """Terminate the service's sessions, as a restart or a failover ends them."""
    row = db.execute(
        "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity"
        " where usename = 'wallet_app' and datname = current_database()"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_read_only_database_answers_500_and_readyz_503_then_heals_without_restart(
    client: TestClient[Litestar], post: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    assert post("bet/make", make_request("before", 100)).status_code == 200
    assert client.get("/readyz").status_code == 200

    set_service_read_only(db, True)
    assert end_service_sessions(db) >= 1
    messages = []
    for _ in range(3):  # the provider retries the same request
        response = post("bet/make", make_request("during", 1_000))
        assert response.status_code == 500, response.text
        assert response.json()["code"] == 500
        messages.append(response.json()["message"])
    # the first may meet a connection the termination closed; then the pool reconnects, to a
    # read-only session, and the write is refused with 25006
    assert "the database is read-only (not the primary)" in messages, messages
    ready = client.get("/readyz")
    assert ready.status_code == 503, ready.text
    assert any("read-only" in problem for problem in ready.json()["problems"]), ready.json()
    assert balance_of(db, player) == START_BALANCE - 100  # nothing was written

    set_service_read_only(db, False)  # the service is not restarted
    attempts = 0
    while True:
        attempts += 1
        response = post("bet/make", make_request("during", 1_000))
        if response.status_code == 200:
            break
        assert response.status_code == 500, response.text
        assert attempts < 20, "the pool did not heal"
        time.sleep(0.1)
    # every read-only connection is gone: the answers after the first success are all 200
    for n in range(5):
        assert post("bet/make", make_request(f"after-{n}", 10)).status_code == 200
    assert client.get("/readyz").status_code == 200
    assert balance_of(db, player) == START_BALANCE - 100 - 1_000 - 5 * 10


def test_readyz_answers_while_requests_hold_every_pooled_connection(
    app_settings: Settings, provider_key: ProviderKey, db: psycopg.Connection, player: str
) -> None:
    settings = app_settings.with_changes(pool_min_size=2, pool_max_size=2, acquire_timeout=10)
    bodies = [
        body_of(provider_key.token(make_request(f"held-{n}", 10, betslip_id=f"h{n}")))
        for n in range(4)
    ]
    answers: list[int] = []

    async def storm(url: str) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            responses = await asyncio.gather(
                *(http.post("/bet/make", content=body, headers=JSON) for body in bodies)
            )
        answers.extend(r.status_code for r in responses)

    with (
        LiveServer(create_app(settings)) as server,
        psycopg.connect(conninfo_of(db)) as locker,  # not autocommit: holds its lock
    ):
        assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
        locker.execute(
            "select balance from wallet_core.accounts where player_id = %s for update", [PLAYER]
        )
        requests = threading.Thread(target=asyncio.run, args=(storm(server.url),))
        requests.start()
        try:
            wait_until(
                lambda: (
                    db.execute(
                        "select count(*) from pg_stat_activity where usename = 'wallet_app'"
                        " and datname = current_database() and wait_event_type = 'Lock'"
                    ).fetchone()
                    == (2,)
                ),
                30,
                "both pooled connections to wait for the player's lock",
            )
            started = time.monotonic()
            ready = httpx.get(f"{server.url}/readyz", timeout=30)
            elapsed = time.monotonic() - started
            assert ready.status_code == 200, ready.text
            assert elapsed < settings.readiness_timeout, elapsed
        finally:
            locker.rollback()
            requests.join(timeout=60)
    assert answers == [200] * 4
