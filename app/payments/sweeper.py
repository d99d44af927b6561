"""The durable sweeper: a worker that closes whatever has fallen due (expired red packets,
unaccepted transfers) by reading due rows from the database, so a restart loses nothing: a fresh
sweeper finds the rows that fell due while no process was running."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from app.runtime import Runtime

log = logging.getLogger(__name__)

Job = Callable[[Runtime], Awaitable[int]]


class Sweeper:
    def __init__(self, rt: Runtime, jobs: Sequence[Job]) -> None:
        self._rt = rt
        self._jobs = list(jobs)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sweeper")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def sweep(self) -> int:
        """One pass over every job; a failing job is logged and retried on the next pass."""
        done = 0
        for job in self._jobs:
            try:
                done += await job(self._rt)
            except Exception:
                log.exception("sweeper job %s failed", getattr(job, "__name__", job))
        return done

    async def _run(self) -> None:
        while True:
            await self.sweep()
            await asyncio.sleep(self._rt.settings.sweep_interval_seconds)
