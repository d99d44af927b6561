"""Opaque keyset cursors for chat lists."""

from __future__ import annotations

import base64
from datetime import datetime

from app.errors import InvalidInput
from schema.ids import parse_db_id


def _enc(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def _dec(cursor: str, field: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise InvalidInput(field, "is not a cursor this list gave out") from exc


def message_cursor(message_id: int) -> str:
    return _enc(f"m:{message_id}")


def parse_message_cursor(cursor: str | None, field: str) -> int | None:
    if cursor is None:
        return None
    kind, _, raw = _dec(cursor, field).partition(":")
    if kind != "m" or parse_db_id(raw) is None:
        raise InvalidInput(field, "is not a cursor this list gave out")
    return int(raw)


def activity_cursor(at: datetime, row_id: int) -> str:
    return _enc(f"a:{at.isoformat()}|{row_id}")


def parse_activity_cursor(cursor: str | None, field: str = "after") -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    kind, _, raw = _dec(cursor, field).partition(":")
    at, _, rid = raw.partition("|")
    try:
        if kind != "a" or parse_db_id(rid) is None:
            raise ValueError(cursor)
        return datetime.fromisoformat(at), int(rid)
    except ValueError:
        raise InvalidInput(field, "is not a cursor this list gave out") from None


def id_cursor(row_id: int) -> str:
    return _enc(f"i:{row_id}")


def parse_id_cursor(cursor: str | None, field: str = "after") -> int | None:
    if cursor is None:
        return None
    kind, _, raw = _dec(cursor, field).partition(":")
    if kind != "i" or parse_db_id(raw) is None:
        raise InvalidInput(field, "is not a cursor this list gave out")
    return int(raw)


def page_size(requested: int | None, maximum: int, field: str, default: int = 20) -> int:
    size = default if requested is None else requested
    if size < 0 or size > maximum:
        raise InvalidInput(field, f"must be between 0 and {maximum}")
    return size
