"""What one sendMoney writes, row by row: the same on PostgreSQL (one statement, transfers._PAY) and
on SQLite (the ORM path), for a pair's first payment (the conversation is made) and a later one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.chat.conversations import direct_key
from app.payments.receipts import receipt
from models import (
    Conversation,
    Event,
    Journal,
    LedgerAccount,
    LedgerEntry,
    Message,
    MessageKind,
    Transfer,
    TransferKind,
    TransferState,
    User,
)
from tests.support import wallet_flows as wf
from tests.support.client import GraphQLClient
from tests.support.sinks import SmsSink


async def _check_written(payer_id: int, payee_id: int, transfer_gid: str, *, amount_minor: int, memo: str,
                         payer_after: int, payee_after: int) -> None:
    transfer = await Transfer.get(id=wf.db_id(transfer_gid))
    assert (transfer.kind, transfer.state, transfer.initiator_id, transfer.payer_id, transfer.payee_id) == (
        TransferKind.P2P, TransferState.COMPLETED, payer_id, payer_id, payee_id)
    assert (transfer.amount_minor, transfer.memo, transfer.failure_reason, transfer.card_id, transfer.request_id) == (
        amount_minor, memo, "", None, None)
    assert transfer.initiator_balance_after_minor == payer_after
    assert transfer.created_at is not None
    assert transfer.updated_at is not None

    journal = await Journal.get(transfer_id=transfer.id)
    entries = await LedgerEntry.filter(journal_id=journal.id).order_by("amount_minor")
    wallets = {a.user_id: a for a in await LedgerAccount.filter(user_id__in=[payer_id, payee_id])}
    assert [(e.account_id, e.amount_minor, e.balance_after_minor, e.counterparty_id) for e in entries] == [
        (wallets[payer_id].id, -amount_minor, payer_after, payee_id),
        (wallets[payee_id].id, amount_minor, payee_after, payer_id)]
    assert (wallets[payer_id].balance_minor, wallets[payee_id].balance_minor) == (payer_after, payee_after)

    conversation = await Conversation.get(direct_key=direct_key(payer_id, payee_id))
    message = await Message.get(transfer_id=transfer.id)
    assert (message.conversation_id, message.kind, message.author_id, message.amount_minor, message.memo,
            message.transfer_state) == (conversation.id, MessageKind.TRANSFER, payer_id, amount_minor, memo,
                                        "COMPLETED")
    assert conversation.last_message_id == message.id

    # Per user, in stream order: the message, then the receipt whose payload is what receipt() makes.
    names = {u.id: u.display_name for u in await User.filter(id__in=[payer_id, payee_id])}
    for user_id, kind, other, after in ((payer_id, "SENT", payee_id, payer_after),
                                        (payee_id, "RECEIVED", payer_id, payee_after)):
        paid, added = await Event.filter(user_id=user_id).order_by("-id").limit(2)  # newest first
        assert added.kind == "message.added"
        assert added.payload == {"conversationId": conversation.id, "messageId": message.id}
        assert paid.kind == "payment.receipt"
        expected = receipt(user_id, kind, transfer, balance_after_minor=after, counterparty_id=other,
                           counterparty_name=names[other], at=transfer.created_at).payload
        got = dict(paid.payload)
        assert abs((datetime.fromisoformat(str(got.pop("at"))) - transfer.created_at).total_seconds()) < 1
        assert got == {k: v for k, v in expected.items() if k != "at"}


async def test_a_payment_writes_the_transfer_ledger_message_and_events_as_the_orm_would(
        client: GraphQLClient, new_client: Callable[..., GraphQLClient], sms_sink: SmsSink) -> None:
    payer = await wf.funded_user(client, sms_sink, "50.00", name="Payer")
    payee = await wf.wallet_user(new_client(), sms_sink, name="Payee")
    payer_id, payee_id = wf.db_id(payer.user_id), wf.db_id(payee.user_id)
    first = await wf.send(payer, payee, amount="1.25", memo="first")  # makes the conversation
    assert first["__typename"] == "TransferSuccess", first
    assert first["wallet"]["balance"]["amount"] == "48.75"
    await _check_written(payer_id, payee_id, first["transfer"]["id"], amount_minor=125, memo="first",
                         payer_after=4875, payee_after=125)
    second = await wf.send(payer, payee, amount="0.75", memo="tea ☕")
    assert second["__typename"] == "TransferSuccess", second
    await _check_written(payer_id, payee_id, second["transfer"]["id"], amount_minor=75, memo="tea ☕",
                         payer_after=4800, payee_after=200)
