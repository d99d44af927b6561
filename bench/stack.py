"""The processes a run starts and always stops: its databases, the sinks, the product and the Node peer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
PEER_SOURCE = Path(os.environ.get("BENCH_PEER", str(ROOT.parent / "shared" / "peer-node")))
if not PEER_SOURCE.exists():
    PEER_SOURCE = Path("/work/shared/peer-node")
WORKERS = 2
POOL_PER_PROCESS = 10  # the peer's default POOL; the product gets the same through DATABASE_URL

# The bench profile: production settings (the keyed PIN verifier, no log backends) with the
# per-address sending and login limits raised, because every request of the load comes from
# 127.0.0.1, and the sandbox card processor allowed (there is no real bank here). Names are
# docs/configuration.md's; unknown ones are ignored by Settings.
BENCH_LIMITS = {
    "ALLOW_SANDBOX_CARDS_IN_PRODUCTION": "true",
    "LOGIN_FAILURES_PER_ADDRESS": "1000000000",
    "LOGIN_FAILURES_PER_ACCOUNT": "1000000000",
    "CODE_SENDS_PER_HOUR_PER_ADDRESS": "1000000000",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    """A child in its own process group, so stopping it stops its workers too."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)

    def pids(self) -> list[int]:
        """The process and its children (uvicorn's workers, node's cluster workers)."""
        found = [self.popen.pid]
        for pid in found:
            with contextlib.suppress(OSError):
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                found.extend(int(c) for c in children)
        return found

    def rss_bytes(self) -> int:
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU of the process and its children so far."""
        return sum(_cpu_ticks(pid) for pid in self.pids()) / os.sysconf("SC_CLK_TCK")

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def _cpu_ticks(pid: int | str, *, named: str | None = None, reaped: bool = False) -> int:
    """utime + stime of one process (fields 14 and 15 of /proc/<pid>/stat), with `reaped` also the
    CPU of its children that ended (cutime + cstime, 16 and 17); 0 if it is gone or, with `named`,
    if its command is another."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        head, tail = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)
        if named is None or head.split("(", 1)[1] == named:
            fields = tail.split()
            return int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return 0


def postgres_cpu_seconds() -> float:
    """User + system CPU so far of PostgreSQL on this machine: every postgres process (backends, WAL
    writer, checkpointer, autovacuum) and, through the postmaster's reaped-children times, those that
    ended (a closed connection, an autovacuum worker done). What a workload costs the database, read
    the same way for the product, the raw baselines and the peer."""
    return sum(_cpu_ticks(entry.name, named="postgres", reaped=True) for entry in os.scandir("/proc")
               if entry.name.isdigit()) / os.sysconf("SC_CLK_TCK")


def start(name: str, argv: list[str], *, env: dict[str, str], cwd: Path, logdir: Path) -> Process:
    log = logdir / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    return Process(name, popen, log)


async def wait_http(url: str, process: Process, timeout: float = 90.0, *, post: bool = False) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if post:
                    r = await http.post(url, json={"query": "{ __typename }"})
                else:
                    r = await http.get(url)
                if r.status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer at {url}:\n{process.tail()}")


@dataclass
class Stack:
    """Everything one run made, so `close()` can undo all of it whatever happened."""

    run_id: str = field(default_factory=lambda: f"{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}")
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="imwallet-bench-")))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(36))
    databases: list[str] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    server: Process | None = None
    peer: Process | None = None
    server_port: int = field(default_factory=free_port)
    peer_port: int = field(default_factory=free_port)

    @property
    def db_name(self) -> str:
        return f"imwallet_bench_{self.run_id}"

    @property
    def peer_db_name(self) -> str:
        return f"imwallet_bench_peer_{self.run_id}"

    @property
    def dsn(self) -> str:
        return f"{PG}/{self.db_name}"

    @property
    def peer_dsn(self) -> str:
        return f"{PG}/{self.peer_db_name}"

    @property
    def namespace(self) -> str:
        return f"bench-{self.run_id}"

    @property
    def server_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    async def create_database(self, name: str) -> None:
        admin = await asyncpg.connect(f"{PG}/postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
            self.databases.append(name)
        finally:
            await admin.close()

    def product_env(self, sms_url: str, smtp_port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
        env.update({
            "IMWALLET_ENV": "production",
            "DATABASE_URL": f"{self.dsn.replace('postgresql://', 'postgres://')}?maxsize={POOL_PER_PROCESS}",
            "REDIS_URL": REDIS_URL,
            "REDIS_NAMESPACE": self.namespace,
            "SECRET_KEY": self.secret_key,
            "SMS_BACKEND": "webhook",
            "SMS_WEBHOOK_URL": sms_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            **BENCH_LIMITS,
        })
        return env

    async def start_server(self, env: dict[str, str]) -> Process:
        imwallet = str(Path(sys.executable).parent / "imwallet")
        # cwd is the run's temp dir, so no developer .env is read.
        self.server = start("server", [imwallet, "serve", "--workers", str(WORKERS), "--port", str(self.server_port)],
                            env=env, cwd=self.tmp, logdir=self.tmp)
        self.processes.append(self.server)
        await wait_http(f"{self.server_url}/healthz", self.server)
        # Both workers up: a few requests land on each before anything is measured.
        async with httpx.AsyncClient() as http:
            for _ in range(20):
                await http.post(f"{self.server_url}/graphql", json={"query": "{ __typename }"})
        return self.server

    async def start_peer(self, wallets: int) -> Process:
        """Copy the peer out of the read-only shared folder, `npm ci`, load its schema, start 2 workers."""
        work = self.tmp / "peer-node"
        shutil.copytree(PEER_SOURCE, work, ignore=shutil.ignore_patterns("node_modules"))
        npm = await asyncio.create_subprocess_exec(
            "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=work,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await npm.communicate()
        if npm.returncode != 0:
            raise RuntimeError(f"npm ci failed in {work}:\n{out.decode(errors='replace')[-2000:]}")
        await self.create_database(self.peer_db_name)
        psql = await asyncio.create_subprocess_exec(
            "psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.peer_dsn, "-f", str(work / "schema.sql"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await psql.communicate()
        if psql.returncode != 0:
            raise RuntimeError(f"loading the peer's schema failed:\n{out.decode(errors='replace')[-2000:]}")
        conn = await asyncpg.connect(self.peer_dsn)
        try:
            # Only the wallets the workloads use: the same number as the product's.
            await conn.execute("DELETE FROM wallet WHERE id > $1", wallets)
        finally:
            await conn.close()
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        env.update({"DSN": self.peer_dsn, "PORT": str(self.peer_port), "WORKERS": str(WORKERS),
                    "POOL": str(POOL_PER_PROCESS), "NODE_ENV": "production"})
        self.peer = start("peer", ["node", "server.js"], env=env, cwd=work, logdir=self.tmp)
        self.processes.append(self.peer)
        await wait_http(f"{self.peer_url}/", self.peer, post=True)
        return self.peer

    async def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        await self._drop_redis_keys()
        if self.databases:
            admin = await asyncpg.connect(f"{PG}/postgres")
            try:
                for name in self.databases:
                    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
            self.databases.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

    async def _drop_redis_keys(self) -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(REDIS_URL)
        try:
            batch: list[bytes] = []
            async for key in client.scan_iter(match=f"{self.namespace}*", count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    await client.delete(*batch)
                    batch.clear()
            if batch:
                await client.delete(*batch)
        except Exception as exc:  # a Redis hiccup must not keep the databases from being dropped
            print(f"bench: could not clear Redis keys {self.namespace}*: {exc}", file=sys.stderr)
        finally:
            await client.aclose()
