"""Inputs for red packets."""

from __future__ import annotations

import strawberry

from schema.devices.types import PaymentApprovalInput
from schema.scalars import Decimal
from schema.social.types import RedPacketSplit


@strawberry.input(description="A red packet for a direct or group conversation.")
class SendRedPacketInput:
    conversation_id: strawberry.ID = strawberry.field(description="A direct or group conversation you are in.")
    total: Decimal = strawberry.field(description='The whole amount, e.g. "8.88"; at least 0.01 per share.')
    count: int = strawberry.field(description="How many shares (1 to 200; exactly 1 in a direct conversation).")
    split: RedPacketSplit = strawberry.field(description="RANDOM (double mean) or EQUAL.")
    greeting: str = strawberry.field(default="", description="Up to 100 characters.")
    pin: str | None = strawberry.field(
        default=None, description="Your payment PIN; or leave it out and give `approval` from an enrolled device.")
    approval: PaymentApprovalInput | None = strawberry.field(
        default=None, description="A device's approval of this payment instead of the PIN (see sendMoney).")
    idempotency_key: str = strawberry.field(description="A fresh key per packet; repeat it to retry safely.")


@strawberry.input(description="Take a share of a red packet.")
class OpenRedPacketInput:
    red_packet_id: strawberry.ID = strawberry.field(description="Global id of the `RedPacket`.")
