"""A conversation's history: a page of messages in id order, for someone who may read it.

On PostgreSQL the visibility check, the page and its authors' names are one statement (issue 7: a
history page was five queries and 51 ORM queries' worth of query building); SQLite keeps the ORM
path of the same function (same answers, the authors then come from the GraphQL layer's loader).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.connection import get_connection

from app.chat.access import is_agent, visible_conversation
from app.errors import InvalidInput, NotFound
from models import Message, User

_BIGGEST = 2**63 - 1

# A row for a visible conversation even when the page is empty (the LEFT JOIN LATERAL), none for a
# conversation the user may not read. The bounds are COALESCEd rather than `$n IS NULL OR ...` so that
# a generic plan still ranges over the (conversation_id, id) index.
_PAGE = """
SELECT m.*, u.display_name AS author_name
FROM conversations c
LEFT JOIN LATERAL (
    SELECT * FROM messages
    WHERE conversation_id = c.id AND id > COALESCE($3::bigint, 0) AND id < COALESCE($4::bigint, {biggest})
    ORDER BY id {order} LIMIT $5) m ON true
LEFT JOIN users u ON u.id = m.author_id
WHERE c.id = $1
  AND (EXISTS (SELECT 1 FROM conversation_members cm
               WHERE cm.conversation_id = c.id AND cm.user_id = $2 AND cm.left_at IS NULL)
       OR (c.kind = 'support' AND $6::boolean))
ORDER BY m.id {order}"""
_NEWEST_FIRST = _PAGE.format(order="DESC", biggest=_BIGGEST)
_OLDEST_FIRST = _PAGE.format(order="ASC", biggest=_BIGGEST)


@dataclass(frozen=True)
class HistoryPage:
    messages: list[Message]
    more: bool  # more lie beyond the page in the paging direction
    author_names: dict[int, str] = field(default_factory=dict)  # the page's authors, when read with it


async def history(user: User, conversation_id: int, *, limit: int, after: int | None = None,
                  before: int | None = None, newest: bool = False) -> HistoryPage:
    """A page of messages in id order, and whether more lie beyond it in the paging direction."""
    if limit < 0:
        raise InvalidInput("first", "must not be negative")
    conn = get_connection("default")
    if conn.capabilities.dialect != "postgres":
        return await _history_orm(user, conversation_id, limit=limit, after=after, before=before, newest=newest)
    rows = await conn.execute_query_dict(_NEWEST_FIRST if newest else _OLDEST_FIRST,
                                         [conversation_id, user.id, after, before, limit + 1, is_agent(user)])
    if not rows:
        raise NotFound("conversation")
    found = [r for r in rows if r["id"] is not None]
    names = {int(r["author_id"]): str(r["author_name"]) for r in found if r["author_name"] is not None}
    page = [Message._init_from_db(**r) for r in found[:limit]]
    return HistoryPage(list(reversed(page)) if newest else page, len(found) > limit, names)


async def _history_orm(user: User, conversation_id: int, *, limit: int, after: int | None,
                       before: int | None, newest: bool) -> HistoryPage:
    conversation = await visible_conversation(user, conversation_id)
    query = Message.filter(conversation_id=conversation.id)
    if after is not None:
        query = query.filter(id__gt=after)
    if before is not None:
        query = query.filter(id__lt=before)
    rows = await query.order_by("-id" if newest else "id").limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return HistoryPage(list(reversed(rows)) if newest else rows, more)
