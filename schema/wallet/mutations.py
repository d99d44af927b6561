"""PIN and wallet mutations, and the money movements: top-up, withdrawal, sendMoney.

Each authenticates, parses the amount at the edge, calls one service and maps the outcome.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Protocol

import strawberry

from app.errors import InvalidInput, NotFound
from app.ledger.amounts import parse_amount
from app.payments import funding, transfers, wallets
from app.people.privacy import find_by_phone
from app.pin import service as pin_service
from app.runtime import Runtime
from models import Transfer as TransferModel
from models import User as UserModel
from models.events import Channel
from schema.context import Info
from schema.errors import (
    AlreadyExistsError,
    ApprovalRejectedError,
    CardDeclinedError,
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
    TemporarilyUnavailableError,
    VerificationRequiredError,
    errors_as_data,
)
from schema.ids import decode_id
from schema.wallet.inputs import (
    CardMoneyInput,
    ChangePaymentPinInput,
    RecipientInput,
    ResetPaymentPinInput,
    SendMoneyInput,
    SetPaymentPinInput,
)
from schema.wallet.types import Transfer, Wallet


@strawberry.type(description="The payment PIN is set (or changed, or reset); an SMS tells the owner.")
class PinSuccess:
    ok: bool = strawberry.field(default=True, description="Always true.")


@strawberry.type(description="The wallet is open.")
class WalletSuccess:
    wallet: Wallet = strawberry.field(description="The new wallet.")


@strawberry.type(description="Money moved (or, for a withdrawal still with the bank, is on its way).")
class TransferSuccess:
    transfer: Transfer = strawberry.field(description="The transfer, with its state.")
    wallet: Wallet = strawberry.field(description="Your wallet after the movement.")


SetPinResult = Annotated[
    PinSuccess | AlreadyExistsError | VerificationRequiredError | InvalidInputError | NotAuthenticatedError
    | TemporarilyUnavailableError,
    strawberry.union("SetPaymentPinResult", description="`setPaymentPin`'s answer: PinSuccess, or an error to handle.")]
ChangePinResult = Annotated[
    PinSuccess | InvalidPinError | PinLockedError | VerificationRequiredError | InvalidInputError
    | NotAuthenticatedError | TemporarilyUnavailableError,
    strawberry.union("ChangePaymentPinResult",
                     description="`changePaymentPin`'s answer: PinSuccess, or an error to handle.")]
ResetPinResult = Annotated[
    PinSuccess | InvalidCodeError | VerificationRequiredError | InvalidInputError | NotAuthenticatedError
    | RateLimitedError | TemporarilyUnavailableError,
    strawberry.union("ResetPaymentPinResult",
                     description="`resetPaymentPin`'s answer: PinSuccess, or an error to handle.")]
OpenWalletResult = Annotated[WalletSuccess | VerificationRequiredError | NotAuthenticatedError,
    strawberry.union("OpenWalletResult", description="`openWallet`'s answer: the wallet, or which gate is missing.")]
CardMoneyErrors = (CardDeclinedError | ApprovalRejectedError
                   | InvalidPinError | PinLockedError | NotFoundError | IdempotencyConflictError
                   | VerificationRequiredError | InvalidInputError | NotAuthenticatedError
                   | TemporarilyUnavailableError)
TopUpResult = Annotated[TransferSuccess | CardMoneyErrors,
    strawberry.union("TopUpResult",
                     description="`topUp`'s answer: the transfer and the wallet after it, or an error to handle.")]
WithdrawResult = Annotated[TransferSuccess | InsufficientFundsError | LimitExceededError | CardMoneyErrors,
    strawberry.union("WithdrawResult",
                     description="`withdraw`'s answer: the transfer and the wallet after it, or an error to handle.")]
SendMoneyResult = Annotated[
    TransferSuccess | InsufficientFundsError | LimitExceededError | RecipientUnavailableError | NotFoundError
    | NotReachableError
    | IdempotencyConflictError | InvalidPinError | PinLockedError | VerificationRequiredError | InvalidCodeError
    | InvalidInputError | NotAuthenticatedError | RateLimitedError | TemporarilyUnavailableError
    | ApprovalRejectedError,
    strawberry.union("SendMoneyResult",
                     description="`sendMoney`'s answer: the transfer and the wallet after it, or an error to handle.")]


class CardMove(Protocol):
    def __call__(self, rt: Runtime, user: UserModel, *, card_id: int, amount_minor: int, pin: str | None,
                 idempotency_key: str, device_assertion: str | None = None) -> Awaitable[TransferModel]: ...


async def _success(user: UserModel, transfer: TransferModel) -> TransferSuccess:
    wallet = await wallets.wallet_of(user)
    assert wallet is not None, "money moved for a user without a wallet"
    return TransferSuccess(transfer=Transfer.from_model(transfer), wallet=Wallet.from_model(wallet))


@errors_as_data
async def _card_money(info: Info, input: CardMoneyInput, move: CardMove) -> object:
    """Top-up and withdrawal differ only in which way the money goes."""
    rt = info.context.rt
    viewer = info.context.require_viewer()
    transfer = await move(rt, viewer, card_id=decode_id(input.card_id, "Card", "cardId"),
                          amount_minor=parse_amount(input.amount, rt.settings.currency), pin=input.pin,
                          idempotency_key=input.idempotency_key,
                          device_assertion=input.approval.device_assertion if input.approval else None)
    return await _success(viewer, transfer)


async def _payee_id(to: RecipientInput, viewer: UserModel) -> int:
    if (to.user_id is None) == (to.phone is None):
        raise InvalidInput("to", "give exactly one of userId or phone")
    if to.user_id is not None:
        return decode_id(to.user_id, "User", "to.userId")
    found = await find_by_phone(viewer.id, to.phone or "", field="to.phone")  # people: as findUser shows
    if found is None:
        raise NotFound("user")
    return found.id


@strawberry.type
class WalletMutation:
    @strawberry.mutation(description="Set the first payment PIN (needs a verified identity).")
    @errors_as_data
    async def set_payment_pin(self, info: Info, input: SetPaymentPinInput) -> SetPinResult:
        await pin_service.set_pin(info.context.rt, info.context.require_viewer(), input.pin)
        return PinSuccess()

    @strawberry.mutation(description="Change the payment PIN with the current one.")
    @errors_as_data
    async def change_payment_pin(self, info: Info, input: ChangePaymentPinInput) -> ChangePinResult:
        await pin_service.change_pin(info.context.rt, info.context.require_viewer(), input.old_pin,
                                     input.new_pin)
        return PinSuccess()

    @strawberry.mutation(description="Forgotten PIN: a RESET_PIN code plus your identity document number. "
                                     "Also lifts a PIN lock and signs out every other session.")
    @errors_as_data
    async def reset_payment_pin(self, info: Info, input: ResetPaymentPinInput) -> ResetPinResult:
        viewer = info.context.require_viewer()
        assert info.context.session is not None, "a viewer always comes with its session"
        await pin_service.reset_pin(info.context.rt, viewer, session_id=info.context.session.id,
                                    channel=Channel(input.channel.value), code=input.code,
                                    document_number=input.document_number, new_pin=input.new_pin)
        return PinSuccess()

    @strawberry.mutation(description="Open the wallet once identity (18+) and a payment PIN are in place; "
                                     "otherwise says which steps are missing.")
    @errors_as_data
    async def open_wallet(self, info: Info) -> OpenWalletResult:
        wallet = await wallets.open_wallet(info.context.rt, info.context.require_viewer())
        return WalletSuccess(wallet=Wallet.from_model(wallet))

    @strawberry.mutation(description="Move money from a linked card into the wallet.")
    async def top_up(self, info: Info, input: CardMoneyInput) -> TopUpResult:
        return await _card_money(info, input, funding.top_up)  # type: ignore[return-value]

    @strawberry.mutation(description="Move money from the wallet to a linked card. Counts against the daily "
                                     "outgoing limit, as transfers do.")
    async def withdraw(self, info: Info, input: CardMoneyInput) -> WithdrawResult:
        return await _card_money(info, input, funding.withdraw)  # type: ignore[return-value]

    @strawberry.mutation(description="Send money to a contact, by user id or phone number; it also appears "
                                     "in your direct conversation. Large amounts need a STEP_UP code.")
    @errors_as_data
    async def send_money(self, info: Info, input: SendMoneyInput) -> SendMoneyResult:
        rt = info.context.rt
        viewer = info.context.require_viewer()
        payee_id = await _payee_id(input.to, viewer)
        amount_minor = parse_amount(input.amount, rt.settings.currency)
        sent = await transfers.send_money(
            rt, viewer, payee_id=payee_id, amount_minor=amount_minor, memo=input.memo, pin=input.pin,
            device_assertion=input.approval.device_assertion if input.approval else None,
            idempotency_key=input.idempotency_key, step_up_code=input.step_up_code,
            require_acceptance=input.require_acceptance)
        return TransferSuccess(transfer=Transfer.from_model(sent.transfer), wallet=Wallet.from_model(sent.wallet))
