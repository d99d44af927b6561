"""Split bills: a request in a group where each chosen member owes a share of one total.

Equal shares divide the total in fen; the remainder cents go one each to the first participants in
the order the initiator listed them (100.00 among three: 33.34, 33.33, 33.33). Explicit shares must
add up to the total. The initiator may list themselves: their share is what they already paid, so
nobody asks them for it. Each share is paid once with `payRequest` (app.payments.request_payments).
"""

from __future__ import annotations

from hashlib import sha256

from tortoise.exceptions import IntegrityError

from app.chat.access import visible_conversation
from app.chat.announce import MESSAGE_ADDED, announce, lock_conversation, member_ids
from app.chat.conversations import touch
from app.chat.requests import MAX_MEMO, check_request_key, requested_before
from app.errors import InvalidInput
from app.ledger.amounts import parse_amount
from app.runtime import Runtime
from app.text import clean_text
from app.unit_of_work import money_transaction
from models import ConversationKind, Message, MessageKind, MoneyRequest, RequestShare, User

MAX_PARTICIPANTS = 200


def equal_shares(total_minor: int, participant_ids: list[int]) -> list[tuple[int, int]]:
    """The total in equal shares, the remainder cents to the first participants listed."""
    count = len(participant_ids)
    base, extra = divmod(total_minor, count)
    return [(uid, base + (1 if i < extra else 0)) for i, uid in enumerate(participant_ids)]


async def split_bill(rt: Runtime, user: User, *, conversation_id: int, total: str, participant_ids: list[int],
                     shares: list[tuple[int, str]], memo: str, idempotency_key: str | None = None) -> MoneyRequest:
    """Post a split bill into a group conversation (once per idempotency key)."""
    currency = rt.settings.currency
    total_minor = parse_amount(total, currency, "total")
    memo = clean_text(memo, "memo", max_length=MAX_MEMO)
    owed = _shares(total_minor, participant_ids, [(uid, parse_amount(a, currency, "shares.amount"))
                                                  for uid, a in shares])
    key = check_request_key(idempotency_key) if idempotency_key is not None else None
    digest = sha256(f"SPLIT\x1f{conversation_id}\x1f{total_minor}\x1f{owed}\x1f{memo}".encode()).hexdigest() \
        if key else None
    if key is not None and (first := await requested_before(user.id, key, digest)) is not None:
        return first
    conversation = await visible_conversation(user, conversation_id)
    if conversation.kind != ConversationKind.GROUP:
        raise InvalidInput("conversationId", "a bill is split in a group conversation")
    members = set(await member_ids(conversation.id))
    if any(uid not in members for uid, _ in owed):
        raise InvalidInput("participantIds", "every participant must be a member of the group")
    asked = [(uid, amount) for uid, amount in owed if uid != user.id]
    if not asked:
        raise InvalidInput("participantIds", "name at least one other member")

    async def post(_: object) -> MoneyRequest:
        await lock_conversation(conversation.id)
        request = await MoneyRequest.create(conversation_id=conversation.id, requester_id=user.id, split=True,
                                            amount_minor=total_minor, currency=currency, memo=memo,
                                            idempotency_key=key, request_fingerprint=digest)
        await RequestShare.bulk_create([RequestShare(request_id=request.id, user_id=uid, amount_minor=amount)
                                        for uid, amount in asked])
        message = await Message.create(conversation_id=conversation.id, kind=MessageKind.REQUEST,
                                       author_id=user.id, amount_minor=total_minor, currency=currency,
                                       memo=memo, request_id=request.id)
        await MoneyRequest.filter(id=request.id).update(message_id=message.id)
        request.message_id = message.id
        await touch(conversation, message, rt.clock.now())
        await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)
        return request

    try:
        return await money_transaction(rt, post)
    except IntegrityError:
        first = await requested_before(user.id, key, digest) if key is not None else None
        if first is None:
            raise
        return first


def _shares(total_minor: int, participant_ids: list[int], explicit: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if explicit:
        ids = [uid for uid, _ in explicit]
        if participant_ids and set(participant_ids) != set(ids):
            raise InvalidInput("participantIds", "give the participants once: in shares, or in participantIds")
        if sum(amount for _, amount in explicit) != total_minor:
            raise InvalidInput("shares", "the shares must add up to the total")
        owed = explicit
    else:
        if not participant_ids:
            raise InvalidInput("participantIds", "name who shares the bill")
        if total_minor < len(participant_ids):
            raise InvalidInput("total", "too small to give everyone at least 0.01")
        owed = equal_shares(total_minor, participant_ids)
    ids = [uid for uid, _ in owed]
    if len(set(ids)) != len(ids):
        raise InvalidInput("participantIds", "each participant once")
    if len(ids) > MAX_PARTICIPANTS:
        raise InvalidInput("participantIds", f"at most {MAX_PARTICIPANTS} participants")
    return owed
