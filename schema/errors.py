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

# Registered under its GraphQL name; annotations use the domain enum itself.
ErrorCode = DomainErrorCode
strawberry.enum(DomainErrorCode, name="ErrorCode", description="Machine-readable error codes.")


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
    code: ErrorCode
    message: str


@strawberry.type(description="One invalid input field.")
class FieldError:
    field: str = strawberry.field(description="The input field's name, e.g. `phone`.")
    message: str


@shows(domain.InvalidInput, fields=lambda e: [FieldError(field=p.field, message=p.message) for p in e.problems])
@strawberry.type
class InvalidInputError(Error):
    fields: list[FieldError]


@shows(domain.NotAuthenticated)
@strawberry.type
class NotAuthenticatedError(Error):
    pass


@shows(domain.NotFound)
@strawberry.type
class NotFoundError(Error):
    pass


@shows(domain.Forbidden)
@strawberry.type
class ForbiddenError(Error):
    pass


@shows(domain.RateLimited)
@strawberry.type
class RateLimitedError(Error):
    retry_after_seconds: int


@shows(domain.TemporarilyUnavailable)
@strawberry.type
class TemporarilyUnavailableError(Error):
    pass


@shows(domain.InvalidCredentials)
@strawberry.type
class InvalidCredentialsError(Error):
    pass


@shows(domain.InvalidCode)
@strawberry.type
class InvalidCodeError(Error):
    attempts_left: int = strawberry.field(description="0 means the code is dead: request a new one.")


@shows(domain.AlreadyExists)
@strawberry.type
class AlreadyExistsError(Error):
    pass


@shows(domain.IdentityRejected)
@strawberry.type
class IdentityRejectedError(Error):
    reason: str = strawberry.field(description="UNDERAGE, BAD_CHECK_CHARACTER, BIRTH_DATE_MISMATCH, "
                                               "DOCUMENT_IN_USE")


@strawberry.type(description="A gate the user still has to pass.")
class Requirement:
    name: str = strawberry.field(description="IDENTITY, PAYMENT_PIN, WALLET (open it first), or CODE (see purpose).")
    purpose: str | None = None


@shows(domain.VerificationRequired, missing=lambda e: [Requirement(name=r.name, purpose=r.purpose) for r in e.missing])
@strawberry.type
class VerificationRequiredError(Error):
    missing: list[Requirement]


@shows(domain.InvalidPin)
@strawberry.type
class InvalidPinError(Error):
    attempts_left: int


@shows(domain.PinLocked)
@strawberry.type
class PinLockedError(Error):
    locked_until: datetime | None


# Members of every mutation's union: a client may always meet these.
COMMON_ERRORS = (InvalidInputError, NotAuthenticatedError, RateLimitedError, TemporarilyUnavailableError)


@shows(domain.MessageLocked)
@strawberry.type
class MessageLockedError(Error):
    reason: str = strawberry.field(description="NOT_AUTHOR, NOT_TEXT, RECALLED or WINDOW_CLOSED.")


@shows(domain.RequestClosed)
@strawberry.type
class RequestClosedError(Error):
    reason: str = strawberry.field(description="CANCELLED or ALREADY_PAID.")


# Wallet errors. Amounts are Money (exact decimal strings), never Int.
from schema.money import Money  # noqa: E402  (Money depends on nothing above; kept beside its users)


@shows(domain.InsufficientFunds, available=lambda e: Money.of(e.balance_minor, e.currency),
       requested=lambda e: Money.of(e.amount_minor, e.currency))
@strawberry.type
class InsufficientFundsError(Error):
    available: Money = strawberry.field(description="The wallet balance now.")
    requested: Money


@shows(domain.LimitExceeded, limit_amount=lambda e: Money.of(e.limit_minor, e.currency),
       remaining=lambda e: Money.of(e.remaining_minor, e.currency))
@strawberry.type
class LimitExceededError(Error):
    limit: str = strawberry.field(description="PER_TRANSFER or DAILY (Asia/Shanghai day).")
    limit_amount: Money
    remaining: Money = strawberry.field(description="What may still be sent under this limit.")


@shows(domain.CardDeclined)
@strawberry.type
class CardDeclinedError(Error):
    reason: str = strawberry.field(description="DECLINED, INSUFFICIENT_FUNDS, EXPIRED_CARD, ...")


@shows(domain.IdempotencyConflict)
@strawberry.type
class IdempotencyConflictError(Error):
    pass


@shows(domain.RecipientUnavailable)
@strawberry.type
class RecipientUnavailableError(Error):
    reason: str = strawberry.field(description="SELF (to yourself) or NO_WALLET (no wallet opened yet).")


