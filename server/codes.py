"""GET /codes/<payload>.svg: a collection code's QR image, for anyone (the payload is public by design).

Only a payload this server signed is drawn; anything else is a bare 404, saying nothing of why. The
image of a payload never changes, so it may be cached for a long time: revocation is enforced when
the code is paid, not here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app.codes import payloads, qr
from app.errors import InvalidCollectionCode
from app.runtime import Runtime

HEADERS = {
    "Cache-Control": "public, max-age=86400, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def code_image(rt: Runtime) -> Callable[[Request], Awaitable[Response]]:
    async def image(request: Request) -> Response:
        payload = request.path_params["payload"]
        try:
            payloads.verify(rt, payload)
        except InvalidCollectionCode:
            return PlainTextResponse("Not Found", status_code=404)
        return Response(qr.svg(payload), media_type="image/svg+xml", headers=HEADERS)

    return image
