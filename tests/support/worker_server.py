"""The app as production runs it: `imwallet serve --workers N` in its own processes, on the test database.

The money load tests use it so that the server's CPU is not the test process's CPU (one Python
thread cannot drive 32 clients and serve them too), and so that the row locks are taken by several
processes at once, as behind a load balancer.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx

from app.settings import Settings
from tests.support.client import GraphQLClient
from tests.support.sinks import free_port


def _environment(settings: Settings) -> dict[str, str]:
    assert settings.secret_key is not None, "workers must share the test server's SECRET_KEY (PIN pepper)"
    env = {**os.environ, "IMWALLET_ENV": "test", "DATABASE_URL": settings.database_url,
           "REDIS_NAMESPACE": settings.redis_namespace, "SECRET_KEY": settings.secret_key.get_secret_value(),
           "PASSWORD_HASH_PROFILE": settings.password_hash_profile, "SMS_BACKEND": settings.sms_backend,
           "SMS_WEBHOOK_URL": settings.sms_webhook_url or "", "SMTP_HOST": settings.smtp_host or "",
           "SMTP_PORT": str(settings.smtp_port), "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


@asynccontextmanager
async def worker_server(settings: Settings, workers: int = 2, log_path: str | None = None,
                        **env: str) -> AsyncIterator[str]:
    """Serve with `imwallet serve --workers N` (extra settings as environment variables, e.g.
    WS_SUBSCRIBER_QUEUE_SIZE="64"); yields the base URL, stops the process after. Its output goes
    to `log_path` when given.
    """
    port = free_port()
    imwallet = os.path.join(os.path.dirname(sys.executable), "imwallet")
    with open(log_path, "w+b") if log_path else tempfile.TemporaryFile() as log:
        process = subprocess.Popen([imwallet, "serve", "--port", str(port), "--workers", str(workers)],
                                   env={**_environment(settings), **env}, stdout=log, stderr=log)
        base_url = f"http://127.0.0.1:{port}"
        try:
            await _wait_ready(base_url, process, workers)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _wait_ready(base_url: str, process: subprocess.Popen[bytes], workers: int) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        ready = 0
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"imwallet serve exited with {process.returncode}")
            try:
                ready = ready + 1 if (await http.get(f"{base_url}/readyz")).status_code == 200 else 0
            except httpx.TransportError:
                ready = 0
            if ready >= workers * 3:  # a few answers in a row: every worker is up
                return
            await asyncio.sleep(0.1)
    raise RuntimeError("imwallet serve did not become ready in 30 s")


@asynccontextmanager
async def client_factory(base_url: str) -> AsyncIterator[Callable[..., GraphQLClient]]:
    """Like the `new_client` fixture, for another server: every client made is closed after."""
    made: list[GraphQLClient] = []

    def make(token: str | None = None) -> GraphQLClient:
        made.append(GraphQLClient(base_url, token=token))
        return made[-1]

    try:
        yield make
    finally:
        for client in made:
            await client.aclose()
