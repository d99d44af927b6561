"""Error types: every expected failure is a member of a mutation's result union.

There is one error hierarchy, the domain's (app/errors.py). Each GraphQL error type here is its
projection, declared once with `@shows(domain.X)`: its fields are read from the domain error by name
(or through a converter), so no second table maps one onto the other. `@errors_as_data` is the one
adapter that turns a raised DomainError into the union member of its nearest class.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import strawberry

from app import errors as domain
from app.errors import ErrorCode as DomainErrorCode
from schema.enums import register_enum

# Registered under its GraphQL name; annotations use the domain enum itself.
ErrorCode = DomainErrorCode
register_enum(DomainErrorCode, name="ErrorCode", description="Machine-readable error codes.", values={
    "INVALID_INPUT": "An input field is malformed (InvalidInputError).",
    "NOT_AUTHENTICATED": "No live session (NotAuthenticatedError).",
    "NOT_FOUND": "No such object, or not the viewer's (NotFoundError).",
    "FORBIDDEN": "Not allowed to the viewer (ForbiddenError).",
    "RATE_LIMITED": "Too many attempts (RateLimitedError).",
    "INVALID_CREDENTIALS": "Wrong phone number or password (InvalidCredentialsError).",
    "INVALID_CODE": "Wrong, expired or used one-time code (InvalidCodeError).",
    "ALREADY_EXISTS": "It exists already (AlreadyExistsError).",
    "IDENTITY_REJECTED": "The identity document was refused (IdentityRejectedError).",
    "VERIFICATION_REQUIRED": "A gate is missing: identity, PIN, wallet or a code (VerificationRequiredError).",
    "INVALID_PIN": "Wrong payment PIN (InvalidPinError).",
    "PIN_LOCKED": "Payments locked after wrong PINs (PinLockedError).",
    "INSUFFICIENT_FUNDS": "The wallet holds too little (InsufficientFundsError).",
    "LIMIT_EXCEEDED": "Over a transfer limit (LimitExceededError).",
    "CARD_DECLINED": "The bank said no (CardDeclinedError).",
    "IDEMPOTENCY_CONFLICT": "An idempotency key reused with other parameters (IdempotencyConflictError).",
    "CONFLICT": "A concurrent change won; read again and retry.",
    "TEMPORARILY_UNAVAILABLE": "A dependency is briefly down; retry (TemporarilyUnavailableError).",
    "RECIPIENT_UNAVAILABLE": "The payee cannot receive money (RecipientUnavailableError).",
    "MESSAGE_LOCKED": "The message can no longer be edited or recalled (MessageLockedError).",
    "REQUEST_CLOSED": "The request is cancelled or already paid by the viewer (RequestClosedError).",
    "NOT_REACHABLE": "Blocked, or the person's privacy settings do not allow it (NotReachableError).",
    "APPROVAL_REJECTED": "A device assertion that does not approve this payment (ApprovalRejectedError).",
    "RED_PACKET_UNAVAILABLE": "No share of this red packet for the viewer (RedPacketUnavailableError).",
    "TRANSFER_NOT_PENDING": "The transfer no longer waits for acceptance (TransferNotPendingError).",
    "REFUND_REFUSED": "The refund is refused (RefundRefusedError).",
    "ORDER_NOT_PAYABLE": "The merchant order is already paid or has expired (OrderNotPayableError).",
    "INVALID_COLLECTION_CODE": "Not a collection code this server signed (InvalidCollectionCodeError).",
    "COLLECTION_CODE_REFUSED": "A genuine collection code that cannot be paid this way (CollectionCodeRefusedError).",
})


Builder = Callable[[domain.DomainError], "Error"]
ErrorType = TypeVar("ErrorType")
_TABLE: dict[type[domain.DomainError], Builder] = {}


def register(exc_type: type[domain.DomainError], build: Builder) -> None:
    """Tell `from_domain` how to show one more domain error."""
    _TABLE[exc_type] = build


def shows(exc_type: type[domain.DomainError], **convert: Callable[[Any], object]
          ) -> Callable[[type[ErrorType]], type[ErrorType]]:
    """Declare a GraphQL error type as the face of `exc_type`: each field is the domain error's
    attribute of the same name, or `convert[field](error)`. Put it above `@strawberry.type`."""
    def decorate(gql_type: type[ErrorType]) -> type[ErrorType]:
        names = [f.python_name for f in gql_type.__strawberry_definition__.fields]  # type: ignore[attr-defined]

        def build(exc: domain.DomainError) -> Error:
            values = {n: convert[n](exc) if n in convert else getattr(exc, n) for n in names}
            return gql_type(**values)  # type: ignore[return-value]

        register(exc_type, build)
        return gql_type

    return decorate


def from_domain(exc: domain.DomainError) -> Error:
    for cls in type(exc).__mro__:
        build = _TABLE.get(cls)
        if build is not None:
            return build(exc)
    raise exc


P = ParamSpec("P")
R = TypeVar("R")


def errors_as_data(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """The one way a domain error leaves a resolver: as the member of its result union.

    Put it under `@strawberry.mutation(...)`; the resolver then just calls its service and returns
    the success type. Anything that is not a DomainError still propagates (and is masked).
    """
    @functools.wraps(resolver)
    async def resolve(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except domain.DomainError as exc:
            result: Any = from_domain(exc)
            return result

    return resolve


@strawberry.interface(description="Something the client can act on.")
class Error:
    code: ErrorCode = strawberry.field(description="Stable and machine-readable: switch on it (or on `__typename`).")
    message: str = strawberry.field(description="English prose for logs and fallbacks; never parse it.")


@strawberry.type(description="One invalid input field.")
class FieldError:
    field: str = strawberry.field(description="The input field's name, e.g. `phone`.")
    message: str = strawberry.field(description="What is wrong with it, e.g. \"must be 6 digits\".")


@shows(domain.InvalidInput, fields=lambda e: [FieldError(field=p.field, message=p.message) for p in e.problems])
@strawberry.type(description="An input field is malformed; nothing was changed.")
class InvalidInputError(Error):
    fields: list[FieldError] = strawberry.field(
        description="Each invalid field with what is wrong with it: mark them on the form.")


@shows(domain.NotAuthenticated)
@strawberry.type(description="No session, or it expired or was signed out: sign in again.")
class NotAuthenticatedError(Error):
    pass


@shows(domain.NotFound)
@strawberry.type(description="No such object, or it is not the viewer's (the two are indistinguishable).")
class NotFoundError(Error):
    pass


@shows(domain.Forbidden)
@strawberry.type(description="The viewer may see the object but not do this to it.")
class ForbiddenError(Error):
    pass


@shows(domain.RateLimited)
@strawberry.type(description="Too many attempts or codes: wait, then try again.")
class RateLimitedError(Error):
    retry_after_seconds: int = strawberry.field(description="Seconds until the next attempt is allowed.")


@shows(domain.TemporarilyUnavailable)
@strawberry.type(
    description="A dependency (the bank, the database) is briefly unavailable: retry, with the same idempotency key "
                "for money.")
class TemporarilyUnavailableError(Error):
    pass


@shows(domain.InvalidCredentials)
@strawberry.type(description="The phone number or password is wrong (the same answer for an unknown number).")
class InvalidCredentialsError(Error):
    pass


@shows(domain.InvalidCode)
@strawberry.type(description="The one-time code is wrong, expired or already used.")
class InvalidCodeError(Error):
    attempts_left: int = strawberry.field(description="0 means the code is dead: request a new one.")


@shows(domain.AlreadyExists)
@strawberry.type(description="It exists already (the account, the verified identity, the linked card).")
class AlreadyExistsError(Error):
    pass


@shows(domain.IdentityRejected)
@strawberry.type(description="The identity document was refused.")
class IdentityRejectedError(Error):
    reason: str = strawberry.field(description="UNDERAGE, BAD_CHECK_CHARACTER, BIRTH_DATE_MISMATCH, "
                                               "DOCUMENT_IN_USE")


@strawberry.type(description="A gate the user still has to pass.")
class Requirement:
    name: str = strawberry.field(description="IDENTITY, PAYMENT_PIN, WALLET (open it first), or CODE (see purpose).")
    purpose: str | None = strawberry.field(
        default=None, description="For CODE: the code's purpose (e.g. STEP_UP); null otherwise.")


@shows(domain.VerificationRequired, missing=lambda e: [Requirement(name=r.name, purpose=r.purpose) for r in e.missing])
@strawberry.type(description="A gate is missing: lead the user through each requirement, then try again.")
class VerificationRequiredError(Error):
    missing: list[Requirement] = strawberry.field(description="What is still needed, in the order to do it.")
    device_challenge: str | None = strawberry.field(
        default=None,
        description="When a payment may be approved on an enrolled device: WebAuthn request options (JSON) "
                    "whose challenge is bound to exactly this payment. Sign it with the device and repeat the "
                    "same mutation with `approval: {deviceAssertion}` instead of `pin`.")


@shows(domain.InvalidPin)
@strawberry.type(description="The payment PIN is wrong; nothing was moved.")
class InvalidPinError(Error):
    attempts_left: int = strawberry.field(description="Wrong PINs left before payments lock.")


@shows(domain.PinLocked)
@strawberry.type(description="Too many wrong PINs: payments are locked for a while.")
class PinLockedError(Error):
    locked_until: datetime | None = strawberry.field(
        description="When payments unlock; offer `resetPaymentPin` meanwhile.")


# Members of every mutation's union: a client may always meet these.
COMMON_ERRORS = (InvalidInputError, NotAuthenticatedError, RateLimitedError, TemporarilyUnavailableError)


@shows(domain.MessageLocked)
@strawberry.type(description="The message can no longer be changed this way.")
class MessageLockedError(Error):
    reason: str = strawberry.field(description="NOT_AUTHOR, NOT_TEXT, RECALLED or WINDOW_CLOSED.")


@shows(domain.RequestClosed)
@strawberry.type(description="The request cannot be paid (any more) by the viewer.")
class RequestClosedError(Error):
    reason: str = strawberry.field(description="CANCELLED or ALREADY_PAID.")


# Wallet errors. Amounts are Money (exact decimal strings), never Int.
from schema.money import Money  # noqa: E402  (Money depends on nothing above; kept beside its users)


@shows(domain.InsufficientFunds, available=lambda e: Money.of(e.balance_minor, e.currency),
       requested=lambda e: Money.of(e.amount_minor, e.currency))
@strawberry.type(description="The wallet holds less than the amount; nothing was moved.")
class InsufficientFundsError(Error):
    available: Money = strawberry.field(description="The wallet balance now.")
    requested: Money = strawberry.field(description="The amount asked for.")


@shows(domain.LimitExceeded, limit_amount=lambda e: Money.of(e.limit_minor, e.currency),
       remaining=lambda e: Money.of(e.remaining_minor, e.currency))
@strawberry.type(description="Over a transfer limit; nothing was moved.")
class LimitExceededError(Error):
    limit: str = strawberry.field(description="PER_TRANSFER or DAILY (Asia/Shanghai day).")
    limit_amount: Money = strawberry.field(description="The limit itself.")
    remaining: Money = strawberry.field(description="What may still be sent under this limit.")


@shows(domain.CardDeclined)
@strawberry.type(description="The bank declined the card or the charge.")
class CardDeclinedError(Error):
    reason: str = strawberry.field(description="DECLINED, INSUFFICIENT_FUNDS, EXPIRED_CARD, ...")


@shows(domain.IdempotencyConflict)
@strawberry.type(
    description="The idempotency key was used before with other parameters (a client bug: make a fresh key per "
                "payment). Nothing was moved.")
class IdempotencyConflictError(Error):
    pass


@shows(domain.RecipientUnavailable)
@strawberry.type(description="The payee cannot receive money.")
class RecipientUnavailableError(Error):
    reason: str = strawberry.field(description="SELF (to yourself) or NO_WALLET (no wallet opened yet).")


# People: one answer for "blocked" and for "their settings do not allow it".
@shows(domain.NotReachable)
@strawberry.type(description="This person cannot be reached this way: blocked, or their privacy settings do not "
                             "allow it (the two answers are the same on purpose).")
class NotReachableError(Error):
    pass


@shows(domain.AccountNotEmpty)
@strawberry.type(description="The account cannot be deleted yet.")
class AccountNotEmptyError(Error):
    reason: str = strawberry.field(description="MONEY_LEFT (withdraw first) or PENDING_OPERATIONS.")


@shows(domain.ApprovalRejected)
@strawberry.type(description="A device assertion that does not approve this payment (another amount or payee, a "
                             "replay, an expired challenge, a removed or suspended device, no user verification). "
                             "It counts against the same attempts as a wrong PIN.")
class ApprovalRejectedError(Error):
    attempts_left: int = strawberry.field(description="PIN and device attempts left before payments lock.")


# Money between people.
@shows(domain.RedPacketUnavailable)
@strawberry.type(description="This member cannot take a share of the red packet.")
class RedPacketUnavailableError(Error):
    reason: str = strawberry.field(description="NOT_ELIGIBLE, ALREADY_OPENED, EMPTY or EXPIRED.")


@shows(domain.TransferNotPending)
@strawberry.type(description="The transfer no longer waits for acceptance.")
class TransferNotPendingError(Error):
    state: str = strawberry.field(description="ACCEPTED, RETURNED or EXPIRED: what already happened to it.")


@shows(domain.RefundRefused, remaining=lambda e: Money.of(e.remaining_minor, e.currency))
@strawberry.type(description="The refund is refused; nothing moved.")
class RefundRefusedError(Error):
    reason: str = strawberry.field(description="NOT_REFUNDABLE or EXCEEDS_REMAINING.")
    remaining: Money = strawberry.field(description="What may still be refunded of the transfer.")


@shows(domain.OrderNotPayable)
@strawberry.type(description="The merchant order cannot be paid; nothing moved.")
class OrderNotPayableError(Error):
    reason: str = strawberry.field(description="ALREADY_PAID or EXPIRED.")


@shows(domain.InvalidCollectionCode)
@strawberry.type(description="Not a collection code this server signed (forged, altered, truncated, or under a "
                             "retired key); nothing moved. Ask the payee for their code again.")
class InvalidCollectionCodeError(Error):
    pass


@shows(domain.CollectionCodeRefused)
@strawberry.type(description="A genuine collection code that cannot be paid this way; nothing moved.")
class CollectionCodeRefusedError(Error):
    reason: str = strawberry.field(description="REVOKED (the payee revoked it: ask for their new code), "
                                               "AMOUNT_MISMATCH (a fixed-amount code paid with another amount) "
                                               "or UNSUPPORTED (this kind of payee cannot be paid by code yet).")
