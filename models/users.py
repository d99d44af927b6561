"""Accounts, sessions, verification codes and verified identities."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class UserRole(StrEnum):
    USER = "user"
    SUPPORT = "support"


class User(Model):
    id = fields.BigIntField(primary_key=True)
    phone = fields.CharField(max_length=16, unique=True, description="E.164")
    display_name = fields.CharField(max_length=64)
    email = fields.CharField(max_length=254, null=True)
    email_verified_at = fields.DatetimeField(null=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(UserRole, max_length=16, default=UserRole.USER)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class Session(Model):
    """A login. Only the SHA-256 of the bearer token is kept."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE)
    token_hash = fields.CharField(max_length=64, unique=True)
    device_name = fields.CharField(max_length=100, default="")
    client_address = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "sessions"


class VerificationCode(Model):
    """A one-time code bound to (destination, purpose). Only its keyed hash is kept."""

    id = fields.BigIntField(primary_key=True)
    destination = fields.CharField(max_length=254)
    purpose = fields.CharField(max_length=32)
    code_hash = fields.CharField(max_length=64)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    consumed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "verification_codes"
        indexes = (("destination", "purpose"),)


class Identity(Model):
    """A verified real-world identity. The document number is kept only keyed-hashed and masked."""

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="identity", on_delete=fields.CASCADE)
    real_name = fields.CharField(max_length=100)
    document_type = fields.CharField(max_length=32)
    document_hash = fields.CharField(max_length=64, unique=True)
    # Which server key made document_hash (app/security/keyed.py); empty: made before key ids.
    document_key_id = fields.CharField(max_length=16, default="")
    document_masked = fields.CharField(max_length=32)
    date_of_birth = fields.DateField()
    verified_at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "identities"
