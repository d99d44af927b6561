"""Fault tests: each starts its own PostgreSQL cluster (or redis-server) and its own app process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.faults.harness import App, app_env, pg_cluster
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
