"""Top-ups and withdrawals whose card-network answer is lost end in exactly one final state.

A server of its own with short card-call timeouts; the reconciler's wait is skipped by moving the
server's clock, never by sleeping for it. The sandbox cards that misbehave are in docs/cards.md.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.cards import issuer_ledger
from app.ledger.audit import left_pending
from app.payments.receipts import global_id
from models import Journal, OutsideCall, Transfer
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink

NO_ANSWER_CARD = "4000000000003014"
SLOW_CARD = "4000000000003022"
LOST_ANSWER_CARD = "4000000000003030"
PENDING = {"__typename": "TemporarilyUnavailableError", "code": "TEMPORARILY_UNAVAILABLE",
           "message": "The card network did not answer; the payment is pending and will be settled shortly: "
                      "retry with the same idempotency key to see it."}
STILL_PENDING = {**PENDING, "message": "The first request with this key is still in progress; retry shortly."}


@pytest.fixture
def flaky(server: RunningServer) -> RunningServer:
    """The test server: card calls give up after 1.5 s, the reconciler looks after 3 s (conftest)."""
    return server


@pytest.fixture
def flaky_client(client: GraphQLClient) -> GraphQLClient:
    return client


async def _final(server: RunningServer, transfer: Transfer) -> Transfer:
    """Let the reconciler's wait pass (by the clock) and wait, bounded, for the transfer to be final."""
    server.runtime.clock.advance(timedelta(seconds=4))
    for _ in range(200):
        await transfer.refresh_from_db()
        if transfer.state != "PENDING":
            return transfer
        await asyncio.sleep(0.05)
    raise AssertionError(f"transfer {transfer.id} still PENDING")


async def _journals(transfer: Transfer) -> list[str]:
    return [j.kind.value for j in await Journal.filter(transfer_id=transfer.id).order_by("id")]


async def _issuer(transfer: Transfer) -> list[tuple[str, int, int, str]]:
    ref = global_id("Transfer", transfer.id)
    return [(str(o["operation"]), int(str(o["amount_minor"])), int(str(o["approved"])), str(o["decline_reason"]))
            for o in await issuer_ledger.operations() if o["reference"] == ref]


async def test_top_up_whose_answer_is_lost_completes_once(flaky: RunningServer, flaky_client: GraphQLClient,
                                                          sms_sink: SmsSink) -> None:
    who = await wf.wallet_user(flaky_client, sms_sink)
    await wf.bind_card(who, sms_sink, number=LOST_ANSWER_CARD)
    assert await wf.top_up(who, "100.00", key="lost-1") == PENDING
    assert await wf.top_up(who, "100.00", key="lost-1") == STILL_PENDING
    assert await wf.balance(who) == "0.00"
    transfer = await Transfer.get(initiator__phone=who.phone, idempotency_key="lost-1")
    assert await _issuer(transfer) == [("CHARGE", 10000, 1, "")]  # the bank charged the card

    done = await _final(flaky, transfer)
    assert (done.state, done.failure_reason) == ("COMPLETED", "")
    assert (await OutsideCall.get(transfer_id=done.id)).resolved_by == "reconciler"
    again = await wf.top_up(who, "100.00", key="lost-1")
    assert again["__typename"] == "TransferSuccess"
    assert (again["transfer"]["state"], again["wallet"]["balance"]["amount"]) == ("COMPLETED", "100.00")
    assert await wf.top_up(who, "100.00", key="lost-1") == again
    assert await _journals(done) == ["TOP_UP"]
    assert await _issuer(done) == [("CHARGE", 10000, 1, "")]  # charged once, credited once
    await wf.remove_card(who)


async def test_withdrawal_without_answer_releases_its_hold(flaky: RunningServer, flaky_client: GraphQLClient,
                                                           sms_sink: SmsSink) -> None:
    who = await wf.funded_user(flaky_client, sms_sink, "100.00")
    await wf.bind_card(who, sms_sink, number=NO_ANSWER_CARD)
    assert await wf.withdraw(who, "40.00", key="void-1") == PENDING
    assert await wf.balance(who) == "60.00"  # held while the bank is silent
    transfer = await Transfer.get(initiator__phone=who.phone, idempotency_key="void-1")
    assert await _issuer(transfer) == []

    done = await _final(flaky, transfer)
    assert (done.state, done.failure_reason) == ("FAILED", "NO_ANSWER")
    assert await wf.balance(who) == "100.00"
    declined = {"__typename": "CardDeclinedError", "code": "CARD_DECLINED", "reason": "NO_ANSWER",
                "message": "The card was declined (NO_ANSWER)."}
    assert await wf.withdraw(who, "40.00", key="void-1") == declined
    assert await _journals(done) == ["WITHDRAWAL_HOLD", "WITHDRAWAL_VOID"]
    # The lookup closed the reference: the bank will refuse a call with it that arrives late.
    assert await _issuer(done) == [("VOID", 0, 0, "NO_ANSWER")]
    await wf.remove_card(who)


async def test_withdrawal_whose_answer_is_lost_settles_once(flaky: RunningServer, flaky_client: GraphQLClient,
                                                            sms_sink: SmsSink) -> None:
    who = await wf.funded_user(flaky_client, sms_sink, "100.00")
    await wf.bind_card(who, sms_sink, number=LOST_ANSWER_CARD)
    assert await wf.withdraw(who, "40.00", key="settle-1") == PENDING
    transfer = await Transfer.get(initiator__phone=who.phone, idempotency_key="settle-1")

    done = await _final(flaky, transfer)
    assert done.state == "COMPLETED"
    again = await wf.withdraw(who, "40.00", key="settle-1")
    assert (again["__typename"], again["transfer"]["state"]) == ("TransferSuccess", "COMPLETED")
    assert await wf.balance(who) == "60.00"
    assert await _journals(done) == ["WITHDRAWAL_HOLD", "WITHDRAWAL_SETTLE"]
    assert await _issuer(done) == [("PAYOUT", 4000, 1, "")]
    assert done.id not in [row["id"] for row in await left_pending(0, now=flaky.runtime.clock.now())]
    await wf.remove_card(who)


async def test_slow_card_answers_within_the_call(flaky: RunningServer, flaky_client: GraphQLClient,
                                                 sms_sink: SmsSink) -> None:
    who = await wf.wallet_user(flaky_client, sms_sink)
    await wf.bind_card(who, sms_sink, number=SLOW_CARD)
    result = await wf.top_up(who, "12.34", key="slow-1")
    assert (result["__typename"], result["transfer"]["state"]) == ("TransferSuccess", "COMPLETED")
    transfer = await Transfer.get(initiator__phone=who.phone, idempotency_key="slow-1")
    assert (await OutsideCall.get(transfer_id=transfer.id)).resolved_by == "request"
    assert await _journals(transfer) == ["TOP_UP"]
    await wf.remove_card(who)


async def test_audit_reports_an_operation_left_pending(flaky: RunningServer, flaky_client: GraphQLClient,
                                                       sms_sink: SmsSink) -> None:
    who = await wf.wallet_user(flaky_client, sms_sink)
    await wf.bind_card(who, sms_sink, number=NO_ANSWER_CARD)
    assert await wf.top_up(who, "5.00", key="stale-1") == PENDING
    transfer = await Transfer.get(initiator__phone=who.phone, idempotency_key="stale-1")
    stale = [row["id"] for row in await left_pending(0, now=flaky.runtime.clock.now())]
    assert transfer.id in stale
    done = await _final(flaky, transfer)
    assert done.id not in [row["id"] for row in await left_pending(0, now=flaky.runtime.clock.now())]
    await wf.remove_card(who)
