"""The PIN gate in front of every PIN-guarded action.

A check locks the PIN's row (`FOR UPDATE`) in the transaction that acts on its outcome, reads the
counters, compares the keyed verifier (microseconds) and writes the outcome before the lock is
released. So checks of one PIN run one at a time: 100 parallel guesses (or 100 aliases) meet the
count one by one and at most `pin_max_attempts` are compared, and no clock can free a check's slot
while it runs (the slot is the row lock; it ends with the transaction, or with its connection if
the process dies). A wrong PIN is written and committed even though the action is refused
(`CommitThenRaise`). The counters live in PostgreSQL (or SQLite), never in process memory.

Locks: `pin_max_attempts` consecutive failures lock the PIN for `pin_lock_seconds`; the
`pin_locks_before_reset`-th lock within `pin_lock_cycle_window_seconds` locks it until it is reset
(SMS code + identity document), SECURITY-NOTES section F.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.errors import InvalidPin, PinLocked, Requirement, VerificationRequired
from app.pin.rules import PIN_DIGITS
from app.pin.verifier import LEGACY_KEY_ID, Verifier
from app.runtime import Runtime
from app.text import ascii_digits
from app.unit_of_work import CommitThenRaise, money_transaction
from models import PaymentPin


@dataclass
class PinState:
    """A PIN row as read under its lock."""

    id: int
    pin_hash: str
    key_id: str
    failed_attempts: int
    locked_until: datetime | None
    recent_locks: list[str] = field(default_factory=list)
    reset_required: bool = False

    @classmethod
    def of(cls, row: Any) -> PinState:
        """From a PaymentPin or a SQL row with the same column names."""
        values: dict[str, Any] = {name: getattr(row, name) for name in _NAMES} if isinstance(row, PaymentPin) \
            else {name: row[name] for name in _NAMES}
        recent = values["recent_locks"]
        return cls(int(values["id"]), values["pin_hash"], values["key_id"], int(values["failed_attempts"]),
                   values["locked_until"], json.loads(recent) if isinstance(recent, str) else list(recent or []),
                   bool(values["reset_required"]))


_NAMES = ("id", "pin_hash", "key_id", "failed_attempts", "locked_until", "recent_locks", "reset_required")


def check_format(pin: str, field_name: str = "pin") -> None:
    ascii_digits(pin, field_name, length=PIN_DIGITS)


async def verify_pin(rt: Runtime, user_id: int, pin: str, field: str = "pin") -> None:
    """Pass, or raise VerificationRequired (no PIN yet), PinLocked or InvalidPin (attempts left), in
    a short transaction of its own (for actions whose own transaction comes later)."""
    check_format(pin, field)

    async def body(_: object) -> None:
        row = await PaymentPin.filter(user_id=user_id).select_for_update().first()
        if row is None:
            raise VerificationRequired([Requirement("PAYMENT_PIN")], "Set a payment PIN first.")
        await check_locked(rt, PinState.of(row), user_id, pin)

    await money_transaction(rt, body, events=False)


async def check_locked(rt: Runtime, state: PinState, user_id: int, pin: str) -> None:
    """Call inside a transaction holding the PIN row's lock. Pass (writing only when something
    changes), raise PinLocked (writing nothing), or write the failure and raise
    CommitThenRaise(InvalidPin)."""
    s, now = rt.settings, rt.clock.now()
    if state.reset_required:
        raise PinLocked(None)
    if state.locked_until is not None and state.locked_until > now:
        raise PinLocked(state.locked_until)
    lapsed = state.locked_until is not None  # a lock that ran out starts a fresh count
    failed = 0 if lapsed else state.failed_attempts
    ok, renewed = await _matches(rt, state, user_id, pin)
    if ok:
        if failed or lapsed or renewed is not None:
            changes: dict[str, Any] = {"failed_attempts": 0, "locked_until": None}
            if renewed is not None:
                changes.update(pin_hash=renewed.digest, key_id=renewed.key_id)
            await PaymentPin.filter(id=state.id).update(**changes)
        return
    failed += 1
    changes = {"failed_attempts": failed, "locked_until": None}
    if failed >= s.pin_max_attempts:
        horizon = now - timedelta(seconds=s.pin_lock_cycle_window_seconds)
        recent = [at for at in state.recent_locks if datetime.fromisoformat(at) > horizon] + [now.isoformat()]
        changes["recent_locks"] = recent[-s.pin_locks_before_reset:]
        if len(recent) >= s.pin_locks_before_reset:
            changes["reset_required"] = True
        else:
            changes["locked_until"] = now + timedelta(seconds=s.pin_lock_seconds)
    await PaymentPin.filter(id=state.id).update(**changes)
    raise CommitThenRaise(InvalidPin(attempts_left=max(0, s.pin_max_attempts - failed)))


async def _matches(rt: Runtime, state: PinState, user_id: int, pin: str) -> tuple[bool, Verifier | None]:
    """Whether the PIN is right, and the verifier to store instead when it is right but made under
    an older key (or by argon2id, before keyed verifiers)."""
    if state.key_id == LEGACY_KEY_ID:
        ok = await rt.hasher.verify_legacy_pin(state.pin_hash, pin)
        return ok, rt.pin_keys.make(user_id, pin) if ok else None
    stored = Verifier(state.pin_hash, state.key_id)
    ok = rt.pin_keys.matches(stored, user_id, pin)
    return ok, rt.pin_keys.make(user_id, pin) if ok and not rt.pin_keys.is_current(stored) else None
