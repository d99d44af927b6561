"""The push feed: turns committed events of users with devices into push deliveries (the push outbox).

The feed keeps its place in the events table (one row, locked while it reads, so processes share
it). Event ids are handed out at insert and may commit out of order across users, so each round
also looks again at the last RESCAN_SECONDS (at most RESCAN_IDS ids) of events behind its place;
a delivery is unique per (event, device), so looking twice never pushes twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from app import events
from app.push.notifications import PUSHABLE, Facts, notification_for
from app.runtime import Runtime
from models import Event, PushDelivery, PushDevice, PushFeed

BATCH = 200
RESCAN_SECONDS = 30
RESCAN_IDS = 20_000  # bounds the look back by index as well as by time
_FEED_ID = 1


async def start_feed() -> None:
    """A new feed starts at the newest event: no pushes for history."""
    if not await PushFeed.exists(id=_FEED_ID):
        await PushFeed.get_or_create(id=_FEED_ID, defaults={"last_event_id": await events.latest_id()})


async def feed_once(rt: Runtime) -> int:
    """Queue pushes for one batch of events; returns how many new events it read."""
    now = rt.clock.now()
    async with in_transaction():
        feed = await PushFeed.select_for_update().get(id=_FEED_ID)
        with_devices = Subquery(PushDevice.filter(retired_at__isnull=True).values("user_id"))
        pushable = Event.filter(kind__in=PUSHABLE, user_id__in=with_devices)
        fresh = await pushable.filter(id__gt=feed.last_event_id).order_by("id").limit(BATCH)
        late = await pushable.filter(Q(id__lte=feed.last_event_id), Q(id__gt=feed.last_event_id - RESCAN_IDS),
                                     Q(created_at__gte=now - timedelta(seconds=RESCAN_SECONDS))) \
            .order_by("-id").limit(BATCH)
        deliveries = await _deliveries([*late, *fresh], now)
        if deliveries:
            await PushDelivery.bulk_create(deliveries, ignore_conflicts=True)
        top = max([e.id for e in fresh], default=0)
        if top:
            await PushFeed.filter(id=_FEED_ID).update(last_event_id=top)
    return len(fresh)


async def _deliveries(batch: list[Event], now: datetime) -> list[PushDelivery]:
    if not batch:
        return []
    facts = await Facts.load(batch)
    devices: dict[int, list[int]] = {}
    for user_id, device_id in await PushDevice.filter(user_id__in={e.user_id for e in batch}, retired_at__isnull=True) \
            .order_by("id").values_list("user_id", "id"):
        devices.setdefault(user_id, []).append(device_id)
    return [PushDelivery(event_id=event.id, device_id=device_id, payload=notification, next_attempt_at=now,
                         created_at=now)
            for event in batch if (notification := notification_for(event, facts)) is not None
            for device_id in devices.get(event.user_id, [])]
