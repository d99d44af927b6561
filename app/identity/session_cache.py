"""The per-process cache of session lookups; app/identity/sessions.py says when it may answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models import Session

CACHE_MAX_ENTRIES = 50_000


@dataclass
class CachedSession:
    session_id: int
    user_id: int
    token_hash: str
    device_name: str
    client_address: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    cached_at: datetime
    # The session's user as PostgreSQL returned the row (sessions._user_of), once a hit read it; a
    # change to the row forgets the entry everywhere (sessions.announce_user_changed).
    user_row: dict[str, Any] | None = None


class SessionCache:
    """token hash -> the live session's row, per process; see the module docstring for when it is on."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = timedelta(seconds=ttl_seconds)
        self.enabled = False
        self._by_hash: dict[str, CachedSession] = {}
        self.hits = 0

    def get(self, digest: str, now: datetime) -> CachedSession | None:
        if not self.enabled:
            return None
        entry = self._by_hash.get(digest)
        if entry is None or entry.expires_at <= now or now - entry.cached_at > self.ttl:
            self._by_hash.pop(digest, None)
            return None
        self.hits += 1
        return entry

    def put(self, session: Session, now: datetime, user_row: dict[str, Any] | None = None) -> None:
        if not self.enabled or self.ttl <= timedelta(0):
            return
        if len(self._by_hash) >= CACHE_MAX_ENTRIES:
            self._by_hash.clear()
        self._by_hash[session.token_hash] = CachedSession(
            session.id, session.user_id, session.token_hash, session.device_name, session.client_address,
            session.created_at, session.last_seen_at, session.expires_at, now, user_row)

    def forget_user(self, user_id: int) -> None:
        for digest in [d for d, e in self._by_hash.items() if e.user_id == user_id]:
            del self._by_hash[digest]

    def bus_down(self) -> None:
        self.enabled = False
        self._by_hash.clear()

    def bus_up(self) -> None:
        self._by_hash.clear()  # notices published while we were away are lost
        self.enabled = True
