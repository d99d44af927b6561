"""Binding a bank card: check it, have the issuer send a code, confirm it; and unbinding.

Kept: brand, last four, expiry, holder name, the processor's token and a keyed fingerprint that
refuses a second active binding of the same card. Never kept, logged or echoed: the full number
and the CVV (they live in this request's memory only, on their way to the processor).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.cards import requests
from app.cards.numbers import check_cvv, check_expiry, check_number
from app.cards.processor import CardDetails, processor_for
from app.errors import (
    AlreadyExists,
    CardDeclined,
    InvalidCode,
    InvalidInput,
    NotFound,
    Requirement,
    VerificationRequired,
)
from app.identity.documents import CHINA_TZ
from app.pin.attempts import verify_pin
from app.runtime import Runtime
from app.text import ascii_digits, clean_text
from app.verification import codes
from app.verification.codes import CODE_DIGITS, Purpose
from models import Card, CardStatus, Identity, User

MAX_CODE_ATTEMPTS = 3
BINDINGS_PER_DAY = 5


async def bind_card(rt: Runtime, user: User, *, number: str, expiry_month: int, expiry_year: int, cvv: str,
                    holder_name: str, pin: str, idempotency_key: str | None = None) -> Card:
    """Start a binding: the issuer texts a code to the account's phone. Returns the PENDING card
    (with a key already used for this request: the card that request started, no second code)."""
    number, rule = check_number(number)
    check_cvv(cvv, rule)
    month, year = check_expiry(expiry_month, expiry_year, datetime.now(CHINA_TZ).date())
    holder = clean_text(holder_name, "holderName", max_length=100, min_length=1)
    fingerprint = rt.keyring.keyed("card", number)
    digest = requests.request_digest(requests.BIND, fingerprint.digest, month, year, holder)
    previous = await requests.replayed(user.id, idempotency_key, digest)
    if previous is not None:
        return previous
    identity = await Identity.get_or_none(user_id=user.id)
    if identity is None:
        raise VerificationRequired([Requirement("IDENTITY")], "Verify your identity before adding a card.")
    if _name_key(holder) != _name_key(identity.real_name):
        raise InvalidInput("holderName", "must be the name on your verified identity")
    await verify_pin(rt, user.id, pin)
    # After the PIN: whether a card number is linked somewhere is not for a stolen session to probe.
    if await Card.filter(active_fingerprint__in=rt.keyring.candidates("card", number)).exists():
        raise AlreadyExists("This card is already linked to a wallet.")
    await rt.limiter.hit(f"bind-card:{user.id}", BINDINGS_PER_DAY, 86400)
    answer = await processor_for(rt).tokenise(
        CardDetails(number=number, cvv=cvv, expiry_month=month, expiry_year=year, holder_name=holder),
        phone=user.phone)
    if answer.token is None:
        raise CardDeclined(answer.decline_reason or "DECLINED")
    try:
        async with in_transaction():
            # Only the latest BIND_CARD code is valid, so an older binding can no longer be confirmed.
            await Card.filter(user_id=user.id, status=CardStatus.PENDING).update(status=CardStatus.FAILED)
            card = await Card.create(user=user, brand=rule.brand, last4=number[-4:], expiry_month=month,
                                     expiry_year=year, holder_name=holder, processor_token=answer.token,
                                     fingerprint=fingerprint.digest, fingerprint_key_id=fingerprint.key_id)
            await requests.remember(user.id, idempotency_key, requests.BIND, digest, card.id)
            return card
    except IntegrityError:
        # The same key committed by a concurrent retry while this one waited on its unique index.
        previous = await requests.replayed(user.id, idempotency_key, digest)
        if previous is None:
            raise
        return previous


async def confirm_binding(rt: Runtime, user: User, binding_id: int, code: str,
                          idempotency_key: str | None = None) -> Card:
    """Activate a PENDING card with the issuer's code; the third wrong code fails the binding."""
    ascii_digits(code, "code", length=CODE_DIGITS)
    digest = requests.request_digest(requests.CONFIRM, binding_id)
    previous = await requests.replayed(user.id, idempotency_key, digest)
    if previous is not None:
        return previous
    card = await Card.get_or_none(id=binding_id, user_id=user.id, status=CardStatus.PENDING)
    if card is None:
        raise NotFound("card binding")
    counted = await Card.filter(id=card.id, status=CardStatus.PENDING, code_attempts__lt=MAX_CODE_ATTEMPTS) \
        .update(code_attempts=F("code_attempts") + 1)
    if not counted:
        raise InvalidCode(attempts_left=0)
    try:
        await codes.consume(rt, destination=user.phone, purpose=Purpose.BIND_CARD, code=code)
    except InvalidCode as exc:
        await card.refresh_from_db(fields=["code_attempts"])
        left = 0 if exc.attempts_left == 0 else max(0, MAX_CODE_ATTEMPTS - card.code_attempts)
        if left == 0:
            await Card.filter(id=card.id, status=CardStatus.PENDING).update(status=CardStatus.FAILED)
        raise InvalidCode(attempts_left=left) from exc
    return await _activate(card, idempotency_key, digest)


async def _activate(card: Card, key: str | None, digest: str) -> Card:
    try:
        async with in_transaction():
            await Card.filter(id=card.id).update(status=CardStatus.ACTIVE, active_fingerprint=card.fingerprint,
                                                 activated_at=datetime.now(UTC))
            await requests.remember(card.user_id, key, requests.CONFIRM, digest, card.id)
    except IntegrityError as exc:
        await Card.filter(id=card.id).update(status=CardStatus.FAILED)
        raise AlreadyExists("This card is already linked to a wallet.") from exc
    await card.refresh_from_db()
    return card


async def remove_card(rt: Runtime, user: User, card_id: int, pin: str, idempotency_key: str | None = None) -> None:
    """Unbind an active card (PIN required); its token is forgotten. A retry with the same key succeeds."""
    digest = requests.request_digest(requests.REMOVE, card_id)
    if await requests.replayed(user.id, idempotency_key, digest) is not None:
        return
    card = await active_card(user, card_id)
    await verify_pin(rt, user.id, pin)
    try:
        async with in_transaction():
            await Card.filter(id=card.id, status=CardStatus.ACTIVE).update(
                status=CardStatus.REMOVED, active_fingerprint=None, processor_token="", removed_at=datetime.now(UTC))
            await requests.remember(user.id, idempotency_key, requests.REMOVE, digest, card.id)
    except IntegrityError:
        if await requests.replayed(user.id, idempotency_key, digest) is None:
            raise


async def active_card(user: User, card_id: int) -> Card:
    card = await Card.get_or_none(id=card_id, user_id=user.id, status=CardStatus.ACTIVE)
    if card is None:
        raise NotFound("card")
    return card


async def active_cards(user_id: int) -> list[Card]:
    return await Card.filter(user_id=user_id, status=CardStatus.ACTIVE).order_by("-id")


def _name_key(name: str) -> str:
    """Names compare without case, width or spacing differences (`Wang  Xiaoming` = `WANG XIAOMING`)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
