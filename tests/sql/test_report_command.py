"""``wallet report``: the money report and the reconciliation, as a terminal table or CSV, run
by a login role that is only a member of wallet_support; exit 0 when the books agree, 1 when
they differ, 2 for a bad window."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from datetime import UTC, timedelta

import psycopg
import psycopg.conninfo
import pytest

from app.cli import main
from tests.support.database import conninfo_of
from tests.support.provider import call, p


@pytest.fixture
def support_url(db: psycopg.Connection) -> Iterator[str]:
    """A login role of support's, member of wallet_support and nothing else (roles are
    cluster-wide: a name of its own, dropped afterwards)."""
    name = f"support_{secrets.token_hex(4)}"
    db.execute(f"create role {name} login in role wallet_support")
    try:
        yield psycopg.conninfo.make_conninfo(conninfo_of(db), user=name)
    finally:
        db.execute(f"drop role {name}")


def test_wallet_report_prints_the_books_and_exits_by_the_reconciliation(
    db: psycopg.Connection,
    player: str,
    support_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer = call(db, "bet/make", p.make(player, 1_000, tx="r-make", cross_rate="1"))
    assert answer.status == 200
    bet = str(answer.body["id"])
    assert call(db, "bet/win", p.win(player, bet, 2_500, tx="r-win")).status == 200
    row = db.execute("select now()").fetchone()
    assert row is not None
    now = row[0]
    start, end = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    db.execute(
        "insert into wallet.provider_report"
        " (transaction_id, operation, player_id, amount, currency, created_at,"
        "  make_transaction_id, bet_state)"
        " values ('r-make', 'bet', %s, 1000, 'EUR', now(), 'r-make', 'won'),"
        "        ('r-win', 'win', %s, 2500, 'EUR', now(), 'r-make', null)",
        (player, player),
    )
    monkeypatch.setenv("DATABASE_URL", support_url)

    assert main(["report", "--from", start, "--to", end]) == 0
    text = capsys.readouterr().out
    assert "no difference: the wallet's books and the provider's file agree" in text
    assert text.splitlines()[0].startswith("money report [")
    eur = next(line for line in text.splitlines() if line.startswith("EUR"))
    assert eur.split() == ["EUR", "1000", "2500", "0", "0", "0", "-1500", "1", "1"]

    # the provider says 2400: a difference, exit 1, in CSV too
    db.execute("update wallet.provider_report set amount = 2400 where transaction_id = 'r-win'")
    assert main(["report", "--from", start, "--to", end, "--csv"]) == 1
    money, differences = capsys.readouterr().out.split("\n\n")
    money_rows = list(csv.DictReader(io.StringIO(money)))
    assert [r["currency"] for r in money_rows] == ["EUR", "ALL"]
    assert (money_rows[0]["ggr"], money_rows[1]["ggr_eur"]) == ("-1500", "-1500")
    assert list(csv.DictReader(io.StringIO(differences))) == [
        {
            "difference": "amount",
            "transaction_id": "r-win",
            "player_id": player,
            "detail": "win: wallet 2500, provider 2400",
        }
    ]
    # a day from midnight UTC: the day of the bet (start's day is the day before in the hour
    # after midnight, and then holds no bet)
    day = now.astimezone(UTC).date().isoformat()
    assert main(["report", "--from", day]) == 1
    capsys.readouterr()

    # a bad window is a usage error, and nothing is read
    assert main(["report", "--from", end, "--to", start]) == 2
    assert "is not before --to" in capsys.readouterr().err
    assert main(["report", "--from", "last tuesday"]) == 2
    assert "not an ISO 8601 date" in capsys.readouterr().err


def test_wallet_report_needs_a_role_that_may_read_the_reports(
    db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"nobody_{secrets.token_hex(4)}"
    db.execute(f"create role {name} login")
    try:
        monkeypatch.setenv(
            "DATABASE_URL", psycopg.conninfo.make_conninfo(conninfo_of(db), user=name)
        )
        assert main(["report", "--from", "2026-01-01"]) == 2
        assert "permission denied" in capsys.readouterr().err
    finally:
        db.execute(f"drop role {name}")
