"""One unit of work: the transaction, its retry on conflict, and the wake of the relays after commit.

Every write that takes row locks or event-stream locks (payments, requests, chat) runs through
`money_transaction`: the body runs in one transaction; if PostgreSQL aborts it for a deadlock or a
serialization failure (40P01 / 40001) the whole body runs again from the start, so a body must
read what it decides on inside itself; after the commit, and only then, the relays are woken, so
no caller can forget the wake or ring it for rows that rolled back.

A body that must keep what it wrote and still fail (a wrong PIN counts even though the payment is
refused) raises `CommitThenRaise(error)`: the transaction commits, then `error` is raised.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.errors import TemporarilyUnavailable
from app.ledger.retry import ATTEMPTS, is_conflict
from app.runtime import Runtime

T = TypeVar("T")
log = logging.getLogger(__name__)


class CommitThenRaise(Exception):
    """Raised by a body: commit what it wrote, then raise `error` to the caller."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


async def money_transaction(rt: Runtime, body: Callable[[BaseDBAsyncClient], Awaitable[T]], *,
                            events: bool = True, outbox: bool = False) -> T:
    """Run `body(connection)` in one transaction, again on a conflict; wake the relays after commit.

    `events` / `outbox`: the body may write event-stream rows / mail and SMS rows, so the
    events relay / the delivery worker is woken after the commit."""
    for attempt in range(1, ATTEMPTS + 1):
        deferred: CommitThenRaise | None = None
        try:
            async with in_transaction() as conn:
                try:
                    result = await body(conn)
                except CommitThenRaise as signal:
                    deferred = signal
        except Exception as exc:
            if not is_conflict(exc):
                raise
            log.info("transaction conflict (%s), attempt %d", type(exc).__name__, attempt)
            await asyncio.sleep(random.uniform(0.002, 0.02) * attempt)
            continue
        if events:
            rt.events_waker.wake()
        if outbox:
            rt.outbox_waker.wake()
        if deferred is not None:
            raise deferred.error
        return result
    raise TemporarilyUnavailable("The wallet is busy; retry shortly.")
