"""The reads every live stream of a process shares: what many streams ask in one turn of the event loop
goes to the database as one query.

A doorbell burst (the relay rings a whole batch in one Redis pipeline, and the listener hands it out
in one go) wakes many streams at once; each asks for its own page after its own cursor, and one
statement answers all of them. The same holds for the messages those pages refer to (a payment's
message is in both parties' pages) and for the periodic session checks. Nothing is cached: a batch
lives from the first request of a turn until its one query answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Hashable, Mapping
from datetime import UTC, datetime
from typing import Generic, TypeVar

from app import events
from app.identity import sessions
from models import Message, MoneyRequest

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

PAGE = 200


class Batched(Generic[K, V]):
    """Collects the keys asked for in one turn of the event loop and fetches them with one call."""

    def __init__(self, fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]]) -> None:
        self._fetch = fetch
        self._loop: asyncio.AbstractEventLoop | None = None
        self._keys: set[K] = set()
        self._waiting: list[asyncio.Future[Mapping[K, V]]] = []
        self._running: set[asyncio.Task[None]] = set()

    async def get_many(self, keys: Collection[K]) -> Mapping[K, V]:
        """The values of these keys (a key the fetch did not find is absent)."""
        if not keys:
            return {}
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (tests run several): nothing of the old one carries over
            self._loop, self._keys, self._waiting = loop, set(), []
        if not self._waiting:
            loop.call_soon(self._dispatch)
        future: asyncio.Future[Mapping[K, V]] = loop.create_future()
        self._keys.update(keys)
        self._waiting.append(future)
        return await future

    async def get(self, key: K) -> V | None:
        return (await self.get_many((key,))).get(key)

    def _dispatch(self) -> None:
        keys, waiting = list(self._keys), self._waiting
        self._keys, self._waiting = set(), []
        if self._loop is None or not waiting:
            return
        task = self._loop.create_task(self._answer(keys, waiting))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _answer(self, keys: list[K], waiting: list[asyncio.Future[Mapping[K, V]]]) -> None:
        try:
            found = await self._fetch(keys)
        except asyncio.CancelledError:
            for future in waiting:
                future.cancel()
            raise
        except Exception as exc:  # every waiter sees the failure, as if it had read alone
            for future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        for future in waiting:
            if not future.done():  # its stream may have been cancelled meanwhile
                future.set_result(found)


async def _pages(cursors: list[tuple[int, int]]) -> dict[tuple[int, int], list[events.Stored]]:
    return dict(zip(cursors, await events.read_after_many(cursors, PAGE), strict=True))


async def _messages(ids: list[int]) -> dict[int, Message]:
    return {m.id: m for m in await Message.filter(id__in=ids)}


async def _requests(ids: list[int]) -> dict[int, MoneyRequest]:
    return {r.id: r for r in await MoneyRequest.filter(id__in=ids)}


async def _live(session_ids: list[int]) -> dict[int, bool]:
    live = await sessions.live_among(session_ids, datetime.now(UTC))
    return {sid: sid in live for sid in session_ids}


pages: Batched[tuple[int, int], list[events.Stored]] = Batched(_pages)
messages: Batched[int, Message] = Batched(_messages)
requests: Batched[int, MoneyRequest] = Batched(_requests)
live_sessions: Batched[int, bool] = Batched(_live)


async def page_after(user_id: int, cursor: int) -> list[events.Stored]:
    """The user's next page of events after the cursor, oldest first."""
    return await pages.get((user_id, cursor)) or []


async def session_live(session_id: int) -> bool:
    return bool(await live_sessions.get(session_id))
