"""Payment records: a wallet's entries newest first (keyset pages), and one transfer's journals.

Only the owner reads them: every function takes the viewer's user id and returns nothing for
anyone else's objects, exactly as for missing ones. Each page is three queries whatever its size:
the entries joined with their journal and transfer, then the counterparties and their identities.
The GraphQL layer batches per-transfer fields (parties, journals) through `counterparties` and
`journals_for`, so those too cost a fixed number of queries per page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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
                         until: datetime | None = None) -> Page:
    """Up to `first` records older than the cursor entry, newest first, filtered by kind and time."""
    wallet = await wallet_of(user_id)
    if wallet is None:
        return Page([], False)
    query = LedgerEntry.filter(account_id=wallet.id, kind__in=list(kinds or RECORD_KINDS))
    if before_entry_id is not None:
        query = query.filter(id__lt=before_entry_id)
    if since is not None:
        query = query.filter(created_at__gte=since)
    if until is not None:
        query = query.filter(created_at__lt=until)
    rows = await query.order_by("-id").limit(first + 1).select_related("journal__transfer")
    people = await counterparties({e.counterparty_id for e in rows[:first] if e.counterparty_id})
    records = [Record(e, e.journal.transfer, people.get(e.counterparty_id or 0)) for e in rows[:first]]
    return Page(records, len(rows) > first)


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
