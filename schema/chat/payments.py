"""Paying a money request in chat: the wallet moves the money, the request remembers who paid."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.errors import DomainError
from app.payments import request_payments
from schema.chat.inputs import PayRequestInput
from schema.chat.types import PaymentRequest
from schema.context import Info
from schema.errors import (
    IdempotencyConflictError,
    InsufficientFundsError,
    InvalidCodeError,
    InvalidInputError,
    InvalidPinError,
    LimitExceededError,
    NotAuthenticatedError,
    NotFoundError,
    PinLockedError,
    RateLimitedError,
    RecipientUnavailableError,
    RequestClosedError,
    TemporarilyUnavailableError,
    VerificationRequiredError,
    from_domain,
)
from schema.ids import decode_id, encode_id


@strawberry.type
class PayRequestSuccess:
    request: PaymentRequest
    transfer_id: strawberry.ID = strawberry.field(description="Global id of the `Transfer` that paid it.")


PayRequestResult = Annotated[
    PayRequestSuccess | RequestClosedError | InsufficientFundsError | LimitExceededError | RecipientUnavailableError
    | IdempotencyConflictError | InvalidPinError | PinLockedError | VerificationRequiredError | InvalidCodeError
    | InvalidInputError | NotAuthenticatedError | NotFoundError | RateLimitedError | TemporarilyUnavailableError,
    strawberry.union("PayRequestResult")]


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(description="Pay a money request with the wallet (PIN and idempotency key as for "
                                     "sendMoney, and stepUpCode for large amounts). Each member pays a request once.")
    async def pay_request(self, info: Info, input: PayRequestInput) -> PayRequestResult:
        try:
            rid = decode_id(input.request_id, "PaymentRequest", "requestId")
            sent, request = await request_payments.pay_request(
                info.context.rt, info.context.require_viewer(), request_id=rid, pin=input.pin,
                idempotency_key=input.idempotency_key, step_up_code=input.step_up_code)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return PayRequestSuccess(request=PaymentRequest.from_model(request),
                                 transfer_id=strawberry.ID(encode_id("Transfer", sent.transfer.id)))
