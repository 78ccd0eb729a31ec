"""The DBA's side of a simulation: players opened, funded and blocked, limits set, players
excluded, sessions opened, balances read, and ``wallet.audit()``, all through the SQL interface
(``wallet.create_player``, ``wallet.adjust_balance``, ``wallet.block_player``,
``wallet.set_limit``, ``wallet.exclude_player``, ``wallet.open_session``,
``wallet.set_setting``, ``wallet.balance``)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import psycopg.conninfo

from app.config import ConfigError


def embedded_admin_url(data_dir: Path) -> str | None:
    """The superuser conninfo of the embedded server ``wallet serve`` runs in ``data_dir/pg``,
    if it is running: read from its ``postmaster.pid`` (line 4 the port, line 5 the socket
    directory, as PostgreSQL writes it)."""
    pid_file = data_dir.expanduser().resolve() / "pg" / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 5 or not lines[3].strip().isdigit() or not lines[4].strip():
        return None
    return psycopg.conninfo.make_conninfo(
        host=lines[4].strip(), port=lines[3].strip(), user="postgres", dbname="postgres"
    )


class Dba:
    """One autocommit connection with the right to call the DBA functions."""

    def __init__(self, url: str) -> None:
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as error:
            raise ConfigError(f"cannot connect to the admin database: {error}") from None
        self.where = _describe(self.conn)

    def _call(self, statement: str, params: tuple[object, ...]) -> object:
        try:
            row = self.conn.execute(statement, params).fetchone()
        except psycopg.errors.InsufficientPrivilege:
            raise ConfigError(
                f"the admin database URL ({self.where}) may not call the DBA functions: give "
                "the schema owner or a superuser, not the service's role wallet_app"
            ) from None
        return None if row is None else row[0]

    def open_player(self, player: str, currency: str, balance: int) -> None:
        self._call("select wallet.create_player(%s, %s, %s)", (player, currency, balance))

    def deposit(self, player: str, currency: str, amount: int, reason: str) -> None:
        self._call(
            "select wallet.adjust_balance(%s, %s, %s, %s)", (player, currency, amount, reason)
        )

    def block(self, player: str) -> None:
        self._call("select wallet.block_player(%s)", (player,))

    def set_limit(self, player: str, currency: str, kind: str, amount: int) -> None:
        self._call(
            "select wallet.set_limit(%s, %s, %s, %s, 'wallet simulate')",
            (player, currency, kind, amount),
        )

    def exclude(self, player: str, seconds: int | None) -> None:
        """A time-out of ``seconds`` from now, or an indefinite self-exclusion for None."""
        self._call(
            "select wallet.exclude_player(%s, now() + make_interval(secs => %s),"
            " 'wallet simulate')",
            (player, seconds),
        )

    def open_session(self, player: str, session_id: str, seconds: int) -> None:
        self._call(
            "select wallet.open_session(%s, %s, now() + make_interval(secs => %s))",
            (player, session_id, seconds),
        )

    def session_check(self, value: str | None = None) -> str:
        """The session_check setting; set to ``value`` first when given."""
        if value is not None:
            self._call(
                "select wallet.set_setting('session_check', %s, 'wallet simulate')", (value,)
            )
        return str(self._call("select session_check from wallet.settings", ()))

    def grant_bonus(
        self,
        player: str,
        currency: str,
        bonus_id: str,
        bonus_type: str,
        amount: int,
        seconds: float | None = None,
    ) -> None:
        """A bonus grant that ends ``seconds`` from now (None: never)."""
        self._call(
            "select wallet.grant_bonus(%s, %s, %s, %s, %s, now() + make_interval(secs => %s))",
            (player, currency, bonus_id, bonus_type, amount, seconds),
        )

    def revoke_bonus(self, bonus_id: str) -> None:
        self._call("select wallet.revoke_bonus(%s, 'wallet simulate')", (bonus_id,))

    def grants(self, bonus_ids: list[str]) -> dict[str, int | None]:
        """What each grant has left, None for a grant the wallet does not hold."""
        rows = self.conn.execute(
            "select bonus_id, remaining from wallet_core.bonus_grants where bonus_id = any(%s)",
            (bonus_ids,),
        ).fetchall()
        found = {str(bonus_id): int(left) for bonus_id, left in rows}
        return {bonus_id: found.get(bonus_id) for bonus_id in bonus_ids}

    def balances(self, accounts: list[tuple[str, str]]) -> dict[tuple[str, str], int | None]:
        found: dict[tuple[str, str], int | None] = {}
        for player, currency in accounts:
            try:
                value = self._call("select wallet.balance(%s, %s)", (player, currency))
            except psycopg.Error:
                value = None
            found[player, currency] = value if isinstance(value, int) else None
        return found

    def audit(self) -> list[tuple[str, str, str]]:
        """Every row of ``wallet.audit()``: (check, player_id, detail)."""
        rows = self.conn.execute('select "check", player_id, detail from wallet.audit()')
        return [(str(check), str(player), str(detail)) for check, player, detail in rows]

    def close(self) -> None:
        self.conn.close()


def _describe(conn: psycopg.Connection[tuple[object, ...]]) -> str:
    info = conn.info
    return f"user {info.user} on {info.host}:{info.port}/{info.dbname}"
