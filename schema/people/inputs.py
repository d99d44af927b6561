"""Inputs for people mutations."""

from __future__ import annotations

import strawberry

from schema.people.types import Audience


@strawberry.input(description="Ask someone, by user id or phone number (exactly one), to become contacts.")
class SendContactRequestInput:
    user_id: strawberry.ID | None = strawberry.field(default=None, description="Their global user id.")
    phone: str | None = strawberry.field(default=None, description="Their phone number, any spelling.")
    note: str = strawberry.field(default="", description="A short note, up to 200 characters.")


@strawberry.input(description="Answer a contact request sent to you.")
class RespondContactRequestInput:
    request_id: strawberry.ID = strawberry.field(description="The request's global id.")
    accept: bool = strawberry.field(description="True: become contacts; false: decline (they are not told).")


@strawberry.input(description="One person, by global user id.")
class UserRefInput:
    user_id: strawberry.ID = strawberry.field(description="The person's global user id.")


@strawberry.input(description="Give a contact a name only you see.")
class SetContactRemarkInput:
    user_id: strawberry.ID = strawberry.field(description="The contact's global user id.")
    remark: str = strawberry.field(description="Up to 64 characters; empty removes the remark.")


@strawberry.input(description="Change privacy settings; the ones left out stay.")
class UpdatePrivacyInput:
    messages_from: Audience | None = strawberry.field(default=None, description="Who may message you.")
    payment_requests_from: Audience | None = strawberry.field(default=None,
                                                              description="Who may ask you for money.")
    findable_by_phone: Audience | None = strawberry.field(default=None,
                                                          description="Who finds you by phone number.")
