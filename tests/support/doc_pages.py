"""Pages of docs/ that run: every ```sql block of a page, in order, through psql on a fresh
database, must print exactly the ```text block that follows it.

A line ``<!-- clock: <timestamp> -->`` in the page sets the wallet's clock (the steerable clock
of ``tests/sql/clock.py``, which the test installs, through ``PGOPTIONS``) for the blocks after
it. Each statement runs in its own psql (``-X``, aligned output, UTC, no error context);
outputs are joined by a blank line and compared line by line without trailing blanks.
``WALLET_UPDATE_DOCS=1`` writes what psql printed into the page instead, for a reviewer to read
in the diff.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import psycopg

BLOCK = re.compile(
    r"<!-- clock: (?P<clock>[^>]+?) -->|```sql\n(?P<sql>.*?)```\n\n```text\n(?P<out>.*?)```",
    re.DOTALL,
)


def statements(sql: str) -> list[str]:
    """The statements of a block: each ends with a semicolon at the end of a line."""
    parts = re.split(r";\s*$", sql, flags=re.MULTILINE)
    return [part.strip() + ";" for part in parts if part.strip()]


def psql(db: psycopg.Connection, statement: str, when: str | None) -> str:
    info = db.info
    env = {**os.environ, "PGTZ": "UTC", "PGOPTIONS": ""}
    if when:
        env["PGOPTIONS"] = "-c wallet.test_clock=" + when.replace(" ", "\\ ")
    if info.password:
        env["PGPASSWORD"] = info.password
    done = subprocess.run(
        ["psql", "-X", "-q", "-h", info.host, "-p", str(info.port), "-U", info.user,
         "-d", info.dbname, "-v", "SHOW_CONTEXT=never", "-P", "pager=off", "-c", statement],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), f"psql could not run: {done.stderr}"
    return (done.stdout + done.stderr).rstrip()


def normal(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip().splitlines()]


def run_page(db: psycopg.Connection, page_path: Path) -> int:
    """Runs every example of the page, in order; asserts each prints what the page shows (or,
    with ``WALLET_UPDATE_DOCS=1``, writes what it printed). Returns how many blocks ran."""
    page = page_path.read_text()
    when: str | None = None
    written: list[str] = []
    checked = 0
    position = 0
    for match in BLOCK.finditer(page):
        if match.group("clock"):
            when = match.group("clock").strip()
            continue
        printed = "\n\n".join(psql(db, s, when) for s in statements(match.group("sql")))
        written.append(page[position : match.start("out")] + printed + "\n")
        position = match.end("out")
        if not os.environ.get("WALLET_UPDATE_DOCS"):
            assert normal(printed) == normal(match.group("out")), match.group("sql")
        checked += 1
    if os.environ.get("WALLET_UPDATE_DOCS"):
        page_path.write_text("".join(written) + page[position:])
    return checked
