"""Contacts: ask, answer, list (with remark names), rename, remove.

A request by phone number reveals no more than `findUser`: a number nobody may find (no account,
not findable, or the sender is blocked) gets the same NotFound as a number with no account.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import events
from app.errors import AlreadyExists, InvalidInput, NotFound
from app.people.privacy import find_by_phone
from app.people.reach import Reach, check_reach
from app.runtime import Runtime
from app.text import clean_text
from models import Contact, ContactRequest, ContactRequestState, User

REQUESTS_PER_HOUR = 20
CONTACT_REQUESTED = "contact.requested"
CONTACT_ACCEPTED = "contact.accepted"


async def send_request(rt: Runtime, user: User, *, user_id: int | None, phone: str | None,
                       note: str) -> ContactRequest:
    """Ask someone (by id or phone) to become contacts; a crossing request is accepted at once."""
    note = clean_text(note, "note", max_length=200)
    target = await _target(user, user_id, phone)
    await check_reach(user.id, target.id, Reach.CONTACT_REQUEST)
    if await Contact.exists(owner_id=user.id, other_id=target.id):
        raise AlreadyExists("You are already contacts.")
    await rt.limiter.hit(f"contact-request:{user.id}", REQUESTS_PER_HOUR, 3600)
    crossing = await ContactRequest.get_or_none(sender_id=target.id, recipient_id=user.id,
                                                state=ContactRequestState.PENDING)
    if crossing is not None:
        return await respond(rt, user, request_id=crossing.id, accept=True)
    now = rt.clock.now()
    async with in_transaction():
        request = await ContactRequest.filter(sender_id=user.id, recipient_id=target.id,
                                              state=ContactRequestState.PENDING).first()
        if request is None:
            request = await ContactRequest.create(sender_id=user.id, recipient_id=target.id, note=note,
                                                  created_at=now)
        else:
            await ContactRequest.filter(id=request.id).update(note=note)
        await events.record([target.id], CONTACT_REQUESTED, {"requestId": request.id, "fromUserId": user.id})
    rt.events_waker.wake()
    return await ContactRequest.get(id=request.id)


async def _target(user: User, user_id: int | None, phone: str | None) -> User:
    if (user_id is None) == (phone is None):
        raise InvalidInput("userId", "give exactly one of userId or phone")
    target = await User.get_or_none(id=user_id) if user_id is not None \
        else await find_by_phone(user.id, phone or "")
    if target is None:
        raise NotFound("user")
    if target.id == user.id:
        raise InvalidInput("userId", "you cannot add yourself")
    return target


async def respond(rt: Runtime, user: User, *, request_id: int, accept: bool) -> ContactRequest:
    """The recipient accepts (both become contacts) or declines (the sender is not told)."""
    request = await ContactRequest.get_or_none(id=request_id, recipient_id=user.id)
    if request is None:
        raise NotFound("contact request")
    now = rt.clock.now()
    state = ContactRequestState.ACCEPTED if accept else ContactRequestState.DECLINED
    async with in_transaction():
        changed = await ContactRequest.filter(id=request.id, state=ContactRequestState.PENDING).update(
            state=state, answered_at=now)
        if not changed:
            raise NotFound("contact request")
        if accept:
            await _befriend(request.sender_id, request.recipient_id, now)
            await events.record([request.sender_id], CONTACT_ACCEPTED,
                                {"requestId": request.id, "byUserId": user.id})
    rt.events_waker.wake()
    return await ContactRequest.get(id=request.id)


async def _befriend(a_id: int, b_id: int, now: datetime) -> None:
    for owner, other in ((a_id, b_id), (b_id, a_id)):
        with contextlib.suppress(IntegrityError):  # an existing side stays as it is
            async with in_transaction():  # a savepoint, so the outer transaction survives
                await Contact.create(owner_id=owner, other_id=other, created_at=now)


async def pending_for(user: User, *, first: int, after: int | None) -> list[ContactRequest]:
    """Requests waiting for the user's answer, oldest first; one row more than asked."""
    query = ContactRequest.filter(recipient_id=user.id, state=ContactRequestState.PENDING)
    if after is not None:
        query = query.filter(id__gt=after)
    return await query.order_by("id").limit(first + 1)


async def contacts_of(user: User, *, first: int, after: int | None) -> list[Contact]:
    """The user's contacts in the order they were made; one row more than asked."""
    query = Contact.filter(owner_id=user.id)
    if after is not None:
        query = query.filter(id__gt=after)
    return await query.order_by("id").limit(first + 1)


async def set_remark(user: User, *, other_id: int, remark: str) -> Contact:
    """The name the user sees for a contact (empty: their display name)."""
    remark = clean_text(remark, "remark", max_length=64)
    if not await Contact.filter(owner_id=user.id, other_id=other_id).update(remark=remark):
        raise NotFound("contact")
    return await Contact.get(owner_id=user.id, other_id=other_id)


async def remove_contact(user: User, *, other_id: int) -> None:
    """Both stop being each other's contacts."""
    async with in_transaction():
        gone = await Contact.filter(owner_id=user.id, other_id=other_id).delete()
        if not gone:
            raise NotFound("contact")
        await Contact.filter(owner_id=other_id, other_id=user.id).delete()
