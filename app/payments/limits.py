"""Transfer limits: per transfer, per Asia/Shanghai day of money going out (transfers, withdrawals), step-up."""

from __future__ import annotations

from datetime import UTC, datetime, time

from tortoise.expressions import Q
from tortoise.functions import Sum

from app.errors import LimitExceeded
from app.identity.documents import CHINA_TZ
from app.settings import Settings
from models import Transfer, TransferKind, TransferState


def day_start(now: datetime | None = None) -> datetime:
    """Midnight in Asia/Shanghai today, as a UTC instant."""
    local = (now or datetime.now(UTC)).astimezone(CHINA_TZ)
    return datetime.combine(local.date(), time.min, tzinfo=CHINA_TZ).astimezone(UTC)


# Money out of a wallet, for the daily limit: transfers to people (held for acceptance included),
# red packets funded, refunds sent, and withdrawals (pending ones: their amount is held). A refused
# payout or a returned transfer is not. The PostgreSQL gate query in transfers.py says the same in SQL.
# Payments to shops (an order, or a merchant's static code) are money out of the payer's wallet too.
MONEY_OUT_SQL = ("((t.kind = 'P2P' AND t.state IN ('COMPLETED', 'AWAITING_ACCEPTANCE')) "
                 "OR (t.kind IN ('RED_PACKET', 'REFUND', 'ORDER_PAYMENT', 'MERCHANT_PAYMENT') "
                 "AND t.state = 'COMPLETED') "
                 "OR (t.kind = 'WITHDRAWAL' AND t.state IN ('PENDING', 'COMPLETED')))")


def _money_out(*, to_people_only: bool = False) -> Q:
    out = (Q(kind=TransferKind.P2P, state__in=[TransferState.COMPLETED, TransferState.AWAITING_ACCEPTANCE])
           | Q(kind__in=[TransferKind.RED_PACKET, TransferKind.REFUND, TransferKind.ORDER_PAYMENT,
                         TransferKind.MERCHANT_PAYMENT], state=TransferState.COMPLETED))
    if not to_people_only:
        out |= Q(kind=TransferKind.WITHDRAWAL, state__in=[TransferState.PENDING, TransferState.COMPLETED])
    return out


async def sent_today_minor(payer_id: int, *, excluding: int | None = None) -> int:
    """What has left this user's wallet since midnight (Asia/Shanghai), as MONEY_OUT_SQL counts it."""
    query = Transfer.filter(_money_out(), payer_id=payer_id, created_at__gte=day_start())
    if excluding is not None:
        query = query.exclude(id=excluding)
    rows = await query.annotate(total=Sum("amount_minor")).values("total")
    return int(rows[0]["total"] or 0) if rows else 0


def check_per_transfer(settings: Settings, amount_minor: int) -> None:
    limit = settings.transfer_limit_minor
    if amount_minor > limit:
        raise LimitExceeded(limit="PER_TRANSFER", limit_minor=limit, remaining_minor=limit,
                            currency=settings.currency)


def check_daily_total(settings: Settings, used_minor: int, amount_minor: int) -> None:
    """`used_minor`: sent today, read with the payer's wallet locked."""
    limit = settings.daily_outgoing_limit_minor
    if used_minor + amount_minor > limit:
        raise LimitExceeded(limit="DAILY", limit_minor=limit, remaining_minor=max(0, limit - used_minor),
                            currency=settings.currency)


def needs_step_up(settings: Settings, amount_minor: int, sent_in_window_minor: int) -> bool:
    """A fresh code for one large payment, or when payments to people add up within the rolling window."""
    return (amount_minor >= settings.step_up_threshold_minor
            or sent_in_window_minor + amount_minor >= settings.step_up_window_minor)


async def sent_since_minor(payer_id: int, since: datetime, *, to_people_only: bool = False) -> int:
    """What has left this user's wallet since an instant (counted as `sent_today_minor` counts);
    `to_people_only`: transfers to other people, not withdrawals to one's own cards."""
    rows = await Transfer.filter(_money_out(to_people_only=to_people_only), payer_id=payer_id, created_at__gte=since) \
        .annotate(total=Sum("amount_minor")).values("total")
    return int(rows[0]["total"] or 0) if rows else 0


async def check_daily(settings: Settings, payer_id: int, amount_minor: int, *, excluding: int | None = None) -> None:
    """Authoritative when called with the payer's wallet locked (every transfer out locks it)."""
    limit = settings.daily_outgoing_limit_minor
    used = await sent_today_minor(payer_id, excluding=excluding)
    if used + amount_minor > limit:
        raise LimitExceeded(limit="DAILY", limit_minor=limit, remaining_minor=max(0, limit - used),
                            currency=settings.currency)
