"""Merchant accounts and their API keys.

A key is 256 random bits shown once (`imwallet create-merchant`, `imwallet merchant-key rotate`) and
stored as its SHA-256 only (app.security.keyed.token_hash), as session tokens are. A merchant has at
most one live key: rotating issues a new one and revokes the old at once; revoking leaves none.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from app.errors import InvalidInput, NotFound
from app.identity.phones import normalise_phone
from app.security.keyed import token_hash
from app.text import clean_text
from models import AccountKind, LedgerAccount, Merchant, MerchantKey, User

KEY_PREFIX = "imw_mk_"
MAX_NAME = 100


@dataclass(frozen=True)
class Issued:
    """A merchant and the API key just made for it (the only time the key exists in clear)."""

    merchant: Merchant
    key: str


def _new_key() -> tuple[str, str, str]:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, token_hash(key), key[:12]


async def create_merchant(*, name: str, owner_phone: str, currency: str, now: object = None) -> Issued:
    """A merchant owned by the user with this phone, its wallet at zero and its first key."""
    name = clean_text(name, "name", max_length=MAX_NAME, min_length=1)
    owner = await User.get_or_none(phone=normalise_phone(owner_phone, field="ownerPhone"))
    if owner is None:
        raise NotFound("user")
    key, digest, prefix = _new_key()
    async with in_transaction():
        account = await LedgerAccount.create(kind=AccountKind.MERCHANT_WALLET, currency=currency)
        merchant = await Merchant.create(name=name, owner=owner, account=account)
        await MerchantKey.create(merchant=merchant, key_hash=digest, prefix=prefix)
    return Issued(merchant, key)


async def rotate_key(merchant_id: int, *, now: object) -> str:
    """A new key for the merchant; every older key stops working at once."""
    key, digest, prefix = _new_key()
    async with in_transaction():
        merchant = await Merchant.get_or_none(id=merchant_id)
        if merchant is None:
            raise NotFound("merchant")
        await MerchantKey.filter(merchant_id=merchant_id, revoked_at__isnull=True).update(revoked_at=now)
        await MerchantKey.create(merchant=merchant, key_hash=digest, prefix=prefix)
    return key


async def revoke_keys(merchant_id: int, *, now: object) -> int:
    """Revoke every live key of the merchant; returns how many were live."""
    if not await Merchant.filter(id=merchant_id).exists():
        raise NotFound("merchant")
    return await MerchantKey.filter(merchant_id=merchant_id, revoked_at__isnull=True).update(revoked_at=now)


async def authenticate(key: str) -> Merchant | None:
    """The merchant whose live key this is, or None (unknown, malformed or revoked alike)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    row = await MerchantKey.filter(key_hash=token_hash(key), revoked_at__isnull=True) \
        .select_related("merchant__owner").first()
    return row.merchant if row is not None else None


async def wallet_of(merchant: Merchant) -> LedgerAccount:
    return await LedgerAccount.get(id=merchant.account_id)


def check_merchant_id(raw: str) -> int:
    if not raw.isdigit():
        raise InvalidInput("merchant", "a merchant id is a number")
    return int(raw)
