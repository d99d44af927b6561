"""Money as the API shows it: an exact decimal string with its currency."""

from __future__ import annotations

import strawberry

from app.ledger.amounts import format_amount
from schema.scalars import Decimal


@strawberry.type(description="An exact amount of money.")
class Money:
    amount: Decimal = strawberry.field(description='A decimal string, e.g. "12.34".')
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY.")

    @classmethod
    def of(cls, minor: int, currency: str) -> Money:
        return cls(amount=Decimal(format_amount(minor, currency)), currency=currency)
