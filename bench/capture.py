"""Capture the SQL one `sendMoney` really issues, and turn its transaction into a replayable program.

While one `send_money` runs in the harness, every statement asyncpg sends is recorded (with its
arguments and result rows). The statements from the BEGIN before the journal INSERT to its COMMIT
are the ledger's transaction; the raw baseline replays exactly those, at the same concurrency, for
other pairs of wallets. Nothing is hand-copied, so whatever the payment path issues (the perf
branch's new SQL included) is what the baseline measures.

Parameterising: seed.offset_sequences gives every table ids from a base of its own, so each id in
the capture names its table. Ids of the payer's and payee's rows (user, wallet, conversation and
its members) become roles filled per pair; ids of rows the transaction itself inserted become the
values the replayed INSERT ... RETURNING gave; the idempotency key becomes a fresh one; the
balance-after of each wallet follows from the replayed lock's balances; timestamps become now().
Anything else is replayed as captured and listed under `unmapped` in the results.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from asyncpg.connection import Connection

from bench.seed import ID_BASE, ID_STRIDE

_METHODS = ("execute", "executemany", "fetch", "fetchrow", "fetchval")
_ID = re.compile(r"\b1\d{9}\b|\b20\d{8}\b")


@dataclass
class Statement:
    method: str
    sql: str
    args: list[Any]
    rows: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def recording() -> Iterator[list[Statement]]:
    """Record every statement any asyncpg connection of this process sends."""
    seen: list[Statement] = []
    originals = {name: getattr(Connection, name) for name in _METHODS}

    def wrap(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        async def traced(self: Connection, query: str, *args: Any, **kwargs: Any) -> Any:
            statement = Statement(name, query, list(args[0]) if name == "executemany" else list(args))
            seen.append(statement)
            result = await original(self, query, *args, **kwargs)
            if name == "fetch":
                statement.rows = [dict(r) for r in result]
            elif name == "fetchrow" and result is not None:
                statement.rows = [dict(result)]
            elif name == "fetchval":
                statement.rows = [{"?": result}]
            return result

        return traced

    for name, original in originals.items():
        setattr(Connection, name, wrap(name, original))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(Connection, name, original)


def is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and ID_BASE <= value < 2**31


def table_slot(value: int) -> int:
    return (value - ID_BASE) // ID_STRIDE


def _begins(sql: str) -> bool:
    return sql.strip().upper().startswith("BEGIN")


def _commits(sql: str) -> bool:
    return sql.strip().upper().rstrip(";") in ("COMMIT", "END")


def _writes_ledger(sql: str) -> bool:
    lowered = sql.lower()
    return ("journals" in lowered and "insert" in lowered) or ("ledger_entries" in lowered and "insert" in lowered)


def money_transaction(statements: list[Statement], role_ids: set[int] | None = None) -> list[Statement]:
    """The transaction holding the journal INSERT (or, without BEGIN, the one statement writing it).
    When no statement names the ledger tables (the movement moved into an SQL function, say): the
    statement passing the most payer/payee ids, with its enclosing BEGIN..COMMIT if there is one."""
    writes = [i for i, s in enumerate(statements) if _writes_ledger(s.sql)]
    if not writes and role_ids:
        def weight(s: Statement) -> int:
            flat = [v for row in s.args for v in row] if s.method == "executemany" else s.args
            return sum(1 for v in flat if v in role_ids)
        best = max(range(len(statements)), key=lambda i: weight(statements[i]))
        if weight(statements[best]) >= 2:
            writes = [best]
    if not writes:
        raise RuntimeError("the captured sendMoney never wrote the ledger")
    begin = next((i for i in range(writes[0], -1, -1) if _begins(statements[i].sql)), None)
    if begin is None:
        return [statements[writes[0]]]
    end = next((i for i in range(writes[-1], len(statements)) if _commits(statements[i].sql)), len(statements) - 1)
    return statements[begin:end + 1]


@dataclass(frozen=True)
class Ref:
    """Where a replayed value comes from."""

    kind: str  # "role" | "result" | "key" | "now" | "after" | "text" (name: a str.format template of roles)
    name: str = ""
    statement: int = 0
    column: str = ""
    offset: timedelta = timedelta()


@dataclass
class Replay:
    """The captured transaction with its per-pair values made into references."""

    statements: list[Statement]
    args: list[list[Any]]  # each argument: a literal or a Ref (strings may hold `{role}` slots)
    sql: list[str]
    amount_minor: int
    lock_statement: int
    unmapped: list[str]
    capture: list[str]  # the whole request's statements, for the report

    def describe(self) -> list[str]:
        return [f"{s.method}: {' '.join(s.sql.split())[:160]}" for s in self.statements]


def build_replay(all_statements: list[Statement], roles: dict[str, int], *, key: str, amount_minor: int,
                 balances_before: dict[str, int], captured_at: datetime) -> Replay:
    tx = money_transaction(all_statements, set(roles.values()))
    by_value = {v: k for k, v in roles.items()}
    produced: dict[int, tuple[int, str]] = {}
    after = {balances_before["payer_wallet"] - amount_minor: "payer_wallet",
             balances_before["payee_wallet"] + amount_minor: "payee_wallet"}
    unmapped: list[str] = []
    lock_statement = -1

    def ref_for(value: Any, where: str) -> Any:
        if isinstance(value, list | tuple):  # array parameters (ids, amounts, balances of one movement)
            return [ref_for(v, where) for v in value]
        if isinstance(value, str):
            if value == key:
                return Ref("key")
            if _ID.search(value):
                def slot(m: re.Match[str]) -> str:
                    v = int(m.group(0))
                    if v in by_value:
                        return "{" + by_value[v] + "}"
                    if v in produced:
                        i, column = produced[v]
                        return "{" + f"r{i}_{''.join(ch for ch in column if ch.isalnum())}" + "}"
                    unmapped.append(f"{where}: id {v} in text")
                    return m.group(0)
                return Ref("text", _ID.sub(slot, value.replace("{", "{{").replace("}", "}}")))
            return value
        if isinstance(value, datetime) and abs(value - captured_at) < timedelta(seconds=30):
            return Ref("now", offset=value - captured_at)
        if is_id(value):
            if value in by_value:
                return Ref("role", by_value[value])
            if value in produced:
                i, column = produced[value]
                return Ref("result", statement=i, column=column)
            unmapped.append(f"{where}: id {value} (table slot {table_slot(value)})")
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value in after:
            return Ref("after", after[value])
        return value

    args: list[list[Any]] = []
    sqls: list[str] = []
    for i, statement in enumerate(tx):
        if statement.method == "executemany":
            args.append([[ref_for(v, f"#{i}") for v in row] for row in statement.args])
        else:
            args.append([ref_for(v, f"#{i}") for v in statement.args])
        sqls.append(ref_for(statement.sql, f"#{i} sql") if _ID.search(statement.sql) else statement.sql)
        if "for update" in statement.sql.lower() and lock_statement < 0:
            lock_statement = i
        for row in statement.rows:
            for column, value in row.items():
                if is_id(value) and value not in by_value and value not in produced:
                    produced[value] = (i, column)
    return Replay(statements=tx, args=args, sql=sqls, amount_minor=amount_minor, lock_statement=lock_statement,
                  unmapped=sorted(set(unmapped)),
                  capture=[f"{s.method}: {' '.join(s.sql.split())[:200]}" for s in all_statements])


class _Slots(dict[str, Any]):
    """Roles, and `r<statement>_<column>` for a value an earlier replayed statement returned."""

    def __init__(self, roles: dict[str, int], results: list[list[asyncpg.Record]]) -> None:
        super().__init__(roles)
        self.results = results

    def __missing__(self, name: str) -> Any:
        index, column = name[1:].split("_", 1)
        row = self.results[int(index)][0]
        return row[0] if column == "" else next(v for k, v in row.items()
                                                if "".join(ch for ch in k if ch.isalnum()) == column)


async def run_replay(conn: asyncpg.Connection, replay: Replay, roles: dict[str, int]) -> None:
    """One replayed transaction for the pair in `roles` (payer_wallet, payee_wallet, ... ids)."""
    results: list[list[asyncpg.Record]] = []
    now = datetime.now(UTC)
    key = uuid.uuid4().hex
    balances: dict[str, int] = {}

    def value(v: Any) -> Any:
        if isinstance(v, list):
            return [value(x) for x in v]
        if isinstance(v, Ref):
            if v.kind == "role":
                return roles[v.name]
            if v.kind == "key":
                return key
            if v.kind == "now":
                return now + v.offset
            if v.kind == "result":
                row = results[v.statement][0]
                return row[0] if v.column == "?" else row[v.column]
            if v.kind == "after":
                sign = -1 if v.name == "payer_wallet" else 1
                return balances[v.name] + sign * replay.amount_minor
            if v.kind == "text":
                return v.name.format_map(_Slots(roles, results))
        return v

    wallet_ids = {roles["payer_wallet"]: "payer_wallet", roles["payee_wallet"]: "payee_wallet"}
    for i, statement in enumerate(replay.statements):
        sql = value(replay.sql[i])
        if statement.method == "executemany":
            await conn.executemany(sql, [[value(v) for v in row] for row in replay.args[i]])
            results.append([])
            continue
        args = [value(v) for v in replay.args[i]]
        if statement.method == "execute":
            await conn.execute(sql, *args)
            results.append([])
        else:
            rows = await conn.fetch(sql, *args)
            results.append(rows)
            if i == replay.lock_statement:
                for row in rows:
                    if row.get("id") in wallet_ids:
                        balances[wallet_ids[row["id"]]] = int(row["balance_minor"])
