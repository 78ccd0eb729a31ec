"""``python migrate.py``: the command line of the migration engine with the wallet's roles, its
flags, environment variables and exit codes (``--help`` lists them; docs/migrations.md)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import psycopg

from app.ops.migrations import (
    EXIT_DDL_LOCK_TIMEOUT,
    EXIT_DRIFT,
    EXIT_FAILED,
    EXIT_LOCK_TIMEOUT,
    EXIT_OK,
    EXIT_USAGE,
    SQL_ROOT,
    ConnectionFailed,
    DdlLockTimeout,
    DriftError,
    LayoutError,
    LockTimeout,
    MigrationError,
)
from app.ops.roles import DEPLOY_ROLE, SERVICE_ROLE, BootstrapError, WalletMigrator


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
        migrator = WalletMigrator(
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
