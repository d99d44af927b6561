"""Queueing SMS and mail in the caller's transaction; the delivery worker sends after commit."""

from __future__ import annotations

from datetime import UTC, datetime

from app.runtime import Runtime
from models.events import Channel, OutboundMessage


async def enqueue(rt: Runtime, *, channel: Channel, recipient: str, subject: str, body: str) -> None:
    """Queue a message; call inside the transaction that decided to send it, then wake the worker."""
    await OutboundMessage.create(channel=channel, recipient=recipient, subject=subject,
                                 body_sealed=rt.keyring.seal(body), next_attempt_at=datetime.now(UTC))
