"""Red packet mutations and the `redPacket` query: each authenticates, calls one service, maps the outcome."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.errors import DomainError, NotFound
from app.ledger.amounts import parse_amount
from app.payments import red_packets, wallets
from models import RedPacket as RedPacketModel
from models import RedPacketSplit as DomainSplit
from schema.context import Info
from schema.errors import (
    ApprovalRejectedError,
    IdempotencyConflictError,
    InsufficientFundsError,
    InvalidInputError,
    InvalidPinError,
    LimitExceededError,
    NotAuthenticatedError,
    NotFoundError,
    PinLockedError,
    RateLimitedError,
    RedPacketUnavailableError,
    TemporarilyUnavailableError,
    VerificationRequiredError,
    from_domain,
)
from schema.ids import decode_id
from schema.money import Money
from schema.social.inputs import OpenRedPacketInput, SendRedPacketInput
from schema.social.types import RedPacket
from schema.wallet.types import Wallet


@strawberry.type(description="The packet is in the conversation; its money left your wallet.")
class RedPacketSent:
    red_packet: RedPacket = strawberry.field(description="The packet.")
    wallet: Wallet = strawberry.field(description="Your wallet after funding it.")


@strawberry.type(description="You took a share.")
class RedPacketOpened:
    amount: Money = strawberry.field(description="Your share, now in your wallet.")
    red_packet: RedPacket = strawberry.field(description="The packet after your share.")


SendRedPacketResult = Annotated[
    RedPacketSent | InsufficientFundsError | LimitExceededError | IdempotencyConflictError | InvalidPinError
    | ApprovalRejectedError
    | PinLockedError | VerificationRequiredError | NotFoundError | InvalidInputError | NotAuthenticatedError
    | RateLimitedError | TemporarilyUnavailableError, strawberry.union(
        "SendRedPacketResult", description="`sendRedPacket`'s answer: the packet, or an error to handle.")]
OpenRedPacketResult = Annotated[
    RedPacketOpened | RedPacketUnavailableError | VerificationRequiredError | NotFoundError | InvalidInputError
    | NotAuthenticatedError | RateLimitedError | TemporarilyUnavailableError, strawberry.union(
        "OpenRedPacketResult", description="`openRedPacket`'s answer: your share, or an error to handle.")]


@strawberry.type
class SocialQuery:
    @strawberry.field(description="A red packet of one of your conversations: totals, who took how much, "
                                  "what is left, expiry. Null if missing or not yours to see.")
    async def red_packet(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The red packet's global id.")]) -> RedPacket | None:
        viewer = info.context.viewer
        if viewer is None:
            return None
        try:
            return RedPacket.from_model(await red_packets.visible_packet(viewer, decode_id(id, "RedPacket")))
        except NotFound:
            return None


@strawberry.type
class SocialMutation:
    @strawberry.mutation(description="Send a red packet into a direct or group conversation (PIN, idempotency "
                                     "key). The money waits in the packet; the unclaimed rest returns after 24 h.")
    async def send_red_packet(self, info: Info, input: SendRedPacketInput) -> SendRedPacketResult:
        rt = info.context.rt
        try:
            viewer = info.context.require_viewer()
            packet = await red_packets.send_red_packet(
                rt, viewer, conversation_id=decode_id(input.conversation_id, "Conversation", "conversationId"),
                total_minor=parse_amount(input.total, rt.settings.currency, "total"), count=input.count,
                split=DomainSplit(input.split), greeting=input.greeting, pin=input.pin,
                idempotency_key=input.idempotency_key,
                device_assertion=input.approval.device_assertion if input.approval else None)
            wallet = await wallets.wallet_of(viewer)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        assert wallet is not None, "the packet was funded from this wallet"
        return RedPacketSent(red_packet=RedPacket.from_model(packet), wallet=Wallet.from_model(wallet))

    @strawberry.mutation(description="Take a share of a red packet: once per member it was sent to, while open.")
    async def open_red_packet(self, info: Info, input: OpenRedPacketInput) -> OpenRedPacketResult:
        try:
            share = await red_packets.open_red_packet(
                info.context.rt, info.context.require_viewer(),
                packet_id=decode_id(input.red_packet_id, "RedPacket", "redPacketId"))
            packet = await RedPacketModel.get(id=share.packet_id)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return RedPacketOpened(amount=Money.of(share.amount_minor, packet.currency),
                               red_packet=RedPacket.from_model(packet))
