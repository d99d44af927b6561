"""graphql-transport-ws as this server speaks it: every operation re-checks the session, a revoked
session's sockets close in every process, and malformed frames close with 4400 instead of a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message

from app.identity import sessions
from app.runtime import Runtime
from schema.context import Context
from schema.json_limits import MAX_JSON_DEPTH, too_deep

log = logging.getLogger("imwallet.ws")

CLOSE_INVALID_MESSAGE = 4400
CLOSE_SESSION_ENDED = 4403
SESSION_ENDED_REASON = "session ended: sign in again"
MAX_OPERATION_ID_LENGTH = 128
MAX_TOKENS_TO_CLASSIFY = 10_000  # the schema's own token limit refuses long documents properly
SESSION_SWEPT = "session_swept"  # Context.extras key: SocketSessions re-checks this socket's session


def _invalid_frame(message: object) -> str | None:
    """Why a decoded frame breaks the protocol, or None if its shape is right."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "a message must be an object with a string `type`"
    if message["type"] == "connection_init":
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            return "`payload` of connection_init must be an object"
        return None
    if message["type"] in ("subscribe", "complete"):
        op_id = message.get("id")
        if not isinstance(op_id, str) or not 0 < len(op_id) <= MAX_OPERATION_ID_LENGTH:
            return "`id` must be a non-empty string"
    if message["type"] != "subscribe":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "`payload.query` must be a string"
    if not isinstance(payload.get("variables") or {}, dict):
        return "`payload.variables` must be an object"
    if not isinstance(payload.get("operationName") or "", str):
        return "`payload.operationName` must be a string"
    if not isinstance(payload.get("extensions") or {}, dict):
        return "`payload.extensions` must be an object"
    if too_deep(payload.get("variables"), MAX_JSON_DEPTH):
        return f"variables nest deeper than {MAX_JSON_DEPTH} levels"
    return None


@functools.lru_cache(maxsize=512)  # same documents as strawberry's parser cache: parsed once
def is_subscription(query: str, operation_name: str | None) -> bool:
    """Whether the operation to run is a subscription (False if the document does not parse)."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS_TO_CLASSIFY)
    except GraphQLError:
        return False  # strawberry's own parse reports it
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation == OperationType.SUBSCRIPTION


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """One socket. Registered with the process's SocketSessions once a signed-in init is acknowledged."""

    async def handle_message(self, message: Message) -> None:
        problem = _invalid_frame(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        session = self.context.session
        if self.connection_acknowledged and session is not None:
            sockets: SocketSessions = self.view.sockets  # type: ignore[attr-defined]
            sockets.add(self)
            # The sweep re-checks this socket's session for all its operations (one query per process
            # per round): its streams need no check of their own (subscriptions/stream.py).
            self.context.extras[SESSION_SWEPT] = True

    async def handle_subscribe(self, message: Any) -> None:
        session = self.context.session
        if self.connection_acknowledged and session is not None \
                and not await sessions.still_live(self.context.rt, session):
            await self.end_session()
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Queries and mutations get the request-time limit; subscriptions live as long as the socket."""
        if is_subscription(operation.query, operation.operation_name):
            await super().run_operation(operation)
            return
        try:
            async with asyncio.timeout(self.context.rt.settings.request_timeout_seconds):
                await super().run_operation(operation)
        except TimeoutError:
            error = GraphQLError("The request took too long and was stopped; retry.",
                                 extensions={"code": "REQUEST_TIMEOUT"})
            with contextlib.suppress(Exception):
                await operation.send_operation_message(
                    {"id": operation.id, "type": "error", "payload": [error.formatted]})
            self.operations.pop(operation.id, None)

    async def end_session(self) -> None:
        """Tell each running operation why it ends, then close the socket."""
        error = GraphQLError("The session was signed out or expired.", extensions={"code": "SESSION_ENDED"})
        with contextlib.suppress(Exception):
            for op_id in list(self.operations):
                await self.send_message({"id": op_id, "type": "next",
                                         "payload": {"data": None, "errors": [error.formatted]}})
            await self.websocket.close(code=CLOSE_SESSION_ENDED, reason=SESSION_ENDED_REASON)

    async def shutdown(self) -> None:
        sockets: SocketSessions = self.view.sockets  # type: ignore[attr-defined]
        sockets.discard(self)
        await super().shutdown()


class SocketSessions:
    """This process's signed-in sockets by user. Closes those whose session ended: at once on a
    revocation notice from the bus, and on a periodic sweep that bounds the window if the bus is down."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._by_user: dict[int, set[TransportWSHandler]] = {}
        self._task: asyncio.Task[None] | None = None
        self._checks: set[asyncio.Task[None]] = set()

    def add(self, handler: TransportWSHandler) -> None:
        assert handler.context.session is not None
        self._by_user.setdefault(handler.context.session.user_id, set()).add(handler)

    def discard(self, handler: TransportWSHandler) -> None:
        session = handler.context.session
        if session is None:
            return
        handlers = self._by_user.get(session.user_id)
        if handlers is not None:
            handlers.discard(handler)
            if not handlers:
                del self._by_user[session.user_id]

    @property
    def count(self) -> int:
        return sum(len(h) for h in self._by_user.values())

    # SessionListener (subscriptions/bus.py)
    def sessions_ended(self, user_id: int) -> None:
        self.rt.session_cache.forget_user(user_id)
        handlers = list(self._by_user.get(user_id, ()))
        if handlers:
            self._spawn(self._close_dead(handlers))

    def bus_down(self) -> None:
        self.rt.session_cache.bus_down()

    def bus_up(self) -> None:
        self.rt.session_cache.bus_up()
        self._spawn(self._close_dead([h for hs in self._by_user.values() for h in hs]))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _close_dead(self, handlers: list[TransportWSHandler]) -> None:
        ids = [h.context.session.id for h in handlers if h.context.session is not None]
        try:
            live = await sessions.live_among(ids, self.rt.clock.now())
        except Exception as exc:  # the database is away: the next sweep tries again
            log.warning("session sweep failed (%s)", type(exc).__name__)
            return
        for handler in handlers:
            if handler.context.session is not None and handler.context.session.id not in live:
                await handler.end_session()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._sweep(), name="ws-session-sweep")

    async def stop(self) -> None:
        for task in [self._task, *self._checks]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.rt.settings.session_recheck_seconds)
            await self._close_dead([h for hs in self._by_user.values() for h in hs])
