"""Pushes while the app is closed: a receipt reaches the provider bridge (a real webhook) with no
websocket open, shows only what the settings allow, and a token the provider reports dead is retired."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

from tests.support import chat, red_packets, wallet_flows
from tests.support.flows import Account
from tests.support.time_travel import travelling

REGISTER = """mutation($input: RegisterPushDeviceInput!) { registerPushDevice(input: $input) {
  __typename ... on PushDeviceSuccess { device { id platform } } ... on Error { code message } } }"""
SETTINGS = """mutation($input: UpdateNotificationSettingsInput!) { updateNotificationSettings(input: $input) {
  __typename ... on NotificationSettingsSuccess { settings { messages payments showPreview showAmounts } } } }"""
DEVICES = "{ pushDevices { id platform } }"


async def _device(account: Account, platform: str, token: str) -> str:
    result = await account.client.mutate("registerPushDevice", REGISTER, {"input": {"platform": platform,
                                                                                   "token": token}})
    assert result["__typename"] == "PushDeviceSuccess", result
    return str(result["device"]["id"])


def _without_event_id(push: dict[str, Any]) -> dict[str, Any]:
    data = dict(push["notification"]["data"])
    assert isinstance(data.pop("eventId"), int)
    return {**push, "notification": {**push["notification"], "data": data}}


async def test_a_receipt_is_pushed_with_no_websocket_open(  # type: ignore[no-untyped-def]
        new_client, sms_sink, push_sink) -> None:
    sink, clients = push_sink, new_client
    alice = await wallet_flows.wallet_user(clients(), sms_sink, name="Alice")
    bob = await wallet_flows.funded_user(clients(), sms_sink, "30.00", name="Bob")
    token = f"fcm-{uuid.uuid4().hex}"
    await _device(alice.account, "FCM", token)

    sent = await wallet_flows.send(bob, alice, amount="3.00", memo="secret birthday plan")
    (push,) = await sink.wait(token, 1)
    assert _without_event_id(push) == {"platform": "FCM", "token": token, "notification": {
        "title": "Money received", "body": "Open imwallet for details.",
        "data": {"kind": "payment.receipt", "transferId": sent["transfer"]["id"]}}}
    assert "secret" not in json.dumps(push)
    assert "3.00" not in json.dumps(push)

    shown = await alice.client.mutate("updateNotificationSettings", SETTINGS, {"input": {"showAmounts": True}})
    assert shown["settings"] == {"messages": True, "payments": True, "showPreview": False, "showAmounts": True}
    await wallet_flows.send(bob, alice, amount="2.50", memo="secret")
    second = (await sink.wait(token, 2))[1]
    assert (second["notification"]["title"], second["notification"]["body"]) == ("Money received", "2.50 CNY")

    # a message: no text unless previews are on; the sender's own copy is never pushed
    direct = await chat.start(bob.account, alice.account)
    await chat.send(bob.account, direct["id"], "the code is 4711")
    third = (await sink.wait(token, 3))[2]
    assert (third["notification"]["title"], third["notification"]["body"]) == ("New message",
                                                                              "You have a new message.")
    await alice.client.mutate("updateNotificationSettings", SETTINGS, {"input": {"showPreview": True,
                                                                                 "payments": False}})
    await chat.send(bob.account, direct["id"], "see you at 8")
    fourth = (await sink.wait(token, 4))[3]
    assert (fourth["notification"]["title"], fourth["notification"]["body"]) == ("Bob", "see you at 8")
    await wallet_flows.send(bob, alice, amount="1.00")  # payments off: no push for this receipt
    await chat.send(bob.account, direct["id"], "sent you 1.00")
    assert (await sink.wait(token, 5))[4]["notification"]["body"] == "sent you 1.00"
    assert len(sink.to(token)) == 5


async def test_a_token_reported_dead_is_retired(new_client, sms_sink, push_sink) -> None:  # type: ignore[no-untyped-def]
    sink, clients = push_sink, new_client
    alice = await wallet_flows.wallet_user(clients(), sms_sink, name="Alice")
    bob = await wallet_flows.funded_user(clients(), sms_sink, "30.00", name="Bob")
    live, dead = f"apns-{uuid.uuid4().hex}", f"apns-{uuid.uuid4().hex}"
    sink.dead.add(dead)
    live_id = await _device(alice.account, "APNS", live)
    await _device(alice.account, "APNS", dead)

    await wallet_flows.send(bob, alice, amount="1.00")
    await sink.wait(live, 1)
    await sink.wait(dead, 1, refused=True)
    for _ in range(100):  # the retirement is recorded right after the provider's answer
        if (await alice.client.gql(DEVICES))["pushDevices"] == [{"id": live_id, "platform": "APNS"}]:
            break
        await asyncio.sleep(0.05)
    assert (await alice.client.gql(DEVICES))["pushDevices"] == [{"id": live_id, "platform": "APNS"}]

    await wallet_flows.send(bob, alice, amount="1.00")
    await sink.wait(live, 2)
    await asyncio.sleep(0.5)  # a few dispatcher rounds: nothing more is tried on the dead token
    assert len([p for p in sink.refused if p["token"] == dead]) == 1


async def test_money_waiting_a_red_packet_and_the_reminder_are_pushed(  # type: ignore[no-untyped-def]
        server, new_client, sms_sink, push_sink) -> None:
    sink = push_sink
    alice = await wallet_flows.wallet_user(new_client(), sms_sink, name="Alice")
    bob = await wallet_flows.funded_user(new_client(), sms_sink, "30.00", name="Bob")
    token = f"fcm-{uuid.uuid4().hex}"
    await _device(alice.account, "FCM", token)

    # A transfer that waits for acceptance has no receipt yet: the payee hears of it by this push alone.
    waiting = wallet_flows.send_input(to_user=alice.user_id, amount="7.00", memo="secret rent")
    waiting["input"]["requireAcceptance"] = True
    sent = await bob.client.mutate("sendMoney", wallet_flows.SEND_MONEY, waiting)
    assert sent["transfer"]["state"] == "AWAITING_ACCEPTANCE", sent
    (first,) = await sink.wait(token, 1)
    assert (first["notification"]["title"], first["notification"]["body"]) == (
        "Money waiting for you", "Someone sent you money: accept it in the chat.")
    assert "7.00" not in json.dumps(first)
    assert "secret" not in json.dumps(first)

    direct = await chat.start(bob.account, alice.account)
    await red_packets.sent(bob, direct["id"], "6.00", 1, greeting="secret greeting")
    second = (await sink.wait(token, 2))[1]
    assert (second["notification"]["title"], second["notification"]["body"]) == ("Red packet", "You have a red packet.")
    assert "secret" not in json.dumps(second)

    with travelling(server) as clock:
        clock.advance(timedelta(hours=22, minutes=1))  # two hours before the transfer goes back: a reminder
        third = (await sink.wait(token, 3))[2]
        await asyncio.sleep(0.5)
    assert _without_event_id(third)["notification"] == {
        "title": "Money waiting for you",
        "body": "A transfer to you goes back to its sender soon unless you accept it.",
        "data": {"kind": "transfer.reminder", "transferId": sent["transfer"]["id"]}}
    assert len(sink.to(token)) == 3  # the chat's notice about it is a system message: not pushed
