"""The app factory: ``create_app(settings)`` builds the Litestar app of the wallet."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, MediaType, Request, Response, Router
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from litestar.plugins.prometheus import PrometheusController
from litestar.static_files import create_static_files_router
from openapi_ui_bundles import rapidoc, redoc, swagger_ui

from app.config import MAX_BODY_BYTES, ConfigError, Settings
from app.envelope import ErrorCode, error_bytes
from app.service.database import Database, open_pool
from app.service.observability import (
    AccessLogMiddleware,
    configure_logging,
    forget_pool,
    prometheus_config,
    watch_pool,
)
from app.service.provider_path import ProviderPath
from app.service.routes import healthz, ping, provide_database, provider_handlers, readyz
from app.service.tokens import KeyRing

log = logging.getLogger("wallet.service")


class MetricsController(PrometheusController):
    path = "/metrics"


class WalletApp(Litestar):
    """The Litestar app, with the provider's callbacks answered on their own path
    (``app.service.provider_path``) before Litestar sees them: ``POST <prefix>/<route>``,
    spelled exactly so. Everything else is Litestar's."""

    __slots__ = ("provider_path",)

    provider_path: ProviderPath

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            route = self.provider_path.routes.get(scope["path"])
            if route is not None:
                await self.provider_path(scope, receive, send, route)
                return
        await super().__call__(scope, receive, send)


def http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    """Litestar's own HTTP errors (no such route, wrong method) in the contract's envelope,
    the code mirroring the HTTP status as the contract does for 500."""
    status = error.status_code
    if status >= 500:
        return internal_error(request, error)
    return Response(
        content=error_bytes(status, error.detail),
        status_code=status,
        media_type=MediaType.JSON,
    )


def internal_error(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return Response(
        content=error_bytes(ErrorCode.INTERNAL, "internal error"),
        status_code=500,
        media_type=MediaType.JSON,
    )


API_DOCS_ASSETS = "/schema/assets"
"""Where the API docs pages' scripts and styles are served from, by the service itself."""


def api_docs() -> tuple[OpenAPIConfig, Router]:
    """The OpenAPI document and the pages that render it (``/schema`` is Swagger UI; also
    ``/schema/redoc`` and ``/schema/rapidoc``), with every script, style and icon served by
    the service from the ``openapi-ui-bundles`` package: in a network with no way out,
    the pages load all the same. Nothing comes from a CDN, fonts included."""
    swagger, docs, rapi = (
        f"{API_DOCS_ASSETS}/{name}" for name in ("swagger-ui", "redoc", "rapidoc")
    )
    favicon = f"<link rel='icon' type='image/png' href='{swagger}/favicon-32x32.png'>"
    config = OpenAPIConfig(
        title="Sportsbook wallet",
        version="1",
        description=(
            "Seamless-wallet callbacks for a sportsbook provider. Every provider route "
            'takes `{"payload": "<RS256 JWS>"}`; errors are `{"code", "message"}`.'
        ),
        render_plugins=[
            SwaggerRenderPlugin(
                js_url=f"{swagger}/swagger-ui-bundle.js",
                css_url=f"{swagger}/swagger-ui.css",
                standalone_preset_js_url=f"{swagger}/swagger-ui-standalone-preset.js",
                favicon=favicon,
            ),
            RedocRenderPlugin(
                js_url=f"{docs}/redoc.standalone.js", google_fonts=False, favicon=favicon
            ),
            RapidocRenderPlugin(js_url=f"{rapi}/rapidoc-min.js", favicon=favicon),
            JsonRenderPlugin(),
            YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"]),
        ],
    )
    assets = Router(
        path=API_DOCS_ASSETS,
        route_handlers=[
            create_static_files_router(path=f"/{name}", directories=[bundle.static_path], name=name)
            for name, bundle in (("swagger-ui", swagger_ui), ("redoc", redoc), ("rapidoc", rapidoc))
        ],
        include_in_schema=False,
    )
    return config, assets


def create_app(settings: Settings) -> Litestar:
    """The wallet app. Parses the JWT keys now (a bad key file raises ConfigError naming
    it); the pool opens when the app starts and closes when it stops."""
    if not settings.database_url:
        raise ConfigError("DATABASE_URL is not set")
    keys = KeyRing.from_files(settings.jwt_public_keys, settings.jwt_leeway)

    @asynccontextmanager
    async def database_pool(app: Litestar) -> AsyncIterator[None]:
        async with open_pool(settings) as pool:
            watch_pool(pool)
            database = Database(pool, settings)
            database.check_standbys_soon()
            app.state.database = database
            provider_path.database = database
            try:
                yield
            finally:
                forget_pool(pool)
                await database.close()

    def provide_keys() -> KeyRing:
        return keys

    provider = Router(
        path=settings.path_prefix or "/",
        route_handlers=[ping, *provider_handlers()],
    )
    prometheus = prometheus_config()
    provider_path = ProviderPath(settings.path_prefix, keys, prometheus)
    openapi_config, api_docs_assets = api_docs()
    app = WalletApp(
        route_handlers=[provider, healthz, readyz, MetricsController, api_docs_assets],
        lifespan=[database_pool],
        dependencies={
            "database": Provide(provide_database, sync_to_thread=False),
            "keys": Provide(provide_keys, sync_to_thread=False),
        },
        middleware=[prometheus.middleware, AccessLogMiddleware()],
        exception_handlers={HTTPException: http_error, Exception: internal_error},
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=openapi_config,
        logging_config=None,  # logging is configured once per process by configure_logging
        debug=False,
    )
    app.provider_path = provider_path
    return app


def app_from_environment() -> Litestar:
    """Uvicorn's factory (``app.service.app:app_from_environment``), run in every worker."""
    settings = Settings.from_environ()
    configure_logging(settings.log_level)
    return create_app(settings)
