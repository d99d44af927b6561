"""The loop shared by the workers that drain a table (mail and SMS outbox, push deliveries).

Each pass runs until it finds nothing due; then the worker sleeps until `wake()` (a commit that
queued work) or the poll interval, whichever comes first. A failing pass is logged and retried on
the next one; cancellation stops the worker. Now and then (hourly) a worker deletes the rows it
finished longer ago than OUTBOX_RETENTION_DAYS, so an outbox holds what is due and recent history,
not every message ever sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from datetime import datetime, timedelta

import httpx

from app.runtime import Runtime

PRUNE_EVERY_SECONDS = 3600.0
MAX_EXPONENT = 32  # 2**32 s is far past any cap; keeps the arithmetic in range however many attempts


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next try after `attempts` failures: exponential, capped, half of it jittered."""
    ceiling = min(cap, base * 2 ** min(attempts, MAX_EXPONENT))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class PollingWorker:
    name = "worker"

    def __init__(self, rt: Runtime, log: logging.Logger) -> None:
        self._rt = rt
        self._log = log
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._http = httpx.AsyncClient()
        self._pruned_at = float("-inf")  # the first pass prunes (monotonic time may be small)

    def wake(self) -> None:
        self._wakeup.set()

    def _spawn(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._http.aclose()

    async def pass_once(self) -> bool:
        """Do one batch of due work; True when there may be more right away."""
        raise NotImplementedError

    async def prune_finished(self, before: datetime) -> int:
        """Delete the rows this worker finished before `before`; returns how many (none by default)."""
        return 0

    async def _prune_now_and_then(self) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        days = self._rt.settings.outbox_retention_days
        if gone := await self.prune_finished(self._rt.clock.now() - timedelta(days=days)):
            self._log.info("%s pruned %d rows finished more than %d days ago", self.name, gone, days)

    async def _run(self) -> None:
        while True:
            try:
                while await self.pass_once():
                    pass
                await self._prune_now_and_then()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log.exception("%s pass failed; will retry", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._rt.settings.outbox_poll_seconds)
            self._wakeup.clear()
