"""Contacts: ask by id or phone, answer, remark names, remove; requests are rate-limited per sender."""

from __future__ import annotations

from tests.support import flows, people


async def test_contacts_from_request_to_removal(new_client, sms_sink) -> None:  # type: ignore[no-untyped-def]
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    carol = await flows.register(new_client(), sms_sink, name="Carol")

    asked = await people.ask(bob, phone=alice.phone.replace("+86", "0086"), note="from the café")
    assert asked == {"__typename": "ContactRequestSuccess", "request": {
        "id": asked["request"]["id"], "state": "PENDING", "note": "from the café",
        "sender": {"id": bob.user_id}, "recipient": {"id": alice.user_id}}}
    assert (await alice.client.gql(people.CONTACT_REQUESTS))["contactRequests"]["edges"] == [{"node": {
        "id": asked["request"]["id"], "note": "from the café", "state": "PENDING", "sender": {"id": bob.user_id}}}]
    # only the recipient answers; to anyone else the request does not exist
    assert (await people.respond(bob, asked["request"]["id"], True))["code"] == "NOT_FOUND"
    assert (await people.respond(alice, asked["request"]["id"], True))["request"]["state"] == "ACCEPTED"
    assert (await people.respond(alice, asked["request"]["id"], True))["code"] == "NOT_FOUND"  # answered once
    assert await people.contact_names(alice) == [(bob.user_id, "Bob")]
    assert await people.contact_names(bob) == [(alice.user_id, "Alice")]
    again = await people.ask(bob, to=alice)
    assert (again["__typename"], again["code"]) == ("AlreadyExistsError", "ALREADY_EXISTS")

    renamed = await alice.client.mutate("setContactRemark", people.SET_REMARK, {"input": {
        "userId": bob.user_id, "remark": "Bob (climbing)"}})
    assert renamed == {"__typename": "ContactSuccess", "contact": {"name": "Bob (climbing)",
                                                                    "remark": "Bob (climbing)"}}
    assert await people.contact_names(alice) == [(bob.user_id, "Bob (climbing)")]
    assert await people.contact_names(bob) == [(alice.user_id, "Alice")]  # a remark is only the owner's

    # two requests that cross become contacts at once
    first = await people.ask(carol, to=alice)
    crossing = await people.ask(alice, to=carol)
    assert (first["request"]["state"], crossing["request"]["state"]) == ("PENDING", "ACCEPTED")
    assert await people.contact_names(carol) == [(alice.user_id, "Alice")]

    removed = await alice.client.mutate("removeContact", people.REMOVE_CONTACT, {"input": {"userId": bob.user_id}})
    assert removed == {"__typename": "ContactRemoved", "userId": bob.user_id}
    assert await people.contact_names(alice) == [(carol.user_id, "Carol")]
    assert await people.contact_names(bob) == []
    gone = await alice.client.mutate("removeContact", people.REMOVE_CONTACT, {"input": {"userId": bob.user_id}})
    assert gone["code"] == "NOT_FOUND"


async def test_a_declined_request_and_the_per_sender_limit(new_client, sms_sink) -> None:  # type: ignore[no-untyped-def]
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    asked = await people.ask(bob, to=alice, note="hi")
    declined = await people.respond(alice, asked["request"]["id"], False)
    assert declined == {"__typename": "ContactRequestSuccess",
                        "request": {"id": asked["request"]["id"], "state": "DECLINED"}}
    assert await people.contact_names(alice) == await people.contact_names(bob) == []
    assert (await alice.client.gql(people.CONTACT_REQUESTS))["contactRequests"]["edges"] == []

    for _ in range(19):  # one request already counted; twenty an hour per sender
        assert (await people.ask(bob, to=alice))["__typename"] == "ContactRequestSuccess"
    limited = await people.ask(bob, to=alice)
    assert (limited["__typename"], limited["code"]) == ("RateLimitedError", "RATE_LIMITED")
    # repeats do not pile up: one pending request
    assert len((await alice.client.gql(people.CONTACT_REQUESTS))["contactRequests"]["edges"]) == 1
