"""The whole journey: a verified adult opens a wallet, binds a card, tops up, pays a contact by phone."""

from __future__ import annotations

from collections.abc import Callable

from models import Event, LedgerEntry, Message, Transfer
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink
from tests.support.wallet_flows import WalletAccount

RECORDS = """query($first: Int!, $after: String, $filter: TransactionFilter) {
  wallet { balance { amount } transactions(first: $first, after: $after, filter: $filter) {
    edges { cursor node { kind amount { amount } balanceAfter { amount } memo
                          counterparty { displayName realNameMasked } transfer { id state } } }
    pageInfo { hasNextPage endCursor } } } }"""


async def test_pay_a_contact_by_phone_and_both_see_it(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                                      sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(client, sms_sink, "100.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")

    sent = await wf.send(alice, to_phone=bob.phone, amount="12.34", memo="dinner 🍜")

    assert sent["__typename"] == "TransferSuccess", sent
    assert sent["transfer"]["state"] == "COMPLETED"
    assert sent["transfer"]["amount"] == {"amount": "12.34", "currency": "CNY"}
    assert sent["wallet"]["balance"] == {"amount": "87.66", "currency": "CNY"}
    assert await wf.balance(bob) == "12.34"
    alice_records = (await alice.client.gql(RECORDS, {"first": 10}))["wallet"]["transactions"]["edges"]
    assert [e["node"]["kind"] for e in alice_records] == ["SENT", "TOP_UP"]
    assert alice_records[0]["node"]["amount"] == {"amount": "-12.34"}
    assert alice_records[0]["node"]["balanceAfter"] == {"amount": "87.66"}
    assert alice_records[0]["node"]["memo"] == "dinner 🍜"
    assert alice_records[0]["node"]["counterparty"] == {"displayName": "Bob", "realNameMasked": "**明"}
    bob_records = (await bob.client.gql(RECORDS, {"first": 10}))["wallet"]["transactions"]["edges"]
    assert [(e["node"]["kind"], e["node"]["amount"]["amount"], e["node"]["balanceAfter"]["amount"])
            for e in bob_records] == [("RECEIVED", "12.34", "12.34")]
    assert bob_records[0]["node"]["transfer"]["id"] == sent["transfer"]["id"]
    transfer = await Transfer.get(memo="dinner 🍜", payee_id=int(_raw_id(bob.user_id)))
    assert sorted(e.amount_minor for e in await LedgerEntry.filter(journal__transfer_id=transfer.id)) == [-1234, 1234]
    message = await Message.get(transfer_id=transfer.id)
    assert (message.amount_minor, message.memo) == (1234, "dinner 🍜")
    receipts = {e.user_id: e.payload for e in await Event.filter(kind="payment.receipt")
                if e.payload["transferId"] == sent["transfer"]["id"]}
    alice_id, bob_id = int(_raw_id(alice.user_id)), int(_raw_id(bob.user_id))
    assert set(receipts) == {alice_id, bob_id}
    for uid, kind, after, other, name in ((alice_id, "SENT", "87.66", bob, "Bob"),
                                          (bob_id, "RECEIVED", "12.34", alice, "Alice")):
        at = receipts[uid].pop("at")
        assert isinstance(at, str)
        assert at.endswith("+00:00")
        assert receipts[uid] == {
            "receiptKind": kind, "transferId": sent["transfer"]["id"], "amount": "12.34", "currency": "CNY",
            "balanceAfter": after, "counterpartyId": other.user_id, "counterpartyName": name,
            "memo": "dinner 🍜", "state": "COMPLETED"}


def _raw_id(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":")[1]


async def test_wallet_is_null_until_opened(client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await wf.verified_account(client, sms_sink)
    assert (await client.gql("{ me { wallet { balance { amount } } cards { id } } wallet { createdAt } }")) == {
        "me": {"wallet": None, "cards": []}, "wallet": None}
    refused = await wf.open_wallet(account)
    assert refused["__typename"] == "VerificationRequiredError"
    assert refused["missing"] == [{"name": "PAYMENT_PIN", "purpose": None}]
    assert (await wf.set_pin(account))["__typename"] == "PinSuccess"
    opened = await wf.open_wallet(account)
    assert opened["wallet"]["balance"] == {"amount": "0.00", "currency": "CNY"}
    assert (await client.gql("{ me { wallet { balance { amount } } } }"))["me"]["wallet"] == {
        "balance": {"amount": "0.00"}}


_ = WalletAccount
