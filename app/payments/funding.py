"""Money in from a bank card (top-up) and out to one (withdrawal), through the CardProcessor seam.

Each is a small state machine in atomic phases (Brandur Leach's recovery points), so that what
was done outside is never done twice and what was left half-done is finished by the reconciler:

1. One transaction records the PENDING transfer and its OutsideCall (the idempotency reference the
   network is given); a withdrawal also moves the amount to the holds account here, so it cannot
   be spent twice while the bank answers.
2. Outside any transaction, the network is asked, under that reference and a timeout.
3. One transaction applies the answer exactly once (the PENDING -> final update is conditional):
   a top-up credits the wallet or fails; a withdrawal settles the hold to card clearing or voids it
   back to the wallet.

A lost answer (timeout, dropped connection, crash of this process) leaves phase 3 undone: the
client hears "pending", and app/payments/reconciler.py asks the network what became of the
reference and runs phase 3 with that answer. Both paths meet in `settle`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from app.cards.binding import active_card
from app.cards.processor import Outcome, processor_for
from app.devices import approval
from app.errors import CardDeclined, InvalidInput, Requirement, TemporarilyUnavailable, VerificationRequired
from app.faults import crash_point
from app.ledger import book
from app.ledger.book import Line
from app.payments import idempotency, limits
from app.payments.receipts import global_id, record_receipt, record_state_change
from app.runtime import Runtime
from app.unit_of_work import money_transaction
from models import (
    AccountKind,
    Card,
    EntryKind,
    JournalKind,
    LedgerAccount,
    OutsideCall,
    Transfer,
    TransferKind,
    TransferState,
    User,
)

log = logging.getLogger("imwallet.funding")
NO_ANSWER = "NO_ANSWER"


async def top_up(rt: Runtime, user: User, *, card_id: int, amount_minor: int, pin: str | None,
                 idempotency_key: str, device_assertion: str | None = None) -> Transfer:
    """Charge an active card and credit the wallet, at most once per idempotency key."""
    key, digest, previous = await _prepare(rt, user, TransferKind.TOP_UP, card_id, amount_minor, idempotency_key)
    if previous is not None:
        return _replayed(previous)
    wallet, card = await _gates(user, card_id)
    await approval.authorise(rt, user, approval.Payment(idempotency.fingerprint(key, digest), amount_minor, key),
                             pin=pin, device_assertion=device_assertion)

    async def start(_: BaseDBAsyncClient) -> Transfer:
        return await _record_pending(rt, Transfer(
            kind=TransferKind.TOP_UP, state=TransferState.PENDING, initiator_id=user.id, idempotency_key=key,
            request_fingerprint=digest, payee_id=user.id, card_id=card.id, amount_minor=amount_minor,
            currency=wallet.currency, created_at=rt.clock.now()))

    try:
        transfer = await money_transaction(rt, start, events=False)
    except IntegrityError:
        return _replayed(await _stored(user, key, digest))
    crash_point(rt.settings, "top_up.before_charge")
    outcome = await _ask(rt, processor_for(rt).charge, card, transfer)
    crash_point(rt.settings, "top_up.charged")
    await settle(rt, transfer, outcome, by="request")
    crash_point(rt.settings, "top_up.after_commit")
    return _replayed(transfer)


async def withdraw(rt: Runtime, user: User, *, card_id: int, amount_minor: int, pin: str | None,
                   idempotency_key: str, device_assertion: str | None = None) -> Transfer:
    """Hold the amount, pay it out to an active card, then settle or void the hold by the answer.
    A withdrawal counts against the daily outgoing limit, checked with the wallet locked."""
    key, digest, previous = await _prepare(rt, user, TransferKind.WITHDRAWAL, card_id, amount_minor, idempotency_key)
    if previous is not None:
        return _replayed(previous)
    wallet, card = await _gates(user, card_id)
    await approval.authorise(rt, user, approval.Payment(idempotency.fingerprint(key, digest), amount_minor, key),
                             pin=pin, device_assertion=device_assertion)
    holds = await book.system_account(AccountKind.WITHDRAWAL_HOLDS, wallet.currency)

    async def hold(_: BaseDBAsyncClient) -> Transfer:
        transfer = await _record_pending(rt, Transfer(
            kind=TransferKind.WITHDRAWAL, state=TransferState.PENDING, initiator_id=user.id,
            idempotency_key=key, request_fingerprint=digest, payer_id=user.id, card_id=card.id,
            amount_minor=amount_minor, currency=wallet.currency, created_at=rt.clock.now()))
        accounts = await book.lock_accounts([wallet.id, holds.id])
        await limits.check_daily(rt.settings, user.id, amount_minor, excluding=transfer.id)
        await book.post(JournalKind.WITHDRAWAL_HOLD, transfer.id, [
            Line(accounts[wallet.id], -amount_minor, EntryKind.WITHDRAWAL), Line(accounts[holds.id], amount_minor)])
        await record_receipt(user.id, "WITHDRAWAL", transfer,
                             balance_after_minor=accounts[wallet.id].balance_minor, counterparty=None)
        crash_point(rt.settings, "withdraw.before_commit")
        return transfer

    try:
        transfer = await money_transaction(rt, hold)
    except IntegrityError:
        return _replayed(await _stored(user, key, digest))
    outcome = await _ask(rt, processor_for(rt).payout, card, transfer)
    crash_point(rt.settings, "withdraw.paid_out")
    await settle(rt, transfer, outcome, by="request")
    crash_point(rt.settings, "withdraw.after_commit")
    return _replayed(transfer)


async def settle(rt: Runtime, transfer: Transfer, outcome: Outcome, *, by: str) -> bool:
    """Phase 3: apply the network's answer to a PENDING top-up or withdrawal, once.

    Returns False (and refreshes `transfer`) if another path already made it final."""
    apply = _credit if transfer.kind == TransferKind.TOP_UP else _resolve_hold

    async def run(_: BaseDBAsyncClient) -> bool:
        if not await _finish(transfer, outcome, by):
            return False
        await apply(transfer, outcome)
        return True

    done = await money_transaction(rt, run)
    if not done:
        await transfer.refresh_from_db()
    return done


async def _record_pending(rt: Runtime, transfer: Transfer) -> Transfer:
    """Phase 1, inside the caller's transaction: the transfer and the reference the network gets.
    The transfer carries the runtime clock's time, as payments do, so daily sums agree on "today"."""
    await transfer.save()
    await OutsideCall.create(transfer_id=transfer.id, reference=global_id("Transfer", transfer.id),
                             next_check_at=rt.clock.now() + _seconds(rt.settings.reconcile_after_seconds))
    return transfer


async def _credit(transfer: Transfer, outcome: Outcome) -> None:
    if not outcome.approved:
        return
    wallet = await book.wallet_of(transfer.payee_id or 0)
    assert wallet is not None, "a top-up is made only into an open wallet"
    clearing = await book.system_account(AccountKind.CARD_CLEARING, transfer.currency)
    amount = transfer.amount_minor
    accounts = await book.lock_accounts([wallet.id, clearing.id])
    await book.post(JournalKind.TOP_UP, transfer.id, [
        Line(accounts[clearing.id], -amount), Line(accounts[wallet.id], amount, EntryKind.TOP_UP)])
    await record_receipt(wallet.user_id or 0, "TOP_UP", transfer, balance_after_minor=accounts[wallet.id].balance_minor,
                         counterparty=None, state=TransferState.COMPLETED.value)


async def _resolve_hold(transfer: Transfer, outcome: Outcome) -> None:
    amount = transfer.amount_minor
    holds = await book.system_account(AccountKind.WITHDRAWAL_HOLDS, transfer.currency)
    if outcome.approved:
        clearing = await book.system_account(AccountKind.CARD_CLEARING, transfer.currency)
        accounts = await book.lock_accounts([holds.id, clearing.id])
        await book.post(JournalKind.WITHDRAWAL_SETTLE, transfer.id, [
            Line(accounts[holds.id], -amount), Line(accounts[clearing.id], amount)])
        await record_state_change(transfer.payer_id or 0, transfer, TransferState.COMPLETED.value)
        return
    wallet = await book.wallet_of(transfer.payer_id or 0)
    assert wallet is not None, "a withdrawal is made only from an open wallet"
    accounts = await book.lock_accounts([wallet.id, holds.id])
    await book.post(JournalKind.WITHDRAWAL_VOID, transfer.id, [
        Line(accounts[holds.id], -amount), Line(accounts[wallet.id], amount, EntryKind.REFUND)],
        description=f"payout declined: {outcome.decline_reason}")
    await record_receipt(transfer.payer_id or 0, "REFUND", transfer,
                         balance_after_minor=accounts[wallet.id].balance_minor, counterparty=None,
                         state=TransferState.FAILED.value)


async def _prepare(rt: Runtime, user: User, kind: TransferKind, card_id: int, amount_minor: int,
                   idempotency_key: str) -> tuple[str, str, Transfer | None]:
    """The key, the request's fingerprint, and the transfer this key already made (if any)."""
    key = idempotency.check_key(idempotency_key)
    if amount_minor <= 0:
        raise InvalidInput("amount", "must be greater than zero")
    digest = idempotency.fingerprint(kind.value, card_id, amount_minor, rt.settings.currency)
    return key, digest, await idempotency.stored(user.id, key, digest)


async def _gates(user: User, card_id: int) -> tuple[LedgerAccount, Card]:
    wallet = await book.wallet_of(user.id)
    if wallet is None:
        raise VerificationRequired([Requirement("WALLET")], "Open your wallet first.")
    return wallet, await active_card(user, card_id)


async def _stored(user: User, key: str, digest: str) -> Transfer:
    transfer = await idempotency.stored(user.id, key, digest)
    assert transfer is not None, "the unique key was taken by a transfer that is not there"
    return transfer


def _replayed(transfer: Transfer) -> Transfer:
    """The answer this key stands for: the transfer, its decline, or 'still in progress'."""
    if transfer.state == TransferState.FAILED:
        raise CardDeclined(transfer.failure_reason or "DECLINED")
    if transfer.state == TransferState.PENDING:
        raise TemporarilyUnavailable("The first request with this key is still in progress; retry shortly.")
    return transfer


async def _ask(rt: Runtime, call: Callable[..., Awaitable[Outcome]], card: Card, transfer: Transfer) -> Outcome:
    """Phase 2, outside any transaction; an unknown answer leaves the transfer PENDING for the reconciler."""
    try:
        async with asyncio.timeout(rt.settings.card_call_timeout_seconds):
            return await call(card.processor_token, amount_minor=transfer.amount_minor,
                              currency=transfer.currency, reference=global_id("Transfer", transfer.id))
    except Exception as exc:
        log.warning("transfer %s: no answer from the card network (%s); left to the reconciler",
                    transfer.id, type(exc).__name__)
        raise TemporarilyUnavailable("The card network did not answer; the payment is pending and will be "
                                     "settled shortly: retry with the same idempotency key to see it.") from exc


async def _finish(transfer: Transfer, outcome: Outcome, by: str) -> bool:
    """Move a PENDING transfer to its final state once, inside the settling transaction."""
    state = TransferState.COMPLETED if outcome.approved else TransferState.FAILED
    reason = outcome.decline_reason[:40]
    done = await Transfer.filter(id=transfer.id, state=TransferState.PENDING).update(state=state, failure_reason=reason)
    if not done:
        return False
    await OutsideCall.filter(transfer_id=transfer.id).update(next_check_at=None, resolved_by=by)
    transfer.state, transfer.failure_reason = state, reason
    return True


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
