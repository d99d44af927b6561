"""Collection code mutations: issue a fixed-amount code, revoke one, pay one."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.codes import pay, service
from app.ledger.amounts import parse_amount
from schema.codes.inputs import CreateCollectionCodeInput, PayByCodeInput, RevokeCollectionCodeInput
from schema.codes.types import CollectionCode
from schema.context import Info
from schema.errors import (
    ApprovalRejectedError,
    CollectionCodeRefusedError,
    IdempotencyConflictError,
    InsufficientFundsError,
    InvalidCodeError,
    InvalidCollectionCodeError,
    InvalidInputError,
    InvalidPinError,
    LimitExceededError,
    NotAuthenticatedError,
    NotFoundError,
    NotReachableError,
    OrderNotPayableError,
    PinLockedError,
    RateLimitedError,
    RecipientUnavailableError,
    TemporarilyUnavailableError,
    VerificationRequiredError,
    errors_as_data,
)
from schema.ids import decode_id
from schema.wallet.mutations import TransferSuccess
from schema.wallet.types import Transfer, Wallet


@strawberry.type(description="The collection code, as issued or revoked.")
class CollectionCodeSuccess:
    collection_code: CollectionCode = strawberry.field(description="The code.")


CreateCollectionCodeResult = Annotated[
    CollectionCodeSuccess | LimitExceededError | VerificationRequiredError | RateLimitedError | InvalidInputError
    | NotAuthenticatedError | TemporarilyUnavailableError,
    strawberry.union("CreateCollectionCodeResult",
                     description="`createCollectionCode`'s answer: the new code, or an error to handle.")]
RevokeCollectionCodeResult = Annotated[
    CollectionCodeSuccess | NotFoundError | NotAuthenticatedError | TemporarilyUnavailableError,
    strawberry.union("RevokeCollectionCodeResult",
                     description="`revokeCollectionCode`'s answer: the revoked code, or an error to handle.")]
PayByCodeResult = Annotated[
    TransferSuccess | InvalidCollectionCodeError | CollectionCodeRefusedError | InsufficientFundsError
    | LimitExceededError | RecipientUnavailableError | NotFoundError | NotReachableError | IdempotencyConflictError
    | InvalidPinError | PinLockedError | VerificationRequiredError | InvalidCodeError | InvalidInputError
    | NotAuthenticatedError | RateLimitedError | TemporarilyUnavailableError | ApprovalRejectedError
    | OrderNotPayableError,
    strawberry.union("PayByCodeResult",
                     description="`payByCode`'s answer: the transfer and your wallet after it, or an error to handle.")]


@strawberry.type
class CodeMutation:
    @strawberry.mutation(description="Issue a code that asks for a fixed amount (your static code is "
                                     "`myCollectionCode`). Up to 30 an hour.")
    @errors_as_data
    async def create_collection_code(self, info: Info, input: CreateCollectionCodeInput) -> CreateCollectionCodeResult:
        rt = info.context.rt
        code = await service.create_code(rt, info.context.require_viewer(),
                                         amount_minor=parse_amount(input.amount, rt.settings.currency),
                                         memo=input.memo)
        return CollectionCodeSuccess(collection_code=CollectionCode.of(info, code))

    @strawberry.mutation(description="Revoke one of your codes: its payload is refused from now on (printed copies "
                                     "too). Revoking your static code makes `myCollectionCode` issue a new one. "
                                     "Revoking a revoked code changes nothing.")
    @errors_as_data
    async def revoke_collection_code(self, info: Info, input: RevokeCollectionCodeInput
                                     ) -> RevokeCollectionCodeResult:
        code = await service.revoke_code(info.context.rt, info.context.require_viewer(),
                                         decode_id(input.code_id, "CollectionCode", "codeId"))
        return CollectionCodeSuccess(collection_code=CollectionCode.of(info, code))

    @strawberry.mutation(description="Pay whoever a scanned code names. The code is its owner's consent: no "
                                     "contact needed, and the money arrives at once; a block still refuses. It "
                                     "shows in your direct conversation, as sendMoney does.")
    @errors_as_data
    async def pay_by_code(self, info: Info, input: PayByCodeInput) -> PayByCodeResult:
        rt = info.context.rt
        amount = parse_amount(input.amount, rt.settings.currency) if input.amount is not None else None
        sent = await pay.pay_by_code(
            rt, info.context.require_viewer(), payload=input.payload, amount_minor=amount, memo=input.memo,
            pin=input.pin, idempotency_key=input.idempotency_key, step_up_code=input.step_up_code,
            device_assertion=input.approval.device_assertion if input.approval else None)
        return TransferSuccess(transfer=Transfer.from_model(sent.transfer), wallet=Wallet.from_model(sent.wallet))
