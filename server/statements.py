"""The two statement routes: the download (`GET /statements/<token>`) and the published keys."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.errors import RateLimited, TemporarilyUnavailable
from app.runtime import Runtime
from app.statements import service
from app.statements.signing import keys_document

KEYS_PATH = "/.well-known/imwallet-statement-keys"


def statement_routes(rt: Runtime) -> list[Route]:
    async def download(request: Request) -> Response:
        try:
            found = await service.open_download(rt, request.path_params["token"])
        except service.DownloadRefused as refused:
            status, error = (410, "expired: export the statement again") if refused.expired else (404, "not found")
            return JSONResponse({"error": error}, status_code=status, headers={"Cache-Control": "no-store"})
        except RateLimited as limited:
            return JSONResponse({"error": "too many downloads"}, status_code=429,
                                headers={"Retry-After": str(limited.retry_after_seconds)})
        except TemporarilyUnavailable:
            return JSONResponse({"error": "temporarily unavailable"}, status_code=503, headers={"Retry-After": "5"})
        spec = found.generated.spec
        name = f"imwallet-statement-{spec.account_id}-{spec.start:%Y%m%d}-{spec.end:%Y%m%d}.{spec.fmt.lower()}"
        return StreamingResponse(service.verified_chunks(found), media_type=service.MEDIA_TYPES[found.generated.fmt],
                                 headers={"Content-Disposition": f'attachment; filename="{name}"',
                                          "Cache-Control": "private, no-store",
                                          "X-Statement-Sha256": found.sha256_hex,
                                          "X-Statement-Signature": found.signed.signature,
                                          "X-Statement-Key-Id": found.signed.key_id})

    async def keys(_: Request) -> Response:
        return JSONResponse(keys_document(service.keys_of(rt).published),
                            headers={"Cache-Control": "public, max-age=300"})

    return [Route("/statements/{token}", download, methods=["GET"]), Route(KEYS_PATH, keys, methods=["GET"])]
