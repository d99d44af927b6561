"""Inputs of the collection code mutations."""

from __future__ import annotations

import strawberry

from schema.devices.types import PaymentApprovalInput
from schema.scalars import Decimal


@strawberry.input(description="A code that asks for a fixed amount.")
class CreateCollectionCodeInput:
    amount: Decimal = strawberry.field(description='The amount the code asks for, e.g. "25.00".')
    memo: str = strawberry.field(default="", description="What it is for, shown to the payer; up to 40 characters.")


@strawberry.input(description="One of your collection codes to revoke.")
class RevokeCollectionCodeInput:
    code_id: strawberry.ID = strawberry.field(description="The code's `id`.")


@strawberry.input(description="Pay whoever a scanned collection code names.")
class PayByCodeInput:
    payload: str = strawberry.field(description="The code's payload as scanned (its QR text).")
    amount: Decimal | None = strawberry.field(
        default=None, description='e.g. "12.34". Required for a static code; for a fixed-amount code leave it out '
                                  "or give exactly the code's amount.")
    memo: str = strawberry.field(default="", description="Up to 100 characters; empty: the code's own memo.")
    pin: str | None = strawberry.field(
        default=None, description="Your payment PIN; or leave it out and give `approval` from an enrolled device.")
    approval: PaymentApprovalInput | None = strawberry.field(
        default=None, description="A device's approval of this payment instead of the PIN. With neither, the "
                                  "answer is VerificationRequiredError carrying the `deviceChallenge` to sign.")
    idempotency_key: str = strawberry.field(description="A fresh key (e.g. a UUID) per intended payment; "
                                                        "repeat it to retry safely.")
    step_up_code: str | None = strawberry.field(
        default=None, description="For large amounts: the STEP_UP code sent after the first attempt of this "
                                  "same payment (same idempotency key, code, amount and memo).")
