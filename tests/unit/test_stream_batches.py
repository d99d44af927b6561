"""The batches the live streams of a process share (subscriptions/reads.py): what is asked in one turn
of the event loop is fetched once; a failure reaches every waiter; a waiter that goes away costs the
others nothing. And the periodic ticks that let the streams of a slot wake together."""

from __future__ import annotations

import asyncio

import pytest

from subscriptions.reads import Batched
from subscriptions.stream import TICK_SLOTS, next_tick


async def test_keys_asked_in_one_turn_are_fetched_with_one_call() -> None:
    calls: list[list[int]] = []

    async def fetch(keys: list[int]) -> dict[int, str]:
        calls.append(sorted(keys))
        return {k: f"v{k}" for k in keys if k != 13}

    batch: Batched[int, str] = Batched(fetch)
    got = await asyncio.gather(*(batch.get_many({n, n + 1}) for n in range(0, 20, 2)), batch.get(13))
    assert calls == [list(range(20))]
    assert (got[0][0], got[0][1], got[9][19]) == ("v0", "v1", "v19")
    assert got[-1] is None  # not found: absent, not an error
    # a later turn is a new batch
    assert await batch.get(5) == "v5"
    assert calls[1:] == [[5]]
    assert await batch.get_many(set()) == {}
    assert len(calls) == 2  # asking for nothing asks the database for nothing


async def test_a_failed_fetch_fails_every_waiter_and_the_next_batch_starts_clean() -> None:
    attempts = [0]

    async def fetch(keys: list[int]) -> dict[int, int]:
        attempts[0] += 1
        if attempts[0] == 1:
            raise ConnectionError("database away")
        return {k: k for k in keys}

    batch: Batched[int, int] = Batched(fetch)
    results = await asyncio.gather(batch.get(1), batch.get(2), return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    assert await asyncio.gather(batch.get(1), batch.get(2)) == [1, 2]
    assert attempts == [2]


async def test_a_waiter_cancelled_meanwhile_leaves_the_others_their_answer() -> None:
    release = asyncio.Event()

    async def fetch(keys: list[int]) -> dict[int, int]:
        await release.wait()
        return {k: -k for k in keys}

    batch: Batched[int, int] = Batched(fetch)
    gone = asyncio.create_task(batch.get(1))
    stays = asyncio.create_task(batch.get(2))
    await asyncio.sleep(0.01)
    gone.cancel()
    release.set()
    assert await stays == -2
    with pytest.raises(asyncio.CancelledError):
        await gone


def test_ticks_fall_on_a_few_shared_grids_always_ahead() -> None:
    every = 3.0
    for now in (0.0, 1.234, 2.9999, 3.0, 1000.5):
        ticks = {next_tick(now, every, user_id) for user_id in range(1000)}
        assert len(ticks) == TICK_SLOTS  # a thousand streams wake on 8 instants, not 1,000
        assert all(now < t <= now + every for t in ticks)
    assert next_tick(10.0, every, 8) == next_tick(10.0, every, 16)  # same slot, same instant
