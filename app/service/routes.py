"""The HTTP routes: the provider's callbacks, ``ping``, and the health probes.

A provider callback is: check the content type, read at most 256 KiB, decode the envelope,
verify the token, make the one database call, send back what the database answered. Every
refusal before the database call is the contract's error envelope with HTTP 400, and none of
them reaches the database, so none can write anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)

from app.config import MAX_BODY_BYTES
from app.contract import ROUTES, ProviderRoute
from app.envelope import (
    ErrorBody,
    ErrorCode,
    HealthResult,
    PingResult,
    ProviderEnvelope,
    error_bytes,
    outcome_code,
)
from app.service.database import Database, RouteAnswer
from app.service.observability import ACCESS_KEY, AccessRecord
from app.service.tokens import KeyRing, MalformedRequest, TokenRejected, encode_request

_envelope_decoder = msgspec.json.Decoder(ProviderEnvelope)

ENVELOPE_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["payload"],
    properties={
        "payload": Schema(
            type=OpenAPIType.STRING,
            description=(
                "Compact JWS signed by the provider with RS256. The request is the object in "
                "its `payload` claim; `exp`, `nbf` and `iat` are checked when present."
            ),
        )
    },
    description="The provider's request envelope (at most 256 KiB).",
)


@dataclass
class ProviderOperation(Operation):
    """An operation whose body is the JWS envelope (the handler reads the raw body itself,
    so Litestar cannot infer it)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"application/json": OpenAPIMediaType(schema=ENVELOPE_SCHEMA)},
            required=True,
        )


ERROR_RESPONSES: dict[int, ResponseSpec] = {
    400: ResponseSpec(
        data_container=ErrorBody,
        description=(
            "Refused. code 1005 player blocked, 1006 player not found, 2001 not enough money, "
            "2002 invalid currency, 2003 parent transaction not found, 2004 bad request "
            "(malformed body or payload, wrong content type, body over 256 KiB, a reused id "
            "with other content, a state the bet does not allow), 2005 invalid token."
        ),
        generate_examples=False,
    ),
    500: ResponseSpec(
        data_container=ErrorBody,
        description="Unexpected failure (e.g. database unreachable); nothing was half-written.",
        generate_examples=False,
    ),
}


def provide_database(state: State) -> Database:
    database: Database = state.database
    return database


def bad_request(code: ErrorCode, message: str) -> RouteAnswer:
    return RouteAnswer(400, error_bytes(code, message))


def _short(value: object) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
    return text if len(text) <= 200 else f"{text[:200]}..."


def identify(request: dict[str, Any]) -> tuple[str | None, str | None]:
    """Player and provider transaction id of a request, for the log line only."""
    transaction = request.get("transaction")
    transaction = transaction if isinstance(transaction, dict) else {}
    player = request.get("player_id") or transaction.get("ext_player_id")
    player = player or request.get("ext_player_id")
    txid = transaction.get("id") or request.get("transaction_id")
    txid = txid or request.get("bet_transaction_id")
    return _short(player), _short(txid)


def is_json(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


NOT_JSON = bad_request(ErrorCode.BAD_REQUEST, "Content-Type must be application/json")
TOO_LARGE = bad_request(
    ErrorCode.BAD_REQUEST, f"the body is larger than {MAX_BODY_BYTES // 1024} KiB"
)
BAD_ENVELOPE = bad_request(
    ErrorCode.BAD_REQUEST, 'the body must be a JSON object {"payload": "<JWS>"}'
)


async def answer_provider(
    route: str,
    request: Request[Any, Any, Any],
    database: Database,
    keys: KeyRing,
    record: AccessRecord,
) -> RouteAnswer:
    """Everything between the bytes a provider sent and the bytes it gets back, through
    Litestar (``app.service.provider_path`` does the same on the provider's own path)."""
    if not is_json(request.headers.get("content-type")):
        return NOT_JSON
    try:
        body = await request.body()
    except RequestEntityTooLarge:
        return TOO_LARGE
    return await answer_body(route, body, database, keys, record)


async def answer_body(
    route: str, body: bytes, database: Database, keys: KeyRing, record: AccessRecord
) -> RouteAnswer:
    """From the body (JSON, at most 256 KiB) on: the envelope, the token, the one call."""
    try:
        envelope = _envelope_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeError):
        return BAD_ENVELOPE
    try:
        provider_request = keys.verify(envelope.payload)
    except TokenRejected as error:
        return bad_request(ErrorCode.INVALID_TOKEN, f"invalid token: {error}")
    except MalformedRequest as error:
        return bad_request(ErrorCode.BAD_REQUEST, str(error))
    record.player, record.transaction = identify(provider_request)
    return await database.call_route(route, encode_request(provider_request))


def provider_handler(route: ProviderRoute) -> HTTPRouteHandler:
    """The POST handler of one provider route."""
    path = route.path

    async def handle(
        request: Request[Any, Any, Any], keys: NamedDependency[KeyRing]
    ) -> Response[bytes]:
        # One injected dependency, not two: Litestar resolves two dependencies of a handler
        # in an anyio task group, two tasks per request; a refused request took 130 µs in
        # process with both injected and 65 µs like this (bench/bench_middleware.py, no
        # middleware). The database is the app's state, read as provide_database reads it.
        database = provide_database(request.app.state)
        record = AccessRecord(route=path)
        request.scope.setdefault("state", {})[ACCESS_KEY] = record
        answer = await answer_provider(path, request, database, keys, record)
        record.code = outcome_code(answer.status, answer.body)
        return Response(content=answer.body, status_code=answer.status, media_type=MediaType.JSON)

    return post(
        f"/{path}",
        name=f"provider:{path}",
        operation_id=route.function.removeprefix("wallet."),
        summary=f"POST {path}",
        description=(
            f"{route.description} Runs `{route.function}` in one statement. "
            "A request whose id was seen with the same content is answered with the stored "
            "original response, byte for byte."
        ),
        tags=["provider"],
        status_code=200,
        operation_class=ProviderOperation,
        responses={
            200: ResponseSpec(
                data_container=route.result,
                description="Done (or replayed).",
                generate_examples=False,
            ),
            **ERROR_RESPONSES,
        },
    )(handle)


@get("/ping", tags=["provider"], summary="GET ping", sync_to_thread=False)
def ping() -> PingResult:
    """The wallet's clock, in unix seconds. No token."""
    return PingResult(timestamp=int(time.time()))


@get("/healthz", tags=["health"], summary="Alive", sync_to_thread=False)
def healthz() -> HealthResult:
    """The process is up. Touches nothing."""
    return HealthResult(status="alive")


@get(
    "/readyz",
    tags=["health"],
    summary="Ready",
    responses={503: ResponseSpec(data_container=HealthResult, description="Not ready.")},
)
async def readyz(database: NamedDependency[Database]) -> Response[HealthResult]:
    """The database answers and its migrations are current (503 with the reasons if not)."""
    problems = await database.readiness_problems()
    if problems:
        return Response(HealthResult(status="not ready", problems=problems), status_code=503)
    return Response(HealthResult(status="ready"))


def provider_handlers() -> list[HTTPRouteHandler]:
    return [provider_handler(route) for route in ROUTES]
