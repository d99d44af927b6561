"""Error types: every expected failure is a member of a mutation's result union.

Each implements `Error { code, message }`. `from_domain` turns a service's DomainError into its
GraphQL type through one table, so no resolver invents error strings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import strawberry

from app import errors as domain
from app.errors import ErrorCode as DomainErrorCode

# Registered under its GraphQL name; annotations use the domain enum itself.
ErrorCode = DomainErrorCode
strawberry.enum(DomainErrorCode, name="ErrorCode", description="Machine-readable error codes.")


@strawberry.interface(description="Something the client can act on.")
class Error:
    code: ErrorCode
    message: str


@strawberry.type(description="One invalid input field.")
class FieldError:
    field: str = strawberry.field(description="The input field's name, e.g. `phone`.")
    message: str


@strawberry.type
class InvalidInputError(Error):
    fields: list[FieldError]


@strawberry.type
class NotAuthenticatedError(Error):
    pass


@strawberry.type
class NotFoundError(Error):
    pass


@strawberry.type
class ForbiddenError(Error):
    pass


@strawberry.type
class RateLimitedError(Error):
    retry_after_seconds: int


@strawberry.type
class TemporarilyUnavailableError(Error):
    pass


@strawberry.type
class InvalidCredentialsError(Error):
    pass


@strawberry.type
class InvalidCodeError(Error):
    attempts_left: int = strawberry.field(description="0 means the code is dead: request a new one.")


@strawberry.type
class AlreadyExistsError(Error):
    pass


@strawberry.type
class IdentityRejectedError(Error):
    reason: str = strawberry.field(description="UNDERAGE, BAD_CHECK_CHARACTER, BIRTH_DATE_MISMATCH, "
                                               "DOCUMENT_IN_USE")


@strawberry.type(description="A gate the user still has to pass.")
class Requirement:
    name: str = strawberry.field(description="IDENTITY, PAYMENT_PIN, WALLET (open it first), or CODE (see purpose).")
    purpose: str | None = None


@strawberry.type
class VerificationRequiredError(Error):
    missing: list[Requirement]


@strawberry.type
class InvalidPinError(Error):
    attempts_left: int


@strawberry.type
class PinLockedError(Error):
    locked_until: datetime | None


Builder = Callable[[domain.DomainError], Error]
_TABLE: dict[type[domain.DomainError], Builder] = {}


def register(exc_type: type[domain.DomainError], build: Builder) -> None:
    """Tell `from_domain` how to show one more domain error."""
    _TABLE[exc_type] = build


def from_domain(exc: domain.DomainError) -> Error:
    for cls in type(exc).__mro__:
        build = _TABLE.get(cls)
        if build is not None:
            return build(exc)
    raise exc


def _simple(gql_type: type) -> Builder:
    return lambda e: gql_type(code=e.code, message=e.message)


register(domain.NotAuthenticated, _simple(NotAuthenticatedError))
register(domain.NotFound, _simple(NotFoundError))
register(domain.Forbidden, _simple(ForbiddenError))
register(domain.TemporarilyUnavailable, _simple(TemporarilyUnavailableError))
register(domain.InvalidCredentials, _simple(InvalidCredentialsError))
register(domain.AlreadyExists, _simple(AlreadyExistsError))
register(domain.InvalidInput, lambda e: InvalidInputError(
    code=e.code, message=e.message,
    fields=[FieldError(field=p.field, message=p.message) for p in e.problems]))  # type: ignore[attr-defined]
register(domain.RateLimited, lambda e: RateLimitedError(
    code=e.code, message=e.message, retry_after_seconds=e.retry_after_seconds))  # type: ignore[attr-defined]
register(domain.InvalidCode, lambda e: InvalidCodeError(
    code=e.code, message=e.message, attempts_left=e.attempts_left))  # type: ignore[attr-defined]
register(domain.IdentityRejected, lambda e: IdentityRejectedError(
    code=e.code, message=e.message, reason=e.reason))  # type: ignore[attr-defined]
register(domain.VerificationRequired, lambda e: VerificationRequiredError(
    code=e.code, message=e.message,
    missing=[Requirement(name=r.name, purpose=r.purpose) for r in e.missing]))  # type: ignore[attr-defined]
register(domain.InvalidPin, lambda e: InvalidPinError(
    code=e.code, message=e.message, attempts_left=e.attempts_left))  # type: ignore[attr-defined]
register(domain.PinLocked, lambda e: PinLockedError(
    code=e.code, message=e.message, locked_until=e.locked_until))  # type: ignore[attr-defined]

# Members of every mutation's union: a client may always meet these.
COMMON_ERRORS = (InvalidInputError, NotAuthenticatedError, RateLimitedError, TemporarilyUnavailableError)


@strawberry.type
class MessageLockedError(Error):
    reason: str = strawberry.field(description="NOT_AUTHOR, NOT_TEXT, RECALLED or WINDOW_CLOSED.")


@strawberry.type
class RequestClosedError(Error):
    reason: str = strawberry.field(description="CANCELLED or ALREADY_PAID.")


register(domain.MessageLocked, lambda e: MessageLockedError(
    code=e.code, message=e.message, reason=e.reason))  # type: ignore[attr-defined]
register(domain.RequestClosed, lambda e: RequestClosedError(
    code=e.code, message=e.message, reason=e.reason))  # type: ignore[attr-defined]


# Wallet errors. Amounts are Money (exact decimal strings), never Int.
from schema.money import Money  # noqa: E402  (Money depends on nothing above; kept beside its users)


@strawberry.type
class InsufficientFundsError(Error):
    available: Money = strawberry.field(description="The wallet balance now.")
    requested: Money


@strawberry.type
class LimitExceededError(Error):
    limit: str = strawberry.field(description="PER_TRANSFER or DAILY (Asia/Shanghai day).")
    limit_amount: Money
    remaining: Money = strawberry.field(description="What may still be sent under this limit.")


@strawberry.type
class CardDeclinedError(Error):
    reason: str = strawberry.field(description="DECLINED, INSUFFICIENT_FUNDS, EXPIRED_CARD, ...")


@strawberry.type
class IdempotencyConflictError(Error):
    pass


@strawberry.type
class RecipientUnavailableError(Error):
    reason: str = strawberry.field(description="SELF (to yourself) or NO_WALLET (no wallet opened yet).")


register(domain.InsufficientFunds, lambda e: InsufficientFundsError(
    code=e.code, message=e.message, available=Money.of(e.balance_minor, e.currency),  # type: ignore[attr-defined]
    requested=Money.of(e.amount_minor, e.currency)))  # type: ignore[attr-defined]
register(domain.LimitExceeded, lambda e: LimitExceededError(
    code=e.code, message=e.message, limit=e.limit,  # type: ignore[attr-defined]
    limit_amount=Money.of(e.limit_minor, e.currency),  # type: ignore[attr-defined]
    remaining=Money.of(e.remaining_minor, e.currency)))  # type: ignore[attr-defined]
register(domain.CardDeclined, lambda e: CardDeclinedError(
    code=e.code, message=e.message, reason=e.reason))  # type: ignore[attr-defined]
register(domain.IdempotencyConflict, _simple(IdempotencyConflictError))
register(domain.RecipientUnavailable, lambda e: RecipientUnavailableError(
    code=e.code, message=e.message, reason=e.reason))  # type: ignore[attr-defined]


@strawberry.type
class RedPacketUnavailableError(Error):
    reason: str = strawberry.field(description="NOT_ELIGIBLE, ALREADY_OPENED, EMPTY or EXPIRED.")


register(domain.RedPacketUnavailable, lambda e: RedPacketUnavailableError(
    code=e.code, message=e.message, reason=e.reason))  # type: ignore[attr-defined]


@strawberry.type
class TransferNotPendingError(Error):
    state: str = strawberry.field(description="ACCEPTED, RETURNED or EXPIRED: what already happened to it.")


register(domain.TransferNotPending, lambda e: TransferNotPendingError(
    code=e.code, message=e.message, state=e.state))  # type: ignore[attr-defined]


@strawberry.type
class RefundRefusedError(Error):
    reason: str = strawberry.field(description="NOT_REFUNDABLE or EXCEEDS_REMAINING.")
    remaining: Money = strawberry.field(description="What may still be refunded of the transfer.")


register(domain.RefundRefused, lambda e: RefundRefusedError(
    code=e.code, message=e.message, reason=e.reason,  # type: ignore[attr-defined]
    remaining=Money.of(e.remaining_minor, e.currency)))  # type: ignore[attr-defined]
