"""argon2id hashing, always off the event loop in a small bounded thread pool."""

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

# OWASP's minimum argon2id row (19 MiB, t=2, p=1): the PIN is checked on every payment.
PIN_PROFILE = profiles.get_default_parameters().__class__(
    type=profiles.RFC_9106_LOW_MEMORY.type, version=profiles.RFC_9106_LOW_MEMORY.version,
    salt_len=16, hash_len=32, time_cost=2, memory_cost=19456, parallelism=1)


class Hasher:
    """Password and PIN hashing. PINs are peppered with an HMAC under the server key first,
    so a stolen database alone cannot be searched for the 10^6 possible PINs."""

    def __init__(self, *, key: bytes, cheap: bool, threads: int) -> None:
        self._key = key
        if cheap:
            self._password = PasswordHasher.from_parameters(profiles.CHEAPEST)
            self._pin = self._password
        else:
            self._password = PasswordHasher()
            self._pin = PasswordHasher.from_parameters(PIN_PROFILE)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        self._dummy_password_hash = self._password.hash("imwallet-timing-equaliser")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def hash_password(self, password: str) -> str:
        return await self._run(self._password.hash, password)

    async def verify_password(self, stored: str | None, password: str) -> bool:
        """Check a password; with no stored hash, spend the same time and say no."""
        ok = await self._verify(self._password, stored or self._dummy_password_hash, password)
        return ok and stored is not None

    async def hash_pin(self, pin: str) -> str:
        return await self._run(self._pin.hash, self._pepper(pin))

    async def verify_pin(self, stored: str, pin: str) -> bool:
        return await self._verify(self._pin, stored, self._pepper(pin))

    def _pepper(self, pin: str) -> str:
        return hmac.new(self._key, b"pin:" + pin.encode(), sha256).hexdigest()

    async def _verify(self, hasher: PasswordHasher, stored: str, secret: str) -> bool:
        try:
            return await self._run(hasher.verify, stored, secret)
        except (VerificationError, InvalidHashError):
            return False

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, fn, *args)
