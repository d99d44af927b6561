"""The payment PIN verifier: HMAC-SHA256 under a versioned PIN key held outside the database.

Six digits are 10^6 candidates, too few for a slow hash to protect offline (SECURITY-NOTES item 11):
what protects a stolen table is a key that is not in it, and what protects the PIN online is the
attempt counter (app.pin.attempts). So a verifier is HMAC-SHA256(key, user id || PIN), stored beside
the id of the key that made it, compared in constant time, and made again under the current key on
the next successful check. Verifiers from before this scheme (argon2id, key id "") are checked the
slow way once and upgraded in the same transaction.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from hashlib import sha256

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# The key id of verifiers made by argon2id before keyed verifiers existed.
LEGACY_KEY_ID = ""
# The key id of the PIN key derived from SECRET_KEY when PIN_KEYS is not set.
DERIVED_KEY_ID = "sk1"
_DOMAIN = b"imwallet pin verifier v1\x00"


@dataclass(frozen=True)
class Verifier:
    """What is stored for a PIN: the MAC (hex) and the id of the key that made it."""

    digest: str
    key_id: str


class PinKeys:
    """The PIN keys by id; the first one is current and makes every new verifier."""

    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError("the current PIN key id must be one of the keys")
        if LEGACY_KEY_ID in keys:
            raise ValueError("a PIN key id must not be empty")
        self._keys = dict(keys)
        self.current = current

    @classmethod
    def from_settings(cls, pin_keys: str | None, secret_key: bytes) -> PinKeys:
        """`PIN_KEYS` is "id:secret,id:secret" (current first); without it one key is derived
        from SECRET_KEY under the id "sk1" (production requires SECRET_KEY, so it is a real key)."""
        if not pin_keys:
            derived = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"imwallet pin key v1").derive(secret_key)
            return cls({DERIVED_KEY_ID: derived}, DERIVED_KEY_ID)
        keys: dict[str, bytes] = {}
        for item in pin_keys.split(","):
            key_id, sep, secret = item.strip().partition(":")
            if not sep or not key_id or len(secret) < 32:
                raise ValueError("PIN_KEYS entries are id:secret with a secret of at least 32 characters")
            keys[key_id] = secret.encode()
        return cls(keys, next(iter(keys)))

    def make(self, user_id: int, pin: str) -> Verifier:
        return Verifier(self._mac(self.current, user_id, pin), self.current)

    def matches(self, stored: Verifier, user_id: int, pin: str) -> bool:
        """Constant-time check of a keyed verifier; False for an unknown key id."""
        if stored.key_id not in self._keys:
            return False
        return hmac.compare_digest(self._mac(stored.key_id, user_id, pin), stored.digest)

    def is_current(self, stored: Verifier) -> bool:
        return stored.key_id == self.current

    def _mac(self, key_id: str, user_id: int, pin: str) -> str:
        message = _DOMAIN + user_id.to_bytes(8, "big", signed=True) + pin.encode("ascii")
        return hmac.new(self._keys[key_id], message, sha256).hexdigest()
