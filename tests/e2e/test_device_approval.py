"""Device approval (WebAuthn): enrol a phone's key with the PIN, then approve payments with it.

A software authenticator (tests/support/authenticator.py) does what a phone's secure hardware
does; the server's WebAuthn library verifies it. Every refusal moves no money.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tests.support import chat, flows, merchants, money_requests
from tests.support import wallet_flows as wf
from tests.support.authenticator import SoftAuthenticator
from tests.support.client import GraphQLClient
from tests.support.merchants import close_merchant_clients  # noqa: F401 (an autouse fixture)
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.wallet_flows import PIN, WalletAccount

VERIFY = "... on Error { code message } ... on VerificationRequiredError { missing { name } deviceChallenge } "
PIN_ERRORS = VERIFY + "... on InvalidPinError { attemptsLeft } ... on InvalidInputError { fields { field message } }"
ERRORS = PIN_ERRORS + " ... on ApprovalRejectedError { attemptsLeft }"
BEGIN = "mutation { beginDeviceEnrolment { __typename ... on DeviceEnrolmentOptions { options } " + VERIFY + " } }"
FINISH = ("mutation($input: FinishDeviceEnrolmentInput!) { finishDeviceEnrolment(input: $input) { __typename "
          "... on DeviceEnrolled { device { id name suspended } } " + PIN_ERRORS + " } }")
REMOVE = ("mutation($input: RemovePaymentDeviceInput!) { removePaymentDevice(input: $input) { __typename "
          "... on PaymentDeviceRemoved { deviceId } " + PIN_ERRORS + " } }")
DEVICES = "{ paymentDevices { id name suspended lastUsedAt transports } }"
SEND = ("mutation($input: SendMoneyInput!) { sendMoney(input: $input) { __typename "
        "... on TransferSuccess { transfer { id state amount { amount } approvedByDevice { name } } "
        "wallet { balance { amount } } } " + ERRORS + " } }")


async def enrol(who: WalletAccount, phone_key: SoftAuthenticator, name: str = "Alice's phone") -> dict[str, Any]:
    begun = await who.client.mutate("beginDeviceEnrolment", BEGIN)
    assert begun["__typename"] == "DeviceEnrolmentOptions", begun
    options = json.loads(begun["options"])
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["authenticatorAttachment"] == "platform"
    credential = phone_key.create(begun["options"])
    done = await who.client.mutate("finishDeviceEnrolment", FINISH, {"input": {
        "credential": credential, "deviceName": name, "pin": PIN}})
    assert done["__typename"] == "DeviceEnrolled", done
    return done["device"]  # type: ignore[no-any-return]


def payment(payee: WalletAccount, amount: str, key: str, *, pin: str | None = None,
            assertion: str | None = None, memo: str = "") -> dict[str, Any]:
    approval = {"deviceAssertion": assertion} if assertion is not None else None
    return {"input": {"to": {"userId": payee.user_id}, "amount": amount, "memo": memo, "pin": pin,
                      "approval": approval, "idempotencyKey": key}}


async def challenge_for(payer: WalletAccount, payee: WalletAccount, amount: str, key: str, memo: str = "") -> str:
    asked = await payer.client.mutate("sendMoney", SEND, payment(payee, amount, key, memo=memo))
    assert asked["__typename"] == "VerificationRequiredError", asked
    assert {m["name"] for m in asked["missing"]} == {"PAYMENT_PIN", "DEVICE_APPROVAL"}
    assert asked["deviceChallenge"], asked
    return asked["deviceChallenge"]  # type: ignore[no-any-return]


async def pair(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
               sms: SmsSink) -> tuple[WalletAccount, WalletAccount]:
    alice = await wf.funded_user(client, sms, "100.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms, name="Bob")
    return alice, bob


async def test_enrol_then_pay_with_the_device(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                              sms_sink: SmsSink) -> None:
    alice, bob = await pair(client, new_client, sms_sink)
    phone_key = SoftAuthenticator()
    device = await enrol(alice, phone_key)
    listed = (await alice.client.gql(DEVICES))["paymentDevices"]
    assert [(d["name"], d["suspended"], d["transports"]) for d in listed] == [("Alice's phone", False, ["internal"])]

    key = str(uuid.uuid4())
    options = await challenge_for(alice, bob, "12.34", key, memo="lunch")
    paid = await alice.client.mutate("sendMoney", SEND, payment(bob, "12.34", key, memo="lunch",
                                                                assertion=phone_key.get(options)))
    assert paid["__typename"] == "TransferSuccess", paid
    assert paid["transfer"]["approvedByDevice"] == {"name": "Alice's phone"}
    assert paid["wallet"]["balance"]["amount"] == "87.66"
    assert await wf.balance(bob) == "12.34"
    assert (await alice.client.gql(DEVICES))["paymentDevices"][0]["lastUsedAt"] is not None
    assert device["suspended"] is False


async def test_assertions_that_do_not_approve_this_payment_move_nothing(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink,
        server: RunningServer) -> None:
    alice, bob = await pair(client, new_client, sms_sink)
    carol = await wf.wallet_user(new_client(), sms_sink, name="Carol")
    phone_key, bobs_key = SoftAuthenticator(), SoftAuthenticator()
    await enrol(alice, phone_key)
    await enrol(bob, bobs_key, "Bob's phone")
    snapshot = await wf.ledger_snapshot()

    async def refused(variables: dict[str, Any]) -> dict[str, Any]:
        answer = await alice.client.mutate("sendMoney", SEND, variables)
        assert answer["__typename"] == "ApprovalRejectedError", answer
        # a refusal is followed by a good approval, so the five-attempt lock never trips here
        key = str(uuid.uuid4())
        good = await alice.client.mutate("sendMoney", SEND, payment(
            bob, "0.01", key, assertion=phone_key.get(await challenge_for(alice, bob, "0.01", key))))
        assert good["__typename"] == "TransferSuccess", good
        return answer

    key = str(uuid.uuid4())
    signed = phone_key.get(await challenge_for(alice, bob, "1.00", key))
    await refused(payment(bob, "2.00", key, assertion=signed))          # another amount
    key = str(uuid.uuid4())
    signed = phone_key.get(await challenge_for(alice, bob, "1.00", key))
    await refused(payment(carol, "1.00", key, assertion=signed))        # another payee
    key = str(uuid.uuid4())
    signed = phone_key.get(await challenge_for(alice, bob, "1.00", key))
    await refused(payment(bob, "1.00", str(uuid.uuid4()), assertion=signed))  # another idempotency key
    key = str(uuid.uuid4())
    signed = bobs_key.get(await challenge_for(alice, bob, "1.00", key))
    await refused(payment(bob, "1.00", key, assertion=signed))          # another user's credential
    key = str(uuid.uuid4())
    signed = phone_key.get(await challenge_for(alice, bob, "1.00", key), user_verified=False)
    await refused(payment(bob, "1.00", key, assertion=signed))          # no fingerprint or face
    key = str(uuid.uuid4())
    thief = SoftAuthenticator(credential_id=phone_key.credential_id)    # the session token, not the key
    signed = thief.get(await challenge_for(alice, bob, "1.00", key))
    await refused(payment(bob, "1.00", key, assertion=signed))
    key = str(uuid.uuid4())
    options = await challenge_for(alice, bob, "1.00", key)
    server.runtime.clock.advance(timedelta(seconds=server.settings.device_challenge_ttl_seconds + 1))
    await refused(payment(bob, "1.00", key, assertion=phone_key.get(options)))  # expired challenge

    after = await wf.ledger_snapshot()
    good_payments = 7
    assert after["transfers"] == snapshot["transfers"] + good_payments  # type: ignore[operator]
    assert await wf.balance(bob) == "0.07"


async def test_a_replayed_assertion_moves_money_once(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                                     sms_sink: SmsSink) -> None:
    alice, bob = await pair(client, new_client, sms_sink)
    phone_key = SoftAuthenticator()
    await enrol(alice, phone_key)
    key = str(uuid.uuid4())
    signed = phone_key.get(await challenge_for(alice, bob, "5.00", key))
    first = await alice.client.mutate("sendMoney", SEND, payment(bob, "5.00", key, assertion=signed))
    assert first["__typename"] == "TransferSuccess", first
    again = await alice.client.mutate("sendMoney", SEND, payment(bob, "5.00", key, assertion=signed))
    assert again["transfer"]["id"] == first["transfer"]["id"]  # the same key answers the first result
    other = await alice.client.mutate("sendMoney", SEND, payment(bob, "5.00", str(uuid.uuid4()), assertion=signed))
    assert other["__typename"] == "ApprovalRejectedError", other
    assert await wf.balance(bob) == "5.00"


async def test_a_counter_that_goes_back_suspends_the_device(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await pair(client, new_client, sms_sink)
    phone_key = SoftAuthenticator()
    await enrol(alice, phone_key)
    key = str(uuid.uuid4())
    ok = await alice.client.mutate("sendMoney", SEND, payment(
        bob, "1.00", key, assertion=phone_key.get(await challenge_for(alice, bob, "1.00", key))))
    assert ok["__typename"] == "TransferSuccess", ok
    clone = SoftAuthenticator(key=phone_key.key, credential_id=phone_key.credential_id, counter=0)
    key = str(uuid.uuid4())
    cloned = await alice.client.mutate("sendMoney", SEND, payment(
        bob, "1.00", key, assertion=clone.get(await challenge_for(alice, bob, "1.00", key))))
    assert cloned["__typename"] == "ApprovalRejectedError", cloned
    assert (await alice.client.gql(DEVICES))["paymentDevices"][0]["suspended"] is True
    # the genuine phone is suspended too until re-enrolled; the PIN still pays
    key = str(uuid.uuid4())
    asked = await alice.client.mutate("sendMoney", SEND, payment(bob, "1.00", key))
    assert asked["__typename"] == "VerificationRequiredError", asked
    assert asked["deviceChallenge"] is None
    assert (await alice.client.mutate("sendMoney", SEND, payment(bob, "1.00", key, pin=PIN)))["__typename"] \
        == "TransferSuccess"
    assert await wf.balance(bob) == "2.00"


async def test_failed_assertions_count_like_wrong_pins(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                                       sms_sink: SmsSink) -> None:
    alice, bob = await pair(client, new_client, sms_sink)
    phone_key = SoftAuthenticator()
    await enrol(alice, phone_key)
    left = []
    for _ in range(4):
        key = str(uuid.uuid4())
        signed = phone_key.get(await challenge_for(alice, bob, "1.00", key), user_verified=False)
        answer = await alice.client.mutate("sendMoney", SEND, payment(bob, "1.00", key, assertion=signed))
        left.append(answer["attemptsLeft"])
    wrong_pin = await alice.client.mutate("sendMoney", SEND, payment(bob, "1.00", str(uuid.uuid4()), pin="975310"))
    right_pin = await alice.client.mutate("sendMoney", SEND, payment(bob, "1.00", str(uuid.uuid4()), pin=PIN))
    assert left == [4, 3, 2, 1]
    assert (wrong_pin["__typename"], wrong_pin["attemptsLeft"]) == ("InvalidPinError", 0)
    assert right_pin["__typename"] == "PinLockedError", right_pin
    assert await wf.balance(bob) == "0.00"


async def test_a_new_device_needs_the_pin_above_a_small_amount_in_its_first_hour(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink,
        server: RunningServer) -> None:
    alice, bob = await pair(client, new_client, sms_sink)
    phone_key = SoftAuthenticator()
    await enrol(alice, phone_key)
    top = await wf.top_up(alice, "300.00")
    assert top["__typename"] == "TransferSuccess", top
    key = str(uuid.uuid4())
    asked = await alice.client.mutate("sendMoney", SEND, payment(bob, "300.00", key))
    assert asked["__typename"] == "VerificationRequiredError", asked
    assert asked["deviceChallenge"] is None
    server.runtime.clock.advance(timedelta(hours=server.settings.device_new_hours, minutes=1))
    signed = phone_key.get(await challenge_for(alice, bob, "300.00", key))
    paid = await alice.client.mutate("sendMoney", SEND, payment(bob, "300.00", key, assertion=signed))
    assert paid["__typename"] == "TransferSuccess", paid


async def test_removed_devices_and_resets(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                          sms_sink: SmsSink) -> None:
    alice, bob = await pair(client, new_client, sms_sink)
    phone_key = SoftAuthenticator()
    device = await enrol(alice, phone_key)
    key = str(uuid.uuid4())
    options = await challenge_for(alice, bob, "1.00", key)
    wrong = await alice.client.mutate("removePaymentDevice", REMOVE, {"input": {"deviceId": device["id"],
                                                                                "pin": "975310"}})
    assert wrong["__typename"] == "InvalidPinError", wrong
    removed = await alice.client.mutate("removePaymentDevice", REMOVE, {"input": {"deviceId": device["id"],
                                                                                  "pin": PIN}})
    assert removed == {"__typename": "PaymentDeviceRemoved", "deviceId": device["id"]}
    late = await alice.client.mutate("sendMoney", SEND, payment(bob, "1.00", key, assertion=phone_key.get(options)))
    assert late["__typename"] == "ApprovalRejectedError", late
    assert (await alice.client.gql(DEVICES))["paymentDevices"] == []
    assert await wf.balance(bob) == "0.00"



async def test_a_pin_reset_removes_every_device(client: GraphQLClient, sms_sink: SmsSink,
                                                server: RunningServer) -> None:
    account = await flows.register(client, sms_sink, name="Dora")
    birth, seq = wf.unique_birth(), "217"
    assert (await flows.verify_identity(account, real_name=wf.REAL_NAME, birth=birth, seq=seq))["__typename"] \
        == "IdentitySuccess"
    assert (await wf.set_pin(account))["__typename"] == "PinSuccess"
    dora = WalletAccount(account)
    await enrol(dora, SoftAuthenticator(), "first phone")
    await enrol(dora, SoftAuthenticator(), "second phone")
    assert len((await client.gql(DEVICES))["paymentDevices"]) == 2
    # the one-a-minute resend window since the sign-up code passes
    await server.runtime.limiter.clear(f"code-dest-min:{account.phone}", 1, server.settings.code_resend_seconds)
    code = await flows.request_sms_code(client, sms_sink, account.phone, "RESET_PIN")
    reset = await client.mutate("resetPaymentPin", wf.RESET_PIN, {"input": {
        "code": code, "documentNumber": flows.resident_id(birth, seq), "newPin": wf.OTHER_PIN}})
    assert reset["__typename"] == "PinSuccess", reset
    assert (await client.gql(DEVICES))["paymentDevices"] == []


async def test_enrolment_refusals(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                  sms_sink: SmsSink) -> None:
    alice = await wf.wallet_user(client, sms_sink, name="Alice")
    begun = await alice.client.mutate("beginDeviceEnrolment", BEGIN)
    phone_key = SoftAuthenticator()
    credential = phone_key.create(begun["options"])
    cases = [
        ({"credential": "not json", "deviceName": "x", "pin": PIN}, "InvalidInputError"),
        ({"credential": credential, "deviceName": "x", "pin": "975310"}, "InvalidPinError"),
        ({"credential": SoftAuthenticator().create(begun["options"], user_verified=False), "deviceName": "x",
          "pin": PIN}, "InvalidInputError"),
    ]
    for variables, expected in cases:
        answer = await alice.client.mutate("finishDeviceEnrolment", FINISH, {"input": variables})
        assert answer["__typename"] == expected, (variables, answer)
    assert (await alice.client.gql(DEVICES))["paymentDevices"] == []
    stranger = new_client()
    anonymous = await stranger.mutate("beginDeviceEnrolment", BEGIN)
    assert anonymous["__typename"] == "NotAuthenticatedError"


PAY_REQUEST = ("mutation($input: PayRequestInput!) { payRequest(input: $input) { __typename "
               "... on PayRequestSuccess { transferId } " + ERRORS + " } }")


async def test_a_request_paid_with_the_device(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                                              sms_sink: SmsSink) -> None:
    alice, bob = await pair(client, new_client, sms_sink)
    phone_key = SoftAuthenticator()
    await enrol(alice, phone_key)
    direct = await chat.start(bob.account, alice.account)
    request = await money_requests.ask(bob.account, direct["id"], "8.00", "tickets")
    key = str(uuid.uuid4())
    asked = await alice.client.mutate("payRequest", PAY_REQUEST, {"input": {
        "requestId": request["id"], "idempotencyKey": key}})
    assert asked["__typename"] == "VerificationRequiredError", asked
    other = await alice.client.mutate("payRequest", PAY_REQUEST, {"input": {   # signed, but for another key
        "requestId": request["id"], "idempotencyKey": str(uuid.uuid4()),
        "approval": {"deviceAssertion": phone_key.get(asked["deviceChallenge"])}}})
    assert other["__typename"] == "ApprovalRejectedError", other
    assert await wf.balance(bob) == "0.00"
    paid = await alice.client.mutate("payRequest", PAY_REQUEST, {"input": {
        "requestId": request["id"], "idempotencyKey": key,
        "approval": {"deviceAssertion": phone_key.get(asked["deviceChallenge"])}}})
    assert paid["__typename"] == "PayRequestSuccess", paid
    assert await wf.balance(bob) == "8.00"


WITHDRAW = ("mutation($input: CardMoneyInput!) { withdraw(input: $input) { __typename "
            "... on TransferSuccess { transfer { id state approvedByDevice { name } } wallet { balance { amount } } } "
            + ERRORS + " } }")
RED_PACKET = ("mutation($input: SendRedPacketInput!) { sendRedPacket(input: $input) { __typename "
              "... on RedPacketSent { wallet { balance { amount } } } " + ERRORS + " } }")


async def test_withdrawals_and_red_packets_approved_with_the_device(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await pair(client, new_client, sms_sink)
    phone_key = SoftAuthenticator()
    await enrol(alice, phone_key)
    key = str(uuid.uuid4())
    money = {"cardId": alice.card_id, "amount": "10.00", "idempotencyKey": key}
    asked = await alice.client.mutate("withdraw", WITHDRAW, {"input": money})
    assert asked["__typename"] == "VerificationRequiredError", asked
    assert asked["deviceChallenge"]
    elsewhere = await alice.client.mutate("withdraw", WITHDRAW, {"input": {  # signed for 10.00, sent for 20.00
        **money, "amount": "20.00", "approval": {"deviceAssertion": phone_key.get(asked["deviceChallenge"])}}})
    assert elsewhere["__typename"] == "ApprovalRejectedError", elsewhere
    assert await wf.balance(alice) == "100.00"
    done = await alice.client.mutate("withdraw", WITHDRAW, {"input": {
        **money, "approval": {"deviceAssertion": phone_key.get(asked["deviceChallenge"])}}})
    assert done["__typename"] == "TransferSuccess", done
    assert done["transfer"]["approvedByDevice"] == {"name": "Alice's phone"}
    assert done["wallet"]["balance"]["amount"] == "90.00"

    direct = await chat.start(alice.account, bob.account)
    packet = {"conversationId": direct["id"], "total": "6.66", "count": 1, "split": "EQUAL", "greeting": "",
              "idempotencyKey": str(uuid.uuid4())}
    asked = await alice.client.mutate("sendRedPacket", RED_PACKET, {"input": packet})
    assert asked["__typename"] == "VerificationRequiredError", asked
    sent = await alice.client.mutate("sendRedPacket", RED_PACKET, {"input": {
        **packet, "approval": {"deviceAssertion": phone_key.get(asked["deviceChallenge"])}}})
    assert sent["__typename"] == "RedPacketSent", sent
    assert sent["wallet"]["balance"]["amount"] == "83.34"



PAY_ORDER = ("mutation($input: PayOrderInput!) { payOrder(input: $input) { __typename "
             "... on OrderPaid { order { state } transfer { id approvedByDevice { name } } "
             "wallet { balance { amount } } } " + ERRORS + " } }")


async def test_an_order_paid_with_the_device(server: RunningServer, new_client: Callable[..., GraphQLClient],
                                             sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(new_client(), sms_sink, "100.00", name="Alice")
    shop = await merchants.make_shop(server.base_url, await wf.wallet_user(new_client(), sms_sink, name="Shopkeeper"))
    phone_key = SoftAuthenticator()
    await enrol(alice, phone_key)
    order_id, other_order = await merchants.new_order(shop, "25.00"), await merchants.new_order(shop, "25.00")
    key = str(uuid.uuid4())
    asked = await alice.client.mutate("payOrder", PAY_ORDER, {"input": {"orderId": order_id, "idempotencyKey": key}})
    assert asked["__typename"] == "VerificationRequiredError", asked
    assert {m["name"] for m in asked["missing"]} == {"PAYMENT_PIN", "DEVICE_APPROVAL"}
    signed = phone_key.get(asked["deviceChallenge"])
    # The same amount to the same shop, but another order: the approval names this one only.
    elsewhere = await alice.client.mutate("payOrder", PAY_ORDER, {"input": {
        "orderId": other_order, "idempotencyKey": key, "approval": {"deviceAssertion": signed}}})
    assert elsewhere["__typename"] == "ApprovalRejectedError", elsewhere
    assert await wf.balance(alice) == "100.00"
    paid = await alice.client.mutate("payOrder", PAY_ORDER, {"input": {
        "orderId": order_id, "idempotencyKey": key, "approval": {"deviceAssertion": signed}}})
    assert paid["__typename"] == "OrderPaid", paid
    assert (paid["order"]["state"], paid["transfer"]["approvedByDevice"], paid["wallet"]["balance"]["amount"]) == (
        "PAID", {"name": "Alice's phone"}, "75.00")
    assert await merchants.merchant_balance(shop) == "25.00"
