"""The app under test, served by a real uvicorn in the test's event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import uvicorn

from app.runtime import Runtime
from app.settings import Settings
from server.http_protocol import HTTP_PROTOCOL
from server.main import create_app
from tests.support.sinks import free_port


@dataclass
class RunningServer:
    settings: Settings
    port: int
    server: uvicorn.Server
    task: asyncio.Task[None]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def runtime(self) -> Runtime:
        """The app's own Runtime: its limiter and settings, to assert on counters."""
        return self.server.config.app.state.runtime  # type: ignore[no-any-return]

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def start_server(settings: Settings) -> RunningServer:
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, lifespan="on", http=HTTP_PROTOCOL,
                            log_level="warning", proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    return RunningServer(settings=settings, port=port, server=server, task=task)
