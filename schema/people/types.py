"""GraphQL types for contacts, privacy and blocks."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from models import Block as BlockModel
from models import Contact as ContactModel
from models import ContactRequest as ContactRequestModel
from models import PrivacySettings as PrivacyModel
from models.people import Audience as DomainAudience
from schema.chat.types import ChatUser, chat_user
from schema.context import Info
from schema.ids import encode_id


@strawberry.enum(description="Who may do something to you.")
class Audience(Enum):
    EVERYONE = strawberry.enum_value("everyone", description="Anyone signed in.")
    CONTACTS = strawberry.enum_value("contacts", description="Only your contacts.")
    NOBODY = strawberry.enum_value("nobody", description="No one.")

    @property
    def domain(self) -> DomainAudience:
        return DomainAudience[self.name]


@strawberry.enum(description="Where a contact request stands.")
class ContactRequestState(Enum):
    PENDING = strawberry.enum_value("pending", description="Waiting for the recipient's answer.")
    ACCEPTED = strawberry.enum_value("accepted", description="Both are now contacts.")
    DECLINED = strawberry.enum_value("declined", description="Declined; the sender is not told.")


@strawberry.type(description="A request to become contacts.")
class ContactRequest:
    id: strawberry.ID = strawberry.field(description="Global id, for `respondContactRequest`.")
    note: str = strawberry.field(description="What the sender wrote.")
    state: ContactRequestState = strawberry.field(description="Pending, accepted or declined.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    _model: strawberry.Private[ContactRequestModel]

    @classmethod
    def from_model(cls, m: ContactRequestModel) -> ContactRequest:
        return cls(id=strawberry.ID(encode_id("ContactRequest", m.id)), note=m.note,
                   state=ContactRequestState(m.state.value), created_at=m.created_at, _model=m)

    @strawberry.field(description="Who asked.")
    async def sender(self, info: Info) -> ChatUser | None:
        return await chat_user(info, self._model.sender_id)

    @strawberry.field(description="Who was asked.")
    async def recipient(self, info: Info) -> ChatUser | None:
        return await chat_user(info, self._model.recipient_id)


@strawberry.type(description="Someone in your contacts, under the name you gave them.")
class Contact:
    remark: str = strawberry.field(description="The name you gave them; empty for none.")
    since: datetime = strawberry.field(description="When you became contacts.")
    _model: strawberry.Private[ContactModel]

    @classmethod
    def from_model(cls, m: ContactModel) -> Contact:
        return cls(remark=m.remark, since=m.created_at, _model=m)

    @strawberry.field(description="The person.")
    async def user(self, info: Info) -> ChatUser | None:
        return await chat_user(info, self._model.other_id)

    @strawberry.field(description="The remark if you set one, else their display name.")
    async def name(self, info: Info) -> str:
        if self._model.remark:
            return self._model.remark
        user = await chat_user(info, self._model.other_id)
        return user.display_name if user else ""


@strawberry.type(description="Someone you have blocked.")
class BlockedUser:
    since: datetime = strawberry.field(description="When you blocked them.")
    _model: strawberry.Private[BlockModel]

    @classmethod
    def from_model(cls, m: BlockModel) -> BlockedUser:
        return cls(since=m.created_at, _model=m)

    @strawberry.field(description="The person.")
    async def user(self, info: Info) -> ChatUser | None:
        return await chat_user(info, self._model.blocked_id)


@strawberry.type(description="Who may reach you, and how.")
class PrivacySettings:
    messages_from: Audience = strawberry.field(description="Who may message you, send you money, add you to a "
                                                           "group (NOBODY also stops contact requests).")
    payment_requests_from: Audience = strawberry.field(description="Who may ask you for money in a direct chat.")
    findable_by_phone: Audience = strawberry.field(description="Who finds you by your phone number.")

    @classmethod
    def from_model(cls, m: PrivacyModel) -> PrivacySettings:
        return cls(messages_from=Audience(m.messages_from.value),
                   payment_requests_from=Audience(m.payment_requests_from.value),
                   findable_by_phone=Audience(m.findable_by_phone.value))


@strawberry.type(description="One edge of a contact list.")
class ContactEdge:
    cursor: str = strawberry.field(description="Opaque cursor.")
    node: Contact = strawberry.field(description="The contact.")


@strawberry.type(description="Your contacts, in the order you made them.")
class ContactConnection:
    edges: list[ContactEdge] = strawberry.field(description="This page.")
    page_info: relay.PageInfo = strawberry.field(description="Paging.")


@strawberry.type(description="One edge of a contact request list.")
class ContactRequestEdge:
    cursor: str = strawberry.field(description="Opaque cursor.")
    node: ContactRequest = strawberry.field(description="The request.")


@strawberry.type(description="Contact requests waiting for your answer, oldest first.")
class ContactRequestConnection:
    edges: list[ContactRequestEdge] = strawberry.field(description="This page.")
    page_info: relay.PageInfo = strawberry.field(description="Paging.")


@strawberry.type(description="One edge of the blocked list.")
class BlockedUserEdge:
    cursor: str = strawberry.field(description="Opaque cursor.")
    node: BlockedUser = strawberry.field(description="The blocked person.")


@strawberry.type(description="People you have blocked, in the order you did.")
class BlockedUserConnection:
    edges: list[BlockedUserEdge] = strawberry.field(description="This page.")
    page_info: relay.PageInfo = strawberry.field(description="Paging.")


def page_info(cursors: list[str], *, more: bool, after: str | None) -> relay.PageInfo:
    return relay.PageInfo(has_next_page=more, has_previous_page=after is not None,
                          start_cursor=cursors[0] if cursors else None, end_cursor=cursors[-1] if cursors else None)
