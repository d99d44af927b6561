"""The realtime bus: tiny pub/sub with a memory backend and a Redis backend chosen by REDIS_URL.

It carries doorbells ("user N has events up to id X": the events themselves are read from the
database) and ephemeral signals such as typing. Each subscriber has a bounded queue: a subscriber
that falls behind is detached and told LAGGED, and nobody else waits for it. When the Redis
listener loses its connection, messages published in the gap are gone, so every local subscriber
is told RESYNC and re-reads the database from its cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)

SESSIONS_ENDED = "sessions.ended"
LAGGED: dict[str, Any] = {"kind": "lagged"}
RESYNC: dict[str, Any] = {"kind": "resync"}
# How long a new subscriber waits for Redis to confirm its channel before it reads anyway (the
# stream's periodic read covers a doorbell missed in between).
CONFIRM_SECONDS = 2.0


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class Subscriber:
    """One live stream's inbox.

    A deque and one future instead of asyncio.Queue under asyncio.wait_for: on Python 3.11 every
    wait_for makes a task, and every timeout cancels it and waits for the cancellation; a thousand
    streams waiting on their periodic ticks paid that at every tick."""

    def __init__(self, size: int, on_lag: Callable[[], None] | None = None) -> None:
        self.size = size
        self.items: deque[dict[str, Any]] = deque()
        self.lagged = False
        self.on_lag = on_lag
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, item: dict[str, Any]) -> bool:
        if self.lagged:
            return False
        if len(self.items) >= self.size:
            self.lagged = True
            self._force(LAGGED)
            if self.on_lag is not None:
                self.on_lag()
            return False
        self._put(item)
        return True

    def force(self, item: dict[str, Any]) -> None:
        if not self.lagged:
            self._force(item)

    def _force(self, item: dict[str, Any]) -> None:
        if len(self.items) >= self.size:
            self.items.popleft()
        self._put(item)

    def _put(self, item: dict[str, Any]) -> None:
        self.items.append(item)
        if self._waiter is not None:
            _expire(self._waiter)

    async def get(self, wait_seconds: float) -> dict[str, Any] | None:
        """The oldest item, or None when nothing came within `wait_seconds`."""
        if not self.items:
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiter = waiter
            timer = loop.call_later(wait_seconds, _expire, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
        return self.items.popleft() if self.items else None


class SessionListener(Protocol):
    """Hears revocations (to close sockets, drop cached sessions) and whether it can hear them at all."""

    def sessions_ended(self, user_id: int) -> None: ...

    def bus_down(self) -> None: ...

    def bus_up(self) -> None: ...


class Bus:
    """The in-process bus; also the fan-out half of the Redis bus."""

    def __init__(self, namespace: str, queue_size: int) -> None:
        self.namespace = namespace
        self.queue_size = queue_size
        self._subs: dict[str, set[Subscriber]] = defaultdict(set)
        self.session_listeners: list[SessionListener] = []

    def user_channel(self, user_id: int) -> str:
        return f"{self.namespace}:user:{user_id}"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        self._dispatch(channel, message)

    async def publish_many(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """Several messages at once (the relay's doorbells for one batch)."""
        for channel, message in messages:
            self._dispatch(channel, message)

    async def signal(self, user_ids: list[int], payload: dict[str, object]) -> None:
        """Ephemeral: reaches whoever listens now, or nobody."""
        for uid in user_ids:
            await self.publish(self.user_channel(uid), {"kind": "signal", "signal": payload})

    async def sessions_ended(self, user_id: int) -> None:
        """Some of the user's sessions were revoked: every process re-checks that user's sockets."""
        await self.publish(self.user_channel(user_id), {"kind": SESSIONS_ENDED, "userId": user_id})

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str, on_lag: Callable[[], None] | None = None
                        ) -> AsyncIterator[Subscriber]:
        sub = Subscriber(self.queue_size, on_lag)
        self._subs[channel].add(sub)
        try:
            yield sub
        finally:
            subs = self._subs.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[channel]

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subs.values())

    def _dispatch(self, channel: str, message: dict[str, Any]) -> None:
        if message.get("kind") == SESSIONS_ENDED:
            user_id = message.get("userId")
            if isinstance(user_id, int):
                for listener in self.session_listeners:
                    listener.sessions_ended(user_id)
            return
        for sub in list(self._subs.get(channel, ())):
            if not sub.offer(message):
                self._subs[channel].discard(sub)

    def _bus_state(self, up: bool) -> None:
        for listener in self.session_listeners:
            if up:
                listener.bus_up()
            else:
                listener.bus_down()

    def _resync_all(self) -> None:
        for subs in self._subs.values():
            for sub in subs:
                sub.force(RESYNC)


class RedisBus(Bus):
    """Redis pub/sub: one listener connection per process, on a client WITHOUT retries, so a lost
    connection surfaces here (and turns into RESYNC) instead of being papered over.

    The listener subscribes to the channels this process's own subscribers wait on, and to the
    sessions channel every process hears (revocations reach the session caches of all of them).
    A pattern over every user channel would hand each process every doorbell and typing signal in
    the system: with P processes, P times the decoding, most of it for streams held elsewhere."""

    def __init__(self, namespace: str, queue_size: int, *, url: str, command_pool: ConnectionPool) -> None:
        super().__init__(namespace, queue_size)
        self._url = url
        self._commands = Redis(connection_pool=command_pool)
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self._pubsub: PubSub | None = None
        self._subscribed: set[str] = set()  # what the listener connection has asked Redis for
        self._confirming: dict[str, asyncio.Future[None]] = {}  # SUBSCRIBEs Redis has not confirmed yet
        self._changes = asyncio.Lock()  # one SUBSCRIBE/UNSUBSCRIBE decision at a time, on current state

    @property
    def sessions_channel(self) -> str:
        return f"{self.namespace}:sessions"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="redis-bus")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._commands.publish(channel, json.dumps(message))

    async def publish_many(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """One round trip to Redis for the lot (a pipeline without MULTI): a group message's doorbells."""
        if not messages:
            return
        async with self._commands.pipeline(transaction=False) as pipe:
            for channel, message in messages:
                pipe.publish(channel, json.dumps(message))
            await pipe.execute()

    async def sessions_ended(self, user_id: int) -> None:
        # Also on the user's channel, where processes of the release before this one (a pattern over
        # every user channel) listen, so a rolling deploy keeps revocations immediate in both halves.
        # A process of this release that holds the user's stream hears it twice; forgetting is idempotent.
        message = {"kind": SESSIONS_ENDED, "userId": user_id}
        await self.publish_many([(self.sessions_channel, message), (self.user_channel(user_id), message)])

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str, on_lag: Callable[[], None] | None = None
                        ) -> AsyncIterator[Subscriber]:
        """Returns once Redis has confirmed the channel's subscription (or CONFIRM_SECONDS passed), so
        what the caller reads from the database next and the doorbells it hears leave no gap."""
        try:
            async with super().subscribe(channel, on_lag) as sub:
                await self._converge(channel)
                confirming = self._confirming.get(channel)
                if confirming is not None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(confirming), CONFIRM_SECONDS)
                yield sub
        finally:
            # shielded: a cancelled stream still gives its channel back; if this is lost anyway, the
            # channel stays subscribed with nobody here to hand its messages to, which is harmless
            await asyncio.shield(self._converge(channel))

    async def _converge(self, channel: str) -> None:
        """Subscribe the listener to `channel` when a local subscriber waits on it, unsubscribe when
        none does. Without a connection it does nothing: the listener subscribes to every wanted
        channel when it (re)connects."""
        async with self._changes:
            pubsub, wanted = self._pubsub, channel in self._subs
            if pubsub is None or wanted == (channel in self._subscribed):
                return
            try:
                if wanted:
                    if channel not in self._confirming:  # one still pending is answered by this one's reply too
                        self._confirming[channel] = asyncio.get_running_loop().create_future()
                    self._subscribed.add(channel)
                    await pubsub.subscribe(channel)
                else:
                    self._subscribed.discard(channel)
                    await pubsub.unsubscribe(channel)
            except Exception as exc:  # the listener sees the broken connection, and resubscribes all
                log.warning("bus: could not change the subscription to a channel (%s)", type(exc).__name__)

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            client = Redis.from_url(self._url, decode_responses=True, socket_timeout=None)
            lost = "the subscription ended"  # cannot while the sessions channel is subscribed
            try:
                async with client.pubsub() as pubsub:
                    async with self._changes:
                        self._subscribed = {self.sessions_channel, *self._subs}
                        await pubsub.subscribe(*self._subscribed)
                        self._pubsub = pubsub
                    self.connected.set()
                    self._bus_state(up=True)
                    self._resync_all()  # anything published before we (re)subscribed was missed
                    delay = 0.1
                    async for raw in pubsub.listen():
                        self._receive(raw)
            except Exception as exc:  # CancelledError is not an Exception: stop() passes through
                lost = type(exc).__name__
            finally:
                self._disconnected()
                with contextlib.suppress(Exception):
                    await client.aclose()
            self._bus_state(up=False)
            log.warning("bus lost redis (%s); reconnecting in %.1f s", lost, delay)
            self._resync_all()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _disconnected(self) -> None:
        self.connected.clear()
        self._pubsub = None
        self._subscribed = set()
        for waiter in self._confirming.values():
            _expire(waiter)  # nobody waits for a confirmation that cannot come; the resync covers the gap
        self._confirming.clear()

    def _receive(self, raw: dict[str, Any]) -> None:
        if raw["type"] == "subscribe":
            waiter = self._confirming.pop(str(raw["channel"]), None)
            if waiter is not None:
                _expire(waiter)
            return
        if raw["type"] != "message":
            return
        try:
            message = json.loads(raw["data"])
        except (ValueError, TypeError, KeyError):
            log.warning("bus: ignoring a malformed message")
            return
        self._dispatch(str(raw["channel"]), message)


def build_bus(*, namespace: str, queue_size: int, redis_url: str | None,
              command_pool: ConnectionPool | None) -> Bus:
    if redis_url and command_pool is not None:
        return RedisBus(namespace, queue_size, url=redis_url, command_pool=command_pool)
    return Bus(namespace, queue_size)
