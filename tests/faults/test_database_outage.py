"""PostgreSQL stopped with `-m immediate` (a crash) under a load of transfers, then started again.

While it is down every request fails fast with a retriable typed error (TEMPORARILY_UNAVAILABLE),
none hangs; when it is back the app serves again by itself, without a restart; every transfer that
was acknowledged is in the ledger, and a retry of every other key with the same key gets one final
answer. The cluster is this test's own (tests/faults/harness.py).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.faults.harness import App
from tests.support import wallet_flows as wf

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]
BOUND_SECONDS = 5.0  # no request may take longer, outage or not
RETRIABLE = "TEMPORARILY_UNAVAILABLE"


@dataclass
class Answer:
    key: str
    payer: str
    outcome: str  # TransferSuccess, a union error's code, a top-level error's code, or HTTP status
    seconds: float
    started: float


def _outcome(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        code = str(body["errors"][0].get("extensions", {}).get("code"))
        return code if response.status_code in (200, 503) else f"HTTP {response.status_code} {code}"
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    payload = body["data"]["sendMoney"]
    return str(payload["__typename"] if payload["__typename"] == "TransferSuccess" else payload["code"])


async def _send(payer: wf.WalletAccount, payee: wf.WalletAccount, key: str) -> str:
    variables = wf.send_input(to_user=payee.user_id, amount="1.00", key=key)
    try:
        return _outcome(await payer.client.post(wf.SEND_MONEY, variables, timeout=BOUND_SECONDS * 3))
    except httpx.TimeoutException:
        return "HUNG"


async def _load(payer: wf.WalletAccount, payee: wf.WalletAccount, until: asyncio.Event,
                answers: list[Answer]) -> None:
    while not until.is_set():
        key = str(uuid.uuid4())
        started = time.monotonic()
        outcome = await _send(payer, payee, key)
        answers.append(Answer(key, payer.account.user_id, outcome, time.monotonic() - started, started))
        await asyncio.sleep(0.02)


async def test_database_crash_under_load(app: App, sms_sink: Any) -> None:
    assert app.cluster is not None
    alice = await wf.funded_user(app.client(), sms_sink, "500.00", name="Alice")
    bob = await wf.funded_user(app.client(), sms_sink, "500.00", name="Bob")
    stop = asyncio.Event()
    answers: list[Answer] = []
    load = [asyncio.create_task(_load(a, b, stop, answers)) for a, b in ((alice, bob), (bob, alice)) * 2]
    await asyncio.sleep(1.0)
    down_at = time.monotonic()
    await asyncio.to_thread(app.cluster.stop, "immediate")
    await asyncio.sleep(2.0)
    await asyncio.to_thread(app.cluster.start)
    up_at = time.monotonic()
    await asyncio.sleep(3.0)
    stop.set()
    await asyncio.gather(*load)

    outcomes = {a.outcome for a in answers}
    assert outcomes <= {"TransferSuccess", RETRIABLE}, outcomes
    assert max(a.seconds for a in answers) < BOUND_SECONDS
    during = [a for a in answers if down_at + 0.5 < a.started < up_at - 0.2]
    assert during, "no request was made while the database was down"
    assert all(a.outcome == RETRIABLE for a in during)
    recovered = [a for a in answers if a.started > up_at + 2.0]
    assert recovered, "no request was made after the database came back"
    assert all(a.outcome == "TransferSuccess" for a in recovered)

    acknowledged = {a.key for a in answers if a.outcome == "TransferSuccess"}
    stored = {str(r["idempotency_key"]) for r in await app.rows(
        "SELECT idempotency_key FROM transfers WHERE kind = 'P2P' AND state = 'COMPLETED'")}
    assert acknowledged <= stored  # no acknowledged transfer is missing
    people = {alice.user_id: (alice, bob), bob.user_id: (bob, alice)}
    for a in answers:  # every other key, retried with the same key, gets its one final answer
        if a.outcome != "TransferSuccess":
            assert await _send(*people[a.payer], a.key) == "TransferSuccess"
    rows = await app.rows("SELECT idempotency_key, COUNT(*) AS n FROM transfers WHERE kind = 'P2P' "
                          "GROUP BY idempotency_key")
    assert {str(r["idempotency_key"]): int(r["n"]) for r in rows} == {a.key: 1 for a in answers}
    sent_by_alice = sum(1 for a in answers if a.payer == alice.user_id)
    sent_by_bob = len(answers) - sent_by_alice
    assert await wf.balance(alice) == f"{500 - sent_by_alice + sent_by_bob}.00"
    assert await wf.balance(bob) == f"{500 - sent_by_bob + sent_by_alice}.00"
    assert app.audit() == (0, "ledger audit: all invariants hold")
