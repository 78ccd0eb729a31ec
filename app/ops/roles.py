"""The wallet's roles, and who owns what. These constants are the one place that names them;
the SQL of app/ops/sql gets them as placeholders.

``wallet_owner`` (NOLOGIN) owns the schemas wallet, wallet_core and wallet_migrate and
everything in them. A deploy role that is a member of it (and no superuser) runs every file as
``wallet_owner``; a superuser runs the files as itself (a versioned file may manage roles) and
hands what it owns there to ``wallet_owner`` after each transaction, which is also how a
database migrated by a superuser before migration 0100 gets its ownership moved.
``wallet_app`` is the service's login role: ``up`` stores its timeouts for the database on the
role, because PgBouncer in transaction mode refuses startup options. ``bootstrap`` is the DBA's
one-time step before a deploy role (``wallet_deploy``) can migrate. docs/deploy.md has the
procedure, docs/migrations.md the engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import psycopg
import psycopg.sql
from psycopg.sql import SQL, Identifier, Literal

from app.ops.migrations import (
    SQL_ROOT,
    MigrationError,
    Migrator,
    Policy,
    SqlFile,
    SqlTree,
    seconds,
    statement,
)

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


class BootstrapError(Exception):
    """``bootstrap`` cannot run: it needs a superuser."""


def role_statement(name: str, **names: psycopg.sql.Composable) -> psycopg.sql.Composed:
    """``app/ops/sql/<name>.sql`` with the wallet's names put in: ``{owner}``,
    ``{service}`` (identifiers), ``{owner_name}``, ``{service_name}`` (string literals),
    ``{function_schemas}`` (a list of identifiers), and ``names``."""
    return statement(name).format(
        owner=Identifier(OWNER_ROLE),
        service=Identifier(SERVICE_ROLE),
        owner_name=Literal(OWNER_ROLE),
        service_name=Literal(SERVICE_ROLE),
        function_schemas=SQL(", ").join(Identifier(schema) for schema in FUNCTION_SCHEMAS),
        **names,
    )


def created_roles(files: Iterable[SqlFile]) -> dict[str, bool]:
    """Role name -> LOGIN, for every ``create role name [login|nologin]`` in the files."""
    roles: dict[str, bool] = {}
    for file in files:
        for match in CREATED_ROLE.finditer(file.text):
            options = match.group(2).lower().split()
            roles[match.group(1).lower()] = "login" in options
    return roles


def role_exists(conn: psycopg.Connection, role: str) -> bool:
    row = conn.execute("select to_regrole(%s)", (role,)).fetchone()
    return row is not None and row[0] is not None


def is_superuser(conn: psycopg.Connection) -> bool:
    row = conn.execute("select rolsuper from pg_roles where rolname = session_user").fetchone()
    return bool(row and row[0])


class WalletRoles(Policy):
    """Files run as wallet_owner and what they create is handed to it; a complete ``up``
    stores the service's timeouts on wallet_app for this database."""

    function_schemas = FUNCTION_SCHEMAS

    def __init__(
        self,
        statement_timeout: float | None = None,
        idle_in_transaction_timeout: float | None = None,
    ) -> None:
        """In seconds, 0 for no limit; None reads WALLET_DB_STATEMENT_TIMEOUT and
        WALLET_DB_IDLE_IN_TRANSACTION_TIMEOUT, else 10 and 60. ValueError for a malformed or
        negative value."""
        statement_timeout = seconds(statement_timeout, "WALLET_DB_STATEMENT_TIMEOUT", 10)
        idle_in_transaction_timeout = seconds(
            idle_in_transaction_timeout, "WALLET_DB_IDLE_IN_TRANSACTION_TIMEOUT", 60
        )
        self.service_settings = {
            "statement_timeout": f"{round(statement_timeout * 1000)}ms",
            "idle_in_transaction_session_timeout": f"{round(idle_in_transaction_timeout * 1000)}ms",
        }

    def begin(self, conn: psycopg.Connection) -> None:
        """Become wallet_owner when this session is a non-superuser member of it. A superuser
        stays itself (a versioned file may manage roles) and hands over in :meth:`end`."""
        row = conn.execute(statement("acts_as_owner"), {"owner": OWNER_ROLE}).fetchone()
        if row is not None and row[0]:
            conn.execute(SQL("set local role {}").format(Identifier(OWNER_ROLE)))

    def end(self, conn: psycopg.Connection) -> list[str]:
        """As the session user: give wallet_owner every object of the wallet schemas this
        session may act for (a superuser: all of them, whatever their kind or name)."""
        if not role_exists(conn, OWNER_ROLE):
            return []
        conn.execute("set local role none")
        objects = conn.execute(
            statement("hand_over"), {"owner": OWNER_ROLE, "schemas": list(OWNED_SCHEMAS)}
        ).fetchall()
        for kind, name in objects:
            conn.execute(
                SQL("alter {} {} owner to {}").format(SQL(kind), SQL(name), Identifier(OWNER_ROLE))
            )
        if not objects:
            return []
        return [f"handed {len(objects)} object(s) of the wallet schemas to {OWNER_ROLE}"]

    def plan(self, conn: psycopg.Connection) -> list[str]:
        return [
            f"would set {name} = {value} for role {SERVICE_ROLE} in this database"
            for name, value in self._service_role_changes(conn)
        ]

    def finish(self, conn: psycopg.Connection) -> list[str]:
        return self._configure_service_role(conn) + self._foreign_owners(conn)

    def _service_role_changes(self, conn: psycopg.Connection) -> list[tuple[str, str]]:
        """The settings of wallet_app in this database that differ from the wanted ones."""
        if not role_exists(conn, SERVICE_ROLE):
            return []
        row = conn.execute(statement("service_role_settings"), {"service": SERVICE_ROLE}).fetchone()
        current = dict(item.split("=", 1) for item in (row[0] if row and row[0] else []))
        return [
            (name, value)
            for name, value in self.service_settings.items()
            if current.get(name) != value
        ]

    def _configure_service_role(self, conn: psycopg.Connection) -> list[str]:
        """Store the service's timeouts on wallet_app for this database, in a transaction of
        their own; they apply to its sessions opened from now on, pooled or not, and to no
        other role. A non-superuser sets them as wallet_app (a role may change its own
        defaults): bootstrap makes the deploy role a member of it."""
        changes = self._service_role_changes(conn)
        if not changes:
            return []
        row = conn.execute(
            "select rolsuper or rolcreaterole from pg_roles where rolname = session_user"
        ).fetchone()
        may_alter_roles = bool(row and row[0])
        database = Identifier(conn.info.dbname)
        with conn.transaction():
            if not may_alter_roles:
                try:
                    conn.execute(SQL("set local role {}").format(Identifier(SERVICE_ROLE)))
                except psycopg.errors.InsufficientPrivilege:
                    raise MigrationError(
                        "service role settings", "42501",
                        f"{conn.info.user} may not set the defaults of {SERVICE_ROLE}",
                        hint=f"GRANT {SERVICE_ROLE} TO {conn.info.user} (as bootstrap does)",
                    ) from None  # fmt: skip
            for name, value in changes:
                conn.execute(
                    SQL("alter role {} in database {} set {} = {}").format(
                        Identifier(SERVICE_ROLE), database, Identifier(name), Literal(value)
                    )
                )
        return [
            f"set {name} = {value} for role {SERVICE_ROLE} in this database"
            for name, value in changes
        ]

    @staticmethod
    def _foreign_owners(conn: psycopg.Connection) -> list[str]:
        """A warning when relations of the wallet schemas belong to another role than
        wallet_owner and this session could not hand them over."""
        row = conn.execute(
            statement("foreign_owners"), {"owner": OWNER_ROLE, "schemas": list(OWNED_SCHEMAS)}
        ).fetchone()
        if row is None or not row[0] or not role_exists(conn, OWNER_ROLE):
            return []
        return [
            f"warning: {row[0]} relation(s) of the wallet schemas are not owned by "
            f"{OWNER_ROLE}; run migrate.py once as a superuser to hand them over"
        ]


class WalletMigrator(Migrator):
    """The engine with the wallet's roles (:class:`WalletRoles`), and ``bootstrap``."""

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
        self.roles = WalletRoles(statement_timeout, idle_in_transaction_timeout)
        super().__init__(
            conninfo, root=root, out=out, lock_timeout=lock_timeout,
            ddl_lock_timeout=ddl_lock_timeout, policy=self.roles,
        )  # fmt: skip

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
            if not is_superuser(conn):
                raise BootstrapError(
                    f"bootstrap creates roles and must run as a superuser, not {conn.info.user}"
                )
            tree = SqlTree.read(self.root)
            deploy = Identifier(deploy_role)
            with conn.transaction():
                conn.execute(role_statement("bootstrap_roles"))
                for role, login in created_roles(tree.versioned).items():
                    if not role_exists(conn, role):
                        options = SQL("login" if login else "nologin")
                        conn.execute(SQL("create role {} {}").format(Identifier(role), options))
                        self.out(f"created role {role} (a versioned file creates it)")
                if not role_exists(conn, deploy_role):
                    conn.execute(SQL("create role {} login").format(deploy))
                    self.out(f"created role {deploy_role} (LOGIN, no password: set one)")
                conn.execute(
                    role_statement(
                        "deploy_role", deploy=deploy, database=Identifier(conn.info.dbname)
                    )
                )
        self.up(through=BOOTSTRAP_THROUGH, tree=tree)
        with self._connect() as conn, conn.transaction():
            self._say(self.roles.end(conn))
            schemas = conn.execute(
                "select count(*) from pg_namespace where nspname = any(%s)",
                (list(FUNCTION_SCHEMAS),),
            ).fetchone()
            if schemas is not None and schemas[0] == len(FUNCTION_SCHEMAS):
                conn.execute(role_statement("default_privileges"))
        self.out(f"bootstrap done: {deploy_role} may now run migrate.py up as {OWNER_ROLE}")
