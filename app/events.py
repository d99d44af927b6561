"""Each user's ordered event stream, written in the transaction that caused the events.

The event id is the stream cursor, so within one user ids must grow in commit order. On
PostgreSQL a transaction first takes a per-user advisory lock (in user-id order, so two writers
never deadlock) and holds it to commit: whoever inserts later for that user also commits later.
SQLite runs one writer at a time, which gives the same order for free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tortoise.connection import get_connection

from models import Event

# Namespace for pg_advisory_xact_lock(int, int); any constant that no other lock user picks.
_LOCK_SPACE = 0x1A3E


async def record(user_ids: Iterable[int], kind: str, payload: Mapping[str, object]) -> list[Event]:
    """Append one event per user; call inside the transaction that made them true."""
    ids = sorted(set(user_ids))
    conn = get_connection("default")
    if conn.capabilities.dialect == "postgres":
        for uid in ids:
            await conn.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [_LOCK_SPACE, uid % 2**31])
    events = [Event(user_id=uid, kind=kind, payload=dict(payload)) for uid in ids]
    for event in events:
        await event.save()
    return events
