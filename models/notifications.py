"""Signed notifications to merchants (webhooks): the outbox of order events to POST to a notify URL."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class MerchantNotification(Model):
    """One order event to POST to a merchant, kept until its receiver answers 2xx, never dropped."""

    # Written in the transaction that made the event true (app/notifications/outbox.py), so a row
    # exists if and only if its event committed. `body` holds the exact bytes that are signed and
    # sent, on every attempt. Rows of one order go out one at a time in `sequence` order: a row is
    # claimed only once `previous_id` (the order's row before it) was delivered.
    # merchant_id and order_id carry no foreign key: merchants and orders live in their own tables.

    id = fields.BigIntField(primary_key=True)
    merchant_id = fields.BigIntField()
    order_id = fields.BigIntField()
    sequence = fields.IntField()
    previous_id = fields.BigIntField(null=True)
    event_id = fields.CharField(max_length=40, unique=True)
    event = fields.CharField(max_length=48)
    url = fields.CharField(max_length=2048)
    body = fields.TextField()
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=300, default="")
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "merchant_notifications"
        unique_together = (("order_id", "sequence"),)
        indexes = (("delivered_at", "next_attempt_at"),)
