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
    document = f"{doc.type}:{doc.number}"
    keyed = rt.keyring.keyed("document", document)
    # The unique index sees digests under one key only; one under a retired key is looked up.
    if await Identity.filter(document_hash__in=rt.keyring.candidates("document", document)).exists():
        raise _document_in_use()
    try:
        async with in_transaction():
            return await Identity.create(user=user, real_name=real_name, document_type=doc.type,
                                         document_hash=keyed.digest, document_key_id=keyed.key_id,
                                         document_masked=doc.masked, date_of_birth=date_of_birth)
    except IntegrityError as exc:
        raise _document_in_use() from exc


def _document_in_use() -> IdentityRejected:
    return IdentityRejected("DOCUMENT_IN_USE", "This document is already verified on another account.")


async def check_document_owner(rt: Runtime, user: User, document_number: str) -> None:
    """Raise unless `document_number` is the one this user verified (for PIN reset)."""
    identity = await Identity.get_or_none(user=user)
    if identity is None:
        raise InvalidInput("documentNumber", "verify your identity first")
    number = document_number.strip().upper()
    document = f"{identity.document_type}:{number}"
    if not rt.keyring.matches("document", document, identity.document_hash, identity.document_key_id):
        raise InvalidInput("documentNumber", "does not match your verified document")
    if identity.document_key_id != rt.keyring.key_id:  # re-key on the first check after a rotation
        keyed = rt.keyring.keyed("document", document)
        await Identity.filter(id=identity.id).update(document_hash=keyed.digest, document_key_id=keyed.key_id)
