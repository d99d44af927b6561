"""The embedded database as migrations build it keeps every guard the ledger relies on.

Tortoise rebuilds SQLite tables for some schema changes and the rebuilt table loses its indexes and
triggers (models/migrations/sqlite_rebuild_repair.py puts them back): a fresh `imwallet migrate`
must leave the idempotency key unique, one wallet per user, and the no-negative-wallet guard.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def _migrated(tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "fresh.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite://{path}", "IMWALLET_ENV": "test"}
    imwallet = os.path.join(os.path.dirname(sys.executable), "imwallet")
    done = subprocess.run([imwallet, "migrate"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return sqlite3.connect(path)


def _unique_indexes(db: sqlite3.Connection, table: str) -> set[tuple[str, ...]]:
    found = set()
    for _, name, unique, *_ in db.execute(f"PRAGMA index_list('{table}')"):
        if unique:
            found.add(tuple(row[2] for row in db.execute(f"PRAGMA index_info('{name}')")))
    return found


def test_a_fresh_embedded_database_keeps_the_ledger_guards(tmp_path: Path) -> None:
    db = _migrated(tmp_path)
    assert ("initiator_id", "idempotency_key") in _unique_indexes(db, "transfers")
    assert ("user_id",) in _unique_indexes(db, "ledger_accounts")
    assert ("conversation_id", "author_id", "client_message_id") in _unique_indexes(db, "messages")
    triggers = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"ledger_accounts_wallet_not_negative_insert", "ledger_accounts_wallet_not_negative_update",
            "transfers_amount_positive_insert", "ledger_entries_amount_not_zero_insert"} <= triggers
    db.execute("INSERT INTO users (phone, display_name, password_hash, role, created_at) "
               "VALUES ('+8613800000000', 'x', 'x', 'user', '2026-01-01')")
    with pytest.raises(sqlite3.DatabaseError, match="wallet_not_negative"):
        db.execute("INSERT INTO ledger_accounts (kind, user_id, currency, balance_minor, created_at) "
                   "VALUES ('USER_WALLET', 1, 'CNY', -1, '2026-01-01')")
