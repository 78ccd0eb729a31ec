"""``wallet simulate`` against a real ``wallet serve`` on a fresh migrated database.

The simulator runs as its own process, as an operator would run it, with its own provider key
(the served wallet trusts the public half), and opens its players through SQL. A run passes;
and a run where the ledger moved behind the simulator's back fails, with the account named.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from app.keys import ProviderKey
from app.simulator import provider as p
from app.simulator.referee import Referee
from app.simulator.traffic import Answer, Delivery
from tests.support.database import app_conninfo
from tests.support.processes import WALLET, Served, clean_environment


@dataclass(frozen=True)
class Wallet:
    url: str
    private_key: Path
    public_key: Path


@pytest.fixture
def wallet(db: psycopg.Connection, tmp_path: Path) -> Iterator[Wallet]:
    """``wallet serve`` on the test database as wallet_app, trusting a provider key of our own."""
    key = ProviderKey.generate()
    private_key = tmp_path / "provider.private.pem"
    private_key.write_bytes(key.private_pem)
    public_key = tmp_path / "provider.pem"
    public_key.write_bytes(key.public_pem)
    served = Served(
        clean_environment(DATABASE_URL=app_conninfo(db), WALLET_JWT_PUBLIC_KEYS=str(public_key))
    )
    try:
        served.wait_until_up()
        yield Wallet(served.url, private_key, public_key)
        served.terminate()
    finally:
        served.kill()


def simulate_command(wallet: Wallet, *args: str) -> list[str]:
    return [WALLET, "simulate", "--url", wallet.url, "--key", str(wallet.private_key), *args]


def run_simulate(wallet: Wallet, *args: str) -> tuple[int, dict[str, Any], str]:
    """Exit status, the JSON report, and what it said on stderr."""
    done = subprocess.run(
        [*simulate_command(wallet, *args), "--json"],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.stdout, f"no report (exit {done.returncode}):\n{done.stderr}"
    return done.returncode, json.loads(done.stdout), done.stderr


@pytest.mark.slow
def test_certification_passes_against_a_fresh_wallet(
    wallet: Wallet, db: psycopg.Connection, db_url: str
) -> None:
    code, report, said = run_simulate(wallet, "--admin-url", db_url)
    assert code == 0, json.dumps(report, indent=2)
    assert report["passed"]
    assert report["contract_violations"] == 0
    assert [step for step in report["steps"] if step["skipped"] or step["violations"]] == []
    assert len(report["steps"]) == 11
    makes = report["routes"]["bet/make"]["outcomes"]
    # accepted, drained (2001), same id other content and discarded first (2004), forged and
    # expired tokens (2005), blocked (1005), unknown player (1006), unknown currency (2002),
    # above a limit (4001), an unknown session while enforced (1007, then its replay)
    assert {"200", "2001", "2004", "2005", "1005", "1006", "2002", "4001", "1007"} <= set(makes)
    assert makes["4001"] == 1
    assert makes["1007"] == 2
    assert makes["2005"] == 3
    for route in ("bet/commit", "bet/win", "bet/settlement", "bet/discard", "balance"):
        assert report["routes"][route]["count"] > 0
        assert report["routes"][route]["p99_ms"] >= report["routes"][route]["p50_ms"] > 0
    assert report["money_check"] == {
        "balances_read_from": "sql",
        "accounts": 4,
        "mismatches": [],
    }
    assert report["audit"] == {"findings": [], "broken_invariants": 0}
    assert report["throughput_per_second"] > 0
    # The key's public half is the one the wallet was started with.
    assert f"WALLET_JWT_PUBLIC_KEYS={wallet.public_key}" in said

    # The drained player: 3 stakes, 5 makes at once (3 pass), one refused, then a deposit of
    # 5 stakes, the refused id replayed as 2001, a new make accepted: 5 - 1 = 4 stakes left.
    row = db.execute(
        "select wallet.balance(player_id, 'EUR') from wallet_core.accounts"
        " where player_id like 'sim-%%-drained-1'"
    ).fetchone()
    assert row == (4_000,)


@pytest.mark.slow
def test_responsible_gambling_passes(wallet: Wallet, db: psycopg.Connection, db_url: str) -> None:
    code, report, _ = run_simulate(
        wallet, "--admin-url", db_url, "--scenario", "responsible-gambling"
    )
    assert code == 0, json.dumps(report, indent=2)
    assert [step for step in report["steps"] if step["skipped"] or step["violations"]] == []
    makes = report["routes"]["bet/make"]["outcomes"]
    # 13 of the 20 at once, one cent over per bet, 2 of 5 bets, one cent over the losses and
    # again after the win, 2 during the time-out (and the first make's replay, if it was one)
    assert makes["4001"] in (20, 21), makes
    assert report["routes"]["bet/win"]["outcomes"] == {"200": 2}
    assert report["money_check"]["mismatches"] == []
    assert report["audit"] == {"findings": [], "broken_invariants": 0}
    made = db.execute(
        "select count(*) from wallet_core.bets as b join wallet_core.accounts as a"
        " using (account_id) where a.player_id like 'sim-%%-stake-24h-1'"
    ).fetchone()
    assert made == (7,)


@pytest.mark.slow
def test_bonus_bets_pass(wallet: Wallet, db: psycopg.Connection, db_url: str) -> None:
    code, report, _ = run_simulate(wallet, "--admin-url", db_url, "--scenario", "bonus-bets")
    assert code == 0, json.dumps(report, indent=2)
    assert [step for step in report["steps"] if step["skipped"] or step["violations"]] == []
    makes = report["routes"]["bet/make"]["outcomes"]
    # 14 of the 20 at once (and the first make's replay, if it was one); then the over-stake
    # and its stored replay
    assert makes["4002"] in (16, 17), makes
    # unknown, another player's, revoked, expired, of another type
    assert makes["3001"] == 5, makes
    assert report["money_check"]["mismatches"] == []
    assert report["audit"] == {"findings": [], "broken_invariants": 0}
    race = db.execute(
        "select remaining from wallet_core.bonus_grants as g join wallet_core.accounts as a"
        " using (account_id) where a.player_id like 'sim-%%-bonus-race-1'"
    ).fetchone()
    assert race == (0,)


@pytest.mark.slow
def test_lifecycle_with_duplicates_and_out_of_order_moves_passes(
    wallet: Wallet, db: psycopg.Connection, db_url: str
) -> None:
    code, report, _ = run_simulate(
        wallet,
        "--admin-url",
        db_url,
        "--scenario",
        "lifecycle",
        "--player-count",
        "8",
        "--bets",
        "6",
        "--parallel",
        "3",
        "--duplicate-rate",
        "0.3",
        "--seed",
        "11",
    )
    assert code == 0, json.dumps(report, indent=2)
    assert report["steps"][0]["name"].startswith("8 players x 6 bets, 3 at a time")
    assert report["money_check"]["accounts"] == 8
    assert report["money_check"]["mismatches"] == []
    routes = report["routes"]
    for route in ("bet/make", "bet/commit", "bet/win", "bet/lost", "bet/settlement"):
        assert routes[route]["outcomes"].get("200", 0) > 0, route
    # Out-of-order moves are refused as the contract says (a commit after the win, a
    # settlement before it, ...), and the run still adds up.
    assert sum(figures["outcomes"].get("2004", 0) for figures in routes.values()) > 0
    moved = db.execute(
        "select count(*) from wallet_core.accounts"
        " where player_id like 'sim-%%-life-%%' and wallet.balance(player_id, 'EUR') <> 100000"
    ).fetchone()
    assert moved is not None
    assert moved[0] > 0


@pytest.mark.slow
def test_soak_holds_its_rate(wallet: Wallet, db_url: str) -> None:
    code, report, _ = run_simulate(
        wallet,
        *("--admin-url", db_url, "--scenario", "soak"),
        *("--rate", "40", "--duration", "3", "--player-count", "4"),
    )
    assert code == 0, json.dumps(report, indent=2)
    routes = report["routes"]
    assert routes["bet/make"]["outcomes"]["200"] == routes["bet/make"]["count"]
    assert routes["bet/discard"]["count"] > 0
    # 120 paced requests over about 3 s, then 4 balance reads
    assert sum(figures["count"] for figures in routes.values()) == 124
    assert report["seconds_sending"] >= 2.9
    assert report["money_check"]["mismatches"] == []


@pytest.mark.slow
def test_the_quick_start_then_certification() -> None:
    """The README's steps: ``wallet serve`` from nothing on the embedded server, then
    ``wallet simulate --scenario certification`` with nothing but the same WALLET_DATA_DIR
    and port: it finds the development key and the embedded server by itself, and passes.

    Not under pytest's tmp_path: every pytest session on the machine resets
    /tmp/pytest-of-root to mode 0700, which locks out the embedded server's own user."""
    with tempfile.TemporaryDirectory(prefix="wallet-simulate-", ignore_cleanup_errors=True) as top:
        Path(top).chmod(0o755)
        run_the_quick_start(Path(top) / ".wallet-data")


def run_the_quick_start(data_dir: Path) -> None:
    served = Served(clean_environment(WALLET_DATA_DIR=str(data_dir)))
    try:
        served.wait_until_up()
        done = subprocess.run(
            [WALLET, "simulate", "--scenario", "certification"],
            env=clean_environment(WALLET_DATA_DIR=str(data_dir), WALLET_PORT=str(served.port)),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "PASSED" in done.stdout
        assert f"the embedded server in {data_dir / 'pg'}" in done.stderr
        assert f"WALLET_JWT_PUBLIC_KEYS={data_dir / 'dev-jwt.pem'}" in done.stderr
    finally:
        if served.process.poll() is None:
            served.terminate()  # SIGTERM: the embedded server stops with it
        served.kill()


@pytest.mark.slow
def test_named_players_without_sql(wallet: Wallet, db: psycopg.Connection) -> None:
    """No admin URL: the simulator plays with the players it is given, reads their balances
    through the balance route, and says which steps it could not run."""
    db.execute("select wallet.create_player('named-1', 'EUR', 500000)")
    code, report, said = run_simulate(wallet, "--players", "named-1")
    assert code == 0, json.dumps(report, indent=2)
    skipped = [step["name"] for step in report["steps"] if step["skipped"]]
    # the drained balance (a deposit), the blocked player, the limit and the session
    assert len(skipped) == 3, skipped
    assert report["money_check"]["balances_read_from"] == "balance route"
    assert report["money_check"]["mismatches"] == []
    assert report["audit"] is None
    assert "no admin database URL" in said


@pytest.mark.slow
def test_a_deposit_behind_its_back_fails_the_money_check(
    wallet: Wallet, db: psycopg.Connection, db_url: str
) -> None:
    """A DBA deposit while the simulation runs: the ledger is healthy (audit clean), but the
    balance is not what the answers add up to, and the run fails naming the account."""
    running = subprocess.Popen(
        [
            *simulate_command(wallet, "--admin-url", db_url, "--json"),
            *("--scenario", "lifecycle", "--player-count", "4", "--bets", "10", "--seed", "5"),
        ],
        env=clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        victim = None
        while victim is None and time.monotonic() < deadline:
            row = db.execute(  # a player whose money has moved: the simulation is under way
                "select player_id from wallet_core.accounts where player_id like 'sim-%%-life-1'"
                " and wallet.balance(player_id, 'EUR') <> 100000"
            ).fetchone()
            victim = row[0] if row else None
            if victim is None:
                assert running.poll() is None, running.communicate()
                time.sleep(0.05)
        assert victim is not None, "the simulation made no bet"
        db.execute("select wallet.adjust_balance(%s, 'EUR', 777, 'behind its back')", [victim])
        assert running.poll() is None, "the simulation ended before the deposit: inconclusive"
        stdout, stderr = running.communicate(timeout=600)
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
    assert running.returncode == 1, stderr
    report = json.loads(stdout)
    assert not report["passed"]
    [mismatch] = report["money_check"]["mismatches"]
    assert mismatch["player"] == victim
    assert mismatch["found"] - mismatch["expected"] == 777
    assert report["audit"]["broken_invariants"] == 0  # the money check alone caught it
    # The first answer that reported the shifted balance broke the contract, too.
    assert report["contract_violations"] >= 1
    assert report["violations"][0]["player"] == victim


@pytest.mark.slow
def test_without_players_or_sql_it_says_what_it_needs(tmp_path: Path) -> None:
    key = tmp_path / "provider.private.pem"
    key.write_bytes(ProviderKey.generate().private_pem)
    done = subprocess.run(
        [WALLET, "simulate", "--key", str(key)],
        env=clean_environment(WALLET_DATA_DIR=str(tmp_path / "nothing-here")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--admin-url" in done.stderr
    assert "--players" in done.stderr


# The referee on its own: answers it must refuse -----------------------------------------------


def answered(player: str, request: dict[str, Any], status: int, body: object) -> Answer:
    delivery = Delivery("bet/make", player, request, b"")  # judged, never sent
    return Answer(delivery, status, json.dumps(body), 1)


def make_answer(tx: str, amount: int, balance: int, wallet_id: str) -> Answer:
    return answered(
        "p",
        p.make("p", amount, tx=tx),
        200,
        {
            "id": wallet_id,
            "ext_transaction_id": tx,
            "parent_transaction_id": None,
            "user_id": "p",
            "operation": "bet",
            "amount": amount,
            "currency": "EUR",
            "balance": balance,
        },
    )


def refused(tx: str, amount: int, code: int) -> Answer:
    return answered("p", p.make("p", amount, tx=tx), 400, {"code": code, "message": "no"})


@pytest.mark.parametrize(
    ("answers", "broken"),
    [
        ([make_answer("a", 1000, 4000, "1"), make_answer("b", 1000, 3000, "2")], False),
        # a lost update: two debits at once, each reporting one debit
        ([make_answer("a", 1000, 4000, "1"), make_answer("b", 1000, 4000, "2")], True),
        # 2001 while the balance covered both stakes
        ([make_answer("a", 1000, 4000, "1"), refused("b", 1000, 2001)], True),
        # the same wallet id for two bets
        ([make_answer("a", 1000, 4000, "1"), make_answer("b", 1000, 3000, "1")], True),
    ],
    ids=["serial", "lost-update", "needless-2001", "id-reused"],
)
def test_the_referee_refuses_a_burst_no_order_explains(answers: list[Answer], broken: bool) -> None:
    referee = Referee()
    referee.open_account("p", "EUR", 5000, blocked=False)
    referee.judge(answers)
    assert bool(referee.violations) == broken, referee.violations


def test_the_referee_finds_the_order_of_a_drained_burst() -> None:
    """2 500 for three makes of 1 000 sent at once: two pass (in either order), one is 2001."""
    referee = Referee()
    referee.open_account("p", "EUR", 2500, blocked=False)
    referee.judge(
        [
            refused("a", 1000, 2001),
            make_answer("b", 1000, 500, "8"),
            make_answer("c", 1000, 1500, "7"),
        ]
    )
    assert referee.violations == []
    assert referee.expected_balances() == {("p", "EUR"): 500}


def test_identical_copies_in_flight_must_get_one_answer() -> None:
    referee = Referee()
    referee.open_account("p", "EUR", 5000, blocked=False)
    first = make_answer("a", 1000, 4000, "1")
    second = make_answer("a", 1000, 3000, "2")  # applied twice
    referee.judge([first, second])
    assert [v.what for v in referee.violations] == [
        f"identical requests in flight got different answers: 200 {first.text}"
    ]
