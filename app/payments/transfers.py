"""Sending money from one wallet to another, in one transaction per attempt.

The transaction locks both wallets (id order), then the payer's PIN row, reads the idempotency key
and what the payer sent today and in the step-up window in the same round trip, checks everything,
and writes the transfer, its journal, the chat message and both receipts. A wrong PIN commits its
count and nothing else. A replay of a key answers what the first request answered.

`send_money` also decides whether the payment waits for the recipient (app/payments/acceptance.py):
the payer asked for it, or the payee accepts transfers by hand. On PostgreSQL the payee's setting is
one more column of the gate query; a payment that must wait leaves the transaction before writing
anything and goes to acceptance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from app import events
from app.chat.announce import MESSAGE_ADDED
from app.chat.conversations import direct_between, direct_key
from app.chat.transfer_messages import TransferNote, post_transfer_message
from app.devices import approval
from app.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    InvalidInput,
    NotFound,
    NotReachable,
    RecipientUnavailable,
    Requirement,
    VerificationRequired,
)
from app.events import Pending
from app.faults import crash_point
from app.identity.phones import normalise_phone
from app.ledger import book
from app.ledger.book import HeldWallet, Line
from app.payments import idempotency, limits
from app.payments.receipts import receipt, receipt_fields
from app.people import reach
from app.pin.attempts import PinState, check_format
from app.runtime import Runtime
from app.text import clean_text
from app.unit_of_work import money_transaction
from app.verification import codes
from app.verification.codes import Purpose
from models import (
    EntryKind,
    JournalKind,
    LedgerAccount,
    MessageKind,
    PaymentPin,
    Transfer,
    TransferAcceptance,
    TransferKind,
    TransferState,
    User,
    WalletPreference,
)
from models.events import Channel

MAX_MEMO_LENGTH = 100
STEP_UP_SENDS_PER_HOUR = 10

# The payer's PIN row (locked), the key's earlier transfer and what left the wallet since midnight
# and (to other people) within the step-up window: one round trip. Read with the wallet locked, the sums are exact.
_GATE = """
SELECT p.id, p.pin_hash, p.key_id, p.failed_attempts, p.locked_until, p.recent_locks, p.reset_required,
       (SELECT t.id FROM transfers t WHERE t.initiator_id = $1 AND t.idempotency_key = $2) AS previous_id,
       s.sent_today, s.sent_window,{REACH},
       (SELECT wp.transfer_acceptance FROM wallet_preferences wp WHERE wp.user_id = $5) AS payee_acceptance,
       (SELECT c.id FROM conversations c WHERE c.direct_key = $6) AS conversation_id
FROM payment_pins p CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(t.amount_minor) FILTER (WHERE t.created_at >= $3), 0) AS sent_today,
           COALESCE(SUM(t.amount_minor) FILTER (WHERE t.created_at >= $4 AND t.kind <> 'WITHDRAWAL'), 0)
               AS sent_window
    FROM transfers t
    WHERE t.payer_id = $1 AND t.created_at >= LEAST($3::timestamptz, $4::timestamptz)
      AND {MONEY_OUT}
) s
WHERE p.user_id = $1
FOR UPDATE OF p""".replace("{REACH}", reach.TRANSFER_FACTS_SQL).replace("{MONEY_OUT}", limits.MONEY_OUT_SQL)


@dataclass(frozen=True)
class Sent:
    """A payment's answer: the transfer and the payer's wallet as this payment left it."""

    transfer: Transfer
    wallet: LedgerAccount


@dataclass(frozen=True)
class Order:
    """One payment as asked for, checked for form; `request_id` when it pays a money request."""

    payer: User
    payee_id: int
    amount_minor: int
    currency: str
    memo: str
    key: str
    digest: str
    pin: str | None
    request_id: int | None = None
    stepped_up: bool = False
    device: approval.Assertion | None = None
    reach: reach.Reach = reach.Reach.TRANSFER  # CODE_PAYMENT: the payee's own code consents (app/codes/pay.py)

    @property
    def approval(self) -> approval.Payment:
        """What a device approves: this payment exactly (payee, amount, currency, memo, key)."""
        return approval.Payment(idempotency.fingerprint(self.key, self.digest), self.amount_minor, self.key)


@dataclass(frozen=True)
class _Gate:
    pin: PinState | None
    previous_id: int | None
    sent_today_minor: int
    sent_window_minor: int
    reachable: bool | None = None  # None: not read with the gate (SQLite, or no PIN row)
    payee_waits: bool | None = None  # the payee accepts transfers by hand; None: not read with the gate
    conversation_id: int | None = None  # the pair's direct conversation, when it exists and was read here


class _MustWait(Exception):
    """The payee accepts transfers by hand: nothing was written, the payment goes to acceptance."""


class Attachment(Protocol):
    """What a payment also does in its transaction (paying a request: re-check it, then note it)."""

    async def before(self, conn: BaseDBAsyncClient) -> Iterable[int]:
        """Check under lock before anything is written; returns the streams the payment also writes."""

    async def after(self, conn: BaseDBAsyncClient, transfer: Transfer) -> None:
        """Write what follows from the transfer (its streams are locked)."""


class _StepUpNeeded(Exception):
    pass


async def send_money(rt: Runtime, payer: User, *, payee_id: int, amount_minor: int, memo: str, pin: str | None,
                     idempotency_key: str, step_up_code: str | None = None,
                     device_assertion: str | None = None, require_acceptance: bool = False) -> Sent:
    """Move money to another user's wallet at most once per idempotency key; held for the payee's
    acceptance when the payer asks for it (`require_acceptance`) or the payee's settings say so."""
    from app.payments import acceptance  # it builds on this module's orders

    async def awaiting() -> Sent:
        return await acceptance.send_awaiting(rt, payer, payee_id=payee_id, amount_minor=amount_minor, memo=memo,
                                              pin=pin, idempotency_key=idempotency_key, step_up_code=step_up_code)

    # A PIN payment reads the payee's setting in its gate query; any other asks first, before a device
    # challenge is issued for a payment that acceptance would confirm with the PIN only.
    if require_acceptance or ((pin is None or device_assertion is not None)
                              and await acceptance.must_wait(payee_id, required_by_payer=False)):
        return await awaiting()
    order = make_order(rt, payer, payee_id=payee_id, amount_minor=amount_minor, memo=memo, pin=pin,
                       idempotency_key=idempotency_key, request_id=None)
    order = await approval.prepare(rt, order, device_assertion)
    try:
        return await _pay(rt, order, step_up_code=step_up_code, extra=None, route=True)
    except _MustWait:
        return await awaiting()


def make_order(rt: Runtime, payer: User, *, payee_id: int, amount_minor: int, memo: str, pin: str | None,
               idempotency_key: str, request_id: int | None) -> Order:
    """Check a payment's form (no database): memo, key, amount, PIN format, self, per-transfer cap."""
    s = rt.settings
    memo = clean_text(memo, "memo", max_length=MAX_MEMO_LENGTH)
    key = idempotency.check_key(idempotency_key)
    if amount_minor <= 0:
        raise InvalidInput("amount", "must be greater than zero")
    if pin is not None:
        check_format(pin)
    if payee_id == payer.id:
        raise RecipientUnavailable("SELF", "You cannot send money to yourself.")
    limits.check_per_transfer(s, amount_minor)
    digest = idempotency.fingerprint("P2P", payee_id, amount_minor, s.currency, memo, request_id)
    return Order(payer, payee_id, amount_minor, s.currency, memo, key, digest, pin, request_id)


async def pay(rt: Runtime, order: Order, *, step_up_code: str | None, extra: Attachment | None = None) -> Sent:
    """Run the payment's transaction; a step-up sends or spends a code between two runs of it."""
    return await _pay(rt, order, step_up_code=step_up_code, extra=extra, route=False)


async def _pay(rt: Runtime, order: Order, *, step_up_code: str | None, extra: Attachment | None,
               route: bool) -> Sent:
    """`route`: raise _MustWait (nothing written) when the payee accepts transfers by hand."""
    try:
        try:
            sent = await money_transaction(rt, lambda conn: _transaction(rt, conn, order, extra, route))
        except _StepUpNeeded:
            await _step_up(rt, order.payer, step_up_code, payment=idempotency.fingerprint(order.key, order.digest)[:32])
            sent = await money_transaction(rt, lambda conn: _transaction(rt, conn, replace(order, stepped_up=True),
                                                                         extra, route))
        crash_point(rt.settings, "transfer.after_commit")
        return sent
    except IntegrityError:
        # Another request of this initiator (a top-up, say) took the key first.
        previous = await idempotency.stored(order.payer.id, order.key, order.digest)
        if previous is None:
            raise
        wallet = await book.wallet_of(order.payer.id)
        assert wallet is not None, "a transfer's initiator has a wallet"
        return _answer(previous, wallet)


async def _transaction(rt: Runtime, conn: BaseDBAsyncClient, o: Order, extra: Attachment | None,
                       route: bool) -> Sent:
    s, now = rt.settings, rt.clock.now()
    wallets = await book.lock_user_wallets(conn, [o.payer.id, o.payee_id])
    mine, theirs = wallets.get(o.payer.id), wallets.get(o.payee_id)
    if mine is None:
        raise VerificationRequired([Requirement("WALLET")], "Open your wallet first.")
    gate = await _read_gate(conn, o, now, s.step_up_window_seconds)
    if route and (gate.payee_waits if gate.payee_waits is not None else await _payee_waits(o.payee_id)):
        raise _MustWait()
    if gate.previous_id is not None:
        return await _replay(o, gate.previous_id, mine.account)
    if theirs is None:
        if not await User.filter(id=o.payee_id).exists():
            raise NotFound("user")
        raise RecipientUnavailable("NO_WALLET", "This person has not opened a wallet yet.")
    if not (gate.reachable if gate.reachable is not None and o.reach == reach.Reach.TRANSFER
            else await reach.allowed(o.payer.id, o.payee_id, o.reach)):
        raise NotReachable()
    streams: set[int] = set(await extra.before(conn)) if extra is not None else set()
    if mine.account.balance_minor < o.amount_minor:
        raise InsufficientFunds(balance_minor=mine.account.balance_minor, amount_minor=o.amount_minor,
                                currency=mine.account.currency)
    if gate.pin is None:
        raise VerificationRequired([Requirement("PAYMENT_PIN")], "Set a payment PIN first.")
    await approval.check(rt, conn, gate.pin, o)  # the PIN, or the device assertion, in the same attempt gate
    limits.check_daily_total(s, gate.sent_today_minor, o.amount_minor)
    if not o.stepped_up and limits.needs_step_up(s, o.amount_minor, gate.sent_window_minor):
        raise _StepUpNeeded()
    if extra is None and conn.capabilities.dialect == "postgres":
        sent = await _move_at_once(conn, o, mine, theirs, gate.conversation_id, now)
    else:
        sent = await _move(conn, o, mine, theirs, streams, now)
    if extra is not None:
        await extra.after(conn, sent.transfer)
    crash_point(s, "transfer.before_commit")
    return sent


async def _read_gate(conn: BaseDBAsyncClient, o: Order, now: datetime, window_seconds: int) -> _Gate:
    today, window = limits.day_start(now), now - timedelta(seconds=window_seconds)
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(_GATE, [o.payer.id, o.key, today, window, o.payee_id,
                                                     direct_key(o.payer.id, o.payee_id)])
        if not rows:
            return _Gate(None, None, 0, 0)
        r = rows[0]
        reachable = reach.decide_transfer(blocked=r["reach_blocked"], messages_from=r["reach_messages_from"],
                                          is_contact=r["reach_is_contact"])
        return _Gate(PinState.of(r), r["previous_id"], int(r["sent_today"]), int(r["sent_window"]), reachable,
                     r["payee_acceptance"] == TransferAcceptance.MANUAL.value, r["conversation_id"])
    pin = await PaymentPin.get_or_none(user_id=o.payer.id)
    previous = await Transfer.get_or_none(initiator_id=o.payer.id, idempotency_key=o.key)
    return _Gate(PinState.of(pin) if pin else None, previous.id if previous else None,
                 await limits.sent_since_minor(o.payer.id, today),
                 await limits.sent_since_minor(o.payer.id, window, to_people_only=True))


async def _payee_waits(payee_id: int) -> bool:
    pref = await WalletPreference.get_or_none(user_id=payee_id)
    return pref is not None and pref.transfer_acceptance == TransferAcceptance.MANUAL


async def _move(conn: BaseDBAsyncClient, o: Order, mine: HeldWallet, theirs: HeldWallet, streams: set[int],
                now: datetime) -> Sent:
    payer_after = mine.account.balance_minor - o.amount_minor
    transfer = await Transfer.create(
        kind=TransferKind.P2P, state=TransferState.COMPLETED, initiator_id=o.payer.id, idempotency_key=o.key,
        request_fingerprint=o.digest, payer_id=o.payer.id, payee_id=o.payee_id, request_id=o.request_id,
        amount_minor=o.amount_minor, currency=o.currency, memo=o.memo, initiator_balance_after_minor=payer_after,
        created_at=now)
    await book.move(conn, JournalKind.TRANSFER, transfer.id, [
        Line(mine.account, -o.amount_minor, EntryKind.SENT, o.payee_id),
        Line(theirs.account, o.amount_minor, EntryKind.RECEIVED, o.payer.id),
    ], at=now)
    note = TransferNote(o.payer.id, o.payee_id, transfer.id, o.amount_minor, o.currency, o.memo,
                        TransferState.COMPLETED.value)
    await post_transfer_message(conn, note, at=now, streams=streams, also=[
        receipt(o.payer.id, "SENT", transfer, balance_after_minor=mine.account.balance_minor,
                counterparty_id=o.payee_id, counterparty_name=theirs.display_name, at=now),
        receipt(o.payee_id, "RECEIVED", transfer, balance_after_minor=theirs.account.balance_minor,
                counterparty_id=o.payer.id, counterparty_name=mine.display_name, at=now),
    ])
    return Sent(transfer, mine.account)


# A plain payment's whole write in one statement (PostgreSQL): the transfer, its journal, both
# balances and entries (app.ledger.book's movement CTEs), the stream locks of both parties (app.events:
# key order, one pass; every row that draws an event id or touches the conversation joins `l`, so the
# locks are held first), the TRANSFER message, the conversation's last activity, and the events in
# order: message.added for both parties, then both receipts, each given the transfer's global id.
_PAY = """
WITH t AS (INSERT INTO transfers (kind, state, initiator_id, idempotency_key, request_fingerprint, payer_id, payee_id,
                                  card_id, request_id, amount_minor, currency, memo, failure_reason,
                                  initiator_balance_after_minor, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $3, $6, NULL, NULL, $7, $8, $9, '', $10, $11, $11) RETURNING id),
     {MOVEMENT},
     l AS (SELECT count(*) AS held FROM (SELECT pg_advisory_xact_lock($12, k)
             FROM (SELECT DISTINCT k FROM unnest($13::int[]) AS k ORDER BY k) AS ordered) AS x),
     m AS (INSERT INTO messages (conversation_id, kind, author_id, text, created_at, transfer_id, amount_minor,
                                 currency, memo, transfer_state, request_id)
           SELECT $14::bigint, $15::text, $3::bigint, '', $11::timestamptz, t.id, $7::bigint, $8::text, $16::text,
                  $2::text, NULL
           FROM t RETURNING id),
     cv AS (UPDATE conversations c SET last_message_id = (SELECT id FROM m), last_activity_at = $11
            FROM l WHERE c.id = $14 AND l.held >= 0 RETURNING c.id),
     ev AS (INSERT INTO events (user_id, kind, payload, created_at)
            SELECT e.user_id, e.kind,
                   CASE WHEN e.payload IS NULL THEN jsonb_build_object('conversationId', $14::bigint, 'messageId', m.id)
                        ELSE e.payload::jsonb || jsonb_build_object(
                            'transferId', encode(convert_to('Transfer:' || t.id, 'UTF8'), 'base64')) END,
                   $11::timestamptz
            FROM l, t, m, unnest($17::bigint[], $18::text[], $19::text[])
                 WITH ORDINALITY AS e(user_id, kind, payload, n)
            ORDER BY e.n RETURNING id)
SELECT t.id, (SELECT count(*) FROM b) AS moved, (SELECT count(*) FROM e) AS entries,
       (SELECT count(*) FROM ev) AS events, (SELECT count(*) FROM cv) AS touched
FROM t"""
_PAY_FIRST_MOVEMENT_PARAM = 20


async def _move_at_once(conn: BaseDBAsyncClient, o: Order, mine: HeldWallet, theirs: HeldWallet,
                        conversation_id: int | None, now: datetime) -> Sent:
    """`_move` of a plain payment on PostgreSQL, in one round trip (the streams are the pair's)."""
    movement = book.movement(JournalKind.TRANSFER, [
        Line(mine.account, -o.amount_minor, EntryKind.SENT, o.payee_id),
        Line(theirs.account, o.amount_minor, EntryKind.RECEIVED, o.payer.id)])
    payer_after, payee_after = movement.afters
    if conversation_id is None:  # the pair's first payment or message
        conversation_id = (await direct_between(o.payer.id, o.payee_id)).id
    state = TransferState.COMPLETED.value
    receipts = [
        Pending(o.payer.id, "payment.receipt", receipt_fields(
            "SENT", amount_minor=o.amount_minor, currency=o.currency, memo=o.memo, state=state,
            balance_after_minor=payer_after, counterparty_id=o.payee_id, counterparty_name=theirs.display_name,
            at=now)),
        Pending(o.payee_id, "payment.receipt", receipt_fields(
            "RECEIVED", amount_minor=o.amount_minor, currency=o.currency, memo=o.memo, state=state,
            balance_after_minor=payee_after, counterparty_id=o.payer.id, counterparty_name=mine.display_name,
            at=now))]
    rows_out = [Pending(uid, MESSAGE_ADDED, {}) for uid in sorted({o.payer.id, o.payee_id})] + receipts
    sql = _PAY.replace("{MOVEMENT}", movement.ctes(_PAY_FIRST_MOVEMENT_PARAM, transfer="(SELECT id FROM t)",
                                                   at="$11::timestamptz"))
    rows = await conn.execute_query_dict(sql, [
        TransferKind.P2P.value, state, o.payer.id, o.key, o.digest, o.payee_id, o.amount_minor, o.currency, o.memo,
        payer_after, now, events.LOCK_SPACE, events.lock_keys([o.payer.id, o.payee_id]), conversation_id,
        MessageKind.TRANSFER.value, o.memo[:200],
        [p.user_id for p in rows_out], [p.kind for p in rows_out],
        [events.payload_json(p.payload) if p.payload else None for p in rows_out],
        *movement.params()])
    r = rows[0]
    if not (movement.written(int(r["moved"]), int(r["entries"])) and r["events"] == len(rows_out)
            and r["touched"] == 1):
        raise RuntimeError(f"a payment's write was partial: {dict(r)}")  # rolls the transaction back
    movement.done()
    transfer = Transfer(
        id=int(r["id"]), kind=TransferKind.P2P, state=TransferState.COMPLETED, initiator_id=o.payer.id,
        idempotency_key=o.key, request_fingerprint=o.digest, payer_id=o.payer.id, payee_id=o.payee_id, card_id=None,
        request_id=None, amount_minor=o.amount_minor, currency=o.currency, memo=o.memo, failure_reason="",
        initiator_balance_after_minor=payer_after, created_at=now, updated_at=now)
    transfer._saved_in_db = True
    return Sent(transfer, mine.account)


async def _replay(o: Order, previous_id: int, wallet: LedgerAccount) -> Sent:
    previous = await Transfer.get(id=previous_id)
    if previous.request_fingerprint != o.digest:
        raise IdempotencyConflict()
    return _answer(previous, wallet)


def _answer(transfer: Transfer, wallet: LedgerAccount) -> Sent:
    """The first answer again: the wallet as that payment left it (older rows: as it is now)."""
    balance = transfer.initiator_balance_after_minor
    if balance is None:
        return Sent(transfer, wallet)
    then = LedgerAccount(id=wallet.id, kind=wallet.kind, user_id=wallet.user_id, currency=wallet.currency,
                         balance_minor=balance, created_at=wallet.created_at)
    return Sent(transfer, then)


async def _step_up(rt: Runtime, payer: User, code: str | None, *, payment: str) -> None:
    """Large amounts need a fresh SMS code: send one, or spend the one given.

    The code is scoped to `payment` (a digest of the idempotency key and the request's fingerprint),
    so a code sent for one payment confirms that payment only: not another amount, payee or key."""
    if code is None:
        await rt.limiter.hit(f"step-up-send:{payer.id}", STEP_UP_SENDS_PER_HOUR, 3600)
        await codes.issue(rt, channel=Channel.SMS, destination=payer.phone, purpose=Purpose.STEP_UP, scope=payment)
        raise VerificationRequired([Requirement("CODE", Purpose.STEP_UP.value)],
                                   "A large payment: repeat it with the code we sent by SMS.")
    await codes.consume(rt, destination=payer.phone, purpose=Purpose.STEP_UP, code=code, field="stepUpCode",
                        scope=payment)


async def payee_id_by_phone(phone: str) -> int:
    """The account behind a phone number (any spelling), or NotFound."""
    user = await User.get_or_none(phone=normalise_phone(phone, field="to.phone"))
    if user is None:
        raise NotFound("user")
    return user.id
