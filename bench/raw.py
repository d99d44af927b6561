"""Raw PostgreSQL baselines over asyncpg, at the same concurrency as the workload they stand beside."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from bench.stats import percentile
from bench.wrk import Sample

Op = Callable[[asyncpg.Connection, random.Random], Awaitable[Any]]


async def run_raw(dsn: str, op: Op, *, connections: int, seconds: float) -> Sample:
    """`connections` workers, each on its own connection (no per-operation checkout), for `seconds`."""
    conns = [await asyncpg.connect(dsn) for _ in range(connections)]
    latencies: list[float] = []
    failures: list[str] = []
    try:
        stop_at = time.perf_counter() + seconds

        async def worker(conn: asyncpg.Connection, seed: int) -> None:
            rng = random.Random(seed)
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                try:
                    await op(conn, rng)
                except Exception as exc:
                    if conn.is_in_transaction():
                        await conn.execute("ROLLBACK")
                    if len(failures) < 3:
                        failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(worker(c, n) for n, c in enumerate(conns)))
        elapsed = time.perf_counter() - started
    finally:
        for c in conns:
            await c.close()
    latencies.sort()
    return Sample(throughput=len(latencies) / elapsed, p50_ms=percentile(latencies, 50) * 1000,
                  p99_ms=percentile(latencies, 99) * 1000, ok=len(latencies), bad=len(failures),
                  bad_samples=failures)
