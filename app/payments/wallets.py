"""Opening a wallet: for a verified adult with a payment PIN, once."""

from __future__ import annotations

from app.errors import VerificationRequired
from app.identity.readiness import wallet_requirements
from app.ledger import book
from app.runtime import Runtime
from models import LedgerAccount, User


async def open_wallet(rt: Runtime, user: User) -> LedgerAccount:
    """The user's wallet, created at zero; VerificationRequired lists every gate still missing."""
    missing = await wallet_requirements(user)
    if missing:
        raise VerificationRequired(missing)
    return await book.open_wallet_account(user, rt.settings.currency)


async def wallet_of(user: User) -> LedgerAccount | None:
    return await book.wallet_of(user.id)
