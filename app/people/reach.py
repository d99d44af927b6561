"""Who may reach whom: the one decision every path that touches another person asks.

A block and a privacy setting that does not allow the action give the same answer, NotReachable,
so the sender cannot tell which it was (nor, for a phone lookup, whether the account exists).
Only the target's own rules count; blocking is one-way (the blocker may still reach the blocked
user if that user's settings allow it).
"""

from __future__ import annotations

from enum import StrEnum

from app.errors import NotReachable
from models import Audience, Block, Contact, Conversation, ConversationKind, PrivacySettings


class Reach(StrEnum):
    MESSAGE = "message"                  # a direct message, starting a direct chat
    TRANSFER = "transfer"                # money shows as a message in the direct chat: as MESSAGE
    GROUP_ADD = "group_add"              # being added to a group lets its members message you: as MESSAGE
    CONTACT_REQUEST = "contact_request"  # allowed under CONTACTS (that is how one becomes a contact)
    PAYMENT_REQUEST = "payment_request"  # a request for money in a direct chat: also a message
    FIND_BY_PHONE = "find_by_phone"      # findUser and every other lookup by phone number
    CODE_PAYMENT = "code_payment"        # paying the payee's own collection code: their consent, only a block refuses


async def allowed(sender_id: int, target_id: int, action: Reach) -> bool:
    """True when `sender_id` may do `action` to `target_id`."""
    if sender_id == target_id:
        return True
    if await Block.exists(blocker_id=target_id, blocked_id=sender_id):
        return False
    if action == Reach.CODE_PAYMENT:
        return True
    audiences = set(_audiences(await PrivacySettings.get_or_none(user_id=target_id), action))
    if Audience.NOBODY in audiences:
        return False
    if Audience.CONTACTS not in audiences or action == Reach.CONTACT_REQUEST:
        return True
    return await Contact.exists(owner_id=target_id, other_id=sender_id)


def decide_transfer(*, blocked: bool, messages_from: str | None, is_contact: bool) -> bool:
    """`allowed(..., Reach.TRANSFER)` from facts the payment's own gate query already read."""
    audience = Audience(messages_from) if messages_from else Audience.EVERYONE
    if blocked or audience == Audience.NOBODY:
        return False
    return audience == Audience.EVERYONE or is_contact


# The same facts as SQL, for a payment that reads them in its own round trip: $1 the sender, $5 the target.
TRANSFER_FACTS_SQL = """
       EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = $5 AND b.blocked_id = $1) AS reach_blocked,
       (SELECT ps.messages_from FROM privacy_settings ps WHERE ps.user_id = $5) AS reach_messages_from,
       EXISTS (SELECT 1 FROM contacts c WHERE c.owner_id = $5 AND c.other_id = $1) AS reach_is_contact"""


# `decide_transfer` as an SQL condition over :sender and :target (SQL expressions), for a statement that
# decides and writes at once (a direct message); kept here, beside the rule it mirrors.
_TRANSFER_ALLOWED = f"""(NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = :target AND b.blocked_id = :sender)
  AND COALESCE((SELECT ps.messages_from FROM privacy_settings ps WHERE ps.user_id = :target),
               '{Audience.EVERYONE.value}') <> '{Audience.NOBODY.value}'
  AND (COALESCE((SELECT ps.messages_from FROM privacy_settings ps WHERE ps.user_id = :target),
                '{Audience.EVERYONE.value}') = '{Audience.EVERYONE.value}'
       OR EXISTS (SELECT 1 FROM contacts ct WHERE ct.owner_id = :target AND ct.other_id = :sender)))"""  # noqa: S608 (constant text)


def transfer_allowed_sql(sender: str, target: str) -> str:
    """`decide_transfer` as an SQL condition; `sender` and `target` are our own SQL expressions."""
    return _TRANSFER_ALLOWED.replace(":sender", sender).replace(":target", target)


async def check_reach(sender_id: int, target_id: int, action: Reach) -> None:
    """Raise NotReachable unless `sender_id` may do `action` to `target_id`."""
    if not await allowed(sender_id, target_id, action):
        raise NotReachable()


async def check_each(sender_id: int, target_ids: list[int], action: Reach) -> None:
    """Raise NotReachable if any of the targets may not be reached: one answer for the whole call."""
    for target_id in target_ids:
        await check_reach(sender_id, target_id, action)


async def check_direct(sender_id: int, conversation: Conversation, action: Reach) -> None:
    """In a direct conversation, check `action` against the other member; other kinds pass.

    Groups are not checked message by message: the members chose the group (see blocks.py)."""
    if conversation.kind != ConversationKind.DIRECT or not conversation.direct_key:
        return
    low, _, high = conversation.direct_key.partition(":")
    other = int(high) if int(low) == sender_id else int(low)
    await check_reach(sender_id, other, action)


def _audiences(settings: PrivacySettings | None, action: Reach) -> list[Audience]:
    if settings is None:
        return [Audience.EVERYONE]
    if action == Reach.PAYMENT_REQUEST:  # a request is also a message in the chat: both must allow it
        return [settings.payment_requests_from, settings.messages_from]
    if action == Reach.FIND_BY_PHONE:
        return [settings.findable_by_phone]
    return [settings.messages_from]
