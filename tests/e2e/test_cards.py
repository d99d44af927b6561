"""Binding bank cards: checks, the issuer's SMS code, three wrong codes, one card once, removal."""

from __future__ import annotations

from collections.abc import Callable

from models import Card
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink

CARDS = "{ me { cards { brand last4 expiryMonth expiryYear holderName status } } }"


async def test_bind_with_the_bank_code_then_the_card_shows_brand_and_last_four(
        client: GraphQLClient, sms_sink: SmsSink) -> None:
    who = await wf.wallet_user(client, sms_sink)
    before = wf.sms_count(sms_sink, who.phone, wf.BIND_SMS)
    started = await wf.start_binding(who.account, number="3782 822463 10005", cvv="4321", month=3, year=2030)
    assert started["__typename"] == "CardBindingStarted"
    assert {k: v for k, v in started["card"].items() if k != "id"} == {
        "brand": "AMEX", "last4": "0005", "expiryMonth": 3, "expiryYear": 2030, "holderName": wf.REAL_NAME,
        "status": "PENDING"}
    assert (await client.gql(CARDS))["me"]["cards"] == []
    code = await wf.bank_code(sms_sink, who.phone, before)
    confirmed = await client.mutate("confirmCardBinding", wf.CONFIRM_CARD, {"input": {
        "bindingId": started["card"]["id"], "code": code}})
    assert confirmed["card"]["status"] == "ACTIVE"
    assert (await client.gql(CARDS))["me"]["cards"] == [{
        "brand": "AMEX", "last4": "0005", "expiryMonth": 3, "expiryYear": 2030, "holderName": wf.REAL_NAME,
        "status": "ACTIVE"}]
    row = await Card.get(id=wf.db_id(started["card"]["id"]))
    assert (row.active_fingerprint, len(row.fingerprint)) == (row.fingerprint, 64)
    assert row.processor_token.startswith("sbx_approve_")


async def test_one_card_binds_once_across_accounts(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                                   sms_sink: SmsSink) -> None:
    alice = await wf.wallet_user(client, sms_sink)
    await wf.bind_card(alice, sms_sink, number="5555555555554444")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    cards_before = await Card.all().count()
    for who in (alice, bob):
        again = await wf.start_binding(who.account, number="5555-5555-5555-4444")
        assert again == {"__typename": "AlreadyExistsError", "code": "ALREADY_EXISTS",
                         "message": "This card is already linked to a wallet."}
    assert await Card.all().count() == cards_before
    removed = await client.mutate("removeCard", wf.REMOVE_CARD, {"input": {"cardId": alice.card_id, "pin": wf.PIN}})
    assert removed == {"__typename": "CardRemoved", "cardId": alice.card_id}
    assert (await bob.client.gql(CARDS))["me"]["cards"] == []
    await wf.bind_card(bob, sms_sink, number="5555555555554444")
    assert [c["last4"] for c in (await bob.client.gql(CARDS))["me"]["cards"]] == ["4444"]


async def test_bad_card_details_are_refused_and_nothing_is_kept(client: GraphQLClient, sms_sink: SmsSink) -> None:
    who = await wf.wallet_user(client, sms_sink)
    cases = [
        ({"number": "4242424242424241"}, "number", "is mistyped (its check digit is wrong)"),
        ({"number": "９２４２４２４２４２４２４２４２"}, "number",
         "must be the card number's digits 0-9 (spaces and dashes allowed)"),
        ({"number": "378282246310005", "cvv": "123"}, "cvv", "must be the 4 digits on the card"),
        ({"cvv": "12a"}, "cvv", "must be the 3 digits on the card"),
        ({"month": 1, "year": 2020}, "expiryYear", "the card has expired"),
        ({"month": 13}, "expiryMonth", "must be 1 to 12"),
        ({"holder": "李四"}, "holderName", "must be the name on your verified identity"),
        ({"holder": "王小明\x07"}, "holderName", "contains a control character"),
    ]
    sms_before = len(sms_sink.to(who.phone))
    for overrides, field, message in cases:
        refused = await wf.start_binding(who.account, **overrides)  # type: ignore[arg-type]
        assert refused["__typename"] == "InvalidInputError", overrides
        assert refused["fields"] == [{"field": field, "message": message}]
    assert await Card.filter(user__phone=who.phone).count() == 0
    assert len(sms_sink.to(who.phone)) == sms_before
    wrong_pin = await wf.start_binding(who.account, pin="975310")
    assert (wrong_pin["__typename"], wrong_pin["attemptsLeft"]) == ("InvalidPinError", 4)
    assert await Card.filter(user__phone=who.phone).count() == 0


async def test_issuer_declines_and_unionpay_luhn_policy(client: GraphQLClient, sms_sink: SmsSink) -> None:
    who = await wf.wallet_user(client, sms_sink)
    for number, reason in (("4000000000000002", "DECLINED"), ("4000000000000069", "EXPIRED_CARD")):
        declined = await wf.start_binding(who.account, number=number)
        assert declined == {"__typename": "CardDeclinedError", "code": "CARD_DECLINED", "reason": reason,
                            "message": f"The card was declined ({reason})."}
    assert await Card.filter(user__phone=who.phone).count() == 0
    # UnionPay: the check digit is the issuer's business (Braintree's default), so a non-Luhn number binds
    unionpay = await wf.start_binding(who.account, number="6200000000000006")
    assert (unionpay["__typename"], unionpay["card"]["brand"]) == ("CardBindingStarted", "UNIONPAY")


async def test_three_wrong_codes_fail_the_binding(client: GraphQLClient, sms_sink: SmsSink) -> None:
    who = await wf.wallet_user(client, sms_sink)
    before = wf.sms_count(sms_sink, who.phone, wf.BIND_SMS)
    started = await wf.start_binding(who.account, number="6011111111111117")
    code = await wf.bank_code(sms_sink, who.phone, before)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    confirm = {"input": {"bindingId": started["card"]["id"], "code": wrong}}
    left = [(await client.mutate("confirmCardBinding", wf.CONFIRM_CARD, confirm))["attemptsLeft"] for _ in range(3)]
    assert left == [2, 1, 0]
    late = await client.mutate("confirmCardBinding", wf.CONFIRM_CARD, {"input": {
        "bindingId": started["card"]["id"], "code": code}})
    assert late["__typename"] == "NotFoundError"
    row = await Card.get(id=wf.db_id(started["card"]["id"]))
    assert (row.status, row.active_fingerprint) == ("FAILED", None)
    assert (await client.gql(CARDS))["me"]["cards"] == []


async def test_removing_a_card_needs_the_pin(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                             sms_sink: SmsSink) -> None:
    who = await wf.wallet_user(client, sms_sink)
    await wf.bind_card(who, sms_sink, number="3566002020360505")
    wrong = await client.mutate("removeCard", wf.REMOVE_CARD, {"input": {"cardId": who.card_id, "pin": "975310"}})
    assert (wrong["__typename"], wrong["attemptsLeft"]) == ("InvalidPinError", 4)
    other = await wf.wallet_user(new_client(), sms_sink, name="Mallory")
    theirs = await other.client.mutate("removeCard", wf.REMOVE_CARD, {"input": {"cardId": who.card_id,
                                                                                "pin": wf.PIN}})
    assert theirs["__typename"] == "NotFoundError"
    assert [c["status"] for c in (await client.gql(CARDS))["me"]["cards"]] == ["ACTIVE"]
    assert (await client.mutate("removeCard", wf.REMOVE_CARD, {"input": {"cardId": who.card_id, "pin": wf.PIN}}))[
        "__typename"] == "CardRemoved"
    assert (await client.gql(CARDS))["me"]["cards"] == []
    row = await Card.get(id=wf.db_id(who.card_id or ""))
    assert (row.status, row.processor_token, row.active_fingerprint) == ("REMOVED", "", None)
