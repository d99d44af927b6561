"""The app SIGKILLed at chosen points of a transfer, a top-up and a withdrawal, then restarted.

The process kills itself at a named point (FAULT_KILL_POINT, app/faults.py), the way a power cut
would: after the journal is written but before commit, after commit but before the answer, after
the card network answered but before the wallet was credited or the hold settled. The client sees
its connection drop and retries with the same key against the restarted app until it gets a final
answer. Every key ends with exactly one outcome, the reconciler finishes what was pending, and
`imwallet audit` (with no PENDING operation allowed) passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.faults.harness import App
from tests.support import wallet_flows as wf
from tests.support.sinks import SmsSink

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]
AUDIT_CLEAN = (0, "ledger audit: all invariants hold")


async def _killed_during(app: App, point: str, request: Callable[[], Awaitable[Any]]) -> None:
    await app.restart(FAULT_KILL_POINT=point)
    with pytest.raises(httpx.TransportError):
        await request()
    assert await app.died() == -9
    await app.start()


async def _final_answer(request: Callable[[], Awaitable[dict[str, Any]]], seconds: float = 20.0) -> dict[str, Any]:
    """Retry with the same key, as a client would, until the answer is no longer 'try again'."""
    for _ in range(int(seconds / 0.2)):
        try:
            answer = await request()
        except httpx.TransportError:
            answer = {"__typename": "TransportError"}
        if answer["__typename"] not in ("TemporarilyUnavailableError", "TransportError"):
            return answer
        await asyncio.sleep(0.2)
    raise AssertionError("no final answer")


async def _people(app: App, sms: SmsSink, funds: str) -> tuple[wf.WalletAccount, wf.WalletAccount]:
    alice = await wf.funded_user(app.client(), sms, funds, name="Alice")
    bob = await wf.wallet_user(app.client(), sms, name="Bob")
    return alice, bob


async def _outsiders(app: App, transfer_id: str) -> list[tuple[str, int]]:
    """What the sandbox bank did under this transfer's reference (its own table)."""
    rows = await app.rows("SELECT operation, approved FROM sandbox_issuer_operations WHERE reference = $1",
                          transfer_id)
    return [(str(r["operation"]), int(str(r["approved"]))) for r in rows]


async def test_transfer_killed_before_and_after_commit(app: App, sms_sink: SmsSink) -> None:
    alice, bob = await _people(app, sms_sink, "100.00")
    answers = {}
    for point in ("transfer.before_commit", "transfer.after_commit"):
        def send(key: str = point) -> Awaitable[dict[str, Any]]:
            return wf.send(alice, bob, amount="10.00", key=key)

        await _killed_during(app, point, send)
        answers[point] = await _final_answer(send)
        assert answers[point]["__typename"] == "TransferSuccess", answers[point]
        assert await send() == answers[point]  # the key keeps its one outcome
    assert (await wf.balance(alice), await wf.balance(bob)) == ("80.00", "20.00")
    rows = await app.rows("SELECT idempotency_key, state FROM transfers WHERE kind = 'P2P' ORDER BY id")
    assert [(r["idempotency_key"], r["state"]) for r in rows] == [
        ("transfer.before_commit", "COMPLETED"), ("transfer.after_commit", "COMPLETED")]
    assert app.audit() == AUDIT_CLEAN


async def test_top_up_killed_at_each_point(app: App, sms_sink: SmsSink) -> None:
    alice, _ = await _people(app, sms_sink, "0.00")
    expected = {"top_up.before_charge": ("CardDeclinedError", "NO_ANSWER"),
                "top_up.charged": ("TransferSuccess", "COMPLETED"),
                "top_up.after_commit": ("TransferSuccess", "COMPLETED")}
    for point, (typename, detail) in expected.items():
        def top_up(key: str = point) -> Awaitable[dict[str, Any]]:
            return wf.top_up(alice, "10.00", key=key)

        await _killed_during(app, point, top_up)
        answer = await _final_answer(top_up)
        assert (answer["__typename"], answer.get("reason") or answer["transfer"]["state"]) == (typename, detail)
        assert await top_up() == answer
    assert await wf.balance(alice) == "20.00"
    rows = await app.rows("SELECT t.idempotency_key, t.state, c.resolved_by, c.reference FROM transfers t "
                          "JOIN outside_calls c ON c.transfer_id = t.id WHERE t.kind = 'TOP_UP' "
                          "AND t.idempotency_key LIKE 'top_up.%' ORDER BY t.id")
    assert [(r["idempotency_key"], r["state"], r["resolved_by"]) for r in rows] == [
        ("top_up.before_charge", "FAILED", "reconciler"), ("top_up.charged", "COMPLETED", "reconciler"),
        ("top_up.after_commit", "COMPLETED", "request")]
    # The bank never charged the first, and charged the others once each.
    assert [await _outsiders(app, str(r["reference"])) for r in rows] == [[("VOID", 0)], [("CHARGE", 1)],
                                                                          [("CHARGE", 1)]]
    assert app.audit() == AUDIT_CLEAN


async def test_withdrawal_killed_at_each_point(app: App, sms_sink: SmsSink) -> None:
    alice, _ = await _people(app, sms_sink, "100.00")
    for point in ("withdraw.before_commit", "withdraw.paid_out", "withdraw.after_commit"):
        def withdraw(key: str = point) -> Awaitable[dict[str, Any]]:
            return wf.withdraw(alice, "10.00", key=key)

        await _killed_during(app, point, withdraw)
        answer = await _final_answer(withdraw)
        assert (answer["__typename"], answer["transfer"]["state"]) == ("TransferSuccess", "COMPLETED"), answer
        assert await withdraw() == answer
    assert await wf.balance(alice) == "70.00"
    rows = await app.rows("SELECT t.idempotency_key, c.resolved_by, c.reference, "
                          "(SELECT string_agg(j.kind, ',' ORDER BY j.id) FROM journals j WHERE j.transfer_id = t.id) "
                          "AS journals FROM transfers t JOIN outside_calls c ON c.transfer_id = t.id "
                          "WHERE t.kind = 'WITHDRAWAL' ORDER BY t.id")
    assert [(r["idempotency_key"], r["resolved_by"], r["journals"]) for r in rows] == [
        ("withdraw.before_commit", "request", "WITHDRAWAL_HOLD,WITHDRAWAL_SETTLE"),
        ("withdraw.paid_out", "reconciler", "WITHDRAWAL_HOLD,WITHDRAWAL_SETTLE"),
        ("withdraw.after_commit", "request", "WITHDRAWAL_HOLD,WITHDRAWAL_SETTLE")]
    assert [await _outsiders(app, str(r["reference"])) for r in rows] == [[("PAYOUT", 1)]] * 3
    assert app.audit() == AUDIT_CLEAN
