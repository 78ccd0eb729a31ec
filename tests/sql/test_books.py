"""The books (issue 15 parts 2 to 4): what the routes keep for finance and support, the money
report, reconciliation with the provider's file, a player's bets and statement, and the
read-only role ``wallet_support``.

docs/reconciliation.md and docs/player-history.md describe what these tests hold the SQL to.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import psycopg.errors
import psycopg.sql
import pytest
from psycopg.rows import dict_row

from tests.support.provider import call, p

HOUR = timedelta(hours=1)


def window(db: psycopg.Connection) -> tuple[datetime, datetime]:
    row = db.execute("select now()").fetchone()
    assert row is not None
    return row[0] - HOUR, row[0] + HOUR


def made(db: psycopg.Connection, player: str, amount: int, tx: str, **kw: Any) -> str:
    answer = call(db, "bet/make", p.make(player, amount, tx=tx, **kw))
    assert answer.status == 200, answer
    return str(answer.body["id"])


def rows(db: psycopg.Connection, query: str, *args: Any) -> list[dict[str, Any]]:
    with db.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, args).fetchall()


def nothing_stored(db: psycopg.Connection, tx: str) -> bool:
    row = db.execute(
        "select (select count(*) from wallet_core.idempotency where key = %s)"
        " + (select count(*) from wallet_core.bets where make_transaction_id = %s)",
        (tx, tx),
    ).fetchone()
    return row == (0,)


# What the routes keep ---------------------------------------------------------------------------


def test_make_keeps_the_cross_rate_exactly_and_refuses_a_malformed_one(
    db: psycopg.Connection, player: str
) -> None:
    made(db, player, 100, "m-string", cross_rate="0.000012345678")
    made(db, player, 100, "m-number", cross_rate=None)
    request = p.make(player, 100, tx="m-json-number")
    request["transaction"]["cross_rate_euro"] = 1.0850
    assert call(db, "bet/make", request).status == 200
    kept = dict(
        db.execute("select make_transaction_id, cross_rate_euro from wallet_core.bets").fetchall()
    )
    assert kept == {
        "m-string": Decimal("0.000012345678"),
        "m-number": None,
        "m-json-number": Decimal("1.085"),
    }
    # the same rate by the fast and the slow reader (a numeric id sends a make the slow way)
    slow = p.make(player, 100, tx="m-slow", cross_rate="1.25")
    slow["transaction"]["player_id"] = 12345
    assert call(db, "bet/make", slow).status == 200
    assert db.execute(
        "select cross_rate_euro from wallet_core.bets where make_transaction_id = 'm-slow'"
    ).fetchone() == (Decimal("1.25"),)

    for bad in ("abc", "-1", "0", 0, "1e3", True, {"rate": 1}, "1.1234567890123"):
        request = p.make(player, 100, tx=f"m-bad-{bad!s}")
        request["transaction"]["cross_rate_euro"] = bad
        answer = call(db, "bet/make", request)
        assert answer.status == 400, bad
        assert answer.body["code"] == 2004
        assert answer.body["message"].startswith("transaction.cross_rate_euro: "), answer.body
        assert nothing_stored(db, f"m-bad-{bad!s}")


def test_a_bonus_make_keeps_its_cross_rate_too(db: psycopg.Connection, player: str) -> None:
    """A make naming a bonus is written by the same insert as any other: its rate is kept (the
    euro columns of the money report count it), and so is what the grant paid."""
    db.execute(
        "select wallet.grant_bonus(%s, 'EUR', 'rate-fb', 'freebet_freemoney', 600, null)", (player,)
    )
    made(db, player, 400, "m-bonus", bonus_id="rate-fb", cross_rate="1.0850")
    made(db, player, 300, "m-plain", cross_rate="0.5")
    kept = db.execute(
        "select make_transaction_id, cross_rate_euro, bonus_stake, stake from wallet_core.bets"
        " order by bet_id"
    ).fetchall()
    assert kept == [("m-bonus", Decimal("1.0850"), 400, 400), ("m-plain", Decimal("0.5"), 0, 300)]


def test_settlements_keep_rate_time_legs_and_odds_and_never_refuse_for_them(
    db: psycopg.Connection, player: str
) -> None:
    won = made(db, player, 1_000, "m-won")
    lost = made(db, player, 1_000, "m-lost")
    refunded = made(db, player, 1_000, "m-refunded")
    legs = [p.leg(1, "won", "1.85"), p.leg(2, "half-won", "1.5")]
    assert (
        call(
            db,
            "bet/win",
            p.win(
                player,
                won,
                1_850,
                tx="w",
                at=1767225100.5,
                cross_rate="1.0",
                legs=legs,
                odds="1.85",
            ),
        ).status
        == 200
    )
    # malformed: kept as null, the settlement flows
    junk = p.lost(player, lost, tx="l", at=None, cross_rate="x", odds="many")
    junk["transaction"]["timestamp"] = "yesterday"
    junk["selections"] = [
        p.leg(1, "lost"),
        "not a leg",
        {"id": {"x": 1}, "status": 7, "odds": "-2"},
    ]
    assert call(db, "bet/lost", junk).status == 200
    assert (
        call(db, "bet/refund", p.refund(player, refunded, 1_000, tx="r", cross_rate="0.5")).status
        == 200
    )
    assert (
        call(db, "bet/rollback", p.rollback(player, won, "w", tx="rb", at=1767225200)).status == 200
    )

    kept = {
        row["transaction_id"]: row
        for row in rows(db, "select * from wallet_core.bet_operations order by transaction_id")
    }
    assert set(kept) == {"w", "l", "r", "rb"}
    assert (kept["w"]["operation"], kept["w"]["amount"]) == ("win", 1_850)
    assert kept["w"]["cross_rate_euro"] == Decimal("1.0")
    assert kept["w"]["provider_at"] == datetime.fromtimestamp(1767225100.5, UTC)
    assert kept["w"]["final_odds"] == Decimal("1.85")
    assert kept["w"]["legs"] == [
        {"id": "sel-1", "event_id": "event-1", "status": "won", "odds": "1.85"},
        {"id": "sel-2", "event_id": "event-2", "status": "half-won", "odds": "1.5"},
    ]
    assert [kept["l"][k] for k in ("cross_rate_euro", "provider_at", "final_odds")] == [None] * 3
    assert kept["l"]["legs"] == [
        {"id": "sel-1", "event_id": "event-1", "status": "lost", "odds": "1.85"},
        {},
    ]
    assert (kept["r"]["result"], kept["r"]["legs"]) == ("refunded", None)
    assert kept["r"]["cross_rate_euro"] == Decimal("0.5")
    assert (kept["rb"]["operation"], kept["rb"]["result"], kept["rb"]["amount"]) == (
        "rollback",
        "won",
        1_850,
    )
    # a replay stores nothing twice
    assert call(db, "bet/win", p.win(player, won, 1_850, tx="w")).status == 200
    assert db.execute("select count(*) from wallet_core.bet_operations").fetchone() == (4,)


@pytest.mark.damages_ledger
def test_the_audit_finds_a_kept_operation_that_differs_from_its_journal_row(
    db: psycopg.Connection, player: str
) -> None:
    won = made(db, player, 1_000, "a-won")
    lost = made(db, player, 1_000, "a-lost")
    assert call(db, "bet/win", p.win(player, won, 1_500, tx="a-win")).status == 200
    assert call(db, "bet/lost", p.lost(player, lost, tx="a-lost-op")).status == 200
    assert call(db, "bet/rollback", p.rollback(player, won, "a-win", tx="a-rb")).status == 200
    assert db.execute("select * from wallet.audit()").fetchall() == []
    # what the real balance moved, as the books keep it, rewritten after the fact
    db.execute(
        "update wallet_core.bet_operations set credited = 1400 where transaction_id = 'a-win'"
    )
    db.execute(
        "update wallet_core.bet_operations set amount = 5, credited = 5"
        " where transaction_id = 'a-lost-op'"
    )
    findings = db.execute("select * from wallet.audit()").fetchall()
    assert sorted((check, detail.split(" of ")[0]) for check, _, detail in findings) == [
        ("books_vs_journal", "lost a-lost-op"),
        ("books_vs_journal", "win a-win"),
    ]
    assert all(player_id == player for _, player_id, _ in findings)


# The money report -------------------------------------------------------------------------------


def test_money_report_per_currency_and_in_euros(db: psycopg.Connection) -> None:
    db.execute(
        "select wallet.create_player('a', 'EUR', 100000), wallet.create_player('b', 'EUR', 100000)"
    )
    db.execute(
        "select wallet.create_player('a', 'USD', 100000), wallet.create_player('c', 'BTC', 100000)"
    )
    e1 = made(db, "a", 1_000, "e1", cross_rate="1")
    # EUR without a rate: 1; a free bet, its whole stake from the grant: the bonus cost
    db.execute("select wallet.grant_bonus('b', 'EUR', 'fb-e2', 'freebet_freemoney', 2000, null)")
    e2 = made(db, "b", 2_000, "e2", bonus_id="fb-e2")
    made(db, "b", 500, "e3")  # discarded below: not a stake
    u1 = made(db, "a", 1_000, "u1", currency="USD", cross_rate="0.9")
    u2 = made(db, "a", 3_000, "u2", currency="USD", cross_rate="0.8")
    made(db, "c", 700, "c1", currency="BTC")  # no rate anywhere: unconverted
    assert call(db, "bet/discard", p.discard("b", "e3")).status == 200
    assert call(db, "bet/win", p.win("a", e1, 2_500, tx="e1-win", cross_rate="1")).status == 200
    assert call(db, "bet/lost", p.lost("b", e2, tx="e2-lost")).status == 200
    assert (
        call(
            db, "bet/refund", p.refund("a", u1, 1_000, currency="USD", tx="u1-r", cross_rate="0.95")
        ).status
        == 200
    )
    # a win without its own rate takes its bet's (0.8), then is rolled back at 0.7
    assert call(db, "bet/win", p.win("a", u2, 5_000, currency="USD", tx="u2-w")).status == 200
    assert (
        call(db, "bet/rollback", p.rollback("a", u2, "u2-w", tx="u2-rb", cross_rate="0.7")).status
        == 200
    )

    report = {
        row["currency"]: row
        for row in rows(db, "select * from wallet.money_report(%s, %s)", *window(db))
    }
    assert list(report) == ["BTC", "EUR", "USD", "ALL"]
    eur, usd, btc, total = report["EUR"], report["USD"], report["BTC"], report["ALL"]
    assert (eur["stakes"], eur["wins"], eur["refunds"], eur["rollbacks"], eur["bonus_cost"]) == (
        3_000,
        2_500,
        0,
        0,
        2_000,
    )
    assert (eur["ggr"], eur["bets"], eur["players"], eur["unconverted"]) == (500, 2, 2, 0)
    assert (eur["stakes_eur"], eur["ggr_eur"], eur["bonus_cost_eur"]) == (3_000, 500, 2_000)
    assert (usd["stakes"], usd["wins"], usd["refunds"], usd["rollbacks"]) == (
        4_000,
        5_000,
        1_000,
        5_000,
    )
    assert usd["ggr"] == 4_000 - 5_000 - 1_000 + 5_000
    assert usd["stakes_eur"] == 1_000 * Decimal("0.9") + 3_000 * Decimal("0.8")
    assert usd["wins_eur"] == 5_000 * Decimal("0.8")
    assert (usd["refunds_eur"], usd["rollbacks_eur"]) == (950, 3_500)
    assert usd["ggr_eur"] == 3_300 - 4_000 - 950 + 3_500
    assert (btc["stakes"], btc["ggr"], btc["unconverted"], btc["stakes_eur"]) == (700, 700, 1, 0)
    assert (total["stakes"], total["ggr"]) == (None, None)
    assert (total["bets"], total["players"], total["unconverted"]) == (5, 3, 1)
    assert total["stakes_eur"] == 3_000 + 3_300
    assert total["ggr_eur"] == 500 + (3_300 - 4_000 - 950 + 3_500)

    # outside the window: nothing but the ALL row
    later = rows(
        db, "select * from wallet.money_report(now() + interval '1 day', now() + interval '2 days')"
    )
    assert [(r["currency"], r["bets"], r["stakes_eur"]) for r in later] == [("ALL", 0, 0)]


@pytest.mark.parametrize("function", ["money_report", "reconcile"])
def test_reports_refuse_an_empty_window(db: psycopg.Connection, function: str) -> None:
    for start, end in (("now()", "now()"), ("now()", "now() - interval '1 s'"), ("null", "now()")):
        with pytest.raises(psycopg.Error) as raised:
            db.execute(f"select * from wallet.{function}({start}, {end})")
        assert raised.value.sqlstate == "WA204"


# Reconciliation ---------------------------------------------------------------------------------


def file_row(**row: Any) -> dict[str, Any]:
    return {"bet_state": None, "cross_rate_euro": None, **row}


def load(db: psycopg.Connection, report: list[dict[str, Any]]) -> None:
    columns = (
        "transaction_id, operation, player_id, amount, currency, created_at, make_transaction_id,"
        " bet_state, cross_rate_euro"
    )
    with (
        db.cursor() as cur,
        cur.copy(f"copy wallet.provider_report ({columns}) from stdin") as copy,
    ):
        for r in report:
            copy.write_row(
                [
                    r["transaction_id"],
                    r["operation"],
                    r["player_id"],
                    r["amount"],
                    r["currency"],
                    r["created_at"],
                    r["make_transaction_id"],
                    r["bet_state"],
                    r["cross_rate_euro"],
                ]
            )


def test_reconcile_finds_each_kind_of_difference_and_ignores_the_edges(
    db: psycopg.Connection, player: str
) -> None:
    bet = made(db, player, 1_000, "m1")
    made(db, player, 500, "m2")
    made(db, player, 300, "m3")
    assert call(db, "bet/win", p.win(player, bet, 1_850, tx="w1")).status == 200
    now = db.execute("select now()").fetchone()[0]  # type: ignore[index]
    good = [
        file_row(
            transaction_id="m1",
            operation="bet",
            player_id=player,
            amount=1_000,
            currency="EUR",
            created_at=now,
            make_transaction_id="m1",
            bet_state="won",
        ),
        file_row(
            transaction_id="m2",
            operation="bet",
            player_id=player,
            amount=500,
            currency="EUR",
            created_at=now,
            make_transaction_id="m2",
            bet_state="open",
        ),
        file_row(
            transaction_id="m3",
            operation="bet",
            player_id=player,
            amount=300,
            currency="EUR",
            created_at=now,
            make_transaction_id="m3",
            bet_state="open",
        ),
        file_row(
            transaction_id="w1",
            operation="win",
            player_id=player,
            amount=1_850,
            currency="EUR",
            created_at=now + timedelta(seconds=40),
            make_transaction_id="m1",
        ),
    ]
    load(db, good)
    inside = (now - HOUR, now + HOUR)
    assert rows(db, "select * from wallet.reconcile(%s, %s)", *inside) == []

    db.execute("delete from wallet.provider_report")
    damaged = [dict(r) for r in good if r["transaction_id"] != "m3"]  # a missing row
    damaged[1]["amount"] = 501  # m2: another amount
    damaged[1]["currency"] = "USD"  # and another currency
    damaged[0]["bet_state"] = "lost"  # m1: another state
    damaged[2]["operation"] = "refund"  # w1: another operation
    damaged.append(  # an extra row
        file_row(
            transaction_id="x1",
            operation="win",
            player_id=player,
            amount=10,
            currency="EUR",
            created_at=now,
            make_transaction_id="m2",
        )
    )
    # one-sided within 5 minutes of an edge: not a difference
    damaged.append(
        file_row(
            transaction_id="edge",
            operation="bet",
            player_id=player,
            amount=10,
            currency="EUR",
            created_at=now + HOUR - timedelta(minutes=4),
            make_transaction_id="edge",
            bet_state="open",
        )
    )
    load(db, damaged)
    found = {
        (r["difference"], r["transaction_id"])
        for r in rows(db, "select * from wallet.reconcile(%s, %s)", *inside)
    }
    assert found == {
        ("missing_in_provider", "m3"),
        ("amount", "m2"),
        ("currency", "m2"),
        ("bet_state", "m1"),
        ("operation", "w1"),
        ("missing_in_wallet", "x1"),
    }
    # ... and when the edge is 6 minutes away, it is one
    later = (now - HOUR, now + HOUR + timedelta(minutes=2))
    found = {
        (r["difference"], r["transaction_id"])
        for r in rows(db, "select * from wallet.reconcile(%s, %s)", *later)
    }
    assert ("missing_in_wallet", "edge") in found
    # the wallet's m3 within 5 minutes of the start of a window: not a difference there
    start = (now - timedelta(minutes=3), now + HOUR)
    found = {
        (r["difference"], r["transaction_id"])
        for r in rows(db, "select * from wallet.reconcile(%s, %s)", *start)
    }
    assert ("missing_in_provider", "m3") not in found
    assert ("amount", "m2") in found  # a pair that differs is a difference anywhere in the window


def test_provider_report_refuses_what_is_not_a_provider_row(db: psycopg.Connection) -> None:
    ok = file_row(
        transaction_id="t",
        operation="bet",
        player_id="p",
        amount=1,
        currency="EUR",
        created_at=datetime.now(UTC),
        make_transaction_id="t",
        bet_state="open",
    )
    for change in (
        {"operation": "deposit"},
        {"amount": -1},
        {"bet_state": None},
        {"bet_state": "maybe"},
        {"make_transaction_id": "other"},
        {"cross_rate_euro": 0},
    ):
        with pytest.raises(psycopg.errors.CheckViolation):
            load(db, [{**ok, **change}])
    load(db, [ok])
    with pytest.raises(psycopg.errors.UniqueViolation):
        load(db, [ok])


# A player's history ------------------------------------------------------------------------------


def test_player_bets_pages_newest_first_with_legs_and_what_each_paid(
    db: psycopg.Connection, player: str
) -> None:
    db.execute("select wallet.create_player(%s, 'USD', 100000)", (player,))
    db.execute(
        "select wallet.grant_bonus(%s, 'EUR', 'b-1', 'freebet_freemoney', 500, null)", (player,)
    )
    ids = []
    for n in range(7):
        currency = "USD" if n % 3 == 0 else "EUR"
        selections = [p.selection(1), p.selection(2)]
        bonus = {"bonus_id": "b-1"} if n == 4 else {}
        ids.append(
            int(
                made(
                    db, player, 100 + n, f"h{n}", currency=currency, selections=selections, **bonus
                )
            )
        )
    assert call(db, "bet/discard", p.discard(player, "never-made")).status == 200  # a marker
    legs = [p.leg(1, "won", "1.9"), p.leg(2, "half-won", "1.4")]
    assert (
        call(
            db, "bet/win", p.win(player, str(ids[1]), 500, tx="h1-w", legs=legs, odds="2.66")
        ).status
        == 200
    )
    assert call(db, "bet/discard", p.discard(player, "h2")).status == 200

    seen: list[dict[str, Any]] = []
    before = None
    for _ in range(4):
        page = rows(db, "select * from wallet.player_bets(%s, %s, 3)", player, before)
        if not page:
            break
        seen.extend(page)
        before = page[-1]["bet_id"]
    assert [b["bet_id"] for b in seen] == sorted(ids, reverse=True)
    by_id = {b["bet_id"]: b for b in seen}
    won = by_id[ids[1]]
    assert (won["state"], won["result"], won["stake"], won["paid"], won["final_odds"]) == (
        "settled",
        "won",
        101,
        500,
        Decimal("2.66"),
    )
    assert [
        (leg["selection_id"], leg["odds"], leg["status"], leg["final_odds"]) for leg in won["legs"]
    ] == [
        ("sel-1", "1.85", "won", "1.9"),
        ("sel-2", "1.85", "half-won", "1.4"),
    ]
    assert [o["transaction_id"] for o in won["operations"]] == ["h1-w"]
    assert (by_id[ids[2]]["state"], by_id[ids[2]]["paid"]) == ("discarded", 0)
    assert (by_id[ids[4]]["bonus_id"], by_id[ids[4]]["bonus_stake"]) == ("b-1", 104)
    assert (by_id[ids[0]]["currency"], by_id[ids[0]]["operations"]) == ("USD", None)
    assert rows(db, "select * from wallet.player_bets(%s, %s)", player, min(ids)) == []

    for args, sqlstate in (
        (("nobody", None, 50), "WA006"),
        ((player, None, 0), "WA204"),
        ((player, None, 1001), "WA204"),
    ):
        with pytest.raises(psycopg.Error) as raised:
            db.execute("select * from wallet.player_bets(%s, %s, %s)", args)
        assert raised.value.sqlstate == sqlstate


def test_player_statement_is_the_journal_in_order_with_each_balance(
    db: psycopg.Connection, player: str
) -> None:
    bet = made(db, player, 1_000, "s1")
    assert call(db, "bet/win", p.win(player, bet, 3_000, tx="s1-w")).status == 200
    db.execute("select wallet.adjust_balance(%s, 'EUR', -500, 'cash out at the desk')", (player,))
    lines = rows(
        db, "select * from wallet.player_statement(%s, 'EUR', %s, %s)", player, *window(db)
    )
    assert [
        (r["operation"], r["amount"], r["balance_after"], r["transaction_id"]) for r in lines
    ] == [
        ("deposit", 100_000, 100_000, None),
        ("bet", -1_000, 99_000, "s1"),
        ("win", 3_000, 102_000, "s1-w"),
        ("withdrawal", -500, 101_500, None),
    ]
    assert lines[-1]["reason"] == "cash out at the desk"
    for args, sqlstate in (((player, "USD"), "WA202"), (("nobody", "EUR"), "WA006")):
        with pytest.raises(psycopg.Error) as raised:
            db.execute(
                "select * from wallet.player_statement(%s, %s, now() - interval '1 h', now())", args
            )
        assert raised.value.sqlstate == sqlstate


def page_query(source: str) -> str:
    """The page's query in wallet.player_bets' source, between its two markers."""
    return source.split("-- page query begins", 1)[1].split("-- page query ends", 1)[0]


def page_plan(db: psycopg.Connection, player: str, before: int | None, page: int) -> dict[str, Any]:
    """EXPLAIN (ANALYZE) of wallet.player_bets' own query (the text between its markers,
    prepared with its three parameters), generic plan: what the function runs."""
    row = db.execute(
        "select prosrc from pg_proc where oid = 'wallet.player_bets'::regproc"
    ).fetchone()
    assert row is not None
    db.execute("set plan_cache_mode = force_generic_plan")
    db.execute(f"prepare page_query (text, bigint, integer) as {page_query(row[0])}")
    try:
        # EXPLAIN takes no parameters: the arguments go in as literals
        arguments = psycopg.sql.SQL(", ").join(map(psycopg.sql.Literal, (player, before, page)))
        plan = db.execute(
            psycopg.sql.SQL(
                "explain (analyze, buffers, format json) execute page_query ({})"
            ).format(arguments)
        ).fetchone()
    finally:
        db.execute("deallocate page_query")
        db.execute("reset plan_cache_mode")
    assert plan is not None
    return plan[0][0]["Plan"]  # type: ignore[no-any-return]


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in nodes(child))]


def test_player_bets_reads_an_index_newest_first_and_sorts_no_history(
    db: psycopg.Connection, player: str
) -> None:
    db.execute("select wallet.create_player(%s, 'USD', 0)", (player,))
    # 30,000 bets in bulk (the plan, not the route, is under test): 3,000 of them the player's,
    # the others of a crowd of 200 players
    db.execute(
        "insert into wallet_core.accounts (player_id, currency, balance)"
        " select 'other-' || n, 'EUR', 0 from generate_series(1, 200) as n"
    )
    db.execute(
        """
        insert into wallet_core.bets (bet_id, account_id, make_transaction_id, made, state, stake)
        select n,
            case when n %% 10 = 0
                then (select account_id from wallet_core.accounts
                      where player_id = %s and currency = 'EUR')
                else (select min(account_id) from wallet_core.accounts
                      where player_id like 'other-%%') + n %% 200
            end,
            'bulk-' || n, true, 'open', 0
        from generate_series(1, 30000) as n
        """,
        (player,),
    )
    db.execute(
        """
        insert into wallet_core.journal (account_id, operation, amount, balance_after, bet_id)
        select b.account_id, 'bet', 0, a.balance, b.bet_id
        from wallet_core.bets as b join wallet_core.accounts as a on a.account_id = b.account_id
        order by b.bet_id
        """
    )
    db.execute("analyze wallet_core.bets")
    for before in (None, 15_000):
        plan = page_plan(db, player, before, 50)
        scans = [n for n in nodes(plan) if n.get("Relation Name") == "bets"]
        assert scans
        assert all(
            n["Node Type"] == "Index Scan"
            and n["Index Name"] == "bets_account_bet_idx"
            and n["Scan Direction"] == "Backward"
            for n in scans
        ), json.dumps(plan, indent=1)
        # a sort, if any, sorts one page per account, never the history
        for node in nodes(plan):
            if node["Node Type"] == "Sort":
                assert node["Actual Rows"] <= 2 * 50, json.dumps(plan, indent=1)
        assert plan["Actual Rows"] == 50


# wallet_support --------------------------------------------------------------------------------

READS = {
    "balance",
    "money_report",
    "player_bets",
    "player_statement",
    "reconcile",
}


def wallet_routines(db: psycopg.Connection) -> list[tuple[str, str, str, list[str], bool]]:
    """Every function and procedure of schema wallet: name, kind, volatility, argument types,
    whether wallet_support may execute it."""
    return [
        (name, kind, volatility, list(types), may)
        for name, kind, volatility, types, may in db.execute(
            """
            select p.proname, p.prokind, p.provolatile,
                array(select format_type(t, null) from unnest(p.proargtypes::oid[]) as t),
                has_function_privilege('wallet_support', p.oid, 'execute')
            from pg_proc as p
            where p.pronamespace = 'wallet'::regnamespace
            order by p.proname
            """
        ).fetchall()
    ]


def test_wallet_support_reads_and_every_other_function_is_refused(
    db: psycopg.Connection, player: str
) -> None:
    routines = wallet_routines(db)
    assert len(routines) > 30  # the routes, the DBA functions, the relay's, the reports ...
    allowed = {name for name, _, _, _, may in routines if may}
    assert allowed == READS
    # what support may call writes nothing: no volatile function among them
    assert all(volatility != "v" for name, _, volatility, _, may in routines if may)

    refused = 0
    db.execute("set role wallet_support")
    try:
        for name, kind, _, types, may in routines:
            if may:
                continue
            nulls = ", ".join(f"null::{t}" for t in types)
            sql = (
                f"call wallet.{name}({nulls})" if kind == "p" else f"select wallet.{name}({nulls})"
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                db.execute(sql)
            refused += 1
        # the tables: neither read nor write
        for sql in (
            "select * from wallet_core.accounts",
            "select * from wallet.provider_report",
            "insert into wallet.provider_report (transaction_id) values ('x')",
            "select * from wallet.events",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                db.execute(sql)

        # what it may call, it may call, in a read-only transaction
        db.execute("begin transaction isolation level repeatable read read only")
        assert db.execute("select wallet.balance(%s, 'EUR')", (player,)).fetchone() == (100_000,)
        db.execute("select * from wallet.money_report(now() - interval '1 day', now())")
        db.execute("select * from wallet.reconcile(now() - interval '1 day', now())")
        db.execute("select * from wallet.player_bets(%s)", (player,))
        db.execute(
            "select * from wallet.player_statement(%s, 'EUR', now() - interval '1 day', now())",
            (player,),
        )
        db.execute("commit")
    finally:
        if db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            db.execute("rollback")
        db.execute("reset role")
    assert refused == len(routines) - len(READS)
    # the writing routes are among the refused, by construction of the catalog's list
    assert {"bet_make", "adjust_balance", "set_limit"} <= {r[0] for r in routines} - READS


def test_the_catalog_list_covers_a_new_writing_function(db: psycopg.Connection) -> None:
    """A function added later to schema wallet is in the catalog's list: if its file forgot
    ``revoke all ... from public``, wallet_support could call it and the test above fails on
    ``allowed == READS``; with the revoke, wallet_support is refused."""
    db.execute("set role wallet_owner")
    db.execute("create function wallet.someday_writes() returns void language sql as 'select'")
    db.execute("reset role")
    assert [r[4] for r in wallet_routines(db) if r[0] == "someday_writes"] == [True]
    db.execute("revoke all on function wallet.someday_writes() from public")
    assert [r[4] for r in wallet_routines(db) if r[0] == "someday_writes"] == [False]
    db.execute("set role wallet_support")
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("select wallet.someday_writes()")
    finally:
        db.execute("reset role")
    db.execute("drop function wallet.someday_writes()")


def test_reports_run_beside_a_make_holding_its_account_lock(
    db: psycopg.Connection, db_url: str, player: str
) -> None:
    """The reports take no lock an account's writers hold: with a make's transaction open (its
    account row locked), they answer at once."""
    made(db, player, 100, "before")
    with psycopg.connect(db_url) as writer:
        writer.execute(
            "select * from wallet.bet_make(%s::jsonb)",
            (json.dumps(p.make(player, 100, tx="held")),),
        )
        db.execute("set lock_timeout = '1s'")
        try:
            start, end = window(db)
            db.execute("select * from wallet.money_report(%s, %s)", (start, end))
            db.execute("select * from wallet.reconcile(%s, %s)", (start, end))
            db.execute("select * from wallet.player_bets(%s)", (player,))
            db.execute(
                "select * from wallet.player_statement(%s, 'EUR', %s, %s)", (player, start, end)
            )
        finally:
            db.execute("reset lock_timeout")
        writer.rollback()


def test_the_page_query_is_what_player_bets_runs(db: psycopg.Connection) -> None:
    """The plan test prepares the text between the markers of wallet.player_bets: it must be
    the whole of what the function returns, written with $1..$3 only."""
    row = db.execute(
        "select prosrc from pg_proc where oid = 'wallet.player_bets'::regproc"
    ).fetchone()
    assert row is not None
    source = row[0]
    query = page_query(source)
    assert set(re.findall(r"\$(\d)", query)) == {"1", "2", "3"}
    between = source.split("return query", 1)[1]
    assert between.split("-- page query begins", 1)[0].strip() == ""
    assert between.split("-- page query ends", 1)[1].split("end", 1)[0].strip() == ";"
