"""The delivery worker: claims due messages, sends them outside any transaction, records the result.

A claim is a lease (next_attempt_at pushed forward), so several processes can run workers and a
crashed worker's claims come due again. A message is marked sent right after the far side accepted
it; the only duplicate possible is a crash in between, which at-least-once delivery accepts.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app import metrics
from app.mail.transports import PermanentFailure, TemporaryFailure, send_mail, send_sms
from app.polling import PollingWorker, backoff_seconds
from app.runtime import Runtime
from models.events import Channel, DeliveryStatus, OutboundMessage

log = logging.getLogger("imwallet.delivery")
LEASE_SECONDS = 60
BATCH = 20


class DeliveryWorker(PollingWorker):
    name = "delivery-worker"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt, log)

    def start(self) -> None:
        self._spawn()

    async def pass_once(self) -> bool:
        return bool(await self.deliver_due())

    async def prune_finished(self, before: datetime) -> int:
        return await OutboundMessage.filter(Q(status=DeliveryStatus.SENT, sent_at__lt=before)
                                            | Q(status=DeliveryStatus.FAILED, created_at__lt=before)).delete()

    async def deliver_due(self) -> int:
        """Deliver one batch of due messages; returns how many were attempted."""
        claimed = await self._claim()
        await asyncio.gather(*(self._deliver(m) for m in claimed))
        return len(claimed)

    async def _claim(self) -> list[OutboundMessage]:
        now = datetime.now(UTC)
        async with in_transaction():
            due = await (OutboundMessage.select_for_update(skip_locked=True)
                         .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                         .order_by("next_attempt_at", "id").limit(BATCH))
            if due:
                await OutboundMessage.filter(id__in=[m.id for m in due]).update(
                    next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
        return list(due)

    async def _deliver(self, msg: OutboundMessage) -> None:
        s = self._rt.settings
        try:
            body = self._rt.keyring.unseal(msg.body_sealed)
            if msg.channel == Channel.EMAIL:
                await send_mail(s, msg.recipient, msg.subject, body)
            else:
                await send_sms(s, self._http, msg.recipient, body)
        except PermanentFailure as exc:
            await self._finish(msg, DeliveryStatus.FAILED, str(exc))
        except TemporaryFailure as exc:
            await self._retry(msg, str(exc))
        except Exception as exc:
            # A fault of ours (a bad sealed body, a bug): retried with backoff and given up after
            # mail_give_up_seconds like any other, instead of aborting the whole batch.
            log.exception("message %s: unexpected delivery failure", msg.id)
            await self._retry(msg, type(exc).__name__)
        else:
            await self._finish(msg, DeliveryStatus.SENT, "")

    async def _finish(self, msg: OutboundMessage, status: DeliveryStatus, error: str) -> None:
        # The body may hold a one-time code: erase it as soon as it is no longer needed.
        await OutboundMessage.filter(id=msg.id).update(
            status=status, body_sealed="", last_error=error[:300], attempts=msg.attempts + 1,
            sent_at=datetime.now(UTC) if status == DeliveryStatus.SENT else None)
        metrics.delivery_finished(msg.channel.value, status.value)
        log.info("message %s %s %s", msg.id, status.value, error)

    async def _retry(self, msg: OutboundMessage, error: str) -> None:
        s = self._rt.settings
        now = datetime.now(UTC)
        if now - msg.created_at > timedelta(seconds=s.mail_give_up_seconds):
            await self._finish(msg, DeliveryStatus.FAILED, f"gave up: {error}")
            return
        delay = backoff_seconds(msg.attempts, s.mail_retry_base_seconds, s.mail_retry_cap_seconds)
        await OutboundMessage.filter(id=msg.id).update(
            attempts=msg.attempts + 1, last_error=error[:300], next_attempt_at=now + timedelta(seconds=delay))
        metrics.delivery_retried(msg.channel.value)
        log.info("message %s retry in %.1fs after %s", msg.id, delay, error)
