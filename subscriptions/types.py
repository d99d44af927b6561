"""What the subscriptions deliver: one event type per kind, all implementing StreamEvent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import strawberry

from app.events import Stored
from models import Message as MessageModel
from models import MoneyRequest as MoneyRequestModel
from schema.chat.types import ChatUser, Message, MessageChange, PaymentRequest
from schema.ids import encode_id
from schema.money import Money
from schema.scalars import Decimal
from subscriptions import reads


@strawberry.interface(description="One entry of the viewer's event stream.")
class StreamEvent:
    cursor: str | None = strawberry.field(
        description="Resume after this event with `after:`; null for ephemeral signals (typing).")
    at: datetime = strawberry.field(description="When the event happened.")


@strawberry.type(description="A message was added, edited (or its transfer or request changed), or recalled.")
class MessageEvent(StreamEvent):
    change: MessageChange = strawberry.field(description="What happened to the message.")
    conversation_id: strawberry.ID = strawberry.field(description="The message's conversation.")
    message: Message = strawberry.field(description="The message as it is now (a tombstone once recalled).")


@strawberry.type(description="A member's read position moved.")
class ReadEvent(StreamEvent):
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    user_id: strawberry.ID = strawberry.field(description="The member whose read position moved.")
    last_read_message_id: strawberry.ID = strawberry.field(description="The newest message they have read.")


@strawberry.type(description="Ephemeral: someone is typing (or stopped). Never stored, never replayed.")
class TypingEvent(StreamEvent):
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    user: ChatUser = strawberry.field(description="Who is typing.")
    typing: bool = strawberry.field(description="False when they stopped.")
    expires_at: datetime = strawberry.field(description="Stop showing the signal after this, unless renewed.")


@strawberry.type(description="A conversation's members changed.")
class MembershipEvent(StreamEvent):
    conversation_id: strawberry.ID = strawberry.field(description="The conversation: refetch its members.")


@strawberry.type(description="A money request changed: paid by someone, or cancelled.")
class RequestEvent(StreamEvent):
    conversation_id: strawberry.ID = strawberry.field(description="The request's conversation.")
    request: PaymentRequest | None = strawberry.field(
        description="The request as it is now; null if no longer visible.")


@strawberry.type(description="A payment receipt, as the viewer sees the movement.")
class PaymentReceipt:
    receipt_kind: str = strawberry.field(description="SENT, RECEIVED, TOP_UP, WITHDRAWAL or REFUND.")
    transfer_id: strawberry.ID = strawberry.field(description="The transfer's global id.")
    amount: Money = strawberry.field(description="The amount moved.")
    balance_after: Money = strawberry.field(description="The wallet balance right after it.")
    counterparty_id: strawberry.ID | None = strawberry.field(
        description="The other user's global id; null for top-ups and withdrawals.")
    counterparty_name: str | None = strawberry.field(
        description="The other user's display name; null for top-ups and withdrawals.")
    memo: str = strawberry.field(description="The payer's note.")
    state: str = strawberry.field(description="The transfer's state when the receipt was written (e.g. COMPLETED).")


@strawberry.type(description="Money moved in or out of the viewer's wallet.")
class PaymentReceiptEvent(StreamEvent):
    receipt: PaymentReceipt = strawberry.field(description="The receipt.")


@strawberry.type(description="A transfer's state changed.")
class TransferStateEvent(StreamEvent):
    transfer_id: strawberry.ID = strawberry.field(description="The transfer's global id.")
    state: str = strawberry.field(description="Its new state.")


@strawberry.type(description="A transfer waiting for your acceptance returns to its sender soon.")
class TransferReminderEvent(StreamEvent):
    transfer_id: strawberry.ID = strawberry.field(description="Global id of the waiting `Transfer`.")
    expires_at: datetime = strawberry.field(description="When it returns by itself unless accepted.")


@strawberry.type(description="The requester reminds you that a money request is still to pay.")
class RequestReminderEvent(StreamEvent):
    conversation_id: strawberry.ID = strawberry.field(description="Global id of the conversation.")
    request_id: strawberry.ID = strawberry.field(description="Global id of the `PaymentRequest`.")


_CHANGES = {"message.added": MessageChange.ADDED, "message.edited": MessageChange.EDITED,
            "message.recalled": MessageChange.RECALLED}
MESSAGE_KINDS = frozenset(_CHANGES)
RECEIPT_KINDS = frozenset({"payment.receipt"})


def _gid(type_name: str, value: Any) -> strawberry.ID:
    return strawberry.ID(encode_id(type_name, int(value)))


def _money(amount: Any, currency: Any) -> Money:
    return Money(amount=Decimal(str(amount)), currency=str(currency))


async def to_graphql(events: Sequence[Stored]) -> list[StreamEvent]:
    """Turn a page of stored events into GraphQL events, loading their messages and requests with those
    of every other stream woken at the same time (one query each, subscriptions/reads.py)."""
    message_ids = {int(e.payload["messageId"]) for e in events if e.kind in MESSAGE_KINDS}
    request_ids = {int(e.payload["requestId"]) for e in events if e.kind == "request.updated"}
    messages = await reads.messages.get_many(message_ids)
    requests = await reads.requests.get_many(request_ids)
    out: list[StreamEvent] = []
    for e in events:
        item = _one(e, messages, requests)
        if item is not None:
            out.append(item)
    return out


def _one(e: Stored, messages: Mapping[int, MessageModel], requests: Mapping[int, MoneyRequestModel]
         ) -> StreamEvent | None:
    p, cursor, at = e.payload, str(e.id), e.created_at
    if e.kind in MESSAGE_KINDS:
        m = messages.get(int(p["messageId"]))
        if m is None:
            return None
        return MessageEvent(cursor=cursor, at=at, change=_CHANGES[e.kind], message=Message.from_model(m),
                            conversation_id=_gid("Conversation", m.conversation_id))
    if e.kind == "conversation.read":
        return ReadEvent(cursor=cursor, at=at, conversation_id=_gid("Conversation", p["conversationId"]),
                         user_id=_gid("User", p["userId"]), last_read_message_id=_gid("Message", p["messageId"]))
    if e.kind == "conversation.members_changed":
        return MembershipEvent(cursor=cursor, at=at, conversation_id=_gid("Conversation", p["conversationId"]))
    if e.kind == "request.updated":
        r = requests.get(int(p["requestId"]))
        return RequestEvent(cursor=cursor, at=at, conversation_id=_gid("Conversation", p["conversationId"]),
                            request=PaymentRequest.from_model(r) if r else None)
    if e.kind == "payment.receipt":
        return PaymentReceiptEvent(cursor=cursor, at=at, receipt=PaymentReceipt(
            receipt_kind=str(p["receiptKind"]), transfer_id=strawberry.ID(str(p["transferId"])),
            amount=_money(p["amount"], p["currency"]), balance_after=_money(p["balanceAfter"], p["currency"]),
            counterparty_id=strawberry.ID(str(p["counterpartyId"])) if p.get("counterpartyId") else None,
            counterparty_name=str(p["counterpartyName"]) if p.get("counterpartyName") else None,
            memo=str(p.get("memo") or ""), state=str(p.get("state") or "")))
    if e.kind == "transfer.state_changed":
        return TransferStateEvent(cursor=cursor, at=at, transfer_id=strawberry.ID(str(p["transferId"])),
                                  state=str(p["state"]))
    if e.kind == "request.reminder":
        return RequestReminderEvent(cursor=cursor, at=at, conversation_id=_gid("Conversation", p["conversationId"]),
                                    request_id=_gid("PaymentRequest", p["requestId"]))
    if e.kind == "transfer.reminder":
        return TransferReminderEvent(cursor=cursor, at=at, transfer_id=strawberry.ID(str(p["transferId"])),
                                     expires_at=datetime.fromisoformat(str(p["expiresAt"])))
    return _people(e)


@strawberry.type(description="Your support ticket changed state (support answered, resolved, reopened).")
class TicketEvent(StreamEvent):
    ticket_id: strawberry.ID = strawberry.field(description="Global id of the `SupportTicket`.")
    status: str = strawberry.field(description="The ticket's state now, a `TicketStatus` name.")


@strawberry.type(description="Someone asked you (contactRequested) or accepted you (contactAccepted) as a contact.")
class ContactEvent(StreamEvent):
    request_id: strawberry.ID = strawberry.field(description="Global id of the contact request.")
    change: str = strawberry.field(description="REQUESTED or ACCEPTED.")


def _people(e: Stored) -> StreamEvent | None:
    p, cursor, at = e.payload, str(e.id), e.created_at
    if e.kind == "support.ticket_updated":
        return TicketEvent(cursor=cursor, at=at, ticket_id=_gid("SupportTicket", p["ticketId"]),
                           status=str(p["status"]))
    if e.kind in ("contact.requested", "contact.accepted"):
        return ContactEvent(cursor=cursor, at=at, request_id=_gid("ContactRequest", p["requestId"]),
                            change=e.kind.split(".")[1].upper())
    return None


def typing_event(signal: dict[str, Any]) -> TypingEvent:
    return TypingEvent(cursor=None, at=datetime.fromisoformat(str(signal["at"])),
                       conversation_id=_gid("Conversation", signal["conversationId"]),
                       user=ChatUser(id=_gid("User", signal["userId"]), display_name=str(signal["name"])),
                       typing=bool(signal["typing"]), expires_at=datetime.fromisoformat(str(signal["expiresAt"])))


ALL_TYPES = [MessageEvent, ReadEvent, TypingEvent, MembershipEvent, RequestEvent, PaymentReceiptEvent,
             TransferStateEvent, TicketEvent, ContactEvent, TransferReminderEvent, RequestReminderEvent]
