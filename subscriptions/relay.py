"""The events relay: rings each affected user's doorbell on the bus for committed, unannounced events.

Runs in every process. It wakes when this process commits events (`wake()`) and polls otherwise,
so rows committed by a process that died before announcing them are announced by another.
Claiming uses SKIP LOCKED, so processes share the work without waiting for each other. A failed
publish leaves the rows unannounced for the next round: a doorbell may be late, never lost.

Most rounds look only at ids above a floor, the newest id this relay had announced a second earlier
(`Floor`). Each claim leaves the announced rows' old versions in the index until a vacuum, and a
claim that started from the lowest unannounced id walked all of them: under load it went from 0.3 ms
to 13 ms of PostgreSQL within a minute (docs/performance-findings.md). A full round every
FULL_ROUND_SECONDS finds what the floor hides: a transaction that committed far behind the
others, or the rows of a process that died before it announced them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from app import events
from app.settings import Settings
from models import Event
from subscriptions.bus import Bus

log = logging.getLogger(__name__)

BATCH = 500
_CLAIM = """
UPDATE events SET published_at = $1
WHERE id IN (SELECT id FROM events WHERE published_at IS NULL AND id > $3 ORDER BY id LIMIT $2
             FOR UPDATE SKIP LOCKED)
RETURNING id, user_id"""
PRUNE_EVERY_SECONDS = 3600.0
FULL_ROUND_SECONDS = 2.0
# How long a commit may land behind newer ones (ids are drawn when a transaction writes, not when it
# commits) and still be announced by the next round rather than the next full one.
FLOOR_LAG_SECONDS = 1.0


class Floor:
    """The id above which the next round looks: 0 (everything) for a full round, due at the start and
    every `full_every` seconds; otherwise the newest id this relay had announced `lag` seconds ago."""

    def __init__(self, full_every: float = FULL_ROUND_SECONDS, lag: float = FLOOR_LAG_SECONDS) -> None:
        self.full_every = full_every
        self.lag = lag
        self._seen: deque[tuple[float, int]] = deque()  # (when, the newest id a round announced)
        self._floor = 0
        self._full_at: float | None = None

    def for_round(self, now: float) -> int:
        if self._full_at is None or now - self._full_at >= self.full_every:
            self._full_at = now
            return 0
        while self._seen and self._seen[0][0] <= now - self.lag:
            self._floor = max(self._floor, self._seen.popleft()[1])
        return self._floor

    def announced(self, now: float, newest_id: int) -> None:
        self._seen.append((now, newest_id))


class EventsRelay:
    def __init__(self, settings: Settings, bus: Bus) -> None:
        self.settings = settings
        self.bus = bus
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pruned_at = 0.0
        self.floor = Floor()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="events-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            started = time.monotonic()
            try:
                while await self.relay_once(self.floor.for_round(started)) == BATCH:
                    pass
                await self._prune_now_and_then()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("events relay round failed; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.outbox_poll_seconds):
                    await self._wake.wait()
            # Commits made while the rest of the interval passes join the next round.
            rest = started + self.settings.relay_round_interval_seconds - time.monotonic()
            if rest > 0:
                await asyncio.sleep(rest)

    async def relay_once(self, floor: int = 0) -> int:
        """Announce one batch of the unannounced events with ids above `floor`; returns how many.

        The claim marks the batch published and returns it in one statement, holding the rows'
        locks (FOR UPDATE SKIP LOCKED, checked in the SQL that reaches PostgreSQL: the ORM's
        select_for_update().values_list() dropped it) until the doorbells are rung; a failed publish
        rolls the mark back, so the rows stay unannounced for the next round. The bus is told after
        the claim's statement, before its commit: a subscriber woken early re-reads by cursor from
        the database, where the events were committed long before by their own transactions."""
        async with in_transaction() as conn:
            if conn.capabilities.dialect == "postgres":
                rows = await conn.execute_query_dict(_CLAIM, [datetime.now(UTC), BATCH, floor])
                claimed = [(int(r["id"]), int(r["user_id"])) for r in rows]
            else:  # SQLite: one writer at a time; nothing to skip
                found = await Event.filter(published_at__isnull=True, id__gt=floor).order_by("id").limit(BATCH) \
                    .values_list("id", "user_id")
                claimed = [(int(i), int(u)) for i, u in found]
                if claimed:
                    await Event.filter(id__in=[i for i, _ in claimed]).update(published_at=datetime.now(UTC))
            if not claimed:
                return 0
            latest: dict[int, int] = {}
            for event_id, user_id in claimed:
                latest[user_id] = max(latest.get(user_id, 0), event_id)
            await self.bus.publish_many([(self.bus.user_channel(user_id), {"kind": "events", "upTo": top})
                                         for user_id, top in latest.items()])
        self.floor.announced(time.monotonic(), max(latest.values()))
        return len(claimed)

    async def _prune_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        gone = await events.prune(self.settings.event_retention_days)
        if gone:
            log.info("pruned %d events older than %d days", gone, self.settings.event_retention_days)
