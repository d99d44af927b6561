"""Money at its edges (issues 8 and 9): verbatim replays, PIN verifier upgrade, the escalating PIN
lock, the rolling step-up window, a large payRequest with its code, and pay vs cancel."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from app.pin.verifier import DERIVED_KEY_ID, LEGACY_KEY_ID, Verifier
from models import MoneyRequest, PaymentPin, RequestPayment, RequestState, Transfer, User
from tests.support import chat
from tests.support import money_requests as requests
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink


async def _pin_row(phone: str) -> PaymentPin:
    return await PaymentPin.get(user_id=(await User.get(phone=phone)).id)


async def test_a_replay_answers_the_first_answer_verbatim(client: GraphQLClient,
                                                          new_client: Callable[..., GraphQLClient],
                                                          sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(client, sms_sink, "100.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    first = await wf.send(alice, bob, amount="10.00", key="lunch")
    assert (first["__typename"], first["wallet"]["balance"]["amount"]) == ("TransferSuccess", "90.00")
    assert (await wf.send(bob, alice, amount="3.00"))["__typename"] == "TransferSuccess"
    assert (await wf.send(alice, bob, amount="1.00"))["__typename"] == "TransferSuccess"
    snapshot = await wf.ledger_snapshot()
    replay = await wf.send(alice, bob, amount="10.00", key="lunch")
    assert replay == first  # the balance the first answer gave (90.00), not today's (92.00)
    assert await wf.balance(alice) == "92.00"
    assert await wf.ledger_snapshot() == snapshot


async def test_an_argon2_verifier_is_checked_once_and_upgraded(server: RunningServer, client: GraphQLClient,
                                                              new_client: Callable[..., GraphQLClient],
                                                              sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(client, sms_sink, "10.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    legacy = await server.runtime.hasher.hash_legacy_pin(wf.PIN)  # a verifier from the first version
    await PaymentPin.filter(user__phone=alice.phone).update(pin_hash=legacy, key_id=LEGACY_KEY_ID)
    wrong = await wf.send(alice, bob, amount="1.00", pin="975310")
    assert (wrong["__typename"], wrong["attemptsLeft"]) == ("InvalidPinError", 4)
    assert ((await _pin_row(alice.phone)).pin_hash, (await _pin_row(alice.phone)).key_id) == (legacy, LEGACY_KEY_ID)
    assert (await wf.send(alice, bob, amount="1.00"))["__typename"] == "TransferSuccess"
    row = await _pin_row(alice.phone)
    assert (row.key_id, len(row.pin_hash), row.failed_attempts) == (DERIVED_KEY_ID, 64, 0)
    assert server.runtime.pin_keys.matches(Verifier(row.pin_hash, row.key_id), row.user_id, wf.PIN)
    assert (await wf.send(alice, bob, amount="1.00"))["__typename"] == "TransferSuccess"  # the keyed verifier


async def test_three_locks_in_a_day_lock_the_pin_until_reset(server: RunningServer, client: GraphQLClient,
                                                             new_client: Callable[..., GraphQLClient],
                                                             sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(client, sms_sink, "10.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    for cycle in range(3):
        left = [(await wf.send(alice, bob, amount="1.00", pin="975310"))["attemptsLeft"] for _ in range(5)]
        assert left == [4, 3, 2, 1, 0], cycle
        locked = await wf.send(alice, bob, amount="1.00")
        assert locked["__typename"] == "PinLockedError"
        assert (locked["lockedUntil"] is None) == (cycle == 2), cycle
        assert locked["message"] == ("Too many wrong PINs; payments are locked until you reset your PIN."
                                     if cycle == 2 else "Too many wrong PINs; payments are locked for a while.")
        server.runtime.clock.advance(timedelta(hours=3, seconds=1))
    # three hours on, a fourth and a fifth: still locked, until the PIN is reset
    assert (await wf.send(alice, bob, amount="1.00"))["__typename"] == "PinLockedError"
    server.runtime.clock.advance(timedelta(hours=30))
    assert (await wf.send(alice, bob, amount="1.00"))["__typename"] == "PinLockedError"
    row = await _pin_row(alice.phone)
    assert (row.reset_required, row.failed_attempts, len(row.recent_locks)) == (True, 5, 3)
    assert await wf.balance(alice) == "10.00"


async def test_many_payments_under_the_threshold_need_a_code_within_24_hours(
        server: RunningServer, client: GraphQLClient, new_client: Callable[..., GraphQLClient],
        sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(client, sms_sink, "20000.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    for _ in range(2):
        assert (await wf.send(alice, bob, amount="4000.00"))["__typename"] == "TransferSuccess"
    before = wf.sms_count(sms_sink, alice.phone, wf.STEP_UP_SMS)
    snapshot = await wf.ledger_snapshot()
    third = await wf.send(alice, bob, amount="2000.00", key="third")  # 10,000.00 within 24 h
    assert (third["__typename"], third["missing"]) == ("VerificationRequiredError", [
        {"name": "CODE", "purpose": "STEP_UP"}])
    assert await wf.ledger_snapshot() == snapshot
    code = await sms_sink.code_for(alice.phone, skip=before, contains=wf.STEP_UP_SMS)
    assert (await wf.send(alice, bob, amount="2000.00", key="third", step_up_code=code))["__typename"] == \
        "TransferSuccess"
    server.runtime.clock.advance(timedelta(hours=24, seconds=1))
    assert (await wf.send(alice, bob, amount="4999.99"))["__typename"] == "TransferSuccess"  # the window moved on


async def test_a_large_request_is_paid_with_its_step_up_code(new_client: Callable[..., GraphQLClient],
                                                           sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(new_client(), sms_sink, "7000.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    conv = await chat.start(bob.account, alice.account)
    asked = await requests.ask(bob.account, conv["id"], "6000.00", "rent")
    before = wf.sms_count(sms_sink, alice.phone, wf.STEP_UP_SMS)
    first = await requests.pay(alice, asked["id"], key="rent")
    assert (first["__typename"], first["missing"]) == ("VerificationRequiredError", [
        {"name": "CODE", "purpose": "STEP_UP"}])
    assert await wf.balance(alice) == "7000.00"
    code = await sms_sink.code_for(alice.phone, skip=before, contains=wf.STEP_UP_SMS)
    paid = await requests.pay(alice, asked["id"], key="rent", step_up_code=code)
    assert paid["__typename"] == "PayRequestSuccess", paid
    assert (await wf.balance(alice), await wf.balance(bob)) == ("1000.00", "6000.00")


@pytest.mark.postgres
async def test_200_concurrent_pay_and_cancel_pairs_never_pay_a_cancelled_request(
        server: RunningServer, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(new_client(), sms_sink, "1000.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    conv = await chat.start(bob.account, alice.account)
    asked = [await requests.ask(bob.account, conv["id"], "1.00") for _ in range(200)]

    async def pair(request_id: str) -> tuple[str, str]:
        paid, cancelled = await asyncio.gather(requests.pay(alice, request_id, key=str(uuid.uuid4())),
                                               requests.cancel(bob.account, request_id))
        return str(paid["__typename"]), str(cancelled["__typename"])

    outcomes = await asyncio.gather(*(pair(r["id"]) for r in asked))
    assert {c for _, c in outcomes} == {"PaymentRequestSuccess"}  # every cancel succeeds
    assert {p for p, _ in outcomes} <= {"PayRequestSuccess", "RequestClosedError"}
    ids = [wf.db_id(r["id"]) for r in asked]
    offset = server.runtime.clock.offset
    rows = {r.id: r for r in await MoneyRequest.filter(id__in=ids)}
    payments = {p.request_id: p for p in await RequestPayment.filter(request_id__in=ids)}
    for request_id, (paid, _) in zip(ids, outcomes, strict=True):
        request = rows[request_id]
        assert request.state == RequestState.CANCELLED
        assert request.cancelled_at is not None
        if paid == "RequestClosedError":
            assert request_id not in payments
            assert not await Transfer.filter(request_id=request_id).exists()
        else:  # paid first: the payment committed before the cancel took the row
            assert payments[request_id].created_at + offset <= request.cancelled_at
    won = sum(p == "PayRequestSuccess" for p, _ in outcomes)
    assert won == len(payments) == await Transfer.filter(request_id__in=ids).count()
    assert await wf.balance(alice) == f"{1000 - won}.00"
