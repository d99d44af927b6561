"""Chat events: who hears about a change in a conversation, recorded in the causing transaction."""

from __future__ import annotations

from collections.abc import Iterable

from app import events
from models import Member

MESSAGE_ADDED = "message.added"
MESSAGE_EDITED = "message.edited"
MESSAGE_RECALLED = "message.recalled"
CONVERSATION_READ = "conversation.read"
MEMBERS_CHANGED = "conversation.members_changed"
REQUEST_UPDATED = "request.updated"


async def member_ids(conversation_id: int) -> list[int]:
    """The users currently in a conversation."""
    rows = await Member.filter(conversation_id=conversation_id, left_at__isnull=True).values_list(
        "user_id", flat=True)
    return sorted(int(r) for r in rows)  # type: ignore[call-overload]


async def announce(conversation_id: int, kind: str, *, extra_user_ids: Iterable[int] = (),
                   **payload: object) -> None:
    """Record `kind` for every current member (and `extra_user_ids`); inside the transaction."""
    users = set(await member_ids(conversation_id)) | set(extra_user_ids)
    await events.record(users, kind, {"conversationId": conversation_id, **payload})


async def lock_conversation(conversation_id: int, *, extra_user_ids: Iterable[int] = ()) -> None:
    """Take every member's stream lock up front, in one sorted pass (see app.events)."""
    await events.lock_streams({*await member_ids(conversation_id), *extra_user_ids})
