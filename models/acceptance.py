"""Transfers that wait for the recipient: each user's preference, and one row per waiting transfer."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.users import User


class TransferAcceptance(StrEnum):
    AUTOMATIC = "AUTOMATIC"
    MANUAL = "MANUAL"


class WalletPreference(Model):
    """A user's wallet settings (absent: the defaults)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="wallet_preference", on_delete=fields.CASCADE)
    transfer_acceptance = fields.CharEnumField(TransferAcceptance, max_length=10,
                                               default=TransferAcceptance.AUTOMATIC)
    updated_at = fields.DatetimeField(auto_now=True)

    user_id: int

    class Meta:
        table = "wallet_preferences"


class PendingOutcome(StrEnum):
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"
    EXPIRED = "EXPIRED"


class PendingTransfer(Model):
    """A transfer held in the pending-transfers account until the recipient acts or it expires."""

    # The row lock on this record decides the race between accept, return and expiry: each takes it
    # first and acts only while outcome is NULL.
    id = fields.BigIntField(primary_key=True)
    transfer_id = fields.BigIntField(unique=True)
    payer_id = fields.BigIntField()
    payee_id = fields.BigIntField()
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    expires_at = fields.DatetimeField()
    outcome = fields.CharEnumField(PendingOutcome, max_length=8, null=True)
    reason = fields.CharField(max_length=100, default="")
    resolved_at = fields.DatetimeField(null=True)
    reminded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pending_transfers"
        indexes = (("outcome", "expires_at"), ("payee_id",))
