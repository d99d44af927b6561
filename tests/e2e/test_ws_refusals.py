"""A refused websocket says why in its close reason (graphql-transport-ws allows a reason there)."""

from __future__ import annotations

import json

import pytest
import websockets

from tests.support.server import RunningServer


@pytest.mark.parametrize(("payload", "reason"), [
    ({"authToken": "not-a-token"}, "Forbidden: invalid or expired session"),
    ({"Authorization": "Bearer not-a-token"}, "Forbidden: invalid or expired session"),
    ({"authToken": 12345}, "Forbidden: authToken must be a string"),
])
async def test_refused_connection_init_closes_4403_with_its_reason(server: RunningServer, payload: object,
                                                                   reason: str) -> None:
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, reason)


async def test_anonymous_connection_is_acknowledged(server: RunningServer) -> None:
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack", "payload": None}
