"""The events relay's rounds above a floor (subscriptions/relay.py): a round announces the
unannounced events above it and leaves the older ones, which the next full round announces."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from app import events
from models import Event
from subscriptions.bus import Bus
from subscriptions.relay import EventsRelay
from tests.support import flows
from tests.support.server import RunningServer
from tests.support.wallet_flows import db_id


class _RollBack(Exception):
    pass


async def test_a_round_above_the_floor_leaves_older_events_to_the_full_round(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    uid = db_id((await flows.register(new_client(), sms_sink, name="Floor")).user_id)
    bus = Bus("relay-floor-test", 10)
    relay = EventsRelay(server.settings, bus)
    # Uncommitted, so the server's own relay cannot see (and announce) them first; rolled back after.
    with pytest.raises(_RollBack):
        await _rounds_in_one_transaction(relay, bus, uid)


async def _rounds_in_one_transaction(relay: EventsRelay, bus: Bus, uid: int) -> None:
    async with in_transaction():
        (older,) = await events.record([uid], "transfer.state_changed", {"transferId": "t1", "state": "COMPLETED"})
        (newer,) = await events.record([uid], "transfer.state_changed", {"transferId": "t2", "state": "COMPLETED"})
        async with bus.subscribe(bus.user_channel(uid)) as doorbells:
            assert await relay.relay_once(floor=older.id) >= 1
            assert await doorbells.get(1.0) == {"kind": "events", "upTo": newer.id}
            assert await Event.filter(id=older.id, published_at__isnull=True).exists()
            assert not await Event.filter(id=newer.id, published_at__isnull=True).exists()

            assert await relay.relay_once(floor=0) >= 1
            assert await doorbells.get(1.0) == {"kind": "events", "upTo": older.id}
            assert not await Event.filter(id=older.id, published_at__isnull=True).exists()
        raise _RollBack
