"""Payment receipts and transfer state changes on each user's event stream.

Written inside the movement's transaction (app.events), published after commit by the relay.
Payload keys follow the contract shared with the chat and subscription modules.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from app import events
from app.ledger.amounts import format_amount
from models import Transfer, User


def global_id(type_name: str, db_id: int) -> str:
    """The Relay global id, the same string strawberry's `relay.to_base64` makes."""
    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def receipt(user_id: int, kind: str, transfer: Transfer, *, balance_after_minor: int, counterparty_id: int,
            counterparty_name: str, at: datetime) -> events.Pending:
    """The receipt of a payment between two people, to append in its transaction."""
    return events.Pending(user_id, "payment.receipt", {
        "transferId": global_id("Transfer", transfer.id),
        **receipt_fields(kind, amount_minor=transfer.amount_minor, currency=transfer.currency, memo=transfer.memo,
                         state=str(transfer.state), balance_after_minor=balance_after_minor,
                         counterparty_id=counterparty_id, counterparty_name=counterparty_name, at=at)})


def receipt_fields(kind: str, *, amount_minor: int, currency: str, memo: str, state: str, balance_after_minor: int,
                   counterparty_id: int, counterparty_name: str, at: datetime) -> dict[str, object]:
    """A receipt's payload but its `transferId`: for a statement that writes the transfer and its
    receipts at once and adds the id (`global_id("Transfer", id)`) itself."""
    return {
        "receiptKind": kind,
        "amount": format_amount(amount_minor, currency),
        "currency": currency,
        "balanceAfter": format_amount(balance_after_minor, currency),
        "counterpartyId": global_id("User", counterparty_id),
        "counterpartyName": counterparty_name,
        "memo": memo,
        "state": state,
        "at": at.isoformat(),
    }


async def record_receipt(user_id: int, kind: str, transfer: Transfer, *, balance_after_minor: int,
                         counterparty: User | None, state: str | None = None) -> None:
    """One receipt (SENT, RECEIVED, TOP_UP, WITHDRAWAL, REFUND) for one user, with that user's view."""
    await events.record([user_id], "payment.receipt", {
        "receiptKind": kind,
        "transferId": global_id("Transfer", transfer.id),
        "amount": format_amount(transfer.amount_minor, transfer.currency),
        "currency": transfer.currency,
        "balanceAfter": format_amount(balance_after_minor, transfer.currency),
        "counterpartyId": global_id("User", counterparty.id) if counterparty else None,
        "counterpartyName": counterparty.display_name if counterparty else None,
        "memo": transfer.memo,
        "state": state or str(transfer.state),
        "at": _now(),
    })


async def record_state_change(user_id: int, transfer: Transfer, state: str) -> None:
    await events.record([user_id], "transfer.state_changed", {
        "transferId": global_id("Transfer", transfer.id), "state": state, "at": _now()})
