"""Account lifecycle: export one's data as one JSON document; delete the account.

Deletion is refused while the wallet holds money or an operation is pending (withdraw first). It
then keeps what the ledger must keep (transfers, journals, entries, the zero-balance wallet and
support tickets about payments, all pointing at the same user id) under an anonymised user row
(no phone, name, email or password left), and removes the rest: identity, PIN, cards' holder
names, contacts, blocks, settings, push devices, the text of the user's messages, memberships,
open money requests. Every session ends.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.devices import enrolment
from app.errors import AccountNotEmpty, InvalidCredentials
from app.identity import sessions
from app.ledger.amounts import format_amount
from app.runtime import Runtime
from models import (
    Block,
    Card,
    CardStatus,
    Contact,
    ContactRequest,
    Identity,
    LedgerAccount,
    Member,
    Message,
    MessageKind,
    MoneyRequest,
    NotificationSettings,
    PaymentPin,
    PrivacySettings,
    PushDelivery,
    PushDevice,
    RequestState,
    Transfer,
    TransferState,
    User,
    VerificationCode,
)

DELETE_ATTEMPTS_PER_HOUR = 5
DELETED_NAME = "Deleted user"
UNUSABLE_HASH = "!deleted"


async def export_my_data(user: User) -> dict[str, Any]:
    """Everything the service holds about the user that the user may read, as plain JSON values."""
    identity = await Identity.get_or_none(user_id=user.id)
    privacy = await PrivacySettings.get_or_none(user_id=user.id)
    wallet = await LedgerAccount.get_or_none(user_id=user.id)
    mine = Q(payer_id=user.id) | Q(payee_id=user.id) | Q(initiator_id=user.id)
    return {
        "profile": {"id": user.id, "phone": user.phone, "displayName": user.display_name, "email": user.email,
                    "createdAt": user.created_at.isoformat(),
                    "identity": {"realName": identity.real_name, "documentType": identity.document_type,
                                 "documentNumberMasked": identity.document_masked,
                                 "dateOfBirth": identity.date_of_birth.isoformat()} if identity else None},
        "privacy": {"messagesFrom": privacy.messages_from.name, "paymentRequestsFrom":
                    privacy.payment_requests_from.name, "findableByPhone": privacy.findable_by_phone.name}
        if privacy else None,
        "contacts": [{"userId": c.other_id, "remark": c.remark, "since": c.created_at.isoformat()}
                     for c in await Contact.filter(owner_id=user.id).order_by("id")],
        "blocked": [b.blocked_id for b in await Block.filter(blocker_id=user.id).order_by("id")],
        "messages": [{"id": m.id, "conversationId": m.conversation_id, "kind": m.kind.name, "text": m.text,
                      "at": m.created_at.isoformat()}
                     for m in await Message.filter(author_id=user.id).order_by("id")],
        "wallet": {"balance": format_amount(wallet.balance_minor, wallet.currency), "currency": wallet.currency}
        if wallet else None,
        "cards": [{"brand": c.brand.name, "last4": c.last4, "status": c.status.name}
                  for c in await Card.filter(user_id=user.id).order_by("id")],
        "records": [{"id": t.id, "kind": t.kind.name, "state": t.state.name, "amount":
                     format_amount(t.amount_minor, t.currency), "currency": t.currency,
                     "direction": "OUT" if t.payer_id == user.id else "IN", "memo": t.memo,
                     "at": t.created_at.isoformat()}
                    for t in await Transfer.filter(mine).order_by("id")],
    }


async def delete_account(rt: Runtime, user: User, *, password: str) -> None:
    """Delete the account once its wallet is empty and nothing is pending; the password confirms it."""
    await rt.limiter.hit(f"delete-account:{user.id}", DELETE_ATTEMPTS_PER_HOUR, 3600)
    if not await rt.hasher.verify_password(user.password_hash, password):
        raise InvalidCredentials()
    await _check_empty(user)
    now = rt.clock.now()
    async with in_transaction():
        await _check_empty(user, lock=True)
        await User.filter(id=user.id).update(
            phone=f"+0{user.id:014d}"[:16], display_name=DELETED_NAME, email=None, email_verified_at=None,
            password_hash=UNUSABLE_HASH)
        await VerificationCode.filter(destination__in=[user.phone, user.email or user.phone]).delete()
        await Identity.filter(user_id=user.id).delete()
        await PaymentPin.filter(user_id=user.id).delete()
        await Card.filter(user_id=user.id).update(status=CardStatus.REMOVED, holder_name="", processor_token="",
                                                  active_fingerprint=None, removed_at=now)
        await Contact.filter(Q(owner_id=user.id) | Q(other_id=user.id)).delete()
        await ContactRequest.filter(Q(sender_id=user.id) | Q(recipient_id=user.id)).delete()
        await Block.filter(Q(blocker_id=user.id) | Q(blocked_id=user.id)).delete()
        await PrivacySettings.filter(user_id=user.id).delete()
        await NotificationSettings.filter(user_id=user.id).delete()
        devices = await PushDevice.filter(user_id=user.id).values_list("id", flat=True)
        await PushDelivery.filter(device_id__in=list(devices)).delete()
        await PushDevice.filter(user_id=user.id).delete()
        await Message.filter(author_id=user.id, kind=MessageKind.TEXT).update(text="", recalled_at=now)
        await MoneyRequest.filter(requester_id=user.id, state=RequestState.OPEN).update(
            state=RequestState.CANCELLED, cancelled_at=now)
        await Member.filter(user_id=user.id, left_at__isnull=True).update(left_at=now)
        await enrolment.remove_all(rt, user.id)
        await sessions.revoke_all(user.id)
    await sessions.announce_ended(rt, user.id)


async def _check_empty(user: User, *, lock: bool = False) -> None:
    query = LedgerAccount.filter(user_id=user.id)
    wallet = await (query.select_for_update() if lock else query).first()
    if wallet is not None and wallet.balance_minor != 0:
        raise AccountNotEmpty("MONEY_LEFT", "Your wallet still holds money: withdraw it first.")
    pending = Q(payer_id=user.id) | Q(payee_id=user.id) | Q(initiator_id=user.id)
    if await Transfer.filter(pending, state=TransferState.PENDING).exists():
        raise AccountNotEmpty("PENDING_OPERATIONS", "A payment of yours is still pending: wait for it to finish.")
