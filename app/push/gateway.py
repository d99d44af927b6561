"""Where a push physically goes: the log (development) or a webhook that a real provider is bridged to.

The webhook receives `{"platform", "token", "notification": {"title", "body", "data"}}` and answers
2xx when the provider took it, 404 or 410 when the provider says the token is dead (the device is
then retired), another 4xx for a push that will never go, 5xx or no answer to be retried.
"""

from __future__ import annotations

import logging

import httpx

from app.settings import Settings
from models import PushDevice

log = logging.getLogger("imwallet.push")


class DeadToken(Exception):
    """The provider no longer knows this device: retire it."""


class PermanentFailure(Exception):
    """The far side refused this push for good: do not retry."""


class TemporaryFailure(Exception):
    """The far side is down or busy: retry later."""


async def send_push(settings: Settings, client: httpx.AsyncClient, device: PushDevice,
                    notification: dict[str, object]) -> None:
    if settings.push_backend == "log":
        log.info("PUSH NOT SENT (development: PUSH_BACKEND=log) device=%s %r", device.id, notification)
        return
    if not settings.push_webhook_url:
        raise TemporaryFailure("PUSH_WEBHOOK_URL is not set")
    body = {"platform": device.platform.value.upper(), "token": device.token, "notification": notification}
    try:
        response = await client.post(settings.push_webhook_url, json=body, timeout=10)
    except httpx.HTTPError as exc:
        raise TemporaryFailure(type(exc).__name__) from exc
    if response.status_code in (404, 410):
        raise DeadToken(f"webhook {response.status_code}")
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        raise PermanentFailure(f"webhook {response.status_code}")
    if response.status_code >= 300:
        raise TemporaryFailure(f"webhook {response.status_code}")
