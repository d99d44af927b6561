"""How a payment shows in chat: a TRANSFER message in the payer/payee direct conversation.

Payments call this module inside the payment's transaction; chat never calls back into payments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from app import events
from app.chat.announce import MESSAGE_ADDED, announce
from app.chat.conversations import direct_between, direct_key, touch
from app.events import Pending
from models import Message, MessageKind

# The stream locks of everyone the transaction reaches, and the pair's conversation, in one round trip.
# (The lock subquery is app.events.LOCK_MANY: key order, one pass.)
_LOCK_AND_FIND = """
SELECT (SELECT count(*) FROM (SELECT pg_advisory_xact_lock($1, k)
          FROM (SELECT DISTINCT k FROM unnest($2::int[]) AS k ORDER BY k) AS ordered) AS held) AS held,
       (SELECT id FROM conversations WHERE direct_key = $3) AS conversation_id"""

# The message, the conversation's last activity and every event of the payment in one statement:
# message.added for both parties (with the new message's id), then the rows handed in, in order.
_POST = """
WITH m AS (INSERT INTO messages (conversation_id, kind, author_id, text, created_at, transfer_id, amount_minor,
                                 currency, memo, transfer_state, request_id)
           VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8, $9, $10) RETURNING id),
     c AS (UPDATE conversations SET last_message_id = (SELECT id FROM m), last_activity_at = $4 WHERE id = $1)
INSERT INTO events (user_id, kind, payload, created_at)
SELECT e.user_id, e.kind,
       CASE WHEN e.payload IS NULL THEN jsonb_build_object('conversationId', $1::bigint, 'messageId', m.id)
            ELSE e.payload::jsonb END, $4
FROM m, unnest($11::bigint[], $12::text[], $13::text[]) WITH ORDINALITY AS e(user_id, kind, payload, n)
ORDER BY e.n"""


@dataclass(frozen=True)
class TransferNote:
    """What the message says: the transfer as its parties see it."""

    payer_id: int
    payee_id: int
    transfer_id: int
    amount_minor: int
    currency: str
    memo: str
    state: str


async def post_transfer_message(conn: BaseDBAsyncClient, note: TransferNote, *, at: datetime,
                                streams: Iterable[int], also: Sequence[Pending] = ()) -> None:
    """Inside the transfer's transaction: take the stream locks of `streams` (everyone whose stream
    this transaction writes: both parties, and for a paid request the request's conversation) in one
    sorted pass, then post the TRANSFER message (not editable, not recallable) into the pair's
    direct conversation and append its events followed by `also` (the receipts)."""
    pair = sorted({note.payer_id, note.payee_id})
    every = {*streams, *pair}
    if conn.capabilities.dialect != "postgres":
        await events.lock_streams(every)
        conversation = await direct_between(note.payer_id, note.payee_id)
        message = await Message.create(
            conversation_id=conversation.id, kind=MessageKind.TRANSFER, author_id=note.payer_id, text="",
            transfer_id=note.transfer_id, amount_minor=note.amount_minor, currency=note.currency,
            memo=note.memo[:200], transfer_state=note.state)
        await touch(conversation, message, at)
        await announce(conversation.id, MESSAGE_ADDED, messageId=message.id)
        await events.append(also)
        return
    rows = await conn.execute_query_dict(_LOCK_AND_FIND, [events.LOCK_SPACE, events.lock_keys(every),
                                                          direct_key(note.payer_id, note.payee_id)])
    conversation_id = rows[0]["conversation_id"]
    if conversation_id is None:  # the pair's first payment or message
        conversation_id = (await direct_between(note.payer_id, note.payee_id)).id
    rows_out = [Pending(uid, MESSAGE_ADDED, {}) for uid in pair] + list(also)
    await conn.execute_query_dict(_POST, [
        conversation_id, MessageKind.TRANSFER.value, note.payer_id, at, note.transfer_id, note.amount_minor,
        note.currency, note.memo[:200], note.state, None,
        [p.user_id for p in rows_out], [p.kind for p in rows_out],
        [events.payload_json(p.payload) if p.payload else None for p in rows_out]])


async def update_transfer_state(*, transfer_id: int, state: str) -> None:
    """Call inside the transaction that changes a transfer's state: its chat message follows."""
    message = await Message.filter(transfer_id=transfer_id, kind=MessageKind.TRANSFER).first()
    if message is None or message.transfer_state == state:
        return
    await Message.filter(id=message.id).update(transfer_state=state)
    await announce(message.conversation_id, "message.edited", messageId=message.id)
