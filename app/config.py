"""Settings of the HTTP service, read once from the environment.

The contract names ``DATABASE_URL``, ``WALLET_DATA_DIR``, ``WALLET_JWT_PUBLIC_KEYS``,
``WALLET_JWT_LEEWAY``, ``WALLET_PATH_PREFIX``, ``WALLET_HOST`` and ``WALLET_PORT``. The pool is
tuned with ``WALLET_DB_POOL_MIN_SIZE``, ``WALLET_DB_POOL_MAX_SIZE``,
``WALLET_DB_CONNECT_TIMEOUT`` (seconds to open one connection),
``WALLET_DB_ACQUIRE_TIMEOUT`` (seconds a request waits for a pooled connection) and
``WALLET_DB_RECONNECT_TIMEOUT`` (seconds the pool keeps retrying one lost connection in the
background before it gives up and waits for demand). ``WALLET_LOG_LEVEL`` sets the log level;
``WALLET_LOG_FORMAT`` is ``text`` (human-readable lines) or ``json`` (one object per line),
by default text when stderr is a terminal and JSON otherwise.

The statement timeout is the database's: ``migrate.py`` stores it server-side on the role
``wallet_app`` for the database (``WALLET_DB_STATEMENT_TIMEOUT``), so that it survives
PgBouncer's transaction pooling, which refuses startup options. The service reads the same
variable to bound each database call on its side too: a call that has no answer
``WALLET_DB_CALL_MARGIN`` seconds (default 2) after the statement timeout (a frozen server, a
COMMIT waiting for a synchronous standby that is gone, a network that drops packets) is cut off,
its connection discarded, and the request answered 500. With ``WALLET_DB_STATEMENT_TIMEOUT=0``
(no statement timeout) there is no such deadline. ``/readyz`` gives its own database check
``WALLET_READYZ_TIMEOUT`` seconds (default 2).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

MAX_BODY_BYTES = 256 * 1024
"""The contract's limit on a request body; a larger body is refused with 2004."""


LOG_FORMATS = ("json", "text")


class ConfigError(Exception):
    """The environment does not describe a service that can start; the message says why."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path(".wallet-data")
    jwt_public_keys: tuple[Path, ...] = ()
    jwt_leeway: float = 15.0
    path_prefix: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    pool_min_size: int = 1
    pool_max_size: int = 10
    connect_timeout: float = 5.0
    acquire_timeout: float = 5.0
    reconnect_timeout: float = 10.0
    statement_timeout: float = 10.0  # the server's, as migrate.py stores it; 0: none
    call_margin: float = 2.0
    readiness_timeout: float = 2.0
    log_level: str = "INFO"
    log_format: str | None = None  # "json" or "text"; None: text on a terminal, else JSON
    application_name: str = "wallet-http"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (``os.environ`` by default)."""
        env = os.environ if environ is None else environ
        keys = tuple(
            Path(part.strip())
            for part in env.get("WALLET_JWT_PUBLIC_KEYS", "").split(",")
            if part.strip()
        )
        settings = cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("WALLET_DATA_DIR") or ".wallet-data"),
            jwt_public_keys=keys,
            jwt_leeway=_number(env, "WALLET_JWT_LEEWAY", 15.0, minimum=0),
            path_prefix=normalize_prefix(env.get("WALLET_PATH_PREFIX", "")),
            host=env.get("WALLET_HOST") or "127.0.0.1",
            port=int(_number(env, "WALLET_PORT", 8000, minimum=0, integer=True)),
            pool_min_size=int(_number(env, "WALLET_DB_POOL_MIN_SIZE", 1, minimum=0, integer=True)),
            pool_max_size=int(_number(env, "WALLET_DB_POOL_MAX_SIZE", 10, minimum=1, integer=True)),
            connect_timeout=_number(env, "WALLET_DB_CONNECT_TIMEOUT", 5.0, minimum=2),
            acquire_timeout=_number(env, "WALLET_DB_ACQUIRE_TIMEOUT", 5.0, minimum=0.1),
            reconnect_timeout=_number(env, "WALLET_DB_RECONNECT_TIMEOUT", 10.0, minimum=1),
            statement_timeout=_number(env, "WALLET_DB_STATEMENT_TIMEOUT", 10.0, minimum=0),
            call_margin=_number(env, "WALLET_DB_CALL_MARGIN", 2.0, minimum=0.1),
            readiness_timeout=_number(env, "WALLET_READYZ_TIMEOUT", 2.0, minimum=0.1),
            log_level=(env.get("WALLET_LOG_LEVEL") or "INFO").upper(),
            log_format=(env.get("WALLET_LOG_FORMAT") or "").strip().lower() or None,
        )
        if settings.log_format not in (None, *LOG_FORMATS):
            raise ConfigError(
                f"WALLET_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, "
                f"not {env.get('WALLET_LOG_FORMAT')!r}"
            )
        if settings.pool_min_size > settings.pool_max_size:
            raise ConfigError(
                f"WALLET_DB_POOL_MIN_SIZE ({settings.pool_min_size}) is larger than "
                f"WALLET_DB_POOL_MAX_SIZE ({settings.pool_max_size})"
            )
        if settings.port > 65535:
            raise ConfigError(f"WALLET_PORT must be at most 65535, not {settings.port}")
        return settings

    @property
    def call_deadline(self) -> float | None:
        """Seconds one database call may take before the service cuts it off: the statement
        timeout plus the margin; None when there is no statement timeout."""
        if self.statement_timeout <= 0:
            return None
        return self.statement_timeout + self.call_margin

    def with_changes(self, **changes: object) -> Settings:
        """A copy with some fields replaced."""
        return replace(self, **changes)  # type: ignore[arg-type]


def normalize_prefix(prefix: str) -> str:
    """``betby/`` -> ``/betby``; empty stays empty."""
    prefix = prefix.strip().strip("/")
    return f"/{prefix}" if prefix else ""


def _number(
    env: Mapping[str, str], name: str, default: float, *, minimum: float, integer: bool = False
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(int(raw)) if integer else float(raw)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{name} must be {kind}, not {raw!r}") from None
    if value != value or value < minimum:  # NaN or too small
        raise ConfigError(f"{name} must be at least {minimum:g}, not {raw!r}")
    return value
