"""Work a request starts but does not wait for, tracked so shutdown can finish it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)
DRAIN_SECONDS = 5.0


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _run(work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except Exception as exc:  # nobody waits for it: say so in the log
            log.warning("background %s failed (%s)", name, type(exc).__name__)

    async def drain(self) -> None:
        """Let started work finish (a few seconds at most) before the process stops."""
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DRAIN_SECONDS):
                    await asyncio.gather(*self._tasks, return_exceptions=True)
