"""Throw-away servers a fault test may kill: its own PostgreSQL cluster, its own redis-server, and
the app itself as `imwallet serve` in a process of its own. Never the machine's shared servers.

PostgreSQL refuses to run as root, so as root the cluster is made and run as the `postgres` OS
user (`runuser -u postgres --`), in a temporary folder that user owns.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from tests.support.client import GraphQLClient
from tests.support.sinks import free_port

PG_BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
SECRET_KEY = "faults-secret-key-" + "x" * 32


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class PgCluster:
    """A PostgreSQL cluster of one test, on a spare port, trust authentication."""

    folder: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                                     "-A", "trust", "--no-sync"]), check=True, capture_output=True)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
                   "-c max_connections=60 -c shared_buffers=32MB")
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
                                     "-o", options, "-w", "-t", "30", "start"]), check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
                       check=False, capture_output=True)


@contextmanager
def pg_cluster() -> Iterator[PgCluster]:
    folder = Path(tempfile.mkdtemp(prefix="imwallet-faults-pg-"))
    cluster = PgCluster(folder)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class RedisServer:
    """A redis-server of one test, nothing persisted; `kill` and `start` again on the same port."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    async def restart(self, **extra: str) -> None:
        self.kill()
        await self.start(**extra)

    async def rows(self, query: str, *args: object) -> list[dict[str, object]]:
        """Read the app's database directly (assertions only)."""
        conn = await asyncpg.connect(self.env["DATABASE_URL"])
        try:
            return [dict(r) for r in await conn.fetch(query, *args)]
        finally:
            await conn.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()


@dataclass
class App:
    """`imwallet serve` (one worker) on a fixed port, killed and restarted by the test."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="imwallet-faults-app-", suffix=".log")[1]))
    cluster: PgCluster | None = None
    # Each restart starts the clock a minute later (see start); off when several apps share a database.
    clock_jumps: bool = True
    clients: list[GraphQLClient] = field(default_factory=list)

    def client(self) -> GraphQLClient:
        """A client of this app, closed by the fixture."""
        self.clients.append(GraphQLClient(self.base_url))
        return self.clients[-1]

    async def close_clients(self) -> None:
        for c in self.clients:
            await c.aclose()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    async def start(self, **extra: str) -> None:
        """Start (again); each restart starts the clock a minute later, so that the reconciler finds
        at once what fell due while the process was down (app/clock.py), without sleeping for it."""
        imwallet = os.path.join(os.path.dirname(sys.executable), "imwallet")
        env = {**self.env, "CLOCK_OFFSET_SECONDS": str(60 * self.restarts if self.clock_jumps else 0), **extra}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([imwallet, "serve", "--port", str(self.port), "--workers", "1"],
                                            env=env, stdout=log, stderr=log)
        self.restarts += 1
        await self._wait_ready(killing_itself="FAULT_KILL_POINT" in extra)

    async def _wait_ready(self, *, killing_itself: bool = False) -> None:
        async with httpx.AsyncClient(timeout=1) as http:
            for _ in range(300):
                assert self.process is not None
                if self.process.poll() is not None:
                    if killing_itself and self.process.returncode == -signal.SIGKILL:
                        return  # the reconciler's first pass reached the kill point while starting: the fault happened
                    raise RuntimeError(f"imwallet serve exited with {self.process.returncode}: {self.tail()}")
                try:
                    if (await http.get(f"{self.base_url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("imwallet serve did not become ready in 30 s")

    async def restart(self, **extra: str) -> None:
        self.kill()
        await self.start(**extra)

    async def rows(self, query: str, *args: object) -> list[dict[str, object]]:
        """Read the app's database directly (assertions only)."""
        conn = await asyncpg.connect(self.env["DATABASE_URL"])
        try:
            return [dict(r) for r in await conn.fetch(query, *args)]
        finally:
            await conn.close()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    async def died(self, timeout: float = 10.0) -> int:
        """Wait for the process to die by itself (at its FAULT_KILL_POINT); its return code."""
        assert self.process is not None
        for _ in range(int(timeout / 0.05)):
            if self.process.poll() is not None:
                return self.process.returncode
            await asyncio.sleep(0.05)
        raise AssertionError("the app did not die at its kill point")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def audit(self, pending_bound_seconds: float = 0.0) -> tuple[int, str]:
        imwallet = os.path.join(os.path.dirname(sys.executable), "imwallet")
        done = subprocess.run([imwallet, "audit", "--pending-bound-seconds", str(pending_bound_seconds)],
                              env=self.env, capture_output=True, text=True, timeout=60, check=False)
        return done.returncode, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr


def app_env(database_url: str, *, sms_url: str, smtp_port: int, redis_url: str | None = None,
            **extra: str) -> dict[str, str]:
    env = {**os.environ, "IMWALLET_ENV": "test", "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
           "PASSWORD_HASH_PROFILE": "cheapest", "SMS_BACKEND": "webhook", "SMS_WEBHOOK_URL": sms_url,
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_TIMEOUT_SECONDS": "2",
           "FORWARDED_ALLOW_IPS": "127.0.0.1", "OUTBOX_POLL_SECONDS": "0.1", "MAIL_RETRY_BASE_SECONDS": "0.2",
           "MAIL_RETRY_CAP_SECONDS": "1", "CARD_CALL_TIMEOUT_SECONDS": "1", "RECONCILE_AFTER_SECONDS": "2",
           "RECONCILE_POLL_SECONDS": "0.2", "REDIS_NAMESPACE": "imwallet-faults", **extra}
    env.pop("REDIS_URL", None)
    env.pop("FAULT_KILL_POINT", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env
