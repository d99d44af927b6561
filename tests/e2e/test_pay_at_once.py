"""The payment at once (app/payments/transfer_sql.py) writes only what it decided on.

Its decision is taken on facts read without a lock; the call that writes takes the locks and reads
the facts again. These tests put a change between the two, as a concurrent request would: the call
writes nothing and gives no row, and the payment, run as a client runs it, then takes the locked path
and answers what the locked path answers.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest
from tortoise import connections

from app.payments import transfer_sql, transfers
from models import PaymentPin, User
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink

pytestmark = pytest.mark.postgres


async def _pair(client: GraphQLClient, new_client: Callable[..., GraphQLClient],
                sms_sink: SmsSink) -> tuple[wf.WalletAccount, wf.WalletAccount]:
    alice = await wf.funded_user(client, sms_sink, "10.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    assert (await wf.send(alice, bob, amount="1.00"))["__typename"] == "TransferSuccess"  # their conversation
    return alice, bob


async def _order(server: RunningServer, payer: wf.WalletAccount, payee: wf.WalletAccount, amount_minor: int,
                 key: str) -> transfers.Order:
    user = await User.get(id=wf.db_id(payer.user_id))
    return transfers.make_order(server.runtime, user, payee_id=wf.db_id(payee.user_id), amount_minor=amount_minor,
                                memo="", pin=wf.PIN, idempotency_key=key, request_id=None)


async def _call(call: list[object]) -> list[dict[str, object]]:
    return await connections.get("default").execute_query_dict(transfer_sql.PAY_ROUTINE, call)


async def test_a_balance_that_moved_after_the_decision_makes_the_call_write_nothing(
        server: RunningServer, client: GraphQLClient, new_client: Callable[..., GraphQLClient],
        sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink)
    decided = await transfers._decide_at_once(server.runtime, await _order(server, alice, bob, 600, "k-stale-1"))
    assert decided is not None, "a plain payment: 6.00 of 9.00"
    # Another payment of 6.00 commits between the decision and the call: 3.00 are left.
    assert (await wf.send(alice, bob, amount="6.00"))["__typename"] == "TransferSuccess"
    before = await wf.ledger_snapshot()
    assert await _call(decided.call) == []
    assert await wf.ledger_snapshot() == before
    assert await wf.balance(alice) == "3.00"
    # The same decision with the facts as they are now pays: the check compares, it does not refuse.
    fresh = await transfers._decide_at_once(server.runtime, await _order(server, alice, bob, 100, "k-stale-2"))
    assert fresh is not None
    assert len(await _call(fresh.call)) == 1
    assert await wf.balance(alice) == "2.00"


async def test_a_pin_locked_after_the_decision_makes_the_call_write_nothing(
        server: RunningServer, client: GraphQLClient, new_client: Callable[..., GraphQLClient],
        sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink)
    decided = await transfers._decide_at_once(server.runtime, await _order(server, alice, bob, 100, "k-pin-1"))
    assert decided is not None
    await PaymentPin.filter(user_id=wf.db_id(alice.user_id)).update(failed_attempts=1)  # a wrong guess elsewhere
    before = await wf.ledger_snapshot()
    assert await _call(decided.call) == []
    assert await wf.ledger_snapshot() == before


async def test_what_is_not_plain_is_not_decided_at_once_and_the_locked_path_answers(
        server: RunningServer, client: GraphQLClient, new_client: Callable[..., GraphQLClient],
        sms_sink: SmsSink) -> None:
    alice, bob = await _pair(client, new_client, sms_sink)
    rt = server.runtime
    wrong = transfers.make_order(rt, await User.get(id=wf.db_id(alice.user_id)), payee_id=wf.db_id(bob.user_id),
                                 amount_minor=100, memo="", pin="000000" if wf.PIN != "000000" else "111111",
                                 idempotency_key="k-wrong", request_id=None)
    assert await transfers._decide_at_once(rt, wrong) is None  # a wrong PIN is counted on the locked path
    assert await transfers._decide_at_once(rt, await _order(server, alice, bob, 5000, "k-much")) is None
    replayed = await transfers._decide_at_once(rt, await _order(server, alice, bob, 100, "k-once"))
    assert replayed is not None
    assert len(await _call(replayed.call)) == 1
    assert await transfers._decide_at_once(rt, await _order(server, alice, bob, 100, "k-once")) is None  # replay
    # Through the API: the wrong PIN counts, the overdraft is refused, the replay answers the first.
    refused = await wf.send(alice, bob, amount="1.00", pin=wrong.pin or "")
    assert refused["__typename"] == "InvalidPinError", refused
    assert (await PaymentPin.get(user_id=wf.db_id(alice.user_id))).failed_attempts == 1
    assert (await wf.send(alice, bob, amount="50.00"))["__typename"] == "InsufficientFundsError"
    again = await wf.send(alice, bob, amount="1.00", key="k-once")
    assert again["__typename"] == "TransferSuccess", again
    assert await wf.balance(alice) == "8.00"


async def test_100_parallel_payments_with_wrong_pins_meet_the_count_and_then_the_right_pin_is_locked_out(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    """A guess is compared before any lock, but a wrong one decides nothing there: it goes to the
    gate and is counted; the right one pays at once only while no failure stands (the digest)."""
    alice, bob = await _pair(client, new_client, sms_sink)
    guesses = [f"{n:06d}" for n in range(200_001, 200_101)]
    answers = await asyncio.gather(*(wf.send(alice, bob, amount="1.00", pin=pin) for pin in guesses))
    assert Counter(str(a["__typename"]) for a in answers) == Counter({"InvalidPinError": 5, "PinLockedError": 95})
    assert (await wf.send(alice, bob, amount="1.00"))["__typename"] == "PinLockedError"
    assert await wf.balance(alice) == "9.00"
