"""argon2id hashing of login passwords, always off the event loop in a small bounded thread pool.

Payment PINs are not hashed here: their verifier is a keyed MAC (app.pin.verifier). Only PIN
verifiers written before it (argon2id over a keyed pepper) are still checked here, once each,
before app.pin.attempts upgrades them.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from hashlib import sha256
from typing import TypeVar

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")


class Hasher:
    """Password hashing, and the check of legacy argon2id PIN verifiers."""

    def __init__(self, *, key: bytes, cheap: bool, threads: int) -> None:
        self._key = key
        self._password = PasswordHasher.from_parameters(profiles.CHEAPEST) if cheap else PasswordHasher()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        self._dummy_password_hash = self._password.hash("imwallet-timing-equaliser")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def hash_password(self, password: str) -> str:
        return await self._run(self._password.hash, password)

    async def verify_password(self, stored: str | None, password: str) -> bool:
        """Check a password; with no stored hash, spend the same time and say no."""
        ok = await self._verify(stored or self._dummy_password_hash, password)
        return ok and stored is not None

    async def hash_legacy_pin(self, pin: str) -> str:
        """A verifier of the old kind (tests of the upgrade path make one with it)."""
        return await self._run(self._password.hash, self._pepper(pin))

    async def verify_legacy_pin(self, stored: str, pin: str) -> bool:
        """Check an argon2id PIN verifier of the first version (argon2 reads its cost from `stored`)."""
        return await self._verify(stored, self._pepper(pin))

    def _pepper(self, pin: str) -> str:
        return hmac.new(self._key, b"pin:" + pin.encode(), sha256).hexdigest()

    async def _verify(self, stored: str, secret: str) -> bool:
        try:
            return await self._run(self._password.verify, stored, secret)
        except (VerificationError, InvalidHashError):
            return False

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, fn, *args)
