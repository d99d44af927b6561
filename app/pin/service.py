"""Setting, changing and resetting the payment PIN. Every change is told to the owner by SMS."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from app.errors import AlreadyExists, InvalidInput, Requirement, VerificationRequired
from app.identity import sessions
from app.identity.verification import check_document_owner
from app.mail import outbox
from app.pin.attempts import verify_pin
from app.pin.rules import check_pin
from app.runtime import Runtime
from app.unit_of_work import money_transaction
from app.verification import codes
from app.verification.codes import Purpose
from models import Identity, PaymentPin, User
from models.events import Channel

_NOTICES = {
    "set": "Your imwallet payment PIN was set. If this was not you, contact support now.",
    "changed": "Your imwallet payment PIN was changed. If this was not you, contact support now.",
    "reset": "Your imwallet payment PIN was reset. If this was not you, contact support now.",
}


async def has_pin(user_id: int) -> bool:
    return bool(await PaymentPin.filter(user_id=user_id).exists())


async def set_pin(rt: Runtime, user: User, pin: str) -> None:
    """The first PIN. Needs a verified identity, so that birth-date PINs can be refused."""
    identity = await _identity(user)
    check_pin(pin, identity.date_of_birth)
    verifier = rt.pin_keys.make(user.id, pin)

    async def create(_: object) -> None:
        await PaymentPin.create(user=user, pin_hash=verifier.digest, key_id=verifier.key_id,
                                changed_at=rt.clock.now())
        await _notify(rt, user, "set")

    try:
        await money_transaction(rt, create, events=False, outbox=True)
    except IntegrityError as exc:
        raise AlreadyExists("A payment PIN is already set; change it with the old PIN.") from exc


async def change_pin(rt: Runtime, user: User, old_pin: str, new_pin: str) -> None:
    """Replace the PIN, proving the old one through the attempt-counted gate. Sessions stay: the
    owner proved the old PIN, and the SMS notice tells them if it was not them."""
    identity = await _identity(user)
    check_pin(new_pin, identity.date_of_birth, field="newPin")
    if new_pin == old_pin:
        raise InvalidInput("newPin", "is the same as the current PIN")
    await verify_pin(rt, user.id, old_pin, field="oldPin")
    await _replace(rt, user, new_pin, "changed")


async def reset_pin(rt: Runtime, user: User, *, session_id: int, channel: Channel, code: str,
                    document_number: str, new_pin: str) -> None:
    """Forgotten PIN: a RESET_PIN code (SMS, or the verified email) plus the identity document.

    A reset may follow a stolen device, so every other session of the account ends with it (as a
    password reset ends them all). The session that made the reset, `session_id`, is kept: on it
    the user has just proved the code and their document, and signing them out would gain nothing."""
    identity = await _identity(user)
    check_pin(new_pin, identity.date_of_birth, field="newPin")
    if not await has_pin(user.id):
        raise VerificationRequired([Requirement("PAYMENT_PIN")], "No PIN to reset; set one instead.")
    await rt.limiter.hit(f"pin-reset:{user.id}", 10, 3600)
    await check_document_owner(rt, user, document_number)
    await codes.consume(rt, destination=_code_destination(user, channel), purpose=Purpose.RESET_PIN, code=code)
    await _replace(rt, user, new_pin, "reset", keep_session_id=session_id)


def _code_destination(user: User, channel: Channel) -> str:
    if channel == Channel.SMS:
        return user.phone
    if not user.email or user.email_verified_at is None:
        raise InvalidInput("channel", "no verified email on this account; use SMS")
    return user.email


async def _replace(rt: Runtime, user: User, new_pin: str, what: str, *, keep_session_id: int | None = None) -> None:
    """Store the new PIN and queue the notice; with `keep_session_id`, also end every other session."""
    verifier = rt.pin_keys.make(user.id, new_pin)

    async def replace(_: object) -> None:
        # A new PIN starts with a clean slate: failures and locks of the old one no longer count.
        await PaymentPin.filter(user_id=user.id).update(
            pin_hash=verifier.digest, key_id=verifier.key_id, failed_attempts=0, locked_until=None,
            recent_locks=[], reset_required=False, changed_at=rt.clock.now())
        if keep_session_id is not None:
            await sessions.revoke_others(user.id, keep_session_id)
        await _notify(rt, user, what)

    await money_transaction(rt, replace, events=False, outbox=True)


async def _identity(user: User) -> Identity:
    identity = await Identity.get_or_none(user_id=user.id)
    if identity is None:
        raise VerificationRequired([Requirement("IDENTITY")], "Verify your identity before setting a PIN.")
    return identity


async def _notify(rt: Runtime, user: User, what: str) -> None:
    await outbox.enqueue(rt, channel=Channel.SMS, recipient=user.phone, subject="Payment PIN",
                         body=_NOTICES[what])
