"""Instructions per bet/make, counted with callgrind: deterministic where wall-clock and CPU-time
rates on a shared machine move by 10% between rounds.

For each ``--tree`` (a worktree: its ``sql/`` is migrated) a database of a private PostgreSQL
cluster is made, with ``--players`` players (and, with ``--bonus``, a freebet_freemoney grant of
10^15 for each, every make naming it), and then a single-user backend (``postgres --single``)
under ``valgrind --tool=callgrind`` runs 50, then 250 makes (``bench_db.py``'s make: 3
selections, a new id every call). The 200 makes between the two runs' totals, divided: the
marginal instructions of one make, start-up and first-call planning left out. Prints JSON, and
each tree's ratio to the first.

With ``--warm N``, N makes run before that ``vacuum analyze``. Without it the tables a make
reads by key (bets, idempotency, sports, categories, tournaments) are analyzed empty, and the
plans PL/pgSQL keeps for the whole run read them by seq scan: the claim's look-up of the key
among the bets scans every bet made so far, a cost that grows with the run (main at 278ec20:
2 877 650 instructions per make, 2 492 998 with ``--warm 1000``). A few warm makes are not
enough (``--warm 50``: 3 001 677, the same seq scans over 50 more bets): the tables must span
enough pages for the planner to prefer their indexes. ``bench_db.py ceiling`` warms up and
analyzes before it measures, so ``--warm 1000`` is the figure that goes with the throughput bar.

Needs valgrind (Debian package ``valgrind``) and PostgreSQL's server binaries (``--bindir``);
run as root, it runs the cluster as the ``postgres`` user. Every make must answer 200.

    git worktree add --detach /tmp/bonus-before main
    uv run python bench/callgrind_make.py --tree /tmp/bonus-before --tree . --tree .:bonus
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

import migrate
from bench import bench_bonus, pgbench

PORT = 5499


def as_postgres(*command: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """A command as the postgres user (PostgreSQL refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, text=True, **kwargs)  # type: ignore[call-overload]


def statements(players: int, bonus: bool, count: int, label: str) -> str:
    """``count`` makes, one per line (single-user mode ends a statement at a newline)."""
    script = bench_bonus.script(players, bonus).split("\n", 2)[2]
    one = " ".join(line.strip() for line in script.strip().splitlines())
    return "".join(
        one.replace(":player::text", f"'{n % players + 1}'").replace(":tx::text", f"'{label}-{n}'")
        + "\n"
        for n in range(count)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tree", action="append", required=True,
        help="a worktree whose sql/ to measure; append :bonus for makes that name a grant",
    )  # fmt: skip
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument(
        "--warm", type=int, default=0,
        help="makes run before the database is analyzed (as bench_db.py's warm-up; 1000 is "
        "enough): analyzed empty, the tables a make reads by key are planned as seq scans",
    )  # fmt: skip
    parser.add_argument("--bindir", type=Path, default=Path("/usr/lib/postgresql/15/bin"))
    parser.add_argument(
        "--keep", type=Path,
        help="a directory to copy callgrind's output files to (callgrind_annotate reads them)",
    )  # fmt: skip
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is missing (apt-get install valgrind)")
    work = Path(tempfile.mkdtemp(prefix="wallet-callgrind-"))
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
    data = work / "data"
    as_postgres(str(args.bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                capture_output=True)  # fmt: skip
    pg_ctl = [str(args.bindir / "pg_ctl"), "-D", str(data), "-l", str(work / "log")]
    results: dict[str, int] = {}
    try:
        as_postgres(*pg_ctl, "-o", f"-p {PORT} -k {work}", "-w", "start", capture_output=True)
        admin = f"host={work} port={PORT} user=postgres dbname=postgres"
        plans: list[tuple[str, str, bool]] = []
        for n, tree in enumerate(args.tree):
            path, _, kind = tree.partition(":")
            name = f"callgrind_{n}"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"create database {name}")
            url = f"host={work} port={PORT} user=postgres dbname={name}"
            migrate.Migrator(url, root=Path(path) / "sql", out=lambda line: None).up()
            pgbench.create_players(url, args.players)
            with psycopg.connect(url, autocommit=True) as conn:
                if kind == "bonus":
                    conn.execute(
                        "select wallet.grant_bonus('bench-' || g, 'EUR', 'bonus-' || g,"
                        " 'freebet_freemoney', 1000000000000000, null)"
                        " from generate_series(1, %s) as g",
                        [args.players],
                    )
                warm = bench_bonus.statement(args.players, kind == "bonus")
                for n in range(args.warm):
                    conn.execute(warm, {"player": n % args.players + 1, "tx": f"warm-{n}"})
                conn.execute("vacuum analyze")
            plans.append((tree, name, kind == "bonus"))
        as_postgres(*pg_ctl, "-w", "stop", capture_output=True)
        for tree, name, bonus in plans:
            totals = []
            for count in (50, 250):
                sql = statements(args.players, bonus, count, f"{name}-{count}")
                done = as_postgres(
                    "valgrind", "--tool=callgrind", f"--callgrind-out-file={work}/{name}.{count}",
                    str(args.bindir / "postgres"), "--single", "-D", str(data), name,
                    input=sql, capture_output=True,
                )  # fmt: skip
                made = done.stdout.count('status = "200"')
                if made != count:
                    raise SystemExit(f"{tree}: {made} of {count} makes answered 200")
                found = re.search(r"Collected : (\d+)", done.stderr)
                assert found is not None, done.stderr[-500:]
                totals.append(int(found.group(1)))
                if args.keep is not None:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy(work / f"{name}.{count}", args.keep / f"{name}.{count}")
            results[tree] = (totals[1] - totals[0]) // 200
            print(f"{tree}: {results[tree]} instructions per make", file=sys.stderr, flush=True)
    finally:
        subprocess.run([*(["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []),
                        *pg_ctl, "-m", "immediate", "stop"], capture_output=True)  # fmt: skip
        shutil.rmtree(work, ignore_errors=True)
    first = next(iter(results.values()))
    print(
        json.dumps(
            {
                "benchmark": "callgrind_make",
                "players": args.players,
                "instructions_per_make": results,
                "ratio_to_first": {tree: round(v / first, 4) for tree, v in results.items()},
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
