"""The provider's own path (``app.service.provider_path``) answers as Litestar did.

``POST /balance`` is answered on the provider's path, before Litestar; ``POST /balance/``
(a spelling Litestar normalizes to the same route) still goes through Litestar's router,
middleware and handler. The same requests sent both ways must get the same status, headers
and body, the same access log line (but for the duration) and the same metrics, so the
comparison holds the new path to everything the old one did, case by case.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import MAX_BODY_BYTES, Settings
from app.service.app import create_app
from app.service.observability import JsonFormatter
from app.service.protocol import HttpProtocol
from app.service.provider_path import ProviderPath
from tests.support.processes import LiveServer
from tests.support.provider import (
    CURRENCY,
    PLAYER,
    ProviderKey,
    body_of,
    make_request,
)

JSON = "application/json"


@dataclass(frozen=True)
class Case:
    id: str
    route: str
    body: Callable[[ProviderKey, ProviderKey], bytes]
    headers: dict[str, str]
    chunked: bool = False  # sent without a content-length


def balance(key: ProviderKey, _: ProviderKey) -> bytes:
    return body_of(key.token({"player_id": PLAYER, "currency": CURRENCY}))


def make(transaction_id: str, amount: int) -> Callable[[ProviderKey, ProviderKey], bytes]:
    return lambda key, _: body_of(key.token(make_request(transaction_id, amount)))


AS_JSON = {"content-type": JSON}
TOO_LARGE = b" " * (MAX_BODY_BYTES + 1)

CASES = [
    Case("balance", "balance", balance, AS_JSON),
    Case(
        "charset, any case", "balance", balance, {"content-type": "Application/JSON; charset=utf-8"}
    ),
    Case("stranger's key", "balance", lambda key, stranger: balance(stranger, key), AS_JSON),
    Case("no content type", "balance", balance, {}),
    Case("text/plain", "balance", balance, {"content-type": "text/plain"}),
    Case("over 256 KiB", "balance", lambda key, _: TOO_LARGE, AS_JSON),
    Case("over 256 KiB, chunked", "balance", lambda key, _: TOO_LARGE, AS_JSON, chunked=True),
    Case(
        "256 KiB announced",
        "balance",
        balance,
        {**AS_JSON, "content-length": str(MAX_BODY_BYTES + 1)},
    ),
    Case("content-length not a number", "balance", balance, {**AS_JSON, "content-length": "abc"}),
    Case("chunked", "balance", balance, AS_JSON, chunked=True),
    Case("not JSON", "balance", lambda key, _: b"{", AS_JSON),
    Case("an array", "balance", lambda key, _: b"[]", AS_JSON),
    Case("payload not a string", "balance", lambda key, _: b'{"payload": 1}', AS_JSON),
    Case("payload claim not an object", "balance", lambda key, _: body_of(key.token([1])), AS_JSON),
    Case(
        "malformed make",
        "bet/make",
        lambda key, _: body_of(key.token({"player_id": PLAYER})),
        AS_JSON,
    ),
    # sent twice: the second answer is the stored one, byte for byte, whichever path
    Case("make", "bet/make", make("path-make", 100), AS_JSON),
    Case("not enough money", "bet/make", make("path-big", 10**9), AS_JSON),
]


@pytest.fixture
def answered_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the provider's own path answered (the rest went through Litestar)."""
    paths: list[str] = []
    original = ProviderPath.answer

    async def answer(self: ProviderPath, scope: Any, receive: Any, record: Any) -> Any:
        paths.append(scope["path"])
        return await original(self, scope, receive, record)

    monkeypatch.setattr(ProviderPath, "answer", answer)
    return paths


@pytest.fixture
def app_client(app_settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(app_settings), raise_server_exceptions=False) as client:
        yield client


def metric_lines(client: TestClient[Litestar], route: str) -> dict[str, float]:
    """The provider metrics of one route: series -> value (no timestamps, no histogram sums)."""
    lines = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("#") or "_created" in line or "_sum{" in line or "_bucket{" in line:
            continue
        if f'path="/{route}"' in line or f'route="{route}"' in line:
            series, value = line.rsplit(" ", 1)
            lines[series] = float(value)
    return lines


def difference(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_provider_path_answers_as_litestar_does(
    case: Case,
    app_client: TestClient[Litestar],
    provider_key: ProviderKey,
    stranger_key: ProviderKey,
    player: str,
    answered_here: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    content = case.body(provider_key, stranger_key)
    seen: dict[str, tuple[Any, ...]] = {}
    for path in (f"/{case.route}", f"/{case.route}/"):  # the provider's path, then Litestar's
        before = metric_lines(app_client, case.route)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="wallet.access"):
            response = app_client.post(
                path, content=iter([content]) if case.chunked else content, headers=case.headers
            )
        records = [r for r in caplog.records if r.name == "wallet.access"]
        assert len(records) == 1, records
        line = json.loads(JsonFormatter().format(records[0]))
        assert isinstance(line.pop("duration_ms"), float)
        line.pop("ts")
        line.pop("path")  # the path as sent: Litestar logs the normalized one
        metrics = difference(metric_lines(app_client, case.route), before)
        seen[path] = (
            response.status_code,
            response.headers.multi_items(),
            response.content,
            line,
            metrics,
        )
    assert answered_here == [f"/{case.route}"]
    ours, litestars = seen.values()
    assert ours[:3] == litestars[:3]
    assert ours[3] == litestars[3]
    assert ours[4] == litestars[4]
    status, headers, body, line, metrics = ours
    assert dict(headers) == {"content-type": JSON, "content-length": str(len(body))}
    assert line["status"] == status
    assert line["route"] == case.route
    outcome = "ok" if status == 200 else str(line["code"] or status)
    assert metrics[f'wallet_outcomes_total{{outcome="{outcome}",route="{case.route}"}}'] == 1


def test_an_unexpected_failure_is_a_logged_500_on_both_paths(
    app_client: TestClient[Litestar],
    provider_key: ProviderKey,
    player: str,
    answered_here: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(token: str) -> Any:
        raise ZeroDivisionError("a bug")

    keys = app_client.app.provider_path.keys  # type: ignore[attr-defined]
    monkeypatch.setattr(keys, "verify", broken)  # one key ring serves both paths
    content = balance(provider_key, provider_key)
    answers = []
    for path in ("/balance", "/balance/"):
        before = metric_lines(app_client, "balance")
        caplog.clear()
        with caplog.at_level(logging.INFO):
            response = app_client.post(path, content=content, headers={"content-type": JSON})
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert [r.getMessage() for r in errors] == ["unhandled error on POST /balance"]
        assert errors[0].exc_info
        assert errors[0].exc_info[0] is ZeroDivisionError
        access = [r for r in caplog.records if r.name == "wallet.access"]
        assert [r.fields["status"] for r in access] == [500]  # type: ignore[attr-defined]
        metrics = difference(metric_lines(app_client, "balance"), before)
        error_total = 'wallet_http_requests_error_total{app_name="wallet",method="POST",'
        assert metrics[error_total + 'path="/balance",status_code="500"}'] == 1
        assert metrics['wallet_outcomes_total{outcome="500",route="balance"}'] == 1
        answers.append((response.status_code, response.headers.multi_items(), response.content))
    assert answered_here == ["/balance"]
    assert answers[0] == answers[1]
    assert json.loads(answers[0][2]) == {"code": 500, "message": "internal error"}


def test_only_the_provider_routes_take_the_provider_path(
    app_settings: Settings,
    provider_key: ProviderKey,
    db: psycopg.Connection,
    player: str,
    answered_here: list[str],
) -> None:
    settings = app_settings.with_changes(path_prefix="/betby")
    with TestClient(app=create_app(settings)) as client:
        content = balance(provider_key, provider_key)
        headers = {"content-type": JSON}
        assert client.post("/betby/balance", content=content, headers=headers).status_code == 200
        assert client.post("/balance", content=content, headers=headers).status_code == 404
        assert client.get("/betby/balance").status_code == 405
        assert client.get("/betby/ping").status_code == 200
        assert client.get("/readyz").json() == {"status": "ready"}
    assert answered_here == ["/betby/balance"]


class CountedWrites:
    """The real transport, with every ``write`` that reaches it recorded."""

    def __init__(self, transport: Any, writes: list[bytes]) -> None:
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def served_writes(
    app_settings: Settings, protocol: type[HttpToolsProtocol], requests: list[bytes]
) -> list[bytes]:
    """The writes that reached the socket while ``requests`` were answered, one after the
    other on one keep-alive connection (the last one asks to close it)."""
    writes: list[bytes] = []

    class Counting(protocol):  # type: ignore[valid-type,misc]
        """The protocol, given the socket's transport with its writes counted: the counter
        sits under the protocol's own transport wrapper, if it has one."""

        def connection_made(self, transport: Any) -> None:
            super().connection_made(CountedWrites(transport, writes))

    with (
        LiveServer(create_app(app_settings), http=Counting) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as client,
    ):
        for request in requests:
            client.sendall(request)
            head = b""
            while b"\r\n\r\n" not in head:
                head += client.recv(65536)
            head, _, body = head.partition(b"\r\n\r\n")
            length = int(re.search(rb"content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
            while len(body) < length:
                body += client.recv(65536)
    return writes


def http_request(path: str, body: bytes, *, close: bool = False) -> bytes:
    connection = b"Connection: close\r\n" if close else b""
    return (
        f"POST {path} HTTP/1.1\r\nHost: wallet\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n".encode()
        + connection
        + b"\r\n"
        + body
    )


@pytest.mark.slow
def test_wallet_serve_sends_each_response_in_one_write(
    app_settings: Settings, provider_key: ProviderKey, player: str
) -> None:
    """uvicorn writes the head and the body of a response separately; wallet serve's protocol
    (``app.service.protocol``) joins them: one write, one TCP segment, per response."""
    good = balance(provider_key, provider_key)
    requests = [
        http_request("/balance", good),  # the provider's path
        http_request("/balance", b"[]"),  # a refusal
        http_request("/readyz", b""),  # Litestar's
        http_request("/balance", good, close=True),
    ]
    plain = served_writes(app_settings, HttpToolsProtocol, requests)
    joined = served_writes(app_settings, HttpProtocol, requests)
    assert len(plain) == 2 * len(requests)  # the control: head, body, head, body ...
    assert len(joined) == len(requests)
    assert [w.startswith(b"HTTP/1.1 ") for w in joined] == [True] * len(requests)
    # the same bytes, but for the date header
    assert re.sub(rb"date: [^\r]*", b"", b"".join(plain)) == re.sub(
        rb"date: [^\r]*", b"", b"".join(joined)
    )
    assert b"connection: close" in joined[-1]
