"""Idempotency keys of the card mutations (bindCard, confirmCardBinding, removeCard).

A key is written in the transaction that did the work, unique per (user, key), with a digest of the
request (never the card number: a keyed fingerprint of it goes into the digest) and the card it
concerned, so that a retry answers the first result instead of starting a second binding.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.users import User
from models.wallet import Card


class CardRequest(Model):
    """One card mutation a user asked for under an idempotency key."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="card_requests", on_delete=fields.CASCADE)
    idempotency_key = fields.CharField(max_length=255)
    action = fields.CharField(max_length=12)
    request_fingerprint = fields.CharField(max_length=64)
    card: fields.ForeignKeyRelation[Card] = fields.ForeignKeyField(
        "models.Card", related_name="requests", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int
    card_id: int

    class Meta:
        table = "card_requests"
        unique_together = (("user", "idempotency_key"),)
