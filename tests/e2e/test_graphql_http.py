"""GraphQL over HTTP at /graphql: media types, GET, GraphiQL, websockets, and refusals before execution."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest
import websockets
from tortoise import Tortoise

from tests.support import flows
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink

GQL_JSON = "application/graphql-response+json"


@pytest.fixture
def url(server: RunningServer) -> str:
    return f"{server.base_url}/graphql"


async def test_post_query_answers_in_the_legacy_media_type(client: GraphQLClient, url: str) -> None:
    response = await client.http.post(url, json={"query": "{ __typename }"}, headers={"accept": "application/json"})
    assert (response.status_code, response.headers["content-type"]) == (200, "application/json")
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_post_query_answers_in_graphql_response_json_when_asked(client: GraphQLClient, url: str) -> None:
    response = await client.http.post(url, json={"query": "{ __typename }"},
                                      headers={"accept": f"{GQL_JSON}, application/json;q=0.9"})
    assert (response.status_code, response.headers["content-type"]) == (200, GQL_JSON)
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(("query", "message"), [
    ("{ me ", "Syntax Error: Expected Name, found <EOF>."),
    ("{ nope }", "Cannot query field 'nope' on type 'Query'."),
])
async def test_request_errors_are_400_without_data_for_graphql_response_json(
        client: GraphQLClient, url: str, query: str, message: str) -> None:
    response = await client.http.post(url, json={"query": query}, headers={"accept": GQL_JSON})
    assert (response.status_code, response.headers["content-type"]) == (400, GQL_JSON)
    body = response.json()
    assert "data" not in body
    assert [e["message"] for e in body["errors"]] == [message]


@pytest.mark.parametrize("query", ["{ me ", "{ nope }"])
async def test_request_errors_are_200_with_null_data_for_legacy_json(
        client: GraphQLClient, url: str, query: str) -> None:
    response = await client.http.post(url, json={"query": query}, headers={"accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert len(body["errors"]) == 1


async def test_variable_of_the_wrong_type_is_a_request_error(client: GraphQLClient, url: str) -> None:
    query = "mutation($i: LoginInput!) { login(input: $i) { __typename } }"
    response = await client.http.post(url, json={"query": query, "variables": {"i": {"phone": 5, "password": 7}}},
                                      headers={"accept": GQL_JSON})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Variable '$i' has invalid value at .phone")


async def test_get_runs_queries(client: GraphQLClient, url: str) -> None:
    response = await client.http.get(url, params={"query": "query Q($x: String!) { findUser(phone: $x) { id } }",
                                                  "variables": json.dumps({"x": "13800138000"})})
    assert response.status_code == 200
    assert response.json() == {"data": {"findUser": None}}


@pytest.mark.parametrize("accept", ["application/json", GQL_JSON])
async def test_get_refuses_mutations_with_405(client: GraphQLClient, url: str, accept: str) -> None:
    from models import Session

    sessions_before = await Session.all().count()
    response = await client.http.get(url, params={"query": 'mutation { login(input: {phone: "13800138000", '
                                                           'password: "whatever1"}) { __typename } }'},
                                     headers={"accept": accept})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == accept
    assert response.json() == {"errors": [{"message": "Mutations must be sent with POST.",
                                           "extensions": {"code": "METHOD_NOT_ALLOWED"}}]}
    assert await Session.all().count() == sessions_before


async def test_browser_gets_graphiql(client: GraphQLClient, url: str) -> None:
    response = await client.http.get(url, headers={"accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_websocket_graphql_transport_ws_runs_a_query(server: RunningServer) -> None:
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "graphql-transport-ws"
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack", "payload": None}
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }"}}))
        assert json.loads(await ws.recv()) == {"type": "next", "id": "1", "payload": {"data": {"__typename": "Query"}}}
        assert json.loads(await ws.recv()) == {"type": "complete", "id": "1"}


async def test_websocket_refuses_the_legacy_protocol(server: RunningServer) -> None:
    async with websockets.connect(server.ws_url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4406


async def test_websocket_with_a_bad_token_is_closed_4403(server: RunningServer) -> None:
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": "not-a-token"}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_health_and_readiness(client: GraphQLClient, server: RunningServer) -> None:
    healthz = await client.http.get(f"{server.base_url}/healthz")
    readyz = await client.http.get(f"{server.base_url}/readyz")
    assert (healthz.status_code, healthz.json()) == (200, {"status": "ok"})
    assert (readyz.status_code, readyz.json()) == (200, {"status": "ready"})


# --- refusals before execution -------------------------------------------------------------------

async def test_body_over_64_kib_is_413(client: GraphQLClient, url: str) -> None:
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 65_536}})
    response = await client.http.post(url, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": "Request body larger than 65536 bytes.",
                                           "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}


async def test_chunked_body_over_64_kib_is_413_too(client: GraphQLClient, url: str) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"query": "{ __typename }", "variables": {"pad": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}}'

    response = await client.http.post(url, content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_body_just_under_the_limit_is_served(client: GraphQLClient, url: str) -> None:
    head = '{"query": "{ __typename }", "variables": {"pad": "'
    body = head + "x" * (65_536 - len(head) - 3) + '"}}'
    assert len(body.encode()) == 65_536
    response = await client.http.post(url, content=body, headers={"content-type": "application/json"})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_batched_array_body_is_refused(client: GraphQLClient, url: str) -> None:
    response = await client.http.post(url, json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BATCHING_NOT_SUPPORTED"}


@pytest.mark.parametrize("raw", [b'"{ __typename }"', b"5", b"null", b"{bad json", b'{"query": "\xff"}'])
async def test_body_that_is_not_a_json_object_is_400_not_500(client: GraphQLClient, url: str, raw: bytes) -> None:
    response = await client.http.post(url, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


async def test_form_posts_are_refused(client: GraphQLClient, url: str) -> None:
    # A urlencoded form is a CSRF vector: a browser sends it cross-site without a preflight.
    response = await client.http.post(url, data={"query": "{ __typename }"})
    assert response.status_code == 400


def _nested(depth: int) -> str:
    return "{ me " + "{ identity " * (depth - 1) + "{ id }" + " }" * (depth - 1) + " }"


async def test_depth_limit(client: GraphQLClient, url: str) -> None:
    response = await client.http.post(url, json={"query": _nested(11)})
    messages = [e["message"] for e in response.json()["errors"]]
    assert "'anonymous' exceeds maximum operation depth of 10" in messages


async def test_alias_limit(client: GraphQLClient, url: str) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(16)) + " }"
    response = await client.http.post(url, json={"query": query}, headers={"accept": GQL_JSON})
    assert response.status_code == 400
    assert [e["message"] for e in response.json()["errors"]] == ["16 aliases found. Allowed: 15"]
    ok = "{ " + " ".join(f"a{i}: __typename" for i in range(15)) + " }"
    assert (await client.http.post(url, json={"query": ok})).json()["data"]["a14"] == "Query"


async def test_aliases_through_repeated_fragment_spreads_are_counted(client: GraphQLClient, url: str) -> None:
    fragment = "fragment F on Query { " + " ".join(f"a{i}: __typename" for i in range(4)) + " }"
    query = "{ ...F ...F ...F ...F } " + fragment
    response = await client.http.post(url, json={"query": query}, headers={"accept": GQL_JSON})
    assert response.status_code == 400
    assert [e["message"] for e in response.json()["errors"]] == ["16 aliases found. Allowed: 15"]


async def test_token_limit(client: GraphQLClient, url: str) -> None:
    query = "{ " + "__typename " * 2000 + "}"
    response = await client.http.post(url, json={"query": query}, headers={"accept": GQL_JSON})
    assert response.status_code == 400
    assert [e["message"] for e in response.json()["errors"]] == [
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."]


async def test_field_suggestions_are_hidden(client: GraphQLClient, url: str) -> None:
    response = await client.http.post(url, json={"query": "{ mee { id } }"})
    assert [e["message"] for e in response.json()["errors"]] == ["Cannot query field 'mee' on type 'Query'."]


async def test_an_http_client_without_accept_gets_json(url: str) -> None:
    async with httpx.AsyncClient() as bare:
        response = await bare.post(url, json={"query": "{ __typename }"}, headers={"accept": ""})
    assert response.headers["content-type"] == "application/json"


async def test_a_database_fault_is_masked_with_a_reference_the_log_carries(
        client: GraphQLClient, sms_sink: SmsSink, caplog: pytest.LogCaptureFixture) -> None:
    await flows.register(client, sms_sink)
    db = Tortoise.get_connection("default")
    # A real fault, for one query: the table a resolver reads is briefly missing.
    await db.execute_script("ALTER TABLE identities RENAME TO identities_away")
    try:
        with caplog.at_level(logging.ERROR, logger="imwallet.graphql"):
            response = await client.post("{ me { displayName identity { documentType } } }")
    finally:
        await db.execute_script("ALTER TABLE identities_away RENAME TO identities")
    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"me": {"displayName": "Alice", "identity": None}}
    [error] = body["errors"]
    match = re.fullmatch(r"Unexpected error\. Quote reference ([0-9a-f]{32}) to support\.", error["message"])
    assert match, error
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "reference": match.group(1)}
    assert response.headers["x-request-id"] == match.group(1)  # the request id, also on every log line
    assert "identities" not in json.dumps(body)
    logged = [r for r in caplog.records if r.name == "imwallet.graphql" and match.group(1) in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert "identities" in str(logged[0].exc_info[1])
    assert (await client.gql("{ me { identity { documentType } } }")) == {"me": {"identity": None}}
