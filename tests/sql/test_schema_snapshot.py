"""sql/schema.sql is exactly the schema the migrations produce (tests/sql/schema_snapshot.py).

The test database is a copy of the template migrate.py built, so pg_dump of it is what a
fresh deploy gets. pg_dump prints each PostgreSQL major differently: the comparison runs only
on a server of the major the snapshot was made with, and with a pg_dump of that major.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.sql import schema_snapshot


def test_schema_snapshot_is_what_the_migrations_produce(db: psycopg.Connection) -> None:
    expected = schema_snapshot.SNAPSHOT.read_text()
    made_with = schema_snapshot.snapshot_major(expected)
    assert made_with is not None, "sql/schema.sql does not say which PostgreSQL made it"
    server = schema_snapshot.server_major(db)
    if server != made_with:
        pytest.skip(f"sql/schema.sql was made with PostgreSQL {made_with}; this server is {server}")
    pg_dump = schema_snapshot.find_pg_dump(server)
    if pg_dump is None:
        pytest.skip(f"no pg_dump of PostgreSQL {server} on this machine")
    actual = schema_snapshot.snapshot_of(db, pg_dump)
    assert actual == expected, (
        "sql/schema.sql is not what the migrations produce; if the change is meant, regenerate it "
        "with `uv run python -m tests.sql.schema_snapshot --write`:\n"
        + schema_snapshot.difference(expected, actual)
    )


def test_every_function_names_the_file_that_defines_it() -> None:
    """The snapshot leaves function bodies out and points to them; a function no file of sql/
    defines would be one migrate.py did not make."""
    text = schema_snapshot.SNAPSHOT.read_text()
    bodies = [line for line in text.splitlines() if line.startswith("    AS $")]
    assert len(bodies) > 50
    assert all("-- body: sql/" in line for line in bodies), [
        line for line in bodies if "-- body: sql/" not in line
    ]
