"""Money in chat: a transfer shows up in the pair's conversation and as receipts, live."""

from __future__ import annotations

from tests.support import chat, wallet_flows
from tests.support.server import RunningServer
from tests.support.ws import WsClient


async def test_a_transfer_reaches_both_parties_as_a_message_and_a_receipt(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    a_ws = await WsClient.connect(server.ws_url, alice.account.token)
    b_ws = await WsClient.connect(server.ws_url, bob.account.token)
    try:
        a_msgs, b_msgs = await a_ws.subscribe_events(field="messages"), await b_ws.subscribe_events(field="messages")
        a_rcpt = await a_ws.subscribe_events(field="paymentReceipts")
        b_rcpt = await b_ws.subscribe_events(field="paymentReceipts")
        sent = await wallet_flows.send(alice, bob, amount="12.34", memo="dinner")
        assert sent["__typename"] == "TransferSuccess", sent
        (a_msg,), (b_msg,) = await a_ws.take(a_msgs, 1), await b_ws.take(b_msgs, 1)
        for event in (a_msg, b_msg):
            assert event["change"] == "ADDED"
            assert event["message"]["kind"] == "TRANSFER"
            assert event["message"]["text"] is None
            assert event["message"]["transfer"] == {
                "transferId": sent["transfer"]["id"], "amount": {"amount": "12.34", "currency": "CNY"},
                "memo": "dinner", "state": "COMPLETED"}
        (a_r,), (b_r,) = await a_ws.take(a_rcpt, 1), await b_ws.take(b_rcpt, 1)
        assert a_r["receipt"]["receiptKind"] == "SENT"
        assert a_r["receipt"]["balanceAfter"] == {"amount": "87.66"}
        assert a_r["receipt"]["counterpartyId"] == bob.user_id
        assert b_r["receipt"]["receiptKind"] == "RECEIVED"
        assert b_r["receipt"]["balanceAfter"] == {"amount": "12.34"}
        assert b_r["receipt"]["transferId"] == sent["transfer"]["id"]
        # the transfer sits in the direct conversation, which startConversation reuses
        conv = await chat.start(bob.account, alice.account)
        assert conv["id"] == b_msg["conversationId"]
        page = await chat.conversation(bob.account, conv["id"], last=5)
        assert page is not None
        (edge,) = page["messages"]["edges"]
        assert edge["node"]["editableUntil"] is None
        assert edge["node"]["recallableUntil"] is None
    finally:
        await a_ws.close()
        await b_ws.close()
