"""remindRequest (rate-limited, only those who have not paid) and closeRequest."""

from __future__ import annotations

from collections.abc import Callable

from tests.support import chat, wallet_flows
from tests.support import money_requests as requests
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.ws import WsClient

REMIND = """mutation($input: RequestRefInput!) { remindRequest(input: $input) { __typename
  ... on RequestReminded { remindedCount request { id } } ... on Error { code message } } }"""
CLOSE = """mutation($input: RequestRefInput!) { closeRequest(input: $input) { __typename
  ... on RequestClosedSuccess { request { state } } ... on Error { code message } } }"""
EVENTS = """subscription { events { __typename ... on MessageEvent { change message { kind text } }
  ... on RequestReminderEvent { requestId } } }"""


async def test_the_requester_reminds_those_who_have_not_paid_then_closes_the_request(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    rita = await wallet_flows.wallet_user(new_client(), sms_sink, name="Rita")
    sam = await wallet_flows.funded_user(new_client(), sms_sink, "20.00", name="Sam")
    tom = await wallet_flows.wallet_user(new_client(), sms_sink, name="Tom")
    group = await chat.start(rita.account, sam.account, tom.account, title="dinner")
    asked = await requests.ask(rita.account, group["id"], "5.00", "dinner")
    assert (await requests.pay(sam, asked["id"]))["__typename"] == "PayRequestSuccess"

    t_ws = await WsClient.connect(server.ws_url, tom.account.token)
    try:
        op = await t_ws.subscribe(EVENTS)
        await t_ws.quiet(op, 0.3)
        reminded = await rita.client.mutate("remindRequest", REMIND, {"input": {"requestId": asked["id"]}})
        assert (reminded["__typename"], reminded["remindedCount"]) == ("RequestReminded", 1)  # Tom only
        notice, reminder = await t_ws.take(op, 2)
        assert notice["message"] == {"kind": "SYSTEM", "text": 'Reminder from Rita: 5.00 CNY for "dinner" is still '
                                                              'to pay.'}
        assert reminder == {"__typename": "RequestReminderEvent", "requestId": asked["id"]}
    finally:
        await t_ws.close()
    by_other = await tom.client.mutate("remindRequest", REMIND, {"input": {"requestId": asked["id"]}})
    assert by_other["__typename"] == "NotFoundError"
    for _ in range(2):
        assert (await rita.client.mutate("remindRequest", REMIND, {"input": {"requestId": asked["id"]}}))[
            "__typename"] == "RequestReminded"
    limited = await rita.client.mutate("remindRequest", REMIND, {"input": {"requestId": asked["id"]}})
    assert (limited["__typename"], limited["code"]) == ("RateLimitedError", "RATE_LIMITED")

    closed = await rita.client.mutate("closeRequest", CLOSE, {"input": {"requestId": asked["id"]}})
    assert closed == {"__typename": "RequestClosedSuccess", "request": {"state": "CANCELLED"}}
    late = await requests.pay(tom, asked["id"])
    assert (late["__typename"], late["reason"]) == ("RequestClosedError", "CANCELLED")
    assert await wallet_flows.balance(tom) == "0.00"
