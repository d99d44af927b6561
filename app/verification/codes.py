"""One-time codes: random, short-lived, single-use, attempt-limited, stored only as keyed hashes.

A code is bound to (destination, purpose, scope) and only the latest one is valid. A scope narrows a
code further than where it was sent: a STEP_UP code is scoped to one payment, so it cannot confirm
another, and codes of other scopes neither supersede it nor spend its attempts. Attempts are
counted in the database with one conditional UPDATE before the code is compared, so any
number of parallel guesses can spend at most `code_max_attempts` of them.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app import metrics
from app.errors import InvalidCode
from app.mail import outbox
from app.runtime import Runtime
from app.text import ascii_digits
from models import VerificationCode
from models.events import Channel

CODE_DIGITS = 6


class Purpose(StrEnum):
    REGISTER = "REGISTER"
    VERIFY_EMAIL = "VERIFY_EMAIL"
    RESET_PASSWORD = "RESET_PASSWORD"
    RESET_PIN = "RESET_PIN"
    BIND_CARD = "BIND_CARD"
    STEP_UP = "STEP_UP"
    LOGIN = "LOGIN"


_TEXTS = {
    Purpose.REGISTER: "Your imwallet sign-up code is {code}. It expires in {minutes} minutes.",
    Purpose.VERIFY_EMAIL: "Your imwallet email code is {code}. It expires in {minutes} minutes.",
    Purpose.RESET_PASSWORD: "Your imwallet password reset code is {code}. Never share it.",
    Purpose.RESET_PIN: "Your imwallet payment PIN reset code is {code}. Never share it.",
    Purpose.BIND_CARD: "Your bank's code to link your card to imwallet is {code}.",
    Purpose.STEP_UP: "Your code to confirm a large imwallet payment is {code}. Never share it.",
    Purpose.LOGIN: "Your imwallet sign-in code is {code}. Never share it; imwallet never asks for it.",
}


def _hash(rt: Runtime, destination: str, purpose: Purpose, code: str) -> str:
    return rt.keyring.fingerprint("code", f"{purpose}:{destination}:{code}")


async def throttle_send(rt: Runtime, destination: str, client_address: str) -> None:
    """Sending limits: per destination (one a minute, a few an hour) and per client address."""
    s = rt.settings
    await rt.limiter.hit(f"code-addr:{client_address}", s.code_sends_per_hour_per_address, 3600)
    await rt.limiter.hit(f"code-dest-min:{destination}", 1, s.code_resend_seconds)
    await rt.limiter.hit(f"code-dest-hour:{destination}", s.code_sends_per_hour_per_destination, 3600)


def _bound(destination: str, scope: str) -> str:
    """The stored binding: the destination, narrowed by a scope when there is one."""
    return f"{destination}#{scope}" if scope else destination


async def issue(rt: Runtime, *, channel: Channel, destination: str, purpose: Purpose, scope: str = "") -> None:
    """Create a code, supersede older ones of the same scope, and queue its delivery, in one transaction."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = datetime.now(UTC)
    ttl = rt.settings.code_ttl_seconds
    text = _TEXTS[purpose].format(code=code, minutes=ttl // 60)
    bound = _bound(destination, scope)
    async with in_transaction():
        await VerificationCode.filter(destination=bound, purpose=purpose,
                                      consumed_at__isnull=True).update(consumed_at=now)
        await VerificationCode.create(destination=bound, purpose=purpose,
                                      code_hash=_hash(rt, bound, purpose, code),
                                      expires_at=now + timedelta(seconds=ttl))
        await outbox.enqueue(rt, channel=channel, recipient=destination,
                             subject="Your imwallet code", body=text)
    metrics.code_sent(channel.value, purpose.value)
    rt.outbox_waker.wake()


async def consume(rt: Runtime, *, destination: str, purpose: Purpose, code: str,
                  field: str = "code", scope: str = "") -> None:
    """Spend one attempt on the latest live code of this scope and burn it if it matches; else InvalidCode."""
    ascii_digits(code, field, length=CODE_DIGITS)
    now = datetime.now(UTC)
    destination = _bound(destination, scope)
    latest = await (VerificationCode.filter(destination=destination, purpose=purpose,
                                            consumed_at__isnull=True, expires_at__gt=now)
                    .order_by("-id").first())
    if latest is None:
        raise InvalidCode(attempts_left=0)
    limit = rt.settings.code_max_attempts
    counted = await VerificationCode.filter(
        id=latest.id, attempts__lt=limit, consumed_at__isnull=True).update(attempts=F("attempts") + 1)
    if not counted:
        raise InvalidCode(attempts_left=0)
    if not rt.keyring.matches("code", f"{purpose}:{destination}:{code}", latest.code_hash):
        await latest.refresh_from_db(fields=["attempts"])
        raise InvalidCode(attempts_left=max(0, limit - latest.attempts))
    burned = await VerificationCode.filter(id=latest.id, consumed_at__isnull=True).update(consumed_at=now)
    if not burned:
        raise InvalidCode(attempts_left=0)
