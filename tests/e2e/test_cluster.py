"""`imwallet cluster` (what `make cluster N=2` runs): one instance takes a payment, a subscriber on
the other hears it at once, through the shared PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from tests.support import wallet_flows as wf
from tests.support.sinks import SmsSink, free_port
from tests.support.worker_server import _environment, client_factory
from tests.support.ws import WsClient

pytestmark = pytest.mark.postgres


def _consecutive_free_ports() -> int:
    for _ in range(50):
        first = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", first + 1))
            except OSError:
                continue
        return first
    raise RuntimeError("no two consecutive free ports")


async def _ready(base_url: str, cluster: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(300):
            assert cluster.poll() is None, f"imwallet cluster exited with {cluster.returncode}"
            try:
                if (await http.get(f"{base_url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base_url} did not become ready")


async def test_a_payment_on_one_instance_reaches_a_subscriber_on_the_other(  # type: ignore[no-untyped-def]
        settings: Settings, sms_sink: SmsSink, tmp_path: Path) -> None:
    port = _consecutive_free_ports()
    imwallet = os.path.join(os.path.dirname(sys.executable), "imwallet")
    with (tmp_path / "cluster.log").open("wb") as log:
        cluster = subprocess.Popen([imwallet, "cluster", "--instances", "2", "--port", str(port)],
                                   env=_environment(settings), stdout=log, stderr=log)
        one, other = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
        try:
            await _ready(one, cluster)
            await _ready(other, cluster)
            async with client_factory(one) as on_one:
                alice = await wf.funded_user(on_one(), sms_sink, "50.00", name="Alice")
                bob = await wf.wallet_user(on_one(), sms_sink, name="Bob")
                ws = await WsClient.connect(other.replace("http", "ws") + "/graphql", bob.account.token)
                try:
                    op = await ws.subscribe_events()
                    sent = await wf.send(alice, bob, amount="8.88", memo="from the other instance")
                    assert sent["__typename"] == "TransferSuccess", sent
                    events = await ws.take(op, 2, timeout=15)
                finally:
                    await ws.close()
            receipts = [e["receipt"] for e in events if e["__typename"] == "PaymentReceiptEvent"]
            assert [(r["receiptKind"], r["amount"]["amount"], r["memo"]) for r in receipts] == [
                ("RECEIVED", "8.88", "from the other instance")]
        finally:
            cluster.send_signal(signal.SIGTERM)
            assert cluster.wait(timeout=20) == 0
    async with httpx.AsyncClient() as http:
        for base in (one, other):  # both instances stopped with the cluster
            with pytest.raises(httpx.ConnectError):
                await http.get(f"{base}/healthz")
