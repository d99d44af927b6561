"""What the services need from the running process, passed explicitly: no module-level state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from redis.asyncio import ConnectionPool

from app.background import Background
from app.clock import Clock
from app.identity.session_cache import SessionCache
from app.pin.verifier import PinKeys
from app.redis_client import command_pool
from app.security.hashing import Hasher
from app.security.keyed import Keyring
from app.security.ratelimit import Limiter
from app.settings import Settings


class Waker(Protocol):
    """Something that has new rows to deliver: wakes the relays after a commit."""

    def wake(self) -> None: ...


class _NoWaker:
    def wake(self) -> None:
        return None


class Signals(Protocol):
    """Ephemeral notices (typing) sent straight to users' live streams, never stored."""

    async def signal(self, user_ids: list[int], payload: dict[str, object]) -> None: ...

    async def sessions_ended(self, user_id: int) -> None:
        """Tell every process that some of this user's sessions were revoked."""


class _NoSignals:
    async def signal(self, user_ids: list[int], payload: dict[str, object]) -> None:
        return None

    async def sessions_ended(self, user_id: int) -> None:
        return None


@dataclass
class Runtime:
    settings: Settings
    hasher: Hasher
    keyring: Keyring
    limiter: Limiter
    outbox_waker: Waker
    events_waker: Waker
    pin_keys: PinKeys

    redis_pool: ConnectionPool | None = None
    signals: Signals = field(default_factory=_NoSignals)
    clock: Clock = field(default_factory=Clock)
    session_cache: SessionCache = field(default_factory=lambda: SessionCache(0))
    background: Background = field(default_factory=Background)
    # The merchant-notification worker (app/notifications/delivery.py): wake after committing a notification.
    notify_waker: Waker = field(default_factory=_NoWaker)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        pool = command_pool(settings.redis_url) if settings.redis_url else None
        return cls(
            settings=settings,
            hasher=Hasher(key=settings.key_bytes, cheap=settings.password_hash_profile == "cheapest",
                          threads=settings.hash_threads),
            keyring=Keyring(settings.key_bytes, settings.previous_key_bytes),
            limiter=Limiter(settings.redis_url, pool, namespace=settings.redis_namespace),
            outbox_waker=_NoWaker(),
            events_waker=_NoWaker(),
            redis_pool=pool,
            clock=Clock(settings.clock_offset_seconds),
            session_cache=SessionCache(settings.session_cache_seconds),
            pin_keys=PinKeys.from_settings(
                settings.pin_keys.get_secret_value() if settings.pin_keys else None, settings.key_bytes),
        )

    async def aclose(self) -> None:
        await self.background.drain()
        self.hasher.close()
        if self.redis_pool is not None:
            await self.redis_pool.aclose()
