"""The payment PIN: strength rules, attempt counting before the hash, lock, change and reset."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from models import OutboundMessage, PaymentPin, User
from tests.support import flows
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.flows import Account
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink


async def _pin_row(phone: str) -> PaymentPin:
    return await PaymentPin.get(user_id=(await User.get(phone=phone)).id)


async def _second_device(account: Account, new_client: Callable[..., GraphQLClient]) -> GraphQLClient:
    """The same account signed in on another device, its token checked to work."""
    other = new_client()
    signed_in = await other.mutate("login", flows.LOGIN, {"input": {"phone": account.phone,
                                                                    "password": flows.PASSWORD}})
    other.token = str(signed_in["token"])
    assert (await other.gql("{ me { id } }")) == {"me": {"id": account.user_id}}
    return other


async def test_a_pin_needs_a_verified_identity_first(client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    refused = await wf.set_pin(account)
    assert refused["__typename"] == "VerificationRequiredError"
    assert refused["missing"] == [{"name": "IDENTITY", "purpose": None}]
    assert not await PaymentPin.filter(user__phone=account.phone).exists()


async def test_weak_and_malformed_pins_are_refused(client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await flows.register(client, sms_sink)
    assert (await flows.verify_identity(account, real_name=wf.REAL_NAME, birth="19870604"))["__typename"] == \
        "IdentitySuccess"
    weak = {
        "000000": "all digits the same", "777777": "all digits the same",
        "123456": "ascending or descending digits", "654321": "ascending or descending digits",
        "345678": "ascending or descending digits", "890123": "ascending or descending digits",
        "112233": "a repeated pattern", "123123": "a repeated pattern", "121212": "a repeated pattern",
        "111222": "a repeated pattern", "520520": "a repeated pattern", "147258": "a common PIN",
        "870604": "taken from your birth date", "060487": "taken from your birth date",
        "040687": "taken from your birth date", "198706": "taken from your birth date",
        "987060": "taken from your birth date", "061987": "taken from your birth date",
    }
    for pin, reason in weak.items():
        refused = await wf.set_pin(account, pin)
        assert refused["__typename"] == "InvalidInputError", pin
        assert refused["fields"] == [{"field": "pin", "message": f"is too easy to guess ({reason}); choose another"}]
    for pin in ("12345", "1357920", "13579a", "１３５７９２", " 13579", "١٣٥٧٩٢"):
        refused = await wf.set_pin(account, pin)
        assert refused["fields"] == [{"field": "pin", "message": "must be exactly 6 digits 0-9"}], pin
    assert not await PaymentPin.filter(user__phone=account.phone).exists()
    assert (await wf.set_pin(account))["__typename"] == "PinSuccess"
    again = await wf.set_pin(account, wf.OTHER_PIN)
    assert again["__typename"] == "AlreadyExistsError"
    row = await _pin_row(account.phone)
    assert wf.PIN not in row.pin_hash
    # a keyed verifier (HMAC-SHA256, hex) under the current PIN key, never the PIN itself
    assert (len(row.pin_hash), row.key_id) == (64, "sk1")
    assert int(row.pin_hash, 16) >= 0


async def test_wrong_pins_count_down_then_lock_every_pin_action(client: GraphQLClient, sms_sink: SmsSink,
                                                                server: RunningServer) -> None:
    who = await wf.wallet_user(client, sms_sink)
    change = {"input": {"oldPin": "975310", "newPin": wf.OTHER_PIN}}
    left = [(await client.mutate("changePaymentPin", wf.CHANGE_PIN, change))["attemptsLeft"] for _ in range(4)]
    assert left == [4, 3, 2, 1]
    # a correct PIN resets the count: the next wrong one has 4 left again
    ok = await wf.send(who, to_phone=who.phone, amount="1.00")  # refused (to self) before the PIN is checked
    assert ok["__typename"] == "RecipientUnavailableError"
    assert (await client.mutate("changePaymentPin", wf.CHANGE_PIN, {"input": {
        "oldPin": wf.PIN, "newPin": wf.OTHER_PIN}}))["__typename"] == "PinSuccess"
    assert (await _pin_row(who.phone)).failed_attempts == 0
    left = [(await client.mutate("changePaymentPin", wf.CHANGE_PIN, change))["attemptsLeft"] for _ in range(5)]
    assert left == [4, 3, 2, 1, 0]
    locked = await client.mutate("changePaymentPin", wf.CHANGE_PIN, {"input": {
        "oldPin": wf.OTHER_PIN, "newPin": wf.PIN}})
    assert locked["__typename"] == "PinLockedError"
    until = datetime.fromisoformat(locked["lockedUntil"])
    # The server's clock, which other tests move forward (app/clock.py).
    assert timedelta(hours=2, minutes=59) < until - server.runtime.clock.now() <= timedelta(hours=3)
    bind = await wf.start_binding(who.account, pin=wf.OTHER_PIN)
    assert bind["__typename"] == "PinLockedError"
    row = await _pin_row(who.phone)
    assert row.failed_attempts == 5


async def test_100_parallel_wrong_guesses_try_at_most_5(client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await wf.verified_account(client, sms_sink)
    assert (await wf.set_pin(account))["__typename"] == "PinSuccess"
    guesses = [f"{n:06d}" for n in range(200_001, 200_101)]  # a hundred wrong PINs, none weak

    async def guess(pin: str) -> dict[str, object]:
        return await client.mutate("changePaymentPin", wf.CHANGE_PIN, {"input": {"oldPin": pin, "newPin": "864201"}})

    answers = await asyncio.gather(*(guess(pin) for pin in guesses))
    kinds = Counter(str(a["__typename"]) for a in answers)
    assert kinds == Counter({"InvalidPinError": 5, "PinLockedError": 95})
    assert sorted(int(str(a["attemptsLeft"])) for a in answers if a["__typename"] == "InvalidPinError")[-1] <= 4
    row = await _pin_row(account.phone)
    assert row.failed_attempts == 5
    assert row.locked_until is not None


async def test_100_aliases_in_one_document_are_refused_before_any_resolver(
        client: GraphQLClient, sms_sink: SmsSink) -> None:
    account = await wf.verified_account(client, sms_sink)
    assert (await wf.set_pin(account))["__typename"] == "PinSuccess"
    fields = " ".join(f'g{n}: changePaymentPin(input: {{oldPin: "{200_001 + n}", newPin: "864201"}}) '
                      f"{{ __typename }}" for n in range(100))
    response = await client.post(f"mutation {{ {fields} }}")
    assert response.json() == {"data": None, "errors": [
        {"message": "100 aliases found. Allowed: 15"},
        {"message": "A document may use changePaymentPin only once; send one operation per request.",
         "extensions": {"code": "SENSITIVE_FIELD_REPEATED"}}]}
    two = await client.post('mutation { a: changePaymentPin(input: {oldPin: "200001", newPin: "864201"}) '
                            '{ __typename } b: changePaymentPin(input: {oldPin: "200002", newPin: "864201"}) '
                            '{ __typename } }')
    assert [e.get("extensions", {}).get("code") for e in two.json()["errors"]] == ["SENSITIVE_FIELD_REPEATED"]
    row = await _pin_row(account.phone)
    assert (row.failed_attempts, row.locked_until) == (0, None)


async def test_change_is_notified_and_the_old_pin_stops_working(client: GraphQLClient, sms_sink: SmsSink,
                                                                 new_client: Callable[..., GraphQLClient]) -> None:
    who = await wf.wallet_user(client, sms_sink)
    tablet = await _second_device(who.account, new_client)
    before = wf.sms_count(sms_sink, who.phone, "payment PIN was changed")
    same = await client.mutate("changePaymentPin", wf.CHANGE_PIN, {"input": {"oldPin": wf.PIN, "newPin": wf.PIN}})
    assert same["fields"] == [{"field": "newPin", "message": "is the same as the current PIN"}]
    changed = await client.mutate("changePaymentPin", wf.CHANGE_PIN, {"input": {
        "oldPin": wf.PIN, "newPin": wf.OTHER_PIN}})
    assert changed == {"__typename": "PinSuccess"}
    await wf.wait_sms(sms_sink, who.phone, "payment PIN was changed", before + 1)
    old = await client.mutate("changePaymentPin", wf.CHANGE_PIN, {"input": {"oldPin": wf.PIN, "newPin": "246813"}})
    assert old == {"__typename": "InvalidPinError", "code": "INVALID_PIN", "attemptsLeft": 4,
                   "message": "Wrong payment PIN; 4 attempt(s) left."}
    # a change (the old PIN proved) leaves every session signed in
    assert (await tablet.gql("{ me { id } }")) == {"me": {"id": who.user_id}}
    assert (await client.gql("{ me { id } }")) == {"me": {"id": who.user_id}}


async def test_reset_with_sms_code_and_document_lifts_the_lock(client: GraphQLClient, sms_sink: SmsSink,
                                                               server: RunningServer,
                                                               new_client: Callable[..., GraphQLClient]) -> None:
    account = await flows.register(client, sms_sink)
    phone = await _second_device(account, new_client)
    number = flows.resident_id("19880215", "517")
    submitted = await client.mutate("submitIdentity", flows.SUBMIT_IDENTITY, {"input": {
        "realName": wf.REAL_NAME, "documentType": "RESIDENT_ID", "documentNumber": number,
        "dateOfBirth": "1988-02-15"}})
    assert submitted["__typename"] == "IdentitySuccess"
    assert (await wf.set_pin(account))["__typename"] == "PinSuccess"
    for _ in range(5):
        await client.mutate("changePaymentPin", wf.CHANGE_PIN, {"input": {"oldPin": "975310", "newPin": "246813"}})
    assert (await _pin_row(account.phone)).locked_until is not None

    # the one-a-minute resend window since the sign-up code passes
    await server.runtime.limiter.clear(f"code-dest-min:{account.phone}", 1, server.settings.code_resend_seconds)
    code = await flows.request_sms_code(client, sms_sink, account.phone, "RESET_PIN")
    wrong_doc = await client.mutate("resetPaymentPin", wf.RESET_PIN, {"input": {
        "code": code, "documentNumber": flows.resident_id("19880215", "519"), "newPin": wf.OTHER_PIN}})
    assert wrong_doc["fields"] == [{"field": "documentNumber", "message": "does not match your verified document"}]
    weak = await client.mutate("resetPaymentPin", wf.RESET_PIN, {"input": {
        "code": code, "documentNumber": number, "newPin": "880215"}})
    assert weak["fields"] == [{"field": "newPin",
                               "message": "is too easy to guess (taken from your birth date); choose another"}]
    wrong_code = await client.mutate("resetPaymentPin", wf.RESET_PIN, {"input": {
        "code": f"{(int(code) + 1) % 10**6:06d}", "documentNumber": number, "newPin": wf.OTHER_PIN}})
    assert wrong_code["__typename"] == "InvalidCodeError"
    # refused resets sign nobody out
    assert (await phone.gql("{ me { id } }")) == {"me": {"id": account.user_id}}
    reset = await client.mutate("resetPaymentPin", wf.RESET_PIN, {"input": {
        "code": code, "documentNumber": number.lower(), "newPin": wf.OTHER_PIN}})
    assert reset == {"__typename": "PinSuccess"}
    # the other device is signed out; the session that proved the code and document stays
    assert (await phone.gql("{ me { id } }")) == {"me": None}
    refused = await phone.post("mutation { openWallet { __typename } }")
    assert refused.json()["data"]["openWallet"]["__typename"] == "NotAuthenticatedError"
    assert (await client.gql("{ me { id } }")) == {"me": {"id": account.user_id}}
    row = await _pin_row(account.phone)
    assert (row.failed_attempts, row.locked_until) == (0, None)
    assert (await wf.open_wallet(account))["__typename"] == "WalletSuccess"
    works = await client.mutate("changePaymentPin", wf.CHANGE_PIN, {"input": {"oldPin": wf.OTHER_PIN,
                                                                              "newPin": "246813"}})
    assert works == {"__typename": "PinSuccess"}
    await wf.wait_sms(sms_sink, account.phone, "payment PIN was reset", 1)
    await wf.wait_sms(sms_sink, account.phone, "payment PIN was changed", 1)
    assert await OutboundMessage.filter(recipient=account.phone, subject="Payment PIN").count() == 3
