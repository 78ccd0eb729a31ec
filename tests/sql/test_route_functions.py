"""The life of a bet, route by route, from the SQL interface: every error code, every balance.

Each route function is called exactly as the service calls it (one statement), and every refusal
is checked for its code and for writing nothing it should not.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import psycopg
import pytest

from tests.support import provider as p
from tests.support.database import audit_findings, ledger_counts
from tests.support.provider import call


@pytest.fixture
def eur(db: psycopg.Connection) -> psycopg.Connection:
    """Players alice (10 000 EUR), bob (5 000 EUR and 300 USDT) and carol (blocked)."""
    db.execute("select wallet.create_player('alice', 'EUR', 10000)")
    db.execute("select wallet.create_player('bob', 'EUR', 5000)")
    db.execute("select wallet.create_player('bob', 'USDT', 300)")
    db.execute("select wallet.create_player('carol', 'EUR', 1000)")
    db.execute("select wallet.block_player('carol')")
    return db


def balance_of(conn: psycopg.Connection, player: str, currency: str = "EUR") -> int:
    return conn.execute("select wallet.balance(%s, %s)", [player, currency]).fetchone()[0]


def refused(conn: psycopg.Connection, route: str, request: dict, code: int) -> p.Answer:
    """Call a route that must be refused with ``code`` and must leave the ledger as it was."""
    before = ledger_counts(conn)
    answer = call(conn, route, request)
    assert (answer.status, answer.code) == (400, code), answer.text
    after = ledger_counts(conn)
    # A stored refusal adds its idempotency row and nothing else.
    before.pop("idempotency")
    after.pop("idempotency")
    assert after == before
    assert audit_findings(conn) == []
    return answer


def test_balance(eur: psycopg.Connection) -> None:
    answer = call(eur, "balance", p.balance("bob", "USDT"))
    assert answer.status == 200
    assert answer.body == {"user_id": "bob", "currency": "USDT", "balance": 300}
    assert (
        call(eur, "balance", p.balance("carol")).body["balance"] == 1000
    )  # blocked: still answered
    refused(eur, "balance", p.balance("nobody"), 1006)
    refused(eur, "balance", p.balance("alice", "USD"), 2002)
    refused(eur, "balance", p.balance("alice", "eur"), 2002)
    refused(eur, "balance", {"player_id": "alice"}, 2004)


def test_make_commit_win_settlement(eur: psycopg.Connection) -> None:
    make = p.make("alice", 1000)
    answer = call(eur, "bet/make", make)
    assert answer.status == 200
    bet = answer.body
    assert bet["operation"] == "bet"
    assert bet["amount"] == 1000
    assert bet["balance"] == 9000
    assert bet["user_id"] == "alice"
    assert bet["currency"] == "EUR"
    assert bet["ext_transaction_id"] == make["transaction"]["id"]
    assert bet["parent_transaction_id"] is None
    bet_id = bet["id"]

    committed = call(eur, "bet/commit", p.commit(bet_id))
    assert committed.status == 200
    assert committed.body["operation"] == "commit"
    assert committed.body["amount"] == 0
    assert committed.body["balance"] == 9000
    assert committed.body["parent_transaction_id"] == bet_id
    assert committed.body["ext_transaction_id"] == make["transaction"]["id"]
    assert call(eur, "bet/commit", p.commit(bet_id)).text == committed.text  # same key replays

    won = call(eur, "bet/win", p.win("alice", bet_id, 1850))
    assert won.status == 200
    assert (won.body["operation"], won.body["amount"], won.body["balance"]) == ("win", 1850, 10850)
    assert won.body["parent_transaction_id"] == bet_id

    closed = call(eur, "bet/settlement", p.settlement(bet_id, "won"))
    assert closed.status == 200
    assert (closed.body["operation"], closed.body["amount"], closed.body["balance"]) == (
        "settlement",
        0,
        10850,
    )
    # the same key with another status is 2004; closed bets cannot be rolled back or re-settled
    refused(eur, "bet/settlement", p.settlement(bet_id, "lost"), 2004)
    refused(eur, "bet/rollback", p.rollback("alice", bet_id, won.body["ext_transaction_id"]), 2004)
    refused(eur, "bet/lost", p.lost("alice", bet_id), 2004)
    assert balance_of(eur, "alice") == 10850

    stored = eur.execute(
        "select b.state, b.closing_status, b.odds::text,"
        " s.sport_id, s.odds::text, s.competitor_names from wallet_core.bets b"
        " cross join unnest(wallet_core.bet_legs(b.legs_packed, b.legs)) s where b.bet_id = %s",
        [int(bet_id)],
    ).fetchone()
    assert stored == ("closed", "won", "1.85", "1", "1.85", ["Home", "Away"])


def test_make_refusals(eur: psycopg.Connection) -> None:
    refused(eur, "bet/make", p.make("nobody", 100), 1006)
    refused(eur, "bet/make", p.make("alice", 100, currency="USD"), 2002)
    refused(eur, "bet/make", p.make("carol", 100), 1005)
    refused(eur, "bet/make", p.make("alice", 10001), 2001)
    assert balance_of(eur, "alice") == 10000
    # the whole balance may be staked
    assert call(eur, "bet/make", p.make("alice", 10000)).body["balance"] == 0


def test_make_refused_for_funds_stays_refused_after_deposit(eur: psycopg.Connection) -> None:
    make = p.make("bob", 6000)
    first = refused(eur, "bet/make", make, 2001)
    eur.execute("select wallet.adjust_balance('bob', 'EUR', 5000, 'cashier deposit')")
    again = call(eur, "bet/make", make)
    assert again.text == first.text
    assert balance_of(eur, "bob") == 10000


def test_malformed_make_is_not_stored(eur: psycopg.Connection) -> None:
    make = p.make("alice", 500)
    broken = {**make, "amount": 500.0}
    answer = refused(eur, "bet/make", broken, 2004)
    assert "amount" in answer.body["message"]
    assert eur.execute("select count(*) from wallet_core.idempotency").fetchone()[0] == 0
    # the same id sent again correctly is processed normally
    assert call(eur, "bet/make", make).body["balance"] == 9500


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r.update(amount="500"), "amount"),
        (lambda r: r.update(amount=True), "amount"),
        (lambda r: r.update(amount=-5), "amount"),
        (lambda r: r.update(amount=10**16), "amount"),
        (lambda r: r["transaction"].update(amount=499), "transaction.amount"),
        (lambda r: r["betslip"].update(sum=499), "betslip.sum"),
        (lambda r: r["transaction"].update(ext_player_id="bob"), "transaction.ext_player_id"),
        (lambda r: r["transaction"].update(id=""), "transaction.id"),
        (lambda r: r["transaction"].update(id="x" * 129), "transaction.id"),
        (lambda r: r["transaction"].update(id=1.5), "transaction.id"),
        (lambda r: r["transaction"].update(id=-1), "transaction.id"),
        (lambda r: r["transaction"].update(operation="win"), "transaction.operation"),
        (lambda r: r["betslip"].update(bets=[]), "betslip.bets"),
        (lambda r: r["betslip"]["bets"][0].update(odds="1,85"), "betslip.bets[0].odds"),
        (lambda r: r["betslip"]["bets"][0].pop("sport_id"), "betslip.bets[0].sport_id"),
        (lambda r: r["betslip"].update(k=None), "betslip.k"),
        (lambda r: r.update(potential_win=1.5), "potential_win"),
        (lambda r: r.pop("player_id"), "player_id"),
    ],
)
def test_make_field_errors_name_the_field(eur: psycopg.Connection, mutate, field: str) -> None:
    make = p.make("alice", 500)
    mutate(make)
    answer = refused(eur, "bet/make", make, 2004)
    assert answer.body["message"].startswith(field + ":"), answer.body["message"]
    assert eur.execute("select count(*) from wallet_core.idempotency").fetchone()[0] == 0


def test_numeric_ids_are_their_decimal_text(eur: psycopg.Connection) -> None:
    make = p.make("alice", 100, tx="123")
    make["transaction"]["id"] = 123
    first = call(eur, "bet/make", make)
    assert first.body["ext_transaction_id"] == "123"
    make["transaction"]["id"] = "123"
    assert call(eur, "bet/make", make).text == first.text
    assert balance_of(eur, "alice") == 9900


def test_quotes_and_unicode_are_ordinary(eur: psycopg.Connection) -> None:
    tx = "it's; drop table x; -- «ставка» 🎲"
    answer = call(eur, "bet/make", p.make("alice", 100, tx=tx))
    assert answer.status == 200
    assert answer.body["ext_transaction_id"] == tx


def test_replay_is_byte_identical_and_reuse_is_2004(eur: psycopg.Connection) -> None:
    make = p.make("alice", 700)
    first = call(eur, "bet/make", make)
    before = ledger_counts(eur)
    assert call(eur, "bet/make", make).text == first.text
    assert ledger_counts(eur) == before

    other = p.make("alice", 701, tx=make["transaction"]["id"])
    refused(eur, "bet/make", other, 2004)
    # a win reusing the make's transaction id is another operation with that key
    refused(eur, "bet/win", p.win("alice", first.body["id"], 5, tx=make["transaction"]["id"]), 2004)
    assert call(eur, "bet/make", make).text == first.text


def test_discard_of_open_bet_returns_stake(eur: psycopg.Connection) -> None:
    make = p.make("alice", 2500)
    bet_id = call(eur, "bet/make", make).body["id"]
    answer = call(eur, "bet/discard", p.discard("alice", make["transaction"]["id"]))
    assert answer.status == 200
    assert answer.body["operation"] == "discard"
    assert answer.body["amount"] == 2500
    assert answer.body["balance"] == 10000
    assert answer.body["parent_transaction_id"] == bet_id
    assert answer.body["ext_transaction_id"] == make["transaction"]["id"]
    # replay; and no later commit, win or second discard with another player
    assert (
        call(eur, "bet/discard", p.discard("alice", make["transaction"]["id"])).text == answer.text
    )
    refused(eur, "bet/commit", p.commit(bet_id), 2004)
    refused(eur, "bet/win", p.win("alice", bet_id, 10), 2004)
    assert balance_of(eur, "alice") == 10000


def test_discard_before_make_leaves_a_marker(eur: psycopg.Connection) -> None:
    make = p.make("alice", 400)
    answer = call(eur, "bet/discard", p.discard("alice", make["transaction"]["id"]))
    assert answer.status == 200
    assert (answer.body["amount"], answer.body["balance"]) == (0, 10000)
    assert answer.body["parent_transaction_id"] is None
    first = refused(eur, "bet/make", make, 2004)
    assert call(eur, "bet/make", make).text == first.text
    assert balance_of(eur, "alice") == 10000


def test_discard_refusals(eur: psycopg.Connection) -> None:
    refused(eur, "bet/discard", p.discard("nobody", "whatever"), 1006)
    make = p.make("alice", 100)
    bet_id = call(eur, "bet/make", make).body["id"]
    refused(eur, "bet/discard", p.discard("bob", make["transaction"]["id"]), 2004)
    call(eur, "bet/commit", p.commit(bet_id))
    refused(eur, "bet/discard", p.discard("alice", make["transaction"]["id"]), 2004)
    refused(eur, "bet/discard", {"ext_player_id": "alice"}, 2004)


def test_commit_refusals(eur: psycopg.Connection) -> None:
    refused(eur, "bet/commit", p.commit("999999"), 2003)
    refused(eur, "bet/commit", p.commit("not-a-wallet-id"), 2003)
    refused(eur, "bet/commit", {}, 2004)
    bet_id = call(eur, "bet/make", p.make("alice", 100)).body["id"]
    call(eur, "bet/lost", p.lost("alice", bet_id))  # settled straight from open
    refused(eur, "bet/commit", p.commit(bet_id), 2004)


def test_unknown_bet_is_2003_and_not_stored(eur: psycopg.Connection) -> None:
    request = p.win("alice", "424242", 100)
    refused(eur, "bet/win", request, 2003)
    assert eur.execute("select count(*) from wallet_core.idempotency").fetchone()[0] == 0
    refused(eur, "bet/lost", p.lost("alice", "424242"), 2003)
    refused(eur, "bet/refund", p.refund("alice", "424242", 1), 2003)
    refused(eur, "bet/rollback", p.rollback("alice", "424242", "w"), 2003)
    refused(eur, "bet/settlement", p.settlement("424242"), 2003)


def test_win_refusals(eur: psycopg.Connection) -> None:
    bet_id = call(eur, "bet/make", p.make("bob", 1000)).body["id"]
    refused(eur, "bet/win", p.win("nobody", bet_id, 10), 1006)
    refused(eur, "bet/win", p.win("alice", bet_id, 10), 2004)  # another player's bet
    refused(eur, "bet/win", p.win("bob", bet_id, 10, currency="USDT"), 2002)
    refused(eur, "bet/win", p.win("bob", bet_id, 10, currency="E"), 2002)
    mismatch = p.win("bob", bet_id, 10)
    mismatch["amount"] = 11
    refused(eur, "bet/win", mismatch, 2004)
    call(eur, "bet/win", p.win("bob", bet_id, 3000, cashout=True))
    refused(eur, "bet/win", p.win("bob", bet_id, 3000), 2004)  # already settled
    assert balance_of(eur, "bob") == 7000
    state = eur.execute(
        "select state, result from wallet_core.bets where bet_id = %s", [int(bet_id)]
    ).fetchone()
    assert state == ("settled", "cashed_out")


def test_settlements_reach_blocked_players(eur: psycopg.Connection) -> None:
    bet_id = call(eur, "bet/make", p.make("alice", 1000)).body["id"]
    eur.execute("select wallet.block_player('alice')")
    refused(eur, "bet/make", p.make("alice", 1), 1005)
    assert call(eur, "bet/win", p.win("alice", bet_id, 2000)).body["balance"] == 11000
    eur.execute("select wallet.unblock_player('alice')")
    assert call(eur, "bet/make", p.make("alice", 1)).status == 200


def test_lost_and_refund(eur: psycopg.Connection) -> None:
    lost_bet = call(eur, "bet/make", p.make("alice", 1000)).body["id"]
    nonzero = p.lost("alice", lost_bet)
    nonzero["amount"] = 5
    refused(eur, "bet/lost", nonzero, 2004)
    lost = call(eur, "bet/lost", p.lost("alice", lost_bet))
    assert (lost.body["operation"], lost.body["amount"], lost.body["balance"]) == ("lost", 0, 9000)

    refund_bet = call(eur, "bet/make", p.make("alice", 1000)).body["id"]
    refused(eur, "bet/refund", p.refund("alice", refund_bet, 1001), 2004)  # more than the stake
    refunded = call(eur, "bet/refund", p.refund("alice", refund_bet, 1000))
    assert (refunded.body["operation"], refunded.body["amount"]) == ("refund", 1000)
    assert refunded.body["balance"] == 9000
    refused(eur, "bet/refund", p.refund("alice", refund_bet, 1000), 2004)  # already refunded
    missing = p.refund("alice", refund_bet, 10)
    del missing["transaction"]["amount"]
    refused(eur, "bet/refund", missing, 2004)


def test_rollback_of_win_then_new_settlement(eur: psycopg.Connection) -> None:
    bet_id = call(eur, "bet/make", p.make("alice", 1000)).body["id"]
    call(eur, "bet/commit", p.commit(bet_id))
    win = p.win("alice", bet_id, 3000)
    call(eur, "bet/win", win)
    win_tx = win["transaction"]["id"]
    assert balance_of(eur, "alice") == 12000

    refused(eur, "bet/rollback", p.rollback("alice", bet_id, "not-the-win"), 2004)
    refused(eur, "bet/rollback", p.rollback("alice", bet_id, win_tx, amount=2999), 2004)
    refused(eur, "bet/rollback", p.rollback("alice", bet_id, win_tx, currency="USDT"), 2002)
    refused(eur, "bet/rollback", p.rollback("bob", bet_id, win_tx), 2004)
    rolled = call(eur, "bet/rollback", p.rollback("alice", bet_id, win_tx, amount=3000))
    assert (rolled.body["operation"], rolled.body["amount"], rolled.body["balance"]) == (
        "rollback",
        3000,
        9000,
    )
    refused(eur, "bet/rollback", p.rollback("alice", bet_id, win_tx), 2004)  # nothing settled now
    refused(eur, "bet/settlement", p.settlement(bet_id), 2004)  # accepted, not settled
    lost = p.lost("alice", bet_id)
    call(eur, "bet/lost", lost)
    rolled_lost = call(eur, "bet/rollback", p.rollback("alice", bet_id, lost["transaction"]["id"]))
    assert (rolled_lost.body["amount"], rolled_lost.body["balance"]) == (0, 9000)
    assert eur.execute(
        "select state from wallet_core.bets where bet_id = %s", [int(bet_id)]
    ).fetchone() == ("accepted",)


def test_rollback_may_go_negative_and_audit_names_it(eur: psycopg.Connection) -> None:
    bet_id = call(eur, "bet/make", p.make("bob", 5000)).body["id"]
    win = p.win("bob", bet_id, 8000)
    call(eur, "bet/win", win)
    assert call(eur, "bet/make", p.make("bob", 8000)).body["balance"] == 0  # spends the win
    rollback = p.rollback("bob", bet_id, win["transaction"]["id"])
    answer = call(eur, "bet/rollback", rollback)
    assert answer.body["balance"] == -8000
    rows = eur.execute("select * from wallet.audit()").fetchall()
    assert rows == [
        (
            "negative_balance",
            "bob",
            f"EUR balance -8000 after rollback {rollback['transaction']['id']} of bet {bet_id}",
        )
    ]
    refused(eur, "bet/make", p.make("bob", 1), 2001)


def test_settlement_refusals(eur: psycopg.Connection) -> None:
    bet_id = call(eur, "bet/make", p.make("alice", 100)).body["id"]
    refused(eur, "bet/settlement", p.settlement(bet_id, "sort of won"), 2004)
    refused(eur, "bet/settlement", p.settlement(bet_id), 2004)  # open
    make = p.make("alice", 100)
    discarded = call(eur, "bet/make", make).body["id"]
    call(eur, "bet/discard", p.discard("alice", make["transaction"]["id"]))
    refused(eur, "bet/settlement", p.settlement(discarded), 2004)


def test_reference_data_is_inserted_once_and_renamed_only_when_changed(
    eur: psycopg.Connection,
) -> None:
    first = [p.selection(1, sport="9", category="c9", tournament="t9")]
    call(eur, "bet/make", p.make("alice", 10, selections=first))
    before = eur.execute(
        "select xmin::text, name from wallet_core.sports where sport_id = '9'"
    ).fetchone()
    call(eur, "bet/make", p.make("alice", 10, selections=first))
    assert (
        eur.execute(
            "select xmin::text, name from wallet_core.sports where sport_id = '9'"
        ).fetchone()
        == before
    )  # not rewritten
    renamed = [{**first[0], "sport_name": "Football"}]
    call(eur, "bet/make", p.make("alice", 10, selections=renamed))
    assert eur.execute("select name from wallet_core.sports where sport_id = '9'").fetchone() == (
        "Football",
    )


def test_dba_functions(eur: psycopg.Connection) -> None:
    with pytest.raises(psycopg.Error) as exists:
        eur.execute("select wallet.create_player('alice', 'EUR')")
    assert exists.value.sqlstate == "WA207"
    with pytest.raises(psycopg.Error) as below_zero:
        eur.execute("select wallet.adjust_balance('alice', 'EUR', -10001, 'withdrawal')")
    assert below_zero.value.sqlstate == "WA201"
    with pytest.raises(psycopg.Error) as unknown:
        eur.execute("select wallet.balance('nobody', 'EUR')")
    assert unknown.value.sqlstate == "WA006"
    with pytest.raises(psycopg.Error) as no_reason:
        eur.execute("select wallet.adjust_balance('alice', 'EUR', 5, '')")
    assert no_reason.value.sqlstate == "WA204"
    assert eur.execute(
        "select wallet.adjust_balance('alice', 'EUR', -10000, 'payout')"
    ).fetchone() == (0,)
    journal = eur.execute(
        "select operation, amount, balance_after, reason from wallet_core.journal j"
        " join wallet_core.accounts a using (account_id)"
        " where a.player_id = 'alice' order by entry_id"
    ).fetchall()
    assert journal == [
        ("deposit", 10000, 10000, "opening balance"),
        ("withdrawal", -10000, 0, "payout"),
    ]
    assert audit_findings(eur) == []
    described = eur.execute(
        "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = 'wallet' and obj_description(p.oid, 'pg_proc') is null"
    ).fetchall()
    assert described == []


# bet/make's two readers ------------------------------------------------------------------------

ODD_VALUES: list[Any] = [
    None,
    "",
    "x" * 128,
    "x" * 129,
    "ü" * 128,
    "ü" * 129,
    "line\nbreak",
    0,
    -1,
    7,
    1.5,
    100.0,
    10**15,
    10**15 + 1,
    1e20,
    1e2,
    "123",
    "1.85",
    "1,85",
    "0",
    "0.000",
    "0.000000000001",
    "000000000000.000000000001",
    "1000000000000",
    " 1",
    "1e2",
    "EUR",
    "eur",
    "USDT1234",
    "USDT12345",
    True,
    False,
    [],
    ["a", "b"],
    ["a", 1],
    {},
    {"a": 1},
    1767225000.5,
    "1767225000",
    "1767225000.25",
    99999999999,
    100000000000,
    999999999999.9,
    "999999999999.999999999999",
]


AGREEING = [
    [("player_id",), ("transaction", "ext_player_id")],
    [("currency",), ("transaction", "currency")],
    [("amount",), ("transaction", "amount"), ("betslip", "sum")],
    [("betslip", "id"), ("transaction", "betslip_id")],
]


def paths_of(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path to an object member or array element inside ``value``."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += [(*path, key), *paths_of(item, (*path, key))]
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += [(*path, index), *paths_of(item, (*path, index))]
    return found


def changed(request: Any, path: tuple, value: Any, delete: bool = False) -> Any:
    request = copy.deepcopy(request)
    target = request
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return request


def value_at(request: Any, path: tuple) -> Any:
    for step in path:
        request = request[step]
    return request


def make_corpus() -> list[Any]:
    """bet/make requests: usual ones, and each field of a two-selection slip removed or replaced
    by each of ODD_VALUES (numeric ids, float amounts, strings for numbers, limits, nulls...)."""
    base = p.make("alice", 500, selections=[p.selection(1), p.selection(2, sport="2")])
    base["bonus_id"] = "bonus-1"
    base["bonus_type"] = "freebet_freemoney"
    base["transaction"]["cross_rate_euro"] = "1.0850"
    corpus = [base, p.make("alice", 0), p.make("bob", 10**15, currency="USDT"), None, [], "x", {}]
    for path in paths_of(base):
        if isinstance(path[-1], str):
            corpus.append(changed(base, path, None, delete=True))
        corpus += [changed(base, path, value) for value in ODD_VALUES]
        # the field's own value in a one-element array (a JSON path in lax mode unwraps arrays)
        corpus.append(changed(base, path, [value_at(base, path)]))
    # fields that must agree, changed together
    for group in AGREEING:
        for value in ODD_VALUES:
            request = base
            for path in group:
                request = changed(request, path, value)
            corpus.append(request)
    # one of them equal in value but not in form: 500.0, 5e2, "500", [500]
    for path in AGREEING[2]:
        corpus += [changed(base, path, value) for value in (500.0, 5e2, "500", 500, [500])]
    # all of them wrapped alike, and the slip's selections wrapped
    for group in AGREEING:
        request = base
        for path in group:
            request = changed(request, path, [value_at(base, path)])
        corpus.append(request)
    corpus.append(changed(base, ("betslip", "bets"), [base["betslip"]["bets"]]))
    corpus.append(changed(base, ("betslip", "bets"), [p.selection(n) for n in range(101)]))
    corpus.append(changed(base, ("betslip", "bets"), [p.selection(n) for n in range(100)]))
    return corpus


def read_slowly(
    conn: psycopg.Connection, request: Any, reader: str = "read_make_slowly", *more: str
) -> str | None:
    """A field-by-field reader's typed request as text, or None when it refuses."""
    arguments = ", ".join(["%s::jsonb"] + ["%s"] * len(more))
    try:
        with conn.transaction():
            row = conn.execute(
                f"select wallet_core.{reader}({arguments})::text", [json.dumps(request), *more]
            ).fetchone()
    except psycopg.Error as error:
        if error.sqlstate not in ("WA204", "WA202"):
            raise
        return None
    return row[0]


@pytest.mark.slow
def test_make_readers_agree(db: psycopg.Connection) -> None:
    """Whatever the fast reader accepts, the field-by-field reader accepts too, with the identical
    typed request; what it does not accept goes to the field-by-field reader (which names the
    field). So the fast path cannot change an answer."""
    quick_count = 0
    corpus = make_corpus()
    assert len(corpus) > 2000
    for request in corpus:
        quick = db.execute(
            "select wallet_core.read_make_quickly(%s::jsonb)::text", [json.dumps(request)]
        ).fetchone()[0]
        if quick is None:
            continue
        quick_count += 1
        assert read_slowly(db, request) == quick, json.dumps(request)
    # the usual requests, and the changes that keep a request usual, take the fast path
    assert quick_count >= 150, quick_count
    slow_only = changed(p.make("alice", 5), ("transaction", "id"), 123)
    assert db.execute(
        "select wallet_core.read_make_quickly(%s::jsonb) is null", [json.dumps(slow_only)]
    ).fetchone() == (True,)
    assert read_slowly(db, slow_only) is not None


def settle_corpus() -> list[Any]:
    """bet/win, bet/lost and bet/refund requests, usual and changed field by field."""
    bases = [
        p.win("alice", "17", 250),
        p.win("alice", "17", 250, cashout=True),
        p.lost("alice", "17"),
        p.refund("alice", "17", 100),
    ]
    corpus: list[Any] = [None, [], {}, "x"]
    for base in bases:
        corpus.append(base)
        for path in paths_of(base):
            if isinstance(path[-1], str):
                corpus.append(changed(base, path, None, delete=True))
            corpus += [changed(base, path, value) for value in ODD_VALUES]
        for group in (
            [("amount",), ("transaction", "amount")],
            [("currency",), ("transaction", "currency")],
        ):
            for value in ODD_VALUES:
                request = base
                for path in group:
                    if path[0] in request and (len(path) == 1 or path[1] in request[path[0]]):
                        request = changed(request, path, value)
                corpus.append(request)
            for path in group:
                if path[0] in base and (len(path) == 1 or path[1] in base[path[0]]):
                    corpus.append(changed(base, path, None, delete=True))
    return corpus


@pytest.mark.slow
def test_settle_readers_agree(db: psycopg.Connection) -> None:
    """As for bet/make: what the fast reader of win, lost and refund accepts, the field-by-field
    reader accepts with the identical typed request."""
    quick_count = 0
    corpus = settle_corpus()
    assert len(corpus) > 1000
    for request in corpus:
        for operation in ("win", "lost", "refund"):
            quick = db.execute(
                "select wallet_core.read_settle_quickly(%s::jsonb, %s)::text",
                [json.dumps(request), operation],
            ).fetchone()[0]
            if quick is None:
                continue
            quick_count += 1
            slow = read_slowly(db, request, "read_settle_slowly", operation)
            assert slow == quick, (operation, json.dumps(request))
    assert quick_count >= 100, quick_count
