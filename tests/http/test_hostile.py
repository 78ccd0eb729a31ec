"""Hostile input through HTTP: every case gets its exact code and writes nothing.

"Writes nothing" is checked on the database itself: the row count and an md5 of the content
of every table in ``wallet_core`` (accounts, journal, idempotency records, bets, selections,
reference tables) before and after, plus the player's balance. The contract stores
well-formed business refusals (1005, 1006, 2001, ...) so that a retry is answered the same;
for those cases the idempotency table gains exactly that one refusal and nothing else
changes; every other case (2003, 2005, malformed requests) adds no idempotency record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from litestar import Litestar
from litestar.testing import TestClient

from tests.support.database import balance_of, ledger_snapshot
from tests.support.provider import (
    CURRENCY,
    PLAYER,
    START_BALANCE,
    ProviderKey,
    make_request,
    win_request,
)

JSON = {"content-type": "application/json"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def envelope(token: str) -> bytes:
    return json.dumps({"payload": token}).encode()


def raw_jws(header: dict[str, Any], claims: bytes | dict[str, Any], signature: bytes) -> str:
    body = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    return f"{b64url(json.dumps(header).encode())}.{b64url(body)}.{b64url(signature)}"


def now() -> int:
    return int(time.time())


@dataclass(frozen=True)
class Keys:
    provider: ProviderKey
    stranger: ProviderKey

    def valid(self, request: object) -> bytes:
        return envelope(self.provider.token(request))


@dataclass(frozen=True)
class Case:
    """One hostile request: the route, how to build headers and body, and the answer due."""

    id: str
    code: int
    build: Callable[[Keys], bytes]
    route: str = "bet/make"
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    stored_refusal: bool = False


BALANCE = {"player_id": PLAYER, "currency": CURRENCY}


def make_with(**changes: Any) -> dict[str, Any]:
    request = make_request("hostile-make", 1_000)
    for path, value in changes.items():
        target = request
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return request


def amount_everywhere(value: Any) -> dict[str, Any]:
    return make_with(amount=value, transaction__amount=value, betslip__sum=value)


def hs256_with_public_pem(keys: Keys) -> bytes:
    header = {"alg": "HS256", "typ": "JWT", "kid": keys.provider.kid}
    claims = {"iat": now(), "payload": BALANCE}
    signing_input = (
        f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
    )
    signature = hmac.new(keys.provider.public_pem, signing_input, hashlib.sha256).digest()
    return envelope(f"{signing_input.decode()}.{b64url(signature)}")


def es256(keys: Keys) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode({"payload": BALANCE}, key, algorithm="ES256", headers={"kid": "provider"})
    return envelope(token)


def tampered(keys: Keys) -> bytes:
    header, _, signature = keys.provider.token(make_request("a", 1)).split(".")
    forged = b64url(json.dumps({"payload": make_request("a", 99_999)}).encode())
    return envelope(f"{header}.{forged}.{signature}")


def signed_claims(keys: Keys, claims: bytes) -> bytes:
    """A correct RS256 signature over arbitrary claim bytes (not necessarily JSON)."""
    return envelope(jwt.api_jws.encode(claims, keys.provider.private, algorithm="RS256"))


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


CASES: list[Case] = [
    # the body ---------------------------------------------------------------------------
    Case("body-not-json", 2004, lambda k: b"this is not json"),
    Case("body-empty", 2004, lambda k: b""),
    Case("body-json-array", 2004, lambda k: b'["payload"]'),
    Case("body-json-string", 2004, lambda k: b'"payload"'),
    Case("body-without-payload", 2004, lambda k: b'{"token": "abc"}'),
    Case("payload-number", 2004, lambda k: b'{"payload": 12}'),
    Case("payload-null", 2004, lambda k: b'{"payload": null}'),
    Case("payload-object", 2004, lambda k: json.dumps({"payload": make_request()}).encode()),
    Case("payload-array", 2004, lambda k: b'{"payload": ["a.b.c"]}'),
    Case("body-2-mb", 2004, lambda k: json.dumps({"payload": "a" * 2_000_000}).encode()),
    Case(
        "body-just-over-256-kib",
        2004,
        lambda k: json.dumps(
            {"payload": k.provider.token(make_request()), "pad": "x" * 262_144}
        ).encode(),
    ),
    Case("body-nested-100000-deep", 2004, lambda k: b"[" * 100_000 + b"]" * 100_000),
    Case("body-invalid-utf8", 2004, lambda k: b'{"payload": "\xff\xfe"}'),
    Case("body-nan", 2004, lambda k: b'{"payload": NaN}'),
    Case(
        "content-type-text-plain",
        2004,
        lambda k: k.valid(make_request()),
        headers={"content-type": "text/plain"},
    ),
    Case(
        "content-type-form",
        2004,
        lambda k: k.valid(make_request()),
        headers={"content-type": "application/x-www-form-urlencoded"},
    ),
    Case("content-type-missing", 2004, lambda k: k.valid(make_request()), headers={}),
    # the token --------------------------------------------------------------------------
    Case(
        "alg-none",
        2005,
        lambda k: envelope(raw_jws({"alg": "none", "typ": "JWT"}, {"payload": BALANCE}, b"")),
    ),
    Case(
        "alg-none-with-kid",
        2005,
        lambda k: envelope(
            raw_jws({"alg": "none", "kid": k.provider.kid}, {"payload": make_request()}, b"")
        ),
    ),
    Case("hs256-public-pem-as-secret", 2005, hs256_with_public_pem, route="balance"),
    Case("es256", 2005, es256, route="balance"),
    Case(
        "rs512-right-key",
        2005,
        lambda k: envelope(
            jwt.encode(
                {"payload": make_request()},
                k.provider.private,
                algorithm="RS512",
                headers={"kid": k.provider.kid},
            )
        ),
    ),
    Case(
        "ps256-right-key",
        2005,
        lambda k: envelope(
            jwt.encode({"payload": make_request()}, k.provider.private, algorithm="PS256")
        ),
    ),
    Case("other-rsa-key", 2005, lambda k: envelope(k.stranger.token(make_request()))),
    Case(
        "other-rsa-key-claiming-our-kid",
        2005,
        lambda k: envelope(
            jwt.encode(
                {"payload": make_request()},
                k.stranger.private,
                algorithm="RS256",
                headers={"kid": k.provider.kid},
            )
        ),
    ),
    Case(
        "unknown-kid",
        2005,
        lambda k: envelope(
            k.provider.sign({"payload": make_request()}, headers={"kid": "no-such-key"})
        ),
    ),
    Case(
        "expired",
        2005,
        lambda k: envelope(k.provider.token(make_request(), iat=now() - 600, exp=now() - 300)),
    ),
    Case(
        "expired-beyond-leeway",
        2005,
        lambda k: envelope(k.provider.token(make_request(), exp=now() - 20)),
    ),
    Case("nbf-future", 2005, lambda k: envelope(k.provider.token(make_request(), nbf=now() + 300))),
    Case("iat-future", 2005, lambda k: envelope(k.provider.token(make_request(), iat=now() + 300))),
    Case("exp-not-a-number", 2005, lambda k: envelope(k.provider.token(make_request(), exp="x"))),
    Case("tampered-claims", 2005, tampered),
    Case("truncated", 2005, lambda k: envelope(k.provider.token(make_request())[:-10])),
    Case("signature-stripped", 2005, lambda k: envelope(k.provider.token(make_request())[:-342])),
    Case("two-parts", 2005, lambda k: envelope(".".join(k.provider.token(BALANCE).split(".")[:2]))),
    Case("four-parts", 2005, lambda k: envelope(k.provider.token(BALANCE) + ".abc")),
    Case("not-base64", 2005, lambda k: envelope("!!!.@@@.###")),
    Case("empty-token", 2005, lambda k: envelope("")),
    Case("garbage-token", 2005, lambda k: envelope("hello")),
    Case(
        "header-not-json",
        2005,
        lambda k: envelope(f"{b64url(b'not json')}.{b64url(b'{}')}.{b64url(b'sig')}"),
    ),
    # an authentic token that carries no request -----------------------------------------
    Case("payload-claim-missing", 2004, lambda k: envelope(k.provider.sign({"iat": now()}))),
    Case("payload-claim-string", 2004, lambda k: envelope(k.provider.token("make a bet"))),
    Case("payload-claim-array", 2004, lambda k: envelope(k.provider.token([make_request()]))),
    Case("payload-claim-null", 2004, lambda k: envelope(k.provider.token(None))),
    Case("payload-claim-number", 2004, lambda k: envelope(k.provider.token(42))),
    Case("claims-not-json", 2004, lambda k: signed_claims(k, b"not json at all")),
    Case("claims-json-array", 2004, lambda k: signed_claims(k, b'[{"payload": {}}]')),
    Case("claims-with-nan", 2004, lambda k: signed_claims(k, b'{"payload": {"amount": NaN}}')),
    Case(
        "claims-lone-surrogate",
        2004,
        lambda k: signed_claims(k, b'{"payload": {"player_id": "\\ud800"}}'),
    ),
    Case(
        "payload-nested-100000-deep",
        2004,
        lambda k: signed_claims(k, b'{"payload": {"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"),
    ),
    Case(
        "payload-nested-5000-deep-in-ignored-field",
        2004,
        lambda k: signed_claims(
            k,
            b'{"payload": {"betslip": ' + b'{"k": ' * 5_000 + b"1" + b"}" * 5_000 + b"}}",
        ),
    ),
    # malformed fields (the route functions refuse them, and store nothing) -------------
    Case("amount-float", 2004, lambda k: k.valid(amount_everywhere(1000.5))),
    Case("amount-float-dot-zero", 2004, lambda k: k.valid(amount_everywhere(1000.0))),
    Case("amount-string", 2004, lambda k: k.valid(amount_everywhere("1000"))),
    Case("amount-negative", 2004, lambda k: k.valid(amount_everywhere(-1000))),
    Case("amount-true", 2004, lambda k: k.valid(amount_everywhere(True))),
    Case("amount-null", 2004, lambda k: k.valid(amount_everywhere(None))),
    Case("amount-1e20", 2004, lambda k: k.valid(amount_everywhere(1e20))),
    Case(
        "amount-1e20-literal",
        2004,
        lambda k: signed_claims(
            k,
            json.dumps({"payload": make_request()})
            .replace('"amount": 1000', '"amount": 1e20')
            .encode(),
        ),
    ),
    Case("amount-over-10-15", 2004, lambda k: k.valid(amount_everywhere(10**15 + 1))),
    Case("amount-huge-integer", 2004, lambda k: k.valid(amount_everywhere(10**40))),
    Case("amounts-disagree", 2004, lambda k: k.valid(make_with(transaction__amount=999))),
    Case(
        "transaction-id-10000-chars",
        2004,
        lambda k: k.valid(make_with(transaction__id="x" * 10_000)),
    ),
    Case("transaction-id-empty", 2004, lambda k: k.valid(make_with(transaction__id=""))),
    Case("transaction-id-nul", 2004, lambda k: k.valid(make_with(transaction__id="tx\x00id"))),
    Case("transaction-id-negative", 2004, lambda k: k.valid(make_with(transaction__id=-5))),
    Case("transaction-id-fraction", 2004, lambda k: k.valid(make_with(transaction__id=1.5))),
    Case("transaction-id-object", 2004, lambda k: k.valid(make_with(transaction__id={"a": 1}))),
    Case("player-id-10000-chars", 2004, lambda k: k.valid(make_with(player_id="p" * 10_000))),
    Case("player-id-nul", 2004, lambda k: k.valid(make_with(player_id="player\x001"))),
    Case("nul-in-an-ignored-field", 2004, lambda k: k.valid(make_with(comment="a\x00b"))),
    Case("transaction-missing", 2004, lambda k: k.valid(make_with(transaction=None))),
    Case("betslip-not-object", 2004, lambda k: k.valid(make_with(betslip="slip"))),
    Case("request-empty-object", 2004, lambda k: k.valid({})),
    Case(
        "win-amount-float",
        2004,
        lambda k: k.valid(win_request("1", "win-x", 10) | {"amount": 10.0}),
        route="bet/win",
    ),
    Case("currency-lowercase", 2002, lambda k: k.valid(make_with(currency="eur"))),
    Case(
        "balance-currency-number",
        2002,
        lambda k: k.valid({"player_id": PLAYER, "currency": 978}),
        route="balance",
    ),
    # well-formed requests the wallet refuses: stored, except 2003 (no bet to store it on) ----
    Case(
        "unknown-player",
        1006,
        lambda k: k.valid(make_request("hostile-unknown", 10, player_id="nobody")),
        stored_refusal=True,
    ),
    Case(
        "unknown-player-with-sql-quotes",
        1006,
        lambda k: k.valid(
            make_request("q'1", 10, player_id="x'; DELETE FROM wallet_core.accounts;--")
        ),
        stored_refusal=True,
    ),
    Case(
        "blocked-player",
        1005,
        lambda k: k.valid(make_request("hostile-blocked", 10, player_id="blocked-1")),
        stored_refusal=True,
    ),
    Case(
        "wrong-currency",
        2002,
        lambda k: k.valid(make_request("hostile-usd", 10, currency="USD")),
        stored_refusal=True,
    ),
    Case(
        "not-enough-money",
        2001,
        lambda k: k.valid(make_request("hostile-rich", START_BALANCE + 1)),
        stored_refusal=True,
    ),
    Case(
        "win-for-unknown-bet",
        2003,
        lambda k: k.valid(win_request("999999", "hostile-win", 100)),
        route="bet/win",
    ),
    Case(
        "commit-unknown-bet",
        2003,
        lambda k: k.valid({"bet_transaction_id": "999999"}),
        route="bet/commit",
    ),
]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_request_is_refused_and_writes_nothing(
    case: Case,
    client: TestClient[Litestar],
    db: psycopg.Connection,
    player: str,
    provider_key: ProviderKey,
    stranger_key: ProviderKey,
) -> None:
    db.execute("SELECT wallet.create_player('blocked-1', %s, 500)", (CURRENCY,))
    db.execute("SELECT wallet.block_player('blocked-1')")
    before = ledger_snapshot(db)
    stored_before = stored_answers(db)

    response = client.post(
        f"/{case.route}", content=case.build(Keys(provider_key, stranger_key)), headers=case.headers
    )

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == case.code, body
    assert isinstance(body["message"], str)
    assert set(body) == {"code", "message"}
    stored_after = stored_answers(db)
    if case.stored_refusal:
        # exactly one row more: this refusal, so that a retry gets the same answer
        assert stored_after[: len(stored_before)] == stored_before
        assert [row[2:] for row in stored_after[len(stored_before) :]] == [(400, body)]
    else:
        assert stored_after == stored_before
    after = ledger_snapshot(db)
    before.pop("idempotency")
    after.pop("idempotency")
    assert after == before
    assert balance_of(db) == START_BALANCE


def stored_answers(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    """Every idempotency record, oldest first: kind, key, status, stored answer."""
    return db.execute(
        "SELECT kind, key, status, response FROM wallet_core.idempotency ORDER BY operation_id"
    ).fetchall()


def test_malformed_request_is_not_stored(
    client: TestClient[Litestar],
    db: psycopg.Connection,
    player: str,
    provider_key: ProviderKey,
) -> None:
    """The contract: a malformed request is not stored, so the same id sent again correctly is
    processed normally."""
    bad = client.post(
        "/bet/make", content=envelope(provider_key.token(amount_everywhere(10.5))), headers=JSON
    )
    assert bad.json()["code"] == 2004
    good = client.post(
        "/bet/make",
        content=envelope(provider_key.token(make_request("hostile-make", 1_000))),
        headers=JSON,
    )
    assert good.status_code == 200, good.text
    assert balance_of(db) == START_BALANCE - 1_000


def test_token_problems_never_reach_the_log(
    client: TestClient[Litestar],
    provider_key: ProviderKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = provider_key.token(make_request(), exp=now() - 3_600)
    with caplog.at_level("DEBUG"):
        response = client.post("/bet/make", content=envelope(token), headers=JSON)
    assert response.json()["code"] == 2005
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert token not in logged
    assert token.split(".")[2] not in logged
