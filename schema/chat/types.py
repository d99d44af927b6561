"""GraphQL types for chat: conversations, members, messages, money requests, support tickets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry import relay

from app.chat import access, support
from app.chat import messages as message_service
from app.chat.requests import visible_request
from app.errors import NotFound
from models import ConversationKind as DomainConversationKind
from models import Message as MessageModel
from models import MessageKind as DomainMessageKind
from models import MoneyRequest as MoneyRequestModel
from models import RedPacket as RedPacketModel
from models import RequestState as DomainRequestState
from models import SupportTicket as SupportTicketModel
from models import TicketStatus as DomainTicketStatus
from models import User as UserModel
from schema.chat import loaders
from schema.context import Info
from schema.enums import register_enum
from schema.ids import encode_id, parse_db_id
from schema.money import Money

if TYPE_CHECKING:
    from schema.social.types import RedPacket

ConversationKind = DomainConversationKind
MessageKind = DomainMessageKind
RequestState = DomainRequestState
TicketStatus = DomainTicketStatus
register_enum(DomainConversationKind, name="ConversationKind", description="What a conversation is.", values={
    "DIRECT": "Two people; one per pair, reused.", "GROUP": "A titled group with an owner.",
    "SUPPORT": "A support ticket's thread between a user and support agents."})
register_enum(DomainMessageKind, name="MessageKind", description="What a message carries.", values={
    "TEXT": "Text written by a member.", "TRANSFER": "Money sent in this conversation (see `transfer`).",
    "REQUEST": "Money asked for (see `request`).", "SYSTEM": "A notice: members joined or left, a group began.",
    "RED_PACKET": "A red packet (see `redPacket`); sent again as EDITED whenever a share is taken."})
register_enum(DomainRequestState, name="RequestState", description="Whether a money request can be paid.", values={
    "OPEN": "Members may pay it (each once).", "CANCELLED": "The requester cancelled it; it can no longer be paid."})
register_enum(DomainTicketStatus, name="TicketStatus", description="A ticket moves OPEN -> WAITING_FOR_USER "
              "(support answered) | WAITING_FOR_AGENT (the user answered) -> RESOLVED; reopened: WAITING_FOR_AGENT.",
              values={"OPEN": "New: no agent has answered yet.",
                      "WAITING_FOR_USER": "Support answered; the user's turn.",
                      "WAITING_FOR_AGENT": "The user answered (or reopened it); support's turn.",
                      "RESOLVED": "Closed with a resolution note; the user may reopen it within 7 days."})


class MessageChange(StrEnum):
    ADDED = "added"
    EDITED = "edited"
    RECALLED = "recalled"


register_enum(MessageChange, name="MessageChange", description="What happened to a message.", values={
    "ADDED": "It was sent.", "EDITED": "Its text changed, or its transfer or request changed state.",
    "RECALLED": "Its author withdrew it; it is now a tombstone."})


@strawberry.type(description="Another person as chat shows them.")
class ChatUser:
    id: strawberry.ID = strawberry.field(description="The user's global id.")
    display_name: str = strawberry.field(description="The name the user chose.")

    @classmethod
    def from_model(cls, m: UserModel) -> ChatUser:
        return cls(id=strawberry.ID(encode_id("User", m.id)), display_name=m.display_name)


async def chat_user(info: Info, user_id: int | None) -> ChatUser | None:
    if user_id is None:
        return None
    viewer = info.context.viewer
    if viewer is not None and viewer.id == user_id:  # the viewer's own messages: the row is at hand
        return ChatUser.from_model(viewer)
    user = await loaders.users(info).load(user_id)
    return ChatUser.from_model(user) if user else None


async def _visible_or_none(coro: Any) -> Any:
    try:
        return await coro
    except NotFound:
        return None


@strawberry.type(description="A transfer as it shows in a conversation.")
class TransferAttachment:
    transfer_id: strawberry.ID = strawberry.field(description="Global id of the `Transfer`.")
    amount: Money = strawberry.field(description="The amount moved.")
    memo: str = strawberry.field(description="The payer's note.")
    state: str = strawberry.field(description="PENDING, COMPLETED or FAILED.")


@strawberry.type(description="Who paid a money request.")
class RequestPayer:
    user: ChatUser | None = strawberry.field(description="Who paid; null if the account is gone.")
    transfer_id: strawberry.ID = strawberry.field(description="The global id of the `Transfer` that paid it.")
    paid_at: datetime = strawberry.field(description="When they paid.")


@strawberry.type(description="One participant's share of a split bill.")
class BillShare:
    user: ChatUser | None = strawberry.field(description="Who owes it; null if the account is gone.")
    amount: Money = strawberry.field(description="What they pay with `payRequest`.")
    paid: bool = strawberry.field(description="Whether they have paid it.")


@strawberry.type(description="A request for money in a conversation; each other member may pay it once.")
class PaymentRequest(relay.Node):
    id: relay.NodeID[int]
    amount: Money = strawberry.field(description="How much each payer pays; for a split bill, the whole bill.")
    memo: str = strawberry.field(description="What it is for.")
    state: RequestState = strawberry.field(description="OPEN until the requester cancels it.")
    created_at: datetime = strawberry.field(description="When it was asked for.")
    cancelled_at: datetime | None = strawberry.field(description="When the requester cancelled it; null while open.")
    _model: strawberry.Private[MoneyRequestModel]

    @classmethod
    def from_model(cls, m: MoneyRequestModel) -> PaymentRequest:
        return cls(id=m.id, amount=Money.of(m.amount_minor, m.currency), memo=m.memo, state=m.state,
                   created_at=m.created_at, cancelled_at=m.cancelled_at, _model=m)

    @strawberry.field(description="Who asks for the money.")
    async def requester(self, info: Info) -> ChatUser | None:
        return await chat_user(info, self._model.requester_id)

    @strawberry.field(description="Global id of the conversation it was posted in.")
    def conversation_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Conversation", self._model.conversation_id))

    @strawberry.field(description="True for a split bill: each participant owes the share in `shares`.")
    def split(self) -> bool:
        return self._model.split

    @strawberry.field(description="A split bill's shares, in the order the initiator listed them; empty otherwise.")
    async def shares(self, info: Info) -> list[BillShare]:
        if not self._model.split:
            return []
        paid = {p.payer_id for p in await loaders.payments(info).load(self._model.id)}
        return [BillShare(user=await chat_user(info, s.user_id), amount=Money.of(s.amount_minor, self._model.currency),
                          paid=s.user_id in paid) for s in await loaders.shares(info).load(self._model.id)]

    @strawberry.field(description="Members who have paid, in the order they paid.")
    async def paid_by(self, info: Info) -> list[RequestPayer]:
        return [RequestPayer(user=await chat_user(info, p.payer_id), paid_at=p.created_at,
                             transfer_id=strawberry.ID(encode_id("Transfer", p.transfer_id)))
                for p in await loaders.payments(info).load(self._model.id)]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        viewer = info.context.viewer
        found = []
        for nid in node_ids:
            m = await _visible_or_none(visible_request(viewer, nid_int)) \
                if viewer and (nid_int := parse_db_id(nid)) else None
            found.append(cls.from_model(m) if m else None)
        return found


@strawberry.type(description="One entry of a conversation.")
class Message(relay.Node):
    id: relay.NodeID[int]
    kind: MessageKind = strawberry.field(
        description="TEXT, TRANSFER (money sent in this chat), REQUEST (money asked for) or SYSTEM (membership "
                    "notices).")
    created_at: datetime = strawberry.field(description="When it was sent.")
    edited_at: datetime | None = strawberry.field(description="Set once the author has edited it.")
    recalled_at: datetime | None = strawberry.field(description="Set once recalled; the text is then gone.")
    _model: strawberry.Private[MessageModel]
    _authors: strawberry.Private[dict[int, ChatUser] | None] = None  # read with the page, when it was

    @classmethod
    def from_model(cls, m: MessageModel, authors: dict[int, ChatUser] | None = None) -> Message:
        return cls(id=m.id, kind=m.kind, created_at=m.created_at, edited_at=m.edited_at,
                   recalled_at=m.recalled_at, _model=m, _authors=authors)

    @strawberry.field(description="Null for a recalled message (a tombstone) and for non-text kinds.")
    def text(self) -> str | None:
        m = self._model
        return None if m.recalled_at is not None or m.kind in (MessageKind.TRANSFER, MessageKind.REQUEST) \
            else m.text

    @strawberry.field(description="True once recalled: show a tombstone.")
    def recalled(self) -> bool:
        return self._model.recalled_at is not None

    @strawberry.field(description="The client's id for the message, which makes a resend harmless.")
    def client_message_id(self) -> str | None:
        return self._model.client_message_id

    @strawberry.field(description="Global id of the conversation.")
    def conversation_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Conversation", self._model.conversation_id))

    @strawberry.field(description="Null for system notices.")
    def author(self, info: Info) -> ChatUser | None:
        # Synchronous when the author is at hand (read with the page, or the viewer): graphql-core then
        # completes a page's list without a task per row. Otherwise the loader's awaitable is returned,
        # which graphql-core awaits like an async resolver's.
        author_id = self._model.author_id
        if author_id is None:
            return None
        known = self._authors.get(author_id) if self._authors else None
        if known is not None:
            return known
        viewer = info.context.viewer
        if viewer is not None and viewer.id == author_id:
            return ChatUser.from_model(viewer)
        return cast("ChatUser | None", chat_user(info, author_id))

    @strawberry.field(description="Until when the author may edit it; null when it cannot be edited.")
    def editable_until(self, info: Info) -> datetime | None:
        return message_service.editable_until(info.context.rt, self._model)

    @strawberry.field(description="Until when the author may recall it; null when it cannot be recalled.")
    def recallable_until(self, info: Info) -> datetime | None:
        return message_service.recallable_until(info.context.rt, self._model)

    @strawberry.field(description="For TRANSFER messages: the money that moved.")
    def transfer(self) -> TransferAttachment | None:
        m = self._model
        if m.kind != MessageKind.TRANSFER or m.transfer_id is None:
            return None
        return TransferAttachment(transfer_id=strawberry.ID(encode_id("Transfer", m.transfer_id)),
                                  amount=Money.of(m.amount_minor or 0, m.currency or ""), memo=m.memo,
                                  state=m.transfer_state or "")

    @strawberry.field(description="For REQUEST messages: the request, with who has paid.")
    async def request(self, info: Info) -> PaymentRequest | None:
        if self._model.request_id is None:
            return None
        request = await loaders.requests(info).load(self._model.request_id)
        return PaymentRequest.from_model(request) if request else None

    @strawberry.field(description="For RED_PACKET messages: the packet, with how many shares are left.")
    async def red_packet(self) -> Annotated[RedPacket, strawberry.lazy("schema.social.types")] | None:
        from schema.social.types import RedPacket

        m = self._model
        if m.kind != MessageKind.RED_PACKET or m.transfer_id is None:
            return None
        packet = await RedPacketModel.get_or_none(transfer_id=m.transfer_id)
        return RedPacket.from_model(packet) if packet else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        viewer = info.context.viewer
        found = []
        for nid in node_ids:
            m = await _visible_or_none(access.visible_message(viewer, nid_int)) \
                if viewer and (nid_int := parse_db_id(nid)) else None
            found.append(cls.from_model(m) if m else None)
        return found


@strawberry.type(description="A member of a conversation and how far they have read.")
class Member:
    user: ChatUser | None = strawberry.field(description="The member; null if the account is gone.")
    joined_at: datetime = strawberry.field(description="When they joined the conversation.")
    last_read_message_id: strawberry.ID | None = strawberry.field(
        description="Global id of the last message they have read; null before any.")


@strawberry.type(description="A support ticket: a conversation with the support team about one transfer.")
class SupportTicket(relay.Node):
    id: relay.NodeID[int]
    status: TicketStatus = strawberry.field(description="OPEN until support resolves it.")
    created_at: datetime = strawberry.field(description="When the user opened it.")
    _model: strawberry.Private[SupportTicketModel]

    @classmethod
    def from_model(cls, m: SupportTicketModel) -> SupportTicket:
        return cls(id=m.id, status=m.status, created_at=m.created_at, _model=m)

    @strawberry.field(description="Who opened it.")
    async def user(self, info: Info) -> ChatUser | None:
        return await chat_user(info, self._model.user_id)

    @strawberry.field(description="The agent looking after it; null until one takes it.")
    async def assignee(self, info: Info) -> ChatUser | None:
        return await chat_user(info, self._model.assignee_id)

    @strawberry.field(description="Since when it has been in its present state.")
    def status_changed_at(self) -> datetime:
        return self._model.status_changed_at or self._model.created_at

    @strawberry.field(description="The agent's note on resolving it; null before.")
    def resolution(self) -> str | None:
        return self._model.resolution or None

    @strawberry.field(description="When it was resolved; null while it is not.")
    def resolved_at(self) -> datetime | None:
        return self._model.resolved_at

    @strawberry.field(description="Until when its user may reopen it; null unless resolved.")
    def reopenable_until(self) -> datetime | None:
        return support.reopenable_until(self._model)

    @strawberry.field(description="Global id of the ticket's conversation.")
    def conversation_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Conversation", self._model.conversation_id))

    @strawberry.field(description="The transfer the ticket is about, as support sees it.")
    async def transfer(self, info: Info) -> TicketTransfer:
        t = await support.ticket_transfer(info.context.require_viewer(), self._model)
        payer = await chat_user(info, t.payer_id)
        payee = await chat_user(info, t.payee_id)
        return TicketTransfer(transfer_id=strawberry.ID(encode_id("Transfer", t.id)), kind=str(t.kind),
                              state=str(t.state), amount=Money.of(t.amount_minor, t.currency), memo=t.memo,
                              created_at=t.created_at, payer=payer, payee=payee,
                              failure_reason=t.failure_reason or None)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        viewer = info.context.viewer
        found = []
        for nid in node_ids:
            m = await _visible_or_none(support.visible_ticket(viewer, nid_int)) \
                if viewer and (nid_int := parse_db_id(nid)) else None
            found.append(cls.from_model(m) if m else None)
        return found


@strawberry.type(description="The details of a ticket's transfer.")
class TicketTransfer:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer's global id.")
    kind: str = strawberry.field(description="TRANSFER, TOP_UP or WITHDRAWAL.")
    state: str = strawberry.field(description="The transfer's state (e.g. COMPLETED, FAILED, PENDING).")
    amount: Money = strawberry.field(description="The amount.")
    memo: str = strawberry.field(description="The payer's note.")
    created_at: datetime = strawberry.field(description="When it was asked for.")
    payer: ChatUser | None = strawberry.field(description="Who paid; null for top-ups.")
    payee: ChatUser | None = strawberry.field(description="Who was paid; null for withdrawals.")
    failure_reason: str | None = strawberry.field(description="Why it failed; null unless FAILED.")
