"""GraphQL types of red packets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from app.errors import NotFound
from app.payments.red_packets import visible_packet
from models import RedPacket as RedPacketModel
from models import RedPacketShare as ShareModel
from models import RedPacketSplit as DomainSplit
from models import RedPacketState as DomainState
from schema.chat.types import ChatUser, chat_user
from schema.context import Info
from schema.enums import register_enum
from schema.ids import encode_id
from schema.money import Money

RedPacketSplit = DomainSplit
RedPacketState = DomainState
register_enum(DomainSplit, name="RedPacketSplit", description="How a red packet's total is shared.", values={
    "RANDOM": "Shares drawn once at sending by the double-mean method, each at least 0.01.",
    "EQUAL": "Even shares; the remainder cents go to the first openers."})
register_enum(DomainState, name="RedPacketState", description="Where a red packet stands.", values={
    "OPEN": "Shares are left to take.", "EMPTY": "Every share is taken.",
    "EXPIRED": "The unclaimed remainder went back to the sender."})


@strawberry.type(description="A share someone has taken.")
class RedPacketClaim:
    user: ChatUser | None = strawberry.field(description="Who opened it.")
    amount: Money = strawberry.field(description="What they got.")
    opened_at: datetime = strawberry.field(description="When.")
    luckiest: bool = strawberry.field(description="The largest share of a closed RANDOM packet (earliest on a tie).")


@strawberry.type(description="What proves the shares were fixed at creation: sha256 over `salt:a,b,...` "
                             "(amounts in minor units, in the order drawn).")
class RedPacketProof:
    commitment: str = strawberry.field(description="The hex digest stored when the packet was sent.")
    salt: str | None = strawberry.field(description="Shown once the packet is closed (EMPTY or EXPIRED).")
    drawn_minor: list[str] | None = strawberry.field(
        description="Every share as drawn, in minor units as decimal strings; shown once the packet is closed.")


@strawberry.type(description="A red packet in a conversation.")
class RedPacket(relay.Node):
    id: relay.NodeID[int]
    total: Money = strawberry.field(description="What the sender put in.")
    count: int = strawberry.field(description="How many shares.")
    split: RedPacketSplit = strawberry.field(description="How the total was split.")
    greeting: str = strawberry.field(description="The sender's words on the packet.")
    state: RedPacketState = strawberry.field(description="OPEN, EMPTY or EXPIRED.")
    remaining_count: int = strawberry.field(description="Shares not yet taken.")
    remaining: Money = strawberry.field(description="Money not yet taken (held in the packet's account).")
    returned: Money = strawberry.field(description="What went back to the sender at expiry.")
    expires_at: datetime = strawberry.field(description="When the unclaimed remainder returns to the sender.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    closed_at: datetime | None = strawberry.field(description="When it became EMPTY or EXPIRED.")
    _model: strawberry.Private[RedPacketModel]

    @classmethod
    def from_model(cls, m: RedPacketModel) -> RedPacket:
        return cls(id=m.id, total=Money.of(m.total_minor, m.currency), count=m.share_count, split=m.split,
                   greeting=m.greeting, state=m.state, remaining_count=m.remaining_count,
                   remaining=Money.of(m.remaining_minor, m.currency), returned=Money.of(m.returned_minor, m.currency),
                   expires_at=m.expires_at, created_at=m.created_at, closed_at=m.closed_at, _model=m)

    @strawberry.field(description="Who sent it.")
    async def sender(self, info: Info) -> ChatUser | None:
        return await chat_user(info, self._model.sender_id)

    @strawberry.field(description="Global id of its conversation.")
    def conversation_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Conversation", self._model.conversation_id))

    @strawberry.field(description="Global id of its message in the conversation.")
    def message_id(self) -> strawberry.ID | None:
        m = self._model
        return strawberry.ID(encode_id("Message", m.message_id)) if m.message_id else None

    @strawberry.field(description="Shares taken, in the order they were opened.")
    async def claims(self, info: Info) -> list[RedPacketClaim]:
        m = self._model
        taken = await ShareModel.filter(packet_id=m.id, claimant_id__isnull=False).order_by("claimed_at", "seq")
        best = _luckiest(m, taken)
        return [RedPacketClaim(user=await chat_user(info, s.claimant_id), amount=Money.of(s.amount_minor, m.currency),
                               opened_at=s.claimed_at or m.created_at, luckiest=s.id == best) for s in taken]

    @strawberry.field(description="The viewer's share, if they have opened it.")
    async def my_share(self, info: Info) -> Money | None:
        viewer = info.context.viewer
        share = await ShareModel.get_or_none(packet_id=self._model.id, claimant_id=viewer.id) if viewer else None
        return Money.of(share.amount_minor, self._model.currency) if share else None

    @strawberry.field(description="Whether the viewer may still open it.")
    def can_open(self, info: Info) -> bool:
        viewer, m = info.context.viewer, self._model
        return bool(viewer and viewer.id in m.eligible_user_ids and m.state == DomainState.OPEN
                    and info.context.rt.clock.now() < m.expires_at)

    @strawberry.field(description="The commitment to the shares, and once closed what it commits to.")
    async def proof(self) -> RedPacketProof:
        m = self._model
        if m.state == DomainState.OPEN:
            return RedPacketProof(commitment=m.commitment, salt=None, drawn_minor=None)
        drawn = await ShareModel.filter(packet_id=m.id).order_by("seq").values_list("amount_minor", flat=True)
        return RedPacketProof(commitment=m.commitment, salt=m.salt, drawn_minor=[str(a) for a in drawn])

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        viewer = info.context.viewer
        found = []
        for nid in node_ids:
            m = None
            if viewer and nid.isdigit():
                try:
                    m = await visible_packet(viewer, int(nid))
                except NotFound:
                    m = None
            found.append(cls.from_model(m) if m else None)
        return found


def _luckiest(packet: RedPacketModel, taken: list[ShareModel]) -> int | None:
    if packet.split != DomainSplit.RANDOM or packet.state == DomainState.OPEN or not taken:
        return None
    return max(taken, key=lambda s: (s.amount_minor, -(s.claimed_at or packet.created_at).timestamp())).id
