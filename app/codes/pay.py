"""Paying whoever a collection code names, through the one payment path (app/payments/transfers.py).

A code is its payee's own consent to be paid: paying a person's code needs no contact and passes
their `messagesFrom` privacy setting, and it arrives at once even when the payee holds ordinary
transfers for acceptance (MANUAL in app/payments/acceptance.py). A block still refuses, as for every
transfer (NotReachable). Everything else is a transfer's: PIN or device approval, limits, step-up,
idempotency, receipts, and the TRANSFER message in the pair's direct conversation (opened if new).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from tortoise.backends.base.client import BaseDBAsyncClient

from app.codes import service
from app.codes.payloads import CodeClaims, PayeeKind, verify
from app.devices import approval
from app.errors import CollectionCodeRefused, InvalidInput
from app.merchants import codes as merchant_codes
from app.payments import idempotency
from app.payments.transfers import Sent, make_order, pay
from app.people.reach import Reach
from app.runtime import Runtime
from models import CollectionCode, Transfer, User


def _revoked() -> CollectionCodeRefused:
    return CollectionCodeRefused("REVOKED", "This code was revoked by its owner; ask them for their current code.")


class _StillLive:
    """Inside the payment's transaction: the code row, locked, is still not revoked (revoking waits for us)."""

    def __init__(self, code_id: int) -> None:
        self.code_id = code_id

    async def before(self, conn: BaseDBAsyncClient) -> Iterable[int]:
        code = await CollectionCode.filter(id=self.code_id).select_for_update().first()
        if code is None or code.revoked_at is not None:
            raise _revoked()
        return ()

    async def after(self, conn: BaseDBAsyncClient, transfer: Transfer) -> None:
        return None


def amount_to_pay(claims: CodeClaims, amount_minor: int | None) -> int:
    """A fixed-amount code pays exactly its amount (the payer may leave it out); a static code needs one."""
    if claims.amount_minor is None:
        if amount_minor is None:
            raise InvalidInput("amount", "this code has no amount of its own: give one")
        return amount_minor
    if amount_minor is not None and amount_minor != claims.amount_minor:
        raise CollectionCodeRefused("AMOUNT_MISMATCH", "This code asks for a fixed amount; pay exactly that.")
    return claims.amount_minor


async def pay_by_code(rt: Runtime, payer: User, *, payload: str, amount_minor: int | None, memo: str,
                      pin: str | None, idempotency_key: str, step_up_code: str | None = None,
                      device_assertion: str | None = None) -> Sent:
    """Pay the payee a code names, at most once per idempotency key; a replay answers the first payment."""
    claims = verify(rt, payload)
    if claims.currency != rt.settings.currency:
        raise CollectionCodeRefused("UNSUPPORTED", f"This server cannot pay {claims.currency} codes.")
    amount = amount_to_pay(claims, amount_minor)
    if claims.kind == PayeeKind.USER:
        return await _pay_user(rt, payer, claims, amount_minor=amount, memo=memo, pin=pin,
                               idempotency_key=idempotency_key, step_up_code=step_up_code,
                               device_assertion=device_assertion)
    if claims.kind in (PayeeKind.MERCHANT, PayeeKind.ORDER):
        # A merchant's static code pays the merchant's wallet; an order's code pays that order, once.
        paid = await merchant_codes.pay_by_code(rt, payer, claims, amount_minor=amount, memo=memo, pin=pin,
                                                idempotency_key=idempotency_key, device_assertion=device_assertion)
        return Sent(paid.transfer, paid.wallet)
    raise CollectionCodeRefused("UNSUPPORTED", "This kind of code cannot be paid yet.")


async def _pay_user(rt: Runtime, payer: User, claims: CodeClaims, *, amount_minor: int, memo: str, pin: str | None,
                    idempotency_key: str, step_up_code: str | None, device_assertion: str | None) -> Sent:
    code = await service.code_for(claims)
    order = make_order(rt, payer, payee_id=claims.payee_id, amount_minor=amount_minor, memo=memo or claims.memo,
                       pin=pin, idempotency_key=idempotency_key, request_id=None)
    order = replace(order, digest=idempotency.fingerprint("CODE", code.id, order.digest), reach=Reach.CODE_PAYMENT)
    # Refused before any PIN or device question, unless this key already paid it (then: the first answer).
    if code.revoked_at is not None and await idempotency.stored(payer.id, order.key, order.digest) is None:
        raise _revoked()
    order = await approval.prepare(rt, order, device_assertion)
    return await pay(rt, order, step_up_code=step_up_code, extra=_StillLive(code.id))
