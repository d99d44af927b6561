"""Registration, login and password reset."""

from __future__ import annotations

from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.devices import enrolment
from app.errors import AlreadyExists, InvalidCredentials, InvalidInput
from app.identity import sessions
from app.identity.passwords import check_password
from app.identity.phones import normalise_phone
from app.runtime import Runtime
from app.text import clean_text
from app.verification import codes
from app.verification.codes import Purpose
from models import Session, User
from models.events import Channel


def normalise_email(raw: str, field: str = "email") -> str:
    text = clean_text(raw, field, max_length=254, min_length=3)
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(field, "is not a valid email address") from exc


async def request_code(rt: Runtime, *, channel: Channel, purpose: Purpose, destination: str,
                       client_address: str, viewer: User | None) -> None:
    """Send a code if it makes sense; answer the same whether or not an account exists."""
    await codes.throttle_send(rt, destination, client_address)
    exists = await User.filter(phone=destination).exists() if channel == Channel.SMS else False
    if purpose == Purpose.REGISTER and exists:
        return  # the owner learns nothing new; an enumerator learns nothing at all
    if purpose == Purpose.RESET_PASSWORD and not exists:
        return
    await codes.issue(rt, channel=channel, destination=destination, purpose=purpose)


async def register(rt: Runtime, *, phone: str, code: str, password: str, display_name: str,
                   email: str | None, device_name: str, client_address: str) -> tuple[str, Session]:
    phone = normalise_phone(phone)
    check_password(password)
    display_name = clean_text(display_name, "displayName", max_length=64, min_length=1)
    email = normalise_email(email) if email else None
    await codes.consume(rt, destination=phone, purpose=Purpose.REGISTER, code=code)
    password_hash = await rt.hasher.hash_password(password)
    try:
        async with in_transaction():
            user = await User.create(phone=phone, display_name=display_name, email=email,
                                     password_hash=password_hash)
    except IntegrityError as exc:
        raise AlreadyExists("An account with this phone number exists; sign in instead.") from exc
    if email:
        await codes.issue(rt, channel=Channel.EMAIL, destination=email, purpose=Purpose.VERIFY_EMAIL)
    return await sessions.open_session(rt, user, device_name=device_name, client_address=client_address)


async def login(rt: Runtime, *, phone: str, password: str, device_name: str,
                client_address: str) -> tuple[str, Session]:
    """Check a password; the unknown-phone path runs the same argon2 work as the known one."""
    s = rt.settings
    window = s.login_failure_window_seconds
    try:
        phone = normalise_phone(phone)
    except InvalidInput as exc:
        raise InvalidCredentials() from exc
    await rt.limiter.hit(f"login-addr:{client_address}", s.login_failures_per_address, window)
    await rt.limiter.hit(f"login-acct:{phone}", s.login_failures_per_account, window)
    user = await User.get_or_none(phone=phone)
    ok = await rt.hasher.verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        raise InvalidCredentials()
    await rt.limiter.clear(f"login-acct:{phone}", s.login_failures_per_account, window)
    return await sessions.open_session(rt, user, device_name=device_name, client_address=client_address)


async def reset_password(rt: Runtime, *, phone: str, code: str, new_password: str) -> None:
    """Set a new password with an SMS code; every session of the account ends."""
    phone = normalise_phone(phone)
    check_password(new_password, "newPassword")
    await codes.consume(rt, destination=phone, purpose=Purpose.RESET_PASSWORD, code=code)
    user = await User.get_or_none(phone=phone)
    if user is None:
        raise InvalidCredentials()
    password_hash = await rt.hasher.hash_password(new_password)
    async with in_transaction():
        await User.filter(id=user.id).update(password_hash=password_hash)
        await sessions.revoke_all(user.id)
        await enrolment.remove_all(rt, user.id)  # a reset may follow a stolen phone


async def add_email(rt: Runtime, user: User, email: str) -> None:
    email = normalise_email(email)
    await codes.throttle_send(rt, email, "user:" + str(user.id))
    await User.filter(id=user.id).update(email=email, email_verified_at=None)
    await codes.issue(rt, channel=Channel.EMAIL, destination=email, purpose=Purpose.VERIFY_EMAIL)


async def verify_email(rt: Runtime, user: User, code: str) -> User:
    if not user.email:
        raise InvalidInput("email", "add an email address first")
    await codes.consume(rt, destination=user.email, purpose=Purpose.VERIFY_EMAIL, code=code)
    await User.filter(id=user.id).update(email_verified_at=datetime.now(UTC))
    return await User.get(id=user.id)
