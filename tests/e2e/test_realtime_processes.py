"""Several app processes sharing PostgreSQL and Redis; a Redis restart in the middle of a run."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from tests.support import chat, flows, wallet_flows
from tests.support.client import GraphQLClient
from tests.support.server import RunningServer
from tests.support.sinks import free_port
from tests.support.ws import WsClient

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def app_process(settings: Settings, *, redis_url: str | None) -> AsyncIterator[str]:
    """Another `uvicorn server.main:app` on its own port, on the test database; yields its base URL."""
    port = free_port()
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    env = {**os.environ, "IMWALLET_ENV": "test", "DATABASE_URL": settings.database_url,
           "REDIS_URL": redis_url or "", "REDIS_NAMESPACE": settings.redis_namespace, "SECRET_KEY": secret,
           "PASSWORD_HASH_PROFILE": "cheapest", "SMS_BACKEND": "webhook",
           "SMS_WEBHOOK_URL": settings.sms_webhook_url or "", "OUTBOX_POLL_SECONDS": "0.1"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "server.main:app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning", "--timeout-graceful-shutdown", "5"],
                            cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            # A loaded CI machine may need many seconds to import and start the app: wait for it to
            # answer (bounded), never hand out a URL nobody listens on yet.
            for _ in range(1200):
                try:
                    if (await http.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, "the app process died on start"
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the app process did not answer /healthz within a minute")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(30)  # a loaded machine: graceful shutdown is bounded at 5 s, the stop itself may lag
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise


def _on(base: str, account: flows.Account) -> flows.Account:
    return flows.Account(client=GraphQLClient(base, token=account.token), phone=account.phone,
                         user_id=account.user_id, token=account.token)


async def test_a_subscriber_on_one_process_hears_what_another_process_commits(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    conv = await chat.start(alice, bob)
    async with app_process(server.settings, redis_url=server.settings.redis_url) as other:
        alice_there = _on(other, alice)
        ws = await WsClient.connect(server.ws_url, bob.token)
        remote_ws = await WsClient.connect(other.replace("http", "ws") + "/graphql", alice.token)
        try:
            op = await ws.subscribe_events()
            remote_op = await remote_ws.subscribe_events()
            started = time.monotonic()
            sent = await chat.send(alice_there, conv["id"], "through the other process")
            (event,) = await ws.take(op, 1, timeout=1.0)
            latency = time.monotonic() - started
            assert event["message"]["id"] == sent["id"]
            assert latency < 1.0
            (echo,) = await remote_ws.take(remote_op, 1, timeout=1.0)  # and the sender's own stream there
            assert echo["message"]["id"] == sent["id"]
            reply = await chat.send(bob, conv["id"], "heard you")  # produced here, heard there
            (back,) = await remote_ws.take(remote_op, 1, timeout=1.0)
            assert back["message"]["id"] == reply["id"]
        finally:
            await ws.close()
            await remote_ws.close()
            await alice_there.client.aclose()


@asynccontextmanager
async def redis_server(port: int) -> AsyncIterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)  # a loaded machine: graceful shutdown is bounded at 5 s, the stop itself may lag
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise


async def test_no_event_is_lost_across_a_redis_restart(server: RunningServer, new_client, sms_sink) -> None:  # type: ignore[no-untyped-def]
    alice = await flows.register(new_client(), sms_sink, name="Alice")
    bob = await flows.register(new_client(), sms_sink, name="Bob")
    conv = await chat.start(alice, bob)
    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    texts = [f"r{i}" for i in range(30)]
    async with redis_server(port) as redis, app_process(server.settings, redis_url=redis_url) as base:
        ws_url = base.replace("http", "ws") + "/graphql"
        alice_there = _on(base, alice)
        ws = await WsClient.connect(ws_url, bob.token)
        try:
            op = await ws.subscribe_events()
            for text in texts[:10]:
                await chat.send(alice_there, conv["id"], text)
            before = await ws.take(op, 10)
            redis.terminate()
            redis.wait(10)
            for text in texts[10:20]:  # committed while the bus is down
                await chat.send(alice_there, conv["id"], text)
            async with redis_server(port):
                for text in texts[20:]:
                    await chat.send(alice_there, conv["id"], text)
                after = await ws.take(op, 20, timeout=20)
                assert [e["message"]["text"] for e in before + after] == texts
                # and a client that resumes by cursor from the start gets the same, in order
                await ws.close()
                ws = await WsClient.connect(ws_url, bob.token)
                first_cursor = str(int(before[0]["cursor"]) - 1)
                op = await ws.subscribe_events(after=first_cursor)
                replayed = await ws.take(op, 30, timeout=10)
                assert [e["message"]["text"] for e in replayed] == texts
                assert [e["cursor"] for e in replayed] == [e["cursor"] for e in before + after]
        finally:
            await ws.close()
            await alice_there.client.aclose()


async def test_a_transfer_through_one_process_reaches_a_subscriber_on_another_within_a_second(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    async with app_process(server.settings, redis_url=server.settings.redis_url) as other:
        alice_there = wallet_flows.WalletAccount(_on(other, alice.account))
        ws = await WsClient.connect(server.ws_url, bob.account.token)
        try:
            op = await ws.subscribe_events()
            started = time.monotonic()
            sent = await wallet_flows.send(alice_there, bob, amount="4.20", memo="via B")
            assert sent["__typename"] == "TransferSuccess", sent
            message, receipt = await ws.take(op, 2, timeout=1.0)
            latency = time.monotonic() - started
            assert (message["__typename"], message["message"]["kind"], message["message"]["transfer"]) == (
                "MessageEvent", "TRANSFER", {"transferId": sent["transfer"]["id"],
                                             "amount": {"amount": "4.20", "currency": "CNY"}, "memo": "via B",
                                             "state": "COMPLETED"})
            assert (receipt["__typename"], receipt["receipt"]["receiptKind"], receipt["receipt"]["transferId"],
                    receipt["receipt"]["balanceAfter"]) == (
                "PaymentReceiptEvent", "RECEIVED", sent["transfer"]["id"], {"amount": "4.20"})
            assert int(message["cursor"]) < int(receipt["cursor"])
            assert latency < 1.0
            print(f"transfer committed on one process, message and receipt heard on the other in {latency:.2f} s")
        finally:
            await ws.close()
            await alice_there.client.aclose()


async def test_no_receipt_is_lost_across_a_redis_restart(  # type: ignore[no-untyped-def]
        server: RunningServer, new_client, sms_sink) -> None:
    alice = await wallet_flows.funded_user(new_client(), sms_sink, "50.00", name="Alice")
    bob = await wallet_flows.wallet_user(new_client(), sms_sink, name="Bob")
    amounts = [f"{i}.0{i}" for i in range(1, 10)]
    port = free_port()
    async with redis_server(port) as redis, app_process(server.settings,
                                                        redis_url=f"redis://127.0.0.1:{port}/0") as base:
        ws_url = base.replace("http", "ws") + "/graphql"
        alice_there = wallet_flows.WalletAccount(_on(base, alice.account))
        ws = await WsClient.connect(ws_url, bob.account.token)
        sent: list[str] = []

        async def pay(amount: str) -> None:
            result = await wallet_flows.send(alice_there, bob, amount=amount)
            assert result["__typename"] == "TransferSuccess", result
            sent.append(result["transfer"]["id"])

        try:
            op = await ws.subscribe_events(field="paymentReceipts")
            for amount in amounts[:3]:
                await pay(amount)
            before = await ws.take(op, 3)
            redis.terminate()
            redis.wait(10)
            for amount in amounts[3:6]:  # committed while the bus is down
                await pay(amount)
            async with redis_server(port):
                for amount in amounts[6:]:
                    await pay(amount)
                after = await ws.take(op, 6, timeout=20)
                got = before + after
                assert [(r["receipt"]["receiptKind"], r["receipt"]["transferId"], r["receipt"]["amount"]["amount"])
                        for r in got] == [("RECEIVED", t, a) for t, a in zip(sent, amounts, strict=True)]
                await ws.close()
                ws = await WsClient.connect(ws_url, bob.account.token)
                op = await ws.subscribe_events(after=str(int(before[0]["cursor"]) - 1), field="paymentReceipts")
                replayed = await ws.take(op, 9, timeout=10)
                assert [e["cursor"] for e in replayed] == [e["cursor"] for e in got]
        finally:
            await ws.close()
            await alice_there.client.aclose()
