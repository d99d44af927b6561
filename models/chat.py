"""Chat: conversations, members and their read positions, messages, money requests, support tickets."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.users import User


class ConversationKind(StrEnum):
    DIRECT = "direct"
    GROUP = "group"
    SUPPORT = "support"


class MessageKind(StrEnum):
    TEXT = "text"
    TRANSFER = "transfer"
    REQUEST = "request"
    SYSTEM = "system"
    RED_PACKET = "packet"


class RequestState(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class TicketStatus(StrEnum):
    OPEN = "open"
    WAITING_FOR_USER = "waiting_for_user"
    WAITING_FOR_AGENT = "waiting_for_agent"
    RESOLVED = "resolved"


class Conversation(Model):
    """A direct chat, a group, or a support ticket's thread."""

    # direct_key is "smaller_id:larger_id" for DIRECT and null otherwise: the unique index makes
    # the pair's conversation a single row even when both start it at the same moment.

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(ConversationKind, max_length=8)
    title = fields.CharField(max_length=100, default="")
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    direct_key = fields.CharField(max_length=48, null=True, unique=True)
    last_message_id = fields.BigIntField(null=True)
    last_activity_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    owner_id: int | None

    class Meta:
        table = "conversations"


class Member(Model):
    """A user's membership in a conversation, with the last message they have read."""

    id = fields.BigIntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name="members", on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE)
    last_read_message_id = fields.BigIntField(default=0)
    joined_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)

    conversation_id: int
    user_id: int

    class Meta:
        table = "conversation_members"
        unique_together = (("conversation", "user"),)
        indexes = (("user_id", "left_at"),)


class Message(Model):
    """One entry of a conversation: text, a transfer, a money request or a system notice."""

    id = fields.BigIntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name="messages", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(MessageKind, max_length=8)
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    text = fields.TextField(default="")
    client_message_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    edited_at = fields.DatetimeField(null=True)
    recalled_at = fields.DatetimeField(null=True)
    transfer_id = fields.BigIntField(null=True)
    amount_minor = fields.BigIntField(null=True)
    currency = fields.CharField(max_length=3, null=True)
    memo = fields.CharField(max_length=200, default="")
    transfer_state = fields.CharField(max_length=20, null=True)
    request_id = fields.BigIntField(null=True)

    conversation_id: int
    author_id: int | None

    class Meta:
        table = "messages"
        unique_together = (("conversation", "author", "client_message_id"),)
        indexes = (("conversation_id", "id"), ("transfer_id",))


class MoneyRequest(Model):
    """A request for money posted into a conversation, payable by its other members."""

    id = fields.BigIntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name="requests", on_delete=fields.CASCADE)
    requester: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE)
    message_id = fields.BigIntField(null=True)
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    memo = fields.CharField(max_length=200, default="")
    state = fields.CharEnumField(RequestState, max_length=10, default=RequestState.OPEN)
    created_at = fields.DatetimeField(auto_now_add=True)
    cancelled_at = fields.DatetimeField(null=True)
    # Optional client key: a retried requestMoney returns the first request instead of posting a second.
    idempotency_key = fields.CharField(max_length=255, null=True)
    request_fingerprint = fields.CharField(max_length=64, null=True)
    # A split bill: each participant owes the share in request_shares (amount_minor is then the total).
    split = fields.BooleanField(default=False, db_default=False)

    conversation_id: int
    requester_id: int

    class Meta:
        table = "money_requests"
        unique_together = (("requester", "idempotency_key"),)


class RequestShare(Model):
    """One participant's share of a split bill, paid once with payRequest."""

    id = fields.BigIntField(primary_key=True)
    request: fields.ForeignKeyRelation[MoneyRequest] = fields.ForeignKeyField(
        "models.MoneyRequest", related_name="shares", on_delete=fields.CASCADE)
    user_id = fields.BigIntField()
    amount_minor = fields.BigIntField()

    request_id: int

    class Meta:
        table = "request_shares"
        unique_together = (("request", "user_id"),)


class RequestPayment(Model):
    """One member's payment of a money request, written in the transfer's transaction."""

    id = fields.BigIntField(primary_key=True)
    request: fields.ForeignKeyRelation[MoneyRequest] = fields.ForeignKeyField(
        "models.MoneyRequest", related_name="payments", on_delete=fields.CASCADE)
    payer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE)
    transfer_id = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    request_id: int
    payer_id: int

    class Meta:
        table = "money_request_payments"
        unique_together = (("request", "payer"),)


class SupportTicket(Model):
    """A user's question to the support team about one of their transfers."""

    id = fields.BigIntField(primary_key=True)
    conversation: fields.OneToOneRelation[Conversation] = fields.OneToOneField(
        "models.Conversation", related_name="ticket", on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE)
    transfer_id = fields.BigIntField()
    status = fields.CharEnumField(TicketStatus, max_length=20, default=TicketStatus.OPEN)
    created_at = fields.DatetimeField(auto_now_add=True)
    assignee_id = fields.BigIntField(null=True)
    status_changed_at = fields.DatetimeField(null=True)
    resolution = fields.CharField(max_length=2000, default="")
    resolved_at = fields.DatetimeField(null=True)

    conversation_id: int
    user_id: int

    class Meta:
        table = "support_tickets"
        indexes = (("status", "id"),)
