"""Browsers on other origins: CORS preflights and websocket handshakes follow one origin policy."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
import websockets

from app.settings import Settings
from tests.support.server import RunningServer
from tests.support.worker_server import worker_server
from tests.support.ws import WsClient

VITE = "http://127.0.0.1:5173"
APP = "https://app.example.com"


def preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-device-name"}


@pytest_asyncio.fixture(scope="module")
async def production(settings: Settings) -> AsyncIterator[str]:
    """`imwallet serve` on the same database as production runs it, with two listed origins."""
    async with worker_server(settings, workers=1, IMWALLET_ENV="production", PASSWORD_HASH_PROFILE="default",
                             ALLOW_SANDBOX_CARDS_IN_PRODUCTION="true",
                             ALLOWED_ORIGINS=f"{APP}, https://admin.example.com") as base_url:
        yield base_url


async def test_development_answers_a_preflight_from_a_localhost_dev_server(server: RunningServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.options(f"{server.base_url}/graphql", headers=preflight(VITE))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == VITE
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
    allowed_headers = set(response.headers["access-control-allow-headers"].lower().split(", "))
    assert {"authorization", "content-type", "x-device-name"} <= allowed_headers
    assert "access-control-allow-credentials" not in response.headers  # bearer tokens, never cookies


async def test_development_lets_a_localhost_page_read_the_answer_and_its_request_id(server: RunningServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{server.base_url}/graphql", json={"query": "{ __typename }"},
                                   headers={"Origin": "http://localhost:3000"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert response.headers["access-control-expose-headers"] == "X-Request-Id"
    assert len(response.headers["x-request-id"]) == 32


async def test_development_refuses_a_preflight_from_a_foreign_origin(server: RunningServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.options(f"{server.base_url}/graphql", headers=preflight("https://evil.example"))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_production_allows_only_the_listed_origins(production: str) -> None:
    async with httpx.AsyncClient() as http:
        listed = await http.options(f"{production}/graphql", headers=preflight(APP))
        localhost = await http.options(f"{production}/graphql", headers=preflight(VITE))
        answer = await http.post(f"{production}/graphql", json={"query": "{ __typename }"},
                                 headers={"Origin": VITE})
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == APP
    assert localhost.status_code == 400
    assert "access-control-allow-origin" not in localhost.headers
    assert answer.status_code == 200  # the server answers; the browser withholds it from the page
    assert "access-control-allow-origin" not in answer.headers


def _ws(base_url: str) -> str:
    return base_url.replace("http", "ws", 1) + "/graphql"


async def _handshake_status(ws_url: str, origin: str) -> int:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                 origin=origin)  # type: ignore[arg-type]
    return refused.value.response.status_code


async def test_websockets_follow_the_same_list(server: RunningServer, production: str) -> None:
    for url, origin in ((server.ws_url, VITE), (server.ws_url, "http://localhost:8080"), (_ws(production), APP)):
        ws = await WsClient.connect(url, None, origin=origin)  # asserts connection_ack
        await ws.close()
    assert await _handshake_status(server.ws_url, "https://evil.example") == 403
    assert await _handshake_status(_ws(production), VITE) == 403
    assert await _handshake_status(_ws(production), "https://evil.example") == 403
