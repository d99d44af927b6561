"""Money in from a bank card (top-up) and out to one (withdrawal), through the CardProcessor seam.

The processor is never called inside a database transaction. A top-up records a PENDING transfer,
asks for the charge, then posts the journal or marks the transfer FAILED. A withdrawal first moves
the amount to the holds account (so it cannot be spent twice while the bank answers), asks for the
payout, then settles the hold to card clearing or voids it back to the wallet: a refusal leaves the
balance as it was, and the void journal says why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.cards.binding import active_card
from app.cards.processor import Outcome, processor_for
from app.errors import CardDeclined, InvalidInput, Requirement, TemporarilyUnavailable, VerificationRequired
from app.ledger import book
from app.ledger.book import Line
from app.ledger.retry import retry_conflicts
from app.payments import idempotency, limits
from app.payments.receipts import global_id, record_receipt, record_state_change
from app.pin.attempts import verify_pin
from app.runtime import Runtime
from models import AccountKind, Card, EntryKind, JournalKind, LedgerAccount, Transfer, TransferKind, TransferState, User


async def top_up(rt: Runtime, user: User, *, card_id: int, amount_minor: int, pin: str,
                 idempotency_key: str) -> Transfer:
    """Charge an active card and credit the wallet, at most once per idempotency key."""
    key, digest, previous = await _prepare(rt, user, TransferKind.TOP_UP, card_id, amount_minor, idempotency_key)
    if previous is not None:
        return _replayed(previous)
    wallet, card = await _gates(user, card_id)
    await verify_pin(rt, user.id, pin)
    clearing = await book.system_account(AccountKind.CARD_CLEARING, wallet.currency)
    try:
        transfer = await Transfer.create(
            kind=TransferKind.TOP_UP, state=TransferState.PENDING, initiator_id=user.id, idempotency_key=key,
            request_fingerprint=digest, payee_id=user.id, card_id=card.id, amount_minor=amount_minor,
            currency=wallet.currency)
    except IntegrityError:
        return _replayed(await _stored(user, key, digest))
    outcome = await _ask(processor_for(rt).charge, card, transfer)
    if not outcome.approved:
        await _finish(transfer, TransferState.FAILED, outcome.decline_reason)
        raise CardDeclined(outcome.decline_reason)

    async def credit() -> None:
        async with in_transaction():
            if not await _finish(transfer, TransferState.COMPLETED):
                return
            accounts = await book.lock_accounts([wallet.id, clearing.id])
            await book.post(JournalKind.TOP_UP, transfer.id, [
                Line(accounts[clearing.id], -amount_minor), Line(accounts[wallet.id], amount_minor, EntryKind.TOP_UP)])
            await record_receipt(user.id, "TOP_UP", transfer, balance_after_minor=accounts[wallet.id].balance_minor,
                                 counterparty=None, state=TransferState.COMPLETED.value)

    await retry_conflicts(credit)
    rt.events_waker.wake()
    await transfer.refresh_from_db()
    return transfer


async def withdraw(rt: Runtime, user: User, *, card_id: int, amount_minor: int, pin: str,
                   idempotency_key: str) -> Transfer:
    """Hold the amount, pay it out to an active card, then settle or void the hold by the answer.
    A withdrawal counts against the daily outgoing limit, checked with the wallet locked."""
    key, digest, previous = await _prepare(rt, user, TransferKind.WITHDRAWAL, card_id, amount_minor, idempotency_key)
    if previous is not None:
        return _replayed(previous)
    wallet, card = await _gates(user, card_id)
    await verify_pin(rt, user.id, pin)
    holds = await book.system_account(AccountKind.WITHDRAWAL_HOLDS, wallet.currency)
    clearing = await book.system_account(AccountKind.CARD_CLEARING, wallet.currency)

    async def hold() -> Transfer:
        async with in_transaction():
            transfer = await Transfer.create(
                kind=TransferKind.WITHDRAWAL, state=TransferState.PENDING, initiator_id=user.id,
                idempotency_key=key, request_fingerprint=digest, payer_id=user.id, card_id=card.id,
                amount_minor=amount_minor, currency=wallet.currency)
            accounts = await book.lock_accounts([wallet.id, holds.id])
            await limits.check_daily(rt.settings, user.id, amount_minor, excluding=transfer.id)
            await book.post(JournalKind.WITHDRAWAL_HOLD, transfer.id, [
                Line(accounts[wallet.id], -amount_minor, EntryKind.WITHDRAWAL), Line(accounts[holds.id], amount_minor)])
            await record_receipt(user.id, "WITHDRAWAL", transfer,
                                 balance_after_minor=accounts[wallet.id].balance_minor, counterparty=None)
            return transfer

    try:
        transfer = await retry_conflicts(hold)
    except IntegrityError:
        return _replayed(await _stored(user, key, digest))
    rt.events_waker.wake()
    outcome = await _ask(processor_for(rt).payout, card, transfer)
    await retry_conflicts(lambda: _resolve_hold(transfer, outcome, wallet, holds, clearing))
    rt.events_waker.wake()
    if not outcome.approved:
        raise CardDeclined(outcome.decline_reason)
    await transfer.refresh_from_db()
    return transfer


async def _resolve_hold(transfer: Transfer, outcome: Outcome, wallet: LedgerAccount, holds: LedgerAccount,
                        clearing: LedgerAccount) -> None:
    amount = transfer.amount_minor
    async with in_transaction():
        state = TransferState.COMPLETED if outcome.approved else TransferState.FAILED
        if not await _finish(transfer, state, outcome.decline_reason):
            return
        if outcome.approved:
            accounts = await book.lock_accounts([holds.id, clearing.id])
            await book.post(JournalKind.WITHDRAWAL_SETTLE, transfer.id, [
                Line(accounts[holds.id], -amount), Line(accounts[clearing.id], amount)])
            await record_state_change(transfer.payer_id or 0, transfer, state.value)
            return
        accounts = await book.lock_accounts([wallet.id, holds.id])
        await book.post(JournalKind.WITHDRAWAL_VOID, transfer.id, [
            Line(accounts[holds.id], -amount), Line(accounts[wallet.id], amount, EntryKind.REFUND)],
            description=f"payout declined: {outcome.decline_reason}")
        await record_receipt(transfer.payer_id or 0, "REFUND", transfer,
                             balance_after_minor=accounts[wallet.id].balance_minor, counterparty=None,
                             state=state.value)


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
    """The first answer again: the transfer, its decline, or 'still in progress'."""
    if transfer.state == TransferState.FAILED:
        raise CardDeclined(transfer.failure_reason or "DECLINED")
    if transfer.state == TransferState.PENDING:
        raise TemporarilyUnavailable("The first request with this key is still in progress; retry shortly.")
    return transfer


async def _ask(call: Callable[..., Awaitable[Outcome]], card: Card, transfer: Transfer) -> Outcome:
    """Call the processor outside any transaction; an unknown answer leaves the transfer PENDING."""
    try:
        return await call(card.processor_token, amount_minor=transfer.amount_minor,
                          currency=transfer.currency, reference=global_id("Transfer", transfer.id))
    except Exception as exc:
        raise TemporarilyUnavailable("The card network did not answer; the payment is pending.") from exc


async def _finish(transfer: Transfer, state: TransferState, reason: str = "") -> bool:
    """Move a PENDING transfer to its final state once; False if someone already did."""
    done = await Transfer.filter(id=transfer.id, state=TransferState.PENDING).update(
        state=state, failure_reason=reason[:40])
    transfer.state = state
    transfer.failure_reason = reason[:40]
    return bool(done)
