"""GraphQL types for accounts, sessions and identity."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from app import events
from app.identity import sessions as session_service
from app.identity.documents import DocumentType as DomainDocumentType
from app.identity.documents import mask_name
from app.identity.phones import mask_phone
from app.identity.readiness import wallet_requirements
from app.verification.codes import Purpose as DomainPurpose
from models import Identity as IdentityModel
from models import User as UserModel
from schema.context import Info
from schema.enums import register_enum
from schema.errors import Requirement

if TYPE_CHECKING:
    from schema.wallet.types import Card, Wallet

# Domain enums registered under their GraphQL names; annotations use the domain classes.
DocumentType = DomainDocumentType
CodePurpose = DomainPurpose
register_enum(DomainDocumentType, name="DocumentType", description="An identity document.", values={
    "RESIDENT_ID": "The 18-character resident identity card number (its check character is verified).",
    "PASSPORT": "A passport number.",
})
register_enum(DomainPurpose, name="CodePurpose", description="What a one-time code is for; it is valid for that only.",
              values={"REGISTER": "Prove a phone number at sign-up (SMS).",
                      "VERIFY_EMAIL": "Prove an email address (mail).",
                      "RESET_PASSWORD": "Set a new login password (SMS).",
                      "RESET_PIN": "Set a new payment PIN, with the identity document (SMS or mail).",
                      "BIND_CARD": "Sent by the bank to confirm a card binding (SMS).",
                      "STEP_UP": "Confirm one large payment on top of the PIN (SMS).",
                      "LOGIN": "Sign in with a code instead of the password, e.g. while a password lock holds (SMS)."})


class CodeChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


register_enum(CodeChannel, name="CodeChannel", description="How a one-time code is delivered.",
              values={"SMS": "A text message to the phone number.", "EMAIL": "A mail to the email address."})


@strawberry.type(description="A verified identity, shown masked.")
class IdentityStatus:
    real_name_masked: str = strawberry.field(
        description="The real name with all but the last character hidden, e.g. `**明`.")
    document_type: DocumentType = strawberry.field(description="The kind of document that was verified.")
    document_number_masked: str = strawberry.field(description="The document number with its middle hidden.")
    date_of_birth: date = strawberry.field(description="As on the document.")
    verified_at: datetime = strawberry.field(description="When the identity was verified.")

    @classmethod
    def from_model(cls, m: IdentityModel) -> IdentityStatus:
        return cls(real_name_masked=mask_name(m.real_name), document_type=DomainDocumentType(m.document_type),
                   document_number_masked=m.document_masked, date_of_birth=m.date_of_birth,
                   verified_at=m.verified_at)


@strawberry.type(description="A signed-in device.")
class SessionInfo(relay.Node):
    id: relay.NodeID[int]
    device_name: str = strawberry.field(
        description="From the `X-Device-Name` header at sign-in, or the client's user agent.")
    created_at: datetime = strawberry.field(description="When the session was opened (sign-up or sign-in).")
    last_seen_at: datetime = strawberry.field(description="When the session was last used.")
    expires_at: datetime = strawberry.field(description="When it ends unless used; sign in again after.")
    current: bool = strawberry.field(description="True for the session making this request.")

    @classmethod
    def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        return [None for _ in node_ids]


@strawberry.type(description="An imwallet account. Only its owner can see it whole.")
class User(relay.Node):
    id: relay.NodeID[int]
    phone: str = strawberry.field(description="E.164, e.g. +8613800138000.")
    display_name: str = strawberry.field(description="The name other users see.")
    email: str | None = strawberry.field(description="The email address, verified or not; null when none was given.")
    email_verified: bool = strawberry.field(description="True once `verifyEmail` confirmed the address.")
    created_at: datetime = strawberry.field(description="When the account was registered.")
    _model: strawberry.Private[UserModel]

    @classmethod
    def from_model(cls, m: UserModel) -> User:
        return cls(id=m.id, phone=m.phone, display_name=m.display_name, email=m.email,
                   email_verified=m.email_verified_at is not None, created_at=m.created_at, _model=m)

    @strawberry.field(description="The verified identity, or null before `submitIdentity`.")
    async def identity(self) -> IdentityStatus | None:
        m = await IdentityModel.get_or_none(user_id=self.id)
        return IdentityStatus.from_model(m) if m else None

    @strawberry.field(description="Steps still needed before `openWallet` succeeds; empty when ready.")
    async def wallet_requirements(self, info: Info) -> list[Requirement]:
        return [Requirement(name=r.name, purpose=r.purpose) for r in await wallet_requirements(self._model)]

    @strawberry.field(description="The wallet, or null until `openWallet` succeeds.")
    async def wallet(self, info: Info) -> Annotated[Wallet, strawberry.lazy("schema.wallet.types")] | None:
        from schema.wallet.queries import wallet_of_viewer

        viewer = info.context.viewer
        return await wallet_of_viewer(info) if viewer and viewer.id == self.id else None

    @strawberry.field(description="Active linked bank cards, most recently linked first.")
    async def cards(self, info: Info) -> list[Annotated[Card, strawberry.lazy("schema.wallet.types")]]:
        from schema.wallet.queries import cards_of

        viewer = info.context.viewer
        return await cards_of(self.id) if viewer and viewer.id == self.id else []

    @strawberry.field(description="The account's live sessions, most recently used first.")
    async def sessions(self, info: Info) -> list[SessionInfo]:
        current = info.context.session.id if info.context.session else None
        return [SessionInfo(id=s.id, device_name=s.device_name, created_at=s.created_at,
                            last_seen_at=s.last_seen_at, expires_at=s.expires_at, current=s.id == current)
                for s in await session_service.list_sessions(self._model)]

    @strawberry.field(description="The head of the viewer's event stream: pass it as `after` to a subscription "
                                  "to receive exactly what happens after this read. Read it with the state you "
                                  "show (conversations, balance) and apply events idempotently: an event just "
                                  "after the cursor may already be reflected in what you read.")
    async def events_cursor(self) -> str:
        return str(await events.latest_id())

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        viewer = info.context.viewer
        return [cls.from_model(viewer) if viewer and str(viewer.id) == nid else None for nid in node_ids]


@strawberry.type(description="What anyone may see of another user: enough to check before paying.")
class UserProfile:
    id: strawberry.ID = strawberry.field(description="The user's global id, usable in `sendMoney`.")
    display_name: str = strawberry.field(description="The name the user chose.")
    phone_masked: str = strawberry.field(
        description="The phone number with its middle hidden, to confirm it is the right person.")
    real_name_masked: str | None = strawberry.field(
        description="The verified real name with all but the last character hidden, e.g. `*明`.")

    @classmethod
    def from_model(cls, m: UserModel, identity: IdentityModel | None) -> UserProfile:
        return cls(id=strawberry.ID(relay.to_base64("User", m.id)), display_name=m.display_name,
                   phone_masked=mask_phone(m.phone),
                   real_name_masked=mask_name(identity.real_name) if identity else None)


@strawberry.type(description="A new session. Send the token as `Authorization: Bearer <token>`.")
class SessionPayload:
    token: str = strawberry.field(description="Shown once; the server keeps only its hash.")
    expires_at: datetime = strawberry.field(description="When the session ends unless used.")
    user: User = strawberry.field(description="The signed-in account.")
