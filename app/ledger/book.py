"""The book: the only code that writes balances and ledger entries.

A movement is one journal of two or more entries that sum to zero. The caller owns the database
transaction and has locked every account it touches with `lock_accounts` (always in id order, so
two movements over the same accounts queue instead of deadlocking). Entries are only ever
inserted; a correction is a new journal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app import metrics
from app.errors import InsufficientFunds
from models import AccountKind, EntryKind, Journal, JournalKind, LedgerAccount, LedgerEntry, User


@dataclass(frozen=True)
class Line:
    """One side of a journal: a signed amount on a locked account."""

    account: LedgerAccount
    amount_minor: int
    kind: EntryKind = EntryKind.SYSTEM
    counterparty_id: int | None = None


class UnbalancedJournal(ValueError):
    """A programming error: a journal whose entries do not sum to zero."""


async def lock_accounts(ids: Iterable[int]) -> dict[int, LedgerAccount]:
    """Lock the accounts in id order (FOR UPDATE on PostgreSQL). Call inside a transaction."""
    rows = await LedgerAccount.filter(id__in=sorted(set(ids))).select_for_update().order_by("id")
    return {row.id: row for row in rows}


async def post(kind: JournalKind, transfer_id: int, lines: Sequence[Line], description: str = "") -> Journal:
    """Write one balanced journal and move the cached balances with it.

    Preconditions: inside a transaction, every account in `lines` locked by `lock_accounts`.
    Raises InsufficientFunds (and writes nothing more) if a user wallet would go below zero.
    """
    _check_balanced(lines)
    journal = await Journal.create(kind=kind, transfer_id=transfer_id, description=description)
    entries = []
    for line in lines:
        account = line.account
        after = _after(line)
        await LedgerAccount.filter(id=account.id).update(balance_minor=F("balance_minor") + line.amount_minor)
        account.balance_minor = after
        entries.append(LedgerEntry(journal_id=journal.id, account_id=account.id, kind=line.kind,
                                   amount_minor=line.amount_minor, balance_after_minor=after,
                                   counterparty_id=line.counterparty_id))
    await LedgerEntry.bulk_create(entries)
    metrics.transfer_posted(kind.value, sum(x.amount_minor for x in lines if x.amount_minor > 0),
                            lines[0].account.currency)
    return journal


@dataclass(frozen=True)
class HeldWallet:
    """A user's wallet locked for this transaction, with the name its receipts show."""

    account: LedgerAccount
    display_name: str


# One round trip finds both wallets, locks them in id order and brings the owners' names.
_LOCK_USER_WALLETS = """
SELECT a.id, a.user_id, a.currency, a.balance_minor, a.created_at, u.display_name
FROM ledger_accounts a JOIN users u ON u.id = a.user_id
WHERE a.user_id = ANY($1::bigint[]) AND a.kind = 'USER_WALLET'
ORDER BY a.id FOR UPDATE OF a"""


async def lock_user_wallets(conn: BaseDBAsyncClient, user_ids: Iterable[int]) -> dict[int, HeldWallet]:
    """The wallets of these users (those that have one), locked in id order, by user id."""
    ids = sorted(set(user_ids))
    if conn.capabilities.dialect == "postgres":
        _, rows = await conn.execute_query(_LOCK_USER_WALLETS, [ids])
        return {int(r["user_id"]): HeldWallet(LedgerAccount(
            id=r["id"], kind=AccountKind.USER_WALLET, user_id=r["user_id"], currency=r["currency"],
            balance_minor=r["balance_minor"], created_at=r["created_at"]), r["display_name"]) for r in rows}
    accounts = await LedgerAccount.filter(user_id__in=ids, kind=AccountKind.USER_WALLET) \
        .select_related("user").order_by("id")  # SQLite: one writer at a time, no row locks
    return {int(a.user_id or 0): HeldWallet(a, a.user.display_name if a.user else "") for a in accounts}


# The journal, both balances and the entries in one statement (data-modifying CTEs all run).
_MOVE = """
WITH j AS (INSERT INTO journals (kind, transfer_id, description, created_at)
           VALUES ($1, $2, $3, $4) RETURNING id),
     b AS (UPDATE ledger_accounts a SET balance_minor = a.balance_minor + v.delta
           FROM unnest($5::bigint[], $6::bigint[]) AS v(id, delta) WHERE a.id = v.id RETURNING a.id)
INSERT INTO ledger_entries (journal_id, account_id, kind, amount_minor, balance_after_minor, counterparty_id,
                            created_at)
SELECT j.id, v.id, v.kind, v.delta, v.after, v.counterparty, $4
FROM j, unnest($5::bigint[], $7::text[], $6::bigint[], $8::bigint[], $9::bigint[])
     AS v(id, kind, delta, after, counterparty)
RETURNING journal_id, (SELECT count(*) FROM b) AS moved"""


async def move(conn: BaseDBAsyncClient, kind: JournalKind, transfer_id: int, lines: Sequence[Line], *,
               at: datetime, description: str = "") -> None:
    """`post` in one round trip on PostgreSQL (the ORM path elsewhere); same preconditions."""
    if conn.capabilities.dialect != "postgres":
        await post(kind, transfer_id, lines, description)
        return
    _check_balanced(lines)
    afters = [_after(line) for line in lines]
    await conn.execute_query_dict(_MOVE, [
        kind.value, transfer_id, description, at, [line.account.id for line in lines],
        [line.amount_minor for line in lines], [line.kind.value for line in lines], afters,
        [line.counterparty_id for line in lines]])
    for line, after in zip(lines, afters, strict=True):
        line.account.balance_minor = after
    metrics.transfer_posted(kind.value, sum(x.amount_minor for x in lines if x.amount_minor > 0),
                            lines[0].account.currency)


# The same movement as part of a caller's larger statement (a payment's one write): the journal, the
# balances and the entries as data-modifying CTEs j, b and e. `{transfer}` is the SQL of the transfer's
# id, `{at}` of the timestamp; the movement's own parameters are numbered from `first`.
_MOVEMENT_CTES = """j AS (INSERT INTO journals (kind, transfer_id, description, created_at)
           SELECT $K::text, {transfer}, $D::text, {at} RETURNING id),
     b AS (UPDATE ledger_accounts a SET balance_minor = a.balance_minor + v.delta
           FROM unnest($I::bigint[], $A::bigint[]) AS v(id, delta) WHERE a.id = v.id RETURNING a.id),
     e AS (INSERT INTO ledger_entries (journal_id, account_id, kind, amount_minor, balance_after_minor,
                                       counterparty_id, created_at)
           SELECT j.id, v.id, v.kind, v.delta, v.after, v.counterparty, {at}
           FROM j, unnest($I::bigint[], $T::text[], $A::bigint[], $F::bigint[], $C::bigint[])
                AS v(id, kind, delta, after, counterparty)
           RETURNING journal_id)"""


@dataclass(frozen=True)
class Movement:
    """A checked movement (balanced, no wallet below zero) for a caller's own statement: put `ctes()`
    in its WITH and `params()` at `first`, check `(SELECT count(*) FROM b)` and `e` with `written`,
    then call `done()`. Same preconditions as `post`: inside a transaction, every account locked."""

    kind: JournalKind
    lines: Sequence[Line]
    afters: Sequence[int]
    description: str = ""

    def ctes(self, first: int, *, transfer: str, at: str) -> str:
        numbers = dict(zip("KDIATFC", range(first, first + 7), strict=True))
        sql = _MOVEMENT_CTES.replace("{transfer}", transfer).replace("{at}", at)
        for name, n in numbers.items():
            sql = sql.replace(f"${name}", f"${n}")
        return sql

    def params(self) -> list[object]:
        lines = self.lines
        return [self.kind.value, self.description, [x.account.id for x in lines], [x.amount_minor for x in lines],
                [x.kind.value for x in lines], list(self.afters), [x.counterparty_id for x in lines]]

    def written(self, balances_moved: int, entries: int) -> bool:
        return balances_moved == entries == len(self.lines)

    def done(self) -> None:
        """After the statement ran: the held accounts show their new balances; the metric counts it."""
        for line, after in zip(self.lines, self.afters, strict=True):
            line.account.balance_minor = after
        metrics.transfer_posted(self.kind.value, sum(x.amount_minor for x in self.lines if x.amount_minor > 0),
                                self.lines[0].account.currency)


def movement(kind: JournalKind, lines: Sequence[Line], description: str = "") -> Movement:
    """Check a movement (UnbalancedJournal, InsufficientFunds) before it is written by a caller's statement."""
    _check_balanced(lines)
    return Movement(kind, list(lines), [_after(line) for line in lines], description)


def _after(line: Line) -> int:
    account = line.account
    after = account.balance_minor + line.amount_minor
    if account.kind == AccountKind.USER_WALLET and after < 0:
        raise InsufficientFunds(balance_minor=account.balance_minor, amount_minor=-line.amount_minor,
                                currency=account.currency)
    return after


def _check_balanced(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise UnbalancedJournal("a journal needs at least two entries")
    if sum(line.amount_minor for line in lines) != 0:
        raise UnbalancedJournal("entries must sum to zero")
    if any(line.amount_minor == 0 for line in lines):
        raise UnbalancedJournal("an entry must move money")
    if len({line.account.currency for line in lines}) != 1:
        raise UnbalancedJournal("a journal moves one currency")


async def wallet_of(user_id: int) -> LedgerAccount | None:
    return await LedgerAccount.get_or_none(user_id=user_id, kind=AccountKind.USER_WALLET)


async def wallets_of(user_ids: Iterable[int]) -> list[LedgerAccount]:
    """The wallets of these users (those that have one), each with its user loaded."""
    return await LedgerAccount.filter(user_id__in=list(user_ids), kind=AccountKind.USER_WALLET) \
        .select_related("user")


async def open_wallet_account(user: User, currency: str) -> LedgerAccount:
    """The user's wallet account, created at a zero balance if it does not exist yet."""
    existing = await wallet_of(user.id)
    if existing is not None:
        return existing
    try:
        async with in_transaction():  # a savepoint inside a caller's transaction: losing the race leaves it usable
            return await LedgerAccount.create(kind=AccountKind.USER_WALLET, user=user, currency=currency)
    except IntegrityError:
        return await LedgerAccount.get(user_id=user.id)  # a parallel request opened it first


async def system_account(kind: AccountKind, currency: str) -> LedgerAccount:
    """The one system account of a kind per currency (card clearing, withdrawal holds)."""
    code = f"{kind}:{currency}"
    existing = await LedgerAccount.get_or_none(system_code=code)
    if existing is not None:
        return existing
    try:
        async with in_transaction():  # a savepoint inside a caller's transaction: losing the race leaves it usable
            return await LedgerAccount.create(kind=kind, system_code=code, currency=currency)
    except IntegrityError:
        return await LedgerAccount.get(system_code=code)
