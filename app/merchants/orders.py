"""Merchant orders: created by the merchant's key, paid at most once by a user, refunded in parts.

Locks are always taken in one order: the order row, then the ledger accounts (id order), then the
payer's PIN row, then the payer's event stream. So 50 concurrent payments of one order queue on the
order row: the first pays, each later one finds it PAID (or, with the same idempotency key, the
first payment's answer); concurrent refunds queue the same way and each sees what the others gave
back. Every decision is read again inside the transaction that acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import events
from app.devices import approval
from app.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidInput,
    NotFound,
    OrderNotPayable,
    RefundRefused,
    Requirement,
    VerificationRequired,
)
from app.ledger import book
from app.ledger.amounts import format_amount
from app.ledger.book import Line
from app.merchants import notify
from app.payments import idempotency, limits
from app.payments.receipts import global_id
from app.pin.attempts import PinState, check_format
from app.runtime import Runtime
from app.text import clean_text
from app.unit_of_work import money_transaction
from models import (
    EntryKind,
    JournalKind,
    LedgerAccount,
    Merchant,
    MerchantOrder,
    OrderRefund,
    OrderState,
    PaymentPin,
    Transfer,
    TransferKind,
    TransferState,
    User,
)

MAX_MERCHANT_ORDER_ID = 64
MAX_DESCRIPTION = 100
MIN_EXPIRY_SECONDS = 1
MAX_EXPIRY_SECONDS = 7 * 24 * 3600
DEFAULT_EXPIRY_SECONDS = 15 * 60
EXPIRE_BATCH = 100


# ---------------------------------------------------------------- creating and reading orders


async def create_order(rt: Runtime, merchant: Merchant, *, merchant_order_id: str, amount_minor: int,
                       description: str, expires_in_seconds: int | None, notify_url: str | None) -> MerchantOrder:
    """A new order, or the same one again for the same merchantOrderId and body (IdempotencyConflict
    for the same merchantOrderId with another body)."""
    s = rt.settings
    ref = clean_text(merchant_order_id, "merchantOrderId", max_length=MAX_MERCHANT_ORDER_ID, min_length=1)
    if not ref.isascii():
        raise InvalidInput("merchantOrderId", "must be ASCII")
    description = clean_text(description, "description", max_length=MAX_DESCRIPTION)
    if amount_minor <= 0:
        raise InvalidInput("amount", "must be greater than zero")
    limits.check_per_transfer(s, amount_minor)
    seconds = DEFAULT_EXPIRY_SECONDS if expires_in_seconds is None else expires_in_seconds
    if not MIN_EXPIRY_SECONDS <= seconds <= MAX_EXPIRY_SECONDS:
        raise InvalidInput("expiresInSeconds", f"must be between {MIN_EXPIRY_SECONDS} and {MAX_EXPIRY_SECONDS}")
    url = notify.check_url(rt, notify_url)
    digest = idempotency.fingerprint("ORDER", amount_minor, s.currency, description, seconds, url)
    existing = await _same_order(merchant.id, ref, digest)
    if existing is not None:
        return existing
    now = rt.clock.now()
    try:
        async with in_transaction():
            return await MerchantOrder.create(
                merchant_id=merchant.id, merchant_order_id=ref, request_fingerprint=digest, amount_minor=amount_minor,
                currency=s.currency, description=description, notify_url=url, state=OrderState.PENDING,
                expires_at=now + timedelta(seconds=seconds), created_at=now)
    except IntegrityError:
        again = await _same_order(merchant.id, ref, digest)  # a concurrent create with this id won
        if again is None:
            raise
        return again


async def _same_order(merchant_id: int, ref: str, digest: str) -> MerchantOrder | None:
    existing = await MerchantOrder.get_or_none(merchant_id=merchant_id, merchant_order_id=ref)
    if existing is not None and existing.request_fingerprint != digest:
        raise IdempotencyConflict()
    return existing


async def order_for_merchant(merchant: Merchant, order_id: int) -> MerchantOrder:
    order = await MerchantOrder.get_or_none(id=order_id, merchant_id=merchant.id)
    if order is None:
        raise NotFound("order")
    return order


async def order_for_user(user: User, order_id: int) -> MerchantOrder:
    """An order a user may see: one still open to pay (its id comes from the shop or its code), or one
    this user paid. Another user's paid order is not found, as if missing."""
    order = await MerchantOrder.get_or_none(id=order_id)
    if order is None or (order.state != OrderState.PENDING and order.payer_id != user.id):
        raise NotFound("order")
    return order


# ---------------------------------------------------------------- paying


@dataclass(frozen=True)
class MerchantPayment:
    """A payment to a merchant as asked for: of an order, or by the merchant's static code."""

    payer: User
    merchant_id: int
    order_id: int | None
    amount_minor: int
    currency: str
    memo: str
    key: str
    digest: str
    pin: str | None
    device: approval.Assertion | None = None

    @property
    def approval(self) -> approval.Payment:
        return approval.Payment(idempotency.fingerprint(self.key, self.digest), self.amount_minor, self.key)


@dataclass(frozen=True)
class Paid:
    """A payment's answer: the transfer, the payer's wallet as it left it, and the order (if any)."""

    transfer: Transfer
    wallet: LedgerAccount
    order: MerchantOrder | None


async def pay_order(rt: Runtime, payer: User, *, order_id: int, pin: str | None, idempotency_key: str,
                    device_assertion: str | None = None) -> Paid:
    """Pay an order at most once (whoever pays first), and at most once per idempotency key."""
    key = idempotency.check_key(idempotency_key)
    if pin is not None:
        check_format(pin)
    order = await MerchantOrder.get_or_none(id=order_id)
    if order is None:
        raise NotFound("order")
    payment = MerchantPayment(payer, order.merchant_id, order.id, order.amount_minor, order.currency,
                              order.description, key, idempotency.fingerprint("ORDER", order.id), pin)
    previous = await idempotency.stored(payer.id, key, payment.digest)
    if previous is not None:
        return await _answer(previous, order)
    _check_payable(order, rt)  # refuse early, before asking for a device approval
    payment = await approval.prepare(rt, payment, device_assertion)
    return await _run(rt, payment)


async def pay_merchant(rt: Runtime, payer: User, *, merchant_id: int, amount_minor: int, memo: str,
                       pin: str | None, idempotency_key: str, device_assertion: str | None = None) -> Paid:
    """Pay a merchant by its static code: an amount the payer chooses, no order."""
    key = idempotency.check_key(idempotency_key)
    memo = clean_text(memo, "memo", max_length=MAX_DESCRIPTION)
    if pin is not None:
        check_format(pin)
    if amount_minor <= 0:
        raise InvalidInput("amount", "must be greater than zero")
    limits.check_per_transfer(rt.settings, amount_minor)
    if not await Merchant.filter(id=merchant_id).exists():
        raise NotFound("merchant")
    payment = MerchantPayment(payer, merchant_id, None, amount_minor, rt.settings.currency, memo, key,
                              idempotency.fingerprint("MERCHANT", merchant_id, amount_minor, memo), pin)
    previous = await idempotency.stored(payer.id, key, payment.digest)
    if previous is not None:
        return await _answer(previous, None)
    payment = await approval.prepare(rt, payment, device_assertion)
    return await _run(rt, payment)


async def _run(rt: Runtime, payment: MerchantPayment) -> Paid:
    try:
        paid = await money_transaction(rt, lambda conn: _pay(rt, conn, payment))
        notify.wake(rt)
        return paid
    except IntegrityError:
        previous = await idempotency.stored(payment.payer.id, payment.key, payment.digest)
        if previous is None:
            raise
        order = await MerchantOrder.get(id=payment.order_id) if payment.order_id else None
        return await _answer(previous, order)


def _check_payable(order: MerchantOrder, rt: Runtime) -> None:
    if order.state in (OrderState.PAID, OrderState.REFUNDED):
        raise OrderNotPayable("ALREADY_PAID", "This order is already paid.")
    if order.state == OrderState.EXPIRED or order.expires_at <= rt.clock.now():
        raise OrderNotPayable("EXPIRED", "This order has expired; ask the shop for a new one.")


async def _pay(rt: Runtime, conn: BaseDBAsyncClient, p: MerchantPayment) -> Paid:
    s, now = rt.settings, rt.clock.now()
    order: MerchantOrder | None = None
    if p.order_id is not None:
        order = await MerchantOrder.filter(id=p.order_id).select_for_update().using_db(conn).get()
    previous = await Transfer.get_or_none(initiator_id=p.payer.id, idempotency_key=p.key)
    if previous is not None:
        if previous.request_fingerprint != p.digest:
            raise IdempotencyConflict()
        return await _answer(previous, order)
    if order is not None:
        _check_payable(order, rt)
    merchant = await Merchant.get(id=p.merchant_id)
    wallet = await book.wallet_of(p.payer.id)
    if wallet is None:
        raise VerificationRequired([Requirement("WALLET")], "Open your wallet first.")
    accounts = await book.lock_accounts([wallet.id, merchant.account_id])
    mine, shop = accounts[wallet.id], accounts[merchant.account_id]
    pin_row = await PaymentPin.filter(user_id=p.payer.id).select_for_update().using_db(conn).first()
    if mine.balance_minor < p.amount_minor:
        raise InsufficientFunds(balance_minor=mine.balance_minor, amount_minor=p.amount_minor, currency=mine.currency)
    if pin_row is None:
        raise VerificationRequired([Requirement("PAYMENT_PIN")], "Set a payment PIN first.")
    await approval.check(rt, conn, PinState.of(pin_row), p)
    limits.check_per_transfer(s, p.amount_minor)
    limits.check_daily_total(s, await limits.sent_since_minor(p.payer.id, limits.day_start(now)), p.amount_minor)
    transfer = await Transfer.create(
        kind=TransferKind.ORDER_PAYMENT if order is not None else TransferKind.MERCHANT_PAYMENT,
        state=TransferState.COMPLETED, initiator_id=p.payer.id, idempotency_key=p.key, request_fingerprint=p.digest,
        payer_id=p.payer.id, payee_id=None, amount_minor=p.amount_minor, currency=p.currency, memo=p.memo,
        initiator_balance_after_minor=mine.balance_minor - p.amount_minor, created_at=now, using_db=conn)
    what = f"order {order.id}" if order is not None else "static code"
    await book.move(conn, JournalKind.MERCHANT_PAYMENT, transfer.id, [
        Line(mine, -p.amount_minor, EntryKind.SENT),
        Line(shop, p.amount_minor, EntryKind.RECEIVED, p.payer.id),
    ], at=now, description=f"merchant {merchant.id} {what}")
    if order is not None:
        await MerchantOrder.filter(id=order.id).using_db(conn).update(
            state=OrderState.PAID, payer_id=p.payer.id, payment_transfer_id=transfer.id, paid_at=now)
        order = replace_order(order, state=OrderState.PAID, payer_id=p.payer.id, payment_transfer_id=transfer.id,
                              paid_at=now)
        await notify.order_event(conn, rt, order, "order.paid", transferId=global_id("Transfer", transfer.id))
    await events.record([p.payer.id], "payment.receipt", _receipt(
        "SENT", transfer, mine.balance_minor, merchant.name, at=now))
    return Paid(transfer, mine, order)


def replace_order(order: MerchantOrder, **changes: object) -> MerchantOrder:
    """The in-memory row updated with what the transaction wrote (the row itself is not re-read)."""
    for name, value in changes.items():
        setattr(order, name, value)
    return order


def _receipt(kind: str, transfer: Transfer, balance_after_minor: int, merchant_name: str, *,
             at: object) -> dict[str, object]:
    """A payment receipt on the payer's stream, in the shape of app.payments.receipts (no counterparty
    user: the counterparty is a shop, named by its name)."""
    return {
        "receiptKind": kind,
        "transferId": global_id("Transfer", transfer.id),
        "amount": format_amount(transfer.amount_minor, transfer.currency),
        "currency": transfer.currency,
        "balanceAfter": format_amount(balance_after_minor, transfer.currency),
        "counterpartyId": None,
        "counterpartyName": merchant_name,
        "memo": transfer.memo,
        "state": str(transfer.state),
        "at": at.isoformat() if hasattr(at, "isoformat") else str(at),
    }


async def _answer(transfer: Transfer, order: MerchantOrder | None) -> Paid:
    """The first answer of this key again: the wallet as that payment left it."""
    wallet = await book.wallet_of(transfer.initiator_id)
    assert wallet is not None, "a payment's initiator has a wallet"
    balance = transfer.initiator_balance_after_minor
    if balance is not None:
        wallet = LedgerAccount(id=wallet.id, kind=wallet.kind, user_id=wallet.user_id, currency=wallet.currency,
                               balance_minor=balance, created_at=wallet.created_at)
    if order is not None:
        order = await MerchantOrder.get(id=order.id)
    return Paid(transfer, wallet, order)


# ---------------------------------------------------------------- refunds


@dataclass(frozen=True)
class Refunded:
    refund: OrderRefund
    transfer: Transfer
    order: MerchantOrder


async def refund_order(rt: Runtime, merchant: Merchant, *, order_id: int, amount_minor: int, reason: str,
                       idempotency_key: str) -> Refunded:
    """Give back part or all of a paid order from the merchant's wallet to the payer's; the refunds of
    one order never add up to more than its payment."""
    reason = clean_text(reason, "reason", max_length=MAX_DESCRIPTION)
    key = idempotency.check_key(idempotency_key)
    if amount_minor <= 0:
        raise InvalidInput("amount", "must be greater than zero")
    await order_for_merchant(merchant, order_id)
    digest = idempotency.fingerprint("ORDER_REFUND", order_id, amount_minor, reason)

    async def body(conn: BaseDBAsyncClient) -> Refunded:
        return await _refund(rt, conn, merchant, order_id, amount_minor, reason, key, digest)

    try:
        done = await money_transaction(rt, body)
        notify.wake(rt)
        return done
    except IntegrityError:
        previous = await OrderRefund.get_or_none(merchant_id=merchant.id, idempotency_key=key)
        if previous is None:
            raise
        return await _refund_answer(previous, digest)


async def _refund_answer(previous: OrderRefund, digest: str) -> Refunded:
    if previous.request_fingerprint != digest:
        raise IdempotencyConflict()
    transfer = await Transfer.get(id=previous.transfer_id)
    return Refunded(previous, transfer, await MerchantOrder.get(id=previous.order_id))


async def _refund(rt: Runtime, conn: BaseDBAsyncClient, merchant: Merchant, order_id: int, amount_minor: int,
                  reason: str, key: str, digest: str) -> Refunded:
    now = rt.clock.now()
    order = await MerchantOrder.filter(id=order_id, merchant_id=merchant.id).select_for_update().using_db(conn).get()
    previous = await OrderRefund.get_or_none(merchant_id=merchant.id, idempotency_key=key)
    if previous is not None:
        return await _refund_answer(previous, digest)
    if order.state not in (OrderState.PAID, OrderState.REFUNDED) or order.payer_id is None:
        raise RefundRefused("NOT_REFUNDABLE", "Only a paid order can be refunded.", remaining_minor=0,
                            currency=order.currency)
    left = order.amount_minor - order.refunded_minor
    if amount_minor > left:
        raise RefundRefused("EXCEEDS_REMAINING", "That is more than is left to refund of this order.",
                            remaining_minor=left, currency=order.currency)
    wallet = await book.wallet_of(order.payer_id)
    assert wallet is not None, "the payer paid from this wallet"
    accounts = await book.lock_accounts([wallet.id, merchant.account_id])
    theirs, shop = accounts[wallet.id], accounts[merchant.account_id]
    if shop.balance_minor < amount_minor:  # a merchant wallet never goes negative (the database guards it too)
        raise InsufficientFunds(balance_minor=shop.balance_minor, amount_minor=amount_minor, currency=shop.currency)
    transfer = await Transfer.create(
        kind=TransferKind.ORDER_REFUND, state=TransferState.COMPLETED, initiator_id=merchant.owner_id,
        idempotency_key=f"merchant-refund:{merchant.id}:{idempotency.fingerprint(key)[:40]}",
        request_fingerprint=digest, payer_id=None, payee_id=order.payer_id, amount_minor=amount_minor,
        currency=order.currency, memo=reason, created_at=now, using_db=conn)
    await book.move(conn, JournalKind.MERCHANT_REFUND, transfer.id, [
        Line(shop, -amount_minor, EntryKind.REFUND, order.payer_id),
        Line(theirs, amount_minor, EntryKind.REFUND),
    ], at=now, description=f"refund of order {order.id}")
    refund = await OrderRefund.create(order_id=order.id, merchant_id=merchant.id, idempotency_key=key,
                                      request_fingerprint=digest, transfer_id=transfer.id, amount_minor=amount_minor,
                                      reason=reason, created_at=now, using_db=conn)
    refunded = order.refunded_minor + amount_minor
    state = OrderState.REFUNDED if refunded == order.amount_minor else OrderState.PAID
    await MerchantOrder.filter(id=order.id).using_db(conn).update(refunded_minor=refunded, state=state)
    order = replace_order(order, refunded_minor=refunded, state=state)
    await notify.order_event(conn, rt, order, "order.refunded",
                             refundAmount=format_amount(amount_minor, order.currency), reason=reason,
                             transferId=global_id("Transfer", transfer.id))
    await events.record([order.payer_id], "payment.receipt", _receipt(
        "REFUND", transfer, theirs.balance_minor, merchant.name, at=now))
    return Refunded(refund, transfer, order)


# ---------------------------------------------------------------- expiry (a sweeper job)


async def expire_due(rt: Runtime) -> int:
    """Close every unpaid order past its expiry (one per transaction, SKIP LOCKED so several sweepers
    share the work and an order being paid right now is left alone); returns how many were closed."""
    closed = 0
    while closed < EXPIRE_BATCH and await _expire_one(rt):
        closed += 1
    if closed:
        notify.wake(rt)
    return closed


async def _expire_one(rt: Runtime) -> bool:
    now = rt.clock.now()
    async with in_transaction() as conn:
        order = await MerchantOrder.filter(state=OrderState.PENDING, expires_at__lte=now) \
            .order_by("expires_at", "id").select_for_update(skip_locked=True).using_db(conn).first()
        if order is None:
            return False
        await MerchantOrder.filter(id=order.id, state=OrderState.PENDING).using_db(conn).update(
            state=OrderState.EXPIRED, closed_at=now)
        order = replace_order(order, state=OrderState.EXPIRED, closed_at=now)
        await notify.order_event(conn, rt, order, "order.expired")
    return True
