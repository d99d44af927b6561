"""Real far ends for the app's outbound traffic: an SMTP server (aiosmtpd) and an SMS webhook."""

from __future__ import annotations

import asyncio
import re
import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CODE = re.compile(r"\b([0-9]{6})\b")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_for(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class MailSink:
    """A real SMTP server on a fixed port that can be stopped and started again."""

    port: int = field(default_factory=free_port)
    messages: list[Message] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    _controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        # A mailbox that does not exist: a permanent (5xx) refusal the sender must not retry.
        if address.lower() in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        msg = message_from_bytes(envelope.content)
        msg["X-Rcpt-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address.lower() in m["X-Rcpt-To"].lower()]

    async def code_for(self, address: str, timeout: float = 10.0, skip: int = 0) -> str:
        def find() -> str | None:
            mails = self.to(address)
            if len(mails) <= skip:
                return None
            body = mails[-1].get_payload(decode=True).decode()  # type: ignore[union-attr]
            match = CODE.search(body)
            return match.group(1) if match else None

        return await _wait_for(find, timeout, f"a code mailed to {address}")


@dataclass
class SmsSink:
    """An HTTP server standing in for the SMS provider bridge: it records each POSTed SMS."""

    port: int = field(default_factory=free_port)
    messages: list[dict[str, str]] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    async def start(self) -> None:
        async def receive(request: Request) -> JSONResponse:
            self.messages.append(await request.json())
            return JSONResponse({"ok": True})

        app = Starlette(routes=[Route("/sms", receive, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", lifespan="off"))
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    def to(self, phone: str) -> list[dict[str, str]]:
        return [m for m in self.messages if m["to"] == phone]

    async def code_for(self, phone: str, timeout: float = 10.0, skip: int = 0, contains: str = "") -> str:
        def find() -> str | None:
            sms = [m for m in self.to(phone) if contains in m["text"]]
            if len(sms) <= skip:
                return None
            match = CODE.search(sms[-1]["text"])
            return match.group(1) if match else None

        return await _wait_for(find, timeout, f"an SMS code to {phone}")
