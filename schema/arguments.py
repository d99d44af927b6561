"""Described argument types shared by the list fields and the subscriptions."""

from __future__ import annotations

from typing import Annotated

import strawberry

PageFirst = Annotated[int | None, strawberry.argument(
    description="How many items from the start, at most the server's page size (its default).")]
PageAfter = Annotated[str | None, strawberry.argument(
    description="An `edges.cursor` of an earlier page: continue after it.")]
PageLast = Annotated[int | None, strawberry.argument(
    description="How many items from the end, at most the server's page size.")]
PageBefore = Annotated[str | None, strawberry.argument(
    description="An `edges.cursor`: the items before it.")]
StreamAfter = Annotated[str | None, strawberry.argument(
    description="A stream cursor: replay what came after it, then go live. null: live only; \"0\": everything "
                "still kept; `me.eventsCursor`: from now on, after a read. List cursors are refused.")]
ConversationId = Annotated[strawberry.ID, strawberry.argument(description="A conversation's global id.")]
