"""A revoked session dies everywhere at once: its sockets close (4403) in every process within 1 s,
every operation over a socket re-checks the session, and a periodic sweep bounds the window when
the revocation notice is lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import websockets

from models import Session
from tests.e2e.test_realtime_processes import app_process
from tests.support import flows
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.ws import WsClient

MakeClient = Callable[..., GraphQLClient]

LOGOUT = "mutation { logout { __typename ... on Error { code } } }"
LOGOUT_EVERYWHERE = "mutation { logoutEverywhere { __typename ... on Error { code } } }"
REVOKE = """mutation($id: ID!) { revokeSession(input: {sessionId: $id}) { __typename ... on Error { code } } }"""
RESET_PASSWORD = """mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { __typename } }"""
SESSIONS = "{ me { sessions { id current } } }"


async def closed_within(ws: WsClient, seconds: float) -> websockets.ConnectionClosed:
    started = time.monotonic()
    closed = await asyncio.wait_for(asyncio.shield(ws.closed), seconds)
    assert time.monotonic() - started < seconds
    return closed


def assert_session_ended(closed: websockets.ConnectionClosed) -> None:
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4403, "session ended: sign in again")


async def _second_login(new_client: MakeClient, account: flows.Account) -> GraphQLClient:
    other = new_client()
    result = await other.mutate("login", flows.LOGIN, {"input": {"phone": account.phone,
                                                                 "password": flows.PASSWORD}})
    other.token = result["token"]
    return other


async def _revoke_by_logout(account: flows.Account, **_: Any) -> None:
    assert await account.client.mutate("logout", LOGOUT) == {"__typename": "Done"}


async def _revoke_everywhere(account: flows.Account, new_client: MakeClient, **_: Any) -> None:
    other = await _second_login(new_client, account)
    assert await other.mutate("logoutEverywhere", LOGOUT_EVERYWHERE) == {"__typename": "Done"}


async def _revoke_one(account: flows.Account, new_client: MakeClient, **_: Any) -> None:
    other = await _second_login(new_client, account)
    listed = (await other.gql(SESSIONS))["me"]["sessions"]
    (target,) = [s["id"] for s in listed if not s["current"]]
    assert await other.mutate("revokeSession", REVOKE, {"id": target}) == {"__typename": "Done"}


async def _reset_password(account: flows.Account, new_client: MakeClient, sms_sink: SmsSink,
                          server: RunningServer) -> None:
    await server.runtime.limiter.clear(f"code-dest-min:{account.phone}", 1, server.settings.code_resend_seconds)
    stranger = new_client()
    code = await flows.request_sms_code(stranger, sms_sink, account.phone, "RESET_PASSWORD")
    done = await stranger.mutate("resetPassword", RESET_PASSWORD, {"input": {
        "phone": account.phone, "code": code, "newPassword": "a brand new secret"}})
    assert done == {"__typename": "Done"}


async def _reset_pin(account: flows.Account, new_client: MakeClient, sms_sink: SmsSink,
                     server: RunningServer) -> None:
    other = await _second_login(new_client, account)
    await server.runtime.limiter.clear(f"code-dest-min:{account.phone}", 1, server.settings.code_resend_seconds)
    code = await flows.request_sms_code(other, sms_sink, account.phone, "RESET_PIN")
    reset = await other.mutate("resetPaymentPin", wf.RESET_PIN, {"input": {
        "code": code, "documentNumber": account.document_number, "newPin": wf.OTHER_PIN}})  # type: ignore[attr-defined]
    assert reset == {"__typename": "PinSuccess"}


Revocation = Callable[..., Awaitable[None]]


async def _pin_holder(client: GraphQLClient, sms_sink: SmsSink) -> flows.Account:
    account = await flows.register(client, sms_sink)
    birth = wf.unique_birth()
    result = await flows.verify_identity(account, real_name=wf.REAL_NAME, birth=birth, seq="517")
    assert result["__typename"] == "IdentitySuccess", result
    assert (await wf.set_pin(account))["__typename"] == "PinSuccess"
    account.document_number = flows.resident_id(birth, "517")  # type: ignore[attr-defined]
    return account


@pytest.mark.parametrize("revoke", [_revoke_by_logout, _revoke_everywhere, _revoke_one, _reset_password,
                                    _reset_pin], ids=["logout", "logoutEverywhere", "revokeSession",
                                                      "resetPassword", "resetPaymentPin"])
async def test_every_revocation_closes_the_sessions_sockets_within_a_second(
        revoke: Revocation, server: RunningServer, client: GraphQLClient, new_client: MakeClient,
        sms_sink: SmsSink) -> None:
    account = await _pin_holder(client, sms_sink)
    ws = await WsClient.connect(server.ws_url, account.token)
    bystander_account = await flows.register(new_client(), sms_sink, name="Bob")
    bystander = await WsClient.connect(server.ws_url, bystander_account.token)
    try:
        await revoke(account, new_client=new_client, sms_sink=sms_sink, server=server)
        assert_session_ended(await closed_within(ws, 1.0))
        assert (await client.gql("{ me { id } }")) == {"me": None}
        assert not bystander.closed.done()  # other users' sockets stay open
    finally:
        await ws.close()
        await bystander.close()


async def test_a_revoked_session_cannot_pay_over_a_socket_that_missed_the_notice(
        server: RunningServer, client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink) -> None:
    payer = await wf.funded_user(client, sms_sink, "50.00")
    payee = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    ws = await WsClient.connect(server.ws_url, payer.account.token)
    try:
        # the socket works while the session lives
        op = await ws.subscribe("{ me { id } }")
        assert (await ws.next(op))["payload"] == {"data": {"me": {"id": payer.user_id}}}
        # revoked behind the process's back: no notice reaches it, its cache is cold
        await Session.filter(user_id=wf.db_id(payer.user_id)).update(revoked_at=server.runtime.clock.now())
        server.runtime.session_cache.forget_user(wf.db_id(payer.user_id))
        snapshot = await wf.ledger_snapshot()
        await ws.subscribe(wf.SEND_MONEY, wf.send_input(to_user=payee.user_id, amount="10.00"))
        assert_session_ended(await closed_within(ws, 1.0))
        assert await wf.ledger_snapshot() == snapshot
        assert await wf.balance(payee) == "0.00"
    finally:
        await ws.close()


async def test_the_periodic_recheck_closes_a_socket_whose_revocation_notice_was_lost(
        server: RunningServer, client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    ws = await WsClient.connect(server.ws_url, account.token)
    try:
        await Session.filter(user_id=wf.db_id(account.user_id)).update(revoked_at=server.runtime.clock.now())
        server.runtime.session_cache.forget_user(wf.db_id(account.user_id))
        assert_session_ended(await closed_within(ws, server.settings.session_recheck_seconds + 1.0))
    finally:
        await ws.close()


async def test_an_anonymous_socket_still_answers_public_operations(server: RunningServer) -> None:
    ws = await WsClient.connect(server.ws_url, None)
    try:
        op = await ws.subscribe("{ me { id } }")
        assert (await ws.next(op))["payload"] == {"data": {"me": None}}
    finally:
        await ws.close()


@pytest.mark.postgres
async def test_revoking_on_one_process_closes_sockets_and_cached_sessions_on_another(
        server: RunningServer, client: GraphQLClient, new_client: MakeClient, sms_sink: SmsSink) -> None:
    payer = await wf.funded_user(client, sms_sink, "50.00")
    payee = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    async with app_process(server.settings, redis_url=server.settings.redis_url) as other:
        there = GraphQLClient(other, token=payer.account.token)
        try:
            remote = await WsClient.connect(other.replace("http", "ws") + "/graphql", payer.account.token)
            local = await WsClient.connect(server.ws_url, payer.account.token)
            # warm the other process's session cache
            for _ in range(3):
                assert (await there.gql("{ me { id } }")) == {"me": {"id": payer.user_id}}
            snapshot = await wf.ledger_snapshot()
            assert await client.mutate("logoutEverywhere", LOGOUT_EVERYWHERE) == {"__typename": "Done"}
            # a payment sent at once over the socket on the other process, racing the notice
            with contextlib.suppress(websockets.ConnectionClosed):
                await remote.subscribe(wf.SEND_MONEY, wf.send_input(to_user=payee.user_id, amount="10.00"))
            assert_session_ended(await closed_within(remote, 1.0))
            assert_session_ended(await closed_within(local, 1.0))
            # the other process's cache forgot the session at once
            assert (await there.gql("{ me { id } }")) == {"me": None}
            refused = await there.mutate("sendMoney", wf.SEND_MONEY,
                                         wf.send_input(to_user=payee.user_id, amount="10.00"))
            assert refused["__typename"] == "NotAuthenticatedError"
            assert await wf.balance(payee) == "0.00"
            assert await wf.ledger_snapshot() == snapshot
        finally:
            await there.aclose()


async def test_malformed_frames_close_with_4400(server: RunningServer, caplog: pytest.LogCaptureFixture) -> None:
    frames = ["[1,2,3]", json.dumps({"type": "subscribe", "id": {}, "payload": {"query": "{ __typename }"}}),
              "[" * 5000 + "]" * 5000, "not json", json.dumps({"type": 7}),
              json.dumps({"type": "subscribe", "id": "1", "payload": "x"}),
              json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }",
                                                                       "variables": [1]}})]
    for frame in frames:
        async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(frame)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 2)
            assert closed.value.rcvd is not None, frame[:40]
            assert closed.value.rcvd.code == 4400, (frame[:40], closed.value.rcvd)
    # and no traceback in the server's log
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


@pytest.mark.postgres
async def test_session_lookups_are_cached_while_the_bus_is_up_and_revocation_is_still_immediate(
        server: RunningServer, client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    cache = server.runtime.session_cache
    assert cache.enabled
    hits = cache.hits
    for _ in range(3):
        assert (await client.gql("{ me { id } }")) == {"me": {"id": account.user_id}}
    assert cache.hits >= hits + 2
    assert await client.mutate("logout", LOGOUT) == {"__typename": "Done"}
    assert (await client.gql("{ me { id } }")) == {"me": None}


ADD_EMAIL = "mutation($input: AddEmailInput!) { addEmail(input: $input) { __typename } }"


@pytest.mark.postgres
async def test_a_change_to_the_account_is_seen_at_once_by_another_process_that_cached_the_user(
        server: RunningServer, client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    async with app_process(server.settings, redis_url=server.settings.redis_url) as other:
        there = GraphQLClient(other, token=account.token)
        try:
            for _ in range(3):  # the other process caches the session, then the user's row with it
                assert (await there.gql("{ me { email } }")) == {"me": {"email": None}}
            changed = await client.mutate("addEmail", ADD_EMAIL, {"input": {"email": "changed@example.com"}})
            assert changed == {"__typename": "UserSuccess"}
            # the notice crosses the bus in milliseconds; the cache alone would answer for 30 s
            seen = None
            for _ in range(20):
                seen = (await there.gql("{ me { email } }"))["me"]["email"]
                if seen == "changed@example.com":
                    break
                await asyncio.sleep(0.05)
            assert seen == "changed@example.com"
        finally:
            await there.aclose()
