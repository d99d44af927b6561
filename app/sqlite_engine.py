"""The Tortoise engine for SQLite (the embedded default): transactions begin IMMEDIATE.

Tortoise opens a transaction with a plain (DEFERRED) `BEGIN`: it reads on a snapshot and asks for
the write lock only at its first write. When a second process writes the same file in between
(`imwallet demo` beside `imwallet serve`, or a CLI command beside the server), SQLite refuses that
first write at once with "database is locked": the snapshot is stale, so the busy timeout does not
apply, and every service whose transaction reads before it writes would have to re-run itself.
`BEGIN IMMEDIATE` takes the write lock first, waiting up to the busy timeout for the other writer,
so the snapshot it then reads is one no other process can overtake. Within one process nothing
changes: Tortoise already serialises every transaction on SQLite's single connection.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError

# How long BEGIN IMMEDIATE waits for another process's write to finish. Python's sqlite3 (under
# aiosqlite) already defaults to 5 s; named here because the engine relies on it, and a
# `?busy_timeout=` in DATABASE_URL still overrides it.
BUSY_TIMEOUT_MS = 5000


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImwalletSqliteClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        self.pragmas.setdefault("busy_timeout", BUSY_TIMEOUT_MS)

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImwalletSqliteClient
