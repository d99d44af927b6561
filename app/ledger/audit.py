"""The ledger's invariants, checked on a live database (`imwallet audit`).

Each check is one SQL query that returns the rows breaking an invariant, so a clean ledger
returns nothing at all. Plain SQL that PostgreSQL and SQLite both run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import Tortoise

from models import Transfer, TransferState

# A top-up or withdrawal still PENDING this long after it started means the reconciler is not
# running or the network has not answered for far longer than any call may take.
PENDING_BOUND_SECONDS = 600.0

CHECKS: tuple[tuple[str, str], ...] = (
    ("journal entries do not sum to zero, or a journal has fewer than two entries", """
        SELECT j.id AS journal_id, COALESCE(SUM(e.amount_minor), 0) AS total, COUNT(e.id) AS entries
        FROM journals j LEFT JOIN ledger_entries e ON e.journal_id = j.id
        GROUP BY j.id HAVING COALESCE(SUM(e.amount_minor), 0) <> 0 OR COUNT(e.id) < 2"""),
    ("cached balance differs from the sum of the account's entries", """
        SELECT a.id AS account_id, a.balance_minor AS cached, COALESCE(SUM(e.amount_minor), 0) AS entries
        FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
        GROUP BY a.id, a.balance_minor HAVING a.balance_minor <> COALESCE(SUM(e.amount_minor), 0)"""),
    ("an entry's balance_after does not follow from the entries before it", """
        SELECT entry_id, account_id, recorded, computed FROM (
            SELECT id AS entry_id, account_id, balance_after_minor AS recorded,
                   SUM(amount_minor) OVER (PARTITION BY account_id ORDER BY id) AS computed
            FROM ledger_entries) running
        WHERE recorded <> computed"""),
    ("a user wallet is negative", """
        SELECT id AS account_id, user_id, balance_minor FROM ledger_accounts
        WHERE kind = 'USER_WALLET' AND balance_minor < 0"""),
    ("all accounts together do not sum to zero", """
        SELECT currency, SUM(balance_minor) AS total FROM ledger_accounts
        GROUP BY currency HAVING SUM(balance_minor) <> 0"""),
    ("an idempotency key was used by more than one transfer", """
        SELECT initiator_id, idempotency_key, COUNT(*) AS transfers FROM transfers
        GROUP BY initiator_id, idempotency_key HAVING COUNT(*) > 1"""),
    ("a transfer (one idempotency key) moved money more than once", """
        SELECT transfer_id, kind, COUNT(*) AS journals FROM journals
        GROUP BY transfer_id, kind HAVING COUNT(*) > 1
        UNION ALL
        SELECT transfer_id, 'SETTLE+VOID', COUNT(*) FROM journals
        WHERE kind IN ('WITHDRAWAL_SETTLE', 'WITHDRAWAL_VOID')
        GROUP BY transfer_id HAVING COUNT(*) > 1"""),
    ("a completed transfer has no journal", """
        SELECT t.id AS transfer_id, t.kind FROM transfers t
        WHERE t.state = 'COMPLETED' AND NOT EXISTS (SELECT 1 FROM journals j WHERE j.transfer_id = t.id)"""),
)


@dataclass(frozen=True)
class Breach:
    invariant: str
    rows: list[dict[str, Any]]


async def audit(connection: str = "default", sample: int = 20,
                pending_bound_seconds: float = PENDING_BOUND_SECONDS, now: datetime | None = None) -> list[Breach]:
    """Every invariant that does not hold, with up to `sample` offending rows each."""
    conn = Tortoise.get_connection(connection)
    breaches = []
    for invariant, sql in CHECKS:
        rows = await conn.execute_query_dict(sql)
        if rows:
            breaches.append(Breach(invariant, rows[:sample]))
    stale = await left_pending(pending_bound_seconds, now)
    if stale:
        invariant = f"an outside operation is still PENDING after {pending_bound_seconds:g} s"
        breaches.append(Breach(invariant, stale[:sample]))
    return breaches


async def left_pending(bound_seconds: float, now: datetime | None = None) -> list[dict[str, Any]]:
    """Transfers left PENDING for longer than the bound (none should outlive the reconciler's pass)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=bound_seconds)
    return list(await Transfer.filter(state=TransferState.PENDING, created_at__lt=cutoff).order_by("id")
                .values("id", "kind", "amount_minor", "created_at"))
