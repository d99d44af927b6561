"""Input limits: nesting of JSON, numbers where a Decimal string belongs, ids beyond 64 bits,
subscriptions over HTTP, and the request-time limit. Each is a typed refusal, never a 500 or a
masked INTERNAL_SERVER_ERROR."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator

import pytest

from tests.support import chat, flows
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.ws import WsClient

GQL_JSON = "application/graphql-response+json"
HUGE = "9999999999999999999"  # 19 digits, beyond PostgreSQL's bigint


def gid(type_name: str, raw: str) -> str:
    return base64.b64encode(f"{type_name}:{raw}".encode()).decode()


def codes(body: dict[str, object]) -> list[object]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]  # type: ignore[attr-defined]


@pytest.mark.parametrize("depth", [33, 400, 5000])
async def test_deeply_nested_variables_are_a_typed_400(depth: int, client: GraphQLClient) -> None:
    body = '{"query": "query($v: String) { __typename }", "variables": {"v": ' + "[" * depth + "]" * depth + "}}"
    response = await client.http.post(f"{client.base_url}/graphql", content=body,
                                      headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "JSON nested deeper than 32 levels is refused.",
                                           "extensions": {"code": "JSON_TOO_DEEP"}}]}
    # the connection is still good
    assert (await client.http.get(f"{client.base_url}/healthz")).status_code == 200


async def test_deep_variables_in_a_get_query_string_are_a_typed_400(client: GraphQLClient) -> None:
    response = await client.http.get(f"{client.base_url}/graphql", params={
        "query": "{ __typename }", "variables": "[" * 100 + "]" * 100})
    assert response.status_code == 400
    assert codes(response.json()) == ["JSON_TOO_DEEP"]


async def test_nesting_within_the_limit_still_works(client: GraphQLClient) -> None:
    nested: object = "x"
    for _ in range(30):
        nested = [nested]
    response = await client.post("query($w: ID!) { node(id: $w) { id } }",
                                 {"w": gid("Transfer", "1"), "unused": nested})
    assert response.json() == {"data": {"node": None}}


@pytest.mark.parametrize("literal", ["100", "1.5"])
async def test_a_number_literal_for_a_decimal_is_a_clear_validation_error(
        literal: str, client: GraphQLClient, sms_sink: SmsSink) -> None:
    payer = await wf.wallet_user(client, sms_sink)
    documents = [
        f'mutation {{ sendMoney(input: {{to: {{userId: "{payer.user_id}"}}, amount: {literal}, pin: "135792", '
        f'idempotencyKey: "k"}}) {{ __typename }} }}',
        f'mutation {{ topUp(input: {{cardId: "{gid("Card", "1")}", amount: {literal}, pin: "135792", '
        f'idempotencyKey: "k"}}) {{ __typename }} }}',
        f'mutation {{ withdraw(input: {{cardId: "{gid("Card", "1")}", amount: {literal}, pin: "135792", '
        f'idempotencyKey: "k"}}) {{ __typename }} }}',
        f'mutation {{ requestMoney(input: {{conversationId: "{gid("Conversation", "1")}", amount: {literal}}}) '
        f"{{ __typename }} }}",
    ]
    snapshot = await wf.ledger_snapshot()
    for document in documents:
        body = (await payer.client.post(document)).json()
        assert body["data"] is None, document
        messages = [e["message"] for e in body["errors"]]
        assert any('A Decimal is written as a string such as "12.34", never as a number.' in m
                   for m in messages), messages
        assert "INTERNAL_SERVER_ERROR" not in codes(body)
    as_variable = await payer.client.post("mutation($i: SendMoneyInput!) { sendMoney(input: $i) { __typename } }",
                                          {"i": {**wf.send_input(to_user=payer.user_id, amount="1")["input"],
                                                 "amount": 100}})
    assert "INTERNAL_SERVER_ERROR" not in codes(as_variable.json())
    assert "never as a number" in as_variable.json()["errors"][0]["message"]
    assert await wf.ledger_snapshot() == snapshot


async def test_ids_and_cursors_beyond_64_bits_are_missing_or_invalid(
        client: GraphQLClient, new_client: object, sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(client, sms_sink, "10.00")
    bob = await flows.register(new_client(), sms_sink, name="Bob")  # type: ignore[operator]
    await chat.start(alice.account, bob)
    c = alice.client
    assert await c.gql("query($id: ID!) { transfer(id: $id) { id } }", {"id": gid("Transfer", HUGE)}) == {
        "transfer": None}
    assert await c.gql("query($id: ID!) { conversation(id: $id) { id } }", {"id": gid("Conversation", HUGE)}) == {
        "conversation": None}
    for type_name in ("Transfer", "Conversation", "Message", "User", "Card", "PaymentRequest", "SessionInfo"):
        assert await c.gql("query($id: ID!) { node(id: $id) { id } }", {"id": gid(type_name, HUGE)}) == {
            "node": None}, type_name
    sent = await c.mutate("sendMoney", wf.SEND_MONEY, wf.send_input(to_user=gid("User", HUGE), amount="1.00"))
    assert sent["__typename"] == "NotFoundError"
    for kind in ("i", "m", "a"):
        raw = f"{kind}:{HUGE}" if kind != "a" else f"a:2026-01-01T00:00:00+00:00|{HUGE}"
        cursor = base64.urlsafe_b64encode(raw.encode()).decode()
        for query in ("query($c: String) { conversations(after: $c) { edges { cursor } } }",
                      "query($c: String) { wallet { transactions(after: $c) { edges { cursor } } } }"):
            body = (await c.post(query, {"c": cursor})).json()
            assert "INTERNAL_SERVER_ERROR" not in codes(body), (query, body)
            assert body["data"] is None or all(v is None for v in body["data"].values()), body
            assert body["errors"][0]["message"].endswith("is not a cursor this list gave out"), body


async def test_a_subscription_over_http_post_is_a_400(client: GraphQLClient) -> None:
    response = await client.http.post(f"{client.base_url}/graphql",
                                      json={"query": "subscription { events { __typename } }"},
                                      headers={"accept": GQL_JSON})
    assert response.status_code == 400
    assert codes(response.json()) == ["SUBSCRIPTION_OVER_HTTP"]
    legacy = await client.post("subscription S { paymentReceipts { __typename } }")
    assert legacy.status_code == 400
    assert codes(legacy.json()) == ["SUBSCRIPTION_OVER_HTTP"]


@contextlib.contextmanager
def request_time_limit(server: RunningServer, seconds: float) -> Iterator[None]:
    """The shared server with another request-time limit (read per request), restored after."""
    rt = server.runtime
    before = rt.settings
    rt.settings = before.model_copy(update={"request_timeout_seconds": seconds})
    try:
        yield
    finally:
        rt.settings = before


async def test_the_request_time_limit_ends_an_operation_that_runs_too_long(
        server: RunningServer, client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    query = "query($id: ID!) { node(id: $id) { id } }"
    variables = {"id": gid("Transfer", "1")}
    ws = await WsClient.connect(server.ws_url, account.token)
    try:
        with request_time_limit(server, 0.0):
            response = await client.http.post(f"{client.base_url}/graphql", headers={
                "accept": GQL_JSON, "authorization": f"Bearer {account.token}"},
                json={"query": query, "variables": variables})
            assert response.status_code == 503
            assert response.json() == {"errors": [{"message": "The request took too long and was stopped; retry.",
                                                   "extensions": {"code": "REQUEST_TIMEOUT"}}]}
            op = await ws.subscribe(query, variables)
            assert await ws.next(op) == {"id": op, "type": "error", "payload": [
                {"message": "The request took too long and was stopped; retry.",
                 "extensions": {"code": "REQUEST_TIMEOUT"}}]}
        assert await client.gql(query, variables) == {"node": None}
    finally:
        await ws.close()
