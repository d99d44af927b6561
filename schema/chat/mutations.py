"""Chat mutations: each authenticates, calls one service, and maps the outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.chat import conversations, messages, requests, split_bills, support, typing
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
    SplitBillInput,
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
    NotReachableError,
    RateLimitedError,
    RequestClosedError,
    TemporarilyUnavailableError,
    errors_as_data,
)
from schema.ids import decode_id, encode_id


@strawberry.type(description="The conversation after the change.")
class ConversationSuccess:
    conversation: Conversation = strawberry.field(description="The conversation.")


@strawberry.type(description="The message after the change.")
class MessageSuccess:
    chat_message: Message = strawberry.field(description="Named so it does not clash with `Error.message`.")


@strawberry.type(description="The read position moved.")
class ReadSuccess:
    conversation: Conversation = strawberry.field(description="The conversation, with its unread count updated.")
    last_read_message_id: strawberry.ID | None = strawberry.field(
        description="The newest message the viewer has read; null for none.")


@strawberry.type(description="The others see the typing signal.")
class TypingSuccess:
    expires_at: datetime = strawberry.field(description="When the others stop showing the signal.")


@strawberry.type(description="The request after the change.")
class PaymentRequestSuccess:
    request: PaymentRequest = strawberry.field(description="The request.")


@strawberry.type(description="The ticket is open.")
class SupportTicketSuccess:
    ticket: SupportTicket = strawberry.field(description="The ticket, with its transfer.")
    conversation: Conversation = strawberry.field(description="The support thread: write in it with `sendMessage`.")


_Base = InvalidInputError | NotAuthenticatedError | NotFoundError | RateLimitedError | TemporarilyUnavailableError
ConversationResult = Annotated[ConversationSuccess | ForbiddenError | NotReachableError | _Base,
    strawberry.union("ConversationResult",
                     description="What conversation changes answer: the conversation, or an error to handle.")]
MessageResult = Annotated[MessageSuccess | MessageLockedError | NotReachableError | _Base,
    strawberry.union("MessageResult", description="What message changes answer: the message, or an error to handle.")]
ReadResult = Annotated[ReadSuccess | _Base,
    strawberry.union("MarkReadResult",
                     description="`markRead`'s answer: the new read position, or an error to handle.")]
TypingResult = Annotated[TypingSuccess | _Base,
    strawberry.union("SetTypingResult", description="`setTyping`'s answer: TypingSuccess, or an error to handle.")]
RequestResult = Annotated[PaymentRequestSuccess | RequestClosedError | NotReachableError | IdempotencyConflictError
                          | _Base,
    strawberry.union("PaymentRequestResult",
                     description="What request changes answer: the request, or an error to handle.")]
TicketResult = Annotated[SupportTicketSuccess | _Base,
    strawberry.union("OpenSupportTicketResult",
                     description="`openSupportTicket`'s answer: the ticket and its thread, or an error to handle.")]


def _conv(gid: strawberry.ID) -> int:
    return decode_id(gid, "Conversation", "conversationId")


def _ok(c: ConversationModel) -> ConversationSuccess:
    return ConversationSuccess(conversation=Conversation.from_model(c))


@strawberry.type
class ChatMutation(PaymentMutation):
    @strawberry.mutation(description="Start a direct conversation (reused if it exists) or a group.")
    @errors_as_data
    async def start_conversation(self, info: Info, input: StartConversationInput) -> ConversationResult:
        ids = [decode_id(i, "User", "memberIds") for i in input.member_ids]
        c = await conversations.start_conversation(info.context.rt, info.context.require_viewer(),
                                                   member_ids=ids, title=input.title)
        return _ok(c)

    @strawberry.mutation(description="Add people to a group; any member may.")
    @errors_as_data
    async def add_members(self, info: Info, input: AddMembersInput) -> ConversationResult:
        ids = [decode_id(i, "User", "userIds") for i in input.user_ids]
        c = await conversations.add_members(info.context.rt, info.context.require_viewer(),
                                            _conv(input.conversation_id), ids)
        return _ok(c)

    @strawberry.mutation(description="The group's owner removes a member.")
    @errors_as_data
    async def remove_member(self, info: Info, input: RemoveMemberInput) -> ConversationResult:
        c = await conversations.remove_member(info.context.rt, info.context.require_viewer(),
                                              _conv(input.conversation_id), decode_id(input.user_id, "User"))
        return _ok(c)

    @strawberry.mutation(description="Leave a group.")
    @errors_as_data
    async def leave_conversation(self, info: Info, input: LeaveConversationInput) -> ConversationResult:
        c = await conversations.leave_conversation(info.context.rt, info.context.require_viewer(),
                                                   _conv(input.conversation_id))
        return _ok(c)

    @strawberry.mutation(description="Send a text message; a resend with the same clientMessageId returns the first.")
    @errors_as_data
    async def send_message(self, info: Info, input: SendMessageInput) -> MessageResult:
        m = await messages.send_message(info.context.rt, info.context.require_viewer(),
                                        conversation_id=_conv(input.conversation_id), text=input.text,
                                        client_message_id=input.client_message_id)
        return MessageSuccess(chat_message=Message.from_model(m))

    @strawberry.mutation(description="The author edits a text message; it shows as edited.")
    @errors_as_data
    async def edit_message(self, info: Info, input: EditMessageInput) -> MessageResult:
        m = await messages.edit_message(info.context.rt, info.context.require_viewer(),
                                        message_id=decode_id(input.message_id, "Message", "messageId"),
                                        text=input.text)
        return MessageSuccess(chat_message=Message.from_model(m))

    @strawberry.mutation(description="The author recalls a text message within the recall window.")
    @errors_as_data
    async def recall_message(self, info: Info, input: RecallMessageInput) -> MessageResult:
        m = await messages.recall_message(info.context.rt, info.context.require_viewer(),
                                          message_id=decode_id(input.message_id, "Message", "messageId"))
        return MessageSuccess(chat_message=Message.from_model(m))

    @strawberry.mutation(description="Move the viewer's read position forward.")
    @errors_as_data
    async def mark_read(self, info: Info, input: MarkReadInput) -> ReadResult:
        cid = _conv(input.conversation_id)
        mid = decode_id(input.message_id, "Message", "messageId") if input.message_id else None
        member = await messages.mark_read(info.context.rt, info.context.require_viewer(),
                                          conversation_id=cid, message_id=mid)
        c = await ConversationModel.get(id=cid)
        last = member.last_read_message_id
        return ReadSuccess(conversation=Conversation.from_model(c),
                           last_read_message_id=strawberry.ID(encode_id("Message", last)) if last else None)

    @strawberry.mutation(description="Tell the others you are typing (ephemeral, never stored).")
    @errors_as_data
    async def set_typing(self, info: Info, input: SetTypingInput) -> TypingResult:
        until = await typing.set_typing(info.context.rt, info.context.require_viewer(),
                                        conversation_id=_conv(input.conversation_id), typing=input.typing)
        return TypingSuccess(expires_at=until)

    @strawberry.mutation(description="Ask the members of a direct or group conversation for money.")
    @errors_as_data
    async def request_money(self, info: Info, input: RequestMoneyInput) -> RequestResult:
        r = await requests.request_money(info.context.rt, info.context.require_viewer(),
                                         conversation_id=_conv(input.conversation_id), amount=input.amount,
                                         memo=input.memo, idempotency_key=input.idempotency_key)
        return PaymentRequestSuccess(request=PaymentRequest.from_model(r))

    @strawberry.mutation(description="Split a bill in a group: each participant pays their share with payRequest.")
    @errors_as_data
    async def split_bill(self, info: Info, input: SplitBillInput) -> RequestResult:
        r = await split_bills.split_bill(
            info.context.rt, info.context.require_viewer(), conversation_id=_conv(input.conversation_id),
            total=input.total, participant_ids=[decode_id(p, "User", "participantIds") for p in input.participant_ids],
            shares=[(decode_id(s.user_id, "User", "shares.userId"), s.amount) for s in input.shares],
            memo=input.memo, idempotency_key=input.idempotency_key)
        return PaymentRequestSuccess(request=PaymentRequest.from_model(r))

    @strawberry.mutation(description="The requester cancels an open request.")
    @errors_as_data
    async def cancel_request(self, info: Info, input: CancelRequestInput) -> RequestResult:
        r = await requests.cancel_request(info.context.rt, info.context.require_viewer(),
                                          request_id=decode_id(input.request_id, "PaymentRequest", "requestId"))
        return PaymentRequestSuccess(request=PaymentRequest.from_model(r))

    @strawberry.mutation(description="Open a conversation with support about one of your transfers.")
    @errors_as_data
    async def open_support_ticket(self, info: Info, input: OpenSupportTicketInput) -> TicketResult:
        viewer = info.context.require_viewer()
        t = await support.open_ticket(info.context.rt, viewer,
                                      transfer_id=decode_id(input.transfer_id, "Transfer", "transferId"),
                                      text=input.text)
        c = await ConversationModel.get(id=t.conversation_id)
        return SupportTicketSuccess(ticket=SupportTicket.from_model(t), conversation=Conversation.from_model(c))
