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
from schema.errors import Requirement

if TYPE_CHECKING:
    from schema.wallet.types import Card, Wallet

# Domain enums registered under their GraphQL names; annotations use the domain classes.
DocumentType = DomainDocumentType
CodePurpose = DomainPurpose
strawberry.enum(DomainDocumentType, name="DocumentType")
strawberry.enum(DomainPurpose, name="CodePurpose",
                description="What a one-time code is for; it is valid for that only.")


@strawberry.enum(description="How a one-time code is delivered.")
class CodeChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


@strawberry.type(description="A verified identity, shown masked.")
class IdentityStatus:
    real_name_masked: str
    document_type: DocumentType
    document_number_masked: str
    date_of_birth: date
    verified_at: datetime

    @classmethod
    def from_model(cls, m: IdentityModel) -> IdentityStatus:
        return cls(real_name_masked=mask_name(m.real_name), document_type=DomainDocumentType(m.document_type),
                   document_number_masked=m.document_masked, date_of_birth=m.date_of_birth,
                   verified_at=m.verified_at)


@strawberry.type(description="A signed-in device.")
class SessionInfo(relay.Node):
    id: relay.NodeID[int]
    device_name: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool = strawberry.field(description="True for the session making this request.")

    @classmethod
    def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        return [None for _ in node_ids]


@strawberry.type(description="An imwallet account. Only its owner can see it whole.")
class User(relay.Node):
    id: relay.NodeID[int]
    phone: str = strawberry.field(description="E.164, e.g. +8613800138000.")
    display_name: str
    email: str | None
    email_verified: bool
    created_at: datetime
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
    display_name: str
    phone_masked: str
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
    expires_at: datetime
    user: User
