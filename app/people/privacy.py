"""A user's privacy settings: who may message them, ask them for money, find them by phone."""

from __future__ import annotations

from app.identity.phones import normalise_phone
from app.people.reach import Reach, allowed
from models import Audience, PrivacySettings, User


async def privacy_of(user_id: int) -> PrivacySettings:
    """The user's settings; the defaults (everyone) when they never changed them."""
    found = await PrivacySettings.get_or_none(user_id=user_id)
    return found or PrivacySettings(user_id=user_id)


async def update_privacy(user: User, *, messages_from: Audience | None = None,
                         payment_requests_from: Audience | None = None,
                         findable_by_phone: Audience | None = None) -> PrivacySettings:
    """Change the settings given; the others stay."""
    current = await privacy_of(user.id)
    if messages_from is not None:
        current.messages_from = messages_from
    if payment_requests_from is not None:
        current.payment_requests_from = payment_requests_from
    if findable_by_phone is not None:
        current.findable_by_phone = findable_by_phone
    await PrivacySettings.update_or_create(
        user_id=user.id, defaults={"messages_from": current.messages_from,
                                   "payment_requests_from": current.payment_requests_from,
                                   "findable_by_phone": current.findable_by_phone})
    return await privacy_of(user.id)


async def find_by_phone(viewer_id: int, phone: str, *, field: str = "phone") -> User | None:
    """The account behind a phone number if the viewer may find it; None alike for no account and not findable."""
    user = await User.get_or_none(phone=normalise_phone(phone, field=field))
    if user is None or not await allowed(viewer_id, user.id, Reach.FIND_BY_PHONE):
        return None
    return user
