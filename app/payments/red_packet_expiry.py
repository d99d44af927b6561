"""Returning the unclaimed remainder of expired red packets to their senders, once.

A due packet is claimed with FOR UPDATE SKIP LOCKED, one per transaction, so several sweepers (one
per process) share the work without waiting on each other, and a packet being opened at that moment
is left for the next round. State moves OPEN -> EXPIRED under the row lock, and the return's
transfer carries a fixed idempotency key per packet: a second return is refused twice over.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from app.chat.announce import lock_conversation
from app.ledger import book
from app.ledger.book import Line
from app.payments import idempotency
from app.payments.receipts import record_receipt
from app.payments.red_packets import announce_packet
from app.runtime import Runtime
from models import EntryKind, JournalKind, RedPacket, RedPacketState, Transfer, TransferKind, TransferState

BATCH = 100


async def return_expired(rt: Runtime) -> int:
    """Close every packet past its expiry; returns how many were closed."""
    closed = 0
    while closed < BATCH and await _return_one(rt):
        closed += 1
    if closed:
        rt.events_waker.wake()
    return closed


async def _return_one(rt: Runtime) -> bool:
    async with in_transaction():
        packet = await RedPacket.filter(state=RedPacketState.OPEN, expires_at__lte=rt.clock.now()) \
            .order_by("expires_at").select_for_update(skip_locked=True).first()
        if packet is None:
            return False
        left = packet.remaining_minor
        if left > 0:
            await _pay_back(packet, left)
        await RedPacket.filter(id=packet.id).update(state=RedPacketState.EXPIRED, returned_minor=left,
                                                    closed_at=rt.clock.now())
        await lock_conversation(packet.conversation_id, extra_user_ids=[packet.sender_id])
        await announce_packet(packet)
    return True


async def _pay_back(packet: RedPacket, amount_minor: int) -> None:
    transfer = await Transfer.create(
        kind=TransferKind.PACKET_RETURN, state=TransferState.COMPLETED, initiator_id=packet.sender_id,
        idempotency_key=f"red-packet-return:{packet.id}",
        request_fingerprint=idempotency.fingerprint("PACKET_RETURN", packet.id), payer_id=None,
        payee_id=packet.sender_id, amount_minor=amount_minor, currency=packet.currency, memo=packet.greeting)
    wallet = await book.wallet_of(packet.sender_id)
    assert wallet is not None, "the sender funded the packet from this wallet"
    accounts = await book.lock_accounts([packet.account_id, wallet.id])
    await book.post(JournalKind.PACKET_RETURN, transfer.id, [
        Line(accounts[packet.account_id], -amount_minor), Line(accounts[wallet.id], amount_minor, EntryKind.RECEIVED)])
    await lock_conversation(packet.conversation_id, extra_user_ids=[packet.sender_id])
    await record_receipt(packet.sender_id, "RED_PACKET_RETURNED", transfer,
                         balance_after_minor=accounts[wallet.id].balance_minor, counterparty=None)
