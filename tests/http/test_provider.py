"""Every provider route through HTTP, against the real app and a real, migrated database.

The app connects as the least-privilege role ``wallet_app``, exactly as in production; test
set-up (players, balances, checks) goes through the superuser ``db`` connection and the DBA
functions. The fixtures they share live in ``tests/conftest.py``, the helpers in ``tests/support``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import psycopg
import psycopg.conninfo
from litestar import Litestar
from litestar.testing import TestClient

from app.config import Settings
from app.service.app import create_app
from tests.support.database import audit_findings, balance_of, ledger_snapshot
from tests.support.processes import LiveServer
from tests.support.provider import (
    CURRENCY,
    PLAYER,
    START_BALANCE,
    ProviderKey,
    body_of,
    discard_request,
    lost_request,
    make_request,
    refund_request,
    rollback_request,
    win_request,
)

# Every route ----------------------------------------------------------------------------------


def test_ping_answers_unix_seconds(client: TestClient[Litestar]) -> None:
    before = int(time.time())
    response = client.get("/ping")
    assert response.status_code == 200
    assert before <= response.json()["timestamp"] <= int(time.time()) + 1
    assert isinstance(response.json()["timestamp"], int)


def test_balance(post: Callable[..., Any], player: str) -> None:
    response = post("balance", {"player_id": player, "currency": CURRENCY})
    assert response.status_code == 200
    assert response.json() == {"user_id": player, "currency": CURRENCY, "balance": START_BALANCE}


def test_balance_of_unknown_player_is_1006(post: Callable[..., Any], player: str) -> None:
    response = post("balance", {"player_id": "nobody", "currency": CURRENCY})
    assert response.status_code == 400
    assert response.json()["code"] == 1006


def test_make_commit_win_rollback_lost_settlement(
    post: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    made = post("bet/make", make_request("make-1", 1_000))
    assert made.status_code == 200, made.text
    bet = made.json()
    assert bet["operation"] == "bet"
    assert bet["ext_transaction_id"] == "make-1"
    assert bet["parent_transaction_id"] is None
    assert (bet["user_id"], bet["amount"], bet["currency"]) == (player, 1_000, CURRENCY)
    assert bet["balance"] == START_BALANCE - 1_000 == balance_of(db)
    bet_id = bet["id"]

    committed = post("bet/commit", {"bet_transaction_id": bet_id})
    assert committed.status_code == 200, committed.text
    assert committed.json()["operation"] == "commit"
    assert committed.json()["amount"] == 0
    assert committed.json()["ext_transaction_id"] == "make-1"

    won = post("bet/win", win_request(bet_id, "win-1", 1_850))
    assert won.status_code == 200, won.text
    assert won.json()["operation"] == "win"
    assert won.json()["parent_transaction_id"] == bet_id
    assert won.json()["balance"] == START_BALANCE - 1_000 + 1_850 == balance_of(db)

    rolled = post("bet/rollback", rollback_request(bet_id, "rollback-1", "win-1"))
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["operation"] == "rollback"
    assert rolled.json()["amount"] == 1_850
    assert rolled.json()["balance"] == START_BALANCE - 1_000 == balance_of(db)

    lost = post("bet/lost", lost_request(bet_id, "lost-1"))
    assert lost.status_code == 200, lost.text
    assert lost.json()["operation"] == "lost"
    assert lost.json()["amount"] == 0

    settled = post("bet/settlement", {"bet_transaction_id": bet_id, "status": "lost"})
    assert settled.status_code == 200, settled.text
    assert settled.json()["operation"] == "settlement"
    assert settled.json()["balance"] == START_BALANCE - 1_000 == balance_of(db)

    # closed by the settlement: a rollback is refused now
    late = post("bet/rollback", rollback_request(bet_id, "rollback-2", "lost-1"))
    assert late.status_code == 400
    assert late.json()["code"] == 2004
    assert audit_findings(db) == []


def test_make_discard(post: Callable[..., Any], db: psycopg.Connection, player: str) -> None:
    made = post("bet/make", make_request("make-2", 2_500, betslip_id="slip-2"))
    assert made.status_code == 200, made.text
    discarded = post("bet/discard", discard_request("make-2"))
    assert discarded.status_code == 200, discarded.text
    assert discarded.json()["operation"] == "discard"
    assert discarded.json()["ext_transaction_id"] == "make-2"
    assert discarded.json()["amount"] == 2_500
    assert balance_of(db) == START_BALANCE
    assert audit_findings(db) == []


def test_make_refund(post: Callable[..., Any], db: psycopg.Connection, player: str) -> None:
    made = post("bet/make", make_request("make-3", 700, betslip_id="slip-3"))
    assert made.status_code == 200, made.text
    refunded = post("bet/refund", refund_request(made.json()["id"], "refund-1", 700))
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["operation"] == "refund"
    assert refunded.json()["amount"] == 700
    assert balance_of(db) == START_BALANCE
    assert audit_findings(db) == []


def test_replay_is_byte_identical_and_moves_nothing(
    post: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    first = post("bet/make", make_request("make-replayed", 1_200))
    assert first.status_code == 200
    snapshot = ledger_snapshot(db)
    again = post("bet/make", make_request("make-replayed", 1_200))
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert ledger_snapshot(db) == snapshot
    assert balance_of(db) == START_BALANCE - 1_200


def test_refusal_is_replayed_even_after_a_deposit(
    post: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    refused = post("bet/make", make_request("make-big", START_BALANCE + 1))
    assert refused.status_code == 400
    assert refused.json()["code"] == 2001
    db.execute("SELECT wallet.adjust_balance(%s, %s, %s, 'test deposit')", (PLAYER, CURRENCY, 10))
    again = post("bet/make", make_request("make-big", START_BALANCE + 1))
    assert (again.status_code, again.content) == (refused.status_code, refused.content)
    assert balance_of(db) == START_BALANCE + 10


def test_ids_with_quotes_and_unicode_are_ordinary(
    post: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    weird = "x'); DROP TABLE wallet_core.journal; -- \"é€🎲"
    made = post("bet/make", make_request(weird, 300, betslip_id=weird))
    assert made.status_code == 200, made.text
    assert made.json()["ext_transaction_id"] == weird
    assert balance_of(db) == START_BALANCE - 300


def test_numeric_ids_equal_their_decimal_text(
    post: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    request = make_request("123", 100)
    first = post("bet/make", request)
    assert first.status_code == 200, first.text
    request["transaction"]["id"] = 123
    again = post("bet/make", request)
    assert (again.status_code, again.content) == (200, first.content)
    assert balance_of(db) == START_BALANCE - 100


def test_path_prefix_is_honoured(app_settings: Settings, provider_key: ProviderKey) -> None:
    settings = app_settings.with_changes(path_prefix="/betby")
    with TestClient(app=create_app(settings)) as prefixed:
        assert prefixed.get("/betby/ping").status_code == 200
        assert prefixed.get("/ping").status_code == 404
        response = prefixed.post(
            "/betby/balance",
            content=body_of(provider_key.token({"player_id": "nobody", "currency": "EUR"})),
            headers={"content-type": "application/json"},
        )
        assert response.json()["code"] == 1006
        # outside the prefix and without a token
        assert prefixed.get("/healthz").status_code == 200
        assert prefixed.get("/readyz").status_code == 200


def test_key_rotation_two_keys_by_kid_and_without(
    app_settings: Settings, provider_key: ProviderKey, stranger_key: ProviderKey, player: str
) -> None:
    settings = app_settings.with_changes(
        jwt_public_keys=(stranger_key.public_path, provider_key.public_path)
    )
    request = {"player_id": PLAYER, "currency": CURRENCY}
    now = int(time.time())
    with TestClient(app=create_app(settings)) as rotated:
        for key in (provider_key, stranger_key):
            with_kid = key.token(request)
            without_kid = jwt.encode({"iat": now, "payload": request}, key.private, "RS256")
            for token in (with_kid, without_kid):
                response = rotated.post(
                    "/balance", content=body_of(token), headers={"content-type": "application/json"}
                )
                assert response.status_code == 200, response.text


def test_real_socket_every_route_answers(
    live_server: LiveServer, provider_key: ProviderKey, db: psycopg.Connection, player: str
) -> None:
    import httpx

    with httpx.Client(base_url=live_server.url, timeout=10) as http:

        def post(route: str, request: object) -> httpx.Response:
            return http.post(
                f"/{route}",
                content=body_of(provider_key.token(request)),
                headers={"content-type": "application/json"},
            )

        assert http.get("/ping").status_code == 200
        assert post("balance", {"player_id": PLAYER, "currency": CURRENCY}).status_code == 200
        bet = post("bet/make", make_request("sock-make", 500)).json()
        assert post("bet/commit", {"bet_transaction_id": bet["id"]}).status_code == 200
        assert post("bet/win", win_request(bet["id"], "sock-win", 900)).status_code == 200
        assert (
            post("bet/rollback", rollback_request(bet["id"], "sock-rb", "sock-win")).status_code
            == 200
        )
        assert post("bet/refund", refund_request(bet["id"], "sock-refund", 500)).status_code == 200
        assert (
            post(
                "bet/settlement", {"bet_transaction_id": bet["id"], "status": "refund"}
            ).status_code
            == 200
        )
        other = post("bet/make", make_request("sock-make-2", 400, betslip_id="s2")).json()
        assert post("bet/lost", lost_request(other["id"], "sock-lost")).status_code == 200
        assert post("bet/make", make_request("sock-make-3", 50, betslip_id="s3")).status_code == 200
        assert post("bet/discard", discard_request("sock-make-3")).status_code == 200
        assert http.get("/readyz").json() == {"status": "ready"}
    assert balance_of(db) == START_BALANCE - 400
    assert audit_findings(db) == []


def test_odds_reach_the_database_digit_for_digit(
    client: TestClient[Litestar], db: psycopg.Connection, provider_key: ProviderKey, player: str
) -> None:
    """JSON numbers are not squeezed through a float on their way to the numeric columns."""
    claims = json.dumps({"payload": make_request("exact-odds", 100)})
    claims = claims.replace('"k": "1.85"', '"k": 2.3333333333333333333333')
    claims = claims.replace('"odds": 1.85', '"odds": 1.100000000000000000001')
    token = jwt.api_jws.encode(
        claims.encode(), provider_key.private, algorithm="RS256", headers={"kid": provider_key.kid}
    )
    response = client.post(
        "/bet/make", content=body_of(token), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    row = db.execute(
        "SELECT b.odds::text, s.odds::text FROM wallet_core.bets b"
        " CROSS JOIN unnest(wallet_core.bet_legs(b.legs_packed, b.legs)) s"
        " WHERE b.make_transaction_id = 'exact-odds'"
    ).fetchone()
    assert row == ("2.3333333333333333333333", "1.100000000000000000001")


def test_claims_the_wallet_does_not_check_are_ignored(
    client: TestClient[Litestar], provider_key: ProviderKey, player: str
) -> None:
    token = provider_key.token(
        {"player_id": PLAYER, "currency": CURRENCY}, aud="some-operator", iss="provider", sub=7
    )
    response = client.post(
        "/balance", content=body_of(token), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
