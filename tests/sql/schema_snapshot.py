"""``sql/schema.sql``: the wallet's schema as the migrations and the repeatable files leave it,
in one file, so that a reader sees today's tables, types, constraints, indexes, comments and
grants without replaying ``sql/migrations/`` in their head.

It is ``pg_dump --schema-only --schema=wallet --schema=wallet_core`` of a database that
``migrate.py`` brought up to date, normalised: pg_dump's preamble (its versions, SET lines,
``\\restrict``) is dropped, and each function's body is left out, with the file of ``sql/`` that
defines it named in its place (the bodies are in ``sql/functions/``, one copy is enough).
Nothing applies this file; ``migrate.py`` is the installer. ``tests/sql/test_schema_snapshot.py``
fails when the migrations produce anything else.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        uv run python -m tests.sql.schema_snapshot --write   # regenerate sql/schema.sql
    DATABASE_URL=... uv run python -m tests.sql.schema_snapshot   # compare; exit 1 if it differs

pg_dump's output differs between PostgreSQL major versions, so the file records the major it
was made with, and the comparison needs a server and a pg_dump of that major.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import psycopg.conninfo

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "sql" / "schema.sql"
SCHEMAS = ("wallet", "wallet_core")

HEADER = """\
-- The wallet's schema as sql/migrations/ and sql/functions/ leave it, in one file: what
-- pg_dump --schema-only --schema=wallet --schema=wallet_core prints for a database migrate.py
-- brought up to date, without pg_dump's preamble and without function bodies (each function
-- names the file that defines it). Made with PostgreSQL {major}. Generated; do not edit, and
-- nothing applies it. Regenerate with
--     uv run python -m tests.sql.schema_snapshot --write
-- tests/sql/test_schema_snapshot.py fails when the migrations produce anything else.
"""

MAJOR = re.compile(r"^-- .*Made with PostgreSQL (\d+)\.", re.MULTILINE)
ENTRY = re.compile(r"^--\n-- Name: .*; Type: (?P<type>[A-Z ]+); Schema: .*\n--\n", re.MULTILINE)
BODY = re.compile(r"^    AS (?P<tag>\$[A-Za-z_]*\$).*?(?P=tag);$", re.MULTILINE | re.DOTALL)
DEFINED = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:function|procedure)\s+([a-z_]+\.[a-z_]+)\s*\(",
    re.IGNORECASE,
)
SIGNATURE = re.compile(r"^CREATE (?:FUNCTION|PROCEDURE) ([a-z_]+\.[a-z_]+)\(", re.MULTILINE)


def snapshot_major(text: str) -> int | None:
    """The PostgreSQL major version a snapshot was made with."""
    match = MAJOR.search(text)
    return int(match.group(1)) if match else None


def defining_files() -> dict[str, str]:
    """schema.function -> the file of sql/ that creates it (the last one, in migrate.py's order)."""
    files: dict[str, str] = {}
    for folder in ("migrations", "functions"):
        for path in sorted((ROOT / "sql" / folder).glob("*.sql")):
            for name in DEFINED.findall(path.read_text()):
                files[name.lower()] = f"sql/{folder}/{path.name}"
    return files


def left_out(body: re.Match[str], where: str) -> str:
    """A function's body, replaced by the file that holds it."""
    return f"    AS {body['tag']}...{body['tag']};  -- body: {where}"


def normalise(dump: str, major: int) -> str:
    """pg_dump's text as the snapshot keeps it."""
    files = defining_files()
    entries = []
    starts = [match.start() for match in ENTRY.finditer(dump)]
    for start, end in zip(starts, [*starts[1:], len(dump)], strict=True):
        entry = dump[start:end].split("\n--\n-- PostgreSQL database dump complete")[0]
        kind = ENTRY.match(entry)
        assert kind is not None
        if kind.group("type") in ("FUNCTION", "PROCEDURE"):
            signature = SIGNATURE.search(entry)
            assert signature is not None, entry
            where = files.get(signature.group(1), "no file of sql/ (created outside migrate.py?)")
            entry = BODY.sub(lambda m, where=where: left_out(m, where), entry)
        entries.append(entry)
    text = "".join(entries)
    text = re.sub(r"^\\(un)?restrict .*\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return HEADER.format(major=major) + "\n" + text + "\n"


def server_major(conn: psycopg.Connection) -> int:
    return conn.info.server_version // 10000


def find_pg_dump(major: int) -> str | None:
    """A pg_dump of the given major: on PATH, or Debian's /usr/lib/postgresql/<major>/bin."""
    for candidate in (shutil.which("pg_dump"), f"/usr/lib/postgresql/{major}/bin/pg_dump"):
        if candidate and Path(candidate).is_file():
            out = subprocess.run([candidate, "--version"], capture_output=True, text=True)
            version = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
            if out.returncode == 0 and version and int(version.group(1)) == major:
                return candidate
    return None


def conninfo_of(conn: psycopg.Connection) -> str:
    info = conn.info
    return psycopg.conninfo.make_conninfo(
        host=info.host, port=info.port, user=info.user, dbname=info.dbname, password=info.password
    )


def dump(pg_dump: str, conninfo: str) -> str:
    command = [pg_dump, "--schema-only", *(f"--schema={schema}" for schema in SCHEMAS), conninfo]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def snapshot_of(conn: psycopg.Connection, pg_dump: str) -> str:
    """The normalised schema of the (migrated) database conn is connected to."""
    return normalise(dump(pg_dump, conninfo_of(conn)), server_major(conn))


def difference(expected: str, actual: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        "sql/schema.sql",
        "what the migrations produce",
    )
    return "".join(lines)


def main() -> int:
    import migrate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite sql/schema.sql")
    args = parser.parse_args()
    admin = os.environ.get("DATABASE_URL")
    if not admin:
        raise SystemExit("set DATABASE_URL to a superuser URL (a scratch database goes there)")
    name = f"wallet_schema_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        url = psycopg.conninfo.make_conninfo(admin, dbname=name)
        migrate.Migrator(url, out=lambda line: None).up()
        with psycopg.connect(url) as conn:
            major = server_major(conn)
            pg_dump = find_pg_dump(major)
            if pg_dump is None:
                raise SystemExit(f"no pg_dump of PostgreSQL {major} on this machine")
            text = snapshot_of(conn, pg_dump)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database "{name}"')
    if args.write:
        SNAPSHOT.write_text(text)
        lines = len(text.splitlines())
        print(f"wrote {SNAPSHOT.relative_to(ROOT)} ({lines} lines, PostgreSQL {major})")
        return 0
    differs = difference(SNAPSHOT.read_text() if SNAPSHOT.exists() else "", text)
    if differs:
        print(differs, end="")
        print("sql/schema.sql differs from what the migrations produce (--write)", file=sys.stderr)
        return 1
    print("sql/schema.sql is what the migrations produce")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
