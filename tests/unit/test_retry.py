"""Which failures re-run a whole transaction: only those where another writer got in the way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tortoise.exceptions import OperationalError

from app.ledger.retry import is_conflict


def _as_tortoise_raises(error: sqlite3.Error) -> OperationalError:
    """Tortoise's SQLite client raises its own error inside the `except` for the driver's one."""
    try:
        raise error
    except sqlite3.Error as exc:
        try:
            raise OperationalError(exc)
        except OperationalError as wrapped:
            return wrapped


def test_a_write_refused_because_another_process_holds_the_sqlite_file_is_a_conflict(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE t (x INTEGER)")
    mine = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    try:
        mine.execute("INSERT INTO t VALUES (2)")
    except sqlite3.OperationalError as exc:
        locked = exc
    else:
        raise AssertionError("the second writer was let in")
    finally:
        other.execute("ROLLBACK")
        other.close()
        mine.close()
    assert is_conflict(_as_tortoise_raises(locked))


def test_other_sqlite_errors_are_not_conflicts(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    with pytest.raises(sqlite3.OperationalError) as missing:
        conn.execute("SELECT * FROM missing")
    conn.close()
    assert not is_conflict(_as_tortoise_raises(missing.value))
