"""Transfers that wait for the recipient: the setting, accept and return."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.errors import DomainError
from app.payments import acceptance, wallets
from models import TransferAcceptance as DomainAcceptance
from schema.context import Info
from schema.enums import register_enum
from schema.errors import (
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    RateLimitedError,
    TemporarilyUnavailableError,
    TransferNotPendingError,
    from_domain,
)
from schema.ids import decode_id
from schema.wallet.types import Transfer, Wallet

TransferAcceptance = DomainAcceptance
register_enum(DomainAcceptance, name="TransferAcceptance", description="Whether transfers to me wait for me.",
              values={"AUTOMATIC": "Transfers to me arrive at once.",
                      "MANUAL": "Transfers to me wait for my acceptance (24 h, then they go back)."})


@strawberry.input(description="Wallet settings; omitted fields stay as they are.")
class UpdateWalletSettingsInput:
    transfer_acceptance: TransferAcceptance = strawberry.field(description="Whether transfers to me wait for me.")


@strawberry.input(description="A transfer waiting for your acceptance.")
class AcceptTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="Global id of the `Transfer`.")


@strawberry.input(description="Send a waiting transfer back.")
class ReturnTransferInput:
    transfer_id: strawberry.ID = strawberry.field(description="Global id of the `Transfer`.")
    reason: str = strawberry.field(default="", description="Up to 100 characters, shown to the payer.")


@strawberry.type(description="Your wallet settings.")
class WalletSettings:
    transfer_acceptance: TransferAcceptance = strawberry.field(description="AUTOMATIC or MANUAL.")


@strawberry.type(description="The waiting transfer is decided.")
class TransferDecided:
    transfer: Transfer = strawberry.field(description="The transfer, now COMPLETED or RETURNED.")
    wallet: Wallet | None = strawberry.field(description="Your wallet after it.")


_Errors = InvalidInputError | NotAuthenticatedError | RateLimitedError | TemporarilyUnavailableError
WalletSettingsResult = Annotated[WalletSettings | _Errors, strawberry.union(
        "UpdateWalletSettingsResult", description="`updateWalletSettings`'s answer: the settings now, or an error.")]
DecideResult = Annotated[TransferDecided | TransferNotPendingError | NotFoundError | _Errors,
                         strawberry.union("DecideTransferResult",
                                          description="What accepting or returning a transfer answers.")]


@strawberry.type
class AcceptanceMutation:
    @strawberry.mutation(description="Whether transfers to you wait for your acceptance.")
    async def update_wallet_settings(self, info: Info, input: UpdateWalletSettingsInput) -> WalletSettingsResult:
        try:
            pref = await acceptance.update_settings(info.context.require_viewer(),
                                                    transfer_acceptance=DomainAcceptance(input.transfer_acceptance))
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return WalletSettings(transfer_acceptance=pref.transfer_acceptance)

    @strawberry.mutation(description="Take a transfer that waits for you: the money arrives in your wallet.")
    async def accept_transfer(self, info: Info, input: AcceptTransferInput) -> DecideResult:
        try:
            viewer = info.context.require_viewer()
            transfer = await acceptance.accept_transfer(info.context.rt, viewer,
                                                        transfer_id=decode_id(input.transfer_id, "Transfer",
                                                                              "transferId"))
            wallet = await wallets.wallet_of(viewer)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return TransferDecided(transfer=Transfer.from_model(transfer),
                               wallet=Wallet.from_model(wallet) if wallet else None)

    @strawberry.mutation(description="Send a transfer that waits for you back to the payer.")
    async def return_transfer(self, info: Info, input: ReturnTransferInput) -> DecideResult:
        try:
            viewer = info.context.require_viewer()
            transfer = await acceptance.return_transfer(
                info.context.rt, viewer, transfer_id=decode_id(input.transfer_id, "Transfer", "transferId"),
                reason=input.reason)
            wallet = await wallets.wallet_of(viewer)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return TransferDecided(transfer=Transfer.from_model(transfer),
                               wallet=Wallet.from_model(wallet) if wallet else None)
