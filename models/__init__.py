"""Tortoise models, one module per domain. Tortoise discovers them through this package."""

from models.acceptance import PendingOutcome, PendingTransfer, TransferAcceptance, WalletPreference
from models.card_requests import CardRequest
from models.chat import (
    Conversation,
    ConversationKind,
    Member,
    Message,
    MessageKind,
    MoneyRequest,
    RequestPayment,
    RequestShare,
    RequestState,
    SupportTicket,
    TicketStatus,
)
from models.codes import CollectionCode
from models.devices import ChallengePurpose, DeviceChallenge, PaymentApproval, PaymentDevice
from models.events import Event, OutboundMessage
from models.merchants import Merchant, MerchantKey, MerchantOrder, OrderRefund, OrderState
from models.notifications import MerchantNotification
from models.outside import OutsideCall
from models.people import (
    Audience,
    Block,
    Contact,
    ContactRequest,
    ContactRequestState,
    NotificationSettings,
    PrivacySettings,
    PushDelivery,
    PushDevice,
    PushFeed,
    PushPlatform,
    PushStatus,
)
from models.red_packets import RedPacket, RedPacketShare, RedPacketSplit, RedPacketState
from models.refunds import TransferRefund
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
    "Audience",
    "Block",
    "Card",
    "CardBrand",
    "CardRequest",
    "CardStatus",
    "ChallengePurpose",
    "CollectionCode",
    "Contact",
    "ContactRequest",
    "ContactRequestState",
    "Conversation",
    "ConversationKind",
    "DeviceChallenge",
    "EntryKind",
    "Event",
    "Identity",
    "Journal",
    "JournalKind",
    "LedgerAccount",
    "LedgerEntry",
    "Member",
    "MerchantNotification",
    "Message",
    "MessageKind",
    "MoneyRequest",
    "NotificationSettings",
    "OutboundMessage",
    "OutsideCall",
    "PaymentApproval",
    "PaymentDevice",
    "PaymentPin",
    "PendingOutcome",
    "PendingTransfer",
    "PrivacySettings",
    "PushDelivery",
    "PushDevice",
    "PushFeed",
    "PushPlatform",
    "PushStatus",
    "RedPacket",
    "RedPacketShare",
    "RedPacketSplit",
    "RedPacketState",
    "RequestPayment",
    "RequestShare",
    "RequestState",
    "Session",
    "SupportTicket",
    "TicketStatus",
    "Transfer",
    "TransferAcceptance",
    "TransferKind",
    "TransferRefund",
    "TransferState",
    "User",
    "UserRole",
    "VerificationCode",
    "WalletPreference",
]
__all__ += ["Merchant", "MerchantKey", "MerchantOrder", "OrderRefund", "OrderState"]
