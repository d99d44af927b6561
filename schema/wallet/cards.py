"""Card mutations: bind (the bank texts a code), confirm with that code, remove."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.cards import binding
from schema.context import Info
from schema.errors import (
    AlreadyExistsError,
    CardDeclinedError,
    IdempotencyConflictError,
    InvalidCodeError,
    InvalidInputError,
    InvalidPinError,
    NotAuthenticatedError,
    NotFoundError,
    PinLockedError,
    RateLimitedError,
    TemporarilyUnavailableError,
    VerificationRequiredError,
    errors_as_data,
)
from schema.ids import decode_id
from schema.wallet.inputs import BindCardInput, ConfirmCardBindingInput, RemoveCardInput
from schema.wallet.types import Card


@strawberry.type(description="The bank has sent a code by SMS to your phone; confirm it with "
                             "`confirmCardBinding(bindingId: card.id)`. Three wrong codes fail the binding.")
class CardBindingStarted:
    card: Card = strawberry.field(description="The PENDING card; its `id` is the `bindingId` to confirm with.")


@strawberry.type(description="The card is linked.")
class CardSuccess:
    card: Card = strawberry.field(description="The ACTIVE card.")


@strawberry.type(description="The card is unlinked.")
class CardRemoved:
    card_id: strawberry.ID = strawberry.field(description="The id of the card that was removed.")


BindCardResult = Annotated[
    CardBindingStarted | CardDeclinedError | AlreadyExistsError | InvalidPinError | PinLockedError
    | VerificationRequiredError | InvalidInputError | NotAuthenticatedError | RateLimitedError
    | TemporarilyUnavailableError | IdempotencyConflictError,
    strawberry.union("BindCardResult", description="`bindCard`'s answer: the PENDING card, or an error to handle.")]
ConfirmCardBindingResult = Annotated[
    CardSuccess | InvalidCodeError | NotFoundError | AlreadyExistsError | InvalidInputError | NotAuthenticatedError
    | IdempotencyConflictError,
    strawberry.union("ConfirmCardBindingResult",
                     description="`confirmCardBinding`'s answer: the ACTIVE card, or an error to handle.")]
RemoveCardResult = Annotated[
    CardRemoved | NotFoundError | InvalidPinError | PinLockedError | VerificationRequiredError | InvalidInputError
    | NotAuthenticatedError | TemporarilyUnavailableError | IdempotencyConflictError,
    strawberry.union("RemoveCardResult", description="`removeCard`'s answer: CardRemoved, or an error to handle.")]


@strawberry.type
class CardMutation:
    @strawberry.mutation(description="Link a bank card. The number and CVV go to the bank once and are "
                                     "never stored; the bank answers with a code by SMS.")
    @errors_as_data
    async def bind_card(self, info: Info, input: BindCardInput) -> BindCardResult:
        card = await binding.bind_card(
            info.context.rt, info.context.require_viewer(), number=input.number,
            expiry_month=input.expiry_month, expiry_year=input.expiry_year, cvv=input.cvv,
            holder_name=input.holder_name, pin=input.pin, idempotency_key=input.idempotency_key)
        return CardBindingStarted(card=Card.from_model(card))

    @strawberry.mutation(description="Finish linking a card with the code the bank sent.")
    @errors_as_data
    async def confirm_card_binding(self, info: Info, input: ConfirmCardBindingInput) -> ConfirmCardBindingResult:
        card = await binding.confirm_binding(info.context.rt, info.context.require_viewer(),
                                             decode_id(input.binding_id, "Card", "bindingId"), input.code,
                                             idempotency_key=input.idempotency_key)
        return CardSuccess(card=Card.from_model(card))

    @strawberry.mutation(description="Unlink a card (payment PIN required).")
    @errors_as_data
    async def remove_card(self, info: Info, input: RemoveCardInput) -> RemoveCardResult:
        await binding.remove_card(info.context.rt, info.context.require_viewer(),
                                  decode_id(input.card_id, "Card", "cardId"), input.pin,
                                  idempotency_key=input.idempotency_key)
        return CardRemoved(card_id=input.card_id)
