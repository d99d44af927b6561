"""Chat mutations: each authenticates, calls one service, and maps the outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.chat import conversations, messages, requests, support, typing
from app.errors import DomainError
from models import Conversation as ConversationModel
from schema.chat.conversation import Conversation
from schema.chat.inputs import (
    AddMembersInput,
    CancelRequestInput,
    EditMessageInput,
    LeaveConversationInput,
    MarkReadInput,
    OpenSupportTicketInput,
    RecallMessageInput,
    RemoveMemberInput,
    RequestMoneyInput,
    SendMessageInput,
    SetTypingInput,
    StartConversationInput,
)
from schema.chat.payments import PaymentMutation
from schema.chat.types import Message, PaymentRequest, SupportTicket
from schema.context import Info
from schema.errors import (
    ForbiddenError,
    IdempotencyConflictError,
    InvalidInputError,
    MessageLockedError,
    NotAuthenticatedError,
    NotFoundError,
    RateLimitedError,
    RequestClosedError,
    TemporarilyUnavailableError,
    from_domain,
)
from schema.ids import decode_id, encode_id


@strawberry.type
class ConversationSuccess:
    conversation: Conversation


@strawberry.type
class MessageSuccess:
    chat_message: Message = strawberry.field(description="Named so it does not clash with `Error.message`.")


@strawberry.type
class ReadSuccess:
    conversation: Conversation
    last_read_message_id: strawberry.ID | None


@strawberry.type
class TypingSuccess:
    expires_at: datetime = strawberry.field(description="When the others stop showing the signal.")


@strawberry.type
class PaymentRequestSuccess:
    request: PaymentRequest


@strawberry.type
class SupportTicketSuccess:
    ticket: SupportTicket
    conversation: Conversation


_Base = InvalidInputError | NotAuthenticatedError | NotFoundError | RateLimitedError | TemporarilyUnavailableError
ConversationResult = Annotated[ConversationSuccess | ForbiddenError | _Base, strawberry.union("ConversationResult")]
MessageResult = Annotated[MessageSuccess | MessageLockedError | _Base, strawberry.union("MessageResult")]
ReadResult = Annotated[ReadSuccess | _Base, strawberry.union("MarkReadResult")]
TypingResult = Annotated[TypingSuccess | _Base, strawberry.union("SetTypingResult")]
RequestResult = Annotated[PaymentRequestSuccess | RequestClosedError | IdempotencyConflictError | _Base,
                          strawberry.union("PaymentRequestResult")]
TicketResult = Annotated[SupportTicketSuccess | _Base, strawberry.union("OpenSupportTicketResult")]


def _conv(gid: strawberry.ID) -> int:
    return decode_id(gid, "Conversation", "conversationId")


def _ok(c: ConversationModel) -> ConversationSuccess:
    return ConversationSuccess(conversation=Conversation.from_model(c))


@strawberry.type
class ChatMutation(PaymentMutation):
    @strawberry.mutation(description="Start a direct conversation (reused if it exists) or a group.")
    async def start_conversation(self, info: Info, input: StartConversationInput) -> ConversationResult:
        try:
            ids = [decode_id(i, "User", "memberIds") for i in input.member_ids]
            c = await conversations.start_conversation(info.context.rt, info.context.require_viewer(),
                                                       member_ids=ids, title=input.title)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return _ok(c)

    @strawberry.mutation(description="Add people to a group; any member may.")
    async def add_members(self, info: Info, input: AddMembersInput) -> ConversationResult:
        try:
            ids = [decode_id(i, "User", "userIds") for i in input.user_ids]
            c = await conversations.add_members(info.context.rt, info.context.require_viewer(),
                                                _conv(input.conversation_id), ids)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return _ok(c)

    @strawberry.mutation(description="The group's owner removes a member.")
    async def remove_member(self, info: Info, input: RemoveMemberInput) -> ConversationResult:
        try:
            c = await conversations.remove_member(info.context.rt, info.context.require_viewer(),
                                                  _conv(input.conversation_id), decode_id(input.user_id, "User"))
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return _ok(c)

    @strawberry.mutation(description="Leave a group.")
    async def leave_conversation(self, info: Info, input: LeaveConversationInput) -> ConversationResult:
        try:
            c = await conversations.leave_conversation(info.context.rt, info.context.require_viewer(),
                                                       _conv(input.conversation_id))
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return _ok(c)

    @strawberry.mutation(description="Send a text message; a resend with the same clientMessageId returns the first.")
    async def send_message(self, info: Info, input: SendMessageInput) -> MessageResult:
        try:
            m = await messages.send_message(info.context.rt, info.context.require_viewer(),
                                            conversation_id=_conv(input.conversation_id), text=input.text,
                                            client_message_id=input.client_message_id)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return MessageSuccess(chat_message=Message.from_model(m))

    @strawberry.mutation(description="The author edits a text message; it shows as edited.")
    async def edit_message(self, info: Info, input: EditMessageInput) -> MessageResult:
        try:
            m = await messages.edit_message(info.context.rt, info.context.require_viewer(),
                                            message_id=decode_id(input.message_id, "Message", "messageId"),
                                            text=input.text)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return MessageSuccess(chat_message=Message.from_model(m))

    @strawberry.mutation(description="The author recalls a text message within the recall window.")
    async def recall_message(self, info: Info, input: RecallMessageInput) -> MessageResult:
        try:
            m = await messages.recall_message(info.context.rt, info.context.require_viewer(),
                                              message_id=decode_id(input.message_id, "Message", "messageId"))
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return MessageSuccess(chat_message=Message.from_model(m))

    @strawberry.mutation(description="Move the viewer's read position forward.")
    async def mark_read(self, info: Info, input: MarkReadInput) -> ReadResult:
        try:
            cid = _conv(input.conversation_id)
            mid = decode_id(input.message_id, "Message", "messageId") if input.message_id else None
            member = await messages.mark_read(info.context.rt, info.context.require_viewer(),
                                              conversation_id=cid, message_id=mid)
            c = await ConversationModel.get(id=cid)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        last = member.last_read_message_id
        return ReadSuccess(conversation=Conversation.from_model(c),
                           last_read_message_id=strawberry.ID(encode_id("Message", last)) if last else None)

    @strawberry.mutation(description="Tell the others you are typing (ephemeral, never stored).")
    async def set_typing(self, info: Info, input: SetTypingInput) -> TypingResult:
        try:
            until = await typing.set_typing(info.context.rt, info.context.require_viewer(),
                                            conversation_id=_conv(input.conversation_id), typing=input.typing)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return TypingSuccess(expires_at=until)

    @strawberry.mutation(description="Ask the members of a direct or group conversation for money.")
    async def request_money(self, info: Info, input: RequestMoneyInput) -> RequestResult:
        try:
            r = await requests.request_money(info.context.rt, info.context.require_viewer(),
                                             conversation_id=_conv(input.conversation_id), amount=input.amount,
                                             memo=input.memo, idempotency_key=input.idempotency_key)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return PaymentRequestSuccess(request=PaymentRequest.from_model(r))

    @strawberry.mutation(description="The requester cancels an open request.")
    async def cancel_request(self, info: Info, input: CancelRequestInput) -> RequestResult:
        try:
            r = await requests.cancel_request(info.context.rt, info.context.require_viewer(),
                                              request_id=decode_id(input.request_id, "PaymentRequest", "requestId"))
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return PaymentRequestSuccess(request=PaymentRequest.from_model(r))

    @strawberry.mutation(description="Open a conversation with support about one of your transfers.")
    async def open_support_ticket(self, info: Info, input: OpenSupportTicketInput) -> TicketResult:
        try:
            viewer = info.context.require_viewer()
            t = await support.open_ticket(info.context.rt, viewer,
                                          transfer_id=decode_id(input.transfer_id, "Transfer", "transferId"),
                                          text=input.text)
            c = await ConversationModel.get(id=t.conversation_id)
        except DomainError as exc:
            return from_domain(exc)  # type: ignore[return-value]
        return SupportTicketSuccess(ticket=SupportTicket.from_model(t), conversation=Conversation.from_model(c))
