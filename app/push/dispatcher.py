"""The push dispatcher: feeds pushes from events, claims due deliveries, sends them, records the result.

Claims are leases as for mail (app/mail/delivery.py), so several processes share the work. A
provider that reports a token dead retires the device: its pending pushes fail and no new ones
are queued for it. Other failures retry with capped exponential backoff, then give up.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.polling import PollingWorker, backoff_seconds
from app.push.feed import feed_once, start_feed
from app.push.gateway import DeadToken, PermanentFailure, TemporaryFailure, send_push
from app.runtime import Runtime
from models import PushDelivery, PushDevice, PushStatus

log = logging.getLogger("imwallet.push")
LEASE_SECONDS = 60
BATCH = 20


class PushDispatcher(PollingWorker):
    name = "push-dispatcher"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt, log)

    async def start(self) -> None:
        await start_feed()
        self._spawn()

    async def pass_once(self) -> bool:
        return bool(await feed_once(self._rt) or await self.deliver_due())

    async def prune_finished(self, before: datetime) -> int:
        return await PushDelivery.filter(Q(status=PushStatus.SENT, sent_at__lt=before)
                                         | Q(status=PushStatus.FAILED, created_at__lt=before)).delete()

    async def deliver_due(self) -> int:
        """Send one batch of due pushes; returns how many were attempted."""
        claimed = await self._claim()
        for delivery in claimed:  # one at a time: a dead token retires its device before its next push
            await self._deliver(delivery)
        return len(claimed)

    async def _claim(self) -> list[PushDelivery]:
        now = self._rt.clock.now()
        async with in_transaction():
            due = await (PushDelivery.select_for_update(skip_locked=True)
                         .filter(status=PushStatus.PENDING, next_attempt_at__lte=now)
                         .order_by("next_attempt_at", "id").limit(BATCH))
            if due:
                await PushDelivery.filter(id__in=[d.id for d in due]).update(
                    next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
        return list(due)

    async def _deliver(self, delivery: PushDelivery) -> None:
        device = await PushDevice.get_or_none(id=delivery.device_id, retired_at__isnull=True)
        if device is None:
            await self._finish(delivery, PushStatus.FAILED, "device retired")
            return
        try:
            await send_push(self._rt.settings, self._http, device, delivery.payload)
        except DeadToken as exc:
            await self._retire(device, str(exc))
            await self._finish(delivery, PushStatus.FAILED, f"dead token: {exc}")
        except PermanentFailure as exc:
            await self._finish(delivery, PushStatus.FAILED, str(exc))
        except TemporaryFailure as exc:
            await self._retry(delivery, str(exc))
        except Exception as exc:
            log.exception("push %s: unexpected failure", delivery.id)
            await self._retry(delivery, type(exc).__name__)
        else:
            await self._finish(delivery, PushStatus.SENT, "")

    async def _retire(self, device: PushDevice, reason: str) -> None:
        now = self._rt.clock.now()
        await PushDevice.filter(id=device.id, retired_at__isnull=True).update(retired_at=now,
                                                                              retired_reason=reason[:100])
        await PushDelivery.filter(device_id=device.id, status=PushStatus.PENDING).update(
            status=PushStatus.FAILED, last_error="device retired")
        log.info("push device %s retired: %s", device.id, reason)

    async def _finish(self, delivery: PushDelivery, status: PushStatus, error: str) -> None:
        await PushDelivery.filter(id=delivery.id).update(
            status=status, last_error=error[:300], attempts=delivery.attempts + 1,
            sent_at=self._rt.clock.now() if status == PushStatus.SENT else None)

    async def _retry(self, delivery: PushDelivery, error: str) -> None:
        s = self._rt.settings
        now = self._rt.clock.now()
        if now - delivery.created_at > timedelta(seconds=s.push_give_up_seconds):
            await self._finish(delivery, PushStatus.FAILED, f"gave up: {error}")
            return
        delay = backoff_seconds(delivery.attempts, s.push_retry_base_seconds, s.push_retry_cap_seconds)
        await PushDelivery.filter(id=delivery.id).update(
            attempts=delivery.attempts + 1, last_error=error[:300], next_attempt_at=now + timedelta(seconds=delay))
