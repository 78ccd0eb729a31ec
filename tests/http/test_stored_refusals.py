"""Stored refusals stay stored: a refusal the contract says is replayed (1005, 1006, 2002) is
answered again byte for byte after the reason for it has gone (the player unblocked, created,
given the account), and moves no money; a new transaction id is then accepted, which shows
the reason really did go.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.support.database import balance_of
from tests.support.provider import CURRENCY, make_request


@pytest.mark.parametrize(
    ("code", "currency", "before", "remedy"),
    [
        pytest.param(
            1005,
            CURRENCY,
            [
                "select wallet.create_player('refused', 'EUR', 5000)",
                "select wallet.block_player('refused')",
            ],
            "select wallet.unblock_player('refused')",
            id="1005-then-unblocked",
        ),
        pytest.param(
            1006,
            CURRENCY,
            [],
            "select wallet.create_player('refused', 'EUR', 5000)",
            id="1006-then-created",
        ),
        pytest.param(
            2002,
            "USDT",
            ["select wallet.create_player('refused', 'EUR', 5000)"],
            "select wallet.create_player('refused', 'USDT', 5000)",
            id="2002-then-account-opened",
        ),
    ],
)
def test_a_stored_refusal_is_replayed_after_its_reason_is_gone(
    post: Callable[..., Any],
    db: psycopg.Connection,
    code: int,
    currency: str,
    before: list[str],
    remedy: str,
) -> None:
    for statement in before:
        db.execute(statement)
    request = make_request("refused-make", 1_000, player_id="refused", currency=currency)
    refused = post("bet/make", request)
    assert (refused.status_code, refused.json()["code"]) == (400, code), refused.text

    db.execute(remedy)
    again = post("bet/make", request)
    assert (again.status_code, again.content) == (refused.status_code, refused.content)
    assert balance_of(db, "refused", currency) == 5_000
    bets = db.execute("select count(*) from wallet_core.bets").fetchone()
    assert bets == (0,)

    fresh = make_request("refused-make-2", 1_000, player_id="refused", currency=currency)
    accepted = post("bet/make", fresh)
    assert accepted.status_code == 200, accepted.text
    assert balance_of(db, "refused", currency) == 4_000


def test_a_discard_refused_1006_stays_refused_after_the_player_is_created(
    post: Callable[..., Any], db: psycopg.Connection
) -> None:
    discard = {"ext_player_id": "late", "transaction_id": "late-make", "reason": "odds changed"}
    refused = post("bet/discard", discard)
    assert (refused.status_code, refused.json()["code"]) == (400, 1006), refused.text
    db.execute("select wallet.create_player('late', 'EUR', 5000)")
    again = post("bet/discard", discard)
    assert (again.status_code, again.content) == (refused.status_code, refused.content)
    # the refused discard left no marker: the make it named goes through
    made = post("bet/make", make_request("late-make", 1_000, player_id="late"))
    assert made.status_code == 200, made.text
    assert balance_of(db, "late") == 4_000
