"""Through HTTP: an overflow inside a route function answers 500 (the provider retries) and
writes nothing; the same SQLSTATE from the request's own cast answers 2004 (issue 17)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jwt
import psycopg
from litestar import Litestar
from litestar.testing import TestClient

from tests.support.database import ledger_snapshot
from tests.support.provider import ProviderKey, make, win

BIGINT_MAX = 2**63 - 1
RICH = "rich"


def test_an_overflow_inside_a_function_is_500_and_the_retry_applies_once_it_can(
    post: Callable[..., Any], db: psycopg.Connection
) -> None:
    db.execute("SELECT wallet.create_player(%s, 'EUR', %s)", (RICH, BIGINT_MAX - 500))
    made = post("bet/make", make(RICH, 1_000, tx="make-rich"))
    assert made.status_code == 200, made.text
    bet = made.json()["id"]
    before = ledger_snapshot(db)

    for _ in range(2):  # the provider's first try and its retry
        failed = post("bet/win", win(RICH, bet, 2_000, tx="win-rich"))
        assert failed.status_code == 500, failed.text
        assert failed.json() == {"code": 500, "message": "unexpected database error"}
    assert ledger_snapshot(db) == before

    db.execute("SELECT wallet.adjust_balance(%s, 'EUR', -10000, 'make room')", (RICH,))
    won = post("bet/win", win(RICH, bet, 2_000, tx="win-rich"))
    assert won.status_code == 200, won.text
    assert won.json()["balance"] == BIGINT_MAX - 500 - 1_000 - 10_000 + 2_000
    assert post("bet/win", win(RICH, bet, 2_000, tx="win-rich")).content == won.content


def test_a_number_beyond_numeric_in_the_request_is_2004_and_stores_nothing(
    client: TestClient[Litestar], provider_key: ProviderKey, db: psycopg.Connection
) -> None:
    """22003 from the request's cast to jsonb, before any function ran: the provider's
    malformed request."""
    db.execute("SELECT wallet.create_player(%s, 'EUR', 5000)", (RICH,))
    request = json.dumps({"payload": make(RICH, 1_000, tx="make-huge") | {"comment": 0}})
    claims = request.replace('"comment": 0', '"comment": 1e1000000').encode()
    token = jwt.api_jws.encode(
        claims, provider_key.private, algorithm="RS256", headers={"kid": provider_key.kid}
    )
    before = ledger_snapshot(db)
    answer = client.post(
        "/bet/make",
        content=json.dumps({"payload": token}).encode(),
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"code": 2004, "message": "a number in the request is out of range"}
    assert ledger_snapshot(db) == before
