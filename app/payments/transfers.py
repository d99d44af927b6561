"""Sending money from one wallet to another: `check_*` gates first, then one transaction that
writes the transfer (with its idempotency key), the journal, the chat message and both receipts.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.chat.transfer_messages import post_transfer_message
from app.devices import approval
from app.errors import (
    InsufficientFunds,
    InvalidInput,
    NotFound,
    RecipientUnavailable,
    Requirement,
    VerificationRequired,
)
from app.faults import crash_point
from app.identity.phones import normalise_phone
from app.ledger import book
from app.ledger.book import Line
from app.ledger.retry import retry_conflicts
from app.payments import idempotency, limits
from app.payments.receipts import record_receipt
from app.people.reach import Reach, check_reach
from app.runtime import Runtime
from app.settings import Settings
from app.text import clean_text
from app.verification import codes
from app.verification.codes import Purpose
from models import EntryKind, JournalKind, LedgerAccount, Transfer, TransferKind, TransferState, User
from models.events import Channel

MAX_MEMO_LENGTH = 100
STEP_UP_SENDS_PER_HOUR = 10


@dataclass(frozen=True)
class _Request:
    payer: User
    payee: User
    payer_wallet_id: int
    payee_wallet_id: int
    amount_minor: int
    currency: str
    memo: str
    key: str
    digest: str
    request_id: int | None


async def send_money(rt: Runtime, payer: User, *, payee_id: int, amount_minor: int, memo: str, pin: str | None,
                     idempotency_key: str, step_up_code: str | None = None, device_assertion: str | None = None,
                     request_id: int | None = None) -> Transfer:
    """Move money to another user's wallet at most once per idempotency key."""
    s = rt.settings
    memo = clean_text(memo, "memo", max_length=MAX_MEMO_LENGTH)
    key = idempotency.check_key(idempotency_key)
    if amount_minor <= 0:
        raise InvalidInput("amount", "must be greater than zero")
    digest = idempotency.fingerprint("P2P", payee_id, amount_minor, s.currency, memo, request_id)
    previous = await idempotency.stored(payer.id, key, digest)
    if previous is not None:
        return previous
    await check_reach(payer.id, payee_id, Reach.TRANSFER)  # people: blocks and privacy (a replay is no new reach)
    request = await _check_parties(rt, payer, payee_id, amount_minor, memo, key, digest, request_id)
    await approval.authorise(rt, payer, approval.Payment(idempotency.fingerprint(key, digest), amount_minor, key),
                             pin=pin, device_assertion=device_assertion)
    if amount_minor >= s.step_up_threshold_minor:
        await limits.check_daily(s, payer.id, amount_minor)  # no code is sent for a payment bound to fail
        await _step_up(rt, payer, step_up_code, payment=idempotency.fingerprint(key, digest)[:32])
    try:
        transfer = await retry_conflicts(lambda: _move(s, request))
    except IntegrityError:
        # A request with the same key committed while this one waited on the key's unique index.
        previous = await idempotency.stored(payer.id, key, digest)
        if previous is None:
            raise
        return previous
    crash_point(s, "transfer.after_commit")
    rt.events_waker.wake()
    return transfer


async def _check_parties(rt: Runtime, payer: User, payee_id: int, amount_minor: int, memo: str, key: str,
                         digest: str, request_id: int | None) -> _Request:
    s = rt.settings
    if payee_id == payer.id:
        raise RecipientUnavailable("SELF", "You cannot send money to yourself.")
    limits.check_per_transfer(s, amount_minor)
    wallets = {w.user_id: w for w in await book.wallets_of([payer.id, payee_id])}
    payer_wallet, payee_wallet = wallets.get(payer.id), wallets.get(payee_id)
    if payer_wallet is None:
        raise VerificationRequired([Requirement("WALLET")], "Open your wallet first.")
    if payee_wallet is None:
        if not await User.filter(id=payee_id).exists():
            raise NotFound("user")
        raise RecipientUnavailable("NO_WALLET", "This person has not opened a wallet yet.")
    payee = payee_wallet.user
    assert payee is not None, "a user wallet always has its user"
    if payer_wallet.balance_minor < amount_minor:
        raise InsufficientFunds(balance_minor=payer_wallet.balance_minor, amount_minor=amount_minor,
                                currency=payer_wallet.currency)
    return _Request(payer, payee, payer_wallet.id, payee_wallet.id, amount_minor, s.currency, memo, key, digest,
                    request_id)


async def _step_up(rt: Runtime, payer: User, code: str | None, *, payment: str) -> None:
    """Large amounts need a fresh SMS code: send one, or spend the one given.

    The code is scoped to `payment` (a digest of the idempotency key and the request's fingerprint),
    so a code sent for one payment confirms that payment only: not another amount, payee or key."""
    if code is None:
        await rt.limiter.hit(f"step-up-send:{payer.id}", STEP_UP_SENDS_PER_HOUR, 3600)
        await codes.issue(rt, channel=Channel.SMS, destination=payer.phone, purpose=Purpose.STEP_UP, scope=payment)
        raise VerificationRequired([Requirement("CODE", Purpose.STEP_UP.value)],
                                   "A large payment: repeat it with the code we sent by SMS.")
    await codes.consume(rt, destination=payer.phone, purpose=Purpose.STEP_UP, code=code, field="stepUpCode",
                        scope=payment)


async def _move(settings: Settings, r: _Request) -> Transfer:
    """One transaction: key (first, so duplicates wait on it), lock, limits, journal, chat, receipts."""
    async with in_transaction():
        transfer = await Transfer.create(
            kind=TransferKind.P2P, state=TransferState.COMPLETED, initiator_id=r.payer.id,
            idempotency_key=r.key, request_fingerprint=r.digest, payer_id=r.payer.id, payee_id=r.payee.id,
            request_id=r.request_id, amount_minor=r.amount_minor, currency=r.currency, memo=r.memo)
        accounts = await book.lock_accounts([r.payer_wallet_id, r.payee_wallet_id])
        await limits.check_daily(settings, r.payer.id, r.amount_minor, excluding=transfer.id)
        payer_account, payee_account = accounts[r.payer_wallet_id], accounts[r.payee_wallet_id]
        await book.post(JournalKind.TRANSFER, transfer.id, [
            Line(payer_account, -r.amount_minor, EntryKind.SENT, r.payee.id),
            Line(payee_account, r.amount_minor, EntryKind.RECEIVED, r.payer.id),
        ])
        await _announce(r, transfer, payer_account, payee_account)
        crash_point(settings, "transfer.before_commit")
    return transfer


async def _announce(r: _Request, transfer: Transfer, payer_account: LedgerAccount,
                    payee_account: LedgerAccount) -> None:
    # post_transfer_message first takes every event-stream lock the transaction needs (both parties and,
    # for a request, the whole conversation) in one sorted pass (events.lock_streams), so the receipts
    # and request updates below find them held and two transfers never lock them in opposite orders.
    await post_transfer_message(payer_id=r.payer.id, payee_id=r.payee.id, transfer_id=transfer.id,
                                amount_minor=r.amount_minor, currency=r.currency, memo=r.memo,
                                state=TransferState.COMPLETED.value)
    await record_receipt(r.payer.id, "SENT", transfer, balance_after_minor=payer_account.balance_minor,
                         counterparty=r.payee)
    await record_receipt(r.payee.id, "RECEIVED", transfer, balance_after_minor=payee_account.balance_minor,
                         counterparty=r.payer)


async def payee_id_by_phone(phone: str) -> int:
    """The account behind a phone number (any spelling), or NotFound."""
    user = await User.get_or_none(phone=normalise_phone(phone, field="to.phone"))
    if user is None:
        raise NotFound("user")
    return user.id
