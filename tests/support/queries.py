"""Counting the SQL statements a request runs, from Tortoise's own statement log.

Tortoise logs every statement on `tortoise.db_client` at DEBUG, and the server under test runs in
the test's event loop, so a handler here sees the server's statements. Background workers (the
outbox and events relays) poll on their own long-lived tasks; statements from any task that already
existed when counting began are left out, so only the request's own work (its task and the tasks it
spawns, such as DataLoader batches) is counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

LOGGER = "tortoise.db_client"


class StatementLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []
        self._background = asyncio.all_tasks()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return
        if task is not None and task not in self._background:
            self.statements.append(record.getMessage())


@contextmanager
def statements() -> Iterator[list[str]]:
    """Yield the list that fills with the statements run inside the block by new tasks."""
    logger = logging.getLogger(LOGGER)
    handler = StatementLog()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
