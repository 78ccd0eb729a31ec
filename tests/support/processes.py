"""The provider's side of the HTTP tests: its key, signed request bodies, requests as the
contract shapes them, a live uvicorn, and checks on the database.

Plain functions and classes; the fixtures that use them live in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import psycopg.conninfo
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar import Litestar

from app import provider as p
from app.provider import body_of as body_of  # the HTTP tests' request bodies

PLAYER = "player-1"
CURRENCY = "EUR"
START_BALANCE = 100_000


# Keys and tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderKey:
    """An RSA key pair as a provider holds it; the public half is a PEM file for the wallet.

    Tokens are signed by ``app.provider.ProviderKey``, as ``wallet simulate`` signs them."""

    private: rsa.RSAPrivateKey
    public_pem: bytes
    public_path: Path
    kid: str

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        return p.ProviderKey(self.private, self.kid).sign(claims, headers=headers)

    def token(self, request: object, **claims: Any) -> str:
        return p.ProviderKey(self.private, self.kid).token(request, lifetime=60, **claims)


def make_key(directory: Path, kid: str) -> ProviderKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path = directory / f"{kid}.pem"
    path.write_bytes(public_pem)
    return ProviderKey(private, public_pem, path, kid)


# The app --------------------------------------------------------------------------------------


def conninfo_of(conn: psycopg.Connection) -> str:
    """A conninfo string that opens more connections to the database ``conn`` is on."""
    return conn.info.dsn + (f" password={conn.info.password}" if conn.info.password else "")


def app_conninfo(db: psycopg.Connection, **overrides: object) -> str:
    """The per-test database, as the service's role wallet_app."""
    return psycopg.conninfo.make_conninfo(conninfo_of(db), user="wallet_app", **overrides)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a real condition (a database, process or broker state) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class LiveServer:
    """The app served by a real uvicorn on a real socket, in a thread of the test process."""

    def __init__(self, app: Litestar) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


# Requests as the contract describes them ------------------------------------------------------


SELECTION = {
    "id": "selection-1",
    "event_id": "event-1",
    "sport_id": "1",
    "sport_name": "Soccer",
    "category_id": "10",
    "category_name": "England",
    "tournament_id": "100",
    "tournament_name": "Premier League",
    "competitor_name": ["Arsenal", "Chelsea"],
    "market_name": "1x2",
    "outcome_name": "1",
    "scheduled": 1_700_003_600,
    "live": False,
    "odds": 1.85,
}
"""The selection of the HTTP tests' makes: odds as a JSON number, decoded exactly."""


def make_request(
    transaction_id: str = "make-1",
    amount: int = 1_000,
    player_id: str = PLAYER,
    currency: str = CURRENCY,
    betslip_id: str = "slip-1",
) -> dict[str, Any]:
    request = p.make(
        player_id,
        amount,
        currency=currency,
        tx=transaction_id,
        selections=[dict(SELECTION)],
        betslip_id=betslip_id,
    )
    # The provider's own id for the player, fixed: a 128-character player_id stays in bounds.
    request["transaction"]["player_id"] = "provider-player-77"
    return request


def win_request(bet_id: str, transaction_id: str, amount: int) -> dict[str, Any]:
    return p.win(PLAYER, bet_id, amount, currency=CURRENCY, tx=transaction_id)


def lost_request(bet_id: str, transaction_id: str) -> dict[str, Any]:
    return p.lost(PLAYER, bet_id, currency=CURRENCY, tx=transaction_id)


def refund_request(bet_id: str, transaction_id: str, amount: int) -> dict[str, Any]:
    return p.refund(PLAYER, bet_id, amount, currency=CURRENCY, tx=transaction_id)


def rollback_request(bet_id: str, transaction_id: str, settlement_id: str) -> dict[str, Any]:
    return p.rollback(PLAYER, bet_id, settlement_id, tx=transaction_id)


def discard_request(make_id: str) -> dict[str, Any]:
    return p.discard(PLAYER, make_id, "odds changed")


# Checks ---------------------------------------------------------------------------------------


def balance_of(db: psycopg.Connection, player_id: str = PLAYER, currency: str = CURRENCY) -> int:
    row = db.execute("SELECT wallet.balance(%s, %s)", (player_id, currency)).fetchone()
    assert row is not None
    return int(row[0])


def audit_findings(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    """Broken invariants (negative balances are findings the contract allows)."""
    rows = db.execute("SELECT * FROM wallet.audit()").fetchall()
    return [row for row in rows if row[0] != "negative_balance"]


def ledger_snapshot(db: psycopg.Connection) -> dict[str, str]:
    """Row count and content digest of every table in wallet_core."""
    tables = [
        row[0]
        for row in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'wallet_core' ORDER BY 1"
        ).fetchall()
    ]
    assert tables, "no tables in wallet_core"
    snapshot = {}
    for table in tables:
        row = db.execute(
            "SELECT count(*) || ':' || "
            "coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '')"
            f" FROM wallet_core.{table} AS t"
        ).fetchone()
        assert row is not None
        snapshot[table] = str(row[0])
    return snapshot


# `wallet serve` as a process ----------------------------------------------------------------


WALLET = shutil.which("wallet") or str(Path(sys.executable).parent / "wallet")
JSON = {"content-type": "application/json"}


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment without any database or wallet setting, plus ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PG", "WALLET_")) and name != "DATABASE_URL"
    }
    env.update(extra)
    return env


class Served:
    """``wallet serve`` as a subprocess, its output collected."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [WALLET, "serve", "--port", str(self.port), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_up(self, ping: str = "/ping", timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"wallet serve exited early:\n{self.output}")
            try:
                if httpx.get(f"{self.url}{ping}", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"wallet serve did not answer {ping}:\n{self.output}")

    def terminate(self, timeout: float = 40) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
