"""Signed merchant notifications: a real HTTP receiver, down for 30 s of the server's clock (its port
closed, then answering 503), then up, receives each order event exactly once, in order per order,
with a signature that verifies (with app/notifications/signing.py and with `imwallet
verify-notification`); a receiver that hangs holds only its own order; a rolled-back event
notifies nobody; several processes never send one row twice.

Until merchants and orders land (branch shop), events are queued the way the payment path queues
them: `enqueue` inside a transaction on the server's database, from the test process, which shares
the in-process server's database and Tortoise connections (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from tortoise.transactions import in_transaction

from app.errors import InvalidInput
from app.notifications import SignatureError, enqueue, signing_secret, verify
from app.notifications.signing import EVENT_ID_HEADER
from app.runtime import Runtime
from models.notifications import MerchantNotification
from tests.support.notify_receiver import NotifyReceiver, Received
from tests.support.server import RunningServer
from tests.support.time_travel import travelling
from tests.support.worker_server import worker_server

SIGNATURE = "imwallet-signature"


def _ids(count: int) -> list[int]:
    """Order and merchant numbers no other test uses (the table is shared by the session)."""
    start = random.randrange(10**12, 2 * 10**12)
    return list(range(start, start + count))


async def _queue(rt: Runtime, merchant_id: int, order_id: int, url: str, event: str,
                 data: dict[str, object]) -> MerchantNotification:
    async with in_transaction() as conn:
        row = await enqueue(conn, rt, merchant_id=merchant_id, order_id=order_id, url=url, event=event, data=data)
    rt.notify_waker.wake()
    return row


async def _until(predicate: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _cli_verify(secret: str, header: str, body: bytes) -> subprocess.CompletedProcess[bytes]:
    imwallet = os.path.join(os.path.dirname(sys.executable), "imwallet")
    return subprocess.run([imwallet, "verify-notification", "--secret", secret, "--header", header],
                          input=body, capture_output=True, timeout=60, check=False)


def _in_order(received: list[Received], rows: list[MerchantNotification]) -> None:
    """No request for an order's row k+1 before its row k was answered 2xx; 2xx answers in sequence order."""
    position = {r.event_id: r for r in rows}
    for order_id in {r.order_id for r in rows}:
        mine = [x for x in received if position[json.loads(x.body)["id"]].order_id == order_id]
        sequences = [json.loads(x.body)["sequence"] for x in mine]
        answered = [json.loads(x.body)["sequence"] for x in mine if x.status == 200]
        assert answered == sorted(answered) == list(range(1, len(answered) + 1)), (order_id, sequences)
        for k in answered:
            first_ok = next(i for i, x in enumerate(mine) if x.status == 200 and json.loads(x.body)["sequence"] == k)
            assert all(s <= k for s in sequences[:first_ok + 1]), (order_id, sequences)


async def test_a_receiver_down_for_30_seconds_then_up_gets_each_event_once_in_order_signed(
        server: RunningServer) -> None:
    rt = server.runtime
    merchant_id, other_merchant = _ids(2)
    paid_a, paid_b, expired_c = _ids(3)
    receiver = NotifyReceiver(clock=lambda: rt.clock.now().timestamp())  # not started: its port is closed
    secret = signing_secret(rt, merchant_id)
    plan = [(paid_a, "order.paid", {"amount": "12.30"}), (paid_b, "order.paid", {"amount": "5.00"}),
            (expired_c, "order.expired", {}), (paid_a, "order.refunded", {"amount": "2.00"}),
            (paid_b, "order.refunded", {"amount": "5.00"}), (paid_a, "order.refunded", {"amount": "1.30"})]
    try:
        with travelling(server) as clock:
            start = rt.clock.now()
            rows = [await _queue(rt, merchant_id, order, receiver.url, event,
                                 {"orderId": f"order-{order}", "currency": "CNY", **data})
                    for order, event, data in plan]
            assert [r.sequence for r in rows] == [1, 1, 1, 2, 2, 3]

            async def run_clock_to(seconds: float) -> None:
                while rt.clock.now() - start < timedelta(seconds=seconds):
                    clock.advance(timedelta(seconds=1))
                    await asyncio.sleep(0.12)

            await run_clock_to(15)  # port closed
            closed = {r.id: r for r in await MerchantNotification.filter(id__in=[x.id for x in rows])}
            heads = [r for r in rows if r.sequence == 1]
            assert all(closed[r.id].attempts >= 2 and "Connect" in closed[r.id].last_error for r in heads), \
                [(r.attempts, r.last_error) for r in closed.values()]
            assert all(closed[r.id].attempts == 0 for r in rows if r.sequence > 1)  # held behind their order
            assert all(closed[r.id].delivered_at is None for r in rows)

            receiver.mode = "failing"
            await receiver.start()
            await run_clock_to(30)  # answering 503

            async def each_head_refused() -> bool:  # backoff may put a head's next try a little past 30 s
                seen = {json.loads(x.body)["id"] for x in receiver.received}
                if seen >= {r.event_id for r in heads}:
                    return True
                clock.advance(timedelta(seconds=1))
                return False

            await _until(each_head_refused, 30, "each order's first event to be answered 503")
            failing = list(receiver.received)
            assert failing
            assert all(x.status == 503 for x in failing)
            assert {json.loads(x.body)["sequence"] for x in failing} == {1}
            assert all(r.delivered_at is None for r in await MerchantNotification.filter(id__in=[x.id for x in rows]))

            receiver.mode = "up"

            async def all_delivered() -> bool:
                if await MerchantNotification.filter(id__in=[r.id for r in rows], delivered_at__isnull=True).exists():
                    clock.advance(timedelta(seconds=2))
                    return False
                return True

            await _until(all_delivered, 60, "every notification delivered")
    finally:
        await receiver.stop()

    # each event received exactly once with a 2xx, none lost, none before the 30 s were over
    delivered = receiver.delivered()
    assert Counter(json.loads(x.body)["id"] for x in delivered) == Counter(r.event_id for r in rows)
    assert all(x.clock - start.timestamp() >= 30 for x in delivered)
    _in_order(receiver.received, rows)

    for x in receiver.received:  # every attempt, refused or not, is signed
        body = json.loads(x.body)
        assert x.headers["content-type"] == "application/json"
        assert x.headers[EVENT_ID_HEADER.lower()] == body["id"]
        assert x.path == "/hooks/imwallet?shop=1"
        stamp = dict(part.split("=", 1) for part in x.headers[SIGNATURE].split(","))["t"]
        assert verify(secret, x.headers[SIGNATURE], x.body, now=x.clock) == int(stamp)
        with pytest.raises(SignatureError):
            verify(signing_secret(rt, other_merchant), x.headers[SIGNATURE], x.body, now=x.clock)
    by_id = {json.loads(x.body)["id"]: json.loads(x.body) for x in delivered}
    first = by_id[rows[0].event_id]
    assert first == {"id": rows[0].event_id, "type": "order.paid", "createdAt": first["createdAt"], "sequence": 1,
                     "data": {"orderId": f"order-{paid_a}", "currency": "CNY", "amount": "12.30"}}
    assert by_id[rows[2].event_id]["type"] == "order.expired"

    # the merchant's command-line check accepts what was sent and refuses one byte changed
    sample = delivered[-1]
    ok = _cli_verify(secret, sample.headers[SIGNATURE], sample.body)
    assert ok.returncode == 0, ok.stderr
    assert b"valid" in ok.stdout
    tampered = _cli_verify(secret, sample.headers[SIGNATURE], sample.body.replace(b'"sequence"', b'"Sequence"'))
    assert tampered.returncode == 1
    assert b"INVALID" in tampered.stderr

    done = await MerchantNotification.filter(id__in=[r.id for r in rows])
    assert all(r.delivered_at is not None and r.last_error == "" for r in done)
    assert all(r.attempts >= 3 for r in done if r.sequence == 1)


async def test_a_receiver_that_hangs_holds_only_its_own_order(server: RunningServer) -> None:
    rt = server.runtime
    merchant_id, stuck_order, other_order = _ids(3)
    stuck = NotifyReceiver(clock=lambda: rt.clock.now().timestamp(), mode="hanging")
    healthy = NotifyReceiver(clock=lambda: rt.clock.now().timestamp())
    await stuck.start()
    await healthy.start()
    try:
        held = await _queue(rt, merchant_id, stuck_order, stuck.url, "order.paid", {"n": 1})
        await _until(lambda: asyncio.sleep(0, bool(stuck.received)), 5, "the hanging receiver to be called")
        began = time.monotonic()
        other = await _queue(rt, merchant_id, other_order, healthy.url, "order.paid", {"n": 2})
        await _until(lambda: asyncio.sleep(0, bool(healthy.delivered())), 5, "the healthy receiver")
        async with httpx.AsyncClient(timeout=2) as http:
            assert (await http.get(f"{server.base_url}/healthz")).status_code == 200
        assert time.monotonic() - began < rt.settings.notify_timeout_seconds / 2  # not queued behind the hang

        stuck.mode = "up"  # the next try gets an answer: one attempt timed out, the next delivers

        async def redelivered() -> bool:
            row = await MerchantNotification.get(id=held.id)
            return row.delivered_at is not None

        await _until(redelivered, rt.settings.notify_timeout_seconds + 15, "the timed-out notification")
    finally:
        await stuck.stop()
        await healthy.stop()
    row = await MerchantNotification.get(id=held.id)
    assert row.attempts == 2
    assert row.last_error == ""
    assert [x.status for x in stuck.received] == [None, 200]
    assert {json.loads(x.body)["id"] for x in stuck.received} == {held.event_id}  # the same event, redelivered
    assert [json.loads(x.body)["id"] for x in healthy.delivered()] == [other.event_id]


async def test_a_rolled_back_event_notifies_nobody_and_a_bad_url_is_refused(server: RunningServer) -> None:
    rt = server.runtime
    merchant_id, order_id = _ids(2)
    receiver = NotifyReceiver(clock=lambda: rt.clock.now().timestamp())
    await receiver.start()
    try:
        async def failing_payment() -> None:
            async with in_transaction() as conn:
                await enqueue(conn, rt, merchant_id=merchant_id, order_id=order_id, url=receiver.url,
                              event="order.paid", data={})
                raise RuntimeError("the payment failed after the notification was queued")

        with pytest.raises(RuntimeError):
            await failing_payment()
        for url in ("ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL",
                    "javascript:alert(1)", "http://user:pw@127.0.0.1/", "http:///nohost"):
            with pytest.raises(InvalidInput):
                async with in_transaction() as conn:
                    await enqueue(conn, rt, merchant_id=merchant_id, order_id=order_id, url=url,
                                  event="order.paid", data={})
        assert not await MerchantNotification.filter(order_id=order_id).exists()
        later = await _queue(rt, merchant_id, order_id, receiver.url, "order.paid", {})
        await _until(lambda: asyncio.sleep(0, bool(receiver.delivered())), 5, "the committed notification")
    finally:
        await receiver.stop()
    assert later.sequence == 1  # the rolled-back ones took no number
    assert [json.loads(x.body)["id"] for x in receiver.received] == [later.event_id]


@pytest.mark.postgres
async def test_two_processes_never_send_the_same_notification(server: RunningServer,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """Two `imwallet serve` processes drain one outbox: FOR UPDATE SKIP LOCKED and the lease give each row
    to one of them; every event arrives exactly once and in order per order. The rows are queued one
    hour ahead of the session server's clock, where only the two processes (started an hour ahead)
    find them due."""
    rt = server.runtime
    merchant_id, *orders = _ids(11)
    ahead = 3600.0
    receiver = NotifyReceiver(clock=lambda: time.time() + ahead, mode="slow", slow_seconds=0.05)
    await receiver.start()
    try:
        async with worker_server(server.settings, workers=2, CLOCK_OFFSET_SECONDS=str(ahead),
                                 OUTBOX_POLL_SECONDS="0.05"):
            with travelling(server) as clock:
                clock.advance(timedelta(seconds=ahead / 2))
                # One transaction, and the clock goes back with no await after its commit: the session
                # server's own worker never sees these rows due.
                async with in_transaction() as conn:
                    rows = [await enqueue(conn, rt, merchant_id=merchant_id, order_id=order, url=receiver.url,
                                          event=f"order.step{step}", data={"step": step})
                            for step in range(1, 5) for order in orders]

            async def all_delivered() -> bool:
                return not await MerchantNotification.filter(id__in=[r.id for r in rows],
                                                             delivered_at__isnull=True).exists()

            await _until(all_delivered, 60, "every notification delivered by the two processes")
    finally:
        await receiver.stop()
    assert Counter(json.loads(x.body)["id"] for x in receiver.received) == Counter(r.event_id for r in rows)
    assert all(x.status == 200 for x in receiver.received)
    _in_order(receiver.received, rows)
    secret = signing_secret(rt, merchant_id)  # the processes share SECRET_KEY, so the secret too
    assert all(verify(secret, x.headers[SIGNATURE], x.body, now=x.clock) for x in receiver.received)
    assert receiver.most_in_flight > 1  # orders went out side by side
    mine = {f"notification {r.id} " for r in rows}
    assert not [m for m in caplog.messages if any(m.startswith(x) for x in mine)]  # none sent by this process
