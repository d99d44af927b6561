"""Payment devices: phones whose secure hardware holds a WebAuthn key that approves payments."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class ChallengePurpose(StrEnum):
    ENROL = "enrol"
    PAY = "pay"


class PaymentDevice(Model):
    """An enrolled WebAuthn credential. Only its public key is kept: the private key never leaves the phone."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "models.User", related_name="payment_devices", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=64)
    credential_id = fields.CharField(max_length=1400, unique=True, description="base64url")
    public_key = fields.TextField(description="COSE public key, base64url")
    sign_count = fields.BigIntField(default=0)
    transports: Any = fields.JSONField(default=list)
    enrolled_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    suspended_at = fields.DatetimeField(null=True, description="set when a cloned key is detected")
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_devices"
        indexes = (("user_id", "removed_at"),)


class DeviceChallenge(Model):
    """A single-use WebAuthn challenge: for enrolment, or bound to exactly one payment."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.BigIntField()
    purpose = fields.CharEnumField(ChallengePurpose, max_length=8)
    challenge = fields.CharField(max_length=64, unique=True, description="base64url of 32 bytes")
    payment_digest = fields.CharField(max_length=64, default="", description="what a PAY challenge approves")
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "device_challenges"


class PaymentApproval(Model):
    """Which device approved which payment (by the payer's idempotency key), for records and support."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.BigIntField()
    idempotency_key = fields.CharField(max_length=255)
    device: fields.ForeignKeyRelation[PaymentDevice] = fields.ForeignKeyField(
        "models.PaymentDevice", related_name="approvals", on_delete=fields.CASCADE)
    approved_at = fields.DatetimeField()

    class Meta:
        table = "payment_approvals"
        indexes = (("user_id", "idempotency_key"),)
