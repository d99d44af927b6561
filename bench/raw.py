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


async def run_raw(dsn: str, op: Op, *, connections: int, seconds: float, warmup: float) -> Sample:
    """`connections` workers, each on its own connection (no per-operation checkout); operations
    completed in the `seconds` after `warmup` are measured, as wrk measures the HTTP workloads."""
    conns = [await asyncpg.connect(dsn) for _ in range(connections)]
    latencies: list[float] = []
    failures: list[str] = []
    done = [0]
    try:
        window_from = time.perf_counter() + warmup
        stop_at = window_from + seconds

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
                t1 = time.perf_counter()
                done[0] += 1
                if window_from <= t1 <= stop_at:
                    latencies.append(t1 - t0)

        await asyncio.gather(*(worker(c, n) for n, c in enumerate(conns)))
    finally:
        for c in conns:
            await c.close()
    latencies.sort()
    return Sample(throughput=len(latencies) / seconds, p50_ms=percentile(latencies, 50) * 1000,
                  p99_ms=percentile(latencies, 99) * 1000, ok=done[0], bad=len(failures),
                  bad_samples=failures, requests=done[0])
