"""Checks made before anything starts, so a machine that cannot run the bench is told why at once."""

from __future__ import annotations

import asyncpg

HARNESS_CONNECTIONS = 16  # the harness's own pool (DATABASE_URL's maxsize), its probes and the seeding runtime


def connections_needed(*, pool_per_process: int, workers: int, peer: bool, max_concurrency: int) -> int:
    """PostgreSQL connections open at the busiest moment: the product's pools, the peer's, the raw runs'."""
    return pool_per_process * workers * (2 if peer else 1) + max_concurrency + HARNESS_CONNECTIONS


async def check_connections(admin_dsn: str, needed: int) -> str | None:
    """None if PostgreSQL can take `needed` more connections, else what to change and how."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        limit = int(await conn.fetchval("SHOW max_connections"))
        reserved = int(await conn.fetchval("SHOW superuser_reserved_connections"))
        in_use = int(await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"))
    finally:
        await conn.close()
    free = limit - reserved - in_use
    if free >= needed:
        return None
    return (f"PostgreSQL takes {free} more connections (max_connections {limit}, {reserved} reserved, "
            f"{in_use} in use); "
            f"the bench needs {needed} at its busiest (the product's and the peer's pools and the c=50 raw "
            f"baselines). Raise it to at least {limit - free + needed} (`ALTER SYSTEM SET max_connections = ...`, then "
            f"restart PostgreSQL), "
            f"or run with --no-peer.")
