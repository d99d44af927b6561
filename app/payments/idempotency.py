"""Idempotency keys: the same key and request give the first result; another request is refused.

The key lives on the transfer row itself, unique per (initiator, key), and is inserted first in
the movement's transaction: a concurrent duplicate waits on that unique index until the first
commits, then finds the stored transfer. A refused request writes nothing, so its key stays free;
a key that moved money is kept as long as its transfer (for ever, well past Stripe's 24 hours).
"""

from __future__ import annotations

from hashlib import sha256

from app.errors import IdempotencyConflict, InvalidInput
from app.text import clean_text
from models import Transfer

MAX_KEY_LENGTH = 255


def check_key(key: str) -> str:
    key = clean_text(key, "idempotencyKey", max_length=MAX_KEY_LENGTH, min_length=1)
    if not key.isascii():
        raise InvalidInput("idempotencyKey", "must be ASCII, e.g. a UUID")
    return key


def fingerprint(*parts: object) -> str:
    """A digest of everything that makes two requests the same request."""
    return sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


async def stored(initiator_id: int, key: str, request_fingerprint: str) -> Transfer | None:
    """The transfer this key already made, or None; IdempotencyConflict if the request differs."""
    transfer = await Transfer.get_or_none(initiator_id=initiator_id, idempotency_key=key)
    if transfer is not None and transfer.request_fingerprint != request_fingerprint:
        raise IdempotencyConflict()
    return transfer
