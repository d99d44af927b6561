"""Issuing and revoking a user's collection codes, and the payload each row signs to.

A user has one live static code (no amount: the payer fills it in), issued on first ask and again
after it is revoked, and any number of fixed-amount codes. The payload is never stored: it is
signed from the row when shown, under the current key, so a code shown after a key rotation carries
the new key id while one printed before still verifies (app/codes/payloads.py).
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.codes.payloads import MAX_MEMO_LENGTH, CodeClaims, PayeeKind, sign
from app.errors import InvalidCollectionCode, InvalidInput, NotFound, Requirement, VerificationRequired
from app.ledger import book
from app.payments import limits
from app.runtime import Runtime
from app.text import clean_text
from models import CollectionCode, User

CODES_PER_HOUR = 30


def static_key_of(user_id: int) -> str:
    return f"user:{user_id}"


def claims_of(code: CollectionCode) -> CodeClaims:
    if code.merchant_id is not None:
        return CodeClaims(PayeeKind.MERCHANT, code.merchant_id, code.id, code.amount_minor, code.currency, code.memo)
    return CodeClaims(PayeeKind.USER, code.owner_id, code.id, code.amount_minor, code.currency, code.memo)


def payload_of(rt: Runtime, code: CollectionCode) -> str:
    return sign(rt, claims_of(code))


async def static_code(rt: Runtime, user: User) -> CollectionCode | None:
    """The user's live static code, issued on first ask; None before the user has a wallet."""
    key = static_key_of(user.id)
    live = await CollectionCode.get_or_none(static_key=key)
    if live is not None:
        return live
    if await book.wallet_of(user.id) is None:
        return None
    try:
        return await CollectionCode.create(owner_id=user.id, amount_minor=None, currency=rt.settings.currency,
                                           memo="", static_key=key, created_at=rt.clock.now())
    except IntegrityError:  # another request issued it a moment ago
        return await CollectionCode.get(static_key=key)


async def create_code(rt: Runtime, user: User, *, amount_minor: int, memo: str) -> CollectionCode:
    """A code that asks for exactly `amount_minor`, with a memo the payer sees."""
    memo = clean_text(memo, "memo", max_length=MAX_MEMO_LENGTH)
    if amount_minor <= 0:
        raise InvalidInput("amount", "must be greater than zero")
    limits.check_per_transfer(rt.settings, amount_minor)  # a code nobody could pay is refused now
    if await book.wallet_of(user.id) is None:
        raise VerificationRequired([Requirement("WALLET")], "Open your wallet first.")
    await rt.limiter.hit(f"collection-code:{user.id}", CODES_PER_HOUR, 3600)
    return await CollectionCode.create(owner_id=user.id, amount_minor=amount_minor, currency=rt.settings.currency,
                                       memo=memo, static_key=None, created_at=rt.clock.now())


async def revoke_code(rt: Runtime, user: User, code_id: int) -> CollectionCode:
    """Revoke one of the user's own codes (again: a no-op). A payment holding the row finishes first."""
    async with in_transaction():
        code = await CollectionCode.filter(id=code_id, owner_id=user.id, merchant_id=None) \
            .select_for_update().first()
        if code is None:
            raise NotFound("collection code")
        if code.revoked_at is None:
            code.revoked_at, code.static_key = rt.clock.now(), None
            await code.save(update_fields=["revoked_at", "static_key"])
    return code


async def code_for(claims: CodeClaims) -> CollectionCode:
    """The row a verified payload names; a payload that names a row that says otherwise is no code."""
    code = await CollectionCode.get_or_none(id=claims.code_id)
    if code is None or claims_of(code) != claims:
        raise InvalidCollectionCode()
    return code


async def codes_of(user_id: int, code_ids: list[int]) -> list[CollectionCode]:
    """Those of these codes that are the user's own (revoked or not)."""
    return await CollectionCode.filter(id__in=code_ids, owner_id=user_id, merchant_id=None)


async def live_codes(user_id: int, *, limit: int) -> list[CollectionCode]:
    """The user's codes that can still be paid, newest first."""
    return await CollectionCode.filter(owner_id=user_id, merchant_id=None, revoked_at=None) \
        .order_by("-id").limit(limit)
