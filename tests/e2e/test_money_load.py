"""The bank test (after Jepsen's): random transfers between 10 wallets through the running server.

32 concurrent clients send IMWALLET_LOAD_TRANSFERS (default 4,000) transfers of 0.01 to 5.00, some
of them twice under one idempotency key. A sampler sums the ten balances with one SQL statement
all along: the total is always 1,000.00 and no balance is ever negative. After the run the
`imwallet audit` command finds every ledger invariant intact, each key moved money at most once,
the balances equal a model built only from the answers, and no client ever saw an error other
than a typed refusal.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from tortoise import Tortoise

from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import SmsSink
from tests.support.wallet_flows import WalletAccount
from tests.support.worker_server import client_factory, worker_server

pytestmark = pytest.mark.postgres

TRANSFERS = int(os.environ.get("IMWALLET_LOAD_TRANSFERS", "4000"))
WALLETS = 10
CLIENTS = 32
DUPLICATE_SHARE = 0.05


async def _sampler(wallet_ids: list[int], stop: asyncio.Event, samples: list[tuple[int, int]]) -> None:
    conn = Tortoise.get_connection("default")
    ids = ",".join(str(i) for i in wallet_ids)
    while not stop.is_set():
        rows = await conn.execute_query_dict(
            f"SELECT SUM(balance_minor) AS total, MIN(balance_minor) AS lowest FROM ledger_accounts "  # noqa: S608
            f"WHERE id IN ({ids})")
        samples.append((int(rows[0]["total"]), int(rows[0]["lowest"])))
        await asyncio.sleep(0.02)


async def test_random_transfers_conserve_money_under_load(sms_sink: SmsSink, server: RunningServer) -> None:
    async with worker_server(server.settings, workers=2) as base_url, client_factory(base_url) as new_client:
        answers, samples, people = await _run_bank(new_client, sms_sink)

    kinds = Counter(a[4]["__typename"] for a in answers)
    assert set(kinds) <= {"TransferSuccess", "InsufficientFundsError"}, kinds
    assert samples, "the sampler never ran"
    assert {total for total, _ in samples} == {WALLETS * 10_000}
    assert min(lowest for _, lowest in samples) >= 0
    expected = _model_balances(answers)
    assert [await _balance_minor(p) for p in people] == expected
    _assert_each_key_moved_money_once(answers)
    assert _audit(server) == (0, "ledger audit: all invariants hold")
    print(f"\n{len(answers)} requests ({TRANSFERS} transfers): {dict(kinds)}; {len(samples)} samples")


async def _run_bank(new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> tuple[
        list[tuple[int, int, int, str, dict[str, Any]]], list[tuple[int, int]], list[WalletAccount]]:
    people = [await wf.funded_user(new_client(), sms_sink, "100.00", name=f"P{n}") for n in range(WALLETS)]
    wallet_ids = [await _wallet_id(p) for p in people]
    clients = [new_client(token=people[n % WALLETS].account.token) for n in range(CLIENTS)]
    rng = random.Random(20261127)
    plan: asyncio.Queue[tuple[int, int, int, str, bool]] = asyncio.Queue()
    for _ in range(TRANSFERS):
        payer, payee = rng.sample(range(WALLETS), 2)
        plan.put_nowait((payer, payee, rng.randint(1, 500), str(uuid.uuid4()), rng.random() < DUPLICATE_SHARE))
    answers: list[tuple[int, int, int, str, dict[str, Any]]] = []
    samples: list[tuple[int, int]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sampler(wallet_ids, stop, samples))

    async def worker(http: GraphQLClient) -> None:
        while not plan.empty():
            payer, payee, amount_minor, key, twice = plan.get_nowait()
            sender = GraphQLClient(http.base_url, token=people[payer].account.token, ip=http.ip, http=http.http)
            variables = wf.send_input(to_user=people[payee].user_id, amount=f"{amount_minor // 100}."
                                      f"{amount_minor % 100:02d}", memo="load", key=key)
            results = await asyncio.gather(*(sender.mutate("sendMoney", wf.SEND_MONEY, variables)
                                             for _ in range(2 if twice else 1)))
            answers.extend((payer, payee, amount_minor, key, result) for result in results)

    try:
        await asyncio.gather(*(worker(http) for http in clients))
    finally:
        stop.set()
        await sampler
    return answers, samples, people


def _model_balances(answers: list[tuple[int, int, int, str, dict[str, Any]]]) -> list[int]:
    """Balances rebuilt from the answers alone: each successful transfer id counts once."""
    balances = [10_000] * WALLETS
    applied: set[str] = set()
    for payer, payee, amount_minor, _key, result in answers:
        if result["__typename"] == "TransferSuccess" and result["transfer"]["id"] not in applied:
            applied.add(result["transfer"]["id"])
            balances[payer] -= amount_minor
            balances[payee] += amount_minor
    return balances


def _assert_each_key_moved_money_once(answers: list[tuple[int, int, int, str, dict[str, Any]]]) -> None:
    by_key: dict[str, set[str]] = {}
    for *_, key, result in answers:
        if result["__typename"] == "TransferSuccess":
            by_key.setdefault(key, set()).add(result["transfer"]["id"])
    assert all(len(ids) == 1 for ids in by_key.values())
    assert len({next(iter(ids)) for ids in by_key.values()}) == len(by_key)


def _audit(server: RunningServer) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": server.settings.database_url}
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "imwallet"), "audit"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout.strip().splitlines()[-1]


async def _wallet_id(who: WalletAccount) -> int:
    from models import LedgerAccount

    return (await LedgerAccount.get(user__phone=who.phone)).id


async def _balance_minor(who: WalletAccount) -> int:
    from models import LedgerAccount

    return (await LedgerAccount.get(user__phone=who.phone)).balance_minor
