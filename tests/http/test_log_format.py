"""Log lines: human-readable on a terminal, JSON otherwise, WALLET_LOG_FORMAT wins."""

from __future__ import annotations

import json
import logging
import os
import pty
import re
import select
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import httpx
import psycopg
import pytest

from app.config import ConfigError, Settings
from app.service.observability import configure_logging
from tests.support.database import app_conninfo
from tests.support.processes import Served, clean_environment
from tests.support.provider import CURRENCY, PLAYER, ProviderKey, body_of

ACCESS_FIELDS = {
    "method": "POST",
    "path": "/bet/make",
    "status": 200,
    "route": "bet/make",
    "player": "player 1",
    "transaction": "t-1",
    "code": None,
    "duration_ms": 1.25,
}


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def terminal() -> Iterator[tuple[TextIO, int]]:
    """A real pseudo-terminal: the stream the service would log to, and the reading end."""
    leader, follower = pty.openpty()
    stream = os.fdopen(follower, "w", buffering=1)
    yield stream, leader
    stream.close()
    os.close(leader)


def log_one_request(stream: TextIO) -> None:
    logging.getLogger("wallet.access").info("request", extra={"fields": dict(ACCESS_FIELDS)})
    logging.getLogger("wallet.cli").warning("plain message %d", 7)
    stream.flush()


def read_terminal(leader: int, lines: int = 2) -> list[str]:
    """The lines written to the terminal: a pseudo-terminal hands over what was written in
    pieces (one read may return the first line only), so read until ``lines`` have arrived."""
    received = b""
    deadline = time.monotonic() + 10
    while received.count(b"\n") < lines and time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            received += os.read(leader, 65536)
    return received.decode().replace("\r\n", "\n").strip().splitlines()


def test_a_terminal_gets_text_lines(
    terminal: tuple[TextIO, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WALLET_LOG_FORMAT", raising=False)
    stream, leader = terminal
    assert stream.isatty()
    configure_logging("INFO", stream=stream)
    log_one_request(stream)

    access, plain = read_terminal(leader)
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d\.\d{3} INFO    wallet\.access: POST /bet/make 200 route=bet/make "
        r'player="player 1" transaction=t-1 code=- 1\.25 ms',
        access,
    ), access
    assert plain.endswith("WARNING wallet.cli: plain message 7")


def test_a_pipe_or_file_gets_json_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WALLET_LOG_FORMAT", raising=False)
    with (tmp_path / "log").open("w") as stream:
        assert not stream.isatty()
        configure_logging("INFO", stream=stream)
        log_one_request(stream)
    access, plain = (json.loads(line) for line in (tmp_path / "log").read_text().splitlines())
    assert {key: access[key] for key in ACCESS_FIELDS} == ACCESS_FIELDS
    assert (access["level"], access["logger"]) == ("info", "wallet.access")
    assert (plain["level"], plain["message"]) == ("warning", "plain message 7")


def test_wallet_log_format_overrides_the_terminal_test(
    terminal: tuple[TextIO, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream, leader = terminal
    monkeypatch.setenv("WALLET_LOG_FORMAT", "json")
    configure_logging("INFO", stream=stream)
    log_one_request(stream)
    assert json.loads(read_terminal(leader)[0])["route"] == "bet/make"

    monkeypatch.setenv("WALLET_LOG_FORMAT", "text")
    with (tmp_path / "log").open("w") as file:
        configure_logging("INFO", stream=file)
        log_one_request(file)
    assert "INFO    wallet.access: POST /bet/make 200" in (tmp_path / "log").read_text()


def test_an_unknown_log_format_is_a_configuration_error() -> None:
    assert Settings.from_environ({"WALLET_LOG_FORMAT": "TEXT"}).log_format == "text"
    with pytest.raises(ConfigError, match="WALLET_LOG_FORMAT must be one of json, text"):
        Settings.from_environ({"WALLET_LOG_FORMAT": "xml"})


@pytest.mark.slow
def test_wallet_serve_logs_text_when_asked_and_json_by_default_on_a_pipe(
    db: psycopg.Connection,
    provider_key: ProviderKey,
    player: str,
) -> None:
    body = body_of(provider_key.token({"player_id": PLAYER, "currency": CURRENCY}))
    for log_format in ("text", None):
        extra = {"WALLET_LOG_FORMAT": log_format} if log_format else {}
        env = clean_environment(
            DATABASE_URL=app_conninfo(db),
            WALLET_JWT_PUBLIC_KEYS=str(provider_key.public_path),
            **extra,
        )
        served = Served(env)
        try:
            served.wait_until_up()
            response = httpx.post(
                f"{served.url}/balance",
                content=body,
                headers={"content-type": "application/json"},
                timeout=10,
            )
            assert response.status_code == 200
            assert served.terminate() == 0
        finally:
            served.kill()
        access = [line for line in served.lines if "/balance" in line]
        assert len(access) == 1, served.output
        if log_format == "text":
            assert " INFO    wallet.access: POST /balance 200 route=balance " in access[0]
            assert "wallet.cli: serving on http://127.0.0.1:" in served.output
        else:
            assert json.loads(access[0])["path"] == "/balance"
