"""wallet.audit() finds what it says it finds: each kind of damage, and nothing else.

Every other test trusts wallet.audit() to say the ledger is healthy. Here a healthy ledger is
built through the route functions, then damaged as a superuser could damage it (updating
accounts, bets or idempotency rows, inserting journal entries, and updating journal entries
with the append-only trigger disabled), and the audit must report exactly the one finding
that damage breaks, naming the player. These databases are broken on purpose, so the
``damages_ledger`` marker exempts them from the audit every other test ends with.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import psycopg
import pytest

from tests.support import provider as p
from tests.support.provider import call

pytestmark = pytest.mark.damages_ledger

PLAYER = "audited"


def bet_id_of(conn: psycopg.Connection, make_tx: str) -> int:
    row = conn.execute(
        "select bet_id from wallet_core.bets where make_transaction_id = %s", [make_tx]
    ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def ledger(db: psycopg.Connection) -> psycopg.Connection:
    """One player with a bet in every shape: won and closed, lost, refunded, discarded, open,
    one rolled back, plus a discard marker and a stored refusal; audit() finds nothing."""
    db.execute("select wallet.create_player(%s, 'EUR', 100000)", [PLAYER])
    db.execute("select wallet.create_player('bystander', 'EUR', 5000)")

    def made(tx: str, amount: int) -> str:
        answer = call(db, "bet/make", p.make(PLAYER, amount, tx=tx))
        assert answer.status == 200, answer.text
        return str(answer.body["id"])

    def ok(route: str, request: dict) -> None:
        answer = call(db, route, request)
        assert answer.status == 200, answer.text

    won = made("won", 1000)
    ok("bet/commit", p.commit(won))
    ok("bet/win", p.win(PLAYER, won, 1850, tx="won-win"))
    ok("bet/settlement", p.settlement(won, "won"))
    lost = made("lost", 500)
    ok("bet/lost", p.lost(PLAYER, lost, tx="lost-lost"))
    refunded = made("refunded", 700)
    ok("bet/refund", p.refund(PLAYER, refunded, 700, tx="refunded-refund"))
    made("discarded", 300)
    ok("bet/discard", p.discard(PLAYER, "discarded"))
    ok("bet/discard", p.discard(PLAYER, "never-made"))  # a discard marker
    rolled = made("rolled", 200)
    ok("bet/win", p.win(PLAYER, rolled, 400, tx="rolled-win"))
    ok("bet/rollback", p.rollback(PLAYER, rolled, "rolled-win", tx="rolled-rollback"))
    made("open", 100)
    # Bonus bets on one grant (their stakes from the grant: the real balance does not move): one
    # open, one refunded.
    db.execute(
        "select wallet.grant_bonus(%s, 'EUR', 'free-1', 'freebet_freemoney', 1000, null)", [PLAYER]
    )
    for tx in ("bonus-open", "bonus-refunded"):
        bonus_make = p.make(PLAYER, 300, tx=tx)
        bonus_make["bonus_id"] = "free-1"
        assert call(db, "bet/make", bonus_make).status == 200
    ok("bet/refund", p.refund(PLAYER, made_id(db, "bonus-refunded"), 300, tx="bonus-refund"))
    refused = call(db, "bet/make", p.make(PLAYER, 10**9, tx="too-big"))
    assert refused.code == 2001  # stored refusal
    assert db.execute("select * from wallet.audit()").fetchall() == []
    return db


def made_id(conn: psycopg.Connection, make_tx: str) -> str:
    return str(bet_id_of(conn, make_tx))


def findings(conn: psycopg.Connection) -> list[tuple[str, str | None, str]]:
    return [
        (row[0], row[1], row[2])
        for row in conn.execute("select * from wallet.audit() order by 1, 2, 3").fetchall()
    ]


def last_entry(conn: psycopg.Connection, player: str = PLAYER) -> int:
    row = conn.execute(
        "select max(j.entry_id) from wallet_core.journal as j"
        " join wallet_core.accounts as a using (account_id) where a.player_id = %s",
        [player],
    ).fetchone()
    assert row is not None
    return int(row[0])


# The damage, one kind per finding -------------------------------------------------------------


def balance_changed_without_a_journal_entry(conn: psycopg.Connection) -> str:
    conn.execute(
        "update wallet_core.accounts set balance = balance + 1 where player_id = %s", [PLAYER]
    )
    return "EUR balance 100051 but journal sums to 100050"


def journal_entry_rewritten(conn: psycopg.Connection) -> str:
    entry = last_entry(conn)
    conn.execute("alter table wallet_core.journal disable trigger journal_no_update_delete")
    conn.execute(
        "update wallet_core.journal set balance_after = balance_after + 5 where entry_id = %s",
        [entry],
    )
    conn.execute("alter table wallet_core.journal enable trigger journal_no_update_delete")
    return f"journal entry {entry}: balance_after 100055, expected 100050"


def stake_changed_after_the_debit(conn: psycopg.Connection) -> str:
    bet = bet_id_of(conn, "won")
    conn.execute("update wallet_core.bets set stake = 1001 where bet_id = %s", [bet])
    return f"bet {bet} (stake 1001, bonus stake 0): 1 stake debits summing to -1000"


def discard_credit_for_a_bet_never_discarded(conn: psycopg.Connection) -> str:
    bet = bet_id_of(conn, "lost")
    conn.execute(
        "insert into wallet_core.journal (account_id, operation, amount, balance_after, bet_id)"
        " select account_id, 'discard', 0, balance, %s from wallet_core.accounts"
        " where player_id = %s",
        [bet, PLAYER],
    )
    return f"bet {bet} (settled, stake 500): discard credits 0"


def settled_amount_that_no_credit_paid(conn: psycopg.Connection) -> str:
    bet = bet_id_of(conn, "won")
    conn.execute("update wallet_core.bets set settled_amount = 2000 where bet_id = %s", [bet])
    return f"bet {bet} (closed/won): settled_amount 2000 but wins, refunds and rollbacks net 1850"


def claim_without_an_answer(conn: psycopg.Connection) -> str:
    # Today's storage: a key is claimed (status and response null), then answered in the same
    # transaction. A claim left without its answer is what this finding reports.
    conn.execute(
        "update wallet_core.idempotency set status = null, response = null"
        " where kind = 'transaction' and key = 'lost-lost'"
    )
    return "transaction lost-lost (bet/lost) has no stored answer"


def balance_below_zero(conn: psycopg.Connection) -> str:
    # a superuser's hand-made "rollback" with no bet, journaled consistently, below zero
    conn.execute(
        "insert into wallet_core.journal"
        " (account_id, operation, amount, balance_after, transaction_id)"
        " select account_id, 'rollback', -(balance + 250), -250, 'manual-rollback'"
        " from wallet_core.accounts where player_id = %s",
        [PLAYER],
    )
    conn.execute("update wallet_core.accounts set balance = -250 where player_id = %s", [PLAYER])
    return "EUR balance -250 after rollback manual-rollback of bet -"


def made_behind_the_back_of(conn: psycopg.Connection, tx: str, amount: int) -> str:
    """A make accepted after its refusal's reason was deleted by hand; 'bet <id> of ... at <t>'."""
    answer = call(conn, "bet/make", p.make(PLAYER, amount, tx=tx))
    assert answer.status == 200, answer.text
    row = conn.execute(
        "select format('bet %%s of %%s EUR at %%s', bet_id, -amount, created_at)"
        " from wallet_core.journal where transaction_id = %s and operation = 'bet'",
        [tx],
    ).fetchone()
    assert row is not None
    return str(row[0])


def make_above_a_limit(conn: psycopg.Connection) -> str:
    conn.execute("select wallet.set_limit(%s, 'EUR', 'stake_per_bet', 10, 'asked')", [PLAYER])
    conn.execute("delete from wallet_core.limits")
    return made_behind_the_back_of(conn, "over-the-limit", 20) + ": stake_per_bet 20, limit 10"


def make_while_excluded(conn: psycopg.Connection) -> str:
    conn.execute("select wallet.exclude_player(%s, null, 'self-exclusion')", [PLAYER])
    conn.execute("delete from wallet_core.exclusions")
    return made_behind_the_back_of(conn, "while-excluded", 20) + " while excluded indefinitely"


def grant_remainder_changed(conn: psycopg.Connection) -> str:
    conn.execute("update wallet_core.bonus_grants set remaining = remaining + 10")
    return (
        "bonus free-1 (EUR): remaining 710, but amount 1000 - taken 600 + given back 300 = 700,"
        " history sums to 700"
    )


def grant_below_zero_consistently(conn: psycopg.Connection) -> str:
    # amount, remainder and the history's grant row rewritten together: only the sign is wrong
    conn.execute("update wallet_core.bonus_grants set amount = 295, remaining = -5")
    conn.execute(
        "alter table wallet_core.bonus_journal disable trigger bonus_journal_no_update_delete"
    )
    conn.execute("update wallet_core.bonus_journal set amount = 295 where operation = 'grant'")
    conn.execute(
        "alter table wallet_core.bonus_journal enable trigger bonus_journal_no_update_delete"
    )
    return "bonus free-1 (EUR): remaining -5, and no rollback took it there"


def grant_below_zero_after_a_rollback(conn: psycopg.Connection) -> str:
    # not damage: a refund's give-back spent on another bet, then the refund rolled back
    conn.execute(
        "select wallet.grant_bonus(%s, 'EUR', 'free-2', 'freebet_refund', 100, null)", [PLAYER]
    )
    ids = []
    for tx in ("spent-1", "spent-2"):
        bonus_make = p.make(PLAYER, 100, tx=tx)
        bonus_make["bonus_id"] = "free-2"
        assert call(conn, "bet/make", bonus_make).status == 200
        ids.append(made_id(conn, tx))
        if tx == "spent-1":
            refund = p.refund(PLAYER, ids[0], 100, tx="spent-1-refund")
            assert call(conn, "bet/refund", refund).status == 200
    rollback = p.rollback(PLAYER, ids[0], "spent-1-refund", tx="spent-1-rollback")
    assert call(conn, "bet/rollback", rollback).status == 200
    return f"bonus free-2 (EUR): remaining -100 after rollback spent-1-rollback of bet {ids[0]}"


def give_back_that_the_state_does_not_explain(conn: psycopg.Connection) -> str:
    bet = bet_id_of(conn, "bonus-refunded")
    conn.execute("update wallet_core.bets set settled_amount = 200 where bet_id = %s", [bet])
    row = conn.execute("select grant_id from wallet_core.bet_bonuses where bet_id = %s", [bet])
    grant_id = row.fetchone()[0]
    return (
        f"bet {bet} (settled/refunded, bonus free-1, bonus stake 300, grant {grant_id}):"
        " gave back 300 to its grant"
    )


def kept_win_rewritten(conn: psycopg.Connection) -> str:
    """The books' record of a win's real credit changed after the fact (books, issue 15)."""
    conn.execute(
        "update wallet_core.bet_operations set credited = 1800 where transaction_id = 'won-win'"
    )
    bet = bet_id_of(conn, "won")
    return f"win won-win of bet {bet}: the books say 1800, the journal 1850 in 1 row(s)"


def journal_row_naming_no_bet(conn: psycopg.Connection) -> str:
    """What the journal's foreign key to bets refused before migration 0600 dropped it: a row
    naming a bet that does not exist (moving no money, so that only this check sees it)."""
    conn.execute(
        "insert into wallet_core.journal (account_id, operation, amount, balance_after, bet_id)"
        " select account_id, 'discard', 0, balance, 987654321 from wallet_core.accounts"
        " where player_id = %s",
        [PLAYER],
    )
    entry = last_entry(conn)
    return f"journal entry {entry} names bet 987654321, which does not exist"


# What the CHECK constraints refused before migration 0620 moved their rules to the audit (and the
# journal's to wallet_core.post): each damage breaks one rule of one row, and nothing else.


def bet_state_unheard_of(conn: psycopg.Connection) -> str:
    bet = bet_id_of(conn, "open")
    conn.execute("update wallet_core.bets set state = 'pending' where bet_id = %s", [bet])
    return f"bet {bet} breaks its rule: state is open, accepted, settled, closed or discarded"


def journal_credit_of_the_wrong_sign(conn: psycopg.Connection) -> str:
    """A deposit of 0 on the bystander's account: it moves no money (no other check sees it),
    but a deposit must be positive."""
    conn.execute(
        "insert into wallet_core.journal (account_id, operation, amount, balance_after)"
        " select account_id, 'deposit', 0, balance from wallet_core.accounts"
        " where player_id = 'bystander'"
    )
    entry = last_entry(conn, "bystander")
    return f"journal entry {entry} breaks its rule: the sign of the amount"


def event_detail_not_an_object(conn: psycopg.Connection) -> str:
    row = conn.execute(
        "update wallet_core.events set detail = '[]' where event_id = ("
        " select max(event_id) from wallet_core.events where player_id = %s) returning event_id",
        [PLAYER],
    ).fetchone()
    assert row is not None
    return f"event {row[0]} breaks its rule: detail is an object"


def account_currency_not_a_currency(conn: psycopg.Connection) -> str:
    row = conn.execute(
        "update wallet_core.accounts set currency = 'eur' where player_id = 'bystander'"
        " returning account_id"
    ).fetchone()
    assert row is not None
    return f"account {row[0]} breaks its rule: currency matches currency_pattern()"


DAMAGE: dict[str, Callable[[psycopg.Connection], str]] = {
    "orphan_row": journal_row_naming_no_bet,
    "bet_rules": bet_state_unheard_of,
    "journal_rules": journal_credit_of_the_wrong_sign,
    "event_rules": event_detail_not_an_object,
    "account_rules": account_currency_not_a_currency,
    "balance_vs_journal": balance_changed_without_a_journal_entry,
    "journal_chain": journal_entry_rewritten,
    "stake_debit": stake_changed_after_the_debit,
    "discard_credit": discard_credit_for_a_bet_never_discarded,
    "settlement_vs_state": settled_amount_that_no_credit_paid,
    "unanswered_operation": claim_without_an_answer,
    "negative_balance": balance_below_zero,
    "make_over_limit": make_above_a_limit,
    "make_while_excluded": make_while_excluded,
    "grant_below_zero": grant_below_zero_consistently,
    "negative_grant": grant_below_zero_after_a_rollback,
    "grant_remainder": grant_remainder_changed,
    "bonus_give_back": give_back_that_the_state_does_not_explain,
    "books_vs_journal": kept_win_rewritten,
}


def test_every_finding_of_the_audit_has_a_damage_that_provokes_it(db: psycopg.Connection) -> None:
    """The audit's checks are exactly those damaged here: a new check needs a new case."""
    definition = db.execute("select pg_get_functiondef('wallet.audit()'::regprocedure)").fetchone()
    assert definition is not None
    checks = set(re.findall(r"select '([a-z_]+)'", definition[0]))
    assert checks == set(DAMAGE)


@pytest.mark.parametrize("check", list(DAMAGE))
def test_damage_is_found_by_exactly_its_check(ledger: psycopg.Connection, check: str) -> None:
    balance = ledger.execute("select wallet.balance(%s, 'EUR')", [PLAYER]).fetchone()
    assert balance == (100050,)  # the damage below is written against this ledger
    detail = DAMAGE[check](ledger)
    player = {
        "unanswered_operation": None,
        "journal_rules": "bystander",
        "account_rules": "bystander",
    }.get(check, PLAYER)
    assert findings(ledger) == [(check, player, detail)]


@pytest.mark.parametrize(
    ("operation", "amount"),
    [
        ("deposit", 0),
        ("bet", 5),
        ("win", -1),
        ("rollback", 1),
        ("payout", 1),
        ("withdrawal", -100051),
    ],
)
def test_post_refuses_what_the_journal_rules_forbid(
    ledger: psycopg.Connection, operation: str, amount: int
) -> None:
    """The journal's rules, CHECK constraints until migration 0620, are wallet_core.post's: a
    broken one fails the call whole (23514, as the constraint did), and nothing is written."""
    before = ledger.execute(
        "select balance, (select count(*) from wallet_core.journal) from wallet_core.accounts"
        " where player_id = %s",
        [PLAYER],
    ).fetchone()
    with pytest.raises(psycopg.errors.CheckViolation, match="journal rule broken"):
        ledger.execute(
            "select wallet_core.post(account_id, %s, %s) from wallet_core.accounts"
            " where player_id = %s",
            [operation, amount, PLAYER],
        )
    after = ledger.execute(
        "select balance, (select count(*) from wallet_core.journal) from wallet_core.accounts"
        " where player_id = %s",
        [PLAYER],
    ).fetchone()
    assert after == before
    assert findings(ledger) == []
