"""The bridge from payments to chat: a transfer shows up as a message in the direct conversation."""

from __future__ import annotations

from datetime import UTC, datetime

from app import events
from app.chat.announce import MESSAGE_ADDED, announce, member_ids
from app.chat.conversations import direct_between, touch
from app.chat.requests import record_request_payment
from models import Message, MessageKind, MoneyRequest
from models.wallet import Transfer


async def post_transfer_message(*, payer_id: int, payee_id: int, transfer_id: int, amount_minor: int,
                                currency: str, memo: str, state: str) -> None:
    """Call inside the transfer's transaction: find or create the payer/payee direct conversation
    and append a TRANSFER message (not editable, not recallable) with its events.
    """
    await events.lock_streams(await streams_touched(payer_id=payer_id, payee_id=payee_id, transfer_id=transfer_id))
    conversation = await direct_between(payer_id, payee_id)
    message = await Message.create(
        conversation_id=conversation.id, kind=MessageKind.TRANSFER, author_id=payer_id, text="",
        transfer_id=transfer_id, amount_minor=amount_minor, currency=currency, memo=memo[:200],
        transfer_state=state)
    await touch(conversation, message, datetime.now(UTC))
    await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)
    await record_request_payment(transfer_id=transfer_id, payer_id=payer_id)


async def streams_touched(*, payer_id: int, payee_id: int, transfer_id: int) -> set[int]:
    """Every user whose stream a transfer's events reach: both parties and, when it pays a request,
    all members of the request's conversation (they hear the request update).
    """
    users = {payer_id, payee_id}
    transfer = await Transfer.get_or_none(id=transfer_id)
    if transfer is not None and transfer.request_id is not None:
        request = await MoneyRequest.get_or_none(id=transfer.request_id)
        if request is not None:
            users.update(await member_ids(request.conversation_id))
    return users


async def update_transfer_state(*, transfer_id: int, state: str) -> None:
    """Call inside the transaction that changes a transfer's state: its chat message follows."""
    message = await Message.filter(transfer_id=transfer_id, kind=MessageKind.TRANSFER).first()
    if message is None or message.transfer_state == state:
        return
    await Message.filter(id=message.id).update(transfer_state=state)
    await announce(message.conversation_id, "message.edited", messageId=message.id)
