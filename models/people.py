"""People around the wallet: contacts and their requests, blocks, privacy, push devices and deliveries."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Audience(StrEnum):
    """Who may do something to a user."""

    EVERYONE = "everyone"
    CONTACTS = "contacts"
    NOBODY = "nobody"


class ContactRequestState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ContactRequest(Model):
    """One person asks another to become contacts."""

    id = fields.BigIntField(primary_key=True)
    sender_id = fields.BigIntField()
    recipient_id = fields.BigIntField()
    note = fields.CharField(max_length=200, default="")
    state = fields.CharEnumField(ContactRequestState, max_length=10, default=ContactRequestState.PENDING)
    created_at = fields.DatetimeField()
    answered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "contact_requests"
        indexes = (("recipient_id", "state"), ("sender_id", "recipient_id"))


class Contact(Model):
    """One side of a contact pair: `owner` has `other` in their list, under an optional remark."""

    # Both directions are written together when a request is accepted and removed together.

    id = fields.BigIntField(primary_key=True)
    owner_id = fields.BigIntField()
    other_id = fields.BigIntField()
    remark = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "contacts"
        unique_together = (("owner_id", "other_id"),)


class Block(Model):
    """`blocker` has blocked `blocked`: the blocked user cannot reach the blocker."""

    id = fields.BigIntField(primary_key=True)
    blocker_id = fields.BigIntField()
    blocked_id = fields.BigIntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "blocks"
        unique_together = (("blocker_id", "blocked_id"),)


class PrivacySettings(Model):
    """A user's privacy choices (no row: the defaults, everyone)."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.BigIntField(unique=True)
    messages_from = fields.CharEnumField(Audience, max_length=10, default=Audience.EVERYONE)
    payment_requests_from = fields.CharEnumField(Audience, max_length=10, default=Audience.EVERYONE)
    findable_by_phone = fields.CharEnumField(Audience, max_length=10, default=Audience.EVERYONE)

    class Meta:
        table = "privacy_settings"


class PushPlatform(StrEnum):
    APNS = "apns"
    FCM = "fcm"
    WEB = "web"


class PushDevice(Model):
    """A device that receives pushes while the app is closed. The token is what the provider gave it."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.BigIntField()
    platform = fields.CharEnumField(PushPlatform, max_length=8)
    token = fields.CharField(max_length=512)
    created_at = fields.DatetimeField()
    retired_at = fields.DatetimeField(null=True)
    retired_reason = fields.CharField(max_length=100, default="")

    class Meta:
        table = "push_devices"
        unique_together = (("platform", "token"),)
        indexes = (("user_id", "retired_at"),)


class NotificationSettings(Model):
    """What a user's pushes may carry (no row: the defaults)."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.BigIntField(unique=True)
    messages = fields.BooleanField(default=True)
    payments = fields.BooleanField(default=True)
    show_preview = fields.BooleanField(default=False)
    show_amounts = fields.BooleanField(default=False)

    class Meta:
        table = "notification_settings"


class PushStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class PushDelivery(Model):
    """One push of one event to one device: the push outbox, retried with backoff."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.BigIntField()
    device_id = fields.BigIntField()
    payload: dict[str, object] = fields.JSONField()
    status = fields.CharEnumField(PushStatus, max_length=8, default=PushStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_deliveries"
        unique_together = (("event_id", "device_id"),)
        indexes = (("status", "next_attempt_at"),)


class PushFeed(Model):
    """The push feeder's place in the events table (one row)."""

    id = fields.IntField(primary_key=True)
    last_event_id = fields.BigIntField(default=0)

    class Meta:
        table = "push_feed"
