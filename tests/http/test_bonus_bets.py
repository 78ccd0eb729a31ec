"""Bonus bets through the service, end to end: a grant given in SQL, a signed bonus make over
HTTP whose stake the grant pays, a win of a free bet credited net of the stake, 3001 and 4002
answered with HTTP 400 and replayed byte for byte, and the grant's remainder after all of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from tests.support.database import balance_of
from tests.support.provider import CURRENCY, PLAYER, START_BALANCE, make_request, win_request


def bonus_make(transaction_id: str, amount: int, bonus_id: str, bonus_type: str) -> Any:
    request = make_request(transaction_id, amount, betslip_id=f"slip-{transaction_id}")
    request.update(bonus_id=bonus_id, bonus_type=bonus_type)
    return request


def test_a_free_bet_from_make_to_win_through_http(
    post: Callable[..., Any], db: psycopg.Connection, player: str
) -> None:
    db.execute(
        "select wallet.grant_bonus(%s, %s, 'http-free', 'freebet_no_risk', 1500, null)",
        [player, CURRENCY],
    )
    made = post("bet/make", bonus_make("http-1", 1000, "http-free", "freebet_no_risk"))
    assert made.status_code == 200, made.text
    # the stake came from the grant: the answer's balance is the real one, untouched
    assert (made.json()["amount"], made.json()["balance"]) == (1000, START_BALANCE)

    over = post("bet/make", bonus_make("http-2", 501, "http-free", "freebet_no_risk"))
    assert over.status_code == 400
    assert over.json() == {
        "code": 4002,
        "message": "the stake 501 exceeds the 500 left of bonus http-free",
    }
    unknown = post("bet/make", bonus_make("http-3", 10, "http-nothing", "freebet_refund"))
    assert (unknown.status_code, unknown.json()["code"]) == (400, 3001)

    # a no-risk free bet's win pays what exceeds the stake
    won = post("bet/win", win_request(made.json()["id"], "http-1-win", 2500))
    assert won.status_code == 200, won.text
    assert (won.json()["amount"], won.json()["balance"]) == (2500, START_BALANCE + 1500)

    # every answer again, byte for byte
    for route, request, first in (
        ("bet/make", bonus_make("http-1", 1000, "http-free", "freebet_no_risk"), made),
        ("bet/make", bonus_make("http-2", 501, "http-free", "freebet_no_risk"), over),
        ("bet/make", bonus_make("http-3", 10, "http-nothing", "freebet_refund"), unknown),
        ("bet/win", win_request(made.json()["id"], "http-1-win", 2500), won),
    ):
        again = post(route, request)
        assert (again.status_code, again.content) == (first.status_code, first.content)
    assert balance_of(db) == START_BALANCE + 1500
    row = db.execute("select remaining, status, bets from wallet.bonuses(%s)", [PLAYER]).fetchone()
    assert row == (500, "active", 1)
