"""The card network seam. The sandbox stands in for a real acquirer; nothing else knows which.

A processor sees the card number and CVV exactly once, to check and tokenise the card when it is
bound; from then on the wallet knows only the token it returned. Charges (top-ups) and payouts
(withdrawals) carry our idempotency reference (the transfer's id): the network acts at most once per
reference, and a call repeated with it answers the first outcome. `lookup` asks what became of a
reference when the answer was lost; it is how the reconciler finishes a PENDING operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from app.runtime import Runtime


@dataclass(frozen=True)
class CardDetails:
    """What the issuer checks at binding. Lives in memory for one request, never stored."""

    number: str = field(repr=False)
    cvv: str = field(repr=False)
    expiry_month: int
    expiry_year: int
    holder_name: str


@dataclass(frozen=True)
class Tokenised:
    """The card passed the issuer's check: the token to charge, or a decline reason."""

    token: str | None
    decline_reason: str | None = None


@dataclass(frozen=True)
class Outcome:
    approved: bool
    decline_reason: str = ""


class CardProcessor(Protocol):
    async def tokenise(self, card: CardDetails, *, phone: str) -> Tokenised:
        """Check the card with its issuer, who sends the holder a BIND_CARD code by SMS."""
        ...

    async def charge(self, token: str, *, amount_minor: int, currency: str, reference: str) -> Outcome:
        """Take money from the card (a top-up)."""
        ...

    async def payout(self, token: str, *, amount_minor: int, currency: str, reference: str) -> Outcome:
        """Send money to the card (a withdrawal)."""
        ...

    async def lookup(self, reference: str) -> Outcome | None:
        """The outcome the network gave this reference, or None if it never acted on it.

        None is final: the network then refuses any late call with this reference (an acquirer's
        "cancel or refund" by reference), so a request still on its way cannot land after the wallet
        marked the operation FAILED.
        """
        ...


def processor_for(rt: Runtime) -> CardProcessor:
    """The processor the settings name (CARD_PROCESSOR)."""
    from app.cards.sandbox import SandboxProcessor

    if rt.settings.card_processor == "sandbox":
        return SandboxProcessor(rt)
    raise RuntimeError(f"unknown card processor {rt.settings.card_processor!r}")
