"""The provider's side of the contract: its requests, as ``docs/contract/provider.md`` shapes them.

The builders return the object a provider puts in the JWT's ``payload`` claim;
:func:`body_of` wraps a signed token (:class:`app.keys.ProviderKey`) in the request body
``{"payload": "<token>"}``; :func:`call` hands a request straight to the route's PL/pgSQL
function, one statement, as the service does. ``wallet simulate``, the tests and the benchmarks
build their requests here, so that a request has one shape.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import psycopg

from app.contract import ROUTE_BY_PATH

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
    bonus_id: str | None = None,
    bonus_type: str | None = None,
    at: float | None = None,
    cross_rate: str | None = None,
) -> Request:
    """bet/make: a single bet of ``amount`` on ``selections`` (one selection by default), on
    the bet slip ``betslip_id`` (default ``slip-<tx>``); a bonus bet when ``bonus_id`` is given
    (``bonus_type`` as providers send it alongside); ``at`` is the provider's time of it
    (unix seconds; a fixed time by default), ``cross_rate`` its ``transaction.cross_rate_euro``
    (none by default)."""
    tx = new_id("make") if tx is None else tx
    betslip_id = f"slip-{tx}" if betslip_id is None else betslip_id
    bonus: Request = {}
    if bonus_id is not None:
        bonus["bonus_id"] = bonus_id
    if bonus_type is not None:
        bonus["bonus_type"] = bonus_type
    request = {
        **bonus,
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
            "timestamp": 1767225000 if at is None else at,
            "amount": amount,
            "currency": currency,
            "operation": "bet",
        },
        "betslip": {
            "id": betslip_id,
            "timestamp": 1767225000.25 if at is None else at,
            "type": "single",
            "sum": amount,
            "k": "1.85",
            "is_quick_bet": False,
            "accept_odds_change": True,
            "bets": selections if selections is not None else [selection()],
        },
    }
    return _kept(request, None, cross_rate)


def _kept(
    request: Request,
    at: float | None,
    cross_rate: str | None,
    legs: list[Request] | None = None,
    odds: str | None = None,
) -> Request:
    """The request with what a Betby-like provider also sends, for the books
    (docs/contract/provider.md, "What finance and support keep"): ``transaction.timestamp``,
    ``transaction.cross_rate_euro``, and on win and lost ``selections`` (each leg's result)
    and ``odds``. Each only when given."""
    transaction = request["transaction"]
    if at is not None:
        transaction["timestamp"] = at
    if cross_rate is not None:
        transaction["cross_rate_euro"] = cross_rate
    if legs is not None:
        request["selections"] = legs
    if odds is not None:
        request["odds"] = odds
    return request


def leg(n: int = 1, status: str = "won", odds: str = "1.85") -> Request:
    """One leg's result as win and lost send it (``selections[]``), for ``selection(n)``."""
    return {"id": f"sel-{n}", "event_id": f"event-{n}", "status": status, "odds": odds}


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
    bonus_type: str | None = None,
    comboboost_multiplier: str | None = None,
    at: float | None = None,
    cross_rate: str | None = None,
    legs: list[Request] | None = None,
    odds: str | None = None,
) -> Request:
    """bet/win of ``amount`` (a cash-out when ``cashout``); a win of a bonus bet may carry
    ``bonus_type`` and ``comboboost_multiplier``, which the wallet does not read; ``at``,
    ``cross_rate``, ``legs`` and ``odds``: see :func:`_kept`."""
    tx = new_id("win") if tx is None else tx
    bonus: Request = {}
    if bonus_type is not None:
        bonus["bonus_type"] = bonus_type
    if comboboost_multiplier is not None:
        bonus["comboboost_multiplier"] = comboboost_multiplier
    request = {
        **bonus,
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
    return _kept(request, at, cross_rate, legs, odds)


def lost(
    player: str,
    bet_id: str,
    *,
    currency: str = "EUR",
    tx: str | int | None = None,
    at: float | None = None,
    cross_rate: str | None = None,
    legs: list[Request] | None = None,
    odds: str | None = None,
) -> Request:
    """bet/lost; ``at``, ``cross_rate``, ``legs`` and ``odds``: see :func:`_kept`."""
    request = {
        "amount": 0,
        "currency": currency,
        "bet_transaction_id": bet_id,
        "transaction": {
            "id": new_id("lost") if tx is None else tx,
            "ext_player_id": player,
            "operation": "lost",
        },
    }
    return _kept(request, at, cross_rate, legs, odds)


def refund(
    player: str,
    bet_id: str,
    amount: int,
    *,
    currency: str = "EUR",
    tx: str | int | None = None,
    at: float | None = None,
    cross_rate: str | None = None,
) -> Request:
    """bet/refund of ``amount`` (at most the stake); ``at`` and ``cross_rate``: see
    :func:`_kept`."""
    request = {
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
    return _kept(request, at, cross_rate)


def rollback(
    player: str,
    bet_id: str,
    settlement_tx: str,
    *,
    amount: int | None = None,
    currency: str | None = None,
    tx: str | int | None = None,
    at: float | None = None,
    cross_rate: str | None = None,
) -> Request:
    """bet/rollback of the settlement the provider knows as ``settlement_tx``; ``at`` and
    ``cross_rate``: see :func:`_kept`."""
    transaction: Request = {
        "id": new_id("rollback") if tx is None else tx,
        "ext_player_id": player,
        "operation": "rollback",
    }
    if amount is not None:
        transaction["amount"] = amount
    if currency is not None:
        transaction["currency"] = currency
    request = {
        "bet_transaction_id": bet_id,
        "parent_transaction_id": settlement_tx,
        "transaction": transaction,
    }
    return _kept(request, at, cross_rate)


def settlement(bet_id: str, status: str = "won") -> Request:
    """bet/settlement: the bet is final with ``status``."""
    return {"bet_transaction_id": bet_id, "status": status}


def balance(player: str, currency: str = "EUR") -> Request:
    """balance."""
    return {"player_id": player, "currency": currency}


def call(conn: psycopg.Connection[Any], route: str, request: object) -> tuple[int, str]:
    """One route call, as the service makes it: one statement, its own transaction; the
    answer's HTTP status and body text."""
    row = conn.execute(ROUTE_BY_PATH[route].query, [json.dumps(request)]).fetchone()
    if row is None:
        raise RuntimeError(f"{route}: the route function returned no row")
    return int(row[0]), str(row[1])


def body_of(token: str) -> bytes:
    """The HTTP request body that carries ``token``."""
    return json.dumps({"payload": token}).encode()
