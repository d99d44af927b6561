"""Inputs for chat mutations."""

from __future__ import annotations

import strawberry

from schema.scalars import Decimal


@strawberry.input
class StartConversationInput:
    member_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of the other users. One id and no title: the direct conversation.")
    title: str = strawberry.field(default="", description="A group's title; required for a group.")


@strawberry.input
class AddMembersInput:
    conversation_id: strawberry.ID
    user_ids: list[strawberry.ID]


@strawberry.input
class RemoveMemberInput:
    conversation_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.input
class LeaveConversationInput:
    conversation_id: strawberry.ID


@strawberry.input
class SendMessageInput:
    conversation_id: strawberry.ID
    text: str = strawberry.field(description="1 to 4,000 characters.")
    client_message_id: str | None = strawberry.field(
        default=None, description="Your id for this message (up to 64 characters): a resend returns the first.")


@strawberry.input
class EditMessageInput:
    message_id: strawberry.ID
    text: str


@strawberry.input
class RecallMessageInput:
    message_id: strawberry.ID


@strawberry.input
class MarkReadInput:
    conversation_id: strawberry.ID
    message_id: strawberry.ID | None = strawberry.field(
        default=None, description="The last message read; the newest when omitted. Never moves back.")


@strawberry.input
class SetTypingInput:
    conversation_id: strawberry.ID
    typing: bool = strawberry.field(default=True, description="False when the user stops typing.")


@strawberry.input
class RequestMoneyInput:
    conversation_id: strawberry.ID
    amount: Decimal
    memo: str = strawberry.field(default="", description="Up to 100 characters.")


@strawberry.input
class PayRequestInput:
    request_id: strawberry.ID
    pin: str
    idempotency_key: str
    step_up_code: str | None = strawberry.field(
        default=None, description="For large amounts (or many payments adding up within 24 hours): the "
                                  "STEP_UP code sent after the first attempt of this same payment (same "
                                  "idempotency key); it confirms no other.")


@strawberry.input
class CancelRequestInput:
    request_id: strawberry.ID


@strawberry.input
class OpenSupportTicketInput:
    transfer_id: strawberry.ID
    text: str = strawberry.field(description="What went wrong, 1 to 4,000 characters.")
