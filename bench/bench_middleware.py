"""CPU time per request of the provider's path, of Litestar's, and of the log line and metrics,
measured in process.

Builds the wallet's app (``create_app``) in five variants:

- ``provider path (as shipped)``: the provider's callbacks on their own ASGI path
  (``app.service.provider_path``), with its log line and metrics;
- ``provider path, no log or metrics``: the same with ``log_request`` and the Prometheus
  counting replaced by nothing (what the log line and the metrics cost there);
- ``through Litestar``: the provider's path switched off, so that every request goes through
  Litestar's router, middleware (access log and Prometheus), signature model and response, as
  before issue 16;
- ``through Litestar, no middleware``: the same without the access log and Prometheus
  middleware (each replaced by nothing, not by an empty middleware);
- ``ping`` is always Litestar's (it is no provider callback).

Then calls each app's ASGI entry point directly, one request at a time, no HTTP server and no
socket: ``GET /ping`` (no database), ``POST /balance`` with a token signed by a stranger's key
(refused with 2005 after the RSA check, no database), ``POST /balance`` (token check plus one
database read, the same token each time), and ``POST /bet/make`` (a 3-selection make, a new id
each time). The variants take turns, round after round, so that the machine's noise falls on
all of them; the median of the rounds' CPU time per request of this process
(``time.process_time``: not the database's time, nor time spent waiting for it or for a core)
is printed as JSON in µs, with the difference from ``provider path (as shipped)``. The access
log writes its JSON lines to stderr at INFO: send stderr to /dev/null (or a file) to price what
the log costs to format and write.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        uv run python bench/bench_middleware.py --uvloop 2>/dev/null
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

import migrate
from app.config import Settings
from app.keys import ProviderKey
from app.service import app as service
from app.service.observability import AccessLogMiddleware, configure_logging, prometheus_config
from app.simulator.provider import body_of
from bench import pgbench
from bench.bench_sql import scratch_database, server_url


def nothing(app: Any) -> Any:
    """A middleware slot left empty: the app itself."""
    return app


class PrometheusWithoutMiddleware(type(prometheus_config())):  # type: ignore[misc]
    """The same Prometheus configuration, its middleware left out of Litestar's stack."""

    @property
    def middleware(self) -> Any:
        return nothing


def build(settings: Settings, provider_path: bool, observed: bool) -> Any:
    """The app of one variant: the provider's own path on or off; with ``observed`` False,
    no log line and no metrics on the path that answers the provider."""
    service.AccessLogMiddleware = AccessLogMiddleware if observed else (lambda: nothing)  # type: ignore[assignment,misc]
    service.prometheus_config = (  # type: ignore[assignment]
        prometheus_config if observed else PrometheusWithoutMiddleware
    )
    try:
        app = service.create_app(settings)
    finally:
        service.AccessLogMiddleware = AccessLogMiddleware  # type: ignore[misc]
        service.prometheus_config = prometheus_config
    if not provider_path:
        app.provider_path.routes = {}  # every request falls through to Litestar
    elif not observed:
        app.provider_path.log = lambda *args: None
        app.provider_path.count = lambda *args: None
    return app


VARIANTS = {
    "provider path (as shipped)": (True, True),
    "provider path, no log or metrics": (True, False),
    "through Litestar": (False, True),
    "through Litestar, no middleware": (False, False),
}
BASE = "provider path (as shipped)"


class Lifespan:
    """The ASGI lifespan protocol, by hand: startup opens the app's pool, shutdown closes it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self.events: asyncio.Queue[str] = asyncio.Queue()

    async def _receive(self) -> dict[str, str]:
        return await self.inbox.get()

    async def _send(self, message: dict[str, Any]) -> None:
        await self.events.put(message["type"])

    async def __aenter__(self) -> Lifespan:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.task = asyncio.create_task(self.app(scope, self._receive, self._send))
        await self.inbox.put({"type": "lifespan.startup"})
        assert await self.events.get() == "lifespan.startup.complete"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        assert await self.events.get() == "lifespan.shutdown.complete"
        await self.task


async def request(app: Any, method: str, path: str, body: bytes = b"") -> int:
    headers = [(b"host", b"127.0.0.1:8000")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # a client that stays connected
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def measure(
    apps: dict[str, Any],
    cases: dict[str, tuple[str, str, Callable[[], bytes], int]],
    rounds: int,
    number: int,
) -> dict:
    samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for app in apps.values():  # warm up: pool connections, first-call caches
        for method, path, content, status in cases.values():
            for _ in range(100):
                assert await request(app, method, path, content()) == status
    for _ in range(rounds):
        for case, (method, path, content, status) in cases.items():
            for variant, app in apps.items():
                bodies = [content() for _ in range(number)]
                started = time.process_time()
                for body in bodies:
                    await request(app, method, path, body)
                samples[case][variant].append((time.process_time() - started) / number * 1e6)
                assert await request(app, method, path, content()) == status
    result: dict[str, dict[str, dict[str, float]]] = {}
    for case, by_variant in samples.items():
        base = statistics.median(by_variant[BASE])
        result[case] = {
            variant: {
                "cpu_us_per_request": round(statistics.median(values), 1),
                "against_shipped_us": round(statistics.median(values) - base, 1),
            }
            for variant, values in by_variant.items()
        }
    return result


async def run(
    settings: Settings,
    cases: dict[str, tuple[str, str, Callable[[], bytes], int]],
    rounds: int,
    number: int,
) -> dict:
    apps = {name: build(settings, *flags) for name, flags in VARIANTS.items()}
    lifespans = [Lifespan(app) for app in apps.values()]
    for lifespan in lifespans:
        await lifespan.__aenter__()
    try:
        return await measure(apps, cases, rounds, number)
    finally:
        for lifespan in lifespans:
            await lifespan.__aexit__()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=500, help="requests per variant per round")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop, as wallet serve")
    args = parser.parse_args()

    url = server_url()
    name, db_url = scratch_database(url)
    try:
        migrate.Migrator(db_url, out=lambda line: None).up()
        pgbench.create_players(db_url, 50)
        directory = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
        key = ProviderKey.generate()
        public = directory / "provider.pem"
        public.write_bytes(key.public_pem)
        balance = {"payload": {"player_id": "bench-1", "currency": "EUR"}}
        body = body_of(key.sign(balance))
        refused = body_of(ProviderKey.generate().sign(balance))  # a stranger's key
        ids = itertools.count(10**15)

        def make() -> bytes:
            n = next(ids)
            return body_of(key.sign({"payload": pgbench.bet_make_request(1 + n % 50, n)}))

        cases: dict[str, tuple[str, str, Callable[[], bytes], int]] = {
            "GET /ping": ("GET", "/ping", lambda: b"", 200),
            "POST /balance refused (2005, no database)": ("POST", "/balance", lambda: refused, 400),
            "POST /balance": ("POST", "/balance", lambda: body, 200),
            "POST /bet/make (3 selections, a new id each)": ("POST", "/bet/make", make, 200),
        }
        os.environ["DATABASE_URL"] = psycopg.conninfo.make_conninfo(db_url, user="wallet_app")
        os.environ["WALLET_JWT_PUBLIC_KEYS"] = str(public)
        settings = Settings.from_environ()
        configure_logging(args.log_level)
        if args.uvloop:
            import uvloop

            result = uvloop.run(run(settings, cases, args.rounds, args.number))
        else:
            result = asyncio.run(run(settings, cases, args.rounds, args.number))
        result["audit_findings"] = pgbench.audit_findings(db_url)
    finally:
        pgbench.drop_database(url, name)
    result["settings"] = {
        "rounds": args.rounds,
        "number": args.number,
        "log_level": args.log_level,
        "loop": "uvloop" if args.uvloop else "asyncio",
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
