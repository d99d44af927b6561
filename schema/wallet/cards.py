"""Card mutations: bind (the bank texts a code), confirm with that code, remove."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.cards import binding
from app.errors import DomainError
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
    from_domain,
)
from schema.ids import decode_id
from schema.wallet.inputs import BindCardInput, ConfirmCardBindingInput, RemoveCardInput
from schema.wallet.types import Card


@strawberry.type(description="The bank has sent a code by SMS to your phone; confirm it with "
                             "`confirmCardBinding(bindingId: card.id)`. Three wrong codes fail the binding.")
class CardBindingStarted:
    card: Card


@strawberry.type
class CardSuccess:
    card: Card


@strawberry.type
class CardRemoved:
    card_id: strawberry.ID


BindCardResult = Annotated[
    CardBindingStarted | CardDeclinedError | AlreadyExistsError | InvalidPinError | PinLockedError
    | VerificationRequiredError | InvalidInputError | NotAuthenticatedError | RateLimitedError
    | TemporarilyUnavailableError | IdempotencyConflictError, strawberry.union("BindCardResult")]
ConfirmCardBindingResult = Annotated[
    CardSuccess | InvalidCodeError | NotFoundError | AlreadyExistsError | InvalidInputError | NotAuthenticatedError
    | IdempotencyConflictError, strawberry.union("ConfirmCardBindingResult")]
RemoveCardResult = Annotated[
    CardRemoved | NotFoundError | InvalidPinError | PinLockedError | VerificationRequiredError | InvalidInputError
    | NotAuthenticatedError | TemporarilyUnavailableError | IdempotencyConflictError,
    strawberry.union("RemoveCardResult")]


@strawberry.type
class CardMutation:
    @strawberry.mutation(description="Link a bank card. The number and CVV go to the bank once and are "
                                     "never stored; the bank answers with a code by SMS.")
    async def bind_card(self, info: Info, input: BindCardInput) -> BindCardResult:
        try:
            card = await binding.bind_card(
                info.context.rt, info.context.require_viewer(), number=input.number,
                expiry_month=input.expiry_month, expiry_year=input.expiry_year, cvv=input.cvv,
                holder_name=input.holder_name, pin=input.pin, idempotency_key=input.idempotency_key)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return CardBindingStarted(card=Card.from_model(card))

    @strawberry.mutation(description="Finish linking a card with the code the bank sent.")
    async def confirm_card_binding(self, info: Info, input: ConfirmCardBindingInput) -> ConfirmCardBindingResult:
        try:
            card = await binding.confirm_binding(info.context.rt, info.context.require_viewer(),
                                                 decode_id(input.binding_id, "Card", "bindingId"), input.code,
                                                 idempotency_key=input.idempotency_key)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return CardSuccess(card=Card.from_model(card))

    @strawberry.mutation(description="Unlink a card (payment PIN required).")
    async def remove_card(self, info: Info, input: RemoveCardInput) -> RemoveCardResult:
        try:
            await binding.remove_card(info.context.rt, info.context.require_viewer(),
                                      decode_id(input.card_id, "Card", "cardId"), input.pin,
                                      idempotency_key=input.idempotency_key)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return CardRemoved(card_id=input.card_id)
