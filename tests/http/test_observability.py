"""What operators see: health probes, the OpenAPI document, metrics, the log line, and the
500 envelope of an unexpected failure."""

from __future__ import annotations

import json
import logging

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

import migrate
from app.config import Settings
from app.contract import ROUTE_BY_PATH
from app.service.app import create_app
from app.service.observability import JsonFormatter
from tests.support.database import balance_of, ledger_snapshot
from tests.support.provider import (
    CURRENCY,
    PLAYER,
    START_BALANCE,
    ProviderKey,
    body_of,
    make_request,
)

JSON = {"content-type": "application/json"}


def test_healthz_and_readyz(client: TestClient[Litestar]) -> None:
    assert client.get("/healthz").json() == {"status": "alive"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_reports_migrations_that_are_not_current(
    client: TestClient[Litestar],
    db: psycopg.Connection,
) -> None:
    db.execute(
        "UPDATE wallet_migrate.history SET checksum = 'tampered'"
        " WHERE id = (SELECT max(id) FROM wallet_migrate.history)"
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["problems"]


def test_unknown_route_and_method_answer_in_the_envelope(
    client: TestClient[Litestar],
) -> None:
    missing = client.post("/bet/unknown", content=b"{}", headers=JSON)
    assert missing.status_code == 404
    assert set(missing.json()) == {"code", "message"}
    wrong_method = client.get("/bet/make")
    assert wrong_method.status_code == 405
    assert set(wrong_method.json()) == {"code", "message"}


def test_an_unexpected_database_error_is_a_500_envelope_and_writes_nothing(
    client: TestClient[Litestar],
    db: psycopg.Connection,
    provider_key: ProviderKey,
    player: str,
) -> None:
    db.execute("REVOKE EXECUTE ON FUNCTION wallet.bet_make(jsonb) FROM wallet_app")
    before = ledger_snapshot(db)
    response = client.post(
        "/bet/make", content=body_of(provider_key.token(make_request("denied", 100))), headers=JSON
    )
    assert response.status_code == 500
    assert response.json() == {"code": 500, "message": "unexpected database error"}
    assert "permission" not in response.text  # no internals
    assert ledger_snapshot(db) == before
    assert balance_of(db) == START_BALANCE


def test_openapi_describes_every_route_and_its_envelope(
    client: TestClient[Litestar],
) -> None:
    document = client.get("/schema/openapi.json").json()
    paths = document["paths"]
    for route in ROUTE_BY_PATH:
        operation = paths[f"/{route}"]["post"]
        body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body_schema["required"] == ["payload"]
        assert body_schema["properties"]["payload"]["type"] == "string"
        assert {"200", "400", "500"} <= set(operation["responses"])
        error = operation["responses"]["400"]["content"]["application/json"]["schema"]
        error = resolve(document, error)
        assert set(error["properties"]) == {"code", "message"}
        success = resolve(
            document, operation["responses"]["200"]["content"]["application/json"]["schema"]
        )
        assert "balance" in success["properties"]
    for path in ("/ping", "/healthz", "/readyz"):
        assert "get" in paths[path]


def resolve(document: dict, schema: dict) -> dict:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return document["components"]["schemas"][name]
    return schema


def test_metrics_count_requests_by_route_and_outcome_and_show_the_pool(
    client: TestClient[Litestar],
    provider_key: ProviderKey,
    player: str,
) -> None:
    good = provider_key.token({"player_id": PLAYER, "currency": CURRENCY})
    assert client.post("/balance", content=body_of(good), headers=JSON).status_code == 200
    assert client.post("/balance", content=body_of("bad.token.x"), headers=JSON).status_code == 400
    text = client.get("/metrics").text
    assert 'wallet_outcomes_total{outcome="ok",route="balance"}' in text
    assert 'wallet_outcomes_total{outcome="2005",route="balance"}' in text
    assert 'path="/balance",status_code="200"' in text
    assert "wallet_http_request_duration_seconds_bucket" in text
    assert 'wallet_pool_connections{pool="wallet"}' in text
    assert 'wallet_pool_waiting_requests{pool="wallet"}' in text


def test_one_json_log_line_per_request_without_the_token(
    client: TestClient[Litestar],
    provider_key: ProviderKey,
    player: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = provider_key.token(make_request("logged-make", 250))
    with caplog.at_level(logging.INFO, logger="wallet.access"):
        response = client.post("/bet/make", content=body_of(token), headers=JSON)
        refused = client.post("/bet/make", content=body_of(token + "x"), headers=JSON)
    assert response.status_code == 200
    assert refused.json()["code"] == 2005
    records = [r for r in caplog.records if r.name == "wallet.access"]
    assert len(records) == 2
    lines = [json.loads(JsonFormatter().format(record)) for record in records]
    first, second = lines
    assert first["route"] == "bet/make"
    assert first["player"] == PLAYER
    assert first["transaction"] == "logged-make"
    assert first["status"] == 200
    assert first["code"] is None
    assert isinstance(first["duration_ms"], float)
    assert (second["status"], second["code"]) == (400, 2005)
    for line in lines:
        text = json.dumps(line)
        assert token.split(".")[2] not in text
        assert token.split(".")[1] not in text


def test_a_statement_timeout_is_a_500_and_leaves_nothing_half_written(
    app_settings: Settings,
    db: psycopg.Connection,
    db_url: str,
    provider_key: ProviderKey,
    player: str,
) -> None:
    # the statement timeout is the database's: migrate.py stores it on wallet_app
    migrate.Migrator(db_url, statement_timeout=0.5, out=lambda line: None).up()
    before = ledger_snapshot(db)
    with psycopg.connect(db_url) as blocker, TestClient(app=create_app(app_settings)) as slow:
        # hold the player's account: the make waits on it until the statement timeout
        blocker.execute(
            "SELECT 1 FROM wallet_core.accounts WHERE player_id = %s FOR UPDATE", (PLAYER,)
        )
        response = slow.post(
            "/bet/make",
            content=body_of(provider_key.token(make_request("slow", 100))),
            headers=JSON,
        )
        blocker.rollback()
    assert response.status_code == 500
    assert response.json() == {"code": 500, "message": "unexpected database error"}
    assert ledger_snapshot(db) == before
    assert balance_of(db) == START_BALANCE
