"""Drawing a red packet's shares once, at creation, and committing to them.

RANDOM uses the "double mean" method: with `r` minor units left for `k` shares, the next share is
uniform in [1, 2*r/k - 1] (never leaving less than one unit for each share still to draw), and the
last share takes what is left. Every share is at least one minor unit (0.01), the expected share is
the mean at every step, and no share exceeds twice the mean of what remained when it was drawn.
The order of the drawn list is the order in which members receive them.

EQUAL gives each share total // count; the remainder units go one each to the first shares
(the earliest openers), so the shares differ by at most 0.01 and sum to the total.

The commitment is sha256 over "salt:amount,amount,...", stored with the packet when it is created.
The salt is shown once the packet is closed, so anyone can recompute the digest from the listed shares.
"""

from __future__ import annotations

import secrets
from hashlib import sha256

_random = secrets.SystemRandom()


def draw_random(total_minor: int, count: int) -> list[int]:
    """Double mean draw; precondition total_minor >= count >= 1."""
    shares, left = [], total_minor
    for k in range(count, 1, -1):
        upper = min(2 * left // k - 1, left - (k - 1))
        share = _random.randint(1, max(1, upper))
        shares.append(share)
        left -= share
    shares.append(left)
    return shares


def draw_equal(total_minor: int, count: int) -> list[int]:
    base, extra = divmod(total_minor, count)
    return [base + 1 if i < extra else base for i in range(count)]


def new_salt() -> str:
    return secrets.token_hex(16)


def commitment(salt: str, shares: list[int]) -> str:
    """The digest a packet stores at creation; recomputable from the salt and the shares in order."""
    return sha256(f"{salt}:{','.join(str(s) for s in shares)}".encode()).hexdigest()
