"""The ASGI middleware around every route, outermost first: the request id, CORS, then the edge
guards (websocket counting, the outage answer, the body size limit) in one pure ASGI layer.

Each layer costs a call and a wrapped `send` per request; the three guards were three layers, and
asgi_correlation_id's middleware copied the request's headers into a MutableHeaders twice. The
behaviour is theirs, unchanged (tests: test_input_limits, test_logs, test_metrics, test_cors)."""

from __future__ import annotations

import logging
from uuid import uuid4

from asgi_correlation_id import correlation_id
from asgi_correlation_id.middleware import FAILED_VALIDATION_MESSAGE, is_valid_uuid4
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings
from server.limits_middleware import BodyTooLarge, declared_too_large, refuse_too_large
from server.observability import counting_websocket
from server.outage_middleware import answer_outage, answers_outage

REQUEST_ID_HEADER = "X-Request-Id"
_HEADER = REQUEST_ID_HEADER.lower().encode("latin-1")
log = logging.getLogger("asgi_correlation_id")


class RequestId:
    """asgi_correlation_id's CorrelationIdMiddleware, as it is configured here: the client's
    X-Request-Id when it is a UUID (32 hex digits or dashed), else a new uuid4 hex (a warning when
    one was given but invalid); set in the request's headers, in `correlation_id` (the logs' and
    masked errors' reference) and on the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given: bytes | None = None
        for name, value in scope["headers"]:
            if name == _HEADER:
                given = value
                break
        header_value = given.decode("latin-1") if given is not None else None
        if not header_value:
            id_value = uuid4().hex
        elif not is_valid_uuid4(header_value):
            id_value = uuid4().hex
            log.warning(FAILED_VALIDATION_MESSAGE, id_value)
        else:
            id_value = header_value
        if id_value != header_value:  # the request's header says what the logs say
            scope["headers"] = [*(h for h in scope["headers"] if h[0] != _HEADER), (_HEADER, id_value.encode())]
        correlation_id.set(id_value)
        raw_id = id_value.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (_HEADER, raw_id)]
            await send(message)

        await self.app(scope, receive, send_with_id)


class EdgeGuards:
    """Websockets counted from accept to close; an HTTP body over `max_bytes` refused with 413 (by its
    Content-Length first, then as it is read); an unhandled database outage answered 503 with
    Retry-After while nothing was sent yet."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "websocket":
            await counting_websocket(self.app, scope, receive, send)
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.max_bytes
        if declared_too_large(scope, max_bytes):
            await refuse_too_large(send, max_bytes)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await refuse_too_large(send, max_bytes)
        except Exception as exc:
            if started or not answers_outage(exc):
                raise
            await answer_outage(send, exc)


def middleware_stack(settings: Settings) -> list[Middleware]:
    origins = settings.origins
    return [
        # Outermost, so every answer (a refused preflight, a 413) and every log line has the id.
        Middleware(RequestId),
        # Bearer tokens, never cookies: no credentials mode, so a listed origin cannot ride a session.
        Middleware(CORSMiddleware, allow_origins=list(origins.origins), allow_origin_regex=origins.origin_regex,
                   allow_methods=["GET", "POST"],
                   allow_headers=["Authorization", "Content-Type", "Accept", "X-Device-Name", REQUEST_ID_HEADER],
                   expose_headers=[REQUEST_ID_HEADER], max_age=600),
        Middleware(EdgeGuards, max_bytes=settings.max_body_bytes),
    ]
