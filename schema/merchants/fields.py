"""Merchant and order fields. Who may call each is decided by the context's two gates:
`require_merchant()` (an `Authorization: Merchant <key>` request) and `require_viewer()` (a user's
session); `order` takes either and shows each its own view."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.ledger.amounts import parse_amount
from app.merchants import codes, orders, settlement
from schema.context import Info
from schema.errors import (
    ApprovalRejectedError,
    CardDeclinedError,
    ForbiddenError,
    IdempotencyConflictError,
    InsufficientFundsError,
    InvalidCollectionCodeError,
    InvalidInputError,
    InvalidPinError,
    LimitExceededError,
    NotAuthenticatedError,
    NotFoundError,
    OrderNotPayableError,
    PinLockedError,
    RefundRefusedError,
    TemporarilyUnavailableError,
    VerificationRequiredError,
    errors_as_data,
)
from schema.ids import decode_id
from schema.merchants.inputs import CreateOrderInput, MerchantWithdrawInput, PayOrderInput, RefundOrderInput
from schema.merchants.types import Merchant, Order, OrderRefundRecord
from schema.wallet.types import Transfer, Wallet


@strawberry.type(description="The order, as created (or as first created with this merchantOrderId).")
class OrderSuccess:
    order: Order = strawberry.field(description="The order.")


@strawberry.type(description="The order is paid (or was, by this idempotency key).")
class OrderPaid:
    order: Order = strawberry.field(description="The order, now PAID.")
    transfer: Transfer = strawberry.field(description="The payment.")
    wallet: Wallet = strawberry.field(description="Your wallet after the payment.")


@strawberry.type(description="The refund is made (or was, by this idempotency key).")
class OrderRefunded:
    order: Order = strawberry.field(description="The order, with its refunded total.")
    refund: OrderRefundRecord = strawberry.field(description="This refund.")


@strawberry.type(description="The payout to the owner's card is made.")
class MerchantWithdrawal:
    transfer: Transfer = strawberry.field(description="The payout (kind MERCHANT_PAYOUT).")
    merchant: Merchant = strawberry.field(description="The merchant, with its balance after the payout.")


MerchantResult = Annotated[Merchant | NotAuthenticatedError | ForbiddenError, strawberry.union(
    "MerchantResult", description="`merchant`'s answer: the calling merchant, or why not (a user's token, none).")]
OrderResult = Annotated[Order | NotFoundError | NotAuthenticatedError, strawberry.union(
    "OrderResult", description="`order`'s answer: the order, or NotFoundError for one the caller may not see.")]
OrderByCodeResult = Annotated[Order | InvalidCollectionCodeError | NotFoundError | NotAuthenticatedError,
    strawberry.union("OrderByCodeResult",
                     description="`orderByCode`'s answer: the order the code names, or why not.")]
CreateOrderResult = Annotated[
    OrderSuccess | IdempotencyConflictError | LimitExceededError | InvalidInputError | NotAuthenticatedError
    | ForbiddenError,
    strawberry.union("CreateOrderResult", description="`createOrder`'s answer: the order, or an error to handle.")]
PayOrderResult = Annotated[
    OrderPaid | OrderNotPayableError | InsufficientFundsError | LimitExceededError | NotFoundError
    | IdempotencyConflictError | InvalidPinError | PinLockedError | ApprovalRejectedError | VerificationRequiredError
    | InvalidInputError | NotAuthenticatedError | TemporarilyUnavailableError,
    strawberry.union("PayOrderResult", description="`payOrder`'s answer: the paid order, or an error to handle.")]
RefundOrderResult = Annotated[
    OrderRefunded | RefundRefusedError | InsufficientFundsError | NotFoundError | IdempotencyConflictError
    | InvalidInputError | NotAuthenticatedError | ForbiddenError | TemporarilyUnavailableError,
    strawberry.union("RefundOrderResult", description="`refundOrder`'s answer: the refund, or an error to handle.")]
MerchantWithdrawResult = Annotated[
    MerchantWithdrawal | InsufficientFundsError | CardDeclinedError | NotFoundError | IdempotencyConflictError
    | InvalidInputError | NotAuthenticatedError | ForbiddenError | TemporarilyUnavailableError,
    strawberry.union("MerchantWithdrawResult",
                     description="`merchantWithdraw`'s answer: the payout, or an error to handle.")]


@strawberry.type
class MerchantQuery:
    @strawberry.field(description="The calling merchant and its wallet (merchant key only).")
    @errors_as_data
    async def merchant(self, info: Info) -> MerchantResult:
        return Merchant.from_model(info.context.require_merchant())

    @strawberry.field(description="An order by its global id: a merchant sees its own; a user sees an order "
                                  "open to pay, or one they paid.")
    @errors_as_data
    async def order(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The order's global id.")]) -> OrderResult:
        order_id = decode_id(id, "Order")
        ctx = info.context
        if ctx.merchant is not None:
            return Order.from_model(await orders.order_for_merchant(ctx.merchant, order_id))
        return Order.from_model(await orders.order_for_user(ctx.require_viewer(), order_id))

    @strawberry.field(description="The order a scanned code names (a user's view, as `order`); "
                                  "InvalidCollectionCodeError for a forged or altered code.")
    @errors_as_data
    async def order_by_code(self, info: Info, payload: Annotated[str, strawberry.argument(
            description="The scanned code's text.")]) -> OrderByCodeResult:
        viewer = info.context.require_viewer()
        order_id = codes.order_id_of(info.context.rt, payload)
        return Order.from_model(await orders.order_for_user(viewer, order_id))


@strawberry.type
class MerchantMutation:
    @strawberry.mutation(description="Create an order for a user to pay (merchant key only); idempotent on "
                                     "`merchantOrderId`.")
    @errors_as_data
    async def create_order(self, info: Info, input: CreateOrderInput) -> CreateOrderResult:
        merchant = info.context.require_merchant()
        rt = info.context.rt
        order = await orders.create_order(
            rt, merchant, merchant_order_id=input.merchant_order_id,
            amount_minor=parse_amount(input.amount, rt.settings.currency), description=input.description,
            expires_in_seconds=input.expires_in_seconds, notify_url=input.notify_url)
        return OrderSuccess(order=Order.from_model(order))

    @strawberry.mutation(description="Pay a merchant order from your wallet: at most once, before it expires.")
    @errors_as_data
    async def pay_order(self, info: Info, input: PayOrderInput) -> PayOrderResult:
        viewer = info.context.require_viewer()
        paid = await orders.pay_order(
            info.context.rt, viewer, order_id=decode_id(input.order_id, "Order", "orderId"), pin=input.pin,
            idempotency_key=input.idempotency_key,
            device_assertion=input.approval.device_assertion if input.approval else None)
        assert paid.order is not None, "an order payment answers with its order"
        return OrderPaid(order=Order.from_model(paid.order), transfer=Transfer.from_model(paid.transfer),
                         wallet=Wallet.from_model(paid.wallet))

    @strawberry.mutation(description="Refund part or all of a paid order to its payer, from the merchant's "
                                     "wallet (merchant key only).")
    @errors_as_data
    async def refund_order(self, info: Info, input: RefundOrderInput) -> RefundOrderResult:
        merchant = info.context.require_merchant()
        rt = info.context.rt
        done = await orders.refund_order(
            rt, merchant, order_id=decode_id(input.order_id, "Order", "orderId"),
            amount_minor=parse_amount(input.amount, rt.settings.currency), reason=input.reason,
            idempotency_key=input.idempotency_key)
        return OrderRefunded(order=Order.from_model(done.order),
                             refund=OrderRefundRecord.from_model(done.refund, done.order.currency))

    @strawberry.mutation(description="Settle money from the merchant's wallet to an active bank card of its owner "
                                     "(merchant key only).")
    @errors_as_data
    async def merchant_withdraw(self, info: Info, input: MerchantWithdrawInput) -> MerchantWithdrawResult:
        merchant = info.context.require_merchant()
        rt = info.context.rt
        card_id = decode_id(input.card_id, "Card", "cardId") if input.card_id is not None else None
        transfer = await settlement.withdraw(rt, merchant, card_id=card_id,
                                             amount_minor=parse_amount(input.amount, rt.settings.currency),
                                             idempotency_key=input.idempotency_key)
        return MerchantWithdrawal(transfer=Transfer.from_model(transfer), merchant=Merchant.from_model(merchant))
