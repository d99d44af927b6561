"""The sandbox issuer: published test card numbers with known answers, like payment providers'
test modes. The table is documented in docs/cards.md.

Binding sends a real BIND_CARD code by SMS to the account's phone, as a bank would. The token
carries the card's scripted behaviour (like Stripe's `tok_chargeDeclined`), so the sandbox needs
no memory of card numbers: the wallet never keeps them, and neither does this simulator. What it
did per idempotency reference it does remember (app/cards/issuer_ledger.py), as a bank would:
a call repeated with a reference answers the first outcome, and `lookup` tells the truth after a
restart of the app.

Three cards misbehave the way networks do: one never answers (the call times out and the issuer
did nothing), one answers slowly, and one acts and then loses its answer (the money moved, the
caller sees a dropped connection).
"""

from __future__ import annotations

import asyncio
import secrets

from app.cards import issuer_ledger
from app.cards.processor import CardDetails, Outcome, Tokenised
from app.runtime import Runtime
from app.verification import codes
from app.verification.codes import Purpose
from models.events import Channel

APPROVE = "approve"
DECLINE_CHARGES = "declinecharges"
NO_FUNDS = "nofunds"
NO_ANSWER = "noanswer"
SLOW = "slow"
LOST_ANSWER = "lostanswer"

SLOW_SECONDS = 1.0
# Longer than any call timeout: the caller gives up first, as it would on a dead network.
NO_ANSWER_SECONDS = 3600.0

# number -> (decline reason at binding or None, behaviour of later charges and payouts)
TEST_CARDS: dict[str, tuple[str | None, str]] = {
    "4242424242424242": (None, APPROVE),            # Visa
    "4000056655665556": (None, APPROVE),            # Visa debit
    "5555555555554444": (None, APPROVE),            # Mastercard
    "2223003122003222": (None, APPROVE),            # Mastercard 2-series
    "378282246310005": (None, APPROVE),             # American Express (CVV 4 digits)
    "6200000000000005": (None, APPROVE),            # UnionPay
    "3566002020360505": (None, APPROVE),            # JCB
    "6011111111111117": (None, APPROVE),            # Discover
    "4000000000000002": ("DECLINED", APPROVE),      # declined by the issuer at binding
    "4000000000000069": ("EXPIRED_CARD", APPROVE),  # the issuer says the card has expired
    "4000000000009995": (None, NO_FUNDS),           # binds; top-ups fail: INSUFFICIENT_FUNDS
    "4000000000000341": (None, DECLINE_CHARGES),    # binds; top-ups and withdrawals are DECLINED
    "4000000000003014": (None, NO_ANSWER),          # binds; charges and payouts never answer
    "4000000000003022": (None, SLOW),               # binds; approves after SLOW_SECONDS
    "4000000000003030": (None, LOST_ANSWER),        # binds; approves, then the answer is lost
}


class AnswerLost(ConnectionError):
    """The issuer acted on the call, but its answer never reached the wallet."""


class SandboxProcessor:
    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    async def tokenise(self, card: CardDetails, *, phone: str) -> Tokenised:
        decline, behaviour = test_card(card.number)
        if decline is not None:
            return Tokenised(token=None, decline_reason=decline)
        await codes.issue(self._rt, channel=Channel.SMS, destination=phone, purpose=Purpose.BIND_CARD)
        return Tokenised(token=f"sbx_{behaviour}_{secrets.token_hex(12)}")

    async def charge(self, token: str, *, amount_minor: int, currency: str, reference: str) -> Outcome:
        return await self._act("CHARGE", token, amount_minor, currency, reference)

    async def payout(self, token: str, *, amount_minor: int, currency: str, reference: str) -> Outcome:
        return await self._act("PAYOUT", token, amount_minor, currency, reference)

    async def lookup(self, reference: str) -> Outcome | None:
        recorded = await issuer_ledger.recorded_outcome(reference)
        if recorded is not None:
            return recorded
        # Never seen: close the reference, so that a late call with it is refused, not acted on.
        await issuer_ledger.settle_once(reference, "VOID", 0, "", Outcome(False, "NO_ANSWER"))
        return None

    async def _act(self, operation: str, token: str, amount_minor: int, currency: str, reference: str) -> Outcome:
        behaviour = _behaviour(token)
        if behaviour == NO_ANSWER:
            await asyncio.sleep(NO_ANSWER_SECONDS)
        if behaviour == SLOW:
            await asyncio.sleep(SLOW_SECONDS)
        outcome = await issuer_ledger.settle_once(reference, operation, amount_minor, currency,
                                                  _answer(behaviour, paying_in=operation == "CHARGE"))
        if behaviour == LOST_ANSWER:
            raise AnswerLost(f"connection reset after {operation} {reference}")
        return outcome


def test_card(number: str) -> tuple[str | None, str]:
    """The scripted behaviour of a number. A 19-digit Visa whose first 16 digits are a test card
    behaves like that card, so that many accounts can each hold one (a card binds to one wallet)."""
    if number in TEST_CARDS:
        return TEST_CARDS[number]
    if len(number) == 19 and number[:16] in TEST_CARDS:
        return TEST_CARDS[number[:16]]
    return None, APPROVE


def _behaviour(token: str) -> str:
    return token.split("_")[1] if token.startswith("sbx_") else ""


def _answer(behaviour: str, *, paying_in: bool) -> Outcome:
    if behaviour in (APPROVE, SLOW, LOST_ANSWER):
        return Outcome(approved=True)
    if behaviour == NO_FUNDS:
        return Outcome(approved=False, decline_reason="INSUFFICIENT_FUNDS") if paying_in \
            else Outcome(approved=True)
    if behaviour == DECLINE_CHARGES:
        return Outcome(approved=False, decline_reason="DECLINED")
    return Outcome(approved=False, decline_reason="INVALID_TOKEN")
