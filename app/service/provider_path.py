"""The provider's callbacks on a path of their own: plain ASGI, in front of Litestar.

A provider callback is always the same few steps (content type, body up to 256 KiB, envelope,
token, one database call, the answer's bytes), so ``POST <prefix>/<route>`` is answered here,
before Litestar's exception middleware, router, middleware stack, signature model, dependency
injection and response objects, which a worker spent about a third of its CPU on per request
under wrk (``bench/README.md``, "the HTTP path"). Everything else (``/readyz``, ``/metrics``,
``/schema``, ``/healthz``, ``/ping``, 404 and 405, and a provider path Litestar would
normalize, such as ``/balance/``) is Litestar's, as before; the provider routes stay
registered there too, for the OpenAPI document and those other spellings.

What the provider and the on-call engineer get is the same as through Litestar, and
``tests/http/test_provider_path.py`` compares the two paths answer for answer: the status,
the headers (``content-type: application/json`` and ``content-length``; uvicorn adds
``date`` and ``server``), the body, the 256 KiB limit (on the announced length and on the
bytes received), an unparsable ``content-length`` (400 in the envelope, as Litestar said it),
the access log line (``observability.log_request``), ``wallet_outcomes_total``, and the
series Litestar's Prometheus middleware writes (the same metric objects, the same labels:
``method``, ``path`` the route template, ``status_code``, ``app_name``; the duration up to
the body; the in-progress gauge; errors for a status of 500 and above). An unexpected
failure is logged with its traceback and answered ``500 {"code": 500, "message":
"internal error"}``, as Litestar's exception handler does.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware

from app.config import MAX_BODY_BYTES
from app.contract import ROUTES
from app.envelope import ErrorCode, error_bytes, outcome_code
from app.service.database import RouteAnswer
from app.service.observability import AccessRecord, log_request
from app.service.routes import NOT_JSON, TOO_LARGE, answer_body, is_json

if TYPE_CHECKING:
    from litestar.types import Receive, ReceiveMessage, Scope, Send

    from app.service.database import Database
    from app.service.tokens import KeyRing

log = logging.getLogger("wallet.service")

JSON_HEADER = (b"content-type", b"application/json")
INTERNAL_ERROR = RouteAnswer(500, error_bytes(ErrorCode.INTERNAL, "internal error"))


class ClientDisconnected(Exception):
    """The client went away before its body was read (Litestar: "client disconnected
    prematurely", an internal error)."""


class ContentLengthInvalid(Exception):
    """A ``content-length`` that is not a number: Litestar's 400 in the envelope."""


@dataclass(slots=True)
class ProviderRouteState:
    """One route's path and its metric children, each looked up once, at its first use (a
    child shows in ``/metrics`` from its creation, so none is made before Litestar's
    middleware would have made it)."""

    route: str
    path: str
    in_progress: Any = None
    by_status: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    errors: dict[int, Any] = field(default_factory=dict)


class ProviderPath:
    """``POST <prefix>/<route>`` for every provider route, as one ASGI callable per request.

    ``database`` is set by the app's lifespan (it holds the pool); until then a request is
    an internal error, as it was through Litestar."""

    def __init__(self, prefix: str, keys: KeyRing, prometheus: PrometheusConfig) -> None:
        if prometheus.labels or prometheus.exemplars or prometheus.excluded_http_methods:
            raise ValueError("the provider path writes only the default Prometheus labels")
        self.keys = keys
        self.database: Database | None = None
        self.log = log_request
        self.count = self._count
        # Litestar's middleware keeps its metrics in a class-level registry and makes each on
        # first use: ask it for them, so that both paths write the very same series.
        metrics = PrometheusMiddleware(app=_unused_app, config=prometheus)
        labels: dict[str, str | int | float] = {
            "method": "POST",
            "path": "",
            "status_code": 200,
            "app_name": prometheus.app_name,
        }
        self._app_name = prometheus.app_name
        self._requests = metrics.request_count(labels)
        self._durations = metrics.request_time(labels)
        self._in_progress = metrics.requests_in_progress(labels)
        self._errors = metrics.requests_error_count(labels)
        self.routes: dict[str, ProviderRouteState] = {}
        for route in ROUTES:
            path = f"{prefix}/{route.path}"
            self.routes[path] = ProviderRouteState(route.path, path)

    def _labels(self, state: ProviderRouteState, status: int) -> tuple[str, str, str, str]:
        return ("POST", state.path, str(status), self._app_name)

    def _count(self, state: ProviderRouteState, status: int, duration: float) -> None:
        """What Litestar's middleware counts when a request ends."""
        if status >= 500:
            errors = state.errors.get(status)
            if errors is None:
                errors = state.errors[status] = self._errors.labels(*self._labels(state, status))
            errors.inc()
        children = state.by_status.get(status)
        if children is None:
            labels = self._labels(state, status)
            children = state.by_status[status] = (
                self._requests.labels(*labels),
                self._durations.labels(*labels),
            )
        children[0].inc()
        children[1].observe(duration)

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, state: ProviderRouteState
    ) -> None:
        started = time.perf_counter()
        in_progress = state.in_progress
        if in_progress is None:  # the gauge is labelled with status 200 throughout, as Litestar's
            in_progress = state.in_progress = self._in_progress.labels(*self._labels(state, 200))
        in_progress.inc()
        record = AccessRecord(route=state.route)
        status = 500
        duration = 0.0
        try:
            try:
                answer = await self.answer(scope, receive, record)
                record.code = outcome_code(answer.status, answer.body)
            except ContentLengthInvalid as error:
                answer = RouteAnswer(400, error_bytes(400, str(error)))
            except Exception as error:
                log.error("unhandled error on POST %s", scope["path"], exc_info=error)
                answer = INTERNAL_ERROR
            status = answer.status
            body = answer.body
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [JSON_HEADER, (b"content-length", b"%d" % len(body))],
                }
            )
            duration = time.perf_counter() - started
            await send({"type": "http.response.body", "body": body, "more_body": False})
        finally:
            in_progress.dec()
            self.count(state, status, duration)
            self.log("POST", scope["path"], status, record, started)

    async def answer(self, scope: Scope, receive: Receive, record: AccessRecord) -> RouteAnswer:
        """The checks of ``routes.answer_provider``, on the ASGI scope and messages."""
        content_type: str | None = None
        content_length: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                if content_type is None:
                    content_type = value.decode("latin-1")
            elif name == b"content-length" and content_length is None:
                content_length = value
        if not is_json(content_type):
            return NOT_JSON
        if content_length is not None:
            try:
                announced = int(content_length.decode("latin-1"))
            except ValueError:
                raise ContentLengthInvalid(
                    f"Invalid content-length: {content_length.decode('latin-1')!r}"
                ) from None
            if announced > MAX_BODY_BYTES:
                return TOO_LARGE
        body = await read_body(receive)
        if body is None:
            return TOO_LARGE
        database = self.database
        if database is None:
            raise RuntimeError("the app has not started: no database pool")
        return await answer_body(record.route, body, database, self.keys, record)


async def read_body(receive: Receive) -> bytes | None:
    """The request's body, or None past 256 KiB (counted on the bytes received, as Litestar
    does, whatever ``content-length`` announced)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        message: ReceiveMessage = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                total += len(chunk)
                if total > MAX_BODY_BYTES:
                    return None
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            raise ClientDisconnected("client disconnected prematurely")
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _unused_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The app the metric factory would wrap: it never wraps anything here."""
    raise RuntimeError("not called")
