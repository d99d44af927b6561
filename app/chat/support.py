"""Support tickets: a user asks about one of their transfers; agents work the queue to resolution.

A ticket moves OPEN -> WAITING_FOR_USER | WAITING_FOR_AGENT -> RESOLVED: an agent's reply waits for
the user, the user's reply waits for an agent, an agent resolves with a note, and the user may
reopen a resolved ticket for REOPEN_DAYS. Every change posts a notice into the ticket's thread and
a `support.ticket_updated` event to the user (which the push feed turns into a notification).

Agents (role SUPPORT) see support threads, each ticket's transfer with its journal, and the user's
records around that transfer (RECORDS_AROUND before and after), nothing else of the user's: no
other conversation, no wallet balance, no other transfer outside that window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app import events
from app.chat.access import is_agent
from app.chat.announce import MESSAGE_ADDED, announce
from app.chat.conversations import touch
from app.errors import InvalidInput, NotFound
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
from models.wallet import Journal, Transfer

REOPEN_DAYS = 7
RECORDS_AROUND = 5
TICKET_UPDATED = "support.ticket_updated"
_NOTICES = {
    TicketStatus.WAITING_FOR_USER: "Support answered: waiting for you.",
    TicketStatus.WAITING_FOR_AGENT: "Waiting for support.",
    TicketStatus.RESOLVED: "Resolved: {resolution}",
}


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
                                            transfer_id=transfer.id, status_changed_at=rt.clock.now())
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


async def queue(rt: Runtime, agent: User, *, first: int, after: int | None,
                statuses: list[TicketStatus] | None = None,
                waiting_seconds: int | None = None) -> list[SupportTicket]:
    """Tickets not yet resolved (or of the states asked), oldest first, optionally only those whose
    state has not changed for `waiting_seconds`; agents only (anyone else sees an empty queue)."""
    if not is_agent(agent):
        return []
    query = SupportTicket.filter(status__in=statuses or [s for s in TicketStatus if s != TicketStatus.RESOLVED])
    if waiting_seconds is not None:
        query = query.filter(status_changed_at__lte=rt.clock.now() - timedelta(seconds=waiting_seconds))
    if after is not None:
        query = query.filter(Q(id__gt=after))
    return await query.order_by("id").limit(first + 1)


async def assign_ticket(rt: Runtime, agent: User, *, ticket_id: int) -> SupportTicket:
    """An agent takes a ticket: it is theirs, and its thread's events reach them."""
    ticket = await _agents_ticket(agent, ticket_id)
    async with in_transaction():
        await _join(ticket.conversation_id, agent.id)
        await SupportTicket.filter(id=ticket.id).update(assignee_id=agent.id)
        await _notice(ticket, f"{agent.display_name} from support is looking after this.")
    rt.events_waker.wake()
    return await SupportTicket.get(id=ticket.id)


async def reply_to_ticket(rt: Runtime, user: User, *, ticket_id: int, text: str) -> SupportTicket:
    """An agent's reply waits for the user; the user's reply waits for an agent."""
    text = clean_text(text, "text", max_length=4000, min_length=1, multiline=True)
    ticket = await visible_ticket(user, ticket_id)
    if ticket.status == TicketStatus.RESOLVED:
        raise InvalidInput("ticketId", "the ticket is resolved; reopen it first")
    agent = is_agent(user) and ticket.user_id != user.id
    status = TicketStatus.WAITING_FOR_USER if agent else TicketStatus.WAITING_FOR_AGENT
    async with in_transaction():
        if agent:
            await _join(ticket.conversation_id, user.id)
            if ticket.assignee_id is None:
                await SupportTicket.filter(id=ticket.id).update(assignee_id=user.id)
        conversation = await Conversation.get(id=ticket.conversation_id)
        message = await Message.create(conversation_id=conversation.id, kind=MessageKind.TEXT,
                                       author_id=user.id, text=text)
        await Member.filter(conversation_id=conversation.id, user_id=user.id).update(last_read_message_id=message.id)
        await touch(conversation, message, rt.clock.now())
        await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)
        await _move(rt, ticket, status)
    rt.events_waker.wake()
    return await SupportTicket.get(id=ticket.id)


async def resolve_ticket(rt: Runtime, agent: User, *, ticket_id: int, resolution: str) -> SupportTicket:
    """An agent closes the ticket with a note the user reads; it leaves the queue."""
    resolution = clean_text(resolution, "resolution", max_length=2000, min_length=1, multiline=True)
    ticket = await _agents_ticket(agent, ticket_id)
    if ticket.status == TicketStatus.RESOLVED:
        raise InvalidInput("ticketId", "the ticket is already resolved")
    async with in_transaction():
        await SupportTicket.filter(id=ticket.id).update(resolution=resolution, resolved_at=rt.clock.now(),
                                                        assignee_id=ticket.assignee_id or agent.id)
        await _move(rt, ticket, TicketStatus.RESOLVED, resolution=resolution)
    rt.events_waker.wake()
    return await SupportTicket.get(id=ticket.id)


async def reopen_ticket(rt: Runtime, user: User, *, ticket_id: int) -> SupportTicket:
    """The ticket's user reopens it within REOPEN_DAYS of its resolution; it waits for an agent again."""
    ticket = await visible_ticket(user, ticket_id)
    if ticket.user_id != user.id:
        raise NotFound("ticket")
    until = reopenable_until(ticket)
    if until is None:
        raise InvalidInput("ticketId", "only a resolved ticket can be reopened")
    if rt.clock.now() > until:
        raise InvalidInput("ticketId", f"resolved more than {REOPEN_DAYS} days ago; open a new ticket")
    async with in_transaction():
        await SupportTicket.filter(id=ticket.id).update(resolved_at=None)
        await _move(rt, ticket, TicketStatus.WAITING_FOR_AGENT, notice="Reopened: waiting for support.")
    rt.events_waker.wake()
    return await SupportTicket.get(id=ticket.id)


def reopenable_until(ticket: SupportTicket) -> datetime | None:
    if ticket.status != TicketStatus.RESOLVED or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + timedelta(days=REOPEN_DAYS)


async def ticket_case(user: User, ticket: SupportTicket) -> tuple[Transfer, list[Journal], list[Transfer]]:
    """What support may see of the user for this ticket: the transfer, its journals, records around it."""
    transfer = await ticket_transfer(user, ticket)
    journals = await Journal.filter(transfer_id=transfer.id).order_by("id").prefetch_related("entries__account")
    mine = Transfer.filter(Q(payer_id=ticket.user_id) | Q(payee_id=ticket.user_id) | Q(initiator_id=ticket.user_id))
    before = await mine.filter(id__lt=transfer.id).order_by("-id").limit(RECORDS_AROUND)
    after = await mine.filter(id__gt=transfer.id).order_by("id").limit(RECORDS_AROUND)
    return transfer, list(journals), [*reversed(before), transfer, *after]


async def _agents_ticket(agent: User, ticket_id: int) -> SupportTicket:
    ticket = await SupportTicket.get_or_none(id=ticket_id) if is_agent(agent) else None
    if ticket is None:
        raise NotFound("ticket")
    return ticket


async def _join(conversation_id: int, agent_id: int) -> None:
    member = await Member.get_or_none(conversation_id=conversation_id, user_id=agent_id)
    if member is None:
        await Member.create(conversation_id=conversation_id, user_id=agent_id, joined_at=datetime.now(UTC))
    elif member.left_at is not None:
        await Member.filter(id=member.id).update(left_at=None)


async def _move(rt: Runtime, ticket: SupportTicket, status: TicketStatus, *, resolution: str = "",
                notice: str | None = None) -> None:
    """Inside the transaction: the new state, a notice in the thread, an event for the user."""
    await SupportTicket.filter(id=ticket.id).update(status=status, status_changed_at=rt.clock.now())
    await _notice(ticket, notice or _NOTICES[status].format(resolution=resolution))
    await events.record([ticket.user_id], TICKET_UPDATED, {"ticketId": ticket.id, "status": status.name})


async def _notice(ticket: SupportTicket, text: str) -> None:
    conversation = await Conversation.get(id=ticket.conversation_id)
    message = await Message.create(conversation_id=conversation.id, kind=MessageKind.SYSTEM, text=text[:4000])
    await touch(conversation, message, datetime.now(UTC))
    await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)


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
