"""The shapes Python must know: the request envelope, the error envelope, and (for the
OpenAPI document only) the success bodies the database composes.

Python never builds a success body: the route functions in ``sql/`` return it, and the
service sends those bytes unchanged. ``TransactionResult`` and ``BalanceResult`` exist so
that the OpenAPI document describes what a provider receives.
"""

from __future__ import annotations

from enum import IntEnum

import msgspec


class ProviderEnvelope(msgspec.Struct):
    """What a provider POSTs: ``{"payload": "<compact JWS>"}``. Other fields are ignored."""

    payload: str


class ErrorCode(IntEnum):
    """The contract's error codes (HTTP 400), and 500 for an unexpected failure."""

    PLAYER_BLOCKED = 1005
    PLAYER_NOT_FOUND = 1006
    SESSION_EXPIRED = 1007
    NOT_ENOUGH_MONEY = 2001
    INVALID_CURRENCY = 2002
    PARENT_NOT_FOUND = 2003
    BAD_REQUEST = 2004
    INVALID_TOKEN = 2005
    BONUS_NOT_FOUND = 3001
    LIMITS_EXCEEDED = 4001
    BONUS_EXCEEDED = 4002
    INTERNAL = 500


SERVICE_CODES = frozenset({ErrorCode.INVALID_TOKEN})
"""Codes only the service gives, before any database call: a token it cannot accept."""

RESERVED_CODES: frozenset[ErrorCode] = frozenset()
"""In the contract's list, but given by nothing yet: none since sessions (1007) and player
limits (4001) joined the wallet. Every other code is one ``wallet_core.error_codes`` maps a
SQLSTATE to (``tests/sql/test_contract.py`` holds the two lists together)."""


class ErrorBody(msgspec.Struct):
    """The error envelope: ``{"code": <int>, "message": "<human readable>"}``."""

    code: int
    message: str


class TransactionResult(msgspec.Struct):
    """Success body of every route but ``ping`` and ``balance`` (composed by the database)."""

    id: str
    ext_transaction_id: str
    parent_transaction_id: str | None
    user_id: str
    operation: str
    amount: int
    currency: str
    balance: int


class BalanceResult(msgspec.Struct):
    """Success body of ``balance`` (composed by the database)."""

    user_id: str
    currency: str
    balance: int


class PingResult(msgspec.Struct):
    """Body of ``GET <prefix>/ping``."""

    timestamp: int


class HealthResult(msgspec.Struct, omit_defaults=True):
    """Body of ``/healthz`` and ``/readyz``; ``problems`` lists why the service is not ready."""

    status: str
    problems: list[str] = msgspec.field(default_factory=list)


class ErrorCodeOnly(msgspec.Struct):
    """Enough of an error body to read its code for the log and the metrics."""

    code: int


_encoder = msgspec.json.Encoder()


def error_bytes(code: int, message: str) -> bytes:
    """The serialized error envelope."""
    return _encoder.encode(ErrorBody(code=int(code), message=message))


def outcome_code(status: int, body: bytes) -> int | None:
    """The provider code of a response body: None for a success, the envelope's code else."""
    if status == 200:
        return None
    try:
        return msgspec.json.decode(body, type=ErrorCodeOnly).code
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
