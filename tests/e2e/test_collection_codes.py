"""Collection codes through HTTP GraphQL, as a client: forged and altered codes move nothing, a
fixed amount is fixed, a stranger can pay a code, revocation, replays, the QR image, key rotation."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
import zxingcpp

from app.security.keyed import key_id
from app.settings import Settings
from models import PaymentPin, Transfer
from tests.support import acceptance, chat, databases, people
from tests.support import codes as cc
from tests.support import wallet_flows as wf
from tests.support.authenticator import SoftAuthenticator
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.wallet_flows import WalletAccount
from tests.support.worker_server import client_factory, worker_server

RECORDS = """{ wallet { transactions(first: 5) { edges { node {
  kind amount { amount } memo counterparty { displayName } } } } } }"""
SVG = "{http://www.w3.org/2000/svg}"


async def _pair(new_client: Callable[..., GraphQLClient], sms: SmsSink,
                amount: str = "100.00") -> tuple[WalletAccount, WalletAccount]:
    """Alice (money, a PIN) and Bob (a wallet at 0.00): strangers, not contacts."""
    alice = await wf.funded_user(new_client(), sms, amount, name="Alice")
    bob = await wf.wallet_user(new_client(), sms, name="Bob")
    return alice, bob


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _swap(text: str, index: int) -> str:
    return text[:index] + ("B" if text[index] == "A" else "A") + text[index + 1:]


def _altered(payload: str) -> dict[str, str]:
    """The code with one thing changed, each way an attacker could try."""
    version, claims, kid, mac = payload.split(".")
    fields = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    richer = _b64(json.dumps([fields[0], fields[1], fields[2], 1, *fields[4:]], separators=(",", ":")).encode())
    return {
        "claims, one character": f"{version}.{_swap(claims, 3)}.{kid}.{mac}",
        "claims, amount rewritten": f"{version}.{richer}.{kid}.{mac}",
        "mac, one character": f"{version}.{claims}.{kid}.{_swap(mac, 5)}",
        "key id swapped": f"{version}.{claims}.{key_id(b'another server secret' * 2)}.{mac}",
        "version": f"iwc2.{claims}.{kid}.{mac}",
        "truncated": payload[:-3],
        "forged": f"iwc1.{claims}.{kid}.{_b64(b'0123456789abcdef')}",
        "garbage": "hello, I am a code",
        "huge": "iwc1." + "A" * 20_000,
    }


async def _direct_transfers(who: WalletAccount) -> list[dict[str, Any]]:
    """The transfer bubbles of the viewer's direct conversations, as their chat list shows them."""
    data = await who.client.gql(chat.CONVERSATIONS, {"first": 10})
    return [e["node"]["lastMessage"]["transfer"] for e in data["conversations"]["edges"]
            if e["node"]["kind"] == "DIRECT" and e["node"]["lastMessage"] and e["node"]["lastMessage"]["transfer"]]


async def _records(who: WalletAccount) -> list[tuple[str, str, str, str]]:
    edges = (await who.client.gql(RECORDS))["wallet"]["transactions"]["edges"]
    return [(n["kind"], n["amount"]["amount"], n["memo"], n["counterparty"]["displayName"] if n["counterparty"]
             else "") for n in (e["node"] for e in edges)]


async def test_forged_and_altered_codes_are_refused_and_move_nothing(
        new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    payload = (await cc.create(bob, "5.00", "tea"))["collectionCode"]["payload"]
    snapshot = await wf.ledger_snapshot()
    for how, bad in _altered(payload).items():
        answer = await cc.pay(alice, bad, "5.00")
        assert answer == {"__typename": "InvalidCollectionCodeError", "code": "INVALID_COLLECTION_CODE",
                          "message": "This is not a valid collection code."}, how
        async with httpx.AsyncClient() as http:
            image = await http.get(f"{alice.client.base_url}/codes/{bad}.svg")
        assert (image.status_code, image.text) == (404, "Not Found"), how
    assert await wf.ledger_snapshot() == snapshot
    assert (await PaymentPin.get(user__phone=alice.phone)).failed_attempts == 0  # refused before the PIN
    # Control: the genuine code pays.
    assert (await cc.pay(alice, payload, "5.00"))["__typename"] == "TransferSuccess"


async def test_a_fixed_amount_code_pays_its_amount_and_refuses_another(
        new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    created = await cc.create(bob, "25.00", "午饭 lunch")
    code = created["collectionCode"]
    assert (code["amount"], code["memo"], code["static"], code["revokedAt"]) == (
        {"amount": "25.00", "currency": "CNY"}, "午饭 lunch", False, None)
    snapshot = await wf.ledger_snapshot()
    for other in ("25.01", "24.99", "0.01"):
        refused = await cc.pay(alice, code["payload"], other)
        assert refused == {"__typename": "CollectionCodeRefusedError", "reason": "AMOUNT_MISMATCH",
                           "code": "COLLECTION_CODE_REFUSED",
                           "message": "This code asks for a fixed amount; pay exactly that."}
    assert await wf.ledger_snapshot() == snapshot

    paid = await cc.pay(alice, code["payload"])  # the amount left out: the code's own
    assert paid["__typename"] == "TransferSuccess", paid
    assert (paid["transfer"]["amount"]["amount"], paid["transfer"]["memo"]) == ("25.00", "午饭 lunch")
    again = await cc.pay(alice, code["payload"], "25.00", memo="seconds")  # a price tag pays again and again
    assert (again["transfer"]["amount"]["amount"], again["transfer"]["memo"]) == ("25.00", "seconds")
    assert await wf.balance(alice) == "50.00"
    assert await wf.balance(bob) == "50.00"

    static = await cc.my_code(bob)
    assert (static["static"], static["amount"], static["memo"]) == (True, None, "")
    needs = await cc.pay(alice, static["payload"])
    assert needs["__typename"] == "InvalidInputError"
    assert needs["fields"] == [{"field": "amount", "message": "this code has no amount of its own: give one"}]
    for amount, field_message in (("0", "must be greater than zero"), ("1.001", "has more than 2 decimal places")):
        bad = await cc.create(bob, amount)
        assert (bad["__typename"], bad["fields"]) == ("InvalidInputError", [{"field": "amount",
                                                                              "message": field_message}])
    long_memo = await cc.create(bob, "1.00", "x" * 41)
    assert long_memo["fields"] == [{"field": "memo", "message": "is longer than 40 characters"}]
    over = await cc.create(bob, "50000.01")
    assert (over["__typename"], over["code"]) == ("LimitExceededError", "LIMIT_EXCEEDED")


async def test_a_stranger_pays_a_static_code_and_both_see_it_in_records_and_chat(
        new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    # Bob takes messages from contacts only and holds ordinary transfers for acceptance.
    await people.privacy(bob.account, messagesFrom="CONTACTS")
    assert (await acceptance.set_acceptance(bob, "MANUAL"))["transferAcceptance"] == "MANUAL"
    assert (await wf.send(alice, bob, amount="1.00"))["__typename"] == "NotReachableError"  # control
    code = await cc.my_code(bob)
    assert await cc.my_code(bob) == code  # the same static code on every ask

    paid = await cc.pay(alice, code["payload"], "12.34", memo="thanks for dinner")
    assert paid["__typename"] == "TransferSuccess", paid
    assert {k: paid["transfer"][k] for k in ("kind", "state", "memo")} == {
        "kind": "P2P", "state": "COMPLETED", "memo": "thanks for dinner"}
    assert paid["wallet"]["balance"]["amount"] == "87.66"
    assert await wf.balance(bob) == "12.34"  # arrived at once: the code is Bob's consent, no hold
    assert (await _records(alice))[0] == ("SENT", "-12.34", "thanks for dinner", "Bob")
    assert (await _records(bob))[0] == ("RECEIVED", "12.34", "thanks for dinner", "Alice")
    bubble = {"transferId": paid["transfer"]["id"], "amount": {"amount": "12.34", "currency": "CNY"},
              "memo": "thanks for dinner", "state": "COMPLETED"}
    assert await _direct_transfers(alice) == [bubble]
    assert await _direct_transfers(bob) == [bubble]

    # A block still refuses, and moves nothing.
    assert (await people.block(bob.account, alice.account))["__typename"] == "BlockSuccess"
    snapshot = await wf.ledger_snapshot()
    blocked = await cc.pay(alice, code["payload"], "1.00")
    assert blocked["__typename"] == "NotReachableError", blocked
    assert await wf.ledger_snapshot() == snapshot
    # One's own code: not a payment.
    own = await cc.pay(bob, code["payload"], "1.00")
    assert (own["__typename"], own["reason"]) == ("RecipientUnavailableError", "SELF")


async def test_a_revoked_code_is_refused_and_the_reissued_one_pays(
        new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    first = await cc.my_code(bob)
    key = str(uuid.uuid4())
    paid = await cc.pay(alice, first["payload"], "3.00", key=key)
    assert paid["__typename"] == "TransferSuccess"

    revoked = await cc.revoke(bob, first["id"])
    assert revoked["__typename"] == "CollectionCodeSuccess"
    assert revoked["collectionCode"]["revokedAt"] is not None
    again = await cc.revoke(bob, first["id"])  # a no-op
    assert again["collectionCode"]["revokedAt"] == revoked["collectionCode"]["revokedAt"]
    assert (await cc.revoke(alice, first["id"]))["__typename"] == "NotFoundError"  # not hers

    snapshot = await wf.ledger_snapshot()
    refused = await cc.pay(alice, first["payload"], "3.00")
    assert refused == {"__typename": "CollectionCodeRefusedError", "reason": "REVOKED",
                       "code": "COLLECTION_CODE_REFUSED",
                       "message": "This code was revoked by its owner; ask them for their current code."}
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{alice.client.base_url}{first['imagePath']}")).status_code == 200  # still an image
    assert await wf.ledger_snapshot() == snapshot
    # The payment made before the revocation still answers its key as it did.
    replay = await cc.pay(alice, first["payload"], "3.00", key=key)
    assert replay == paid

    second = await cc.my_code(bob)
    assert second["id"] != first["id"]
    assert second["payload"] != first["payload"]
    assert [c["id"] for c in (await bob.client.gql(cc.MY_CODES))["myCollectionCodes"]] == [second["id"]]
    assert (await cc.pay(alice, second["payload"], "4.00"))["__typename"] == "TransferSuccess"
    assert await wf.balance(bob) == "7.00"


async def test_a_replayed_key_pays_once(new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    payload = (await cc.my_code(bob))["payload"]
    key = str(uuid.uuid4())
    answers = await asyncio.gather(*(cc.pay(alice, payload, "8.00", memo="x", key=key) for _ in range(5)))
    assert [a["__typename"] for a in answers] == ["TransferSuccess"] * 5
    assert len({a["transfer"]["id"] for a in answers}) == 1
    assert await wf.balance(alice) == "92.00"
    assert await wf.balance(bob) == "8.00"
    assert await Transfer.filter(idempotency_key=key).count() == 1
    conflict = await cc.pay(alice, payload, "9.00", memo="x", key=key)
    assert conflict["__typename"] == "IdempotencyConflictError"
    # The same key and amount for sendMoney is another request, not this one.
    assert (await wf.send(alice, bob, amount="8.00", memo="x", key=key))["__typename"] == "IdempotencyConflictError"
    assert await wf.balance(alice) == "92.00"


async def test_without_a_pin_the_payment_asks_for_one_and_moves_nothing(
        new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    payload = (await cc.my_code(bob))["payload"]
    snapshot = await wf.ledger_snapshot()
    asked = await cc.pay(alice, payload, "1.00", pin=None)
    assert (asked["__typename"], asked["missing"]) == ("VerificationRequiredError",
                                                        [{"name": "PAYMENT_PIN", "purpose": None}])
    wrong = await cc.pay(alice, payload, "1.00", pin=wf.OTHER_PIN)
    assert (wrong["__typename"], wrong["attemptsLeft"]) == ("InvalidPinError", 4)
    poor = await cc.pay(alice, payload, "100.01")
    assert poor["__typename"] == "InsufficientFundsError"
    assert await wf.ledger_snapshot() == snapshot


DEVICE_PAY = ("mutation($input: PayByCodeInput!) { payByCode(input: $input) { __typename "
              "... on TransferSuccess { transfer { id approvedByDevice { name } } wallet { balance { amount } } } "
              "... on VerificationRequiredError { missing { name } deviceChallenge } "
              "... on ApprovalRejectedError { attemptsLeft } ... on Error { code message } } }")
ENROL = "mutation { beginDeviceEnrolment { __typename ... on DeviceEnrolmentOptions { options } } }"
FINISH = ("mutation($input: FinishDeviceEnrolmentInput!) { finishDeviceEnrolment(input: $input) { __typename "
          "... on DeviceEnrolled { device { id } } ... on Error { code message } } }")


async def test_a_device_approves_a_code_payment_for_that_payment_only(
        new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    phone_key = SoftAuthenticator()
    begun = await alice.client.mutate("beginDeviceEnrolment", ENROL)
    done = await alice.client.mutate("finishDeviceEnrolment", FINISH, {"input": {
        "credential": phone_key.create(begun["options"]), "deviceName": "Alice's phone", "pin": wf.PIN}})
    assert done["__typename"] == "DeviceEnrolled", done
    payload, key = (await cc.my_code(bob))["payload"], str(uuid.uuid4())

    def pay(amount: str, assertion: str | None) -> dict[str, Any]:
        return {"input": {"payload": payload, "amount": amount, "idempotencyKey": key,
                          "approval": {"deviceAssertion": assertion} if assertion else None}}

    asked = await alice.client.mutate("payByCode", DEVICE_PAY, pay("6.00", None))
    assert asked["__typename"] == "VerificationRequiredError", asked
    assert {m["name"] for m in asked["missing"]} == {"PAYMENT_PIN", "DEVICE_APPROVAL"}
    signed = phone_key.get(asked["deviceChallenge"])
    other = await alice.client.mutate("payByCode", DEVICE_PAY, pay("7.00", signed))  # approved 6.00, not 7.00
    assert other["__typename"] == "ApprovalRejectedError", other
    assert await wf.balance(bob) == "0.00"
    asked = await alice.client.mutate("payByCode", DEVICE_PAY, pay("6.00", None))
    paid = await alice.client.mutate("payByCode", DEVICE_PAY, pay("6.00", phone_key.get(asked["deviceChallenge"])))
    assert paid["__typename"] == "TransferSuccess", paid
    assert paid["transfer"]["approvedByDevice"] == {"name": "Alice's phone"}
    assert await wf.balance(bob) == "6.00"


@pytest.mark.postgres
async def test_a_revocation_racing_payments_lets_none_through_after_it(
        new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice, bob = await _pair(new_client, sms_sink)
    code = await cc.my_code(bob)
    racing = [asyncio.create_task(cc.pay(alice, code["payload"], "1.00")) for _ in range(20)]
    await asyncio.sleep(0.05)
    revoked = await cc.revoke(bob, code["id"])
    assert revoked["__typename"] == "CollectionCodeSuccess"
    after = await asyncio.gather(*(cc.pay(alice, code["payload"], "1.00") for _ in range(5)))
    assert [a.get("reason") for a in after] == ["REVOKED"] * 5
    answers = await asyncio.gather(*racing)
    assert {a["__typename"] for a in answers} <= {"TransferSuccess", "CollectionCodeRefusedError"}
    paid = [a for a in answers if a["__typename"] == "TransferSuccess"]
    assert all(a["reason"] == "REVOKED" for a in answers if a not in paid)
    assert await wf.balance(bob) == f"{len(paid)}.00"
    assert await wf.balance(alice) == f"{100 - len(paid)}.00"
    revoked_at = datetime.fromisoformat(revoked["collectionCode"]["revokedAt"])
    for a in paid:  # every payment that went through was made before the revocation
        made = await Transfer.get(id=wf.db_id(a["transfer"]["id"]))
        assert made.created_at <= revoked_at


def _decoded(svg_text: str) -> str:
    """Draw the SVG's path (segno writes rows of `h` strokes) into pixels and read it as a QR code."""
    root = ET.fromstring(svg_text)  # noqa: S314 (our own server's answer, in a test)
    assert root.tag == f"{SVG}svg"
    path = root.find(f"{SVG}path")
    assert path is not None
    scale = int(re.fullmatch(r"scale\((\d+)\)", path.get("transform", "")).group(1))  # type: ignore[union-attr]
    size = int(root.get("width", "0")) // scale
    grid = bytearray([255]) * (size * size)
    x = y = 0.0
    for command, numbers in re.findall(r"([Mmh])([-0-9. ]+)", path.get("d", "")):
        values = [float(v) for v in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            for i in range(int(values[0])):
                grid[int(y) * size + int(x) + i] = 0
            x += values[0]
    pixels = bytes(grid[(r // 4) * size + c // 4] for r in range(size * 4) for c in range(size * 4))
    found = zxingcpp.read_barcodes(memoryview(pixels).cast("B", shape=[size * 4, size * 4]))
    assert len(found) == 1
    return str(found[0].text)


async def test_the_qr_image_is_served_to_anyone_and_reads_back_as_the_payload(
        new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    for code in (await cc.my_code(bob), (await cc.create(bob, "9.99", "咖啡 coffee ☕"))["collectionCode"]):
        assert code["imagePath"] == f"/codes/{code['payload']}.svg"
        async with httpx.AsyncClient() as http:  # no token: the payload is public by design
            image = await http.get(f"{bob.client.base_url}{code['imagePath']}")
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/svg+xml"
        assert "max-age=86400" in image.headers["cache-control"]
        assert image.headers["x-content-type-options"] == "nosniff"
        assert image.text == code["qrSvg"]
        assert _decoded(image.text) == code["payload"]
    signed_out = await new_client().gql(cc.MY_CODE)
    assert signed_out == {"myCollectionCode": None}


async def test_no_wallet_no_code(new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    carol = WalletAccount(await wf.verified_account(new_client(), sms_sink, name="Carol"))
    assert await carol.client.gql(cc.MY_CODE) == {"myCollectionCode": None}
    refused = await cc.create(carol, "1.00")
    assert (refused["__typename"], refused["code"]) == ("VerificationRequiredError", "VERIFICATION_REQUIRED")


KEY_A, KEY_B = "code-rotation-key-a-" + "a" * 32, "code-rotation-key-b-" + "b" * 32
PIN_KEYS = "pk1:" + "p" * 32  # PINs keyed apart from SECRET_KEY, so they outlive its rotation here


@pytest_asyncio.fixture
async def own(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    """The test settings on a fresh database, for servers whose keys differ from the session's."""
    if databases.backend() == "sqlite":
        yield settings.model_copy(update={"database_url": databases.sqlite_url(tmp_path_factory.mktemp("codes"))})
        return
    name, url = await databases.create_postgres_database()
    try:
        yield settings.model_copy(update={"database_url": url})
    finally:
        await databases.drop_postgres_database(name)


def _kid(payload: str) -> str:
    return payload.split(".")[2]


async def test_a_code_made_before_a_key_rotation_still_pays_after_it(
        server: RunningServer, own: Settings, sms_sink: SmsSink) -> None:
    first = {"SECRET_KEY": KEY_A, "PIN_KEYS": PIN_KEYS}
    async with worker_server(own, workers=1, **first) as before, client_factory(before) as make:
        alice, bob = await _pair(make, sms_sink)
        printed = await cc.my_code(bob)
    assert _kid(printed["payload"]) == key_id(KEY_A.encode())

    rotated = {"SECRET_KEY": KEY_B, "PREVIOUS_SECRET_KEYS": KEY_A, "PIN_KEYS": PIN_KEYS}
    async with worker_server(own, workers=1, **rotated) as after, client_factory(after) as make:
        alice.account.client = make(alice.account.token)
        bob.account.client = make(bob.account.token)
        paid = await cc.pay(alice, printed["payload"], "2.00")
        assert paid["__typename"] == "TransferSuccess", paid
        shown = await cc.my_code(bob)  # the same code, signed again under the new key
        assert shown["id"] == printed["id"]
        assert _kid(shown["payload"]) == key_id(KEY_B.encode())
        assert (await cc.pay(alice, shown["payload"], "3.00"))["__typename"] == "TransferSuccess"

    retired = {"SECRET_KEY": KEY_B, "PIN_KEYS": PIN_KEYS}  # the old key gone: what it signed dies with it
    async with worker_server(own, workers=1, **retired) as later, client_factory(later) as make:
        alice.account.client = make(alice.account.token)
        refused = await cc.pay(alice, printed["payload"], "2.00")
        assert refused["__typename"] == "InvalidCollectionCodeError"
        assert (await cc.pay(alice, shown["payload"], "1.00"))["__typename"] == "TransferSuccess"
        assert await wf.balance(alice) == "94.00"
