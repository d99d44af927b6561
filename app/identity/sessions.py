"""Sessions: opaque bearer tokens, stored as SHA-256, expiring and revocable.

Lookups may be answered from a per-process cache, but only while this process is sure to hear
revocations: the cache is on only while the bus is connected, a revocation empties it at once in
the revoking process and, over the bus, in every other one (`announce_ended`); a reconnected bus
empties it because notices sent during the gap are lost.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.connection import get_connection

from app.errors import NotFound
from app.identity.session_cache import CachedSession
from app.runtime import Runtime
from app.security.keyed import token_hash
from models import Session, User

LAST_SEEN_RESOLUTION = timedelta(seconds=60)


async def open_session(rt: Runtime, user: User, *, device_name: str, client_address: str
                       ) -> tuple[str, Session]:
    token = secrets.token_urlsafe(32)
    now = rt.clock.now()
    session = await Session.create(
        user=user, token_hash=token_hash(token), device_name=device_name[:100],
        client_address=client_address[:64], last_seen_at=now,
        expires_at=now + timedelta(seconds=rt.settings.session_ttl_seconds))
    return token, session


async def authenticate(rt: Runtime, token: str) -> Session | None:
    """The live session for a bearer token, with its user; None if unknown, expired or revoked."""
    if not token or len(token) > 128:
        return None
    now = rt.clock.now()
    digest = token_hash(token)
    entry = rt.session_cache.get(digest, now)
    fresh_row = None  # the user's row as read now, for the cache (which keeps it at most its TTL)
    if entry is not None:
        user, fresh_row = await _user_of(entry)
        if user is None:
            return None
        session = Session(id=entry.session_id, user=user, token_hash=entry.token_hash,
                          device_name=entry.device_name, client_address=entry.client_address,
                          created_at=entry.created_at, last_seen_at=entry.last_seen_at,
                          expires_at=entry.expires_at, revoked_at=None)
        session._saved_in_db = True
    else:
        found = await (Session.filter(token_hash=digest, revoked_at__isnull=True, expires_at__gt=now)
                       .select_related("user").first())
        if found is None:
            return None
        session = found
    if now - session.last_seen_at > LAST_SEEN_RESOLUTION:
        await Session.filter(id=session.id).update(last_seen_at=now)
        session.last_seen_at = now
    if entry is None or entry.last_seen_at != session.last_seen_at or fresh_row is not None:
        rt.session_cache.put(session, now, fresh_row)
    return session


# The session's user on every request whose session the cache knew: on PostgreSQL the same row the
# ORM would read (and built as it would build it), without building the query each time.
_USER_BY_ID = "SELECT {} FROM {} WHERE id = $1".format(  # noqa: S608 (the model's own names)
    ", ".join(f'"{c}"' for c in User._meta.fields_db_projection.values()), f'"{User._meta.db_table}"')


async def _user_of(entry: CachedSession) -> tuple[User | None, dict[str, Any] | None]:
    """The cached session's user, and its row when read now on PostgreSQL (for the entry to keep)."""
    if entry.user_row is not None:
        return User._init_from_db(**entry.user_row), None
    conn = get_connection("default")
    if conn.capabilities.dialect != "postgres":
        return await User.get_or_none(id=entry.user_id), None
    rows = await conn.execute_query_dict(_USER_BY_ID, [entry.user_id])
    return (User._init_from_db(**rows[0]), rows[0]) if rows else (None, None)


async def still_live(rt: Runtime, session: Session) -> bool:
    """Whether a session read earlier (a websocket's) is still live. Always the database, never the
    cache: a socket's next operation must not outrun a revocation notice still on its way."""
    if session.expires_at <= rt.clock.now():
        return False
    return await is_live(session.id)


async def is_live(session_id: int) -> bool:
    now = datetime.now(UTC)
    return await Session.filter(id=session_id, revoked_at__isnull=True, expires_at__gt=now).exists()


async def live_among(session_ids: list[int], now: datetime) -> set[int]:
    """Which of these sessions are still live, in one query."""
    if not session_ids:
        return set()
    rows = await Session.filter(id__in=session_ids, revoked_at__isnull=True, expires_at__gt=now).values_list(
        "id", flat=True)
    return {int(r) for r in rows}  # type: ignore[call-overload]


async def announce_user_changed(rt: Runtime, user_id: int) -> None:
    """Call after a change to the user's row commits: the session cache holds the row, so every process
    forgets the user's entries. It is the sessions-ended notice, whose re-check of the user's sockets
    finds their sessions live and leaves them open. (An operator's CLI change, `create-support-agent`,
    has no bus: the cache's own limit, SESSION_CACHE_SECONDS, bounds how long a process may not see it.)"""
    await announce_ended(rt, user_id)


async def announce_ended(rt: Runtime, user_id: int) -> None:
    """Call after a revocation commits: this process forgets the user's cached sessions now, and every
    process (over the bus) closes the user's websockets whose session is no longer live."""
    rt.session_cache.forget_user(user_id)
    await rt.signals.sessions_ended(user_id)


async def list_sessions(user: User) -> list[Session]:
    now = datetime.now(UTC)
    return await Session.filter(user=user, revoked_at__isnull=True, expires_at__gt=now).order_by("-last_seen_at")


async def revoke(user: User, session_id: int) -> None:
    done = await Session.filter(id=session_id, user=user, revoked_at__isnull=True).update(
        revoked_at=datetime.now(UTC))
    if not done:
        raise NotFound("session")


async def revoke_all(user_id: int) -> int:
    return await Session.filter(user_id=user_id, revoked_at__isnull=True).update(revoked_at=datetime.now(UTC))


async def revoke_others(user_id: int, keep_session_id: int) -> int:
    """End every live session of the account except `keep_session_id`; how many ended."""
    return await Session.filter(user_id=user_id, revoked_at__isnull=True).exclude(id=keep_session_id).update(
        revoked_at=datetime.now(UTC))
