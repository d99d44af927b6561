"""Merchant codes: an order's code (kind ORDER) and a merchant's static code (kind MERCHANT), signed by
app.codes.payloads, and paying either (the MERCHANT and ORDER branches of payByCode).

An order's code names the order (payee_id = code_id = the order's id) with its fixed amount: it
dies with the order (paid or expired). A static code names the merchant (payee_id = code_id = the
merchant's id) with no amount: the payer fills it in, as at a shop's counter.
"""

from __future__ import annotations

from app.codes.payloads import CodeClaims, PayeeKind, sign, verify
from app.errors import CollectionCodeRefused, InvalidInput, NotFound
from app.merchants import orders
from app.merchants.orders import Paid
from app.runtime import Runtime
from models import Merchant, MerchantOrder, User

MEMO_IN_CODE = 40


def order_code(rt: Runtime, order: MerchantOrder) -> str:
    return sign(rt, CodeClaims(PayeeKind.ORDER, order.id, order.id, order.amount_minor, order.currency,
                               order.description[:MEMO_IN_CODE]))


def merchant_code(rt: Runtime, merchant: Merchant, currency: str) -> str:
    return sign(rt, CodeClaims(PayeeKind.MERCHANT, merchant.id, merchant.id, None, currency, ""))


def order_id_of(rt: Runtime, payload: str) -> int:
    """The order a code names (InvalidCollectionCode for a forged one, NotFound for another kind)."""
    claims = verify(rt, payload)
    if claims.kind != PayeeKind.ORDER:
        raise NotFound("order")
    return claims.payee_id


async def pay_by_code(rt: Runtime, payer: User, claims: CodeClaims, *, amount_minor: int | None, memo: str,
                      pin: str | None, idempotency_key: str, device_assertion: str | None = None) -> Paid:
    """payByCode for a verified MERCHANT or ORDER code. A fixed amount (an order's) refuses another."""
    if claims.amount_minor is not None and amount_minor is not None and amount_minor != claims.amount_minor:
        raise CollectionCodeRefused("AMOUNT_MISMATCH", "This code is for a fixed amount; pay exactly that.")
    if claims.kind == PayeeKind.ORDER:
        return await orders.pay_order(rt, payer, order_id=claims.payee_id, pin=pin, idempotency_key=idempotency_key,
                                      device_assertion=device_assertion)
    if claims.kind != PayeeKind.MERCHANT:
        raise CollectionCodeRefused("UNSUPPORTED", "This code does not name a merchant.")
    amount = amount_minor if amount_minor is not None else claims.amount_minor
    if amount is None:
        raise InvalidInput("amount", "this code has no amount: give one")
    return await orders.pay_merchant(rt, payer, merchant_id=claims.payee_id, amount_minor=amount, memo=memo, pin=pin,
                                     idempotency_key=idempotency_key, device_assertion=device_assertion)
