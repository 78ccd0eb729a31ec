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

A repeatable file deleted from disk is reported (and recorded, so it is said once). After
the repeatable files ran, every function of the schemas ``wallet`` and ``wallet_core`` that
no file of ``sql/`` defines any more is dropped, one line each: a renamed function does not
stay behind in deployed databases. A name still defined only by files that ran in this
transaction keeps only the signatures they (re)created; older overloads are dropped too.
Repeatable files must not create functions inside sub-transactions (a DO block with an
EXCEPTION clause): a function counts as re-created when its catalog row was written by
this transaction.

Two deploys at once are safe: ``up`` holds a session-level advisory lock (per database)
on a dedicated connection; the second waits up to ``--lock-timeout`` seconds, then
re-reads the history and finds nothing left to do. Each file's statements wait at most
``--ddl-lock-timeout`` seconds (default 5, ``WALLET_MIGRATE_DDL_LOCK_TIMEOUT``) for a table
lock: a DDL statement queued behind a long transaction would otherwise make every
``bet/make`` on that table queue behind it. Such a file fails with exit code 5 and nothing
of it is applied; retry when the long transaction is gone.

Ownership (least privilege): the NOLOGIN role ``wallet_owner`` owns the schemas
``wallet``, ``wallet_core`` and ``wallet_migrate`` and everything in them. A non-superuser
deploy role that is a member of ``wallet_owner`` runs each file as ``wallet_owner`` (SET
LOCAL ROLE). A superuser runs files as itself (a versioned file may manage roles), and
migrate.py then hands every object of those schemas it owns to ``wallet_owner``, whatever
its kind or name; this is also how a database migrated earlier by a superuser gets its
ownership moved (migration 0100 creates the role). ``python migrate.py bootstrap`` is the
one-time step a DBA runs as superuser before a deploy role can take over (see ``bootstrap``).

Service role timeouts: PgBouncer in transaction mode refuses startup options, so the
service sends none. ``up`` stores the service's limits server-side, per database, with
``ALTER ROLE wallet_app IN DATABASE <db> SET ...``: ``statement_timeout`` from
``--statement-timeout`` / ``WALLET_DB_STATEMENT_TIMEOUT`` (seconds, default 10) and
``idle_in_transaction_session_timeout`` from ``--idle-in-transaction-timeout`` /
``WALLET_DB_IDLE_IN_TRANSACTION_TIMEOUT`` (seconds, default 60); 0 means no limit. They
apply to every new session of ``wallet_app`` in this database, pooled or not, and to no
other role. A non-superuser sets them as ``wallet_app`` (a role may change its own
defaults), so the deploy role is also a member of ``wallet_app``.

Usage::

    python migrate.py [up|status] [--dry-run] [--database-url URL] [--lock-timeout S]
                      [--ddl-lock-timeout S] [--statement-timeout S]
                      [--idle-in-transaction-timeout S]
    python migrate.py bootstrap [--deploy-role NAME] [--database-url URL]

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
    5  a file could not get a table lock within --ddl-lock-timeout (nothing of it applied)
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
import psycopg.sql


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
EXIT_DDL_LOCK_TIMEOUT = 5

OWNER_ROLE = "wallet_owner"
SERVICE_ROLE = "wallet_app"
DEPLOY_ROLE = "wallet_deploy"
OWNED_SCHEMAS = ("wallet", "wallet_core", "wallet_migrate")
FUNCTION_SCHEMAS = ("wallet", "wallet_core")
BOOTSTRAP_THROUGH = 1
"""``bootstrap`` applies the versioned files up to this version as the superuser:
0001 creates and comments on the role wallet_app, which needs CREATEROLE."""
CREATED_ROLE = re.compile(r"\bcreate\s+role\s+([a-z_][\w$]*)([^;]*);", re.IGNORECASE)
"""A role a versioned file creates (when missing), and its options."""
DELETED = "deleted"
"""The checksum recorded for a repeatable file deleted from disk."""
DEFINED_ROUTINE = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:function|procedure)\s+"
    r"((?:\"[^\"]+\"|[a-z_][\w$]*)\s*\.\s*(?:\"[^\"]+\"|[a-z_][\w$]*))",
    re.IGNORECASE,
)

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


class DdlLockTimeout(Exception):
    """A file waited longer than the DDL lock timeout for a table lock; it was rolled back."""


class BootstrapError(Exception):
    """``bootstrap`` cannot run: it needs a superuser."""


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
        applied = recorded_repeatables.pop(file.name, None)
        state = "current" if applied == file.checksum else "pending"
        states.append(FileState(REPEATABLE, file.name, state, file, applied))
    for name, checksum in sorted(recorded_repeatables.items()):
        if checksum != DELETED:
            states.append(FileState(REPEATABLE, name, DELETED, None, checksum))
    return Status(states)


def created_roles(files: Iterable[SqlFile]) -> dict[str, bool]:
    """Role name -> LOGIN, for every ``create role name [login|nologin]`` in the files."""
    roles: dict[str, bool] = {}
    for file in files:
        for match in CREATED_ROLE.finditer(file.text):
            options = match.group(2).lower().split()
            roles[match.group(1).lower()] = "login" in options
    return roles


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
        return [f.problem for f in compare(applied_rows, root).files if f.problem]
    except (LayoutError, OSError) as error:
        return [f"cannot read the SQL files: {error}"]


HAND_OVER_QUERY = """
WITH owner AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %(owner)s),
spaces AS (
    SELECT oid, nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(%(schemas)s)
)
SELECT 'SCHEMA', pg_catalog.quote_ident(s.nspname)
FROM spaces AS s JOIN pg_catalog.pg_namespace AS n ON n.oid = s.oid
WHERE n.nspowner <> (SELECT oid FROM owner) AND pg_catalog.pg_has_role(n.nspowner, 'USAGE')
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
       WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
       c.oid::pg_catalog.regclass::text
FROM pg_catalog.pg_class AS c JOIN spaces AS s ON s.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND c.relowner <> (SELECT oid FROM owner) AND pg_catalog.pg_has_role(c.relowner, 'USAGE')
  AND NOT EXISTS (  -- a sequence owned by a column follows its table
      SELECT FROM pg_catalog.pg_depend AS d
      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
        AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
        AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT 'ROUTINE', p.oid::pg_catalog.regprocedure::text
FROM pg_catalog.pg_proc AS p JOIN spaces AS s ON s.oid = p.pronamespace
WHERE p.proowner <> (SELECT oid FROM owner) AND pg_catalog.pg_has_role(p.proowner, 'USAGE')
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::pg_catalog.regtype::text
FROM pg_catalog.pg_type AS t JOIN spaces AS s ON s.oid = t.typnamespace
WHERE t.typowner <> (SELECT oid FROM owner) AND pg_catalog.pg_has_role(t.typowner, 'USAGE')
  AND (t.typtype IN ('d', 'e', 'r')
       OR (t.typtype = 'c' AND (SELECT relkind FROM pg_catalog.pg_class
                                WHERE oid = t.typrelid) = 'c'))
ORDER BY 1, 2
"""

ROUTINES_QUERY = """
SELECT n.nspname || '.' || p.proname, p.oid::pg_catalog.regprocedure::text,
       p.xmin::text::bigint = pg_catalog.txid_current() %% 4294967296
FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = ANY(%s) AND p.prokind IN ('f', 'p', 'w')
ORDER BY 2
"""

BOOTSTRAP_ROLES = """
DO $bootstrap$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'wallet_owner') THEN
        CREATE ROLE wallet_owner NOLOGIN;
        COMMENT ON ROLE wallet_owner IS
            'Owns the wallet schemas, tables and SECURITY DEFINER functions. Nobody logs in as it.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'wallet_app') THEN
        CREATE ROLE wallet_app LOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;  -- created meanwhile by a migration of another database on this cluster
END
$bootstrap$;
"""


class Migrator:
    """Applies the files under ``root`` to the database ``conninfo`` names."""

    def __init__(
        self,
        conninfo: str,
        *,
        root: Path = SQL_ROOT,
        out: Callable[[str], None] = print,
        lock_timeout: float = 60.0,
        ddl_lock_timeout: float | None = None,
        statement_timeout: float | None = None,
        idle_in_transaction_timeout: float | None = None,
    ) -> None:
        """The three timeouts in seconds; None reads WALLET_MIGRATE_DDL_LOCK_TIMEOUT,
        WALLET_DB_STATEMENT_TIMEOUT, WALLET_DB_IDLE_IN_TRANSACTION_TIMEOUT, else 5, 10, 60.
        ValueError for a malformed or negative value."""
        self.conninfo = conninfo
        self.root = Path(root)
        self.out = out
        self.lock_timeout = lock_timeout
        self.ddl_lock_timeout = seconds(ddl_lock_timeout, "WALLET_MIGRATE_DDL_LOCK_TIMEOUT", 5)
        statement_timeout = seconds(statement_timeout, "WALLET_DB_STATEMENT_TIMEOUT", 10)
        idle_in_transaction_timeout = seconds(
            idle_in_transaction_timeout, "WALLET_DB_IDLE_IN_TRANSACTION_TIMEOUT", 60
        )
        self.service_settings = {
            "statement_timeout": f"{round(statement_timeout * 1000)}ms",
            "idle_in_transaction_session_timeout": f"{round(idle_in_transaction_timeout * 1000)}ms",
        }

    def status(self) -> Status:
        """Every file's state; changes nothing, takes no lock."""
        with self._connect() as conn:
            return compare(self._applied_rows(conn), self.root)

    def up(self, dry_run: bool = False, through: int | None = None) -> list[str]:
        """Apply what is pending and return the names applied (with ``dry_run``: that
        would be applied, applying nothing). Raises DriftError before applying anything
        when the history does not match the files, MigrationError when a file fails.
        With ``through``, only versioned files up to that version (for ``bootstrap``)."""
        if dry_run:
            with self._connect() as conn:
                self._say_where(conn)
                pending, deleted = self._pending(conn)
                changes = self._service_role_changes(conn)
            for file in pending:
                self.out(f"would apply {file.name}")
            for name in deleted:
                self.out(f"would record that repeatable file {name} was deleted")
            for name, value in changes:
                self.out(f"would set {name} = {value} for role {SERVICE_ROLE} in this database")
            self.out(f"dry run: {count(pending)} would be applied, nothing was applied")
            return [file.name for file in pending]
        with self._connect() as lock_conn:
            self._lock(lock_conn)
            with self._connect() as conn:
                self._say_where(conn)
                conn.execute("SELECT set_config('lock_timeout', %s, false)",
                             (f"{round(self.ddl_lock_timeout * 1000)}ms",))  # fmt: skip
                with conn.transaction():
                    self._act_as_owner(conn)
                    self._bootstrap(conn)
                    handed = self._hand_over(conn)
                self._say_handed(handed)
                pending, deleted = self._pending(conn)
                if through is not None:
                    pending = [f for f in pending if f.version is not None and f.version <= through]
                    deleted = []
                applied = self._apply(conn, pending, deleted)
                if through is None:
                    self._configure_service_role(conn)
                    self._report_foreign_owners(conn)
                return applied

    def bootstrap(self, deploy_role: str = DEPLOY_ROLE) -> None:
        """The one-time step a DBA runs as superuser so that ``deploy_role`` (no superuser,
        no CREATEROLE) can run ``up`` from then on: the roles wallet_owner (NOLOGIN) and
        wallet_app, every role a versioned file creates (they create roles only when
        missing), ``deploy_role`` (LOGIN, created without a password when missing) as a
        member of both, CREATE on this database for wallet_owner, the versioned files
        through BOOTSTRAP_THROUGH (they create and comment on roles), everything handed to
        wallet_owner, and wallet_owner's default privileges. Safe to run again."""
        with self._connect() as conn:
            self._say_where(conn)
            if not self._is_superuser(conn):
                raise BootstrapError(
                    f"bootstrap creates roles and must run as a superuser, not {conn.info.user}"
                )
            deploy = psycopg.sql.Identifier(deploy_role)
            database = psycopg.sql.Identifier(conn.info.dbname)
            with conn.transaction():
                conn.execute(BOOTSTRAP_ROLES)
                for role, login in created_roles(versioned_files(self.root)).items():
                    if not self._role_exists(conn, role):
                        conn.execute(
                            psycopg.sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN"))
                            .format(psycopg.sql.Identifier(role))
                        )  # fmt: skip
                        self.out(f"created role {role} (a versioned file creates it)")
                exists = conn.execute("SELECT to_regrole(%s)", (deploy_role,)).fetchone()
                if exists is None or exists[0] is None:
                    conn.execute(psycopg.sql.SQL("CREATE ROLE {} LOGIN").format(deploy))
                    self.out(f"created role {deploy_role} (LOGIN, no password: set one)")
                conn.execute(psycopg.sql.SQL("GRANT wallet_owner, wallet_app TO {}").format(deploy))
                conn.execute(
                    psycopg.sql.SQL("GRANT CONNECT, CREATE ON DATABASE {} TO wallet_owner").format(
                        database
                    )
                )
        self.up(through=BOOTSTRAP_THROUGH)
        with self._connect() as conn, conn.transaction():
            self._say_handed(self._hand_over(conn))
            schemas = conn.execute(
                "SELECT count(*) FROM pg_namespace WHERE nspname = ANY(%s)",
                (list(FUNCTION_SCHEMAS),),
            ).fetchone()
            if schemas is not None and schemas[0] == len(FUNCTION_SCHEMAS):
                conn.execute(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE wallet_owner IN SCHEMA wallet, wallet_core"
                    " REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"
                )
        self.out(f"bootstrap done: {deploy_role} may now run migrate.py up as {OWNER_ROLE}")

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

    @staticmethod
    def _is_superuser(conn: psycopg.Connection) -> bool:
        row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = session_user").fetchone()
        return bool(row and row[0])

    def _act_as_owner(self, conn: psycopg.Connection) -> None:
        """In the caller's transaction: become wallet_owner when this session is a
        non-superuser member of it. A superuser stays itself (a versioned file may manage
        roles) and hands over afterwards."""
        row = conn.execute(
            "SELECT to_regrole(%s) IS NOT NULL AND NOT (SELECT rolsuper FROM pg_roles"
            " WHERE rolname = session_user) AND pg_has_role(session_user, %s, 'MEMBER')",
            (OWNER_ROLE, OWNER_ROLE),
        ).fetchone()
        if row is not None and row[0]:
            conn.execute(f"SET LOCAL ROLE {OWNER_ROLE}")

    def _hand_over(self, conn: psycopg.Connection) -> int:
        """In the caller's transaction, as the session user: give wallet_owner every object
        of the wallet schemas this session may act for (a superuser: all of them). Returns
        how many objects changed owner."""
        row = conn.execute("SELECT to_regrole(%s)", (OWNER_ROLE,)).fetchone()
        if row is None or row[0] is None:
            return 0
        conn.execute("SET LOCAL ROLE NONE")
        objects = conn.execute(
            HAND_OVER_QUERY, {"owner": OWNER_ROLE, "schemas": list(OWNED_SCHEMAS)}
        ).fetchall()
        for kind, name in objects:
            conn.execute(f"ALTER {kind} {name} OWNER TO {OWNER_ROLE}")
        return len(objects)

    def _say_handed(self, handed: int) -> None:
        if handed:
            self.out(f"handed {handed} object(s) of the wallet schemas to {OWNER_ROLE}")

    def _report_foreign_owners(self, conn: psycopg.Connection) -> None:
        """Say so when objects of the wallet schemas are owned by another role than
        wallet_owner and this session could not hand them over."""
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = ANY(%s) AND c.relowner <> to_regrole(%s)",
            (list(OWNED_SCHEMAS), OWNER_ROLE),
        ).fetchone()
        if row is not None and row[0] and self._role_exists(conn, OWNER_ROLE):
            self.out(
                f"warning: {row[0]} relation(s) of the wallet schemas are not owned by "
                f"{OWNER_ROLE}; run migrate.py once as a superuser to hand them over"
            )

    @staticmethod
    def _role_exists(conn: psycopg.Connection, role: str) -> bool:
        row = conn.execute("SELECT to_regrole(%s)", (role,)).fetchone()
        return row is not None and row[0] is not None

    def _service_role_changes(self, conn: psycopg.Connection) -> list[tuple[str, str]]:
        """The settings of wallet_app in this database that differ from the wanted ones."""
        if not self._role_exists(conn, SERVICE_ROLE):
            return []
        row = conn.execute(
            "SELECT setconfig FROM pg_db_role_setting WHERE setrole = to_regrole(%s)"
            " AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (SERVICE_ROLE,),
        ).fetchone()
        current = dict(item.split("=", 1) for item in (row[0] if row and row[0] else []))
        return [
            (name, value)
            for name, value in self.service_settings.items()
            if current.get(name) != value
        ]

    def _configure_service_role(self, conn: psycopg.Connection) -> None:
        """Store the service's timeouts on wallet_app for this database (see the module's
        doc); they apply to its sessions opened from now on."""
        changes = self._service_role_changes(conn)
        if not changes:
            return
        row = conn.execute(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = session_user"
        ).fetchone()
        may_alter_roles = bool(row and row[0])
        database = psycopg.sql.Identifier(conn.info.dbname)
        with conn.transaction():
            if not may_alter_roles:
                try:
                    conn.execute(f"SET LOCAL ROLE {SERVICE_ROLE}")
                except psycopg.errors.InsufficientPrivilege:
                    raise MigrationError(
                        "service role settings", "42501",
                        f"{conn.info.user} may not set the defaults of {SERVICE_ROLE}",
                        hint=f"GRANT {SERVICE_ROLE} TO {conn.info.user} (as bootstrap does)",
                    ) from None  # fmt: skip
            for name, value in changes:
                conn.execute(
                    psycopg.sql.SQL("ALTER ROLE {} IN DATABASE {} SET {} = {}").format(
                        psycopg.sql.Identifier(SERVICE_ROLE),
                        database,
                        psycopg.sql.Identifier(name),
                        psycopg.sql.Literal(value),
                    )
                )
        for name, value in changes:
            self.out(f"set {name} = {value} for role {SERVICE_ROLE} in this database")

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

    def _pending(self, conn: psycopg.Connection) -> tuple[list[SqlFile], list[str]]:
        """The files ``up`` would apply, in order, and the repeatable files deleted from
        disk; DriftError when history disagrees."""
        status = compare(self._applied_rows(conn), self.root)
        if status.drifted:
            problems = [f.problem or f.name for f in status.drifted]
            raise DriftError([f.name for f in status.drifted], problems)
        pending = [f.file for f in status.pending if f.file is not None]
        return pending, [f.name for f in status.deleted]

    def _apply(
        self, conn: psycopg.Connection, pending: list[SqlFile], deleted: list[str]
    ) -> list[str]:
        """Each versioned file in its own transaction, then all repeatable ones in one,
        with the deleted files recorded and the functions no file defines dropped."""
        started = time.perf_counter()
        applied: list[str] = []
        try:
            for file in (f for f in pending if f.kind == VERSIONED):
                with conn.transaction():
                    self._act_as_owner(conn)
                    duration_ms = self._run(conn, file)
                    handed = self._hand_over(conn)
                self.out(f"applied {file.name} in {duration_ms:.1f} ms")
                self._say_handed(handed)
                applied.append(file.name)
            repeatables = [f for f in pending if f.kind == REPEATABLE]
            if repeatables or deleted:
                with conn.transaction():
                    self._act_as_owner(conn)
                    durations = [self._run(conn, file) for file in repeatables]
                    for name in deleted:
                        self._record(conn, REPEATABLE, None, name, DELETED, 0.0)
                    dropped = self._drop_undefined_routines(conn, repeatables)
                    handed = self._hand_over(conn)
                # Said only once the shared transaction has committed.
                for file, duration_ms in zip(repeatables, durations, strict=True):
                    self.out(f"applied {file.name} in {duration_ms:.1f} ms")
                for name in deleted:
                    self.out(f"repeatable file {name} was deleted from disk")
                for line in dropped:
                    self.out(line)
                self._say_handed(handed)
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

    def _drop_undefined_routines(self, conn: psycopg.Connection, ran: list[SqlFile]) -> list[str]:
        """In the repeatables' transaction: drop every function of the wallet schemas that
        no file of sql/ defines, and the older signatures of names only ``ran`` define."""
        on_disk = versioned_files(self.root) + repeatable_files(self.root)
        ran_names = {file.name for file in ran}
        defined = defined_routines(on_disk)
        defined_elsewhere = defined_routines(
            f for f in on_disk if f.kind == VERSIONED or f.name not in ran_names
        )
        said: list[str] = []
        for name, signature, recreated in conn.execute(
            ROUTINES_QUERY, (list(FUNCTION_SCHEMAS),)
        ).fetchall():
            if name not in defined:
                reason = "no file in sql/ defines it"
            elif name not in defined_elsewhere and not recreated:
                reason = "an older signature: the files that define the name did not create it"
            else:
                continue
            try:
                conn.execute(f"DROP ROUTINE {signature}")
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
            "INSERT INTO wallet_migrate.history"
            " (kind, version, name, checksum, duration_ms, applied_by)"
            " VALUES (%s, %s, %s, %s, %s, session_user)",
            (kind, version, name, checksum, round(duration_ms, 3)),
        )


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
        "  4  timed out waiting for the migration lock\n"
        "  5  a file could not get a table lock within --ddl-lock-timeout\n\n"
        "environment: DATABASE_URL, WALLET_MIGRATE_DDL_LOCK_TIMEOUT, WALLET_DB_STATEMENT_TIMEOUT,\n"
        "  WALLET_DB_IDLE_IN_TRANSACTION_TIMEOUT (seconds; the flags win)",
    )
    parser.add_argument(
        "command", nargs="?", choices=["up", "status", "bootstrap"], default="up",
        help="up (default): apply pending files; status: list every file's state; "
        "bootstrap: the one-time superuser step before a deploy role runs up",
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
        "--ddl-lock-timeout", type=float, metavar="S",
        help="seconds a file's statement waits for a table lock before the file fails "
        "(default: WALLET_MIGRATE_DDL_LOCK_TIMEOUT or 5)",
    )  # fmt: skip
    parser.add_argument(
        "--statement-timeout", type=float, metavar="S",
        help=f"statement_timeout of {SERVICE_ROLE} in this database, 0 for none "
        "(default: WALLET_DB_STATEMENT_TIMEOUT or 10)",
    )  # fmt: skip
    parser.add_argument(
        "--idle-in-transaction-timeout", type=float, metavar="S",
        help=f"idle_in_transaction_session_timeout of {SERVICE_ROLE} in this database, 0 for "
        "none (default: WALLET_DB_IDLE_IN_TRANSACTION_TIMEOUT or 60)",
    )  # fmt: skip
    parser.add_argument(
        "--deploy-role", default=DEPLOY_ROLE, metavar="NAME",
        help=f"bootstrap: the login role that will run up (default {DEPLOY_ROLE})",
    )  # fmt: skip
    parser.add_argument(
        "--root", type=Path, default=SQL_ROOT, metavar="DIR",
        help=f"folder holding migrations/ and functions/ (default: {SQL_ROOT})",
    )  # fmt: skip
    return parser


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
    try:
        migrator = Migrator(
            url, root=args.root, lock_timeout=args.lock_timeout,
            ddl_lock_timeout=args.ddl_lock_timeout, statement_timeout=args.statement_timeout,
            idle_in_transaction_timeout=args.idle_in_transaction_timeout,
        )  # fmt: skip
    except ValueError as error:
        print(f"migrate.py: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "bootstrap":
            migrator.bootstrap(args.deploy_role)
            return EXIT_OK
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
    except DdlLockTimeout as error:
        print(f"migrate.py: {error}", file=sys.stderr)
        return EXIT_DDL_LOCK_TIMEOUT
    except (LayoutError, ConnectionFailed, BootstrapError, OSError) as error:
        print(f"migrate.py: {error}", file=sys.stderr)
        return EXIT_USAGE
    except psycopg.Error as error:
        print(f"migrate.py: database error: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
