"""bet/make throughput alone and while ``wallet purge`` deletes expired idempotency records.

On a scratch database (server named by DATABASE_URL), the idempotency table is loaded with
``--rows`` synthetic records, half of them 40 days old, before each phase (so both phases see
the same table); then pgbench calls ``wallet.bet_make`` at ``--clients`` for ``--seconds``,
alone or while ``app.ops.retention.purge_idempotency`` runs with ``--pause`` and ``--blocks``,
alternated ``--rounds`` times. Prints JSON: transactions per second per phase, each purge's
rows, batches and seconds, the median ratio with purge / alone, and wallet.audit()'s findings.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        uv run python bench/bench_purge.py --rows 1500000 --rounds 4 --pause 0.1
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.1)
    parser.add_argument("--blocks", type=int, default=128)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("needs DATABASE_URL (pgbench needs a real server)")
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
