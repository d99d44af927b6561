"""The two outboxes: each user's ordered event stream, and SMS and mail waiting to be delivered."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Event(Model):
    """One entry in the event stream of a user, whose id is the cursor."""

    # Rows are written in the transaction that caused them, and within one user in commit
    # order (see app.events). published_at is set by the relay once the bus has been told.

    id = fields.BigIntField(primary_key=True)
    user_id = fields.BigIntField()
    kind = fields.CharField(max_length=48)
    payload: dict[str, object] = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)
    published_at = fields.DatetimeField(null=True)

    class Meta:
        table = "events"
        indexes = (("user_id", "id"), ("published_at", "id"))


class EventHorizon(Model):
    """One row: the newest event id that pruning has deleted. A cursor below it may have missed events
    (CURSOR_EXPIRED); at or above it, nothing after the cursor was pruned. Recorded rather than read off
    MIN(id), because ids drawn by rolled-back transactions leave gaps that look like pruned events."""

    id = fields.IntField(primary_key=True)
    pruned_through = fields.BigIntField(default=0)

    class Meta:
        table = "event_horizon"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboundMessage(Model):
    """An SMS or mail to deliver. The body is encrypted at rest and erased once delivered."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharEnumField(Channel, max_length=8)
    recipient = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=200, default="")
    body_sealed = fields.TextField(default="")
    status = fields.CharEnumField(DeliveryStatus, max_length=8, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbound_messages"
        indexes = (("status", "next_attempt_at"),)
