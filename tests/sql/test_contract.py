"""What Python and the database must agree on: the error codes, and the route registry.

The database decides most refusals and names their provider code in ``wallet_core.error_codes``;
Python's ``ErrorCode`` is what the service, its log and its metrics know. A code added on one
side only must fail here, not in front of a provider.
"""

from __future__ import annotations

import json

import psycopg

from app.contract import ROUTE_BY_PATH, ROUTES
from app.envelope import RESERVED_CODES, SERVICE_CODES, ErrorCode


def test_every_database_code_is_known_to_python_and_every_python_code_is_accounted_for(
    db: psycopg.Connection,
) -> None:
    rows = db.execute(
        "select sqlstate, provider_code, http_status from wallet_core.error_codes order by 1"
    ).fetchall()
    database_codes = {code for _, code, _ in rows}
    assert database_codes, "wallet_core.error_codes is empty"
    unknown = database_codes - set(ErrorCode)
    assert unknown == set(), f"codes in wallet_core.error_codes missing from ErrorCode: {unknown}"
    # what the database never gives is either the service's own (the token) or reserved
    assert set(ErrorCode) - database_codes == SERVICE_CODES | RESERVED_CODES
    assert not (SERVICE_CODES & RESERVED_CODES)
    for sqlstate, code, http_status in rows:
        expected = 500 if code == ErrorCode.INTERNAL else 400
        assert http_status == expected, (sqlstate, code, http_status)


def test_the_registry_names_each_route_once() -> None:
    assert len(ROUTE_BY_PATH) == len(ROUTES)
    assert len({route.function for route in ROUTES}) == len(ROUTES)
    assert all(route.function.startswith("wallet.") for route in ROUTES)


def test_each_registry_query_runs_its_route_function(db: psycopg.Connection) -> None:
    """The statement the service sends for each route: it answers ``(status, body)`` and an
    empty request is refused as malformed (2004)."""
    for route in ROUTES:
        cursor = db.execute(route.query, [json.dumps({})])
        assert [column.name for column in cursor.description or []] == ["status", "body"]
        status, body = cursor.fetchone() or (None, None)
        assert (status, json.loads(body)["code"]) == (400, ErrorCode.BAD_REQUEST), route.path
