"""requestMoney with an idempotency key: a retry returns the first request and posts nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from models import Message, MessageKind, MoneyRequest
from tests.support import chat, wallet_flows
from tests.support import money_requests as requests
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink


async def test_a_retried_request_with_its_key_is_posted_once(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.wallet_user(new_client(), sms_sink, name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    conv = await chat.start(bob.account, alice.account)
    variables = {"input": {"conversationId": conv["id"], "amount": "12.00", "memo": "taxi",
                           "idempotencyKey": "ask-once-1"}}

    answers = await asyncio.gather(*(bob.client.mutate("requestMoney", requests.REQUEST_MONEY, variables)
                                     for _ in range(5)))

    assert {a["__typename"] for a in answers} == {"PaymentRequestSuccess"}
    assert len({a["request"]["id"] for a in answers}) == 1
    conversation_id = wallet_flows.db_id(conv["id"])
    assert await MoneyRequest.filter(conversation_id=conversation_id).count() == 1
    assert await Message.filter(conversation_id=conversation_id, kind=MessageKind.REQUEST).count() == 1
    other = await bob.client.mutate("requestMoney", requests.REQUEST_MONEY, {"input": {
        **variables["input"], "amount": "13.00"}})
    assert (other["__typename"], other["code"]) == ("IdempotencyConflictError", "IDEMPOTENCY_CONFLICT")
    assert await MoneyRequest.filter(conversation_id=conversation_id).count() == 1
    await requests.ask(bob.account, conv["id"], "12.00", "taxi")  # without a key: a new request each time
    assert await MoneyRequest.filter(conversation_id=conversation_id).count() == 2
