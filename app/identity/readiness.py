"""What an account still needs before it may open a wallet."""

from __future__ import annotations

from app.errors import Requirement
from models import Identity, PaymentPin, User


async def wallet_requirements(user: User) -> list[Requirement]:
    """IDENTITY until an adult identity is verified; PAYMENT_PIN until a PIN is set."""
    missing: list[Requirement] = []
    if not await Identity.filter(user_id=user.id).exists():
        missing.append(Requirement("IDENTITY"))
    if not await _has_pin(user):
        missing.append(Requirement("PAYMENT_PIN"))
    return missing


async def _has_pin(user: User) -> bool:
    return bool(await PaymentPin.filter(user_id=user.id).exists())
