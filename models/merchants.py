"""Merchants: shops with a wallet of their own, their API keys, their orders and the refunds of those.

A merchant's wallet is a ledger account of kind MERCHANT_WALLET (never negative: the services check it
under the row lock, and the merchant_guards migration adds a database guard beside the user wallets').
Money moves only through app.ledger, as everywhere.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.users import User
from models.wallet import LedgerAccount


class Merchant(Model):
    """A shop: a name, the user who owns it (and whose cards it settles to), and its wallet account."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="merchants", on_delete=fields.RESTRICT)
    account: fields.OneToOneRelation[LedgerAccount] = fields.OneToOneField(
        "models.LedgerAccount", related_name="merchant", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    owner_id: int
    account_id: int

    class Meta:
        table = "merchants"


class MerchantKey(Model):
    """An API key of a merchant, stored as the SHA-256 of the key only. Revoked keys stay, marked."""

    id = fields.BigIntField(primary_key=True)
    merchant: fields.ForeignKeyRelation[Merchant] = fields.ForeignKeyField(
        "models.Merchant", related_name="keys", on_delete=fields.CASCADE)
    key_hash = fields.CharField(max_length=64, unique=True)
    # The first characters of the key (its public prefix), to tell keys apart in listings.
    prefix = fields.CharField(max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    merchant_id: int

    class Meta:
        table = "merchant_keys"


class OrderState(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    EXPIRED = "EXPIRED"
    REFUNDED = "REFUNDED"


class MerchantOrder(Model):
    """An order a merchant created, paid at most once by one user, refunded in parts up to its amount."""

    id = fields.BigIntField(primary_key=True)
    merchant: fields.ForeignKeyRelation[Merchant] = fields.ForeignKeyField(
        "models.Merchant", related_name="orders", on_delete=fields.RESTRICT)
    merchant_order_id = fields.CharField(max_length=64)
    request_fingerprint = fields.CharField(max_length=64)
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    description = fields.CharField(max_length=100, default="")
    notify_url = fields.CharField(max_length=500, default="")
    state = fields.CharEnumField(OrderState, max_length=10, default=OrderState.PENDING)
    expires_at = fields.DatetimeField()
    payer_id = fields.BigIntField(null=True)
    payment_transfer_id = fields.BigIntField(null=True, unique=True)
    refunded_minor = fields.BigIntField(default=0)
    created_at = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    merchant_id: int

    class Meta:
        table = "merchant_orders"
        unique_together = (("merchant", "merchant_order_id"),)
        indexes = (("state", "expires_at"),)


class OrderRefund(Model):
    """One refund of an order: a transfer of its own, unique per (merchant, idempotency key)."""

    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation[MerchantOrder] = fields.ForeignKeyField(
        "models.MerchantOrder", related_name="refunds", on_delete=fields.RESTRICT)
    merchant_id = fields.BigIntField()
    idempotency_key = fields.CharField(max_length=255)
    request_fingerprint = fields.CharField(max_length=64)
    transfer_id = fields.BigIntField(unique=True)
    amount_minor = fields.BigIntField()
    reason = fields.CharField(max_length=100, default="")
    created_at = fields.DatetimeField()

    order_id: int

    class Meta:
        table = "merchant_order_refunds"
        unique_together = (("merchant_id", "idempotency_key"),)
