"""Bring a wallet database up to date with the SQL files in ``sql/``.

Two kinds of file, as in Flyway:

``sql/migrations/NNNN_description.sql`` (versioned, four or more digits)
    Applied once each, in version order, each in its own transaction together with its
    row in the history table. A pending file whose version is lower than one already
    applied (merged from another branch) is applied too, as dbmate does. A file may hold
    many statements, DO blocks and ``$$``-quoted bodies; it must not contain transaction
    control (BEGIN, COMMIT) or statements that cannot run in a transaction block (CREATE
    INDEX CONCURRENTLY). Once applied, a file must never change: an applied file whose
    content differs from what was recorded ("drift"), or that is missing on disk, makes
    ``up`` refuse to run anything.

``sql/functions/*.sql`` (repeatable)
    ``CREATE OR REPLACE`` functions and views, GRANTs. Applied after the versioned files,
    in file-name order, whenever their content differs from what was last recorded (or
    they were never applied); all changed files go in one transaction.

History lives in the schema ``wallet_migrate`` (table ``history``). The function
``wallet_migrate.applied_files()`` lists what was recorded and may be called by any role,
so a low-privilege service can check readiness with :func:`problems`.

Two deploys at once are safe: ``up`` holds a session-level advisory lock (per database)
on a dedicated connection; the second waits up to ``--lock-timeout`` seconds, then
re-reads the history and finds nothing left to do.

Usage::

    python migrate.py [up|status] [--dry-run] [--database-url URL] [--lock-timeout S]

``up`` (the default) applies what is pending; ``--dry-run`` only lists it. ``status``
lists every file's state. The URL defaults to ``DATABASE_URL``. The files are read from
``sql/`` beside this script (a checkout) or from the installed package (``app/sql``);
``--root DIR`` reads them from another folder.

Exit codes:
    0  success (``status``: fully up to date)
    1  a migration failed (``status``: files pending)
    2  usage, layout or connection error
    3  drift: an applied versioned file changed or is missing on disk
    4  timed out waiting for the migration lock
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.resources
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg


def find_sql_root() -> Path:
    """``sql/`` beside this script in a checkout; else the copy an installed wheel carries as
    the package data ``app/sql`` (pyproject.toml maps it there)."""
    beside = Path(__file__).resolve().parent / "sql"
    if beside.is_dir():
        return beside
    return Path(str(importlib.resources.files("app") / "sql"))


SQL_ROOT = find_sql_root()
LOCK_KEY = 0x57414C4C  # "WALL": the advisory lock every migrate.py takes on the database
SCHEMA = "wallet_migrate"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DRIFT = 3
EXIT_LOCK_TIMEOUT = 4

VERSIONED = "versioned"
REPEATABLE = "repeatable"
VERSIONED_NAME = re.compile(r"(\d{4,})_(.+)\.sql")

BOOTSTRAP = """
SET LOCAL client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS wallet_migrate;
COMMENT ON SCHEMA wallet_migrate IS 'History of the SQL files migrate.py applied.';
GRANT USAGE ON SCHEMA wallet_migrate TO PUBLIC;

CREATE TABLE IF NOT EXISTS wallet_migrate.history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('versioned', 'repeatable')),
    version bigint UNIQUE,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    duration_ms numeric NOT NULL,
    applied_by text NOT NULL DEFAULT current_user,
    CHECK ((kind = 'versioned') = (version IS NOT NULL))
);
COMMENT ON TABLE wallet_migrate.history IS
    'One row per application of a file by migrate.py: versioned files once, '
    'repeatable files each time their content changed.';
COMMENT ON COLUMN wallet_migrate.history.version IS
    'The NNNN of a versioned file; NULL for a repeatable file.';
COMMENT ON COLUMN wallet_migrate.history.checksum IS
    'sha256 of the file''s bytes, hex, as applied.';
COMMENT ON COLUMN wallet_migrate.history.duration_ms IS
    'How long the file took to run, in milliseconds.';
"""

APPLIED_FILES = """
CREATE FUNCTION wallet_migrate.applied_files()
RETURNS TABLE (kind text, name text, checksum text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
    SELECT DISTINCT ON (h.kind, h.name) h.kind, h.name, h.checksum
    FROM wallet_migrate.history AS h
    ORDER BY h.kind, h.name, h.id DESC
$$;
COMMENT ON FUNCTION wallet_migrate.applied_files() IS
    'Every file migrate.py recorded, with the checksum it last applied. '
    'Callable by any role: the readiness check of the service uses it.';
GRANT EXECUTE ON FUNCTION wallet_migrate.applied_files() TO PUBLIC;
"""


class LayoutError(Exception):
    """The sql/ tree itself is wrong: a misnamed versioned file, a duplicate version."""


class ConnectionFailed(Exception):
    """The database could not be reached."""


class LockTimeout(Exception):
    """Another migrate.py held the migration lock for longer than the lock timeout."""


class DriftError(Exception):
    """Applied versioned files changed or vanished on disk; ``files`` names them."""

    def __init__(self, files: list[str], problems: list[str]) -> None:
        self.files = files
        super().__init__(
            "refusing to migrate: the history does not match the files on disk\n  "
            + "\n  ".join(problems)
        )


class MigrationError(Exception):
    """A file failed: its transaction was rolled back, earlier files stay applied."""

    def __init__(
        self,
        file: str,
        sqlstate: str | None,
        message: str,
        line: int | None = None,
        column: int | None = None,
        detail: str | None = None,
        hint: str | None = None,
        context: str | None = None,
        kind: str = VERSIONED,
    ) -> None:
        self.file = file
        self.kind = kind
        self.sqlstate = sqlstate
        self.message = message
        self.line = line
        self.column = column
        self.detail = detail
        self.hint = hint
        self.context = context
        where = f" at line {line}, column {column}" if line is not None else ""
        report = [f"{file} failed{where}: {message} (SQLSTATE {sqlstate or 'unknown'})"]
        for label, value in (("detail", detail), ("hint", hint), ("context", context)):
            if value:
                report.append(f"  {label}: {value}")
        super().__init__("\n".join(report))

    @classmethod
    def from_psycopg(cls, file: SqlFile, error: psycopg.Error) -> MigrationError:
        """Describe ``error`` raised by ``file``, its position turned into line and column."""
        diag = error.diag
        line = column = None
        if diag.statement_position:
            line, column = line_and_column(file.text, int(diag.statement_position))
        message = diag.message_primary or str(error).strip()
        return cls(
            file.name, diag.sqlstate, message, line, column, diag.message_detail,
            diag.message_hint, diag.context, file.kind,
        )  # fmt: skip


@dataclass(frozen=True)
class SqlFile:
    """One file of sql/: its kind, name (no directory), version, text and sha256."""

    kind: str
    name: str
    version: int | None
    text: str
    checksum: str

    @classmethod
    def read(cls, kind: str, path: Path, version: int | None = None) -> SqlFile:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise LayoutError(f"{path} is not UTF-8: {error}") from None
        return cls(kind, path.name, version, text, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class FileState:
    """Where one file stands: ``applied``, ``pending``, ``drifted`` or ``missing-on-disk``
    (versioned); ``current`` or ``pending`` (repeatable)."""

    kind: str
    name: str
    state: str
    file: SqlFile | None  # None when missing on disk
    recorded: str | None  # the checksum in the history, None when never applied
    recorded_name: str | None = None  # the name in the history, for a renamed versioned file

    @property
    def problem(self) -> str | None:
        """A sentence for an operator, or None when the file is as it should be."""
        what = f"{self.kind} file {self.name}"
        if self.state == "pending" and self.recorded is not None:
            return f"{what} changed since it was applied"
        if self.state == "pending":
            return f"{what} is not applied"
        if self.state == "drifted" and self.recorded_name != self.name:
            return f"{what} has a version that was applied as {self.recorded_name}"
        if self.state == "drifted":
            recorded = self.recorded or ""
            disk = self.file.checksum if self.file else ""
            return (
                f"{what} changed after it was applied "
                f"(recorded sha256 {recorded[:12]}, on disk {disk[:12]})"
            )
        if self.state == "missing-on-disk":
            return f"{what} is applied but missing on disk"
        return None


@dataclass(frozen=True)
class Status:
    """Every file's state, versioned files first, in the order ``up`` applies them."""

    files: list[FileState]

    @property
    def current(self) -> bool:
        return all(f.problem is None for f in self.files)

    @property
    def drifted(self) -> list[FileState]:
        return [f for f in self.files if f.state in ("drifted", "missing-on-disk")]

    @property
    def pending(self) -> list[FileState]:
        return [f for f in self.files if f.state == "pending"]

    @property
    def exit_code(self) -> int:
        if self.drifted:
            return EXIT_DRIFT
        return EXIT_FAILED if self.pending else EXIT_OK

    def lines(self) -> list[str]:
        """One line per file, then a summary."""
        lines = [f"{f.state:<16} {f.kind:<11} {f.name}" for f in self.files]
        if self.current:
            lines.append(f"up to date: {count(self.files)}")
        else:
            lines.append(
                f"not up to date: {len(self.pending)} pending, {len(self.drifted)} drifted"
            )
        return lines


def line_and_column(text: str, position: int) -> tuple[int, int]:
    """Line and column (1-based) of the 1-based character ``position`` in ``text``."""
    before = text[: max(position - 1, 0)]
    line_start = before.rfind("\n") + 1
    return before.count("\n") + 1, len(before) - line_start + 1


def count(items: Sequence[object]) -> str:
    """``1 file``, ``2 files``."""
    return f"{len(items)} file" + ("" if len(items) == 1 else "s")


def versioned_files(root: Path) -> list[SqlFile]:
    """The files of ``root/migrations`` in version order."""
    files: dict[int, SqlFile] = {}
    folder = root / "migrations"
    for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
        match = VERSIONED_NAME.fullmatch(path.name)
        if match is None:
            raise LayoutError(f"{path}: versioned files are named NNNN_description.sql")
        version = int(match.group(1))
        if version in files:
            raise LayoutError(f"{path}: version {version} is also {files[version].name}")
        files[version] = SqlFile.read(VERSIONED, path, version)
    return [files[version] for version in sorted(files)]


def repeatable_files(root: Path) -> list[SqlFile]:
    """The files of ``root/functions`` in file-name order."""
    folder = root / "functions"
    paths = sorted(folder.glob("*.sql")) if folder.is_dir() else []
    return [SqlFile.read(REPEATABLE, path) for path in paths]


def compare(applied_rows: Iterable[Sequence[str]], root: Path = SQL_ROOT) -> Status:
    """Compare the rows of ``applied_files()`` (kind, name, checksum) with the files on disk."""
    recorded_versions: dict[int | str, tuple[str, str]] = {}
    recorded_repeatables: dict[str, str] = {}
    for kind, recorded_name, recorded_checksum in applied_rows:
        if kind == VERSIONED:
            match = VERSIONED_NAME.fullmatch(recorded_name)
            key = int(match.group(1)) if match else recorded_name
            recorded_versions[key] = (recorded_name, recorded_checksum)
        else:
            recorded_repeatables[recorded_name] = recorded_checksum

    states: list[FileState] = []
    for file in versioned_files(root):
        recorded = recorded_versions.pop(
            file.version if file.version is not None else file.name, None
        )
        if recorded is None:
            states.append(FileState(VERSIONED, file.name, "pending", file, None, None))
            continue
        name, checksum = recorded
        state = "applied" if checksum == file.checksum and name == file.name else "drifted"
        states.append(FileState(VERSIONED, file.name, state, file, checksum, name))
    for name, checksum in recorded_versions.values():
        states.append(FileState(VERSIONED, name, "missing-on-disk", None, checksum, name))
    for file in repeatable_files(root):
        applied = recorded_repeatables.get(file.name)
        state = "current" if applied == file.checksum else "pending"
        states.append(FileState(REPEATABLE, file.name, state, file, applied))
    return Status(states)


def problems(applied_rows: Iterable[Sequence[str]], root: Path = SQL_ROOT) -> list[str]:
    """What stands between the database and the files on disk; empty when up to date.

    ``applied_rows`` are the rows of ``SELECT kind, name, checksum FROM
    wallet_migrate.applied_files()``. Touches no database.
    """
    try:
        return [f.problem for f in compare(applied_rows, root).files if f.problem]
    except (LayoutError, OSError) as error:
        return [f"cannot read the SQL files: {error}"]


class Migrator:
    """Applies the files under ``root`` to the database ``conninfo`` names."""

    def __init__(
        self,
        conninfo: str,
        *,
        root: Path = SQL_ROOT,
        out: Callable[[str], None] = print,
        lock_timeout: float = 60.0,
    ) -> None:
        self.conninfo = conninfo
        self.root = Path(root)
        self.out = out
        self.lock_timeout = lock_timeout

    def status(self) -> Status:
        """Every file's state; changes nothing, takes no lock."""
        with self._connect() as conn:
            return compare(self._applied_rows(conn), self.root)

    def up(self, dry_run: bool = False) -> list[str]:
        """Apply what is pending and return the names applied (with ``dry_run``: that
        would be applied, applying nothing). Raises DriftError before applying anything
        when the history does not match the files, MigrationError when a file fails."""
        if dry_run:
            with self._connect() as conn:
                self._say_where(conn)
                pending = self._pending(conn)
            for file in pending:
                self.out(f"would apply {file.name}")
            self.out(f"dry run: {count(pending)} would be applied, nothing was applied")
            return [file.name for file in pending]
        with self._connect() as lock_conn:
            self._lock(lock_conn)
            with self._connect() as conn:
                self._say_where(conn)
                with conn.transaction():
                    self._bootstrap(conn)
                return self._apply(conn, self._pending(conn))

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.conninfo, autocommit=True, application_name="migrate.py")
        except psycopg.OperationalError as error:
            raise ConnectionFailed(f"cannot connect to the database: {error}") from None
        conn.add_notice_handler(lambda notice: self.out(f"  notice: {notice.message_primary}"))
        return conn

    def _say_where(self, conn: psycopg.Connection) -> None:
        info = conn.info
        self.out(f"database {info.dbname} on {info.host}:{info.port} as {info.user}")

    def _lock(self, conn: psycopg.Connection) -> None:
        """Take the session-level advisory lock on ``conn``, waiting at most lock_timeout."""
        locked = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
        if locked is not None and locked[0]:
            return
        holder = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = 0 AND objid = %s AND objsubid = 1",
            (LOCK_KEY,),
        ).fetchone()
        who = f"server pid {holder[0]}" if holder else "another session"
        message = f"another migrate.py ({who}) holds the migration lock on this database"
        if self.lock_timeout <= 0:
            raise LockTimeout(message)
        self.out(f"waiting up to {self.lock_timeout:g} s: {message}")
        conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{self.lock_timeout}s",))
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        except psycopg.errors.LockNotAvailable:
            raise LockTimeout(f"gave up after {self.lock_timeout:g} s: {message}") from None

    def _bootstrap(self, conn: psycopg.Connection) -> None:
        """Create the history schema, table and applied_files() when missing."""
        conn.execute(BOOTSTRAP)
        if not self._applied_files_exists(conn):
            conn.execute(APPLIED_FILES)

    @staticmethod
    def _applied_files_exists(conn: psycopg.Connection) -> bool:
        row = conn.execute("SELECT to_regprocedure('wallet_migrate.applied_files()')").fetchone()
        return row is not None and row[0] is not None

    def _applied_rows(self, conn: psycopg.Connection) -> list[tuple[str, str, str]]:
        if not self._applied_files_exists(conn):
            return []
        rows = conn.execute("SELECT kind, name, checksum FROM wallet_migrate.applied_files()")
        return rows.fetchall()

    def _pending(self, conn: psycopg.Connection) -> list[SqlFile]:
        """The files ``up`` would apply, in order; DriftError when history disagrees."""
        status = compare(self._applied_rows(conn), self.root)
        if status.drifted:
            problems = [f.problem or f.name for f in status.drifted]
            raise DriftError([f.name for f in status.drifted], problems)
        return [f.file for f in status.pending if f.file is not None]

    def _apply(self, conn: psycopg.Connection, pending: list[SqlFile]) -> list[str]:
        """Each versioned file in its own transaction, then all repeatable ones in one."""
        started = time.perf_counter()
        applied: list[str] = []
        try:
            for file in (f for f in pending if f.kind == VERSIONED):
                with conn.transaction():
                    duration_ms = self._run(conn, file)
                self.out(f"applied {file.name} in {duration_ms:.1f} ms")
                applied.append(file.name)
            repeatables = [f for f in pending if f.kind == REPEATABLE]
            if repeatables:
                with conn.transaction():
                    durations = [self._run(conn, file) for file in repeatables]
                # Said only once the shared transaction has committed.
                for file, duration_ms in zip(repeatables, durations, strict=True):
                    self.out(f"applied {file.name} in {duration_ms:.1f} ms")
                applied.extend(f.name for f in repeatables)
        except MigrationError as error:
            undone = "the repeatable files of this run" if error.kind == REPEATABLE else error.file
            self.out(f"failed: {count(applied)} applied before {error.file}; {undone} rolled back")
            raise
        total_ms = (time.perf_counter() - started) * 1000
        if applied:
            self.out(f"applied {count(applied)} in {total_ms:.1f} ms; database is up to date")
        else:
            self.out("nothing to apply; database is up to date")
        return applied

    def _run(self, conn: psycopg.Connection, file: SqlFile) -> float:
        """Run one file and record it, inside the caller's transaction; its duration in ms."""
        started = time.perf_counter()
        try:
            conn.execute(file.text)  # no parameters: simple protocol, many statements
        except psycopg.Error as error:
            raise MigrationError.from_psycopg(file, error) from error
        duration_ms = (time.perf_counter() - started) * 1000
        conn.execute(
            "INSERT INTO wallet_migrate.history (kind, version, name, checksum, duration_ms)"
            " VALUES (%s, %s, %s, %s, %s)",
            (file.kind, file.version, file.name, file.checksum, round(duration_ms, 3)),
        )
        return duration_ms


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migrate.py",
        description="Bring the wallet database up to date with the SQL files in sql/.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes:\n"
        "  0  ok (status: fully up to date)\n"
        "  1  a migration failed (status: files pending)\n"
        "  2  usage, layout or connection error\n"
        "  3  drift: an applied versioned file changed or is missing on disk\n"
        "  4  timed out waiting for the migration lock",
    )
    parser.add_argument(
        "command", nargs="?", choices=["up", "status"], default="up",
        help="up (default): apply pending files; status: list every file's state",
    )  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="list what up would apply")
    parser.add_argument(
        "--database-url", metavar="URL", help="default: the DATABASE_URL environment variable"
    )
    parser.add_argument(
        "--lock-timeout", type=float, default=60.0, metavar="S",
        help="seconds to wait for another migrate.py to finish (default 60)",
    )  # fmt: skip
    parser.add_argument(
        "--root", type=Path, default=SQL_ROOT, metavar="DIR",
        help=f"folder holding migrations/ and functions/ (default: {SQL_ROOT})",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        print("migrate.py: no database: pass --database-url or set DATABASE_URL", file=sys.stderr)
        return EXIT_USAGE
    migrator = Migrator(url, root=args.root, lock_timeout=args.lock_timeout)
    try:
        if args.command == "status":
            status = migrator.status()
            for line in status.lines():
                print(line)
            return status.exit_code
        migrator.up(dry_run=args.dry_run)
        return EXIT_OK
    except MigrationError as error:
        print(f"migrate.py: {error}", file=sys.stderr)
        return EXIT_FAILED
    except DriftError as error:
        print(f"migrate.py: {error}", file=sys.stderr)
        return EXIT_DRIFT
    except LockTimeout as error:
        print(f"migrate.py: {error}", file=sys.stderr)
        return EXIT_LOCK_TIMEOUT
    except (LayoutError, ConnectionFailed, OSError) as error:
        print(f"migrate.py: {error}", file=sys.stderr)
        return EXIT_USAGE
    except psycopg.Error as error:
        print(f"migrate.py: database error: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
