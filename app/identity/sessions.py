"""Sessions: opaque bearer tokens, stored as SHA-256, expiring and revocable."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from app.errors import NotFound
from app.runtime import Runtime
from app.security.keyed import token_hash
from models import Session, User

LAST_SEEN_RESOLUTION = timedelta(seconds=60)


async def open_session(rt: Runtime, user: User, *, device_name: str, client_address: str
                       ) -> tuple[str, Session]:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session = await Session.create(
        user=user, token_hash=token_hash(token), device_name=device_name[:100],
        client_address=client_address[:64], last_seen_at=now,
        expires_at=now + timedelta(seconds=rt.settings.session_ttl_seconds))
    return token, session


async def authenticate(token: str) -> Session | None:
    """The live session for a bearer token, with its user; None if unknown, expired or revoked."""
    if not token or len(token) > 128:
        return None
    now = datetime.now(UTC)
    session = await (Session.filter(token_hash=token_hash(token), revoked_at__isnull=True,
                                    expires_at__gt=now).select_related("user").first())
    if session is not None and now - session.last_seen_at > LAST_SEEN_RESOLUTION:
        await Session.filter(id=session.id).update(last_seen_at=now)
    return session


async def is_live(session_id: int) -> bool:
    now = datetime.now(UTC)
    return await Session.filter(id=session_id, revoked_at__isnull=True, expires_at__gt=now).exists()


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
