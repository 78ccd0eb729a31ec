"""The migration engine: a folder of SQL files, their history in the database, drift, the
migration lock, and applying what is pending.

``migrations/NNNN_description.sql`` are versioned (applied once each, in version order, each in
its own transaction; never changed afterwards), ``functions/*.sql`` repeatable (applied again,
all in one transaction, whenever their content changed). docs/migrations.md tells the whole
story. The engine knows no role: a :class:`Policy` adds what a project does around its
transactions (the wallet's is :class:`app.ops.roles.WalletRoles`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg.sql


def find_sql_root() -> Path:
    """``sql/`` at the top of a checkout (beside ``migrate.py``); else the copy an installed
    wheel carries as the package data ``app/sql`` (pyproject.toml maps it there)."""
    beside = Path(__file__).resolve().parents[2] / "sql"
    if beside.is_dir():
        return beside
    return Path(str(importlib.resources.files("app") / "sql"))


SQL_ROOT = find_sql_root()
LOCK_KEY = 0x57414C4C  # "WALL": the advisory lock every migrate.py takes on the database

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DRIFT = 3
EXIT_LOCK_TIMEOUT = 4
EXIT_DDL_LOCK_TIMEOUT = 5

VERSIONED = "versioned"
REPEATABLE = "repeatable"
VERSIONED_NAME = re.compile(r"(\d{4,})_(.+)\.sql")
DELETED = "deleted"
"""The checksum recorded for a repeatable file deleted from disk."""
DEFINED_ROUTINE = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:function|procedure)\s+"
    r"((?:\"[^\"]+\"|[a-z_][\w$]*)\s*\.\s*(?:\"[^\"]+\"|[a-z_][\w$]*))",
    re.IGNORECASE,
)


@functools.cache
def statement(name: str) -> psycopg.sql.SQL:
    """``app/ops/sql/<name>.sql``, read once per process. ``{name}`` in it is a placeholder
    for :meth:`psycopg.sql.SQL.format`, ``%(name)s`` a parameter bound at execution."""
    text = (importlib.resources.files("app.ops") / "sql" / f"{name}.sql").read_text("utf-8")
    return psycopg.sql.SQL(text)


class LayoutError(Exception):
    """The sql/ tree itself is wrong: a misnamed versioned file, a duplicate version."""


class ConnectionFailed(Exception):
    """The database could not be reached."""


class LockTimeout(Exception):
    """Another migrate.py held the migration lock for longer than the lock timeout."""


class DdlLockTimeout(Exception):
    """A file waited longer than the DDL lock timeout for a table lock; it was rolled back."""


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
class SqlTree:
    """Every file of one sql/ folder, each read once: the versioned files in version order,
    the repeatable files in file-name order."""

    versioned: list[SqlFile]
    repeatable: list[SqlFile]

    @classmethod
    def read(cls, root: Path) -> SqlTree:
        return cls(versioned_files(root), repeatable_files(root))

    @property
    def files(self) -> list[SqlFile]:
        return self.versioned + self.repeatable


@dataclass(frozen=True)
class FileState:
    """Where one file stands: ``applied``, ``pending``, ``drifted`` or ``missing-on-disk``
    (versioned); ``current``, ``pending`` or ``deleted`` (repeatable)."""

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
        if self.state == DELETED:
            return f"{what} was deleted from disk since it was applied"
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
    def deleted(self) -> list[FileState]:
        """Repeatable files applied once and deleted from disk since."""
        return [f for f in self.files if f.state == DELETED]

    @property
    def exit_code(self) -> int:
        if self.drifted:
            return EXIT_DRIFT
        return EXIT_FAILED if self.pending or self.deleted else EXIT_OK

    def lines(self) -> list[str]:
        """One line per file, then a summary."""
        lines = [f"{f.state:<16} {f.kind:<11} {f.name}" for f in self.files]
        if self.current:
            lines.append(f"up to date: {count(self.files)}")
        else:
            lines.append(
                f"not up to date: {len(self.pending)} pending, {len(self.drifted)} drifted, "
                f"{len(self.deleted)} deleted"
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


def compare(applied_rows: Iterable[Sequence[str]], tree: SqlTree) -> Status:
    """Compare the rows of ``applied_files()`` (kind, name, checksum) with the files."""
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
    for file in tree.versioned:
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
    for file in tree.repeatable:
        applied = recorded_repeatables.pop(file.name, None)
        state = "current" if applied == file.checksum else "pending"
        states.append(FileState(REPEATABLE, file.name, state, file, applied))
    for name, checksum in sorted(recorded_repeatables.items()):
        if checksum != DELETED:
            states.append(FileState(REPEATABLE, name, DELETED, None, checksum))
    return Status(states)


def defined_routines(files: Iterable[SqlFile]) -> set[str]:
    """``schema.name`` of every function or procedure the files create (lower case unless
    quoted). Unqualified names are not seen: wallet functions are always schema-qualified."""
    names: set[str] = set()
    for file in files:
        for match in DEFINED_ROUTINE.finditer(file.text):
            parts = [part.strip() for part in match.group(1).split(".")]
            names.add(".".join(p[1:-1] if p.startswith('"') else p.lower() for p in parts))
    return names


def problems(applied_rows: Iterable[Sequence[str]], root: Path = SQL_ROOT) -> list[str]:
    """What stands between the database and the files on disk; empty when up to date.

    ``applied_rows`` are the rows of ``SELECT kind, name, checksum FROM
    wallet_migrate.applied_files()``. Touches no database.
    """
    try:
        return [f.problem for f in compare(applied_rows, SqlTree.read(root)).files if f.problem]
    except (LayoutError, OSError) as error:
        return [f"cannot read the SQL files: {error}"]


def seconds(flag: float | None, variable: str, default: float) -> float:
    """A duration in seconds: the flag, else the environment variable, else ``default``."""
    if flag is not None:
        value = flag
    else:
        raw = os.environ.get(variable, "").strip()
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise ValueError(f"{variable} must be a number of seconds, not {raw!r}") from None
    if not value >= 0:
        raise ValueError(f"{variable.lower()} must be at least 0 seconds, not {value:g}")
    return value


class Policy:
    """What a project does around the engine's transactions; this one does nothing.

    Every transaction that creates the history or applies files starts with :meth:`begin`
    and ends with :meth:`end`; a complete ``up`` ends with :meth:`finish`, and a dry run
    says what that would change with :meth:`plan`. The lines they return are said once
    their transaction committed.
    """

    function_schemas: tuple[str, ...] = ()
    """The schemas whose functions only the files define: after the repeatable files ran,
    a function of these schemas that no file defines any more is dropped."""

    def begin(self, conn: psycopg.Connection) -> None:
        """First thing in the transaction (say, become the role that owns the objects)."""

    def end(self, conn: psycopg.Connection) -> list[str]:
        """Last thing in the transaction (say, hand what it created to that role)."""
        return []

    def plan(self, conn: psycopg.Connection) -> list[str]:
        """The dry run's ``would ...`` lines for what :meth:`finish` would change."""
        return []

    def finish(self, conn: psycopg.Connection) -> list[str]:
        """After every pending file was applied."""
        return []


class Migrator:
    """Applies the files under ``root`` to the database ``conninfo`` names.

    ``up`` holds a session-level advisory lock (LOCK_KEY, per database) on a connection of
    its own while it applies files on a second one: a second migrate.py waits up to
    ``lock_timeout`` seconds, then re-reads the history and finds nothing left to do. A file's
    statements wait at most ``ddl_lock_timeout`` seconds for a table lock (DdlLockTimeout:
    nothing of the file is applied). Notices the server sends are said, except those of an
    ``IF [NOT] EXISTS`` that had nothing to do (see :meth:`_say_notice`).
    """

    def __init__(
        self,
        conninfo: str,
        *,
        root: Path = SQL_ROOT,
        out: Callable[[str], None] = print,
        lock_timeout: float = 60.0,
        ddl_lock_timeout: float | None = None,
        policy: Policy | None = None,
    ) -> None:
        """``ddl_lock_timeout`` in seconds; None reads WALLET_MIGRATE_DDL_LOCK_TIMEOUT, else
        5. ValueError for a malformed or negative value."""
        self.conninfo = conninfo
        self.root = Path(root)
        self.out = out
        self.lock_timeout = lock_timeout
        self.ddl_lock_timeout = seconds(ddl_lock_timeout, "WALLET_MIGRATE_DDL_LOCK_TIMEOUT", 5)
        self.policy = policy or Policy()

    def status(self) -> Status:
        """Every file's state; changes nothing, takes no lock."""
        with self._connect() as conn:
            return compare(self._applied_rows(conn), SqlTree.read(self.root))

    def up(
        self, dry_run: bool = False, through: int | None = None, tree: SqlTree | None = None
    ) -> list[str]:
        """Apply what is pending and return the names applied (with ``dry_run``: that
        would be applied, applying nothing). Raises DriftError before applying anything
        when the history does not match the files, MigrationError when a file fails.
        With ``through``, only versioned files up to that version, and no :meth:`Policy.finish`.
        ``tree``: the files under ``root`` when the caller has read them already."""
        if dry_run:
            with self._connect() as conn:
                self._say_where(conn)
                pending, deleted = self._pending(conn, tree or SqlTree.read(self.root))
                planned = self.policy.plan(conn)
            for file in pending:
                self.out(f"would apply {file.name}")
            for name in deleted:
                self.out(f"would record that repeatable file {name} was deleted")
            self._say(planned)
            self.out(f"dry run: {count(pending)} would be applied, nothing was applied")
            return [file.name for file in pending]
        with self._connect() as lock_conn:
            self._lock(lock_conn)
            with self._connect() as conn:
                self._say_where(conn)
                conn.execute("select set_config('lock_timeout', %s, false)",
                             (f"{round(self.ddl_lock_timeout * 1000)}ms",))  # fmt: skip
                with conn.transaction():
                    self.policy.begin(conn)
                    self._create_history(conn)
                    said = self.policy.end(conn)
                self._say(said)
                tree = tree or SqlTree.read(self.root)
                pending, deleted = self._pending(conn, tree)
                if through is not None:
                    pending = [f for f in pending if f.version is not None and f.version <= through]
                    deleted = []
                applied = self._apply(conn, tree, pending, deleted)
                if through is None:
                    self._say(self.policy.finish(conn))
                return applied

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.conninfo, autocommit=True, application_name="migrate.py")
        except psycopg.OperationalError as error:
            raise ConnectionFailed(f"cannot connect to the database: {error}") from None
        conn.add_notice_handler(self._say_notice)
        return conn

    def _say_notice(self, notice: psycopg.errors.Diagnostic) -> None:
        """Say what the server notes, except that an ``IF EXISTS`` or ``IF NOT EXISTS``
        found nothing to do ("function ... does not exist, skipping"): a migration that drops
        what an older install may have left behind would say so on every fresh install.
        PostgreSQL gives these notices no SQLSTATE of their own (00000, as a RAISE NOTICE),
        so they are known by their text; on a server whose lc_messages is not English they
        are said, as any other notice."""
        message = notice.message_primary or ""
        if notice.severity_nonlocalized == "NOTICE" and message.endswith(", skipping"):
            return
        self.out(f"  notice: {message}")

    def _say_where(self, conn: psycopg.Connection) -> None:
        info = conn.info
        self.out(f"database {info.dbname} on {info.host}:{info.port} as {info.user}")

    def _say(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.out(line)

    def _lock(self, conn: psycopg.Connection) -> None:
        """Take the session-level advisory lock on ``conn``, waiting at most lock_timeout."""
        locked = conn.execute("select pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
        if locked is not None and locked[0]:
            return
        holder = conn.execute(statement("lock_holder"), {"key": LOCK_KEY}).fetchone()
        who = f"server pid {holder[0]}" if holder else "another session"
        message = f"another migrate.py ({who}) holds the migration lock on this database"
        if self.lock_timeout <= 0:
            raise LockTimeout(message)
        self.out(f"waiting up to {self.lock_timeout:g} s: {message}")
        conn.execute("select set_config('lock_timeout', %s, false)", (f"{self.lock_timeout}s",))
        try:
            conn.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))
        except psycopg.errors.LockNotAvailable:
            raise LockTimeout(f"gave up after {self.lock_timeout:g} s: {message}") from None

    def _create_history(self, conn: psycopg.Connection) -> None:
        """Create the history schema, table and applied_files() when missing."""
        conn.execute(statement("history"))
        if not self._applied_files_exists(conn):
            conn.execute(statement("applied_files"))

    @staticmethod
    def _applied_files_exists(conn: psycopg.Connection) -> bool:
        row = conn.execute("select to_regprocedure('wallet_migrate.applied_files()')").fetchone()
        return row is not None and row[0] is not None

    def _applied_rows(self, conn: psycopg.Connection) -> list[tuple[str, str, str]]:
        if not self._applied_files_exists(conn):
            return []
        rows = conn.execute("select kind, name, checksum from wallet_migrate.applied_files()")
        return rows.fetchall()

    def _pending(self, conn: psycopg.Connection, tree: SqlTree) -> tuple[list[SqlFile], list[str]]:
        """The files ``up`` would apply, in order, and the repeatable files deleted from
        disk; DriftError when history disagrees."""
        status = compare(self._applied_rows(conn), tree)
        if status.drifted:
            problems = [f.problem or f.name for f in status.drifted]
            raise DriftError([f.name for f in status.drifted], problems)
        pending = [f.file for f in status.pending if f.file is not None]
        return pending, [f.name for f in status.deleted]

    def _apply(
        self, conn: psycopg.Connection, tree: SqlTree, pending: list[SqlFile], deleted: list[str]
    ) -> list[str]:
        """Each versioned file in its own transaction, then all repeatable ones in one,
        with the deleted files recorded and the functions no file defines dropped."""
        started = time.perf_counter()
        applied: list[str] = []
        try:
            for file in (f for f in pending if f.kind == VERSIONED):
                with conn.transaction():
                    self.policy.begin(conn)
                    duration_ms = self._run(conn, file)
                    said = self.policy.end(conn)
                self.out(f"applied {file.name} in {duration_ms:.1f} ms")
                self._say(said)
                applied.append(file.name)
            repeatables = [f for f in pending if f.kind == REPEATABLE]
            if repeatables or deleted:
                with conn.transaction():
                    self.policy.begin(conn)
                    durations = [self._run(conn, file) for file in repeatables]
                    for name in deleted:
                        self._record(conn, REPEATABLE, None, name, DELETED, 0.0)
                    dropped = self._drop_undefined_routines(conn, tree, repeatables)
                    said = self.policy.end(conn)
                # Said only once the shared transaction has committed.
                for file, duration_ms in zip(repeatables, durations, strict=True):
                    self.out(f"applied {file.name} in {duration_ms:.1f} ms")
                for name in deleted:
                    self.out(f"repeatable file {name} was deleted from disk")
                self._say(dropped)
                self._say(said)
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

    def _drop_undefined_routines(
        self, conn: psycopg.Connection, tree: SqlTree, ran: list[SqlFile]
    ) -> list[str]:
        """In the repeatables' transaction: drop every function of the policy's function
        schemas that no file of the tree defines, and the older signatures of names only
        ``ran`` define (a function counts as re-created when this transaction wrote its
        catalog row: repeatable files must not create functions inside sub-transactions)."""
        ran_names = {file.name for file in ran}
        defined = defined_routines(tree.files)
        defined_elsewhere = defined_routines(
            f for f in tree.files if f.kind == VERSIONED or f.name not in ran_names
        )
        said: list[str] = []
        rows = conn.execute(statement("routines"), {"schemas": list(self.policy.function_schemas)})
        for name, signature, recreated in rows.fetchall():
            if name not in defined:
                reason = "no file in sql/ defines it"
            elif name not in defined_elsewhere and not recreated:
                reason = "an older signature: the files that define the name did not create it"
            else:
                continue
            try:
                conn.execute(psycopg.sql.SQL("drop routine {}").format(psycopg.sql.SQL(signature)))
            except psycopg.Error as error:
                raise MigrationError(
                    f"dropping {signature}", error.diag.sqlstate, str(error).strip(),
                    hint="something still depends on it; drop or change that in a versioned file",
                    kind=REPEATABLE,
                ) from error  # fmt: skip
            said.append(f"dropped function {signature}: {reason}")
        return said

    def _run(self, conn: psycopg.Connection, file: SqlFile) -> float:
        """Run one file and record it, inside the caller's transaction; its duration in ms."""
        started = time.perf_counter()
        try:
            conn.execute(file.text)  # no parameters: simple protocol, many statements
        except psycopg.errors.LockNotAvailable as error:
            raise DdlLockTimeout(
                f"{file.name}: no table lock within {self.ddl_lock_timeout:g} s "
                f"(--ddl-lock-timeout): another transaction holds a lock this file needs; "
                f"nothing of {file.name} was applied. Find the holder in pg_stat_activity "
                f"(state 'idle in transaction', old xact_start) and retry. "
                f"The database said: {error.diag.message_primary}"
            ) from error
        except psycopg.Error as error:
            raise MigrationError.from_psycopg(file, error) from error
        duration_ms = (time.perf_counter() - started) * 1000
        self._record(conn, file.kind, file.version, file.name, file.checksum, duration_ms)
        return duration_ms

    @staticmethod
    def _record(
        conn: psycopg.Connection, kind: str, version: int | None, name: str, checksum: str,
        duration_ms: float,
    ) -> None:  # fmt: skip
        conn.execute(
            statement("record"),
            {"kind": kind, "version": version, "name": name, "checksum": checksum,
             "duration_ms": round(duration_ms, 3)},
        )  # fmt: skip
