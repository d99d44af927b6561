"""The ASGI middleware around every route, outermost first."""

from __future__ import annotations

from asgi_correlation_id import CorrelationIdMiddleware
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from app.settings import Settings
from server.limits_middleware import BodySizeLimit
from server.observability import WebsocketMetrics
from server.outage_middleware import DatabaseOutage

REQUEST_ID_HEADER = "X-Request-Id"


def middleware_stack(settings: Settings) -> list[Middleware]:
    origins = settings.origins
    return [
        # Outermost, so every answer (a refused preflight, a 413) and every log line has the id.
        Middleware(CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER),
        # Bearer tokens, never cookies: no credentials mode, so a listed origin cannot ride a session.
        Middleware(CORSMiddleware, allow_origins=list(origins.origins), allow_origin_regex=origins.origin_regex,
                   allow_methods=["GET", "POST"],
                   allow_headers=["Authorization", "Content-Type", "Accept", "X-Device-Name", REQUEST_ID_HEADER],
                   expose_headers=[REQUEST_ID_HEADER], max_age=600),
        Middleware(WebsocketMetrics),
        Middleware(DatabaseOutage),
        Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
    ]
