"""One JSON log line per request, and the Prometheus metrics.

The log line names the route, the player, the provider's transaction id, the HTTP status,
the outcome code (null for a success, else the envelope's code) and the duration in ms.
It never contains the token or a key: the handler hands over only the fields it read from
the verified request.

Metrics: Litestar's Prometheus plugin counts requests and their latency by route (the path
template), method and HTTP status; ``wallet_outcomes_total`` adds the provider outcome code
per route (``ok``, ``2001``, ``2005``, ``500`` ...); ``wallet_pool_*`` show the pool's usage.
With several uvicorn workers each process keeps its own metrics (no multiprocess mode).
"""

from __future__ import annotations

import json
import logging
import time
import weakref
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
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


def configure_logging(level: str) -> None:
    """JSON lines on stderr for the wallet's loggers and uvicorn's."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn's access log would be a second line per request, without the wallet's fields
    logging.getLogger("uvicorn.access").disabled = True


class AccessLogMiddleware(ASGIMiddleware):
    """Times each routed HTTP request and writes its one log line."""

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
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
            record = scope.get("state", {}).get(ACCESS_KEY)
            fields: dict[str, Any] = {
                "method": scope.get("method"),
                "path": scope["path"],
                "status": status,
            }
            if isinstance(record, AccessRecord):
                fields.update(asdict(record))
                outcome = "ok" if status == 200 else str(record.code or status)
                OUTCOMES.labels(record.route, outcome).inc()
            fields["duration_ms"] = duration_ms
            access_log.info("request", extra={"fields": fields})


_pools: weakref.WeakSet[AsyncConnectionPool] = weakref.WeakSet()


class PoolCollector(Collector):
    """Size, idle connections and waiting requests of every open pool in this process."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauges = {
            "pool_size": GaugeMetricFamily(
                "wallet_pool_connections",
                "Connections the pool holds (busy and idle)",
                labels=["pool"],
            ),
            "pool_available": GaugeMetricFamily(
                "wallet_pool_idle_connections",
                "Idle connections ready for a request",
                labels=["pool"],
            ),
            "requests_waiting": GaugeMetricFamily(
                "wallet_pool_waiting_requests", "Requests waiting for a connection", labels=["pool"]
            ),
            "pool_max": GaugeMetricFamily(
                "wallet_pool_max_connections", "The pool's maximum size", labels=["pool"]
            ),
        }
        for pool in list(_pools):
            stats = pool.get_stats()
            for key, gauge in gauges.items():
                gauge.add_metric([pool.name], stats.get(key, 0))
        yield from gauges.values()


REGISTRY.register(PoolCollector())


def watch_pool(pool: AsyncConnectionPool) -> None:
    _pools.add(pool)


def forget_pool(pool: AsyncConnectionPool) -> None:
    _pools.discard(pool)


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(app_name="wallet", prefix="wallet_http", group_path=True)
