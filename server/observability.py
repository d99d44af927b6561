"""/metrics (summed over worker processes when there are several) and websocket counting."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.backlog import Backlog, backlog
from app.runtime import Runtime

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def process_exited() -> None:
    """A worker's live gauges (open websockets, active subscriptions) stop counting when it stops."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class _BacklogCollector(Collector):
    def __init__(self, waiting: Backlog) -> None:
        self.waiting = waiting

    def collect(self) -> list[GaugeMetricFamily]:
        w = self.waiting
        return [
            GaugeMetricFamily("imwallet_outbox_depth", "SMS and mail waiting for delivery", w.outbox_depth),
            GaugeMetricFamily("imwallet_outbox_lag_seconds", "Age of the oldest SMS or mail waiting",
                              w.outbox_lag_seconds),
            GaugeMetricFamily("imwallet_relay_depth", "Events committed but not yet announced on the bus",
                              w.relay_depth),
            GaugeMetricFamily("imwallet_relay_lag_seconds", "Age of the oldest event not yet announced",
                              w.relay_lag_seconds),
        ]


def metrics_endpoint(rt: Runtime) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(_: Request) -> Response:
        # Read at scrape time from the database, which every process shares: nothing to sum.
        waiting = CollectorRegistry()
        waiting.register(_BacklogCollector(await backlog(rt.clock.now())))
        if multiprocess_dir():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = REGISTRY
        return Response(generate_latest(registry) + generate_latest(waiting), media_type=CONTENT_TYPE_LATEST)

    return endpoint


async def counting_websocket(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Counts a websocket connection from the accept to the end of the socket."""
    accepted = False

    async def counting_send(message: Message) -> None:
        nonlocal accepted
        if message["type"] == "websocket.accept" and not accepted:
            accepted = True
            metrics.websocket_opened()
        await send(message)

    try:
        await app(scope, receive, counting_send)
    finally:
        if accepted:
            metrics.websocket_closed()
