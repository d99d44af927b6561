"""A collection code's payload: the claims it makes, signed under the server keyring.

The text is `iwc1.<claims>.<key id>.<mac>`: `claims` the base64url (unpadded) of a compact JSON
array, `key id` the 8-hex-digit id of the server secret that signed it (app/security/keyed.py), and
`mac` the base64url of the first 16 bytes of HMAC-SHA256 over `iwc1.<claims>.<key id>` under a key
derived from that secret for this use only. A code signed before a SECRET_KEY rotation still
verifies while the old secret is in PREVIOUS_SECRET_KEYS; once it is retired, the code is refused.

Verifying reads nothing but the text: whether the code is still live (not revoked) is the caller's
question (app/codes/service.py). Any text that is not a payload this server signed, however it is
malformed, raises InvalidCollectionCode and nothing else.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from hashlib import sha256
from typing import Protocol

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.errors import InvalidCollectionCode
from app.ledger.amounts import MAX_AMOUNT_MINOR
from app.security.keyed import Keyring

VERSION = "iwc1"
MAC_BYTES = 16
MAX_PAYLOAD_LENGTH = 512   # a QR code of this many bytes still scans from a phone screen
MAX_MEMO_LENGTH = 40       # characters; the memo is carried in the code itself
MAX_ID = 2**63 - 1

_KEY_ID = re.compile(r"[0-9a-f]{8}")
_B64 = re.compile(r"[A-Za-z0-9_-]+")
_CURRENCY = re.compile(r"[A-Z]{3}")


class PayeeKind(StrEnum):
    """Whom a code pays: a person, a merchant's static code, or one merchant order."""

    USER = "USER"
    MERCHANT = "MERCHANT"
    ORDER = "ORDER"


_KIND_TAG = {PayeeKind.USER: "U", PayeeKind.MERCHANT: "M", PayeeKind.ORDER: "O"}
_TAG_KIND = {tag: kind for kind, tag in _KIND_TAG.items()}


@dataclass(frozen=True)
class CodeClaims:
    """What a code says: `payee_id` a user id (USER), a merchant id (MERCHANT) or an order id (ORDER);
    `code_id` the row that can revoke it; `amount_minor` None for a code the payer fills in."""

    kind: PayeeKind
    payee_id: int
    code_id: int
    amount_minor: int | None
    currency: str
    memo: str


class HasKeyring(Protocol):
    keyring: Keyring


def sign(rt: HasKeyring, claims: CodeClaims) -> str:
    """The payload text for these claims under the current server key."""
    return sign_with(rt.keyring, claims)


def verify(rt: HasKeyring, payload: str) -> CodeClaims:
    """The claims of a payload this server signed (under any key still on the ring), or InvalidCollectionCode."""
    return verify_with(rt.keyring, payload)


def sign_with(keyring: Keyring, claims: CodeClaims) -> str:
    _check(claims)
    body = json.dumps([_KIND_TAG[claims.kind], claims.payee_id, claims.code_id, claims.amount_minor,
                       claims.currency, claims.memo], ensure_ascii=False, separators=(",", ":"))
    signed = f"{VERSION}.{_b64(body.encode())}.{keyring.key_id}"
    secret = keyring.secret(keyring.key_id)
    assert secret is not None, "the current key is always on the ring"
    payload = f"{signed}.{_b64(_mac(secret, signed))}"
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"a collection code payload is at most {MAX_PAYLOAD_LENGTH} characters")
    return payload


def verify_with(keyring: Keyring, payload: object) -> CodeClaims:
    if not isinstance(payload, str) or not payload.isascii() or len(payload) > MAX_PAYLOAD_LENGTH:
        raise InvalidCollectionCode()
    parts = payload.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not _KEY_ID.fullmatch(parts[2]):
        raise InvalidCollectionCode()
    secret = keyring.secret(parts[2])
    mac = _unb64(parts[3])
    if secret is None or mac is None or len(mac) != MAC_BYTES:
        raise InvalidCollectionCode()
    if not hmac.compare_digest(_mac(secret, ".".join(parts[:3])), mac):
        raise InvalidCollectionCode()
    return _parse(_unb64(parts[1]))  # signed by us: malformed only if our own encoder was


def _mac(secret: bytes, signed: str) -> bytes:
    key = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"imwallet collection code v1").derive(secret)
    return hmac.new(key, signed.encode(), sha256).digest()[:MAC_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes | None:
    """Strict unpadded base64url: only the canonical spelling of some bytes decodes."""
    if not _B64.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _b64(raw) == text else None


def _parse(raw: bytes | None) -> CodeClaims:
    try:
        fields = json.loads(raw.decode()) if raw is not None else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidCollectionCode() from None
    if not isinstance(fields, list) or len(fields) != 6:
        raise InvalidCollectionCode()
    tag, payee_id, code_id, amount_minor, currency, memo = fields
    if not isinstance(tag, str) or tag not in _TAG_KIND:
        raise InvalidCollectionCode()
    claims = CodeClaims(_TAG_KIND[tag], payee_id, code_id, amount_minor, currency, memo)
    try:
        _check(claims)
    except ValueError:
        raise InvalidCollectionCode() from None
    return claims


def _check(c: CodeClaims) -> None:
    """Refuse claims no code should carry (ValueError): so `sign` and `verify` agree on what is valid."""
    if not isinstance(c.kind, PayeeKind):
        raise ValueError("kind")
    for name, value in (("payee_id", c.payee_id), ("code_id", c.code_id)):
        if type(value) is not int or not 0 < value <= MAX_ID:
            raise ValueError(name)
    if c.amount_minor is not None and (type(c.amount_minor) is not int
                                       or not 0 < c.amount_minor <= MAX_AMOUNT_MINOR):
        raise ValueError("amount_minor")
    if not isinstance(c.currency, str) or not _CURRENCY.fullmatch(c.currency):
        raise ValueError("currency")
    if not isinstance(c.memo, str) or len(c.memo) > MAX_MEMO_LENGTH:
        raise ValueError("memo")
