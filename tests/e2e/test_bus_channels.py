"""The Redis bus (subscriptions/bus.py) subscribes a process to the channels its own streams wait on:
a doorbell reaches the process that holds the stream, not every process. Revocations reach all."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.client import PubSub

from subscriptions.bus import SESSIONS_ENDED, RedisBus
from tests.support.databases import REDIS_URL

pytestmark = pytest.mark.postgres  # the Redis bus: the postgres pass is the one that runs with Redis


@asynccontextmanager
async def redis_bus(namespace: str) -> AsyncIterator[RedisBus]:
    pool = ConnectionPool.from_url(REDIS_URL)
    bus = RedisBus(namespace, 16, url=REDIS_URL, command_pool=pool)
    await bus.start()
    try:
        await asyncio.wait_for(bus.connected.wait(), 10)
        yield bus
    finally:
        await bus.stop()
        await pool.aclose()


async def _listeners(redis: Redis, channel: str) -> int:
    ((_, count),) = await redis.pubsub_numsub(channel)
    return int(count)


async def _until_listeners(redis: Redis, channel: str, count: int) -> None:
    for _ in range(100):
        if await _listeners(redis, channel) == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{channel} kept {await _listeners(redis, channel)} listeners, expected {count}")


class _Revocations:
    def __init__(self) -> None:
        self.users: list[int] = []

    def sessions_ended(self, user_id: int) -> None:
        self.users.append(user_id)

    def bus_down(self) -> None:
        pass

    def bus_up(self) -> None:
        pass


async def test_a_process_listens_on_its_own_streams_channels_and_gives_them_back() -> None:
    namespace = f"bus-test-{uuid.uuid4().hex[:8]}"
    redis = Redis.from_url(REDIS_URL)
    try:
        async with redis_bus(namespace) as here, redis_bus(namespace) as there:
            mine, theirs = here.user_channel(1), here.user_channel(2)
            assert await _listeners(redis, mine) == 0
            async with here.subscribe(mine) as stream:
                # confirmed by Redis before subscribe() returns: what the stream reads next leaves no gap
                assert await _listeners(redis, mine) == 1
                assert await _listeners(redis, theirs) == 0  # nobody holds a stream of user 2
                await there.publish(mine, {"kind": "events", "upTo": 5})
                assert await stream.get(5.0) == {"kind": "events", "upTo": 5}
                async with here.subscribe(mine) as second:  # a second stream of the same user
                    await there.publish(mine, {"kind": "events", "upTo": 6})
                    assert await second.get(5.0) == {"kind": "events", "upTo": 6}
                    assert await _listeners(redis, mine) == 1  # one subscription per process, not per stream
                assert await _listeners(redis, mine) == 1  # the first stream still waits on it
                assert await stream.get(5.0) == {"kind": "events", "upTo": 6}
            await _until_listeners(redis, mine, 0)  # the last stream gone: the channel is given back
    finally:
        await redis.aclose()


async def test_a_revocation_reaches_every_process_whether_or_not_it_holds_a_stream_of_that_user() -> None:
    namespace = f"bus-test-{uuid.uuid4().hex[:8]}"
    old_client = Redis.from_url(REDIS_URL, decode_responses=True)
    previous_release = old_client.pubsub()
    await previous_release.psubscribe(f"{namespace}:user:*")  # how the release before this one listened
    try:
        async with redis_bus(namespace) as here, redis_bus(namespace) as there:
            heard_here, heard_there = _Revocations(), _Revocations()
            here.session_listeners.append(heard_here)
            there.session_listeners.append(heard_there)
            await there.sessions_ended(7)  # neither process has a stream of user 7
            for _ in range(100):
                if heard_here.users and heard_there.users:
                    break
                await asyncio.sleep(0.05)
            assert (heard_here.users, heard_there.users) == ([7], [7])
            heard_before = [json.loads(m["data"]) for m in await _messages(previous_release)]
            assert heard_before == [{"kind": SESSIONS_ENDED, "userId": 7}]
    finally:
        await previous_release.aclose()
        await old_client.aclose()


async def _messages(pubsub: PubSub, quiet_seconds: float = 0.5) -> list[dict[str, Any]]:
    """What the pub/sub connection received, once nothing more has come for `quiet_seconds`."""
    got: list[dict[str, Any]] = []
    while (m := await pubsub.get_message(timeout=quiet_seconds)) is not None:
        if m["type"] == "pmessage":
            got.append(m)
    return got
