"""The events relay: rings each affected user's doorbell on the bus for committed, unannounced events.

Runs in every process. It wakes when this process commits events (`wake()`) and polls otherwise,
so rows committed by a process that died before announcing them are announced by another.
Claiming uses SKIP LOCKED, so processes share the work without waiting for each other. A failed
publish leaves the rows unannounced for the next round: a doorbell may be late, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from app import events
from app.settings import Settings
from models import Event
from subscriptions.bus import Bus

log = logging.getLogger(__name__)

BATCH = 500
PRUNE_EVERY_SECONDS = 3600.0


class EventsRelay:
    def __init__(self, settings: Settings, bus: Bus) -> None:
        self.settings = settings
        self.bus = bus
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pruned_at = 0.0

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
            try:
                while await self.relay_once() == BATCH:
                    pass
                await self._prune_now_and_then()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("events relay round failed; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.outbox_poll_seconds)

    async def relay_once(self) -> int:
        """Announce one batch; returns how many events it covered."""
        async with in_transaction():
            rows = await Event.filter(published_at__isnull=True).order_by("id").limit(BATCH) \
                .select_for_update(skip_locked=True).values_list("id", "user_id")
            if not rows:
                return 0
            latest: dict[int, int] = {}
            for event_id, user_id in rows:
                latest[int(user_id)] = max(latest.get(int(user_id), 0), int(event_id))
            for user_id, top in latest.items():
                await self.bus.publish(self.bus.user_channel(user_id), {"kind": "events", "upTo": top})
            await Event.filter(id__in=[r[0] for r in rows]).update(published_at=datetime.now(UTC))
        return len(rows)

    async def _prune_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        gone = await events.prune(self.settings.event_retention_days)
        if gone:
            log.info("pruned %d events older than %d days", gone, self.settings.event_retention_days)
