"""Finished outbox rows (SMS and mail, pushes, merchant notifications) are deleted once older than
OUTBOX_RETENTION_DAYS; rows still due are kept however old, and so is recent history."""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.mail.delivery import DeliveryWorker
from app.notifications.delivery import NotificationWorker
from app.polling import PollingWorker
from app.push.dispatcher import PushDispatcher
from models import PushDelivery, PushStatus
from models.events import Channel, DeliveryStatus, OutboundMessage
from models.notifications import MerchantNotification
from tests.support.server import RunningServer
from tests.support.time_travel import travelling


async def test_finished_rows_older_than_the_retention_go_and_everything_else_stays(server: RunningServer) -> None:
    rt = server.runtime
    days = rt.settings.outbox_retention_days
    old, recent = rt.clock.now() - timedelta(days=days + 1), rt.clock.now() - timedelta(days=days - 1)
    # A row still due waits for a later attempt: made long ago, next tried tomorrow, so the running
    # server's workers leave it alone while the test looks.
    later = rt.clock.now() + timedelta(days=1)
    tag = uuid.uuid4().hex[:8]

    async def mail(status: DeliveryStatus, at: object) -> int:
        row = await OutboundMessage.create(
            channel=Channel.EMAIL, recipient=f"{tag}@example.com", status=status,
            next_attempt_at=later if status == DeliveryStatus.PENDING else at,
            sent_at=at if status == DeliveryStatus.SENT else None)
        await OutboundMessage.filter(id=row.id).update(created_at=at)
        return row.id

    mails = {"sent long ago": await mail(DeliveryStatus.SENT, old),
             "failed long ago": await mail(DeliveryStatus.FAILED, old),
             "due since long ago": await mail(DeliveryStatus.PENDING, old),
             "sent lately": await mail(DeliveryStatus.SENT, recent)}

    async def push(status: PushStatus, at: object, event_id: int) -> int:
        row = await PushDelivery.create(event_id=event_id, device_id=10**12 + event_id, payload={}, status=status,
                                        next_attempt_at=later if status == PushStatus.PENDING else at, created_at=at,
                                        sent_at=at if status == PushStatus.SENT else None)
        return row.id

    base = 10**12 + uuid.uuid4().int % 10**9
    pushes = {"sent long ago": await push(PushStatus.SENT, old, base), "failed long ago": await push(
        PushStatus.FAILED, old, base + 1), "due since long ago": await push(PushStatus.PENDING, old, base + 2),
        "sent lately": await push(PushStatus.SENT, recent, base + 3)}

    async def notification(delivered: object, created: object, sequence: int) -> int:
        row = await MerchantNotification.create(
            merchant_id=0, order_id=base, sequence=sequence, event_id=f"evt_{tag}_{sequence}", event="order.paid",
            url="https://shop.example/hook", body="{}", next_attempt_at=later if delivered is None else created,
            delivered_at=delivered,
            created_at=created)
        return row.id

    notifications = {"delivered long ago": await notification(old, old, 1),
                     "due since long ago": await notification(None, old, 2),
                     "delivered lately": await notification(recent, old, 3)}

    workers: list[PollingWorker] = [DeliveryWorker(rt), PushDispatcher(rt), NotificationWorker(rt)]
    try:
        before = rt.clock.now() - timedelta(days=days)
        gone = [await w.prune_finished(before) for w in workers]
    finally:
        for w in workers:
            await w.stop()
    assert gone == [2, 2, 1]

    kept_mail = set(await OutboundMessage.filter(id__in=list(mails.values())).values_list("id", flat=True))
    kept_push = set(await PushDelivery.filter(id__in=list(pushes.values())).values_list("id", flat=True))
    kept_notes = set(await MerchantNotification.filter(id__in=list(notifications.values()))
                     .values_list("id", flat=True))
    assert {k for k, v in mails.items() if v in kept_mail} == {"due since long ago", "sent lately"}
    assert {k for k, v in pushes.items() if v in kept_push} == {"due since long ago", "sent lately"}
    assert {k for k, v in notifications.items() if v in kept_notes} == {"due since long ago", "delivered lately"}


async def test_a_worker_prunes_by_the_servers_clock_and_its_retention_setting(server: RunningServer) -> None:
    rt = server.runtime
    # Sent a minute short of the retention: kept now, gone two minutes later by the server's clock (the
    # suite's other mail, sent minutes ago, stays).
    at = rt.clock.now() - timedelta(days=rt.settings.outbox_retention_days) + timedelta(minutes=1)
    row = await OutboundMessage.create(channel=Channel.SMS, recipient="+8613800000000", status=DeliveryStatus.SENT,
                                       next_attempt_at=at, sent_at=at)
    worker = DeliveryWorker(rt)
    try:
        await worker._prune_now_and_then()
        assert await OutboundMessage.exists(id=row.id)
        with travelling(server) as clock:
            clock.advance(timedelta(minutes=2))
            worker._pruned_at = float("-inf")  # the hourly pace, not the retention, is what this skips
            await worker._prune_now_and_then()
        assert not await OutboundMessage.exists(id=row.id)
    finally:
        await worker.stop()
