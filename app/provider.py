"""The provider's side of the contract: its requests, and its RS256 signature on them.

The builders return the object a provider puts in the JWT's ``payload`` claim, shaped as
/work/shared/provider-contract.md describes each route. ``ProviderKey`` signs them as a compact
RS256 JWS and wraps the token in the request body ``{"payload": "<token>"}``. ``wallet
simulate`` and the tests build and sign their requests here, so that a request has one shape.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.config import ConfigError

Request = dict[str, Any]

_ids = itertools.count(1)


def new_id(prefix: str = "tx") -> str:
    """A transaction id unique in this process: ``<prefix>-<n>``."""
    return f"{prefix}-{next(_ids)}"


# Requests ------------------------------------------------------------------------------------


def selection(
    n: int = 1, *, sport: str = "1", category: str = "c1", tournament: str = "t1"
) -> Request:
    """One selection of a bet slip, on event ``event-<n>``."""
    return {
        "id": f"sel-{n}",
        "event_id": f"event-{n}",
        "sport_id": sport,
        "sport_name": f"Sport {sport}",
        "category_id": category,
        "category_name": f"Category {category}",
        "tournament_id": tournament,
        "tournament_name": f"Tournament {tournament}",
        "competitor_name": ["Home", "Away"],
        "market_name": "1x2",
        "outcome_name": "1",
        "scheduled": 1767225600,
        "live": False,
        "odds": "1.85",
    }


def make(
    player: str,
    amount: int,
    *,
    currency: str = "EUR",
    tx: str | int | None = None,
    selections: list[Request] | None = None,
    betslip_id: str | None = None,
) -> Request:
    """bet/make: a single bet of ``amount`` on ``selections`` (one selection by default), on
    the bet slip ``betslip_id`` (default ``slip-<tx>``)."""
    tx = new_id("make") if tx is None else tx
    betslip_id = f"slip-{tx}" if betslip_id is None else betslip_id
    return {
        "amount": amount,
        "currency": currency,
        "player_id": player,
        "session_id": "session-1",
        "potential_win": amount * 2,
        "transaction": {
            "id": tx,
            "betslip_id": betslip_id,
            "player_id": f"provider-{player}",
            "ext_player_id": player,
            "timestamp": 1767225000,
            "amount": amount,
            "currency": currency,
            "operation": "bet",
        },
        "betslip": {
            "id": betslip_id,
            "timestamp": 1767225000.25,
            "type": "single",
            "sum": amount,
            "k": "1.85",
            "is_quick_bet": False,
            "accept_odds_change": True,
            "bets": selections if selections is not None else [selection()],
        },
    }


def commit(bet_id: str) -> Request:
    """bet/commit of the bet whose wallet id is ``bet_id``."""
    return {"bet_transaction_id": bet_id}


def discard(player: str, make_tx: str, reason: str = "rejected by trader") -> Request:
    """bet/discard of the make the provider knows as ``make_tx``."""
    return {"ext_player_id": player, "transaction_id": make_tx, "reason": reason}


def win(
    player: str,
    bet_id: str,
    amount: int,
    *,
    currency: str = "EUR",
    tx: str | int | None = None,
    cashout: bool = False,
) -> Request:
    """bet/win of ``amount`` (a cash-out when ``cashout``)."""
    tx = new_id("win") if tx is None else tx
    return {
        "amount": amount,
        "currency": currency,
        "is_cashout": cashout,
        "bet_transaction_id": bet_id,
        "transaction": {
            "id": tx,
            "ext_player_id": player,
            "amount": amount,
            "currency": currency,
            "operation": "win",
        },
    }


def lost(
    player: str, bet_id: str, *, currency: str = "EUR", tx: str | int | None = None
) -> Request:
    """bet/lost."""
    return {
        "amount": 0,
        "currency": currency,
        "bet_transaction_id": bet_id,
        "transaction": {
            "id": new_id("lost") if tx is None else tx,
            "ext_player_id": player,
            "operation": "lost",
        },
    }


def refund(
    player: str, bet_id: str, amount: int, *, currency: str = "EUR", tx: str | int | None = None
) -> Request:
    """bet/refund of ``amount`` (at most the stake)."""
    return {
        "bet_transaction_id": bet_id,
        "reason": "event cancelled",
        "reason_code": "cancelled",
        "transaction": {
            "id": new_id("refund") if tx is None else tx,
            "ext_player_id": player,
            "amount": amount,
            "currency": currency,
            "operation": "refund",
        },
    }


def rollback(
    player: str,
    bet_id: str,
    settlement_tx: str,
    *,
    amount: int | None = None,
    currency: str | None = None,
    tx: str | int | None = None,
) -> Request:
    """bet/rollback of the settlement the provider knows as ``settlement_tx``."""
    transaction: Request = {
        "id": new_id("rollback") if tx is None else tx,
        "ext_player_id": player,
        "operation": "rollback",
    }
    if amount is not None:
        transaction["amount"] = amount
    if currency is not None:
        transaction["currency"] = currency
    return {
        "bet_transaction_id": bet_id,
        "parent_transaction_id": settlement_tx,
        "transaction": transaction,
    }


def settlement(bet_id: str, status: str = "won") -> Request:
    """bet/settlement: the bet is final with ``status``."""
    return {"bet_transaction_id": bet_id, "status": status}


def balance(player: str, currency: str = "EUR") -> Request:
    """balance."""
    return {"player_id": player, "currency": currency}


# Signatures ----------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class ProviderKey:
    """An RSA private key as a provider holds it, and the ``kid`` its tokens name."""

    private: rsa.RSAPrivateKey
    kid: str | None = None

    @classmethod
    def generate(cls, kid: str | None = None) -> ProviderKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid)

    @classmethod
    def from_file(cls, path: Path, kid: str | None = None) -> ProviderKey:
        """Read a PEM private key; ConfigError naming the file if it is not an RSA one."""
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise ConfigError(f"private key {path}: {error}") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigError(f"private key {path}: not an RSA key")
        return cls(key, kid)

    @property
    def private_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (for ``wallet simulate --key``)."""
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """A compact RS256 JWS of ``claims``."""
        header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
        if self.kid:
            header["kid"] = self.kid
        header.update(headers or {})
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = self.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def token(self, request: object, *, lifetime: int = 60, **claims: Any) -> str:
        """A token carrying ``request`` in its ``payload`` claim, issued now, valid
        ``lifetime`` seconds; ``claims`` add or replace claims (``exp``, ``iat``, ...)."""
        now = int(time.time())
        return self.sign({"iat": now, "exp": now + lifetime, "payload": request, **claims})


def body_of(token: str) -> bytes:
    """The HTTP request body that carries ``token``."""
    return json.dumps({"payload": token}).encode()
