"""Payment records: a wallet's entries newest first (keyset pages), and one transfer's journals.

Only the owner reads them: every function takes the viewer's user id and returns nothing for
anyone else's objects, exactly as for missing ones. Each page is three queries whatever its size:
the entries joined with their journal and transfer, then the counterparties and their identities.
The GraphQL layer batches per-transfer fields (parties, journals) through `counterparties` and
`journals_for`, so those too cost a fixed number of queries per page.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.connection import get_connection
from tortoise.expressions import Q

from app.ledger.book import wallet_of
from models import EntryKind, Identity, Journal, LedgerEntry, Transfer, User

RECORD_KINDS = (EntryKind.SENT, EntryKind.RECEIVED, EntryKind.TOP_UP, EntryKind.WITHDRAWAL, EntryKind.REFUND)


@dataclass(frozen=True)
class Counterparty:
    user: User
    identity: Identity | None


@dataclass(frozen=True)
class Record:
    """One line of a wallet's records: a ledger entry with its transfer and counterparty."""

    entry: LedgerEntry
    transfer: Transfer
    counterparty: Counterparty | None


@dataclass(frozen=True)
class Page:
    records: list[Record]
    has_next: bool


async def wallet_records(user_id: int, *, first: int, before_entry_id: int | None = None,
                         kinds: Sequence[EntryKind] = (), since: datetime | None = None,
                         until: datetime | None = None, account_id: int | None = None) -> Page:
    """Up to `first` records older than the cursor entry, newest first, filtered by kind and time.

    `account_id` is the user's wallet when the caller holds it already (it is not read again)."""
    if account_id is None:
        wallet = await wallet_of(user_id)
        if wallet is None:
            return Page([], False)
        account_id = wallet.id
    wanted = list(kinds or RECORD_KINDS)
    conn = get_connection("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(_page_sql(), [account_id, [k.value for k in wanted], before_entry_id,
                                                           since, until, first + 1])
        return Page([_record(r) for r in rows[:first]], len(rows) > first)
    query = LedgerEntry.filter(account_id=account_id, kind__in=wanted)
    if before_entry_id is not None:
        query = query.filter(id__lt=before_entry_id)
    if since is not None:
        query = query.filter(created_at__gte=since)
    if until is not None:
        query = query.filter(created_at__lt=until)
    entries = await query.order_by("-id").limit(first + 1).select_related("journal__transfer")
    people = await counterparties({e.counterparty_id for e in entries[:first] if e.counterparty_id})
    records = [Record(e, e.journal.transfer, people.get(e.counterparty_id or 0)) for e in entries[:first]]
    return Page(records, len(entries) > first)


_PREFIXES = (("e", LedgerEntry), ("t", Transfer), ("u", User), ("i", Identity))


@functools.cache
def _page_sql() -> str:
    """A page of entries with their transfers and counterparties (and identities) in one statement, on
    PostgreSQL (was four queries, the wallet read again among them); each model's columns prefixed."""
    columns = ", ".join(f"{p}.{c} AS {p}_{c}" for p, model in _PREFIXES for c in sorted(model._meta.db_fields))
    return (f"SELECT {columns} FROM ledger_entries e "  # noqa: S608 (constant text)
            "JOIN journals j ON j.id = e.journal_id JOIN transfers t ON t.id = j.transfer_id "
            "LEFT JOIN users u ON u.id = e.counterparty_id LEFT JOIN identities i ON i.user_id = u.id "
            "WHERE e.account_id = $1 AND e.kind = ANY($2::text[]) AND e.id < COALESCE($3::bigint, 9223372036854775807) "
            "AND e.created_at >= COALESCE($4::timestamptz, '-infinity') "
            "AND e.created_at < COALESCE($5::timestamptz, 'infinity') ORDER BY e.id DESC LIMIT $6")


def _record(row: dict[str, Any]) -> Record:
    parts: dict[str, dict[str, Any]] = {p: {} for p, _ in _PREFIXES}
    for key, value in row.items():
        parts[key[0]][key[2:]] = value
    user = User._init_from_db(**parts["u"]) if parts["u"]["id"] is not None else None
    identity = Identity._init_from_db(**parts["i"]) if parts["i"]["id"] is not None else None
    return Record(LedgerEntry._init_from_db(**parts["e"]), Transfer._init_from_db(**parts["t"]),
                  Counterparty(user, identity) if user is not None else None)


async def counterparties(user_ids: set[int]) -> dict[int, Counterparty]:
    """Users and their identities in two queries, keyed by user id."""
    if not user_ids:
        return {}
    users = await User.filter(id__in=list(user_ids))
    identities = {i.user_id: i for i in await Identity.filter(user_id__in=list(user_ids))}
    return {u.id: Counterparty(u, identities.get(u.id)) for u in users}


async def transfer_for(user_id: int, transfer_id: int) -> Transfer | None:
    """The transfer if this user sent, received or started it; else None (as if missing)."""
    return await Transfer.filter(Q(initiator_id=user_id) | Q(payer_id=user_id) | Q(payee_id=user_id),
                                 id=transfer_id).first()


async def transfers_for(user_id: int, transfer_ids: Sequence[int]) -> dict[int, Transfer]:
    rows = await Transfer.filter(Q(initiator_id=user_id) | Q(payer_id=user_id) | Q(payee_id=user_id),
                                 id__in=list(transfer_ids))
    return {t.id: t for t in rows}


async def journals_for(transfer_ids: Sequence[int]) -> dict[int, list[Journal]]:
    """Each transfer's journals, oldest first, with entries and accounts: three queries for any number.

    Callers pass only transfers the viewer may see (this reads journals by transfer id alone)."""
    found: dict[int, list[Journal]] = {i: [] for i in transfer_ids}
    if not found:
        return found
    rows = await Journal.filter(transfer_id__in=list(found)).order_by("id").prefetch_related("entries__account")
    for journal in rows:
        found[journal.transfer_id].append(journal)
    return found
