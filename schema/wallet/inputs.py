"""Inputs of the wallet mutations. Amounts are Decimal strings, PINs and codes strings of digits."""

from __future__ import annotations

import strawberry

from schema.scalars import Decimal
from schema.users.types import CodeChannel


@strawberry.input
class SetPaymentPinInput:
    pin: str = strawberry.field(description="Six digits 0-9, not a pattern and not your birth date.")


@strawberry.input
class ChangePaymentPinInput:
    old_pin: str
    new_pin: str


@strawberry.input
class ResetPaymentPinInput:
    code: str = strawberry.field(description="A RESET_PIN code from `requestVerificationCode`.")
    document_number: str = strawberry.field(description="The number of your verified identity document.")
    new_pin: str
    channel: CodeChannel = strawberry.field(default=CodeChannel.SMS, description="Where the code was sent.")


@strawberry.input
class BindCardInput:
    number: str = strawberry.field(description="The card number; spaces and dashes are ignored. Never stored.")
    expiry_month: int
    expiry_year: int = strawberry.field(description="Four digits, e.g. 2030 (two digits are read as 20xx).")
    cvv: str = strawberry.field(description="Checked by the bank once, never stored.")
    holder_name: str = strawberry.field(description="As on the card; must match your verified name.")
    pin: str


@strawberry.input
class ConfirmCardBindingInput:
    binding_id: strawberry.ID = strawberry.field(description="`binding.card.id` from `bindCard`.")
    code: str = strawberry.field(description="The code your bank sent by SMS.")


@strawberry.input
class RemoveCardInput:
    card_id: strawberry.ID
    pin: str


@strawberry.input
class CardMoneyInput:
    card_id: strawberry.ID
    amount: Decimal = strawberry.field(description='e.g. "100.00"')
    pin: str
    idempotency_key: str = strawberry.field(description="A fresh key (e.g. a UUID) per intended payment; "
                                                        "repeat it to retry safely.")


@strawberry.input(description="Exactly one of userId or phone.")
class RecipientInput:
    user_id: strawberry.ID | None = None
    phone: str | None = None


@strawberry.input
class SendMoneyInput:
    to: RecipientInput
    amount: Decimal = strawberry.field(description='e.g. "12.34"')
    memo: str = strawberry.field(default="", description="Up to 100 characters, no control characters.")
    pin: str
    idempotency_key: str = strawberry.field(description="A fresh key (e.g. a UUID) per intended payment; "
                                                        "repeat it to retry safely.")
    step_up_code: str | None = strawberry.field(
        default=None, description="For large amounts: the STEP_UP code sent after the first attempt of this "
                                  "same payment (same idempotency key, payee, amount and memo); it confirms "
                                  "no other.")
    require_acceptance: bool = strawberry.field(
        default=False, description="Hold the money until the recipient accepts it (it returns by itself "
                                   "after TRANSFER_ACCEPT_HOURS); recipients with MANUAL acceptance always get this.")
