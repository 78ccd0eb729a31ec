"""Bring a wallet database up to date with the SQL files in ``sql/``: the deploy step.

    python migrate.py [up|status|bootstrap] [--dry-run] [--database-url URL] ...

``--help`` lists every flag, environment variable and exit code. docs/migrations.md explains
the engine (versioned and repeatable files, history, drift, the lock), docs/deploy.md the
roles and the deploy. The code is in app/ops: migrations.py (the engine), roles.py (the
wallet's roles and ownership), command_line.py (this command).
"""

import sys

from app.ops.command_line import main
from app.ops.migrations import (
    EXIT_DDL_LOCK_TIMEOUT,
    EXIT_DRIFT,
    EXIT_FAILED,
    EXIT_LOCK_TIMEOUT,
    EXIT_OK,
    EXIT_USAGE,
    LOCK_KEY,
    SQL_ROOT,
    ConnectionFailed,
    DdlLockTimeout,
    DriftError,
    LayoutError,
    LockTimeout,
    MigrationError,
    problems,
    repeatable_files,
    versioned_files,
)
from app.ops.roles import (
    DEPLOY_ROLE,
    FUNCTION_SCHEMAS,
    OWNED_SCHEMAS,
    OWNER_ROLE,
    SERVICE_ROLE,
    BootstrapError,
)
from app.ops.roles import WalletMigrator as Migrator

__all__ = [
    "DEPLOY_ROLE",
    "EXIT_DDL_LOCK_TIMEOUT",
    "EXIT_DRIFT",
    "EXIT_FAILED",
    "EXIT_LOCK_TIMEOUT",
    "EXIT_OK",
    "EXIT_USAGE",
    "FUNCTION_SCHEMAS",
    "LOCK_KEY",
    "OWNED_SCHEMAS",
    "OWNER_ROLE",
    "SERVICE_ROLE",
    "SQL_ROOT",
    "BootstrapError",
    "ConnectionFailed",
    "DdlLockTimeout",
    "DriftError",
    "LayoutError",
    "LockTimeout",
    "MigrationError",
    "Migrator",
    "main",
    "problems",
    "repeatable_files",
    "versioned_files",
]

if __name__ == "__main__":
    sys.exit(main())
