"""What is waiting to leave: the depth and age of both outboxes, read when metrics are scraped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import Event, OutboundMessage
from models.events import DeliveryStatus


@dataclass(frozen=True)
class Backlog:
    outbox_depth: int
    outbox_lag_seconds: float
    relay_depth: int
    relay_lag_seconds: float


async def backlog(now: datetime) -> Backlog:
    """Pending SMS/mail and unannounced events, and how long the oldest of each has waited.

    Both filter on an index ((status, next_attempt_at) and (published_at, id)): cheap enough per scrape.
    """
    pending = OutboundMessage.filter(status=DeliveryStatus.PENDING)
    oldest_message = await pending.order_by("id").first().values_list("created_at", flat=True)
    unannounced = Event.filter(published_at__isnull=True)
    oldest_event = await unannounced.order_by("id").first().values_list("created_at", flat=True)
    return Backlog(
        outbox_depth=await pending.count(),
        outbox_lag_seconds=_age(now, oldest_message),
        relay_depth=await unannounced.count(),
        relay_lag_seconds=_age(now, oldest_event),
    )


def _age(now: datetime, since: object) -> float:
    return max(0.0, (now - since).total_seconds()) if isinstance(since, datetime) else 0.0
