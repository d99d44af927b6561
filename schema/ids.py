"""Relay global ids: opaque to clients, typed on the way in."""

from __future__ import annotations

from strawberry import relay

from app.errors import NotFound

MAX_DB_ID = 2**63 - 1  # PostgreSQL bigint: a larger number is no row, not a database error


def parse_db_id(raw: str) -> int | None:
    """The row id in a global id's payload, or None if it cannot name a row (not ASCII digits, <= 0, > bigint)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    db_id = int(raw)
    return db_id if 0 < db_id <= MAX_DB_ID else None


def encode_id(type_name: str, db_id: int) -> str:
    return relay.to_base64(type_name, db_id)


def decode_id(global_id: str, type_name: str, field: str = "id") -> int:
    """The database id behind a global id of `type_name`; any other id is simply not found."""
    try:
        name, raw = relay.from_base64(global_id)
    except (ValueError, TypeError) as exc:
        raise NotFound(type_name) from exc
    db_id = parse_db_id(raw)
    if name != type_name or db_id is None:
        raise NotFound(type_name)
    return db_id
