"""Relay global ids: opaque to clients, typed on the way in."""

from __future__ import annotations

from strawberry import relay

from app.errors import NotFound


def encode_id(type_name: str, db_id: int) -> str:
    return relay.to_base64(type_name, db_id)


def decode_id(global_id: str, type_name: str, field: str = "id") -> int:
    """The database id behind a global id of `type_name`; any other id is simply not found."""
    try:
        name, raw = relay.from_base64(global_id)
        db_id = int(raw)
    except (ValueError, TypeError) as exc:
        raise NotFound(type_name) from exc
    if name != type_name or not raw.isascii() or db_id <= 0:
        raise NotFound(type_name)
    return db_id
