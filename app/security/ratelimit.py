"""Rate limits on attempts (not requests), in Redis when there are several processes.

Security limiters fail closed: if the store is unreachable the attempt is refused as retriable.
"""

from __future__ import annotations

import logging
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

from app.errors import RateLimited, TemporarilyUnavailable

log = logging.getLogger(__name__)


class Limiter:
    def __init__(self, redis_url: str | None, pool: ConnectionPool | None, namespace: str) -> None:
        self._storage: Storage
        if redis_url and pool is not None:
            self._storage = RedisStorage(f"async+{redis_url}", implementation="redispy",
                                         key_prefix=namespace,
                                         connection_pool=pool)  # type: ignore[arg-type]
        else:
            self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def hit(self, key: str, amount: int, per_seconds: int) -> None:
        """Count one attempt against `amount` per `per_seconds`; raise RateLimited when over."""
        item = RateLimitItemPerSecond(amount, per_seconds)
        try:
            allowed = await self._limiter.hit(item, key)
            if allowed:
                return
            stats = await self._limiter.get_window_stats(item, key)
        except RateLimited:
            raise
        except Exception as exc:
            log.warning("rate-limit store unreachable; refusing (fail closed): %s", type(exc).__name__)
            raise TemporarilyUnavailable() from exc
        raise RateLimited(max(1, int(stats.reset_time - time.time())))

    async def clear(self, key: str, amount: int, per_seconds: int) -> None:
        try:
            await self._limiter.clear(RateLimitItemPerSecond(amount, per_seconds), key)
        except Exception:
            log.warning("rate-limit store unreachable while clearing %s", key.split(":")[0])

    async def count(self, key: str, amount: int, per_seconds: int) -> int:
        """How many attempts the current window holds for `key` (for tests and operators)."""
        stats = await self._limiter.get_window_stats(RateLimitItemPerSecond(amount, per_seconds), key)
        return amount - stats.remaining
