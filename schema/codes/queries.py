"""The signed-in user's collection codes."""

from __future__ import annotations

import strawberry

from app.codes import service
from schema.codes.types import CollectionCode
from schema.context import Info

LIVE_CODES_SHOWN = 100


@strawberry.type
class CodeQuery:
    @strawberry.field(description="Your personal static code (the payer chooses the amount), issued on first ask "
                                  "and again after you revoke it; null when signed out or before `openWallet`.")
    async def my_collection_code(self, info: Info) -> CollectionCode | None:
        viewer = info.context.viewer
        if viewer is None:
            return None
        code = await service.static_code(info.context.rt, viewer)
        return CollectionCode.of(info, code) if code else None

    @strawberry.field(description="Your codes that can still be paid (static and fixed-amount), newest first, "
                                  "at most 100; empty when signed out.")
    async def my_collection_codes(self, info: Info) -> list[CollectionCode]:
        viewer = info.context.viewer
        if viewer is None:
            return []
        return [CollectionCode.of(info, c) for c in await service.live_codes(viewer.id, limit=LIVE_CODES_SHOWN)]
