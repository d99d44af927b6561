"""Refunds: the recipient of a completed transfer gives back all or part of it.

Each refund is a transfer of its own (kind REFUND, the refunder's idempotency key) with one
journal, linked to the original in `transfer_refunds`. The original's row is locked first, so
concurrent refunds of one transfer queue and each sees what the others gave back: together they
never exceed the original. Then the two wallets (by id), then the event streams.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from app.chat.transfer_messages import TransferNote, post_transfer_message, update_transfer_state
from app.errors import InvalidInput, NotFound, RefundRefused
from app.ledger import book
from app.ledger.book import Line
from app.ledger.retry import retry_conflicts
from app.payments import idempotency, limits
from app.payments.receipts import receipt
from app.pin.attempts import verify_pin
from app.runtime import Runtime
from app.text import clean_text
from models import EntryKind, JournalKind, Transfer, TransferKind, TransferRefund, TransferState, User

MAX_REASON = 100


async def refunded_minor(original_id: int) -> int:
    rows = await TransferRefund.filter(original_transfer_id=original_id).annotate(
        total=Sum("amount_minor")).values("total")
    return int(rows[0]["total"] or 0) if rows else 0


async def refund_transfer(rt: Runtime, user: User, *, transfer_id: int, amount_minor: int, reason: str, pin: str,
                          idempotency_key: str) -> tuple[Transfer, Transfer]:
    """Give back part or all of a completed transfer the user received; returns (refund, original)."""
    reason = clean_text(reason, "reason", max_length=MAX_REASON)
    key = idempotency.check_key(idempotency_key)
    if amount_minor <= 0:
        raise InvalidInput("amount", "must be greater than zero")
    original = await Transfer.get_or_none(id=transfer_id, payee_id=user.id)
    if original is None:
        raise NotFound("transfer")
    digest = idempotency.fingerprint("REFUND", transfer_id, amount_minor, reason)
    previous = await idempotency.stored(user.id, key, digest)
    if previous is not None:
        return previous, await Transfer.get(id=transfer_id)
    _check_refundable(original, amount_minor, await refunded_minor(original.id))
    limits.check_per_transfer(rt.settings, amount_minor)
    await verify_pin(rt, user.id, pin)
    try:
        refund = await retry_conflicts(lambda: _refund(rt, user, original.id, amount_minor, reason, key, digest))
    except IntegrityError:
        previous = await idempotency.stored(user.id, key, digest)
        if previous is None:
            raise
        refund = previous
    rt.events_waker.wake()
    return refund, await Transfer.get(id=transfer_id)


def _check_refundable(original: Transfer, amount_minor: int, refunded: int) -> None:
    left = original.amount_minor - refunded
    if original.kind != TransferKind.P2P or original.state != TransferState.COMPLETED:
        raise RefundRefused("NOT_REFUNDABLE", "Only a completed transfer you received can be refunded.",
                            remaining_minor=0, currency=original.currency)
    if amount_minor > left:
        raise RefundRefused("EXCEEDS_REMAINING", "That is more than is left to refund of this transfer.",
                            remaining_minor=left, currency=original.currency)


async def _refund(rt: Runtime, user: User, original_id: int, amount_minor: int, reason: str, key: str,
                  digest: str) -> Transfer:
    now = rt.clock.now()
    async with in_transaction() as conn:
        original = await Transfer.filter(id=original_id).select_for_update().get()
        refunded = await refunded_minor(original.id)
        _check_refundable(original, amount_minor, refunded)
        payer_id = original.payer_id
        assert payer_id is not None, "a P2P transfer has a payer"
        refund = await Transfer.create(
            kind=TransferKind.REFUND, state=TransferState.COMPLETED, initiator_id=user.id, idempotency_key=key,
            request_fingerprint=digest, payer_id=user.id, payee_id=payer_id, amount_minor=amount_minor,
            currency=original.currency, memo=reason)
        mine, theirs = await book.wallet_of(user.id), await book.wallet_of(payer_id)
        assert mine is not None, "the refunder received the original into this wallet"
        assert theirs is not None, "the original's payer paid from this wallet"
        accounts = await book.lock_accounts([mine.id, theirs.id])
        await book.post(JournalKind.REFUND, refund.id, [
            Line(accounts[mine.id], -amount_minor, EntryKind.REFUND, payer_id),
            Line(accounts[theirs.id], amount_minor, EntryKind.REFUND, user.id)],
            description=f"refund of transfer {original.id}")
        await TransferRefund.create(refund_transfer_id=refund.id, original_transfer_id=original.id,
                                    amount_minor=amount_minor)
        payer = await User.get(id=payer_id)
        note = TransferNote(user.id, payer_id, refund.id, amount_minor, original.currency, reason,
                            TransferState.COMPLETED.value)
        await post_transfer_message(conn, note, at=now, streams=[user.id, payer_id], also=[
            receipt(user.id, "REFUND_SENT", refund, balance_after_minor=accounts[mine.id].balance_minor,
                    counterparty_id=payer_id, counterparty_name=payer.display_name, at=now),
            receipt(payer_id, "REFUND", refund, balance_after_minor=accounts[theirs.id].balance_minor,
                    counterparty_id=user.id, counterparty_name=user.display_name, at=now)])
        full = refunded + amount_minor == original.amount_minor
        await update_transfer_state(transfer_id=original.id, state="REFUNDED" if full else "PARTLY_REFUNDED")
    return refund
