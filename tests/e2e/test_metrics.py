"""/metrics of `imwallet serve --workers 2`: every process counts, the scrape answers the sum."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from app.settings import Settings
from tests.support import wallet_flows as wf
from tests.support.sinks import SmsSink
from tests.support.worker_server import client_factory, worker_server
from tests.support.ws import WsClient

pytestmark = pytest.mark.postgres

TYPENAME = {"operation_type": "query", "operation": "__typename", "outcome": "ok"}


async def _scrape(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{base_url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def _value(scraped: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


def _per_process(folder: Path, scratch: Path) -> dict[str, float]:
    """`{ __typename }` requests counted by each worker alone, read from that worker's own file."""
    counts: dict[str, float] = {}
    for db in folder.glob("counter_*.db"):
        alone = scratch / db.stem
        alone.mkdir(parents=True)
        shutil.copy(db, alone / db.name)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))  # type: ignore[no-untyped-call]
        counts[db.stem.removeprefix("counter_")] = registry.get_sample_value(
            "imwallet_graphql_requests_total", TYPENAME) or 0.0
    return {pid: n for pid, n in counts.items() if n}


async def _typename_requests(base_url: str, count: int) -> None:
    async def one() -> None:
        async with httpx.AsyncClient() as http:  # a new connection each: either worker may accept it
            response = await http.post(f"{base_url}/graphql", json={"query": "{ __typename }"})
            assert response.json() == {"data": {"__typename": "Query"}}

    await asyncio.gather(*(one() for _ in range(count)))


async def test_metrics_sum_requests_transfers_and_websockets_over_two_workers(  # type: ignore[no-untyped-def]
        settings: Settings, sms_sink: SmsSink, tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    async with worker_server(settings, workers=2, PROMETHEUS_MULTIPROC_DIR=str(folder)) as base, \
            client_factory(base) as make:
        alice = await wf.funded_user(make(), sms_sink, "100.00", name="Alice")
        bob = await wf.wallet_user(make(), sms_sink, name="Bob")
        ws = await WsClient.connect(base.replace("http", "ws", 1) + "/graphql", bob.account.token)
        op = await ws.subscribe_events()
        sent = await wf.send(alice, bob, amount="12.34", memo="lunch")
        assert sent["__typename"] == "TransferSuccess", sent
        assert len(await ws.take(op, 2)) == 2  # the chat message and the receipt

        sent_typename = 0
        for _ in range(25):  # until both workers have answered some of them
            await _typename_requests(base, 20)
            sent_typename += 20
            if len(_per_process(folder, tmp_path / f"scratch-{sent_typename}")) == 2:
                break
        live = await _scrape(base)
        await ws.close()
        for _ in range(200):  # the socket's end, and its subscription's, reach the server a moment later
            after = await _scrape(base)
            if not (_value(after, "imwallet_websocket_connections_open")
                    or _value(after, "imwallet_subscriptions_active")):
                break
            await asyncio.sleep(0.05)

    per_process = _per_process(folder, tmp_path / "scratch-final")
    assert len(per_process) == 2, per_process
    assert sum(per_process.values()) == sent_typename
    assert _value(live, "imwallet_graphql_requests_total", **TYPENAME) == sent_typename
    assert _value(live, "imwallet_graphql_requests_total", operation_type="mutation", operation="sendMoney",
                  outcome="ok") == 1
    assert _value(live, "imwallet_graphql_request_duration_seconds_count", operation_type="mutation",
                  operation="sendMoney") == 1
    assert _value(live, "imwallet_transfers_total", kind="TRANSFER") == 1
    assert _value(live, "imwallet_transfers_total", kind="TOP_UP") == 1
    assert _value(live, "imwallet_transfer_amount_minor_total", kind="TRANSFER", currency="CNY") == 1234
    assert _value(live, "imwallet_transfer_amount_minor_total", kind="TOP_UP", currency="CNY") == 10000
    assert _value(live, "imwallet_verification_codes_sent_total", channel="sms", purpose="REGISTER") == 2
    assert _value(live, "imwallet_websocket_connections_total") == 1
    assert _value(live, "imwallet_websocket_connections_open") == 1
    assert _value(live, "imwallet_subscriptions_total") == 1
    assert _value(live, "imwallet_subscriptions_active") == 1
    assert _value(after, "imwallet_websocket_connections_open") == 0
    assert _value(after, "imwallet_subscriptions_active") == 0
    assert {"imwallet_outbox_depth", "imwallet_outbox_lag_seconds", "imwallet_relay_depth",
            "imwallet_relay_lag_seconds"} <= {name for name, _ in live}
