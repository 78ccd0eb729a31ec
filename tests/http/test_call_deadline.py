"""Every wait has an end: a database that stops answering mid-request (a TCP forwarder the
test freezes, as SIGSTOP freezes a server) costs a request at most the call deadline, the
statement timeout plus a margin; the connection is discarded and the pool heals by itself."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import psycopg
import psycopg.conninfo
import pytest
import uvloop

from app.config import Settings
from app.primary import Deadline
from app.service.app import create_app
from app.service.database import NO_DEADLINE_TCP_USER_TIMEOUT, pool_conninfo
from tests.support.database import audit_findings, balance_of, conninfo_of
from tests.support.frozen_proxy import FrozenProxy
from tests.support.processes import LiveServer
from tests.support.provider import JSON, START_BALANCE, ProviderKey, body_of, make_request

pytestmark = pytest.mark.slow  # waits out call deadlines

STATEMENT_TIMEOUT = 1.0
MARGIN = 0.5
DEADLINE = STATEMENT_TIMEOUT + MARGIN
SLACK = 1.0  # a loaded machine's scheduling, on top of the deadline


@pytest.fixture
def proxy(db: psycopg.Connection) -> Iterator[FrozenProxy]:
    with FrozenProxy(db.info.host, db.info.port) as frozen:
        yield frozen


def test_a_frozen_database_costs_a_request_the_deadline_and_the_pool_heals(
    proxy: FrozenProxy,
    app_settings: Settings,
    provider_key: ProviderKey,
    db: psycopg.Connection,
    player: str,
) -> None:
    settings = app_settings.with_changes(
        database_url=psycopg.conninfo.make_conninfo(
            conninfo_of(db), user="wallet_app", host="127.0.0.1", port=proxy.port
        ),
        statement_timeout=STATEMENT_TIMEOUT,
        call_margin=MARGIN,
        readiness_timeout=1.0,
        acquire_timeout=1.0,
        connect_timeout=2.0,
        reconnect_timeout=5.0,
        pool_min_size=2,
        pool_max_size=4,
    )
    frozen_make = body_of(provider_key.token(make_request("frozen-1", 700, betslip_id="f")))

    def post(http: httpx.Client, body: bytes) -> tuple[httpx.Response, float]:
        started = time.monotonic()
        response = http.post("/bet/make", content=body, headers=JSON)
        return response, time.monotonic() - started

    with (
        LiveServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        first = body_of(provider_key.token(make_request("before-1", 100, betslip_id="b")))
        response, _ = post(http, first)
        assert response.status_code == 200, response.text

        proxy.freeze()
        response, elapsed = post(http, frozen_make)
        assert response.status_code == 500, response.text
        assert response.json() == {"code": 500, "message": "the database did not answer in time"}
        assert DEADLINE * 0.9 <= elapsed < DEADLINE + SLACK, elapsed
        # The provider retries; every retry ends too (the deadline, or no connection within the
        # acquire timeout while the pool cannot reconnect through the frozen forwarder).
        for _ in range(3):
            response, elapsed = post(http, frozen_make)
            assert response.status_code == 500, response.text
            assert elapsed < max(DEADLINE, settings.acquire_timeout) + SLACK, elapsed
        started = time.monotonic()
        ready = http.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert time.monotonic() - started < settings.readiness_timeout + SLACK
        assert http.get("/healthz").status_code == 200

        proxy.thaw()
        deadline = time.monotonic() + 30
        while True:  # the provider's retries, until the pool has reconnected
            response, _ = post(http, frozen_make)
            if response.status_code == 200:
                break
            assert response.status_code == 500, response.text
            assert time.monotonic() < deadline, "the service did not recover"
            time.sleep(0.2)
        answered = response.content
        for n in range(5):
            response, _ = post(http, body_of(provider_key.token(make_request(f"after-{n}", 10))))
            assert response.status_code == 200, response.text
        # the retry of the frozen request is a replay, byte for byte: one debit, however
        # many attempts reached the database (the first one ran once the server thawed)
        assert post(http, frozen_make)[0].content == answered
        assert http.get("/readyz").status_code == 200

    assert balance_of(db, player) == START_BALANCE - 100 - 700 - 5 * 10
    assert audit_findings(db) == []
    # no session of the service was left behind, waiting (its sockets were shut)
    stuck = db.execute(
        "select count(*) from pg_stat_activity where usename = 'wallet_app'"
        " and datname = current_database() and state = 'active'"
    ).fetchone()
    assert stuck == (0,)


def test_the_connection_string_keeps_the_hosts_and_bounds_every_wait() -> None:
    url = "postgresql://wallet_app@db1:5432,db2:5433/wallet?target_session_attrs=read-write"
    settings = Settings.from_environ({"DATABASE_URL": url, "WALLET_DB_STATEMENT_TIMEOUT": "4"})
    assert settings.call_deadline == 4 + 2
    info = psycopg.conninfo.conninfo_to_dict(pool_conninfo(settings))
    assert (info["host"], info["port"], info["dbname"]) == ("db1,db2", "5432,5433", "wallet")
    assert info["target_session_attrs"] == "read-write"
    assert info["tcp_user_timeout"] == "6000"  # ms: the call deadline
    assert (info["keepalives"], info["connect_timeout"]) == ("1", "5")
    assert "options" not in info  # PgBouncer in transaction mode refuses startup options
    assert info["client_encoding"] == "UTF8"  # the route call's bytes are UTF-8 JSON

    unbounded = Settings.from_environ({"DATABASE_URL": url, "WALLET_DB_STATEMENT_TIMEOUT": "0"})
    assert unbounded.call_deadline is None
    assert psycopg.conninfo.conninfo_to_dict(pool_conninfo(unbounded))["tcp_user_timeout"] == str(
        round(NO_DEADLINE_TCP_USER_TIMEOUT * 1000)
    )


def test_a_deadline_that_cut_the_call_says_so_on_uvloop(db: psycopg.Connection) -> None:
    """The service runs on uvloop, whose ``TimerHandle.when()`` can exceed ``loop.time()`` in
    the very millisecond the timer fires (a float rounding of the same milliseconds): a call
    cut by its deadline was then taken, about one time in seven, for a lost connection
    (answered "the database is unavailable", not "did not answer in time")."""

    async def cut_calls(count: int) -> list[bool]:
        said = []
        for _ in range(count):
            conn = await psycopg.AsyncConnection.connect(conninfo_of(db), autocommit=True)
            try:
                deadline = Deadline(conn, 0.003)
                with pytest.raises(psycopg.OperationalError):
                    await conn.execute("select pg_sleep(5)")
                said.append(deadline.end())
            finally:
                await conn.close()
        return said

    assert uvloop.run(cut_calls(40)) == [True] * 40
