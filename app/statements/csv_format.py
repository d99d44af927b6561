"""A statement as CSV (UTF-8 with a byte order mark, for spreadsheets), written batch by batch.

One table: a header, an OPENING_BALANCE row at `from`, one row per movement, a CLOSING_BALANCE row
at `to`. Text cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from app.statements.heading import Heading, shown
from app.statements.movements import Movement

COLUMNS = ("date", "kind", "direction", "counterparty", "memo", "amount", "balance_after", "currency",
           "reference")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


async def csv_chunks(heading: Heading, batches: AsyncIterator[list[Movement]]) -> AsyncIterator[bytes]:
    """The file's bytes, one chunk per batch of movements."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")

    def take() -> bytes:
        chunk = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return chunk

    buffer.write("\ufeff")
    out.writerow(COLUMNS)
    opening = heading.totals.opening_minor
    out.writerow((shown(heading.start), "OPENING_BALANCE", "", _text(heading.holder), f"account {heading.account_id}",
                  "", heading.money(opening), heading.currency, ""))
    yield take()
    closing = opening
    async for batch in batches:
        for m in batch:
            out.writerow((shown(m.at), m.kind, m.direction, _text(m.counterparty), _text(m.memo),
                          heading.money(m.amount_minor), heading.money(m.balance_after_minor), heading.currency,
                          str(m.transfer_id)))
            closing = m.balance_after_minor
        yield take()
    out.writerow((shown(heading.end), "CLOSING_BALANCE", "", "", "", heading.money(closing - opening),
                  heading.money(closing), heading.currency, ""))
    yield take()
