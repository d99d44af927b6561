"""The ASGI GraphQL endpoint: authentication, GraphQL over HTTP media types, websockets."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult

from app.identity import sessions
from app.merchants import accounts as merchant_accounts
from app.runtime import Runtime
from schema.context import Context
from schema.extensions import has_bad_characters
from schema.json_limits import MAX_JSON_DEPTH, text_too_deep
from schema.websocket import SocketSessions, TransportWSHandler, is_subscription

GRAPHQL_RESPONSE = "application/graphql-response+json"
# Machine-readable codes for requests refused before GraphQL runs, keyed by HTTP status.
_REQUEST_ERROR_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 503: "REQUEST_TIMEOUT"}


class RequestRefused(HTTPException):
    """An HTTP-level refusal that carries its own machine-readable code."""

    def __init__(self, status_code: int, reason: str, code: str) -> None:
        super().__init__(status_code, reason)
        self.code = code


def request_error_response(status_code: int, message: str, code: str, accept: str = "") -> Response:
    """A request error shaped like a GraphQL response (no `data` entry), so clients parse one format."""
    media = GRAPHQL_RESPONSE if wants_graphql_response_json(accept) else "application/json"
    headers = {"Allow": "POST"} if status_code == 405 else None
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status_code, media_type=media, headers=headers)


class _NegotiatedResponse(Response):
    """The sub-response, remembering which response media type the client asked for."""

    graphql_response_json: bool = False


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")  # Python's json would accept NaN and Infinity


# Built once: json.loads / json.dumps with any keyword build a new decoder / encoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
_ENCODER = json.JSONEncoder(separators=(",", ":"))  # strawberry's encode_json, compact


def _loads(data: str | bytes) -> Any:
    """json.loads(data, parse_constant=_refuse_constant) with the decoder built once."""
    if isinstance(data, bytes | bytearray):
        data = data.decode(json.detect_encoding(data), "surrogatepass")  # as json.loads decodes bytes
    elif data.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", data, 0)
    return _DECODER.decode(data)


def wants_graphql_response_json(accept: str) -> bool:
    """GraphQL over HTTP: the new media type when the client lists it before application/json."""
    accept = accept.lower()
    new, legacy = accept.find(GRAPHQL_RESPONSE), accept.find("application/json")
    return new != -1 and (legacy == -1 or new < legacy)


class _ExplainedRefusals(ASGIWebSocketAdapter):
    """graphql-transport-ws closes a refused `connection_init` with 4403 "Forbidden"; this says why."""

    async def close(self, code: int, reason: str) -> None:
        refusal = getattr(self.ws.state, "refusal", None)
        if code == 4403 and refusal:
            reason = f"Forbidden: {refusal}"[:123]  # a close reason holds at most 123 bytes
        await super().close(code, reason)


def _refuse(context: Context, reason: str) -> ConnectionRejectionError:
    context.request.state.refusal = reason
    return ConnectionRejectionError({"reason": reason})


class GraphQLApp(GraphQL[Context, None]):
    websocket_adapter_class = _ExplainedRefusals
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: BaseSchema, rt: Runtime) -> None:
        s = rt.settings
        protocols = (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL) if s.legacy_graphql_ws \
            else (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
        super().__init__(
            schema,
            graphql_ide="graphiql" if s.graphiql_enabled else None,
            subscription_protocols=protocols,
            connection_init_wait_timeout=timedelta(seconds=s.ws_connection_init_timeout_seconds),
            max_subscriptions_per_connection=s.ws_max_subscriptions,
            allowed_origins=s.allowed_origins,
        )
        self.rt = rt
        self.sockets = SocketSessions(rt)

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        return self.rt.settings.origins.allows(origin)  # the CORS policy (app/origins.py), one list for both

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        client = request.client.host if request.client else "unknown"
        ctx = Context(request=request, response=response, rt=self.rt, client_address=client)
        auth = request.headers.get("authorization", "")
        if isinstance(request, Request) and auth[:7].lower() == "bearer ":
            ctx.session = await sessions.authenticate(self.rt, auth[7:].strip())
        elif isinstance(request, Request) and auth[:9].lower() == "merchant ":
            ctx.merchant = await merchant_accounts.authenticate(auth[9:].strip())
        return ctx

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = context.connection_params or {}
        token = params.get("authToken") or params.get("Authorization") or params.get("authorization")
        if token is None:
            return None
        if not isinstance(token, str):
            raise _refuse(context, "authToken must be a string")
        if token[:7].lower() == "bearer ":
            token = token[7:]
        context.session = await sessions.authenticate(self.rt, token.strip())
        if context.session is None:
            raise _refuse(context, "invalid or expired session")
        return {"userId": context.session.user_id}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            code = getattr(exc, "code", None) or _REQUEST_ERROR_CODES.get(exc.status_code, "BAD_REQUEST")
            response = request_error_response(exc.status_code, exc.reason, code,
                                              request.headers.get("accept", ""))
        await response(scope, receive, send)

    async def execute_single(self, request: Request, request_adapter: Any, sub_response: Response,
                             context: Context, root_value: None, request_data: GraphQLRequestData
                             ) -> ExecutionResult:
        if isinstance(request_data.query, str) and is_subscription(request_data.query, request_data.operation_name):
            raise RequestRefused(400, "Subscriptions run over the websocket at /graphql (graphql-transport-ws), "
                                      "not over HTTP.", "SUBSCRIPTION_OVER_HTTP")
        try:
            # Whatever runs away (a slow query, a stuck lock) ends here; a transaction rolls back.
            async with asyncio.timeout(self.rt.settings.request_timeout_seconds):
                return await super().execute_single(request, request_adapter, sub_response, context,
                                                    root_value, request_data)
        except TimeoutError:
            raise RequestRefused(503, "The request took too long and was stopped; retry.",
                                 "REQUEST_TIMEOUT") from None
        except HTTPException as exc:
            # GraphQL over HTTP: a mutation sent with GET is 405 Method Not Allowed, not 400.
            if isinstance(exc.__cause__, InvalidOperationTypeError) and request_adapter.method == "GET":
                raise RequestRefused(405, "Mutations must be sent with POST.", "METHOD_NOT_ALLOWED") from exc
            raise

    def decode_json(self, data: str | bytes) -> object:
        # websocket frames: too deep or not JSON closes the socket with 4400 (strawberry's handler)
        if text_too_deep(data):
            raise json.JSONDecodeError(f"nested deeper than {MAX_JSON_DEPTH} levels", "", 0)
        try:
            return _loads(data)
        except (ValueError, RecursionError) as exc:
            raise json.JSONDecodeError(str(exc)[:100], "", 0) from None

    def parse_json(self, data: str | bytes) -> Any:
        if text_too_deep(data):
            raise RequestRefused(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels is refused.",
                                 "JSON_TOO_DEEP")
        try:
            parsed = _loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RequestRefused(400, "Unable to parse request body as JSON", "BAD_REQUEST") from exc
        if isinstance(parsed, list):
            raise RequestRefused(400, "Batched requests are not supported; send one operation per request.",
                                 "BATCHING_NOT_SUPPORTED")
        if not isinstance(parsed, dict):
            # strawberry would call .get() on it and fail with a 500
            raise RequestRefused(400, "The request body must be a JSON object.", "BAD_REQUEST")
        if has_bad_characters(parsed):
            raise RequestRefused(400, "The request contains a NUL byte or an unpaired surrogate.",
                                 "BAD_USER_INPUT")
        return parsed

    def encode_json(self, data: object) -> str:
        return _ENCODER.encode(data)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub = _NegotiatedResponse()
        sub.status_code = None  # type: ignore[assignment]
        del sub.headers["content-length"]
        sub.graphql_response_json = wants_graphql_response_json(request.headers.get("accept", ""))
        return sub

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        errors = result.errors or []
        request_error = result.data is None and bool(errors) and all(e.path is None for e in errors)
        if request_error and wants_graphql_response_json(request.headers.get("accept", "")):
            response.pop("data", None)  # no data entry: a request error, answered with a 4xx
        return response

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "graphql_response_json", False):
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = 400
        return response
