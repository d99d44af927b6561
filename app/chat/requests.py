"""Money requests in a conversation: post, pay (through the wallet), cancel."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.chat.access import visible_conversation
from app.chat.announce import MESSAGE_ADDED, MESSAGE_EDITED, REQUEST_UPDATED, announce, lock_conversation
from app.chat.conversations import touch
from app.errors import InvalidInput, NotFound, RequestClosed
from app.ledger.amounts import parse_amount
from app.people.reach import Reach, check_direct
from app.runtime import Runtime
from app.text import clean_text
from models import ConversationKind, Message, MessageKind, MoneyRequest, RequestPayment, RequestState, User
from models.wallet import Transfer

MAX_MEMO = 100


async def request_money(rt: Runtime, user: User, *, conversation_id: int, amount: str, memo: str) -> MoneyRequest:
    """Post a request for `amount` into a direct or group conversation."""
    currency = rt.settings.currency
    amount_minor = parse_amount(amount, currency)
    memo = clean_text(memo, "memo", max_length=MAX_MEMO)
    conversation = await visible_conversation(user, conversation_id)
    if conversation.kind == ConversationKind.SUPPORT:
        raise InvalidInput("conversationId", "money can be requested in direct and group conversations only")
    await check_direct(user.id, conversation, Reach.PAYMENT_REQUEST)  # people: blocks and privacy
    now = datetime.now(UTC)
    async with in_transaction():
        await lock_conversation(conversation.id)
        request = await MoneyRequest.create(conversation_id=conversation.id, requester_id=user.id,
                                            amount_minor=amount_minor, currency=currency, memo=memo)
        message = await Message.create(conversation_id=conversation.id, kind=MessageKind.REQUEST,
                                       author_id=user.id, amount_minor=amount_minor, currency=currency,
                                       memo=memo, request_id=request.id)
        await MoneyRequest.filter(id=request.id).update(message_id=message.id)
        await touch(conversation, message, now)
        await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)
    rt.events_waker.wake()
    return await MoneyRequest.get(id=request.id)


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
    async with in_transaction():
        await lock_conversation(request.conversation_id)
        done = await MoneyRequest.filter(id=request.id, state=RequestState.OPEN).update(
            state=RequestState.CANCELLED, cancelled_at=datetime.now(UTC))
        if not done:
            raise RequestClosed("CANCELLED", "The request is already cancelled.")
        await _announce_update(request)
    rt.events_waker.wake()
    return await MoneyRequest.get(id=request.id)


async def pay_request(rt: Runtime, user: User, *, request_id: int, pin: str, idempotency_key: str) -> Transfer:
    """Pay a request through the wallet; each member pays a request at most once."""
    from app.payments.transfers import send_money

    request = await visible_request(user, request_id)
    if request.requester_id == user.id:
        raise InvalidInput("requestId", "you cannot pay your own request")
    paid = await RequestPayment.get_or_none(request_id=request.id, payer_id=user.id)
    if paid is not None:
        first = await Transfer.get(id=paid.transfer_id)
        if first.idempotency_key == idempotency_key:
            return first
        raise RequestClosed("ALREADY_PAID", "You have already paid this request.")
    if request.state != RequestState.OPEN:
        raise RequestClosed("CANCELLED", "The request was cancelled.")
    try:
        return await send_money(rt, user, payee_id=request.requester_id, amount_minor=request.amount_minor,
                                memo=request.memo, pin=pin, idempotency_key=idempotency_key,
                                request_id=request.id)
    except IntegrityError:
        raise RequestClosed("ALREADY_PAID", "You have already paid this request.") from None


async def record_request_payment(*, transfer_id: int, payer_id: int) -> None:
    """Inside the transfer's transaction: if it pays a request, note who paid (once per payer)."""
    transfer = await Transfer.get_or_none(id=transfer_id)
    if transfer is None or transfer.request_id is None:
        return
    request = await MoneyRequest.get_or_none(id=transfer.request_id)
    if request is None:
        return
    await RequestPayment.create(request_id=request.id, payer_id=payer_id, transfer_id=transfer_id)
    await _announce_update(request)


async def _announce_update(request: MoneyRequest) -> None:
    await announce(request.conversation_id, REQUEST_UPDATED, requestId=request.id)
    if request.message_id is not None:
        await announce(request.conversation_id, MESSAGE_EDITED, messageId=request.message_id)
