"""The process's Redis command client: one retrying pool, shared by rate limits and publishing."""

from __future__ import annotations

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


def command_pool(url: str) -> ConnectionPool:
    # from_url alone would build a pool without retries (redis-py 8); commands want them.
    return ConnectionPool.from_url(
        url, decode_responses=True, max_connections=100, health_check_interval=30,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError])


def command_client(pool: ConnectionPool) -> Redis:
    return Redis(connection_pool=pool)
