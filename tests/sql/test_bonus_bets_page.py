"""docs/bonus-bets.md runs: every ```sql block of the page, in order, through psql on a fresh
database, must print exactly the ```text block that follows it (how:
``tests/support/doc_pages.py``; ``WALLET_UPDATE_DOCS=1`` writes what psql printed into the page).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from tests.sql import clock
from tests.support.doc_pages import run_page

PAGE = Path(__file__).resolve().parents[2] / "docs" / "bonus-bets.md"


def test_every_example_of_the_page_prints_what_the_page_shows(db: psycopg.Connection) -> None:
    if shutil.which("psql") is None:
        pytest.skip("no psql on this machine")
    user = db.execute("select session_user").fetchone()
    if user != ("postgres",):
        pytest.skip("the page's history shows the role postgres; these tests run as another")
    clock.install(db)
    assert run_page(db, PAGE) >= 8
