"""What a push says about one event, given the recipient's notification settings.

A push leaves the server for a third party (Apple, Google, a browser vendor), so it carries no
secret ever, and no message text, names or amounts unless the user turned previews or amounts on.
The memo of a transfer and the balance never travel: the app fetches details once opened.

The facts a push needs (settings, messages, their authors, blocks) are loaded for a whole batch of
events at once (`Facts.load`), so the feed reads a fixed number of queries however many events it turns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ledger.amounts import format_amount
from app.payments.acceptance import TRANSFER_REMINDER
from app.payments.receipts import global_id
from models import Block, Event, Message, MessageKind, NotificationSettings, TransferState, User

_RECEIPT_TITLES = {"RECEIVED": "Money received", "SENT": "Payment sent", "TOP_UP": "Top-up done",
                   "WITHDRAWAL": "Withdrawal done", "REFUND": "Refund received"}
PUSHABLE = ("payment.receipt", "message.added", "contact.requested", "support.ticket_updated", TRANSFER_REMINDER)
PREVIEW_CHARS = 80


@dataclass
class Facts:
    """What the pushes of one batch of events read from the database, loaded once for the batch."""

    settings: dict[int, NotificationSettings] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    authors: dict[int, str] = field(default_factory=dict)
    blocked: set[tuple[int, int]] = field(default_factory=set)  # (blocker, blocked)

    @classmethod
    async def load(cls, batch: list[Event]) -> Facts:
        users = {e.user_id for e in batch}
        message_ids = {_message_id(e) for e in batch if e.kind == "message.added"} - {None}
        facts = cls(settings={s.user_id: s for s in await NotificationSettings.filter(user_id__in=users)})
        if message_ids:
            facts.messages = {m.id: m for m in await Message.filter(id__in=message_ids)}
        author_ids = {m.author_id for m in facts.messages.values() if m.author_id is not None}
        if author_ids:
            facts.authors = dict(await User.filter(id__in=author_ids).values_list("id", "display_name"))
            facts.blocked = set(await Block.filter(blocker_id__in=users, blocked_id__in=author_ids)
                                .values_list("blocker_id", "blocked_id"))
        return facts

    def settings_of(self, user_id: int) -> NotificationSettings:
        return self.settings.get(user_id) or NotificationSettings(user_id=user_id)


def notification_for(event: Event, facts: Facts) -> dict[str, object] | None:
    """The push for one event, or None when nothing should be pushed."""
    p, settings = event.payload, facts.settings_of(event.user_id)
    if event.kind == "payment.receipt" and settings.payments:
        title = _RECEIPT_TITLES.get(str(p.get("receiptKind")), "Wallet activity")
        body = f"{p.get('amount')} {p.get('currency')}" if settings.show_amounts else "Open imwallet for details."
        return _push(event, title, body, transferId=p.get("transferId"))
    if event.kind == TRANSFER_REMINDER and settings.payments:
        return _push(event, "Money waiting for you", "A transfer to you goes back to its sender soon unless you "
                     "accept it.", transferId=p.get("transferId"))
    if event.kind == "message.added" and settings.messages:
        return _message_push(event, settings, facts)
    if event.kind == "contact.requested" and settings.messages:
        return _push(event, "New contact request", "Someone would like to add you.")
    if event.kind == "support.ticket_updated":
        return _push(event, "Support", f"Your ticket is now {str(p.get('status', '')).replace('_', ' ').lower()}.",
                     ticketId=p.get("ticketId"))
    return None


def _message_push(event: Event, settings: NotificationSettings, facts: Facts) -> dict[str, object] | None:
    message = facts.messages.get(_message_id(event) or 0)
    # A completed transfer arrives with its receipt, notices are noise, one's own messages need no push.
    if message is None or message.kind == MessageKind.SYSTEM or message.author_id in (None, event.user_id):
        return None
    if (event.user_id, message.author_id) in facts.blocked:
        return None
    ids = {"conversationId": global_id("Conversation", message.conversation_id),
           "messageId": global_id("Message", message.id)}
    if message.kind == MessageKind.TRANSFER:
        # A transfer that waits for acceptance has no receipt yet: without this push the payee never hears.
        if message.transfer_state != TransferState.AWAITING_ACCEPTANCE.value:
            return None
        body = f"{_amount(message)}: accept it in the chat." if settings.show_amounts \
            else "Someone sent you money: accept it in the chat."
        return _push(event, "Money waiting for you", body, **ids)
    if message.kind == MessageKind.REQUEST:
        body = f"{_amount(message)} requested" if settings.show_amounts else "Someone asked you for money."
        return _push(event, "Payment request", body, **ids)
    if message.kind == MessageKind.RED_PACKET:
        sender = facts.authors.get(message.author_id) if settings.show_preview else None
        return _push(event, "Red packet", f"{sender} sent a red packet." if sender else "You have a red packet.",
                     **ids)
    if not settings.show_preview:
        return _push(event, "New message", "You have a new message.", **ids)
    text = message.text if len(message.text) <= PREVIEW_CHARS else message.text[:PREVIEW_CHARS - 1] + "…"
    return _push(event, facts.authors.get(message.author_id, "New message"), text, **ids)


def _message_id(event: Event) -> int | None:
    raw = event.payload.get("messageId")
    return int(str(raw)) if raw is not None else None


def _amount(message: Message) -> str:
    return f"{format_amount(message.amount_minor or 0, message.currency or '')} {message.currency}"


def _push(event: Event, title: str, body: str, **data: object) -> dict[str, object]:
    return {"title": title, "body": body, "data": {"kind": event.kind, "eventId": event.id, **data}}
