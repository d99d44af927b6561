"""Queueing a merchant notification inside the transaction that made its event true, and the merchant's
signing secret.

`enqueue` writes the row with the caller's connection, so the notification exists if and only if
the event committed (a rolled-back payment notifies nobody, a committed one cannot be forgotten).
Rows of one order are numbered in commit order: on PostgreSQL the transaction takes a per-order
advisory lock held to commit, so whoever numbers later also commits later (SQLite runs one writer
at a time, which gives the same for free).

The signing secret is derived from the server's keyring, not stored: nothing secret sits in the
database, and rotating SECRET_KEY rotates every merchant's secret. While the old key stays in
PREVIOUS_SECRET_KEYS, each notification carries one v1 signature per key (current first), so a
merchant still holding the old secret keeps verifying until they fetch the new one.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlsplit

from tortoise.backends.base.client import BaseDBAsyncClient

from app.errors import InvalidInput
from app.runtime import Runtime
from app.security.keyed import Keyring
from models.notifications import MerchantNotification

SECRET_PURPOSE = "merchant-notify"
SECRET_PREFIX = "whsec_"
MAX_URL_LENGTH = 2048
# Namespace for pg_advisory_xact_lock(int, int); app/events.py uses 0x1A3E for user streams.
LOCK_SPACE = 0x1A3F


def _encode_secret(digest_hex: str) -> str:
    return SECRET_PREFIX + base64.urlsafe_b64encode(bytes.fromhex(digest_hex)).decode().rstrip("=")


def signing_secret(rt: Runtime, merchant_id: int) -> str:
    """The merchant's current signing secret (`whsec_...`): show it to the merchant, never log it."""
    return _encode_secret(rt.keyring.fingerprint(SECRET_PURPOSE, str(merchant_id)))


def signing_secrets(rt: Runtime, merchant_id: int) -> list[str]:
    """The secret under the current key, then under each previous key still on the keyring."""
    return keyring_secrets(rt.keyring, merchant_id)


def keyring_secrets(keyring: Keyring, merchant_id: int) -> list[str]:
    """`signing_secrets` from a bare keyring (operator tools that build no Runtime)."""
    return [_encode_secret(d) for d in keyring.candidates(SECRET_PURPOSE, str(merchant_id))]


def check_notify_url(url: str, *, require_https: bool = False, field: str = "notifyUrl") -> str:
    """The URL as it will be called, or InvalidInput: http(s) only, a host, no credentials.

    Addresses a name resolves to are checked at each delivery (app/notifications/delivery.py),
    since DNS can change after this check."""
    text = url.strip()
    if not text or len(text) > MAX_URL_LENGTH:
        raise InvalidInput(field, f"a URL of 1 to {MAX_URL_LENGTH} characters is required")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidInput(field, "the URL must not contain spaces or control characters")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise InvalidInput(field, "not a valid URL") from None
    schemes = ("https",) if require_https else ("http", "https")
    if parts.scheme.lower() not in schemes:
        raise InvalidInput(field, "the URL must start with " + " or ".join(f"{s}://" for s in schemes))
    if not parts.hostname:
        raise InvalidInput(field, "the URL needs a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(field, "the URL must not carry a user name or password")
    return text


def validate_notify_url(rt: Runtime, url: str, *, field: str = "notifyUrl") -> str:
    """`check_notify_url` under this deployment's rules (https only when NOTIFY_REQUIRE_HTTPS)."""
    return check_notify_url(url, require_https=rt.settings.notify_https_required, field=field)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable in a notification")


def render_body(event_id: str, event: str, created: datetime, sequence: int, data: dict[str, object]) -> str:
    """The notification body: compact ASCII JSON, the exact text that is signed and sent."""
    return json.dumps({"id": event_id, "type": event, "createdAt": created.isoformat(timespec="milliseconds"),
                       "sequence": sequence, "data": data},
                      separators=(",", ":"), ensure_ascii=True, default=_json_default)


async def enqueue(conn: BaseDBAsyncClient, rt: Runtime, *, merchant_id: int, order_id: int, url: str,
                  event: str, data: dict[str, object]) -> MerchantNotification:
    """Queue one event of an order for its merchant; call INSIDE the transaction that made it true.

    `conn` is that transaction's client. Raises InvalidInput (rolling the caller back) for a URL that
    is not http(s); validate the URL when it is given (`validate_notify_url`), not only here. The
    delivery worker polls; `rt.notify_waker.wake()` after the commit sends it at once."""
    url = check_notify_url(url)
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_SPACE, order_id % 2**31])
    last = await (MerchantNotification.filter(order_id=order_id).using_db(conn)
                  .order_by("-sequence").first())
    sequence = last.sequence + 1 if last else 1
    now = rt.clock.now()
    event_id = "evt_" + uuid.uuid4().hex
    return await MerchantNotification.create(
        using_db=conn, merchant_id=merchant_id, order_id=order_id, sequence=sequence,
        previous_id=last.id if last else None, event_id=event_id, event=event, url=url,
        body=render_body(event_id, event, now, sequence, data), next_attempt_at=now, created_at=now)
