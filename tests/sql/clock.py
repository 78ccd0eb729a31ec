"""A clock the tests can steer: ``wallet_core.now()`` and ``wallet_core.change_time()`` replaced
in one test database by versions that read the setting ``wallet.test_clock`` when it is set.

Production never reads a setting for its clock: any role may ``SET wallet.test_clock`` in its
own session (PostgreSQL lets everyone set a custom setting), so a clock that honoured it would
let the service role move time past a limit's window. Migration 0400 defines the two functions
as ``now()`` and ``clock_timestamp()``, inlined by the planner; only a test replaces them, as the
superuser that owns its throwaway database. ``tests/sql/test_responsible_gambling.py`` checks
that the production clock ignores the setting.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

STEERABLE = """
create or replace function wallet_core.now()
returns timestamptz
language sql stable parallel safe
as $$
    select coalesce(
        nullif(pg_catalog.current_setting('wallet.test_clock', true), '')::timestamptz,
        pg_catalog.now()
    )
$$;
create or replace function wallet_core.change_time()
returns timestamptz
language sql volatile parallel safe
as $$
    select coalesce(
        nullif(pg_catalog.current_setting('wallet.test_clock', true), '')::timestamptz,
        pg_catalog.clock_timestamp()
    )
$$;
"""


def install(conn: psycopg.Connection) -> None:
    """Make this database's clock steerable (for every connection, from now on)."""
    conn.execute(STEERABLE)


def set_clock(conn: psycopg.Connection, when: datetime | None) -> None:
    """This connection's wallet clock: ``when`` from now on, or the real one for ``None``."""
    conn.execute(
        "select set_config('wallet.test_clock', %s, false)",
        ["" if when is None else when.isoformat()],
    )
