"""Money requests in a conversation: post and cancel (paying one is a payment: app.payments.request_payments)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.chat.access import visible_conversation
from app.chat.announce import MESSAGE_ADDED, MESSAGE_EDITED, REQUEST_UPDATED, announce, lock_conversation
from app.chat.conversations import touch
from app.errors import InvalidInput, NotFound, RequestClosed
from app.ledger.amounts import parse_amount
from app.runtime import Runtime
from app.text import clean_text
from app.unit_of_work import money_transaction
from models import ConversationKind, Message, MessageKind, MoneyRequest, RequestState, User

MAX_MEMO = 100


async def request_money(rt: Runtime, user: User, *, conversation_id: int, amount: str, memo: str) -> MoneyRequest:
    """Post a request for `amount` into a direct or group conversation."""
    currency = rt.settings.currency
    amount_minor = parse_amount(amount, currency)
    memo = clean_text(memo, "memo", max_length=MAX_MEMO)
    conversation = await visible_conversation(user, conversation_id)
    if conversation.kind == ConversationKind.SUPPORT:
        raise InvalidInput("conversationId", "money can be requested in direct and group conversations only")
    now = datetime.now(UTC)

    async def post(_: object) -> MoneyRequest:
        await lock_conversation(conversation.id)
        request = await MoneyRequest.create(conversation_id=conversation.id, requester_id=user.id,
                                            amount_minor=amount_minor, currency=currency, memo=memo)
        message = await Message.create(conversation_id=conversation.id, kind=MessageKind.REQUEST,
                                       author_id=user.id, amount_minor=amount_minor, currency=currency,
                                       memo=memo, request_id=request.id)
        await MoneyRequest.filter(id=request.id).update(message_id=message.id)
        request.message_id = message.id
        await touch(conversation, message, now)
        await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)
        return request

    return await money_transaction(rt, post)


async def visible_request(user: User, request_id: int) -> MoneyRequest:
    request = await MoneyRequest.get_or_none(id=request_id)
    if request is None:
        raise NotFound("request")
    try:
        await visible_conversation(user, request.conversation_id)
    except NotFound:
        raise NotFound("request") from None
    return request


async def cancel_request(rt: Runtime, user: User, *, request_id: int) -> MoneyRequest:
    """The requester withdraws an open request; payments already made stay."""
    request = await visible_request(user, request_id)
    if request.requester_id != user.id:
        raise NotFound("request")

    async def cancel(_: object) -> None:
        await lock_conversation(request.conversation_id)
        done = await MoneyRequest.filter(id=request.id, state=RequestState.OPEN).update(
            state=RequestState.CANCELLED, cancelled_at=rt.clock.now())
        if not done:
            raise RequestClosed("CANCELLED", "The request is already cancelled.")
        await announce_request_update(request)

    await money_transaction(rt, cancel)
    return await MoneyRequest.get(id=request.id)


async def announce_request_update(request: MoneyRequest) -> None:
    """Inside the transaction that changed the request (a payment, a cancel): its members hear it."""
    await announce(request.conversation_id, REQUEST_UPDATED, requestId=request.id)
    if request.message_id is not None:
        await announce(request.conversation_id, MESSAGE_EDITED, messageId=request.message_id)
