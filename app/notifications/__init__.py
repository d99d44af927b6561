"""Signed notifications to merchants (webhooks): queued in the event's transaction, delivered by a worker.

`enqueue(conn, rt, ...)` inside the transaction; `signing_secret(rt, merchant_id)` for the merchant;
`validate_notify_url(rt, url)` when a notify URL is given. See docs/merchant-notifications.md.
"""

from app.notifications.outbox import enqueue, signing_secret, signing_secrets, validate_notify_url
from app.notifications.signing import SignatureError, verify

__all__ = ["SignatureError", "enqueue", "signing_secret", "signing_secrets", "validate_notify_url", "verify"]
