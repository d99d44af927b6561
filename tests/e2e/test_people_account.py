"""Account lifecycle: export one's data as one document; deletion refused with money left, then done."""

from __future__ import annotations

import json

from tests.support import chat, flows, people, wallet_flows
from tests.support.wallet_flows import db_id

EXPORT = """mutation { exportMyData { __typename ... on DataExport { fileName contentType document } } }"""
DELETE = """mutation($input: DeleteAccountInput!) { deleteAccount(input: $input) { __typename
  ... on AccountDeleted { deleted } ... on AccountNotEmptyError { reason } ... on Error { code message } } }"""


async def test_export_then_delete_with_the_refusal_while_money_is_left(  # type: ignore[no-untyped-def]
        new_client, sms_sink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "10.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    await people.befriend(alice.account, bob.account)
    direct = await chat.start(alice.account, bob.account)
    said = await chat.send(alice.account, direct["id"], "my secret plan")
    await wallet_flows.send(alice, bob, amount="2.00", memo="cake")

    exported = await alice.client.mutate("exportMyData", EXPORT)
    assert (exported["fileName"], exported["contentType"]) == (
        f"imwallet-export-{db_id(alice.user_id)}.json", "application/json")
    data = json.loads(exported["document"])
    assert (data["profile"]["phone"], data["profile"]["displayName"]) == (alice.phone, "Alice")
    assert [c["userId"] for c in data["contacts"]] == [db_id(bob.user_id)]
    assert [m["text"] for m in data["messages"] if m["kind"] == "TEXT"] == ["my secret plan"]
    assert [(r["kind"], r["amount"], r["direction"], r["memo"]) for r in data["records"]] == [
        ("TOP_UP", "10.00", "IN", ""), ("P2P", "2.00", "OUT", "cake")]
    assert data["wallet"] == {"balance": "8.00", "currency": "CNY"}

    # wrong password, then money left: refused, nothing changed
    before = await wallet_flows.ledger_snapshot()
    wrong = await alice.client.mutate("deleteAccount", DELETE, {"input": {"password": "not my password"}})
    assert (wrong["__typename"], wrong["code"]) == ("InvalidCredentialsError", "INVALID_CREDENTIALS")
    refused = await alice.client.mutate("deleteAccount", DELETE, {"input": {"password": flows.PASSWORD}})
    assert refused == {"__typename": "AccountNotEmptyError", "reason": "MONEY_LEFT", "code": "CONFLICT",
                       "message": "Your wallet still holds money: withdraw it first."}
    assert await wallet_flows.ledger_snapshot() == before
    assert (await alice.client.gql("{ me { displayName } }"))["me"] == {"displayName": "Alice"}

    withdrawn = await wallet_flows.withdraw(alice, "8.00")
    assert withdrawn["__typename"] == "TransferSuccess", withdrawn
    assert await wallet_flows.balance(alice) == "0.00"
    deleted = await alice.client.mutate("deleteAccount", DELETE, {"input": {"password": flows.PASSWORD}})
    assert deleted == {"__typename": "AccountDeleted", "deleted": True}

    # sessions end; the phone and password no longer sign in; nobody finds the number
    assert (await alice.client.gql("{ me { displayName } }"))["me"] is None
    login = await new_client().mutate("login", flows.LOGIN, {"input": {"phone": alice.phone,
                                                                        "password": flows.PASSWORD}})
    assert login["__typename"] == "InvalidCredentialsError"
    assert await people.find(bob.account, alice.phone) is None
    # what the ledger keeps stays, anonymised; the rest is gone
    assert await people.contact_names(bob.account) == []
    thread = await chat.conversation(bob.account, direct["id"], last=10)
    assert thread is not None
    by_id = {e["node"]["id"]: e["node"] for e in thread["messages"]["edges"]}
    assert (by_id[said["id"]]["text"], by_id[said["id"]]["recalled"]) == (None, True)
    transfer_message = next(m for m in by_id.values() if m["kind"] == "TRANSFER")
    assert (transfer_message["author"]["displayName"], transfer_message["transfer"]["amount"]["amount"]) == (
        "Deleted user", "2.00")
    assert await wallet_flows.balance(bob) == "2.00"
