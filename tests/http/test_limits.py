"""The accepting side of every limit, through HTTP: the largest amount, the longest id, the
longest currency, a token at the edge of the leeway, the largest body, several keys from the
environment. Each limit is also crossed by one step, so that the test sees the edge itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.config import MAX_BODY_BYTES, Settings
from app.service.app import create_app
from tests.support.database import app_conninfo, balance_of
from tests.support.provider import (
    CURRENCY,
    JSON,
    PLAYER,
    ProviderKey,
    body_of,
    make_key,
    make_request,
    win_request,
)

MAX_AMOUNT = 10**15


def code_of(response: Any) -> int:
    return 200 if response.status_code == 200 else int(response.json()["code"])


# Amounts, ids, currencies ---------------------------------------------------------------------


def test_an_amount_of_10_to_the_15_is_accepted_and_one_more_is_not(
    post: Callable[..., Any], db: psycopg.Connection
) -> None:
    db.execute("select wallet.create_player(%s, %s, %s)", (PLAYER, CURRENCY, MAX_AMOUNT))
    too_much = make_request("limit-over", MAX_AMOUNT + 1, betslip_id="limit-over")
    too_much["potential_win"] = MAX_AMOUNT
    assert code_of(post("bet/make", too_much)) == 2004

    largest = make_request("limit-make", MAX_AMOUNT, betslip_id="limit-make")
    largest["potential_win"] = MAX_AMOUNT
    made = post("bet/make", largest)
    assert made.status_code == 200, made.text
    assert (made.json()["amount"], made.json()["balance"]) == (MAX_AMOUNT, 0)
    won = post("bet/win", win_request(made.json()["id"], "limit-win", MAX_AMOUNT))
    assert won.status_code == 200, won.text
    assert (won.json()["amount"], won.json()["balance"]) == (MAX_AMOUNT, MAX_AMOUNT)
    assert balance_of(db) == MAX_AMOUNT


def test_128_character_ids_are_accepted_and_129_are_not(
    post: Callable[..., Any], db: psycopg.Connection
) -> None:
    player, tx, slip = "p" * 128, "t" * 128, "s" * 128
    db.execute("select wallet.create_player(%s, %s, 10000)", (player, CURRENCY))
    for too_long in (
        make_request("t" * 129, 100, player_id=player, betslip_id=slip),
        make_request(tx, 100, player_id=player, betslip_id="s" * 129),
    ):
        assert code_of(post("bet/make", too_long)) == 2004
    made = post("bet/make", make_request(tx, 100, player_id=player, betslip_id=slip))
    assert made.status_code == 200, made.text
    assert (made.json()["user_id"], made.json()["ext_transaction_id"]) == (player, tx)
    assert post("balance", {"player_id": player, "currency": CURRENCY}).json()["balance"] == 9_900


def test_an_8_character_currency_is_accepted_and_9_are_not(
    post: Callable[..., Any], db: psycopg.Connection
) -> None:
    db.execute("select wallet.create_player(%s, 'ABCDEFG8', 10000)", (PLAYER,))
    made = post("bet/make", make_request("limit-currency", 100, currency="ABCDEFG8"))
    assert made.status_code == 200, made.text
    assert made.json()["currency"] == "ABCDEFG8"
    assert balance_of(db, PLAYER, "ABCDEFG8") == 9_900
    nine = post("bet/make", make_request("limit-currency-9", 100, currency="ABCDEFG89"))
    assert code_of(nine) == 2002
    balance = post("balance", {"player_id": PLAYER, "currency": "ABCDEFG89"})
    assert code_of(balance) == 2002
    assert balance_of(db, PLAYER, "ABCDEFG8") == 9_900


# Tokens at the edge of the leeway -------------------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(lambda now: {"exp": now - 5}, id="expired-5s-ago"),
        pytest.param(lambda now: {"nbf": now + 5}, id="valid-in-5s"),
        pytest.param(lambda now: {"iat": now + 5}, id="issued-5s-ahead"),
    ],
)
def test_a_token_inside_the_default_leeway_is_accepted(
    client: TestClient[Litestar],
    provider_key: ProviderKey,
    player: str,
    claims: Callable[[int], dict[str, int]],
) -> None:
    now = int(time.time())
    token = provider_key.sign(
        {"payload": {"player_id": player, "currency": CURRENCY}, **claims(now)}
    )
    response = client.post("/balance", content=body_of(token), headers=JSON)
    assert response.status_code == 200, response.text


def app_from(environ: dict[str, str]) -> TestClient[Litestar]:
    """The app as ``wallet serve`` builds it from this environment."""
    return TestClient(app=create_app(Settings.from_environ(environ)))


def test_wallet_jwt_leeway_changes_the_outcome(
    db: psycopg.Connection, provider_key: ProviderKey, player: str
) -> None:
    environ = {
        "DATABASE_URL": app_conninfo(db),
        "WALLET_JWT_PUBLIC_KEYS": str(provider_key.public_path),
    }
    request = {"player_id": player, "currency": CURRENCY}

    def outcome(leeway: str | None, **claims: int) -> int:
        env = environ if leeway is None else {**environ, "WALLET_JWT_LEEWAY": leeway}
        token = provider_key.sign({"payload": request, **claims})
        with app_from(env) as app:
            return code_of(app.post("/balance", content=body_of(token), headers=JSON))

    now = int(time.time())
    # 40 s late: refused with the default 15 s, accepted with 60 s
    assert outcome(None, exp=now - 40) == 2005
    assert outcome("60", exp=now - 40) == 200
    # 5 s late: accepted with the default, refused with no leeway at all
    assert outcome(None, exp=now - 5) == 200
    assert outcome("0", exp=now - 5) == 2005
    # the same for a token that is not yet valid
    assert outcome("60", nbf=now + 40) == 200
    assert outcome("0", nbf=now + 5) == 2005


# The body size, several keys ------------------------------------------------------------------


def padded_body(token: str, size: int) -> bytes:
    """The request envelope with an ignored field that brings it to exactly ``size`` bytes."""
    empty = json.dumps({"payload": token, "pad": ""}).encode()
    body = json.dumps({"payload": token, "pad": "x" * (size - len(empty))}).encode()
    assert len(body) == size
    return body


@pytest.mark.parametrize(
    ("size", "code"),
    [
        pytest.param(MAX_BODY_BYTES - 1, 200, id="just-under-256-kib"),
        pytest.param(MAX_BODY_BYTES, 200, id="exactly-256-kib"),
        pytest.param(MAX_BODY_BYTES + 1, 2004, id="one-byte-over"),
    ],
)
def test_a_body_up_to_256_kib_is_accepted(
    client: TestClient[Litestar],
    provider_key: ProviderKey,
    db: psycopg.Connection,
    player: str,
    size: int,
    code: int,
) -> None:
    token = provider_key.token(make_request("limit-body", 100))
    response = client.post("/bet/make", content=padded_body(token, size), headers=JSON)
    assert code_of(response) == code, response.text
    assert balance_of(db) == 100_000 - (100 if code == 200 else 0)


@pytest.fixture
def three_keys(tmp_path_factory: pytest.TempPathFactory) -> list[ProviderKey]:
    directory = tmp_path_factory.mktemp("rotation")
    return [make_key(directory, kid) for kid in ("old-2024", "current-2025", "next-2026")]


def test_several_keys_through_the_environment(
    db: psycopg.Connection,
    player: str,
    three_keys: list[ProviderKey],
    stranger_key: ProviderKey,
) -> None:
    environ = {
        "DATABASE_URL": app_conninfo(db),
        # as an operator writes it: commas, a space, a trailing comma
        "WALLET_JWT_PUBLIC_KEYS": ", ".join(str(key.public_path) for key in three_keys) + ",",
    }
    request = {"player_id": player, "currency": CURRENCY}
    with app_from(environ) as app:
        for key in three_keys:
            response = app.post("/balance", content=body_of(key.token(request)), headers=JSON)
            assert response.status_code == 200, (key.kid, response.text)
        unknown = app.post("/balance", content=body_of(stranger_key.token(request)), headers=JSON)
        assert code_of(unknown) == 2005
