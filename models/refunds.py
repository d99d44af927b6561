"""Refunds: each one a transfer of its own, linked here to the transfer it gives back (part of)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class TransferRefund(Model):
    """Links a REFUND transfer to its original (the refunds of one original never exceed it)."""

    id = fields.BigIntField(primary_key=True)
    refund_transfer_id = fields.BigIntField(unique=True)
    original_transfer_id = fields.BigIntField(db_index=True)
    amount_minor = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "transfer_refunds"
