"""The first minutes on a fresh machine: `imwallet serve` on its own SQLite file, then `imwallet demo`.

Both run as the commands a developer types, in their own processes (the test process already
serves the session's app, and one process builds the schema once).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from app.settings import Settings
from tests.support import databases
from tests.support.worker_server import _environment, worker_server


@dataclass
class EmbeddedServer:
    settings: Settings
    base_url: str

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def embedded_server(base: Settings, folder: Path) -> AsyncIterator[EmbeddedServer]:
    """`make run` on a fresh machine: a new SQLite file, the in-process bus, one process."""
    settings = base.model_copy(update={"database_url": databases.sqlite_url(folder), "redis_url": None})
    async with worker_server(settings, workers=1) as base_url:
        yield EmbeddedServer(settings=settings, base_url=base_url)


@dataclass
class DemoRun:
    output: str
    ids: dict[str, str]
    tokens: list[str]
    seconds: float


async def run_demo_command(server: EmbeddedServer) -> DemoRun:
    """`imwallet demo` as a developer runs it, against the server's database."""
    started = time.monotonic()
    imwallet = os.path.join(os.path.dirname(sys.executable), "imwallet")
    proc = await asyncio.create_subprocess_exec(
        imwallet, "demo", "--base-url", server.base_url, env=_environment(server.settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    return DemoRun(output=text, ids=dict(re.findall(r"^(\w+Id): (\S+)$", text, re.MULTILINE)),
                   tokens=re.findall(r"#token=(\S+)", text), seconds=time.monotonic() - started)
