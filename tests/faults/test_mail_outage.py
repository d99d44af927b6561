"""The SMTP server down, then answering 451 (try again later), then back: every queued mail is
delivered exactly once. The app and its cluster are this test's own; so is the mail server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from tests.faults.harness import App, app_env, pg_cluster
from tests.support import flows
from tests.support.sinks import MailSink, SmsSink

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]
ADD_EMAIL = 'mutation($e: String!) { addEmail(input: {email: $e}) { __typename ... on Error { code } } }'
MAILS = 5


@dataclass
class BusyMailServer(MailSink):
    """A real SMTP server that can also refuse each message for now (451), as a busy one does."""

    busy: bool = False
    refusals: int = 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.busy:
            self.refusals += 1
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest_asyncio.fixture
async def smtp() -> AsyncIterator[BusyMailServer]:
    server = BusyMailServer()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def mail_app(sms_sink: SmsSink, smtp: BusyMailServer) -> AsyncIterator[App]:
    with pg_cluster() as pg:
        running = App(app_env(pg.url, sms_url=sms_sink.url, smtp_port=smtp.port))
        await running.start()
        try:
            yield running
        finally:
            await running.close_clients()
            running.kill()


async def _statuses(app: App) -> list[tuple[str, str]]:
    rows = await app.rows("SELECT recipient, status FROM outbound_messages WHERE channel = 'email' ORDER BY id")
    return [(str(r["recipient"]), str(r["status"])) for r in rows]


async def _until(predicate, seconds: float) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.1)):
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_mail_server_down_then_busy_then_back(mail_app: App, smtp: BusyMailServer, sms_sink: SmsSink) -> None:
    addresses = []
    for n in range(MAILS):  # the mail server is down while the codes are asked for
        account = await flows.register(mail_app.client(), sms_sink, name=f"User {n}")
        addresses.append(f"faults-{n}-{account.phone[1:]}@example.com")
        assert await account.client.mutate("addEmail", ADD_EMAIL, {"e": addresses[-1]}) == {
            "__typename": "UserSuccess"}
    await asyncio.sleep(1.0)
    assert await _statuses(mail_app) == [(a, "pending") for a in addresses]

    smtp.busy = True
    smtp.start()
    async def refused_each() -> bool:
        return smtp.refusals >= MAILS
    await _until(refused_each, 15)
    assert smtp.messages == []
    assert await _statuses(mail_app) == [(a, "pending") for a in addresses]

    smtp.busy = False
    async def all_sent() -> bool:
        return await _statuses(mail_app) == [(a, "sent") for a in addresses]
    await _until(all_sent, 15)
    await asyncio.sleep(3.0)  # three retry caps later, nothing is sent again
    assert sorted(m["X-Rcpt-To"] for m in smtp.messages) == sorted(addresses)
    assert all(len(smtp.to(a)) == 1 for a in addresses)
