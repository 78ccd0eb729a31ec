"""bet/make throughput alone and while ``wallet purge`` deletes expired idempotency records.

On a scratch database (server named by DATABASE_URL), the idempotency table is loaded with
``--rows`` synthetic records, half of them 40 days old, before each phase (so both phases see
the same table); then pgbench calls ``wallet.bet_make`` at ``--clients`` for ``--seconds``,
alone or while ``app.ops.retention.purge_idempotency`` runs with ``--pause`` and ``--blocks``,
alternated ``--rounds`` times. Prints JSON: transactions per second per phase, each purge's
rows, batches and seconds, the median ratio with purge / alone, and wallet.audit()'s findings.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        uv run python bench/bench_purge.py --rows 1500000 --rounds 4 --pause 0.1

``--before DIR`` measures the purge itself instead, at full speed (no pause, no load), against
the code of a worktree ``DIR`` (e.g. main): two scratch databases, one migrated from each
``sql/``, loaded alike, purged alternately ``--rounds`` times (the order reversed every other
round). There every expired record belongs to a bet, as in production: half of them to closed
bets (purged), half to settled ones (which ``wallet purge`` now keeps: a rollback may still
come), so that the bet lookups the purge now makes are paid in full. Prints the seconds of
each purge, the records each deleted, and the median ratio this tree / before.

    BEFORE=$(mktemp -d)/before && git worktree add --detach "$BEFORE" main
    DATABASE_URL=... uv run python bench/bench_purge.py --before "$BEFORE" --rows 400000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import psycopg

import migrate
from app.ops.retention import PurgeResult, purge_idempotency
from bench import pgbench

LOAD = """
INSERT INTO wallet_core.idempotency (kind, key, operation_id, route, player_id, amount, currency,
    status, response, created_at)
SELECT 'transaction', 'synthetic-' || n, nextval('wallet_core.operation_id_seq'), 'bet/make',
    'p-' || (n %% 100), 100, 'EUR', 200,
    jsonb_build_object('id', n::text, 'ext_transaction_id', 'synthetic-' || n, 'user_id', 'p-1',
        'balance', 1000, 'currency', 'EUR'),
    now() - make_interval(days => CASE WHEN n %% 2 = 0 THEN 40 ELSE 1 END)
FROM generate_series(1, %s) AS n
"""


def load(db_url: str, rows: int) -> str:
    """Replace the synthetic records; the table's size afterwards."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DELETE FROM wallet_core.idempotency WHERE key LIKE 'synthetic-%'")
        conn.execute("VACUUM wallet_core.idempotency")
        conn.execute(LOAD, (rows,))
        conn.execute("VACUUM ANALYZE wallet_core.idempotency")
        row = conn.execute(
            "SELECT pg_size_pretty(pg_relation_size('wallet_core.idempotency'))"
        ).fetchone()
        return str(row[0]) if row else "?"


BETS = """
INSERT INTO wallet_core.bets (bet_id, account_id, make_transaction_id, made, state, stake, result,
    settlement_transaction_id, closing_status)
SELECT 1000000000000 + n, (SELECT min(account_id) FROM wallet_core.accounts), 'synthetic-' || n,
    true, CASE WHEN n %% 4 = 0 THEN 'closed' ELSE 'settled' END, 100, 'won', 'synthetic-win-' || n,
    CASE WHEN n %% 4 = 0 THEN 'won' END
FROM generate_series(2, %s, 2) AS n
"""
"""A bet for every expired record (even n): every other one closed, the rest settled."""


def load_with_bets(db_url: str, rows: int) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DELETE FROM wallet_core.bets WHERE make_transaction_id LIKE 'synthetic-%'")
        conn.execute("VACUUM wallet_core.bets")
        conn.execute(BETS, (rows,))
        conn.execute("VACUUM ANALYZE wallet_core.bets")
    load(db_url, rows)


def purge_alone(args: argparse.Namespace, url: str) -> int:
    """The purge at full speed, this tree against ``--before``, side by side."""
    roots = {"before": args.before / "sql", "after": Path(__file__).resolve().parents[1] / "sql"}
    names: dict[str, str] = {}
    urls: dict[str, str] = {}
    runs: list[dict[str, object]] = []
    try:
        for label, root in roots.items():
            names[label], urls[label] = pgbench.scratch_database(url, "wallet_bench_purge")
            migrate.Migrator(urls[label], root=root, out=lambda line: None).up()
            pgbench.create_players(urls[label], 1)
        for n in range(args.rounds):
            order = list(roots) if n % 2 == 0 else list(reversed(roots))
            for label in order:
                load_with_bets(urls[label], args.rows)
                done = purge_idempotency(
                    urls[label], keep_days=30, blocks=args.blocks, pause=0, out=lambda line: None
                )
                runs.append({"label": f"{label} #{n + 1}", "deleted": done.deleted,
                             "seconds": done.seconds})  # fmt: skip
                print(label, n + 1, done.deleted, done.seconds, file=sys.stderr, flush=True)
        findings = 0
        for label in roots:
            with psycopg.connect(urls[label], autocommit=True) as conn:
                conn.execute("DELETE FROM wallet_core.idempotency WHERE key LIKE 'synthetic-%'")
                conn.execute(
                    "DELETE FROM wallet_core.bets WHERE make_transaction_id LIKE 'synthetic-%'"
                )
                row = conn.execute(
                    "SELECT count(*) FROM wallet.audit() WHERE \"check\" <> 'negative_balance'"
                ).fetchone()
                findings += int(row[0]) if row else 1
    finally:
        for name in names.values():
            pgbench.drop_database(url, name)
    median = {
        label: statistics.median(
            float(run["seconds"])  # type: ignore[arg-type]
            for run in runs
            if str(run["label"]).startswith(label)
        )
        for label in roots
    }
    print(
        json.dumps(
            {"rows": args.rows, "runs": runs, "median_seconds": median,
             "ratio_after_to_before": round(median["after"] / median["before"], 3),
             "audit_findings": findings},
            indent=2,
        )
    )  # fmt: skip
    return 0 if findings == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.1)
    parser.add_argument("--blocks", type=int, default=128)
    parser.add_argument(
        "--before", type=Path, help="worktree of the code before: time the purge alone against it"
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("needs DATABASE_URL (pgbench needs a real server)")
    if args.before is not None:
        return purge_alone(args, url)
    name, db_url = pgbench.scratch_database(url, "wallet_bench_purge")
    script = Path(tempfile.mkdtemp(prefix="wallet-bench-purge-")) / "bet_make.sql"
    script.write_text(pgbench.bet_make_script(100))
    result: dict[str, list[object]] = {"alone": [], "with_purge": [], "purges": []}
    try:
        migrate.Migrator(db_url, out=lambda line: None).up()
        pgbench.create_players(db_url, 100)
        pgbench.run("warm-up", db_url, clients=args.clients, seconds=3, script=script)
        for n in range(args.rounds):
            for phase in ("alone", "with_purge"):
                size = load(db_url, args.rows)
                purged: list[PurgeResult] = []
                purge = threading.Thread(
                    target=lambda box: box.append(
                        purge_idempotency(
                            db_url, keep_days=30, blocks=args.blocks, pause=args.pause,
                            out=lambda line: None,
                        )
                    ),
                    args=(purged,),
                )  # fmt: skip
                if phase == "with_purge":
                    purge.start()
                run = pgbench.run(
                    f"{phase} #{n + 1}", db_url, clients=args.clients, seconds=args.seconds,
                    script=script,
                )  # fmt: skip
                if phase == "with_purge":
                    purge.join()
                    result["purges"].append(
                        {"deleted": purged[0].deleted, "batches": purged[0].batches,
                         "seconds": purged[0].seconds, "table": size}
                    )  # fmt: skip
                result[phase].append(round(run.tps))
                print(phase, n + 1, round(run.tps), file=sys.stderr, flush=True)
        with psycopg.connect(db_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM wallet.audit() WHERE \"check\" <> 'negative_balance'"
            ).fetchone()
            findings = int(row[0]) if row else -1
    finally:
        pgbench.drop_database(url, name)
    alone = statistics.median(float(x) for x in result["alone"])  # type: ignore[arg-type]
    with_purge = statistics.median(float(x) for x in result["with_purge"])  # type: ignore[arg-type]
    print(
        json.dumps(
            result
            | {"ratio_with_purge_to_alone": round(with_purge / alone, 3)}
            | {"audit_findings": findings},
            indent=2,
        )
    )
    return 0 if findings == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
