"""GraphiQL in a real browser with the network closed to everything but 127.0.0.1.

The scenario of a frontend developer's first minute on a machine without internet: a fresh
embedded database, `imwallet demo`, then the printed GraphiQL link in headless Chromium (Debian's
package, never a downloaded browser). The page must render from this server alone, sign in with
the demo token, run a query and a mutation typed into its editor, and show a payment receipt
arriving on a subscription. Screenshots of each step are kept in test-artifacts/browser/.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from app.settings import Settings
from tests.support import databases
from tests.support.browser import needs_chromium, offline_browser
from tests.support.client import GraphQLClient
from tests.support.embedded import EmbeddedServer, embedded_server, run_demo_command

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

pytestmark = [
    pytest.mark.skipif(databases.backend() == "postgres",
                       reason="the embedded-default scenario (SQLite, one process): runs in the sqlite pass"),
    needs_chromium,
]

ME = "query Me { me { displayName eventsCursor wallet { balance { amount currency } } } }"
PAY = """mutation Pay {
  payRequest(input: {requestId: "%s", pin: "385172", idempotencyKey: "browser-pay-1"}) {
    __typename
    ... on PayRequestSuccess { request { amount { amount } memo } }
    ... on Error { code message }
  }
}"""
RECEIPTS = """subscription Receipts {
  paymentReceipts(after: null) {
    cursor
    receipt { receiptKind amount { amount currency } balanceAfter { amount } counterpartyName memo }
  }
}"""
SEND_TO_ALICE = """mutation($input: SendMoneyInput!) {
  sendMoney(input: $input) { __typename ... on Error { code message } }
}"""


@pytest_asyncio.fixture
async def embedded(settings: Settings, tmp_path: Path) -> AsyncIterator[EmbeddedServer]:
    async with embedded_server(settings, tmp_path) as running:
        yield running


async def editor_run(page: Any, document: str) -> None:
    """Type a document into GraphiQL's query editor and press its run button."""
    await page.evaluate("doc => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(doc)",
                        document)
    # GraphiQL re-reads the operation name from the editor after a short debounce; clicking sooner
    # would send the previous document's operationName.
    await asyncio.sleep(0.6)
    await page.click(".graphiql-execute-button")


async def response_json(page: Any, predicate: str, timeout_s: float = 15.0) -> dict[str, Any]:
    """The response pane, parsed, once the JavaScript predicate on its text holds."""
    await page.wait_for_function(
        f"() => {{ const cm = document.querySelector('.graphiql-response .CodeMirror');"
        f" const text = cm ? cm.CodeMirror.getValue() : ''; return ({predicate}); }}",
        timeout=timeout_s * 1000)
    text = await page.evaluate("() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()")
    return json.loads(text)  # type: ignore[no-any-return]


async def test_graphiql_offline_signs_in_queries_mutates_and_receives_a_receipt(embedded: EmbeddedServer) -> None:
    server = embedded
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)

    # Given the demo data, made by the command a new developer runs
    demo = await run_demo_command(server)
    assert demo.seconds < 60, demo.seconds
    links, tokens, ids = re.findall(r"GraphiQL, signed in:\s+(\S+)", demo.output), demo.tokens, demo.ids
    assert len(links) == 2, demo.output
    assert links[0] == f"{server.base_url}/graphql#token={tokens[0]}"
    alice_link, bob_token = links[0], tokens[1]

    async with offline_browser() as browser:
        page = browser.page

        # When the developer opens Alice's link, GraphiQL renders with her token in the headers
        await page.goto(alice_link)
        await page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=20_000)
        assert page.url == f"{server.base_url}/graphql", "the token must leave the address bar"
        headers = await page.evaluate(
            "() => [...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')]"
            ".find(e => !e.classList.contains('hidden')).querySelector('.CodeMirror').CodeMirror.getValue()")
        assert json.loads(headers) == {"Authorization": f"Bearer {tokens[0]}"}
        await page.screenshot(path=str(ARTIFACTS / "1-rendered.png"))

        # its explorer plugin lists the schema's root fields (the schema came by introspection)
        await page.click("[aria-label='Show GraphiQL Explorer']")
        explorer = page.locator(".graphiql-plugin")
        await explorer.get_by_text("findUser").wait_for(timeout=10_000)
        await page.screenshot(path=str(ARTIFACTS / "1b-explorer.png"))
        await page.click("[aria-label='Hide GraphiQL Explorer']")

        # a query typed into the editor answers as Alice
        await editor_run(page, ME)
        me = (await response_json(page, "text.includes('displayName')"))["data"]["me"]
        await page.screenshot(path=str(ARTIFACTS / "2-query.png"))
        assert me["displayName"] == "Alice"
        assert me["wallet"]["balance"] == {"amount": "487.66", "currency": "CNY"}  # 500.00 top-up - 12.34 lunch
        assert me["eventsCursor"].isdigit()

        # a mutation pays Bob's request in the group
        await editor_run(page, PAY % ids["requestId"])
        paid = (await response_json(page, "text.includes('__typename')"))["data"]["payRequest"]
        await page.screenshot(path=str(ARTIFACTS / "3-mutation.png"))
        assert paid == {"__typename": "PayRequestSuccess",
                        "request": {"amount": {"amount": "25.00"}, "memo": "train tickets"}}

        # a subscription is started, and a payment from Bob arrives on it as a receipt
        await editor_run(page, RECEIPTS)
        await page.wait_for_function("() => document.querySelector('.graphiql-execute-button')"
                                     ".getAttribute('aria-label').toLowerCase().includes('stop')", timeout=10_000)
        await asyncio.sleep(0.5)  # the websocket's connection_init and subscribe are in flight
        await page.screenshot(path=str(ARTIFACTS / "4-subscribed.png"))
        bob = GraphQLClient(server.base_url, token=bob_token)
        try:
            sent = await bob.mutate("sendMoney", SEND_TO_ALICE, {"input": {
                "to": {"phone": "+8613800138000"}, "amount": "6.50", "memo": "coffee from the browser test",
                "pin": "274819", "idempotencyKey": "browser-coffee"}})
        finally:
            await bob.aclose()
        assert sent == {"__typename": "TransferSuccess"}
        event = (await response_json(page, "text.includes('coffee from the browser test')"))["data"]
        await page.screenshot(path=str(ARTIFACTS / "5-receipt.png"))
        assert event["paymentReceipts"]["receipt"] == {
            "receiptKind": "RECEIVED", "amount": {"amount": "6.50", "currency": "CNY"},
            "balanceAfter": {"amount": "469.16"},  # 487.66 - 25.00 + 6.50
            "counterpartyName": "Bob", "memo": "coffee from the browser test"}
        assert event["paymentReceipts"]["cursor"].isdigit()

    # Then nothing left the machine, the socket was this server's, and the page logged no error
    assert browser.blocked == []
    assert set(browser.sockets) == {server.ws_url}
    assert browser.problems == []
