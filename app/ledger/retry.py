"""Re-running a whole money transaction when PostgreSQL aborts it for a conflict.

Lock order makes deadlocks between movements impossible, but other writers (chat, events) take
locks too, and PostgreSQL may still abort a transaction with a deadlock or serialization failure
(SQLSTATE 40P01 / 40001). Both surface as raw asyncpg errors; the transaction rolled back entirely,
so running it again is safe. The client never sees them.

SQLite has one writer per file. Its transactions take the write lock at BEGIN (app.sqlite_engine),
so a second process writing the same file (`imwallet demo` beside `imwallet serve`) makes them wait;
one that still finds the file locked after the busy timeout rolled back entirely and is run again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeVar

from asyncpg.exceptions import LockNotAvailableError, TransactionRollbackError  # type: ignore[import-untyped]

from app.errors import TemporarilyUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 6


def is_conflict(exc: BaseException) -> bool:
    """True if a transaction failed only because another one got in its way."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, TransactionRollbackError | LockNotAvailableError):
            return True
        if isinstance(seen, sqlite3.OperationalError) and "database is locked" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def retry_conflicts(run: Callable[[], Awaitable[T]]) -> T:
    """Run `run` (one whole transaction) again after a deadlock or serialization failure."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await run()
        except Exception as exc:
            if not is_conflict(exc):
                raise
            log.info("transaction conflict (%s), attempt %d", type(exc).__name__, attempt)
            await asyncio.sleep(random.uniform(0.002, 0.02) * attempt)
    raise TemporarilyUnavailable("The wallet is busy; retry shortly.")
