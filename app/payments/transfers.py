"""Sending money from one wallet to another, in one transaction per attempt.

The transaction locks both wallets (id order), then the payer's PIN row, reads the idempotency key
and what the payer sent today and in the step-up window in the same round trip, checks everything,
and writes the transfer, its journal, the chat message and both receipts. A wrong PIN commits its
count and nothing else. A replay of a key answers what the first request answered.

On PostgreSQL a plain PIN payment (the PIN right on its first try, nothing in the way) takes the
path at once instead: its facts read without a lock, decided on here, then written by one call that
takes the same locks and writes only if the facts are still those (app/payments/transfer_sql.py);
two round trips and no transaction block. Anything else, and a payment whose facts moved in between,
takes the locked path, which gives every refusal its exact answer.

`send_money` also decides whether the payment waits for the recipient (app/payments/acceptance.py):
the payer asked for it, or the payee accepts transfers by hand. On PostgreSQL the payee's setting is
one more column of the gate query; a payment that must wait leaves the transaction before writing
anything and goes to acceptance.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from asyncpg.exceptions import UndefinedFunctionError  # type: ignore[import-untyped]
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError, OperationalError

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
from app.payments import idempotency, limits, transfer_sql
from app.payments.receipts import receipt, receipt_fields
from app.people import reach
from app.pin.attempts import PinState, check_format
from app.pin.verifier import Verifier
from app.runtime import Runtime
from app.text import clean_text
from app.unit_of_work import money_statement, money_transaction
from app.verification import codes
from app.verification.codes import Purpose
from models import (
    AccountKind,
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

log = logging.getLogger(__name__)
MAX_MEMO_LENGTH = 100
STEP_UP_SENDS_PER_HOUR = 10

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
        sent = await _pay_at_once(rt, order) if route and extra is None and order.device is None \
            and rt.settings.pay_at_once and rt.settings.is_postgres else None
        try:
            if sent is None:
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
        rows = await conn.execute_query_dict(transfer_sql.GATE, _gate_args(o, today, window)[:-1])
        return _gate_of(rows[0]) if rows else _Gate(None, None, 0, 0)
    pin = await PaymentPin.get_or_none(user_id=o.payer.id)
    previous = await Transfer.get_or_none(initiator_id=o.payer.id, idempotency_key=o.key)
    return _Gate(PinState.of(pin) if pin else None, previous.id if previous else None,
                 await limits.sent_since_minor(o.payer.id, today),
                 await limits.sent_since_minor(o.payer.id, window, to_people_only=True))


def _gate_args(o: Order, today: datetime, window: datetime) -> list[object]:
    """transfer_sql.FACTS' parameters (GATE's are the first six)."""
    return [o.payer.id, o.key, today, window, o.payee_id, direct_key(o.payer.id, o.payee_id),
            sorted({o.payer.id, o.payee_id})]


def _gate_of(r: Mapping[str, Any]) -> _Gate:
    """A gate from GATE's row, or from the same columns as FACTS' jsonb holds them."""
    reachable = reach.decide_transfer(blocked=r["reach_blocked"], messages_from=r["reach_messages_from"],
                                      is_contact=r["reach_is_contact"])
    return _Gate(PinState.of(r), r["previous_id"], int(r["sent_today"]), int(r["sent_window"]), reachable,
                 r["payee_acceptance"] == TransferAcceptance.MANUAL.value, r["conversation_id"])


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


class _PlainPayment:
    """A plain payment's one write (transfer_sql.PAY): its parameters from the held wallets, and the
    answer from PAY's row."""

    def __init__(self, o: Order, mine: HeldWallet, theirs: HeldWallet, conversation_id: int, now: datetime) -> None:
        self.order, self.wallet, self.now = o, mine.account, now
        self.movement = book.movement(JournalKind.TRANSFER, [
            Line(mine.account, -o.amount_minor, EntryKind.SENT, o.payee_id),
            Line(theirs.account, o.amount_minor, EntryKind.RECEIVED, o.payer.id)])
        payer_after, payee_after = self.movement.afters
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
        self.events = len(rows_out)
        self.args: list[object] = [
            TransferKind.P2P.value, state, o.payer.id, o.key, o.digest, o.payee_id, o.amount_minor, o.currency,
            o.memo, payer_after, now, events.LOCK_SPACE, events.lock_keys([o.payer.id, o.payee_id]),
            conversation_id, MessageKind.TRANSFER.value, o.memo[:200],
            [p.user_id for p in rows_out], [p.kind for p in rows_out],
            [events.payload_json(p.payload) if p.payload else None for p in rows_out],
            *self.movement.params()]
        assert len(self.args) == transfer_sql.PAY_ARGS

    def sent(self, r: Mapping[str, Any]) -> Sent:
        """The answer, once PAY's row shows the whole write (else RuntimeError, which rolls back)."""
        if not (self.movement.written(int(r["moved"]), int(r["entries"])) and r["events"] == self.events
                and r["touched"] == 1):
            raise RuntimeError(f"a payment's write was partial: {dict(r)}")
        self.movement.done()
        o, payer_after = self.order, self.movement.afters[0]
        transfer = Transfer(
            id=int(r["id"]), kind=TransferKind.P2P, state=TransferState.COMPLETED, initiator_id=o.payer.id,
            idempotency_key=o.key, request_fingerprint=o.digest, payer_id=o.payer.id, payee_id=o.payee_id,
            card_id=None, request_id=None, amount_minor=o.amount_minor, currency=o.currency, memo=o.memo,
            failure_reason="", initiator_balance_after_minor=payer_after, created_at=self.now, updated_at=self.now)
        transfer._saved_in_db = True
        return Sent(transfer, self.wallet)


async def _move_at_once(conn: BaseDBAsyncClient, o: Order, mine: HeldWallet, theirs: HeldWallet,
                        conversation_id: int | None, now: datetime) -> Sent:
    """`_move` of a plain payment on PostgreSQL, in one round trip (the streams are the pair's)."""
    if conversation_id is None:  # the pair's first payment or message
        conversation_id = (await direct_between(o.payer.id, o.payee_id)).id
    payment = _PlainPayment(o, mine, theirs, conversation_id, now)
    rows = await conn.execute_query_dict(transfer_sql.PAY, payment.args)
    return payment.sent(rows[0])


@dataclass(frozen=True)
class _AtOnce:
    """A plain payment decided on facts read without a lock: its write, and the call that makes it
    if the facts are still those (transfer_sql.PAY_ROUTINE's parameters)."""

    payment: _PlainPayment
    call: list[object]


async def _pay_at_once(rt: Runtime, o: Order) -> Sent | None:
    """A plain PIN payment in two round trips and no transaction block (transfer_sql explains how):
    None when it is not plain (anything `_transaction` would refuse, wait for or write more for) or
    when its facts moved before the locks were held. Then nothing was written."""
    decided = await _decide_at_once(rt, o)
    if decided is None:
        return None
    crash_point(rt.settings, "transfer.before_commit")  # here nothing is written yet, as a rollback leaves it
    try:
        done = await money_statement(rt, lambda c: c.execute_query_dict(transfer_sql.PAY_ROUTINE, decided.call))
    except OperationalError as exc:
        if not isinstance(exc.__cause__, UndefinedFunctionError):
            raise
        # A release started before `imwallet migrate` made its function: the locked path still pays.
        log.warning("%s is missing (run `imwallet migrate`): paying on the locked path", transfer_sql.ROUTINE)
        return None
    return decided.payment.sent(done[0]) if done else None


async def _decide_at_once(rt: Runtime, o: Order) -> _AtOnce | None:
    s, now = rt.settings, rt.clock.now()
    facts_args = _gate_args(o, limits.day_start(now), now - timedelta(seconds=s.step_up_window_seconds))
    rows = await connections.get("default").execute_query_dict(transfer_sql.FACTS, facts_args)
    facts = json.loads(rows[0]["facts"])
    wallets = {int(w["user_id"]): HeldWallet(LedgerAccount(
        id=w["id"], kind=AccountKind.USER_WALLET, user_id=w["user_id"], currency=w["currency"],
        balance_minor=w["balance_minor"], created_at=datetime.fromisoformat(w["created_at"])), w["display_name"])
        for w in facts["wallets"]}
    mine, theirs = wallets.get(o.payer.id), wallets.get(o.payee_id)
    gate = _gate_of(facts["gate"]) if facts["gate"] is not None else None
    if not (mine is not None and theirs is not None and gate is not None and gate.pin is not None
            and gate.conversation_id is not None and _plain(rt, o, mine, gate)):
        return None
    payment = _PlainPayment(o, mine, theirs, gate.conversation_id, now)
    return _AtOnce(payment, [*payment.args, *facts_args, rows[0]["digest"]])


def _plain(rt: Runtime, o: Order, mine: HeldWallet, gate: _Gate) -> bool:
    """What `_transaction` checks, as one answer: True only where it would pay and write nothing but
    the payment (the PIN right on its first try, under the current key; no lock, wait, step-up,
    replay or limit in the way)."""
    pin = gate.pin
    assert pin is not None
    return (not gate.payee_waits and gate.previous_id is None and gate.reachable is True
            and o.reach == reach.Reach.TRANSFER and mine.account.balance_minor >= o.amount_minor
            and not pin.reset_required and pin.locked_until is None and pin.failed_attempts == 0
            and o.pin is not None and rt.pin_keys.is_current(Verifier(pin.pin_hash, pin.key_id))
            and rt.pin_keys.matches(Verifier(pin.pin_hash, pin.key_id), o.payer.id, o.pin)
            and gate.sent_today_minor + o.amount_minor <= rt.settings.daily_outgoing_limit_minor
            and (o.stepped_up or not limits.needs_step_up(rt.settings, o.amount_minor, gate.sent_window_minor)))


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
