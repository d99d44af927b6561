"""`imwallet audit` on a database whose ledger was damaged behind the application's back.

The application cannot produce these states (that is what the other tests show), so the damage is
written with raw SQL into a throwaway SQLite database built by the real migrations.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

IMWALLET = os.path.join(os.path.dirname(sys.executable), "imwallet")
NOW = "2026-11-27 08:00:00+00:00"


def _run(database: Path, command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite://{database}", "IMWALLET_ENV": "development"}
    return subprocess.run([IMWALLET, command], env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audit") / "ledger.sqlite3"
    assert _run(path, "migrate").returncode == 0
    return path


def test_a_clean_ledger_passes(database: Path) -> None:
    done = _run(database, "audit")
    assert (done.returncode, done.stdout) == (0, "ledger audit: all invariants hold\n")


def test_every_breach_is_found_and_the_exit_code_says_so(database: Path) -> None:
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO users (id, phone, display_name, password_hash, role, created_at) "
                   "VALUES (1, '+8613800000001', 'A', 'x', 'user', ?)", (NOW,))
        db.execute("INSERT INTO ledger_accounts (id, kind, user_id, currency, balance_minor, created_at) "
                   "VALUES (1, 'USER_WALLET', 1, 'CNY', 500, ?), (2, 'CARD_CLEARING', NULL, 'CNY', -400, ?)",
                   (NOW, NOW))
        db.execute("INSERT INTO transfers (id, kind, state, initiator_id, idempotency_key, request_fingerprint, "
                   "amount_minor, currency, memo, failure_reason, created_at, updated_at) VALUES "
                   "(1, 'TOP_UP', 'COMPLETED', 1, 'k', 'f', 500, 'CNY', '', '', ?, ?), "
                   "(2, 'P2P', 'COMPLETED', 1, 'k2', 'f', 1, 'CNY', '', '', ?, ?)", (NOW, NOW, NOW, NOW))
        db.execute("INSERT INTO journals (id, kind, transfer_id, description, created_at) VALUES "
                   "(1, 'TOP_UP', 1, '', ?), (2, 'TOP_UP', 1, '', ?)", (NOW, NOW))
        db.execute("INSERT INTO ledger_entries (journal_id, account_id, kind, amount_minor, balance_after_minor, "
                   "created_at) VALUES (1, 2, 'SYSTEM', -500, -500, ?), (1, 1, 'TOP_UP', 500, 500, ?), "
                   "(2, 1, 'TOP_UP', 100, 500, ?)", (NOW, NOW, NOW))
    done = _run(database, "audit")
    breaches = [line for line in done.stdout.splitlines() if line.startswith("BREACH: ")]
    assert done.returncode == 1
    assert breaches == [
        "BREACH: journal entries do not sum to zero, or a journal has fewer than two entries",
        "BREACH: cached balance differs from the sum of the account's entries",
        "BREACH: an entry's balance_after does not follow from the entries before it",
        "BREACH: all accounts together do not sum to zero",
        "BREACH: a transfer (one idempotency key) moved money more than once",
        "BREACH: a completed transfer has no journal",
    ]
    assert done.stdout.splitlines()[-1] == "ledger audit: 6 invariant(s) broken"
    assert "'journal_id': 2" in done.stdout


def test_the_database_refuses_a_negative_wallet_even_to_raw_sql(database: Path) -> None:
    with sqlite3.connect(database) as db, pytest.raises(sqlite3.IntegrityError, match="wallet_not_negative"):
        db.execute("UPDATE ledger_accounts SET balance_minor = -1 WHERE id = 1")
