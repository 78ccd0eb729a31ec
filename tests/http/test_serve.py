"""``wallet serve``, the service as a program: start-up rules, the embedded mode from nothing,
workers, SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from app.cli import main
from tests.support.database import app_conninfo, balance_of
from tests.support.processes import WALLET, Served, clean_environment, wait_until
from tests.support.provider import (
    CURRENCY,
    JSON,
    PLAYER,
    START_BALANCE,
    ProviderKey,
    body_of,
    make_request,
)

# Start-up rules, in process -------------------------------------------------------------------


def test_database_url_without_keys_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://wallet_app@127.0.0.1:1/none")
    monkeypatch.delenv("WALLET_JWT_PUBLIC_KEYS", raising=False)
    assert main(["serve"]) == 2
    assert "WALLET_JWT_PUBLIC_KEYS is not set" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (None, "cannot be read"),
        (b"not a key", "not a PEM public key"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "private key"),
    ],
    ids=["missing", "garbage", "private-key"],
)
def test_a_bad_key_file_stops_start_up_naming_the_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    provider_key: ProviderKey,
    content: bytes | None,
    complaint: str,
) -> None:
    bad = tmp_path / "broken-key.pem"
    if content is not None:
        bad.write_bytes(content)
    monkeypatch.setenv("DATABASE_URL", "postgresql://wallet_app@127.0.0.1:1/none")
    monkeypatch.setenv("WALLET_JWT_PUBLIC_KEYS", f"{provider_key.public_path},{bad}")
    assert main(["serve"]) == 2
    error = capsys.readouterr().err
    assert str(bad) in error
    assert complaint in error


def test_an_ec_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql://wallet_app@127.0.0.1:1/none")
    monkeypatch.setenv("WALLET_JWT_PUBLIC_KEYS", str(path))
    assert main(["serve"]) == 2
    assert f"{path}" in capsys.readouterr().err


def test_malformed_numbers_in_the_environment_are_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://wallet_app@127.0.0.1:1/none")
    monkeypatch.setenv("WALLET_JWT_LEEWAY", "soon")
    assert main(["serve"]) == 2
    assert "WALLET_JWT_LEEWAY" in capsys.readouterr().err


# The real command -----------------------------------------------------------------------------


@pytest.mark.slow
def test_serve_on_the_embedded_server_from_nothing(tmp_path: Path) -> None:
    """DATABASE_URL unset: the embedded PostgreSQL is created, migrated and served, with a
    development key pair that ``wallet token`` signs with; restarting reuses both."""
    embedded_data = tmp_path / "wallet-data"
    env = clean_environment(WALLET_DATA_DIR=str(embedded_data))
    served = Served(env)
    try:
        served.wait_until_up()
        assert httpx.get(f"{served.url}/readyz", timeout=10).json() == {"status": "ready"}
        private_key = embedded_data / "dev-jwt.private.pem"
        assert private_key.exists()
        assert oct(private_key.stat().st_mode & 0o777) == "0o600"
        assert str(private_key) in served.output  # said loudly where it is
        signed = subprocess.run(
            [WALLET, "token", json.dumps({"player_id": "nobody", "currency": "EUR"})],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        answer = httpx.post(f"{served.url}/balance", content=signed, headers=JSON, timeout=10)
        assert answer.status_code == 400
        assert answer.json()["code"] == 1006  # the database answered, as wallet_app
        assert served.terminate() == 0
    finally:
        served.kill()
    postmaster = embedded_data / "pg" / "postmaster.pid"
    deadline = time.monotonic() + 15
    while postmaster.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not postmaster.exists(), "the embedded server was left running"

    public_key = (embedded_data / "dev-jwt.pem").read_bytes()
    again = Served(env)
    try:
        again.wait_until_up()
        answer = httpx.post(f"{again.url}/balance", content=signed, headers=JSON, timeout=10)
        assert answer.json()["code"] == 1006  # the same key pair still verifies
        assert (embedded_data / "dev-jwt.pem").read_bytes() == public_key
        assert again.terminate() == 0
    finally:
        again.kill()


@pytest.mark.slow
def test_serve_with_workers_and_sigterm_lets_in_flight_requests_finish(
    db: psycopg.Connection,
    provider_key: ProviderKey,
    player: str,
    db_url: str,
) -> None:
    env = clean_environment(
        DATABASE_URL=app_conninfo(db),
        WALLET_JWT_PUBLIC_KEYS=str(provider_key.public_path),
        WALLET_PATH_PREFIX="/betby",
        # the request waits on a lock through the whole shutdown: a call deadline (statement
        # timeout + margin) longer than a loaded machine may take for that
        WALLET_DB_STATEMENT_TIMEOUT="60",
    )
    served = Served(env, "--workers", "2", "--host", "127.0.0.1")
    try:
        served.wait_until_up("/betby/ping")
        # hold the player's account so that the next make waits inside the database
        blocker = psycopg.connect(db_url)
        blocker.execute(
            "SELECT 1 FROM wallet_core.accounts WHERE player_id = %s FOR UPDATE", (PLAYER,)
        )
        result: dict[str, httpx.Response] = {}

        def in_flight() -> None:
            body = body_of(provider_key.token(make_request("in-flight", 500)))
            result["make"] = httpx.post(
                f"{served.url}/betby/bet/make", content=body, headers=JSON, timeout=30
            )

        request = threading.Thread(target=in_flight)
        request.start()
        wait_until(lambda: waiting_on_a_lock(db) == 1, 30, "the make to wait on the lock")
        served.process.send_signal(signal.SIGTERM)
        wait_until(
            lambda: served.output.count("Shutting down") == 2, 30, "both workers to shut down"
        )
        assert waiting_on_a_lock(db) == 1  # the request is still in flight
        blocker.rollback()  # the database lets it go; the service must still answer
        blocker.close()
        request.join(timeout=30)
        assert served.process.wait(timeout=40) == 0
        assert result["make"].status_code == 200, result["make"].text
        assert balance_of(db, PLAYER, CURRENCY) == START_BALANCE - 500
    finally:
        served.kill()


def waiting_on_a_lock(db: psycopg.Connection) -> int:
    """How many of the service's sessions on this database wait for a lock."""
    row = db.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = 'wallet-http' AND wait_event_type = 'Lock'"
    ).fetchone()
    assert row is not None
    return int(row[0])


def worker_pids(parent: int) -> list[int]:
    """The uvicorn workers of ``wallet serve --workers``: its children made by multiprocessing's
    spawn (not its resource tracker)."""
    workers = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"spawn_main" in cmdline:
            workers.append(int(entry.name))
    return workers


@pytest.mark.slow
def test_workers_parse_http_with_httptools_on_uvloop(
    db: psycopg.Connection,
    provider_key: ProviderKey,
) -> None:
    """uvicorn falls back to its pure-Python h11 parser and asyncio's loop without a word when
    httptools or uvloop is missing; each worker of a served process must have both loaded."""
    env = clean_environment(
        DATABASE_URL=app_conninfo(db), WALLET_JWT_PUBLIC_KEYS=str(provider_key.public_path)
    )
    served = Served(env, "--workers", "2", "--host", "127.0.0.1")

    def loaded() -> dict[int, tuple[bool, bool]]:
        found = {}
        for pid in worker_pids(served.process.pid):
            libraries = Path(f"/proc/{pid}/maps").read_text()
            found[pid] = ("/httptools/parser/parser." in libraries, "/uvloop/loop." in libraries)
        return found

    try:
        served.wait_until_up()
        # one worker answered; the other may still be starting: wait until both serve
        wait_until(
            lambda: list(loaded().values()) == [(True, True), (True, True)],
            60,
            "both workers to load httptools and uvloop",
        )
        assert served.terminate() == 0
    finally:
        served.kill()


def test_worker_socket_disables_nagle() -> None:
    """With --workers, uvicorn binds the listening socket itself and asyncio leaves Nagle on
    for the connections it accepts; responses then waited ~40 ms each for a delayed ACK. The
    socket wallet serve binds carries TCP_NODELAY, which Linux copies to accepted sockets."""
    import socket

    from app.cli import _Config

    config = _Config("app.service.app:app_from_environment", factory=True, port=0, workers=2)
    sock = config.bind_socket()
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        sock.listen()
        with socket.create_connection(sock.getsockname()) as client:
            accepted, _ = sock.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            client.close()
    finally:
        sock.close()
