"""The Conversation type and the chat connections."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from app.chat import access, support
from app.chat.conversations import ConversationPage
from app.chat.history import history
from app.chat.unread import unread_counts
from app.errors import InvalidInput, NotFound
from models import Conversation as ConversationModel
from schema.arguments import PageAfter, PageBefore, PageFirst, PageLast
from schema.chat import loaders
from schema.chat.cursors import message_cursor, page_size, parse_message_cursor
from schema.chat.types import ChatUser, ConversationKind, Member, Message, SupportTicket, chat_user
from schema.context import Info
from schema.ids import encode_id, parse_db_id


@strawberry.type(description="One message and its page cursor.")
class MessageEdge:
    cursor: str = strawberry.field(
        description="Pass as `after` or `before` to page from this message (a page cursor, not a stream cursor).")
    node: Message = strawberry.field(description="The message.")


@strawberry.type(description="Messages in id order (oldest first), paginated both ways.")
class MessageConnection:
    edges: list[MessageEdge] = strawberry.field(description="The messages of this page, oldest first.")
    page_info: relay.PageInfo = strawberry.field(description="Whether there are more, and the cursors to get them.")


@strawberry.type(description="A direct chat, a group, or a support thread. Only its members can see it.")
class Conversation(relay.Node):
    id: relay.NodeID[int]
    kind: ConversationKind = strawberry.field(description="DIRECT (two people), GROUP or SUPPORT (a ticket's thread).")
    title: str = strawberry.field(description="A group's title; empty for direct conversations.")
    created_at: datetime = strawberry.field(description="When it was started.")
    last_activity_at: datetime = strawberry.field(
        description="When its newest message was sent; conversations sort by it.")
    _model: strawberry.Private[ConversationModel]
    _page: strawberry.Private[ConversationPage | None] = None  # the list page it was read with, if any

    @classmethod
    def from_model(cls, m: ConversationModel, page: ConversationPage | None = None) -> Conversation:
        return cls(id=m.id, kind=m.kind, title=m.title, created_at=m.created_at,
                   last_activity_at=m.last_activity_at, _model=m, _page=page)

    @strawberry.field(description="The group's owner; null for direct and support conversations.")
    async def owner(self, info: Info) -> ChatUser | None:
        return await chat_user(info, self._model.owner_id)

    @strawberry.field(description="Current members, earliest first.")
    async def members(self, info: Info) -> list[Member]:
        return [Member(user=await chat_user(info, m.user_id), joined_at=m.joined_at,
                       last_read_message_id=strawberry.ID(encode_id("Message", m.last_read_message_id))
                       if m.last_read_message_id else None)
                for m in await loaders.members(info).load(self._model.id)]

    # lastMessage and unreadCount are synchronous when the page read them (graphql-core then completes
    # the list without a task per row); otherwise they return the loaders' awaitables, which
    # graphql-core awaits like an async resolver's.
    @strawberry.field(description="The newest message, if any.")
    def last_message(self, info: Info) -> Message | None:
        if self._model.last_message_id is None:
            return None
        if self._page is not None:
            m = self._page.last_messages.get(self._model.id)
            return Message.from_model(m) if m else None
        return cast("Message | None", self._load_last_message(info, self._model.last_message_id))

    @staticmethod
    async def _load_last_message(info: Info, message_id: int) -> Message | None:
        m = await loaders.messages(info).load(message_id)
        return Message.from_model(m) if m else None

    @strawberry.field(description="Messages from others after the viewer's read position (recalled ones "
                                  "not counted).")
    def unread_count(self, info: Info) -> int:
        if self._page is not None and self._page.unread is not None:
            return self._page.unread[self._model.id]
        return cast(int, self._load_unread(info))

    async def _load_unread(self, info: Info) -> int:
        viewer = info.context.require_viewer()

        async def load(ids: list[int]) -> list[int]:
            counts = await unread_counts(viewer.id, ids)
            return [counts[i] for i in ids]

        # Uncached: read positions move while a page is being built.
        loader = info.context.loaders.get("chat.unread")
        if loader is None:
            loader = info.context.loaders["chat.unread"] = DataLoader(load_fn=load, cache=False)
        return int(await loader.load(self._model.id))

    @strawberry.field(description="For support threads: the ticket, with its transfer.")
    async def ticket(self, info: Info) -> SupportTicket | None:
        found = await support.tickets_by_conversation([self._model.id])
        t = found.get(self._model.id)
        return SupportTicket.from_model(t) if t else None

    @strawberry.field(description="`first`/`after` pages forward from the oldest; `last`/`before` pages back "
                                  "from the newest. Edges are always oldest first.")
    async def messages(self, info: Info, first: PageFirst = None, after: PageAfter = None,
                       last: PageLast = None, before: PageBefore = None) -> MessageConnection:
        viewer = info.context.require_viewer()
        cap = info.context.rt.settings.max_page_size
        if first is not None and last is not None:
            raise InvalidInput("last", "give first or last, not both")
        backwards = last is not None or (first is None and after is None)
        size = page_size(last if backwards else first, cap, "last" if backwards else "first")
        after_id = parse_message_cursor(after, "after")
        before_id = parse_message_cursor(before, "before")
        page = await history(viewer, self._model.id, limit=size, after=after_id, before=before_id,
                             newest=backwards)
        authors = {uid: ChatUser(id=strawberry.ID(encode_id("User", uid)), display_name=name)
                   for uid, name in page.author_names.items()}
        edges = [MessageEdge(cursor=message_cursor(m.id), node=Message.from_model(m, authors))
                 for m in page.messages]
        return MessageConnection(edges=edges, page_info=relay.PageInfo(
            has_next_page=page.more and not backwards, has_previous_page=page.more and backwards,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        viewer = info.context.viewer
        found: list[Conversation | None] = []
        for nid in node_ids:
            try:
                m = await access.visible_conversation(viewer, nid_int) \
                    if viewer and (nid_int := parse_db_id(nid)) else None
            except NotFound:
                m = None
            found.append(cls.from_model(m) if m else None)
        return found


@strawberry.type(description="One conversation and its page cursor.")
class ConversationEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the conversations after this one (a page cursor).")
    node: Conversation = strawberry.field(description="The conversation.")


@strawberry.type(description="The viewer's conversations, most recent activity first.")
class ConversationConnection:
    edges: list[ConversationEdge] = strawberry.field(description="The conversations of this page.")
    page_info: relay.PageInfo = strawberry.field(description="Whether there are more, and the cursor to get them.")


@strawberry.type(description="One ticket and its page cursor.")
class SupportTicketEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the tickets after this one.")
    node: SupportTicket = strawberry.field(description="The ticket.")


@strawberry.type(description="Open support tickets, oldest first.")
class SupportTicketConnection:
    edges: list[SupportTicketEdge] = strawberry.field(description="The tickets of this page.")
    page_info: relay.PageInfo = strawberry.field(description="Whether there are more, and the cursor to get them.")
