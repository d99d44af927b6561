"""Collection codes: the rows behind signed code payloads, so a code can be revoked."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class CollectionCode(Model):
    """A code that pays its owner, or with merchant_id the merchant, until it is revoked.

    Its payload is not stored but signed again from this row whenever shown, under the current key.
    A NULL amount is a static code (the payer fills the amount in). static_key is set only on a live
    static code (one per payee, unique) and cleared when it is revoked."""

    id = fields.BigIntField(primary_key=True)
    owner_id = fields.BigIntField(description="the user who issued the code")
    merchant_id = fields.BigIntField(null=True, description="set for a code of a merchant")
    amount_minor = fields.BigIntField(null=True, description="NULL: the payer chooses the amount")
    currency = fields.CharField(max_length=3)
    memo = fields.CharField(max_length=64, default="")
    static_key = fields.CharField(max_length=40, null=True, unique=True,
                                  description="user:ID or merchant:ID while this is the live static code")
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "collection_codes"
        indexes = (("owner_id", "revoked_at"),)
