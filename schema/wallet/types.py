"""GraphQL types of the wallet: balance and limits, records, transfers and their journals, cards."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import strawberry
from strawberry import relay

from app.errors import InvalidInput
from app.payments import limits, records
from app.payments.records import Counterparty
from models import Card as CardModel
from models import EntryKind, LedgerAccount, LedgerEntry
from models import Transfer as TransferModel
from schema.context import Info
from schema.devices.types import PaymentDevice
from schema.enums import register_enum
from schema.ids import parse_db_id
from schema.money import Money
from schema.users.types import UserProfile
from schema.wallet import loaders


class TransactionKind(StrEnum):
    SENT = "SENT"
    RECEIVED = "RECEIVED"
    TOP_UP = "TOP_UP"
    WITHDRAWAL = "WITHDRAWAL"
    REFUND = "REFUND"


register_enum(TransactionKind, name="TransactionKind",
              description="How a line of the payment records reads for the wallet's owner.",
              values={"SENT": "Money you sent to another user.", "RECEIVED": "Money another user sent you.",
                      "TOP_UP": "Money from your card into the wallet.",
                      "WITHDRAWAL": "Money from the wallet to your card.",
                      "REFUND": "Money returned to you."})


@strawberry.input(description="Which records to list; every part is optional.")
class TransactionFilter:
    kinds: list[TransactionKind] | None = strawberry.field(
        default=None, description="Only these kinds; all kinds when null.")
    from_: datetime | None = strawberry.field(default=None, name="from", description="Inclusive.")
    to: datetime | None = strawberry.field(default=None, description="Exclusive.")


@strawberry.type(description="One movement of one ledger account inside a journal.")
class JournalEntry:
    account_kind: str = strawberry.field(description="USER_WALLET, CARD_CLEARING or WITHDRAWAL_HOLDS.")
    yours: bool = strawberry.field(description="True for an entry on your own wallet.")
    amount: Money = strawberry.field(description="Signed: negative leaves the account.")


@strawberry.type(description="A balanced set of entries (they sum to zero), written in one transaction.")
class Journal:
    kind: str = strawberry.field(description="TRANSFER, TOP_UP, WITHDRAWAL_HOLD, WITHDRAWAL_SETTLE or "
                                             "WITHDRAWAL_VOID.")
    description: str = strawberry.field(description="Why, e.g. the decline reason of a voided withdrawal.")
    created_at: datetime = strawberry.field(description="When the journal was written.")
    entries: list[JournalEntry] = strawberry.field(description="Its entries; they sum to zero.")


@strawberry.type(description="One movement of money a user asked for: a transfer, a top-up or a withdrawal.")
class Transfer(relay.Node):
    id: relay.NodeID[int]
    kind: str = strawberry.field(description="P2P, TOP_UP or WITHDRAWAL.")
    state: str = strawberry.field(description="PENDING, COMPLETED or FAILED.")
    amount: Money = strawberry.field(description="Always positive; see the records for your side's sign.")
    memo: str = strawberry.field(
        description="The payer's note, up to 100 characters; empty for top-ups and withdrawals.")
    failure_reason: str | None = strawberry.field(
        description="Why it failed (e.g. the bank's decline reason); null unless FAILED.")
    created_at: datetime = strawberry.field(description="When it was asked for.")
    updated_at: datetime = strawberry.field(description="When its state last changed.")
    _model: strawberry.Private[TransferModel]

    @classmethod
    def from_model(cls, m: TransferModel) -> Transfer:
        return cls(id=m.id, kind=m.kind.value, state=m.state.value, amount=Money.of(m.amount_minor, m.currency),
                   memo=m.memo, failure_reason=m.failure_reason or None, created_at=m.created_at,
                   updated_at=m.updated_at, _model=m)

    @strawberry.field(description="Who paid and who was paid, as each may be seen.")
    async def parties(self, info: Info) -> list[UserProfile]:
        ids = [i for i in (self._model.payer_id, self._model.payee_id) if i]
        return [_profile(c) for c in await loaders.people(info).load_many(ids) if c is not None]

    @strawberry.field(description="The ledger journals of this transfer, oldest first.")
    async def journal(self, info: Info) -> list[Journal]:
        viewer = info.context.require_viewer()
        return [Journal(kind=j.kind.value, description=j.description, created_at=j.created_at,
                        entries=[_entry(e, viewer.id) for e in j.entries])
                for j in await loaders.journals(info).load(self.id)]

    @strawberry.field(description="The enrolled device that approved this payment instead of the PIN; null when "
                                  "the PIN approved it, and for the other party.")
    async def approved_by_device(self, info: Info) -> PaymentDevice | None:
        viewer = info.context.viewer
        m = self._model
        if viewer is None or m.initiator_id != viewer.id or not m.idempotency_key:
            return None
        device = await loaders.approving_devices(info).load((m.initiator_id, m.idempotency_key))
        return PaymentDevice.from_model(device) if device is not None else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        viewer = info.context.viewer
        ids = [parse_db_id(n) or 0 for n in node_ids]
        found = await records.transfers_for(viewer.id, ids) if viewer else {}
        return [cls.from_model(found[i]) if i in found else None for i in ids]


def _entry(e: LedgerEntry, viewer_id: int) -> JournalEntry:
    account: LedgerAccount = e.account
    return JournalEntry(account_kind=account.kind.value, yours=account.user_id == viewer_id,
                        amount=Money.of(e.amount_minor, account.currency))


def _profile(c: Counterparty) -> UserProfile:
    return UserProfile.from_model(c.user, c.identity)


@strawberry.type(description="One line of the payment records, from the wallet owner's side.")
class WalletTransaction:
    id: strawberry.ID = strawberry.field(description="Stable id of this record line.")
    kind: TransactionKind = strawberry.field(
        description="How the line reads for you: SENT, RECEIVED, TOP_UP, WITHDRAWAL or REFUND.")
    amount: Money = strawberry.field(description="Signed: negative when money left the wallet.")
    balance_after: Money = strawberry.field(description="The wallet balance right after this line.")
    counterparty: UserProfile | None = strawberry.field(
        description="The other user of a transfer; null for top-ups and withdrawals.")
    memo: str = strawberry.field(description="The transfer's memo.")
    created_at: datetime = strawberry.field(description="When the money moved.")
    transfer: Transfer = strawberry.field(description="The transfer this line belongs to.")

    @classmethod
    def from_record(cls, r: records.Record) -> WalletTransaction:
        e, currency = r.entry, r.transfer.currency
        return cls(id=strawberry.ID(relay.to_base64("WalletTransaction", e.id)), kind=TransactionKind(e.kind.value),
                   amount=Money.of(e.amount_minor, currency), balance_after=Money.of(e.balance_after_minor, currency),
                   counterparty=_profile(r.counterparty) if r.counterparty else None, memo=r.transfer.memo,
                   created_at=e.created_at, transfer=Transfer.from_model(r.transfer))


@strawberry.type(description="One record line and its page cursor.")
class WalletTransactionEdge:
    cursor: str = strawberry.field(
        description="Pass as `after` for the lines after this one (a page cursor, not a stream cursor).")
    node: WalletTransaction = strawberry.field(description="The record line.")


@strawberry.type(description="Payment records, newest first, in keyset pages.")
class WalletTransactionConnection:
    edges: list[WalletTransactionEdge] = strawberry.field(description="The lines of this page.")
    page_info: relay.PageInfo = strawberry.field(description="Whether there are more, and the cursors to get them.")


@strawberry.type(description="What may be sent, and when a fresh SMS code is needed on top of the PIN.")
class WalletLimits:
    per_transfer: Money = strawberry.field(description="The most one transfer or withdrawal may move.")
    daily: Money = strawberry.field(description="Money out (transfers and withdrawals) per Asia/Shanghai day.")
    sent_today: Money = strawberry.field(description="Transfers and withdrawals since midnight Asia/Shanghai.")
    daily_remaining: Money = strawberry.field(description="What may still go out today (Asia/Shanghai day).")
    step_up_threshold: Money = strawberry.field(description="From this amount a STEP_UP code is needed.")


PageSize = Annotated[int, strawberry.argument(description="How many lines, 1 to the server's page size.")]
PageAfter = Annotated[str | None, strawberry.argument(
    description="An `edges.cursor` of an earlier page: continue after it.")]
RecordsFilter = Annotated[TransactionFilter | None, strawberry.argument(
    description="Narrow by kind and time; null for everything.")]


@strawberry.type(description="The signed-in user's wallet.")
class Wallet:
    balance: Money = strawberry.field(description="What the wallet holds now.")
    created_at: datetime = strawberry.field(description="When `openWallet` opened it.")
    _model: strawberry.Private[LedgerAccount]

    @classmethod
    def from_model(cls, m: LedgerAccount) -> Wallet:
        return cls(balance=Money.of(m.balance_minor, m.currency), created_at=m.created_at, _model=m)

    @strawberry.field(description="Transfer limits and what is left of today's.")
    async def limits(self, info: Info) -> WalletLimits:
        s, cur = info.context.rt.settings, self._model.currency
        sent = await limits.sent_today_minor(self._model.user_id or 0)
        return WalletLimits(per_transfer=Money.of(s.transfer_limit_minor, cur),
                            daily=Money.of(s.daily_outgoing_limit_minor, cur), sent_today=Money.of(sent, cur),
                            daily_remaining=Money.of(max(0, s.daily_outgoing_limit_minor - sent), cur),
                            step_up_threshold=Money.of(s.step_up_threshold_minor, cur))

    @strawberry.field(description="Payment records, newest first. `first` is at most the server's page size.")
    async def transactions(self, info: Info, first: PageSize = 20, after: PageAfter = None,
                           filter: RecordsFilter = None) -> WalletTransactionConnection:
        max_page = info.context.rt.settings.max_page_size
        if not 1 <= first <= max_page:
            raise InvalidInput("first", f"must be 1 to {max_page}")
        page = await records.wallet_records(
            self._model.user_id or 0, first=first, before_entry_id=parse_cursor(after),
            kinds=[EntryKind(k.value) for k in (filter.kinds or [])] if filter else [],
            since=_aware(filter.from_, "filter.from") if filter else None,
            until=_aware(filter.to, "filter.to") if filter else None, account_id=self._model.id)
        edges = [WalletTransactionEdge(cursor=entry_cursor(r.entry.id), node=WalletTransaction.from_record(r))
                 for r in page.records]
        return WalletTransactionConnection(edges=edges, page_info=relay.PageInfo(
            has_next_page=page.has_next, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))


def _aware(moment: datetime | None, field: str) -> datetime | None:
    """A moment without an offset names no instant: refused rather than guessed."""
    if moment is not None and moment.utcoffset() is None:
        raise InvalidInput(field, "needs a time zone offset, e.g. 2026-01-01T00:00:00+08:00")
    return moment


def entry_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"e:{entry_id}".encode()).decode()


def parse_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        kind, _, raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii").partition(":")
    except (ValueError, UnicodeError):
        kind, raw = "", ""
    if kind != "e" or parse_db_id(raw) is None:
        raise InvalidInput("after", "is not a cursor this list gave out")
    return int(raw)


@strawberry.type(description="A bank card linked to the wallet. Only brand and last four digits are shown.")
class Card(relay.Node):
    id: relay.NodeID[int]
    brand: str = strawberry.field(description="VISA, MASTERCARD, AMEX, UNIONPAY, JCB or DISCOVER.")
    last4: str = strawberry.field(description="The last four digits of the card number.")
    expiry_month: int = strawberry.field(description="1 to 12.")
    expiry_year: int = strawberry.field(description="Four digits, e.g. 2030.")
    holder_name: str = strawberry.field(description="The name on the card (the verified real name).")
    status: str = strawberry.field(description="PENDING (awaiting the bank's code), ACTIVE, FAILED or REMOVED.")
    created_at: datetime = strawberry.field(description="When the binding started.")

    @classmethod
    def from_model(cls, m: CardModel) -> Card:
        return cls(id=m.id, brand=m.brand.value, last4=m.last4, expiry_month=m.expiry_month,
                   expiry_year=m.expiry_year, holder_name=m.holder_name, status=m.status.value,
                   created_at=m.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> Any:
        viewer = info.context.viewer
        ids = [parse_db_id(n) or 0 for n in node_ids]
        rows = {c.id: c for c in await CardModel.filter(id__in=ids, user_id=viewer.id)} if viewer else {}
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]
