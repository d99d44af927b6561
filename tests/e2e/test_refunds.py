"""Refunds end to end: all or part of a received transfer, never more than it, shown in both chats."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest

from app.ledger.audit import audit
from models import Journal, JournalKind, TransferRefund
from tests.support import chat, wallet_flows
from tests.support.client import GraphQLClient
from tests.support.refunds import refund
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.wallet_flows import balance, ledger_snapshot


async def test_the_recipient_refunds_part_then_the_rest_and_never_more(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    tid = (await wallet_flows.send(alice, bob, amount="30.00", memo="dinner"))["transfer"]["id"]

    key = "refund-key-1"
    part = await refund(bob, tid, "10.00", key=key)
    assert part["__typename"] == "RefundSuccess", part
    assert (part["refund"]["kind"], part["refund"]["amount"], part["refund"]["memo"], part["original"]["id"],
            part["refundedTotal"], part["wallet"]["balance"]) == (
        "REFUND", {"amount": "10.00"}, "overpaid", tid, {"amount": "10.00"}, {"amount": "20.00"})
    assert (await balance(alice), await balance(bob)) == ("80.00", "20.00")
    replay = await refund(bob, tid, "10.00", key=key)
    assert replay["refund"]["id"] == part["refund"]["id"]
    assert (await balance(alice), await balance(bob)) == ("80.00", "20.00")

    before = await ledger_snapshot()
    refusals = [await refund(bob, tid, "20.01"), await refund(alice, tid, "1.00"),
                await refund(bob, tid, "1.00", pin=wallet_flows.OTHER_PIN), await refund(bob, tid, "0.00"),
                await refund(bob, tid, "11.00", key=key)]
    assert [r["__typename"] for r in refusals] == ["RefundRefusedError", "NotFoundError", "InvalidPinError",
                                                   "InvalidInputError", "IdempotencyConflictError"]
    assert (refusals[0]["reason"], refusals[0]["remaining"]) == ("EXCEEDS_REMAINING", {"amount": "20.00"})
    assert await ledger_snapshot() == before

    rest = await refund(bob, tid, "20.00", reason="all back")
    assert rest["refundedTotal"] == {"amount": "30.00"}
    assert (await balance(alice), await balance(bob)) == ("100.00", "0.00")
    over = await refund(bob, tid, "0.01")
    assert (over["reason"], over["remaining"]) == ("EXCEEDS_REMAINING", {"amount": "0.00"})

    conv = await chat.start(alice.account, bob.account)
    page = await chat.conversation(alice.account, conv["id"], last=3)
    assert page is not None
    bubbles = [e["node"]["transfer"] for e in page["messages"]["edges"]]
    assert [(b["amount"]["amount"], b["memo"], b["state"]) for b in bubbles] == [
        ("30.00", "dinner", "REFUNDED"), ("10.00", "overpaid", "COMPLETED"), ("20.00", "all back", "COMPLETED")]
    journals = await Journal.filter(kind=JournalKind.REFUND, description=f"refund of transfer "
                                    f"{wallet_flows.db_id(tid)}").count()
    assert journals == 2
    records = await alice.client.gql(
        "{ wallet { transactions(first: 2) { edges { node { kind amount { amount } } } } } }")
    assert [e["node"] for e in records["wallet"]["transactions"]["edges"]] == [
        {"kind": "REFUND", "amount": {"amount": "20.00"}}, {"kind": "REFUND", "amount": {"amount": "10.00"}}]
    assert await audit() == []


@pytest.mark.postgres
async def test_concurrent_partial_refunds_stop_at_the_original(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "10.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    tid = (await wallet_flows.send(alice, bob, amount="10.00"))["transfer"]["id"]

    answers = await asyncio.gather(*(refund(bob, tid, "3.00") for _ in range(10)))

    assert Counter(a["__typename"] for a in answers) == Counter({"RefundSuccess": 3, "RefundRefusedError": 7})
    assert {a["reason"] for a in answers if a["__typename"] == "RefundRefusedError"} == {"EXCEEDS_REMAINING"}
    assert (await balance(alice), await balance(bob)) == ("9.00", "1.00")
    assert await TransferRefund.filter(original_transfer_id=wallet_flows.db_id(tid)).count() == 3
    assert await audit() == []
