"""pgbench as the load generator for the database-ceiling benchmarks.

``bet_make_script`` is a pgbench script that calls ``wallet.bet_make`` with a 3-selection bet
slip for a random player among ``:players``, with a new transaction id on every call (a random
63-bit number: over a few hundred thousand calls a collision is vanishingly unlikely, and a
collision would only be a cheap replay). ``run`` starts pgbench and returns what it printed as
numbers. Scratch databases are created and dropped here too.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg.conninfo


def selection(n: int) -> dict[str, object]:
    """Selection ``n`` of the benchmark's bet slip; its references exist after the first call,
    as in a provider's steady state."""
    return {
        "id": f"sel-{n}",
        "event_id": f"event-{n}",
        "sport_id": "1",
        "sport_name": "Football",
        "category_id": f"c{n}",
        "category_name": f"Category {n}",
        "tournament_id": f"t{n}",
        "tournament_name": f"Tournament {n}",
        "competitor_name": [f"Home {n}", f"Away {n}"],
        "market_name": "1x2",
        "outcome_name": "1",
        "scheduled": 1767225600,
        "live": False,
        "odds": f"1.{n}5",
    }


_REQUEST = {"amount": 100, "currency": "EUR", "session_id": "session-1", "potential_win": 300}
_TRANSACTION = {
    "player_id": "provider-player",
    "timestamp": 1767225000,
    "amount": 100,
    "currency": "EUR",
    "operation": "bet",
    "cross_rate_euro": "1.0",
}
_BETSLIP = {
    "timestamp": 1767225000.25,
    "type": "express",
    "sum": 100,
    "k": "3.32",
    "is_quick_bet": False,
    "accept_odds_change": True,
    "bets": [selection(n) for n in (1, 2, 3)],
}


def bet_make_request(player: int, tx: int) -> dict[str, object]:
    """The benchmark's bet/make request (what pgbench's script builds in SQL)."""
    return _REQUEST | {
        "player_id": f"bench-{player}",
        "transaction": _TRANSACTION
        | {"id": str(tx), "ext_player_id": f"bench-{player}", "betslip_id": f"slip-{tx}"},
        "betslip": _BETSLIP | {"id": f"slip-{tx}"},
    }


def bet_make_script(players: int) -> str:
    """A pgbench script: one bet/make of 100 cents with 3 selections, a new id every time."""
    request, transaction, betslip = (
        json.dumps(part).replace("'", "''") for part in (_REQUEST, _TRANSACTION, _BETSLIP)
    )
    return f"""\\set player random(1, {players})
\\set tx random(1, 9000000000000000000)
select status from wallet.bet_make(
    '{request}'::jsonb || jsonb_build_object(
        'player_id', 'bench-' || :player::text,
        'transaction', '{transaction}'::jsonb || jsonb_build_object(
            'id', :tx::text, 'ext_player_id', 'bench-' || :player::text,
            'betslip_id', 'slip-' || :tx::text),
        'betslip', '{betslip}'::jsonb || jsonb_build_object('id', 'slip-' || :tx::text)));
"""


def create_players(conninfo: str, players: int, balance: int = 10**13) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "select wallet.create_player('bench-' || g, 'EUR', %s) "
            "from generate_series(1, %s) as g",
            [balance, players],
        )


@dataclass(frozen=True)
class Result:
    label: str
    tps: float
    transactions: int
    latency_ms: float
    failed: int

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "tps": round(self.tps),
            "transactions": self.transactions,
            "latency_ms": self.latency_ms,
            "failed": self.failed,
        }


def run(
    label: str,
    conninfo: str,
    *,
    clients: int,
    seconds: int,
    script: Path | None = None,
    builtin: str | None = None,
    threads: int = 2,
) -> Result:
    """One pgbench run, -M prepared. Either a script file or a built-in (tpcb-like)."""
    info = psycopg.conninfo.conninfo_to_dict(conninfo)
    command = [
        "pgbench",
        "-h",
        str(info.get("host", "127.0.0.1")),
        "-p",
        str(info.get("port", 5432)),
        "-U",
        str(info.get("user", "postgres")),
        "-c",
        str(clients),
        "-j",
        str(min(threads, clients)),
        "-T",
        str(seconds),
        "-M",
        "prepared",
        "-n",
    ]
    command += ["-f", str(script)] if script is not None else ["-b", builtin or "tpcb-like"]
    command.append(str(info["dbname"]))
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed ({label}): {out.stderr.strip()[-2000:]}")
    text = out.stdout
    tps = float(_find(r"tps = ([0-9.]+) \(without initial connection time\)", text))
    processed = int(_find(r"number of transactions actually processed: (\d+)", text))
    latency = float(_find(r"latency average = ([0-9.]+) ms", text))
    failed_match = re.search(r"number of failed transactions: (\d+)", text)
    failed = int(failed_match.group(1)) if failed_match else 0
    return Result(label, tps, processed, latency, failed)


def _find(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"pgbench output lacks {pattern!r}:\n{text}")
    return match.group(1)


def scratch_database(admin_url: str, prefix: str) -> tuple[str, str]:
    """Creates an empty database; returns its name and a conninfo to it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return name, psycopg.conninfo.make_conninfo(admin_url, dbname=name)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def pgbench_init(conninfo: str, scale: int) -> None:
    info = psycopg.conninfo.conninfo_to_dict(conninfo)
    subprocess.run(
        [
            "pgbench",
            "-i",
            "-q",
            "-s",
            str(scale),
            "-h",
            str(info.get("host", "127.0.0.1")),
            "-p",
            str(info.get("port", 5432)),
            "-U",
            str(info.get("user", "postgres")),
            str(info["dbname"]),
        ],
        capture_output=True,
        check=True,
    )


def audit_findings(conninfo: str) -> int:
    """How many rows wallet.audit() reports, negative balances after rollbacks aside."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from wallet.audit() where \"check\" <> 'negative_balance'"
        ).fetchone()
    return int(row[0]) if row else -1


def table_sizes(conninfo: str) -> dict[str, int]:
    """Bytes of each wallet_core table with its indexes and TOAST, and the number of made bets
    (under the key ``bets``)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("vacuum analyze")
        rows = conn.execute(
            """
            select c.relname, pg_total_relation_size(c.oid)
            from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname = 'wallet_core' and c.relkind = 'r'
            """
        ).fetchall()
        bets = conn.execute("select count(*) from wallet_core.bets where made").fetchone()
    sizes = {str(name): int(size) for name, size in rows}
    sizes["bets_made"] = int(bets[0]) if bets else 0
    return sizes


def bytes_per_bet(before: dict[str, int], after: dict[str, int]) -> dict[str, object]:
    """What the bets made between two ``table_sizes`` snapshots cost, per bet, by table."""
    bets = after["bets_made"] - before["bets_made"]
    if bets <= 0:
        return {"bets": 0}
    growth = {
        name: after[name] - before.get(name, 0)
        for name in after
        if name != "bets_made" and after[name] - before.get(name, 0) > 0
    }
    return {
        "bets": bets,
        "bytes_per_bet": round(sum(growth.values()) / bets),
        "by_table": {name: round(size / bets) for name, size in sorted(growth.items())},
    }
