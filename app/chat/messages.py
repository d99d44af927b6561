"""Messages: send (once per client message id), edit, recall, read positions, history pages."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tortoise import timezone
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError

from app.chat.access import is_agent, membership, visible_conversation, visible_message
from app.chat.announce import (
    CONVERSATION_READ,
    LOCKED_MEMBERS,
    MESSAGE_ADDED,
    MESSAGE_EDITED,
    MESSAGE_RECALLED,
    announce,
    lock_conversation,
)
from app.chat.conversations import touch
from app.errors import MessageLocked, NotFound, NotReachable
from app.ledger.retry import retry_conflicts
from app.people.reach import Reach, check_direct, decide_transfer, transfer_allowed_sql
from app.runtime import Runtime
from app.text import clean_text
from app.unit_of_work import money_transaction
from models import Conversation, ConversationKind, Member, Message, MessageKind, User

MAX_TEXT = 4000
T = TypeVar("T")


async def send_message(rt: Runtime, user: User, *, conversation_id: int, text: str,
                       client_message_id: str | None) -> Message:
    """Post a text message; a resend with the same client message id returns the first one."""
    text = clean_text(text, "text", max_length=MAX_TEXT, min_length=1, multiline=True)
    cmid = clean_text(client_message_id, "clientMessageId", max_length=64, min_length=1) \
        if client_message_id is not None else None
    if get_connection("default").capabilities.dialect == "postgres":
        return await _send_on_postgres(rt, user, conversation_id, text, cmid)
    conversation = await visible_conversation(user, conversation_id)
    await check_direct(user.id, conversation, Reach.MESSAGE)  # people: blocks and privacy
    if cmid is not None and (first := await _resent(conversation.id, user.id, cmid)) is not None:
        return first

    async def post(_: object) -> Message:
        await lock_conversation(conversation.id, extra_user_ids=[user.id])
        if await membership(user.id, conversation.id) is None and is_agent(user):
            await _join_as_agent(conversation, user)
        return await _append(conversation, user, text, cmid)

    return await _resend_safe(money_transaction(rt, post), conversation_id, user.id, cmid)


async def _resend_safe(posting: Awaitable[T], conversation_id: int, author_id: int,
                       cmid: str | None) -> T | Message:
    """A concurrent resend of the same client message id lost the unique key: hand back the first."""
    try:
        return await posting
    except IntegrityError:
        first = await _resent(conversation_id, author_id, cmid) if cmid is not None else None
        if first is None:
            raise
        return first


# Inside the transaction, one round trip: the conversation, whether the author is a member, the direct
# partner's reach facts (blocks and privacy: app.people.reach.decide_transfer decides), an earlier message
# with this client message id, and every member's stream lock (plus the author's) in key order; the locks
# only for a member (or a support thread, which an agent may join), so a stranger's guess takes none.
_GATE = f"""
SELECT c.kind, c.direct_key,
       EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2
                 AND left_at IS NULL) AS is_member,
       EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = o.other AND b.blocked_id = $2) AS reach_blocked,
       (SELECT ps.messages_from FROM privacy_settings ps WHERE ps.user_id = o.other) AS reach_messages_from,
       EXISTS (SELECT 1 FROM contacts ct WHERE ct.owner_id = o.other AND ct.other_id = $2) AS reach_is_contact,
       (SELECT id FROM messages WHERE conversation_id = $1 AND author_id = $2 AND client_message_id = $3
          AND $3 IS NOT NULL) AS resent_id,
       CASE WHEN c.kind = 'support' OR EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $1
                                                 AND user_id = $2 AND left_at IS NULL)
            THEN (SELECT count(*) FROM ({LOCKED_MEMBERS.replace("$2", "$4")}) AS locked) END AS held
FROM conversations c,
     LATERAL (SELECT CASE WHEN c.kind = 'direct' AND c.direct_key IS NOT NULL THEN
                CASE WHEN split_part(c.direct_key, ':', 1)::bigint = $2 THEN split_part(c.direct_key, ':', 2)::bigint
                     ELSE split_part(c.direct_key, ':', 1)::bigint END END AS other) AS o
WHERE c.id = $1"""  # noqa: S608 (constant text)

# The message, the conversation's last message, the author's read position and one message.added per
# member in one statement. The members are read again here (one joining meanwhile hears of it too), each
# row's stream lock taken before its event id is drawn: a lock from _GATE is taken again, a newcomer's
# for the first time.
_POST = f"""
WITH m AS (INSERT INTO messages (conversation_id, kind, author_id, text, client_message_id, created_at, memo)
           VALUES ($1, 'text', $2, $3, $4, $5, '') RETURNING id),
     c AS (UPDATE conversations SET last_message_id = (SELECT id FROM m), last_activity_at = $5 WHERE id = $1),
     r AS (UPDATE conversation_members SET last_read_message_id = (SELECT id FROM m)
           WHERE conversation_id = $1 AND user_id = $2 AND last_read_message_id < (SELECT id FROM m)),
     e AS (INSERT INTO events (user_id, kind, payload, created_at)
           SELECT locked.user_id, 'message.added', jsonb_build_object('conversationId', $1::bigint,
                                                                      'messageId', m.id), $5
           FROM m, ({LOCKED_MEMBERS.replace("$2", "$6")}) AS locked)
SELECT id FROM m"""  # noqa: S608 (constant text)


# The common case in one autocommit statement (no BEGIN, no COMMIT): a member's message, to a direct
# partner who accepts it (decide_transfer's rule, in SQL), with a client message id not used yet. `g` is
# that gate; only when it passes does `l` take every member's stream lock (plus the author's), in key
# order, and `n` counts them, so every lock is held before `m` inserts the message (and takes the
# conversation's key lock), before `c` locks the conversation row (the order a payment's _PAY takes
# them in) and before `e` draws any event id. Nothing is written when the gate fails: no row comes back
# and _send_in_transaction says why. Only for a direct chat: the members read are those of the
# statement's snapshot, taken before it waited for the locks, and a direct chat's two members never
# change; in a group someone could join (and miss the event) or leave (and get it) during that wait, so a
# group or support thread takes the two-statement path, which reads the members again under its locks.
_SEND = f"""
WITH g AS (SELECT 1 FROM conversations cv,
             LATERAL (SELECT CASE WHEN cv.kind = 'direct' AND cv.direct_key IS NOT NULL THEN
                        CASE WHEN split_part(cv.direct_key, ':', 1)::bigint = $2
                             THEN split_part(cv.direct_key, ':', 2)::bigint
                             ELSE split_part(cv.direct_key, ':', 1)::bigint END END AS other) AS o
           WHERE cv.id = $1 AND cv.kind = 'direct'
             AND EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND user_id = $2
                           AND left_at IS NULL)
             AND (o.other IS NULL OR {transfer_allowed_sql("$2", "o.other")})
             AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 AND author_id = $2
                               AND client_message_id = $4)),
     l AS ({LOCKED_MEMBERS.replace("$2", "$6")} WHERE EXISTS (SELECT 1 FROM g)),
     n AS (SELECT count(*) AS held FROM l),
     m AS (INSERT INTO messages (conversation_id, kind, author_id, text, client_message_id, created_at, memo)
           SELECT $1, 'text', $2, $3, $4, $5, '' FROM n WHERE n.held > 0 RETURNING id),
     c AS (UPDATE conversations SET last_message_id = m.id, last_activity_at = $5 FROM m WHERE conversations.id = $1),
     r AS (UPDATE conversation_members SET last_read_message_id = m.id FROM m
           WHERE conversation_id = $1 AND user_id = $2 AND last_read_message_id < m.id),
     e AS (INSERT INTO events (user_id, kind, payload, created_at)
           SELECT l.user_id, 'message.added', jsonb_build_object('conversationId', $1::bigint, 'messageId', m.id), $5
           FROM m, l)
SELECT id FROM m"""  # noqa: S608 (constant text)


async def _send_on_postgres(rt: Runtime, user: User, conversation_id: int, text: str, cmid: str | None) -> Message:
    """sendMessage as one autocommit statement (_SEND); whatever it declined, the transaction explains."""
    if conversation_id in _NOT_DIRECT:
        return await _send_in_transaction(rt, user, conversation_id, text, cmid)
    at = timezone.now()

    async def send() -> list[dict[str, Any]]:
        return await get_connection("default").execute_query_dict(
            _SEND, [conversation_id, user.id, text, cmid, at, [user.id]])

    posted = await _resend_safe(retry_conflicts(send), conversation_id, user.id, cmid)
    if isinstance(posted, Message):
        return posted
    if not posted:  # a group, a stranger, a refused direct partner, a resend or an agent joining
        return await _send_in_transaction(rt, user, conversation_id, text, cmid)
    rt.events_waker.wake()
    return _built(posted[0]["id"], conversation_id, user.id, text, cmid, at)


# Conversations known not to be direct chats (a kind never changes), so their messages skip the statement
# that would decline them. Per process and bounded: a miss costs one declined statement, nothing else.
_NOT_DIRECT: set[int] = set()
_NOT_DIRECT_MAX = 100_000


def _remember_not_direct(conversation_id: int) -> None:
    if len(_NOT_DIRECT) >= _NOT_DIRECT_MAX:
        _NOT_DIRECT.clear()
    _NOT_DIRECT.add(conversation_id)


def _built(message_id: int, conversation_id: int, author_id: int, text: str, cmid: str | None,
           at: datetime) -> Message:
    """The message as written (not re-read)."""
    message = Message(id=message_id, conversation_id=conversation_id, kind=MessageKind.TEXT,
                      author_id=author_id, text=text, client_message_id=cmid, created_at=at, memo="")
    message._saved_in_db = True
    return message


async def _send_in_transaction(rt: Runtime, user: User, conversation_id: int, text: str,
                               cmid: str | None) -> Message:
    """The gate, then the write, in one transaction: it raises NotFound / NotReachable, hands back a
    resend's first message, or lets a support agent join the thread before answering."""

    async def post(conn: BaseDBAsyncClient) -> Message:
        rows = await conn.execute_query_dict(_GATE, [conversation_id, user.id, cmid, [user.id]])
        if not rows:
            raise NotFound("conversation")
        gate = rows[0]
        kind = ConversationKind(gate["kind"])
        if kind != ConversationKind.DIRECT:
            _remember_not_direct(conversation_id)
        joining = False
        if not gate["is_member"]:
            if kind != ConversationKind.SUPPORT or not is_agent(user):
                raise NotFound("conversation")
            joining = True
        if gate["direct_key"] and kind == ConversationKind.DIRECT and not decide_transfer(
                blocked=bool(gate["reach_blocked"]), messages_from=gate["reach_messages_from"],
                is_contact=bool(gate["reach_is_contact"])):
            raise NotReachable()  # people: blocks and privacy, as check_direct decides them
        if gate["resent_id"] is not None:
            return await Message.get(id=gate["resent_id"])
        if joining:
            await _join_as_agent(await Conversation.get(id=conversation_id), user)
        at = timezone.now()
        posted = await conn.execute_query_dict(_POST, [conversation_id, user.id, text, cmid, at, [user.id]])
        return _built(posted[0]["id"], conversation_id, user.id, text, cmid, at)

    return await _resend_safe(money_transaction(rt, post), conversation_id, user.id, cmid)


async def _resent(conversation_id: int, author_id: int, cmid: str) -> Message | None:
    return await Message.get_or_none(conversation_id=conversation_id, author_id=author_id, client_message_id=cmid)


async def _join_as_agent(conversation: Conversation, agent: User) -> None:
    # A support agent who answers a ticket joins its thread, so the answer's events reach them too.
    now = datetime.now(UTC)
    member = await Member.get_or_none(conversation_id=conversation.id, user_id=agent.id)
    if member is None:
        await Member.create(conversation_id=conversation.id, user_id=agent.id, joined_at=now)
    else:
        await Member.filter(id=member.id).update(left_at=None)


async def _append(conversation: Conversation, author: User, text: str, cmid: str | None) -> Message:
    now = datetime.now(UTC)
    message = await Message.create(conversation_id=conversation.id, kind=MessageKind.TEXT, author_id=author.id,
                                   text=text, client_message_id=cmid)
    await touch(conversation, message, now)
    await Member.filter(conversation_id=conversation.id, user_id=author.id,
                        last_read_message_id__lt=message.id).update(last_read_message_id=message.id)
    await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)
    return message


def editable_until(rt: Runtime, message: Message) -> datetime | None:
    if message.kind != MessageKind.TEXT or message.recalled_at is not None or message.author_id is None:
        return None
    return message.created_at + timedelta(seconds=rt.settings.message_edit_seconds)


def recallable_until(rt: Runtime, message: Message) -> datetime | None:
    if message.kind != MessageKind.TEXT or message.recalled_at is not None or message.author_id is None:
        return None
    return message.created_at + timedelta(seconds=rt.settings.message_recall_seconds)


async def _own_changeable(user: User, message_id: int, what: str) -> Message:
    message = await visible_message(user, message_id)
    if message.author_id != user.id:
        raise MessageLocked("NOT_AUTHOR", f"Only the author can {what} a message.")
    if message.kind != MessageKind.TEXT:
        raise MessageLocked("NOT_TEXT", f"Transfers, requests and notices cannot be {what}ed.")
    if message.recalled_at is not None:
        raise MessageLocked("RECALLED", "The message was recalled.")
    return message


async def edit_message(rt: Runtime, user: User, *, message_id: int, text: str) -> Message:
    """The author replaces a text message's text; it then shows as edited."""
    text = clean_text(text, "text", max_length=MAX_TEXT, min_length=1, multiline=True)
    message = await _own_changeable(user, message_id, "edit")
    until = editable_until(rt, message)
    if until is None or datetime.now(UTC) > until:
        raise MessageLocked("WINDOW_CLOSED", "The message can no longer be edited.")

    async def edit(_: object) -> None:
        await lock_conversation(message.conversation_id)
        changed = await Message.filter(id=message.id, recalled_at__isnull=True).update(
            text=text, edited_at=datetime.now(UTC))
        if not changed:
            raise MessageLocked("RECALLED", "The message was recalled.")
        await announce(message.conversation_id, MESSAGE_EDITED, messageId=message.id)

    await money_transaction(rt, edit)
    return await Message.get(id=message.id)


async def recall_message(rt: Runtime, user: User, *, message_id: int) -> Message:
    """The author takes a text message back within the recall window; a tombstone remains."""
    message = await _own_changeable(user, message_id, "recall")
    until = recallable_until(rt, message)
    if until is None or datetime.now(UTC) > until:
        raise MessageLocked("WINDOW_CLOSED", f"Messages can be recalled for {rt.settings.message_recall_seconds} s.")

    async def recall(_: object) -> None:
        await lock_conversation(message.conversation_id)
        changed = await Message.filter(id=message.id, recalled_at__isnull=True).update(
            text="", recalled_at=datetime.now(UTC))
        if not changed:
            raise MessageLocked("RECALLED", "The message was recalled.")
        await announce(message.conversation_id, MESSAGE_RECALLED, messageId=message.id)

    await money_transaction(rt, recall)
    return await Message.get(id=message.id)


async def mark_read(rt: Runtime, user: User, *, conversation_id: int, message_id: int | None) -> Member:
    """Move the reader's position forward (never back) to a message, or to the latest one."""
    member = await membership(user.id, conversation_id)
    if member is None:
        raise NotFound("conversation")
    conversation = await Conversation.get(id=conversation_id)
    target = message_id if message_id is not None else (conversation.last_message_id or 0)
    if message_id is not None and not await Message.exists(id=message_id, conversation_id=conversation_id):
        raise NotFound("message")

    async def read(_: object) -> None:
        await lock_conversation(conversation_id)
        moved = await Member.filter(id=member.id, last_read_message_id__lt=target).update(
            last_read_message_id=target)
        if moved:
            await announce(conversation_id, CONVERSATION_READ, userId=user.id, messageId=target)

    await money_transaction(rt, read)
    return await Member.get(id=member.id)
