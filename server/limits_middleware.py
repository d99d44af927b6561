"""Refuse oversized request bodies before anything reads them (applied by server.middleware.EdgeGuards)."""

from __future__ import annotations

import json

from starlette.types import Scope, Send


class BodyTooLarge(Exception):
    pass


def declared_too_large(scope: Scope, max_bytes: int) -> bool:
    """A Content-Length that is not a number or above the limit: refused before the body is read."""
    declared = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = value  # the last one counts, as before
    return declared is not None and (not declared.isdigit() or int(declared) > max_bytes)


async def refuse_too_large(send: Send, max_bytes: int) -> None:
    # Shaped like a GraphQL request error so a client handles every refusal the same way.
    body = json.dumps({"errors": [{"message": f"Request body larger than {max_bytes} bytes.",
                                   "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
