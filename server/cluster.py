"""`imwallet cluster`: N app processes on consecutive ports against one PostgreSQL and one Redis, the
way several instances run behind a load balancer, on one machine (`make cluster N=2`)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from app.settings import Settings
from server.cli import apply_migrations


async def ensure_database(database_url: str) -> None:
    """Create the database if the server does not have it yet (a fresh machine)."""
    parts = urlsplit(database_url.replace("asyncpg://", "postgres://", 1))
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    conn = await asyncpg.connect(admin)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def run_cluster(instances: int, host: str, first_port: int) -> int:
    settings = Settings()
    if not settings.is_postgres or not settings.redis_url:
        print("a cluster shares PostgreSQL and Redis: set DATABASE_URL=postgres://... and REDIS_URL=redis://...",
              file=sys.stderr)
        return 2
    asyncio.run(ensure_database(settings.database_url))
    asyncio.run(apply_migrations(settings))  # once, before any instance starts
    # Without SECRET_KEY (development) every instance must read the same generated key: make it first.
    settings.key_bytes  # noqa: B018
    ports = [first_port + i for i in range(instances)]
    command = [sys.executable, "-m", "server.cli", "serve", "--skip-migrations", "--host", host, "--port"]
    procs = [subprocess.Popen([*command, str(port)]) for port in ports]  # noqa: S603 - our own arguments
    for port in ports:
        print(f"imwallet instance on http://{host}:{port}/graphql", file=sys.stderr, flush=True)

    stopping: list[bool] = []

    def stop(*_: object) -> None:
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping and all(proc.poll() is None for proc in procs):
        time.sleep(0.2)
    died = [proc.returncode for proc in procs if proc.returncode is not None]  # before we stopped them
    for proc in procs:  # one instance gone stops them all: a half cluster would mislead
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        proc.wait()
    # uvicorn re-raises the signal it stopped for (Ctrl-C reaches the instances too): not a failure.
    failed = [code for code in died if code not in (0, -signal.SIGINT, -signal.SIGTERM)]
    if failed:
        print(f"an instance exited with {failed[0]}: cluster stopped", file=sys.stderr)
    return (failed[0] if failed[0] > 0 else 1) if failed else 0
