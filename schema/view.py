"""The ASGI GraphQL endpoint: authentication, GraphQL over HTTP media types, websockets."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult

from app.identity import sessions
from app.runtime import Runtime
from schema.context import Context
from schema.extensions import has_bad_characters

GRAPHQL_RESPONSE = "application/graphql-response+json"


class _NegotiatedResponse(Response):
    """The sub-response, remembering which response media type the client asked for."""

    graphql_response_json: bool = False


def wants_graphql_response_json(accept: str) -> bool:
    """GraphQL over HTTP: the new media type when the client lists it before application/json."""
    accept = accept.lower()
    new, legacy = accept.find(GRAPHQL_RESPONSE), accept.find("application/json")
    return new != -1 and (legacy == -1 or new < legacy)


class GraphQLApp(GraphQL[Context, None]):
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

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        client = request.client.host if request.client else "unknown"
        ctx = Context(request=request, response=response, rt=self.rt, client_address=client)
        auth = request.headers.get("authorization", "")
        if isinstance(request, Request) and auth[:7].lower() == "bearer ":
            ctx.session = await sessions.authenticate(auth[7:].strip())
        return ctx

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = context.connection_params or {}
        token = params.get("authToken") or params.get("Authorization") or params.get("authorization")
        if token is None:
            return None
        if not isinstance(token, str):
            raise ConnectionRejectionError({"reason": "authToken must be a string"})
        if token[:7].lower() == "bearer ":
            token = token[7:]
        context.session = await sessions.authenticate(token.strip())
        if context.session is None:
            raise ConnectionRejectionError({"reason": "invalid or expired session"})
        return {"userId": context.session.user_id}

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        if isinstance(parsed, list):
            raise HTTPException(400, "Batched requests are not supported; send one operation per request.")
        if has_bad_characters(parsed):
            raise HTTPException(400, "The request contains a NUL byte or an unpaired surrogate.")
        return parsed

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
