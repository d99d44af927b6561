"""Split bills: equal or explicit shares of one total in a group, each paid once with payRequest."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import chat, money_requests
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink
from tests.support.wallet_flows import WalletAccount

SPLIT = """mutation($input: SplitBillInput!) { splitBill(input: $input) { __typename
  ... on PaymentRequestSuccess { request { id split amount { amount }
      shares { user { id } amount { amount } paid } } }
  ... on InvalidInputError { fields { field message } } ... on Error { code message } } }"""


async def _group(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                 sms: SmsSink) -> tuple[WalletAccount, WalletAccount, WalletAccount, WalletAccount, str]:
    alice = await wf.wallet_user(client, sms, name="Alice")
    bob = await wf.funded_user(new_client(), sms, "100.00", name="Bob")
    carol = await wf.funded_user(new_client(), sms, "100.00", name="Carol")
    dan = await wf.funded_user(new_client(), sms, "100.00", name="Dan")
    group = await chat.start(alice.account, bob.account, carol.account, dan.account, title="Dinner")
    return alice, bob, carol, dan, group["id"]


async def _split(who: WalletAccount, **input: Any) -> dict[str, Any]:
    return await who.client.mutate("splitBill", SPLIT, {"input": input})


async def test_equal_shares_each_paid_once(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                           sms_sink: SmsSink) -> None:
    alice, bob, carol, dan, group = await _group(client, new_client, sms_sink)
    made = await _split(alice, conversationId=group, total="100.00", memo="hotpot",
                        participantIds=[bob.user_id, carol.user_id, alice.user_id])
    assert made["__typename"] == "PaymentRequestSuccess", made
    bill = made["request"]
    assert (bill["split"], bill["amount"]["amount"]) == (True, "100.00")
    assert [(s["user"]["id"], s["amount"]["amount"], s["paid"]) for s in bill["shares"]] == [
        (bob.user_id, "33.34", False), (carol.user_id, "33.33", False)]  # Alice's own third is hers

    assert (await money_requests.pay(bob, bill["id"]))["__typename"] == "PayRequestSuccess"
    again = await money_requests.pay(bob, bill["id"])
    assert (again["__typename"], again["reason"]) == ("RequestClosedError", "ALREADY_PAID")
    stranger = await money_requests.pay(dan, bill["id"])
    assert stranger["__typename"] == "InvalidInputError", stranger
    assert (await money_requests.pay(carol, bill["id"]))["__typename"] == "PayRequestSuccess"
    assert [await wf.balance(w) for w in (alice, bob, carol, dan)] == ["66.67", "66.66", "66.67", "100.00"]
    seen = await money_requests.seen(alice.account, bill["id"])
    assert seen is not None
    assert len(seen["paidBy"]) == 2


async def test_explicit_shares_and_refusals(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                            sms_sink: SmsSink) -> None:
    alice, bob, carol, _, group = await _group(client, new_client, sms_sink)
    snapshot = await wf.ledger_snapshot()
    wrong_sum = await _split(alice, conversationId=group, total="50.00", shares=[
        {"userId": bob.user_id, "amount": "20.00"}, {"userId": carol.user_id, "amount": "20.00"}])
    assert wrong_sum["fields"] == [{"field": "shares", "message": "the shares must add up to the total"}]
    direct = await chat.start(alice.account, bob.account)
    not_group = await _split(alice, conversationId=direct["id"], total="10.00", participantIds=[bob.user_id])
    assert not_group["fields"][0]["field"] == "conversationId"
    only_me = await _split(alice, conversationId=group, total="10.00", participantIds=[alice.user_id])
    assert only_me["fields"][0]["field"] == "participantIds"
    assert await wf.ledger_snapshot() == snapshot

    made = await _split(alice, conversationId=group, total="50.00", idempotencyKey="bill-1", shares=[
        {"userId": bob.user_id, "amount": "20.00"}, {"userId": carol.user_id, "amount": "30.00"}])
    replay = await _split(alice, conversationId=group, total="50.00", idempotencyKey="bill-1", shares=[
        {"userId": bob.user_id, "amount": "20.00"}, {"userId": carol.user_id, "amount": "30.00"}])
    assert replay["request"]["id"] == made["request"]["id"]
    assert (await money_requests.pay(carol, made["request"]["id"]))["__typename"] == "PayRequestSuccess"
    assert await wf.balance(carol) == "70.00"


@pytest.mark.postgres
async def test_a_share_is_paid_at_most_once_under_concurrency(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob, carol, _, group = await _group(client, new_client, sms_sink)
    bill = (await _split(alice, conversationId=group, total="9.00",
                         participantIds=[bob.user_id, carol.user_id]))["request"]
    answers = await asyncio.gather(*(money_requests.pay(bob, bill["id"], key=str(uuid.uuid4())) for _ in range(10)))
    assert sorted(a["__typename"] for a in answers) == ["PayRequestSuccess"] + ["RequestClosedError"] * 9
    assert await wf.balance(bob) == "95.50"
    assert await wf.balance(alice) == "4.50"
