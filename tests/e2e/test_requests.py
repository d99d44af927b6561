"""Money requests end to end: ask in a chat, pay with PIN and idempotency key, cancel."""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid

import pytest

from tests.support import chat, wallet_flows
from tests.support import money_requests as requests
from tests.support.server import RunningServer
from tests.support.wallet_flows import balance, ledger_snapshot


def missing_request_id() -> str:
    return base64.b64encode(b"PaymentRequest:987654321").decode()


async def test_a_direct_request_is_paid_once_per_key_and_once_per_member(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    conv = await chat.start(bob.account, alice.account)
    asked = await requests.ask(bob.account, conv["id"], "12.34", "lunch")
    assert (asked["state"], asked["amount"], asked["memo"], asked["paidBy"]) == (
        "OPEN", {"amount": "12.34", "currency": "CNY"}, "lunch", [])
    assert asked["requester"] == {"id": bob.user_id}

    key = str(uuid.uuid4())
    paid = await requests.pay(alice, asked["id"], key=key)
    assert paid["__typename"] == "PayRequestSuccess", paid
    assert paid["request"]["paidBy"] == [{"user": {"id": alice.user_id}, "transferId": paid["transferId"]}]
    assert (await balance(alice), await balance(bob)) == ("87.66", "12.34")
    page = await chat.conversation(bob.account, conv["id"], last=1)
    assert page is not None
    assert page["messages"]["edges"][0]["node"]["transfer"] == {
        "transferId": paid["transferId"], "amount": {"amount": "12.34", "currency": "CNY"}, "memo": "lunch",
        "state": "COMPLETED"}

    before = await ledger_snapshot()
    repeat = await requests.pay(alice, asked["id"], key=key)
    assert repeat["__typename"] == "PayRequestSuccess"
    assert repeat["transferId"] == paid["transferId"]
    assert repeat["request"]["paidBy"] == paid["request"]["paidBy"]
    twice = await requests.pay(alice, asked["id"])
    assert (twice["__typename"], twice["code"], twice["reason"]) == ("RequestClosedError", "REQUEST_CLOSED",
                                                                      "ALREADY_PAID")
    own = await requests.pay(bob, asked["id"])
    assert own["__typename"] == "InvalidInputError"
    assert await ledger_snapshot() == before
    assert (await balance(alice), await balance(bob)) == ("87.66", "12.34")
    assert (await requests.seen(alice.account, asked["id"]))["paidBy"] == paid["request"]["paidBy"]  # type: ignore[index]


async def test_a_group_request_shows_who_paid_and_closes_when_cancelled(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    rita = await wallet_flows.wallet_user(new_client(), sms_sink, name="Rita")
    ann = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Ann")
    ben = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Ben")
    cid = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Cid")
    stranger = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Stranger")
    group = await chat.start(rita.account, ann.account, ben.account, cid.account, title="Trip")
    asked = await requests.ask(rita.account, group["id"], "5.00", "tickets")

    ann_key = str(uuid.uuid4())
    by_ann = await requests.pay(ann, asked["id"], key=ann_key)
    by_ben = await requests.pay(ben, asked["id"])
    assert by_ben["__typename"] == "PayRequestSuccess", by_ben
    assert by_ben["request"]["paidBy"] == [
        {"user": {"id": ann.user_id}, "transferId": by_ann["transferId"]},
        {"user": {"id": ben.user_id}, "transferId": by_ben["transferId"]}]
    assert [await balance(w) for w in (rita, ann, ben, cid)] == ["10.00", "45.00", "45.00", "50.00"]

    # a non-member gets exactly the answers a missing id gets
    assert await requests.seen(stranger.account, asked["id"]) is None
    assert await requests.seen(stranger.account, missing_request_id()) is None
    before = await ledger_snapshot()
    foreign = await requests.pay(stranger, asked["id"])
    missing = await requests.pay(stranger, missing_request_id())
    assert foreign == missing
    assert (foreign["__typename"], foreign["code"]) == ("NotFoundError", "NOT_FOUND")
    assert await requests.cancel(stranger.account, asked["id"]) == await requests.cancel(
        stranger.account, missing_request_id())
    assert await ledger_snapshot() == before

    cancelled = await requests.cancel(rita.account, asked["id"])
    assert cancelled["__typename"] == "PaymentRequestSuccess", cancelled
    assert cancelled["request"]["state"] == "CANCELLED"
    assert len(cancelled["request"]["paidBy"]) == 2
    late = await requests.pay(cid, asked["id"])
    assert (late["__typename"], late["code"], late["reason"]) == ("RequestClosedError", "REQUEST_CLOSED",
                                                                  "CANCELLED")
    again = await requests.cancel(rita.account, asked["id"])
    assert (again["__typename"], again["reason"]) == ("RequestClosedError", "CANCELLED")
    replay = await requests.pay(ann, asked["id"], key=ann_key)  # a lost answer, retried: the first result
    assert (replay["__typename"], replay["transferId"]) == ("PayRequestSuccess", by_ann["transferId"])
    assert await ledger_snapshot() == before
    assert [await balance(w) for w in (rita, ann, ben, cid, stranger)] == [
        "10.00", "45.00", "45.00", "50.00", "50.00"]


@pytest.mark.postgres
async def test_five_members_pay_one_group_request_at_once(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink, caplog) -> None:
    rita = await wallet_flows.wallet_user(new_client(), sms_sink, name="Rita")
    payers = await asyncio.gather(*(wallet_flows.funded_user(new_client(), sms_sink, "20.00", name=f"P{i}")
                                    for i in range(5)))
    group = await chat.start(rita.account, *(p.account for p in payers), title="Six")
    asked = await requests.ask(rita.account, group["id"], "3.00", "pizza")
    with caplog.at_level(logging.INFO, logger="app.ledger.retry"):
        results = await asyncio.gather(*(requests.pay(p, asked["id"]) for p in payers))
    assert [r["__typename"] for r in results] == ["PayRequestSuccess"] * 5
    assert [r.message for r in caplog.records if r.name == "app.ledger.retry"] == []  # no deadlock, no retry
    shown = await requests.seen(rita.account, asked["id"])
    assert shown is not None
    assert sorted(p["user"]["id"] for p in shown["paidBy"]) == sorted(p.user_id for p in payers)
    assert sorted(p["transferId"] for p in shown["paidBy"]) == sorted(r["transferId"] for r in results)
    assert [await balance(w) for w in (rita, *payers)] == ["15.00"] + ["17.00"] * 5


@pytest.mark.postgres
async def test_payments_of_overlapping_group_requests_never_deadlock(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink, caplog) -> None:
    # X pays Y's request in a group that holds Z; at the same moment Z pays W's request in a group that
    # holds X. Each payment touches the other payer's stream: locked piecemeal, they would cross.
    x, y, z, w = await asyncio.gather(*(wallet_flows.funded_user(new_client(), sms_sink, "20.00", name=n)
                                        for n in ("X", "Y", "Z", "W")))
    first = await chat.start(y.account, x.account, z.account, title="Y's")
    second = await chat.start(w.account, z.account, x.account, title="W's")
    rounds = 8
    with caplog.at_level(logging.INFO, logger="app.ledger.retry"):
        for _ in range(rounds):
            by_y = await requests.ask(y.account, first["id"], "1.00")
            by_w = await requests.ask(w.account, second["id"], "1.00")
            results = await asyncio.gather(requests.pay(x, by_y["id"]), requests.pay(z, by_w["id"]))
            assert [r["__typename"] for r in results] == ["PayRequestSuccess"] * 2
    assert [r.message for r in caplog.records if r.name == "app.ledger.retry"] == []
    assert [await balance(p) for p in (x, y, z, w)] == ["12.00", "28.00", "12.00", "28.00"]
