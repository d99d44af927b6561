"""Who may see a conversation: its current members, and support agents for support threads.

For anyone else a conversation does not exist: the same NotFound as for a missing id.
"""

from __future__ import annotations

from tortoise.connection import get_connection

from app.errors import NotFound
from models import Conversation, ConversationKind, Member, Message, User, UserRole

# The conversation and whether the user is one of its current members in one statement (was two
# queries on every read of a conversation).
_VISIBLE = """
SELECT c.*, EXISTS (SELECT 1 FROM conversation_members m
                    WHERE m.conversation_id = c.id AND m.user_id = {user} AND m.left_at IS NULL) AS is_member
FROM conversations c WHERE c.id = {conversation}"""
_VISIBLE_PG = _VISIBLE.format(conversation="$1", user="$2")
_VISIBLE_SQLITE = _VISIBLE.format(conversation="?", user="?")


def is_agent(user: User) -> bool:
    return user.role == UserRole.SUPPORT


async def membership(user_id: int, conversation_id: int) -> Member | None:
    return await Member.get_or_none(conversation_id=conversation_id, user_id=user_id, left_at__isnull=True)


async def visible_conversation(user: User, conversation_id: int) -> Conversation:
    """The conversation if the user may read it; NotFound otherwise."""
    conn = get_connection("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(_VISIBLE_PG, [conversation_id, user.id])
    else:  # "?" binds by position: the member's user comes first in the text
        rows = await conn.execute_query_dict(_VISIBLE_SQLITE, [user.id, conversation_id])
    if not rows:
        raise NotFound("conversation")
    conversation = Conversation._init_from_db(**rows[0])
    if rows[0]["is_member"]:
        return conversation
    if conversation.kind == ConversationKind.SUPPORT and is_agent(user):
        return conversation
    raise NotFound("conversation")


async def visible_message(user: User, message_id: int) -> Message:
    """The message if the user may read its conversation; NotFound otherwise."""
    message = await Message.get_or_none(id=message_id)
    if message is None:
        raise NotFound("message")
    try:
        await visible_conversation(user, message.conversation_id)
    except NotFound:
        raise NotFound("message") from None
    return message
