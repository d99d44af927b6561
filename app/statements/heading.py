"""What a statement says about itself: account, holder, period and totals, shared by both formats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.ledger.amounts import format_amount
from app.statements.movements import Totals

# Statements show Chinese local time, with its offset, as the wallet's users read it.
SHOWN_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Heading:
    account_id: int
    holder: str
    currency: str
    start: datetime
    end: datetime
    generated_at: datetime
    totals: Totals
    key_id: str

    def money(self, minor: int) -> str:
        return format_amount(minor, self.currency)


def shown(moment: datetime) -> str:
    """An instant as statements print it: ISO 8601 in Asia/Shanghai, to the microsecond."""
    return moment.astimezone(SHOWN_TZ).isoformat()


def shown_short(moment: datetime) -> str:
    return moment.astimezone(SHOWN_TZ).strftime("%Y-%m-%d %H:%M:%S")
