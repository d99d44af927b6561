"""One adapter for people resolvers: run the service, or show its domain error as a union member."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.errors import DomainError
from schema.errors import from_domain


async def attempt(action: Callable[[], Awaitable[Any]]) -> Any:
    """The action's result, or the GraphQL error type of the DomainError it raised."""
    try:
        return await action()
    except DomainError as exc:
        return from_domain(exc)
