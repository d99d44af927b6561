"""Fault tests: each starts its own PostgreSQL cluster (or redis-server) and its own app process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.faults.harness import App, RedisServer, app_env, pg_cluster, redis_server
from tests.support.sinks import MailSink, SmsSink


@pytest_asyncio.fixture
async def app(sms_sink: SmsSink, mail_sink: MailSink) -> AsyncIterator[App]:
    """The app on a cluster of this test alone, with the in-process bus (no Redis needed)."""
    with pg_cluster() as pg:
        running = App(app_env(pg.url, sms_url=sms_sink.url, smtp_port=mail_sink.port))
        running.cluster = pg
        await running.start()
        try:
            yield running
        finally:
            await running.close_clients()
            running.kill()


@pytest_asyncio.fixture
async def redis() -> AsyncIterator[RedisServer]:
    """A redis-server of this test alone (killed and restarted by it)."""
    with redis_server() as server:
        yield server


@pytest_asyncio.fixture
async def redis_app(sms_sink: SmsSink, mail_sink: MailSink, redis: RedisServer) -> AsyncIterator[App]:
    """The app on a cluster and a redis-server of this test alone. Stream reads on the timer are
    rare (10 s), so a delivery within a second shows that the Redis bus carried it."""
    with pg_cluster() as pg:
        running = App(app_env(pg.url, sms_url=sms_sink.url, smtp_port=mail_sink.port, redis_url=redis.url,
                              SESSION_RECHECK_SECONDS="10"))
        running.cluster = pg
        await running.start()
        try:
            yield running
        finally:
            await running.close_clients()
            running.kill()
