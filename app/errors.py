"""Domain errors: what a client can act on, carried as data. The schema maps each to a GraphQL type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_CODE = "INVALID_CODE"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    IDENTITY_REJECTED = "IDENTITY_REJECTED"
    VERIFICATION_REQUIRED = "VERIFICATION_REQUIRED"
    INVALID_PIN = "INVALID_PIN"
    PIN_LOCKED = "PIN_LOCKED"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    CARD_DECLINED = "CARD_DECLINED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    CONFLICT = "CONFLICT"
    TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
    RECIPIENT_UNAVAILABLE = "RECIPIENT_UNAVAILABLE"
    MESSAGE_LOCKED = "MESSAGE_LOCKED"
    REQUEST_CLOSED = "REQUEST_CLOSED"
    NOT_REACHABLE = "NOT_REACHABLE"
    APPROVAL_REJECTED = "APPROVAL_REJECTED"
    RED_PACKET_UNAVAILABLE = "RED_PACKET_UNAVAILABLE"
    TRANSFER_NOT_PENDING = "TRANSFER_NOT_PENDING"
    REFUND_REFUSED = "REFUND_REFUSED"
    ORDER_NOT_PAYABLE = "ORDER_NOT_PAYABLE"
    INVALID_COLLECTION_CODE = "INVALID_COLLECTION_CODE"
    COLLECTION_CODE_REFUSED = "COLLECTION_CODE_REFUSED"


class DomainError(Exception):
    """Base of every error a client is expected to handle."""

    code: ErrorCode = ErrorCode.CONFLICT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class InvalidInput(DomainError):
    code = ErrorCode.INVALID_INPUT

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.problems = [FieldProblem(field, message)]


class NotAuthenticated(DomainError):
    code = ErrorCode.NOT_AUTHENTICATED

    def __init__(self) -> None:
        super().__init__("Sign in first.")


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND

    def __init__(self, what: str = "object") -> None:
        super().__init__(f"No such {what}.")


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"Too many attempts; try again in {retry_after_seconds} s.")
        self.retry_after_seconds = retry_after_seconds


class InvalidCredentials(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS

    def __init__(self) -> None:
        super().__init__("Wrong phone number or password.")


class InvalidCode(DomainError):
    code = ErrorCode.INVALID_CODE

    def __init__(self, attempts_left: int) -> None:
        msg = "The code is wrong." if attempts_left else "The code is wrong, expired or used; request a new one."
        super().__init__(msg)
        self.attempts_left = attempts_left


class AlreadyExists(DomainError):
    code = ErrorCode.ALREADY_EXISTS


class IdentityRejected(DomainError):
    code = ErrorCode.IDENTITY_REJECTED

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Requirement:
    """One gate still to pass, e.g. IDENTITY, PAYMENT_PIN, or a code of some purpose."""

    name: str
    purpose: str | None = None


class VerificationRequired(DomainError):
    code = ErrorCode.VERIFICATION_REQUIRED

    def __init__(self, missing: list[Requirement], message: str | None = None, *,
                 device_challenge: str | None = None) -> None:
        names = ", ".join(r.name for r in missing)
        super().__init__(message or f"Complete these steps first: {names}.")
        self.missing = missing
        self.device_challenge = device_challenge


class InvalidPin(DomainError):
    code = ErrorCode.INVALID_PIN

    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"Wrong payment PIN; {attempts_left} attempt(s) left.")
        self.attempts_left = attempts_left


class PinLocked(DomainError):
    code = ErrorCode.PIN_LOCKED

    def __init__(self, locked_until: datetime | None) -> None:
        # No end: locked until the PIN is reset (three locks within 24 hours).
        super().__init__("Too many wrong PINs; payments are locked for a while." if locked_until is not None
                         else "Too many wrong PINs; payments are locked until you reset your PIN.")
        self.locked_until = locked_until


class TemporarilyUnavailable(DomainError):
    code = ErrorCode.TEMPORARILY_UNAVAILABLE

    def __init__(self, message: str = "Temporarily unavailable; retry shortly.") -> None:
        super().__init__(message)


class MessageLocked(DomainError):
    """The message cannot be edited or recalled: NOT_AUTHOR, NOT_TEXT, RECALLED or WINDOW_CLOSED."""

    code = ErrorCode.MESSAGE_LOCKED

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RequestClosed(DomainError):
    """The money request was cancelled, or this payer has already paid it."""

    code = ErrorCode.REQUEST_CLOSED

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class InsufficientFunds(DomainError):
    code = ErrorCode.INSUFFICIENT_FUNDS

    def __init__(self, *, balance_minor: int, amount_minor: int, currency: str) -> None:
        super().__init__("Your balance is too low for this payment.")
        self.balance_minor = balance_minor
        self.amount_minor = amount_minor
        self.currency = currency


class LimitExceeded(DomainError):
    """Over a limit: PER_TRANSFER or DAILY (outgoing transfers per Asia/Shanghai day)."""

    code = ErrorCode.LIMIT_EXCEEDED

    def __init__(self, *, limit: str, limit_minor: int, remaining_minor: int, currency: str) -> None:
        super().__init__("This payment is over your per-transfer limit." if limit == "PER_TRANSFER"
                         else "This payment is over what you may still send today.")
        self.limit = limit
        self.limit_minor = limit_minor
        self.remaining_minor = remaining_minor
        self.currency = currency


class CardDeclined(DomainError):
    """The card network said no: DECLINED, INSUFFICIENT_FUNDS, EXPIRED_CARD..."""

    code = ErrorCode.CARD_DECLINED

    def __init__(self, reason: str) -> None:
        super().__init__(f"The card was declined ({reason}).")
        self.reason = reason


class IdempotencyConflict(DomainError):
    code = ErrorCode.IDEMPOTENCY_CONFLICT

    def __init__(self) -> None:
        super().__init__("This idempotency key was already used for a different request.")


class RecipientUnavailable(DomainError):
    """Money cannot go there: SELF (to oneself) or NO_WALLET (the payee has not opened one)."""

    code = ErrorCode.RECIPIENT_UNAVAILABLE

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class NotReachable(DomainError):
    """This person cannot be reached this way: the one answer for a block and for their privacy settings."""

    code = ErrorCode.NOT_REACHABLE

    def __init__(self) -> None:
        super().__init__("This person cannot be reached this way.")


class AccountNotEmpty(DomainError):
    """The account cannot be deleted yet: MONEY_LEFT or PENDING_OPERATIONS."""

    code = ErrorCode.CONFLICT

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RedPacketUnavailable(DomainError):
    """This member cannot take a share: NOT_ELIGIBLE, ALREADY_OPENED, EMPTY or EXPIRED."""

    code = ErrorCode.RED_PACKET_UNAVAILABLE

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ApprovalRejected(DomainError):
    """A device assertion that does not approve this payment. Counts as a wrong PIN does."""

    code = ErrorCode.APPROVAL_REJECTED

    def __init__(self, attempts_left: int, message: str = "This device approval was not accepted.") -> None:
        super().__init__(f"{message} {attempts_left} attempt(s) left.")
        self.attempts_left = attempts_left


class TransferNotPending(DomainError):
    """The transfer no longer waits for acceptance: it was accepted, returned or expired."""

    code = ErrorCode.TRANSFER_NOT_PENDING

    def __init__(self, state: str) -> None:
        super().__init__(f"This transfer is no longer waiting for acceptance ({state}).")
        self.state = state


class RefundRefused(DomainError):
    """NOT_REFUNDABLE (not a completed transfer you received) or EXCEEDS_REMAINING (over what is left)."""

    code = ErrorCode.REFUND_REFUSED

    def __init__(self, reason: str, message: str, *, remaining_minor: int, currency: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.remaining_minor = remaining_minor
        self.currency = currency


class OrderNotPayable(DomainError):
    """A merchant order that cannot be paid (any more): already paid, expired, or refunded."""

    code = ErrorCode.ORDER_NOT_PAYABLE

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class InvalidCollectionCode(DomainError):
    """Not a collection code this server signed: forged, altered, truncated, or under a retired key."""

    code = ErrorCode.INVALID_COLLECTION_CODE

    def __init__(self) -> None:
        super().__init__("This is not a valid collection code.")


class CollectionCodeRefused(DomainError):
    """A genuine code that cannot be paid this way: REVOKED, AMOUNT_MISMATCH (a fixed-amount code paid
    with another amount) or UNSUPPORTED (a kind of payee this server cannot pay by code yet)."""

    code = ErrorCode.COLLECTION_CODE_REFUSED

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
