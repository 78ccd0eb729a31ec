"""The service under load and under a database outage, through a real uvicorn socket."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import psycopg
import psycopg.conninfo
import pytest

from app.config import Settings
from app.service.app import create_app
from tests.support.database import audit_findings, balance_of, conninfo_of
from tests.support.processes import LiveServer, free_port
from tests.support.provider import (
    CURRENCY,
    PLAYER,
    START_BALANCE,
    ProviderKey,
    body_of,
    make_request,
)

JSON = {"content-type": "application/json"}


def test_20_concurrent_makes_for_one_player(
    live_server: LiveServer,
    provider_key: ProviderKey,
    db: psycopg.Connection,
    player: str,
) -> None:
    bodies = [
        body_of(provider_key.token(make_request(f"par-{n}", 1_000 + n, betslip_id=f"ps-{n}")))
        for n in range(20)
    ]

    async def storm() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
            return await asyncio.gather(
                *(http.post("/bet/make", content=body, headers=JSON) for body in bodies)
            )

    responses = asyncio.run(storm())
    assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
    debited = sum(1_000 + n for n in range(20))
    assert balance_of(db) == START_BALANCE - debited
    # every answer saw a distinct balance: the debits were serialized, none lost
    balances = sorted(r.json()["balance"] for r in responses)
    assert len(set(balances)) == 20
    assert balances[0] == START_BALANCE - debited
    assert audit_findings(db) == []


class TcpProxy:
    """A TCP relay between the service and PostgreSQL that the test can cut and restore."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._acceptor: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.05)
        self._acceptor = threading.Thread(target=self._accept, args=(self._listener,), daemon=True)
        self._acceptor.start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = self._connect_upstream()
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()
        listener.close()

    def _connect_upstream(self) -> socket.socket:
        host, port = self.upstream
        if host.startswith("/"):  # a Unix socket directory (the embedded server)
            unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            unix.connect(f"{host}/.s.PGSQL.{port}")
            return unix
        return socket.create_connection(self.upstream)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """The database is gone: refuse new connections, break the open ones."""
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        if self._acceptor is not None:  # no connection is accepted after this
            self._acceptor.join(timeout=10)
            assert not self._acceptor.is_alive()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def restore(self) -> None:
        self.start()


@pytest.fixture
def proxy(db: psycopg.Connection) -> Iterator[TcpProxy]:
    info = db.info
    relay = TcpProxy(info.host, info.port)
    relay.start()
    yield relay
    relay.cut()


@pytest.mark.slow
def test_database_outage_fails_fast_and_recovers_without_restart(
    proxy: TcpProxy,
    app_settings: Settings,
    provider_key: ProviderKey,
    db: psycopg.Connection,
    player: str,
) -> None:
    acquire_timeout = 1.5
    settings = app_settings.with_changes(
        database_url=psycopg.conninfo.make_conninfo(
            conninfo_of(db), user="wallet_app", host="127.0.0.1", port=proxy.port
        ),
        acquire_timeout=acquire_timeout,
        connect_timeout=2.0,
        reconnect_timeout=5.0,
        pool_min_size=2,
        pool_max_size=4,
    )
    counter = iter(range(1_000))

    def make(http: httpx.Client) -> tuple[httpx.Response, float]:
        request = make_request(f"outage-{next(counter)}", 100, betslip_id="outage")
        started = time.monotonic()
        response = http.post(
            "/bet/make", content=body_of(provider_key.token(request)), headers=JSON
        )
        return response, time.monotonic() - started

    with (
        LiveServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        response, _ = make(http)
        assert response.status_code == 200, response.text
        succeeded = 1

        proxy.cut()
        for _ in range(4):
            response, elapsed = make(http)
            assert response.status_code == 500, response.text
            assert response.json() == {"code": 500, "message": "the database is unavailable"}
            assert elapsed < acquire_timeout + 1.0
        ready = http.get("/readyz")
        assert ready.status_code == 503
        assert http.get("/healthz").status_code == 200  # alive, just not ready

        proxy.restore()
        deadline = time.monotonic() + 30
        while True:
            response, _ = make(http)
            if response.status_code == 200:
                succeeded += 1
                break
            assert response.status_code == 500, response.text
            assert time.monotonic() < deadline, "the service did not recover"
            time.sleep(0.2)
        for _ in range(5):
            response, _ = make(http)
            assert response.status_code == 200, response.text
            succeeded += 1
        assert http.get("/readyz").status_code == 200

    assert balance_of(db) == START_BALANCE - 100 * succeeded
    assert audit_findings(db) == []
    assert (player, "EUR") == (PLAYER, CURRENCY)
