"""Each user's ordered event stream, written in the transaction that caused the events.

The event id is the stream cursor, so within one user ids must grow in commit order. On
PostgreSQL a transaction first takes a per-user advisory lock (in user-id order, so two writers
never deadlock) and holds it to commit: whoever inserts later for that user also commits later.
SQLite runs one writer at a time, which gives the same order for free.

A transaction that records events for several users in more than one call (a transfer's two
receipts and its chat message; for a paid request, also every member of the request's
conversation) should call `lock_streams` with all of them first: the locks are then taken in one
sorted pass, and later `record` calls find them already held. Locking a second batch after a first
one (parties, then the group) can cross another transaction's order and deadlock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import timezone
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from models import Event, EventHorizon

# Namespace for pg_advisory_xact_lock(int, int); any constant that no other lock user picks.
LOCK_SPACE = 0x1A3E

# Every lock in one round trip, taken in key order: the ordered subquery feeds the outer SELECT,
# which calls the (volatile) lock function row by row in that order.
LOCK_MANY = """SELECT count(*) FROM (SELECT pg_advisory_xact_lock($1, k)
                 FROM (SELECT DISTINCT k FROM unnest($2::int[]) AS k ORDER BY k) AS ordered) AS held"""


@dataclass(frozen=True)
class Pending:
    """An event to append in the current transaction (several go in one INSERT)."""

    user_id: int
    kind: str
    payload: Mapping[str, object]


def lock_keys(user_ids: Iterable[int]) -> list[int]:
    """The advisory-lock keys of these users' streams, sorted: the order every writer takes them in."""
    return sorted({uid % 2**31 for uid in user_ids})


def payload_json(payload: Mapping[str, object]) -> str:
    """A payload as the events table stores it (the JSON the ORM writes)."""
    return json.dumps(payload, separators=(",", ":"))


async def lock_streams(user_ids: Iterable[int]) -> None:
    """Take the stream locks of these users, in key order; call inside the writing transaction."""
    conn = get_connection("default")
    if conn.capabilities.dialect != "postgres":
        return
    keys = lock_keys(user_ids)
    if keys:
        await conn.execute_query(LOCK_MANY, [LOCK_SPACE, keys])


async def record(user_ids: Iterable[int], kind: str, payload: Mapping[str, object]) -> list[Event]:
    """Append one event per user; call inside the transaction that made them true."""
    ids = sorted(set(user_ids))
    await lock_streams(ids)
    return await append([Pending(uid, kind, payload) for uid in ids])


# Every pending event in one INSERT, ids in the order given (PostgreSQL).
_APPEND = """
INSERT INTO events (user_id, kind, payload, created_at)
SELECT e.user_id, e.kind, e.payload::jsonb, $4
FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS e(user_id, kind, payload, n)
ORDER BY e.n
RETURNING id"""


async def append(pending: Sequence[Pending]) -> list[Event]:
    """Append events whose streams this transaction has locked (`lock_streams`), in this order."""
    events = [Event(user_id=p.user_id, kind=p.kind, payload=dict(p.payload)) for p in pending]
    if not events:
        return events
    conn = get_connection("default")
    if conn.capabilities.dialect == "postgres":  # one round trip, whatever the number of streams
        at = timezone.now()
        rows = await conn.execute_query_dict(_APPEND, [
            [p.user_id for p in pending], [p.kind for p in pending], [payload_json(p.payload) for p in pending], at])
        for event, row in zip(events, sorted(int(r["id"]) for r in rows), strict=True):
            event.id, event.created_at, event._saved_in_db = row, at, True
        return events
    for event in events:  # ids in this order: bulk_create would not hand them back on SQLite
        await event.save()
    return events


async def latest_id() -> int:
    """The newest event id of anyone (the bound a cursor from this server cannot pass)."""
    return await _scalar("SELECT MAX(id) FROM events") or 0


async def stream_head(user_id: int) -> int:
    """The newest event id of this user's own stream: where a live stream without a cursor starts.

    Consistent without waiting: every writer of this user's events holds the user's stream lock from
    before its insert to its commit, so an event of theirs not yet visible here was numbered after
    every visible one, and lands after this head. (The global maximum is not such a point: another
    user's event may carry a higher id and commit first, and this user's event would be skipped.)
    """
    newest = await Event.filter(user_id=user_id).order_by("-id").only("id").first()
    return newest.id if newest is not None else 0


async def read_after(user_id: int, after_id: int, limit: int) -> list[Event]:
    """The user's events after a cursor, oldest first."""
    return await Event.filter(user_id=user_id, id__gt=after_id).order_by("id").limit(limit)


@dataclass(frozen=True, slots=True)
class Stored:
    """An event as a live stream delivers it: plain values, no model object built per event."""

    id: int
    user_id: int
    kind: str
    payload: Mapping[str, Any]
    created_at: datetime


# Every stream's page in one statement: for each (user, cursor), that user's next `limit` events
# through the (user_id, id) index; `n` says whose row it is.
_READ_MANY = """
SELECT c.n, e.id, e.kind, e.payload::text AS payload, e.created_at
FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS c(user_id, after_id, n)
CROSS JOIN LATERAL (SELECT id, kind, payload, created_at FROM events
                    WHERE user_id = c.user_id AND id > c.after_id ORDER BY id LIMIT $3) AS e
ORDER BY c.n, e.id"""


async def read_after_many(cursors: Sequence[tuple[int, int]], limit: int) -> list[list[Stored]]:
    """For each (user id, cursor), up to `limit` of that user's events after the cursor, oldest first."""
    if not cursors:
        return []
    conn = get_connection("default")
    if conn.capabilities.dialect != "postgres":  # SQLite: one process, few streams
        return [[Stored(e.id, e.user_id, e.kind, e.payload, e.created_at) for e in await read_after(uid, after, limit)]
                for uid, after in cursors]
    rows = await conn.execute_query_dict(_READ_MANY, [[u for u, _ in cursors], [a for _, a in cursors], limit])
    pages: list[list[Stored]] = [[] for _ in cursors]
    for r in rows:
        n = int(r["n"]) - 1
        pages[n].append(Stored(int(r["id"]), cursors[n][0], r["kind"], json.loads(r["payload"]), r["created_at"]))
    return pages


async def cursor_expired(after_id: int) -> bool:
    """True when events after this cursor may already have been pruned: some pruned id is above it.

    Read from the recorded horizon, not from MIN(id): ids drawn by a transaction that rolled back
    leave gaps, and a gap below the oldest event would make a cursor from before it look pruned."""
    horizon = await _scalar("SELECT pruned_through FROM event_horizon WHERE id = 1")
    return after_id < (horizon or 0)


async def prune(retention_days: int, now: datetime | None = None) -> int:
    """Delete events older than the retention window (ending `now`, the runtime's clock); returns how many went.

    The horizon moves up to the newest id deleted, in the same transaction, so no reader sees the rows
    gone while the horizon still says they are kept."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    due = Event.filter(created_at__lt=cutoff, published_at__isnull=False)
    async with in_transaction():
        newest = await due.order_by("-id").first().values_list("id", flat=True)
        if newest is None:
            return 0
        gone = await due.filter(id__lte=newest).delete()
        if not await EventHorizon.filter(id=1, pruned_through__lt=newest).update(pruned_through=newest) \
                and not await EventHorizon.exists(id=1):
            await EventHorizon.create(id=1, pruned_through=newest)  # a database made without the migrations
        return gone


async def _scalar(sql: str) -> int | None:
    _, rows = await get_connection("default").execute_query(sql)
    value = rows[0][0] if rows else None
    return int(value) if value is not None else None
