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
    # Money between people (issue 11): each red packet's account holds exactly its unclaimed shares
    # while it is open, and nothing once it is EMPTY or EXPIRED.
    ("a red packet's account does not hold its unclaimed shares", """
        SELECT p.id AS red_packet_id, p.state, a.balance_minor AS held, open_items.unclaimed FROM red_packets p
        JOIN ledger_accounts a ON a.id = p.account_id
        JOIN (SELECT s.packet_id, SUM(CASE WHEN s.claimant_id IS NULL THEN s.amount_minor ELSE 0 END) AS unclaimed
              FROM red_packet_shares s GROUP BY s.packet_id) open_items ON open_items.packet_id = p.id
        WHERE a.balance_minor <> CASE WHEN p.state = 'OPEN' THEN open_items.unclaimed ELSE 0 END
           OR p.remaining_minor <> open_items.unclaimed
           OR p.returned_minor + (SELECT COALESCE(SUM(s2.amount_minor), 0) FROM red_packet_shares s2
                                  WHERE s2.packet_id = p.id AND s2.claimant_id IS NOT NULL)
              <> CASE WHEN p.state = 'EXPIRED' THEN p.total_minor ELSE p.total_minor - open_items.unclaimed END"""),
    ("red packet system accounts exist without a packet", """
        SELECT a.id AS account_id, a.balance_minor FROM ledger_accounts a
        WHERE a.kind = 'RED_PACKET' AND NOT EXISTS (SELECT 1 FROM red_packets p WHERE p.account_id = a.id)"""),
    ("the pending-transfers account does not hold the transfers still awaiting acceptance", """
        SELECT a.currency, a.balance_minor AS held, COALESCE(w.waiting, 0) AS waiting FROM ledger_accounts a
        LEFT JOIN (SELECT currency, SUM(amount_minor) AS waiting FROM pending_transfers
                   WHERE outcome IS NULL GROUP BY currency) w ON w.currency = a.currency
        WHERE a.kind = 'PENDING_TRANSFERS' AND a.balance_minor <> COALESCE(w.waiting, 0)"""),
    ("a waiting transfer was both accepted and returned", """
        SELECT transfer_id, COUNT(*) AS releases FROM journals
        WHERE kind IN ('TRANSFER_ACCEPT', 'TRANSFER_RETURN') GROUP BY transfer_id HAVING COUNT(*) > 1"""),
    ("refunds of a transfer exceed it, or a refund is not linked to its journal", """
        SELECT t.id AS transfer_id, t.amount_minor, SUM(r.amount_minor) AS refunded FROM transfers t
        JOIN transfer_refunds r ON r.original_transfer_id = t.id
        GROUP BY t.id, t.amount_minor HAVING SUM(r.amount_minor) > t.amount_minor
        UNION ALL
        SELECT r.refund_transfer_id, r.amount_minor, NULL FROM transfer_refunds r
        WHERE NOT EXISTS (SELECT 1 FROM journals j
                          WHERE j.transfer_id = r.refund_transfer_id AND j.kind = 'REFUND')"""),
    # Merchants (issue 12): their wallets, their orders' payments and refunds.
    ("a merchant wallet is negative, or a merchant has no merchant wallet", """
        SELECT m.id AS merchant_id, a.id AS account_id, a.kind, a.balance_minor FROM merchants m
        JOIN ledger_accounts a ON a.id = m.account_id
        WHERE a.kind <> 'MERCHANT_WALLET' OR a.balance_minor < 0"""),
    ("an order's refunds exceed its payment, or its refunded total is not the sum of its refunds", """
        SELECT o.id AS order_id, o.amount_minor, o.refunded_minor, COALESCE(SUM(r.amount_minor), 0) AS refunds
        FROM merchant_orders o LEFT JOIN merchant_order_refunds r ON r.order_id = o.id
        GROUP BY o.id, o.amount_minor, o.refunded_minor
        HAVING COALESCE(SUM(r.amount_minor), 0) > o.amount_minor
            OR COALESCE(SUM(r.amount_minor), 0) <> o.refunded_minor"""),
    ("a paid order has no completed payment of its amount, or an unpaid one has a payment", """
        SELECT o.id AS order_id, o.state, o.payment_transfer_id FROM merchant_orders o
        LEFT JOIN transfers t ON t.id = o.payment_transfer_id
        WHERE (o.state IN ('PAID', 'REFUNDED') AND (t.id IS NULL OR t.kind <> 'ORDER_PAYMENT'
               OR t.state <> 'COMPLETED' OR t.amount_minor <> o.amount_minor OR t.payer_id <> o.payer_id))
           OR (o.state NOT IN ('PAID', 'REFUNDED') AND o.payment_transfer_id IS NOT NULL)
        UNION ALL
        SELECT NULL, 'ORPHAN', t.id FROM transfers t
        WHERE t.kind = 'ORDER_PAYMENT' AND NOT EXISTS (SELECT 1 FROM merchant_orders o
                                                       WHERE o.payment_transfer_id = t.id)"""),
    ("an order refund is not one completed refund transfer with its journal", """
        SELECT r.id AS refund_id, r.transfer_id FROM merchant_order_refunds r
        LEFT JOIN transfers t ON t.id = r.transfer_id
        WHERE t.id IS NULL OR t.kind <> 'ORDER_REFUND' OR t.amount_minor <> r.amount_minor
           OR NOT EXISTS (SELECT 1 FROM journals j
                          WHERE j.transfer_id = r.transfer_id AND j.kind = 'MERCHANT_REFUND')"""),
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
