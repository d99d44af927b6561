"""Payment PINs, the double-entry ledger, transfers and bank cards.

Amounts are integers in minor units (fen). Only app.ledger writes balances and entries, and an
entry is never updated or deleted: corrections are new journals.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.users import User


class PaymentPin(Model):
    """A payment PIN as a keyed verifier (app.pin.verifier), with its attempt counters."""

    # failed_attempts counts consecutive wrong PINs. A check holds this row's lock (FOR UPDATE) from
    # reading the counters to writing the outcome, so checks of one PIN run one at a time and no
    # clock can free a slot while a check runs (see app.pin.attempts).
    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="payment_pin", on_delete=fields.CASCADE)
    pin_hash = fields.CharField(max_length=255)
    # The PIN key that made pin_hash; "" = argon2id (rows from before keyed verifiers get it on upgrade).
    key_id = fields.CharField(max_length=16, default="", db_default="")
    failed_attempts = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    # When the last locks began (ISO instants, newest last, at most three): three in 24 h lock
    # the PIN until it is reset.
    recent_locks: list[str] | None = fields.JSONField(default=list, null=True)
    reset_required = fields.BooleanField(default=False, db_default=False)
    # Unused since the row lock is the attempt slot. Kept for now: removing a column rebuilds the
    # table on SQLite, and Tortoise's rebuild drops its unique index; drop them in the combined migration.
    attempts_in_flight = fields.IntField(default=0)
    attempt_started_at = fields.DatetimeField(null=True)
    changed_at = fields.DatetimeField()

    user_id: int

    class Meta:
        table = "payment_pins"


class AccountKind(StrEnum):
    USER_WALLET = "USER_WALLET"
    CARD_CLEARING = "CARD_CLEARING"
    WITHDRAWAL_HOLDS = "WITHDRAWAL_HOLDS"
    RED_PACKET = "RED_PACKET"
    PENDING_TRANSFERS = "PENDING_TRANSFERS"
    MERCHANT_WALLET = "MERCHANT_WALLET"


class LedgerAccount(Model):
    """A ledger account: the wallet of a user, or a system account such as card clearing."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(AccountKind, max_length=20)
    user: fields.OneToOneNullableRelation[User] = fields.OneToOneField(
        "models.User", related_name="wallet", null=True, on_delete=fields.RESTRICT)
    system_code = fields.CharField(max_length=40, null=True, unique=True)
    currency = fields.CharField(max_length=3)
    balance_minor = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int | None

    class Meta:
        table = "ledger_accounts"
        constraints = (
            CheckConstraint(check="kind <> 'USER_WALLET' OR balance_minor >= 0",
                            name="ledger_accounts_wallet_not_negative"),
        )


class TransferKind(StrEnum):
    P2P = "P2P"
    TOP_UP = "TOP_UP"
    WITHDRAWAL = "WITHDRAWAL"
    RED_PACKET = "RED_PACKET"
    PACKET_SHARE = "PACKET_SHARE"
    PACKET_RETURN = "PACKET_RETURN"
    REFUND = "REFUND"
    ORDER_PAYMENT = "ORDER_PAYMENT"
    MERCHANT_PAYMENT = "MERCHANT_PAYMENT"
    ORDER_REFUND = "ORDER_REFUND"
    MERCHANT_PAYOUT = "MERCHANT_PAYOUT"


class TransferState(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    AWAITING_ACCEPTANCE = "AWAITING_ACCEPTANCE"
    RETURNED = "RETURNED"


class Transfer(Model):
    """One money movement a user asked for, unique per (initiator, idempotency key)."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(TransferKind, max_length=16)
    state = fields.CharEnumField(TransferState, max_length=20)
    initiator: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="initiated_transfers", on_delete=fields.RESTRICT)
    idempotency_key = fields.CharField(max_length=255)
    request_fingerprint = fields.CharField(max_length=64)
    payer_id = fields.BigIntField(null=True)
    payee_id = fields.BigIntField(null=True)
    card_id = fields.BigIntField(null=True)
    request_id = fields.BigIntField(null=True)
    amount_minor = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    memo = fields.CharField(max_length=100, default="")
    failure_reason = fields.CharField(max_length=40, default="")
    # The initiator's balance right after the movement: a replay of the key answers with it verbatim.
    initiator_balance_after_minor = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    initiator_id: int

    class Meta:
        table = "transfers"
        unique_together = (("initiator", "idempotency_key"),)
        constraints = (CheckConstraint(check="amount_minor > 0", name="transfers_amount_positive"),)
        indexes = (("payer_id", "kind", "created_at"),)


class JournalKind(StrEnum):
    TRANSFER = "TRANSFER"
    TOP_UP = "TOP_UP"
    WITHDRAWAL_HOLD = "WITHDRAWAL_HOLD"
    WITHDRAWAL_SETTLE = "WITHDRAWAL_SETTLE"
    WITHDRAWAL_VOID = "WITHDRAWAL_VOID"
    RED_PACKET = "RED_PACKET"
    PACKET_SHARE = "PACKET_SHARE"
    PACKET_RETURN = "PACKET_RETURN"
    TRANSFER_HOLD = "TRANSFER_HOLD"
    TRANSFER_ACCEPT = "TRANSFER_ACCEPT"
    TRANSFER_RETURN = "TRANSFER_RETURN"
    REFUND = "REFUND"
    MERCHANT_PAYMENT = "MERCHANT_PAYMENT"
    MERCHANT_REFUND = "MERCHANT_REFUND"


class Journal(Model):
    """A set of two or more entries that sum to zero, written in one transaction."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(JournalKind, max_length=20)
    transfer: fields.ForeignKeyRelation[Transfer] = fields.ForeignKeyField(
        "models.Transfer", related_name="journals", on_delete=fields.RESTRICT)
    description = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    transfer_id: int
    entries: fields.ReverseRelation[LedgerEntry]

    class Meta:
        table = "journals"


class EntryKind(StrEnum):
    """How an entry reads in its wallet's records. SYSTEM for system accounts."""

    SENT = "SENT"
    RECEIVED = "RECEIVED"
    TOP_UP = "TOP_UP"
    WITHDRAWAL = "WITHDRAWAL"
    REFUND = "REFUND"
    SYSTEM = "SYSTEM"


class LedgerEntry(Model):
    """One signed amount on one account. Never updated or deleted."""

    id = fields.BigIntField(primary_key=True)
    journal: fields.ForeignKeyRelation[Journal] = fields.ForeignKeyField(
        "models.Journal", related_name="entries", on_delete=fields.RESTRICT)
    account: fields.ForeignKeyRelation[LedgerAccount] = fields.ForeignKeyField(
        "models.LedgerAccount", related_name="entries", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(EntryKind, max_length=12)
    amount_minor = fields.BigIntField()
    balance_after_minor = fields.BigIntField()
    counterparty_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    journal_id: int
    account_id: int

    class Meta:
        table = "ledger_entries"
        indexes = (("account_id", "id"), ("account_id", "kind", "id"))
        constraints = (CheckConstraint(check="amount_minor <> 0", name="ledger_entries_amount_not_zero"),)


class CardBrand(StrEnum):
    VISA = "VISA"
    MASTERCARD = "MASTERCARD"
    AMEX = "AMEX"
    UNIONPAY = "UNIONPAY"
    JCB = "JCB"
    DISCOVER = "DISCOVER"


class CardStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"
    REMOVED = "REMOVED"


class Card(Model):
    """A bank card: brand, last four, expiry, holder and the processor token. Never the number."""

    # active_fingerprint holds the keyed fingerprint while the card is active, NULL otherwise:
    # its unique index refuses a second active binding of one card without a partial index.
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="cards", on_delete=fields.RESTRICT)
    brand = fields.CharEnumField(CardBrand, max_length=12)
    last4 = fields.CharField(max_length=4)
    expiry_month = fields.SmallIntField()
    expiry_year = fields.SmallIntField()
    holder_name = fields.CharField(max_length=100)
    processor_token = fields.CharField(max_length=100, default="")
    fingerprint = fields.CharField(max_length=64, db_index=True)
    active_fingerprint = fields.CharField(max_length=64, null=True, unique=True)
    # Which server key made the fingerprints (app/security/keyed.py); empty: made before key ids.
    fingerprint_key_id = fields.CharField(max_length=16, default="")
    status = fields.CharEnumField(CardStatus, max_length=8, default=CardStatus.PENDING)
    code_attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    activated_at = fields.DatetimeField(null=True)
    removed_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "cards"
        indexes = (("user_id", "status"),)
