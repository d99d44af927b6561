"""The per-request (per-websocket) context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from app.errors import Forbidden, NotAuthenticated
from app.runtime import Runtime
from models import Merchant, Session, User


@dataclass
class Context:
    request: Request | WebSocket
    response: Any
    rt: Runtime
    client_address: str
    session: Session | None = None
    connection_params: dict[str, Any] | None = None
    loaders: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    # Set by `Authorization: Merchant <key>` (never together with a session): a shop's API key.
    merchant: Merchant | None = None

    @property
    def viewer(self) -> User | None:
        return self.session.user if self.session is not None else None

    def require_viewer(self) -> User:
        if self.session is None:
            raise NotAuthenticated()
        return self.session.user

    def require_merchant(self) -> Merchant:
        """The one gate of merchant-only fields: a merchant key, not a user's session. (User fields
        refuse a merchant key through `require_viewer`, since a merchant request has no session.)"""
        if self.merchant is not None:
            return self.merchant
        if self.session is not None:
            raise Forbidden("This field is for merchants: call it with `Authorization: Merchant <key>`.")
        raise NotAuthenticated()

    @property
    def device_name(self) -> str:
        return self.request.headers.get("x-device-name", "")[:100] or \
            self.request.headers.get("user-agent", "")[:100]


Info = StrawberryInfo[Context, None]
