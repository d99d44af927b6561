"""The CollectionCode type: a signed payload, its QR image, and what it asks for."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from app.codes import qr, service
from models import CollectionCode as CollectionCodeModel
from schema.context import Info
from schema.ids import parse_db_id
from schema.money import Money


@strawberry.type(description="A code that pays you when someone scans it: show `qrSvg`, or share `payload`. "
                             "The payload is signed by the server and opaque; it names you, and cannot be "
                             "forged or altered.")
class CollectionCode(relay.Node):
    id: relay.NodeID[int]
    payload: str = strawberry.field(description="The signed code text that `payByCode` takes (URL-safe, at most "
                                                "512 characters). Treat it as opaque.")
    amount: Money | None = strawberry.field(
        description="The fixed amount the code asks for; null for a static code (the payer chooses).")
    memo: str = strawberry.field(description="What the code says the payment is for; empty for a static code.")
    static: bool = strawberry.field(description="True for your personal static code (`myCollectionCode`).")
    created_at: datetime = strawberry.field(description="When the code was issued.")
    revoked_at: datetime | None = strawberry.field(
        description="When you revoked it; a revoked code can no longer be paid.")
    _model: strawberry.Private[CollectionCodeModel]

    @classmethod
    def of(cls, info: Info, m: CollectionCodeModel) -> CollectionCode:
        amount = Money.of(m.amount_minor, m.currency) if m.amount_minor is not None else None
        return cls(id=m.id, payload=service.payload_of(info.context.rt, m), amount=amount, memo=m.memo,
                   static=m.amount_minor is None, created_at=m.created_at, revoked_at=m.revoked_at, _model=m)

    @strawberry.field(description="The payload as a QR code: a standalone SVG document (error correction M, "
                                  "quiet zone included). The same image is at `imagePath`.")
    def qr_svg(self) -> str:
        return qr.svg(self.payload)

    @strawberry.field(description="Where the same QR image is served as image/svg+xml without signing in: "
                                  "`/codes/<payload>.svg`, relative to the server's address.")
    def image_path(self) -> str:
        return f"/codes/{self.payload}.svg"

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        viewer = info.context.viewer
        ids = [parse_db_id(n) or 0 for n in node_ids]
        rows = {c.id: c for c in await service.codes_of(viewer.id, ids)} if viewer else {}
        return [cls.of(info, rows[i]) if i in rows else None for i in ids]
