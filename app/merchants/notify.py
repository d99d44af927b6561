"""The one place merchant order events become notifications (paid, refunded, expired).

Called INSIDE the transaction that decided the event, so a rollback sends nothing and a commit
cannot lose one. The delivery itself (outbox, signing, retries, per-order order) belongs to app.notifications
(docs/merchant-notifications.md); `wake` after the commit sends at once instead of at the next poll.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from app import notifications
from app.ledger.amounts import format_amount
from app.payments.receipts import global_id
from app.runtime import Runtime
from models import MerchantOrder


def payload(order: MerchantOrder, **extra: object) -> dict[str, object]:
    """What a notification says about an order (the same shape for every event)."""
    return {
        "orderId": global_id("Order", order.id),
        "merchantOrderId": order.merchant_order_id,
        "amount": format_amount(order.amount_minor, order.currency),
        "refundedAmount": format_amount(order.refunded_minor, order.currency),
        "currency": order.currency,
        "state": str(order.state),
        **extra,
    }


async def order_event(conn: BaseDBAsyncClient, rt: Runtime, order: MerchantOrder, event: str,
                      **extra: object) -> None:
    """Queue `event` ("order.paid", "order.refunded", "order.expired") for the order's notifyUrl."""
    if not order.notify_url:
        return
    await notifications.enqueue(conn, rt, merchant_id=order.merchant_id, order_id=order.id, url=order.notify_url,
                                event=event, data=payload(order, **extra))


def check_url(rt: Runtime, url: str | None) -> str:
    """A notifyUrl as it will be called ("" for none), or InvalidInput."""
    if url is None or not url.strip():
        return ""
    return notifications.validate_notify_url(rt, url)


def wake(rt: Runtime) -> None:
    """After a commit that queued notifications: deliver now rather than at the next poll."""
    rt.notify_waker.wake()
