"""Inputs of the merchant and order mutations. Amounts are Decimal strings."""

from __future__ import annotations

import strawberry

from schema.devices.types import PaymentApprovalInput
from schema.scalars import Decimal


@strawberry.input(description="A new order (merchant key only); idempotent on `merchantOrderId`.")
class CreateOrderInput:
    merchant_order_id: str = strawberry.field(
        description="The shop's own order reference, up to 64 ASCII characters. The same reference with the same "
                    "body answers the same order; with another body, IdempotencyConflictError.")
    amount: Decimal = strawberry.field(description='What the order costs, e.g. "12.34".')
    description: str = strawberry.field(default="", description="What is bought, up to 100 characters.")
    expires_in_seconds: int | None = strawberry.field(
        default=None, description="How long it may be paid, 1 to 604800 seconds; 900 when null.")
    notify_url: str | None = strawberry.field(
        default=None, description="Where the signed notifications of this order are POSTed (http or https); "
                                  "none when null.")


@strawberry.input(description="Pay a merchant order from your wallet.")
class PayOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    pin: str | None = strawberry.field(
        default=None, description="Your payment PIN; or leave it out and give `approval` from an enrolled device.")
    approval: PaymentApprovalInput | None = strawberry.field(
        default=None, description="A device's approval of this payment instead of the PIN.")
    idempotency_key: str = strawberry.field(description="A fresh key (e.g. a UUID) per intended payment; "
                                                        "repeat it to retry safely.")


@strawberry.input(description="Refund part or all of a paid order (merchant key only).")
class RefundOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order's global id.")
    amount: Decimal = strawberry.field(description='What to give back, e.g. "5.00"; at most what is left.')
    reason: str = strawberry.field(default="", description="Why, up to 100 characters; the payer sees it.")
    idempotency_key: str = strawberry.field(description="A fresh key per intended refund; repeat it to retry.")


@strawberry.input(description="Settle money from the merchant's wallet to one of its owner's bank cards.")
class MerchantWithdrawInput:
    card_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of `merchant.settlementCards`; the owner's newest active card when null.")
    amount: Decimal = strawberry.field(description='How much, e.g. "100.00".')
    idempotency_key: str = strawberry.field(description="A fresh key per intended payout; repeat it to retry.")
