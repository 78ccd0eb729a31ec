"""Every provider route through HTTP, against the real app and a real, migrated database.

The app connects as the least-privilege role ``wallet_app``, exactly as in production; test
set-up (players, balances, checks) goes through the superuser ``db`` connection and the DBA
functions. The fixtures here are shared by the other ``test_http_*`` modules.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import psycopg
import psycopg.conninfo
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar import Litestar
from litestar.testing import TestClient

from app.config import Settings
from app.service import create_app
from tests.conftest import conninfo_of

PLAYER = "player-1"
CURRENCY = "EUR"
START_BALANCE = 100_000


# Keys and tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderKey:
    """An RSA key pair as a provider holds it; the public half is a PEM file for the wallet."""

    private: rsa.RSAPrivateKey
    public_pem: bytes
    public_path: Path
    kid: str

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims, self.private, algorithm="RS256", headers={"kid": self.kid, **(headers or {})}
        )

    def token(self, request: object, **claims: Any) -> str:
        now = int(time.time())
        return self.sign({"iat": now, "exp": now + 60, "payload": request, **claims})


def make_key(directory: Path, kid: str) -> ProviderKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path = directory / f"{kid}.pem"
    path.write_bytes(public_pem)
    return ProviderKey(private, public_pem, path, kid)


@pytest.fixture(scope="session")
def provider_key(tmp_path_factory: pytest.TempPathFactory) -> ProviderKey:
    return make_key(tmp_path_factory.mktemp("keys"), "provider-2025")


@pytest.fixture(scope="session")
def stranger_key(tmp_path_factory: pytest.TempPathFactory) -> ProviderKey:
    """A key the wallet does not know."""
    return make_key(tmp_path_factory.mktemp("other-keys"), "stranger")


def body_of(token: str) -> bytes:
    return json.dumps({"payload": token}).encode()


# The app --------------------------------------------------------------------------------------


def app_conninfo(db: psycopg.Connection, **overrides: object) -> str:
    """The per-test database, as the service's role wallet_app."""
    return psycopg.conninfo.make_conninfo(conninfo_of(db), user="wallet_app", **overrides)


@pytest.fixture
def app_settings(db: psycopg.Connection, provider_key: ProviderKey) -> Settings:
    return Settings(
        database_url=app_conninfo(db),
        jwt_public_keys=(provider_key.public_path,),
        pool_min_size=1,
        pool_max_size=10,
    )


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(app_settings)) as test_client:
        yield test_client


@pytest.fixture
def player(db: psycopg.Connection) -> str:
    db.execute("SELECT wallet.create_player(%s, %s, %s)", (PLAYER, CURRENCY, START_BALANCE))
    return PLAYER


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


@pytest.fixture
def live_server(app_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(app_settings)) as server:
        yield server


# Requests as the contract describes them ------------------------------------------------------


def make_request(
    transaction_id: str = "make-1",
    amount: int = 1_000,
    player_id: str = PLAYER,
    currency: str = CURRENCY,
    betslip_id: str = "slip-1",
) -> dict[str, Any]:
    return {
        "amount": amount,
        "currency": currency,
        "player_id": player_id,
        "session_id": "session-1",
        "potential_win": amount * 2,
        "transaction": {
            "id": transaction_id,
            "betslip_id": betslip_id,
            "player_id": "provider-player-77",
            "ext_player_id": player_id,
            "timestamp": 1_700_000_000,
            "amount": amount,
            "currency": currency,
            "operation": "bet",
        },
        "betslip": {
            "id": betslip_id,
            "timestamp": 1_700_000_000.25,
            "type": "single",
            "sum": amount,
            "k": "1.85",
            "is_quick_bet": False,
            "accept_odds_change": True,
            "bets": [
                {
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
            ],
        },
    }


def win_request(bet_id: str, transaction_id: str, amount: int) -> dict[str, Any]:
    return {
        "amount": amount,
        "currency": CURRENCY,
        "is_cashout": False,
        "bet_transaction_id": bet_id,
        "transaction": {
            "id": transaction_id,
            "ext_player_id": PLAYER,
            "amount": amount,
            "currency": CURRENCY,
            "operation": "win",
        },
    }


def lost_request(bet_id: str, transaction_id: str) -> dict[str, Any]:
    return {
        "amount": 0,
        "currency": CURRENCY,
        "bet_transaction_id": bet_id,
        "transaction": {"id": transaction_id, "ext_player_id": PLAYER, "operation": "lost"},
    }


def refund_request(bet_id: str, transaction_id: str, amount: int) -> dict[str, Any]:
    return {
        "bet_transaction_id": bet_id,
        "reason": "event cancelled",
        "reason_code": "1",
        "transaction": {
            "id": transaction_id,
            "ext_player_id": PLAYER,
            "amount": amount,
            "currency": CURRENCY,
            "operation": "refund",
        },
    }


def rollback_request(bet_id: str, transaction_id: str, settlement_id: str) -> dict[str, Any]:
    return {
        "bet_transaction_id": bet_id,
        "parent_transaction_id": settlement_id,
        "transaction": {"id": transaction_id, "ext_player_id": PLAYER, "operation": "rollback"},
    }


def discard_request(make_id: str) -> dict[str, Any]:
    return {"ext_player_id": PLAYER, "transaction_id": make_id, "reason": "odds changed"}


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


@pytest.fixture
def call(client: TestClient[Litestar], provider_key: ProviderKey) -> Callable[..., Any]:
    """POST a request, signed by the provider, to a route."""

    def post(route: str, request: object) -> Any:
        return client.post(
            f"/{route}",
            content=body_of(provider_key.token(request)),
            headers={"content-type": "application/json"},
        )

    return post


# Every route ----------------------------------------------------------------------------------


def test_ping_answers_unix_seconds(client: TestClient[Litestar]) -> None:
    before = int(time.time())
    response = client.get("/ping")
    assert response.status_code == 200
    assert before <= response.json()["timestamp"] <= int(time.time()) + 1
    assert isinstance(response.json()["timestamp"], int)


def test_balance(call: Callable[..., Any], player: str) -> None:
    response = call("balance", {"player_id": player, "currency": CURRENCY})
    assert response.status_code == 200
    assert response.json() == {"user_id": player, "currency": CURRENCY, "balance": START_BALANCE}


def test_balance_of_unknown_player_is_1006(call: Callable[..., Any], player: str) -> None:
    response = call("balance", {"player_id": "nobody", "currency": CURRENCY})
    assert response.status_code == 400
    assert response.json()["code"] == 1006


def test_make_commit_win_rollback_lost_settlement(
    call: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    made = call("bet/make", make_request("make-1", 1_000))
    assert made.status_code == 200, made.text
    bet = made.json()
    assert bet["operation"] == "bet"
    assert bet["ext_transaction_id"] == "make-1"
    assert bet["parent_transaction_id"] is None
    assert (bet["user_id"], bet["amount"], bet["currency"]) == (player, 1_000, CURRENCY)
    assert bet["balance"] == START_BALANCE - 1_000 == balance_of(db)
    bet_id = bet["id"]

    committed = call("bet/commit", {"bet_transaction_id": bet_id})
    assert committed.status_code == 200, committed.text
    assert committed.json()["operation"] == "commit"
    assert committed.json()["amount"] == 0
    assert committed.json()["ext_transaction_id"] == "make-1"

    won = call("bet/win", win_request(bet_id, "win-1", 1_850))
    assert won.status_code == 200, won.text
    assert won.json()["operation"] == "win"
    assert won.json()["parent_transaction_id"] == bet_id
    assert won.json()["balance"] == START_BALANCE - 1_000 + 1_850 == balance_of(db)

    rolled = call("bet/rollback", rollback_request(bet_id, "rollback-1", "win-1"))
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["operation"] == "rollback"
    assert rolled.json()["amount"] == 1_850
    assert rolled.json()["balance"] == START_BALANCE - 1_000 == balance_of(db)

    lost = call("bet/lost", lost_request(bet_id, "lost-1"))
    assert lost.status_code == 200, lost.text
    assert lost.json()["operation"] == "lost"
    assert lost.json()["amount"] == 0

    settled = call("bet/settlement", {"bet_transaction_id": bet_id, "status": "lost"})
    assert settled.status_code == 200, settled.text
    assert settled.json()["operation"] == "settlement"
    assert settled.json()["balance"] == START_BALANCE - 1_000 == balance_of(db)

    # closed by the settlement: a rollback is refused now
    late = call("bet/rollback", rollback_request(bet_id, "rollback-2", "lost-1"))
    assert late.status_code == 400
    assert late.json()["code"] == 2004
    assert audit_findings(db) == []


def test_make_discard(call: Callable[..., Any], db: psycopg.Connection, player: str) -> None:
    made = call("bet/make", make_request("make-2", 2_500, betslip_id="slip-2"))
    assert made.status_code == 200, made.text
    discarded = call("bet/discard", discard_request("make-2"))
    assert discarded.status_code == 200, discarded.text
    assert discarded.json()["operation"] == "discard"
    assert discarded.json()["ext_transaction_id"] == "make-2"
    assert discarded.json()["amount"] == 2_500
    assert balance_of(db) == START_BALANCE
    assert audit_findings(db) == []


def test_make_refund(call: Callable[..., Any], db: psycopg.Connection, player: str) -> None:
    made = call("bet/make", make_request("make-3", 700, betslip_id="slip-3"))
    assert made.status_code == 200, made.text
    refunded = call("bet/refund", refund_request(made.json()["id"], "refund-1", 700))
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["operation"] == "refund"
    assert refunded.json()["amount"] == 700
    assert balance_of(db) == START_BALANCE
    assert audit_findings(db) == []


def test_replay_is_byte_identical_and_moves_nothing(
    call: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    first = call("bet/make", make_request("make-replayed", 1_200))
    assert first.status_code == 200
    snapshot = ledger_snapshot(db)
    again = call("bet/make", make_request("make-replayed", 1_200))
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert ledger_snapshot(db) == snapshot
    assert balance_of(db) == START_BALANCE - 1_200


def test_refusal_is_replayed_even_after_a_deposit(
    call: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    refused = call("bet/make", make_request("make-big", START_BALANCE + 1))
    assert refused.status_code == 400
    assert refused.json()["code"] == 2001
    db.execute("SELECT wallet.adjust_balance(%s, %s, %s, 'test deposit')", (PLAYER, CURRENCY, 10))
    again = call("bet/make", make_request("make-big", START_BALANCE + 1))
    assert (again.status_code, again.content) == (refused.status_code, refused.content)
    assert balance_of(db) == START_BALANCE + 10


def test_ids_with_quotes_and_unicode_are_ordinary(
    call: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    weird = "x'); DROP TABLE wallet_core.journal; -- \"é€🎲"
    made = call("bet/make", make_request(weird, 300, betslip_id=weird))
    assert made.status_code == 200, made.text
    assert made.json()["ext_transaction_id"] == weird
    assert balance_of(db) == START_BALANCE - 300


def test_numeric_ids_equal_their_decimal_text(
    call: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    request = make_request("123", 100)
    first = call("bet/make", request)
    assert first.status_code == 200, first.text
    request["transaction"]["id"] = 123
    again = call("bet/make", request)
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
        " JOIN wallet_core.selections s USING (bet_id) WHERE b.make_transaction_id = 'exact-odds'"
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
