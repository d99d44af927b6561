"""The notification worker: claims due merchant notifications, POSTs them signed, records the answer.

A claim is a lease, as for mail (app/mail/delivery.py): one short transaction locks due rows
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two processes never claim the same row) and pushes their
next_attempt_at forward by longer than a POST may take; the POST runs outside any transaction; a
second short write records the answer. A crashed process's claims come due again when the lease
ends. Only a 2xx answer delivers; anything else (another status, a timeout, a refused connection, a
refused address) retries with capped exponential backoff and jitter, for ever: a notification is
never dropped. The only duplicate possible is a crash or a lost answer between the receiver's 2xx
and the record, which at-least-once delivery accepts (receivers dedupe on the event id).

In order per order: a row is claimable only once the order's previous row was delivered, so rows of
one order go out one at a time; rows of different orders go out concurrently (up to
NOTIFY_CONCURRENCY POSTs in flight per process), each in its own task, so a receiver that hangs holds
only its own order, for at most NOTIFY_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from tortoise.expressions import F, Q, Subquery
from tortoise.transactions import in_transaction

from app.notifications.outbox import signing_secrets
from app.notifications.signing import EVENT_ID_HEADER, HEADER, header
from app.polling import PollingWorker, backoff_seconds
from app.runtime import Runtime
from models.notifications import MerchantNotification

log = logging.getLogger("imwallet.notifications")
LEASE_MARGIN_SECONDS = 30.0


class RefusedDestination(Exception):
    """The notify URL resolves to an address this deployment does not call (SSRF guard)."""


def _public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


async def check_destination(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, any non-public address (loopback, private, link-local,
    shared, reserved, multicast). The resolver runs in a thread; nothing blocks the event loop."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RefusedDestination(f"cannot resolve the host: {exc.strerror or type(exc).__name__}") from None
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(_public(a) for a in addresses):
        raise RefusedDestination("the host resolves to a non-public address")


class NotificationWorker(PollingWorker):
    name = "notification-worker"

    def __init__(self, rt: Runtime) -> None:
        super().__init__(rt, log)
        self._inflight: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._spawn()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._inflight):  # their rows stay leased and come due again
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        await super().stop()

    async def pass_once(self) -> bool:
        room = self._rt.settings.notify_concurrency - len(self._inflight)
        if room <= 0:
            return False  # a finished POST wakes the loop
        claimed = await self._claim(room)
        for notification in claimed:  # started after the claim's transaction closed, never inside it
            task = asyncio.create_task(self._attempt(notification), name=f"notify-{notification.id}")
            self._inflight.add(task)
            task.add_done_callback(self._finished)
        return len(claimed) == room

    async def prune_finished(self, before: datetime) -> int:
        # A delivered row may go: the claim waits only for a predecessor that is still undelivered.
        return await MerchantNotification.filter(delivered_at__lt=before).delete()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self.wake()  # the order's next row may now be due; a slot is free

    async def idle(self) -> None:
        """Wait until no POST is in flight (tests and shutdown)."""
        while self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def _claim(self, limit: int) -> list[MerchantNotification]:
        s = self._rt.settings
        now = self._rt.clock.now()
        undelivered = Subquery(MerchantNotification.filter(delivered_at__isnull=True).values("id"))
        async with in_transaction():
            due = await (MerchantNotification.select_for_update(skip_locked=True)
                         .filter(delivered_at__isnull=True, next_attempt_at__lte=now)
                         .filter(Q(previous_id__isnull=True) | ~Q(previous_id__in=undelivered))
                         .order_by("next_attempt_at", "id").limit(limit))
            if due:
                lease = timedelta(seconds=s.notify_timeout_seconds + LEASE_MARGIN_SECONDS)
                await MerchantNotification.filter(id__in=[n.id for n in due]).update(next_attempt_at=now + lease)
        return list(due)

    async def _attempt(self, n: MerchantNotification) -> None:
        try:
            await self._deliver(n)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Recording the answer failed (the database went away): the row stays leased and comes
            # due again when the lease ends, so it is sent again rather than lost.
            log.exception("notification %s: could not record the attempt; retried after the lease", n.id)

    async def _deliver(self, n: MerchantNotification) -> None:
        s = self._rt.settings
        body = n.body.encode()
        stamp = int(self._rt.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "imwallet-notifications/1",
            HEADER: header(signing_secrets(self._rt, n.merchant_id), stamp, body),
            EVENT_ID_HEADER: n.event_id,
        }
        error = ""
        try:
            async with asyncio.timeout(s.notify_timeout_seconds):  # the whole call, however the far side trickles
                if s.notify_private_blocked:
                    await check_destination(n.url)
                # Streamed and never read: the answer's status is all that counts, its body may be huge.
                async with self._http.stream("POST", n.url, content=body, headers=headers,
                                             timeout=s.notify_timeout_seconds, follow_redirects=False) as answer:
                    if not 200 <= answer.status_code < 300:
                        error = f"HTTP {answer.status_code}"
        except TimeoutError:
            error = f"no answer within {s.notify_timeout_seconds:g} s"
        except RefusedDestination as exc:
            error = f"refused: {exc}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            log.exception("notification %s: unexpected failure", n.id)
            error = type(exc).__name__
        if error:
            await self._retry(n, error)
        else:
            await self._delivered(n)

    async def _delivered(self, n: MerchantNotification) -> None:
        await MerchantNotification.filter(id=n.id, delivered_at__isnull=True).update(
            delivered_at=self._rt.clock.now(), attempts=F("attempts") + 1, last_error="")
        log.info("notification %s (order %s #%s, %s) delivered", n.id, n.order_id, n.sequence, n.event)

    async def _retry(self, n: MerchantNotification, error: str) -> None:
        s = self._rt.settings
        delay = backoff_seconds(n.attempts, s.notify_retry_base_seconds, s.notify_retry_cap_seconds)
        await MerchantNotification.filter(id=n.id, delivered_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=error[:300],
            next_attempt_at=self._rt.clock.now() + timedelta(seconds=delay))
        log.info("notification %s (order %s #%s) retry in %.1fs after %s", n.id, n.order_id, n.sequence, delay,
                 error[:300])
