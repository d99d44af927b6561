"""GraphQL types of merchants and orders."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.cards import binding
from app.merchants import accounts, codes
from models import Merchant as MerchantModel
from models import MerchantOrder, OrderRefund, OrderState
from schema.context import Info
from schema.enums import register_enum
from schema.ids import encode_id
from schema.money import Money

register_enum(OrderState, name="OrderState", description="Where a merchant order stands.", values={
    "PENDING": "Waiting to be paid, until `expiresAt`.",
    "PAID": "Paid once; it may have been refunded in part (see `refunded`).",
    "EXPIRED": "Not paid in time; it can no longer be paid.",
    "REFUNDED": "Paid, then refunded in full.",
})


@strawberry.type(description="One of the owner's active bank cards a merchant may settle to (no number).")
class SettlementCard:
    id: strawberry.ID = strawberry.field(description="The card's global id (as its owner sees it in `cards`).")
    brand: str = strawberry.field(description="VISA, MASTERCARD, UNIONPAY, ...")
    last4: str = strawberry.field(description="The last four digits.")


@strawberry.type(description="The calling merchant (by its key): its name and wallet.")
class Merchant:
    id: strawberry.ID = strawberry.field(description="The merchant's global id.")
    name: str = strawberry.field(description="The shop's name, as payers see it.")
    _model: strawberry.Private[MerchantModel]

    @classmethod
    def from_model(cls, m: MerchantModel) -> Merchant:
        return cls(id=strawberry.ID(encode_id("Merchant", m.id)), name=m.name, _model=m)

    @strawberry.field(description="What the merchant's wallet holds now (paid orders less refunds and payouts).")
    async def balance(self) -> Money:
        wallet = await accounts.wallet_of(self._model)
        return Money.of(wallet.balance_minor, wallet.currency)

    @strawberry.field(description="The shop's static collection code (kind MERCHANT, no amount): print it at "
                                  "the counter; a payer's `payByCode` with it pays the shop.")
    def static_code(self, info: Info) -> str:
        return codes.merchant_code(info.context.rt, self._model, info.context.rt.settings.currency)

    @strawberry.field(description="The owner's active bank cards, where `merchantWithdraw` can settle to.")
    async def settlement_cards(self) -> list[SettlementCard]:
        return [SettlementCard(id=strawberry.ID(encode_id("Card", c.id)), brand=c.brand.value, last4=c.last4)
                for c in await binding.active_cards(self._model.owner_id)]


@strawberry.type(description="A merchant order: created by the shop, paid once by a user, refundable in parts.")
class Order:
    id: strawberry.ID = strawberry.field(description="The order's global id: give it to `payOrder`.")
    merchant_order_id: str = strawberry.field(description="The shop's own reference for the order.")
    amount: Money = strawberry.field(description="What the order costs.")
    description: str = strawberry.field(description="What is bought, as the shop wrote it.")
    state: OrderState = strawberry.field(description="PENDING, PAID, EXPIRED or REFUNDED.")
    refunded: Money = strawberry.field(description="How much of the payment was refunded so far.")
    expires_at: datetime = strawberry.field(description="After this instant a PENDING order cannot be paid.")
    paid_at: datetime | None = strawberry.field(description="When it was paid; null if it was not.")
    created_at: datetime = strawberry.field(description="When the shop created it.")
    _model: strawberry.Private[MerchantOrder]

    @classmethod
    def from_model(cls, m: MerchantOrder) -> Order:
        return cls(id=strawberry.ID(encode_id("Order", m.id)), merchant_order_id=m.merchant_order_id,
                   amount=Money.of(m.amount_minor, m.currency), description=m.description, state=m.state,
                   refunded=Money.of(m.refunded_minor, m.currency), expires_at=m.expires_at, paid_at=m.paid_at,
                   created_at=m.created_at, _model=m)

    @strawberry.field(description="The order's signed code (kind ORDER, its fixed amount): show it as a QR code; "
                                  "the payer reads the order with `orderByCode` and pays it with `payOrder`.")
    def code(self, info: Info) -> str:
        return codes.order_code(info.context.rt, self._model)

    @strawberry.field(description="The shop's name.")
    async def merchant_name(self) -> str:
        merchant = await MerchantModel.get(id=self._model.merchant_id)
        return merchant.name


@strawberry.type(description="One refund of an order.")
class OrderRefundRecord:
    amount: Money = strawberry.field(description="What this refund gave back.")
    reason: str = strawberry.field(description="Why, as the shop wrote it.")
    created_at: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_model(cls, m: OrderRefund, currency: str) -> OrderRefundRecord:
        return cls(amount=Money.of(m.amount_minor, currency), reason=m.reason, created_at=m.created_at)
