"""Receipts from commit to a connected `events` subscriber, and the memory an idle subscription costs.

N users each hold one websocket (graphql-transport-ws) with one `events` subscription. The server's
RSS (all worker processes) is read before they connect and after they sit idle. Then an open-loop
sender pays at a fixed rate between the users; each payment's two receipts (SENT to the payer,
RECEIVED to the payee) are timed from the moment its answer arrived (the server answers right after
the commit) and from when it was sent. A receipt that never arrives is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from typing import Any

import httpx
import websockets

from bench.seed import Seeded
from bench.stack import Process
from bench.stats import percentile
from bench.workloads import SEND_MONEY, gid, send_money_body

IDLE_SECONDS = 3.0
IN_FLIGHT = 200  # payments the sender may have unanswered at once
CLIENTS = 20  # HTTP clients the sender spreads them over
SUBSCRIBE = ("subscription { events { __typename "
             "... on PaymentReceiptEvent { receipt { receiptKind transferId } } } }")


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


async def _subscriber(url: str, token: str, arrivals: dict[tuple[str, str], float], ready: asyncio.Event,
                      counter: list[int], total: int, stop: asyncio.Event) -> None:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None,  # type: ignore[list-item]
                                  open_timeout=30, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"subscription refused: {ack}")
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        counter[0] += 1
        if counter[0] == total:
            ready.set()
        reader = asyncio.create_task(_read(ws, arrivals))
        await stop.wait()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
            await reader


async def _read(ws: Any, arrivals: dict[tuple[str, str], float]) -> None:
    async for raw in ws:
        msg = json.loads(raw)
        if msg.get("type") != "next":
            continue
        event = msg["payload"].get("data", {}).get("events") or {}
        receipt = event.get("receipt")
        if receipt:
            arrivals.setdefault((receipt["transferId"], receipt["receiptKind"]), time.perf_counter())


async def run(server_url: str, server: Process, seeded: Seeded, *, subscribers: int, rate: float,
              seconds: float) -> dict[str, Any]:
    users = seeded.users[:subscribers]
    ws_url = server_url.replace("http://", "ws://") + "/graphql"
    arrivals: dict[tuple[str, str], float] = {}
    ready, stop = asyncio.Event(), asyncio.Event()
    counter = [0]
    await asyncio.sleep(2)
    rss_before = server.rss_bytes()
    tasks = []
    for u in users:
        tasks.append(asyncio.create_task(_subscriber(ws_url, u.token, arrivals, ready, counter, len(users), stop)))
        await asyncio.sleep(0.005)  # connect at ~200/s, as clients arriving, not one burst
    try:
        await asyncio.wait_for(ready.wait(), 120)
        _log(f"receipts: {len(users)} subscribed; idle for {IDLE_SECONDS:.0f} s")
        cpu_idle_from = server.cpu_seconds()
        await asyncio.sleep(IDLE_SECONDS)  # idle: let the subscriptions settle
        idle_cpu = (server.cpu_seconds() - cpu_idle_from) / IDLE_SECONDS
        rss_idle = server.rss_bytes()
        _log(f"receipts: sending {rate:g} transfers/s for {seconds:g} s")
        ring = [(a, b) for a, b, _ in seeded.pairs if a < subscribers and b < subscribers]
        rng = random.Random(7)
        answered: dict[str, tuple[float, float]] = {}
        failures: list[str] = []
        unanswered: list[tuple[str, str]] = []  # no answer (timeout): retried with the same key below
        in_flight = asyncio.Semaphore(IN_FLIGHT)
        # httpcore's pool matches every waiting request against every connection on each request and
        # release: one client of 200 connections spent 92 % of this process (py-spy) and capped the
        # sender near 35 transfers/s with the server's workers mostly idle. Small pools side by side.
        limits = httpx.Limits(max_connections=IN_FLIGHT // CLIENTS, max_keepalive_connections=IN_FLIGHT // CLIENTS)
        async with contextlib.AsyncExitStack() as clients:
            pool = [await clients.enter_async_context(httpx.AsyncClient(base_url=server_url, limits=limits, timeout=30))
                    for _ in range(CLIENTS)]
            dropped = [0]

            async def pay(n: int, due: float) -> None:
                a, b = rng.choice(ring)
                if rng.random() < 0.5:
                    a, b = b, a
                payer, payee = seeded.users[a], seeded.users[b]
                http = pool[n % CLIENTS]
                body = send_money_body(gid("User", payee.id), f"rt-{n}-{time.time_ns()}")
                async with in_flight:
                    sent = time.perf_counter()
                    if sent - due > 2:  # the server is not keeping up: an open loop does not queue forever
                        dropped[0] += 1
                        return
                    try:
                        r = await http.post("/graphql", content=body, headers={
                            "Authorization": f"Bearer {payer.token}", "Content-Type": "application/json"})
                        data = r.json()["data"]["sendMoney"]
                    except Exception as exc:
                        failures.append(f"{type(exc).__name__}: {exc}")
                        unanswered.append((payer.token, body))
                        return
                    if data.get("__typename") != "TransferSuccess":
                        failures.append(json.dumps(data)[:200])
                        return
                    answered[data["transfer"]["id"]] = (sent, time.perf_counter())

            started = time.perf_counter()
            cpu_from, own_from = server.cpu_seconds(), time.process_time()
            payments = []
            total = int(rate * seconds)
            for n in range(total):
                due = started + n / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                payments.append(asyncio.create_task(pay(n, due)))
            await asyncio.gather(*payments)
            elapsed = time.perf_counter() - started
            send_cpu, own_cpu = server.cpu_seconds() - cpu_from, time.process_time() - own_from
            _log(f"receipts: {len(answered)} answered in {elapsed:.1f} s; server CPU {idle_cpu:.2f} cores idle, "
                 f"{send_cpu / elapsed:.2f} cores sending, {1000 * send_cpu / max(1, len(answered)):.1f} ms "
                 f"per answered transfer; this harness process {own_cpu / elapsed:.2f} cores")

            async def retry(token: str, raw: str) -> bool:
                r = await pool[0].post("/graphql", content=raw, timeout=120, headers={
                    "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                return "TransferSuccess" in r.text

            retried = sum(await asyncio.gather(*(retry(t, b) for t, b in unanswered)))
        deadline = time.perf_counter() + 10
        expected = {(tid, kind) for tid in answered for kind in ("SENT", "RECEIVED")}
        while time.perf_counter() < deadline and not expected <= arrivals.keys():
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    from_answer = sorted(max(0.0, arrivals[k] - answered[k[0]][1]) for k in expected if k in arrivals)
    from_request = sorted(arrivals[k] - answered[k[0]][0] for k in expected if k in arrivals)
    received = len(from_answer)
    idle_mib = (rss_idle - rss_before) / 2**20
    per_1000 = idle_mib * 1000 / max(1, len(users))
    p99 = percentile(from_answer, 99) * 1000
    at_scale = subscribers >= 1000 and rate >= 100
    return {
        "subscribers": len(users), "rate": rate, "seconds": seconds, "achieved_rate": len(answered) / elapsed,
        "transfers": len(answered), "failed": len(failures), "not_sent_late": dropped[0],
        "retried_after_no_answer": retried,
        "failure_samples": failures[:3],
        "expected": len(expected), "received": received, "lost": len(expected) - received,
        "p50_ms": percentile(from_answer, 50) * 1000, "p99_ms": p99,
        "p50_from_request_ms": percentile(from_request, 50) * 1000,
        "p99_from_request_ms": percentile(from_request, 99) * 1000,
        "met": at_scale and p99 < 100 and received == len(expected) and not failures
        and len(answered) / elapsed >= 0.95 * rate,
        # CPU of the server's processes (robust where throughput is not, on a shared machine): while the
        # subscriptions sit idle, in cores; while sending, per answered transfer (receipts delivered included).
        "server_cpu_idle_cores": idle_cpu,
        "server_cpu_ms_per_transfer": 1000 * send_cpu / max(1, len(answered)),
        "rss_before_mib": rss_before / 2**20, "rss_idle_mib": rss_idle / 2**20, "idle_mib": idle_mib,
        "idle_kib_per_subscription": idle_mib * 1024 / max(1, len(users)), "idle_mib_per_1000": per_1000,
        "idle_met": per_1000 < 100,
    }


__all__ = ["SEND_MONEY", "run"]
