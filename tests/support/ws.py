"""A graphql-transport-ws client, as a frontend would use one: token in connection_init."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import defaultdict
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from tests.support import leaks

_ids = itertools.count(1)

RECEIPT_FIELDS = """__typename cursor at receipt { receiptKind transferId amount { amount currency }
  balanceAfter { amount } counterpartyId counterpartyName memo state }"""

EVENT_FIELDS = """
  __typename cursor at
  ... on MessageEvent { change conversationId message { id kind text recalled editedAt
      author { id displayName } transfer { transferId amount { amount currency } memo state } } }
  ... on ReadEvent { conversationId userId lastReadMessageId }
  ... on TypingEvent { conversationId typing user { id displayName } expiresAt }
  ... on PaymentReceiptEvent { receipt { receiptKind transferId amount { amount currency }
      balanceAfter { amount } counterpartyId counterpartyName memo state } }
  ... on TransferStateEvent { transferId state }
  ... on MembershipEvent { conversationId }
  ... on RequestEvent { conversationId request { id state } }
"""


class WsClient:
    """One websocket; several subscriptions on it, each with its own inbox."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.inbox: dict[str, asyncio.Queue[dict[str, Any]]] = defaultdict(asyncio.Queue)
        self.closed: asyncio.Future[websockets.ConnectionClosed] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, token: str | None, **kwargs: Any) -> WsClient:
        ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"], **kwargs)  # type: ignore[list-item]
        payload = {"authToken": token} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["type"] == "connection_ack", ack
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                leaks.scan("websocket", str(raw))
                msg = json.loads(raw)
                if "id" in msg:
                    await self.inbox[msg["id"]].put(msg)
        except websockets.ConnectionClosed as exc:
            self.closed.set_result(exc)
            return
        if not self.closed.done():
            self.closed.set_result(websockets.ConnectionClosed(None, None))

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op = str(next(_ids))
        await self.ws.send(json.dumps({"type": "subscribe", "id": op,
                                       "payload": {"query": query, "variables": variables or {}}}))
        return op

    async def subscribe_events(self, after: str | None = None, field: str = "events",
                               conversation_id: str | None = None) -> str:
        args = ["after: $after"]
        params = ["$after: String"]
        if conversation_id is not None:
            args.append("conversationId: $cid")
            params.append("$cid: ID")
        fields = RECEIPT_FIELDS if field == "paymentReceipts" else EVENT_FIELDS
        query = f"subscription({', '.join(params)}) {{ {field}({', '.join(args)}) {{ {fields} }} }}"
        op = await self.subscribe(query, {"after": after, "cid": conversation_id})
        await asyncio.sleep(0.3)  # let the server attach to the bus before the test produces events
        return op

    async def next(self, op: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next message of an operation (`next`, `error` or `complete`)."""
        return await asyncio.wait_for(self.inbox[op].get(), timeout)

    async def take(self, op: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Exactly `count` events' data (first field of each `next` payload), in arrival order."""
        got: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(got) < count:
            msg = await self.next(op, max(0.01, deadline - asyncio.get_running_loop().time()))
            assert msg["type"] == "next", msg
            assert "errors" not in msg["payload"], msg
            got.append(next(iter(msg["payload"]["data"].values())))
        return got

    async def quiet(self, op: str, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Whatever arrives for an operation within `seconds` (usually asserted empty)."""
        got = []
        try:
            while True:
                got.append(await self.next(op, seconds))
        except TimeoutError:
            return got

    async def complete(self, op: str) -> None:
        await self.ws.send(json.dumps({"type": "complete", "id": op}))

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
