"""Chat queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types.nodes import SelectedField, Selection

from app.chat import access, conversations, support
from app.errors import NotFound
from schema.arguments import ConversationId, PageAfter, PageFirst
from schema.chat.conversation import (
    Conversation,
    ConversationConnection,
    ConversationEdge,
    SupportTicketConnection,
    SupportTicketEdge,
)
from schema.chat.cursors import activity_cursor, id_cursor, page_size, parse_activity_cursor, parse_id_cursor
from schema.chat.types import SupportTicket, TicketStatus
from schema.context import Info
from schema.ids import decode_id


def _asks_for(selections: Sequence[Selection], name: str) -> bool:
    """Whether a field of this name is selected anywhere below (fragments included): a page reads the
    unread counts only for a client that shows them."""
    return any((isinstance(s, SelectedField) and s.name == name) or _asks_for(s.selections, name)
               for s in selections)


@strawberry.type
class ChatQuery:
    @strawberry.field(description="The viewer's conversations, most recent activity first, with unread counts.")
    async def conversations(self, info: Info, first: PageFirst = None,
                            after: PageAfter = None) -> ConversationConnection:
        viewer = info.context.require_viewer()
        size = page_size(first, info.context.rt.settings.max_page_size, "first")
        page = await conversations.conversations_of(viewer, first=size, after=parse_activity_cursor(after),
                                                    unread=_asks_for(info.selected_fields, "unreadCount"))
        rows = page.conversations
        edges = [ConversationEdge(cursor=activity_cursor(c.last_activity_at, c.id),
                                  node=Conversation.from_model(c, page)) for c in rows[:size]]
        return ConversationConnection(edges=edges, page_info=relay.PageInfo(
            has_next_page=len(rows) > size, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="One of the viewer's conversations; null for a missing id or anyone else's.")
    async def conversation(self, info: Info, id: ConversationId) -> Conversation | None:
        viewer = info.context.require_viewer()
        try:
            return Conversation.from_model(
                await access.visible_conversation(viewer, decode_id(id, "Conversation")))
        except NotFound:
            return None

    @strawberry.field(description="Support agents: tickets not yet resolved (or of the given states), oldest "
                                  "first. Empty for everyone else.")
    async def support_queue(self, info: Info, first: PageFirst = None, after: PageAfter = None,
                            states: Annotated[list[TicketStatus] | None, strawberry.argument(
                                description="Only these states (default: all but RESOLVED).")] = None,
                            waiting_seconds: Annotated[int | None, strawberry.argument(
                                description="Only tickets whose state is at least this old.")] = None,
                            ) -> SupportTicketConnection:
        viewer = info.context.require_viewer()
        size = page_size(first, info.context.rt.settings.max_page_size, "first")
        rows = await support.queue(info.context.rt, viewer, first=size, after=parse_id_cursor(after),
                                   statuses=states, waiting_seconds=waiting_seconds)
        edges = [SupportTicketEdge(cursor=id_cursor(t.id), node=SupportTicket.from_model(t)) for t in rows[:size]]
        return SupportTicketConnection(edges=edges, page_info=relay.PageInfo(
            has_next_page=len(rows) > size, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))
