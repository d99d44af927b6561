"""The signature on a merchant notification, made and checked: standard library only, so that a merchant
can copy `verify` (and `SignatureError`) into their own code as it is.

The header is `Imwallet-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, where each v1 is
HMAC-SHA256 under the merchant's signing secret (the whole `whsec_...` string, as UTF-8) of
`f"{t}.{body}"`, body being the exact bytes of the request body. Several v1 entries appear while the
server's keys rotate (one per secret); a signature is valid when any of them matches. The timestamp
is signed too, so a captured notification cannot be replayed after `tolerance` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

HEADER = "Imwallet-Signature"
EVENT_ID_HEADER = "Imwallet-Event-Id"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The notification is not proven to come from imwallet: do not act on it."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under the secret."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The header value for a body: one v1 signature per secret, current secret first."""
    return ",".join([f"t={timestamp}", *(f"v1={sign(s, timestamp, body)}" for s in secrets)])


def verify(secret: str, header: str, body: bytes | str, now: float,
           tolerance: float = DEFAULT_TOLERANCE_SECONDS) -> int:
    """Check a notification: returns its signed timestamp, or raises SignatureError saying why.

    `header` is the Imwallet-Signature value, `body` the raw request body (bytes as received: do not
    parse and re-serialise the JSON first), `now` the current unix time. A timestamp more than
    `tolerance` seconds away from `now`, either way, is refused (a replay, or a clock far off)."""
    raw = body.encode() if isinstance(body, str) else body
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("the timestamp is not a whole number of seconds") from None
        elif key == "v1":
            signatures.append(value.strip())
    if timestamp is None:
        raise SignatureError("no timestamp (t=) in the signature header")
    if not signatures:
        raise SignatureError("no v1 signature in the signature header")
    expected = sign(secret, timestamp, raw)
    # compare_digest against every entry (no early exit) so timing says nothing about which matched
    if not sum(hmac.compare_digest(expected, s) for s in signatures):
        raise SignatureError("no v1 signature matches this body under this secret")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"the timestamp is {int(now - timestamp)} s away from now, beyond the "
                             f"tolerance of {int(tolerance)} s")
    return timestamp
