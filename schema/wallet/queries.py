"""Wallet queries: the caller's wallet and one of the caller's transfers. Nobody else's."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.cards import binding
from app.errors import NotFound
from app.payments import records, wallets
from schema.context import Info
from schema.ids import decode_id
from schema.wallet.types import Card, Transfer, Wallet


async def wallet_of_viewer(info: Info) -> Wallet | None:
    viewer = info.context.viewer
    if viewer is None:
        return None
    wallet = await wallets.wallet_of(viewer)
    return Wallet.from_model(wallet) if wallet else None


async def cards_of(user_id: int) -> list[Card]:
    return [Card.from_model(c) for c in await binding.active_cards(user_id)]


@strawberry.type
class WalletQuery:
    @strawberry.field(description="The signed-in user's wallet; null before `openWallet` or when signed out.")
    async def wallet(self, info: Info) -> Wallet | None:
        return await wallet_of_viewer(info)

    @strawberry.field(description="One of your transfers, with its state and journal; null for anyone else's.")
    async def transfer(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The transfer's global id.")]) -> Transfer | None:
        viewer = info.context.viewer
        if viewer is None:
            return None
        try:
            transfer_id = decode_id(id, "Transfer")
        except NotFound:
            return None
        found = await records.transfer_for(viewer.id, transfer_id)
        return Transfer.from_model(found) if found else None
