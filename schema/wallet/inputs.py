"""Inputs of the wallet mutations. Amounts are Decimal strings, PINs and codes strings of digits."""

from __future__ import annotations

import strawberry

from schema.devices.types import PaymentApprovalInput
from schema.scalars import Decimal
from schema.users.types import CodeChannel


@strawberry.input(description="The first payment PIN.")
class SetPaymentPinInput:
    pin: str = strawberry.field(description="Six digits 0-9, not a pattern and not your birth date.")


@strawberry.input(description="Change the PIN with the current one.")
class ChangePaymentPinInput:
    old_pin: str = strawberry.field(description="The current PIN.")
    new_pin: str = strawberry.field(description="Six ASCII digits, not trivially weak, not the old one.")


@strawberry.input(description="A new PIN for who forgot theirs: a RESET_PIN code and the identity document.")
class ResetPaymentPinInput:
    code: str = strawberry.field(description="A RESET_PIN code from `requestVerificationCode`.")
    document_number: str = strawberry.field(description="The number of your verified identity document.")
    new_pin: str = strawberry.field(description="Six ASCII digits, not trivially weak.")
    channel: CodeChannel = strawberry.field(default=CodeChannel.SMS, description="Where the code was sent.")


@strawberry.input(description="A card to link; the number and CVV go to the bank once and are never stored.")
class BindCardInput:
    number: str = strawberry.field(description="The card number; spaces and dashes are ignored. Never stored.")
    expiry_month: int = strawberry.field(description="1 to 12.")
    expiry_year: int = strawberry.field(description="Four digits, e.g. 2030 (two digits are read as 20xx).")
    cvv: str = strawberry.field(description="Checked by the bank once, never stored.")
    holder_name: str = strawberry.field(description="As on the card; must match your verified name.")
    pin: str = strawberry.field(description="The payment PIN.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Optional: a fresh key (e.g. a UUID) per intended change; repeat it to retry "
                                  "safely and get the first result.")


@strawberry.input(description="Complete a card binding with the bank's code.")
class ConfirmCardBindingInput:
    binding_id: strawberry.ID = strawberry.field(
        description="The `card.id` that `bindCard` answered (CardBindingStarted).")
    code: str = strawberry.field(description="The code your bank sent by SMS.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Optional: a fresh key (e.g. a UUID) per intended change; repeat it to retry "
                                  "safely and get the first result.")


@strawberry.input(description="Unlink a card.")
class RemoveCardInput:
    card_id: strawberry.ID = strawberry.field(description="The card's id.")
    pin: str = strawberry.field(description="The payment PIN.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Optional: a fresh key (e.g. a UUID) per intended change; repeat it to retry "
                                  "safely and get the first result.")


@strawberry.input(description="Money between a linked card and the wallet (`topUp`, `withdraw`).")
class CardMoneyInput:
    card_id: strawberry.ID = strawberry.field(description="An ACTIVE card's id.")
    amount: Decimal = strawberry.field(description='e.g. "100.00"')
    pin: str | None = strawberry.field(
        default=None, description="Your payment PIN; or leave it out and give `approval` from an enrolled device.")
    approval: PaymentApprovalInput | None = strawberry.field(
        default=None, description="A device's approval of this payment instead of the PIN (see sendMoney).")
    idempotency_key: str = strawberry.field(description="A fresh key (e.g. a UUID) per intended payment; "
                                                        "repeat it to retry safely.")


@strawberry.input(description="Exactly one of userId or phone.")
class RecipientInput:
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="A user's global id (`findUser` gives it).")
    phone: str | None = strawberry.field(default=None, description="The payee's phone number, any spelling.")


@strawberry.input(description="A transfer to another user's wallet.")
class SendMoneyInput:
    to: RecipientInput = strawberry.field(description="The payee.")
    amount: Decimal = strawberry.field(description='e.g. "12.34"')
    memo: str = strawberry.field(default="", description="Up to 100 characters, no control characters.")
    pin: str | None = strawberry.field(
        default=None, description="Your payment PIN; or leave it out and give `approval` from an enrolled device.")
    approval: PaymentApprovalInput | None = strawberry.field(
        default=None, description="A device's approval of this payment instead of the PIN. With neither, the "
                                  "answer is VerificationRequiredError carrying the `deviceChallenge` to sign.")
    idempotency_key: str = strawberry.field(description="A fresh key (e.g. a UUID) per intended payment; "
                                                        "repeat it to retry safely.")
    step_up_code: str | None = strawberry.field(
        default=None, description="For large amounts: the STEP_UP code sent after the first attempt of this "
                                  "same payment (same idempotency key, payee, amount and memo); it confirms "
                                  "no other.")
    require_acceptance: bool = strawberry.field(
        default=False, description="Hold the money until the recipient accepts it (it returns by itself "
                                   "after TRANSFER_ACCEPT_HOURS); recipients with MANUAL acceptance always get this.")
