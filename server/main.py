"""Composition root: settings, the Starlette app, and the lifespan that owns DB, relays and workers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from tortoise import Tortoise
from tortoise.contrib.starlette import RegisterTortoise

from app.mail.delivery import DeliveryWorker
from app.merchants import orders as merchant_orders
from app.merchants import settlement as merchant_settlement
from app.notifications.delivery import NotificationWorker
from app.payments.acceptance import expire_due, remind_due
from app.payments.reconciler import Reconciler
from app.payments.red_packet_expiry import return_expired
from app.payments.sweeper import Sweeper
from app.push.dispatcher import PushDispatcher
from app.redaction import install_log_redaction
from app.runtime import Runtime
from app.settings import Settings
from models import TransferKind
from schema import build_schema
from server.codes import code_image
from server.graphiql import GraphQLWithLocalIDE, assets_route
from server.middleware import middleware_stack
from server.observability import metrics_endpoint, process_exited
from server.statements import statement_routes
from subscriptions.bus import build_bus
from subscriptions.relay import EventsRelay

log = logging.getLogger("imwallet")

# The cyclic collector's generation thresholds while the app serves (CPython's defaults: 700, 10, 10).
# With 25 requests in flight per worker, a collection every 700 net new objects kept finding the
# live requests' objects, moved them up a generation and walked them again: the collector was 6-9 %
# of a worker's samples under sendMessage. Rarer, larger collections cut a request's CPU at c=50 by
# about a tenth (history 0.86-0.95x, sendMessage 0.71-0.94x, in three interleaved rounds,
# docs/performance-findings.md "Session 11"); almost everything a request makes is freed by its
# reference count, so few cycles wait longer for the collector.
GC_THRESHOLDS = (50_000, 20, 100)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    install_log_redaction()
    rt = Runtime.build(settings)
    graphql = GraphQLWithLocalIDE(build_schema(settings), rt)

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
            bus.session_listeners.append(graphql.sockets)
            await bus.start()
            relay.start()
            graphql.sockets.start()
            reconciler = Reconciler(rt, {TransferKind.MERCHANT_PAYOUT: merchant_settlement.settle})
            reconciler.start()
            push = PushDispatcher(rt)
            await push.start()
            sweeper = Sweeper(rt, [return_expired, remind_due, expire_due, merchant_orders.expire_due])
            sweeper.start()
            notifications = NotificationWorker(rt)
            rt.notify_waker = notifications
            notifications.start()
            # What startup built (schema, ORM models, caches: ~200,000 tracked objects) is kept for the
            # process's life; frozen, a full collection no longer walks it. Each full collection
            # paused a worker ~80 ms (docs/performance-findings.md, "Session 8"). Unfrozen at shutdown,
            # so a test process that starts many apps collects what they leave.
            gc.collect()
            gc.freeze()
            thresholds = gc.get_threshold()
            gc.set_threshold(*GC_THRESHOLDS)
            try:
                yield
            finally:
                gc.set_threshold(*thresholds)
                gc.unfreeze()
                await notifications.stop()
                await sweeper.stop()
                await push.stop()
                await reconciler.stop()
                await graphql.sockets.stop()
                await relay.stop()
                await bus.stop()
                await delivery.stop()
                await rt.aclose()
                process_exited()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            await Tortoise.get_connection("default").execute_query("SELECT 1")
        except Exception as exc:
            log.warning("not ready: %s", type(exc).__name__)
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ready"})

    application = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint(rt)),
            *statement_routes(rt),
            Route("/codes/{payload}.svg", code_image(rt)),
            *([assets_route()] if settings.graphiql_enabled else []),
        ],
        middleware=middleware_stack(settings),
        lifespan=lifespan,
    )
    application.state.runtime = rt  # for operator tools and tests that inspect counters
    return application


def __getattr__(name: str) -> Starlette:
    # `uvicorn server.main:app` builds the app on first access, so importing this module has no effects.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
