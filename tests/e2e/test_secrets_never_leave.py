"""Secrets never leave: requests carry unique secret values in every shape that used to echo them
(unknown input fields, coercion errors, syntax errors, malformed frames), and no response body,
websocket frame or log line (DEBUG and up) holds any of them."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import uuid

import pytest
import websockets

from tests.support import flows, leaks
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.ws import WsClient


def _digits(n: int) -> str:
    return str(random.randint(10 ** (n - 1), 10**n - 1))


def _quoted(value: str) -> re.Pattern[str]:
    """A short secret (a CVV, a code) as an echo would show it: quoted, or after a colon."""
    return re.compile(rf"""(['"]{value}['"]|:\s*{value}(?![0-9]))""")


async def test_no_secret_value_in_any_response_or_log_line(
        server: RunningServer, client: GraphQLClient, sms_sink: SmsSink, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []

    async def post(query: str, variables: dict[str, object] | None = None, c: GraphQLClient = client) -> None:
        bodies.append((await c.post(query, variables)).text)

    account = await wf.verified_account(client, sms_sink)
    wrong_password, number, cvv = f"pw-{uuid.uuid4().hex}", wf.fresh_visa(), _digits(3)
    pin = ""
    for _ in range(10):
        pin = _digits(6)
        if (await wf.set_pin(account, pin))["__typename"] == "PinSuccess":
            break
    document_number = flows.resident_id("19900101", _digits(3))
    step_up, code = _digits(6), _digits(6)
    long_secrets = [wrong_password, number, pin, document_number, step_up, account.token]
    leaks.watch(wrong_password, number, pin, document_number)

    phone = account.phone
    login = f'login(input: {{phone: "{phone}", password: "{wrong_password}"'
    card = f'number: "{number}", cvv: "{cvv}", expiryMonth: 12, expiryYear: 2031, holderName: "王小明", pin: "{pin}"'
    send = f'to: {{userId: "{account.user_id}"}}, amount: "1.00", pin: "{pin}", idempotencyKey: "k", ' \
           f'stepUpCode: "{step_up}"'
    card_cvv_int = card.replace(f'cvv: "{cvv}"', f"cvv: {cvv}")
    send_pin_int = send.replace(f'pin: "{pin}"', f"pin: {pin}")
    documents = [
        f"mutation {{ {login}}}) {{ __typename }} }}",                                   # wrong password
        f"mutation {{ {login}, foo: 1}}) {{ __typename }} }}",                           # unknown input field
        f'mutation {{ login(input: {{phone: "{phone}", password: {pin}}}) {{ __typename }} }}',  # Int for String
        f'mutation {{ login(input: {{phone: "{phone}", password: "{wrong_password}" "{pin}"}}) }}',  # syntax
        f"mutation {{ bindCard(input: {{{card}, foo: 1}}) {{ __typename }} }}",
        f"mutation {{ bindCard(input: {{{card_cvv_int}}}) {{ __typename }} }}",
        f"mutation {{ sendMoney(input: {{{send}, extra: true}}) {{ __typename }} }}",
        f"mutation {{ sendMoney(input: {{{send_pin_int}}}) {{ __typename }} }}",
        f'mutation {{ changePaymentPin(input: {{oldPin: {pin}, newPin: "{step_up}"}}) {{ __typename }} }}',
        f'mutation {{ submitIdentity(input: {{realName: "王小明", documentType: RESIDENT_ID, '
        f'documentNumber: "{document_number}", dateOfBirth: "1990-01-01", foo: 1}}) {{ __typename }} }}',
        f'mutation {{ verifyEmail(input: {{code: {code}}}) {{ __typename }} }}',
        f'mutation {{ resetPassword(input: {{phone: "{phone}", code: "{code}", newPassword: "{wrong_password}", '
        f"x: 1}}) {{ __typename }} }}",
    ]
    for document in documents:
        await post(document)
    variables_cases: list[tuple[str, dict[str, object]]] = [
        ("mutation($i: LoginInput!) { login(input: $i) { __typename } }",
         {"i": {"phone": phone, "password": wrong_password, "foo": 1}}),
        ("mutation($i: LoginInput!) { login(input: $i) { __typename } }", {"i": {"phone": phone, "password": 77}}),
        ("mutation($i: BindCardInput!) { bindCard(input: $i) { __typename } }",
         {"i": {"number": number, "cvv": cvv, "expiryMonth": 12, "expiryYear": 2031, "holderName": "x",
                "pin": pin, "foo": 1}}),
        ("mutation($i: BindCardInput!) { bindCard(input: $i) { __typename } }",
         {"i": {"number": int(number), "cvv": int(cvv), "expiryMonth": 12, "expiryYear": 2031, "holderName": "x",
                "pin": int(pin)}}),
        ("mutation($p: String!) { setPaymentPin(input: {pin: $p}) { __typename } }", {"p": int(pin)}),
        ("mutation($i: SendMoneyInput!) { sendMoney(input: $i) { __typename } }",
         {"i": {"to": {"userId": account.user_id}, "amount": 1, "pin": pin, "idempotencyKey": "k",
                "stepUpCode": int(step_up)}}),
    ]
    for query, variables in variables_cases:
        await post(query, variables)
    # a body that is not JSON, and one nested too deeply, with a PIN inside
    for raw in (f'{{"query": "{{ __typename }}", "variables": {{"pin": "{pin}"', '{"v": ' + "[" * 50 + f'"{pin}"'):
        response = await client.http.post(f"{client.base_url}/graphql", content=raw,
                                          headers={"content-type": "application/json"})
        bodies.append(response.text)

    # websocket: the token in connection_init, secrets in documents and in malformed frames
    ws = await WsClient.connect(server.ws_url, account.token)
    try:
        op = await ws.subscribe(f"mutation {{ bindCard(input: {{{card}, foo: 1}}) {{ __typename }} }}")
        bodies.append(json.dumps(await ws.next(op)))
    finally:
        await ws.close()
    for frame in (json.dumps({"type": "subscribe", "id": {"pin": pin}, "payload": {"query": "{ __typename }"}}),
                  f'{{"type": "subscribe", "pin": "{pin}"', json.dumps([pin, number])):
        async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as raw_ws:  # type: ignore[list-item]
            await raw_ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": account.token}}))
            bodies.append(str(await raw_ws.recv()))
            await raw_ws.send(frame)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(raw_ws.recv(), 2)
            assert closed.value.rcvd is not None
            bodies.append(closed.value.rcvd.reason)
    await asyncio.sleep(0.2)  # let the server finish logging

    lines = [logging.Formatter("%(name)s %(message)s").format(r) for r in caplog.records if leaks.server_side(r)]
    assert len(bodies) > 20
    for secret in long_secrets:
        assert not [b for b in bodies if secret in b and secret != account.token], secret
        assert not [line for line in lines if secret in line], secret
    for short in (cvv, code):
        assert not [b for b in bodies if _quoted(short).search(b)], short
        assert not [line for line in lines if _quoted(short).search(line)], short
    # the suggestions are gone too
    assert not [b for b in bodies if "Did you mean" in b]
