"""Merchants in tests: made the way an operator makes them, called the way a shop's server calls."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest_asyncio

from tests.support import leaks
from tests.support.client import GraphQLClient
from tests.support.wallet_flows import PIN, WalletAccount

ORDER_FIELDS = ("id merchantOrderId merchantName amount { amount currency } description state "
                "refunded { amount } expiresAt paidAt")
ERRORS = "... on Error { code message }"

CREATE_ORDER = ("mutation($input: CreateOrderInput!) { createOrder(input: $input) { __typename "
                "... on OrderSuccess { order { " + ORDER_FIELDS + " } } " + ERRORS + " } }")
PAY_ORDER = ("mutation($input: PayOrderInput!) { payOrder(input: $input) { __typename "
             "... on OrderPaid { order { " + ORDER_FIELDS + " } transfer { id kind state amount { amount } } "
             "wallet { balance { amount } } } ... on OrderNotPayableError { reason } "
             "... on InvalidPinError { attemptsLeft } " + ERRORS + " } }")
REFUND_ORDER = ("mutation($input: RefundOrderInput!) { refundOrder(input: $input) { __typename "
                "... on OrderRefunded { order { " + ORDER_FIELDS + " } refund { amount { amount } reason } } "
                "... on RefundRefusedError { reason remaining { amount } } " + ERRORS + " } }")
ORDER = "query($id: ID!) { order(id: $id) { __typename ... on Order { " + ORDER_FIELDS + " } " + ERRORS + " } }"
MERCHANT = ("{ merchant { __typename ... on Merchant { id name balance { amount } "
            "settlementCards { id last4 } } " + ERRORS + " } }")
WITHDRAW = ("mutation($input: MerchantWithdrawInput!) { merchantWithdraw(input: $input) { __typename "
            "... on MerchantWithdrawal { transfer { id kind state amount { amount } } "
            "merchant { balance { amount } } } "
            "... on InsufficientFundsError { available { amount } } " + ERRORS + " } }")


@dataclass
class MerchantClient(GraphQLClient):
    """A shop's server: every request carries `Authorization: Merchant <key>`."""

    key: str = ""

    def headers(self) -> dict[str, str]:
        headers = super().headers()
        headers["Authorization"] = f"Merchant {self.key}"
        return headers


@dataclass
class Shop:
    merchant_id: int
    key: str
    client: MerchantClient
    owner: WalletAccount


_open: list[MerchantClient] = []


async def make_shop(base_url: str, owner: WalletAccount, name: str = "Corner Shop") -> Shop:
    """A merchant owned by `owner`, through the service `imwallet create-merchant` runs."""
    from app.merchants.accounts import create_merchant

    issued = await create_merchant(name=name, owner_phone=owner.phone, currency="CNY")
    leaks.watch(issued.key)
    return Shop(issued.merchant.id, issued.key, merchant_client(base_url, issued.key), owner)


def merchant_client(base_url: str, key: str) -> MerchantClient:
    client = MerchantClient(base_url, key=key)
    _open.append(client)
    return client


@pytest_asyncio.fixture(autouse=True)
async def close_merchant_clients() -> AsyncIterator[None]:
    """Import into a test module: closes the shops' clients after each test."""
    yield
    while _open:
        await _open.pop().aclose()


def order_input(ref: str | None = None, amount: str = "30.00", *, description: str = "two coffees",
                expires: int | None = 900, notify_url: str | None = None) -> dict[str, Any]:
    return {"input": {"merchantOrderId": ref or f"o-{uuid.uuid4().hex[:12]}", "amount": amount,
                      "description": description, "expiresInSeconds": expires, "notifyUrl": notify_url}}


async def create_order(shop: Shop, ref: str | None = None, amount: str = "30.00", **kw: Any) -> dict[str, Any]:
    return await shop.client.mutate("createOrder", CREATE_ORDER, order_input(ref, amount, **kw))


async def new_order(shop: Shop, amount: str = "30.00", **kw: Any) -> str:
    made = await create_order(shop, amount=amount, **kw)
    assert made["__typename"] == "OrderSuccess", made
    return str(made["order"]["id"])


async def pay(who: WalletAccount, order_id: str, *, key: str | None = None, pin: str = PIN) -> dict[str, Any]:
    return await who.client.mutate("payOrder", PAY_ORDER, {"input": {
        "orderId": order_id, "pin": pin, "idempotencyKey": key or str(uuid.uuid4())}})


async def refund(shop: Shop, order_id: str, amount: str, *, key: str | None = None,
                 reason: str = "one coffee was cold") -> dict[str, Any]:
    return await shop.client.mutate("refundOrder", REFUND_ORDER, {"input": {
        "orderId": order_id, "amount": amount, "reason": reason, "idempotencyKey": key or str(uuid.uuid4())}})


async def merchant_balance(shop: Shop) -> str:
    data = (await shop.client.gql(MERCHANT))["merchant"]
    assert data["__typename"] == "Merchant", data
    return str(data["balance"]["amount"])
