"""The PIN gate in front of every PIN-guarded action.

An attempt is taken in the database with one conditional UPDATE *before* argon2 runs: a check may
start only while consecutive failures plus checks already running stay under the limit. So 100
parallel guesses (or 100 aliases) spend at most `pin_max_attempts` hashes, while 100 parallel
payments with the right PIN simply wait their turn. The counters live in PostgreSQL (or SQLite),
never in process memory, so every app process sees the same ones.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F

from app import metrics
from app.errors import InvalidPin, PinLocked, Requirement, TemporarilyUnavailable, VerificationRequired
from app.pin.rules import PIN_DIGITS
from app.runtime import Runtime
from app.text import ascii_digits
from models import PaymentPin

# How long a request waits for other checks of the same PIN to finish before giving up.
WAIT_SECONDS = 8.0
# A check that started this long ago died with its process: its slot is released.
STALE_ATTEMPT_SECONDS = 30


async def verify_pin(rt: Runtime, user_id: int, pin: str, field: str = "pin") -> None:
    """Pass, or raise VerificationRequired (no PIN yet), PinLocked or InvalidPin (attempts left)."""
    ascii_digits(pin, field, length=PIN_DIGITS)
    row = await _pin_row(user_id)
    attempts_left = await _run_gated(rt, row, lambda: rt.hasher.verify_pin(row.pin_hash, pin))
    if attempts_left is not None:
        raise InvalidPin(attempts_left=attempts_left)


async def gated(rt: Runtime, user_id: int, check: Callable[[], Awaitable[bool]]) -> int | None:
    """Run a check that stands in for the PIN (a device assertion) through the same attempt gate.

    Returns None when it passed, else the attempts left; raises PinLocked like a PIN check."""
    return await _run_gated(rt, await _pin_row(user_id), check)


async def _pin_row(user_id: int) -> PaymentPin:
    row = await PaymentPin.get_or_none(user_id=user_id)
    if row is None:
        raise VerificationRequired([Requirement("PAYMENT_PIN")], "Set a payment PIN first.")
    return row


async def _run_gated(rt: Runtime, row: PaymentPin, check: Callable[[], Awaitable[bool]]) -> int | None:
    await _take_attempt(rt, row.id)
    try:
        ok = await check()
    except BaseException:
        await _settle(rt, row.id, ok=False)  # an interrupted check counts as a wrong one
        raise
    attempts_left = await _settle(rt, row.id, ok=ok)
    return None if ok else attempts_left


async def _take_attempt(rt: Runtime, pin_id: int) -> None:
    limit = rt.settings.pin_max_attempts
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        now = datetime.now(UTC)
        taken = await PaymentPin.filter(
            id=pin_id, locked_until__isnull=True, failed_attempts__lt=limit - F("attempts_in_flight"),
        ).update(attempts_in_flight=F("attempts_in_flight") + 1, attempt_started_at=now)
        if taken:
            return
        row = await PaymentPin.get(id=pin_id)
        if row.locked_until is not None and row.locked_until <= now:
            await PaymentPin.filter(id=pin_id, locked_until=row.locked_until).update(
                locked_until=None, failed_attempts=0)
            continue
        if row.locked_until is not None or row.failed_attempts >= limit:
            raise PinLocked(row.locked_until)
        if row.attempt_started_at and row.attempt_started_at < now - timedelta(seconds=STALE_ATTEMPT_SECONDS):
            await PaymentPin.filter(id=pin_id, attempt_started_at=row.attempt_started_at).update(
                attempts_in_flight=0)
            continue
        if asyncio.get_running_loop().time() > deadline:
            raise TemporarilyUnavailable("Other payments are checking your PIN; retry shortly.")
        await asyncio.sleep(0.01 + random.random() * 0.03)


async def _settle(rt: Runtime, pin_id: int, *, ok: bool) -> int:
    """Release the attempt and count a failure in the same statement (so the sum never dips and
    lets another check in), locking at the limit. Returns the attempts left."""
    limit = rt.settings.pin_max_attempts
    failed = F("failed_attempts") + 1 if not ok else 0
    released = await PaymentPin.filter(id=pin_id, attempts_in_flight__gt=0).update(
        attempts_in_flight=F("attempts_in_flight") - 1, failed_attempts=failed)
    if not released:  # its slot was reclaimed as stale; the result still counts
        await PaymentPin.filter(id=pin_id).update(failed_attempts=failed)
    if ok:
        return limit
    row = await PaymentPin.get(id=pin_id)
    if row.failed_attempts >= limit:
        until = datetime.now(UTC) + timedelta(seconds=rt.settings.pin_lock_seconds)
        if await PaymentPin.filter(id=pin_id, locked_until__isnull=True).update(locked_until=until):
            metrics.pin_locked()
    return max(0, limit - row.failed_attempts)
