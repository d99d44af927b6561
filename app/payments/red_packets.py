"""Red packets: send (money from the sender's wallet into the packet's own ledger account, shares
drawn and committed at once) and open (one pre-drawn share to one eligible member, once each).

Lock order, here and in the sweeper: the packet row first, then the ledger accounts (by id, through
the book), then the event streams. Nothing locks a packet after an account, so none of these
transactions can deadlock with each other or with ordinary transfers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.chat.access import visible_conversation
from app.chat.announce import MESSAGE_ADDED, MESSAGE_EDITED, announce, lock_conversation, member_ids
from app.chat.conversations import touch
from app.devices import approval
from app.errors import (
    InsufficientFunds,
    InvalidInput,
    NotFound,
    RedPacketUnavailable,
    Requirement,
    VerificationRequired,
)
from app.ledger import book
from app.ledger.book import Line
from app.ledger.retry import retry_conflicts
from app.payments import idempotency, limits
from app.payments import red_packet_shares as draws
from app.payments.receipts import record_receipt
from app.runtime import Runtime
from app.text import clean_text
from models import (
    AccountKind,
    Conversation,
    ConversationKind,
    EntryKind,
    JournalKind,
    LedgerAccount,
    Message,
    MessageKind,
    RedPacket,
    RedPacketShare,
    RedPacketSplit,
    RedPacketState,
    Transfer,
    TransferKind,
    TransferState,
    User,
)

MAX_GREETING = 100
MAX_SHARES = 200


@dataclass(frozen=True)
class _Send:
    sender: User
    conversation: Conversation
    wallet_id: int
    total_minor: int
    count: int
    split: RedPacketSplit
    greeting: str
    eligible: list[int]
    key: str
    digest: str


async def send_red_packet(rt: Runtime, sender: User, *, conversation_id: int, total_minor: int, count: int,
                          split: RedPacketSplit, greeting: str, pin: str | None, idempotency_key: str,
                          device_assertion: str | None = None) -> RedPacket:
    """Fund a packet of `count` shares at most once per idempotency key."""
    greeting = clean_text(greeting, "greeting", max_length=MAX_GREETING)
    key = idempotency.check_key(idempotency_key)
    _check_shape(total_minor, count)
    digest = idempotency.fingerprint("RED_PACKET", conversation_id, total_minor, count, split, greeting)
    previous = await idempotency.stored(sender.id, key, digest)
    if previous is not None:
        return await RedPacket.get(transfer_id=previous.id)
    request = await _check_send(rt, sender, conversation_id, total_minor, count, split, greeting, key, digest)
    await approval.authorise(rt, sender, approval.Payment(idempotency.fingerprint(key, digest), total_minor, key),
                             pin=pin, device_assertion=device_assertion)
    try:
        packet = await retry_conflicts(lambda: _fund(rt, request))
    except IntegrityError:
        previous = await idempotency.stored(sender.id, key, digest)  # a duplicate committed first
        if previous is None:
            raise
        return await RedPacket.get(transfer_id=previous.id)
    rt.events_waker.wake()
    return packet


def _check_shape(total_minor: int, count: int) -> None:
    if not 1 <= count <= MAX_SHARES:
        raise InvalidInput("count", f"must be between 1 and {MAX_SHARES}")
    if total_minor < count:
        raise InvalidInput("total", "must give every share at least 0.01")


async def _check_send(rt: Runtime, sender: User, conversation_id: int, total_minor: int, count: int,
                      split: RedPacketSplit, greeting: str, key: str, digest: str) -> _Send:
    conversation = await visible_conversation(sender, conversation_id)
    members = await member_ids(conversation.id)
    if conversation.kind == ConversationKind.DIRECT:
        if count != 1:
            raise InvalidInput("count", "a red packet in a direct conversation has one share")
        eligible = [m for m in members if m != sender.id]
    elif conversation.kind == ConversationKind.GROUP:
        eligible = members
    else:
        raise InvalidInput("conversationId", "red packets go to direct and group conversations only")
    limits.check_per_transfer(rt.settings, total_minor)
    wallet = await book.wallet_of(sender.id)
    if wallet is None:
        raise VerificationRequired([Requirement("WALLET")], "Open your wallet first.")
    if wallet.balance_minor < total_minor:
        raise InsufficientFunds(balance_minor=wallet.balance_minor, amount_minor=total_minor,
                                currency=wallet.currency)
    return _Send(sender, conversation, wallet.id, total_minor, count, split, greeting, eligible, key, digest)


async def _fund(rt: Runtime, r: _Send) -> RedPacket:
    s, now = rt.settings, rt.clock.now()
    async with in_transaction():
        transfer = await Transfer.create(
            kind=TransferKind.RED_PACKET, state=TransferState.COMPLETED, initiator_id=r.sender.id,
            idempotency_key=r.key, request_fingerprint=r.digest, payer_id=r.sender.id, payee_id=None,
            amount_minor=r.total_minor, currency=s.currency, memo=r.greeting)
        holding = await LedgerAccount.create(kind=AccountKind.RED_PACKET, system_code=f"RED_PACKET:{transfer.id}",
                                             currency=s.currency)
        accounts = await book.lock_accounts([r.wallet_id, holding.id])
        await limits.check_daily(s, r.sender.id, r.total_minor, excluding=transfer.id)
        wallet = accounts[r.wallet_id]
        await book.post(JournalKind.RED_PACKET, transfer.id, [
            Line(wallet, -r.total_minor, EntryKind.SENT), Line(accounts[holding.id], r.total_minor)])
        shares = (draws.draw_random if r.split == RedPacketSplit.RANDOM else draws.draw_equal)(r.total_minor, r.count)
        salt = draws.new_salt()
        packet = await RedPacket.create(
            conversation_id=r.conversation.id, sender_id=r.sender.id, transfer_id=transfer.id,
            account_id=holding.id, total_minor=r.total_minor, currency=s.currency, share_count=r.count,
            split=r.split, greeting=r.greeting, eligible_user_ids=r.eligible,
            commitment=draws.commitment(salt, shares), salt=salt, remaining_count=r.count,
            remaining_minor=r.total_minor, expires_at=now + timedelta(hours=s.red_packet_hours))
        await RedPacketShare.bulk_create([RedPacketShare(packet_id=packet.id, seq=i, amount_minor=amount)
                                          for i, amount in enumerate(shares)])
        await lock_conversation(r.conversation.id, extra_user_ids=[r.sender.id])
        message = await Message.create(
            conversation_id=r.conversation.id, kind=MessageKind.RED_PACKET, author_id=r.sender.id, text="",
            transfer_id=transfer.id, amount_minor=r.total_minor, currency=s.currency, memo=r.greeting)
        await RedPacket.filter(id=packet.id).update(message_id=message.id)
        packet.message_id = message.id
        await touch(r.conversation, message, now)
        await announce(r.conversation.id, MESSAGE_ADDED, messageId=message.id)
        await record_receipt(r.sender.id, "RED_PACKET_SENT", transfer, balance_after_minor=wallet.balance_minor,
                             counterparty=None)
    return packet


async def visible_packet(user: User, packet_id: int) -> RedPacket:
    """The packet if the user may see its conversation (or sent it); NotFound otherwise."""
    packet = await RedPacket.get_or_none(id=packet_id)
    if packet is None:
        raise NotFound("red packet")
    if packet.sender_id != user.id:
        try:
            await visible_conversation(user, packet.conversation_id)
        except NotFound:
            raise NotFound("red packet") from None
    return packet


async def open_red_packet(rt: Runtime, user: User, *, packet_id: int) -> RedPacketShare:
    """Take the next pre-drawn share: once per eligible member, while the packet is open."""
    packet = await visible_packet(user, packet_id)
    _check_open(rt, user, packet, await RedPacketShare.exists(packet_id=packet.id, claimant_id=user.id))
    wallet = await book.wallet_of(user.id)
    if wallet is None:
        raise VerificationRequired([Requirement("WALLET")], "Open your wallet to take a red packet.")
    try:
        share = await retry_conflicts(lambda: _claim(rt, user, packet.id, wallet.id))
    except IntegrityError:
        raise RedPacketUnavailable("ALREADY_OPENED", "You have already opened this red packet.") from None
    rt.events_waker.wake()
    return share


def _check_open(rt: Runtime, user: User, packet: RedPacket, opened: bool) -> None:
    if user.id not in packet.eligible_user_ids:
        raise RedPacketUnavailable("NOT_ELIGIBLE", "This red packet is not for you.")
    if opened:
        raise RedPacketUnavailable("ALREADY_OPENED", "You have already opened this red packet.")
    if packet.state == RedPacketState.EXPIRED or rt.clock.now() >= packet.expires_at:
        raise RedPacketUnavailable("EXPIRED", "This red packet has expired.")
    if packet.remaining_count == 0:
        raise RedPacketUnavailable("EMPTY", "Every share of this red packet has been taken.")


async def _claim(rt: Runtime, user: User, packet_id: int, wallet_id: int) -> RedPacketShare:
    async with in_transaction():
        packet = await RedPacket.filter(id=packet_id).select_for_update().get()
        _check_open(rt, user, packet, await RedPacketShare.exists(packet_id=packet.id, claimant_id=user.id))
        share = await RedPacketShare.filter(packet_id=packet.id, claimant_id__isnull=True).order_by("seq").first()
        assert share is not None, "remaining_count counts the unclaimed shares"
        transfer = await Transfer.create(
            kind=TransferKind.PACKET_SHARE, state=TransferState.COMPLETED, initiator_id=user.id,
            idempotency_key=f"red-packet:{packet.id}", request_fingerprint=idempotency.fingerprint(
                "PACKET_SHARE", packet.id), payer_id=packet.sender_id, payee_id=user.id,
            amount_minor=share.amount_minor, currency=packet.currency, memo=packet.greeting)
        accounts = await book.lock_accounts([packet.account_id, wallet_id])
        wallet = accounts[wallet_id]
        await book.post(JournalKind.PACKET_SHARE, transfer.id, [
            Line(accounts[packet.account_id], -share.amount_minor),
            Line(wallet, share.amount_minor, EntryKind.RECEIVED, packet.sender_id)])
        now = rt.clock.now()
        await RedPacketShare.filter(id=share.id).update(claimant_id=user.id, transfer_id=transfer.id, claimed_at=now)
        left = packet.remaining_count - 1
        await RedPacket.filter(id=packet.id).update(
            remaining_count=left, remaining_minor=packet.remaining_minor - share.amount_minor,
            state=RedPacketState.EMPTY if left == 0 else RedPacketState.OPEN, closed_at=now if left == 0 else None)
        await lock_conversation(packet.conversation_id, extra_user_ids=[user.id, packet.sender_id])
        await announce_packet(packet)
        await record_receipt(user.id, "RED_PACKET_RECEIVED", transfer, balance_after_minor=wallet.balance_minor,
                             counterparty=await User.get(id=packet.sender_id))
    return await RedPacketShare.get(id=share.id)


async def announce_packet(packet: RedPacket) -> None:
    """The packet's message changed (shares left, state): members redraw the bubble."""
    if packet.message_id is not None:
        await announce(packet.conversation_id, MESSAGE_EDITED, extra_user_ids=[packet.sender_id],
                       messageId=packet.message_id)
