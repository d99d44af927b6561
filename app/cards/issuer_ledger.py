"""The sandbox issuer's own memory of what it did per reference: a table of its own.

A real acquirer remembers every charge and payout; so must the simulator, or a lookup after a
restart of the app would not be truthful. The table `sandbox_issuer_operations` belongs to the
simulated bank, not to the wallet: no model, no migration, nothing in app/ledger reads it. It is
created on first use and lives beside the wallet's tables only because that is the one database
every app process already reaches.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection

from app.cards.processor import Outcome

_CREATE = """CREATE TABLE IF NOT EXISTS sandbox_issuer_operations (
    reference VARCHAR(64) PRIMARY KEY,
    operation VARCHAR(12) NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency VARCHAR(3) NOT NULL,
    approved SMALLINT NOT NULL,
    decline_reason VARCHAR(40) NOT NULL,
    recorded_at VARCHAR(40) NOT NULL)"""
_ready: set[int] = set()
_lock = asyncio.Lock()


async def _conn() -> BaseDBAsyncClient:
    conn = get_connection("default")
    if id(conn) not in _ready:
        async with _lock:
            try:
                await conn.execute_script(_CREATE)
            except Exception:
                # Two processes creating the table at once: one wins, the other finds it there.
                await conn.execute_query("SELECT 1 FROM sandbox_issuer_operations LIMIT 1")
            _ready.add(id(conn))
    return conn


def _sql(conn: BaseDBAsyncClient, query: str) -> str:
    """`?` placeholders as the dialect wants them ($1, $2... on PostgreSQL)."""
    if conn.capabilities.dialect != "postgres":
        return query
    parts = query.split("?")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, start=1))


async def settle_once(reference: str, operation: str, amount_minor: int, currency: str,
                      outcome: Outcome) -> Outcome:
    """Record `outcome` for a reference the issuer never saw; the first recorded one either way."""
    conn = await _conn()
    values = [reference, operation, amount_minor, currency, int(outcome.approved), outcome.decline_reason,
              datetime.now(UTC).isoformat()]
    await conn.execute_query(_sql(conn, (
        "INSERT INTO sandbox_issuer_operations (reference, operation, amount_minor, currency, approved, "
        "decline_reason, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reference) DO NOTHING")), values)
    recorded = await recorded_outcome(reference)
    assert recorded is not None
    return recorded


async def recorded_outcome(reference: str) -> Outcome | None:
    conn = await _conn()
    _, rows = await conn.execute_query(
        _sql(conn, "SELECT approved, decline_reason FROM sandbox_issuer_operations WHERE reference = ?"), [reference])
    if not rows:
        return None
    row = rows[0]
    return Outcome(approved=bool(row[0]), decline_reason=str(row[1]))


async def operations() -> list[dict[str, object]]:
    """Everything the issuer did, oldest first (for tests and the torture run's final check)."""
    conn = await _conn()
    return list(await conn.execute_query_dict(
        "SELECT reference, operation, amount_minor, approved, decline_reason FROM sandbox_issuer_operations "
        "ORDER BY recorded_at"))
