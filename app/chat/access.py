"""Who may see a conversation: its current members, and support agents for support threads.

For anyone else a conversation does not exist: the same NotFound as for a missing id.
"""

from __future__ import annotations

from app.errors import NotFound
from models import Conversation, ConversationKind, Member, Message, User, UserRole


def is_agent(user: User) -> bool:
    return user.role == UserRole.SUPPORT


async def membership(user_id: int, conversation_id: int) -> Member | None:
    return await Member.get_or_none(conversation_id=conversation_id, user_id=user_id, left_at__isnull=True)


async def visible_conversation(user: User, conversation_id: int) -> Conversation:
    """The conversation if the user may read it; NotFound otherwise."""
    conversation = await Conversation.get_or_none(id=conversation_id)
    if conversation is None:
        raise NotFound("conversation")
    if await membership(user.id, conversation_id) is not None:
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
