"""Inputs for chat mutations."""

from __future__ import annotations

import strawberry

from schema.devices.types import PaymentApprovalInput
from schema.scalars import Decimal


@strawberry.input(description="A direct conversation (one other member, no title) or a group (a title).")
class StartConversationInput:
    member_ids: list[strawberry.ID] = strawberry.field(
        description="Global ids of the other users. One id and no title: the direct conversation.")
    title: str = strawberry.field(default="", description="A group's title; required for a group.")


@strawberry.input(description="Add people to a group (its owner only).")
class AddMembersInput:
    conversation_id: strawberry.ID = strawberry.field(description="The group's id.")
    user_ids: list[strawberry.ID] = strawberry.field(description="Global ids of the users to add.")


@strawberry.input(description="Remove someone from a group (its owner only).")
class RemoveMemberInput:
    conversation_id: strawberry.ID = strawberry.field(description="The group's id.")
    user_id: strawberry.ID = strawberry.field(description="The member to remove.")


@strawberry.input(description="Leave a group.")
class LeaveConversationInput:
    conversation_id: strawberry.ID = strawberry.field(description="The group's id.")


@strawberry.input(description="A text message.")
class SendMessageInput:
    conversation_id: strawberry.ID = strawberry.field(description="Where to send it.")
    text: str = strawberry.field(description="1 to 4,000 characters.")
    client_message_id: str | None = strawberry.field(
        default=None, description="Your id for this message (up to 64 characters): a resend returns the first.")


@strawberry.input(description="Change the text of one's own message while `editableUntil` allows.")
class EditMessageInput:
    message_id: strawberry.ID = strawberry.field(description="The message's id.")
    text: str = strawberry.field(description="The new text, 1 to 4,000 characters.")


@strawberry.input(description="Withdraw one's own message while `recallableUntil` allows; others see a tombstone.")
class RecallMessageInput:
    message_id: strawberry.ID = strawberry.field(description="The message's id.")


@strawberry.input(description="Move the viewer's read position.")
class MarkReadInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    message_id: strawberry.ID | None = strawberry.field(
        default=None, description="The last message read; the newest when omitted. Never moves back.")


@strawberry.input(description="Tell the other members the viewer is typing (or stopped).")
class SetTypingInput:
    conversation_id: strawberry.ID = strawberry.field(description="The conversation.")
    typing: bool = strawberry.field(default=True, description="False when the user stops typing.")


@strawberry.input(description="Ask the other members of a conversation for money.")
class RequestMoneyInput:
    conversation_id: strawberry.ID = strawberry.field(description="A direct or group conversation.")
    amount: Decimal = strawberry.field(description="What each payer pays, e.g. \"25.00\".")
    memo: str = strawberry.field(default="", description="Up to 100 characters.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A fresh key per request; a retry with it returns the first request.")


@strawberry.input(description="One participant's explicit share of a split bill.")
class BillShareInput:
    user_id: strawberry.ID = strawberry.field(description="A member of the group.")
    amount: Decimal = strawberry.field(description='What they owe, e.g. "25.00".')


@strawberry.input(description="Split a bill in a group: equal shares among participantIds, or explicit shares.")
class SplitBillInput:
    conversation_id: strawberry.ID = strawberry.field(description="A group conversation.")
    total: Decimal = strawberry.field(description='The whole bill, e.g. "100.00".')
    participant_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Equal shares among these members, the remainder cents one each to the "
                                          "first listed (100.00 among three: 33.34, 33.33, 33.33). You may list "
                                          "yourself: your share is what you already paid.")
    shares: list[BillShareInput] = strawberry.field(
        default_factory=list, description="Explicit shares instead, adding up to the total.")
    memo: str = strawberry.field(default="", description="Up to 100 characters.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A fresh key per bill; a retry with it returns the first bill.")


@strawberry.input(description="Pay a money request from the wallet.")
class PayRequestInput:
    request_id: strawberry.ID = strawberry.field(description="The request's id.")
    pin: str | None = strawberry.field(
        default=None, description="The payment PIN; or leave it out and give `approval` from an enrolled device.")
    approval: PaymentApprovalInput | None = strawberry.field(
        default=None, description="A device's approval of this payment instead of the PIN (see sendMoney).")
    idempotency_key: str = strawberry.field(description="A fresh key per intended payment; repeat it to retry safely.")
    step_up_code: str | None = strawberry.field(
        default=None, description="For large amounts (or many payments adding up within 24 hours): the "
                                  "STEP_UP code sent after the first attempt of this same payment (same "
                                  "idempotency key); it confirms no other.")


@strawberry.input(description="Cancel one's own request; members can no longer pay it.")
class CancelRequestInput:
    request_id: strawberry.ID = strawberry.field(description="The request's id.")


@strawberry.input(description="Ask support about one of the viewer's transfers.")
class OpenSupportTicketInput:
    transfer_id: strawberry.ID = strawberry.field(description="The transfer's id.")
    text: str = strawberry.field(description="What went wrong, 1 to 4,000 characters.")
