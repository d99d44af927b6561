"""Settlement: money out of a merchant's wallet to an active bank card of its owner.

The same three phases as a user's withdrawal (app/payments/funding.py): one transaction records the
PENDING payout and moves the amount to the withdrawal holds account; outside any transaction the
card network is asked under the transfer's reference; one transaction applies the answer once
(settle the hold to card clearing, or void it back to the merchant's wallet). The first transaction
also writes the payout's OutsideCall, so a lost answer is finished by the reconciler like a user's
withdrawal (app/payments/reconciler.py, which the composition root hands `settle` for payouts).
The merchant key is the credential: the money can only go to a card its owner bound and confirmed
with the bank's code.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from app.cards.binding import active_card, active_cards
from app.cards.processor import Outcome, processor_for
from app.errors import CardDeclined, InsufficientFunds, InvalidInput, NotFound, TemporarilyUnavailable
from app.ledger import book
from app.ledger.book import Line
from app.payments import idempotency
from app.payments.receipts import global_id
from app.runtime import Runtime
from app.unit_of_work import money_transaction
from models import (
    AccountKind,
    Card,
    EntryKind,
    JournalKind,
    Merchant,
    OutsideCall,
    Transfer,
    TransferKind,
    TransferState,
    User,
)

log = logging.getLogger("imwallet.settlement")
NO_ANSWER = "NO_ANSWER"


async def settlement_card(merchant: Merchant, card_id: int | None) -> Card:
    """The owner's card named, or the owner's most recently bound active card."""
    owner = await User.get(id=merchant.owner_id)
    if card_id is not None:
        return await active_card(owner, card_id)
    cards = await active_cards(owner.id)
    if not cards:
        raise NotFound("card")
    return cards[0]


async def withdraw(rt: Runtime, merchant: Merchant, *, card_id: int | None, amount_minor: int,
                   idempotency_key: str) -> Transfer:
    """Pay out of the merchant's wallet to its owner's card, at most once per idempotency key."""
    key = idempotency.check_key(idempotency_key)
    if amount_minor <= 0:
        raise InvalidInput("amount", "must be greater than zero")
    card = await settlement_card(merchant, card_id)
    digest = idempotency.fingerprint("MERCHANT_PAYOUT", card.id, amount_minor, rt.settings.currency)
    stored_key = f"merchant-payout:{merchant.id}:{idempotency.fingerprint(key)[:40]}"
    previous = await idempotency.stored(merchant.owner_id, stored_key, digest)
    if previous is not None:
        return _replayed(previous)
    holds = await book.system_account(AccountKind.WITHDRAWAL_HOLDS, rt.settings.currency)

    async def hold(_: BaseDBAsyncClient) -> Transfer:
        accounts = await book.lock_accounts([merchant.account_id, holds.id])
        shop = accounts[merchant.account_id]
        if shop.balance_minor < amount_minor:
            raise InsufficientFunds(balance_minor=shop.balance_minor, amount_minor=amount_minor,
                                    currency=shop.currency)
        transfer = await Transfer.create(
            kind=TransferKind.MERCHANT_PAYOUT, state=TransferState.PENDING, initiator_id=merchant.owner_id,
            idempotency_key=stored_key, request_fingerprint=digest, payer_id=None, payee_id=None, card_id=card.id,
            amount_minor=amount_minor, currency=shop.currency, memo=f"settlement of {merchant.name}"[:100],
            created_at=rt.clock.now())
        await book.post(JournalKind.WITHDRAWAL_HOLD, transfer.id, [
            Line(shop, -amount_minor, EntryKind.WITHDRAWAL), Line(accounts[holds.id], amount_minor)],
            description=f"merchant {merchant.id} payout")
        await OutsideCall.create(transfer_id=transfer.id, reference=global_id("Transfer", transfer.id),
                                 next_check_at=rt.clock.now() + timedelta(seconds=rt.settings.reconcile_after_seconds))
        return transfer

    try:
        transfer = await money_transaction(rt, hold, events=False)
    except IntegrityError:
        again = await idempotency.stored(merchant.owner_id, stored_key, digest)
        if again is None:
            raise
        return _replayed(again)
    try:
        async with asyncio.timeout(rt.settings.card_call_timeout_seconds):
            outcome = await processor_for(rt).payout(card.processor_token, amount_minor=amount_minor,
                                                     currency=transfer.currency,
                                                     reference=global_id("Transfer", transfer.id))
    except Exception as exc:
        log.warning("merchant payout %s: no answer from the card network (%s); left to the sweeper",
                    transfer.id, type(exc).__name__)
        raise TemporarilyUnavailable("The card network did not answer; the payout is pending and will be "
                                     "settled shortly: retry with the same idempotency key to see it.") from exc
    await settle(rt, transfer, outcome, by="request")
    return _replayed(transfer)


async def settle(rt: Runtime, transfer: Transfer, outcome: Outcome, *, by: str) -> bool:
    """Apply the network's answer to a PENDING payout once; False if it was already final."""
    merchant = await Merchant.get(id=_merchant_id(transfer))

    async def run(_: BaseDBAsyncClient) -> bool:
        state = TransferState.COMPLETED if outcome.approved else TransferState.FAILED
        reason = outcome.decline_reason[:40]
        done = await Transfer.filter(id=transfer.id, state=TransferState.PENDING).update(
            state=state, failure_reason=reason)
        if not done:
            return False
        await OutsideCall.filter(transfer_id=transfer.id).update(next_check_at=None, resolved_by=by)
        transfer.state, transfer.failure_reason = state, reason
        amount = transfer.amount_minor
        holds = await book.system_account(AccountKind.WITHDRAWAL_HOLDS, transfer.currency)
        if outcome.approved:
            clearing = await book.system_account(AccountKind.CARD_CLEARING, transfer.currency)
            accounts = await book.lock_accounts([holds.id, clearing.id])
            await book.post(JournalKind.WITHDRAWAL_SETTLE, transfer.id, [
                Line(accounts[holds.id], -amount), Line(accounts[clearing.id], amount)])
        else:
            accounts = await book.lock_accounts([merchant.account_id, holds.id])
            await book.post(JournalKind.WITHDRAWAL_VOID, transfer.id, [
                Line(accounts[holds.id], -amount), Line(accounts[merchant.account_id], amount, EntryKind.REFUND)],
                description=f"payout declined: {outcome.decline_reason}")
        return True

    done = await money_transaction(rt, run, events=False)
    if not done:
        await transfer.refresh_from_db()
    return done


def _merchant_id(transfer: Transfer) -> int:
    """The merchant whose payout this is (its key names it: merchant-payout:<id>:...)."""
    return int(transfer.idempotency_key.split(":")[1])


def _replayed(transfer: Transfer) -> Transfer:
    if transfer.state == TransferState.FAILED:
        raise CardDeclined(transfer.failure_reason or "DECLINED")
    if transfer.state == TransferState.PENDING:
        raise TemporarilyUnavailable("The first request with this key is still in progress; retry shortly.")
    return transfer
