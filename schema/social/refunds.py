"""refundTransfer: the recipient gives back all or part of a completed transfer."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.errors import DomainError
from app.ledger.amounts import parse_amount
from app.payments import refunds, wallets
from schema.context import Info
from schema.errors import (
    IdempotencyConflictError,
    InsufficientFundsError,
    InvalidInputError,
    InvalidPinError,
    LimitExceededError,
    NotAuthenticatedError,
    NotFoundError,
    PinLockedError,
    RateLimitedError,
    RefundRefusedError,
    TemporarilyUnavailableError,
    VerificationRequiredError,
    from_domain,
)
from schema.ids import decode_id
from schema.money import Money
from schema.scalars import Decimal
from schema.wallet.types import Transfer, Wallet


@strawberry.input(description="Give back all or part of a completed transfer you received.")
class RefundTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="Global id of the transfer you received.")
    amount: Decimal = strawberry.field(description='How much to give back, e.g. "5.00"; at most what is left.')
    reason: str = strawberry.field(default="", description="Up to 100 characters, shown to the payer.")
    pin: str = strawberry.field(description="Your payment PIN.")
    idempotency_key: str = strawberry.field(description="A fresh key per refund; repeat it to retry safely.")


@strawberry.type(description="The refund went out as a transfer of its own.")
class RefundSuccess:
    refund: Transfer = strawberry.field(description="The refund transfer (kind REFUND).")
    original: Transfer = strawberry.field(description="The transfer it refunds.")
    refunded_total: Money = strawberry.field(description="All refunds of the original so far.")
    wallet: Wallet = strawberry.field(description="Your wallet after the refund.")


RefundResult = Annotated[
    RefundSuccess | RefundRefusedError | InsufficientFundsError | LimitExceededError | IdempotencyConflictError
    | InvalidPinError | PinLockedError | VerificationRequiredError | NotFoundError | InvalidInputError
    | NotAuthenticatedError | RateLimitedError | TemporarilyUnavailableError, strawberry.union(
        "RefundTransferResult", description="`refundTransfer`'s answer: the refund, or an error to handle.")]


@strawberry.type
class RefundMutation:
    @strawberry.mutation(description="Refund all or part of a completed transfer you received (PIN, idempotency "
                                     "key); refunds of one transfer never exceed it.")
    async def refund_transfer(self, info: Info, input: RefundTransferInput) -> RefundResult:
        rt = info.context.rt
        try:
            viewer = info.context.require_viewer()
            refund, original = await refunds.refund_transfer(
                rt, viewer, transfer_id=decode_id(input.transfer_id, "Transfer", "transferId"),
                amount_minor=parse_amount(input.amount, rt.settings.currency), reason=input.reason, pin=input.pin,
                idempotency_key=input.idempotency_key)
            wallet = await wallets.wallet_of(viewer)
            total = await refunds.refunded_minor(original.id)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        assert wallet is not None, "the refund left this wallet"
        return RefundSuccess(refund=Transfer.from_model(refund), original=Transfer.from_model(original),
                             refunded_total=Money.of(total, original.currency), wallet=Wallet.from_model(wallet))
