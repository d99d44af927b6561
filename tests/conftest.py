"""One real stack per test run: database (PostgreSQL or SQLite), Redis, SMTP, SMS webhook, uvicorn.

TEST_BACKEND=postgres (the default; PostgreSQL and Redis must be running, a missing one is a
failure) or TEST_BACKEND=sqlite (the embedded defaults: SQLite and the in-process bus).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from app.settings import Settings
from server.cli import apply_migrations
from tests.support import databases, leaks
from tests.support.client import GraphQLClient
from tests.support.push_sink import PushSink
from tests.support.server import RunningServer, start_server
from tests.support.sinks import MailSink, SmsSink


@pytest.fixture(scope="session", autouse=True)
def no_secret_leaves() -> Iterator[None]:
    """Every response, websocket frame and log record (INFO and up) of the run is scanned for the
    suite's secrets (tests/support/leaks.py); any sighting fails the run at its end."""
    from tests.support import flows
    from tests.support import wallet_flows as wf

    leaks.watch(flows.PASSWORD, wf.PIN, wf.OTHER_PIN, "a brand new secret")
    root = logging.getLogger()
    handler, level = leaks.LeakWatch(), root.level
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO))
    yield
    root.removeHandler(handler)
    root.setLevel(level)
    assert not leaks.found, "secrets left the server:\n" + "\n".join(leaks.found[:20])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if databases.backend() == "sqlite":
        skip = pytest.mark.skip(reason="needs PostgreSQL row locks; runs in the postgres pass")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest_asyncio.fixture(scope="session")
async def mail_sink() -> AsyncIterator[MailSink]:
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


@pytest_asyncio.fixture(scope="session")
async def sms_sink() -> AsyncIterator[SmsSink]:
    sink = SmsSink()
    await sink.start()
    yield sink
    await sink.stop()


@pytest_asyncio.fixture(scope="session")
async def push_sink() -> AsyncIterator[PushSink]:
    sink = PushSink()
    await sink.start()
    yield sink
    await sink.stop()


@pytest_asyncio.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    if databases.backend() == "sqlite":
        yield databases.sqlite_url(Path(tmp_path_factory.mktemp("db")))
        return
    name, url = await databases.create_postgres_database()
    try:
        yield url
    finally:
        await databases.drop_postgres_database(name)


@pytest.fixture(scope="session")
def redis_namespace() -> str:
    return f"imwallet-test-{uuid.uuid4().hex[:8]}"


def make_settings(database_url: str, mail_sink: MailSink, sms_sink: SmsSink, redis_namespace: str,
                  **overrides: object) -> Settings:
    values: dict[str, object] = {
        "imwallet_env": "test",
        "database_url": database_url,
        "redis_url": databases.REDIS_URL if databases.backend() == "postgres" else None,
        "redis_namespace": redis_namespace,
        "secret_key": "test-secret-key-" + "x" * 32,
        "password_hash_profile": "cheapest",
        "smtp_host": "127.0.0.1",
        "smtp_port": mail_sink.port,
        "smtp_timeout_seconds": 2.0,
        "sms_backend": "webhook",
        "sms_webhook_url": sms_sink.url,
        "outbox_poll_seconds": 0.1,
        "mail_retry_base_seconds": 0.2,
        "mail_retry_cap_seconds": 2.0,
        # The suite's concurrency tests queue hundreds of requests on two cores; the 10 s production
        # limit is tested on its own (test_input_limits), here it would only turn slowness into flakes.
        "request_timeout_seconds": 60.0,
        # Card calls that never answer give up quickly; tests move the clock past the reconciler's wait.
        "card_call_timeout_seconds": 1.5,
        "reconcile_after_seconds": 3.0,
        "reconcile_poll_seconds": 0.5,
        "sweep_interval_seconds": 0.1,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest_asyncio.fixture(scope="session")
async def settings(database_url: str, mail_sink: MailSink, sms_sink: SmsSink, redis_namespace: str,
                   push_sink: PushSink) -> Settings:
    s = make_settings(database_url, mail_sink, sms_sink, redis_namespace, push_backend="webhook",
                      push_webhook_url=push_sink.url, push_retry_base_seconds=0.2)
    await apply_migrations(s)
    return s


@pytest_asyncio.fixture(scope="session")
async def server(settings: Settings) -> AsyncIterator[RunningServer]:
    running = await start_server(settings)
    yield running
    await running.stop()


@pytest_asyncio.fixture
async def client(server: RunningServer) -> AsyncIterator[GraphQLClient]:
    c = GraphQLClient(server.base_url)
    yield c
    await c.aclose()


@pytest_asyncio.fixture
async def new_client(server: RunningServer) -> AsyncIterator[object]:
    """A factory for more clients (other users, other devices)."""
    made: list[GraphQLClient] = []

    def make(token: str | None = None) -> GraphQLClient:
        c = GraphQLClient(server.base_url, token=token)
        made.append(c)
        return c

    yield make
    for c in made:
        await c.aclose()


os.environ.setdefault("TEST_BACKEND", "postgres")


@pytest.fixture(autouse=True)
def _clock_put_back(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test may move the session server's clock (app/clock.py); the next test finds it where it was,
    since rows the database stamps itself and the clock would otherwise disagree about the day."""
    if "server" not in request.fixturenames:
        yield
        return
    clock = request.getfixturevalue("server").runtime.clock
    saved = clock.offset
    yield
    clock._offset = saved  # tests only: the clock itself moves forward only
