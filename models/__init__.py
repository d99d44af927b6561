"""Tortoise models, one module per domain. Tortoise discovers them through this package."""

from models.card_requests import CardRequest
from models.chat import (
    Conversation,
    ConversationKind,
    Member,
    Message,
    MessageKind,
    MoneyRequest,
    RequestPayment,
    RequestState,
    SupportTicket,
    TicketStatus,
)
from models.events import Event, OutboundMessage
from models.outside import OutsideCall
from models.users import Identity, Session, User, UserRole, VerificationCode
from models.wallet import (
    AccountKind,
    Card,
    CardBrand,
    CardStatus,
    EntryKind,
    Journal,
    JournalKind,
    LedgerAccount,
    LedgerEntry,
    PaymentPin,
    Transfer,
    TransferKind,
    TransferState,
)

__all__ = [
    "AccountKind",
    "Card",
    "CardBrand",
    "CardRequest",
    "CardStatus",
    "Conversation",
    "ConversationKind",
    "EntryKind",
    "Event",
    "Identity",
    "Journal",
    "JournalKind",
    "LedgerAccount",
    "LedgerEntry",
    "Member",
    "Message",
    "MessageKind",
    "MoneyRequest",
    "OutboundMessage",
    "OutsideCall",
    "PaymentPin",
    "RequestPayment",
    "RequestState",
    "Session",
    "SupportTicket",
    "TicketStatus",
    "Transfer",
    "TransferKind",
    "TransferState",
    "User",
    "UserRole",
    "VerificationCode",
]
