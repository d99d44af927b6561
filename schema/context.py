"""The per-request (per-websocket) context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from app.errors import NotAuthenticated
from app.runtime import Runtime
from models import Session, User


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

    @property
    def viewer(self) -> User | None:
        return self.session.user if self.session is not None else None

    def require_viewer(self) -> User:
        if self.session is None:
            raise NotAuthenticated()
        return self.session.user

    @property
    def device_name(self) -> str:
        return self.request.headers.get("x-device-name", "")[:100] or \
            self.request.headers.get("user-agent", "")[:100]


Info = StrawberryInfo[Context, None]
