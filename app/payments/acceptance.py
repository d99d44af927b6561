"""Transfers that wait for the recipient: held in the pending-transfers system account until the
recipient accepts (money arrives) or returns it, or TRANSFER_ACCEPT_HOURS pass (the sweeper
returns it).

Accept, return and expiry each lock the transfer's `PendingTransfer` row first and act only while
it has no outcome, so exactly one of them wins; then the accounts (by id), then the event streams.
Until the sweeper has returned it, the recipient may still accept a transfer past its expiry.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import events
from app.chat.announce import MESSAGE_ADDED, announce
from app.chat.conversations import direct_between, touch
from app.chat.transfer_messages import TransferNote, post_transfer_message, update_transfer_state
from app.errors import (
    InsufficientFunds,
    NotFound,
    RecipientUnavailable,
    Requirement,
    TransferNotPending,
    VerificationRequired,
)
from app.events import Pending
from app.ledger import book
from app.ledger.amounts import format_amount
from app.ledger.book import Line
from app.ledger.retry import retry_conflicts
from app.payments import idempotency, limits
from app.payments import transfers as p2p
from app.payments.receipts import global_id, receipt, record_receipt, record_state_change
from app.people.reach import Reach, check_reach
from app.pin.attempts import verify_pin
from app.runtime import Runtime
from app.text import clean_text
from models import (
    AccountKind,
    EntryKind,
    JournalKind,
    Message,
    MessageKind,
    PendingOutcome,
    PendingTransfer,
    Transfer,
    TransferAcceptance,
    TransferKind,
    TransferState,
    User,
    WalletPreference,
)

MAX_REASON = 100
BATCH = 100
REMIND_BEFORE = timedelta(hours=2)
TRANSFER_REMINDER = "transfer.reminder"


async def update_settings(user: User, *, transfer_acceptance: TransferAcceptance) -> WalletPreference:
    """Whether transfers to this user wait for acceptance."""
    pref, _ = await WalletPreference.get_or_create(user_id=user.id)
    pref.transfer_acceptance = transfer_acceptance
    await pref.save()
    return pref


async def acceptance_of(user_id: int) -> TransferAcceptance:
    pref = await WalletPreference.get_or_none(user_id=user_id)
    return pref.transfer_acceptance if pref else TransferAcceptance.AUTOMATIC


async def must_wait(payee_id: int, *, required_by_payer: bool) -> bool:
    return required_by_payer or await acceptance_of(payee_id) == TransferAcceptance.MANUAL


async def send_awaiting(rt: Runtime, payer: User, *, payee_id: int, amount_minor: int, memo: str, pin: str | None,
                        idempotency_key: str, step_up_code: str | None = None) -> p2p.Sent:
    """sendMoney for a transfer that waits: the same gates, the money goes to the pending account."""
    s = rt.settings
    order = p2p.make_order(rt, payer, payee_id=payee_id, amount_minor=amount_minor, memo=memo, pin=pin,
                           idempotency_key=idempotency_key, request_id=None)
    order = replace(order, digest=idempotency.fingerprint("P2P-AWAIT", order.digest))
    previous = await idempotency.stored(payer.id, order.key, order.digest)
    wallets = {w.user_id: w for w in await book.wallets_of([payer.id, payee_id])}
    mine, theirs = wallets.get(payer.id), wallets.get(payee_id)
    if mine is None:
        raise VerificationRequired([Requirement("WALLET")], "Open your wallet first.")
    if previous is not None:
        return p2p.Sent(previous, mine)
    await check_reach(payer.id, payee_id, Reach.TRANSFER)  # blocks and privacy, as for every transfer
    if theirs is None:
        if not await User.filter(id=payee_id).exists():
            raise NotFound("user")
        raise RecipientUnavailable("NO_WALLET", "This person has not opened a wallet yet.")
    if mine.balance_minor < amount_minor:
        raise InsufficientFunds(balance_minor=mine.balance_minor, amount_minor=amount_minor, currency=mine.currency)
    if pin is None:  # device approval covers transfers that arrive at once (app/devices/approval.py)
        raise VerificationRequired([Requirement("PAYMENT_PIN")],
                                   "A transfer that waits for acceptance is confirmed with your payment PIN.")
    await verify_pin(rt, payer.id, pin)
    if amount_minor >= s.step_up_threshold_minor:
        await p2p._step_up(rt, payer, step_up_code, payment=idempotency.fingerprint(order.key, order.digest)[:32])
    pending = await book.system_account(AccountKind.PENDING_TRANSFERS, s.currency)
    payee = theirs.user
    assert payee is not None, "a user wallet always has its user"
    try:
        transfer = await retry_conflicts(lambda: _hold(rt, order, mine.id, payee, pending.id))
    except IntegrityError:
        previous = await idempotency.stored(payer.id, order.key, order.digest)
        if previous is None:
            raise
        transfer = previous
    rt.events_waker.wake()
    wallet = await book.wallet_of(payer.id)
    assert wallet is not None, "the payer's wallet was there a moment ago"
    return p2p.Sent(transfer, wallet)


async def _hold(rt: Runtime, o: p2p.Order, wallet_id: int, payee: User, pending_id: int) -> Transfer:
    s, now = rt.settings, rt.clock.now()
    async with in_transaction() as conn:
        transfer = await Transfer.create(
            kind=TransferKind.P2P, state=TransferState.AWAITING_ACCEPTANCE, initiator_id=o.payer.id,
            idempotency_key=o.key, request_fingerprint=o.digest, payer_id=o.payer.id, payee_id=payee.id,
            amount_minor=o.amount_minor, currency=o.currency, memo=o.memo)
        accounts = await book.lock_accounts([wallet_id, pending_id])
        await limits.check_daily(s, o.payer.id, o.amount_minor, excluding=transfer.id)
        payer_account = accounts[wallet_id]
        await book.post(JournalKind.TRANSFER_HOLD, transfer.id, [
            Line(payer_account, -o.amount_minor, EntryKind.SENT, payee.id),
            Line(accounts[pending_id], o.amount_minor)])
        await PendingTransfer.create(transfer_id=transfer.id, payer_id=o.payer.id, payee_id=payee.id,
                                     amount_minor=o.amount_minor, currency=o.currency,
                                     expires_at=now + timedelta(hours=s.transfer_accept_hours))
        note = TransferNote(o.payer.id, payee.id, transfer.id, o.amount_minor, o.currency, o.memo,
                            TransferState.AWAITING_ACCEPTANCE.value)
        await post_transfer_message(conn, note, at=now, streams=[o.payer.id, payee.id], also=[
            receipt(o.payer.id, "SENT", transfer, balance_after_minor=payer_account.balance_minor,
                    counterparty_id=payee.id, counterparty_name=payee.display_name, at=now),
            Pending(payee.id, "transfer.state_changed", {"transferId": global_id("Transfer", transfer.id),
                                                          "state": TransferState.AWAITING_ACCEPTANCE.value,
                                                          "at": now.isoformat()})])
    return transfer


async def accept_transfer(rt: Runtime, user: User, *, transfer_id: int) -> Transfer:
    """The recipient takes a waiting transfer: the money arrives in their wallet."""
    await _visible_to_payee(user, transfer_id)
    transfer = await retry_conflicts(lambda: _resolve(rt, transfer_id, PendingOutcome.ACCEPTED, ""))
    rt.events_waker.wake()
    return transfer


async def return_transfer(rt: Runtime, user: User, *, transfer_id: int, reason: str) -> Transfer:
    """The recipient sends a waiting transfer back to the payer."""
    reason = clean_text(reason, "reason", max_length=MAX_REASON)
    await _visible_to_payee(user, transfer_id)
    transfer = await retry_conflicts(lambda: _resolve(rt, transfer_id, PendingOutcome.RETURNED, reason))
    rt.events_waker.wake()
    return transfer


async def _visible_to_payee(user: User, transfer_id: int) -> None:
    if not await PendingTransfer.exists(transfer_id=transfer_id, payee_id=user.id):
        raise NotFound("transfer")


async def expire_due(rt: Runtime) -> int:
    """Sweeper job: return every waiting transfer past its expiry; returns how many."""
    done = 0
    while done < BATCH and await retry_conflicts(lambda: _expire_one(rt)):
        done += 1
    if done:
        rt.events_waker.wake()
    return done


async def _expire_one(rt: Runtime) -> bool:
    # SKIP LOCKED: a transfer being accepted or returned right now is not due for us; if that
    # fails, the next round finds it.
    async with in_transaction():
        pending = await PendingTransfer.filter(outcome__isnull=True, expires_at__lte=rt.clock.now()) \
            .order_by("expires_at").select_for_update(skip_locked=True).first()
        if pending is None:
            return False
        await _apply(rt, pending, PendingOutcome.EXPIRED, "")
    return True


async def _resolve(rt: Runtime, transfer_id: int, outcome: PendingOutcome, reason: str) -> Transfer:
    async with in_transaction():
        pending = await PendingTransfer.filter(transfer_id=transfer_id).select_for_update().get()
        if pending.outcome is not None:
            raise TransferNotPending(pending.outcome.value)
        return await _apply(rt, pending, outcome, reason)


async def _apply(rt: Runtime, pending: PendingTransfer, outcome: PendingOutcome, reason: str) -> Transfer:
    """Release the held money to the payee (ACCEPTED) or back to the payer; call with the row locked."""
    transfer_id = pending.transfer_id
    to_payee = outcome == PendingOutcome.ACCEPTED
    receiver, other = (pending.payee_id, pending.payer_id) if to_payee else (pending.payer_id, pending.payee_id)
    wallet = await book.wallet_of(receiver)
    hold = await book.system_account(AccountKind.PENDING_TRANSFERS, pending.currency)
    assert wallet is not None, "both parties had wallets when the transfer was sent"
    accounts = await book.lock_accounts([wallet.id, hold.id])
    await book.post(JournalKind.TRANSFER_ACCEPT if to_payee else JournalKind.TRANSFER_RETURN, transfer_id, [
        Line(accounts[hold.id], -pending.amount_minor),
        Line(accounts[wallet.id], pending.amount_minor, EntryKind.RECEIVED if to_payee else EntryKind.REFUND, other)])
    state = TransferState.COMPLETED if to_payee else TransferState.RETURNED
    await PendingTransfer.filter(id=pending.id).update(outcome=outcome, reason=reason, resolved_at=rt.clock.now())
    await Transfer.filter(id=transfer_id).update(state=state)
    transfer = await Transfer.get(id=transfer_id)
    await events.lock_streams([pending.payer_id, pending.payee_id])
    await update_transfer_state(transfer_id=transfer_id, state=state.value)
    await record_receipt(receiver, "RECEIVED" if to_payee else "RETURNED", transfer,
                         balance_after_minor=accounts[wallet.id].balance_minor, counterparty=await User.get(id=other))
    await record_state_change(other, transfer, state.value)
    return transfer


async def remind_due(rt: Runtime) -> int:
    """Sweeper job: once per waiting transfer, REMIND_BEFORE its expiry, tell the recipient in chat."""
    done = 0
    while done < BATCH and await retry_conflicts(lambda: _remind_one(rt)):
        done += 1
    if done:
        rt.events_waker.wake()
    return done


async def _remind_one(rt: Runtime) -> bool:
    now = rt.clock.now()
    async with in_transaction():
        pending = await PendingTransfer.filter(outcome__isnull=True, reminded_at__isnull=True,
                                               expires_at__lte=now + REMIND_BEFORE) \
            .order_by("expires_at").select_for_update(skip_locked=True).first()
        if pending is None:
            return False
        await PendingTransfer.filter(id=pending.id).update(reminded_at=now)
        await events.lock_streams([pending.payer_id, pending.payee_id])
        conversation = await direct_between(pending.payer_id, pending.payee_id)
        left_minutes = max(0, int((pending.expires_at - now).total_seconds() // 60))
        text = (f"A transfer of {format_amount(pending.amount_minor, pending.currency)} {pending.currency} waits "
                f"for acceptance; it returns to the sender in {left_minutes} minutes.")
        message = await Message.create(conversation_id=conversation.id, kind=MessageKind.SYSTEM, text=text)
        await touch(conversation, message, now)
        await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)
        await events.record([pending.payee_id], TRANSFER_REMINDER, {
            "transferId": global_id("Transfer", pending.transfer_id), "expiresAt": pending.expires_at.isoformat(),
            "at": now.isoformat()})
    return True
