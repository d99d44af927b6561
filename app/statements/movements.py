"""An account's movements over a period, read from the ledger's own entries in keyset batches.

A period is `[from, to)` on the entries' timestamps, and also bounded by `through_entry_id`, the
account's last entry when the statement was made: entries of one account are written under its row
lock, so every entry committed later has a higher id, and a statement regenerated later is the same.
The opening balance is the sum of the account's entries before `from` (from the ledger, not from
the cached balance); the balance after each movement is the running sum from there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.functions import Count, Sum

from models import Card, LedgerEntry, User

BATCH_SIZE = 1000


@dataclass(frozen=True)
class Period:
    """One account's entries in [start, end) with ids up to `through_entry_id`."""

    account_id: int
    start: datetime
    end: datetime
    through_entry_id: int


@dataclass(frozen=True)
class Totals:
    opening_minor: int
    movement_count: int
    money_in_minor: int
    money_out_minor: int

    @property
    def closing_minor(self) -> int:
        return self.opening_minor + self.money_in_minor - self.money_out_minor


@dataclass(frozen=True)
class Movement:
    """One line of a statement."""

    entry_id: int
    at: datetime
    kind: str            # the journal's kind: TRANSFER, TOP_UP, REFUND, RED_PACKET, ...
    direction: str       # the entry's kind in its account: SENT, RECEIVED, TOP_UP, ...
    counterparty: str
    memo: str
    amount_minor: int
    balance_after_minor: int
    transfer_id: int


async def last_entry_id(account_id: int) -> int:
    """The account's newest entry id (0 for none): the bound that makes a statement repeatable."""
    newest = await LedgerEntry.filter(account_id=account_id).order_by("-id").first()
    return newest.id if newest is not None else 0


async def totals(period: Period) -> Totals:
    """Opening balance, count and money in and out, in two aggregate queries."""
    bounded = LedgerEntry.filter(account_id=period.account_id, id__lte=period.through_entry_id)
    before = await bounded.filter(created_at__lt=period.start).annotate(s=Sum("amount_minor")).values("s")
    inside = bounded.filter(created_at__gte=period.start, created_at__lt=period.end)
    credits = await inside.filter(amount_minor__gt=0).annotate(s=Sum("amount_minor"), n=Count("id")).values("s", "n")
    debits = await inside.filter(amount_minor__lt=0).annotate(s=Sum("amount_minor"), n=Count("id")).values("s", "n")
    return Totals(opening_minor=int(before[0]["s"] or 0),
                  movement_count=int(credits[0]["n"] or 0) + int(debits[0]["n"] or 0),
                  money_in_minor=int(credits[0]["s"] or 0), money_out_minor=-int(debits[0]["s"] or 0))


async def movements(period: Period, opening_minor: int, batch_size: int = BATCH_SIZE
                    ) -> AsyncIterator[list[Movement]]:
    """The period's movements oldest first, one batch per query round (never the whole period)."""
    balance, after_id = opening_minor, 0
    while True:
        rows = await LedgerEntry.filter(
            account_id=period.account_id, id__gt=after_id, id__lte=period.through_entry_id,
            created_at__gte=period.start, created_at__lt=period.end,
        ).order_by("id").limit(batch_size).select_related("journal__transfer")
        if not rows:
            return
        names = await _names(rows)
        batch = []
        for e in rows:
            balance += e.amount_minor
            transfer = e.journal.transfer
            party = names.get(("u", e.counterparty_id or 0)) or names.get(("c", transfer.card_id or 0), "")
            batch.append(Movement(entry_id=e.id, at=utc(e.created_at), kind=e.journal.kind.value,
                                  direction=e.kind.value, counterparty=party, memo=transfer.memo,
                                  amount_minor=e.amount_minor, balance_after_minor=balance,
                                  transfer_id=transfer.id))
        yield batch
        after_id = rows[-1].id
        if len(rows) < batch_size:
            return


async def _names(rows: list[LedgerEntry]) -> dict[tuple[str, int], str]:
    """Counterparties' display names and the cards of top-ups and withdrawals, two queries a batch."""
    user_ids = {e.counterparty_id for e in rows if e.counterparty_id}
    card_ids = {e.journal.transfer.card_id for e in rows if e.journal.transfer.card_id and not e.counterparty_id}
    found: dict[tuple[str, int], str] = {}
    if user_ids:
        for uid, name in await User.filter(id__in=list(user_ids)).values_list("id", "display_name"):
            found[("u", int(uid))] = str(name)
    if card_ids:
        for cid, brand, last4 in await Card.filter(id__in=list(card_ids)).values_list("id", "brand", "last4"):
            found[("c", int(cid))] = f"{getattr(brand, 'value', brand)} ••{last4}"
    return found


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment.astimezone(UTC)
