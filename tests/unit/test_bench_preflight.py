"""The bench's start-up check of PostgreSQL's connection limit, against the real server."""

from __future__ import annotations

from bench.preflight import HARNESS_CONNECTIONS, check_connections, connections_needed
from tests.support.databases import PG_ADMIN_URL


def test_the_busiest_moment_counts_both_pools_the_raw_runs_and_the_harness() -> None:
    both = connections_needed(pool_per_process=10, workers=2, peer=True, max_concurrency=50)
    alone = connections_needed(pool_per_process=10, workers=2, peer=False, max_concurrency=50)
    assert (both, alone) == (40 + 50 + HARNESS_CONNECTIONS, 20 + 50 + HARNESS_CONNECTIONS)


async def test_a_limit_too_low_is_named_with_the_setting_to_change() -> None:
    assert await check_connections(PG_ADMIN_URL, 1) is None
    short = await check_connections(PG_ADMIN_URL, 1_000_000)
    assert short is not None
    assert "max_connections" in short
    assert "ALTER SYSTEM" in short
