"""The failover drill (issue 17): a pg_auto_failover formation (a monitor, two data nodes,
synchronous replication), ``wallet serve --workers 2`` and ``wallet relay`` on the multi-host
URL, the simulator's lifecycle load (makes, commits, wins, losses, refunds, rollbacks,
settlements, copies in flight, out-of-order moves) with provider-style retries; mid-load the
primary fails, one way per test:

- ``dies``: its keeper, the keeper's children and Postgres SIGKILLed;
- ``hangs``: the same processes SIGSTOPped (the kernel still accepts TCP, nothing answers);
- ``zombie``: the node dies, and while the monitor promotes the standby the old primary's
  Postgres comes back read-write (started as the keeper's Postgres controller child restarts
  it when it outlives its supervisor), with a synchronous standby that no longer follows it:
  first in the URL, ``read-write``, what libpq alone would pick.

The monitor promotes the standby; the load goes on; then the old primary rejoins as a standby
(started again, let go, or its zombie stopped and its keeper started again), the load still
going. Then: every answer the provider got (200 or a refusal) replays byte for byte; every
bet answered 200 is there, under the id it was answered with; the money check (the referee's
model against the balances) and ``wallet.audit()`` are clean; the contract's referee found no
violation; every event in ``wallet.events`` reached RabbitMQ in per-player order, none for a
replay, none that is not in ``wallet.events``.

Printed per way, for the failover and for the rejoin: the longest stretch without any 200,
and the attempts answered 500 (or not at all) meanwhile. Bars: under 45 s for ``dies`` and
``hangs``; for ``zombie``, no longer than the failover (the fault to the promoted standby
accepting writes, as the monitor reports it) plus the call deadline.

Sized for CI by default (one formation for the three ways, about a minute each);
``WALLET_DRILL_FAILOVER_MAKES`` sets how many makes each way plays at least (the bench:
``bench/bench_failover.py``, 3,000), ``WALLET_DRILL_REPORT`` a file to which each way appends
its figures as one JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from rich.progress import Progress

import migrate
from app import keys
from app.simulator import provider as p
from app.simulator import scenarios
from app.simulator.dba import Dba
from app.simulator.referee import Referee
from app.simulator.run import Simulation
from app.simulator.traffic import Answer, Sender, Tally
from tests.support.auto_failover import Formation, formation
from tests.support.processes import Served, clean_environment, wait_until
from tests.support.provider import ProviderKey
from tests.support.rabbitmq import (
    SHARED_AMQP_URL,
    EventQueue,
    RelayProcess,
    assert_delivered,
    counts,
)

pytestmark = [pytest.mark.slow, pytest.mark.rabbitmq]

MAKES = int(os.environ.get("WALLET_DRILL_FAILOVER_MAKES", "150"))
REPORT = os.environ.get("WALLET_DRILL_REPORT")
PLAYERS = int(os.environ.get("WALLET_DRILL_FAILOVER_PLAYERS", "16"))
PARALLEL = 2
STATEMENT_TIMEOUT = 10.0
CALL_MARGIN = 2.0
CALL_DEADLINE = STATEMENT_TIMEOUT + CALL_MARGIN
"""The service's call deadline in this drill (``migrate.py``'s default statement timeout, 10 s,
stored on wallet_app, plus the service's default margin, 2 s)."""
BAR = 45.0
BEFORE_THE_FAULT = 4.0
"""Seconds of load before the fault, at least (and a third of the makes)."""
AFTER_THE_FAILOVER = {"dies": 4.0, "hangs": 4.0, "zombie": CALL_DEADLINE + 8.0}
"""Seconds of load on the new primary before the old one rejoins: for the zombie, long enough
that a service still connecting to it would exceed the bar (the failover plus the deadline)."""
AFTER_THE_REJOIN = 3.0
BURST_PAUSE = 0.02
"""Seconds between two bursts of the load: the machine is shared."""


@pytest.fixture(scope="module")
def ha() -> Iterator[Formation]:
    """One formation for the three ways: each begins on whichever node is the primary."""
    with formation() as started:
        migrate.Migrator(started.url(), out=lambda line: None).up()
        yield started


@dataclass
class TimedTally(Tally):
    """The simulator's tally, with the time and outcome of every attempt."""

    times: list[tuple[float, int | None]] = field(default_factory=list)

    def record(self, route: str, status: int | None, text: str, seconds: float) -> None:
        super().record(route, status, text, seconds)
        self.times.append((time.monotonic(), status))


@dataclass
class Phases:
    """When each part of a way happened (time.monotonic())."""

    fault: float = 0.0
    promoted: float = 0.0
    rejoin: float = 0.0
    rejoined: float = 0.0
    zombie_up: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


def longest_without_200(times: list[tuple[float, int | None]], start: float, end: float) -> float:
    """The longest stretch between two 200s (or from ``start`` to the first) that overlaps
    [start, end]."""
    oks = sorted(at for at, status in times if status == 200)
    before = [at for at in oks if at <= start]
    points = [before[-1] if before else start, *(at for at in oks if start < at <= end)]
    after = [at for at in oks if at > end]
    points.append(after[0] if after else end)
    return max(b - a for a, b in itertools.pairwise(points))


def failed_attempts(times: list[tuple[float, int | None]], start: float, end: float) -> int:
    return sum(1 for at, status in times if start <= at <= end and status in (500, None))


async def play(
    sim: Simulation, lanes: list[scenarios.Lane], keep_going: Callable[[], bool]
) -> None:
    """The lifecycle scenario's bursts (one move of every bet in play, copies in flight, late
    copies), for as long as ``keep_going()`` says, then the late copies."""
    late: list[Any] = []
    position = 0
    while keep_going():
        burst = list(late)
        late = []
        moves: list[tuple[scenarios.Move, int]] = []
        for lane in lanes:
            if position >= len(lane.moves):
                continue
            move = lane.moves[position]
            delivery = scenarios.build(sim, move)
            if delivery is None:  # its make was refused: the provider has no bet to name
                continue
            moves.append((move, len(burst)))
            burst.extend([delivery] * move.copies)
            if move.late_copy:
                late.append(delivery)
        if not burst:
            break
        answers = await sim.burst(burst)
        for move, index in moves:
            if move.kind == "make":
                move.bet.bet_id = scenarios._bet_id(answers[index : index + move.copies])
        position += 1
        await asyncio.sleep(BURST_PAUSE)
    if late:
        await sim.burst(late)


def run_fault(ha: Formation, way: str, victim: str, phases: Phases, ready: threading.Event) -> None:
    """The fault, the failover, the rejoin; in a thread beside the load."""
    survivor = ha.other(victim)
    try:
        ready.wait()
        phases.fault = time.monotonic()
        frozen: list[int] = []
        if way == "dies":
            ha.kill_node(victim)
        elif way == "hangs":
            frozen = ha.freeze_node(victim)
        else:
            phases.zombie_up = ha.make_zombie(victim)
            assert ha.writable(victim) is True  # the zombie: read-write, its standby gone
        wait_until(lambda: ha.primary() == survivor and ha.writable(survivor) is True,
                   120, f"{survivor} to be promoted")  # fmt: skip
        phases.promoted = time.monotonic()
        time.sleep(AFTER_THE_FAILOVER[way])
        phases.rejoin = time.monotonic()
        if way == "hangs":
            ha.thaw_node(frozen)  # the keeper wakes up, finds itself demoted, rejoins
        else:
            ha.rejoin(victim)
        ha.wait_healthy(180)
        phases.rejoined = time.monotonic()
        time.sleep(AFTER_THE_REJOIN)
    except BaseException as error:  # reported by the test
        phases.error = error
    finally:
        phases.done.set()


@pytest.mark.parametrize("way", ["dies", "hangs", "zombie"])
def test_failover_drill(ha: Formation, provider_key: ProviderKey, tmp_path: Path, way: str) -> None:
    ha.wait_healthy(180)
    victim = ha.primary()
    assert victim is not None
    survivor = ha.other(victim)
    run_id = f"fo{way}{random.randrange(10**6)}"
    signer = keys.ProviderKey(provider_key.private, provider_key.kid)
    queue = EventQueue(SHARED_AMQP_URL, run_id).declare()
    relay = RelayProcess(ha.url("wallet_relay", first=victim), SHARED_AMQP_URL, tmp_path)
    served = Served(
        clean_environment(
            DATABASE_URL=ha.url("wallet_app", first=victim),
            WALLET_JWT_PUBLIC_KEYS=str(provider_key.public_path),
            WALLET_DB_POOL_MAX_SIZE="10",
            WALLET_DB_ACQUIRE_TIMEOUT="2",
            WALLET_DB_CONNECT_TIMEOUT="2",
            WALLET_DB_RECONNECT_TIMEOUT="5",
            WALLET_DB_CALL_MARGIN=str(CALL_MARGIN),
            WALLET_LOG_LEVEL="WARNING",
        ),
        "--workers",
        "2",
    )
    phases = Phases()
    tally = TimedTally()
    try:
        served.wait_until_up()
        sim, load_seconds = asyncio.run(
            drill(ha, way, victim, served.url, signer, run_id, tally, phases)
        )
        if phases.error is not None:
            raise phases.error
        wait_until(lambda: drained_on(ha, run_id), 120, "the relay to publish every event")
        replays = asyncio.run(replay_every_answer(served.url, sim.sent))
        log = served.output
        deliveries = queue.drain()
    finally:
        stop_serving(served)
        relay.stop()
        queue.delete()

    # the way happened as described
    assert ha.primary() in (victim, survivor)
    assert "NO SYNCHRONOUS STANDBY" not in log.split("Uvicorn running")[0], log

    # every answer replays byte for byte, and the referee found nothing
    assert replays["different"] == [], replays["different"][:5]
    assert sim.referee.violations == [], sim.referee.violations[:5]
    assert all(a.status is not None and a.status != 500 for a in sim.sent), [
        (a.delivery.route, a.status, a.text) for a in sim.sent if a.status in (None, 500)
    ][:5]
    dba = Dba(ha.url())
    try:
        sim.dba = dba
        _, mismatches = sim.money_check()
        assert mismatches == []
        assert [f for f in dba.audit() if f[0] not in ("negative_balance", "negative_grant")] == []
    finally:
        dba.close()
    with psycopg.connect(ha.url(), autocommit=True) as db:
        made = check_every_200_is_there(db, sim.sent)
        events = assert_delivered(db, deliveries, run_id)
        check_no_event_for_a_replay(db, run_id, sim.sent)

    figures = {
        "way": way,
        "makes": made,
        "requests": len(sim.sent),
        "attempts": len(tally.times),
        "load_seconds": round(load_seconds, 1),
        "failover_seconds": round(phases.promoted - phases.fault, 1),
        "failover_longest_without_200": round(
            longest_without_200(tally.times, phases.fault, phases.promoted), 1
        ),
        "failover_500s": failed_attempts(tally.times, phases.fault, phases.rejoin),
        "rejoin_seconds": round(phases.rejoined - phases.rejoin, 1),
        "rejoin_longest_without_200": round(
            longest_without_200(tally.times, phases.rejoin, phases.rejoined), 1
        ),
        "rejoin_500s": failed_attempts(
            tally.times, phases.rejoin, phases.rejoined + AFTER_THE_REJOIN
        ),
        "events": events["events"],
        "event_duplicates": events["duplicates"],
        "call_deadline": CALL_DEADLINE,
    }
    print(f"\nfailover drill ({way}): {json.dumps(figures)}")
    if REPORT:
        with open(REPORT, "a") as report:
            report.write(json.dumps(figures) + "\n")
    stretch = figures["failover_longest_without_200"]
    if way == "zombie":
        bound = phases.promoted - phases.fault + CALL_DEADLINE
        assert stretch <= bound, (stretch, bound)
        assert "cannot commit them" in log, log  # the service met the zombie, and left it
    else:
        assert stretch < BAR, stretch
    assert figures["rejoin_longest_without_200"] < BAR


async def drill(
    ha: Formation,
    way: str,
    victim: str,
    url: str,
    signer: keys.ProviderKey,
    run_id: str,
    tally: TimedTally,
    phases: Phases,
) -> tuple[Simulation, float]:
    dba = Dba(ha.url())
    ready = threading.Event()
    limits = httpx.Limits(max_connections=48, max_keepalive_connections=48)
    try:
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            with Progress(disable=True) as progress:
                sim = Simulation(
                    sender=Sender(
                        client,
                        url,
                        connections=48,
                        retries=80,
                        tally=tally,
                        advance=lambda n: None,
                    ),
                    referee=Referee(),
                    key=signer,
                    dba=dba,
                    named_players=[],
                    currency="EUR",
                    run_id=run_id,
                    token_lifetime=1800,
                    progress=progress,
                    task=progress.add_task("drill", total=None),
                )
                players = sim.open_players("life", PLAYERS, 10**9)
                lanes = scenarios.plan_lifecycle(
                    sim, players, 10_000 // PLAYERS + 400, PARALLEL, 0.15, random.Random(17)
                )
                dba.close()  # the primary goes; the checks open their own
                sim.dba = None
                started = time.monotonic()

                def makes() -> int:  # bets made (a copy's 200 is the same bet)
                    return len(
                        {
                            a.delivery.body
                            for a in sim.sent
                            if a.delivery.route == "bet/make" and a.status == 200
                        }
                    )

                def keep_going() -> bool:
                    if not ready.is_set():
                        if time.monotonic() - started >= BEFORE_THE_FAULT and makes() >= MAKES // 3:
                            ready.set()
                        return True
                    return not phases.done.is_set() or makes() < MAKES

                fault = threading.Thread(
                    target=run_fault, args=(ha, way, victim, phases, ready), daemon=True
                )
                fault.start()
                try:
                    await play(sim, lanes, keep_going)
                finally:
                    ready.set()
                    await asyncio.to_thread(phases.done.wait, 300)
                    await asyncio.to_thread(fault.join, 10)
                return sim, time.monotonic() - started
    finally:
        dba.close()


def stop_serving(served: Served) -> None:
    """SIGTERM (uvicorn stops its workers), then SIGKILL to whatever is left of the
    supervisor and its workers (a SIGKILLed supervisor would leave its workers running)."""
    workers = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent(int(entry.name)) == served.process.pid
    ]
    try:
        served.terminate(timeout=30)
    except Exception:  # stuck: kill it below
        served.kill()
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def drained_on(ha: Formation, prefix: str) -> bool:
    with psycopg.connect(ha.url(), autocommit=True) as db:
        return counts(db, prefix)[1] == 0


async def replay_every_answer(url: str, sent: list[Answer]) -> dict[str, list[Any]]:
    """Send once more every request that got a definite answer (a balance aside: it changes),
    and compare: the same status, the same bytes."""
    firsts: dict[bytes, Answer] = {}
    for answer in sent:
        if answer.delivery.route != "balance" and answer.status not in (None, 500):
            firsts.setdefault(answer.delivery.body, answer)
    different = []
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        semaphore = asyncio.Semaphore(16)

        async def replay(answer: Answer) -> None:
            async with semaphore:
                response = await http.post(
                    f"/{answer.delivery.route}",
                    content=answer.delivery.body,
                    headers={"content-type": "application/json"},
                )
            if (response.status_code, response.text) != (answer.status, answer.text):
                different.append((answer.delivery.route, answer.status, answer.text, response.text))

        await asyncio.gather(*(replay(answer) for answer in firsts.values()))
    return {"different": different}


def check_every_200_is_there(db: psycopg.Connection, sent: list[Answer]) -> int:
    """Each make answered 200 is one bet, under the id it was answered with; no id was given
    to two makes. Returns how many makes were answered 200."""
    answered: dict[str, str] = {}
    for answer in sent:
        if answer.delivery.route == "bet/make" and answer.status == 200:
            tx = answer.delivery.request["transaction"]["id"]
            bet_id = json.loads(answer.text)["id"]
            assert answered.setdefault(tx, bet_id) == bet_id, tx
    assert len(set(answered.values())) == len(answered), "a bet id answered for two makes"
    found = dict(
        db.execute(
            "select make_transaction_id, bet_id::text from wallet_core.bets"
            " where make_transaction_id = any(%s)",
            [list(answered)],
        ).fetchall()
    )
    assert found == answered
    return len(answered)


def check_no_event_for_a_replay(db: psycopg.Connection, prefix: str, sent: list[Answer]) -> None:
    """One event per operation: no operation id twice, and every operation answered 200
    (a copy, a retry or a replay included) has exactly its one event."""
    rows = db.execute(
        "select operation_id, count(*) from wallet.events where player_id like %s"
        " and operation_id is not null group by 1",
        [prefix + "%"],
    ).fetchall()
    per_operation = dict(rows)
    assert [op for op, n in per_operation.items() if n != 1] == []
    operations = {
        json.loads(answer.text)["id"]
        for answer in sent
        if answer.status == 200 and answer.delivery.route != "balance"
    }
    assert {str(op) for op in operations} == {str(op) for op in per_operation}


# What the barrier of answers that wrote nothing costs -------------------------------------


AB_CALLS = int(os.environ.get("WALLET_DRILL_AB_CALLS", "200"))
AB_ROUNDS = 3


def test_await_standbys_cost(ha: Formation) -> None:
    """A/B on the formation's primary, as the service calls it (wallet_app, one statement,
    autocommit): a balance and a replay of a stored make, without and with
    ``WHERE wallet.await_standbys()``, in alternating rounds after a warm-up. With it each
    call writes a few bytes of WAL (the logical message and a commit record) and waits for
    the synchronous standby; without it, nothing. Prints the median time per call."""
    ha.wait_healthy(180)
    primary = ha.primary()
    assert primary is not None
    player = f"ab{random.randrange(10**6)}"
    with psycopg.connect(ha.url(), autocommit=True) as admin:
        admin.execute("select wallet.create_player(%s, 'EUR', 1000000)", [player])
    make = json.dumps(p.make(player, 100, tx=f"{player}-make", betslip_id=f"{player}-slip"))
    balance = json.dumps(p.balance(player))
    barrier = " WHERE wallet.await_standbys()"
    paths = {
        "balance": ("SELECT status, body::text FROM wallet.player_balance(%s::jsonb)", balance),
        "replay": ("SELECT status, body::text FROM wallet.bet_make(%s::jsonb)", make),
    }
    times: dict[tuple[str, str], list[float]] = {}
    wal: dict[tuple[str, str], int] = {}
    app_url = ha.node_url(primary, user="wallet_app")
    with (
        psycopg.connect(app_url, autocommit=True, prepare_threshold=None) as conn,
        psycopg.connect(ha.node_url(primary), autocommit=True) as admin,
    ):
        first = conn.execute(paths["replay"][0], [make]).fetchone()
        assert first is not None
        assert first[0] == 200, first

        def lsn() -> int:
            row = admin.execute("select pg_current_wal_insert_lsn() - '0/0'::pg_lsn").fetchone()
            assert row is not None
            return int(row[0])

        for number in range(AB_ROUNDS + 1):  # round 0 warms up (hint bits, caches)
            for path, (query, request) in paths.items():
                for variant, text in (("A", query), ("B", query + barrier)):
                    started_lsn = lsn()
                    took = []
                    for _ in range(AB_CALLS):
                        started = time.perf_counter()
                        row = conn.execute(text, [request]).fetchone()
                        took.append(time.perf_counter() - started)
                        assert row is not None
                        assert row[0] == 200, row
                    if number:
                        times.setdefault((path, variant), []).extend(took)
                        wal[(path, variant)] = wal.get((path, variant), 0) + lsn() - started_lsn
    calls = AB_CALLS * AB_ROUNDS
    figures: dict[str, Any] = {"way": "await_standbys", "calls": calls}
    for path in paths:
        a = sorted(times[(path, "A")])[calls // 2]
        b = sorted(times[(path, "B")])[calls // 2]
        figures[path] = {
            "median_us_without": round(a * 1e6),
            "median_us_with": round(b * 1e6),
            "ratio": round(b / a, 2),
            "wal_bytes_per_call_without": round(wal[(path, "A")] / calls, 1),
            "wal_bytes_per_call_with": round(wal[(path, "B")] / calls, 1),
        }
        # the barrier writes (and so waits), the plain read does not
        assert wal[(path, "B")] / calls >= 50, figures
        assert wal[(path, "A")] / calls < 10, figures
    print(f"\nawait_standbys A/B: {json.dumps(figures)}")
    if REPORT:
        with open(REPORT, "a") as report:
            report.write(json.dumps(figures) + "\n")
