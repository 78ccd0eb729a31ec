"""An old primary back read-write without its synchronous standby, first in the URL.

After a failover the old primary may come back read-write (its keeper's child restarts it)
while the standby it waits for has been promoted and follows it no more: it accepts
``target_session_attrs=read-write`` sessions and never completes a COMMIT. libpq alone would
keep connecting to it, being first in the URL. Here it is a server of the test's own whose
``synchronous_standby_names`` names a standby that does not exist; the healthy primary is the
test's database on the shared server. The service's pool, ``/readyz`` and the relay must go
to the second host; with no host that can commit, the service answers 500 at once (within the
acquire timeout), not at the call deadline, and ``/readyz`` says why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

import migrate
from app.config import Settings
from app.primary import PrimaryConnection
from app.relay.publisher import RelaySettings, connect_database
from app.service.app import create_app
from tests.support.own_postgres import OwnPostgres, own_postgres
from tests.support.processes import LiveServer
from tests.support.provider import (
    CURRENCY,
    JSON,
    PLAYER,
    START_BALANCE,
    ProviderKey,
    body_of,
    make_request,
)

pytestmark = pytest.mark.slow  # a PostgreSQL of its own


@pytest.fixture
def zombie(db: psycopg.Connection) -> Iterator[OwnPostgres]:
    """A migrated server whose database has the test database's name, with the test's
    player, then made to wait for a synchronous standby that will never come."""
    with own_postgres({"max_connections": "30"}) as server:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(f'create database "{db.info.dbname}"')
        migrate.Migrator(server.url(db.info.dbname), out=lambda line: None).up()
        with psycopg.connect(server.url(db.info.dbname), autocommit=True) as conn:
            conn.execute(
                "select wallet.create_player(%s, %s, %s)", (PLAYER, CURRENCY, START_BALANCE)
            )
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("alter system set synchronous_standby_names = 'ANY 1 (promoted_away)'")
            conn.execute("select pg_reload_conf()")
        yield server


def multi_host(db: psycopg.Connection, user: str, *ports: int) -> str:
    hosts = ",".join(f"127.0.0.1:{port}" for port in ports)
    return f"postgresql://{user}@{hosts}/{db.info.dbname}?target_session_attrs=read-write"


def bets_on(url: str, tx: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from wallet_core.bets where make_transaction_id = %s", [tx]
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_service_and_the_relay_leave_a_primary_that_cannot_commit(
    db: psycopg.Connection,
    db_url: str,
    zombie: OwnPostgres,
    player: str,
    provider_key: ProviderKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    shared_port = int(db.info.port)
    settings = Settings(
        database_url=multi_host(db, "wallet_app", zombie.port, shared_port),
        jwt_public_keys=(provider_key.public_path,),
        pool_min_size=1,
        pool_max_size=4,
    )
    body = body_of(provider_key.token(make_request("zombie-1", 100, betslip_id="zombie-1")))
    with (
        caplog.at_level(logging.WARNING, logger="wallet.primary"),
        LiveServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        started = time.monotonic()
        response = http.post("/bet/make", content=body, headers=JSON)
        assert response.status_code == 200, response.text
        assert time.monotonic() - started < settings.call_deadline  # no wait on the zombie
        ready = http.get("/readyz")
        assert ready.status_code == 200, ready.text
    assert bets_on(db_url, "zombie-1") == 1
    assert bets_on(zombie.url(db.info.dbname), "zombie-1") == 0
    left = [r.getMessage() for r in caplog.records if r.name == "wallet.primary"]
    assert any(f"leaving 127.0.0.1:{zombie.port}" in m and "synchronous" in m for m in left), left

    async def relay_port() -> int:
        relay = RelaySettings(
            database_url=multi_host(db, "wallet_relay", zombie.port, shared_port),
            amqp_url="amqp://unused",
        )
        conn = await connect_database(relay)
        try:
            assert isinstance(conn, PrimaryConnection)
            return int(conn.info.port)
        finally:
            await conn.close()

    assert asyncio.run(relay_port()) == shared_port


def test_no_host_can_commit_answers_500_at_once_and_readyz_says_why(
    db: psycopg.Connection, zombie: OwnPostgres, player: str, provider_key: ProviderKey
) -> None:
    settings = Settings(
        database_url=multi_host(db, "wallet_app", zombie.port),
        jwt_public_keys=(provider_key.public_path,),
        pool_min_size=1,
        pool_max_size=4,
        acquire_timeout=1.0,
    )
    body = body_of(provider_key.token(make_request("zombie-2", 100, betslip_id="zombie-2")))
    with (
        LiveServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        started = time.monotonic()
        response = http.post("/bet/make", content=body, headers=JSON)
        elapsed = time.monotonic() - started
        assert response.status_code == 500, response.text
        assert response.json()["message"] == "the database is unavailable"
        assert elapsed < settings.acquire_timeout + 1.0, elapsed
        ready = http.get("/readyz")
        assert ready.status_code == 503, ready.text
        problems = ready.json()["problems"]
        assert any("no host can commit" in p and "synchronous standby" in p for p in problems)
    assert bets_on(zombie.url(db.info.dbname), "zombie-2") == 0
