"""What reaches PostgreSQL, read from the server's own statement log.

`log_statement = 'all'` is set on the test database only (ALTER DATABASE, never the server's
configuration files), so new connections to it log every statement they execute; the log lines
of this database's backends (by process id) between two offsets of the server log are one run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tests.support.databases import PG_ADMIN_URL

SERVER_LOG = Path(os.environ.get("TEST_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))
_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[(\d+)\] (?:\S+@\S+ )?LOG:  (?:statement|execute [^:]*): (.*)$")


@dataclass(frozen=True)
class Statement:
    pid: int
    sql: str


def database_of(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


async def set_logging(database: str, on: bool) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        if on:
            await conn.execute(f'ALTER DATABASE "{database}" SET log_statement = \'all\'')
        else:
            await conn.execute(f'ALTER DATABASE "{database}" RESET log_statement')
    finally:
        await conn.close()


async def backends_of(database: str) -> set[int]:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)
    finally:
        await conn.close()
    return {int(r["pid"]) for r in rows}


def offset() -> int:
    return SERVER_LOG.stat().st_size


def read(start: int, pids: set[int]) -> list[Statement]:
    """Statements logged since `start` by these backends, in log order (continuation lines joined)."""
    with SERVER_LOG.open("rb") as f:
        f.seek(start)
        text = f.read().decode("utf-8", "replace")
    found: list[Statement] = []
    current: list[str] | None = None
    pid = 0
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if match:
            if current is not None:
                found.append(Statement(pid, " ".join(current)))
            pid, current = int(match.group(1)), [match.group(2)]
        elif line.startswith("\t") and current is not None:
            current.append(line.strip())
        elif re.match(r"^\d{4}-\d\d-\d\d ", line):
            if current is not None:
                found.append(Statement(pid, " ".join(current)))
            current = None
    if current is not None:
        found.append(Statement(pid, " ".join(current)))
    return [s for s in found if s.pid in pids]


def cut_off(group: list[Statement]) -> bool:
    """A transaction that began but had not ended when the log was read: a background worker's round
    (a request under test was awaited before the log is read, so its own transaction has ended)."""
    def head(s: Statement) -> str:
        return s.sql.strip().rstrip(";").upper()
    return head(group[0]) == "BEGIN" and head(group[-1]) not in ("COMMIT", "ROLLBACK")


def transactions(statements: list[Statement]) -> list[list[Statement]]:
    """Per backend, each run of statements from BEGIN to COMMIT/ROLLBACK, and each one outside."""
    groups: list[list[Statement]] = []
    open_by_pid: dict[int, list[Statement]] = {}
    for s in statements:
        head = s.sql.strip().rstrip(";").upper()
        if s.pid in open_by_pid:
            open_by_pid[s.pid].append(s)
            if head in ("COMMIT", "ROLLBACK"):
                groups.append(open_by_pid.pop(s.pid))
        elif head == "BEGIN":
            open_by_pid[s.pid] = [s]
        else:
            groups.append([s])
    groups.extend(open_by_pid.values())
    return groups
