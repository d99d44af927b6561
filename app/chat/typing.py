"""Typing signals: ephemeral, sent to the other members' live streams, never stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.chat.access import membership
from app.chat.announce import member_ids
from app.errors import NotFound
from app.runtime import Runtime
from models import User

TYPING = "typing"


async def set_typing(rt: Runtime, user: User, *, conversation_id: int, typing: bool) -> datetime:
    """Tell the other members the user is (or stopped) typing; returns when the signal expires."""
    if await membership(user.id, conversation_id) is None:
        raise NotFound("conversation")
    await rt.limiter.hit(f"typing:{user.id}", 120, 60)
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=rt.settings.typing_ttl_seconds) if typing else now
    others = [uid for uid in await member_ids(conversation_id) if uid != user.id]
    await rt.signals.signal(others, {
        "kind": TYPING, "conversationId": conversation_id, "userId": user.id, "name": user.display_name,
        "typing": typing, "at": now.isoformat(), "expiresAt": expires_at.isoformat()})
    return expires_at
