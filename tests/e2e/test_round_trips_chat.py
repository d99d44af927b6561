"""Round trips of one sendMessage, counted from PostgreSQL's own statement log (issue 7).

A direct message is the session and one autocommit statement (the gate, both stream locks, the write
and the events). A group message is a transaction of two statements whatever the group's size (the
members are read again under their stream locks, since they may change meanwhile): the member list is
read, every member's stream lock taken and one event row per member appended inside the database, not one
per member. The relay's publishing transaction is counted apart. Every member (and nobody else) still gets
the event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tortoise import connections

from app.settings import Settings
from models import Event
from tests.e2e.test_round_trips import _is_introspection, _is_reset, _kind, _settled
from tests.support import chat, flows
from tests.support import statement_log as log
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink

pytestmark = pytest.mark.postgres
DIRECT_ROUND_TRIPS = 2  # the session, then one autocommit statement: the gate, the locks and the write
GROUP_ROUND_TRIPS = 5  # the session, BEGIN, the gate (with the locks), the write, COMMIT


async def _request_path(database: str, send: Callable[[], Awaitable[Any]]) -> list[log.Statement]:
    """The statements of the request that `send` makes (after a warm-up by the caller)."""
    await _settled()
    await asyncio.sleep(0.2)
    start = log.offset()
    await send()
    await _settled()
    await asyncio.sleep(0.3)  # the log is written by the server process; let it catch up
    statements = [s for s in log.read(start, await log.backends_of(database)) if not _is_introspection(s)]
    request: list[log.Statement] = []
    last_kind_by_pid: dict[int, str] = {}
    for group in log.transactions(statements):
        pid = group[0].pid
        if len(group) == 1 and _is_reset(group[0]) and pid in last_kind_by_pid:
            if last_kind_by_pid[pid] == "request":
                request.extend(group)
            continue
        if group[0].sql.strip().rstrip(";").upper() in ("COMMIT", "ROLLBACK"):
            continue
        if log.cut_off(group):
            continue  # a background round cut off by the log's end: the message itself was awaited
        kind = _kind(group)
        last_kind_by_pid[pid] = kind
        if kind == "request":
            request.extend(group)
    return request


def _listing(statements: list[log.Statement]) -> str:
    return "\n".join(f"[{s.pid}] {s.sql[:160]}" for s in statements)


async def test_send_message_round_trips_do_not_grow_with_the_group(
        settings: Settings, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    people = [await flows.register(new_client(), sms_sink, name=f"P{n}") for n in range(12)]
    alice, bob = people[0], people[1]
    direct = await chat.start(alice, bob)
    small = await chat.start(alice, *people[1:3], title="three")
    large = await chat.start(alice, *people[1:12], title="twelve")
    outsider = await flows.register(new_client(), sms_sink, name="Outsider")
    database = log.database_of(settings.database_url)
    await log.set_logging(database, True)
    counts: dict[str, int] = {}
    try:
        await connections.get("default")._expire_connections()
        for conv in (direct, small, large):
            await chat.send(alice, conv["id"], "warm-up")  # statements prepared, as on a running server
        for name, conv in (("direct", direct), ("group of 3", small), ("group of 12", large)):
            path = await _request_path(database, lambda c=conv: chat.send(alice, c["id"], f"hello {c['id']}"))
            listing = _listing(path)
            counts[name] = len(path)
            commits = sum(s.sql.strip().rstrip(";").upper() == "COMMIT" for s in path)
            if name == "direct":
                assert len(path) <= DIRECT_ROUND_TRIPS, f"{name}: {len(path)} round trips:\n{listing}"
                assert commits == 0, listing
            else:
                assert len(path) <= GROUP_ROUND_TRIPS, f"{name}: {len(path)} round trips:\n{listing}"
                assert commits == 1, listing
            assert sum('INSERT INTO "events"' in s.sql or "INSERT INTO events" in s.sql for s in path) <= 1, listing
            print(f"\nsendMessage {name}: {len(path)} round trips\n{listing}")
    finally:
        await log.set_logging(database, False)
    assert counts["group of 3"] == counts["group of 12"], counts

    # One message.added per current member of the large group, none for anyone else.
    newest = max(e.id for e in await Event.filter(kind="message.added").only("id"))
    newest_event = await Event.get(id=newest)
    message_id = newest_event.payload["messageId"]
    heard = sorted(e.user_id for e in await Event.filter(kind="message.added").all()
                   if e.payload.get("messageId") == message_id)
    assert heard == sorted(wf.db_id(p.user_id) for p in people)
    assert wf.db_id(outsider.user_id) not in heard

    # A stranger's message to the group is refused as a missing conversation, and writes nothing.
    events_before = await Event.all().count()
    refused = await outsider.client.mutate("sendMessage", chat.SEND, {"input": {
        "conversationId": large["id"], "text": "let me in", "clientMessageId": "x1"}})
    assert (refused["__typename"], refused.get("code")) == ("NotFoundError", "NOT_FOUND"), refused
    assert await Event.all().count() == events_before
