"""Red packets end to end: send into a chat, open once each, the proof, and expiry by the sweeper."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from app.ledger.audit import audit
from models import Journal, JournalKind
from tests.support import chat, wallet_flows
from tests.support import red_packets as rp
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.time_travel import travelling
from tests.support.wallet_flows import WalletAccount, balance, ledger_snapshot
from tests.support.worker_server import worker_server
from tests.support.ws import WsClient

PACKET_MESSAGES = """subscription { messages { __typename ... on MessageEvent { change
  message { id kind redPacket { id remainingCount state } } } } }"""


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


async def test_a_group_packet_is_taken_once_each_and_its_random_split_can_be_verified(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    bob, carol, dave = [await wallet_flows.wallet_user(new_client(), sms_sink, name=n)
                        for n in ("Bob", "Carol", "Dave")]
    group = await chat.start(alice.account, bob.account, carol.account, dave.account, title="family")
    b_ws = await WsClient.connect(server.ws_url, bob.account.token)
    try:
        b_msgs = await b_ws.subscribe(PACKET_MESSAGES)
        b_rcpt = await b_ws.subscribe_events(field="paymentReceipts")
        await asyncio.sleep(0.3)
        key = "packet-key-1"
        packet = await rp.sent(alice, group["id"], "10.00", 3, key=key)
        assert (packet["total"], packet["count"], packet["split"], packet["state"], packet["remainingCount"],
                packet["greeting"], packet["claims"], packet["proof"]["salt"]) == (
            {"amount": "10.00", "currency": "CNY"}, 3, "RANDOM", "OPEN", 3, "恭喜发财", [], None)
        assert await balance(alice) == "90.00"
        (added,) = await b_ws.take(b_msgs, 1)
        assert added["change"] == "ADDED"
        assert added["message"]["kind"] == "RED_PACKET"
        assert added["message"]["redPacket"] == {"id": packet["id"], "remainingCount": 3, "state": "OPEN"}

        before = await ledger_snapshot()
        replay = await rp.send(alice, group["id"], "10.00", 3, key=key)
        assert replay["__typename"] == "RedPacketSent"
        assert replay["redPacket"]["id"] == packet["id"]
        other = await rp.send(alice, group["id"], "11.00", 3, key=key)
        assert other["__typename"] == "IdempotencyConflictError"
        assert await ledger_snapshot() == before

        got_bob = await rp.open_(bob, packet["id"])
        assert got_bob["__typename"] == "RedPacketOpened", got_bob
        assert got_bob["redPacket"] == {"id": packet["id"], "remainingCount": 2, "state": "OPEN"}
        (edited,) = await b_ws.take(b_msgs, 1)
        assert (edited["change"], edited["message"]["redPacket"]["remainingCount"]) == ("EDITED", 2)
        (receipt,) = await b_ws.take(b_rcpt, 1)
        assert receipt["receipt"]["receiptKind"] == "RED_PACKET_RECEIVED"
        assert receipt["receipt"]["amount"]["amount"] == got_bob["amount"]["amount"]
        assert receipt["receipt"]["counterpartyId"] == alice.user_id

        before = await ledger_snapshot()
        again = await rp.open_(bob, packet["id"])
        assert (again["__typename"], again["code"], again["reason"]) == (
            "RedPacketUnavailableError", "RED_PACKET_UNAVAILABLE", "ALREADY_OPENED")
        assert await ledger_snapshot() == before

        got_carol = await rp.open_(carol, packet["id"])
        got_alice = await rp.open_(alice, packet["id"])
        assert got_alice["redPacket"] == {"id": packet["id"], "remainingCount": 0, "state": "EMPTY"}
        late = await rp.open_(dave, packet["id"])
        assert (late["__typename"], late["reason"]) == ("RedPacketUnavailableError", "EMPTY")
    finally:
        await b_ws.close()

    amounts = [cents(g["amount"]["amount"]) for g in (got_bob, got_carol, got_alice)]
    assert sum(amounts) == 1000
    assert min(amounts) >= 1
    assert (await balance(bob), await balance(carol)) == (got_bob["amount"]["amount"], got_carol["amount"]["amount"])
    assert cents(await balance(alice)) == 9000 + amounts[2]
    seen = await rp.look(dave, packet["id"])
    assert seen is not None
    assert [c["user"]["id"] for c in seen["claims"]] == [bob.user_id, carol.user_id, alice.user_id]
    assert [cents(c["amount"]["amount"]) for c in seen["claims"]] == amounts
    luckiest = [c for c in seen["claims"] if c["luckiest"]]
    assert len(luckiest) == 1
    assert cents(luckiest[0]["amount"]["amount"]) == max(amounts)
    proof = seen["proof"]
    assert [int(a) for a in proof["drawnMinor"]] == amounts  # handed out in the order drawn
    digest = hashlib.sha256(f"{proof['salt']}:{','.join(proof['drawnMinor'])}".encode()).hexdigest()
    assert digest == proof["commitment"] == packet["proof"]["commitment"]
    assert (seen["state"], seen["remaining"], seen["myShare"], seen["canOpen"]) == ("EMPTY", {"amount": "0.00"},
                                                                                     None, False)
    assert await audit() == []


async def test_equal_split_gives_the_remainder_cents_to_the_first_openers(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "5.00", name="Alice")
    bob, carol = [await wallet_flows.wallet_user(new_client(), sms_sink, name=n) for n in ("Bob", "Carol")]
    group = await chat.start(alice.account, bob.account, carol.account, title="trio")
    packet = await rp.sent(alice, group["id"], "1.00", 3, split="EQUAL")
    got = [await rp.open_(who, packet["id"]) for who in (carol, bob, alice)]
    assert [g["amount"]["amount"] for g in got] == ["0.34", "0.33", "0.33"]
    seen = await rp.look(bob, packet["id"])
    assert seen is not None
    assert [c["luckiest"] for c in seen["claims"]] == [False, False, False]  # luck is for RANDOM packets
    assert seen["myShare"] == {"amount": "0.33"}
    assert await balance(alice) == "4.33"


async def test_in_a_direct_chat_only_the_other_member_opens_and_refusals_change_nothing(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "20.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    carol = await wallet_flows.wallet_user(new_client(), sms_sink, name="Carol")
    direct = await chat.start(alice.account, bob.account)
    before = await ledger_snapshot()
    refusals = [
        (await rp.send(alice, direct["id"], "2.00", 2), "InvalidInputError"),
        (await rp.send(alice, direct["id"], "0.00", 1), "InvalidInputError"),
        (await rp.send(alice, direct["id"], "2.001", 1), "InvalidInputError"),
        (await rp.send(alice, direct["id"], "2.00", 0), "InvalidInputError"),
        (await rp.send(alice, direct["id"], "30.00", 1), "InsufficientFundsError"),
        (await rp.send(alice, direct["id"], "2.00", 1, pin=wallet_flows.OTHER_PIN), "InvalidPinError"),
        (await rp.send(carol, direct["id"], "2.00", 1), "NotFoundError"),
        (await rp.send(alice, direct["id"], "2.00", 1, greeting="x" * 101), "InvalidInputError"),
    ]
    assert [(r["__typename"], r.get("code")) for r, _ in refusals] == [
        (t, c) for t, c in zip([t for _, t in refusals],
                               ["INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT",
                                "INSUFFICIENT_FUNDS", "INVALID_PIN", "NOT_FOUND", "INVALID_INPUT"], strict=True)]
    assert refusals[0][0]["fields"] == [{"field": "count", "message": "a red packet in a direct conversation "
                                                                       "has one share"}]
    assert await ledger_snapshot() == before

    packet = await rp.sent(alice, direct["id"], "6.66", 1, greeting="for you")
    own = await rp.open_(alice, packet["id"])
    assert (own["__typename"], own["reason"]) == ("RedPacketUnavailableError", "NOT_ELIGIBLE")
    outsider = await rp.open_(carol, packet["id"])
    assert outsider["__typename"] == "NotFoundError"
    assert await rp.look(carol, packet["id"]) is None
    got = await rp.open_(bob, packet["id"])
    assert got["amount"] == {"amount": "6.66"}
    assert (await balance(alice), await balance(bob)) == ("13.34", "6.66")
    page = await chat.conversation(bob.account, direct["id"], last=1)
    assert page is not None
    assert page["messages"]["edges"][0]["node"]["kind"] == "RED_PACKET"
    assert await audit() == []


async def _until_state(who: WalletAccount | GraphQLClient, packet_id: str, state: str) -> dict[str, object]:
    client = who if isinstance(who, GraphQLClient) else who.client
    seen = None
    for _ in range(100):
        seen = (await client.gql(rp.GET, {"id": packet_id}))["redPacket"]
        if seen is not None and seen["state"] == state:
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"packet never became {state}: {seen}")


async def test_after_24_hours_the_unclaimed_remainder_returns_to_the_sender_once(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Alice")
    bob, carol = [await wallet_flows.wallet_user(new_client(), sms_sink, name=n) for n in ("Bob", "Carol")]
    group = await chat.start(alice.account, bob.account, carol.account, title="expiry")
    packet = await rp.sent(alice, group["id"], "5.00", 4, split="EQUAL")
    assert (await rp.open_(bob, packet["id"]))["amount"] == {"amount": "1.25"}
    with travelling(server) as clock:
        clock.advance(timedelta(hours=23, minutes=59))
        await asyncio.sleep(0.3)
        assert (await rp.look(alice, packet["id"]))["state"] == "OPEN"  # type: ignore[index]
        a_ws = await WsClient.connect(server.ws_url, alice.account.token)
        try:
            a_rcpt = await a_ws.subscribe_events(field="paymentReceipts")
            clock.advance(timedelta(minutes=1, seconds=1))
            seen = await _until_state(alice, packet["id"], "EXPIRED")
            (receipt,) = await a_ws.take(a_rcpt, 1)
        finally:
            await a_ws.close()
        late = await rp.open_(carol, packet["id"])
    assert (seen["returned"], seen["remaining"], seen["remainingCount"]) == ({"amount": "3.75"},
                                                                             {"amount": "3.75"}, 3)
    assert (receipt["receipt"]["receiptKind"], receipt["receipt"]["amount"]["amount"],
            receipt["receipt"]["balanceAfter"]["amount"]) == ("RED_PACKET_RETURNED", "3.75", "48.75")
    assert (late["__typename"], late["reason"]) == ("RedPacketUnavailableError", "EXPIRED")
    await asyncio.sleep(0.3)  # more sweeps: nothing returns twice
    assert await balance(alice) == "48.75"
    assert await Journal.filter(kind=JournalKind.PACKET_RETURN, transfer__idempotency_key=(
        f"red-packet-return:{wallet_flows.db_id(packet['id'])}")).count() == 1
    assert await audit() == []


@pytest.mark.postgres
async def test_200_members_opening_a_10_share_packet_at_once_exactly_10_succeed(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    members: list[WalletAccount] = []
    for start in range(0, 199, 40):
        members += await asyncio.gather(*(wallet_flows.wallet_user(new_client(), sms_sink, name=f"M{i}")
                                          for i in range(start, min(start + 40, 199))))
    group = await chat.start(alice.account, *(m.account for m in members), title="two hundred")
    packet = await rp.sent(alice, group["id"], "88.88", 10)

    answers = await asyncio.gather(*(rp.open_(who, packet["id"]) for who in [alice, *members]))

    won = [a for a in answers if a["__typename"] == "RedPacketOpened"]
    assert len(won) == 10
    assert {a.get("reason") for a in answers if a not in won} == {"EMPTY"}
    assert sum(cents(a["amount"]["amount"]) for a in won) == 8888
    seen = await rp.look(alice, packet["id"])
    assert seen is not None
    takers = [c["user"]["id"] for c in seen["claims"]]
    assert len(takers) == len(set(takers)) == 10
    assert (seen["state"], seen["remainingCount"]) == ("EMPTY", 0)
    assert await audit() == []


async def test_a_sweeper_started_after_a_restart_returns_packets_that_fell_due_meanwhile(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "9.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    direct = await chat.start(alice.account, bob.account)
    packet = await rp.sent(alice, direct["id"], "9.00", 1)
    assert await balance(alice) == "0.00"
    # Another process, started as if 25 hours later: its sweeper finds the packet due at once.
    later_offset = server.runtime.clock.offset + timedelta(hours=25)
    async with worker_server(server.settings, workers=1, SWEEP_INTERVAL_SECONDS="0.1",
                             CLOCK_OFFSET_SECONDS=str(later_offset.total_seconds())) as base_url:
        later = GraphQLClient(base_url, token=alice.account.token)
        try:
            seen = await _until_state(later, packet["id"], "EXPIRED")
        finally:
            await later.aclose()
    assert seen["returned"] == {"amount": "9.00"}
    assert await balance(alice) == "9.00"
    assert await Journal.filter(kind=JournalKind.PACKET_RETURN,
                                transfer__idempotency_key=f"red-packet-return:{wallet_flows.db_id(packet['id'])}") \
        .count() == 1
    assert await audit() == []

