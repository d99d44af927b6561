"""The bridge from payments to chat: a transfer shows up as a message in the direct conversation."""

from __future__ import annotations


async def post_transfer_message(*, payer_id: int, payee_id: int, transfer_id: int, amount_minor: int,
                                currency: str, memo: str, state: str) -> None:
    """Call inside the transfer's transaction: find or create the payer/payee direct conversation
    and append a TRANSFER message (not editable, not recallable) with its events.

    Owned by the chat module; implemented there together with the conversation models.
    """
    raise NotImplementedError("chat: post_transfer_message is implemented with the chat models")
