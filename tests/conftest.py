"""Test databases: a real PostgreSQL, a template built once by migrate.py, a fresh copy per test.

With ``DATABASE_URL`` or the libpq ``PG*`` variables set, the tests use that server through
pytest-postgresql's ``postgresql_noproc``. Otherwise they start the embedded server (the same
one ``wallet serve`` uses) in a temporary directory.

Every fixture the test modules share lives here (the service, its settings, the provider's
keys, a player); the plain helpers they use are in ``tests/provider_http.py``. No test module
imports from another. A test marked ``damages_ledger`` breaks the ledger on purpose and is
exempt from the audit every other test that used a wallet database ends with.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pytest_postgresql import factories

import migrate
from app.config import Settings
from app.service import create_app
from tests.support.database import app_conninfo, conninfo_of
from tests.support.processes import LiveServer
from tests.support.provider import CURRENCY, PLAYER, START_BALANCE, ProviderKey, body_of, make_key

LIBPQ_VARIABLES = ("DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD")


def _external_server() -> dict[str, object] | None:
    """The server named by DATABASE_URL / PG* variables, as host, port, user, password."""
    if not any(os.environ.get(name) for name in LIBPQ_VARIABLES):
        return None
    with psycopg.connect(os.environ.get("DATABASE_URL", "")) as conn:
        info = conn.info
        return {"host": info.host, "port": info.port, "user": info.user, "password": info.password}


def pytest_configure(config: pytest.Config) -> None:
    server = _external_server()
    if server is None:
        from app.embedded import start_embedded_server

        data_dir = Path(tempfile.mkdtemp(prefix="wallet-test-pg-"))
        url = start_embedded_server(data_dir, stop_at_exit=True)
        with psycopg.connect(url) as conn:
            info = conn.info
            server = {"host": info.host, "port": info.port, "user": info.user, "password": ""}
    config.option.postgresql_host = server["host"]
    config.option.postgresql_port = server["port"]
    config.option.postgresql_user = server["user"]
    config.option.postgresql_password = server["password"] or None


def load_migrations(
    host: str, port: int, user: str, dbname: str, password: str | None, **_: object
) -> None:
    """pytest-postgresql loader: build the template database with migrate.py itself."""
    conninfo = psycopg.conninfo.make_conninfo(
        host=host, port=port, user=user, dbname=dbname, password=password
    )
    migrate.Migrator(conninfo, out=lambda line: None).up()


postgresql_noproc = factories.postgresql_noproc(
    dbname=f"wallet_tests_{os.getpid()}", load=[load_migrations]
)
wallet_db = factories.postgresql("postgresql_noproc")

empty_noproc = factories.postgresql_noproc(dbname=f"wallet_empty_{os.getpid()}")
empty_db = factories.postgresql("empty_noproc")


@pytest.fixture
def db(wallet_db: psycopg.Connection) -> psycopg.Connection:
    """An autocommit connection to a fresh, fully migrated database."""
    wallet_db.autocommit = True
    return wallet_db


@pytest.fixture
def db_url(db: psycopg.Connection) -> str:
    """Conninfo of the fresh migrated database, for opening more connections."""
    return conninfo_of(db)


# The service and the provider ------------------------------------------------------------------


@pytest.fixture(scope="session")
def provider_key(tmp_path_factory: pytest.TempPathFactory) -> ProviderKey:
    return make_key(tmp_path_factory.mktemp("keys"), "provider-2025")


@pytest.fixture(scope="session")
def stranger_key(tmp_path_factory: pytest.TempPathFactory) -> ProviderKey:
    """A key the wallet does not know."""
    return make_key(tmp_path_factory.mktemp("other-keys"), "stranger")


@pytest.fixture
def app_settings(db: psycopg.Connection, provider_key: ProviderKey) -> Settings:
    return Settings(
        database_url=app_conninfo(db),
        jwt_public_keys=(provider_key.public_path,),
        pool_min_size=1,
        pool_max_size=10,
    )


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(app_settings)) as test_client:
        yield test_client


@pytest.fixture
def player(db: psycopg.Connection) -> str:
    db.execute("SELECT wallet.create_player(%s, %s, %s)", (PLAYER, CURRENCY, START_BALANCE))
    return PLAYER


@pytest.fixture
def live_server(app_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(app_settings)) as server:
        yield server


@pytest.fixture
def post(client: TestClient[Litestar], provider_key: ProviderKey) -> Callable[..., Any]:
    """POST a request, signed by the provider, to a route."""

    def signed_post(route: str, request: object) -> Any:
        return client.post(
            f"/{route}",
            content=body_of(provider_key.token(request)),
            headers={"content-type": "application/json"},
        )

    return signed_post


@pytest.fixture(autouse=True)
def audit_after_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that used a wallet database leaves a ledger wallet.audit() finds healthy
    (negative balances after rollbacks are allowed; every other finding fails the test)."""
    if "wallet_db" not in request.fixturenames or request.node.get_closest_marker("damages_ledger"):
        yield
        return
    conninfo = conninfo_of(request.getfixturevalue("wallet_db"))
    yield
    with psycopg.connect(conninfo, autocommit=True) as conn:
        findings = conn.execute(
            "select * from wallet.audit() where \"check\" <> 'negative_balance'"
        ).fetchall()
    assert findings == [], f"wallet.audit() after {request.node.name}: {findings}"
