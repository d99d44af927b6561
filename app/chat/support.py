"""Support tickets: a user asks about one of their transfers; agents work the queue.

Agents (role SUPPORT) see support threads and each ticket's attached transfer, nothing else
of the user's: no other conversation, no wallet, no other transfer.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.chat.access import is_agent
from app.chat.announce import MESSAGE_ADDED, announce
from app.chat.conversations import touch
from app.errors import NotFound
from app.identity.phones import normalise_phone
from app.runtime import Runtime
from app.text import clean_text
from models import (
    Conversation,
    ConversationKind,
    Member,
    Message,
    MessageKind,
    SupportTicket,
    TicketStatus,
    User,
    UserRole,
)
from models.wallet import Transfer


async def open_ticket(rt: Runtime, user: User, *, transfer_id: int, text: str) -> SupportTicket:
    """Open a support thread about one of the user's own transfers, with a first message."""
    text = clean_text(text, "text", max_length=4000, min_length=1, multiline=True)
    transfer = await Transfer.get_or_none(id=transfer_id)
    if transfer is None or user.id not in (transfer.payer_id, transfer.payee_id, transfer.initiator_id):
        raise NotFound("transfer")
    now = datetime.now(UTC)
    async with in_transaction():
        conversation = await Conversation.create(kind=ConversationKind.SUPPORT, title="Support",
                                                 last_activity_at=now)
        await Member.create(conversation_id=conversation.id, user_id=user.id, joined_at=now)
        ticket = await SupportTicket.create(conversation_id=conversation.id, user_id=user.id,
                                            transfer_id=transfer.id)
        message = await Message.create(conversation_id=conversation.id, kind=MessageKind.TEXT,
                                       author_id=user.id, text=text)
        await Member.filter(conversation_id=conversation.id).update(last_read_message_id=message.id)
        await touch(conversation, message, now)
        await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)
    rt.events_waker.wake()
    return ticket


async def visible_ticket(user: User, ticket_id: int) -> SupportTicket:
    """The ticket for its user and for agents; NotFound for anyone else."""
    ticket = await SupportTicket.get_or_none(id=ticket_id)
    if ticket is None or not (ticket.user_id == user.id or is_agent(user)):
        raise NotFound("ticket")
    return ticket


async def ticket_transfer(user: User, ticket: SupportTicket) -> Transfer:
    """The transfer attached to a ticket the user may see."""
    await visible_ticket(user, ticket.id)
    return await Transfer.get(id=ticket.transfer_id)


async def queue(agent: User, *, first: int, after: int | None) -> list[SupportTicket]:
    """Open tickets, oldest first; agents only (anyone else sees an empty queue)."""
    if not is_agent(agent):
        return []
    query = SupportTicket.filter(status=TicketStatus.OPEN)
    if after is not None:
        query = query.filter(Q(id__gt=after))
    return await query.order_by("id").limit(first + 1)


async def tickets_by_conversation(conversation_ids: list[int]) -> dict[int, SupportTicket]:
    rows = await SupportTicket.filter(conversation_id__in=conversation_ids)
    return {t.conversation_id: t for t in rows}


async def make_agent(phone: str) -> User:
    """Give a registered account the support role (operators only: the CLI)."""
    user = await User.get_or_none(phone=normalise_phone(phone))
    if user is None:
        raise NotFound("account with that phone number; register it first")
    await User.filter(id=user.id).update(role=UserRole.SUPPORT)
    return await User.get(id=user.id)
