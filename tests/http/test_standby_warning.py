"""``wallet serve`` warns loudly at start-up when the database it serves does not make commits
wait for a synchronous standby (docs/high-availability.md): a failover could then lose bets
already answered 200. The check runs in the background (a database that is down does not hold
the start up) on a session of its own, once per process."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import psycopg
import pytest

from app.config import Settings
from app.service.app import create_app
from tests.support.own_postgres import OwnPostgres, own_postgres
from tests.support.processes import LiveServer, wait_until
from tests.support.provider import ProviderKey

WARNING = "NO SYNCHRONOUS STANDBY"
FINE = "start-up check: commits wait for a synchronous standby"


def check_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "wallet.database"
        and (WARNING in record.getMessage() or FINE in record.getMessage())
    ]


def start_and_wait(
    settings: Settings, caplog: pytest.LogCaptureFixture, timeout: float = 15
) -> list[str]:
    with caplog.at_level(logging.INFO, logger="wallet.database"), LiveServer(create_app(settings)):
        wait_until(lambda: bool(check_messages(caplog)), timeout, "the start-up check")
        time.sleep(0.2)
    return check_messages(caplog)


def test_a_database_without_a_synchronous_standby_is_warned_about(
    app_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    messages = start_and_wait(app_settings, caplog)
    assert len(messages) == 1, messages
    assert messages[0].startswith(f"{WARNING}: the database at "), messages
    assert "synchronous_standby_names is empty" in messages[0]
    assert "docs/high-availability.md" in messages[0]


@pytest.fixture
def waiting_for_a_standby() -> Iterator[OwnPostgres]:
    """A server whose commits wait for a synchronous standby (none is there: the check only
    reads settings, it commits nothing that would wait)."""
    with own_postgres({"synchronous_standby_names": "'ANY 1 (standby_a, standby_b)'"}) as server:
        yield server


@pytest.mark.slow  # a PostgreSQL of its own
def test_no_warning_where_commits_wait_for_a_standby_but_one_for_synchronous_commit_local(
    waiting_for_a_standby: OwnPostgres,
    provider_key: ProviderKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = waiting_for_a_standby
    settings = Settings(
        database_url=server.url(),
        jwt_public_keys=(provider_key.public_path,),
        pool_min_size=0,
        pool_max_size=2,
    )
    messages = start_and_wait(settings, caplog)
    assert messages == [
        f"{FINE} (synchronous_standby_names = ANY 1 (standby_a, standby_b),"
        " synchronous_commit = on)"
    ]

    caplog.clear()
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute("set synchronous_commit = local")  # this commit must not wait either
        conn.execute("alter role postgres set synchronous_commit = local")
    messages = start_and_wait(settings, caplog)
    assert len(messages) == 1, messages
    assert WARNING in messages[0]
    assert "synchronous_commit = local" in messages[0], messages
