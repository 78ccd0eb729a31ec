"""The service with a real primary and a real streaming standby (servers of the test's own):

- on the standby, /readyz is 503 and a money route 500; a multi-host URL that names the
  standby first, with ``target_session_attrs=read-write``, serves from the primary;
- a primary whose commits wait for a synchronous standby that has gone (the standby stopped,
  ``synchronous_standby_names`` still naming it) is not ready: /readyz says so within its own
  deadline, and a money route answers 500 within the call deadline instead of hanging; once
  the standby is back the provider's retry is answered, debited once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import psycopg
import psycopg.sql
import pytest

import migrate
from app.config import Settings
from app.service.app import create_app
from tests.support.own_postgres import OwnPostgres
from tests.support.processes import LiveServer, wait_until
from tests.support.provider import (
    CURRENCY,
    JSON,
    PLAYER,
    START_BALANCE,
    ProviderKey,
    body_of,
    make_request,
)
from tests.support.replication import Standby, replicated_pair, streaming

pytestmark = pytest.mark.slow  # a primary and a standby of its own

WALLET_DB = "wallet"
STANDBY = "wallet_standby"
SLACK = 1.0


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[OwnPostgres, Standby]]:
    with replicated_pair(STANDBY) as (primary, standby):
        with psycopg.connect(primary.url(), autocommit=True) as conn:
            conn.execute(f"create database {WALLET_DB}")
        migrate.Migrator(primary.url(WALLET_DB), out=lambda line: None).up()
        with psycopg.connect(primary.url(WALLET_DB), autocommit=True) as conn:
            conn.execute(
                "select wallet.create_player(%s, %s, %s)", (PLAYER, CURRENCY, START_BALANCE)
            )
            row = conn.execute("select pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        wait_until(lambda: replayed(standby, row[0]), 60, "the standby to replay the migrations")
        yield primary, standby


def replayed(standby: Standby, lsn: str) -> bool:
    """Whether the (asynchronous) standby has replayed the primary's WAL up to ``lsn``."""
    with psycopg.connect(standby.url(), autocommit=True) as conn:
        row = conn.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()
    return bool(row and row[0])


def balance(server: OwnPostgres) -> int:
    with psycopg.connect(server.url(WALLET_DB), autocommit=True) as conn:
        row = conn.execute("select wallet.balance(%s, %s)", (PLAYER, CURRENCY)).fetchone()
    assert row is not None
    return int(row[0])


def service_settings(provider_key: ProviderKey, database_url: str, **changes: object) -> Settings:
    return Settings(
        database_url=database_url,
        jwt_public_keys=(provider_key.public_path,),
        pool_min_size=1,
        pool_max_size=4,
    ).with_changes(**changes)


def make(http: httpx.Client, key: ProviderKey, tx: str, amount: int) -> httpx.Response:
    body = body_of(key.token(make_request(tx, amount, betslip_id=tx)))
    return http.post("/bet/make", content=body, headers=JSON)


def test_the_standby_is_not_ready_and_a_multi_host_url_serves_from_the_primary(
    pair: tuple[OwnPostgres, Standby], provider_key: ProviderKey
) -> None:
    primary, standby = pair
    before = balance(primary)
    on_standby = service_settings(provider_key, standby.url(WALLET_DB, user="wallet_app"))
    with (
        LiveServer(create_app(on_standby)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        ready = http.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert any("standby" in problem for problem in ready.json()["problems"]), ready.text
        response = make(http, provider_key, "on-standby", 100)
        assert response.status_code == 500, response.text
        assert response.json() == {
            "code": 500,
            "message": "the database is read-only (not the primary)",
        }

    multi_host = (
        f"postgresql://wallet_app@127.0.0.1:{standby.port},127.0.0.1:{primary.port}"
        f"/{WALLET_DB}?target_session_attrs=read-write"
    )
    with (
        LiveServer(create_app(service_settings(provider_key, multi_host))) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        assert http.get("/readyz").status_code == 200
        response = make(http, provider_key, "multi-host", 100)
        assert response.status_code == 200, response.text
    assert balance(primary) == before - 100


def set_synchronous_standby(primary: OwnPostgres, names: str | None) -> None:
    with psycopg.connect(primary.url(), autocommit=True) as conn:
        if names is None:
            conn.execute("alter system reset synchronous_standby_names")
        else:
            conn.execute(
                psycopg.sql.SQL("alter system set synchronous_standby_names = {}").format(
                    psycopg.sql.Literal(names)
                )
            )
        conn.execute("select pg_reload_conf()")


def test_a_primary_waiting_for_a_missing_synchronous_standby_is_not_ready_and_does_not_hang(
    pair: tuple[OwnPostgres, Standby], provider_key: ProviderKey
) -> None:
    primary, standby = pair
    set_synchronous_standby(primary, STANDBY)
    try:
        wait_until(lambda: streaming(primary, STANDBY) == "sync", 30, "a synchronous standby")
        before = balance(primary)
        settings = service_settings(
            provider_key,
            primary.url(WALLET_DB, user="wallet_app"),
            statement_timeout=1.0,
            call_margin=0.5,
            readiness_timeout=1.0,
        )
        deadline = 1.5
        with (
            LiveServer(create_app(settings)) as server,
            httpx.Client(base_url=server.url, timeout=60) as http,
        ):
            assert http.get("/readyz").status_code == 200
            assert make(http, provider_key, "sync-ok", 100).status_code == 200

            standby.stop()
            wait_until(lambda: streaming(primary, STANDBY) is None, 30, "the standby to go")
            started = time.monotonic()
            ready = http.get("/readyz")
            assert time.monotonic() - started < settings.readiness_timeout + SLACK
            assert ready.status_code == 503, ready.text
            assert any("synchronous standby" in p for p in ready.json()["problems"]), ready.text

            started = time.monotonic()
            response = make(http, provider_key, "sync-stuck", 200)
            elapsed = time.monotonic() - started
            assert response.status_code == 500, response.text
            assert response.json()["message"] == "the database did not answer in time"
            assert deadline * 0.9 <= elapsed < deadline + SLACK, elapsed

            standby.start()
            wait_until(lambda: http.get("/readyz").status_code == 200, 60, "ready again")
            retried = time.monotonic() + 30
            while (response := make(http, provider_key, "sync-stuck", 200)).status_code != 200:
                assert response.status_code == 500, response.text
                assert time.monotonic() < retried, "the provider's retry was never answered"
                time.sleep(0.2)
        assert balance(primary) == before - 100 - 200
    finally:
        set_synchronous_standby(primary, None)
        if streaming(primary, STANDBY) is None:
            standby.start()


def test_an_answer_that_wrote_nothing_waits_for_the_synchronous_standby(
    pair: tuple[OwnPostgres, Standby], provider_key: ProviderKey
) -> None:
    """The acknowledged-but-lost hole: with the synchronous standby gone, a make commits on the
    primary but its COMMIT never returns (the request ends at the call deadline, 500); once the
    wait is cancelled its row is visible there, on the primary only. A replay, or a balance,
    writes nothing: without
    ``wallet.await_standbys()`` its commit would not wait, and it would answer 200 for a bet
    the standby never got (lost if the standby is promoted). It must wait too: 500, until the
    standby is back; then the retry is answered from the one stored answer."""
    primary, standby = pair
    set_synchronous_standby(primary, STANDBY)
    try:
        wait_until(lambda: streaming(primary, STANDBY) == "sync", 30, "a synchronous standby")
        before = balance(primary)
        settings = service_settings(
            provider_key,
            primary.url(WALLET_DB, user="wallet_app"),  # one host: the pool keeps using it
            statement_timeout=1.0,
            call_margin=0.5,
        )
        balance_body = body_of(provider_key.token({"player_id": PLAYER, "currency": CURRENCY}))
        with (
            LiveServer(create_app(settings)) as server,
            httpx.Client(base_url=server.url, timeout=60) as http,
        ):
            replicated = make(http, provider_key, "ack-replicated", 100)
            assert replicated.status_code == 200, replicated.text
            assert http.post("/balance", content=balance_body, headers=JSON).status_code == 200

            standby.stop()
            wait_until(lambda: streaming(primary, STANDBY) is None, 30, "the standby to go")
            stuck = make(http, provider_key, "ack-unreplicated", 200)
            assert stuck.status_code == 500, stuck.text
            # Its backend still waits for the standby, the row invisible to others until the
            # wait ends. It ends without the standby when the wait is cancelled (an operator,
            # a restart: a crashed primary's recovery makes such commits visible too, which
            # is how an old primary back read-write shows them).
            with psycopg.connect(primary.url(WALLET_DB), autocommit=True) as conn:
                wait_until(
                    lambda: (
                        conn.execute(
                            "select count(pg_cancel_backend(pid)) from pg_stat_activity"
                            " where wait_event = 'SyncRep'"
                        ).fetchone()
                        == (1,)
                    ),
                    10,
                    "the make's commit to wait for the standby",
                )
                wait_until(
                    lambda: (
                        conn.execute(
                            "select count(*) from wallet_core.bets where make_transaction_id = %s",
                            ["ack-unreplicated"],
                        ).fetchone()
                        == (1,)
                    ),
                    10,
                    "the make committed locally, not on the standby",
                )

            sends: list[Callable[[], httpx.Response]] = [
                lambda: make(http, provider_key, "ack-unreplicated", 200),  # the provider's retry
                lambda: make(http, provider_key, "ack-replicated", 100),  # an older replay
                lambda: http.post("/balance", content=balance_body, headers=JSON),
            ]
            for send in sends:
                # A request may draw a pooled connection the recycling that the last deadline
                # started is closing ("the database is unavailable"); the provider retries it,
                # and so does this test, until the call reaches the server and waits there.
                for _ in range(5):
                    answer = send()
                    assert answer.status_code == 500, answer.text
                    if answer.json()["message"] != "the database is unavailable":
                        break
                assert answer.json()["message"] == "the database did not answer in time"

            standby.start()
            wait_until(lambda: streaming(primary, STANDBY) == "sync", 60, "the standby back")
            retried = time.monotonic() + 30
            while (answer := make(http, provider_key, "ack-unreplicated", 200)).status_code != 200:
                assert time.monotonic() < retried, answer.text
                time.sleep(0.2)
            assert make(http, provider_key, "ack-unreplicated", 200).content == answer.content
            assert make(http, provider_key, "ack-replicated", 100).content == replicated.content
        assert balance(primary) == before - 100 - 200
    finally:
        set_synchronous_standby(primary, None)
        if streaming(primary, STANDBY) is None:
            standby.start()
