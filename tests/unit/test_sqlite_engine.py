"""The embedded SQLite engine: a transaction holds the write lock from its BEGIN.

`imwallet demo` writes the file `imwallet serve` is writing. With a plain (deferred) BEGIN a
transaction that read first had its first write refused at once when the other process wrote in
between (CI failed on it in the GraphiQL walk-through); here the other process is the one that waits.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from app.settings import tortoise_config


def _write_from_another_process(path: Path) -> str:
    other = sqlite3.connect(path, timeout=0)  # refuse at once instead of waiting out the busy timeout
    try:
        other.execute("INSERT INTO notes (body) VALUES ('other')")
        other.commit()
        return "written"
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        other.close()


async def test_a_transaction_that_reads_then_writes_keeps_its_snapshot_against_another_writer(
        tmp_path: Path) -> None:
    path = tmp_path / "engine.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(f"sqlite://{path}"))  # the configuration the server runs
        async with in_transaction() as conn:
            _, rows = await conn.execute_query("SELECT count(*) AS n FROM notes")
            during = _write_from_another_process(path)
            await conn.execute_query("INSERT INTO notes (body) VALUES (?)", [f"ours after {rows[0]['n']}"])
        after = _write_from_another_process(path)

    assert during == "database is locked"
    assert after == "written"
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT body FROM notes ORDER BY id").fetchall() == [("ours after 0",), ("other",)]
