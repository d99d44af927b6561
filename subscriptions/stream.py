"""One user's live stream: attach to the bus, replay from the database by cursor, then follow doorbells.

Everything delivered is read from the events table in id order, starting after the last id
delivered, so there is no gap, no duplicate and no reordering whatever the bus does: a doorbell
only says "read again". Reads also happen on a timer, which is when the session is re-checked
and which carries the stream through a bus outage. No transaction is held across a `yield`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from starlette.websockets import WebSocket

from app import events
from app.runtime import Runtime
from schema.context import Context
from schema.websocket import SESSION_SWEPT
from subscriptions import reads
from subscriptions.bus import LAGGED, Bus

log = logging.getLogger(__name__)

TICK_SLOTS = 8
# A subscriber whose client stopped reading cannot even be told LAGGED: after this grace the socket
# is closed with 1013 (Try Again Later), and the client reconnects and resumes by cursor.
STUCK_GRACE_SECONDS = 2.0
CLOSE_TRY_AGAIN_LATER = 1013


def stream_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def bus_of(rt: Runtime) -> Bus:
    if not isinstance(rt.signals, Bus):
        raise RuntimeError("the realtime bus is not running")
    return rt.signals


async def start_cursor(user_id: int, after: str | None) -> int:
    """Where replay starts: after the given cursor, or at the head of the user's own stream without one."""
    if after is None:
        return await events.stream_head(user_id)
    latest = await events.latest_id()
    if not after.isascii() or not after.isdigit() or len(after) > 19:
        raise stream_error("CURSOR_INVALID", "`after` must be a cursor from this stream.")
    cursor = int(after)
    if cursor > latest:
        raise stream_error("CURSOR_INVALID", "`after` is ahead of the stream; use a cursor you received.")
    if await events.cursor_expired(cursor):
        raise stream_error("CURSOR_EXPIRED", "Events after this cursor are no longer kept: refetch the "
                                             "conversations and receipts, then subscribe without `after`.")
    return cursor


class _Watch:
    """Closes a websocket whose subscriber overflowed and never came back to read."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.seen_lag = False
        self._task: asyncio.Task[None] | None = None

    def on_lag(self) -> None:
        if isinstance(self.ctx.request, WebSocket) and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._close_if_stuck())

    async def _close_if_stuck(self) -> None:
        await asyncio.sleep(STUCK_GRACE_SECONDS)
        if not self.seen_lag and isinstance(self.ctx.request, WebSocket):
            log.info("closing a websocket whose subscriber stopped reading")
            with contextlib.suppress(Exception):
                await self.ctx.request.close(code=CLOSE_TRY_AGAIN_LATER, reason="lagged: resume with after")

    def cancel(self) -> None:
        if self._task is not None and not self._task.done() and self.seen_lag:
            self._task.cancel()


def next_tick(now: float, every: float, user_id: int) -> float:
    """When this stream next re-reads and re-checks its session: on one of TICK_SLOTS grids shared by
    every stream of the process, so the streams of a slot wake together and their reads and session
    checks go out as one query each (subscriptions/reads.py), not one per stream."""
    offset = (user_id % TICK_SLOTS) * every / TICK_SLOTS
    return offset + (math.floor((now - offset) / every) + 1) * every


async def user_stream(ctx: Context, *, after: str | None) -> AsyncIterator[list[events.Stored] | dict[str, Any]]:
    """Pages of the viewer's events (and ephemeral signals), in order, replay first, until cancelled."""
    session = ctx.session
    if session is None:
        raise stream_error("NOT_AUTHENTICATED", "Send authToken in connection_init to subscribe.")
    bus = bus_of(ctx.rt)
    recheck = ctx.rt.settings.session_recheck_seconds
    # On a socket SocketSessions sweeps (graphql-transport-ws), the sweep ends the session's operations;
    # a socket it does not know (legacy graphql-ws) is re-checked here, per stream.
    swept = bool(ctx.extras.get(SESSION_SWEPT))
    loop = asyncio.get_running_loop()
    watch = _Watch(ctx)
    try:
        async with bus.subscribe(bus.user_channel(session.user_id), on_lag=watch.on_lag) as sub:
            cursor = await start_cursor(session.user_id, after)
            next_check = next_tick(loop.time(), recheck, session.user_id)
            while True:
                while True:
                    page = await reads.page_after(session.user_id, cursor)
                    if page:
                        cursor = page[-1].id
                        yield page
                    if len(page) < reads.PAGE:
                        break
                while True:  # until there may be something to read
                    item = await sub.get(max(0.0, next_check - loop.time()))
                    if item is LAGGED:
                        watch.seen_lag = True
                        raise stream_error("LAGGED", f"Too far behind; resubscribe with after: \"{cursor}\".")
                    if loop.time() >= next_check:
                        if not swept and not await reads.session_live(session.id):
                            raise stream_error("SESSION_ENDED", "The session was signed out or expired.")
                        next_check = next_tick(loop.time(), recheck, session.user_id)
                        break  # the periodic read: carries the stream through a lost doorbell
                    if item is None:
                        continue
                    if item.get("kind") == "signal":
                        yield item["signal"]
                        continue
                    up_to = item.get("upTo")
                    if item.get("kind") == "events" and isinstance(up_to, int) and up_to <= cursor:
                        continue  # a doorbell for events this stream has already delivered
                    break
    finally:
        watch.cancel()
