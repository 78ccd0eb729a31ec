"""What one bet/make leaves behind: bytes per bet by table and index, rows written per make, and
where one make's time goes.

``storage``: for each ``--tree`` (a worktree whose ``sql/`` is migrated; default this one), a
scratch database on ``DATABASE_URL``'s server with ``--players`` players, ``--warm`` makes to
create the reference rows, then ``--bets`` 3-selection makes (``bench/pgbench.py``'s request,
a new id each) from one connection. Prints, per tree, the growth of every ``wallet_core``
relation (each table with its TOAST, and each of its indexes, ``pg_total_relation_size`` /
``pg_relation_size`` after ``VACUUM``) divided by the bets made, and the rows each make wrote
(``pg_stat_user_tables``: inserts, updates and deletes, divided by the makes). Every make must
answer 200, and ``wallet.audit()`` must be clean.

``profile``: a private PostgreSQL cluster (``--bindir``'s binaries, a temporary directory,
``shared_preload_libraries = pg_stat_statements``, ``track_functions = 'all'``,
``pg_stat_statements.track = 'all'``), a database migrated from the first ``--tree``, ``--bets``
makes from one connection after ``--warm``; prints each function's self and total time per make
(``pg_stat_user_functions``) and the statements by time per make (``pg_stat_statements``).
Absolute times include the instrumentation and move with the machine; the shares are what count.

``move``: a scratch database holding ``--preload`` bets in the layout before migration 0610
(``bench/growth_load_before_0610.sql``: an idempotency record and three selections rows each),
then ``CALL wallet.move_to_bet_rows(--batch)`` while one client wins and rolls back randomly
chosen old bets back to back until it ends, the money path on the rows the batches lock.
Prints the move's total time, every batch's time (the longest any bet row was locked) and the
settlements' latencies (max, p99), then replays old makes and checks the bytes.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        uv run python bench/bench_storage.py storage --bets 20000 --tree /tmp/before-lean --tree .
    uv run python bench/bench_storage.py profile --bets 3000
    uv run python bench/bench_storage.py move --preload 2000000
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import psycopg.conninfo

import migrate
from bench import pgbench

ROOT = Path(__file__).resolve().parent.parent
PORT = 5498

MAKE = """
select status from wallet.bet_make(
    %(request)s::jsonb || jsonb_build_object(
        'player_id', 'bench-' || %(player)s::text,
        'transaction', %(transaction)s::jsonb || jsonb_build_object(
            'id', %(tx)s::text, 'ext_player_id', 'bench-' || %(player)s::text,
            'betslip_id', 'slip-' || %(tx)s::text),
        'betslip', %(betslip)s::jsonb || jsonb_build_object('id', 'slip-' || %(tx)s::text)))
"""


def make_bets(url: str, players: int, count: int, label: str) -> None:
    """``count`` makes from one connection; each must answer 200."""
    parts = {
        "request": json.dumps(pgbench._REQUEST),
        "transaction": json.dumps(pgbench._TRANSACTION),
        "betslip": json.dumps(pgbench._BETSLIP),
    }
    with psycopg.connect(url, autocommit=True) as conn:
        for n in range(count):
            row = conn.execute(
                MAKE, parts | {"player": n % players + 1, "tx": f"{label}-{n}"}, prepare=True
            ).fetchone()
            if row != (200,):
                raise SystemExit(f"{label}: make {n} answered {row}")


def relation_sizes(url: str) -> dict[str, int]:
    """Bytes of each wallet_core table (heap, free space map, visibility map, TOAST) and of each
    index, after VACUUM."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum")
        rows = conn.execute(
            """
            select c.relname,
                pg_total_relation_size(c.oid) - pg_indexes_size(c.oid)
            from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = 'wallet_core' and c.relkind = 'r'
            union all
            select t.relname || ' / ' || c.relname, pg_relation_size(c.oid)
            from pg_index as i
            join pg_class as c on c.oid = i.indexrelid
            join pg_class as t on t.oid = i.indrelid
            join pg_namespace as n on n.oid = t.relnamespace
            where n.nspname = 'wallet_core'
            """
        ).fetchall()
    return {str(name): int(size) for name, size in rows}


def row_writes(url: str) -> dict[str, int]:
    """Rows inserted, updated and deleted so far, per wallet_core table."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            """
            select relname, n_tup_ins + n_tup_upd + n_tup_del
            from pg_stat_user_tables where schemaname = 'wallet_core'
            """
        ).fetchall()
    return {str(name): int(count) for name, count in rows}


def settled_writes(url: str) -> dict[str, int]:
    """row_writes once the statistics of the sessions that ended have arrived (they are flushed
    when a backend exits, a moment after its client has gone)."""
    last = row_writes(url)
    for _ in range(50):
        time.sleep(0.2)
        now = row_writes(url)
        if now == last:
            return now
        last = now
    return last


def storage(args: argparse.Namespace, admin_url: str) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for tree in args.tree:
        name, url = pgbench.scratch_database(admin_url, "wallet_storage")
        try:
            migrate.Migrator(url, root=Path(tree) / "sql", out=lambda line: None).up()
            pgbench.create_players(url, args.players)
            make_bets(url, args.players, args.warm, "warm")
            sizes_before = relation_sizes(url)
            writes_before = settled_writes(url)
            started = time.monotonic()
            make_bets(url, args.players, args.bets, "bet")
            elapsed = time.monotonic() - started
            writes_after = settled_writes(url)
            sizes_after = relation_sizes(url)
            findings = pgbench.audit_findings(url)
            if findings:
                raise SystemExit(f"{tree}: wallet.audit() found {findings} rows")
            growth = {
                rel: round((sizes_after[rel] - sizes_before.get(rel, 0)) / args.bets)
                for rel in sorted(sizes_after)
                if sizes_after[rel] != sizes_before.get(rel, 0)
            }
            writes = {
                rel: round((writes_after[rel] - writes_before.get(rel, 0)) / args.bets, 3)
                for rel in sorted(writes_after)
                if writes_after[rel] != writes_before.get(rel, 0)
            }
            results[str(tree)] = {
                "bets": args.bets,
                "bytes_per_bet": sum(growth.values()),
                "bytes_per_bet_by_relation": growth,
                "rows_written_per_make": round(sum(writes.values()), 3),
                "rows_written_per_make_by_table": writes,
                "makes_per_s_one_connection": round(args.bets / elapsed),
                "audit_findings": findings,
            }
            say(f"{tree}: {sum(growth.values())} bytes/bet, {sum(writes.values()):.2f} rows/make")
        finally:
            if not args.keep:
                pgbench.drop_database(admin_url, name)
    return results


def as_postgres(*command: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """A command as the postgres user (PostgreSQL refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, text=True, **kwargs)


def profile(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="wallet-profile-"))
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
    data = work / "data"
    as_postgres(
        str(args.bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
        capture_output=True,
    )  # fmt: skip
    options = (
        f"-p {PORT} -k {work} -c shared_preload_libraries=pg_stat_statements "
        "-c track_functions=all -c pg_stat_statements.track=all"
    )
    pg_ctl = [str(args.bindir / "pg_ctl"), "-D", str(data), "-l", str(work / "log")]
    try:
        as_postgres(*pg_ctl, "-o", options, "-w", "start", capture_output=True)
        admin = f"host={work} port={PORT} user=postgres dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("create database wallet_profile")
        url = psycopg.conninfo.make_conninfo(admin, dbname="wallet_profile")
        migrate.Migrator(url, root=Path(args.tree[0]) / "sql", out=lambda line: None).up()
        pgbench.create_players(url, args.players)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create extension pg_stat_statements")
        make_bets(url, args.players, args.warm, "warm")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("select pg_stat_reset(), pg_stat_statements_reset()")
        make_bets(url, args.players, args.bets, "bet")
        time.sleep(1)
        with psycopg.connect(url, autocommit=True) as conn:
            functions = conn.execute(
                """
                select schemaname || '.' || funcname, calls,
                    round((total_time / %(n)s)::numeric, 4), round((self_time / %(n)s)::numeric, 4)
                from pg_stat_user_functions
                where schemaname in ('wallet', 'wallet_core')
                order by total_time desc
                """,
                {"n": args.bets},
            ).fetchall()
            statements = conn.execute(
                """
                select regexp_replace(left(query, 110), '\\s+', ' ', 'g'), calls,
                    round((total_exec_time / %(n)s)::numeric, 4)
                from pg_stat_statements
                where query not like '%%pg_stat%%'
                order by total_exec_time desc
                limit 25
                """,
                {"n": args.bets},
            ).fetchall()
        return {
            "makes": args.bets,
            "functions_ms_per_make": [
                {"function": f, "calls_per_make": round(c / args.bets, 2), "total": t, "self": s}
                for f, c, t, s in ((f, c, float(t), float(s)) for f, c, t, s in functions)
            ],
            "statements_ms_per_make": [
                {"statement": q, "calls_per_make": round(c / args.bets, 2), "ms": float(t)}
                for q, c, t in statements
            ],
        }
    finally:
        subprocess.run(
            [*(["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []), *pg_ctl, "-m",
             "immediate", "stop"],
            capture_output=True, check=False,
        )  # fmt: skip
        shutil.rmtree(work, ignore_errors=True)


def move(args: argparse.Namespace, admin_url: str) -> dict[str, Any]:
    from app.simulator import provider

    name, url = pgbench.scratch_database(admin_url, "wallet_move")
    try:
        migrate.Migrator(url, out=lambda line: None).up()
        say(f"bulk-loading {args.preload:,} bets in the layout before 0610 ...")
        started = time.monotonic()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("select set_config('bench.bets', %s, false)", [str(args.preload)])
            conn.execute((ROOT / "bench" / "growth_load_before_0610.sql").read_text())
            conn.execute("vacuum analyze")
            loaded = time.monotonic() - started
            say(f"loaded in {loaded:.0f} s")
            old = conn.execute(
                "select b.bet_id::text, a.player_id, b.make_transaction_id, i.response::text"
                " from wallet_core.bets as b join wallet_core.accounts as a using (account_id)"
                " join wallet_core.idempotency as i on i.key = b.make_transaction_id"
                " order by random() limit 20000"
            ).fetchall()
        stop = threading.Event()
        latencies: list[float] = []

        def settle() -> None:
            # A win and its rollback on one old bet after another, round and round until the
            # move ends: each writes its bet row, which a batch may hold.
            with psycopg.connect(url, autocommit=True) as conn:
                for n in itertools.count():
                    bet, player, _, _ = old[n % len(old)]
                    for route, request in (
                        ("bet/win", provider.win(player, bet, 100, tx=f"move-win-{n}")),
                        (
                            "bet/rollback",
                            provider.rollback(player, bet, f"move-win-{n}", tx=f"move-back-{n}"),
                        ),
                    ):
                        if stop.is_set():
                            return
                        begun = time.monotonic()
                        status, text = provider.call(conn, route, request)
                        latencies.append(time.monotonic() - begun)
                        if status != 200:
                            raise SystemExit(f"{route} on old bet {bet}: {status} {text}")

        batches: list[float] = []

        def notice(diagnostic: psycopg.errors.Diagnostic) -> None:
            text = diagnostic.message_primary or ""
            if "this batch" in text:
                batches.append(_seconds(text.split("this batch ", 1)[1].split(",", 1)[0]))

        settler = threading.Thread(target=settle, daemon=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.add_notice_handler(notice)
            settler.start()
            started = time.monotonic()
            conn.execute("call wallet.move_to_bet_rows(%s)", [args.batch])
            took = time.monotonic() - started
            stop.set()
            settler.join()
            replayed = 0
            for bet, player, tx, answer in old[:200]:
                request = provider.make(player, 100, tx=tx)
                status, text = provider.call(conn, "bet/make", request)
                if (status, text) != (200, answer):
                    raise SystemExit(f"old make {tx} of bet {bet}: {status} {text} != {answer}")
                replayed += 1
            left = conn.execute(
                "select (select count(*) from wallet_core.selections),"
                " (select count(*) from wallet_core.idempotency where route = 'bet/make'"
                "  and key like 'history-%%')"
            ).fetchone()
        latencies.sort()
        with psycopg.connect(url, autocommit=True) as conn:
            # growth_load's history players open without a journal row: their own findings
            found = conn.execute(
                "select count(*) from wallet.audit() where \"check\" <> 'negative_balance'"
                " and coalesce(player_id, '') not like 'history-%%'"
            ).fetchone()
        findings = int(found[0]) if found else -1
        return {
            "bets": args.preload,
            "load_seconds": round(loaded),
            "batch": args.batch,
            "move_seconds": round(took, 1),
            "batches": len(batches),
            "batch_seconds_max": max(batches, default=0.0),
            "batch_seconds_median": sorted(batches)[len(batches) // 2] if batches else 0.0,
            "settlements_during_the_move": len(latencies),
            "settlement_ms_max": _ms(latencies, 1.0),
            "settlement_ms_p99": _ms(latencies, 0.99),
            "settlement_ms_median": _ms(latencies, 0.5),
            "old_makes_replayed_byte_for_byte": replayed,
            "selections_rows_left": left[0] if left else None,
            "make_records_left": left[1] if left else None,
            "audit_findings_outside_the_loaded_history": findings,
        }
    finally:
        if not args.keep:
            pgbench.drop_database(admin_url, name)


def _ms(sorted_seconds: list[float], quantile: float) -> float | None:
    if not sorted_seconds:
        return None
    return round(1000 * sorted_seconds[int(quantile * (len(sorted_seconds) - 1))], 1)


def _seconds(interval: str) -> float:
    """An interval as PostgreSQL prints it (00:00:00.123456) in seconds."""
    hours, minutes, seconds = interval.strip().split(":")
    return round(int(hours) * 3600 + int(minutes) * 60 + float(seconds), 3)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["storage", "profile", "move"])
    parser.add_argument("--tree", action="append", help="a worktree whose sql/ to measure")
    parser.add_argument("--bets", type=int, default=10_000)
    parser.add_argument("--warm", type=int, default=500)
    parser.add_argument("--players", type=int, default=1_000)
    parser.add_argument("--bindir", type=Path, default=Path("/usr/lib/postgresql/15/bin"))
    parser.add_argument("--preload", type=int, default=2_000_000, help="move: bets present")
    parser.add_argument("--batch", type=int, default=5_000, help="move: bets per batch")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args()
    args.tree = args.tree or [str(ROOT)]
    if args.mode == "profile":
        result = profile(args)
    else:
        admin_url = os.environ.get("DATABASE_URL")
        if not admin_url:
            raise SystemExit("set DATABASE_URL to a superuser URL")
        result = storage(args, admin_url) if args.mode == "storage" else move(args, admin_url)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
