"""Support work: agents take, answer and resolve tickets; users answer and reopen. And the case an
agent sees: the ticket's transfer with its journal, and the user's records around it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.chat import support
from app.errors import NotFound
from models import Journal as JournalModel
from models import Transfer as TransferModel
from schema.chat.types import SupportTicket, TicketTransfer, chat_user
from schema.context import Info
from schema.errors import (
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    RateLimitedError,
    TemporarilyUnavailableError,
)
from schema.ids import decode_id, encode_id
from schema.money import Money
from schema.people.outcome import attempt


@strawberry.type(description="One ledger entry of the ticket's transfer.")
class CaseEntry:
    account_kind: str = strawberry.field(description="USER_WALLET, CARD_CLEARING or WITHDRAWAL_HOLDS.")
    users: bool = strawberry.field(description="True for an entry on the ticket user's wallet.")
    amount: Money = strawberry.field(description="Signed: negative leaves the account.")
    balance_after: Money = strawberry.field(description="The account's balance after the entry.")


@strawberry.type(description="One journal of the ticket's transfer (its entries sum to zero).")
class CaseJournal:
    kind: str = strawberry.field(description="TRANSFER, TOP_UP, WITHDRAWAL_HOLD, WITHDRAWAL_SETTLE, ...")
    description: str = strawberry.field(description="Why, e.g. a decline reason.")
    created_at: datetime = strawberry.field(description="When it was written.")
    entries: list[CaseEntry] = strawberry.field(description="Its entries.")


@strawberry.type(description="What support sees for a ticket: the transfer, its journal, the records around it.")
class TicketCase:
    transfer: TicketTransfer = strawberry.field(description="The transfer, in its state now.")
    updated_at: datetime = strawberry.field(description="When the transfer last changed.")
    journal: list[CaseJournal] = strawberry.field(description="Its journals, oldest first.")
    records: list[TicketTransfer] = strawberry.field(
        description="The user's transfers just before and after it (it included), oldest first.")


async def ticket_transfer(info: Info, t: TransferModel) -> TicketTransfer:
    return TicketTransfer(transfer_id=strawberry.ID(encode_id("Transfer", t.id)), kind=str(t.kind),
                          state=str(t.state), amount=Money.of(t.amount_minor, t.currency), memo=t.memo,
                          created_at=t.created_at, payer=await chat_user(info, t.payer_id),
                          payee=await chat_user(info, t.payee_id), failure_reason=t.failure_reason or None)


def _journal(j: JournalModel, user_id: int) -> CaseJournal:
    return CaseJournal(kind=j.kind.value, description=j.description, created_at=j.created_at, entries=[
        CaseEntry(account_kind=e.account.kind.value, users=e.account.user_id == user_id,
                  amount=Money.of(e.amount_minor, e.account.currency),
                  balance_after=Money.of(e.balance_after_minor, e.account.currency)) for e in j.entries])


@strawberry.type(description="The ticket as it stands now.")
class TicketSuccess:
    ticket: SupportTicket = strawberry.field(description="The ticket.")


_Base = InvalidInputError | NotAuthenticatedError | NotFoundError | RateLimitedError | TemporarilyUnavailableError
TicketResult = Annotated[TicketSuccess | _Base, strawberry.union("TicketResult",
                     description="What support ticket changes answer: the ticket, or an error to handle.")]


@strawberry.input(description="One ticket.")
class TicketRefInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's global id.")


@strawberry.input(description="A reply in a ticket's thread.")
class ReplyToTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's global id.")
    text: str = strawberry.field(description="1 to 4,000 characters.")


@strawberry.input(description="Close a ticket with a note for its user.")
class ResolveTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's global id.")
    resolution: str = strawberry.field(description="What was found and done, 1 to 2,000 characters.")


def _ticket(gid: strawberry.ID) -> int:
    return decode_id(gid, "SupportTicket", "ticketId")


@strawberry.type
class SupportQuery:
    @strawberry.field(description="A ticket's case, for support agents and the ticket's user; null otherwise.")
    async def ticket_case(self, info: Info, ticket_id: Annotated[strawberry.ID, strawberry.argument(
            description="The ticket's global id.")]) -> TicketCase | None:
        viewer = info.context.require_viewer()
        try:
            ticket = await support.visible_ticket(viewer, _ticket(ticket_id))
        except NotFound:
            return None
        transfer, journals, records = await support.ticket_case(viewer, ticket)
        return TicketCase(transfer=await ticket_transfer(info, transfer), updated_at=transfer.updated_at,
                          journal=[_journal(j, ticket.user_id) for j in journals],
                          records=[await ticket_transfer(info, r) for r in records])


@strawberry.type
class SupportMutation:
    @strawberry.mutation(description="Support agents: take a ticket.")
    async def assign_ticket(self, info: Info, input: TicketRefInput) -> TicketResult:
        async def run() -> TicketSuccess:
            t = await support.assign_ticket(info.context.rt, info.context.require_viewer(),
                                            ticket_id=_ticket(input.ticket_id))
            return TicketSuccess(ticket=SupportTicket.from_model(t))
        return await attempt(run)

    @strawberry.mutation(description="Answer in a ticket's thread: an agent's answer waits for the user, the "
                                     "user's for an agent.")
    async def reply_to_ticket(self, info: Info, input: ReplyToTicketInput) -> TicketResult:
        async def run() -> TicketSuccess:
            t = await support.reply_to_ticket(info.context.rt, info.context.require_viewer(),
                                              ticket_id=_ticket(input.ticket_id), text=input.text)
            return TicketSuccess(ticket=SupportTicket.from_model(t))
        return await attempt(run)

    @strawberry.mutation(description="Support agents: resolve a ticket with a note; it leaves the queue.")
    async def resolve_ticket(self, info: Info, input: ResolveTicketInput) -> TicketResult:
        async def run() -> TicketSuccess:
            t = await support.resolve_ticket(info.context.rt, info.context.require_viewer(),
                                             ticket_id=_ticket(input.ticket_id), resolution=input.resolution)
            return TicketSuccess(ticket=SupportTicket.from_model(t))
        return await attempt(run)

    @strawberry.mutation(description="The ticket's user reopens it within 7 days of its resolution.")
    async def reopen_ticket(self, info: Info, input: TicketRefInput) -> TicketResult:
        async def run() -> TicketSuccess:
            t = await support.reopen_ticket(info.context.rt, info.context.require_viewer(),
                                            ticket_id=_ticket(input.ticket_id))
            return TicketSuccess(ticket=SupportTicket.from_model(t))
        return await attempt(run)
