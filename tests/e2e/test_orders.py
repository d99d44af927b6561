"""Merchant orders end to end: created by a shop's key, paid once by a user's token, expiring, refunded in parts."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.ledger.audit import audit
from app.notifications import SignatureError, signing_secret, verify
from models import (
    Event,
    JournalKind,
    MerchantNotification,
    MerchantOrder,
    OrderRefund,
    OrderState,
    Transfer,
    TransferKind,
)
from tests.support import merchants as m
from tests.support import wallet_flows
from tests.support.client import GraphQLClient
from tests.support.merchants import close_merchant_clients  # noqa: F401 (an autouse fixture)
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink, free_port
from tests.support.time_travel import travelling
from tests.support.wallet_flows import balance, db_id, ledger_snapshot


async def _shop(server: RunningServer, new_client: Callable[..., GraphQLClient], sms: SmsSink) -> m.Shop:
    owner = await wallet_flows.wallet_user(new_client(), sms, name="Shopkeeper")
    return await m.make_shop(server.base_url, owner)


async def test_create_order_is_idempotent_on_the_merchant_order_id(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    shop = await _shop(server, new_client, sms_sink)
    ref = f"order-{uuid.uuid4().hex[:8]}"
    first = await m.create_order(shop, ref, "12.50", description="noodles")
    assert first["__typename"] == "OrderSuccess", first
    assert (first["order"]["state"], first["order"]["amount"], first["order"]["merchantName"]) == (
        "PENDING", {"amount": "12.50", "currency": "CNY"}, "Corner Shop")
    again = await m.create_order(shop, ref, "12.50", description="noodles")
    assert again["order"]["id"] == first["order"]["id"]
    other = await m.create_order(shop, ref, "13.50", description="noodles")
    assert other["__typename"] == "IdempotencyConflictError", other
    assert await MerchantOrder.filter(merchant_id=shop.merchant_id, merchant_order_id=ref).count() == 1

    refusals = [await m.create_order(shop, amount="0.00"), await m.create_order(shop, expires=0),
                await m.create_order(shop, notify_url="ftp://shop.example/hook"),
                await m.create_order(shop, ref="订单")]
    assert [r["__typename"] for r in refusals] == ["InvalidInputError"] * 4

    # The same merchantOrderId at another shop is another order.
    other_shop = await _shop(server, new_client, sms_sink)
    elsewhere = await m.create_order(other_shop, ref, "99.00")
    assert elsewhere["__typename"] == "OrderSuccess"
    assert elsewhere["order"]["id"] != first["order"]["id"]


async def test_a_user_pays_an_order_once_and_the_shop_sees_it_paid(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    shop = await _shop(server, new_client, sms_sink)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    bob = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Bob")
    order_id = await m.new_order(shop, "30.00")

    seen = await alice.client.gql(m.ORDER, {"id": order_id})
    assert seen["order"]["state"] == "PENDING"
    assert seen["order"]["amount"]["amount"] == "30.00"

    before = await ledger_snapshot()
    wrong = await m.pay(alice, order_id, pin=wallet_flows.OTHER_PIN)
    assert wrong["__typename"] == "InvalidPinError", wrong
    assert (await ledger_snapshot())["balances"] == before["balances"]

    key = str(uuid.uuid4())
    paid = await m.pay(alice, order_id, key=key)
    assert paid["__typename"] == "OrderPaid", paid
    assert (paid["order"]["state"], paid["transfer"]["kind"], paid["wallet"]["balance"]["amount"]) == (
        "PAID", "ORDER_PAYMENT", "70.00")
    replay = await m.pay(alice, order_id, key=key)
    assert replay["transfer"]["id"] == paid["transfer"]["id"]
    assert replay["wallet"]["balance"]["amount"] == "70.00"
    late = await m.pay(bob, order_id)
    assert (late["__typename"], late["reason"]) == ("OrderNotPayableError", "ALREADY_PAID")
    again = await m.pay(alice, order_id)
    assert (again["__typename"], again["reason"]) == ("OrderNotPayableError", "ALREADY_PAID")

    assert (await balance(alice), await balance(bob), await m.merchant_balance(shop)) == ("70.00", "100.00", "30.00")
    by_shop = await shop.client.gql(m.ORDER, {"id": order_id})
    assert by_shop["order"]["state"] == "PAID"
    assert by_shop["order"]["paidAt"] is not None
    # Bob did not pay it and it is no longer open: to him it does not exist.
    assert (await bob.client.gql(m.ORDER, {"id": order_id}))["order"]["__typename"] == "NotFoundError"
    # Another shop's key cannot see it either.
    other_shop = await _shop(server, new_client, sms_sink)
    assert (await other_shop.client.gql(m.ORDER, {"id": order_id}))["order"]["__typename"] == "NotFoundError"
    assert await Transfer.filter(kind=TransferKind.ORDER_PAYMENT, payer_id=db_id(alice.user_id)).count() == 1
    receipts = [e.payload for e in await Event.filter(user_id=db_id(alice.user_id), kind="payment.receipt")
                .order_by("id")]
    assert [(r["receiptKind"], r["amount"], r["balanceAfter"], r["counterpartyName"], r["transferId"])
            for r in receipts[-1:]] == [("SENT", "30.00", "70.00", "Corner Shop", paid["transfer"]["id"])]
    assert await audit() == []


async def test_an_order_payment_counts_against_the_daily_limit(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    shop = await _shop(server, new_client, sms_sink)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    paid = await m.pay(alice, await m.new_order(shop, "40.00"))
    assert paid["__typename"] == "OrderPaid", paid
    limits = await alice.client.gql("{ wallet { limits { sentToday { amount } } } }")
    assert limits["wallet"]["limits"]["sentToday"]["amount"] == "40.00"


async def test_an_expired_order_refuses_payment_and_the_sweeper_closes_it(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    shop = await _shop(server, new_client, sms_sink)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Alice")
    order_id = await m.new_order(shop, "10.00", expires=60)
    with travelling(server) as clock:
        clock.advance(timedelta(seconds=61))
        before = await ledger_snapshot()
        late = await m.pay(alice, order_id)
        assert (late["__typename"], late["reason"]) == ("OrderNotPayableError", "EXPIRED"), late
        assert await ledger_snapshot() == before
        for _ in range(100):  # the sweeper runs every 0.1 s in tests
            if (await MerchantOrder.get(id=db_id(order_id))).state == OrderState.EXPIRED:
                break
            await asyncio.sleep(0.05)
        seen = await shop.client.gql(m.ORDER, {"id": order_id})
        assert seen["order"]["state"] == "EXPIRED"
        again = await m.pay(alice, order_id)
        assert again["reason"] == "EXPIRED"
    assert await balance(alice) == "50.00"
    assert await audit() == []


async def test_refunds_add_up_to_the_payment_and_never_beyond(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    shop = await _shop(server, new_client, sms_sink)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    order_id = await m.new_order(shop, "30.00")
    unpaid = await m.refund(shop, order_id, "1.00")
    assert (unpaid["__typename"], unpaid["reason"]) == ("RefundRefusedError", "NOT_REFUNDABLE")
    assert (await m.pay(alice, order_id))["__typename"] == "OrderPaid"

    key = str(uuid.uuid4())
    part = await m.refund(shop, order_id, "10.00", key=key)
    assert part["__typename"] == "OrderRefunded", part
    assert (part["order"]["state"], part["order"]["refunded"], part["refund"]["amount"]) == (
        "PAID", {"amount": "10.00"}, {"amount": "10.00"})
    assert (await m.refund(shop, order_id, "10.00", key=key))["order"]["refunded"] == {"amount": "10.00"}
    conflict = await m.refund(shop, order_id, "11.00", key=key)
    assert conflict["__typename"] == "IdempotencyConflictError"
    before = await ledger_snapshot()
    over = await m.refund(shop, order_id, "20.01")
    assert (over["__typename"], over["reason"], over["remaining"]) == (
        "RefundRefusedError", "EXCEEDS_REMAINING", {"amount": "20.00"})
    assert (await m.refund(shop, order_id, "0.00"))["__typename"] == "InvalidInputError"
    assert await ledger_snapshot() == before

    rest = await m.refund(shop, order_id, "20.00")
    assert (rest["order"]["state"], rest["order"]["refunded"]) == ("REFUNDED", {"amount": "30.00"})
    after_all = await m.refund(shop, order_id, "0.01")
    assert (after_all["reason"], after_all["remaining"]) == ("EXCEEDS_REMAINING", {"amount": "0.00"})
    assert (await balance(alice), await m.merchant_balance(shop)) == ("100.00", "0.00")
    assert await OrderRefund.filter(order_id=db_id(order_id)).count() == 2
    from models import Journal

    assert await Journal.filter(kind=JournalKind.MERCHANT_REFUND, description=f"refund of order {db_id(order_id)}"
                                ).count() == 2
    assert await audit() == []


@pytest.mark.postgres
async def test_fifty_concurrent_payments_of_one_order_pay_it_once(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    shop = await _shop(server, new_client, sms_sink)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    bob = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Bob")
    order_id = await m.new_order(shop, "30.00")
    same_key = str(uuid.uuid4())
    tries = [m.pay(alice, order_id, key=same_key) for _ in range(25)] + [m.pay(bob, order_id) for _ in range(25)]

    answers = await asyncio.gather(*tries)

    kinds = Counter(a["__typename"] for a in answers)
    assert set(kinds) <= {"OrderPaid", "OrderNotPayableError"}, kinds
    paid_ids = {a["transfer"]["id"] for a in answers if a["__typename"] == "OrderPaid"}
    assert len(paid_ids) == 1, paid_ids
    assert {a["reason"] for a in answers if a["__typename"] == "OrderNotPayableError"} <= {"ALREADY_PAID"}
    payments = await Transfer.filter(kind=TransferKind.ORDER_PAYMENT, id=db_id(next(iter(paid_ids))))
    assert len(payments) == 1
    winner_is_alice = payments[0].payer_id == db_id(alice.user_id)
    if winner_is_alice:  # every try with Alice's one key answered the same payment
        assert kinds["OrderPaid"] == 25
    else:
        assert kinds["OrderPaid"] == 1
    assert sorted([await balance(alice), await balance(bob)]) == ["100.00", "70.00"]
    assert await m.merchant_balance(shop) == "30.00"
    order = await MerchantOrder.get(id=db_id(order_id))
    assert (order.state, order.payment_transfer_id) == (OrderState.PAID, payments[0].id)
    assert await audit() == []


@pytest.mark.postgres
async def test_concurrent_refunds_stop_at_the_payment(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    shop = await _shop(server, new_client, sms_sink)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    order_id = await m.new_order(shop, "10.00")
    assert (await m.pay(alice, order_id))["__typename"] == "OrderPaid"

    answers = await asyncio.gather(*(m.refund(shop, order_id, "3.00") for _ in range(10)))

    assert Counter(a["__typename"] for a in answers) == Counter({"OrderRefunded": 3, "RefundRefusedError": 7})
    assert (await balance(alice), await m.merchant_balance(shop)) == ("99.00", "1.00")
    assert (await MerchantOrder.get(id=db_id(order_id))).refunded_minor == 900
    assert await audit() == []


@dataclass
class Receiver:
    """The shop's notification endpoint: a real HTTP server that records each POST as received."""

    port: int = field(default_factory=free_port)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/imwallet/notify"

    async def start(self) -> None:
        async def receive(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            return Response(status_code=204)

        app = Starlette(routes=[Route("/imwallet/notify", receive, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     lifespan="off"))
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def wait_for(self, count: int, timeout: float = 15.0) -> None:
        for _ in range(int(timeout / 0.05)):
            if len(self.received) >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(self.received)} of {count} notifications arrived")


async def test_paid_refunded_and_expired_orders_notify_the_shop_with_a_valid_signature(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    shop = await _shop(server, new_client, sms_sink)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    receiver = Receiver()
    await receiver.start()
    try:
        order_id = await m.new_order(shop, "30.00", notify_url=receiver.url)
        assert (await m.pay(alice, order_id))["__typename"] == "OrderPaid"
        assert (await m.refund(shop, order_id, "5.00", reason="late"))["__typename"] == "OrderRefunded"
        await receiver.wait_for(2)
        secret = signing_secret(server.runtime, shop.merchant_id)
        bodies = []
        for headers, body in receiver.received:
            verify(secret, headers["imwallet-signature"], body, now=time.time())
            bodies.append(json.loads(body))
        assert [(b["type"], b["sequence"], b["data"]["orderId"], b["data"]["state"], b["data"]["refundedAmount"])
                for b in bodies] == [("order.paid", 1, order_id, "PAID", "0.00"),
                                     ("order.refunded", 2, order_id, "PAID", "5.00")]
        assert bodies[1]["data"]["refundAmount"] == "5.00"
        with pytest.raises(SignatureError):
            verify(signing_secret(server.runtime, shop.merchant_id + 1), receiver.received[0][0]["imwallet-signature"],
                   receiver.received[0][1], now=time.time())

        unpaid = await m.new_order(shop, "9.00", notify_url=receiver.url, expires=1)
        for _ in range(100):
            if await MerchantNotification.filter(order_id=db_id(unpaid), event="order.expired").exists():
                break
            await asyncio.sleep(0.1)
        await receiver.wait_for(3)
        expired = json.loads(receiver.received[2][1])
        assert (expired["type"], expired["data"]["orderId"], expired["data"]["state"]) == (
            "order.expired", unpaid, "EXPIRED")
    finally:
        await receiver.stop()
    assert await audit() == []


BY_CODE = ("query($payload: String!) { orderByCode(payload: $payload) { __typename "
           "... on Order { id state amount { amount } description } ... on Error { code message } } }")


async def test_a_user_finds_an_order_by_its_signed_code_and_a_forged_code_finds_nothing(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    shop = await _shop(server, new_client, sms_sink)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "20.00", name="Alice")
    order_id = await m.new_order(shop, "8.80", description="dumplings")
    code = (await shop.client.gql("query($id: ID!) { order(id: $id) { ... on Order { code } } }",
                                  {"id": order_id}))["order"]["code"]
    found = (await alice.client.gql(BY_CODE, {"payload": code}))["orderByCode"]
    assert (found["__typename"], found["id"], found["amount"], found["description"]) == (
        "Order", order_id, {"amount": "8.80"}, "dumplings")
    head, claims, kid, mac = code.split(".")
    altered = ".".join([head, claims[:-2] + ("AA" if claims[-2:] != "AA" else "BB"), kid, mac])
    for bad in (altered, code[:-1], "iwc1.x.y.z", "hello"):
        refused = (await alice.client.gql(BY_CODE, {"payload": bad}))["orderByCode"]
        assert refused["__typename"] == "InvalidCollectionCodeError", (bad, refused)
    static = (await shop.client.gql("{ merchant { ... on Merchant { staticCode } } }"))["merchant"]["staticCode"]
    assert (await alice.client.gql(BY_CODE, {"payload": static}))["orderByCode"]["__typename"] == "NotFoundError"
    paid = await m.pay(alice, found["id"])
    assert paid["__typename"] == "OrderPaid"
    assert await balance(alice) == "11.20"


PAY_BY_CODE = ("mutation($input: PayByCodeInput!) { payByCode(input: $input) { __typename "
               "... on TransferSuccess { transfer { id kind state amount { amount } memo } "
               "wallet { balance { amount } } } "
               "... on CollectionCodeRefusedError { reason } ... on OrderNotPayableError { reason } "
               "... on Error { code message } } }")


async def _pay_code(who: wallet_flows.WalletAccount, payload: str, amount: str | None, *, memo: str = "",
                    key: str | None = None) -> dict[str, object]:
    return await who.client.mutate("payByCode", PAY_BY_CODE, {"input": {
        "payload": payload, "amount": amount, "memo": memo, "pin": wallet_flows.PIN,
        "idempotencyKey": key or str(uuid.uuid4())}})


async def test_pay_by_code_pays_a_shops_static_code_and_an_orders_code_once(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    shop = await _shop(server, new_client, sms_sink)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    static = (await shop.client.gql("{ merchant { ... on Merchant { staticCode } } }"))["merchant"]["staticCode"]

    key = str(uuid.uuid4())
    paid = await _pay_code(alice, static, "12.34", memo="table 4", key=key)
    assert paid["__typename"] == "TransferSuccess", paid
    assert (paid["transfer"]["kind"], paid["transfer"]["memo"], paid["wallet"]["balance"]) == (
        "MERCHANT_PAYMENT", "table 4", {"amount": "87.66"})
    again = await _pay_code(alice, static, "12.34", memo="table 4", key=key)
    assert again["transfer"]["id"] == paid["transfer"]["id"]
    assert (await _pay_code(alice, static, None))["__typename"] == "InvalidInputError"
    assert await m.merchant_balance(shop) == "12.34"

    order_id = await m.new_order(shop, "20.00")
    code = (await shop.client.gql("query($id: ID!) { order(id: $id) { ... on Order { code } } }",
                                  {"id": order_id}))["order"]["code"]
    mismatch = await _pay_code(alice, code, "19.99")
    assert (mismatch["__typename"], mismatch["reason"]) == ("CollectionCodeRefusedError", "AMOUNT_MISMATCH")
    by_code = await _pay_code(alice, code, None)
    assert (by_code["__typename"], by_code["transfer"]["kind"], by_code["wallet"]["balance"]) == (
        "TransferSuccess", "ORDER_PAYMENT", {"amount": "67.66"})
    twice = await _pay_code(alice, code, "20.00")
    assert (twice["__typename"], twice["reason"]) == ("OrderNotPayableError", "ALREADY_PAID")
    assert (await MerchantOrder.get(id=db_id(order_id))).state == OrderState.PAID
    assert (await balance(alice), await m.merchant_balance(shop)) == ("67.66", "32.34")
    assert await audit() == []
