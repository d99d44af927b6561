"""The Subscription root: messages, payment receipts, and everything, each replayable by cursor."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Annotated, Any

import strawberry

from app.chat.access import visible_conversation
from app.errors import NotFound
from app.events import Stored
from schema.arguments import StreamAfter
from schema.context import Info
from schema.ids import decode_id
from subscriptions.stream import stream_error, user_stream
from subscriptions.types import (
    MESSAGE_KINDS,
    RECEIPT_KINDS,
    PaymentReceiptEvent,
    StreamEvent,
    to_graphql,
    typing_event,
)

OneConversation = Annotated[strawberry.ID | None, strawberry.argument(
    description="Only this conversation's events; all of the viewer's conversations when null.")]
CONVERSATION_KINDS = MESSAGE_KINDS | {"conversation.read"}


async def _deliver(info: Info, after: str | None, keep: Callable[[Stored], bool],
                   keep_signal: Callable[[dict[str, Any]], bool]) -> AsyncGenerator[Any, None]:
    async for item in user_stream(info.context, after=after):
        if isinstance(item, list):
            for event in await to_graphql([e for e in item if keep(e)]):
                yield event
        elif item.get("kind") == "typing" and keep_signal(item):
            yield typing_event(item)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Message events (added, edited, recalled), read positions and typing, "
                                         "in one conversation or all of the viewer's. Resume with `after`.")
    async def messages(self, info: Info, conversation_id: OneConversation = None,
                       after: StreamAfter = None) -> AsyncGenerator[StreamEvent, None]:
        cid: int | None = None
        if conversation_id is not None:
            viewer = info.context.viewer
            if viewer is None:
                raise stream_error("NOT_AUTHENTICATED", "Send authToken in connection_init to subscribe.")
            try:
                cid = decode_id(conversation_id, "Conversation", "conversationId")
                await visible_conversation(viewer, cid)
            except NotFound:
                raise stream_error("NOT_FOUND", "No such conversation.") from None

        def keep(e: Stored) -> bool:
            return e.kind in CONVERSATION_KINDS and (cid is None or e.payload.get("conversationId") == cid)

        async for event in _deliver(info, after, keep, lambda s: cid is None or s["conversationId"] == cid):
            yield event

    @strawberry.subscription(description="The viewer's payment receipts: sent, received, top-up, withdrawal, "
                                         "refund. Resume with `after`.")
    async def payment_receipts(self, info: Info, after: StreamAfter = None
                               ) -> AsyncGenerator[PaymentReceiptEvent, None]:
        async for event in _deliver(info, after, lambda e: e.kind in RECEIPT_KINDS, lambda s: False):
            yield event

    @strawberry.subscription(description="Everything of the viewer's, in order, each with its cursor; typing "
                                         "signals arrive too, without a cursor. Resume with `after`.")
    async def events(self, info: Info, after: StreamAfter = None) -> AsyncGenerator[StreamEvent, None]:
        async for event in _deliver(info, after, lambda e: True, lambda s: True):
            yield event
