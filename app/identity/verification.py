"""Proving who one is: identity submission and what the wallet still needs."""

from __future__ import annotations

from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.errors import AlreadyExists, IdentityRejected, InvalidInput
from app.identity.documents import DocumentType, check_adult, check_document
from app.runtime import Runtime
from app.text import clean_text
from models import Identity, User


async def submit_identity(rt: Runtime, user: User, *, real_name: str, document_type: DocumentType,
                          document_number: str, date_of_birth: date) -> Identity:
    real_name = clean_text(real_name, "realName", max_length=50, min_length=2)
    doc = check_document(document_type, document_number, date_of_birth)
    check_adult(date_of_birth)
    if await Identity.filter(user=user).exists():
        raise AlreadyExists("Your identity is already verified.")
    digest = rt.keyring.fingerprint("document", f"{doc.type}:{doc.number}")
    try:
        async with in_transaction():
            return await Identity.create(user=user, real_name=real_name, document_type=doc.type,
                                         document_hash=digest, document_masked=doc.masked,
                                         date_of_birth=date_of_birth)
    except IntegrityError as exc:
        raise IdentityRejected("DOCUMENT_IN_USE",
                               "This document is already verified on another account.") from exc


async def check_document_owner(rt: Runtime, user: User, document_number: str) -> None:
    """Raise unless `document_number` is the one this user verified (for PIN reset)."""
    identity = await Identity.get_or_none(user=user)
    if identity is None:
        raise InvalidInput("documentNumber", "verify your identity first")
    number = document_number.strip().upper()
    digest = rt.keyring.fingerprint("document", f"{identity.document_type}:{number}")
    if digest != identity.document_hash:
        raise InvalidInput("documentNumber", "does not match your verified document")
