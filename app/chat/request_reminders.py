"""Reminding the members who have not paid a money request yet, a few times an hour at most."""

from __future__ import annotations

from app import events
from app.chat.announce import MESSAGE_ADDED, announce, lock_conversation, member_ids
from app.chat.conversations import touch
from app.chat.requests import visible_request
from app.errors import NotFound, RequestClosed
from app.ledger.amounts import format_amount
from app.runtime import Runtime
from app.unit_of_work import money_transaction
from models import Conversation, Message, MessageKind, MoneyRequest, RequestPayment, RequestState, User

REMINDERS_PER_HOUR = 3
REQUEST_REMINDER = "request.reminder"


async def remind_request(rt: Runtime, user: User, *, request_id: int) -> tuple[MoneyRequest, list[int]]:
    """The requester nudges everyone who has not paid: a system message and an event for each of them."""
    request = await visible_request(user, request_id)
    if request.requester_id != user.id:
        raise NotFound("request")
    if request.state != RequestState.OPEN:
        raise RequestClosed("CANCELLED", "The request is closed.")
    await rt.limiter.hit(f"request-reminder:{request.id}", REMINDERS_PER_HOUR, 3600)
    paid = {p.payer_id for p in await RequestPayment.filter(request_id=request.id)}
    unpaid = [m for m in await member_ids(request.conversation_id) if m != user.id and m not in paid]

    async def post(_: object) -> None:
        await lock_conversation(request.conversation_id)
        conversation = await Conversation.get(id=request.conversation_id)
        text = (f"Reminder from {user.display_name}: {format_amount(request.amount_minor, request.currency)} "
                f"{request.currency} for \"{request.memo}\" is still to pay.")
        message = await Message.create(conversation_id=conversation.id, kind=MessageKind.SYSTEM, text=text,
                                       request_id=request.id)
        await touch(conversation, message, rt.clock.now())
        await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)
        if unpaid:
            await events.record(unpaid, REQUEST_REMINDER, {"conversationId": conversation.id,
                                                           "requestId": request.id})

    await money_transaction(rt, post)
    return request, unpaid
