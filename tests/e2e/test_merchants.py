"""Merchants end to end: keys from the operator's CLI (shown once, stored hashed, rotated, revoked), the
boundary between merchant keys and user tokens, settlement to the owner's card, the wallet's guard."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import timedelta
from hashlib import sha256

import pytest
from tortoise.exceptions import IntegrityError, OperationalError

from app.ledger.audit import audit
from app.notifications import signing_secret
from app.payments.receipts import global_id
from models import Journal, JournalKind, LedgerAccount, Merchant, MerchantKey, Transfer, TransferKind, TransferState
from tests.support import leaks, wallet_flows
from tests.support import merchants as m
from tests.support.client import GraphQLClient
from tests.support.merchants import close_merchant_clients  # noqa: F401 (an autouse fixture)
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.time_travel import travelling
from tests.support.wallet_flows import balance, db_id

SEND = ("mutation($input: SendMoneyInput!) { sendMoney(input: $input) { __typename "
        "... on Error { code message } } }")
USER_DATA = "{ me { id phone } wallet { balance { amount } } }"


def _imwallet(server: RunningServer, *args: str) -> tuple[int, list[str]]:
    """The `imwallet` command as an operator runs it against the server's database."""
    secret = server.settings.secret_key
    env = {**os.environ, "DATABASE_URL": server.settings.database_url, "IMWALLET_ENV": "test",
           "SECRET_KEY": secret.get_secret_value() if secret else ""}
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "imwallet"), *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, (done.stdout.strip().splitlines() or [""]) + done.stderr.strip().splitlines()


def _key_in(lines: list[str]) -> str:
    shown = [line for line in lines if "imw_mk_" in line]
    assert len(shown) == 1, lines  # shown once
    key = shown[0].rsplit(" ", 1)[-1]
    assert key.startswith("imw_mk_"), lines
    leaks.watch(key)
    return key


async def test_the_cli_shows_a_key_once_stores_its_hash_and_rotates_and_revokes_it(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    owner = await wallet_flows.wallet_user(new_client(), sms_sink, name="Shopkeeper")
    code, out = await asyncio.to_thread(_imwallet, server, "create-merchant", "--name", "Tea House",
                                        "--owner-phone", owner.phone)
    assert code == 0, out
    key = _key_in(out)
    merchant = await Merchant.filter(owner_id=db_id(owner.user_id)).get()
    secret = signing_secret(server.runtime, merchant.id)  # derived from the server key, nothing stored
    leaks.watch(secret)
    assert [line.rsplit(" ", 1)[-1] for line in out if "signing secret" in line] == [secret]
    rows = await MerchantKey.filter(merchant_id=merchant.id)
    assert [r.key_hash for r in rows] == [sha256(key.encode()).hexdigest()]  # the hash, never the key
    assert all(key not in (r.key_hash, r.prefix) for r in rows)

    shop = m.merchant_client(server.base_url, key)
    seen = (await shop.gql(m.MERCHANT))["merchant"]
    assert (seen["__typename"], seen["name"], seen["balance"]) == ("Merchant", "Tea House", {"amount": "0.00"})

    code, out = await asyncio.to_thread(_imwallet, server, "merchant-key", "rotate", "--merchant", str(merchant.id))
    assert code == 0, out
    new_key = _key_in(out)
    assert new_key != key
    assert (await shop.gql(m.MERCHANT))["merchant"]["__typename"] == "NotAuthenticatedError"
    rotated = m.merchant_client(server.base_url, new_key)
    assert (await rotated.gql(m.MERCHANT))["merchant"]["name"] == "Tea House"
    refused = await shop.mutate("createOrder", m.CREATE_ORDER, m.order_input())
    assert refused["__typename"] == "NotAuthenticatedError"

    code, out = await asyncio.to_thread(_imwallet, server, "merchant-key", "revoke", "--merchant", str(merchant.id))
    assert code == 0, out
    assert (await rotated.gql(m.MERCHANT))["merchant"]["__typename"] == "NotAuthenticatedError"
    assert await MerchantKey.filter(merchant_id=merchant.id, revoked_at__isnull=True).count() == 0
    for bad in ("imw_mk_not-a-key", "garbage", "imw_mk_" + "x" * 200):
        stranger = m.merchant_client(server.base_url, bad)
        assert (await stranger.gql(m.MERCHANT))["merchant"]["__typename"] == "NotAuthenticatedError"

    code, out = await asyncio.to_thread(_imwallet, server, "create-merchant", "--name", "Ghost",
                                        "--owner-phone", "+8613900000001")
    assert code == 1
    assert "No such user." in out


async def test_a_merchant_key_reads_no_user_data_and_a_user_token_calls_no_merchant_field(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    owner = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Shopkeeper")
    shop = await m.make_shop(server.base_url, owner)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Alice")
    order_id = await m.new_order(shop, "5.00")
    assert (await m.pay(alice, order_id))["__typename"] == "OrderPaid"

    # The merchant key is nobody's session: no user, no wallet (not even its owner's), no user mutation.
    assert await shop.client.gql(USER_DATA) == {"me": None, "wallet": None}
    sent = await shop.client.mutate("sendMoney", SEND, wallet_flows.send_input(to_user=alice.user_id, amount="1.00"))
    assert sent["__typename"] == "NotAuthenticatedError"
    conversations = await shop.client.post("{ conversations(first: 5) { edges { node { id } } } }")
    assert conversations.json()["data"] is None
    assert conversations.json()["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    paid_by_merchant = await shop.client.mutate("payOrder", m.PAY_ORDER, {"input": {
        "orderId": await m.new_order(shop, "1.00"), "pin": wallet_flows.PIN, "idempotencyKey": str(uuid.uuid4())}})
    assert paid_by_merchant["__typename"] == "NotAuthenticatedError"

    # A user's token (even the owner's) is refused by every merchant-only field.
    for who in (alice, owner):
        assert (await who.client.gql(m.MERCHANT))["merchant"]["__typename"] == "ForbiddenError"
        made = await who.client.mutate("createOrder", m.CREATE_ORDER, m.order_input())
        assert made["__typename"] == "ForbiddenError"
        back = await who.client.mutate("refundOrder", m.REFUND_ORDER, {"input": {
            "orderId": order_id, "amount": "1.00", "reason": "", "idempotencyKey": str(uuid.uuid4())}})
        assert back["__typename"] == "ForbiddenError"
        out = await who.client.mutate("merchantWithdraw", m.WITHDRAW, {"input": {
            "amount": "1.00", "idempotencyKey": str(uuid.uuid4())}})
        assert out["__typename"] == "ForbiddenError"
    # No header at all: not signed in.
    anonymous = new_client()
    assert (await anonymous.gql(m.MERCHANT))["merchant"]["__typename"] == "NotAuthenticatedError"
    assert (await anonymous.gql(m.ORDER, {"id": order_id}))["order"]["__typename"] == "NotAuthenticatedError"
    assert (await balance(alice), await m.merchant_balance(shop)) == ("45.00", "5.00")


async def test_the_merchant_settles_to_its_owners_card_and_refunds_need_money_left(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    owner = await wallet_flows.funded_user(new_client(), sms_sink, "0.00", name="Shopkeeper")
    shop = await m.make_shop(server.base_url, owner)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    order_id = await m.new_order(shop, "30.00")
    assert (await m.pay(alice, order_id))["__typename"] == "OrderPaid"

    seen = (await shop.client.gql(m.MERCHANT))["merchant"]
    assert [c["id"] for c in seen["settlementCards"]] == [owner.card_id]
    key = str(uuid.uuid4())
    out = await shop.client.mutate("merchantWithdraw", m.WITHDRAW, {"input": {
        "cardId": owner.card_id, "amount": "25.00", "idempotencyKey": key}})
    assert out["__typename"] == "MerchantWithdrawal", out
    assert (out["transfer"]["kind"], out["transfer"]["state"], out["merchant"]["balance"]) == (
        "MERCHANT_PAYOUT", "COMPLETED", {"amount": "5.00"})
    again = await shop.client.mutate("merchantWithdraw", m.WITHDRAW, {"input": {
        "cardId": owner.card_id, "amount": "25.00", "idempotencyKey": key}})
    assert again["transfer"]["id"] == out["transfer"]["id"]
    too_much = await shop.client.mutate("merchantWithdraw", m.WITHDRAW, {"input": {
        "amount": "5.01", "idempotencyKey": str(uuid.uuid4())}})
    assert (too_much["__typename"], too_much["available"]) == ("InsufficientFundsError", {"amount": "5.00"})
    not_the_owners = await shop.client.mutate("merchantWithdraw", m.WITHDRAW, {"input": {
        "cardId": alice.card_id, "amount": "1.00", "idempotencyKey": str(uuid.uuid4())}})
    assert not_the_owners["__typename"] == "NotFoundError"
    # The owner's own wallet is not the shop's: it did not move.
    assert (await m.merchant_balance(shop), await balance(owner)) == ("5.00", "0.00")

    # 5.00 is left in the shop's wallet: a refund of more is refused, and nothing goes negative.
    short = await m.refund(shop, order_id, "6.00")
    assert short["__typename"] == "InsufficientFundsError", short
    assert (await m.refund(shop, order_id, "5.00"))["__typename"] == "OrderRefunded"
    assert (await balance(alice), await m.merchant_balance(shop)) == ("75.00", "0.00")
    assert await audit() == []


async def test_the_database_refuses_a_negative_merchant_wallet(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    owner = await wallet_flows.wallet_user(new_client(), sms_sink, name="Shopkeeper")
    shop = await m.make_shop(server.base_url, owner)
    merchant = await Merchant.get(id=shop.merchant_id)
    with pytest.raises((IntegrityError, OperationalError), match="merchant_wallet_not_negative"):
        await LedgerAccount.filter(id=merchant.account_id).update(balance_minor=-1)
    assert await m.merchant_balance(shop) == "0.00"


async def test_a_merchant_exports_a_signed_statement_of_its_own_wallet(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    from tests.support import statements

    owner = await wallet_flows.wallet_user(new_client(), sms_sink, name="Shopkeeper")
    shop = await m.make_shop(server.base_url, owner)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    order_id = await m.new_order(shop, "30.00")
    assert (await m.pay(alice, order_id))["__typename"] == "OrderPaid"
    assert (await m.refund(shop, order_id, "4.00"))["__typename"] == "OrderRefunded"
    now = server.runtime.clock.now()
    period = ((now - timedelta(days=1)).isoformat(), (now + timedelta(days=1)).isoformat())

    made = await statements.export(shop.client, *period)
    assert made["__typename"] == "Statement", made
    assert (made["openingBalance"]["amount"], made["closingBalance"]["amount"], made["moneyIn"]["amount"],
            made["moneyOut"]["amount"], made["movementCount"]) == ("0.00", "26.00", "30.00", "4.00", 2)
    got = await statements.download(server.base_url, made)
    assert got.status_code == 200
    rows = statements.csv_rows(got.content)
    assert [(r["kind"], r["amount"], r["balance_after"]) for r in rows[1:-1]] == [
        ("MERCHANT_PAYMENT", "30.00", "30.00"), ("MERCHANT_REFUND", "-4.00", "26.00")], rows
    assert (rows[0]["kind"], rows[-1]["kind"]) == ("OPENING_BALANCE", "CLOSING_BALANCE")
    # The owner's own statement is of the owner's wallet, not the shop's.
    mine = await statements.export(owner.client, *period)
    assert (mine["__typename"], mine["movementCount"]) == ("Statement", 0)


LOST_ANSWER_CARD = "4000000000003030"  # the sandbox approves, then the answer is lost (docs/cards.md)
DECLINING_CARD = "4000000000000341"    # binds; payouts are DECLINED


async def test_a_payout_whose_answer_is_lost_is_finished_once_and_a_declined_one_goes_back(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    owner = await wallet_flows.wallet_user(new_client(), sms_sink, name="Shopkeeper")
    shop = await m.make_shop(server.base_url, owner)
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    assert (await m.pay(alice, await m.new_order(shop, "50.00")))["__typename"] == "OrderPaid"
    lost = await wallet_flows.bind_card(owner, sms_sink, number=LOST_ANSWER_CARD)
    try:
        key = str(uuid.uuid4())
        pending = await shop.client.mutate("merchantWithdraw", m.WITHDRAW, {"input": {
            "cardId": lost, "amount": "20.00", "idempotencyKey": key}})
        assert pending["__typename"] == "TemporarilyUnavailableError", pending
        assert await m.merchant_balance(shop) == "30.00"  # held while the bank's answer is unknown
        payout = await Transfer.get(kind=TransferKind.MERCHANT_PAYOUT, card_id=db_id(lost))
        with travelling(server) as clock:
            clock.advance(timedelta(seconds=4))  # past the reconciler's wait: the sweeper asks the bank
            for _ in range(200):
                await payout.refresh_from_db()
                if payout.state != TransferState.PENDING:
                    break
                await asyncio.sleep(0.05)
        assert payout.state == TransferState.COMPLETED
        again = await shop.client.mutate("merchantWithdraw", m.WITHDRAW, {"input": {
            "cardId": lost, "amount": "20.00", "idempotencyKey": key}})
        assert (again["__typename"], again["transfer"]["id"]) == (
            "MerchantWithdrawal", global_id("Transfer", payout.id))
        assert [j.kind for j in await Journal.filter(transfer_id=payout.id).order_by("id")] == [
            JournalKind.WITHDRAWAL_HOLD, JournalKind.WITHDRAWAL_SETTLE]
    finally:
        await wallet_flows.remove_card(owner, lost)
    declining = await wallet_flows.bind_card(owner, sms_sink, number=DECLINING_CARD)
    try:
        refused = await shop.client.mutate("merchantWithdraw", m.WITHDRAW, {"input": {
            "cardId": declining, "amount": "10.00", "idempotencyKey": str(uuid.uuid4())}})
        assert refused["__typename"] == "CardDeclinedError", refused
        assert await m.merchant_balance(shop) == "30.00"
    finally:
        await wallet_flows.remove_card(owner, declining)
    assert await audit() == []
