"""Single-use WebAuthn challenges, kept in the database so that any app process can check them."""

from __future__ import annotations

import os
from datetime import timedelta
from hashlib import sha256

from webauthn.helpers import bytes_to_base64url

from app.runtime import Runtime
from models import ChallengePurpose, DeviceChallenge


async def issue(rt: Runtime, user_id: int, purpose: ChallengePurpose, payment_digest: str = "") -> bytes:
    """A fresh challenge; for a payment its bytes also commit to the payment's digest."""
    nonce = os.urandom(32)
    challenge = sha256(payment_digest.encode() + nonce).digest() if payment_digest else nonce
    await DeviceChallenge.create(
        user_id=user_id, purpose=purpose, challenge=bytes_to_base64url(challenge), payment_digest=payment_digest,
        expires_at=rt.clock.now() + timedelta(seconds=rt.settings.device_challenge_ttl_seconds))
    return challenge


async def spend(rt: Runtime, user_id: int, purpose: ChallengePurpose, challenge_b64: str,
                payment_digest: str = "") -> bool:
    """Use up a challenge that this user was given for this purpose (and payment), unexpired.

    One conditional UPDATE, so two requests carrying the same assertion cannot both spend it."""
    now = rt.clock.now()
    spent = await DeviceChallenge.filter(
        user_id=user_id, purpose=purpose, challenge=challenge_b64, payment_digest=payment_digest,
        used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    return bool(spent)


async def prune(rt: Runtime) -> int:
    """Forget challenges that can no longer be used."""
    return await DeviceChallenge.filter(expires_at__lt=rt.clock.now() - timedelta(hours=1)).delete()
