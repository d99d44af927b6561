"""The sandbox issuer: published test card numbers with known answers, like payment providers'
test modes. The table is documented in docs/cards.md.

Binding sends a real BIND_CARD code by SMS to the account's phone, as a bank would. The token
carries the card's scripted behaviour (like Stripe's `tok_chargeDeclined`), so the sandbox needs
no memory of card numbers: the wallet never keeps them, and neither does this simulator.
"""

from __future__ import annotations

import secrets

from app.cards.processor import CardDetails, Outcome, Tokenised
from app.runtime import Runtime
from app.verification import codes
from app.verification.codes import Purpose
from models.events import Channel

APPROVE = "approve"
DECLINE_CHARGES = "declinecharges"
NO_FUNDS = "nofunds"

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
}


class SandboxProcessor:
    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    async def tokenise(self, card: CardDetails, *, phone: str) -> Tokenised:
        decline, behaviour = TEST_CARDS.get(card.number, (None, APPROVE))
        if decline is not None:
            return Tokenised(token=None, decline_reason=decline)
        await codes.issue(self._rt, channel=Channel.SMS, destination=phone, purpose=Purpose.BIND_CARD)
        return Tokenised(token=f"sbx_{behaviour}_{secrets.token_hex(12)}")

    async def charge(self, token: str, *, amount_minor: int, currency: str, reference: str) -> Outcome:
        return self._answer(token, paying_in=True)

    async def payout(self, token: str, *, amount_minor: int, currency: str, reference: str) -> Outcome:
        return self._answer(token, paying_in=False)

    @staticmethod
    def _answer(token: str, *, paying_in: bool) -> Outcome:
        behaviour = token.split("_")[1] if token.startswith("sbx_") else ""
        if behaviour == APPROVE:
            return Outcome(approved=True)
        if behaviour == NO_FUNDS:
            return Outcome(approved=False, decline_reason="INSUFFICIENT_FUNDS") if paying_in \
                else Outcome(approved=True)
        if behaviour == DECLINE_CHARGES:
            return Outcome(approved=False, decline_reason="DECLINED")
        return Outcome(approved=False, decline_reason="INVALID_TOKEN")
