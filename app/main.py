"""Composition root: settings, the Starlette app, and the lifespan that owns DB, relays and workers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from tortoise import Tortoise
from tortoise.contrib.starlette import RegisterTortoise

from app.limits_middleware import BodySizeLimit
from app.mail.delivery import DeliveryWorker
from app.payments.acceptance import expire_due, remind_due
from app.payments.red_packet_expiry import return_expired
from app.payments.sweeper import Sweeper
from app.runtime import Runtime
from app.settings import Settings
from schema import build_schema
from schema.view import GraphQLApp
from subscriptions.bus import build_bus
from subscriptions.relay import EventsRelay

log = logging.getLogger("imwallet")


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    rt = Runtime.build(settings)
    graphql = GraphQLApp(build_schema(settings), rt)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=settings.tortoise_config()):
            delivery = DeliveryWorker(rt)
            rt.outbox_waker = delivery
            delivery.start()
            bus = build_bus(namespace=settings.redis_namespace, queue_size=settings.ws_subscriber_queue_size,
                            redis_url=settings.redis_url, command_pool=rt.redis_pool)
            relay = EventsRelay(settings, bus)
            rt.signals, rt.events_waker = bus, relay
            await bus.start()
            relay.start()
            sweeper = Sweeper(rt, [return_expired, remind_due, expire_due])
            sweeper.start()
            try:
                yield
            finally:
                await sweeper.stop()
                await relay.stop()
                await bus.stop()
                await delivery.stop()
                await rt.aclose()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            await Tortoise.get_connection("default").execute_query("SELECT 1")
        except Exception as exc:
            log.warning("not ready: %s", type(exc).__name__)
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def metrics(_: Request) -> Response:
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)

    application = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        middleware=[Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)],
        lifespan=lifespan,
    )
    application.state.runtime = rt  # for operator tools and tests that inspect counters
    return application


def __getattr__(name: str) -> Starlette:
    # `uvicorn app.main:app` builds the app on first access, so importing this module has no effects.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
