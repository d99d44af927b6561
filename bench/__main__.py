"""`make bench`: throughput of GraphQL operations as ratios to a bare `{ __typename }` query and to a
raw PostgreSQL round trip, all measured in this run against a real uvicorn on PostgreSQL.

Environment: BENCH_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_SECONDS.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import uvicorn

from app.settings import Settings
from server.cli import apply_migrations
from server.main import create_app

ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/test")
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CONCURRENCY = 8


async def rate(op: Callable[[], Awaitable[object]]) -> float:
    """Operations per second with CONCURRENCY workers for SECONDS."""
    done = 0
    deadline = time.perf_counter() + SECONDS

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await op()
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return done / (time.perf_counter() - start)


async def main() -> None:
    name = f"imwallet_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        settings = Settings(_env_file=None, imwallet_env="test", database_url=url + "?maxsize=10",
                            secret_key="bench-" + "k" * 32)  # type: ignore[call-arg,arg-type]
        await apply_migrations(settings)
        server = uvicorn.Server(uvicorn.Config(create_app(settings), port=8099, log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        pool = await asyncpg.create_pool(url, min_size=CONCURRENCY, max_size=CONCURRENCY)
        async with httpx.AsyncClient(base_url="http://127.0.0.1:8099") as http:
            async def gql(query: str) -> object:
                return (await http.post("/graphql", json={"query": query})).raise_for_status()

            results = {
                "raw PostgreSQL SELECT 1": await rate(lambda: pool.fetchval("SELECT 1")),
                "GraphQL { __typename }": await rate(lambda: gql("{ __typename }")),
                "GraphQL { me { id } } anonymous": await rate(lambda: gql("{ me { id } }")),
                "GraphQL findUser (anonymous)": await rate(lambda: gql('{ findUser(phone: "13800138000") { id } }')),
            }
        await pool.close()
        server.should_exit = True
        await task
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    bare = results["GraphQL { __typename }"]
    raw = results["raw PostgreSQL SELECT 1"]
    print(f"{'operation':40} {'ops/s':>10} {'vs bare GraphQL':>16} {'vs raw PG':>10}")
    for label, ops in results.items():
        print(f"{label:40} {ops:10.0f} {ops / bare:16.2f} {ops / raw:10.3f}")


if __name__ == "__main__":
    asyncio.run(main())
