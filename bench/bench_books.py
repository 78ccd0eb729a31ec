"""The books (issue 15): the reports must not slow the money path, the history must answer at
once, and bet/make must not pay much for what it now keeps.

``report``: a wallet database holding ``--preload`` bets (bulk-loaded by
``bench/growth_load.sql``; a quarter of them with a win and a quarter lost in
``wallet_core.bet_operations``), the pgbench ``bet_make`` load of ``bench/pgbench.py``, in
rounds A B A B: A the load alone, B the same load while ``wallet.money_report`` over every bet
runs once (in a REPEATABLE READ READ ONLY transaction, as ``wallet report`` runs it), started a
second into the round. Prints each report's time (it must finish inside the round) and the ratio
of the medians B / A (the bar: 0.9).

``history``: in the same kind of database, one player with ``--player-bets`` bets (3 selections
each, half of them settled lost with their legs): ``wallet.player_bets`` for the first page and for
the 100th (walked to by keyset), each timed ``--repeat`` times on a warm connection: the
medians of the wall-clock time of the call (the bar: under 5 ms each; jsonb columns are not
decoded in Python) and of the backend's CPU time for it, and EXPLAIN (ANALYZE, BUFFERS) of the
function's own query for both pages.

``make``: ``bet_make`` on a database migrated from ``--before`` (a worktree of main) and on one
migrated from this tree, the same pgbench load (whose make carries
``transaction.cross_rate_euro``: this tree stores it, main ignores it), A B A B; the ratio
this / before (the bar: 0.95). ``--cpu``: instead of pgbench, ``--calls`` makes a round on one
long-lived connection per database, counted per second of that backend's CPU time (as
``bench_limits.py --cpu``), which other processes on a shared machine disturb much less.

Every database is audited afterwards (findings: exit 1); scratch databases are dropped unless
``--keep``; ``--loaded-db`` reuses a database a ``--keep`` run loaded.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        uv run python bench/bench_books.py report --preload 2000000 --seconds 20 --rounds 3
    uv run python bench/bench_books.py history --player-bets 100000
    git worktree add /tmp/books-before main --detach
    uv run python bench/bench_books.py make --before /tmp/books-before --seconds 15 --rounds 3
    uv run python bench/bench_books.py make --before /tmp/books-before --cpu --calls 500 --rounds 20
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import psycopg.conninfo
import psycopg.sql
import psycopg.types.string

import migrate
from bench import pgbench
from bench.bench_limits import cpu_round

ROOT = Path(__file__).resolve().parent.parent

OPERATIONS = """
insert into wallet_core.bet_operations (
    transaction_id, bet_id, account_id, operation, result, amount, cross_rate_euro, provider_at,
    final_odds, legs, created_at
)
select
    'history-op-' || b.bet_id, b.bet_id, b.account_id,
    case when b.bet_id % 4 = 0 then 'win' else 'lost' end,
    case when b.bet_id % 4 = 0 then 'won' else 'lost' end,
    case when b.bet_id % 4 = 0 then 250 else 0 end,
    1.0, b.created_at, 3.32,
    '[{"id": "sel-1", "status": "won", "odds": "1.15"}]'::jsonb,
    b.created_at
from wallet_core.bets as b
where b.make_transaction_id like 'history-tx-%' and b.bet_id % 4 in (0, 1)
"""

PLAYER_HISTORY = """
create temporary table player_history on commit drop as
select g as n, nextval('wallet_core.operation_id_seq') as bet_id
from generate_series(1, %(bets)s) as g;

insert into wallet_core.bets (
    bet_id, account_id, make_transaction_id, made, state, stake, betslip_id, betslip_type, odds,
    cross_rate_euro, created_at
)
select h.bet_id, %(account)s, 'hist-tx-' || h.n, true,
    case when h.n %% 2 = 0 then 'settled' else 'open' end, 100, 'hist-slip-' || h.n, 'express',
    3.32, 1.0, now() - make_interval(secs => %(bets)s - h.n)
from player_history as h;
update wallet_core.bets as b set result = 'lost', settlement_transaction_id = 'hist-lost-' || h.n
from player_history as h where b.bet_id = h.bet_id and h.n %% 2 = 0;

update wallet_core.bets as b set legs_packed = wallet_core.pack_legs(array(
    select row(
        now(), false, 'sel-' || s, 'event-' || s, '1', 'c' || s, 't' || s, '1x2', '1',
        1.05 + s / 10.0, jsonb_build_array('Home ' || s, 'Away ' || s)
    )::wallet_core.leg
    from generate_series(1, 3) as s
)), made_balance = %(opening)s - 100 * h.n
from player_history as h where b.bet_id = h.bet_id;

insert into wallet_core.journal (
    account_id, operation, amount, balance_after, transaction_id, bet_id
)
select %(account)s, 'bet', -100, %(opening)s - 100 * h.n, 'hist-tx-' || h.n, h.bet_id
from player_history as h order by h.n;

update wallet_core.accounts set balance = %(opening)s - 100 * %(bets)s
where account_id = %(account)s;

insert into wallet_core.bet_operations (
    transaction_id, bet_id, account_id, operation, result, amount, final_odds, legs, created_at
)
select 'hist-lost-' || h.n, h.bet_id, %(account)s, 'lost', 'lost', 0, 3.32,
    '[{"id": "sel-1", "status": "lost", "odds": "1.15"},'
    ' {"id": "sel-2", "status": "won", "odds": "1.25"}]',
    now()
from player_history as h where h.n %% 2 = 0;
"""


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def wallet_database(admin_url: str, players: int, root: Path = ROOT / "sql") -> tuple[str, str]:
    name, url = pgbench.scratch_database(admin_url, "wallet_bench_books")
    migrate.Migrator(url, root=root, out=lambda line: None).up()
    pgbench.create_players(url, players)
    return name, url


def loaded_database(args: argparse.Namespace, admin_url: str, created: list[str]) -> str:
    """A database with ``--preload`` bets of history (and their operations), and the history
    player: ``--loaded-db``, or a new one."""
    if args.loaded_db:
        return psycopg.conninfo.make_conninfo(admin_url, dbname=args.loaded_db)
    name, url = wallet_database(admin_url, args.players)
    created.append(name)
    say(f"bulk-loading {args.preload:,} bets into {name} ...")
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select set_config('bench.bets', %s, false)", [str(args.preload)])
        conn.execute((ROOT / "bench" / "growth_load.sql").read_text())
        conn.execute(OPERATIONS)
        opening = 10**12
        row = conn.execute("select wallet.create_player('hist', 'EUR', %s)", [opening]).fetchone()
        assert row is not None
        with conn.transaction(), psycopg.ClientCursor(conn) as cur:  # several statements
            cur.execute(
                PLAYER_HISTORY, {"bets": args.player_bets, "account": row[0], "opening": opening}
            )
        conn.execute("vacuum analyze")
    say(f"loaded in {time.monotonic() - started:.0f} s")
    return url


def audit_findings(url: str) -> int:
    """``wallet.audit()``'s findings outside the bulk-loaded history: growth_load.sql opens its
    players with a balance and no opening deposit in the journal (bench_db.py growth audits only
    its empty database), so their accounts fail balance_vs_journal and journal_chain by design.
    Everything the benchmark itself does (its players, the history player) is audited."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from wallet.audit()"
            " where \"check\" <> 'negative_balance' and player_id not like 'history-%'"
        ).fetchone()
    return int(row[0]) if row else -1


def bets_made(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("select count(*) from wallet_core.bets where made").fetchone()
    return int(row[0]) if row else 0


def make_round(label: str, url: str, script: Path, args: argparse.Namespace) -> pgbench.Result:
    before = bets_made(url)
    result = pgbench.run(label, url, clients=args.clients, seconds=args.seconds, script=script)
    if bets_made(url) - before != result.transactions:
        raise SystemExit(f"{label}: a call made no bet (a refusal?)")
    return result


def money_report_once(url: str, delay: float, timings: list[dict[str, Any]]) -> None:
    """``wallet.money_report`` over all time, as ``wallet report`` reads it."""
    time.sleep(delay)
    with psycopg.connect(url, application_name="wallet report (bench)") as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        started = time.monotonic()
        rows = conn.execute(
            "select currency, bets, stakes_eur from wallet.money_report("
            "now() - interval '30 days', now() + interval '1 day')"
        ).fetchall()
        seconds = time.monotonic() - started
        conn.rollback()
    timings.append({"seconds": round(seconds, 3), "rows": [list(map(str, r)) for r in rows]})


def report(args: argparse.Namespace, admin_url: str, script: Path) -> dict[str, object]:
    created: list[str] = []
    try:
        url = loaded_database(args, admin_url, created)
        present = bets_made(url)
        pgbench.run("warm-up", url, clients=args.clients, seconds=2, script=script)
        alone: list[float] = []
        beside: list[float] = []
        rounds: list[dict[str, object]] = []
        reports: list[dict[str, Any]] = []
        for n in range(args.rounds):
            a = make_round(f"alone #{n + 1}", url, script, args)
            timings: list[dict[str, Any]] = []
            worker = threading.Thread(target=money_report_once, args=(url, 1.0, timings))
            worker.start()
            b = make_round(f"with money_report #{n + 1}", url, script, args)
            worker.join()
            if not timings:
                raise SystemExit("the report failed")
            if timings[0]["seconds"] + 1.0 > args.seconds:
                raise SystemExit(f"the report did not finish inside the round: {timings[0]}")
            reports.append(timings[0])
            rounds += [a.as_dict(), b.as_dict()]
            alone.append(a.tps)
            beside.append(b.tps)
            say(
                f"round {n + 1}: alone {a.tps:.0f} calls/s, with the report {b.tps:.0f} calls/s;"
                f" money_report over {present:,} bets took {timings[0]['seconds']} s"
            )
        return {
            "benchmark": "books report",
            "clients": args.clients,
            "seconds": args.seconds,
            "bets_present": present,
            "rounds": rounds,
            "money_report_seconds": [r["seconds"] for r in reports],
            "money_report_rows": reports[-1]["rows"],
            "alone_per_s_median": round(statistics.median(alone)),
            "with_report_per_s_median": round(statistics.median(beside)),
            "ratio_with_report_to_alone": round(
                statistics.median(beside) / statistics.median(alone), 3
            ),
            "audit_findings": audit_findings(url),
        }
    finally:
        if not args.keep:
            for name in created:
                pgbench.drop_database(admin_url, name)


def page_query(source: str) -> str:
    """The page's query in wallet.player_bets' source, between its two markers."""
    return source.split("-- page query begins", 1)[1].split("-- page query ends", 1)[0]


def page_plan(conn: psycopg.Connection, before: int | None, page: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of wallet.player_bets' own query (between its markers),
    generic plan."""
    row = conn.execute(
        "select prosrc from pg_proc where oid = 'wallet.player_bets'::regproc"
    ).fetchone()
    assert row is not None
    conn.execute("set plan_cache_mode = force_generic_plan")
    conn.execute(f"prepare page_query (text, bigint, integer) as {page_query(row[0])}")
    arguments = psycopg.sql.SQL(", ").join(map(psycopg.sql.Literal, ("hist", before, page)))
    lines = conn.execute(
        psycopg.sql.SQL("explain (analyze, buffers) execute page_query ({})").format(arguments)
    ).fetchall()
    conn.execute("deallocate page_query")
    conn.execute("reset plan_cache_mode")
    return "\n".join(line for (line,) in lines)


def history(args: argparse.Namespace, admin_url: str, _script: Path) -> dict[str, object]:
    created: list[str] = []
    try:
        url = loaded_database(args, admin_url, created)
        query = "select * from wallet.player_bets('hist', %s, 50)"
        with psycopg.connect(url, autocommit=True) as conn:
            # the answer as the server sends it: jsonb columns are not decoded into Python
            # objects, which would time the client's JSON parser, not the wallet
            conn.adapters.register_loader("jsonb", psycopg.types.string.TextLoader)
            bets = conn.execute(
                "select count(*) from wallet_core.bets as b join wallet_core.accounts as a"
                " using (account_id) where a.player_id = 'hist'"
            ).fetchone()
            cursors: list[int | None] = [None]
            for _ in range(99):  # the keyset walk to the 100th page
                page = conn.execute(query, [cursors[-1]], prepare=True).fetchall()
                cursors.append(page[-1][0])
            timings: dict[str, list[float]] = {"first": [], "hundredth": []}
            cpu: dict[str, list[float]] = {"first": [], "hundredth": []}
            # the backend's CPU time per call (/proc/<pid>/schedstat, nanoseconds on a CPU):
            # what the page costs the server, which a busy shared machine disturbs far less
            # than the wall clock
            stat = Path(f"/proc/{conn.info.backend_pid}/schedstat")
            for _ in range(args.repeat):
                for label, before in (("first", cursors[0]), ("hundredth", cursors[99])):
                    used = int(stat.read_text().split()[0])
                    started = time.perf_counter()
                    page = conn.execute(query, [before], prepare=True).fetchall()
                    timings[label].append((time.perf_counter() - started) * 1000)
                    cpu[label].append((int(stat.read_text().split()[0]) - used) / 1e6)
                    assert len(page) == 50
            plans = {
                label: page_plan(conn, before, 50)
                for label, before in (("first", None), ("hundredth", cursors[99]))
            }
        for label, plan in plans.items():
            say(f"--- EXPLAIN (ANALYZE, BUFFERS) of the {label} page ---\n{plan}")
        return {
            "benchmark": "books history",
            "player_bets": bets[0] if bets else 0,
            "bets_present": bets_made(url),
            "repeat": args.repeat,
            "first_page_server_cpu_ms_median": round(statistics.median(cpu["first"]), 3),
            "hundredth_page_server_cpu_ms_median": round(statistics.median(cpu["hundredth"]), 3),
            "first_page_ms_median": round(statistics.median(timings["first"]), 3),
            "first_page_ms_max": round(max(timings["first"]), 3),
            "hundredth_page_ms_median": round(statistics.median(timings["hundredth"]), 3),
            "hundredth_page_ms_max": round(max(timings["hundredth"]), 3),
            "plans": plans,
            "audit_findings": audit_findings(url),
        }
    finally:
        if not args.keep:
            for name in created:
                pgbench.drop_database(admin_url, name)


def make(args: argparse.Namespace, admin_url: str, script: Path) -> dict[str, object]:
    if args.before is None:
        raise SystemExit("make needs --before <a worktree of main>")
    created: list[str] = []
    try:
        urls: dict[str, str] = {}
        for label, root in (("before", args.before / "sql"), ("books", ROOT / "sql")):
            name, urls[label] = wallet_database(admin_url, args.players, root)
            created.append(name)
        for url in urls.values():
            pgbench.run("warm-up", url, clients=args.clients, seconds=2, script=script)
        tps: dict[str, list[float]] = {label: [] for label in urls}
        rounds: list[dict[str, object]] = []
        # --cpu: one long-lived connection per database, calls per second of its backend's CPU
        # time (bench_limits.cpu_round), which a busy shared machine disturbs much less.
        conns = {
            label: psycopg.connect(url, autocommit=True)
            for label, url in (urls.items() if args.cpu else [])
        }
        for label, conn in conns.items():
            cpu_round(conn, args, label)  # warm-up
        for n in range(args.rounds):
            for label in list(urls) if n % 2 == 0 else list(reversed(urls)):
                if args.cpu:
                    tps[label].append(cpu_round(conns[label], args, label))
                    rounds.append(
                        {"label": f"{label} #{n + 1}", "per_cpu_s": round(tps[label][-1])}
                    )
                    continue
                result = make_round(f"{label} #{n + 1}", urls[label], script, args)
                tps[label].append(result.tps)
                rounds.append(result.as_dict())
            unit = "per CPU s" if args.cpu else "/s"
            say(f"round {n + 1}: " + ", ".join(f"{k} {v[-1]:.0f}{unit}" for k, v in tps.items()))
        for conn in conns.values():
            conn.close()
        with psycopg.connect(urls["books"], autocommit=True) as conn:
            kept = conn.execute(
                "select count(*) filter (where cross_rate_euro = 1.0), count(*)"
                " from wallet_core.bets"
            ).fetchone()
        medians = {label: statistics.median(values) for label, values in tps.items()}
        return {
            "benchmark": "books make",
            "measure": f"calls per backend CPU second, {args.calls} a round"
            if args.cpu
            else "pgbench",
            "clients": args.clients,
            "seconds": args.seconds,
            "rounds": rounds,
            "median_per_s": {label: round(value) for label, value in medians.items()},
            "ratio_books_to_before": round(medians["books"] / medians["before"], 3),
            "books_bets_with_cross_rate": list(kept) if kept else None,
            "audit_findings": sum(pgbench.audit_findings(url) for url in urls.values()),
        }
    finally:
        if not args.keep:
            for name in created:
                pgbench.drop_database(admin_url, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["report", "history", "make"])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="A B pairs")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--preload", type=int, default=2_000_000, help="bets of history")
    parser.add_argument(
        "--player-bets", type=int, default=100_000, help="history: the player's bets"
    )
    parser.add_argument("--repeat", type=int, default=50, help="history: timings per page")
    parser.add_argument("--before", type=Path, help="make: a worktree of main")
    parser.add_argument("--cpu", action="store_true", help="make: calls per server CPU second")
    parser.add_argument("--calls", type=int, default=400, help="make --cpu: calls per round")
    parser.add_argument("--loaded-db", help="reuse a database a --keep run loaded")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args()
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        raise SystemExit("set DATABASE_URL to a superuser URL (pgbench needs a real server)")
    with tempfile.TemporaryDirectory(prefix="wallet-bench-") as tmp:
        script = Path(tmp) / "bet_make.sql"
        script.write_text(pgbench.bet_make_script(args.players))
        run = {"report": report, "history": history, "make": make}[args.mode]
        result = run(args, admin_url, script)
    print(json.dumps(result, indent=2))
    return 0 if result["audit_findings"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
