"""Red packets: a sum split into shares at creation, held in the packet's own ledger account
until members open it, with the unclaimed remainder returned to the sender when it expires."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.users import User


class RedPacketSplit(StrEnum):
    RANDOM = "RANDOM"
    EQUAL = "EQUAL"


class RedPacketState(StrEnum):
    OPEN = "OPEN"
    EMPTY = "EMPTY"
    EXPIRED = "EXPIRED"


class RedPacket(Model):
    """A packet: its shares are drawn once and committed (sha256 over salt and amounts)."""

    # The salt stays secret while the packet is OPEN (it would let anyone predict the next share);
    # once the packet is EMPTY or EXPIRED the salt and amounts are shown so the commitment can be checked.
    id = fields.BigIntField(primary_key=True)
    conversation_id = fields.BigIntField()
    sender: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT)
    transfer_id = fields.BigIntField(unique=True)
    account_id = fields.BigIntField(unique=True)
    message_id = fields.BigIntField(null=True)
    total_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    share_count = fields.IntField()
    split = fields.CharEnumField(RedPacketSplit, max_length=6)
    greeting = fields.CharField(max_length=100, default="")
    eligible_user_ids: list[int] = fields.JSONField(default=list)
    commitment = fields.CharField(max_length=64)
    salt = fields.CharField(max_length=64)
    state = fields.CharEnumField(RedPacketState, max_length=7, default=RedPacketState.OPEN)
    remaining_count = fields.IntField()
    remaining_minor = fields.BigIntField()
    returned_minor = fields.BigIntField(default=0)
    expires_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    sender_id: int

    class Meta:
        table = "red_packets"
        indexes = (("state", "expires_at"), ("conversation_id", "id"))


class RedPacketShare(Model):
    """One pre-drawn share, claimed by at most one member (and each member claims at most one)."""

    id = fields.BigIntField(primary_key=True)
    packet: fields.ForeignKeyRelation[RedPacket] = fields.ForeignKeyField(
        "models.RedPacket", related_name="shares", on_delete=fields.RESTRICT)
    seq = fields.IntField()
    amount_minor = fields.BigIntField()
    claimant_id = fields.BigIntField(null=True)
    transfer_id = fields.BigIntField(null=True)
    claimed_at = fields.DatetimeField(null=True)

    packet_id: int

    class Meta:
        table = "red_packet_shares"
        unique_together = (("packet", "seq"), ("packet", "claimant_id"))
