"""DataLoaders live on the request context: one set per HTTP request, uncached on websockets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from schema.context import Info

Load = Callable[[list[Any]], Awaitable[Sequence[Any]]]


def context_loader(info: Info, name: str, load: Load) -> DataLoader[Any, Any]:
    """The request's loader called `name`, made on first use. Never shared between requests or users."""
    ctx = info.context
    found = ctx.loaders.get(name)
    if found is None:
        # A websocket's context lasts as long as the socket: batch per tick, never cache rows.
        found = DataLoader(load_fn=load, cache=not isinstance(ctx.request, WebSocket))
        ctx.loaders[name] = found
    return found
