"""Contacts, privacy and blocks: queries and mutations. Each resolver adapts one service call."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.people import blocks, contacts, privacy
from models import User as UserModel
from schema.arguments import PageAfter, PageFirst
from schema.chat.cursors import id_cursor, page_size, parse_id_cursor
from schema.chat.types import ChatUser
from schema.context import Info
from schema.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    NotReachableError,
    RateLimitedError,
    TemporarilyUnavailableError,
)
from schema.ids import decode_id
from schema.people.inputs import (
    RespondContactRequestInput,
    SendContactRequestInput,
    SetContactRemarkInput,
    UpdatePrivacyInput,
    UserRefInput,
)
from schema.people.outcome import attempt
from schema.people.types import (
    BlockedUser,
    BlockedUserConnection,
    BlockedUserEdge,
    Contact,
    ContactConnection,
    ContactEdge,
    ContactRequest,
    ContactRequestConnection,
    ContactRequestEdge,
    PrivacySettings,
    page_info,
)


@strawberry.type(description="The contact request as it stands now.")
class ContactRequestSuccess:
    request: ContactRequest = strawberry.field(description="The request.")


@strawberry.type(description="The contact as you now see them.")
class ContactSuccess:
    contact: Contact = strawberry.field(description="The contact.")


@strawberry.type(description="The person is no longer in your contacts (nor you in theirs).")
class ContactRemoved:
    user_id: strawberry.ID = strawberry.field(description="Their global user id.")


@strawberry.type(description="Your privacy settings now.")
class PrivacySuccess:
    privacy: PrivacySettings = strawberry.field(description="The settings.")


@strawberry.type(description="The block is in place (blockUser) or lifted (unblockUser).")
class BlockSuccess:
    user: ChatUser = strawberry.field(description="The person.")
    blocked: bool = strawberry.field(description="Whether you now block them.")


_Base = InvalidInputError | NotAuthenticatedError | NotFoundError | RateLimitedError | TemporarilyUnavailableError
ContactRequestResult = Annotated[ContactRequestSuccess | NotReachableError | AlreadyExistsError | _Base,
                                 strawberry.union("ContactRequestResult",
                     description="What contact requests answer: the request, or an error to handle.")]
ContactResult = Annotated[ContactSuccess | _Base, strawberry.union("ContactResult",
                     description="What contact changes answer: the contact, or an error to handle.")]
RemoveContactResult = Annotated[ContactRemoved | _Base, strawberry.union("RemoveContactResult",
                     description="`removeContact`'s answer, or an error to handle.")]
PrivacyResult = Annotated[PrivacySuccess | _Base, strawberry.union("UpdatePrivacyResult",
                     description="`updatePrivacy`'s answer: the settings now, or an error to handle.")]
BlockResult = Annotated[BlockSuccess | _Base, strawberry.union("BlockResult",
                     description="What blocking and unblocking answer, or an error to handle.")]


def _user(gid: strawberry.ID) -> int:
    return decode_id(gid, "User", "userId")


@strawberry.type
class ContactQuery:
    @strawberry.field(description="Your contacts, with the remark names you gave them.")
    async def contacts(self, info: Info, first: PageFirst = None, after: PageAfter = None) -> ContactConnection:
        size = page_size(first, info.context.rt.settings.max_page_size, "first")
        rows = await contacts.contacts_of(info.context.require_viewer(), first=size, after=parse_id_cursor(after))
        edges = [ContactEdge(cursor=id_cursor(c.id), node=Contact.from_model(c)) for c in rows[:size]]
        return ContactConnection(edges=edges, page_info=page_info([e.cursor for e in edges],
                                                                  more=len(rows) > size, after=after))

    @strawberry.field(description="Contact requests waiting for your answer, oldest first.")
    async def contact_requests(self, info: Info, first: PageFirst = None,
                               after: PageAfter = None) -> ContactRequestConnection:
        size = page_size(first, info.context.rt.settings.max_page_size, "first")
        rows = await contacts.pending_for(info.context.require_viewer(), first=size, after=parse_id_cursor(after))
        edges = [ContactRequestEdge(cursor=id_cursor(r.id), node=ContactRequest.from_model(r)) for r in rows[:size]]
        return ContactRequestConnection(edges=edges, page_info=page_info([e.cursor for e in edges],
                                                                         more=len(rows) > size, after=after))

    @strawberry.field(description="People you have blocked.")
    async def blocked_users(self, info: Info, first: PageFirst = None,
                            after: PageAfter = None) -> BlockedUserConnection:
        size = page_size(first, info.context.rt.settings.max_page_size, "first")
        rows = await blocks.blocked_by(info.context.require_viewer(), first=size, after=parse_id_cursor(after))
        edges = [BlockedUserEdge(cursor=id_cursor(b.id), node=BlockedUser.from_model(b)) for b in rows[:size]]
        return BlockedUserConnection(edges=edges, page_info=page_info([e.cursor for e in edges],
                                                                      more=len(rows) > size, after=after))

    @strawberry.field(description="Your privacy settings.")
    async def privacy_settings(self, info: Info) -> PrivacySettings:
        return PrivacySettings.from_model(await privacy.privacy_of(info.context.require_viewer().id))


@strawberry.type
class ContactMutation:
    @strawberry.mutation(description="Ask someone to become contacts, by user id or phone number. A number "
                                     "you may not find answers as one with no account.")
    async def send_contact_request(self, info: Info, input: SendContactRequestInput) -> ContactRequestResult:
        async def run() -> ContactRequestSuccess:
            uid = _user(input.user_id) if input.user_id is not None else None
            r = await contacts.send_request(info.context.rt, info.context.require_viewer(), user_id=uid,
                                            phone=input.phone, note=input.note)
            return ContactRequestSuccess(request=ContactRequest.from_model(r))
        return await attempt(run)

    @strawberry.mutation(description="Accept or decline a contact request sent to you.")
    async def respond_contact_request(self, info: Info, input: RespondContactRequestInput) -> ContactRequestResult:
        async def run() -> ContactRequestSuccess:
            r = await contacts.respond(info.context.rt, info.context.require_viewer(),
                                       request_id=decode_id(input.request_id, "ContactRequest", "requestId"),
                                       accept=input.accept)
            return ContactRequestSuccess(request=ContactRequest.from_model(r))
        return await attempt(run)

    @strawberry.mutation(description="Give a contact a name only you see (a remark).")
    async def set_contact_remark(self, info: Info, input: SetContactRemarkInput) -> ContactResult:
        async def run() -> ContactSuccess:
            c = await contacts.set_remark(info.context.require_viewer(), other_id=_user(input.user_id),
                                          remark=input.remark)
            return ContactSuccess(contact=Contact.from_model(c))
        return await attempt(run)

    @strawberry.mutation(description="Remove someone from your contacts (and you from theirs).")
    async def remove_contact(self, info: Info, input: UserRefInput) -> RemoveContactResult:
        async def run() -> ContactRemoved:
            await contacts.remove_contact(info.context.require_viewer(), other_id=_user(input.user_id))
            return ContactRemoved(user_id=input.user_id)
        return await attempt(run)

    @strawberry.mutation(description="Choose who may message you, ask you for money, and find you by phone.")
    async def update_privacy(self, info: Info, input: UpdatePrivacyInput) -> PrivacyResult:
        async def run() -> PrivacySuccess:
            p = await privacy.update_privacy(
                info.context.require_viewer(),
                messages_from=input.messages_from.domain if input.messages_from else None,
                payment_requests_from=input.payment_requests_from.domain if input.payment_requests_from else None,
                findable_by_phone=input.findable_by_phone.domain if input.findable_by_phone else None)
            return PrivacySuccess(privacy=PrivacySettings.from_model(p))
        return await attempt(run)

    @strawberry.mutation(description="Block someone: they can no longer reach you in any way, and are not told.")
    async def block_user(self, info: Info, input: UserRefInput) -> BlockResult:
        async def run() -> BlockSuccess:
            other = await blocks.block_user(info.context.rt, info.context.require_viewer(),
                                            other_id=_user(input.user_id))
            return BlockSuccess(user=ChatUser.from_model(other), blocked=True)
        return await attempt(run)

    @strawberry.mutation(description="Lift a block.")
    async def unblock_user(self, info: Info, input: UserRefInput) -> BlockResult:
        async def run() -> BlockSuccess:
            uid = _user(input.user_id)
            await blocks.unblock_user(info.context.require_viewer(), other_id=uid)
            return BlockSuccess(user=ChatUser.from_model(await UserModel.get(id=uid)), blocked=False)
        return await attempt(run)
