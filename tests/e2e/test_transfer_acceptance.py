"""Transfers that wait for the recipient: MANUAL acceptance, requireAcceptance, return, expiry, the race."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from app.ledger.audit import audit
from app.payments.acceptance import expire_due
from models import PendingTransfer
from tests.support import acceptance as acc
from tests.support import chat, wallet_flows
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.time_travel import travelling
from tests.support.wallet_flows import SEND_MONEY, WalletAccount, balance, ledger_snapshot
from tests.support.ws import WsClient

REMINDERS = "subscription { events { __typename ... on TransferReminderEvent { transferId } } }"


async def send(payer: WalletAccount, payee: WalletAccount, amount: str, *, wait: bool = False,
               key: str | None = None) -> dict[str, Any]:
    variables = wallet_flows.send_input(to_user=payee.user_id, amount=amount, memo="rent", key=key)
    variables["input"]["requireAcceptance"] = wait
    return await payer.client.mutate("sendMoney", SEND_MONEY, variables)


async def message_state(who: WalletAccount, other: WalletAccount) -> str:
    conv = await chat.start(who.account, other.account)
    page = await chat.conversation(who.account, conv["id"], last=5)
    assert page is not None
    bubbles = [e["node"]["transfer"] for e in page["messages"]["edges"] if e["node"]["transfer"]]
    return str(bubbles[-1]["state"])


async def test_with_manual_acceptance_money_waits_until_the_recipient_accepts(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    assert await acc.set_acceptance(bob, "MANUAL") == {"__typename": "WalletSettings", "transferAcceptance": "MANUAL"}

    key = "await-key-1"
    sent = await send(alice, bob, "10.00", key=key)
    assert sent["__typename"] == "TransferSuccess", sent
    tid = sent["transfer"]["id"]
    assert (sent["transfer"]["state"], sent["wallet"]["balance"]["amount"]) == ("AWAITING_ACCEPTANCE", "90.00")
    assert (await balance(alice), await balance(bob)) == ("90.00", "0.00")
    assert await message_state(bob, alice) == "AWAITING_ACCEPTANCE"
    replay = await send(alice, bob, "10.00", key=key)
    assert replay["transfer"]["id"] == tid
    assert await balance(alice) == "90.00"

    before = await ledger_snapshot()
    assert (await acc.accept(alice, tid))["__typename"] == "NotFoundError"  # only the recipient decides
    assert await ledger_snapshot() == before
    accepted = await acc.accept(bob, tid)
    assert accepted["__typename"] == "TransferDecided", accepted
    assert (accepted["transfer"]["state"], accepted["wallet"]["balance"]["amount"]) == ("COMPLETED", "10.00")
    assert await message_state(alice, bob) == "COMPLETED"
    assert await acc.state_of(alice, tid) == "COMPLETED"
    before = await ledger_snapshot()
    again = await acc.give_back(bob, tid)
    assert (again["__typename"], again["code"], again["state"]) == ("TransferNotPendingError", "TRANSFER_NOT_PENDING",
                                                                    "ACCEPTED")
    assert await ledger_snapshot() == before

    assert (await acc.set_acceptance(bob, "AUTOMATIC"))["transferAcceptance"] == "AUTOMATIC"
    direct = await send(alice, bob, "1.00")
    assert direct["transfer"]["state"] == "COMPLETED"
    assert (await balance(alice), await balance(bob)) == ("89.00", "11.00")
    assert await audit() == []


async def test_a_payer_may_ask_for_acceptance_and_the_recipient_may_return_it(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    sent = await send(alice, bob, "20.00", wait=True)
    tid = sent["transfer"]["id"]
    assert (sent["transfer"]["state"], await balance(alice)) == ("AWAITING_ACCEPTANCE", "30.00")
    returned = await acc.give_back(bob, tid, "wrong person")
    assert (returned["transfer"]["state"], returned["wallet"]["balance"]["amount"]) == ("RETURNED", "0.00")
    assert (await balance(alice), await balance(bob)) == ("50.00", "0.00")
    assert await message_state(alice, bob) == "RETURNED"
    row = await PendingTransfer.get(transfer_id=wallet_flows.db_id(tid))
    assert (row.outcome, row.reason) == ("RETURNED", "wrong person")
    late = await acc.accept(bob, tid)
    assert (late["__typename"], late["state"]) == ("TransferNotPendingError", "RETURNED")
    assert await audit() == []


async def test_an_unaccepted_transfer_returns_by_itself_after_24_hours(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "30.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    tid = (await send(alice, bob, "7.00", wait=True))["transfer"]["id"]
    b_ws = await WsClient.connect(server.ws_url, bob.account.token)
    with travelling(server) as clock:
        try:
            op = await b_ws.subscribe(REMINDERS)
            await asyncio.sleep(0.3)
            clock.advance(timedelta(hours=22, minutes=1))  # two hours before expiry: one reminder
            notice_event, reminder = await b_ws.take(op, 2)  # the chat notice, then the reminder itself
            assert notice_event == {"__typename": "MessageEvent"}
            assert reminder == {"__typename": "TransferReminderEvent", "transferId": tid}
            assert await b_ws.quiet(op, 0.4) == []
        finally:
            await b_ws.close()
        conv = await chat.start(bob.account, alice.account)
        page = await chat.conversation(bob.account, conv["id"], last=1)
        assert page is not None
        notice = page["messages"]["edges"][0]["node"]
        assert (notice["kind"], notice["text"]) == (
            "SYSTEM", "A transfer of 7.00 CNY waits for acceptance; it returns to the sender in 118 minutes.")
        assert await acc.state_of(alice, tid) == "AWAITING_ACCEPTANCE"
        clock.advance(timedelta(hours=1, minutes=59, seconds=1))
        for _ in range(100):
            if await acc.state_of(alice, tid) == "RETURNED":
                break
            await asyncio.sleep(0.05)
    assert await acc.state_of(alice, tid) == "RETURNED"
    assert (await balance(alice), await balance(bob)) == ("30.00", "0.00")
    assert (await PendingTransfer.get(transfer_id=wallet_flows.db_id(tid))).outcome == "EXPIRED"
    assert await message_state(bob, alice) == "RETURNED"
    assert await audit() == []


@pytest.mark.postgres
async def test_accept_return_and_expiry_race_and_exactly_one_wins_each_of_100_times(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    ids = [(await send(alice, bob, "1.00", wait=True))["transfer"]["id"] for _ in range(100)]
    assert await balance(alice) == "0.00"
    with travelling(server) as clock:
        clock.advance(timedelta(hours=25))  # all due: the sweepers join every race
        results = await asyncio.gather(*(coro for tid in ids
                                         for coro in (acc.accept(bob, tid), acc.give_back(bob, tid))),
                                       expire_due(server.runtime))

    outcomes = Counter(str(r.outcome) for r in await PendingTransfer.filter(
        transfer_id__in=[wallet_flows.db_id(t) for t in ids]))
    assert sum(outcomes.values()) == 100
    assert "None" not in outcomes
    decided = [r for r in results[:-1] if isinstance(r, dict) and r["__typename"] == "TransferDecided"]
    assert len(decided) == outcomes["ACCEPTED"] + outcomes["RETURNED"]
    assert await balance(bob) == f"{outcomes['ACCEPTED']}.00"
    assert await balance(alice) == f"{100 - outcomes['ACCEPTED']}.00"
    assert await audit() == []
