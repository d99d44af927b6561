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


# Codes that prove a phone number: whether one is sent depends on whether an account exists, which
# must not show in the answer or in its timing.
_ENUMERABLE = frozenset({Purpose.REGISTER, Purpose.RESET_PASSWORD, Purpose.LOGIN})


async def request_code(rt: Runtime, *, channel: Channel, purpose: Purpose, destination: str,
                       client_address: str, viewer: User | None) -> None:
    """Send a code if it makes sense; answer the same whether or not an account exists.

    For the purposes that would tell (sign-up, password reset, sign-in), the request does the same
    work on both paths (the throttles, one existence query, one background task) and answers; the
    code is issued, or not, in that task after the answer.
    """
    await codes.throttle_send(rt, destination, client_address)
    exists = await User.filter(phone=destination).exists() if channel == Channel.SMS else False
    if purpose not in _ENUMERABLE:
        await codes.issue(rt, channel=channel, destination=destination, purpose=purpose)
        return
    send = exists if purpose in (Purpose.RESET_PASSWORD, Purpose.LOGIN) else not exists
    rt.background.spawn(_issue_if(rt, send, channel=channel, destination=destination, purpose=purpose),
                        name="code-issue")


async def _issue_if(rt: Runtime, send: bool, *, channel: Channel, destination: str, purpose: Purpose) -> None:
    if send:  # the owner of a taken number learns nothing new; an enumerator learns nothing at all
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


# Growing delays per (account, address): a few quick tries, then a minute, then a quarter hour, then
# a day. A stranger's failures slow that stranger down; the owner, elsewhere, is not slowed at all.
LOGIN_PAIR_TIERS = ((5, 60), (10, 900), (20, 86_400))


async def login(rt: Runtime, *, phone: str, password: str, device_name: str,
                client_address: str) -> tuple[str, Session]:
    """Check a password; the unknown-phone path runs the same argon2 work as the known one.

    Attempts are counted before the check (parallel guesses cannot overtake the counters): per
    address, per (account, address) with growing delays, and per account across all addresses. The
    last can be exhausted by a stranger with many addresses; the owner then signs in with an SMS
    code (`login_with_code`), which the password lock does not hold.
    """
    s = rt.settings
    window = s.login_failure_window_seconds
    try:
        phone = normalise_phone(phone)
    except InvalidInput as exc:
        raise InvalidCredentials() from exc
    await rt.limiter.hit(f"login-addr:{client_address}", s.login_failures_per_address, window)
    for amount, seconds in LOGIN_PAIR_TIERS:
        await rt.limiter.hit(f"login-pair:{phone}|{client_address}", amount, seconds)
    await rt.limiter.hit(f"login-acct:{phone}", s.login_failures_per_account, window)
    user = await User.get_or_none(phone=phone)
    ok = await rt.hasher.verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        raise InvalidCredentials()
    await rt.limiter.clear(f"login-acct:{phone}", s.login_failures_per_account, window)
    for amount, seconds in LOGIN_PAIR_TIERS:
        await rt.limiter.clear(f"login-pair:{phone}|{client_address}", amount, seconds)
    return await sessions.open_session(rt, user, device_name=device_name, client_address=client_address)


async def login_with_code(rt: Runtime, *, phone: str, code: str, device_name: str,
                          client_address: str) -> tuple[str, Session]:
    """Sign in with a LOGIN code sent by SMS: the owner's way in while a password lock holds.
    A code is single use, expires in minutes and burns after a few wrong tries."""
    phone = normalise_phone(phone)
    await codes.consume(rt, destination=phone, purpose=Purpose.LOGIN, code=code)
    user = await User.get_or_none(phone=phone)
    if user is None:  # a code is only ever sent to a registered phone
        raise InvalidCredentials()
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
    await sessions.announce_ended(rt, user.id)


async def add_email(rt: Runtime, user: User, email: str) -> None:
    email = normalise_email(email)
    await codes.throttle_send(rt, email, "user:" + str(user.id))
    await User.filter(id=user.id).update(email=email, email_verified_at=None)
    await sessions.announce_user_changed(rt, user.id)
    await codes.issue(rt, channel=Channel.EMAIL, destination=email, purpose=Purpose.VERIFY_EMAIL)


async def verify_email(rt: Runtime, user: User, code: str) -> User:
    if not user.email:
        raise InvalidInput("email", "add an email address first")
    await codes.consume(rt, destination=user.email, purpose=Purpose.VERIFY_EMAIL, code=code)
    await User.filter(id=user.id).update(email_verified_at=datetime.now(UTC))
    await sessions.announce_user_changed(rt, user.id)
    return await User.get(id=user.id)
