"""bindCard, confirmCardBinding and removeCard take an optional idempotency key: a retry answers the
first result (no second binding, no second code), the same key on another request is refused."""

from __future__ import annotations

from models import Card
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink

CONFLICT = {"__typename": "IdempotencyConflictError", "code": "IDEMPOTENCY_CONFLICT"}


def _bind_input(number: str, key: str, holder: str = wf.REAL_NAME) -> dict[str, object]:
    return {"input": {"number": number, "expiryMonth": 12, "expiryYear": 2031, "cvv": "123", "holderName": holder,
                      "pin": wf.PIN, "idempotencyKey": key}}


async def test_card_mutations_answer_a_retry_with_the_first_result(client: GraphQLClient, sms_sink: SmsSink) -> None:
    who = await wf.wallet_user(client, sms_sink)
    number = wf.fresh_visa()
    before = wf.sms_count(sms_sink, who.phone, wf.BIND_SMS)
    started = await client.mutate("bindCard", wf.BIND_CARD, _bind_input(number, "bind-1"))
    assert started["__typename"] == "CardBindingStarted"
    code = await wf.bank_code(sms_sink, who.phone, before)
    again = await client.mutate("bindCard", wf.BIND_CARD, _bind_input(number, "bind-1"))
    assert again == started
    other = await client.mutate("bindCard", wf.BIND_CARD, _bind_input(wf.fresh_visa(), "bind-1"))
    assert {k: other[k] for k in ("__typename", "code")} == CONFLICT
    await wf.wait_sms(sms_sink, who.phone, wf.BIND_SMS, before + 1)  # one code, not two
    assert await Card.filter(user__phone=who.phone).count() == 1

    confirm = {"input": {"bindingId": started["card"]["id"], "code": code, "idempotencyKey": "confirm-1"}}
    confirmed = await client.mutate("confirmCardBinding", wf.CONFIRM_CARD, confirm)
    assert confirmed["card"]["status"] == "ACTIVE"
    assert await client.mutate("confirmCardBinding", wf.CONFIRM_CARD, confirm) == confirmed
    without_key = {"input": {"bindingId": started["card"]["id"], "code": code}}
    assert (await client.mutate("confirmCardBinding", wf.CONFIRM_CARD, without_key))["__typename"] == "NotFoundError"

    remove = {"input": {"cardId": started["card"]["id"], "pin": wf.PIN, "idempotencyKey": "remove-1"}}
    removed = await client.mutate("removeCard", wf.REMOVE_CARD, remove)
    assert removed == {"__typename": "CardRemoved", "cardId": started["card"]["id"]}
    assert await client.mutate("removeCard", wf.REMOVE_CARD, remove) == removed
    reused = await client.mutate("removeCard", wf.REMOVE_CARD, {"input": {
        "cardId": started["card"]["id"], "pin": wf.PIN, "idempotencyKey": "confirm-1"}})
    assert {k: reused[k] for k in ("__typename", "code")} == CONFLICT
    cards = await Card.filter(user__phone=who.phone)
    assert [c.status for c in cards] == ["REMOVED"]
