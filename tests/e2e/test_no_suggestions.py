"""No message hints at the schema: misspelled fields, arguments, types, enum values, input fields and
directives are refused without "Did you mean", over HTTP and over a websocket."""

from __future__ import annotations

import json

import pytest

from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.ws import WsClient

MISSPELLED: list[tuple[str, dict[str, object] | None]] = [
    ("{ mee { id } }", None),                                                      # field
    ("{ me { idd } }", None),                                                      # field on a type
    ('{ transfer(idd: "VHJhbnNmZXI6MQ==") { id } }', None),                        # argument
    ("query($x: Strin) { __typename }", None),                                      # type
    ("{ ...F } fragment F on Querry { __typename }", None),                         # type condition
    ('mutation { requestVerificationCode(input: {channel: SMSS, purpose: REGISTER, phone: "+8613900000000"}) '
     "{ __typename } }", None),                                                    # enum value
    ('mutation { login(input: {phon: "+8613900000000", password: "x"}) { __typename } }', None),  # input field
    ("{ __typename @skp(if: true) }", None),                                        # directive
    ("mutation($i: LoginInput!) { login(input: $i) { __typename } }",
     {"i": {"phon": "+8613900000000", "password": "x"}}),                          # input field, variables
    ("mutation($i: RequestVerificationCodeInput!) { requestVerificationCode(input: $i) { __typename } }",
     {"i": {"channel": "SMSS", "purpose": "REGISTER", "phone": "+8613900000000"}}),  # enum value, variables
]


@pytest.mark.parametrize(("query", "variables"), MISSPELLED)
async def test_no_suggestion_over_http(query: str, variables: dict[str, object] | None,
                                       client: GraphQLClient) -> None:
    body = (await client.post(query, variables)).json()
    assert body["errors"], body
    assert not [e for e in body["errors"] if "Did you mean" in e["message"]], body["errors"]


async def test_no_suggestion_over_a_websocket(server: RunningServer) -> None:
    ws = await WsClient.connect(server.ws_url, None)
    try:
        for query, variables in MISSPELLED:
            op = await ws.subscribe(query, variables)
            message = await ws.next(op)
            assert message["type"] in ("error", "next"), message
            assert "Did you mean" not in json.dumps(message), message
    finally:
        await ws.close()
