"""Account queries."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.errors import InvalidInput
from app.identity.phones import normalise_phone
from app.people.reach import Reach, allowed
from models import Identity as IdentityModel
from models import User as UserModel
from schema.context import Info
from schema.users.types import User, UserProfile


@strawberry.type
class UserQuery:
    @strawberry.field(description="The signed-in user, or null when not signed in.")
    def me(self, info: Info) -> User | None:
        viewer = info.context.viewer
        return User.from_model(viewer) if viewer else None

    @strawberry.field(description="Exact-match lookup by phone number, to start a chat or a payment. "
                                  "Signed-in users only; null when there is no such account.")
    async def find_user(self, info: Info, phone: Annotated[str, strawberry.argument(
            description="The exact phone number, any spelling.")]) -> UserProfile | None:
        viewer = info.context.viewer
        if viewer is None:
            return None
        try:
            e164 = normalise_phone(phone)
        except InvalidInput:
            return None
        await info.context.rt.limiter.hit(f"find-user:{viewer.id}", 60, 60)
        user = await UserModel.get_or_none(phone=e164)
        if user is None or not await allowed(viewer.id, user.id, Reach.FIND_BY_PHONE):  # people: privacy
            return None
        return UserProfile.from_model(user, await IdentityModel.get_or_none(user_id=user.id))
