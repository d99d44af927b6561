"""Download tokens: everything that fixes a statement's bytes, with an expiry, under a server MAC.

Nothing is stored when a statement is exported: the token names the account, the period, the
format, the last entry the statement covers and the moment it was generated, so any process
regenerates the same bytes from the append-only ledger. The MAC (a keyed HMAC under the server
keyring, any known key) makes a token unforgeable: changing the account or period breaks it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from app.security.keyed import Keyring

PURPOSE = "statement download v1"


@dataclass(frozen=True)
class Spec:
    """Everything a statement's bytes depend on."""

    account_id: int
    holder: str
    currency: str
    start: datetime
    end: datetime
    fmt: str
    through_entry_id: int
    generated_at: datetime
    key_id: str  # printed on the file, so it is part of what fixes the bytes


def issue(keyring: Keyring, spec: Spec, sha256_hex: str, expires_at: datetime) -> str:
    body = json.dumps({"a": spec.account_id, "h": spec.holder, "c": spec.currency, "f": spec.start.isoformat(),
                       "t": spec.end.isoformat(), "x": spec.fmt, "n": spec.through_entry_id,
                       "g": spec.generated_at.isoformat(), "i": spec.key_id, "s": sha256_hex,
                       "e": int(expires_at.timestamp())},
                      separators=(",", ":"), ensure_ascii=True)
    payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return f"{payload}.{keyring.fingerprint(PURPOSE, payload)}"


@dataclass(frozen=True)
class Opened:
    spec: Spec
    sha256_hex: str
    expires_at: datetime


def open_token(keyring: Keyring, token: str) -> Opened | None:
    """The token's statement if its MAC is good, else None (expiry is the caller's to check)."""
    payload, _, mac = token.partition(".")
    if not payload or len(token) > 2000 or not keyring.matches(PURPOSE, payload, mac):
        return None
    try:
        d = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        spec = Spec(int(d["a"]), str(d["h"]), str(d["c"]), datetime.fromisoformat(d["f"]),
                    datetime.fromisoformat(d["t"]), str(d["x"]), int(d["n"]), datetime.fromisoformat(d["g"]),
                    str(d["i"]))
        return Opened(spec, str(d["s"]), datetime.fromtimestamp(int(d["e"]), UTC))
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None  # a MAC over a payload we did not write: a bug, shown as not found
