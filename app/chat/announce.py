"""Chat events: who hears about a change in a conversation, recorded in the causing transaction.

On PostgreSQL each helper is one statement whatever the conversation's size: the members are read,
their stream locks taken (in key order, one pass: see app.events) and, for `announce`, one event row
per member appended, all inside the database. Every row's lock is taken before that row's id is
drawn, which is what keeps each member's stream in commit order (a lock already held by this
transaction, from `lock_conversation`, is simply taken again).
"""

from __future__ import annotations

from collections.abc import Iterable

from tortoise import timezone
from tortoise.connection import get_connection

from app import events
from models import Member

MESSAGE_ADDED = "message.added"
MESSAGE_EDITED = "message.edited"
MESSAGE_RECALLED = "message.recalled"
CONVERSATION_READ = "conversation.read"
MEMBERS_CHANGED = "conversation.members_changed"
REQUEST_UPDATED = "request.updated"

# The current members of $1 and the users in $2, each with its stream lock taken, in key order.
# The volatile lock call sits above the ordered subquery, so PostgreSQL calls it row by row in that order.
LOCKED_MEMBERS = f"""
SELECT user_id, pg_advisory_xact_lock({events.LOCK_SPACE}, (user_id % 2147483648)::int) AS held
FROM (SELECT user_id FROM (SELECT DISTINCT user_id FROM (
        SELECT user_id FROM conversation_members WHERE conversation_id = $1 AND left_at IS NULL
        UNION ALL SELECT unnest($2::bigint[])) AS every) AS distinct_users
      ORDER BY user_id % 2147483648, user_id) AS ordered"""  # noqa: S608 (constant text)

_LOCK = f"SELECT count(*) FROM ({LOCKED_MEMBERS}) AS locked"  # noqa: S608 (constant text)

_ANNOUNCE = f"""
INSERT INTO events (user_id, kind, payload, created_at)
SELECT locked.user_id, $3, $4::jsonb, $5 FROM ({LOCKED_MEMBERS}) AS locked"""  # noqa: S608 (constant text)


def _pg() -> bool:
    return get_connection("default").capabilities.dialect == "postgres"


async def member_ids(conversation_id: int) -> list[int]:
    """The users currently in a conversation."""
    rows = await Member.filter(conversation_id=conversation_id, left_at__isnull=True).values_list(
        "user_id", flat=True)
    return sorted(int(r) for r in rows)  # type: ignore[call-overload]


async def announce(conversation_id: int, kind: str, *, extra_user_ids: Iterable[int] = (),
                   **payload: object) -> None:
    """Record `kind` for every current member (and `extra_user_ids`); inside the transaction."""
    body = {"conversationId": conversation_id, **payload}
    if _pg():
        await get_connection("default").execute_query(_ANNOUNCE, [
            conversation_id, sorted(set(extra_user_ids)), kind, events.payload_json(body), timezone.now()])
        return
    users = set(await member_ids(conversation_id)) | set(extra_user_ids)
    await events.record(users, kind, body)


async def lock_conversation(conversation_id: int, *, extra_user_ids: Iterable[int] = ()) -> None:
    """Take every member's stream lock up front, in one sorted pass (see app.events)."""
    if _pg():
        await get_connection("default").execute_query(_LOCK, [conversation_id, sorted(set(extra_user_ids))])
        return
    await events.lock_streams({*await member_ids(conversation_id), *extra_user_ids})
