"""Conversations and messages through the public API."""

from __future__ import annotations

from tests.support import chat, flows
from tests.support.server import RunningServer

NODE = "query($id: ID!) { node(id: $id) { id } }"


async def test_direct_conversation_is_reused_and_messages_flow(server: RunningServer, new_client, sms_sink) -> None:  # type: ignore[no-untyped-def]
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    conv = await chat.start(alice, bob)
    assert conv["kind"] == "DIRECT"
    assert (await chat.start(bob, alice))["id"] == conv["id"]
    first = await chat.send(alice, conv["id"], "hi", cmid="c-1")
    again = await chat.send(alice, conv["id"], "hi (resent)", cmid="c-1")
    assert again["id"] == first["id"]
    assert again["text"] == "hi"
    for i in range(3):
        await chat.send(alice, conv["id"], f"n{i}")
    listed = (await bob.client.gql(chat.CONVERSATIONS, {"first": 10}))["conversations"]["edges"]
    assert [(e["node"]["id"], e["node"]["unreadCount"], e["node"]["lastMessage"]["text"]) for e in listed] == [
        (conv["id"], 4, "n2")]
    page = await chat.conversation(bob, conv["id"], last=2)
    assert page is not None
    assert [e["node"]["text"] for e in page["messages"]["edges"]] == ["n1", "n2"]
    assert page["messages"]["pageInfo"]["hasPreviousPage"] is True
    older = await chat.conversation(bob, conv["id"], last=5, before=page["messages"]["pageInfo"]["startCursor"])
    assert older is not None
    assert [e["node"]["text"] for e in older["messages"]["edges"]] == ["hi", "n0"]
    assert older["messages"]["pageInfo"]["hasPreviousPage"] is False
    read = await bob.client.mutate("markRead", chat.MARK_READ, {"input": {"conversationId": conv["id"]}})
    assert read["__typename"] == "ReadSuccess"
    assert read["conversation"]["unreadCount"] == 0


async def test_edit_and_recall_only_by_the_author(server: RunningServer, new_client, sms_sink) -> None:  # type: ignore[no-untyped-def]
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    conv = await chat.start(alice, bob)
    msg = await chat.send(alice, conv["id"], "typo")
    assert msg["editableUntil"] is not None
    assert msg["recallableUntil"] is not None
    refused = await bob.client.mutate("editMessage", chat.EDIT, {"input": {"messageId": msg["id"], "text": "x"}})
    assert refused == {"__typename": "MessageLockedError", "reason": "NOT_AUTHOR", "code": "MESSAGE_LOCKED",
                       "message": "Only the author can edit a message."}
    edited = await alice.client.mutate("editMessage", chat.EDIT, {"input": {"messageId": msg["id"], "text": "fixed"}})
    assert edited["chatMessage"]["text"] == "fixed"
    assert edited["chatMessage"]["editedAt"] is not None
    recalled = await alice.client.mutate("recallMessage", chat.RECALL, {"input": {"messageId": msg["id"]}})
    assert recalled["chatMessage"]["recalled"] is True
    assert recalled["chatMessage"]["text"] is None
    assert recalled["chatMessage"]["recallableUntil"] is None
    seen = await chat.conversation(bob, conv["id"], last=5)
    assert seen is not None
    assert [(e["node"]["text"], e["node"]["recalled"]) for e in seen["messages"]["edges"]] == [(None, True)]
    twice = await alice.client.mutate("recallMessage", chat.RECALL, {"input": {"messageId": msg["id"]}})
    assert twice["reason"] == "RECALLED"


async def test_a_stranger_sees_nothing_exactly_as_for_a_missing_id(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    eve = await flows.register(new_client(), sms_sink, name="Eve")
    conv = await chat.start(alice, bob)
    msg = await chat.send(alice, conv["id"], "private")
    request = await alice.client.mutate("requestMoney", """mutation($input: RequestMoneyInput!) {
        requestMoney(input: $input) { __typename ... on PaymentRequestSuccess { request { id } } } }""",
                                        {"input": {"conversationId": conv["id"], "amount": "5.00", "memo": "lunch"}})
    request_id = request["request"]["id"]
    missing_conv = "Q29udmVyc2F0aW9uOjk5OTk5OTk5"  # Conversation:99999999
    assert await chat.conversation(eve, conv["id"]) is None
    assert await chat.conversation(eve, missing_conv) is None
    for gid in (conv["id"], msg["id"], request_id):
        assert (await eve.client.gql(NODE, {"id": gid})) == {"node": None}
    send = await eve.client.mutate("sendMessage", chat.SEND, {"input": {"conversationId": conv["id"], "text": "x"}})
    send_missing = await eve.client.mutate("sendMessage", chat.SEND, {"input": {"conversationId": missing_conv,
                                                                                "text": "x"}})
    assert send == send_missing == {"__typename": "NotFoundError", "code": "NOT_FOUND",
                                    "message": "No such conversation."}
    recall = await eve.client.mutate("recallMessage", chat.RECALL, {"input": {"messageId": msg["id"]}})
    assert recall == {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "No such message."}
    page = await chat.conversation(alice, conv["id"], last=10)
    assert page is not None
    assert [e["node"]["text"] for e in page["messages"]["edges"]] == ["private", None]  # the request, untouched


async def test_groups_add_remove_and_leave(server: RunningServer, new_client, sms_sink) -> None:  # type: ignore[no-untyped-def]
    alice, bob, carol = [await flows.register(new_client(), sms_sink, name=n) for n in ("Alice", "Bob", "Carol")]
    group = await chat.start(alice, bob, title="Trip")
    assert group["kind"] == "GROUP"
    assert group["owner"] == {"id": alice.user_id}
    add = """mutation($input: AddMembersInput!) { addMembers(input: $input) { __typename
        ... on ConversationSuccess { conversation { members { user { displayName } } } } } }"""
    added = await bob.client.mutate("addMembers", add, {"input": {"conversationId": group["id"],
                                                                  "userIds": [carol.user_id]}})
    assert [m["user"]["displayName"] for m in added["conversation"]["members"]] == ["Alice", "Bob", "Carol"]
    remove = """mutation($input: RemoveMemberInput!) { removeMember(input: $input) { __typename } }"""
    assert (await bob.client.mutate("removeMember", remove, {"input": {"conversationId": group["id"],
                                                                       "userId": carol.user_id}}))[
        "__typename"] == "ForbiddenError"
    assert (await alice.client.mutate("removeMember", remove, {"input": {"conversationId": group["id"],
                                                                         "userId": carol.user_id}}))[
        "__typename"] == "ConversationSuccess"
    assert await chat.conversation(carol, group["id"]) is None
    leave = """mutation($input: LeaveConversationInput!) { leaveConversation(input: $input) { __typename } }"""
    assert (await alice.client.mutate("leaveConversation", leave, {"input": {"conversationId": group["id"]}}))[
        "__typename"] == "ConversationSuccess"
    now = await chat.conversation(bob, group["id"], last=10)
    assert now is not None
    assert now["owner"] == {"id": bob.user_id}
    assert [m["user"]["displayName"] for m in now["members"]] == ["Bob"]
    assert [e["node"]["text"] for e in now["messages"]["edges"]] == [
        "Alice created the group 'Trip'", "Bob added Carol", "Alice removed Carol", "Alice left"]
