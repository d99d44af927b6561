"""Receipts at scale: 20 subscribers, many transfers among them; each gets exactly its own receipts.

RECEIPT_TRANSFERS sets how many transfers (default 200; the issue's figure is 1,000).
"""

from __future__ import annotations

import asyncio
import os
import random
import time

from tests.support import wallet_flows
from tests.support.server import RunningServer
from tests.support.ws import WsClient

USERS = 20
TRANSFERS = int(os.environ.get("RECEIPT_TRANSFERS", "200"))


async def test_twenty_subscribers_each_get_exactly_their_receipts_in_order(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    gate = asyncio.Semaphore(8)

    async def person(i: int) -> wallet_flows.WalletAccount:
        async with gate:
            return await wallet_flows.funded_user(new_client(), sms_sink, "500.00", name=f"U{i}")

    setup = time.monotonic()
    people = list(await asyncio.gather(*(person(i) for i in range(USERS))))
    setup = time.monotonic() - setup
    rng = random.Random(5)
    plan = [(*rng.sample(range(USERS), 2), f"{rng.randint(1, 99) / 100:.2f}") for _ in range(TRANSFERS)]
    sockets = [await WsClient.connect(server.ws_url, p.account.token) for p in people]
    ops = [await ws.subscribe(f"subscription {{ paymentReceipts {{ {_FIELDS} }} }}") for ws in sockets]
    await asyncio.sleep(0.3)
    expected: dict[int, set[tuple[str, str, str, str]]] = {i: set() for i in range(USERS)}

    async def pay(n: int, payer: int, payee: int, amount: str) -> None:
        async with gate:
            sent = await wallet_flows.send(people[payer], people[payee], amount=amount, memo=f"t{n}")
        assert sent["__typename"] == "TransferSuccess", sent
        tid = sent["transfer"]["id"]
        expected[payer].add(("SENT", tid, amount, people[payee].user_id))
        expected[payee].add(("RECEIVED", tid, amount, people[payer].user_id))

    started = time.monotonic()
    try:
        await asyncio.gather(*(pay(n, a, b, amount) for n, (a, b, amount) in enumerate(plan)))
        moved = time.monotonic() - started
        for i, (ws, op) in enumerate(zip(sockets, ops, strict=True)):
            got = await ws.take(op, len(expected[i]), timeout=60)
            cursors = [int(e["cursor"]) for e in got]
            assert cursors == sorted(set(cursors))
            assert {(r["receiptKind"], r["transferId"], r["amount"]["amount"], r["counterpartyId"])
                    for r in (e["receipt"] for e in got)} == expected[i]
            assert await ws.quiet(op, 0.05) == []
        total = time.monotonic() - started
        print(f"{USERS} funded users in {setup:.1f} s; {TRANSFERS} transfers in {moved:.1f} s; "
              f"all {2 * TRANSFERS} receipts delivered after {total:.1f} s")
    finally:
        for ws in sockets:
            await ws.close()


_FIELDS = "cursor receipt { receiptKind transferId amount { amount } counterpartyId }"
