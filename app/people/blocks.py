"""Blocking: the blocked user can no longer reach the blocker (see reach.py); nobody is told.

What stays: conversations already shared remain readable to both, and shared groups keep both as
members (a group is everyone's; the blocker may leave it). A block declines the blocked user's
pending contact request and stops the blocker's pushes for the blocked user's direct messages.
"""

from __future__ import annotations

import contextlib

from tortoise.exceptions import IntegrityError

from app.errors import InvalidInput, NotFound
from app.runtime import Runtime
from models import Block, ContactRequest, ContactRequestState, User


async def block_user(rt: Runtime, user: User, *, other_id: int) -> User:
    """Block someone (idempotent); returns the blocked user."""
    if other_id == user.id:
        raise InvalidInput("userId", "you cannot block yourself")
    other = await User.get_or_none(id=other_id)
    if other is None:
        raise NotFound("user")
    with contextlib.suppress(IntegrityError):  # already blocked
        await Block.create(blocker_id=user.id, blocked_id=other.id, created_at=rt.clock.now())
    await ContactRequest.filter(sender_id=other.id, recipient_id=user.id, state=ContactRequestState.PENDING).update(
        state=ContactRequestState.DECLINED, answered_at=rt.clock.now())
    return other


async def unblock_user(user: User, *, other_id: int) -> None:
    """Lift a block (idempotent for a user who exists)."""
    if not await User.exists(id=other_id):
        raise NotFound("user")
    await Block.filter(blocker_id=user.id, blocked_id=other_id).delete()


async def blocked_by(user: User, *, first: int, after: int | None) -> list[Block]:
    """Whom the user has blocked, in the order they did; one row more than asked."""
    query = Block.filter(blocker_id=user.id)
    if after is not None:
        query = query.filter(id__gt=after)
    return await query.order_by("id").limit(first + 1)
