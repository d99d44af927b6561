"""Conversations: direct pairs (one per pair, reused), groups with an owner, and their members."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.chat.access import visible_conversation
from app.chat.announce import MEMBERS_CHANGED, MESSAGE_ADDED, announce, lock_conversation
from app.chat.unread import unread_counts
from app.errors import Forbidden, InvalidInput, NotFound
from app.people.reach import Reach, check_each
from app.runtime import Runtime
from app.text import clean_text
from app.unit_of_work import money_transaction
from models import Conversation, ConversationKind, Member, Message, MessageKind, User

MAX_GROUP_MEMBERS = 200


def direct_key(a_id: int, b_id: int) -> str:
    low, high = sorted((a_id, b_id))
    return f"{low}:{high}"


async def direct_between(a_id: int, b_id: int) -> Conversation:
    """The pair's direct conversation, created once; call inside a transaction."""
    key = direct_key(a_id, b_id)
    found = await Conversation.get_or_none(direct_key=key)
    if found is not None:
        return found
    now = datetime.now(UTC)
    try:
        async with in_transaction():  # a savepoint: a concurrent creator's row wins the unique key
            conversation = await Conversation.create(kind=ConversationKind.DIRECT, direct_key=key,
                                                     last_activity_at=now)
            for uid in sorted({a_id, b_id}):
                await Member.create(conversation_id=conversation.id, user_id=uid, joined_at=now)
    except IntegrityError:
        return await Conversation.get(direct_key=key)
    return conversation


async def touch(conversation: Conversation, message: Message, at: datetime) -> None:
    await Conversation.filter(id=conversation.id).update(last_message_id=message.id, last_activity_at=at)


async def start_conversation(rt: Runtime, user: User, *, member_ids: list[int], title: str) -> Conversation:
    """A direct conversation (one other member, no title: reused if it exists) or a group."""
    title = clean_text(title, "title", max_length=100)
    others = sorted(set(member_ids) - {user.id})
    if not others:
        raise InvalidInput("memberIds", "name at least one other user")
    if len(others) + 1 > MAX_GROUP_MEMBERS:
        raise InvalidInput("memberIds", f"a group holds at most {MAX_GROUP_MEMBERS} members")
    if await User.filter(id__in=others).count() != len(others):
        raise NotFound("user")
    await check_each(user.id, others, Reach.MESSAGE if len(others) == 1 and not title else Reach.GROUP_ADD)  # people
    if len(others) == 1 and not title:
        async with in_transaction():
            conversation = await direct_between(user.id, others[0])
        return conversation
    if not title:
        raise InvalidInput("title", "a group needs a title")
    now = datetime.now(UTC)

    async def create(_: object) -> Conversation:
        conversation = await Conversation.create(kind=ConversationKind.GROUP, title=title, owner_id=user.id,
                                                 last_activity_at=now)
        for uid in sorted([user.id, *others]):
            await Member.create(conversation_id=conversation.id, user_id=uid, joined_at=now)
        await _system_message(conversation, f"{user.display_name} created the group {title!r}", now)
        return conversation

    return await money_transaction(rt, create)


async def add_members(rt: Runtime, user: User, conversation_id: int, user_ids: list[int]) -> Conversation:
    """Any member of a group may add people; someone who had left comes back."""
    conversation = await _group_of(user, conversation_id)
    new = sorted(set(user_ids))
    if not new:
        raise InvalidInput("userIds", "name at least one user")
    users = {u.id: u for u in await User.filter(id__in=new)}
    if len(users) != len(new):
        raise NotFound("user")
    await check_each(user.id, new, Reach.GROUP_ADD)  # people: blocks and privacy
    now = datetime.now(UTC)

    async def add(_: object) -> None:
        await lock_conversation(conversation.id, extra_user_ids=new)
        current = await Member.filter(conversation_id=conversation.id, left_at__isnull=True).count()
        added = []
        for uid in new:
            member = await Member.get_or_none(conversation_id=conversation.id, user_id=uid)
            if member is None:
                await Member.create(conversation_id=conversation.id, user_id=uid, joined_at=now)
            elif member.left_at is not None:
                await Member.filter(id=member.id).update(left_at=None, joined_at=now)
            else:
                continue
            added.append(users[uid].display_name)
        if current + len(added) > MAX_GROUP_MEMBERS:
            raise InvalidInput("userIds", f"a group holds at most {MAX_GROUP_MEMBERS} members")
        if added:
            await _system_message(conversation, f"{user.display_name} added {', '.join(added)}", now)
            await announce(conversation.id, MEMBERS_CHANGED)

    await money_transaction(rt, add)
    return conversation


async def remove_member(rt: Runtime, user: User, conversation_id: int, user_id: int) -> Conversation:
    """Only the group's owner removes others."""
    conversation = await _group_of(user, conversation_id)
    if conversation.owner_id != user.id:
        raise Forbidden("Only the group's owner can remove members.")
    if user_id == user.id:
        raise InvalidInput("userId", "use leaveConversation to leave your own group")
    removed = await User.get_or_none(id=user_id)
    if removed is None:
        raise NotFound("member")
    await _depart(rt, conversation, removed, f"{user.display_name} removed {removed.display_name}")
    return conversation


async def leave_conversation(rt: Runtime, user: User, conversation_id: int) -> Conversation:
    """Leave a group; an owner who leaves hands the group to the longest-standing member."""
    conversation = await _group_of(user, conversation_id)
    await _depart(rt, conversation, user, f"{user.display_name} left")
    return conversation


async def _depart(rt: Runtime, conversation: Conversation, leaver: User, notice: str) -> None:
    now = datetime.now(UTC)

    async def depart(_: object) -> None:
        await lock_conversation(conversation.id, extra_user_ids=[leaver.id])
        gone = await Member.filter(conversation_id=conversation.id, user_id=leaver.id,
                                   left_at__isnull=True).update(left_at=now)
        if not gone:
            raise NotFound("member")
        if conversation.owner_id == leaver.id:
            heir = await Member.filter(conversation_id=conversation.id, left_at__isnull=True).order_by(
                "joined_at", "id").first()
            await Conversation.filter(id=conversation.id).update(owner_id=heir.user_id if heir else None)
        await _system_message(conversation, notice, now)
        await announce(conversation.id, MEMBERS_CHANGED, extra_user_ids=[leaver.id])

    await money_transaction(rt, depart)


async def _group_of(user: User, conversation_id: int) -> Conversation:
    conversation = await visible_conversation(user, conversation_id)
    if conversation.kind != ConversationKind.GROUP:
        raise InvalidInput("conversationId", "only a group's members can change")
    return conversation


async def _system_message(conversation: Conversation, text: str, now: datetime) -> None:
    message = await Message.create(conversation_id=conversation.id, kind=MessageKind.SYSTEM, text=text[:4000])
    await touch(conversation, message, now)
    await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)


@dataclass(frozen=True)
class ConversationPage:
    conversations: list[Conversation]  # one more than asked when more follow
    last_messages: dict[int, Message]  # by conversation id
    unread: dict[int, int] | None  # by conversation id; None when not asked for


@functools.cache
def _page_sql(*, after: bool, unread: bool) -> str:
    last = ", ".join(f"lm.{c} AS lm_{c}" for c in sorted(Message._meta.db_fields))
    count = ("(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.id > cm.last_read_message_id"
             " AND m.recalled_at IS NULL AND (m.author_id IS NULL OR m.author_id <> $1))") if unread else "NULL"
    keyset = " AND (c.last_activity_at < $3 OR (c.last_activity_at = $3 AND c.id < $4))" if after else ""
    return (f"SELECT c.*, {last}, {count} AS unread_count FROM conversation_members cm "  # noqa: S608
            "JOIN conversations c ON c.id = cm.conversation_id LEFT JOIN messages lm ON lm.id = c.last_message_id "
            f"WHERE cm.user_id = $1 AND cm.left_at IS NULL{keyset} "
            "ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $2")


async def conversations_of(user: User, *, first: int, after: tuple[datetime, int] | None,
                           unread: bool = True) -> ConversationPage:
    """The user's conversations, latest activity first, keyset-paginated, one row more than asked; with
    each one's last message and (when asked) the user's unread count.

    On PostgreSQL all of it is one statement (was three); SQLite reads the same with the ORM."""
    conn = get_connection("default")
    if conn.capabilities.dialect != "postgres":
        return await _conversations_orm(user, first=first, after=after, unread=unread)
    sql = _page_sql(after=after is not None, unread=unread)
    params: list[object] = [user.id, first + 1, *(after or ())]
    rows = await conn.execute_query_dict(sql, params)
    found = [Conversation._init_from_db(**r) for r in rows]
    last = {int(r["id"]): Message._init_from_db(**{k[3:]: v for k, v in r.items() if k.startswith("lm_")})
            for r in rows if r["lm_id"] is not None}
    counts = {int(r["id"]): int(r["unread_count"]) for r in rows} if unread else None
    return ConversationPage(found, last, counts)


async def _conversations_orm(user: User, *, first: int, after: tuple[datetime, int] | None,
                             unread: bool) -> ConversationPage:
    query = Conversation.filter(members__user_id=user.id, members__left_at__isnull=True)
    if after is not None:
        at, cid = after
        query = query.filter(Q(last_activity_at__lt=at) | Q(last_activity_at=at, id__lt=cid))
    found = await query.order_by("-last_activity_at", "-id").limit(first + 1)
    by_last = {c.last_message_id: c.id for c in found if c.last_message_id is not None}
    last = {by_last[m.id]: m for m in await Message.filter(id__in=list(by_last))} if by_last else {}
    counts = await unread_counts(user.id, [c.id for c in found]) if unread else None
    return ConversationPage(found, last, counts)


async def members_of(conversation_ids: list[int]) -> dict[int, list[Member]]:
    """Current members per conversation, with their users, in one query."""
    result: dict[int, list[Member]] = {cid: [] for cid in conversation_ids}
    rows = await Member.filter(conversation_id__in=conversation_ids, left_at__isnull=True).select_related(
        "user").order_by("joined_at", "id")
    for member in rows:
        result[member.conversation_id].append(member)
    return result
