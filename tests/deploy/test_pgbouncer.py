"""The service behind a real PgBouncer in transaction mode, default startup-parameter
handling: provider calls, replays, a 20-way race, and the statement timeout, all through it.

PgBouncer (Debian's ``pgbouncer``) is started by the test on a free loopback port, as the
``postgres`` user (or the embedded server's) when the tests run as root (it refuses root),
with ``auth_type = trust`` and ``pool_mode = transaction``, in front of the tests'
PostgreSQL. Its pool per database and user is smaller than the service's, so server
connections really are shared.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import psycopg.conninfo
import pytest
from litestar.testing import TestClient

import migrate
from app.config import Settings
from app.service.app import create_app
from tests.support.database import audit_findings, balance_of, conninfo_of, ledger_snapshot
from tests.support.processes import LiveServer, free_port
from tests.support.provider import (
    CURRENCY,
    JSON,
    PLAYER,
    START_BALANCE,
    ProviderKey,
    body_of,
    make_request,
    win_request,
)

pytestmark = pytest.mark.pgbouncer

SERVER_POOL_SIZE = 4


@dataclass(frozen=True)
class Bouncer:
    port: int

    def url(self, dbname: str, user: str = "wallet_app", **extra: object) -> str:
        return psycopg.conninfo.make_conninfo(
            host="127.0.0.1", port=self.port, dbname=dbname, user=user, **extra
        )

    def pools(self, dbname: str) -> list[dict[str, object]]:
        """``SHOW POOLS`` rows of ``dbname`` from PgBouncer's admin console."""
        with psycopg.connect(self.url("pgbouncer", user="postgres"), autocommit=True) as admin:
            cursor = admin.execute("SHOW POOLS")
            names = [column.name for column in cursor.description or []]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return [row for row in rows if row["database"] == dbname]


@pytest.fixture(scope="module")
def bouncer(pytestconfig: pytest.Config) -> Iterator[Bouncer]:
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        pytest.skip("needs pgbouncer (Debian package pgbouncer)")
    # the tests' PostgreSQL (tests/conftest.py), a host or a Unix socket directory
    upstream_host = pytestconfig.option.postgresql_host
    upstream_port = pytestconfig.option.postgresql_port
    directory = Path(tempfile.mkdtemp(prefix="wallet-pgbouncer-"))
    port = free_port()
    (directory / "userlist.txt").write_text('"wallet_app" ""\n"postgres" ""\n')
    (directory / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={upstream_host} port={upstream_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = {SERVER_POOL_SIZE}
max_client_conn = 200
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""
    )
    user: str | None = None
    if os.geteuid() == 0:  # PgBouncer refuses to run as root: run it as the server's user
        if str(upstream_host).startswith("/"):  # the owner of the socket directory
            owner = pwd.getpwuid(os.stat(upstream_host).st_uid)
        else:
            owner = pwd.getpwnam("postgres")
        for path in (directory, *directory.iterdir()):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        user = owner.pw_name
    process = subprocess.Popen(
        [binary, str(directory / "pgbouncer.ini")],
        user=user,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = Bouncer(port)
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {process.stderr and process.stderr.read()}")
            try:
                psycopg.connect(started.url("pgbouncer", user="postgres"), autocommit=True).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield started
    finally:
        process.terminate()
        process.wait(timeout=15)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def settings(bouncer: Bouncer, db: psycopg.Connection, provider_key: ProviderKey) -> Settings:
    """The service as wallet_app, through PgBouncer, with a pool larger than PgBouncer's."""
    return Settings(
        database_url=bouncer.url(db.info.dbname),
        jwt_public_keys=(provider_key.public_path,),
        pool_min_size=1,
        pool_max_size=10,
    )


def test_pgbouncer_refuses_startup_options_as_configured(
    bouncer: Bouncer, db: psycopg.Connection
) -> None:
    """The PgBouncer of these tests is the strict one: what the service used to send fails."""
    with pytest.raises(psycopg.OperationalError, match="unsupported startup parameter: options"):
        psycopg.connect(bouncer.url(db.info.dbname, options="-c statement_timeout=1000"))


def test_provider_calls_and_replays_through_pgbouncer(
    bouncer: Bouncer,
    settings: Settings,
    db: psycopg.Connection,
    provider_key: ProviderKey,
    player: str,
) -> None:
    def post(client: TestClient, route: str, request: object) -> httpx.Response:  # type: ignore[type-arg]
        return client.post(f"/{route}", content=body_of(provider_key.token(request)), headers=JSON)

    with TestClient(app=create_app(settings)) as client:
        assert client.get("/readyz").json() == {"status": "ready"}
        balance = post(client, "balance", {"player_id": PLAYER, "currency": CURRENCY})
        assert balance.json()["balance"] == START_BALANCE
        made = post(client, "bet/make", make_request("pgb-make", 1_000, betslip_id="pgb"))
        assert made.status_code == 200, made.text
        replayed = post(client, "bet/make", make_request("pgb-make", 1_000, betslip_id="pgb"))
        assert replayed.json() == made.json()
        won = post(client, "bet/win", win_request(made.json()["id"], "pgb-win", 2_500))
        assert won.status_code == 200, won.text
        won_again = post(client, "bet/win", win_request(made.json()["id"], "pgb-win", 2_500))
        assert won_again.json() == won.json()
        poor = post(client, "bet/make", make_request("pgb-poor", 10**12, betslip_id="pgb-2"))
        assert poor.json()["code"] == 2001

    assert balance_of(db) == START_BALANCE - 1_000 + 2_500
    assert audit_findings(db) == []
    [pool] = [row for row in bouncer.pools(db.info.dbname) if row["user"] == "wallet_app"]
    assert pool["pool_mode"] == "transaction"


def test_20_concurrent_makes_for_one_player_through_pgbouncer(
    bouncer: Bouncer,
    settings: Settings,
    db: psycopg.Connection,
    provider_key: ProviderKey,
    player: str,
) -> None:
    bodies = [
        body_of(provider_key.token(make_request(f"pgb-par-{n}", 1_000 + n, betslip_id=f"p{n}")))
        for n in range(20)
    ]

    async def storm(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            return await asyncio.gather(
                *(http.post("/bet/make", content=body, headers=JSON) for body in bodies)
            )

    balance = body_of(provider_key.token({"player_id": PLAYER, "currency": CURRENCY}))

    async def rounds(url: str) -> list[int]:
        # 200 more statements on the service's 10 connections, PgBouncer's 4 server sessions
        # shared between them: a server-side prepared statement would be looked for in a
        # session that never saw it
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            statuses: list[int] = []
            for _ in range(10):
                answers = await asyncio.gather(
                    *(http.post("/balance", content=balance, headers=JSON) for _ in range(20))
                )
                statuses += [answer.status_code for answer in answers]
            return statuses

    with LiveServer(create_app(settings)) as server:
        responses = asyncio.run(storm(server.url))
        assert asyncio.run(rounds(server.url)) == [200] * 200
        pools = bouncer.pools(db.info.dbname)

    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    debited = sum(1_000 + n for n in range(20))
    assert balance_of(db) == START_BALANCE - debited
    balances = sorted(r.json()["balance"] for r in responses)
    assert len(set(balances)) == 20  # serialized on the account, none lost
    assert audit_findings(db) == []
    [pool] = [row for row in pools if row["user"] == "wallet_app"]
    # PgBouncer never opened more server connections than its pool allows
    server_connections = sum(
        int(pool[key])  # type: ignore[call-overload]
        for key in ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login")
    )
    assert 1 <= server_connections <= SERVER_POOL_SIZE


def test_a_statement_that_overruns_the_timeout_is_cut_off_through_pgbouncer(
    bouncer: Bouncer,
    settings: Settings,
    db: psycopg.Connection,
    provider_key: ProviderKey,
    player: str,
) -> None:
    db_url = conninfo_of(db)
    migrate.Migrator(db_url, statement_timeout=0.5, out=lambda line: None).up()
    with psycopg.connect(bouncer.url(db.info.dbname)) as service_session:
        assert service_session.execute("SHOW statement_timeout").fetchone() == ("500ms",)
    before = ledger_snapshot(db)

    with psycopg.connect(db_url) as blocker, TestClient(app=create_app(settings)) as client:
        blocker.execute(
            "SELECT 1 FROM wallet_core.accounts WHERE player_id = %s FOR UPDATE", (PLAYER,)
        )
        started = time.monotonic()
        response = client.post(
            "/bet/make",
            content=body_of(provider_key.token(make_request("pgb-slow", 100))),
            headers=JSON,
        )
        elapsed = time.monotonic() - started
        blocker.rollback()
        # the server session PgBouncer used is fine for the next request
        after = client.post(
            "/bet/make",
            content=body_of(provider_key.token(make_request("pgb-after", 100))),
            headers=JSON,
        )

    assert response.status_code == 500
    assert response.json() == {"code": 500, "message": "unexpected database error"}
    assert 0.4 < elapsed < 5
    assert after.status_code == 200, after.text
    assert balance_of(db) == START_BALANCE - 100
    assert ledger_snapshot(db) != before  # only the second make wrote
