"""Answer 503 TEMPORARILY_UNAVAILABLE, fast, when the database is down before GraphQL runs (the
session lookup), instead of an unhandled exception and a dropped connection (applied by
server.middleware.EdgeGuards)."""

from __future__ import annotations

import json
import logging

from starlette.types import Send

from app.outages import RETRY_AFTER_SECONDS, UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE, database_unavailable

log = logging.getLogger("imwallet.outage")


def answers_outage(exc: Exception) -> bool:
    return database_unavailable(exc)


async def answer_outage(send: Send, exc: Exception) -> None:
    log.warning("database unavailable (%s): answered 503", type(exc).__name__)
    body = json.dumps({"errors": [{"message": UNAVAILABLE_MESSAGE,
                                   "extensions": {"code": UNAVAILABLE_CODE}}]}).encode()
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode())]})
    await send({"type": "http.response.body", "body": body})
