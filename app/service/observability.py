"""One log line per request, and the Prometheus metrics.

The log line names the route, the player, the provider's transaction id, the HTTP status,
the outcome code (null for a success, else the envelope's code) and the duration in ms.
It never contains the token or a key: the handler hands over only the fields it read from
the verified request.

Log lines are JSON objects (``WALLET_LOG_FORMAT=json``, the default when stderr is not a
terminal) or human-readable text (``text``, the default on a terminal).

Metrics: Litestar's Prometheus plugin counts requests and their latency by route (the path
template), method and HTTP status; ``wallet_outcomes_total`` adds the provider outcome code
per route (``ok``, ``2001``, ``2005``, ``500`` ...); ``wallet_pool_*`` show the pool's usage.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``wallet serve`` sets it), prometheus_client's
multiprocess mode is on: each worker writes its samples to files in that directory and one
scrape of ``/metrics``, answered by any worker, sums them (Litestar's controller reads them
with ``MultiProcessCollector``). The pool gauges are then gauges in ``livesum`` mode: each
worker refreshes its own every second and a scrape shows the sum over the live workers
(connections held, idle, waiting requests, and the total maximum). Without the variable
(tests, an embedded app) a collector reads the pools of this process at scrape time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from typing import TextIO

    from litestar.types import ASGIApp, Message, Receive, Scope, Send
    from psycopg_pool import AsyncConnectionPool

access_log = logging.getLogger("wallet.access")

ACCESS_KEY = "wallet_access"
"""Key in ``scope["state"]`` under which a handler leaves its AccessRecord."""

OUTCOMES = Counter(
    "wallet_outcomes_total",
    "Provider requests by route and outcome (ok, or the error envelope's code)",
    ["route", "outcome"],
)


@dataclass(slots=True)
class AccessRecord:
    """What a handler knows about its request, for the log line and the outcome counter."""

    route: str
    player: str | None = None
    transaction: str | None = None
    code: int | None = None


class JsonFormatter(logging.Formatter):
    """Every log record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """One human-readable line per record: time, level, logger, message or the record's
    fields as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        head = f"{stamp}.{int(record.msecs):03d} {record.levelname:<7} {record.name}"
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            fields = dict(fields)
            method, path, status = (
                fields.pop("method", ""),
                fields.pop("path", ""),
                fields.pop("status", ""),
            )
            duration = fields.pop("duration_ms", None)
            text = f"{method} {path} {status}"
            text += "".join(f" {key}={_text(value)}" for key, value in fields.items())
            if duration is not None:
                text += f" {duration} ms"
        else:
            text = record.getMessage()
        line = f"{head}: {text}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _text(value: object) -> str:
    if value is None:
        return "-"
    text = str(value)
    return json.dumps(text) if not text or any(c.isspace() or c == '"' for c in text) else text


def log_format_for(stream: TextIO, requested: str | None = None) -> str:
    """``json`` or ``text``: ``requested``, else ``WALLET_LOG_FORMAT``, else text when
    ``stream`` is a terminal and JSON otherwise."""
    chosen = (requested or os.environ.get("WALLET_LOG_FORMAT") or "").strip().lower()
    if chosen in ("json", "text"):
        return chosen
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def configure_logging(
    level: str, log_format: str | None = None, stream: TextIO | None = None
) -> None:
    """Log lines on ``stream`` (stderr) for the wallet's loggers and uvicorn's, as JSON or
    text (see :func:`log_format_for`)."""
    target = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(target)
    formatter = TextFormatter() if log_format_for(target, log_format) == "text" else None
    handler.setFormatter(formatter or JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn's access log would be a second line per request, without the wallet's fields
    logging.getLogger("uvicorn.access").disabled = True


_outcomes: dict[tuple[str, str], Any] = {}
"""``wallet_outcomes_total``'s children by (route, outcome), looked up once each."""


def log_request(
    method: str | None, path: str, status: int, record: AccessRecord | None, started: float
) -> None:
    """The request's one log line, and for a provider request its outcome in
    ``wallet_outcomes_total`` (``ok``, or the envelope's code, else the HTTP status)."""
    if record is not None:
        outcome = "ok" if status == 200 else str(record.code or status)
        child = _outcomes.get((record.route, outcome))
        if child is None:
            child = _outcomes[record.route, outcome] = OUTCOMES.labels(record.route, outcome)
        child.inc()
    if not access_log.isEnabledFor(logging.INFO):
        return
    fields: dict[str, Any] = {"method": method, "path": path, "status": status}
    if record is not None:
        fields["route"] = record.route
        fields["player"] = record.player
        fields["transaction"] = record.transaction
        fields["code"] = record.code
    fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
    access_log.info("request", extra={"fields": fields})


class AccessLogMiddleware(ASGIMiddleware):
    """Times each request Litestar routes and writes its one log line (the provider's
    callbacks on their own path, ``app.service.provider_path``, write theirs themselves)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, send_and_watch)
        finally:
            record = scope.get("state", {}).get(ACCESS_KEY)
            record = record if isinstance(record, AccessRecord) else None
            log_request(scope.get("method"), scope["path"], status, record, started)  # type: ignore[arg-type]


_pools: weakref.WeakSet[AsyncConnectionPool[Any]] = weakref.WeakSet()


POOL_GAUGES = {
    "pool_size": ("wallet_pool_connections", "Connections the pool holds (busy and idle)"),
    "pool_available": ("wallet_pool_idle_connections", "Idle connections ready for a request"),
    "requests_waiting": ("wallet_pool_waiting_requests", "Requests waiting for a connection"),
    "pool_max": ("wallet_pool_max_connections", "The pool's maximum size"),
}
"""psycopg_pool's statistic -> the gauge's name and help."""


class PoolCollector(Collector):
    """Size, idle connections and waiting requests of every open pool in this process."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauges = {
            key: GaugeMetricFamily(name, text, labels=["pool"])
            for key, (name, text) in POOL_GAUGES.items()
        }
        for pool in list(_pools):
            stats = pool.get_stats()
            for key, gauge in gauges.items():
                gauge.add_metric([pool.name], stats.get(key, 0))
        yield from gauges.values()


MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
"""prometheus_client's multiprocess mode, fixed when it is imported (as it is there)."""

POOL_REFRESH_SECONDS = 1.0
_refreshers: dict[int, asyncio.Task[None]] = {}
_live_gauges: dict[str, Gauge] = {}

if MULTIPROCESS:
    _live_gauges = {
        key: Gauge(name, f"{text}, summed over the live workers", ["pool"],
                   multiprocess_mode="livesum")
        for key, (name, text) in POOL_GAUGES.items()
    }  # fmt: skip
else:
    REGISTRY.register(PoolCollector())


def _refresh_gauges(pool: AsyncConnectionPool[Any]) -> None:
    stats = pool.get_stats()
    for key, gauge in _live_gauges.items():
        gauge.labels(pool.name).set(stats.get(key, 0))


async def _refresh_forever(pool: AsyncConnectionPool[Any]) -> None:
    while True:
        _refresh_gauges(pool)
        await asyncio.sleep(POOL_REFRESH_SECONDS)


def watch_pool(pool: AsyncConnectionPool[Any]) -> None:
    """Show ``pool`` in the metrics (call from the running event loop)."""
    _pools.add(pool)
    if MULTIPROCESS:
        task = asyncio.get_running_loop().create_task(_refresh_forever(pool))
        _refreshers[id(pool)] = task


def forget_pool(pool: AsyncConnectionPool[Any]) -> None:
    _pools.discard(pool)
    task = _refreshers.pop(id(pool), None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(Exception):
            for gauge in _live_gauges.values():
                gauge.labels(pool.name).set(0)


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(app_name="wallet", prefix="wallet_http", group_path=True)
