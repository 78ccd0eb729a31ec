"""``wallet report``: the money report and the reconciliation with the provider's file, for
finance, so that nobody has to remember the SQL (docs/reconciliation.md).

Both are read in one ``REPEATABLE READ READ ONLY`` transaction: one snapshot, so that the
money report and the reconciliation describe the same books, and no lock a route function
waits for (the functions read; they take no row lock). Point ``DATABASE_URL`` at a standby to
keep even the reading off the primary; the role needs only ``wallet_support``.

The exit status: 0 when the books agree with the provider's file over the window, 1 when the
reconciliation found a difference, 2 for a usage or database error (the command line prints
it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

MONEY_QUERY = "SELECT * FROM wallet.money_report(%s, %s)"
RECONCILE_QUERY = "SELECT * FROM wallet.reconcile(%s, %s)"

AGREE = 0
DIFFERENCES = 1


class ReportError(Exception):
    """The report cannot run: a bad window, or the database refused."""


@dataclass(frozen=True, slots=True)
class Table:
    columns: list[str]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Books:
    window_from: datetime
    window_to: datetime
    money: Table
    differences: Table


def parse_time(text: str) -> datetime:
    """An ISO 8601 date (midnight UTC) or time; a time without an offset is UTC."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(
            f"{text!r} is not an ISO 8601 date or time (2026-12-06, 2026-12-06T06:00Z)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def window(window_from: str, window_to: str | None) -> tuple[datetime, datetime]:
    """The window [from, to): to defaults to a day after from."""
    start = parse_time(window_from)
    end = parse_time(window_to) if window_to else start + timedelta(days=1)
    if start >= end:
        raise ReportError(f"--from {start.isoformat()} is not before --to {end.isoformat()}")
    return start, end


def _table(cursor: psycopg.Cursor[Any]) -> Table:
    rows = cursor.fetchall()
    return Table([column.name for column in cursor.description or ()], rows)


def read_books(conninfo: str, window_from: datetime, window_to: datetime) -> Books:
    """The money report and the differences, from one snapshot."""
    try:
        with psycopg.connect(conninfo, application_name="wallet report") as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.cursor() as cur:
                money = _table(cur.execute(MONEY_QUERY, (window_from, window_to)))
                differences = _table(cur.execute(RECONCILE_QUERY, (window_from, window_to)))
            conn.rollback()
    except psycopg.Error as error:
        raise ReportError(str(error).strip()) from None
    return Books(window_from, window_to, money, differences)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def as_csv(books: Books) -> str:
    """Two CSV tables, the money report then the differences, each with its header row,
    separated by one empty line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(books.money.columns)
    writer.writerows([_cell(v) for v in row] for row in books.money.rows)
    buffer.write("\n")
    writer.writerow(books.differences.columns)
    writer.writerows([_cell(v) for v in row] for row in books.differences.rows)
    return buffer.getvalue()


def _text_table(
    columns: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]
) -> list[str]:
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    return [line(columns), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def as_text(books: Books) -> str:
    """The report for a terminal: the money in each currency's minor units, then in euro
    cents, then each difference."""
    span = f"[{books.window_from.isoformat()}, {books.window_to.isoformat()})"
    money = [dict(zip(books.money.columns, row, strict=True)) for row in books.money.rows]
    native = [
        "currency",
        "stakes",
        "wins",
        "refunds",
        "rollbacks",
        "bonus_cost",
        "ggr",
        "bets",
        "players",
    ]
    euros = [
        "currency",
        "stakes_eur",
        "wins_eur",
        "refunds_eur",
        "rollbacks_eur",
        "bonus_cost_eur",
        "ggr_eur",
        "unconverted",
    ]
    out = [f"money report {span}", ""]
    out += ["in each currency (minor units):"]
    out += _text_table(
        native,
        [[_cell(row[c]) for c in native] for row in money if row["currency"] != "ALL"],
        set(range(1, len(native))),
    )
    total = next((row for row in money if row["currency"] == "ALL"), None)
    if total is not None:
        out.append(f"{'ALL':<8} bets {total['bets']}, players {total['players']}")
    out += ["", "in euros (cents, at the provider's cross rates):"]
    out += _text_table(
        euros, [[_cell(row[c]) for c in euros] for row in money], set(range(1, len(euros)))
    )
    unconverted = total["unconverted"] if total is not None else 0
    if unconverted:
        out.append(
            f"{unconverted} operation(s) without a cross rate are left out of the euro figures"
        )
    out += ["", f"reconciliation with wallet.provider_report {span}:"]
    if not books.differences.rows:
        out.append("no difference: the wallet's books and the provider's file agree")
    else:
        out += _text_table(
            books.differences.columns,
            [[_cell(v) for v in row] for row in books.differences.rows],
            set(),
        )
        out.append(f"{len(books.differences.rows)} difference(s)")
    return "\n".join(out) + "\n"


def report(
    conninfo: str,
    window_from: str,
    window_to: str | None,
    *,
    as_csv_output: bool = False,
    out: Callable[[str], None] = print,
) -> int:
    """Print the report for [from, to); :data:`AGREE` or :data:`DIFFERENCES`. Raises
    :class:`ReportError`."""
    start, end = window(window_from, window_to)
    books = read_books(conninfo, start, end)
    out((as_csv if as_csv_output else as_text)(books).rstrip("\n"))
    return DIFFERENCES if books.differences.rows else AGREE
