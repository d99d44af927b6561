"""Round trips of one plain sendMoney, counted from PostgreSQL's own statement log (issue 7).

The request path (session, PIN, idempotency, limits, journal, chat message, receipts) must reach the
server at most 5 times with exactly one COMMIT; the relay's publishing transaction is counted
apart. Counted after one warm-up payment, so the pair's conversation exists and the statements are
prepared, as on a running server.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest
from tortoise import connections

from app.settings import Settings
from models import Event
from tests.support import statement_log as log
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink

pytestmark = pytest.mark.postgres
MAX_ROUND_TRIPS = 5  # the session and its user come from the session cache (app/identity/sessions.py)


def _is_introspection(s: log.Statement) -> bool:
    """asyncpg looks up array and composite types once per new connection (the pool may hand this
    payment a connection the warm-up did not use): a connection's first-use cost, not the payment's."""
    return "typeinfo_tree" in s.sql or "set_config('jit'" in s.sql or "current_setting('jit')" in s.sql


def _kind(group: list[log.Statement]) -> str:
    """The relay claims rows whose published_at is null; the mail worker polls outbound_messages, the
    reconciler outside_calls, the push dispatcher its deliveries and the event feed, the sweeper due red
    packets, waiting transfers and unpaid orders, the notification worker merchant_notifications:
    background work, not the payment's."""
    if any(re.search(r'published_at"? IS NULL', s.sql) for s in group):
        return "relay"
    if any("outbound_messages" in s.sql or "outside_calls" in s.sql for s in group):
        return "mail"
    if any("outside_calls" in s.sql for s in group):
        return "reconciler"
    if any("push_deliveries" in s.sql or "push_feed" in s.sql or 'FROM "events" WHERE "kind"' in s.sql
           for s in group):
        return "push"
    if any('FROM "red_packets"' in s.sql or 'FROM "pending_transfers"' in s.sql
           or 'FROM "merchant_orders"' in s.sql for s in group):
        return "sweeper"
    if any("merchant_notifications" in s.sql for s in group):
        return "notifications"
    return "request"


def _is_reset(s: log.Statement) -> bool:
    return "pg_advisory_unlock_all" in s.sql


async def _settled() -> None:
    for _ in range(100):
        if not await Event.filter(published_at__isnull=True).exists():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the relay did not publish")


async def test_a_plain_send_money_is_at_most_6_round_trips_and_one_commit(
        settings: Settings, client: GraphQLClient, new_client: Callable[..., GraphQLClient],
        sms_sink: SmsSink) -> None:
    alice = await wf.funded_user(client, sms_sink, "100.00", name="Alice")
    bob = await wf.wallet_user(new_client(), sms_sink, name="Bob")
    database = log.database_of(settings.database_url)
    await log.set_logging(database, True)
    try:
        # The server (in this process) opens fresh connections, which log under the new setting.
        await connections.get("default")._expire_connections()
        assert (await wf.send(alice, bob, amount="1.00"))["__typename"] == "TransferSuccess"  # warm-up
        await _settled()
        await asyncio.sleep(0.2)
        start = log.offset()
        sent = await wf.send(alice, bob, amount="2.50", memo="tea")
        assert sent["__typename"] == "TransferSuccess"
        await _settled()
        await asyncio.sleep(0.3)  # the log is written by the server process; let it catch up
        statements = [s for s in log.read(start, await log.backends_of(database)) if not _is_introspection(s)]
    finally:
        await log.set_logging(database, False)
    by_kind: dict[str, list[log.Statement]] = {"request": [], "relay": [], "mail": [], "reconciler": [], "push": [],
                                              "sweeper": [], "notifications": []}
    last_kind_by_pid: dict[int, str] = {}
    for group in log.transactions(statements):
        pid = group[0].pid
        if len(group) == 1 and _is_reset(group[0]) and pid in last_kind_by_pid:
            by_kind[last_kind_by_pid[pid]].extend(group)  # the connection going back to the pool
            continue
        if group[0].sql.strip().rstrip(";").upper() in ("COMMIT", "ROLLBACK"):
            continue  # the end of a transaction (the relay's) that began before `start`
        if log.cut_off(group):
            continue  # a background round cut off by the log's end: the payment itself was awaited
        kind = _kind(group)
        last_kind_by_pid[pid] = kind
        by_kind[kind].extend(group)
    request_path, relay = by_kind["request"], by_kind["relay"]
    listing = "\n".join(f"[{s.pid}] {s.sql[:160]}" for s in request_path)
    assert len(request_path) <= MAX_ROUND_TRIPS, f"{len(request_path)} round trips:\n{listing}"
    assert sum(s.sql.strip().rstrip(";").upper() == "COMMIT" for s in request_path) == 1, listing
    assert relay, "the relay published the payment's events"
    assert any("FOR UPDATE SKIP LOCKED" in s.sql for s in relay), "the relay's claim really locks"
    print(f"\nsendMoney request path: {len(request_path)} round trips\n{listing}\nrelay: {len(relay)}")
