"""Test databases: a real PostgreSQL, a template built once by migrate.py, a fresh copy per test.

With ``DATABASE_URL`` or the libpq ``PG*`` variables set, the tests use that server through
pytest-postgresql's ``postgresql_noproc``. Otherwise they start the embedded server (the same
one ``wallet serve`` uses) in a temporary directory. Each test's copy is made while the test
before it runs, and dropped in the background once its test is done (``DatabaseCopies``).

Every fixture the test modules of every layer share lives here (the databases, the service,
its settings, the provider's keys, a player); the plain helpers they use are in
``tests/support``. No test module imports from another. A test marked ``damages_ledger`` breaks
the ledger on purpose and is exempt from the audit every other test that used a wallet database
ends with. The markers are listed in pyproject.toml; ``uv run pytest -m "not slow"`` is the
fast subset.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pytest_postgresql import factories
from pytest_postgresql.executors import NoopExecutor
from pytest_postgresql.janitor import DatabaseJanitor

import migrate
from app.config import Settings
from app.service.app import create_app
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


class DatabaseCopies:
    """Fresh copies of a template database (the migrated one, or the empty one), one per test:
    the next copy is made while a test runs, and each is dropped in the background once its
    test is done.

    Neither needs to be waited for. CREATE DATABASE ... TEMPLATE writes the whole template
    (8 MB, mostly catalogs) to the WAL: 0.1-0.2 s. DROP DATABASE on PostgreSQL 15 requests an
    immediate checkpoint and waits for it (pg_stat_bgwriter's checkpoints_req counts one per
    drop): 0.3 s on a quiet server, 1.5 s on this one with other suites running. Drops that run
    at the same time share checkpoints (24 drops took 40 s one at a time, 1.5-4 s sixteen at a
    time), hence sixteen threads. Each copy has a name of its own, so a test never waits for the
    previous test's copy to go. The session ends when every copy is dropped.
    """

    def __init__(self, template: NoopExecutor) -> None:
        self.template = template
        self.numbers = itertools.count(1)
        self.maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="make-test-database")
        self.dropper = ThreadPoolExecutor(max_workers=16, thread_name_prefix="drop-test-database")
        self.next: Future[DatabaseJanitor] | None = None
        self.drops: list[tuple[str, Future[None]]] = []

    def _make(self) -> DatabaseJanitor:
        janitor = DatabaseJanitor(
            user=self.template.user,
            host=self.template.host,
            port=self.template.port,
            dbname=f"{self.template.dbname}_{next(self.numbers)}",
            template_dbname=self.template.template_dbname,
            maintenance_dbname=self.template.maintenance_dbname,
            password=self.template.password,
        )
        janitor.init()
        return janitor

    def take(self) -> DatabaseJanitor:
        """A fresh copy (made in advance), and the next one started."""
        janitor = (self.next or self.maker.submit(self._make)).result()
        self.next = self.maker.submit(self._make)
        return janitor

    def drop(self, janitor: DatabaseJanitor) -> None:
        self.drops.append((janitor.dbname, self.dropper.submit(janitor.drop)))

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection to a fresh copy, which goes when the connection is closed (as
        pytest-postgresql's ``postgresql`` fixture, made ahead and dropped in the background)."""
        janitor = self.take()
        try:
            connection = psycopg.connect(
                dbname=janitor.dbname,
                user=self.template.user,
                password=self.template.password,
                host=self.template.host,
                port=self.template.port,
                options=self.template.options,
            )
            try:
                yield connection
            finally:
                connection.close()
        finally:
            self.drop(janitor)

    def close(self) -> list[str]:
        """Drop the copy made in advance, wait for every drop; the copies that could not be."""
        if self.next is not None:
            self.drop(self.next.result())
        self.maker.shutdown()
        self.dropper.shutdown()
        return [f"{name}: {drop.exception()!r}" for name, drop in self.drops if drop.exception()]


def copies_of(template: NoopExecutor) -> Iterator[DatabaseCopies]:
    copies = DatabaseCopies(template)
    yield copies
    assert copies.close() == [], "test databases left behind"


postgresql_noproc = factories.postgresql_noproc(
    dbname=f"wallet_tests_{os.getpid()}", load=[load_migrations]
)
empty_noproc = factories.postgresql_noproc(dbname=f"wallet_empty_{os.getpid()}")


@pytest.fixture(scope="session")
def wallet_copies(postgresql_noproc: NoopExecutor) -> Iterator[DatabaseCopies]:
    yield from copies_of(postgresql_noproc)


@pytest.fixture(scope="session")
def empty_copies(empty_noproc: NoopExecutor) -> Iterator[DatabaseCopies]:
    yield from copies_of(empty_noproc)


@pytest.fixture
def wallet_db(wallet_copies: DatabaseCopies) -> Iterator[psycopg.Connection]:
    """A connection to a fresh copy of the migrated template."""
    with wallet_copies.connection() as connection:
        yield connection


@pytest.fixture
def empty_db(empty_copies: DatabaseCopies) -> Iterator[psycopg.Connection]:
    """A connection to a fresh, empty database."""
    with empty_copies.connection() as connection:
        yield connection


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
    (negative balances and bonus grants after rollbacks are allowed; any other finding fails it)."""
    if "wallet_db" not in request.fixturenames or request.node.get_closest_marker("damages_ledger"):
        yield
        return
    conninfo = conninfo_of(request.getfixturevalue("wallet_db"))
    yield
    with psycopg.connect(conninfo, autocommit=True) as conn:
        findings = conn.execute(
            "select * from wallet.audit()"
            " where \"check\" not in ('negative_balance', 'negative_grant')"
        ).fetchall()
    assert findings == [], f"wallet.audit() after {request.node.name}: {findings}"
