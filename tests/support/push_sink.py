"""A real HTTP server standing in for the push provider bridge: records each push, reports dead tokens."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.sinks import free_port


@dataclass
class PushSink:
    port: int = field(default_factory=free_port)
    pushes: list[dict[str, Any]] = field(default_factory=list)
    dead: set[str] = field(default_factory=set)
    refused: list[dict[str, Any]] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/push"

    async def start(self) -> None:
        async def receive(request: Request) -> JSONResponse:
            body = await request.json()
            if body["token"] in self.dead:  # as APNs and FCM answer for an uninstalled app
                self.refused.append(body)
                return JSONResponse({"error": "Unregistered"}, status_code=410)
            self.pushes.append(body)
            return JSONResponse({"ok": True})

        app = Starlette(routes=[Route("/push", receive, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", lifespan="off"))
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    def to(self, token: str) -> list[dict[str, Any]]:
        return [p for p in self.pushes if p["token"] == token]

    async def wait(self, token: str, count: int, timeout: float = 10.0, *,
                   refused: bool = False) -> list[dict[str, Any]]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = [p for p in (self.refused if refused else self.pushes) if p["token"] == token]
            if len(found) >= count:
                return found
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {count} push(es) to {token}: {found}")
            await asyncio.sleep(0.05)
