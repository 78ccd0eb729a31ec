"""The provider's side: its keys, its requests as the contract shapes them, and a way to call
the route functions.

The request builders live in ``app.simulator.provider`` (``wallet simulate`` sends the same
requests) and are re-exported here, for the tests' ``p.make(...)``; ``make_request`` and its
siblings are the HTTP tests' requests, for one player (``PLAYER``, ``CURRENCY``,
``START_BALANCE``, the player the ``player`` fixture opens). ``call`` hands a request to the
route's PL/pgSQL function exactly as the service does, one statement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app import keys
from app.simulator import provider as p
from app.simulator.provider import (  # noqa: F401  (the builders, for the tests' ``p.make(...)``)
    balance,
    commit,
    discard,
    lost,
    make,
    new_id,
    refund,
    rollback,
    selection,
    settlement,
    win,
)
from app.simulator.provider import body_of as body_of  # the HTTP tests' request bodies

PLAYER = "player-1"
CURRENCY = "EUR"
START_BALANCE = 100_000
JSON = {"content-type": "application/json"}


# Keys and tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderKey:
    """An RSA key pair as a provider holds it; the public half is a PEM file for the wallet.

    Tokens are signed by ``app.keys.ProviderKey``, as ``wallet simulate`` signs them."""

    private: rsa.RSAPrivateKey
    public_pem: bytes
    public_path: Path
    kid: str

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        return keys.ProviderKey(self.private, self.kid).sign(claims, headers=headers)

    def token(self, request: object, **claims: Any) -> str:
        return keys.ProviderKey(self.private, self.kid).token(request, lifetime=60, **claims)


def make_key(directory: Path, kid: str) -> ProviderKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path = directory / f"{kid}.pem"
    path.write_bytes(public_pem)
    return ProviderKey(private, public_pem, path, kid)


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


# Calling the route functions ------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    text: str

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.text)

    @property
    def code(self) -> int | None:
        """The provider error code, or None for a success."""
        return None if self.status == 200 else self.body["code"]


def call(conn: psycopg.Connection, route: str, request: Any) -> Answer:
    """One route call, as the service makes it: one statement, its own transaction."""
    return Answer(*p.call(conn, route, request))
