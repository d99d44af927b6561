"""Blocks and privacy settings against every way to reach a person: one answer for "blocked" and "not allowed"."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support import chat, flows, money_requests, people, wallet_flows
from tests.support.client import fresh_phone
from tests.support.flows import Account
from tests.support.wallet_flows import WalletAccount

ADD_MEMBERS = """mutation($input: AddMembersInput!) { addMembers(input: $input) {
  __typename ... on Error { code message } } }"""

NOT_REACHABLE = {"__typename": "NotReachableError", "code": "NOT_REACHABLE",
                 "message": "This person cannot be reached this way."}
NO_SUCH_USER = {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "No such user."}


def _short(result: dict[str, Any]) -> dict[str, Any]:
    return {k: result.get(k) for k in ("__typename", "code", "message")}


async def _probe(bob: WalletAccount, target: Account, phone: str, *, direct_id: str, group_id: str,
                 third: Account) -> dict[str, Any]:
    """Every way Bob may try to reach the target: message, chat, group, request, money, contact, find."""
    c = bob.client
    return {
        "message": _short(await c.mutate("sendMessage", chat.SEND, {"input": {
            "conversationId": direct_id, "text": "hello?", "clientMessageId": uuid.uuid4().hex}})),
        "startDirect": _short(await c.mutate("startConversation", chat.START, {"input": {
            "memberIds": [target.user_id], "title": ""}})),
        "newGroup": _short(await c.mutate("startConversation", chat.START, {"input": {
            "memberIds": [target.user_id, third.user_id], "title": "Trip"}})),
        "groupAdd": _short(await c.mutate("addMembers", ADD_MEMBERS, {"input": {
            "conversationId": group_id, "userIds": [target.user_id]}})),
        "request": _short(await c.mutate("requestMoney", money_requests.REQUEST_MONEY, {"input": {
            "conversationId": direct_id, "amount": "5.00", "memo": "lunch"}})),
        "transfer": _short(await c.mutate("sendMoney", wallet_flows.SEND_MONEY, wallet_flows.send_input(
            to_user=target.user_id, amount="1.00"))),
        "transferByPhone": _short(await c.mutate("sendMoney", wallet_flows.SEND_MONEY, wallet_flows.send_input(
            to_phone=phone, amount="1.00"))),
        "contactRequest": _short(await people.ask(bob.account, to=target)),
        "contactRequestByPhone": _short(await people.ask(bob.account, phone=phone)),
        "findUser": await people.find(bob.account, phone),
    }


EXPECTED = {
    "message": NOT_REACHABLE, "startDirect": NOT_REACHABLE, "newGroup": NOT_REACHABLE, "groupAdd": NOT_REACHABLE,
    "request": NOT_REACHABLE, "transfer": NOT_REACHABLE, "contactRequest": NOT_REACHABLE,
    # by phone number: exactly what a number with no account gets, so nothing more than findUser shows
    "transferByPhone": NO_SUCH_USER, "contactRequestByPhone": NO_SUCH_USER, "findUser": None,
}


async def _counts(alice: WalletAccount, direct_id: str) -> dict[str, Any]:
    thread = await chat.conversation(alice.account, direct_id, last=50)
    assert thread is not None
    return {
        "ledger": await wallet_flows.ledger_snapshot(),
        "direct": [e["node"]["id"] for e in thread["messages"]["edges"]],
        "conversations": len((await alice.client.gql(chat.CONVERSATIONS, {"first": 50}))["conversations"]["edges"]),
        "contactRequests": (await alice.client.gql(people.CONTACT_REQUESTS))["contactRequests"]["edges"],
    }


async def test_blocked_and_not_allowed_get_the_same_answer_everywhere(  # type: ignore[no-untyped-def]
        new_client, sms_sink) -> None:
    alice = await wallet_flows.wallet_user(new_client(), sms_sink, name="Alice")
    bob = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Bob")
    carol = await flows.register(new_client(), sms_sink, name="Carol")
    direct = await chat.start(bob.account, alice.account)
    first = await chat.send(bob.account, direct["id"], "hi Alice")
    group = await chat.start(bob.account, carol, title="Club")
    before = await _counts(alice, direct["id"])

    # blocked: Alice keeps the default settings (everyone) and blocks Bob
    assert await people.block(alice.account, bob.account) == {
        "__typename": "BlockSuccess", "blocked": True, "user": {"id": bob.user_id}}
    listed = (await alice.client.gql(people.BLOCKED))["blockedUsers"]["edges"]
    assert listed == [{"node": {"user": {"id": bob.user_id}}}]
    blocked = await _probe(bob, alice.account, alice.phone, direct_id=direct["id"], group_id=group["id"], third=carol)

    # not allowed: no block, but settings that refuse everyone
    assert (await people.unblock(alice.account, bob.account))["blocked"] is False
    assert await people.privacy(alice.account, messagesFrom="NOBODY", paymentRequestsFrom="NOBODY",
                                findableByPhone="NOBODY") == {
        "messagesFrom": "NOBODY", "paymentRequestsFrom": "NOBODY", "findableByPhone": "NOBODY"}
    not_allowed = await _probe(bob, alice.account, alice.phone, direct_id=direct["id"], group_id=group["id"],
                               third=carol)

    nobody = fresh_phone()  # a number with no account at all
    assert await people.find(bob.account, nobody) is None
    assert _short(await people.ask(bob.account, phone=nobody)) == NO_SUCH_USER
    assert _short(await bob.client.mutate("sendMoney", wallet_flows.SEND_MONEY, wallet_flows.send_input(
        to_phone=nobody, amount="1.00"))) == NO_SUCH_USER
    assert blocked == not_allowed == EXPECTED
    assert await _counts(alice, direct["id"]) == before  # nothing reached Alice, no money moved
    assert await wallet_flows.balance(bob) == "50.00"

    # the existing conversation stays readable to Bob
    thread = await chat.conversation(bob.account, direct["id"], last=5)
    assert thread is not None
    assert [e["node"]["id"] for e in thread["messages"]["edges"]] == [first["id"]]

    # and with everyone allowed again, the same ways reach Alice
    await people.privacy(alice.account, messagesFrom="EVERYONE", paymentRequestsFrom="EVERYONE",
                         findableByPhone="EVERYONE")
    assert (await people.find(bob.account, alice.phone)) == {"id": alice.user_id, "displayName": "Alice"}
    await chat.send(bob.account, direct["id"], "hello again")
    sent = await wallet_flows.send(bob, alice, amount="1.00")
    assert sent["__typename"] == "TransferSuccess", sent
    assert await wallet_flows.balance(alice) == "1.00"


async def test_each_setting_lets_contacts_through_and_stops_strangers(  # type: ignore[no-untyped-def]
        new_client, sms_sink) -> None:
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    dave = await flows.register(new_client(), sms_sink, name="Dave")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    await people.befriend(dave, alice)
    with_dave = await chat.start(dave, alice)
    with_bob = await chat.start(bob, alice)

    async def message(who: Account, conversation_id: str) -> str:
        return str((await who.client.mutate("sendMessage", chat.SEND, {"input": {
            "conversationId": conversation_id, "text": "hi", "clientMessageId": uuid.uuid4().hex}}))["__typename"])

    async def request(who: Account, conversation_id: str) -> str:
        return str((await who.client.mutate("requestMoney", money_requests.REQUEST_MONEY, {"input": {
            "conversationId": conversation_id, "amount": "2.00", "memo": ""}}))["__typename"])

    await people.privacy(alice, messagesFrom="CONTACTS")
    assert (await message(dave, with_dave["id"]), await message(bob, with_bob["id"])) == (
        "MessageSuccess", "NotReachableError")
    assert (await request(bob, with_bob["id"])) == "NotReachableError"  # a request is a message too
    asked = await people.ask(bob, to=alice, note="we met at the café")
    assert asked["__typename"] == "ContactRequestSuccess", asked  # how a stranger becomes a contact

    await people.privacy(alice, messagesFrom="EVERYONE", paymentRequestsFrom="CONTACTS")
    assert (await message(bob, with_bob["id"]), await request(bob, with_bob["id"]),
            await request(dave, with_dave["id"])) == ("MessageSuccess", "NotReachableError", "PaymentRequestSuccess")
    await people.privacy(alice, paymentRequestsFrom="NOBODY")
    assert await request(dave, with_dave["id"]) == "NotReachableError"

    await people.privacy(alice, findableByPhone="CONTACTS")
    assert (await people.find(bob, alice.phone), await people.find(dave, alice.phone)) == (
        None, {"id": alice.user_id, "displayName": "Alice"})
    await people.privacy(alice, findableByPhone="NOBODY")
    assert await people.find(dave, alice.phone) is None

    await people.privacy(alice, messagesFrom="NOBODY")
    assert await message(dave, with_dave["id"]) == "NotReachableError"
    carol = await flows.register(new_client(), sms_sink, name="Carol")
    assert _short(await people.ask(carol, to=alice)) == NOT_REACHABLE


async def test_a_block_leaves_shared_groups_and_history_as_they_are(  # type: ignore[no-untyped-def]
        new_client, sms_sink) -> None:
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    carol = await flows.register(new_client(), sms_sink, name="Carol")
    group = await chat.start(carol, alice, bob, title="Climbing")
    await people.block(alice, bob)

    # both stay members; Bob's group messages reach the group, Alice included
    said = await chat.send(bob, group["id"], "Saturday 9:00?")
    thread = await chat.conversation(alice, group["id"], last=5)
    assert thread is not None
    assert [e["node"]["text"] for e in thread["messages"]["edges"]][-1:] == ["Saturday 9:00?"]
    assert sorted(m["user"]["id"] for m in thread["members"]) == sorted([alice.user_id, bob.user_id, carol.user_id])
    assert said["author"] == {"id": bob.user_id, "displayName": "Bob"}
    # but Bob cannot pull Alice into a new group, while Carol (not blocked) can
    refused = await bob.client.mutate("startConversation", chat.START, {"input": {
        "memberIds": [alice.user_id, carol.user_id], "title": "Other"}})
    assert _short(refused) == NOT_REACHABLE
    assert (await chat.start(carol, alice, title="Just us"))["kind"] == "GROUP"
