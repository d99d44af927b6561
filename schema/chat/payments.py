"""Paying a money request in chat: the wallet moves the money, the request remembers who paid."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.payments import request_payments
from schema.chat.inputs import PayRequestInput
from schema.chat.types import PaymentRequest
from schema.context import Info
from schema.errors import (
    ApprovalRejectedError,
    IdempotencyConflictError,
    InsufficientFundsError,
    InvalidCodeError,
    InvalidInputError,
    InvalidPinError,
    LimitExceededError,
    NotAuthenticatedError,
    NotFoundError,
    NotReachableError,
    PinLockedError,
    RateLimitedError,
    RecipientUnavailableError,
    RequestClosedError,
    TemporarilyUnavailableError,
    VerificationRequiredError,
    errors_as_data,
)
from schema.ids import decode_id, encode_id


@strawberry.type(description="The request is paid.")
class PayRequestSuccess:
    request: PaymentRequest = strawberry.field(description="The request, with the viewer among its payers.")
    transfer_id: strawberry.ID = strawberry.field(description="Global id of the `Transfer` that paid it.")


PayRequestResult = Annotated[
    PayRequestSuccess | RequestClosedError | InsufficientFundsError | LimitExceededError | RecipientUnavailableError
    | IdempotencyConflictError | InvalidPinError | PinLockedError | VerificationRequiredError | InvalidCodeError
    | InvalidInputError | NotAuthenticatedError | NotFoundError | RateLimitedError | TemporarilyUnavailableError
    | NotReachableError | ApprovalRejectedError,
    strawberry.union("PayRequestResult", description="`payRequest`'s answer: the paid request, or an error to handle.")]


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(description="Pay a money request with the wallet (PIN and idempotency key as for "
                                     "sendMoney, and stepUpCode for large amounts). Each member pays a request once.")
    @errors_as_data
    async def pay_request(self, info: Info, input: PayRequestInput) -> PayRequestResult:
        rid = decode_id(input.request_id, "PaymentRequest", "requestId")
        sent, request = await request_payments.pay_request(
            info.context.rt, info.context.require_viewer(), request_id=rid, pin=input.pin,
            idempotency_key=input.idempotency_key, step_up_code=input.step_up_code,
            device_assertion=input.approval.device_assertion if input.approval else None)
        return PayRequestSuccess(request=PaymentRequest.from_model(request),
                                 transfer_id=strawberry.ID(encode_id("Transfer", sent.transfer.id)))
