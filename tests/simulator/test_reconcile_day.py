"""Reconciliation against the provider's own file: a day of traffic (compressed: the lifecycle
scenario, many players, every kind of move, copies and out-of-order moves) played by the
simulator against the wallet served in this process; the provider's file written from what the
simulator SENT and the answers it got (never from the wallet's tables), loaded with COPY as a
finance clerk's ``\\copy`` does; then damaged each way. ``wallet.reconcile`` must find nothing
on the file as sent, and exactly the damage on each damaged file; ``wallet.money_report``
must add up to the file's figures.
"""

from __future__ import annotations

import asyncio
import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from rich.progress import Progress

from app import keys
from app.simulator import scenarios
from app.simulator.dba import Dba
from app.simulator.referee import Referee
from app.simulator.run import Simulation
from app.simulator.traffic import Answer, Sender, Tally
from tests.support.processes import LiveServer
from tests.support.provider import ProviderKey

COLUMNS = [
    "transaction_id",
    "operation",
    "player_id",
    "amount",
    "currency",
    "created_at",
    "make_transaction_id",
    "bet_state",
    "cross_rate_euro",
]
SETTLED = {"bet/win": "won", "bet/lost": "lost", "bet/refund": "refunded"}


@dataclass
class ProviderBooks:
    """What the provider knows from what it sent and what the wallet answered."""

    rows: dict[str, dict[str, Any]]
    state: dict[str, str]

    def file(self) -> list[dict[str, Any]]:
        return [
            {**row, "bet_state": self.state[tx] if row["operation"] == "bet" else None}
            for tx, row in self.rows.items()
        ]


def provider_books(sent: list[Answer]) -> ProviderBooks:
    """The provider's transactions: each accepted (200) operation once, with the provider's own
    time and rate; each bet's state after the moves the wallet accepted, in the order sent."""
    rows: dict[str, dict[str, Any]] = {}
    state: dict[str, str] = {}
    make_of_bet: dict[str, str] = {}
    done: set[tuple[str, str]] = set()
    for answer in sent:
        if answer.status != 200:
            continue
        route, request = answer.delivery.route, answer.delivery.request
        body = json.loads(answer.text)
        if route in ("bet/commit", "bet/settlement"):
            key = (route, request["bet_transaction_id"])
            if key not in done and route == "bet/commit":
                state[make_of_bet[request["bet_transaction_id"]]] = "accepted"
            done.add(key)
            continue
        if route == "bet/discard":
            key = (route, request["transaction_id"])
            if key not in done and request["transaction_id"] in state:
                state[request["transaction_id"]] = "discarded"
            done.add(key)
            continue
        transaction = request["transaction"]
        tx = transaction["id"]
        if tx in rows:  # a copy in flight or a late copy: the replay of what is booked
            continue
        at = datetime.fromtimestamp(transaction["timestamp"], UTC)
        rate = transaction.get("cross_rate_euro")
        if route == "bet/make":
            make_of_bet[body["id"]] = tx
            state[tx] = "open"
            rows[tx] = {
                "transaction_id": tx,
                "operation": "bet",
                "player_id": request["player_id"],
                "amount": request["amount"],
                "currency": request["currency"],
                "created_at": at,
                "make_transaction_id": tx,
                "cross_rate_euro": rate,
            }
            continue
        make = make_of_bet[request["bet_transaction_id"]]
        if route == "bet/rollback":  # it takes back what the settlement it names moved
            amount = rows[request["parent_transaction_id"]]["amount"]
            state[make] = "accepted"
        else:
            amount = transaction.get("amount", request.get("amount", 0))
            cashout = route == "bet/win" and request.get("is_cashout")
            state[make] = "cashed_out" if cashout else SETTLED[route]
        rows[tx] = {
            "transaction_id": tx,
            "operation": route.removeprefix("bet/"),
            "player_id": transaction["ext_player_id"],
            "amount": amount,
            "currency": request.get("currency")
            or transaction.get("currency")
            or rows[make]["currency"],
            "created_at": at,
            "make_transaction_id": make,
            "cross_rate_euro": rate,
        }
    return ProviderBooks(rows, state)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    **row,
                    "created_at": row["created_at"].isoformat(),
                    "bet_state": row["bet_state"] or "",
                    "cross_rate_euro": row["cross_rate_euro"] or "",
                }
            )


def load(db: psycopg.Connection, path: Path) -> None:
    """What ``\\copy wallet.provider_report (...) from 'file.csv' with (format csv, header)``
    does: the file's bytes through COPY FROM STDIN."""
    db.execute("delete from wallet.provider_report")
    columns = ", ".join(COLUMNS)
    with (
        db.cursor() as cur,
        cur.copy(
            f"copy wallet.provider_report ({columns}) from stdin"
            " with (format csv, header true, null '')"
        ) as copy,
    ):
        copy.write(path.read_bytes())


def differences(db: psycopg.Connection, start: datetime, end: datetime) -> set[tuple[str, str]]:
    return {
        (kind, tx)
        for kind, tx, _, _ in db.execute(
            "select * from wallet.reconcile(%s, %s)", (start, end)
        ).fetchall()
    }


async def play_a_day(url: str, key: keys.ProviderKey, admin_url: str) -> Simulation:
    dba = Dba(admin_url)
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            with Progress(disable=True) as progress:
                task = progress.add_task("a day", total=None)
                sim = Simulation(
                    sender=Sender(
                        client,
                        url,
                        connections=20,
                        retries=3,
                        tally=Tally(),
                        advance=lambda n: None,
                    ),
                    referee=Referee(),
                    key=key,
                    dba=dba,
                    named_players=[],
                    currency="EUR",
                    run_id="day",
                    token_lifetime=600,
                    progress=progress,
                    task=task,
                )
                await scenarios.lifecycle(
                    sim, players=25, bets=8, parallel=2, duplicate_rate=0.15, seed=1515
                )
    finally:
        dba.close()
    assert sim.referee.violations == []
    return sim


@pytest.mark.slow
def test_reconcile_a_day_against_the_file_the_provider_writes(
    db: psycopg.Connection,
    db_url: str,
    live_server: LiveServer,
    provider_key: ProviderKey,
    tmp_path: Path,
) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    sim = asyncio.run(
        play_a_day(
            live_server.url, keys.ProviderKey(provider_key.private, provider_key.kid), db_url
        )
    )
    end = datetime.now(UTC) + timedelta(hours=1)
    books = provider_books(sim.sent)
    sent = books.file()
    operations = {row["operation"] for row in sent}
    assert operations == {"bet", "win", "lost", "refund", "rollback"}, operations
    assert {"open", "accepted", "won", "cashed_out", "lost", "refunded", "discarded"} >= set(
        books.state.values()
    )
    assert len(set(books.state.values())) >= 5, books.state
    assert len(sent) > 250

    # the file as sent: no difference
    path = tmp_path / "provider-day.csv"
    write_csv(path, sent)
    load(db, path)
    assert differences(db, start, end) == set()

    # money_report adds up to the file's figures
    report = {
        row[0]: row
        for row in db.execute(
            "select currency, stakes, wins, refunds, rollbacks, ggr, bets, players, ggr_eur,"
            " unconverted from wallet.money_report(%s, %s)",
            (start, end),
        ).fetchall()
    }

    def total(operation: str) -> int:
        return sum(r["amount"] for r in sent if r["operation"] == operation)

    counted = [
        r
        for r in sent
        if r["operation"] == "bet" and books.state[r["transaction_id"]] != "discarded"
    ]
    stakes = sum(r["amount"] for r in counted)
    ggr = stakes - total("win") - total("refund") + total("rollback")
    assert report["EUR"][1:] == (
        stakes,
        total("win"),
        total("refund"),
        total("rollback"),
        ggr,
        len(counted),
        len({r["player_id"] for r in counted}),
        ggr,  # EUR at cross rate 1
        0,
    )

    # each damage alone, then all at once: exactly that difference
    bets = [
        r for r in sent if r["operation"] == "bet" and books.state[r["transaction_id"]] == "won"
    ]
    win = next(r for r in sent if r["operation"] == "win")
    damages: dict[str, tuple[list[dict[str, Any]], set[tuple[str, str]]]] = {}
    missing = [r for r in sent if r is not win]
    damages["a missing row"] = (missing, {("missing_in_provider", win["transaction_id"])})
    amount = [dict(r, amount=r["amount"] + 1) if r is bets[0] else r for r in sent]
    damages["a different amount"] = (amount, {("amount", bets[0]["transaction_id"])})
    ghost = dict(win, transaction_id="ghost-1", amount=700)
    damages["an extra row"] = ([*sent, ghost], {("missing_in_wallet", "ghost-1")})
    other = [dict(r, bet_state="lost") if r is bets[1] else r for r in sent]
    damages["another state"] = (other, {("bet_state", bets[1]["transaction_id"])})
    for name, (rows, expected) in damages.items():
        write_csv(path, rows)
        load(db, path)
        assert differences(db, start, end) == expected, name

    everything = [
        dict(r, amount=r["amount"] + 1)
        if r is bets[0]
        else dict(r, bet_state="lost")
        if r is bets[1]
        else r
        for r in sent
        if r is not win
    ]
    write_csv(path, [*everything, ghost])
    load(db, path)
    assert differences(db, start, end) == set().union(*(e for _, e in damages.values()))

    # the undamaged file again: clean
    write_csv(path, sent)
    load(db, path)
    assert differences(db, start, end) == set()
