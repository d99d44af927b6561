"""Idempotency for bindCard, confirmCardBinding and removeCard: the same key answers the first result.

The key is optional (older clients send none and keep today's behaviour); with one, a retry after a
lost answer returns the card the first request made or changed, and the same key on another request
is an IdempotencyConflict. The key is recorded in the transaction that did the work.
"""

from __future__ import annotations

from hashlib import sha256

from app.errors import IdempotencyConflict
from app.payments.idempotency import check_key
from models import Card, CardRequest

BIND, CONFIRM, REMOVE = "BIND", "CONFIRM", "REMOVE"


def request_digest(action: str, *parts: object) -> str:
    return sha256("\x1f".join([action, *(str(p) for p in parts)]).encode()).hexdigest()


async def replayed(user_id: int, key: str | None, digest: str) -> Card | None:
    """The card the first request with this key concerned (as it is now), or None for a new key."""
    if key is None:
        return None
    check_key(key)
    done = await CardRequest.get_or_none(user_id=user_id, idempotency_key=key)
    if done is None:
        return None
    if done.request_fingerprint != digest:
        raise IdempotencyConflict()
    return await Card.get(id=done.card_id)


async def remember(user_id: int, key: str | None, action: str, digest: str, card_id: int) -> None:
    """Record the key; call inside the transaction that did the work (a duplicate raises IntegrityError)."""
    if key is not None:
        await CardRequest.create(user_id=user_id, idempotency_key=key, action=action, request_fingerprint=digest,
                                 card_id=card_id)
