"""A web app on another localhost origin (a dev server on its own port) uses the API from a browser.

In development the API allows loopback origins on any port: the page's `fetch` passes CORS
(preflight included, since it sends Authorization and JSON) and its websocket passes the origin
check. Headless Chromium (Debian's), with every non-loopback host unreachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support import chat, flows
from tests.support.browser import needs_chromium, offline_browser
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink, free_port

pytestmark = needs_chromium

PAGE = """<!doctype html><meta charset="utf-8"><title>a frontend on its own origin</title>
<script>
window.events = [];
window.run = async (api, token) => {
  const response = await fetch(api + "/graphql", {method: "POST",
    headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
    body: JSON.stringify({query: "{ me { displayName } }"})});
  window.me = await response.json();
  const ws = new WebSocket(api.replace("http", "ws") + "/graphql", "graphql-transport-ws");
  ws.onopen = () => ws.send(JSON.stringify({type: "connection_init", payload: {authToken: token}}));
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type === "connection_ack") {
      ws.send(JSON.stringify({id: "1", type: "subscribe", payload: {query:
        "subscription { messages { ... on MessageEvent { change message { text } } } }"}}));
      window.subscribed = true;
    }
    if (msg.type === "next") window.events.push(msg.payload.data.messages);
  };
  ws.onclose = (e) => { window.closed = e.code + " " + e.reason; };
};
</script>"""


@pytest_asyncio.fixture
async def frontend_origin() -> AsyncIterator[str]:
    """A second origin: a tiny dev server that serves the page and nothing else."""
    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/", page)]), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://localhost:{port}"
    server.should_exit = True
    await task


async def test_a_page_on_another_localhost_origin_calls_the_api_and_subscribes(
        server: RunningServer, frontend_origin: str, new_client: object, sms_sink: SmsSink) -> None:
    # Given two users with a conversation
    alice = await flows.register(new_client(), sms_sink, name="Alice")  # type: ignore[operator]
    bob = await flows.register(new_client(), sms_sink, name="Bob")  # type: ignore[operator]
    conversation = await chat.start(bob, alice)

    async with offline_browser() as browser:
        page = browser.page
        # When Alice's web app, served from its own origin, calls the API and opens a websocket
        await page.goto(frontend_origin + "/")
        await page.evaluate("([api, token]) => window.run(api, token)", [server.base_url, alice.token])
        await page.wait_for_function("() => window.subscribed === true", timeout=10_000)
        await asyncio.sleep(0.3)  # the subscription attaches to the bus
        await chat.send(bob, conversation["id"], "hello from another origin")
        await page.wait_for_function("() => window.events.length > 0", timeout=10_000)

        # Then the fetch passed CORS (a refused one rejects in the page), and the message arrived
        assert await page.evaluate("() => window.me") == {"data": {"me": {"displayName": "Alice"}}}
        assert await page.evaluate("() => window.events") == [
            {"change": "ADDED", "message": {"text": "hello from another origin"}}]
        assert await page.evaluate("() => window.closed || null") is None

    assert browser.blocked == []
    assert browser.sockets == [server.ws_url]
    assert browser.problems == []


async def test_the_preflight_grants_localhost_origins_and_nothing_else(server: RunningServer) -> None:
    http = GraphQLClient(server.base_url)
    try:
        answers = {origin: await http.http.options(f"{server.base_url}/graphql", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
            for origin in ["http://localhost:5173", "https://evil.example"]}
    finally:
        await http.aclose()
    assert answers["http://localhost:5173"].headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "access-control-allow-origin" not in answers["https://evil.example"].headers
