"""What a push says about one event, given the recipient's notification settings.

A push leaves the server for a third party (Apple, Google, a browser vendor), so it carries no
secret ever, and no message text, names or amounts unless the user turned previews or amounts on.
The memo of a transfer and the balance never travel: the app fetches details once opened.
"""

from __future__ import annotations

from app.payments.receipts import global_id
from models import Block, Event, Message, MessageKind, NotificationSettings, User

_RECEIPT_TITLES = {"RECEIVED": "Money received", "SENT": "Payment sent", "TOP_UP": "Top-up done",
                   "WITHDRAWAL": "Withdrawal done", "REFUND": "Refund received"}
PUSHABLE = ("payment.receipt", "message.added", "contact.requested", "support.ticket_updated")
PREVIEW_CHARS = 80


async def notification_for(event: Event, settings: NotificationSettings) -> dict[str, object] | None:
    """The push for one event, or None when nothing should be pushed."""
    p = event.payload
    if event.kind == "payment.receipt" and settings.payments:
        title = _RECEIPT_TITLES.get(str(p.get("receiptKind")), "Wallet activity")
        body = f"{p.get('amount')} {p.get('currency')}" if settings.show_amounts else "Open imwallet for details."
        return _push(event, title, body, transferId=p.get("transferId"))
    if event.kind == "message.added" and settings.messages:
        return await _message_push(event, settings)
    if event.kind == "contact.requested" and settings.messages:
        return _push(event, "New contact request", "Someone would like to add you.")
    if event.kind == "support.ticket_updated":
        return _push(event, "Support", f"Your ticket is now {str(p.get('status', '')).replace('_', ' ').lower()}.",
                     ticketId=p.get("ticketId"))
    return None


async def _message_push(event: Event, settings: NotificationSettings) -> dict[str, object] | None:
    message = await Message.get_or_none(id=int(str(event.payload.get("messageId"))))
    # Transfers arrive with their receipt, notices are noise, one's own messages need no push.
    if message is None or message.kind in (MessageKind.TRANSFER, MessageKind.SYSTEM) \
            or message.author_id in (None, event.user_id):
        return None
    if await Block.exists(blocker_id=event.user_id, blocked_id=message.author_id):
        return None
    ids = {"conversationId": global_id("Conversation", message.conversation_id),
           "messageId": global_id("Message", message.id)}
    if message.kind == MessageKind.REQUEST:
        body = f"{_amount(message)} requested" if settings.show_amounts else "Someone asked you for money."
        return _push(event, "Payment request", body, **ids)
    if not settings.show_preview:
        return _push(event, "New message", "You have a new message.", **ids)
    author = await User.get_or_none(id=message.author_id)
    text = message.text if len(message.text) <= PREVIEW_CHARS else message.text[:PREVIEW_CHARS - 1] + "…"
    return _push(event, author.display_name if author else "New message", text, **ids)


def _amount(message: Message) -> str:
    from app.ledger.amounts import format_amount

    return f"{format_amount(message.amount_minor or 0, message.currency or '')} {message.currency}"


def _push(event: Event, title: str, body: str, **data: object) -> dict[str, object]:
    return {"title": title, "body": body, "data": {"kind": event.kind, "eventId": event.id, **data}}
