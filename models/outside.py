"""Calls to the outside world that move money (card charges and payouts), as the reconciler sees them.

One row per top-up or withdrawal, written in the transaction that records the PENDING transfer
(Brandur Leach's first recovery point): it names the idempotency reference the card network was
given and when the reconciler should next ask about it. `next_check_at` is NULL once the transfer
is final, so the reconciler's index holds only open operations.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.wallet import Transfer


class OutsideCall(Model):
    """A charge or payout sent (or about to be sent) to the card network under `reference`."""

    id = fields.BigIntField(primary_key=True)
    transfer: fields.OneToOneRelation[Transfer] = fields.OneToOneField(
        "models.Transfer", related_name="outside_call", on_delete=fields.RESTRICT)
    reference = fields.CharField(max_length=64, unique=True)
    next_check_at = fields.DatetimeField(null=True)
    checks = fields.IntField(default=0)
    resolved_by = fields.CharField(max_length=12, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    transfer_id: int

    class Meta:
        table = "outside_calls"
        indexes = (("next_check_at",),)
